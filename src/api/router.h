// Routing: method + path pattern -> handler. Patterns are '/'-separated
// segments; "{name}" matches one segment, "{name:.*}" one or more segments
// (so names may contain '/', ':' and '@'), taking the longest run that still
// lets the rest of the pattern match ("/images/{name:.*}/json" on
// "/images/a/b/json" gives name "a/b"). Routes are tried in the order added.
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/query.h"
#include "berth/api.h"

namespace berth::api {

// Everything a handler gets.
struct RouteContext {
  Request* req = nullptr;
  Query query;
  std::string version;  // effective API version ("1.50" when unprefixed)
  std::map<std::string, std::string> vars;
  Store* store = nullptr;  // may be null
  const ApiOptions* opts = nullptr;

  std::string Var(const std::string& name) const {
    auto it = vars.find(name);
    return it == vars.end() ? std::string() : it->second;
  }
  // True if the request's API version is at least `v`.
  bool AtLeast(std::string_view v) const { return CompareVersions(version, v) >= 0; }
  // The image service, or Internal when no store is attached.
  Result<ImageService*> Images() const;
  // The container service, or Internal when the daemon has none.
  Result<ContainerService*> Containers() const;
};

// A handler's error becomes ErrorResponse(status).
using Handler = std::function<Result<Response>(RouteContext&)>;

class Router {
 public:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
    bool streams_body = false;
  };
  struct Match {
    const Route* route = nullptr;
    std::map<std::string, std::string> vars;
  };

  void Add(std::string method, std::string pattern, Handler handler, bool streams_body = false);
  // The first route matching method and (decoded, unversioned) path;
  // route == nullptr when none does.
  Match Find(std::string_view method, std::string_view path) const;

 private:
  std::vector<Route> routes_;
};

// Builds a JSON response: `json_text` plus "\n" (as Go's json.Encoder), with
// Content-Type application/json.
Response JsonResponse(int status, std::string json_text);

void AddSystemRoutes(Router* r);
void AddImageRoutes(Router* r);
void AddContainerRoutes(Router* r);  // container_routes.cc
void AddExecRoutes(Router* r);       // exec_routes.cc: docker exec
void AddContainerArchiveRoutes(Router* r);  // container_archive_routes.cc: docker cp, export
void AddContainerStatsRoutes(Router* r);  // container_stats_routes.cc: docker stats
void AddContainerOpsRoutes(Router* r);  // container_ops_routes.cc: rename, pause, top, diff, update
void AddNetworkRoutes(Router* r);    // network_routes.cc: GET /networks, /networks/{id}
void AddRegistryRoutes(Router* r);   // registry_routes.cc: pull, push, /berth/v1/registry
void AddWhyRoutes(Router* r);        // why_routes.cc: /berth/v1/images/{name}/why
void AddSwarmRoutes(Router* r);      // swarm_routes.cc: answered as a dockerd in no swarm
void AddBuildRoutes(Router* r);      // build_routes.cc: POST /build (the classic builder)
void AddBuildCacheRoutes(Router* r); // build_cache_routes.cc: POST /build/prune
void AddVolumeRoutes(Router* r);     // volume_routes.cc: /volumes
// A volume as the API shows it; with `usage`, its UsageData (system df).
boost::json::object VolumeValue(const VolumeInfo& v, VolumeService* usage);

// POST /images/create with fromSrc (docker import; image_routes.cc): the
// registry routes' CreateImage hands it over.
Result<Response> ImportImage(RouteContext& ctx);

}  // namespace berth::api
