// The networks berthd has (Docker's api/server/router/network): the bridge
// network (when the daemon has one), "host", "none" and the user-defined
// bridge networks. GET /networks (filters), GET /networks/{id}, POST
// /networks/create, DELETE /networks/{id}, POST /networks/prune, POST
// /networks/{id}/connect and /disconnect (ContainerService::ConnectNetwork).
#include <boost/json.hpp>

#include "api/field_names.h"
#include "api/query.h"
#include "api/render.h"
#include "api/router.h"
#include "berth/digest.h"
#include "berth/events.h"
#include "berth/image_filters.h"
#include "berth/metadata.h"
#include "berth/time.h"

namespace berth::api {

namespace json = boost::json;

namespace {

struct NetworkView {
  std::string name;
  std::string id;
  std::string driver;
  std::optional<UserNetwork> user;  // set for a user-defined network
};

// The networks in Docker's listing order: bridge, host, none. "host" and
// "none" get IDs derived from the bridge's, stable for the exec root.
Result<std::vector<NetworkView>> Networks(const RouteContext& ctx) {
  if (ctx.opts == nullptr || ctx.opts->network == nullptr) return Internal("no network service attached");
  NetworkService* net = ctx.opts->network;
  std::vector<NetworkView> out;
  if (net->BridgeEnabled()) out.push_back({"bridge", net->BridgeNetworkId(), "bridge"});
  for (const char* name : {"host", "none"}) {
    out.push_back({name, Digest::Of(net->BridgeNetworkId() + "/" + name).hex(),
                   name == std::string("host") ? "host" : "null", std::nullopt});
  }
  for (auto& n : net->UserNetworks()) out.push_back({n.name, n.id, "bridge", n});
  return out;
}

json::object NetworkValue(const RouteContext& ctx, const NetworkView& n, bool with_containers) {
  NetworkService* net = ctx.opts->network;
  const bool bridge = n.name == "bridge" && !n.user;
  json::array ipam_config;
  if (bridge) ipam_config.push_back(json::object{{"Subnet", net->BridgeSubnet()}, {"Gateway", net->BridgeGateway()}});
  json::object options;
  json::object labels;
  if (n.user) {
    json::object config{{"Subnet", n.user->subnet}, {"Gateway", n.user->gateway}};
    if (!n.user->ip_range.empty()) config["IPRange"] = n.user->ip_range;
    if (!n.user->aux_addresses.empty()) config["AuxiliaryAddresses"] = StringMapValue(n.user->aux_addresses);
    ipam_config.push_back(std::move(config));
    for (const auto& [k, v] : n.user->options) options[k] = v;
    for (const auto& [k, v] : n.user->labels) labels[k] = v;
  }
  if (bridge) {
    options["com.docker.network.bridge.name"] = net->BridgeName();
    options["com.docker.network.bridge.enable_ip_masquerade"] = "true";
    options["com.docker.network.bridge.default_bridge"] = "true";
  }
  json::object o;
  o["Name"] = n.name;
  o["Id"] = n.id;
  o["Created"] = n.user ? FormatRfc3339Nanos(n.user->created_unix_nanos) : "0001-01-01T00:00:00Z";
  o["Scope"] = "local";
  o["Driver"] = n.driver;
  o["EnableIPv4"] = bridge || n.user.has_value();
  o["EnableIPv6"] = false;
  o["IPAM"] = json::object{{"Driver", "default"},
                           {"Options", nullptr},  // berth takes no IPAM options
                           {"Config", std::move(ipam_config)}};
  o["Internal"] = n.user && n.user->internal;
  o["Attachable"] = n.user && n.user->attachable;
  o["Ingress"] = false;
  o["ConfigFrom"] = json::object{{"Network", ""}};
  o["ConfigOnly"] = false;
  json::object containers;
  if ((bridge || n.user) && with_containers) {
    for (const auto& a : net->Attachments()) {
      if (a.network_id != n.id) continue;
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
  o["Labels"] = std::move(labels);
  return o;
}

bool IsBuiltin(const NetworkView& n) { return !n.user.has_value(); }

bool AttachedToAny(const RouteContext& ctx, const std::string& network_id) {
  for (const auto& a : ctx.opts->network->Attachments()) {
    if (a.network_id == network_id) return true;
  }
  return false;
}

// Docker's network list filters: name (substring), id (prefix), driver,
// type (custom, builtin), label (key or key=value), dangling (no
// containers; built-in networks never are).
Result<std::vector<NetworkView>> Filtered(const RouteContext& ctx, const Filters& filters) {
  BERTH_RETURN_IF_ERROR(filters.Validate({"dangling", "driver", "id", "label", "name", "scope", "type"}));
  for (const auto& t : filters.Get("type")) {
    if (t != "custom" && t != "builtin") return InvalidArgument("invalid filter: 'type'='" + t + "'");
  }
  for (const auto& s : filters.Get("scope")) {
    if (s != "local" && s != "global" && s != "swarm") return InvalidArgument("invalid filter: 'scope'='" + s + "'");
  }
  BERTH_ASSIGN_OR_RETURN(auto label_filters, LabelFiltersFrom(filters.ToMap()));
  std::optional<bool> dangling;
  if (filters.Contains("dangling")) {
    BERTH_ASSIGN_OR_RETURN(bool d, filters.GetBoolOrDefault("dangling", true));
    dangling = d;
  }
  BERTH_ASSIGN_OR_RETURN(auto networks, Networks(ctx));
  auto any_of = [&](std::string_view key, const std::function<bool(const std::string&)>& match) {
    auto values = filters.Get(key);
    if (values.empty()) return true;
    for (const auto& v : values) {
      if (match(v)) return true;
    }
    return false;
  };
  std::vector<NetworkView> out;
  for (auto& n : networks) {
    const std::map<std::string, std::string> no_labels;
    const auto& labels = n.user ? n.user->labels : no_labels;
    if (!any_of("name", [&](const std::string& v) { return n.name.find(v) != std::string::npos; })) continue;
    if (!any_of("id", [&](const std::string& v) { return n.id.starts_with(v); })) continue;
    if (!any_of("driver", [&](const std::string& v) { return n.driver == v; })) continue;
    if (!any_of("type", [&](const std::string& v) { return (v == "builtin") == IsBuiltin(n); })) continue;
    if (!any_of("scope", [&](const std::string& v) { return v == "local"; })) continue;
    bool labels_match = true;
    for (const auto& lf : label_filters) labels_match = labels_match && lf.Matches(labels);
    if (!labels_match) continue;
    if (dangling && *dangling != (!IsBuiltin(n) && !AttachedToAny(ctx, n.id))) continue;
    out.push_back(std::move(n));
  }
  return out;
}

void PublishNetworkEvent(const RouteContext& ctx, const std::string& action, const NetworkView& n) {
  if (ctx.store == nullptr || ctx.store->events() == nullptr) return;
  Event e;
  e.type = "network";
  e.action = action;
  e.actor_id = n.id;
  e.attributes = {{"name", n.name}, {"type", n.driver}};
  e.time_unix_nanos = WallClockNanos();
  ctx.store->events()->Publish(std::move(e));
}

Result<const NetworkView*> FindView(const std::vector<NetworkView>& networks, const std::string& ref) {
  for (const auto& n : networks) {
    if (n.name == ref || n.id == ref) return &n;
  }
  const NetworkView* found = nullptr;
  for (const auto& n : networks) {
    if (!ref.empty() && n.id.starts_with(ref)) found = &n;
  }
  if (found == nullptr) return NotFound("network " + ref + " not found");
  return found;
}

Result<Response> ListNetworks(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(Filters filters, Filters::FromJson(ctx.query.Get("filters")));
  BERTH_ASSIGN_OR_RETURN(auto networks, Filtered(ctx, filters));
  json::array out;
  for (const auto& n : networks) out.push_back(NetworkValue(ctx, n, false));
  return JsonResponse(200, json::serialize(out));
}

Result<Response> InspectNetwork(RouteContext& ctx) {
  const std::string ref = ctx.Var("id");
  BERTH_ASSIGN_OR_RETURN(auto networks, Networks(ctx));
  BERTH_ASSIGN_OR_RETURN(const NetworkView* found, FindView(networks, ref));
  return JsonResponse(200, json::serialize(NetworkValue(ctx, *found, true)));
}

Result<std::map<std::string, std::string>> StringMap(const json::object& o, std::string_view key) {
  std::map<std::string, std::string> out;
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return out;
  if (!v->is_object()) return InvalidArgument("invalid JSON: " + std::string(key) + " must be an object");
  for (const auto& [k, val] : v->as_object()) {
    if (!val.is_string()) return InvalidArgument("invalid JSON: " + std::string(key) + " values must be strings");
    out[std::string(k)] = std::string(val.as_string());
  }
  return out;
}

bool IsUnset(const json::value* v) {
  return v == nullptr || v->is_null() || (v->is_bool() && !v->as_bool()) ||
         (v->is_string() && v->as_string().empty()) || (v->is_object() && v->as_object().empty()) ||
         (v->is_array() && v->as_array().empty());
}

// The IPAM object: driver "default", one IPv4 Config entry (Subnet, Gateway,
// IPRange, AuxiliaryAddresses), no options.
Status ParseIpam(const json::value* ipam, NetworkCreateRequest* req) {
  if (IsUnset(ipam)) return OkStatus();
  if (!ipam->is_object()) return InvalidArgument("invalid JSON: IPAM must be an object");
  for (const auto& [key, value] : ipam->as_object()) {
    if (key == "Driver") {
      if (!IsUnset(&value) && !(value.is_string() && value.as_string() == "default")) {
        return InvalidArgument("berth supports only the default IPAM driver");
      }
    } else if (key == "Options") {
      if (!IsUnset(&value)) return InvalidArgument("berth does not support IPAM options");
    } else if (key == "Config") {
      if (IsUnset(&value)) continue;
      if (!value.is_array()) return InvalidArgument("invalid JSON: IPAM.Config must be a list");
      if (value.as_array().size() > 1)
        return InvalidArgument("berth supports one IPAM config (one IPv4 subnet) per network");
      const json::value& c = value.as_array()[0];
      if (!c.is_object()) return InvalidArgument("invalid JSON: an IPAM config must be an object");
      for (const auto& [field, v] : c.as_object()) {
        if (IsUnset(&v)) continue;
        if (field == "AuxiliaryAddresses") {
          if (!v.is_object()) return InvalidArgument("invalid JSON: IPAM.Config.AuxiliaryAddresses must be an object");
          for (const auto& [name, address] : v.as_object()) {
            if (!address.is_string()) {
              return InvalidArgument("invalid JSON: IPAM.Config.AuxiliaryAddresses values must be strings");
            }
            const std::string text(address.as_string());
            if (text.find(':') != std::string::npos)
              return InvalidArgument("berth does not support IPv6 networks (" + text + ")");
            req->aux_addresses[std::string(name)] = text;
          }
          continue;
        }
        if (!v.is_string() || (field != "Subnet" && field != "Gateway" && field != "IPRange")) {
          return InvalidArgument("berth does not support the IPAM config field " + std::string(field));
        }
        const std::string text(v.as_string());
        if (text.find(':') != std::string::npos)
          return InvalidArgument("berth does not support IPv6 networks (" + text + ")");
        (field == "Subnet" ? req->subnet : field == "Gateway" ? req->gateway : req->ip_range) = text;
      }
    } else {
      return InvalidArgument("invalid JSON: unknown field IPAM." + std::string(key));
    }
  }
  return OkStatus();
}

// POST /networks/create: 201 {"Id", "Warning"}.
Result<Response> CreateNetwork(RouteContext& ctx) {
  if (ctx.opts == nullptr || ctx.opts->network == nullptr) return Internal("no network service attached");
  boost::system::error_code ec;
  json::value body = json::parse(ctx.req->body, ec);
  if (ec || !body.is_object()) return InvalidArgument("invalid JSON: the body must be a JSON object");
  MatchFieldNames(&body.as_object(), kNetworkCreateRequest);
  const json::object& o = body.as_object();
  NetworkCreateRequest req;
  for (const auto& [key, value] : o) {
    const std::string k(key);
    if (k == "Name" || k == "Driver") {
      if (!value.is_string()) return InvalidArgument("invalid JSON: " + k + " must be a string");
      (k == "Name" ? req.name : req.driver) = std::string(value.as_string());
    } else if (k == "Internal" || k == "Attachable" || k == "EnableIPv6" || k == "EnableIPv4" ||
               k == "CheckDuplicate" || k == "Ingress" || k == "ConfigOnly") {
      if (!value.is_null() && !value.is_bool()) return InvalidArgument("invalid JSON: " + k + " must be a boolean");
      const bool on = value.is_bool() && value.as_bool();
      if (k == "Internal") req.internal = on;
      if (k == "Attachable") req.attachable = on;
      if (k == "EnableIPv6") req.enable_ipv6 = on;
      if (k == "EnableIPv4" && value.is_bool() && !on)
        return InvalidArgument("berth does not support networks without IPv4");
      if ((k == "Ingress" || k == "ConfigOnly") && on)
        return InvalidArgument("berth does not support " + k + " networks");
    } else if (k == "Scope") {
      if (!IsUnset(&value) && !(value.is_string() && value.as_string() == "local")) {
        return InvalidArgument("berth supports only local-scope networks");
      }
    } else if (k == "ConfigFrom") {
      const json::value* from = value.is_object() ? value.as_object().if_contains("Network") : nullptr;
      if (!IsUnset(&value) && !IsUnset(from)) return InvalidArgument("berth does not support ConfigFrom networks");
    } else if (k == "IPAM") {
      BERTH_RETURN_IF_ERROR(ParseIpam(&value, &req));
    } else if (k == "Options" || k == "Labels") {
      BERTH_ASSIGN_OR_RETURN(auto m, StringMap(o, k));
      (k == "Options" ? req.options : req.labels) = std::move(m);
    } else {
      return InvalidArgument("invalid JSON: unknown field " + k);
    }
  }
  BERTH_ASSIGN_OR_RETURN(UserNetwork n, ctx.opts->network->CreateNetwork(req));
  PublishNetworkEvent(ctx, "create", NetworkView{n.name, n.id, "bridge", n});
  return JsonResponse(201, json::serialize(json::object{{"Id", n.id}, {"Warning", ""}}));
}

// DELETE /networks/{id}: 204. Built-in networks: 403.
Result<Response> RemoveNetwork(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(auto networks, Networks(ctx));
  BERTH_ASSIGN_OR_RETURN(const NetworkView* found, FindView(networks, ctx.Var("id")));
  if (IsBuiltin(*found)) {
    return PermissionDenied(found->name + " is a pre-defined network and cannot be removed");
  }
  BERTH_RETURN_IF_ERROR(ctx.opts->network->RemoveNetwork(found->id));
  PublishNetworkEvent(ctx, "destroy", *found);
  Response r;
  r.status = 204;
  return r;
}

// POST /networks/prune (filters until, label, label!): the user networks
// no container is on. 200 {"NetworksDeleted": [names]}.
Result<Response> PruneNetworks(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(Filters filters, Filters::FromJson(ctx.query.Get("filters")));
  BERTH_RETURN_IF_ERROR(filters.Validate({"label", "label!", "until"}));
  BERTH_ASSIGN_OR_RETURN(auto until, EarliestUntil(filters.ToMap(), WallClockNanos()));
  BERTH_ASSIGN_OR_RETURN(auto label_filters, LabelFiltersFrom(filters.ToMap()));
  BERTH_ASSIGN_OR_RETURN(auto networks, Networks(ctx));
  json::array deleted;
  for (const auto& n : networks) {
    if (IsBuiltin(n) || AttachedToAny(ctx, n.id)) continue;
    if (until && n.user->created_unix_nanos >= *until) continue;
    bool labels_match = true;
    for (const auto& lf : label_filters) labels_match = labels_match && lf.Matches(n.user->labels);
    if (!labels_match) continue;
    Status s = ctx.opts->network->RemoveNetwork(n.id);
    if (!s.ok()) continue;  // a container joined it meanwhile: it stays, as Docker's prune
    PublishNetworkEvent(ctx, "destroy", n);
    deleted.push_back(json::string(n.name));
  }
  return JsonResponse(200, json::serialize(json::object{{"NetworksDeleted", std::move(deleted)}}));
}

bool IsUnsetValue(const json::value& v) { return IsUnset(&v) || (v.is_int64() && v.as_int64() == 0); }

// The EndpointConfig of a connect: IPAMConfig.IPv4Address and LinkLocalIPs,
// Aliases, Links, MacAddress, DriverOpts. Any other setting given:
// InvalidArgument naming it.
Status ParseEndpointConfig(const json::value* v, EndpointRequest* ep) {
  if (IsUnset(v)) return OkStatus();
  if (!v->is_object()) return InvalidArgument("invalid JSON: EndpointConfig must be an object");
  for (const auto& [key, value] : v->as_object()) {
    const std::string k(key);
    if (k == "IPAMConfig") {
      if (IsUnset(&value)) continue;
      if (!value.is_object()) return InvalidArgument("invalid JSON: EndpointConfig.IPAMConfig must be an object");
      for (const auto& [field, setting] : value.as_object()) {
        if (field == "IPv4Address" && (setting.is_string() || setting.is_null())) {
          if (setting.is_string()) ep->ip = std::string(setting.as_string());
        } else if (field == "LinkLocalIPs" && setting.is_array()) {
          for (const auto& ip : setting.as_array()) {
            if (!ip.is_string())
              return InvalidArgument("invalid JSON: EndpointConfig.IPAMConfig.LinkLocalIPs must hold strings");
            ep->link_local_ips.emplace_back(ip.as_string());
          }
        } else if (!IsUnsetValue(setting)) {
          return InvalidArgument("berth does not support the endpoint IPAM setting " + std::string(field) +
                                 " (only --ip and --link-local-ip)");
        }
      }
    } else if (k == "Aliases") {
      if (IsUnset(&value)) continue;
      if (!value.is_array()) return InvalidArgument("invalid JSON: EndpointConfig.Aliases must be a list");
      for (const auto& alias : value.as_array()) {
        if (!alias.is_string()) return InvalidArgument("invalid JSON: EndpointConfig.Aliases must hold strings");
        ep->aliases.emplace_back(alias.as_string());
      }
    } else if (k == "MacAddress") {
      if (IsUnset(&value)) continue;
      if (!value.is_string()) return InvalidArgument("invalid JSON: EndpointConfig.MacAddress must be a string");
      ep->mac = std::string(value.as_string());
    } else if (k == "Links") {
      if (IsUnset(&value)) continue;
      if (!value.is_array()) return InvalidArgument("invalid JSON: EndpointConfig.Links must be a list");
      for (const auto& link : value.as_array()) {
        if (!link.is_string()) return InvalidArgument("invalid JSON: EndpointConfig.Links must hold strings");
        ep->links.emplace_back(link.as_string());
      }
    } else if (k == "DriverOpts") {
      if (IsUnset(&value)) continue;
      if (!value.is_object()) return InvalidArgument("invalid JSON: EndpointConfig.DriverOpts must be an object");
      for (const auto& [key, opt] : value.as_object()) {
        if (!opt.is_string())
          return InvalidArgument("invalid JSON: EndpointConfig.DriverOpts must map strings to strings");
        ep->driver_opts[std::string(key)] = std::string(opt.as_string());
      }
    } else if (!IsUnsetValue(value)) {
      // GwPriority, and the read-only fields of inspect
      // (NetworkID, IPAddress, ...) when set.
      return InvalidArgument("berth does not support the endpoint setting " + k + " of network connect");
    }
  }
  return OkStatus();
}

Result<std::string> ContainerField(const json::object& o) {
  const json::value* c = o.if_contains("Container");
  if (c == nullptr || !c->is_string() || c->as_string().empty()) {
    return InvalidArgument("invalid JSON: Container must name a container");
  }
  return std::string(c->as_string());
}

// POST /networks/{id}/connect {"Container", "EndpointConfig"}: 200.
Result<Response> ConnectContainer(RouteContext& ctx) {
  boost::system::error_code ec;
  json::value body = json::parse(ctx.req->body, ec);
  if (ec || !body.is_object()) return InvalidArgument("invalid JSON: the body must be a JSON object");
  const json::object& o = body.as_object();
  for (const auto& [key, value] : o) {
    if (key != "Container" && key != "EndpointConfig")
      return InvalidArgument("invalid JSON: unknown field " + std::string(key));
  }
  BERTH_ASSIGN_OR_RETURN(std::string container, ContainerField(o));
  EndpointRequest ep;
  ep.network = ctx.Var("id");
  BERTH_RETURN_IF_ERROR(ParseEndpointConfig(o.if_contains("EndpointConfig"), &ep));
  BERTH_ASSIGN_OR_RETURN(auto containers, ctx.Containers());
  BERTH_RETURN_IF_ERROR(containers->ConnectNetwork(container, ep));
  Response r;
  r.status = 200;
  return r;
}

// POST /networks/{id}/disconnect {"Container", "Force"}: 200.
Result<Response> DisconnectContainer(RouteContext& ctx) {
  boost::system::error_code ec;
  json::value body = json::parse(ctx.req->body, ec);
  if (ec || !body.is_object()) return InvalidArgument("invalid JSON: the body must be a JSON object");
  const json::object& o = body.as_object();
  bool force = false;
  for (const auto& [key, value] : o) {
    if (key == "Force") {
      if (!value.is_null() && !value.is_bool()) return InvalidArgument("invalid JSON: Force must be a boolean");
      force = value.is_bool() && value.as_bool();
    } else if (key != "Container") {
      return InvalidArgument("invalid JSON: unknown field " + std::string(key));
    }
  }
  BERTH_ASSIGN_OR_RETURN(std::string container, ContainerField(o));
  BERTH_ASSIGN_OR_RETURN(auto containers, ctx.Containers());
  BERTH_RETURN_IF_ERROR(containers->DisconnectNetwork(container, ctx.Var("id"), force));
  Response r;
  r.status = 200;
  return r;
}

}  // namespace

void AddNetworkRoutes(Router* r) {
  r->Add("GET", "/networks", ListNetworks);
  r->Add("GET", "/networks/{id}", InspectNetwork);
  r->Add("POST", "/networks/create", CreateNetwork);
  r->Add("DELETE", "/networks/{id}", RemoveNetwork);
  r->Add("POST", "/networks/prune", PruneNetworks);
  r->Add("POST", "/networks/{id}/connect", ConnectContainer);
  r->Add("POST", "/networks/{id}/disconnect", DisconnectContainer);
}

}  // namespace berth::api
