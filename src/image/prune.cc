// Image prune (Docker's containerd algorithm, with berth's fixes: `label!`
// matches images that lack the key, and every removal emits events).
//
// Candidates are dangling records (or every record with dangling=false)
// passing the until/label filters. Images in use by containers are
// protected: a container's dangling record, the exact name it was created
// from, and, when created by ID or digest, at least one record of its image.
// Everything happens in one transaction; the blobs it orphans are deleted
// after commit in one batch. Reported: Untagged per record, Deleted per
// manifest or index blob freed, SpaceReclaimed = bytes of all blobs freed.
// A dry run (PruneOptions::dry_run) is the same transaction rolled back.
#include <chrono>

#include "image/service.h"

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

Result<PruneReport> ImageServiceImpl::Prune(const PruneOptions& opts) {
  auto start = std::chrono::steady_clock::now();
  PruneGuard guard(pruning_);
  if (!guard.acquired()) return Conflict("a prune operation is already running");
  PruneReport report;
  struct Pruned {
    std::string untagged;
    std::vector<Digest> died;
  };
  std::vector<Pruned> pruned;
  std::unordered_map<Digest, BlobRecord> died_blobs;
  std::vector<Digest> freed;
  uint64_t bytes = 0;
  // A dry run rolls the transaction back; `freed` and `bytes` then tell what
  // the deletion would take, so the report below is the one a prune gives.
  std::optional<DryRunScope> dry_run;
  if (opts.dry_run) dry_run.emplace();
  BERTH_RETURN_IF_ERROR(UpdateAndCollect(
      [&](Tx& tx, AfterCommit& after) -> Status {
        pruned.clear();
        died_blobs.clear();
        BERTH_ASSIGN_OR_RETURN(auto records, tx.ListImages());
        std::unordered_map<Digest, int> count;
        for (const auto& r : records) ++count[r.target.digest];

        // Protection from containers.
        std::unordered_set<std::string> keep_names;
        std::unordered_set<Digest> used;
        BERTH_ASSIGN_OR_RETURN(auto containers, tx.ListContainers());
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
          if (opts.labels.empty() && opts.labels_not.empty()) return true;
          auto manifests = RetainedManifests(tx, r.target);
          if (!manifests.ok()) return false;
          for (const auto& m : *manifests) {
            if (m.attestation) continue;
            auto cfg = LoadConfig(m.config.digest);
            if (!cfg.ok()) continue;
            bool ok = true;
            for (const auto& f : opts.labels) ok = ok && f.Matches(cfg->labels);
            for (const auto& f : opts.labels_not) ok = ok && !f.Matches(cfg->labels);
            if (ok) return true;
          }
          return false;
        };

        for (const auto& r : records) {  // sorted by name
          if (opts.dangling_only && !r.dangling()) continue;
          if (opts.until_unix_nanos && r.created_unix_nanos >= *opts.until_unix_nanos) continue;
          if (!passes_labels(r)) continue;
          if (keep_names.contains(r.name)) continue;
          int& n = count[r.target.digest];
          if (n <= 1 && used.contains(r.target.digest)) continue;  // its last record
          --n;
          BERTH_RETURN_IF_ERROR(DeleteRecord(tx, r.name, after));
          Pruned p;
          p.untagged = r.dangling() ? r.target.digest.str() : FamiliarString(r.name);
          p.died = tx.TakeDied();
          for (const auto& d : p.died) {
            auto b = tx.GetBlob(d);
            if (b.ok()) died_blobs[d] = *b;
          }
          if (!r.dangling()) after.events.push_back(ImageEvent("untag", r.target.digest.str(), p.untagged));
          if (!p.died.empty()) {
            const std::string id = r.target.digest.str();
            after.events.push_back(ImageEvent("delete", id, id));
          }
          after.died.insert(after.died.end(), p.died.begin(), p.died.end());
          pruned.push_back(std::move(p));
        }
        return OkStatus();
      },
      &bytes, &freed));
  std::unordered_set<Digest> gone(freed.begin(), freed.end());
  for (const auto& p : pruned) {
    report.deleted.push_back(DeleteResponseItem::Untagged(p.untagged));
    for (const auto& d : p.died) {
      auto it = died_blobs.find(d);
      if (!gone.contains(d) || it == died_blobs.end()) continue;
      if (IsIndexType(it->second.media_type) || IsManifestType(it->second.media_type)) {
        report.deleted.push_back(DeleteResponseItem::Deleted(d.str()));
      }
    }
  }
  report.space_reclaimed = bytes;
  ObserveAction("prune", start);
  return report;
}

}  // namespace berth::image

namespace berth {

Result<LabelFilter> LabelFilter::Parse(std::string_view term) {
  LabelFilter f;
  auto eq = term.find('=');
  if (eq == std::string_view::npos) {
    f.key = std::string(term);
  } else {
    f.key = std::string(term.substr(0, eq));
    f.value = std::string(term.substr(eq + 1));
  }
  if (f.key.empty()) return InvalidArgument("invalid label filter '" + std::string(term) + "'");
  return f;
}

bool LabelFilter::Matches(const std::map<std::string, std::string>& labels) const {
  auto it = labels.find(key);
  if (it == labels.end()) return false;
  return !value || it->second == *value;
}

}  // namespace berth
