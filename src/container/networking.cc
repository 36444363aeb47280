// A starting container's network (see ContainerServiceImpl::PrepareNetwork).
#include <algorithm>
#include <fstream>
#include <sstream>

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

std::string HostResolvConf() {
  std::ifstream in(kHostResolvConf);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

Status ContainerServiceImpl::PrepareNetwork(const ContainerRecord& rec, const ContainerConfig& cfg,
                                            const ImageProcess& image, ProcessSpec* p) {
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
  if (!bridge) return OkStatus();
  const std::vector<PortMapping> published = PublishedPorts(cfg.network, image);
  EndpointRequest endpoint;
  if (user_network) endpoint = EndpointRequest{mode, cfg.network.ipv4_address, cfg.network.aliases};
  BERTH_ASSIGN_OR_RETURN(
      NetworkAttachment a,
      network->Attach(rec.id, rec.name, published, UnpublishedPorts(cfg.network, image, published), endpoint));
  p->network_namespace_path = a.netns_path;
  store_->events()->Publish(NetworkEvent("connect", a));
  // Docker's files, bound read-write where the image has its own.
  std::vector<std::string> extra_hosts;
  for (std::string entry : cfg.network.extra_hosts) {
    if (entry.ends_with("host-gateway")) entry = entry.substr(0, entry.size() - 12) + a.gateway;
    extra_hosts.push_back(std::move(entry));
  }
  const std::string dir = Dir(rec.id);
  // On a user-defined network the container resolves its peers through the
  // embedded DNS server (its /etc/hosts lists only itself, as Docker's).
  std::string resolv_conf;
  std::vector<std::string> upstreams;
  if (user_network) {
    InternalResolvConf rc = BuildInternalResolvConf(HostResolvConf(), kHostResolvConf, cfg.network.dns,
                                                    cfg.network.dns_search, cfg.network.dns_options);
    resolv_conf = std::move(rc.text);
    upstreams = std::move(rc.upstreams);
  } else {
    resolv_conf = BuildResolvConf(HostResolvConf(), cfg.network.dns, cfg.network.dns_search, cfg.network.dns_options);
  }
  const std::vector<std::pair<std::string, std::string>> files = {
      {"hosts", BuildHostsFile(a.ip_address, p->hostname, extra_hosts)},
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
  if (user_network) {
    if (Status s = network->StartResolver(rec.id, upstreams); !s.ok()) {
      ReleaseNetwork(rec.id);
      return s;
    }
  }
  return OkStatus();
}

void ContainerServiceImpl::ReleaseNetwork(const std::string& id) {
  if (opts_.network == nullptr) return;
  std::optional<NetworkAttachment> attached = opts_.network->AttachmentOf(id);
  Status s = opts_.network->Detach(id);
  LogIfError(s, "release the network of container " + id);
  if (attached && s.ok()) store_->events()->Publish(NetworkEvent("disconnect", *attached));
}

}  // namespace berth::container
