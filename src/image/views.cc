// Views: List (docker images), Inspect, History (see views.h).
// With manifests=1 the manifests an image does not keep are listed too
// (Available false); their sizes come from what is present at that moment.
#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <optional>

#include "berth/time.h"
#include "berth/reference.h"
#include "image/resolver.h"
#include "image/views.h"

namespace berth::image {
namespace {

namespace json = boost::json;

std::vector<std::string> RepoTags(const std::vector<ImageRecord>& recs) {
  std::vector<std::string> out;
  for (const auto& r : recs) {
    if (!IsDangling(r)) out.push_back(FamiliarString(r.name));
  }
  return out;
}

std::string RepoDigest(const ImageRecord& r) {
  auto ref = ParseNamed(r.name);
  if (!ref.ok()) return {};
  return ref->FamiliarName() + "@" + r.target.digest.str();
}

// Docker's reference filter on one record: its name parsed as a normalised
// reference (a moby-dangling@ name parses too, as in Docker) matching one
// of the glob patterns (FamiliarMatch).
bool NameMatchesAny(const std::string& name, const std::vector<std::string>& patterns) {
  auto ref = ParseNormalizedNamed(name);
  if (!ref.ok()) return false;
  for (const auto& pattern : patterns) {
    if (ReferenceMatches(pattern, *ref)) return true;
  }
  return false;
}

std::vector<std::string> ContainersOf(const Digest& manifest, const std::vector<ContainerRecord>& containers) {
  std::vector<std::string> out;
  for (const auto& c : containers) {
    if (c.image_manifest == manifest) out.push_back(c.id);
  }
  return out;
}

// Docker's summary of a manifest the image does not keep, from whatever of
// its content happens to be present (read now, not cached: presence changes
// as other images come and go). Content counts the present blobs among the
// manifest, its config and its layers (nothing when the manifest itself is
// absent or unparsable). Kind: "attestation" for a descriptor with the
// reference-type annotation and a valid reference digest ("unknown" if that
// digest is missing or bad); "unknown" for an unknown/unknown platform, an
// unparsable manifest, or one whose layers are none of them image layers;
// otherwise "image", its platform from the descriptor, else from a present
// config.
ManifestSummary UnavailableSummary(ContentStore* content, const Descriptor& d,
                                   const std::vector<ContainerRecord>& containers) {
  ManifestSummary s;
  s.id = d.digest;
  s.descriptor = d;
  s.available = false;
  s.kind = "unknown";
  std::optional<Manifest> manifest;
  bool unreadable = false;
  if (content->Exists(d.digest)) {
    auto raw = content->ReadAll(d.digest, kMaxManifestBytes);
    if (raw.ok()) {
      auto parsed = ParseManifest(std::move(*raw), d.media_type);
      if (parsed.ok()) {
        manifest = std::move(*parsed);
        s.content_size = d.size;
        if (content->Exists(manifest->config.digest)) s.content_size += manifest->config.size;
        for (const auto& l : manifest->layers) {
          if (content->Exists(l.digest)) s.content_size += l.size;
        }
      } else {
        unreadable = true;
      }
    }
  }
  s.total_size = s.content_size;
  if (d.annotations.contains(std::string(annotation::kDockerReferenceType))) {
    auto it = d.annotations.find(std::string(annotation::kDockerReferenceDigest));
    if (it != d.annotations.end()) {
      auto target = Digest::Parse(it->second);
      if (target.ok()) {
        s.kind = "attestation";
        s.attestation_for = *target;
      }
    }
    return s;
  }
  if (d.platform && d.platform->os == "unknown" && d.platform->architecture == "unknown") return s;
  if (unreadable) return s;
  if (manifest && !manifest->layers.empty() &&
      std::none_of(manifest->layers.begin(), manifest->layers.end(),
                   [](const Descriptor& l) { return IsLayerType(l.media_type); })) {
    return s;
  }
  s.kind = "image";
  if (d.platform) {
    s.platform = Normalize(*d.platform);
  } else if (manifest && content->Exists(manifest->config.digest)) {
    auto raw = content->ReadAll(manifest->config.digest, kMaxConfigBytes);
    if (raw.ok()) {
      auto cfg = ParseImageConfig(std::move(*raw));
      if (cfg.ok() && !cfg->platform.os.empty()) s.platform = Normalize(cfg->platform);
    }
  }
  s.containers = ContainersOf(d.digest, containers);
  return s;
}

// Every manifest of the image in index order: the retained ones fully
// present (Available), the others as Docker lists absent content. Callers
// drain the reaper first (presence is read from the files).
std::vector<ManifestSummary> Summaries(ContentStore* content, const ImageFacts& facts,
                                       const std::vector<ContainerRecord>& containers) {
  std::vector<ManifestSummary> out;
  for (const auto& e : facts.listed) {
    if (e.retained < 0) {
      out.push_back(UnavailableSummary(content, e.descriptor, containers));
      continue;
    }
    const ManifestInfo& m = facts.manifests[static_cast<size_t>(e.retained)];
    ManifestSummary s;
    s.id = m.digest;
    s.descriptor = m.descriptor;
    s.available = true;  // retained manifests are fully present
    s.content_size = m.content_size;
    s.total_size = m.content_size;
    s.kind = m.attestation ? "attestation" : "image";
    s.platform = m.platform;
    s.attestation_for = m.attestation_for;
    s.containers = ContainersOf(m.digest, containers);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

Result<std::shared_ptr<const ImageFacts>> Views::Facts(const Descriptor& target,
                                                                  std::vector<Digest> retained) {
  std::sort(retained.begin(), retained.end());
  {
    MutexLock lock(&mu_);
    auto it = facts_.find(target.digest);
    if (it != facts_.end() && it->second->retained == retained) return it->second;
  }
  auto facts = std::make_shared<ImageFacts>();
  facts->retained = retained;
  BERTH_ASSIGN_OR_RETURN(facts->manifests, docs_->ManifestsFromRefs(target, retained));
  if (IsIndexType(target.media_type)) {
    // The same walk as ManifestsFromRefs, keeping the manifests it skips.
    BERTH_ASSIGN_OR_RETURN(Index index, docs_->LoadIndex(target));
    std::unordered_set<Digest> kept(retained.begin(), retained.end());
    size_t next = 0;
    for (const auto& d : index.manifests) {
      if (!IsManifestType(d.media_type)) continue;
      ListedManifest e{d, -1};
      if (kept.contains(d.digest) && next < facts->manifests.size() && facts->manifests[next].digest == d.digest) {
        e.retained = static_cast<int>(next++);
      }
      facts->listed.push_back(std::move(e));
    }
  } else {
    facts->listed.push_back(ListedManifest{target, facts->manifests.empty() ? -1 : 0});
  }
  auto matcher = AllWithPreference(HostPlatform());
  facts->best = BestManifest(facts->manifests, *matcher);
  if (facts->best) {
    auto cfg = docs_->LoadConfig(facts->best->config.digest);
    if (cfg.ok()) facts->config = std::move(*cfg);
  }
  std::unordered_set<Digest> seen;
  auto add = [&](const Digest& d, int64_t size) {
    if (seen.insert(d).second) {
      facts->blobs.emplace_back(d, size);
      facts->size += size;
    }
  };
  // An image whose every platform was removed has nothing available: size 0.
  if (!facts->manifests.empty()) add(target.digest, target.size);
  for (const auto& m : facts->manifests) {
    add(m.digest, m.descriptor.size);
    add(m.config.digest, m.config.size);
    for (const auto& l : m.layers) add(l.digest, l.size);
  }
  std::shared_ptr<const ImageFacts> out = std::move(facts);
  MutexLock lock(&mu_);
  facts_[target.digest] = out;
  return out;
}

Result<std::shared_ptr<const ImageFacts>> Views::FactsIn(Tx& tx, const Descriptor& target) {
  BERTH_ASSIGN_OR_RETURN(auto refs, tx.RootRefs(RootKind::kImage, target.digest.str()));
  return Facts(target, std::move(refs));
}

Result<std::shared_ptr<const ListSnapshot>> Views::Snapshot() {
  const uint64_t generation = leases_->generation();
  {
    MutexLock lock(&mu_);
    if (list_ && list_->generation == generation) return list_;
  }
  std::vector<ImageRecord> records;
  std::vector<Tx::RootRef> roots;
  auto snap = std::make_shared<ListSnapshot>();
  snap->generation = generation;
  BERTH_RETURN_IF_ERROR(meta_->View([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(records, tx.ListImages());
    BERTH_ASSIGN_OR_RETURN(roots, tx.AllRootRefs());
    BERTH_ASSIGN_OR_RETURN(snap->containers, container_table::List(tx));
    return OkStatus();
  }));
  std::unordered_map<std::string, std::vector<Digest>> retained;
  for (auto& r : roots) {
    if (r.kind == RootKind::kImage) retained[r.id].push_back(std::move(r.digest));
  }
  std::unordered_map<Digest, int64_t> container_count;
  for (const auto& c : snap->containers) ++container_count[c.image_id];
  // Group records by image, in name order of each image's first record.
  std::unordered_map<Digest, size_t> row_of;
  for (auto& r : records) {
    if (std::string p = ParentOf(r); !p.empty()) snap->parents.insert(std::move(p));
    auto [it, inserted] = row_of.emplace(r.target.digest, snap->rows.size());
    if (inserted) snap->rows.emplace_back();
    snap->rows[it->second].records.push_back(std::move(r));
  }
  std::vector<ListRow> rows;
  rows.reserve(snap->rows.size());
  for (auto& row : snap->rows) {
    const Digest id = row.records.front().target.digest;
    auto facts = Facts(row.records.front().target, retained[id.str()]);
    if (!facts.ok()) continue;  // content unreadable: not listable
    row.facts = *facts;
    row.created = row.facts->config ? row.facts->config->created_unix : 0;
    row.containers = container_count[id];
    // The summary as listed, before per-request fields.
    ImageSummary& s = row.summary;
    s.id = id;
    s.parent_id = ParentOf(row.records.front());
    s.created = row.created;
    s.size = row.facts->size;
    if (row.facts->config) s.labels = row.facts->config->labels;
    s.labels_null = !row.facts->config || row.facts->config->labels.empty();
    s.containers = row.containers;
    s.descriptor = row.records.front().target;
    for (const auto& r : row.records) s.record_created_unix_nanos = std::max(s.record_created_unix_nanos, r.created_unix_nanos);
    rows.push_back(std::move(row));
  }
  snap->rows = std::move(rows);
  std::shared_ptr<const ListSnapshot> out = std::move(snap);
  MutexLock lock(&mu_);
  if (!list_ || list_->generation <= generation) list_ = out;
  return out;
}

Result<std::vector<ImageSummary>> Views::List(const ListOptions& opts) {
  if (opts.manifests) leases_->WaitForCollection();  // absent manifests' summaries read the files
  BERTH_ASSIGN_OR_RETURN(auto snap, Snapshot());
  std::optional<int64_t> before_time, since_time;
  if (!opts.before.empty() || !opts.since.empty()) {
    auto created_of = [&](const ImageRecord& r) -> int64_t {
      for (const auto& row : snap->rows) {
        if (row.records.front().target.digest == r.target.digest) return row.created;
      }
      return 0;
    };
    BERTH_RETURN_IF_ERROR(meta_->View([&](Tx& tx) -> Status {
      for (const auto& ref : opts.before) {
        BERTH_ASSIGN_OR_RETURN(auto img, ResolveIn(tx, ref));
        int64_t t = created_of(img);
        before_time = before_time ? std::min(*before_time, t) : t;
      }
      for (const auto& ref : opts.since) {
        BERTH_ASSIGN_OR_RETURN(auto img, ResolveIn(tx, ref));
        int64_t t = created_of(img);
        since_time = since_time ? std::max(*since_time, t) : t;
      }
      return OkStatus();
    }));
  }
  std::vector<ImageSummary> out;
  std::vector<const ListRow*> out_rows;
  for (const auto& row : snap->rows) {
    const ImageFacts& facts = *row.facts;
    // Image filters: every record of the image passes or fails together.
    if (!docs_->LabelsMatch(facts.manifests, opts.labels)) continue;
    if (before_time && !(row.created < *before_time)) continue;
    if (since_time && !(row.created > *since_time)) continue;
    // Record filters, as Docker's list applies them to each record.
    const bool parent_of_another = snap->parents.contains(row.summary.id.str());
    std::vector<const ImageRecord*> passing;
    for (const auto& r : row.records) {
      if (!opts.all && IsDangling(r) && parent_of_another) continue;  // an intermediate image
      if (opts.dangling && *opts.dangling != IsDangling(r)) continue;
      if (opts.until_unix_nanos && !(r.created_unix_nanos < *opts.until_unix_nanos)) continue;
      if (!opts.reference.empty() && !NameMatchesAny(r.name, opts.reference)) continue;
      passing.push_back(&r);
    }
    if (passing.empty()) continue;
    out.push_back(row.summary);
    ImageSummary& s = out.back();
    // RepoTags: the passing names; RepoDigests: repo@ID from the last passing
    // name (Docker keeps the last record it saw), none for a dangling one, the
    // bare ID for an image without any available platform.
    const ImageRecord* shown = nullptr;
    for (const ImageRecord* r : passing) {
      if (IsDangling(*r)) continue;
      s.repo_tags.push_back(FamiliarString(r->name));
      shown = r;
    }
    if (!facts.best) {
      s.repo_digests.push_back(s.id.str());
    } else if (shown) {
      if (std::string d = RepoDigest(*shown); !d.empty()) s.repo_digests.push_back(std::move(d));
    }
    if (!opts.container_count || !facts.best) s.containers = -1;
    if (opts.manifests) s.manifests = Summaries(docs_->content(), facts, snap->containers);
    out_rows.push_back(&row);
  }
  if (opts.shared_size) {
    std::unordered_map<Digest, int> users;
    for (const auto* row : out_rows) {
      for (const auto& [d, size] : row->facts->blobs) ++users[d];
    }
    for (size_t i = 0; i < out.size(); ++i) {
      int64_t shared = 0;
      for (const auto& [d, size] : out_rows[i]->facts->blobs) {
        if (users[d] > 1) shared += size;
      }
      out[i].shared_size = shared;
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ImageSummary& a, const ImageSummary& b) { return a.created > b.created; });
  return out;
}

Result<ImageInspect> Views::Inspect(const std::string& ref, const std::optional<Platform>& platform,
                                               bool manifests) {
  ImageRecord img;
  std::vector<ImageRecord> all;
  std::shared_ptr<const ImageFacts> facts;
  std::vector<ContainerRecord> containers;
  BERTH_RETURN_IF_ERROR(meta_->View([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(img, ResolveIn(tx, ref));
    BERTH_ASSIGN_OR_RETURN(all, tx.ListImagesByTarget(img.target.digest));
    BERTH_ASSIGN_OR_RETURN(facts, FactsIn(tx, img.target));
    if (manifests) {
      BERTH_ASSIGN_OR_RETURN(containers, container_table::UsingImage(tx, img.target.digest));
    }
    return OkStatus();
  }));
  const ManifestInfo* m = facts->best;
  if (platform) {
    m = BestManifest(facts->manifests, *OnlyStrict(*platform));
    if (!m) {
      return NotFound("image with reference " + ref + " was found but does not provide the specified platform (" +
                      FormatPlatform(Normalize(*platform)) + ")");
    }
  }
  ImageInspect out;
  out.id = platform ? m->digest : img.target.digest;
  out.repo_tags = RepoTags(all);
  for (const auto& r : all) {
    if (IsDangling(r)) continue;
    std::string d = RepoDigest(r);
    if (!d.empty() && std::find(out.repo_digests.begin(), out.repo_digests.end(), d) == out.repo_digests.end()) {
      out.repo_digests.push_back(d);
    }
  }
  out.parent = ParentOf(img);
  out.descriptor = img.target;
  int64_t tagged = 0;
  for (const auto& r : all) {
    if (!IsDangling(r)) tagged = std::max(tagged, r.updated_unix_nanos);
  }
  out.last_tag_time = tagged ? FormatRfc3339Nanos(tagged) : "0001-01-01T00:00:00Z";
  out.config_json = "null";
  if (m) {
    out.platform = m->platform;
    out.size = platform ? m->content_size : facts->size;
    auto cfg = docs_->LoadConfig(m->config.digest);
    if (cfg.ok()) {
      out.created = cfg->created;
      out.author = cfg->author;
      out.diff_ids = cfg->diff_ids;
      if (!cfg->history.empty()) out.comment = cfg->history.back().comment;
      boost::system::error_code ec;
      json::value v = json::parse(cfg->raw, ec);
      if (!ec && v.is_object()) {
        if (auto* c = v.as_object().if_contains("config")) out.config_json = json::serialize(*c);
      }
    }
  }
  if (manifests) {
    leases_->WaitForCollection();
    out.manifests = Summaries(docs_->content(), *facts, containers);
  }
  return out;
}

Result<std::vector<HistoryItem>> Views::History(const std::string& ref,
                                                           const std::optional<Platform>& platform) {
  ImageRecord img;
  std::vector<ImageRecord> all;
  std::shared_ptr<const ImageFacts> facts;
  BERTH_RETURN_IF_ERROR(meta_->View([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(img, ResolveIn(tx, ref));
    BERTH_ASSIGN_OR_RETURN(all, tx.ListImagesByTarget(img.target.digest));
    BERTH_ASSIGN_OR_RETURN(facts, FactsIn(tx, img.target));
    return OkStatus();
  }));
  const ManifestInfo* m = facts->best;
  if (platform) {
    m = BestManifest(facts->manifests, *Only(*platform));
    if (!m) {
      return NotFound("image with reference " + ref + " was found but does not provide the specified platform (" +
                      FormatPlatform(Normalize(*platform)) + ")");
    }
  }
  if (!m) return NotFound("image with reference " + ref + " was found but does not provide any platform");
  BERTH_ASSIGN_OR_RETURN(ImageConfig cfg, docs_->LoadConfig(m->config.digest));
  std::vector<HistoryItem> items;
  size_t layer = 0;
  for (const auto& h : cfg.history) {
    HistoryItem it;
    it.id = "<missing>";
    auto t = ParseRfc3339(h.created);
    it.created = t.ok() ? *t : 0;
    it.created_by = h.created_by;
    it.comment = h.comment;
    if (!h.empty_layer && layer < m->layers.size()) it.size = m->layers[layer++].size;
    items.push_back(std::move(it));
  }
  if (items.empty()) {
    HistoryItem it;
    it.created = cfg.created_unix;
    items.push_back(it);
  }
  std::reverse(items.begin(), items.end());
  items.front().id = img.target.digest.str();
  items.front().tags = RepoTags(all);
  return items;
}

}  // namespace berth::image
