// Image prune (Docker 28.2's containerd algorithm; unlike 28.2, every
// removal also emits events).
//
// Candidates are dangling records (or every record with dangling=false)
// passing the until/label filters. Images in use by containers are
// protected: a container's dangling record, the exact name it was created
// from, and, when created by ID or digest, at least one record of its image.
// Everything happens in one transaction; the blobs it orphans are deleted
// after commit in one batch. Reported per record, in name order: Untagged
// (the familiar name, or the digest of a dangling record), then Deleted for
// every blob of the image's walk (Documents::PresentBlobs) that the record's removal
// freed: index, manifests, configs and layers, as 28.2 lists them.
// SpaceReclaimed is the sum of the reported blobs' descriptor sizes.
// A build cache prune (PruneOptions::build_cache_only) is the same over the
// build-cache records only.
// A dry run (PruneOptions::dry_run) is the same transaction rolled back.
#include <chrono>
#include <optional>

#include "berth/reference.h"
#include "image/removal.h"

namespace berth::image {
namespace {

class PruneGuard {
 public:
  explicit PruneGuard(std::atomic<bool>& flag) : flag_(flag) { acquired_ = !flag_.exchange(true); }
  ~PruneGuard() {
    if (acquired_) flag_ = false;
  }
  bool acquired() const { return acquired_; }

 private:
  std::atomic<bool>& flag_;
  bool acquired_;
};

std::string StripAlgorithm(const std::string& s) { return s.starts_with("sha256:") ? s.substr(7) : s; }

}  // namespace

Result<PruneReport> Removal::Prune(const PruneOptions& opts) {
  auto start = std::chrono::steady_clock::now();
  PruneGuard guard(pruning_);
  if (!guard.acquired()) return Conflict("a prune operation is already running");
  PruneReport report;
  struct Pruned {
    std::string untagged;
    std::vector<Descriptor> walked;  // the image's present blobs, before removal
    std::vector<Digest> died;        // blobs this record's removal freed
  };
  std::vector<Pruned> pruned;
  std::vector<Digest> freed;
  // A dry run rolls the transaction back; `freed` then tells what the
  // deletion would take, so the report below is the one a prune gives.
  std::optional<DryRunScope> dry_run;
  if (opts.dry_run) dry_run.emplace();
  BERTH_RETURN_IF_ERROR(leases_->UpdateAndCollect(
      [&](Tx& tx, AfterCommit& after) -> Status {
        pruned.clear();
        BERTH_ASSIGN_OR_RETURN(auto records, tx.ListImages());
        std::unordered_map<Digest, int> count;
        for (const auto& r : records) ++count[r.target.digest];

        // Protection from containers.
        std::unordered_set<std::string> keep_names;
        std::unordered_set<Digest> used;
        BERTH_ASSIGN_OR_RETURN(auto containers, container_table::List(tx));
        for (const auto& c : containers) {
          keep_names.insert(DanglingName(c.image_id));
          const std::string& given = c.image_ref;
          if ((IsShortId(given) && c.image_id.hex().starts_with(StripAlgorithm(given))) ||
              given.ends_with("@" + c.image_id.str())) {
            used.insert(c.image_id);
          }
          auto named = ParseNormalizedNamed(given);
          if (named.ok()) {
            keep_names.insert(TagNameOnly(*named).String());
            if (named->has_tag() && named->has_digest()) {
              Reference tagged = *named;
              tagged.digest.reset();
              keep_names.insert(tagged.String());
            }
          }
        }

        auto passes_labels = [&](const ImageRecord& r) -> bool {
          if (opts.labels.empty()) return true;
          auto manifests = docs_->RetainedManifests(tx, r.target);
          return manifests.ok() && docs_->LabelsMatch(*manifests, opts.labels);
        };

        // Build cache of images that still have a name: the parent chains
        // of the named records.
        std::unordered_set<std::string> named_ancestors;
        if (opts.build_cache_only && !opts.build_cache_all) {
          std::unordered_map<std::string, std::string> parent_of;
          for (const auto& r : records) {
            if (std::string p = ParentOf(r); !p.empty()) parent_of[r.target.digest.str()] = std::move(p);
          }
          for (const auto& r : records) {
            if (IsDangling(r)) continue;
            for (auto it = parent_of.find(r.target.digest.str()); it != parent_of.end();
                 it = parent_of.find(it->second)) {
              if (!named_ancestors.insert(it->second).second) break;
            }
          }
        }

        for (const auto& r : records) {  // sorted by name
          if (opts.dangling_only && !IsDangling(r)) continue;
          if (opts.build_cache_only && (!IsBuildCache(r) || named_ancestors.contains(r.target.digest.str()))) continue;
          if (opts.until_unix_nanos && r.created_unix_nanos >= *opts.until_unix_nanos) continue;
          if (!passes_labels(r)) continue;
          if (keep_names.contains(r.name)) continue;
          int& n = count[r.target.digest];
          if (n <= 1 && used.contains(r.target.digest)) continue;  // its last record
          --n;
          Pruned p;
          // Files are deleted only after commit: what exists now is what
          // Docker's walk sees just before this record goes.
          p.walked = docs_->PresentBlobs(r.target);
          BERTH_RETURN_IF_ERROR(records_->DeleteRecord(tx, r.name));
          p.untagged = IsDangling(r) ? r.target.digest.str() : FamiliarString(r.name);
          p.died = tx.TakeDied();
          if (!IsDangling(r)) after.events.push_back(ImageEvent(env_, "untag", r.target.digest.str(), p.untagged));
          if (!p.died.empty()) {
            const std::string id = r.target.digest.str();
            after.events.push_back(ImageEvent(env_, "delete", id, id));
          }
          after.died.insert(after.died.end(), p.died.begin(), p.died.end());
          pruned.push_back(std::move(p));
        }
        return OkStatus();
      },
      nullptr, &freed));
  const std::unordered_set<Digest> gone(freed.begin(), freed.end());
  for (const auto& p : pruned) {
    report.deleted.push_back(DeleteResponseItem::Untagged(p.untagged));
    const std::unordered_set<Digest> died(p.died.begin(), p.died.end());
    for (const auto& blob : p.walked) {
      if (!died.contains(blob.digest) || !gone.contains(blob.digest)) continue;
      report.deleted.push_back(DeleteResponseItem::Deleted(blob.digest.str()));
      report.space_reclaimed += static_cast<uint64_t>(blob.size);
    }
  }
  ObserveAction(metrics_, "prune", start);
  return report;
}

}  // namespace berth::image

namespace berth {

Result<LabelFilter> LabelFilter::Parse(std::string_view term, bool from_label_not) {
  LabelFilter f;
  f.negate = from_label_not;
  std::string_view key = term;
  auto eq = term.find('=');
  if (eq != std::string_view::npos) {
    key = term.substr(0, eq);
    f.value = std::string(term.substr(eq + 1));
  }
  const size_t total = key.size() + (f.value ? f.value->size() : 0);
  if (total > 4096) {
    return InvalidArgument("label key and value length (" + std::to_string(total) +
                           " bytes) greater than maximum size (4096 bytes), key: " + std::string(key.substr(0, 64)) +
                           ": invalid argument");
  }
  if (key.ends_with('!')) {  // "key!=value": the check is negated
    key.remove_suffix(1);
    f.negate = !f.negate;
  }
  f.key = std::string(key);
  if (f.key.empty()) return InvalidArgument("invalid label filter '" + std::string(term) + "'");
  return f;
}

bool LabelFilter::Matches(const std::map<std::string, std::string>& labels) const {
  auto it = labels.find(key);
  const bool exists = it != labels.end();
  if (!value) return exists != negate;
  if (!exists) return false;  // Docker 28.x: a value check needs the key, negated or not
  return (it->second == *value) != negate;
}

}  // namespace berth
