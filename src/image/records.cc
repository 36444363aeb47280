// Image records and the content they keep.
//
// An image (all records sharing one target digest) is one GC root: it keeps
// its target blob and the platform manifests it retains (each with its config
// and layers, through the blob edges). The root exists while at least one
// record names the target.
#include <algorithm>
#include <chrono>
#include <set>

#include "image/service.h"

namespace berth::image {
namespace {

void DropNameLabels(std::map<std::string, std::string>& labels) {
  labels.erase(std::string(annotation::kContainerdImageName));
  labels.erase(std::string(annotation::kRefName));
}

// The config labels of the image's first platform, for event attributes.
void ConfigLabelsFor(ImageServiceImpl* svc, Tx& tx, const Descriptor& target,
                     std::map<std::string, std::string>* out) {
  auto manifests = svc->RetainedManifests(tx, target);
  if (!manifests.ok()) return;
  for (const auto& m : *manifests) {
    if (m.attestation) continue;
    auto cfg = svc->LoadConfig(m.config.digest);
    if (cfg.ok()) {
      *out = cfg->labels;
      break;
    }
  }
}

}  // namespace

Result<ManifestInfo> ImageServiceImpl::LoadManifest(const Descriptor& d) {
  {
    MutexLock lock(&cache_mu_);
    auto it = manifest_cache_.find(d.digest);
    if (it != manifest_cache_.end()) {
      ManifestInfo m = it->second;
      m.descriptor = d;
      if (d.platform) m.platform = Normalize(*d.platform);
      return m;
    }
  }
  BERTH_ASSIGN_OR_RETURN(std::string raw, content_->ReadAll(d.digest, kMaxManifestBytes));
  BERTH_ASSIGN_OR_RETURN(Manifest parsed, ParseManifest(std::move(raw), d.media_type));
  ManifestInfo m;
  m.digest = d.digest;
  m.descriptor = d;
  m.config = parsed.config;
  m.layers = parsed.layers;
  m.content_size = d.size + parsed.config.size;
  for (const auto& l : parsed.layers) m.content_size += l.size;
  m.attestation = IsAttestation(d);
  if (m.attestation) {
    auto it = d.annotations.find(std::string(annotation::kDockerReferenceDigest));
    if (it != d.annotations.end()) {
      auto ad = Digest::Parse(it->second);
      if (ad.ok()) m.attestation_for = *ad;
    }
    m.platform = Platform{"unknown", "unknown", "", "", {}};
  } else if (d.platform) {
    m.platform = Normalize(*d.platform);
  } else {
    auto cfg = LoadConfig(parsed.config.digest);
    if (cfg.ok()) m.platform = Normalize(cfg->platform);
  }
  MutexLock lock(&cache_mu_);
  manifest_cache_[d.digest] = m;
  return m;
}

Result<ImageConfig> ImageServiceImpl::LoadConfig(const Digest& d) {
  {
    MutexLock lock(&cache_mu_);
    auto it = config_cache_.find(d);
    if (it != config_cache_.end()) return it->second;
  }
  BERTH_ASSIGN_OR_RETURN(std::string raw, content_->ReadAll(d, kMaxConfigBytes));
  BERTH_ASSIGN_OR_RETURN(ImageConfig cfg, ParseImageConfig(std::move(raw)));
  MutexLock lock(&cache_mu_);
  config_cache_[d] = cfg;
  return cfg;
}

Result<Index> ImageServiceImpl::LoadIndex(const Descriptor& d) {
  {
    MutexLock lock(&cache_mu_);
    auto it = index_cache_.find(d.digest);
    if (it != index_cache_.end()) return it->second;
  }
  BERTH_ASSIGN_OR_RETURN(std::string raw, content_->ReadAll(d.digest, kMaxManifestBytes));
  BERTH_ASSIGN_OR_RETURN(Index index, ParseIndex(std::move(raw), d.media_type));
  index.raw.clear();
  index.raw.shrink_to_fit();
  MutexLock lock(&cache_mu_);
  index_cache_[d.digest] = index;
  return index;
}

Result<std::vector<ManifestInfo>> ImageServiceImpl::RetainedManifests(Tx& tx, const Descriptor& target) {
  BERTH_ASSIGN_OR_RETURN(auto refs, tx.RootRefs(RootKind::kImage, target.digest.str()));
  return ManifestsFromRefs(target, refs);
}

Result<std::vector<ManifestInfo>> ImageServiceImpl::ManifestsFromRefs(const Descriptor& target,
                                                                      const std::vector<Digest>& refs) {
  std::vector<ManifestInfo> out;
  if (IsManifestType(target.media_type)) {
    // A single-platform image keeps its manifest unless the platform was
    // removed (then the record stays, with nothing retained).
    if (std::find(refs.begin(), refs.end(), target.digest) == refs.end()) return out;
    BERTH_ASSIGN_OR_RETURN(auto m, LoadManifest(target));
    out.push_back(std::move(m));
    return out;
  }
  if (!IsIndexType(target.media_type)) {
    return Unimplemented("unsupported image target media type " + target.media_type);
  }
  std::unordered_set<Digest> retained(refs.begin(), refs.end());
  BERTH_ASSIGN_OR_RETURN(Index index, LoadIndex(target));
  for (const auto& d : index.manifests) {
    if (!retained.contains(d.digest) || !IsManifestType(d.media_type)) continue;
    BERTH_ASSIGN_OR_RETURN(auto m, LoadManifest(d));
    out.push_back(std::move(m));
  }
  return out;
}

Status ImageServiceImpl::RetainContent(Tx& tx, const Descriptor& target, const std::vector<Digest>& manifests) {
  auto require = [&](const Descriptor& d, std::string_view what) -> Status {
    if (!content_->Exists(d.digest)) {
      return FailedPrecondition("content missing for " + std::string(what) + " " + d.digest.str());
    }
    return OkStatus();
  };
  auto register_manifest = [&](const Descriptor& d) -> Status {
    BERTH_RETURN_IF_ERROR(require(d, "manifest"));
    BERTH_ASSIGN_OR_RETURN(auto m, LoadManifest(d));
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
  BERTH_ASSIGN_OR_RETURN(Index index, LoadIndex(target));
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

Status ImageServiceImpl::DeleteRecord(Tx& tx, const std::string& name, AfterCommit& after) {
  BERTH_ASSIGN_OR_RETURN(ImageRecord rec, tx.GetImage(name));
  BERTH_RETURN_IF_ERROR(tx.DeleteImage(name));
  BERTH_ASSIGN_OR_RETURN(auto rest, tx.ListImagesByTarget(rec.target.digest));
  if (rest.empty()) BERTH_RETURN_IF_ERROR(tx.RemoveRoot(RootKind::kImage, rec.target.digest.str()));
  return OkStatus();
}

Status ImageServiceImpl::EnsureDangling(Tx& tx, const ImageRecord& img) {
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

Status ImageServiceImpl::PutRecord(Tx& tx, ImageRecord record, ReplaceRule rule) {
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

Status ImageServiceImpl::CreateImages(const std::vector<NewImage>& images, ReplaceRule rule,
                                      const std::string& event_action) {
  auto start = std::chrono::steady_clock::now();
  BERTH_RETURN_IF_ERROR(UpdateAndCollect([&](Tx& tx, AfterCommit& after) -> Status {
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
        std::map<std::string, std::string> labels;
        ConfigLabelsFor(this, tx, img.target, &labels);
        const std::string id = img.target.digest.str();
        after.events.push_back(ImageEvent(event_action, id, id, labels));
      }
    }
    return OkStatus();
  }));
  if (!event_action.empty()) ObserveAction(event_action, start);
  return OkStatus();
}

Status ImageServiceImpl::Tag(const std::string& source, const std::string& target) {
  auto start = std::chrono::steady_clock::now();
  BERTH_ASSIGN_OR_RETURN(Reference ref, ParseNormalizedNamed(target));
  if (ref.has_digest()) return InvalidArgument("refusing to create a tag with a digest reference");
  if (ref.FamiliarName() == "sha256") {
    return InvalidArgument("refusing to create an ambiguous tag using digest algorithm as name");
  }
  ref = TagNameOnly(ref);
  BERTH_RETURN_IF_ERROR(UpdateAndCollect([&](Tx& tx, AfterCommit& after) -> Status {
    BERTH_ASSIGN_OR_RETURN(ImageRecord src, ResolveIn(tx, source));
    ImageRecord r{ref.String(), src.target, src.labels, 0, 0};
    DropNameLabels(r.labels);
    BERTH_RETURN_IF_ERROR(PutRecord(tx, r, ReplaceRule::kTag));
    std::map<std::string, std::string> labels;
    ConfigLabelsFor(this, tx, src.target, &labels);
    after.events.push_back(ImageEvent("tag", src.target.digest.str(), ref.Familiar(), labels));
    return OkStatus();
  }));
  ObserveAction("tag", start);
  return OkStatus();
}

Status ImageServiceImpl::PutContainer(const ContainerRecord& c) {
  return UpdateAndCollect([&](Tx& tx, AfterCommit&) -> Status {
    // A new container's images must still exist when its row is written:
    // a removal that committed since the caller resolved them may already be
    // deleting their files. In this transaction (the write lock), the check
    // and the root the container adds are one step: no removal comes between.
    Result<ContainerRecord> existing = tx.GetContainer(c.id);
    if (!existing.ok() && existing.status().code() != Code::kNotFound) return existing.status();
    if (!existing.ok()) BERTH_RETURN_IF_ERROR(CheckStillThere(tx, c));
    BERTH_RETURN_IF_ERROR(tx.PutContainer(c));
    // What the container held before stays held: a mounted image removed
    // by force no longer names its manifests, but the mount still uses them.
    BERTH_ASSIGN_OR_RETURN(std::vector<Digest> before, tx.RootRefs(RootKind::kContainer, c.id));
    std::set<Digest> held(before.begin(), before.end());
    BERTH_RETURN_IF_ERROR(tx.RemoveRoot(RootKind::kContainer, c.id));
    if (!c.image_manifest.empty()) {
      BERTH_ASSIGN_OR_RETURN(auto blob, tx.GetBlob(c.image_manifest));
      (void)blob;  // the manifest must be known: its edges keep config and layers
      held.insert(c.image_manifest);
    }
    // An image mount holds what the mounted image retains (the mount uses
    // one of those manifests), so a forced removal of that image cannot
    // take content from under the container.
    for (const Digest& mounted : c.image_mounts) {
      BERTH_ASSIGN_OR_RETURN(auto manifests, tx.RootRefs(RootKind::kImage, mounted.str()));
      held.insert(manifests.begin(), manifests.end());
    }
    for (const Digest& d : held) BERTH_RETURN_IF_ERROR(tx.AddRootRef(RootKind::kContainer, c.id, d));
    return OkStatus();
  });
}

Status ImageServiceImpl::CheckStillThere(Tx& tx, const ContainerRecord& c) {
  auto gone = [](const Digest& id) { return NotFound("No such image: " + id.str() + " (removed while in use)"); };
  BERTH_ASSIGN_OR_RETURN(auto records, tx.ListImagesByTarget(c.image_id));
  if (!c.image_id.empty() && records.empty()) return gone(c.image_id);
  if (!c.image_manifest.empty()) {
    Result<BlobRecord> blob = tx.GetBlob(c.image_manifest);
    if (!blob.ok() || blob->refs == 0) {
      return NotFound("the image's platform manifest " + c.image_manifest.str() + " is no longer in the store");
    }
  }
  for (const Digest& mounted : c.image_mounts) {
    BERTH_ASSIGN_OR_RETURN(auto mounted_records, tx.ListImagesByTarget(mounted));
    if (mounted_records.empty()) return gone(mounted);
  }
  return OkStatus();
}

Status ImageServiceImpl::DeleteContainer(const std::string& id) {
  return UpdateAndCollect([&](Tx& tx, AfterCommit&) -> Status {
    BERTH_RETURN_IF_ERROR(tx.RemoveRoot(RootKind::kContainer, id));
    return tx.DeleteContainer(id);
  });
}

}  // namespace berth::image
