// Explainer::Why (see why.h).
#include <algorithm>
#include <deque>

#include "berth/reference.h"
#include "image/resolver.h"
#include "image/why.h"

namespace berth::image {
namespace {

WhyContainer ContainerOf(const ContainerRecord& c, bool with_platform) {
  WhyContainer w;
  w.id = c.id;
  w.name = c.name;
  w.image_ref = c.image_ref;
  w.state = std::string(ContainerStateName(c.state));
  if (with_platform) {
    w.platform = c.image_platform;
    w.manifest = c.image_manifest;
  }
  return w;
}

// Every blob reachable from `from` along the blob edges, `from` included.
Result<std::unordered_set<Digest>> Reach(Tx& tx, const std::vector<Digest>& from) {
  std::unordered_set<Digest> seen(from.begin(), from.end());
  std::deque<Digest> todo(from.begin(), from.end());
  while (!todo.empty()) {
    Digest d = std::move(todo.front());
    todo.pop_front();
    BERTH_ASSIGN_OR_RETURN(auto children, tx.BlobChildren(d));
    for (auto& c : children) {
      if (seen.insert(c).second) todo.push_back(std::move(c));
    }
  }
  return seen;
}

// The familiar names of `records`, sorted, dangling records left out.
std::vector<std::string> NamesOf(const std::vector<ImageRecord>& records) {
  std::vector<std::string> names;
  for (const auto& r : records) {
    if (!IsDangling(r)) names.push_back(FamiliarName(r));
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

// One question, answered from the explainer's parts.
class WhyBuilder {
 public:
  explicit WhyBuilder(Explainer* x) : x_(x) {}

  Result<ImageWhy> Image(const std::string& ref) {
    ImageWhy why;
    std::vector<Digest> blobs;
    BERTH_RETURN_IF_ERROR(x_->meta_->View([&](Tx& tx) -> Status {
      why = ImageWhy();
      BERTH_ASSIGN_OR_RETURN(ImageRecord rec, ResolveIn(tx, ref));
      why.id = rec.id();
      BERTH_ASSIGN_OR_RETURN(auto records, tx.ListImagesByTarget(why.id));
      why.names = NamesOf(records);
      for (const auto& r : records) {
        why.dangling |= IsDangling(r);
        if (why.parent.empty()) why.parent = ParentOf(r);
      }
      BERTH_RETURN_IF_ERROR(Children(tx, why));
      BERTH_ASSIGN_OR_RETURN(auto users, container_table::UsingImage(tx, why.id));
      for (const auto& c : users) {
        if (c.image_id == why.id) why.containers.push_back(ContainerOf(c, true));
        if (std::find(c.image_mounts.begin(), c.image_mounts.end(), why.id) != c.image_mounts.end()) {
          why.mounted_by.push_back(ContainerOf(c, false));
        }
      }
      BERTH_ASSIGN_OR_RETURN(auto facts, x_->views_->FactsIn(tx, rec.target));
      why.size = facts->size;
      why.blobs = static_cast<int>(facts->blobs.size());
      blobs.clear();
      for (const auto& [d, size] : facts->blobs) blobs.push_back(d);
      BERTH_ASSIGN_OR_RETURN(why.leases, LeasesHolding(tx, blobs));
      return OkStatus();
    }));
    why.ingest_held = IngestHeld(blobs);
    why.reference = ref;
    BERTH_ASSIGN_OR_RETURN(why.remove, PreviewRemoval(ref, false));
    BERTH_ASSIGN_OR_RETURN(why.force_remove, PreviewRemoval(ref, true));
    return why;
  }

  // NotFound when the store knows nothing of `d`.
  Result<BlobWhy> Blob(const Digest& d) {
    BlobWhy why;
    BERTH_RETURN_IF_ERROR(x_->meta_->View([&](Tx& tx) -> Status {
      why = BlobWhy();
      why.digest = d;
      auto row = tx.GetBlob(d);
      if (row.ok()) {
        why.registered = true;
        why.media_type = row->media_type;
        why.size = row->size;
        why.refs = row->refs;
      } else if (row.status().code() != Code::kNotFound) {
        return row.status();
      }
      auto info = x_->docs_->content()->Info(d);
      why.present = info.ok();
      if (!why.registered && info.ok()) why.size = info->size;
      if (!why.registered && !why.present) return NotFound("No such image or blob: " + d.str());
      return Holders(tx, why);
    }));
    why.ingest_held = !IngestHeld({d}).empty();
    return why;
  }

 private:
  Status Children(Tx& tx, ImageWhy& why) {
    BERTH_ASSIGN_OR_RETURN(auto children, tx.ListImagesByIndexedLabel(why.id.str()));
    std::map<Digest, std::vector<ImageRecord>> by_target;
    for (auto& c : children) by_target[c.id()].push_back(std::move(c));
    for (const auto& [id, records] : by_target) why.children.push_back({id, NamesOf(records)});
    return OkStatus();
  }

  // The metadata leases reaching any of `blobs`, with the ones they reach.
  Result<std::vector<WhyLease>> LeasesHolding(Tx& tx, const std::vector<Digest>& blobs) {
    std::vector<WhyLease> out;
    BERTH_ASSIGN_OR_RETURN(auto leases, tx.ListLeases());
    for (const auto& l : leases) {
      BERTH_ASSIGN_OR_RETURN(auto refs, tx.RootRefs(RootKind::kLease, l.id));
      BERTH_ASSIGN_OR_RETURN(auto reached, Reach(tx, refs));
      WhyLease w{l.id, l.expires_unix_nanos, l.labels, {}};
      for (const auto& d : blobs) {
        if (reached.contains(d)) w.blobs.push_back(d);
      }
      if (!w.blobs.empty()) out.push_back(std::move(w));
    }
    return out;
  }

  std::vector<Digest> IngestHeld(const std::vector<Digest>& blobs) {
    return x_->leases_->Held(blobs);
  }

  // `docker rmi [-f] ref`, rolled back.
  Result<RemovalPreview> PreviewRemoval(const std::string& ref, bool force) {
    RemovalPreview preview;
    DryRunScope dry_run;
    RemoveOptions opts;
    opts.force = force;
    auto items = x_->removal_->Remove(ref, opts);
    if (!items.ok()) {
      if (items.status().code() != Code::kConflict) return items.status();
      preview.refused = true;
      preview.error = items.status().message();
      return preview;
    }
    preview.items = std::move(*items);
    preview.freed_bytes = dry_run.bytes_freed();
    // The rows outlive the rollback: a blob row goes only when gc forgets it.
    BERTH_RETURN_IF_ERROR(x_->meta_->View([&](Tx& tx) -> Status {
      preview.freed.clear();
      for (const auto& d : dry_run.freed()) {
        RemovalPreview::Blob b{d, {}, 0};
        auto row = tx.GetBlob(d);
        if (row.ok()) {
          b.media_type = row->media_type;
          b.size = row->size;
        }
        preview.freed.push_back(std::move(b));
      }
      return OkStatus();
    }));
    return preview;
  }

  // A descriptor for `d` from its registered row.
  Descriptor RowDescriptor(Tx& tx, const Digest& d) {
    Descriptor desc;
    desc.digest = d;
    auto row = tx.GetBlob(d);
    if (row.ok()) {
      desc.media_type = row->media_type;
      desc.size = row->size;
    }
    return desc;
  }

  // Every root reaching why.digest, once per route.
  Status Holders(Tx& tx, BlobWhy& why) {
    BERTH_ASSIGN_OR_RETURN(auto roots, tx.AllRootRefs());
    BERTH_ASSIGN_OR_RETURN(auto edges, tx.AllEdges());
    std::unordered_map<Digest, std::vector<Digest>> parents;
    for (auto& [p, c] : edges) parents[c].push_back(p);
    // Ancestors of the blob, each with its route down to the blob (the
    // ancestor first, the blob excluded): breadth first, so the shortest.
    std::unordered_map<Digest, std::vector<Digest>> route{{why.digest, {}}};
    std::deque<Digest> todo{why.digest};
    while (!todo.empty()) {
      Digest d = std::move(todo.front());
      todo.pop_front();
      for (const auto& p : parents[d]) {
        if (route.contains(p)) continue;
        std::vector<Digest> r{p};
        r.insert(r.end(), route[d].begin(), route[d].end());
        route[p] = std::move(r);
        todo.push_back(p);
      }
    }
    for (const auto& root : roots) {
      auto it = route.find(root.digest);
      if (it == route.end()) continue;
      BlobHolder h;
      h.kind = root.kind;
      h.id = root.id;
      BERTH_RETURN_IF_ERROR(Describe(tx, root, it->second, h));
      why.holders.push_back(std::move(h));
    }
    std::stable_sort(why.holders.begin(), why.holders.end(), [](const BlobHolder& a, const BlobHolder& b) {
      return std::tie(a.kind, a.id) < std::tie(b.kind, b.id);
    });
    return OkStatus();
  }

  // Fills the names and the route of a holder whose root ref is `root`;
  // `route` leads from root.digest (first) down to the blob (excluded).
  Status Describe(Tx& tx, const Tx::RootRef& root, const std::vector<Digest>& route, BlobHolder& h) {
    if (root.kind == RootKind::kContainer) {
      auto c = container_table::Get(tx, root.id);
      if (c.ok()) h.names.push_back(c->name);
    }
    std::optional<Index> index;
    if (root.kind == RootKind::kImage) {
      auto id = Digest::Parse(root.id);
      if (id.ok()) {
        BERTH_ASSIGN_OR_RETURN(auto records, tx.ListImagesByTarget(*id));
        h.names = NamesOf(records);
        // An image reaches its retained manifests through its index target.
        if (!records.empty() && records.front().id() != root.digest &&
            IsIndexType(records.front().target.media_type)) {
          h.via.push_back(records.front().target);
          auto parsed = x_->docs_->LoadIndex(records.front().target);
          if (parsed.ok()) index = std::move(*parsed);
        }
      }
    }
    for (const auto& d : route) {
      Descriptor desc = RowDescriptor(tx, d);
      if (index) {
        // The index's own descriptor names the platform.
        for (const auto& m : index->manifests) {
          if (m.digest == d) desc = m;
        }
      }
      h.via.push_back(std::move(desc));
    }
    return OkStatus();
  }

  Explainer* x_;
};

namespace {

// "sha256:<64 hex>" as a digest.
std::optional<Digest> FullDigest(const std::string& ref) {
  if (!ref.starts_with("sha256:")) return std::nullopt;
  auto d = Digest::Parse(ref);
  if (!d.ok()) return std::nullopt;
  return *d;
}

}  // namespace

Result<WhyReport> Explainer::Why(const std::string& ref) {
  if (ref.find_first_not_of(" \t\r\n\v\f") == std::string::npos) {
    return InvalidArgument("image name cannot be blank");
  }
  WhyBuilder builder(this);
  WhyReport report;
  if (auto digest = FullDigest(ref)) {
    bool is_image = false;
    BERTH_RETURN_IF_ERROR(meta_->View([&](Tx& tx) -> Status {
      BERTH_ASSIGN_OR_RETURN(auto records, tx.ListImagesByTarget(*digest));
      is_image = !records.empty();
      return OkStatus();
    }));
    if (!is_image) {
      BERTH_ASSIGN_OR_RETURN(report.blob, builder.Blob(*digest));
      return report;
    }
  }
  BERTH_ASSIGN_OR_RETURN(report.image, builder.Image(ref));
  return report;
}

}  // namespace berth::image
