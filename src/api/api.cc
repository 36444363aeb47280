// Api: request dispatch, version checks, error mapping.

#include <exception>

#include "api/query.h"
#include "api/router.h"
#include "berth/url_escape.h"
#include "berth/api.h"
#include "berth/io.h"

namespace berth::api {

struct Api::Impl {
  Store* store = nullptr;
  ApiOptions opts;
  Router router;

  // Splits the target and finds the route; error responses for a bad path.
  struct Parsed {
    std::string version;
    std::string path;
    std::string raw_query;
  };
  static Result<Parsed> ParseTarget(std::string_view target) {
    Parsed p;
    size_t q = target.find('?');
    std::string_view raw_path = target.substr(0, q);
    if (q != std::string_view::npos) p.raw_query = std::string(target.substr(q + 1));
    // Strip a fragment, should a client send one.
    size_t hash = p.raw_query.find('#');
    if (hash != std::string::npos) p.raw_query.resize(hash);
    BERTH_ASSIGN_OR_RETURN(std::string path, UrlUnescape(raw_path, false));
    auto [version, rest] = SplitVersionPrefix(path);
    p.version = std::move(version);
    p.path = std::move(rest);
    return p;
  }

  Response Dispatch(Request& req) const {
    Result<Parsed> parsed = ParseTarget(req.target);
    if (!parsed.ok()) return ErrorResponse(parsed.status());
    Router::Match m = router.Find(req.method, parsed->path);
    if (m.route == nullptr) return ErrorResponse(NotFound("page not found"));
    std::string route = req.method + " " + m.route->pattern;
    auto fail = [&](const Status& s) {
      Response r = ErrorResponse(s);
      r.route = route;
      return r;
    };
    RouteContext ctx;
    ctx.req = &req;
    ctx.store = store;
    ctx.opts = &opts;
    ctx.vars = std::move(m.vars);
    if (parsed->version.empty()) {
      ctx.version = std::string(kApiVersion);
    } else {
      Status s = CheckApiVersion(parsed->version, kMinApiVersion, kApiVersion);
      if (!s.ok()) return fail(s);
      ctx.version = parsed->version;
    }
    Result<Query> q = Query::Parse(parsed->raw_query);
    if (!q.ok()) return fail(q.status());
    ctx.query = std::move(q).value();
    Result<Response> r = m.route->handler(ctx);
    if (!r.ok()) return fail(r.status());
    Response out = std::move(r).value();
    out.route = route;
    return out;
  }
};

Api::Api(Store* store, ApiOptions opts) : impl_(std::make_unique<Impl>()) {
  impl_->store = store;
  impl_->opts = std::move(opts);
  AddSystemRoutes(&impl_->router);
  AddImageRoutes(&impl_->router);
  AddContainerRoutes(&impl_->router);
  AddExecRoutes(&impl_->router);
  AddContainerArchiveRoutes(&impl_->router);
  AddContainerOpsRoutes(&impl_->router);
  AddContainerStatsRoutes(&impl_->router);
  AddNetworkRoutes(&impl_->router);
  AddRegistryRoutes(&impl_->router);
  AddWhyRoutes(&impl_->router);
  AddSwarmRoutes(&impl_->router);
  AddVolumeRoutes(&impl_->router);
  AddBuildRoutes(&impl_->router);
  AddBuildCacheRoutes(&impl_->router);
}

Api::~Api() = default;

Store* Api::store() const { return impl_->store; }

Response Api::Handle(Request& req) const {
  Response resp;
  try {
    resp = impl_->Dispatch(req);
  } catch (const std::exception& e) {
    resp = ErrorResponse(Internal(std::string("internal error: ") + e.what()));
  } catch (...) {
    resp = ErrorResponse(Internal("internal error"));
  }
  if (resp.stream) {
    // No exception may escape into the server's threads.
    StreamFn inner = std::move(resp.stream);
    resp.stream = [inner = std::move(inner)](const WriteFn& write) -> Status {
      try {
        return inner(write);
      } catch (const std::exception& e) {
        return Internal(std::string("internal error: ") + e.what());
      } catch (...) {
        return Internal("internal error");
      }
    };
  }
  AddCommonHeaders(&resp);
  return resp;
}

bool Api::StreamsRequestBody(std::string_view method, std::string_view target) const {
  Result<Impl::Parsed> parsed = Impl::ParseTarget(target);
  if (!parsed.ok()) return false;
  Router::Match m = impl_->router.Find(method, parsed->path);
  return m.route != nullptr && m.route->streams_body;
}

}  // namespace berth::api
