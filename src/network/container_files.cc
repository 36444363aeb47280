// The files a networked container sees (/etc/hosts, /etc/resolv.conf), the
// checks of its network config, and the attachment's JSON form (see
// berth/network_service.h).
#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <sstream>

#include "base/unique_fd.h"
#include "berth/network_service.h"

namespace berth {

namespace json = boost::json;

namespace {

// "name:ip" or "name=ip" → (name, ip); the IP may be IPv6 (with colons).
std::pair<std::string, std::string> SplitExtraHost(const std::string& entry) {
  size_t sep = entry.find_first_of(":=");
  if (sep == std::string::npos) return {entry, ""};
  std::string ip = entry.substr(sep + 1);
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  return {entry.substr(0, sep), ip};
}

std::vector<std::string> Words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string Joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

bool IsLoopbackNameserver(const std::string& address) { return address.starts_with("127.") || address == "::1"; }

bool IsIpAddress(const std::string& text) {
  in6_addr v6;
  in_addr v4;
  return ::inet_pton(AF_INET, text.c_str(), &v4) == 1 || ::inet_pton(AF_INET6, text.c_str(), &v6) == 1;
}

// Whether `options` has NAME or NAME:VALUE.
bool HasOption(const std::vector<std::string>& options, std::string_view name) {
  return std::any_of(options.begin(), options.end(), [&](const std::string& o) {
    return o == name || (o.starts_with(name) && o.size() > name.size() && o[name.size()] == ':');
  });
}

bool LooksLikeIp(const std::string& text) {
  if (ParseIpv4(text).ok()) return true;
  // IPv6: hex digits, colons and at most one "::" (dots for a v4 tail).
  if (text.find(':') == std::string::npos) return false;
  for (char ch : text) {
    if (!std::isxdigit(static_cast<unsigned char>(ch)) && ch != ':' && ch != '.') return false;
  }
  return true;
}

json::array PortsToJson(const std::vector<PortMapping>& ports) {
  json::array out;
  for (const auto& p : ports) {
    out.push_back(json::object{{"ContainerPort", p.container_port},
                               {"Protocol", p.protocol},
                               {"HostIp", p.host_ip},
                               {"HostPort", p.host_port}});
  }
  return out;
}

std::string StringField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

int IntField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_int64() ? static_cast<int>(v->as_int64()) : 0;
}

}  // namespace

std::string BuildHostsFile(const std::string& ip, const std::string& hostname,
                           const std::vector<std::string>& extra_hosts) {
  std::string out =
      "127.0.0.1\tlocalhost\n"
      "::1\tlocalhost ip6-localhost ip6-loopback\n"
      "fe00::\tip6-localnet\n"
      "ff00::\tip6-mcastprefix\n"
      "ff02::1\tip6-allnodes\n"
      "ff02::2\tip6-allrouters\n";
  out += ExtraHostsLines(extra_hosts);
  if (!ip.empty()) out += ip + "\t" + hostname + "\n";
  return out;
}

std::string ExtraHostsLines(const std::vector<std::string>& extra_hosts) {
  std::string out;
  for (const auto& entry : extra_hosts) {
    auto [name, address] = SplitExtraHost(entry);
    out += address + "\t" + name + "\n";
  }
  return out;
}

std::string BuildResolvConf(const std::string& host_resolv_conf, const std::vector<std::string>& dns,
                            const std::vector<std::string>& dns_search, const std::vector<std::string>& dns_options) {
  std::vector<std::string> nameservers, search, options;
  std::istringstream in(host_resolv_conf);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> w = Words(line);
    if (w.empty() || w[0].starts_with("#") || w[0].starts_with(";")) continue;
    if (w[0] == "nameserver" && w.size() >= 2 && !IsLoopbackNameserver(w[1])) nameservers.push_back(w[1]);
    if ((w[0] == "search" || w[0] == "domain") && w.size() >= 2) search.assign(w.begin() + 1, w.end());
    if (w[0] == "options") options.insert(options.end(), w.begin() + 1, w.end());
  }
  if (!dns.empty()) nameservers = dns;
  // The host's resolvers are all on its loopback, which the container
  // cannot reach: Docker falls back to Google's public ones.
  if (nameservers.empty()) nameservers = {"8.8.8.8", "8.8.4.4"};
  if (!dns_search.empty()) search = dns_search;
  if (!dns_options.empty()) options = dns_options;
  std::string out;
  for (const auto& ns : nameservers) out += "nameserver " + ns + "\n";
  // "--dns-search ." means no search domains at all.
  if (!search.empty() && !(search.size() == 1 && search[0] == ".")) out += "search " + Joined(search) + "\n";
  if (!options.empty()) out += "options " + Joined(options) + "\n";
  return out;
}

InternalResolvConf BuildInternalResolvConf(const std::string& host_resolv_conf, const std::string& source_path,
                                           const std::vector<std::string>& dns,
                                           const std::vector<std::string>& dns_search,
                                           const std::vector<std::string>& dns_options) {
  std::vector<std::string> nameservers, invalid, search, options, other;
  std::string ndots_from;
  std::istringstream in(host_resolv_conf);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    std::vector<std::string> w = Words(line);
    if (w.empty()) continue;
    if (w[0] == "nameserver") {
      if (w.size() < 2) continue;
      (IsIpAddress(w[1]) ? nameservers : invalid).push_back(w[1]);
    } else if (w[0] == "search" || w[0] == "domain") {
      if (w.size() >= 2) search.assign(w.begin() + 1, w.end());  // the last one counts
    } else if (w[0] == "options") {
      options.insert(options.end(), w.begin() + 1, w.end());
    } else {
      other.push_back(line);
    }
  }
  if (HasOption(options, "ndots")) ndots_from = "host";
  std::vector<std::string> overrides;
  // The host's resolvers are asked from berthd's namespace ("host(...)");
  // --dns ones are shown plain.
  const bool ns_override = !dns.empty();
  if (ns_override) {
    nameservers = dns;
    overrides.push_back("nameservers");
  }
  if (!dns_search.empty()) {
    search.clear();
    for (const auto& d : dns_search) {
      if (d != ".") search.push_back(d);
    }
    overrides.push_back("search");
  }
  if (!dns_options.empty()) {
    options = dns_options;
    ndots_from = HasOption(options, "ndots") ? "override" : "";
    overrides.push_back("options");
  }
  // An ndots without a valid count is dropped; without one, the resolver's
  // own ndots:0 is added.
  std::erase_if(options, [](const std::string& o) {
    if (!o.starts_with("ndots")) return false;
    if (o == "ndots") return true;
    if (!o.starts_with("ndots:")) return false;
    const std::string v = o.substr(6);
    return v.empty() || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
  });
  if (!HasOption(options, "ndots")) {
    options.push_back("ndots:0");
    ndots_from = "internal";
  }
  InternalResolvConf out;
  out.upstreams = nameservers;
  std::string& t = out.text;
  t = "# Generated by Docker Engine.\n"
      "# This file can be edited; Docker Engine will not make further changes once it\n"
      "# has been modified.\n\n"
      "nameserver 127.0.0.11\n";
  if (!search.empty()) t += "search " + Joined(search) + "\n";
  t += "options " + Joined(options) + "\n";
  for (const auto& line : other) t += line + "\n";
  t += "\n# Based on host file: '" + source_path + "' (internal resolver)\n";
  if (nameservers.empty()) t += "# NO EXTERNAL NAMESERVERS DEFINED\n";
  if (!nameservers.empty()) {
    std::vector<std::string> shown;
    for (const auto& ns : nameservers) shown.push_back(ns_override ? ns : "host(" + ns + ")");
    t += "# ExtServers: [" + Joined(shown) + "]\n";
  }
  if (!invalid.empty()) t += "# Invalid nameservers: [" + Joined(invalid) + "]\n";
  t += "# Overrides: [" + Joined(overrides) + "]\n";
  if (!ndots_from.empty()) t += "# Option ndots from: " + ndots_from + "\n";
  return out;
}

Status ValidateNetworkConfig(const ContainerNetworkConfig& cfg) {
  for (const auto& entry : cfg.extra_hosts) {
    auto [name, address] = SplitExtraHost(entry);
    if (name.empty() || address.empty()) return InvalidArgument("bad format for add-host: \"" + entry + "\"");
    if (address != "host-gateway" && !LooksLikeIp(address)) {
      return InvalidArgument("invalid IP address in add-host: \"" + address + "\"");
    }
  }
  for (const auto& ns : cfg.dns) {
    if (!LooksLikeIp(ns)) return InvalidArgument(ns + " is not an ip address");
  }
  for (const auto& p : cfg.port_bindings) {
    if (!p.host_ip.empty() && !ParseIpv4(p.host_ip).ok()) {
      return InvalidArgument("berth publishes ports on IPv4 addresses only: invalid host IP \"" + p.host_ip + "\"");
    }
    if (p.host_port < 0 || p.host_port > 65535) {
      return InvalidArgument("invalid port specification: \"" + std::to_string(p.host_port) + "\"");
    }
  }
  return OkStatus();
}

Status ValidateEndpointDriverOpts(const std::map<std::string, std::string>& opts) {
  for (const auto& [key, value] : opts) {
    if (key.starts_with("com.docker.network.")) {
      return InvalidArgument("berth does not support the endpoint driver option " + key);
    }
  }
  return OkStatus();
}

Status ValidateLinkLocalIps(const std::vector<std::string>& ips) {
  for (const auto& ip : ips) {
    if (ip.find(':') != std::string::npos && LooksLikeIp(ip)) {
      return InvalidArgument("berth does not support IPv6 link-local addresses (" + ip + ")");
    }
    if (!ParseIpv4(ip).ok()) {
      std::string list;
      for (const auto& each : ips) list += (list.empty() ? "" : " ") + each;
      return InvalidArgument("invalid link-local IP address: [" + list + "]");
    }
  }
  return OkStatus();
}

namespace {

// An endpoint request from stored endpoint settings (the network mode's,
// in ContainerNetworkConfig, or a joined network's): the same fields.
template <typename Settings>
EndpointRequest EndpointRequestFrom(const std::string& network, const Settings& s) {
  return EndpointRequest{.network = network,
                         .ip = s.ipv4_address,
                         .aliases = s.aliases,
                         .mac = s.mac_address,
                         .driver_opts = s.driver_opts,
                         .link_local_ips = s.link_local_ips,
                         .links = s.links};
}

}  // namespace

EndpointRequest EndpointRequestOf(const ContainerNetworkConfig::ConnectedNetwork& joined) {
  return EndpointRequestFrom(joined.network_id, joined);
}

EndpointRequest ModeEndpointRequestOf(const ContainerNetworkConfig& cfg, const std::string& network) {
  return EndpointRequestFrom(network, cfg);
}

Result<std::pair<std::string, std::string>> ParseEndpointLink(std::string_view link) {
  if (link.empty()) return InvalidArgument("empty string specified for links");
  const size_t colon = link.find(':');
  if (colon == std::string_view::npos) return std::pair<std::string, std::string>{link, link};
  if (link.find(':', colon + 1) != std::string_view::npos) {
    return InvalidArgument("bad format for links: " + std::string(link));
  }
  std::string_view name = link.substr(0, colon), alias = link.substr(colon + 1);
  if (name.starts_with('/')) {  // the form inspect shows, "/name:/container/alias"
    name.remove_prefix(1);
    if (size_t slash = alias.rfind('/'); slash != std::string_view::npos) alias.remove_prefix(slash + 1);
  }
  return std::pair<std::string, std::string>{name, alias};
}

namespace {

json::array StringsValue(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& x : v) a.push_back(json::string(x));
  return a;
}

// The string elements of the array member `key` of `o` (none when absent).
std::vector<std::string> StringsMember(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  if (const json::value* a = o.if_contains(key); a != nullptr && a->is_array()) {
    for (const auto& x : a->as_array()) {
      if (x.is_string()) out.emplace_back(x.as_string());
    }
  }
  return out;
}

json::object StringMapValue(const std::map<std::string, std::string>& m) {
  json::object o;
  for (const auto& [k, v] : m) o[k] = v;
  return o;
}

std::map<std::string, std::string> StringMapMember(const json::object& o, std::string_view key) {
  std::map<std::string, std::string> out;
  if (const json::value* m = o.if_contains(key); m != nullptr && m->is_object()) {
    for (const auto& [k, v] : m->as_object()) {
      if (v.is_string()) out[std::string(k)] = std::string(v.as_string());
    }
  }
  return out;
}

}  // namespace

std::string NetworkConfigToJson(const ContainerNetworkConfig& cfg) {
  const auto strings = StringsValue;
  json::object o{{"ExposedPorts", strings(cfg.exposed_ports)},
                 {"PortBindings", PortsToJson(cfg.port_bindings)},
                 {"PublishAllPorts", cfg.publish_all_ports},
                 {"ExtraHosts", strings(cfg.extra_hosts)},
                 {"Dns", strings(cfg.dns)},
                 {"DnsSearch", strings(cfg.dns_search)},
                 {"DnsOptions", strings(cfg.dns_options)},
                 {"IPv4Address", cfg.ipv4_address},
                 {"Aliases", strings(cfg.aliases)},
                 {"MacAddress", cfg.mac_address},
                 {"DriverOpts", StringMapValue(cfg.driver_opts)},
                 {"LinkLocalIPs", strings(cfg.link_local_ips)},
                 {"Links", strings(cfg.links)},
                 {"LegacyLinks", strings(cfg.legacy_links)},
                 {"ModeNetworkDisconnected", cfg.mode_network_disconnected}};
  json::array connected;
  for (const auto& j : cfg.connected) {
    connected.push_back(json::object{{"NetworkID", j.network_id},
                                     {"NetworkName", j.network_name},
                                     {"IPv4Address", j.ipv4_address},
                                     {"Aliases", strings(j.aliases)},
                                     {"MacAddress", j.mac_address},
                                     {"DriverOpts", StringMapValue(j.driver_opts)},
                                     {"LinkLocalIPs", strings(j.link_local_ips)},
                                     {"Links", strings(j.links)}});
  }
  o["Connected"] = std::move(connected);
  return json::serialize(o);
}

Result<ContainerNetworkConfig> NetworkConfigFromJson(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return DataLoss("bad stored network config");
  const json::object& o = v.as_object();
  auto strings = [&o](std::string_view key) { return StringsMember(o, key); };
  ContainerNetworkConfig cfg;
  cfg.exposed_ports = strings("ExposedPorts");
  if (const json::value* ports = o.if_contains("PortBindings"); ports != nullptr && ports->is_array()) {
    for (const auto& p : ports->as_array()) {
      if (!p.is_object()) continue;
      const json::object& po = p.as_object();
      cfg.port_bindings.push_back(PortMapping{IntField(po, "ContainerPort"), StringField(po, "Protocol"),
                                              StringField(po, "HostIp"), IntField(po, "HostPort")});
    }
  }
  if (const json::value* all = o.if_contains("PublishAllPorts"); all != nullptr && all->is_bool()) {
    cfg.publish_all_ports = all->as_bool();
  }
  cfg.extra_hosts = strings("ExtraHosts");
  cfg.dns = strings("Dns");
  cfg.dns_search = strings("DnsSearch");
  cfg.dns_options = strings("DnsOptions");
  cfg.ipv4_address = StringField(o, "IPv4Address");
  cfg.aliases = strings("Aliases");
  cfg.mac_address = StringField(o, "MacAddress");
  cfg.driver_opts = StringMapMember(o, "DriverOpts");
  cfg.link_local_ips = strings("LinkLocalIPs");
  cfg.links = strings("Links");
  cfg.legacy_links = strings("LegacyLinks");
  if (const json::value* d = o.if_contains("ModeNetworkDisconnected"); d != nullptr && d->is_bool()) {
    cfg.mode_network_disconnected = d->as_bool();
  }
  if (const json::value* joined = o.if_contains("Connected"); joined != nullptr && joined->is_array()) {
    for (const auto& j : joined->as_array()) {
      if (!j.is_object()) continue;
      const json::object& jo = j.as_object();
      ContainerNetworkConfig::ConnectedNetwork n;
      n.network_id = StringField(jo, "NetworkID");
      n.network_name = StringField(jo, "NetworkName");
      n.ipv4_address = StringField(jo, "IPv4Address");
      n.mac_address = StringField(jo, "MacAddress");
      n.driver_opts = StringMapMember(jo, "DriverOpts");
      n.link_local_ips = StringsMember(jo, "LinkLocalIPs");
      n.links = StringsMember(jo, "Links");
      n.aliases = StringsMember(jo, "Aliases");
      cfg.connected.push_back(std::move(n));
    }
  }
  return cfg;
}

Status RewriteFileInPlace(const std::string& path, const std::string& text) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return ErrnoStatus("open " + path, errno);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ErrnoStatus("write " + path, n < 0 ? errno : EIO);
    done += static_cast<size_t>(n);
  }
  return OkStatus();
}

std::string AttachmentToJson(const NetworkAttachment& a) {
  json::array exposed;
  for (const auto& e : a.exposed) exposed.push_back(json::string(e));
  json::array aliases;
  for (const auto& e : a.aliases) aliases.push_back(json::string(e));
  json::array upstreams;
  for (const auto& e : a.dns_upstreams) upstreams.push_back(json::string(e));
  json::object o{{"ContainerID", a.container_id},
                 {"NetworkName", a.network_name},
                 {"NetworkID", a.network_id},
                 {"EndpointID", a.endpoint_id},
                 {"IPAddress", a.ip_address},
                 {"IPPrefixLen", a.ip_prefix_len},
                 {"Gateway", a.gateway},
                 {"MacAddress", a.mac_address},
                 {"NetnsPath", a.netns_path},
                 {"HostInterface", a.host_interface},
                 {"Ports", PortsToJson(a.ports)},
                 {"Exposed", std::move(exposed)},
                 {"Bridge", a.bridge},
                 {"Aliases", std::move(aliases)},
                 {"ContainerName", a.container_name},
                 {"DnsResolver", a.dns_resolver},
                 {"DnsUpstreams", std::move(upstreams)},
                 {"Interface", a.interface_name},
                 {"RequestedMac", a.requested_mac},
                 {"LinkLocalIPs", StringsValue(a.link_local_ips)},
                 {"Links", StringsValue(a.links)},
                 {"IPMasquerade", a.ip_masquerade},
                 {"MTU", a.mtu},
                 {"Internal", a.internal},
                 {"CniNetfilter", a.cni_netfilter}};
  return json::serialize(o);
}

Result<NetworkAttachment> AttachmentFromJson(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return DataLoss("bad network attachment record");
  const json::object& o = v.as_object();
  NetworkAttachment a;
  a.container_id = StringField(o, "ContainerID");
  a.network_name = StringField(o, "NetworkName");
  a.network_id = StringField(o, "NetworkID");
  a.endpoint_id = StringField(o, "EndpointID");
  a.ip_address = StringField(o, "IPAddress");
  a.ip_prefix_len = IntField(o, "IPPrefixLen");
  a.gateway = StringField(o, "Gateway");
  a.mac_address = StringField(o, "MacAddress");
  a.netns_path = StringField(o, "NetnsPath");
  a.host_interface = StringField(o, "HostInterface");
  a.bridge = StringField(o, "Bridge");
  a.container_name = StringField(o, "ContainerName");
  if (const json::value* r = o.if_contains("DnsResolver"); r != nullptr && r->is_bool()) a.dns_resolver = r->as_bool();
  if (const json::value* u = o.if_contains("DnsUpstreams"); u != nullptr && u->is_array()) {
    for (const auto& e : u->as_array()) {
      if (e.is_string()) a.dns_upstreams.emplace_back(e.as_string());
    }
  }
  a.interface_name = StringField(o, "Interface");
  if (a.interface_name.empty()) a.interface_name = "eth0";  // written before containers joined more networks
  a.requested_mac = StringField(o, "RequestedMac");
  a.link_local_ips = StringsMember(o, "LinkLocalIPs");
  a.links = StringsMember(o, "Links");
  if (const json::value* m = o.if_contains("IPMasquerade"); m != nullptr && m->is_bool())
    a.ip_masquerade = m->as_bool();
  a.mtu = IntField(o, "MTU");
  if (const json::value* i = o.if_contains("Internal"); i != nullptr && i->is_bool()) a.internal = i->as_bool();
  // Absent: a record of a berthd whose CNI plugins made every rule.
  const json::value* cni = o.if_contains("CniNetfilter");
  a.cni_netfilter = cni == nullptr || !cni->is_bool() || cni->as_bool();
  if (const json::value* aliases = o.if_contains("Aliases"); aliases != nullptr && aliases->is_array()) {
    for (const auto& e : aliases->as_array()) {
      if (e.is_string()) a.aliases.emplace_back(e.as_string());
    }
  }
  if (const json::value* ports = o.if_contains("Ports"); ports != nullptr && ports->is_array()) {
    for (const auto& p : ports->as_array()) {
      if (!p.is_object()) continue;
      const json::object& po = p.as_object();
      a.ports.push_back(PortMapping{IntField(po, "ContainerPort"), StringField(po, "Protocol"),
                                    StringField(po, "HostIp"), IntField(po, "HostPort")});
    }
  }
  if (const json::value* exposed = o.if_contains("Exposed"); exposed != nullptr && exposed->is_array()) {
    for (const auto& e : exposed->as_array()) {
      if (e.is_string()) a.exposed.emplace_back(e.as_string());
    }
  }
  if (a.container_id.empty() || a.ip_address.empty()) return DataLoss("bad network attachment record");
  return a;
}

}  // namespace berth
