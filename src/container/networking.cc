// A starting container's network (see ContainerServiceImpl::PrepareNetwork).
#include <algorithm>

#include "berth/log.h"
#include "container/internal.h"

namespace berth::container {

namespace {

bool WantsBridge(const std::string& mode) { return mode.empty() || mode == "default" || mode == "bridge"; }

// A user-defined network's name or ID.
bool WantsUserNetwork(const std::string& mode) {
  return !WantsBridge(mode) && mode != "none" && mode != "host" && !mode.starts_with("container:");
}

// The ports a container publishes: its PortBindings, plus with -P every
// exposed port (the image's and the container's) not bound already, on an
// ephemeral host port.
std::vector<PortMapping> PublishedPorts(const ContainerNetworkConfig& net, const ImageProcess& image) {
  std::vector<PortMapping> out = net.port_bindings;
  if (!net.publish_all_ports) return out;
  std::vector<std::string> exposed = image.exposed_ports;
  exposed.insert(exposed.end(), net.exposed_ports.begin(), net.exposed_ports.end());
  for (const auto& spec : exposed) {
    auto port = ParsePortProto(spec);
    if (!port.ok()) continue;
    bool bound = std::any_of(out.begin(), out.end(), [&](const PortMapping& m) {
      return m.container_port == port->first && m.protocol == port->second;
    });
    if (!bound) out.push_back(PortMapping{port->first, port->second, "", 0});
  }
  return out;
}

// Exposed ports without a host binding, as "80/tcp" (inspect lists them
// with null bindings).
std::vector<std::string> UnpublishedPorts(const ContainerNetworkConfig& net, const ImageProcess& image,
                                          const std::vector<PortMapping>& published) {
  std::vector<std::string> out;
  std::vector<std::string> exposed = image.exposed_ports;
  exposed.insert(exposed.end(), net.exposed_ports.begin(), net.exposed_ports.end());
  for (const auto& spec : exposed) {
    auto port = ParsePortProto(spec);
    if (!port.ok()) continue;
    const std::string key = std::to_string(port->first) + "/" + port->second;
    bool bound = std::any_of(published.begin(), published.end(), [&](const PortMapping& m) {
      return m.container_port == port->first && m.protocol == port->second;
    });
    if (!bound && std::find(out.begin(), out.end(), key) == out.end()) out.push_back(key);
  }
  return out;
}

// Docker's network connect/disconnect event: Actor the network, the
// container in its attributes.
Event NetworkEvent(const std::string& action, const NetworkAttachment& a) {
  Event e;
  e.type = "network";
  e.action = action;
  e.actor_id = a.network_id;
  e.attributes = {{"container", a.container_id}, {"name", a.network_name}, {"type", "bridge"}};
  return e;
}

constexpr char kHostResolvConf[] = "/etc/resolv.conf";

std::string HostResolvConf() { return Env::Default()->ReadFileToString(kHostResolvConf).value_or(""); }

constexpr std::string_view kHostGateway = "host-gateway";

// --add-host entries ("name:ip") with Docker's "host-gateway" address
// replaced by `gateway`.
std::vector<std::string> WithHostGateway(const std::vector<std::string>& extra_hosts, const std::string& gateway) {
  std::vector<std::string> out;
  for (std::string entry : extra_hosts) {
    if (entry.ends_with(kHostGateway)) entry = entry.substr(0, entry.size() - kHostGateway.size()) + gateway;
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace

Status ContainerServiceImpl::PrepareNetwork(const ContainerRecord& rec, const ContainerConfig& cfg,
                                            const ImageProcess& image, const std::vector<LinkedChild>& linked,
                                            ProcessSpec* p) {
  const std::string& mode = cfg.network_mode;
  NetworkService* network = opts_.network;
  const bool user_network = WantsUserNetwork(mode);
  if (user_network && network == nullptr) return NotFound("network " + mode + " not found");
  const bool bridge = (WantsBridge(mode) && network != nullptr && network->BridgeEnabled()) || user_network;
  if (mode == "bridge" && !bridge) {
    return InvalidArgument("the bridge network is not available on this daemon");
  }
  if (!bridge && !PublishedPorts(cfg.network, image).empty() && mode != "host") {
    return InvalidArgument("published ports need the bridge network; this container's network is \"" +
                           (mode.empty() ? std::string("none") : mode) + "\"");
  }
  if (mode.starts_with("container:")) {
    BERTH_ASSIGN_OR_RETURN(auto other, Find(mode.substr(10)));
    MutexLock l(&mu_);
    if (!other->rec.running() || other->rec.pid <= 0) {
      return Conflict("cannot join network namespace of a non running container: container " + other->rec.id +
                      " is not running");
    }
    p->network_namespace_path = "/proc/" + std::to_string(other->rec.pid) + "/ns/net";
    return OkStatus();
  }
  // A container with loopback only, or on the host's network, still gets
  // the --add-host lines: its /etc/hosts is localhost's and theirs, as
  // Docker's for --network none, or the host's and theirs (--network host).
  auto own_hosts_file = [&](bool host_mode) -> Status {
    if (cfg.network.extra_hosts.empty()) return OkStatus();
    const bool has_gateway = network != nullptr && network->BridgeEnabled();
    for (const std::string& entry : cfg.network.extra_hosts) {
      if (entry.ends_with(kHostGateway) && !has_gateway) {
        return InvalidArgument("--add-host " + entry +
                               ": host-gateway needs the bridge network, which this daemon has not");
      }
    }
    const std::vector<std::string> extra_hosts =
        WithHostGateway(cfg.network.extra_hosts, has_gateway ? network->BridgeGateway() : "");
    std::string text;
    if (host_mode) {
      text = store_->env()->ReadFileToString("/etc/hosts").value_or("");
      if (!text.empty() && text.back() != '\n') text += '\n';
      text += ExtraHostsLines(extra_hosts);
    } else {
      text = BuildHostsFile("", p->hostname, extra_hosts);
    }
    const std::string path = Dir(rec.id) + "/hosts";
    BERTH_RETURN_IF_ERROR(WriteFileAtomic(store_->env(), path, text));
    p->bind_mounts.push_back({path, "/etc/hosts", false});
    return OkStatus();
  };
  if (mode == "none" || mode == "host") return own_hosts_file(mode == "host");
  if (network == nullptr) return OkStatus();
  // Its own namespace, made by the network service even with no network
  // to join now, so that docker network connect can add one later. Where
  // that cannot be made and there is nothing to join, the runtime's own
  // loopback-only namespace does, as before.
  const bool joins = (bridge && !cfg.network.mode_network_disconnected) || !cfg.network.connected.empty();
  auto sandbox = network->EnsureSandbox(rec.id);
  if (!sandbox.ok()) {
    if (joins) return sandbox.status();
    LogIfError(sandbox.status(), "make the network namespace of container " + rec.id);
    return own_hosts_file(false);
  }
  p->network_namespace_path = *sandbox;
  std::optional<NetworkAttachment> first;
  if (bridge && !cfg.network.mode_network_disconnected) {
    const std::vector<PortMapping> published = PublishedPorts(cfg.network, image);
    const EndpointRequest endpoint = ModeEndpointRequestOf(cfg.network, user_network ? mode : std::string());
    auto a = network->Attach(rec.id, rec.name, published, UnpublishedPorts(cfg.network, image, published), endpoint);
    if (!a.ok()) {
      ReleaseNetwork(rec.id);
      return a.status();
    }
    store_->events()->Publish(NetworkEvent("connect", *a));
    first = *a;
  }
  // The networks joined by docker network connect, in that order.
  for (const auto& joined : cfg.network.connected) {
    auto a = network->Connect(rec.id, rec.name, EndpointRequestOf(joined));
    if (!a.ok()) {
      ReleaseNetwork(rec.id);
      if (a.status().code() == Code::kNotFound) return NotFound("network " + joined.network_name + " not found");
      return a.status();
    }
    store_->events()->Publish(NetworkEvent("connect", *a));
    if (!first) first = *a;
  }
  if (!first) return own_hosts_file(false);  // a loopback-only namespace
  // Docker's files, bound read-write where the image has its own.
  std::vector<std::string> extra_hosts = WithHostGateway(cfg.network.extra_hosts, first->gateway);
  for (const LinkedChild& child : linked) extra_hosts.push_back(LegacyLinkHostsEntry(child));
  const std::string dir = Dir(rec.id);
  // On a user-defined network the container resolves its peers through the
  // embedded DNS server (its /etc/hosts lists only itself, as Docker's).
  const bool internal_dns = user_network || !cfg.network.connected.empty();
  std::string resolv_conf;
  std::vector<std::string> upstreams;
  if (internal_dns) {
    InternalResolvConf rc = BuildInternalResolvConf(HostResolvConf(), kHostResolvConf, cfg.network.dns,
                                                    cfg.network.dns_search, cfg.network.dns_options);
    resolv_conf = std::move(rc.text);
    upstreams = std::move(rc.upstreams);
  } else {
    resolv_conf = BuildResolvConf(HostResolvConf(), cfg.network.dns, cfg.network.dns_search, cfg.network.dns_options);
  }
  const std::vector<std::pair<std::string, std::string>> files = {
      {"hosts", BuildHostsFile(first->ip_address, p->hostname, extra_hosts)},
      {"hostname", p->hostname + "\n"},
      {"resolv.conf", resolv_conf}};
  for (const auto& [name, text] : files) {
    Status s = WriteFileAtomic(store_->env(), dir + "/" + name, text);
    if (!s.ok()) {
      ReleaseNetwork(rec.id);
      return s;
    }
    p->bind_mounts.push_back({dir + "/" + name, "/etc/" + name, false});
  }
  if (internal_dns) {
    if (Status s = network->StartResolver(rec.id, upstreams); !s.ok()) {
      ReleaseNetwork(rec.id);
      return s;
    }
  }
  return OkStatus();
}

void ContainerServiceImpl::ReleaseNetwork(const std::string& id) {
  if (opts_.network == nullptr) return;
  std::vector<NetworkAttachment> attached = opts_.network->AttachmentsOf(id);
  Status s = opts_.network->Detach(id);
  LogIfError(s, "release the network of container " + id);
  if (!s.ok()) return;
  for (const auto& a : attached) store_->events()->Publish(NetworkEvent("disconnect", a));
}

namespace {

// The network a connect or disconnect names, resolved.
struct NamedNetwork {
  std::string id;
  std::string name;
  enum Kind { kBridge, kHost, kNone, kUser } kind = kUser;
};

Result<NamedNetwork> ResolveNetwork(NetworkService* network, const std::string& ref) {
  if (ref == "host") return NamedNetwork{"", "host", NamedNetwork::kHost};
  if (ref == "none") return NamedNetwork{"", "none", NamedNetwork::kNone};
  if (ref == "bridge" || (network->BridgeEnabled() && !ref.empty() && network->BridgeNetworkId().starts_with(ref))) {
    if (!network->BridgeEnabled()) return NotFound("network " + ref + " not found");
    return NamedNetwork{network->BridgeNetworkId(), "bridge", NamedNetwork::kBridge};
  }
  BERTH_ASSIGN_OR_RETURN(UserNetwork n, network->FindNetwork(ref));
  return NamedNetwork{n.id, n.name, NamedNetwork::kUser};
}

// Whether the container's network mode names network `n`.
bool ModeIs(NetworkService* network, const std::string& mode, const NamedNetwork& n) {
  if (n.kind == NamedNetwork::kBridge) return WantsBridge(mode);
  if (n.kind != NamedNetwork::kUser || !WantsUserNetwork(mode)) return false;
  auto found = network->FindNetwork(mode);
  return found.ok() && found->id == n.id;
}

bool JoinedNetwork(const ContainerNetworkConfig& net, const std::string& network_id) {
  return std::any_of(net.connected.begin(), net.connected.end(),
                     [&](const ContainerNetworkConfig::ConnectedNetwork& j) { return j.network_id == network_id; });
}

}  // namespace

Result<ContainerServiceImpl::NetworkingView> ContainerServiceImpl::NetworkingViewOf(const std::shared_ptr<Ctr>& c,
                                                                                    const std::string& ref) {
  MutexLock l(&mu_);
  if (c->removed) return NotFound("No such container: " + ref);
  return NetworkingView{c->stored.config.network_mode, c->rec.id, c->rec.name, c->rec.running(),
                        c->stored.config.network};
}

Status ContainerServiceImpl::ConnectNetwork(const std::string& ref, const EndpointRequest& endpoint) {
  NetworkService* network = opts_.network;
  if (network == nullptr) return Unimplemented("this daemon has no network service");
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  MutexLock op(c->op_mu.get());
  BERTH_ASSIGN_OR_RETURN(const NetworkingView view, NetworkingViewOf(c, ref));
  const auto& [mode, id, name, running, net] = view;
  BERTH_ASSIGN_OR_RETURN(NamedNetwork n, ResolveNetwork(network, endpoint.network));
  if (mode == "host" && n.kind == NamedNetwork::kHost) {
    return PermissionDenied("endpoint with name " + (name.starts_with("/") ? name.substr(1) : name) +
                            " already exists in network host");
  }
  if (mode == "host" || mode.starts_with("container:")) {
    return InvalidArgument(
        "container sharing network namespace with another container or host cannot be connected to any other network");
  }
  if (n.kind == NamedNetwork::kHost) {
    return InvalidArgument("cannot connect container to host network - container must be created in host network mode");
  }
  if (mode == "none" || n.kind == NamedNetwork::kNone) {
    return InvalidArgument(
        "container cannot be connected to multiple networks with one of the networks in private (none) mode");
  }
  if (n.kind == NamedNetwork::kBridge) {
    if (!endpoint.ip.empty()) {
      return InvalidArgument("user specified IP address is supported on user defined networks only");
    }
    if (!endpoint.aliases.empty()) {
      return InvalidArgument("network-scoped alias is supported only for containers in user defined networks");
    }
    if (!endpoint.links.empty()) {
      return InvalidArgument("berth supports --link on user-defined networks only, not on the default bridge network");
    }
  }
  for (const auto& link : endpoint.links) BERTH_RETURN_IF_ERROR(ParseEndpointLink(link).status());
  if (!endpoint.ip.empty()) BERTH_RETURN_IF_ERROR(ParseIpv4(endpoint.ip).status());
  if (!endpoint.mac.empty() && !IsMacAddress(endpoint.mac)) {
    return InvalidArgument("invalid MAC address " + endpoint.mac);
  }
  BERTH_RETURN_IF_ERROR(ValidateEndpointDriverOpts(endpoint.driver_opts));
  BERTH_RETURN_IF_ERROR(ValidateLinkLocalIps(endpoint.link_local_ips));
  const bool mode_network = ModeIs(network, mode, n);
  const bool on_it = (mode_network && !net.mode_network_disconnected) || JoinedNetwork(net, n.id);
  if (!running && on_it) return OkStatus();  // Docker keeps the first config
  if (running) {
    EndpointRequest req = endpoint;
    req.network = n.kind == NamedNetwork::kBridge ? std::string("bridge") : n.id;
    BERTH_ASSIGN_OR_RETURN(NetworkAttachment a, network->Connect(id, name, req));
    store_->events()->Publish(NetworkEvent("connect", a));
  }
  MutexLock l(&mu_);
  return PersistStoredChange(*c, [&](StoredConfig& s) {
    ContainerNetworkConfig& stored = s.config.network;
    if (mode_network) {
      stored.mode_network_disconnected = false;
      stored.ipv4_address = endpoint.ip;
      stored.aliases = endpoint.aliases;
      stored.mac_address = endpoint.mac;
      stored.driver_opts = endpoint.driver_opts;
      stored.link_local_ips = endpoint.link_local_ips;
      stored.links = endpoint.links;
    } else {
      std::erase_if(stored.connected, [&](const auto& j) { return j.network_id == n.id; });
      stored.connected.push_back({.network_id = n.id,
                                  .network_name = n.name,
                                  .ipv4_address = endpoint.ip,
                                  .aliases = endpoint.aliases,
                                  .mac_address = endpoint.mac,
                                  .driver_opts = endpoint.driver_opts,
                                  .link_local_ips = endpoint.link_local_ips,
                                  .links = endpoint.links});
    }
  });
}

Status ContainerServiceImpl::DisconnectNetwork(const std::string& ref, const std::string& network_ref, bool force) {
  NetworkService* network = opts_.network;
  if (network == nullptr) return Unimplemented("this daemon has no network service");
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  MutexLock op(c->op_mu.get());
  BERTH_ASSIGN_OR_RETURN(const NetworkingView view, NetworkingViewOf(c, ref));
  const auto& [mode, id, name, running, net] = view;
  auto resolved = ResolveNetwork(network, network_ref);
  if (!resolved.ok()) {
    // Docker: with force, a network gone since is dropped from a stopped
    // container's config by the name it was joined under.
    auto by_name = [&](const ContainerNetworkConfig::ConnectedNetwork& j) { return j.network_name == network_ref; };
    if (!force || running || std::none_of(net.connected.begin(), net.connected.end(), by_name)) {
      return resolved.status();
    }
    MutexLock l(&mu_);
    return PersistStoredChange(*c, [&](StoredConfig& s) { std::erase_if(s.config.network.connected, by_name); });
  }
  const NamedNetwork& n = *resolved;
  if (n.kind == NamedNetwork::kHost && mode == "host") {
    return InvalidArgument(
        "cannot disconnect container from host network - container was created in host network mode");
  }
  if (n.kind == NamedNetwork::kNone && mode == "none") {
    return InvalidArgument("berth does not support disconnecting a container from the none network");
  }
  const bool mode_network = ModeIs(network, mode, n);
  const bool on_it = n.kind != NamedNetwork::kHost && n.kind != NamedNetwork::kNone &&
                     ((mode_network && !net.mode_network_disconnected) || JoinedNetwork(net, n.id));
  if (running) {
    std::optional<NetworkAttachment> endpoint;
    for (auto& a : network->AttachmentsOf(id)) {
      if (a.network_id == n.id) endpoint = a;
    }
    if (!endpoint) return Internal("container " + id + " is not connected to network " + n.name);
    BERTH_RETURN_IF_ERROR(network->Disconnect(id, n.id));
    store_->events()->Publish(NetworkEvent("disconnect", *endpoint));
  } else if (!on_it) {
    return Internal("container " + id + " is not connected to the network " + n.name);
  }
  MutexLock l(&mu_);
  return PersistStoredChange(*c, [&](StoredConfig& s) {
    if (mode_network) {
      s.config.network.mode_network_disconnected = true;
    } else {
      std::erase_if(s.config.network.connected, [&](const auto& j) { return j.network_id == n.id; });
    }
  });
}

}  // namespace berth::container

namespace berth {

Status ContainerService::ConnectNetwork(const std::string& ref, const EndpointRequest&) {
  return Unimplemented("network connect is not supported here: " + ref);
}

Status ContainerService::DisconnectNetwork(const std::string& ref, const std::string&, bool) {
  return Unimplemented("network disconnect is not supported here: " + ref);
}

}  // namespace berth
