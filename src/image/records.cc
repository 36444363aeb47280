// Image records and the content they keep.
//
// An image (all records sharing one target digest) is one GC root: it keeps
// its target blob and the platform manifests it retains (each with its config
// and layers, through the blob edges). The root exists while at least one
// record names the target.
#include <algorithm>
#include <chrono>
#include <set>

#include "berth/reference.h"
#include "image/records.h"
#include "image/resolver.h"

namespace berth::image {
namespace {

void DropNameLabels(std::map<std::string, std::string>& labels) {
  labels.erase(std::string(annotation::kContainerdImageName));
  labels.erase(std::string(annotation::kRefName));
}

}  // namespace

Status RecordStore::RetainContent(Tx& tx, const Descriptor& target, const std::vector<Digest>& manifests) {
  auto require = [&](const Descriptor& d, std::string_view what) -> Status {
    if (!docs_->content()->Exists(d.digest)) {
      return FailedPrecondition("content missing for " + std::string(what) + " " + d.digest.str());
    }
    return OkStatus();
  };
  auto register_manifest = [&](const Descriptor& d) -> Status {
    BERTH_RETURN_IF_ERROR(require(d, "manifest"));
    BERTH_ASSIGN_OR_RETURN(auto m, docs_->LoadManifest(d));
    std::vector<Digest> children{m.config.digest};
    BERTH_RETURN_IF_ERROR(require(m.config, "config"));
    BERTH_RETURN_IF_ERROR(tx.RegisterBlob(m.config.digest, m.config.media_type, m.config.size, {}));
    for (const auto& l : m.layers) {
      BERTH_RETURN_IF_ERROR(require(l, "layer"));
      BERTH_RETURN_IF_ERROR(tx.RegisterBlob(l.digest, l.media_type, l.size, {}));
      children.push_back(l.digest);
    }
    return tx.RegisterBlob(d.digest, d.media_type, d.size, children);
  };
  const std::string root = target.digest.str();
  if (IsManifestType(target.media_type)) {
    BERTH_RETURN_IF_ERROR(register_manifest(target));
    return tx.AddRootRef(RootKind::kImage, root, target.digest);
  }
  if (!IsIndexType(target.media_type)) {
    if (IsSchema1Type(target.media_type)) {
      return Unimplemented("schema 1 manifests are not supported: " + target.media_type);
    }
    return InvalidArgument("unsupported image target media type " + target.media_type);
  }
  BERTH_RETURN_IF_ERROR(require(target, "index"));
  BERTH_ASSIGN_OR_RETURN(Index index, docs_->LoadIndex(target));
  BERTH_RETURN_IF_ERROR(tx.RegisterBlob(target.digest, target.media_type, target.size, {}));
  BERTH_RETURN_IF_ERROR(tx.AddRootRef(RootKind::kImage, root, target.digest));
  for (const auto& want : manifests) {
    const Descriptor* found = nullptr;
    for (const auto& d : index.manifests) {
      if (d.digest == want) found = &d;
    }
    if (!found) return InvalidArgument("manifest " + want.str() + " is not in index " + root);
    BERTH_RETURN_IF_ERROR(register_manifest(*found));
    BERTH_RETURN_IF_ERROR(tx.AddRootRef(RootKind::kImage, root, want));
  }
  return OkStatus();
}

Status RecordStore::DeleteRecord(Tx& tx, const std::string& name) {
  BERTH_ASSIGN_OR_RETURN(ImageRecord rec, tx.GetImage(name));
  BERTH_RETURN_IF_ERROR(tx.DeleteImage(name));
  BERTH_ASSIGN_OR_RETURN(auto rest, tx.ListImagesByTarget(rec.target.digest));
  if (rest.empty()) BERTH_RETURN_IF_ERROR(tx.RemoveRoot(RootKind::kImage, rec.target.digest.str()));
  return OkStatus();
}

Status RecordStore::EnsureDangling(Tx& tx, const ImageRecord& img) {
  std::string name = DanglingName(img.target.digest);
  auto existing = tx.GetImage(name);
  if (existing.ok()) return OkStatus();
  if (existing.status().code() != Code::kNotFound) return existing.status();
  ImageRecord d = img;
  d.name = name;
  DropNameLabels(d.labels);
  d.created_unix_nanos = d.updated_unix_nanos = env_->NowUnixNanos();
  return tx.PutImage(d);
}

Status RecordStore::PutRecord(Tx& tx, ImageRecord record, ReplaceRule rule) {
  auto existing = tx.GetImage(record.name);
  if (!existing.ok() && existing.status().code() != Code::kNotFound) return existing.status();
  const bool exists = existing.ok();
  const bool moved = exists && existing->target.digest != record.target.digest;
  const int64_t now = env_->NowUnixNanos();
  record.updated_unix_nanos = now;
  record.created_unix_nanos = now;
  switch (rule) {
    case ReplaceRule::kTag:
      if (exists && !moved) record.created_unix_nanos = existing->created_unix_nanos;
      if (moved) {
        // Docker's softImageDelete: dangling only if this was its last name.
        BERTH_ASSIGN_OR_RETURN(auto old_all, tx.ListImagesByTarget(existing->target.digest));
        if (old_all.size() == 1) BERTH_RETURN_IF_ERROR(EnsureDangling(tx, *existing));
      }
      break;
    case ReplaceRule::kLoad:
      if (exists) {
        // containerd's Import replaces only the target of an existing record.
        record.created_unix_nanos = existing->created_unix_nanos;
        record.labels = existing->labels;
        if (!IsDanglingName(record.name)) BERTH_RETURN_IF_ERROR(EnsureDangling(tx, *existing));
      }
      break;
    case ReplaceRule::kPull:
      if (exists) record.created_unix_nanos = existing->created_unix_nanos;
      if (moved) BERTH_RETURN_IF_ERROR(EnsureDangling(tx, *existing));
      break;
  }
  BERTH_RETURN_IF_ERROR(tx.PutImage(record));
  if (rule != ReplaceRule::kLoad && !IsDanglingName(record.name)) {
    auto d = tx.DeleteImage(DanglingName(record.target.digest));
    if (!d.ok() && d.code() != Code::kNotFound) return d;
  }
  return OkStatus();
}

Status RecordStore::CreateImages(const std::vector<NewImage>& images, ReplaceRule rule,
                                      const std::string& event_action) {
  auto start = std::chrono::steady_clock::now();
  BERTH_RETURN_IF_ERROR(leases_->UpdateAndCollect([&](Tx& tx, AfterCommit& after) -> Status {
    for (const auto& img : images) {
      BERTH_RETURN_IF_ERROR(RetainContent(tx, img.target, img.manifests));
      if (img.name.empty()) {
        BERTH_ASSIGN_OR_RETURN(auto existing, tx.ListImagesByTarget(img.target.digest));
        if (existing.empty() || rule == ReplaceRule::kLoad) {
          ImageRecord r{DanglingName(img.target.digest), img.target, img.labels, 0, 0};
          BERTH_RETURN_IF_ERROR(PutRecord(tx, r, rule));
        }
      } else {
        BERTH_ASSIGN_OR_RETURN(Reference ref, ParseNamed(img.name));
        ImageRecord r{TagNameOnly(ref).String(), img.target, img.labels, 0, 0};
        BERTH_RETURN_IF_ERROR(PutRecord(tx, r, rule));
      }
      if (!event_action.empty()) {
        const std::string id = img.target.digest.str();
        after.events.push_back(ImageEvent(env_, event_action, id, id, docs_->ConfigLabels(tx, img.target)));
      }
    }
    return OkStatus();
  }));
  if (!event_action.empty()) ObserveAction(metrics_, event_action, start);
  return OkStatus();
}

Status RecordStore::Tag(const std::string& source, const std::string& target) {
  auto start = std::chrono::steady_clock::now();
  BERTH_ASSIGN_OR_RETURN(Reference ref, ParseNormalizedNamed(target));
  if (ref.has_digest()) return InvalidArgument("refusing to create a tag with a digest reference");
  if (ref.FamiliarName() == "sha256") {
    return InvalidArgument("refusing to create an ambiguous tag using digest algorithm as name");
  }
  ref = TagNameOnly(ref);
  BERTH_RETURN_IF_ERROR(leases_->UpdateAndCollect([&](Tx& tx, AfterCommit& after) -> Status {
    BERTH_ASSIGN_OR_RETURN(ImageRecord src, ResolveIn(tx, source));
    ImageRecord r{ref.String(), src.target, src.labels, 0, 0};
    DropNameLabels(r.labels);
    BERTH_RETURN_IF_ERROR(PutRecord(tx, r, ReplaceRule::kTag));
    after.events.push_back(
        ImageEvent(env_, "tag", src.target.digest.str(), ref.Familiar(), docs_->ConfigLabels(tx, src.target)));
    return OkStatus();
  }));
  ObserveAction(metrics_, "tag", start);
  return OkStatus();
}

Result<ImageRecord> RecordStore::Resolve(const std::string& ref) {
  Result<ImageRecord> out = NotFound("No such image: " + ref);
  BERTH_RETURN_IF_ERROR(meta_->View([&](Tx& tx) -> Status {
    out = ResolveIn(tx, ref);
    return OkStatus();
  }));
  return out;
}

Result<std::vector<ImageRecord>> RecordStore::Records() {
  std::vector<ImageRecord> out;
  BERTH_RETURN_IF_ERROR(meta_->View([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(out, tx.ListImages());
    return OkStatus();
  }));
  return out;
}

Result<ImageRecord> RecordStore::RecordNamed(const std::string& name) {
  ImageRecord out;
  BERTH_RETURN_IF_ERROR(meta_->View([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(out, tx.GetImage(name));
    return OkStatus();
  }));
  return out;
}

}  // namespace berth::image
