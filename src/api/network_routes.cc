// The networks berthd has (Docker's api/server/router/network), read-only:
// GET /networks and GET /networks/{id} show the bridge network (when the
// daemon has one), "host" and "none", as `docker network ls/inspect` read
// them. Creating, connecting and removing networks is not implemented:
// those routes are absent (404 "page not found").
#include <boost/json.hpp>

#include "api/query.h"
#include "api/router.h"
#include "berth/digest.h"

namespace berth::api {

namespace json = boost::json;

namespace {

struct NetworkView {
  std::string name;
  std::string id;
  std::string driver;
};

// The networks in Docker's listing order: bridge, host, none. "host" and
// "none" get IDs derived from the bridge's, stable for the exec root.
Result<std::vector<NetworkView>> Networks(const RouteContext& ctx) {
  if (ctx.opts == nullptr || ctx.opts->network == nullptr) return Internal("no network service attached");
  NetworkService* net = ctx.opts->network;
  std::vector<NetworkView> out;
  if (net->BridgeEnabled()) out.push_back({"bridge", net->BridgeNetworkId(), "bridge"});
  for (const char* name : {"host", "none"}) {
    out.push_back(
        {name, Digest::Of(net->BridgeNetworkId() + "/" + name).hex(), name == std::string("host") ? "host" : "null"});
  }
  return out;
}

json::object NetworkValue(const RouteContext& ctx, const NetworkView& n, bool with_containers) {
  NetworkService* net = ctx.opts->network;
  const bool bridge = n.name == "bridge";
  json::array ipam_config;
  if (bridge) ipam_config.push_back(json::object{{"Subnet", net->BridgeSubnet()}, {"Gateway", net->BridgeGateway()}});
  json::object options;
  if (bridge) {
    options["com.docker.network.bridge.name"] = net->BridgeName();
    options["com.docker.network.bridge.enable_ip_masquerade"] = "true";
    options["com.docker.network.bridge.default_bridge"] = "true";
  }
  json::object o;
  o["Name"] = n.name;
  o["Id"] = n.id;
  o["Created"] = "0001-01-01T00:00:00Z";
  o["Scope"] = "local";
  o["Driver"] = n.driver;
  o["EnableIPv4"] = bridge;
  o["EnableIPv6"] = false;
  o["IPAM"] = json::object{{"Driver", "default"}, {"Options", nullptr}, {"Config", std::move(ipam_config)}};
  o["Internal"] = false;
  o["Attachable"] = false;
  o["Ingress"] = false;
  o["ConfigFrom"] = json::object{{"Network", ""}};
  o["ConfigOnly"] = false;
  json::object containers;
  if (bridge && with_containers) {
    for (const auto& a : net->Attachments()) {
      std::string name;
      if (auto c = ctx.Containers(); c.ok()) {
        if (auto info = (*c)->Get(a.container_id); info.ok()) name = info->record.name;
      }
      containers[a.container_id] = json::object{{"Name", name},
                                                {"EndpointID", a.endpoint_id},
                                                {"MacAddress", a.mac_address},
                                                {"IPv4Address", a.ip_address + "/" + std::to_string(a.ip_prefix_len)},
                                                {"IPv6Address", ""}};
    }
  }
  o["Containers"] = std::move(containers);
  o["Options"] = std::move(options);
  o["Labels"] = json::object{};
  return o;
}

Result<Response> ListNetworks(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(Filters filters, Filters::FromJson(ctx.query.Get("filters")));
  if (!filters.empty()) return InvalidArgument("berth does not support filters on GET /networks");
  BERTH_ASSIGN_OR_RETURN(auto networks, Networks(ctx));
  json::array out;
  for (const auto& n : networks) out.push_back(NetworkValue(ctx, n, false));
  return JsonResponse(200, json::serialize(out));
}

Result<Response> InspectNetwork(RouteContext& ctx) {
  const std::string ref = ctx.Var("id");
  BERTH_ASSIGN_OR_RETURN(auto networks, Networks(ctx));
  const NetworkView* found = nullptr;
  for (const auto& n : networks) {
    if (n.name == ref || n.id == ref) found = &n;
  }
  if (found == nullptr && !ref.empty()) {
    for (const auto& n : networks) {
      if (n.id.starts_with(ref)) found = &n;
    }
  }
  if (found == nullptr) return NotFound("network " + ref + " not found");
  return JsonResponse(200, json::serialize(NetworkValue(ctx, *found, true)));
}

}  // namespace

void AddNetworkRoutes(Router* r) {
  r->Add("GET", "/networks", ListNetworks);
  r->Add("GET", "/networks/{id}", InspectNetwork);
}

}  // namespace berth::api
