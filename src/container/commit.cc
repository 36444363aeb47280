// Image side of containers: choosing and loading the platform manifest,
// unpacking it, committing a container as a new image, sweeping snapshots.
#include <boost/json.hpp>
#include <chrono>

#include "berth/reference.h"
#include "berth/time.h"
#include "container/internal.h"

namespace berth::container {

namespace json = boost::json;

Result<std::pair<Manifest, ImageConfig>> ContainerServiceImpl::LoadImage(const Digest& manifest) {
  BlobReader* cs = store_->blobs();
  BERTH_ASSIGN_OR_RETURN(std::string raw, cs->ReadAll(manifest, kMaxManifestBytes));
  BERTH_ASSIGN_OR_RETURN(Manifest m, ParseManifest(std::move(raw)));
  BERTH_ASSIGN_OR_RETURN(std::string craw, cs->ReadAll(m.config.digest, kMaxConfigBytes));
  BERTH_ASSIGN_OR_RETURN(ImageConfig c, ParseImageConfig(std::move(craw)));
  return std::make_pair(std::move(m), std::move(c));
}

Result<ImageProcess> ContainerServiceImpl::ImageProcessOf(const Digest& manifest) {
  {
    MutexLock l(&cache_mu_);
    if (auto it = proc_cache_.find(manifest); it != proc_cache_.end()) return it->second;
  }
  BERTH_ASSIGN_OR_RETURN(auto mc, LoadImage(manifest));
  BERTH_ASSIGN_OR_RETURN(ImageProcess p, ParseImageProcess(mc.second.raw));
  MutexLock l(&cache_mu_);
  proc_cache_[manifest] = p;
  return p;
}

Result<PreparedLayers> ContainerServiceImpl::PrepareImage(const Digest& manifest) {
  BERTH_ASSIGN_OR_RETURN(auto mc, LoadImage(manifest));
  const auto& layers = mc.first.layers;
  const auto& diffs = mc.second.diff_ids;
  if (layers.size() != diffs.size()) {
    return InvalidArgument("image manifest " + manifest.str() + " has " + std::to_string(layers.size()) +
                           " layers but its config names " + std::to_string(diffs.size()) + " diff IDs");
  }
  std::vector<LayerSpec> specs;
  for (size_t i = 0; i < layers.size(); ++i) specs.push_back(LayerSpec{layers[i], diffs[i]});
  return snaps_->Prepare(specs);
}

Result<Descriptor> ContainerServiceImpl::PickManifest(const ImageRecord& img, const std::string& ref,
                                                      const std::optional<Platform>& platform) {
  const Descriptor& t = img.target;
  auto not_provided = [&] {
    return NotFound("image with reference " + ref + " was found but does not provide the specified platform (" +
                    FormatPlatform(Normalize(*platform)) + ")");
  };
  auto none_provided = [&] {
    return NotFound("image with reference " + ref + " was found but does not provide any platform");
  };
  BERTH_ASSIGN_OR_RETURN(std::vector<Digest> retained, store_->images()->RetainedBy(t.digest));
  if (IsManifestType(t.media_type)) {
    // A single-platform image whose platform was removed retains nothing.
    if (std::find(retained.begin(), retained.end(), t.digest) == retained.end()) {
      return platform ? not_provided() : none_provided();
    }
    if (platform) {
      BERTH_ASSIGN_OR_RETURN(auto mc, LoadImage(t.digest));
      if (!Only(*platform)->Match(Normalize(mc.second.platform))) return not_provided();
    }
    return t;
  }
  if (!IsIndexType(t.media_type)) return InvalidArgument("unsupported image media type " + t.media_type);
  BERTH_ASSIGN_OR_RETURN(std::string raw, store_->blobs()->ReadAll(t.digest, kMaxManifestBytes));
  BERTH_ASSIGN_OR_RETURN(Index idx, ParseIndex(std::move(raw), t.media_type));
  std::unique_ptr<PlatformMatcher> matcher = platform ? Only(*platform) : AllWithPreference(HostPlatform());
  const Descriptor* best = nullptr;
  for (const auto& d : idx.manifests) {
    if (IsAttestation(d) || !IsManifestType(d.media_type) || !d.platform) continue;
    if (std::find(retained.begin(), retained.end(), d.digest) == retained.end()) continue;
    if (!matcher->Match(*d.platform)) continue;
    if (!best || matcher->Less(*d.platform, *best->platform)) best = &d;
  }
  if (!best) return platform ? not_provided() : none_provided();
  return *best;
}

Result<Digest> ContainerServiceImpl::HostManifestOf(const Digest& image_id) {
  BERTH_ASSIGN_OR_RETURN(ImageRecord img, store_->images()->Resolve(image_id.str()));
  BERTH_ASSIGN_OR_RETURN(Descriptor d, PickManifest(img, image_id.str(), std::nullopt));
  return d.digest;
}

namespace {

json::value StringsOrNull(const std::vector<std::string>& v) {
  if (v.empty()) return nullptr;
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

}  // namespace

Result<bool> ContainerServiceImpl::PauseForCommit(const ContainerRecord& rec, bool pause) {
  if (!pause || rec.state != ContainerState::kRunning) return false;
  Status s = runtime_->Pause(rec.id);
  // It exited meanwhile: nothing runs that could change the upper directory.
  if (s.code() == Code::kFailedPrecondition) return false;
  if (!s.ok()) return Status(s.code(), "pause container " + rec.id + " for commit: " + s.message());
  return true;
}

Result<Digest> ContainerServiceImpl::Commit(const CommitOptions& opts) {
  auto t0 = std::chrono::steady_clock::now();
  BERTH_ASSIGN_OR_RETURN(auto c, Find(opts.container));
  MutexLock op(c->op_mu.get());
  ContainerRecord rec;
  ContainerConfig cfg;
  {
    MutexLock l(&mu_);
    rec = c->rec;
    cfg = c->stored.config;
  }
  std::string name;
  if (!opts.repo.empty()) {
    BERTH_ASSIGN_OR_RETURN(Reference ref, ParseNormalizedNamed(opts.repo));
    if (ref.has_digest()) return InvalidArgument("invalid reference format");
    if (!opts.tag.empty()) {
      BERTH_ASSIGN_OR_RETURN(ref, WithTag(ref, opts.tag));
    } else {
      ref = TagNameOnly(ref);
    }
    name = ref.String();
  } else if (!opts.tag.empty()) {
    return InvalidArgument("invalid reference format");
  }
  BERTH_ASSIGN_OR_RETURN(auto mc, LoadImage(rec.image_manifest));
  BERTH_ASSIGN_OR_RETURN(ImageProcess proc, ImageProcessOf(rec.image_manifest));
  Effective e = Merge(cfg, proc);

  // The new config: the parent's, with the container's process settings,
  // the changes, one more diff ID and history entry.
  json::object root;
  try {
    json::value v = json::parse(mc.second.raw);
    if (v.is_object()) root = v.as_object();
  } catch (const std::exception& ex) {
    return InvalidArgument(std::string("invalid image config: malformed JSON: ") + ex.what());
  }
  json::object conf;
  if (auto* x = root.if_contains("config"); x && x->is_object()) conf = x->as_object();
  conf["Cmd"] = StringsOrNull(e.cmd);
  conf["Entrypoint"] = StringsOrNull(e.entrypoint);
  conf["Env"] = StringsOrNull(e.env);
  conf["WorkingDir"] = e.working_dir;
  conf["User"] = e.user;
  if (!e.labels.empty()) {
    json::object labels;
    for (const auto& [k, v] : e.labels) labels[k] = v;
    conf["Labels"] = std::move(labels);
  }
  BERTH_ASSIGN_OR_RETURN(std::string changed, ApplyChanges(json::serialize(conf), opts.changes));

  const std::string upper = Dir(rec.id) + "/upper";
  BERTH_RETURN_IF_ERROR(store_->env()->CreateDirs(upper, 0755));
  auto lease = store_->images()->NewIngestLease();
  BERTH_ASSIGN_OR_RETURN(auto writer, lease->NewWriter());
  // With pause (Docker's default) the container's processes are frozen while
  // the upper directory is read, so the layer is one consistent state and
  // nothing in the container changes the tree under the walk.
  BERTH_ASSIGN_OR_RETURN(bool paused, PauseForCommit(rec, opts.pause));
  Result<LayerDiff> diff = DiffUpperDir(upper, [&](std::string_view d) { return writer->Write(d); });
  if (paused) {
    Status resumed = runtime_->Resume(rec.id);
    if (!resumed.ok()) {
      return Status(resumed.code(), "resume container " + rec.id + " after commit: " + resumed.message());
    }
  }
  BERTH_RETURN_IF_ERROR(diff.status());
  BERTH_ASSIGN_OR_RETURN(Digest layer, lease->Commit(*writer, diff->size, diff->diff_id));

  root["config"] = json::parse(changed);
  json::array diff_ids;
  for (const auto& d : mc.second.diff_ids) diff_ids.emplace_back(d.str());
  diff_ids.emplace_back(diff->diff_id.str());
  root["rootfs"] = json::object{{"type", "layers"}, {"diff_ids", std::move(diff_ids)}};
  std::string now = FormatRfc3339Nanos(store_->env()->NowUnixNanos());
  json::array history;
  if (auto* x = root.if_contains("history"); x && x->is_array()) history = x->as_array();
  json::object entry{{"created", now}, {"created_by", ""}};
  if (!opts.author.empty()) entry["author"] = opts.author;
  if (!opts.comment.empty()) entry["comment"] = opts.comment;
  history.push_back(std::move(entry));
  root["history"] = std::move(history);
  root["created"] = now;
  if (!opts.author.empty()) {
    root["author"] = opts.author;
  } else {
    root.erase("author");
  }
  root.erase("container");
  root.erase("container_config");
  std::string config_bytes = json::serialize(root);
  BERTH_ASSIGN_OR_RETURN(Digest config_digest, lease->Put(config_bytes));

  json::array layers;
  for (const auto& l : mc.first.layers) layers.push_back(json::parse(DescriptorToJson(l)));
  Descriptor nl;
  nl.media_type = std::string(media_type::kOciLayer);
  nl.digest = layer;
  nl.size = diff->size;
  layers.push_back(json::parse(DescriptorToJson(nl)));
  json::object man{{"schemaVersion", 2},
                   {"mediaType", std::string(media_type::kOciManifest)},
                   {"config", json::object{{"mediaType", std::string(media_type::kOciConfig)},
                                           {"digest", config_digest.str()},
                                           {"size", static_cast<int64_t>(config_bytes.size())}}},
                   {"layers", std::move(layers)}};
  std::string manifest_bytes = json::serialize(man);
  BERTH_ASSIGN_OR_RETURN(Digest manifest_digest, lease->Put(manifest_bytes));

  NewImage ni;
  ni.name = name;
  ni.target.media_type = std::string(media_type::kOciManifest);
  ni.target.digest = manifest_digest;
  ni.target.size = static_cast<int64_t>(manifest_bytes.size());
  ni.labels[std::string(kParentLabel)] = rec.image_id.str();
  BERTH_RETURN_IF_ERROR(store_->images()->CreateImages({ni}, ReplaceRule::kTag, ""));

  std::string familiar = name.empty() ? std::string() : FamiliarString(name);
  {
    MutexLock l(&mu_);
    std::map<std::string, std::string> attrs{{"comment", opts.comment}, {"imageID", manifest_digest.str()}};
    if (!familiar.empty()) attrs["imageRef"] = familiar;
    Emit(*c, "commit", std::move(attrs));
  }
  if (!familiar.empty()) {
    Event ev;
    ev.type = "image";
    ev.action = "tag";
    ev.actor_id = manifest_digest.str();
    ev.attributes = e.labels;
    ev.attributes["name"] = familiar;
    store_->events()->Publish(std::move(ev));
  }
  store_->metrics()->ObserveImageAction("container_commit",
                                        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return manifest_digest;
}

Result<int> ContainerServiceImpl::SweepSnapshots() {
  MutexLock sweep(&sweep_mu_);
  // No snapshot, nothing to sweep: an image removal in a store whose
  // containers never started (or are all gone) costs no scan of the roots.
  BERTH_ASSIGN_OR_RETURN(std::vector<Digest> present, snaps_->List());
  if (present.empty()) return 0;
  BERTH_ASSIGN_OR_RETURN(std::set<Digest> manifests, store_->images()->RetainedByAnyImage());
  BERTH_ASSIGN_OR_RETURN(std::vector<ContainerRecord> rows, store_->images()->Containers());
  for (const auto& c : rows) {
    if (!c.image_manifest.empty()) manifests.insert(c.image_manifest);
  }
  std::vector<Digest> mounts;
  {
    MutexLock l(&mu_);
    for (const auto& [id, c] : ctrs_) {
      if (!c->rec.image_manifest.empty()) manifests.insert(c->rec.image_manifest);
      mounts.insert(mounts.end(), c->rec.image_mounts.begin(), c->rec.image_mounts.end());
    }
  }
  for (const auto& m : mounts) {
    if (auto d = HostManifestOf(m); d.ok()) manifests.insert(*d);
  }
  std::set<Digest> keep;
  for (const auto& m : manifests) {
    auto it = chain_cache_.find(m);
    if (it == chain_cache_.end()) {
      std::vector<Digest> chains;
      auto raw = store_->blobs()->ReadAll(m, kMaxManifestBytes);
      if (!raw.ok()) continue;  // absent: nothing to keep (not cached: may come back)
      if (IsManifestType(DetectMediaType(*raw))) {
        auto mc = LoadImage(m);
        if (!mc.ok()) continue;
        std::vector<Digest> prefix;
        for (const auto& d : mc->second.diff_ids) {
          prefix.push_back(d);
          chains.push_back(ChainId(prefix));
        }
      }
      it = chain_cache_.emplace(m, std::move(chains)).first;
    }
    keep.insert(it->second.begin(), it->second.end());
  }
  return snaps_->Sweep(keep);
}

}  // namespace berth::container
