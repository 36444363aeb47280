// Registry routes: POST /images/create (pull; import is in image_routes.cc), POST /images/{name}/push,
// GET /distribution/{name}/json, POST /auth (docker login) and berth's /berth/v1/registry extension
// (docs/cli.md, "Registry API").
//
// Pull and push answer with Docker's JSON progress stream
// (application/json, one message per line, see api/progress.h). As in
// dockerd, an error before the first message is a plain HTTP error; an error
// after it is the stream's last line ({"errorDetail":…,"error":…}), which
// the docker CLI prints before exiting 1.

#include <atomic>
#include <boost/json.hpp>
#include <memory>

#include "api/progress.h"
#include "api/query.h"
#include "api/router.h"
#include "berth/io.h"
#include "berth/mutex.h"
#include "berth/reference.h"
#include "berth/registry.h"
#include "registry/client.h"

namespace berth::api {

namespace json = boost::json;

namespace {

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// The progress stream of one pull or push. Progress callbacks may arrive from
// several threads; writes are serialised here. After a failed write (client
// gone) nothing more is written and cancelled() turns true.
class ProgressStream {
 public:
  ProgressStream(const WriteFn* write, std::function<bool()> client_cancelled)
      : write_(write), client_cancelled_(std::move(client_cancelled)) {}

  void Send(const ProgressMessage& m) {
    MutexLock l(&mu_);
    if (!m.error.empty()) saw_error_ = true;
    if (StartsWith(m.status, "Digest: ")) saw_digest_ = true;
    if (StartsWith(m.status, "Status: ")) saw_status_ = true;
    if (!m.aux_digest.empty()) saw_aux_ = true;
    if (m.id.empty() && m.status.find(": digest: ") != std::string::npos) saw_push_digest_ = true;
    WriteLocked(RenderProgress(m));
  }
  // Plain {"status": …} line.
  void Status(const std::string& status) {
    ProgressMessage m;
    m.status = status;
    Send(m);
  }
  // The function the pull/push polls.
  std::function<bool()> CancelledFn() {
    return [this] { return failed_.load() || (client_cancelled_ && client_cancelled_()); };
  }
  // Ends the stream after `s` (the pull/push result): an HTTP error when
  // nothing was written yet, else an error line (once).
  berth::Status Finish(const berth::Status& s) {
    MutexLock l(&mu_);
    if (!s.ok()) {
      if (!wrote_) return s;
      if (!saw_error_) WriteLocked(RenderProgressError(s.message()));
      return write_status_;
    }
    if (!wrote_) {
      berth::Status ws = (*write_)("");
      if (!ws.ok()) return ws;
    }
    return write_status_;
  }

  bool saw_digest() {
    MutexLock l(&mu_);
    return saw_digest_;
  }
  bool saw_status() {
    MutexLock l(&mu_);
    return saw_status_;
  }
  bool saw_aux() {
    MutexLock l(&mu_);
    return saw_aux_;
  }
  bool saw_push_digest() {
    MutexLock l(&mu_);
    return saw_push_digest_;
  }

 private:
  void WriteLocked(const std::string& line) REQUIRES(mu_) {
    if (failed_.load()) return;
    berth::Status s = (*write_)(line);
    wrote_ = true;
    if (!s.ok()) {
      write_status_ = s;
      failed_.store(true);
    }
  }

  const WriteFn* write_;
  std::function<bool()> client_cancelled_;
  Mutex mu_;
  bool wrote_ GUARDED_BY(mu_) = false;
  bool saw_error_ GUARDED_BY(mu_) = false;
  bool saw_digest_ GUARDED_BY(mu_) = false;
  bool saw_status_ GUARDED_BY(mu_) = false;
  bool saw_aux_ GUARDED_BY(mu_) = false;
  bool saw_push_digest_ GUARDED_BY(mu_) = false;
  berth::Status write_status_ GUARDED_BY(mu_);
  std::atomic<bool> failed_{false};
};

std::string Base64(std::string_view in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v =
        (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8) | static_cast<uint8_t>(in[i + 2]);
    for (int k = 3; k >= 0; k--) out.push_back(kAlphabet[(v >> (6 * k)) & 63]);
  }
  if (i < in.size()) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<uint8_t>(in[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

// X-Registry-Auth; like dockerd, an undecodable header means "no
// credentials" rather than an error.
AuthConfig AuthFromHeader(const Request& req) {
  Result<AuthConfig> a = DecodeRegistryAuth(req.Header("X-Registry-Auth"));
  return a.ok() ? *a : AuthConfig{};
}

// POST /images/create?fromImage=…&tag=…&platform=os/arch[/variant]
Result<Response> CreateImage(RouteContext& ctx) {
  const Query& q = ctx.query;
  std::string from_image = q.Get("fromImage");
  if (from_image.empty()) {
    if (q.Has("fromSrc")) return ImportImage(ctx);
    return InvalidArgument("fromImage or fromSrc is required");
  }
  BERTH_RETURN_IF_ERROR(ctx.Images().status());
  PullOptions o;
  std::string platform = q.Get("platform");
  if (!platform.empty()) {
    BERTH_ASSIGN_OR_RETURN(Platform p, DecodePlatformOrSpecifier(platform));
    o.platform = std::move(p);
  }
  BERTH_ASSIGN_OR_RETURN(Reference ref, ParseNormalizedNamed(from_image));
  std::string tag = q.Get("tag");
  if (!tag.empty()) {
    Result<Digest> d = Digest::Parse(tag);
    if (d.ok()) {
      ref.tag.clear();
      ref.digest = *d;
    } else {
      BERTH_ASSIGN_OR_RETURN(ref, WithTag(std::move(ref), tag));
    }
  }
  // No tag at all (docker pull --all-tags, or an SDK call without one): the
  // "latest" tag; berth does not pull every tag of a repository.
  if (!ref.has_tag() && !ref.has_digest()) ref = TagNameOnly(std::move(ref));
  o.reference = ref.String();
  o.auth = AuthFromHeader(*ctx.req);
  std::string familiar = ref.Familiar();
  Store* store = ctx.store;
  RegistryConfig cfg = ctx.opts->registry;
  std::function<bool()> client_cancelled = ctx.req->cancelled;
  Response r;
  r.SetHeader("Content-Type", "application/json");
  r.stream = [store, cfg, o, familiar, client_cancelled](const WriteFn& write) mutable -> berth::Status {
    ProgressStream ps(&write, client_cancelled);
    o.cancelled = ps.CancelledFn();
    Result<PullResult> res = Pull(store, cfg, o, [&ps](const ProgressMessage& m) { ps.Send(m); });
    if (!res.ok()) return ps.Finish(res.status());
    if (!ps.saw_digest() && !res->target.empty()) ps.Status("Digest: " + res->target.str());
    if (!ps.saw_status()) {
      ps.Status(res->updated ? "Status: Downloaded newer image for " + familiar
                             : "Status: Image is up to date for " + familiar);
    }
    return ps.Finish(OkStatus());
  };
  return r;
}

// POST /images/{name}/push?tag=…&platform={json}
Result<Response> PushImage(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ImageService * images, ctx.Images());
  std::string name = ctx.Var("name");
  std::string tag = ctx.query.Get("tag");
  BERTH_ASSIGN_OR_RETURN(Reference ref, ParseNormalizedNamed(name));
  if (!tag.empty()) {
    BERTH_ASSIGN_OR_RETURN(ref, WithTag(std::move(ref), tag));
  }
  PushOptions o;
  o.name = name;
  o.tag = tag;
  if (ctx.AtLeast("1.46")) {
    BERTH_ASSIGN_OR_RETURN(o.platform, SinglePlatformParam(ctx.query));
  }
  // Credentials: the header; without one, the old JSON body form.
  if (!ctx.req->Header("X-Registry-Auth").empty()) {
    o.auth = AuthFromHeader(*ctx.req);
  } else if (!ctx.req->body.empty()) {
    Result<AuthConfig> a = DecodeRegistryAuth(Base64(ctx.req->body));
    if (!a.ok()) return InvalidArgument("bad parameters and missing X-Registry-Auth: " + a.status().message());
    o.auth = *a;
  }
  std::string local = TagNameOnly(ref).String();
  Result<ImageRecord> rec = images->Resolve(local);
  if (!rec.ok()) {
    if (rec.status().code() == Code::kNotFound) return NotFound("No such image: " + TagNameOnly(ref).Familiar());
    return rec.status();
  }
  std::string aux_tag = ref.has_tag() ? ref.tag : std::string(kDefaultTag);
  Store* store = ctx.store;
  RegistryConfig cfg = ctx.opts->registry;
  std::function<bool()> client_cancelled = ctx.req->cancelled;
  Response r;
  r.SetHeader("Content-Type", "application/json");
  r.stream = [store, cfg, o, aux_tag, client_cancelled](const WriteFn& write) mutable -> berth::Status {
    ProgressStream ps(&write, client_cancelled);
    o.cancelled = ps.CancelledFn();
    Result<PushResult> res = Push(store, cfg, o, [&ps](const ProgressMessage& m) { ps.Send(m); });
    if (!res.ok()) return ps.Finish(res.status());
    if (!ps.saw_push_digest()) {
      ps.Status(aux_tag + ": digest: " + res->digest.str() + " size: " + std::to_string(res->size));
    }
    if (!ps.saw_aux()) {
      ProgressMessage aux;
      aux.aux_tag = aux_tag;
      aux.aux_digest = res->digest;
      aux.aux_size = res->size;
      ps.Send(aux);
    }
    return ps.Finish(OkStatus());
  };
  return r;
}

// POST /berth/v1/registry/rm-platform?reference=name:tag&platform=P[&platform=P…]
// → {"OldDigest":…,"NewDigest":…,"RemovedManifests":[…]}. Needs no store.
Result<Response> RemovePlatforms(RouteContext& ctx) {
  std::string reference = ctx.query.Get("reference");
  if (reference.empty()) return InvalidArgument("reference is required");
  BERTH_ASSIGN_OR_RETURN(Reference ref, ParseNormalizedNamed(reference));
  if (ref.has_digest()) {
    return InvalidArgument(
        "cannot remove platforms from a digest reference: the tag would be left pointing at "
        "the old index");
  }
  std::vector<Platform> platforms;
  for (const auto& v : ctx.query.GetAll("platform")) {
    if (v.empty()) continue;
    BERTH_ASSIGN_OR_RETURN(Platform p, DecodePlatformOrSpecifier(v));
    platforms.push_back(std::move(p));
  }
  if (platforms.empty()) return InvalidArgument("at least one platform is required");
  BERTH_ASSIGN_OR_RETURN(RemovePlatformsResult res,
                         RemoveRemotePlatforms(ctx.opts->registry, reference, platforms, AuthFromHeader(*ctx.req)));
  json::object out;
  out["OldDigest"] = res.old_digest.str();
  out["NewDigest"] = res.new_digest.str();
  json::array removed;
  for (const auto& d : res.removed_manifests) removed.emplace_back(d.str());
  out["RemovedManifests"] = std::move(removed);
  return JsonResponse(200, json::serialize(out));
}

// The registry host a login's "serveraddress" names: "https://host:5000/v1/"
// and "host:5000" give "host:5000"; Docker Hub's names and "" give
// "docker.io".
std::string LoginDomain(std::string addr) {
  for (const char* scheme : {"https://", "http://"}) {
    if (StartsWith(addr, scheme)) addr = addr.substr(std::string_view(scheme).size());
  }
  addr = addr.substr(0, addr.find('/'));
  if (addr.empty() || addr == "index.docker.io" || addr == "registry-1.docker.io" || addr == "docker.io") {
    return "docker.io";
  }
  return addr;
}

// POST /auth {"username","password","serveraddress",…}: checks the
// credentials with GET /v2/ at the registry, as `docker login` asks.
Result<Response> Login(RouteContext& ctx) {
  boost::system::error_code ec;
  json::value v = json::parse(ctx.req->body, ec);
  if (ec || !v.is_object()) return InvalidArgument("invalid JSON in login request");
  auto str = [&](const char* key) -> std::string {
    const json::value* f = v.as_object().if_contains(key);
    return f != nullptr && f->is_string() ? std::string(f->as_string()) : std::string();
  };
  AuthConfig auth;
  auth.username = str("username");
  auth.password = str("password");
  auth.identity_token = str("identitytoken");
  auth.registry_token = str("registrytoken");
  auth.server_address = str("serveraddress");
  std::string domain = LoginDomain(auth.server_address);
  registry::Client client(ctx.opts->registry, auth, domain, "", false, ctx.req->cancelled);
  registry::Client::Request req;
  req.url_or_path = "/v2/";
  BERTH_ASSIGN_OR_RETURN(registry::Response resp, client.Do(req));
  // The endpoint as dockerd names it in its error (loopback registries are
  // plain HTTP; others are named by their HTTPS URL).
  std::string host = registry::RegistryHost(domain);
  std::string endpoint = (registry::IsLoopbackHost(host) ? "http://" : "https://") + host + "/v2/";
  if (resp.status == 401 || resp.status == 403) {
    // dockerd answers 401; berth's codes have no "unauthenticated", so 403.
    return PermissionDenied("login attempt to " + endpoint + " failed with status: " + std::to_string(resp.status) +
                            (resp.status == 401 ? " Unauthorized" : " Forbidden"));
  }
  if (resp.status != 200) {
    return Unavailable("login attempt to " + endpoint + " failed with status: " + std::to_string(resp.status));
  }
  json::object out;
  out["IdentityToken"] = "";
  out["Status"] = "Login Succeeded";
  return JsonResponse(200, json::serialize(out));
}

// GET /distribution/{name}/json: the registry's descriptor and platforms.
Result<Response> DistributionInspect(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(DistributionInfo info,
                         InspectDistribution(ctx.opts->registry, ctx.Var("name"), AuthFromHeader(*ctx.req)));
  json::object descriptor{{"mediaType", info.descriptor.media_type},
                          {"digest", info.descriptor.digest.str()},
                          {"size", info.descriptor.size}};
  json::value platforms = nullptr;
  if (info.platforms_known) {
    json::array list;
    for (const Platform& p : info.platforms) list.push_back(json::parse(PlatformToJson(p)));
    platforms = std::move(list);
  }
  json::object out{{"Descriptor", std::move(descriptor)}, {"Platforms", std::move(platforms)}};
  return JsonResponse(200, json::serialize(out));
}

}  // namespace

void AddRegistryRoutes(Router* r) {
  // The body is streamed: docker import sends the tarball (pull sends none).
  r->Add("POST", "/images/create", CreateImage, /*streams_body=*/true);
  r->Add("GET", "/distribution/{name:.*}/json", DistributionInspect);
  r->Add("POST", "/images/{name:.*}/push", PushImage);
  r->Add("POST", "/auth", Login);
  r->Add("POST", "/berth/v1/registry/rm-platform", RemovePlatforms);
}

}  // namespace berth::api
