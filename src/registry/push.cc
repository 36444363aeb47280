// docker push over the distribution API.
//
// Decisions:
//   * The platform manifests pushed are those the local image keeps (its
//     root refs); index entries missing locally are skipped and reported
//     ("Skipping platforms not present locally: …"), and the index pushed
//     then lists only the present ones (other fields kept), so its digest
//     differs from the local one.
//   * With PushOptions::platform the strictly matching platform manifest is
//     pushed alone under the tag.
//   * Blobs the registry has are not uploaded ("Layer already exists").
//     A missing blob that another local image of the same registry (a
//     record named <same domain>/<other path>) holds is mounted from that
//     repository first ("Mounted from <path>"); when the registry does not
//     mount it (it never had it there), it is uploaded (monolithic PUT from
//     the content store file).
//   * Configs are pushed without progress messages; layers report
//     "Preparing", "Pushing" (current/total), "Pushed".
#include <boost/json.hpp>

#include <set>

#include "berth/reference.h"
#include "berth/registry.h"
#include "registry/client.h"
#include "registry/util.h"

namespace berth {

namespace registry {

Result<std::string> FilterIndex(const std::string& raw, const std::vector<Digest>& keep) {
  namespace json = boost::json;
  boost::system::error_code ec;
  json::value v = json::parse(raw, ec);
  if (ec || !v.is_object()) return InvalidArgument("malformed index");
  json::value* ms = v.get_object().if_contains("manifests");
  if (ms == nullptr || !ms->is_array()) return InvalidArgument("index without manifests");
  json::array kept;
  std::set<std::string> want;
  for (const Digest& d : keep) want.insert(d.str());
  for (json::value& m : ms->get_array()) {
    if (!m.is_object()) continue;
    const json::value* d = m.get_object().if_contains("digest");
    if (d != nullptr && d->is_string() && want.count(std::string(d->get_string()))) kept.push_back(m);
  }
  *ms = std::move(kept);
  return json::serialize(v);
}

}  // namespace registry

namespace {

using registry::Client;
using registry::Progress;
using registry::Response;

constexpr int64_t kProgressStep = 512 * 1024;

Status PushError(const std::string& what, const Response& r) {
  std::string text = registry::RegistryErrorText(r.body);
  if (r.status == 401 || r.status == 403) {
    return PermissionDenied(text.empty() ? "unauthorized: authentication required" : text);
  }
  return Unavailable(what + ": HTTP " + std::to_string(r.status) + (text.empty() ? "" : ": " + text));
}

class Pusher {
 public:
  Pusher(Store* store, const RegistryConfig& cfg, const PushOptions& opts, const ProgressFn& fn, Reference ref)
      : store_(store), cfg_(cfg), opts_(opts), progress_(fn), ref_(std::move(ref)),
        client_(cfg, opts.auth, ref_.domain, ref_.path, true, opts.cancelled) {}

  Result<PushResult> Run() {
    Result<ImageRecord> rec = store_->images()->Resolve(ref_.String());
    if (!rec.ok()) {
      if (rec.status().code() == Code::kNotFound) {
        return NotFound("An image does not exist locally with the tag: " + ref_.FamiliarName());
      }
      return rec.status();
    }
    progress_.Send("", "The push refers to repository [" + ref_.Name() + "]");
    const Descriptor& target = rec->target;
    PushResult out;
    // What to push: the manifests, and the document the tag points at.
    std::vector<Descriptor> manifests;
    Descriptor top = target;
    std::string top_body;
    if (IsManifestType(target.media_type)) {
      manifests.push_back(target);
      BERTH_ASSIGN_OR_RETURN(top_body, store_->blobs()->ReadAll(target.digest, kMaxManifestBytes));
      if (opts_.platform) {
        BERTH_ASSIGN_OR_RETURN(Manifest m, ParseManifest(top_body, target.media_type));
        BERTH_ASSIGN_OR_RETURN(std::string cfg_raw, store_->blobs()->ReadAll(m.config.digest, kMaxConfigBytes));
        BERTH_ASSIGN_OR_RETURN(ImageConfig cfg, ParseImageConfig(std::move(cfg_raw)));
        if (!OnlyStrict(*opts_.platform)->Match(cfg.platform)) return NoPlatform();
      }
    } else if (IsIndexType(target.media_type)) {
      BERTH_ASSIGN_OR_RETURN(std::string raw, store_->blobs()->ReadAll(target.digest, kMaxManifestBytes));
      BERTH_ASSIGN_OR_RETURN(Index index, ParseIndex(raw, target.media_type));
      BERTH_ASSIGN_OR_RETURN(std::vector<Digest> refs, store_->images()->RetainedBy(target.digest));
      std::set<Digest> kept(refs.begin(), refs.end());
      std::vector<Digest> present;
      for (const Descriptor& c : index.manifests) {
        bool have = kept.count(c.digest) && IsManifestType(c.media_type) && store_->blobs()->Exists(c.digest);
        if (opts_.platform) {
          if (!have || IsAttestation(c) || !c.platform || !OnlyStrict(*opts_.platform)->Match(*c.platform)) continue;
          manifests = {c};
          break;
        }
        if (have) {
          manifests.push_back(c);
          present.push_back(c.digest);
        } else if (!IsAttestation(c) && c.platform) {
          out.skipped_platforms.push_back(*c.platform);
        }
      }
      if (opts_.platform) {
        if (manifests.empty()) return NoPlatform();
        top = manifests[0];
        BERTH_ASSIGN_OR_RETURN(top_body, store_->blobs()->ReadAll(top.digest, kMaxManifestBytes));
        top.platform.reset();
        top.annotations.clear();
        manifests.clear();
        manifests.push_back(top);
      } else if (present.empty()) {
        return FailedPrecondition("none of the platforms of " + ref_.Familiar() + " is present locally");
      } else if (out.skipped_platforms.empty()) {
        top_body = std::move(raw);
      } else {
        std::string names;
        for (const Platform& p : out.skipped_platforms) names += (names.empty() ? "" : ", ") + FormatPlatform(p);
        progress_.Send("", "Skipping platforms not present locally: " + names);
        BERTH_ASSIGN_OR_RETURN(top_body, registry::FilterIndex(raw, present));
        top.digest = Digest::Of(top_body);
        top.size = static_cast<int64_t>(top_body.size());
      }
    } else {
      return InvalidArgument("unsupported image media type " + target.media_type);
    }
    BERTH_RETURN_IF_ERROR(FindMountSources());
    BERTH_RETURN_IF_ERROR(PushBlobs(manifests));
    // Platform manifests by digest, then the tag.
    bool single = IsManifestType(top.media_type);
    if (!single) {
      for (const Descriptor& m : manifests) {
        BERTH_ASSIGN_OR_RETURN(std::string body, store_->blobs()->ReadAll(m.digest, kMaxManifestBytes));
        BERTH_ASSIGN_OR_RETURN(Response r, client_.PutManifest(m.digest.str(), m.media_type, body));
        if (r.status != 201 && r.status != 200) return PushError("pushing manifest " + m.digest.str(), r);
      }
    }
    BERTH_ASSIGN_OR_RETURN(Response r, client_.PutManifest(ref_.tag, top.media_type, top_body));
    if (r.status != 201 && r.status != 200) return PushError("pushing manifest for " + ref_.Familiar(), r);
    out.digest = top.digest;
    out.size = static_cast<int64_t>(top_body.size());
    progress_.Send("", ref_.tag + ": digest: " + out.digest.str() + " size: " + std::to_string(out.size));
    ProgressMessage aux;
    aux.aux_tag = ref_.tag;
    aux.aux_digest = out.digest;
    aux.aux_size = out.size;
    progress_.SendMessage(aux);
    Event e;
    e.type = "image";
    e.action = "push";
    e.actor_id = ref_.Familiar();
    e.attributes["name"] = ref_.FamiliarName();
    e.time_unix_nanos = store_->env()->NowUnixNanos();
    store_->events()->Publish(std::move(e));
    return out;
  }

 private:
  // Which other repository of this registry may hold each blob, from the
  // local image records.
  Status FindMountSources() {
    std::set<std::string> paths;
    ImageService* images = store_->images();
    BERTH_ASSIGN_OR_RETURN(std::vector<ImageRecord> recs, images->Records());
    for (const ImageRecord& rec : recs) {
      Result<Reference> r = ParseNamed(rec.name);
      if (!r.ok() || r->domain != ref_.domain || r->path == ref_.path) continue;
      BERTH_ASSIGN_OR_RETURN(std::vector<Digest> roots, images->RetainedBy(rec.target.digest));
      for (const Digest& m : roots) {
        BERTH_ASSIGN_OR_RETURN(std::vector<Digest> children, images->ChildrenOf(m));
        for (const Digest& c : children) {
          if (mount_from_.emplace(c, r->path).second) paths.insert(r->path);
        }
      }
    }
    for (const std::string& p : paths) client_.AddScope("repository:" + p + ":pull");
    return OkStatus();
  }

  Status NoPlatform() {
    return NotFound("image " + ref_.Familiar() + " has no manifest for platform " + FormatPlatform(*opts_.platform) +
                    " present locally");
  }

  Status PushBlobs(const std::vector<Descriptor>& manifests) {
    struct Item {
      Descriptor d;
      bool layer;
    };
    std::vector<Item> items;
    std::set<Digest> seen;
    for (const Descriptor& md : manifests) {
      BERTH_ASSIGN_OR_RETURN(std::string raw, store_->blobs()->ReadAll(md.digest, kMaxManifestBytes));
      BERTH_ASSIGN_OR_RETURN(Manifest m, ParseManifest(std::move(raw), md.media_type));
      for (auto it = m.layers.rbegin(); it != m.layers.rend(); ++it) {
        if (IsNonDistributableLayer(it->media_type) && !it->urls.empty()) continue;
        if (seen.insert(it->digest).second) items.push_back({*it, true});
      }
      if (seen.insert(m.config.digest).second) items.push_back({m.config, false});
    }
    for (const Item& i : items) {
      if (i.layer) progress_.Send(i.d.digest.Short(), "Preparing");
    }
    int workers = std::max(1, cfg_.max_concurrent_uploads);
    return registry::RunParallel(workers, items.size(), [&](size_t n) -> Status {
      const Item& i = items[n];
      if (opts_.cancelled && opts_.cancelled()) return Cancelled("context canceled");
      const std::string id = i.layer ? i.d.digest.Short() : "";
      BERTH_ASSIGN_OR_RETURN(bool exists, client_.BlobExists(i.d.digest));
      if (exists) {
        if (!id.empty()) progress_.Send(id, "Layer already exists");
        return OkStatus();
      }
      if (auto from = mount_from_.find(i.d.digest); from != mount_from_.end()) {
        BERTH_ASSIGN_OR_RETURN(bool mounted, client_.MountBlob(i.d.digest, from->second));
        if (mounted) {
          if (!id.empty()) progress_.Send(id, "Mounted from " + from->second);
          return OkStatus();
        }
      }
      BERTH_ASSIGN_OR_RETURN(BlobInfo info, store_->blobs()->Info(i.d.digest));
      int64_t last = 0;
      auto progress = [&](int64_t sent) {
        if (id.empty()) return;
        if (sent - last >= kProgressStep || sent == info.size) {
          last = sent;
          progress_.Send(id, "Pushing", sent, info.size);
        }
      };
      BERTH_RETURN_IF_ERROR(
          client_.UploadBlob(i.d.digest, store_->blobs()->BlobPath(i.d.digest), info.size, progress));
      if (!id.empty()) progress_.Send(id, "Pushed");
      return OkStatus();
    });
  }

  Store* store_;
  const RegistryConfig& cfg_;
  const PushOptions& opts_;
  Progress progress_;
  Reference ref_;
  Client client_;
  std::map<Digest, std::string> mount_from_;
};

}  // namespace

Result<PushResult> Push(Store* store, const RegistryConfig& cfg, const PushOptions& opts, const ProgressFn& progress) {
  BERTH_ASSIGN_OR_RETURN(Reference ref, ParseNormalizedNamed(opts.name));
  if (ref.has_digest()) return InvalidArgument("cannot push a digest reference");
  if (!opts.tag.empty()) {
    BERTH_ASSIGN_OR_RETURN(ref, WithTag(std::move(ref), opts.tag));
  }
  ref = TagNameOnly(std::move(ref));
  Pusher p(store, cfg, opts, progress, std::move(ref));
  return p.Run();
}

}  // namespace berth
