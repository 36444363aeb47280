// Swarm mode over the Engine API. berth is a single-host engine and never
// joins a swarm, so it answers these routes as a dockerd that is not part of
// one does: clients that probe for a swarm (`docker node ls`, the SDK's
// swarm helpers, `docker swarm leave` in test teardown) get Docker's 503 and
// its text instead of a 404 they do not expect. Creating or joining a swarm
// is refused by name (501): berth does not implement swarm mode.
#include "api/router.h"

namespace berth::api {

namespace {

// What dockerd answers to a manager-only request when it is in no swarm.
constexpr const char* kNotManager =
    "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to "
    "swarm and try again.";
// What dockerd answers to `swarm leave` when it is in no swarm.
constexpr const char* kNotInSwarm = "This node is not part of a swarm";

Result<Response> NotManager(RouteContext&) { return Unavailable(kNotManager); }
Result<Response> NotInSwarm(RouteContext&) { return Unavailable(kNotInSwarm); }
Result<Response> NoSwarmMode(RouteContext&) {
  return Unimplemented("berth does not support swarm mode (docker swarm init and docker swarm join)");
}

}  // namespace

void AddSwarmRoutes(Router* r) {
  r->Add("POST", "/swarm/init", NoSwarmMode);
  r->Add("POST", "/swarm/join", NoSwarmMode);
  r->Add("POST", "/swarm/leave", NotInSwarm);
  for (const char* path :
       {"/swarm", "/swarm/unlockkey", "/nodes", "/nodes/{id}", "/services", "/services/{id}", "/services/{id}/logs",
        "/tasks", "/tasks/{id}", "/tasks/{id}/logs", "/secrets", "/secrets/{id}", "/configs", "/configs/{id}"}) {
    r->Add("GET", path, NotManager);
  }
  for (const char* path :
       {"/swarm/update", "/swarm/unlock", "/nodes/{id}/update", "/services/create", "/services/{id}/update",
        "/secrets/create", "/secrets/{id}/update", "/configs/create", "/configs/{id}/update"}) {
    r->Add("POST", path, NotManager);
  }
  for (const char* path : {"/nodes/{id}", "/services/{id}", "/secrets/{id}", "/configs/{id}"}) {
    r->Add("DELETE", path, NotManager);
  }
}

}  // namespace berth::api
