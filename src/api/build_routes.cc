// POST /build: Docker's classic builder (api/server/router/build with
// builder/dockerfile). The body is the build context (a tar, plain or
// compressed); the answer is a JSON message stream. As dockerd does, an
// error before anything was written (bad query, bad context, Dockerfile
// parse errors, a missing base image) is a plain HTTP error; once the
// stream began an error ends it with an errorDetail line.
#include <boost/json.hpp>
#include <charconv>
#include <cstring>
#include <memory>
#include <random>

#include "api/progress.h"
#include "api/query.h"
#include "api/render.h"
#include "api/router.h"
#include "berth/base64.h"
#include "berth/builder.h"
#include "berth/go_strconv.h"
#include "berth/mutex.h"
#include "berth/network_service.h"
#include "berth/reference.h"
#include "berth/registry.h"

namespace berth::api {

namespace json = boost::json;

namespace {

// A JSON-list or JSON-object parameter counts as unset when empty or
// "null", "[]", "{}".
bool JsonParamSet(const std::string& v) { return !v.empty() && v != "null" && v != "[]" && v != "{}"; }

// The parameters of ImageBuildOptions berth's builder does not implement:
// each is refused when it carries anything but its default.
Status RefuseUnsupported(const Query& q) {
  auto refuse = [](const std::string& name, const std::string& why) {
    return InvalidArgument("build parameter \"" + name + "\" is not supported by berth's builder" +
                           (why.empty() ? "" : ": " + why));
  };
  for (const char* name : {"remote", "cpusetcpus", "cpusetmems", "cgroupparent", "securityopt", "session"}) {
    for (const auto& v : q.GetAll(name)) {
      if (!v.empty()) return refuse(name, "");
    }
  }
  for (const char* name : {"memory", "memswap", "cpushares", "cpuperiod", "cpuquota"}) {
    std::string v = q.Get(name);
    if (!v.empty() && v != "0") return refuse(name, "");
  }
  for (const char* name : {"outputs", "ulimits"}) {
    if (JsonParamSet(q.Get(name))) return refuse(name, "");
  }
  if (q.Bool("squash")) return refuse("squash", "");
  if (std::string v = q.Get("isolation"); !v.empty() && v != "default") return refuse("isolation", "");
  if (std::string v = q.Get("version"); !v.empty() && v != "1") {
    return refuse("version", "BuildKit (version=" + v + ") is not available; use the classic builder (version=1)");
  }
  return OkStatus();
}

Result<builder::BuildOptions> ParseBuildOptions(RouteContext& ctx) {
  const Query& q = ctx.query;
  BERTH_RETURN_IF_ERROR(RefuseUnsupported(q));
  builder::BuildOptions o;
  if (std::string d = q.Get("dockerfile"); !d.empty()) o.dockerfile = d;
  for (const auto& t : q.GetAll("t")) {
    if (t.empty()) continue;
    BERTH_ASSIGN_OR_RETURN(Reference ref, ParseNormalizedNamed(t));
    if (ref.has_digest()) return InvalidArgument("build tag cannot contain a digest");
    o.tags.push_back(TagNameOnly(std::move(ref)).String());
  }
  o.target = q.Get("target");
  o.no_cache = q.Bool("nocache");
  o.force_remove = q.Bool("forcerm");
  o.remove = o.force_remove || !q.Has("rm") || q.Get("rm").empty() || q.Bool("rm");
  std::string network = q.Get("networkmode");
  if (network.starts_with("container:")) {
    return InvalidArgument("build parameter \"networkmode\" " + network +
                           " is not supported by berth's builder (default, bridge, none, host or a network's name)");
  }
  if (!network.empty() && network != "default" && network != "none" && network != "host" && network != "bridge") {
    // A user-defined network: it must exist now (Docker's step would fail).
    if (ctx.opts == nullptr || ctx.opts->network == nullptr) return Internal("no network service attached");
    BERTH_RETURN_IF_ERROR(ctx.opts->network->FindNetwork(network).status());
  }
  o.network_mode = network;
  // Docker's strconv.ParseInt of shmsize; the size a step container gets.
  if (std::string s = q.Get("shmsize"); !s.empty()) {
    BERTH_ASSIGN_OR_RETURN(const int64_t size, GoParseInt(s, 64));
    if (size < 0) return InvalidArgument("SHM size can not be less than 0");
    o.shm_size = size;
  }
  for (const auto& h : q.GetAll("extrahosts")) {
    if (!h.empty()) o.extra_hosts.push_back(h);
  }
  {
    ContainerNetworkConfig hosts;
    hosts.extra_hosts = o.extra_hosts;
    BERTH_RETURN_IF_ERROR(ValidateNetworkConfig(hosts));
  }
  if (std::string p = q.Get("platform"); !p.empty() && ctx.AtLeast("1.32")) {
    BERTH_ASSIGN_OR_RETURN(Platform plat, ParsePlatform(p));
    if (!Only(HostPlatform())->Match(Normalize(plat))) {
      return InvalidArgument("build parameter \"platform\" " + p + ": berth builds for the host's platform only (" +
                             FormatPlatform(HostPlatform()) + ")");
    }
  }
  try {
    if (std::string a = q.Get("buildargs"); !a.empty()) {
      json::value v = json::parse(a);
      if (!v.is_null()) {
        if (!v.is_object()) return InvalidArgument("error reading build args: not a JSON object");
        for (const auto& [k, val] : v.as_object()) {
          if (val.is_null()) {
            o.build_args[std::string(k)] = std::nullopt;
          } else if (val.is_string()) {
            o.build_args[std::string(k)] = std::string(val.as_string());
          } else {
            return InvalidArgument("error reading build args: value of " + std::string(k) + " is not a string");
          }
        }
      }
    }
    // cachefrom: a JSON list of image references (Docker's route reads it so).
    if (std::string c = q.Get("cachefrom"); !c.empty()) {
      boost::system::error_code ec;
      json::value v = json::parse(c, ec);
      if (ec) return InvalidArgument("error reading cachefrom: " + ec.message());
      if (!v.is_null()) {
        if (!v.is_array()) return InvalidArgument("error reading cachefrom: not a JSON list");
        for (const auto& ref : v.as_array()) {
          if (!ref.is_string()) return InvalidArgument("error reading cachefrom: an element is not a string");
          o.cache_from.emplace_back(ref.as_string());
        }
      }
    }
    if (std::string l = q.Get("labels"); !l.empty()) {
      json::value v = json::parse(l);
      if (!v.is_null()) {
        if (!v.is_object()) return InvalidArgument("error reading labels: not a JSON object");
        for (const auto& [k, val] : v.as_object()) {
          if (!val.is_string())
            return InvalidArgument("error reading labels: value of " + std::string(k) + " is not a string");
          o.labels[std::string(k)] = std::string(val.as_string());
        }
      }
    }
  } catch (const std::exception& ex) {
    return InvalidArgument(std::string("error reading build options: ") + ex.what());
  }
  return o;
}

// The credentials X-Registry-Config (base64 of a JSON object of
// AuthConfigs by registry: "https://index.docker.io/v1/", "host:port")
// holds for the registry of `ref`; none when it has none. Malformed:
// InvalidArgument.
Result<AuthConfig> BuildAuthFor(const std::string& header, const Reference& ref) {
  if (header.empty()) return AuthConfig{};
  Result<std::string> raw = Base64Decode(header);
  if (!raw.ok()) return InvalidArgument("invalid X-Registry-Config header: not base64");
  json::value v;
  try {
    v = json::parse(*raw);
  } catch (const std::exception& ex) {
    return InvalidArgument(std::string("invalid X-Registry-Config header: ") + ex.what());
  }
  if (v.is_null()) return AuthConfig{};
  if (!v.is_object()) return InvalidArgument("invalid X-Registry-Config header: not a JSON object");
  auto host_of = [](std::string key) {
    for (std::string_view scheme : {"https://", "http://"}) {
      if (key.starts_with(scheme)) key = key.substr(scheme.size());
    }
    key = key.substr(0, key.find('/'));
    return key == "index.docker.io" || key == "registry-1.docker.io" ? std::string(kDefaultDomain) : key;
  };
  for (const auto& [key, entry] : v.as_object()) {
    if (host_of(std::string(key)) != ref.domain) continue;
    return DecodeRegistryAuth(Base64Encode(json::serialize(entry)));
  }
  return AuthConfig{};
}

// `docker build --pull` of one FROM image, as Docker's builder pulls it:
// the pull's progress lines (and its "Digest:"/"Status:" lines) go to
// `emit`; progress from the pull's threads is serialised here.
Status PullBaseImage(Store* store, const RegistryConfig& registry, const std::string& registry_config,
                     const std::string& image, const std::function<bool()>& cancelled,
                     const std::function<Status(std::string)>& emit) {
  BERTH_ASSIGN_OR_RETURN(Reference ref, ParseNormalizedNamed(image));
  if (!ref.has_tag() && !ref.has_digest()) ref = TagNameOnly(std::move(ref));
  PullOptions o;
  o.reference = ref.String();
  BERTH_ASSIGN_OR_RETURN(o.auth, BuildAuthFor(registry_config, ref));
  Mutex mu;
  Status emitted;
  bool saw_digest = false, saw_status = false;
  auto send = [&](const ProgressMessage& m) {
    MutexLock l(&mu);
    if (m.status.starts_with("Digest: ")) saw_digest = true;
    if (m.status.starts_with("Status: ")) saw_status = true;
    if (emitted.ok()) emitted = emit(RenderProgress(m));
  };
  o.cancelled = [&] {
    MutexLock l(&mu);
    return !emitted.ok() || (cancelled && cancelled());
  };
  Result<PullResult> pulled = Pull(store, registry, o, send);
  BERTH_RETURN_IF_ERROR(pulled.status());
  ProgressMessage tail;
  if (!saw_digest && !pulled->target.empty()) {
    tail.status = "Digest: " + pulled->target.str();
    send(tail);
  }
  if (!saw_status) {
    tail.status =
        (pulled->updated ? "Status: Downloaded newer image for " : "Status: Image is up to date for ") + ref.Familiar();
    send(tail);
  }
  MutexLock l(&mu);
  return emitted;
}

// 16 random hex characters: the name of a build's private directory.
std::string RandomHex() {
  std::random_device rd;
  char out[17];
  std::snprintf(out, sizeof out, "%08x%08x", rd(), rd());
  return out;
}

// POST /build
Result<Response> PostBuild(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ImageService * images, ctx.Images());
  (void)images;
  BERTH_ASSIGN_OR_RETURN(ContainerService * containers, ctx.Containers());
  BERTH_ASSIGN_OR_RETURN(builder::BuildOptions opts, ParseBuildOptions(ctx));
  const bool quiet = ctx.query.Bool("q");
  // The server keeps the request's cancelled function usable while the
  // stream runs.
  opts.cancelled = ctx.req->cancelled;
  Store* store = ctx.store;
  const RegistryConfig registry = ctx.opts->registry;
  const std::string registry_config = ctx.req->Header("X-Registry-Config");
  const bool pull = ctx.query.Bool("pull");
  ReadFn reader = ctx.req->body_reader;
  if (!reader) {
    auto body = std::make_shared<const std::string>(std::move(ctx.req->body));
    auto pos = std::make_shared<size_t>(0);
    reader = [body, pos](char* buf, size_t n) -> Result<size_t> {
      size_t k = std::min(n, body->size() - *pos);
      std::memcpy(buf, body->data() + *pos, k);
      *pos += k;
      return k;
    };
  }
  Response r;
  r.SetHeader("Content-Type", "application/json");
  r.stream = [store, containers, reader, opts, quiet, registry, registry_config,
              pull](const WriteFn& write) mutable -> Status {
    const std::string dir = builder::BuildsDir(store->root()) + "/" + RandomHex();
    Env* env = store->env();
    BERTH_RETURN_IF_ERROR(env->CreateDirs(builder::BuildsDir(store->root()), 0700));
    BERTH_RETURN_IF_ERROR(env->CreateDirs(dir + "/work", 0700));
    struct Cleanup {
      Env* env;
      std::string dir;
      ~Cleanup() { (void)env->RemoveAll(dir); }
    } cleanup{env, dir};
    BERTH_ASSIGN_OR_RETURN(std::unique_ptr<builder::BuildContext> context,
                           builder::BuildContext::Read(reader, dir, {opts.dockerfile, ".dockerignore"}));
    // Whatever follows the archive is read too (the client's body must end).
    char sink[4096];
    for (;;) {
      BERTH_ASSIGN_OR_RETURN(size_t n, reader(sink, sizeof sink));
      if (n == 0) break;
    }
    bool written = false;
    std::string quiet_buffer;
    builder::BuildOutput out;
    out.stream = [&](std::string_view text) -> Status {
      if (text.empty()) return OkStatus();
      std::string line = GoHtmlEscape(StreamLine(text));
      if (quiet) {
        quiet_buffer += line;
        return OkStatus();
      }
      written = true;
      return write(line);
    };
    out.aux = [&](const Digest& id) -> Status {
      json::object o{{"aux", json::object{{"ID", id.str()}}}};
      written = true;
      return write(json::serialize(o) + "\n");
    };
    int run_exit_code = 0;  // a failed RUN's, for errorDetail.code
    out.run_failed = [&](int code) { run_exit_code = code; };
    if (pull) {
      opts.pull = [&](const std::string& image) -> Status {
        return PullBaseImage(store, registry, registry_config, image, opts.cancelled, [&](std::string line) {
          if (quiet) {
            quiet_buffer += line;
            return OkStatus();
          }
          written = true;
          return write(line);
        });
      };
    }
    Result<Digest> built =
        builder::Build(builder::BuildRoles::Of(store), containers, context.get(), dir + "/work", opts, out);
    if (!built.ok()) {
      if (!written) return built.status();
      if (quiet) BERTH_RETURN_IF_ERROR(write(quiet_buffer));
      return write(RenderProgressError(built.status().message(), run_exit_code));
    }
    if (quiet) return write(GoHtmlEscape(StreamLine(built->str() + "\n")));
    return OkStatus();
  };
  return r;
}

}  // namespace

void AddBuildRoutes(Router* r) { r->Add("POST", "/build", PostBuild, /*streams_body=*/true); }

}  // namespace berth::api
