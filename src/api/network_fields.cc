// Networking fields of the container API (see network_fields.h).
#include "api/network_fields.h"

#include "api/render.h"

#include <algorithm>
#include <charconv>

namespace berth::api {

namespace json = boost::json;

const std::set<std::string, std::less<>> kNetworkConfigFields = {"ExposedPorts", "NetworkingConfig", "MacAddress"};
const std::set<std::string, std::less<>> kNetworkHostConfigFields = {"PortBindings", "PublishAllPorts", "ExtraHosts",
                                                                     "Dns",          "DnsSearch",       "DnsOptions"};

namespace {

// The docker CLI sends --link twice for a container on a user-defined
// network: in HostConfig.Links, which Docker's daemon then leaves alone
// (legacy links are the default bridge's), and in the endpoint settings of
// that network, which carry their meaning. True when HostConfig.Links holds
// only links that endpoint settings hold too.
bool HostLinksAreTheEndpointsLinks(const json::object& config, const json::array& links, const std::string& network) {
  const json::value* nc = config.if_contains("NetworkingConfig");
  const json::value* eps = nc != nullptr && nc->is_object() ? nc->as_object().if_contains("EndpointsConfig") : nullptr;
  const json::value* ep = eps != nullptr && eps->is_object() ? eps->as_object().if_contains(network) : nullptr;
  const json::value* ep_links = ep != nullptr && ep->is_object() ? ep->as_object().if_contains("Links") : nullptr;
  if (ep_links == nullptr || !ep_links->is_array()) return false;
  for (const auto& link : links) {
    const auto& have = ep_links->as_array();
    if (std::find(have.begin(), have.end(), link) == have.end()) return false;
  }
  return true;
}

bool IsNull(const json::value* v) { return v == nullptr || v->is_null(); }

Result<std::vector<std::string>> StringList(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  const json::value* v = o.if_contains(key);
  if (IsNull(v)) return out;
  if (!v->is_array()) return InvalidArgument("invalid JSON: " + std::string(key) + " must be a list of strings");
  for (const auto& e : v->as_array()) {
    if (!e.is_string()) return InvalidArgument("invalid JSON: " + std::string(key) + " must hold strings");
    out.emplace_back(e.as_string());
  }
  return out;
}

Result<int> HostPortOf(const std::string& text) {
  if (text.empty()) return 0;
  if (text.find('-') != std::string::npos) {
    return InvalidArgument("berth does not support host port ranges (" + text + "); publish single ports");
  }
  int port = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size() || port < 0 || port > 65535) {
    return InvalidArgument("invalid port specification: \"" + text + "\"");
  }
  return port;
}

std::string PortKey(int port, const std::string& proto) { return std::to_string(port) + "/" + proto; }

bool IsBridgeMode(const std::string& mode) { return mode.empty() || mode == "default" || mode == "bridge"; }

std::string NetworkNameShown(const std::string& mode) { return IsBridgeMode(mode) ? "bridge" : mode; }

// `requested`: the endpoint settings the container asked for on that
// network (--ip, --network-alias, --mac-address); `network_id`: shown when
// there is no attachment.
json::object EndpointValue(const NetworkAttachment* a, const EndpointRequest& requested,
                           const std::string& network_id = "") {
  json::object e;
  json::object ipam;
  if (!requested.ip.empty()) ipam["IPv4Address"] = requested.ip;
  if (!requested.link_local_ips.empty()) ipam["LinkLocalIPs"] = Strings(requested.link_local_ips);
  e["IPAMConfig"] = ipam.empty() ? json::value(nullptr) : json::value(std::move(ipam));
  e["Links"] = requested.links.empty() ? json::value(nullptr) : json::value(Strings(requested.links));
  json::array aliases, dns_names;
  const std::vector<std::string>& alias_list = a ? a->aliases : requested.aliases;
  for (const auto& alias : alias_list) aliases.push_back(json::string(alias));
  if (a && a->network_name != "bridge") {
    if (!a->container_name.empty()) dns_names.push_back(json::string(a->container_name));
    for (const auto& alias : a->aliases) dns_names.push_back(json::string(alias));
    dns_names.push_back(json::string(a->container_id.substr(0, 12)));
  }
  e["Aliases"] = aliases.empty() ? json::value(nullptr) : json::value(std::move(aliases));
  e["MacAddress"] = a ? a->mac_address : requested.mac;
  e["DriverOpts"] =
      requested.driver_opts.empty() ? json::value(nullptr) : json::value(StringMapValue(requested.driver_opts));
  e["GwPriority"] = 0;
  e["NetworkID"] = a ? a->network_id : network_id;
  e["EndpointID"] = a ? a->endpoint_id : "";
  e["Gateway"] = a ? a->gateway : "";
  e["IPAddress"] = a ? a->ip_address : "";
  e["IPPrefixLen"] = a ? a->ip_prefix_len : 0;
  e["IPv6Gateway"] = "";
  e["GlobalIPv6Address"] = "";
  e["GlobalIPv6PrefixLen"] = 0;
  e["DNSNames"] = dns_names.empty() ? json::value(nullptr) : json::value(std::move(dns_names));
  return e;
}

// NetworkSettings.Networks: each endpoint while the container runs; else
// the networks it joins at start (its network mode's, unless disconnected,
// and those of docker network connect), with no addresses.
json::object NetworksValue(const ContainerInfo& c) {
  json::object networks;
  const std::string& mode = c.config.network_mode;
  if (mode.starts_with("container:")) return networks;
  const ContainerNetworkConfig& net = c.config.network;
  const EndpointRequest own = ModeEndpointRequestOf(net, mode);
  if (!c.networks.empty()) {
    for (const auto& a : c.networks) {
      EndpointRequest requested = own;
      for (const auto& j : net.connected) {
        if (j.network_id == a.network_id) requested = EndpointRequestOf(j);
      }
      networks[a.network_name] = EndpointValue(&a, requested);
    }
    return networks;
  }
  if (!net.mode_network_disconnected) networks[NetworkNameShown(mode)] = EndpointValue(nullptr, own);
  for (const auto& j : net.connected) {
    networks[j.network_name] = EndpointValue(nullptr, EndpointRequestOf(j), j.network_id);
  }
  return networks;
}

json::object PortMapValue(const NetworkAttachment& a) {
  json::object ports;
  for (const auto& p : a.ports) {
    json::value& slot = ports[PortKey(p.container_port, p.protocol)];
    if (!slot.is_array()) slot = json::array{};
    slot.as_array().push_back(
        json::object{{"HostIp", p.host_ip.empty() ? "0.0.0.0" : p.host_ip}, {"HostPort", std::to_string(p.host_port)}});
  }
  for (const auto& e : a.exposed) ports[e] = nullptr;
  return ports;
}

}  // namespace

Status ParseNetworkFields(const json::object& config, const json::object* host_config, const std::string& network_mode,
                          ContainerNetworkConfig* cfg) {
  if (const json::value* ex = config.if_contains("ExposedPorts"); !IsNull(ex)) {
    if (!ex->is_object()) return InvalidArgument("invalid JSON: ExposedPorts must be an object");
    for (const auto& [key, value] : ex->as_object()) {
      BERTH_ASSIGN_OR_RETURN(auto port, ParsePortProto(key));
      cfg->exposed_ports.push_back(PortKey(port.first, port.second));
    }
  }
  if (const json::value* nc = config.if_contains("NetworkingConfig"); !IsNull(nc)) {
    if (!nc->is_object()) return InvalidArgument("invalid JSON: NetworkingConfig must be an object");
    const json::value* eps = nc->as_object().if_contains("EndpointsConfig");
    if (!IsNull(eps)) {
      if (!eps->is_object()) return InvalidArgument("invalid JSON: NetworkingConfig.EndpointsConfig must be an object");
      for (const auto& [name, settings] : eps->as_object()) {
        const bool own = name == network_mode || (IsBridgeMode(network_mode) && IsBridgeMode(std::string(name)));
        if (!own) {
          return InvalidArgument(
              "berth does not support connecting a container to more than its network mode's "
              "network at create (NetworkingConfig names \"" +
              std::string(name) + "\")");
        }
        if (settings.is_object()) {
          const bool user_network = !IsBridgeMode(network_mode);
          for (const auto& [field, value] : settings.as_object()) {
            if (user_network && field == "Aliases" && value.is_array()) {
              for (const auto& alias : value.as_array()) {
                if (!alias.is_string()) return InvalidArgument("invalid JSON: Aliases must be a list of strings");
                cfg->aliases.emplace_back(alias.as_string());
              }
              continue;
            }
            if (field == "IPAMConfig" && value.is_object()) {
              for (const auto& [ipam_field, ipam_value] : value.as_object()) {
                const bool empty = ipam_value.is_null() || (ipam_value.is_string() && ipam_value.as_string().empty()) ||
                                   (ipam_value.is_array() && ipam_value.as_array().empty());
                if (ipam_field == "LinkLocalIPs" && ipam_value.is_array()) {
                  for (const auto& ip : ipam_value.as_array()) {
                    if (!ip.is_string()) return InvalidArgument("invalid JSON: LinkLocalIPs must be a list of strings");
                    cfg->link_local_ips.emplace_back(ip.as_string());
                  }
                  BERTH_RETURN_IF_ERROR(ValidateLinkLocalIps(cfg->link_local_ips));
                } else if (!user_network && !empty) {
                  return InvalidArgument("user specified IP address is supported on user defined networks only");
                } else if (ipam_field == "IPv4Address" && ipam_value.is_string()) {
                  cfg->ipv4_address = std::string(ipam_value.as_string());
                  if (!cfg->ipv4_address.empty()) BERTH_RETURN_IF_ERROR(ParseIpv4(cfg->ipv4_address).status());
                } else if (!empty) {
                  return InvalidArgument("berth does not support the endpoint IPAM setting " + std::string(ipam_field) +
                                         " (only --ip and --link-local-ip)");
                }
              }
              continue;
            }
            if (user_network && field == "Links" && value.is_array()) {
              for (const auto& link : value.as_array()) {
                if (!link.is_string()) return InvalidArgument("invalid JSON: Links must be a list of strings");
                BERTH_RETURN_IF_ERROR(ParseEndpointLink(link.as_string()).status());
                cfg->links.emplace_back(link.as_string());
              }
              continue;
            }
            if (field == "DriverOpts" && value.is_object()) {
              for (const auto& [key, opt] : value.as_object()) {
                if (!opt.is_string()) return InvalidArgument("invalid JSON: DriverOpts must map strings to strings");
                cfg->driver_opts[std::string(key)] = std::string(opt.as_string());
              }
              BERTH_RETURN_IF_ERROR(ValidateEndpointDriverOpts(cfg->driver_opts));
              continue;
            }
            if (field == "MacAddress" && value.is_string()) {
              cfg->mac_address = std::string(value.as_string());
              if (!cfg->mac_address.empty() && !IsMacAddress(cfg->mac_address)) {
                return InvalidArgument("invalid MAC address " + cfg->mac_address);
              }
              continue;
            }
            const bool unset = value.is_null() || (value.is_string() && value.as_string().empty()) ||
                               (value.is_array() && value.as_array().empty()) ||
                               (value.is_object() && value.as_object().empty()) ||
                               (value.is_int64() && value.as_int64() == 0);
            if (!unset) {
              return InvalidArgument(user_network ? "berth does not support endpoint setting " + std::string(field) +
                                                        " on user networks"
                                                  : "berth does not support endpoint setting " + std::string(field) +
                                                        " (--ip, --network-alias, --link) on the bridge network");
            }
          }
        }
      }
    }
  }
  // Config.MacAddress: the container-wide field API 1.44 deprecated (the
  // Python SDK still sends it), moved to the main network's endpoint as
  // Docker moves it; a different endpoint MAC is Docker's error. Where the
  // network mode has no endpoint (host, none, container:) Docker drops it
  // with a warning; berth refuses it instead of ignoring it.
  if (const json::value* mac = config.if_contains("MacAddress"); !IsNull(mac)) {
    if (!mac->is_string()) return InvalidArgument("invalid JSON: MacAddress must be a string");
    const std::string wide(mac->as_string());
    if (!wide.empty()) {
      const bool endpoint = IsBridgeMode(network_mode) || !(network_mode == "host" || network_mode == "none" ||
                                                            network_mode.starts_with("container:"));
      if (!endpoint) return InvalidArgument("conflicting options: mac-address and the network mode");
      if (!IsMacAddress(wide)) return InvalidArgument("invalid MAC address " + wide);
      if (cfg->mac_address.empty()) {
        cfg->mac_address = wide;
      } else if (cfg->mac_address != wide) {
        return InvalidArgument(
            "the container-wide MAC address must match the endpoint-specific MAC address for the main network, or be "
            "left empty");
      }
    }
  }
  if (host_config == nullptr) return ValidateNetworkConfig(*cfg);
  const json::object& ho = *host_config;
  // HostConfig.Links (--link): legacy links on the default bridge network;
  // on a user-defined network the CLI's copy of the endpoint links.
  if (const json::value* links = ho.if_contains("Links"); !IsNull(links)) {
    if (!links->is_array()) return InvalidArgument("invalid JSON: HostConfig.Links must be a list of strings");
    const json::array& list = links->as_array();
    for (const auto& link : list) {
      if (!link.is_string()) return InvalidArgument("invalid JSON: HostConfig.Links must be a list of strings");
      BERTH_ASSIGN_OR_RETURN(auto parsed, ParseEndpointLink(link.as_string()));
      if (IsBridgeMode(network_mode)) cfg->legacy_links.push_back(parsed.first + ":" + parsed.second);
    }
    if (!list.empty() && !IsBridgeMode(network_mode)) {
      if (network_mode == "host") {
        return InvalidArgument(
            "conflicting options: host type networking can't be used with links. This would result in undefined "
            "behavior");
      }
      if (network_mode.starts_with("container:")) {
        return InvalidArgument(
            "conflicting options: container type network can't be used with links. This would result in undefined "
            "behavior");
      }
      if (network_mode == "none") return InvalidArgument("berth does not support --link with --network none");
      if (!HostLinksAreTheEndpointsLinks(config, list, network_mode)) {
        return InvalidArgument(
            "berth takes --link on a user-defined network from its endpoint settings "
            "(NetworkingConfig.EndpointsConfig." +
            network_mode + ".Links), not from HostConfig.Links");
      }
    }
  }
  if (const json::value* pb = ho.if_contains("PortBindings"); !IsNull(pb)) {
    if (!pb->is_object()) return InvalidArgument("invalid JSON: HostConfig.PortBindings must be an object");
    for (const auto& [key, bindings] : pb->as_object()) {
      BERTH_ASSIGN_OR_RETURN(auto port, ParsePortProto(key));
      if (bindings.is_null()) continue;
      if (!bindings.is_array()) return InvalidArgument("invalid JSON: a port's bindings must be a list");
      for (const auto& b : bindings.as_array()) {
        if (!b.is_object()) return InvalidArgument("invalid JSON: a port binding must be an object");
        const json::object& bo = b.as_object();
        PortMapping m;
        m.container_port = port.first;
        m.protocol = port.second;
        if (const json::value* ip = bo.if_contains("HostIp"); !IsNull(ip)) {
          if (!ip->is_string()) return InvalidArgument("invalid JSON: HostIp must be a string");
          m.host_ip = std::string(ip->as_string());
          if (m.host_ip == "0.0.0.0") m.host_ip.clear();
        }
        if (const json::value* hp = bo.if_contains("HostPort"); !IsNull(hp)) {
          if (!hp->is_string()) return InvalidArgument("invalid JSON: HostPort must be a string");
          BERTH_ASSIGN_OR_RETURN(m.host_port, HostPortOf(std::string(hp->as_string())));
        }
        cfg->port_bindings.push_back(std::move(m));
      }
    }
  }
  if (const json::value* all = ho.if_contains("PublishAllPorts"); !IsNull(all)) {
    if (!all->is_bool()) return InvalidArgument("invalid JSON: PublishAllPorts must be a boolean");
    cfg->publish_all_ports = all->as_bool();
  }
  BERTH_ASSIGN_OR_RETURN(cfg->extra_hosts, StringList(ho, "ExtraHosts"));
  BERTH_ASSIGN_OR_RETURN(cfg->dns, StringList(ho, "Dns"));
  BERTH_ASSIGN_OR_RETURN(cfg->dns_search, StringList(ho, "DnsSearch"));
  BERTH_ASSIGN_OR_RETURN(cfg->dns_options, StringList(ho, "DnsOptions"));
  return ValidateNetworkConfig(*cfg);
}

json::value ExposedPortsValue(const ContainerNetworkConfig& cfg) {
  json::object o;
  for (const auto& e : cfg.exposed_ports) o[e] = json::object{};
  for (const auto& b : cfg.port_bindings) o[PortKey(b.container_port, b.protocol)] = json::object{};
  if (o.empty()) return nullptr;
  return o;
}

void AddNetworkHostConfig(const ContainerNetworkConfig& cfg, json::object* hc) {
  json::object bindings;
  for (const auto& b : cfg.port_bindings) {
    json::value& slot = bindings[PortKey(b.container_port, b.protocol)];
    if (!slot.is_array()) slot = json::array{};
    slot.as_array().push_back(
        json::object{{"HostIp", b.host_ip}, {"HostPort", b.host_port ? std::to_string(b.host_port) : ""}});
  }
  auto strings = [](const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.push_back(json::string(s));
    return a;
  };
  (*hc)["PortBindings"] = std::move(bindings);
  (*hc)["PublishAllPorts"] = cfg.publish_all_ports;
  (*hc)["Dns"] = strings(cfg.dns);
  (*hc)["DnsOptions"] = strings(cfg.dns_options);
  (*hc)["DnsSearch"] = strings(cfg.dns_search);
  (*hc)["ExtraHosts"] = cfg.extra_hosts.empty() ? json::value(nullptr) : json::value(strings(cfg.extra_hosts));
}

json::object InspectNetworkSettings(const ContainerInfo& c) {
  const std::optional<NetworkAttachment>& a = c.network;
  json::object ns;
  ns["Bridge"] = "";
  ns["SandboxID"] = a ? a->endpoint_id : "";
  ns["SandboxKey"] = a ? a->netns_path : "";
  ns["Ports"] = a ? PortMapValue(*a) : json::object{};
  ns["HairpinMode"] = false;
  ns["LinkLocalIPv6Address"] = "";
  ns["LinkLocalIPv6PrefixLen"] = 0;
  ns["SecondaryIPAddresses"] = nullptr;
  ns["SecondaryIPv6Addresses"] = nullptr;
  // The deprecated top-level fields describe the default bridge network.
  ns["EndpointID"] = a ? a->endpoint_id : "";
  ns["Gateway"] = a ? a->gateway : "";
  ns["GlobalIPv6Address"] = "";
  ns["GlobalIPv6PrefixLen"] = 0;
  ns["IPAddress"] = a ? a->ip_address : "";
  ns["IPPrefixLen"] = a ? a->ip_prefix_len : 0;
  ns["IPv6Gateway"] = "";
  ns["MacAddress"] = a ? a->mac_address : "";
  ns["Networks"] = NetworksValue(c);
  return ns;
}

json::array SummaryPorts(const ContainerInfo& c) {
  json::array out;
  if (!c.network) return out;
  for (const auto& p : c.network->ports) {
    out.push_back(json::object{{"IP", p.host_ip.empty() ? "0.0.0.0" : p.host_ip},
                               {"PrivatePort", p.container_port},
                               {"PublicPort", p.host_port},
                               {"Type", p.protocol}});
  }
  for (const auto& e : c.network->exposed) {
    auto port = ParsePortProto(e);
    if (port.ok()) out.push_back(json::object{{"PrivatePort", port->first}, {"Type", port->second}});
  }
  return out;
}

json::object SummaryNetworkSettings(const ContainerInfo& c) { return json::object{{"Networks", NetworksValue(c)}}; }

}  // namespace berth::api
