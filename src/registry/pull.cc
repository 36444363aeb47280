// docker pull over the distribution API.
//
// Decisions:
//   * The index of a multi-platform image is kept whole; one platform
//     manifest (the best match of Only(platform), Docker's pull rule) is
//     fetched with its config and layers. A later pull of another platform of
//     the same index adds that manifest to the same image root.
//   * Every blob goes through the ingest lease (Commit verifies size and
//     digest). Blobs already in the content store are held, not fetched.
//   * When a pull fails after content was committed, the content is moved
//     into a persistent metadata lease ("pull-<hex>", label
//     berth.pull.reference=<name>) expiring after lease_expiry_seconds, so
//     a repeated pull reuses it. A successful pull of the same name drops
//     those leases; every pull drops expired pull leases (their blobs go to
//     gc_pending and are deleted at the next collection or store open).
//     A blob whose download broke off is not kept: the next pull fetches it
//     again from byte 0 (within one pull, Range requests resume it).
//   * Progress follows dockerd's containerd image store: "<tag>: Pulling
//     from <path>" (id = the full reference for digest pulls); when some
//     layer is missing, "Pulling fs layer" for every layer, "Already exists"
//     for present ones, "Downloading" (current/total) and "Download complete"
//     for fetched ones; no message for configs and manifests; when every
//     layer is present, no layer message at all. No layer is unpacked here,
//     so there is no "Extracting": each fetched layer ends "Pull complete"
//     once all are in. "Status: Downloaded newer image" when the name's
//     target changed (or the name is new), else "Image is up to date" (also
//     when another platform of the same index was added, as in dockerd).
//   * 401/403 on the manifest: NotFound "pull access denied for NAME,
//     repository does not exist or may require 'docker login'" (dockerd
//     reports it as not found).
#include <boost/json.hpp>

#include <chrono>
#include <random>
#include <set>

#include "berth/log.h"
#include "berth/reference.h"
#include "berth/registry.h"
#include "registry/client.h"
#include "registry/util.h"

namespace berth {

namespace {

using registry::Client;
using registry::Progress;
using registry::Response;

constexpr const char* kPullLeaseLabel = "berth.pull.reference";
constexpr int64_t kProgressStep = 512 * 1024;

std::string RandomHex(int bytes) {
  std::random_device rd;
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < bytes; i++) {
    unsigned v = rd() & 0xff;
    out += hex[v >> 4];
    out += hex[v & 15];
  }
  return out;
}

std::string MediaTypeOf(const Response& r) {
  std::string ct = r.Header("content-type");
  size_t semi = ct.find(';');
  if (semi != std::string::npos) ct = ct.substr(0, semi);
  while (!ct.empty() && ct.back() == ' ') ct.pop_back();
  if (IsIndexType(ct) || IsManifestType(ct) || IsSchema1Type(ct)) return ct;
  return DetectMediaType(r.body);
}

// IngestLease is not thread-safe; parallel downloads share it through this.
class SharedLease {
 public:
  explicit SharedLease(std::unique_ptr<IngestLease> l) : lease_(std::move(l)) {}
  Result<std::unique_ptr<ContentWriter>> NewWriter() {
    MutexLock lock(&mu_);
    return lease_->NewWriter();
  }
  Result<Digest> Commit(ContentWriter& w, int64_t size, const Digest& d) {
    MutexLock lock(&mu_);
    BERTH_ASSIGN_OR_RETURN(Digest got, lease_->Commit(w, size, d));
    held_.push_back(got);
    return got;
  }
  Result<Digest> Put(std::string_view data, const Digest& d) {
    MutexLock lock(&mu_);
    BERTH_ASSIGN_OR_RETURN(Digest got, lease_->Put(data, d));
    held_.push_back(got);
    return got;
  }
  void Add(const Digest& d) {
    MutexLock lock(&mu_);
    lease_->Add(d);
    held_.push_back(d);
  }
  std::vector<Digest> held() {
    MutexLock lock(&mu_);
    return held_;
  }

 private:
  Mutex mu_;
  const std::unique_ptr<IngestLease> lease_ PT_GUARDED_BY(mu_);
  std::vector<Digest> held_ GUARDED_BY(mu_);
};

// Drops pull leases that expired, and those of `name` when it is non-empty.
void DropPullLeases(Store* store, const std::string& name) {
  int64_t now = store->env()->NowUnixNanos();
  auto dropped = store->images()->DeleteLeases([&](const LeaseRecord& l) {
    if (l.id.rfind("pull-", 0) != 0) return false;
    auto it = l.labels.find(kPullLeaseLabel);
    bool mine = !name.empty() && it != l.labels.end() && it->second == name;
    bool expired = l.expires_unix_nanos != 0 && l.expires_unix_nanos <= now;
    return mine || expired;
  });
  LogIfError(dropped.status(), "drop pull leases" + (name.empty() ? std::string() : " of " + name));
}

// Keeps what a failed pull committed under an expiring lease.
void KeepPullLease(Store* store, const RegistryConfig& cfg, const std::string& name, const std::vector<Digest>& held) {
  if (held.empty()) return;
  LeaseRecord l;
  l.id = "pull-" + RandomHex(16);
  l.created_unix_nanos = store->env()->NowUnixNanos();
  l.expires_unix_nanos = l.created_unix_nanos + cfg.lease_expiry_seconds * 1000000000LL;
  l.labels[kPullLeaseLabel] = name;
  LogIfError(store->images()->PutLease(l, held), "keep what the failed pull of " + name + " committed under lease " + l.id);
}

class Puller {
 public:
  Puller(Store* store, const RegistryConfig& cfg, const PullOptions& opts, const ProgressFn& fn, Reference ref)
      : store_(store), cfg_(cfg), opts_(opts), progress_(fn), ref_(std::move(ref)),
        client_(cfg, opts.auth, ref_.domain, ref_.path, false, opts.cancelled) {}

  Result<PullResult> Run() {
    DropPullLeases(store_, "");
    const std::string fetch_ref = ref_.has_digest() ? ref_.digest->str() : ref_.tag;
    BERTH_ASSIGN_OR_RETURN(Response r, client_.GetManifest(fetch_ref));
    if (r.status != 200) return ManifestError(r);
    progress_.Send(ref_.has_digest() ? ref_.String() : ref_.tag, "Pulling from " + ref_.path);
    Digest got = Digest::Of(r.body);
    if (ref_.has_digest() && got != *ref_.digest) {
      return InvalidArgument("manifest verification failed for digest " + ref_.digest->str());
    }
    std::string header = r.Header("docker-content-digest");
    if (!ref_.has_digest() && !header.empty() && header != got.str()) {
      return InvalidArgument("manifest digest mismatch for " + ref_.Familiar() + ": the registry says " + header +
                             ", the content hashes to " + got.str());
    }
    Descriptor target{MediaTypeOf(r), got, static_cast<int64_t>(r.body.size()), {}, {}, {}, {}};
    BERTH_RETURN_IF_ERROR(CheckDocumentSize(target, kMaxManifestBytes, "manifest"));
    if (IsSchema1Type(target.media_type)) {
      return Unimplemented("schema 1 manifests are not supported: " + target.media_type);
    }
    if (!IsIndexType(target.media_type) && !IsManifestType(target.media_type)) {
      return InvalidArgument("unsupported manifest media type " + target.media_type);
    }
    lease_ = std::make_unique<SharedLease>(store_->images()->NewIngestLease());
    Result<PullResult> res = Fetch(target, std::move(r.body));
    if (!res.ok()) KeepPullLease(store_, cfg_, ref_.String(), lease_->held());
    lease_.reset();  // content of a failed pull without a kept lease is removed here
    return res;
  }

 private:
  Status Check() {
    if (opts_.cancelled && opts_.cancelled()) return Cancelled("context canceled");
    return OkStatus();
  }

  Status ManifestError(const Response& r) {
    std::string text = registry::RegistryErrorText(r.body);
    if (r.status == 404) {
      return NotFound("manifest for " + ref_.Familiar() + " not found: " +
                      (text.empty() ? "manifest unknown: manifest unknown" : text));
    }
    if (r.status == 401 || r.status == 403) {
      return NotFound("pull access denied for " + ref_.FamiliarName() +
                      ", repository does not exist or may require 'docker login'");
    }
    return Unavailable("unexpected status from GET request to " + client_.host() + "/v2/" + ref_.path +
                       "/manifests/: " + std::to_string(r.status) + (text.empty() ? "" : ": " + text));
  }

  // Fetches a blob into the store through the lease, verifying it.
  Status FetchBlob(const Descriptor& d, const std::string& id) {
    BERTH_RETURN_IF_ERROR(Check());
    BERTH_ASSIGN_OR_RETURN(std::unique_ptr<ContentWriter> w, lease_->NewWriter());
    int64_t last = 0;
    auto restart = [&]() -> Status {
      BERTH_ASSIGN_OR_RETURN(w, lease_->NewWriter());
      last = 0;
      return OkStatus();
    };
    // A registry that sends more than the descriptor says is cut off at once,
    // not after it has filled the disk.
    auto write = [&](std::string_view data) -> Status {
      if (w->written() + static_cast<int64_t>(data.size()) > d.size) {
        return InvalidArgument("blob " + d.digest.str() + " is larger than its descriptor's " + std::to_string(d.size) +
                               " bytes");
      }
      return w->Write(data);
    };
    auto progress = [&](int64_t n) {
      if (id.empty()) return;
      if (n - last >= kProgressStep || n == d.size) {
        last = n;
        progress_.Send(id, "Downloading", n, d.size);
      }
    };
    BERTH_RETURN_IF_ERROR(client_.FetchBlob(d.digest, write, restart, progress));
    Result<Digest> c = lease_->Commit(*w, d.size, d.digest);
    if (!c.ok()) {
      if (c.status().code() != Code::kInvalidArgument) return c.status();
      return InvalidArgument("failed to verify " + d.digest.str() + ": " + c.status().message());
    }
    if (!id.empty()) progress_.Send(id, "Download complete");
    return OkStatus();
  }

  // A small document by digest: from the store if present, else fetched.
  Result<std::string> Document(const Descriptor& d, bool manifest) {
    BERTH_RETURN_IF_ERROR(CheckDocumentSize(d, manifest ? kMaxManifestBytes : kMaxConfigBytes,
                                            manifest ? "manifest" : "config"));
    lease_->Add(d.digest);
    if (store_->blobs()->Exists(d.digest)) return store_->blobs()->ReadAll(d.digest, manifest ? kMaxManifestBytes : kMaxConfigBytes);
    if (manifest) {
      BERTH_ASSIGN_OR_RETURN(Response r, client_.GetManifest(d.digest.str()));
      if (r.status != 200) return ManifestError(r);
      if (r.body.size() > static_cast<size_t>(d.size)) {
        return InvalidArgument("manifest " + d.digest.str() + " is larger than its descriptor's " +
                               std::to_string(d.size) + " bytes");
      }
      if (Digest::Of(r.body) != d.digest) return InvalidArgument("manifest verification failed for digest " + d.digest.str());
      BERTH_RETURN_IF_ERROR(lease_->Put(r.body, d.digest).status());
      return std::move(r.body);
    }
    BERTH_RETURN_IF_ERROR(FetchBlob(d, ""));
    return store_->blobs()->ReadAll(d.digest, manifest ? kMaxManifestBytes : kMaxConfigBytes);
  }

  Result<PullResult> Fetch(const Descriptor& target, std::string body) {
    BERTH_RETURN_IF_ERROR(lease_->Put(body, target.digest).status());
    Platform want = opts_.platform ? *opts_.platform : HostPlatform();
    std::unique_ptr<PlatformMatcher> matcher = Only(want);
    Descriptor mdesc = target;
    std::string mbody = std::move(body);
    std::vector<Digest> index_manifests;
    if (IsIndexType(target.media_type)) {
      BERTH_ASSIGN_OR_RETURN(Index index, ParseIndex(mbody, target.media_type));
      const Descriptor* best = nullptr;
      for (const Descriptor& c : index.manifests) {
        index_manifests.push_back(c.digest);
        if (!IsManifestType(c.media_type) || IsAttestation(c) || !c.platform) continue;
        if (!matcher->Match(*c.platform)) continue;
        if (best == nullptr || matcher->Less(*c.platform, *best->platform)) best = &c;
      }
      if (best == nullptr) {
        return NotFound("no matching manifest for " + FormatPlatformAll(want) +
                        " in the manifest list entries: no match for platform in manifest: not found");
      }
      mdesc = *best;
      BERTH_ASSIGN_OR_RETURN(mbody, Document(mdesc, true));
    }
    BERTH_ASSIGN_OR_RETURN(Manifest m, ParseManifest(mbody, mdesc.media_type));
    BERTH_ASSIGN_OR_RETURN(std::string cfg_raw, Document(m.config, false));
    if (!IsIndexType(target.media_type) && opts_.platform) {
      Result<ImageConfig> cfg = ParseImageConfig(cfg_raw);
      if (cfg.ok() && !matcher->Match(cfg->platform)) {
        return NotFound("image with reference " + ref_.Familiar() + " was found but its platform (" +
                        FormatPlatform(Normalize(cfg->platform)) + ") does not match the specified platform (" +
                        FormatPlatform(want) + ")");
      }
    }
    // Layers: present ones are held, the rest fetched in parallel.
    std::vector<const Descriptor*> to_fetch, present;
    std::set<Digest> seen;
    for (const Descriptor& l : m.layers) {
      if (!seen.insert(l.digest).second) continue;
      lease_->Add(l.digest);
      (store_->blobs()->Exists(l.digest) ? present : to_fetch).push_back(&l);
    }
    if (!to_fetch.empty()) {
      for (const Descriptor& l : m.layers) progress_.Send(l.digest.Short(), "Pulling fs layer");
      for (const Descriptor* l : present) progress_.Send(l->digest.Short(), "Already exists");
    }
    int workers = std::max(1, cfg_.max_concurrent_downloads);
    BERTH_RETURN_IF_ERROR(registry::RunParallel(workers, to_fetch.size(), [&](size_t i) {
      return FetchBlob(*to_fetch[i], to_fetch[i]->digest.Short());
    }));
    BERTH_RETURN_IF_ERROR(Check());
    for (const Descriptor* l : to_fetch) progress_.Send(l->digest.Short(), "Pull complete");
    return Record(target, mdesc, index_manifests);
  }

  Result<PullResult> Record(const Descriptor& target, const Descriptor& mdesc,
                            const std::vector<Digest>& index_manifests) {
    const std::string name = ref_.String();
    NewImage img{name, target, {}, {}};
    bool updated = true;
    {
      std::vector<Digest> kept;
      if (!index_manifests.empty()) {
        BERTH_ASSIGN_OR_RETURN(kept, store_->images()->RetainedBy(target.digest));
      }
      std::set<Digest> in_index(index_manifests.begin(), index_manifests.end());
      for (const Digest& d : kept) {
        if (in_index.count(d)) img.manifests.push_back(d);
      }
      bool had_manifest = index_manifests.empty() ||
                          std::find(kept.begin(), kept.end(), mdesc.digest) != kept.end();
      if (!had_manifest) img.manifests.push_back(mdesc.digest);
      Result<ImageRecord> existing = store_->images()->RecordNamed(name);
      if (!existing.ok() && existing.status().code() != Code::kNotFound) return existing.status();
      updated = !(existing.ok() && existing->target.digest == target.digest);
    }
    BERTH_RETURN_IF_ERROR(Check());
    BERTH_RETURN_IF_ERROR(store_->images()->CreateImages({img}, ReplaceRule::kPull, ""));
    DropPullLeases(store_, name);
    Event e;
    e.type = "image";
    e.action = "pull";
    e.actor_id = ref_.Familiar();
    e.attributes["name"] = ref_.FamiliarName();
    e.time_unix_nanos = store_->env()->NowUnixNanos();
    store_->events()->Publish(std::move(e));
    progress_.Send("", "Digest: " + target.digest.str());
    progress_.Send("", std::string(updated ? "Status: Downloaded newer image for " : "Status: Image is up to date for ") +
                           ref_.Familiar());
    PullResult out;
    out.name = name;
    out.target = target.digest;
    out.platform_manifest = mdesc.digest;
    out.updated = updated;
    return out;
  }

  Store* store_;
  const RegistryConfig& cfg_;
  const PullOptions& opts_;
  Progress progress_;
  Reference ref_;
  Client client_;
  std::unique_ptr<SharedLease> lease_;
};

}  // namespace

Result<PullResult> Pull(Store* store, const RegistryConfig& cfg, const PullOptions& opts, const ProgressFn& progress) {
  BERTH_ASSIGN_OR_RETURN(Reference ref, ParseNormalizedNamed(opts.reference));
  if (ref.has_digest()) ref.tag.clear();  // a digest wins over a tag, as in Docker
  ref = TagNameOnly(std::move(ref));
  Puller p(store, cfg, opts, progress, std::move(ref));
  return p.Run();
}

}  // namespace berth
