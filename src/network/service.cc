// NetworkService: network namespaces, the CNI bridge and portmap plugins,
// held host ports (see berth/network_service.h).
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "base/unique_fd.h"
#include "berth/dns.h"
#include "berth/env.h"
#include "berth/log.h"
#include "berth/mutex.h"
#include "berth/network_service.h"
#include "network/cni.h"
#include "network/network_store.h"

namespace berth {

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

constexpr char kBridgeNetworkName[] = "bridge";
constexpr char kContainerInterface[] = "eth0";

std::string RandomHex64() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 64; ++i) out += kHex[rng() & 0xf];
  return out;
}

// Holds host_ip:host_port (port 0: an ephemeral one, written back) so that
// no other process or container takes it while the container publishes it.
Result<UniqueFd> HoldHostPort(PortMapping* p) {
  UniqueFd fd(::socket(AF_INET, (p->protocol == "udp" ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return ErrnoStatus("socket", errno);
  struct sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(p->host_port));
  uint32_t ip = 0;
  if (!p->host_ip.empty()) {
    BERTH_ASSIGN_OR_RETURN(ip, ParseIpv4(p->host_ip));
  }
  addr.sin_addr.s_addr = htonl(ip);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return ErrnoStatus("bind", errno);
  socklen_t len = sizeof(addr);
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) return ErrnoStatus("getsockname", errno);
  p->host_port = ntohs(addr.sin_port);
  return fd;
}

class NetworkServiceImpl : public NetworkService {
 public:
  NetworkServiceImpl(NetworkServiceOptions opts, Ipv4Subnet subnet, uint32_t gateway, std::string network_id,
                     std::unique_ptr<network_internal::NetworkStore> store)
      : opts_(std::move(opts)),
        subnet_(subnet),
        gateway_(gateway),
        network_id_(std::move(network_id)),
        store_(std::move(store)) {}

  Status Load() EXCLUDES(mu_) {
    BERTH_ASSIGN_OR_RETURN(auto networks, store_->All());
    for (const auto& n : networks) {
      if (n.internal) {
        LogIfError(network_internal::SetIsolationRules(n.bridge, true), "restore the isolation rules of " + n.name);
      }
      if (n.ip_masquerade) {
        LogIfError(network_internal::SetMasquerade(NetworkSubnet(n), n.bridge, true), "restore the NAT of " + n.name);
      }
    }
    MutexLock l(&mu_);
    for (auto& n : networks) networks_[n.id] = std::move(n);
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(NetnsDir(), ec)) {
      const std::string path = entry.path().string();
      if (!path.ends_with(".json")) continue;
      auto text = Env::Default()->ReadFileToString(path);
      auto a = text.ok() ? AttachmentFromJson(*text) : Result<NetworkAttachment>(text.status());
      if (!a.ok()) {
        LogIfError(a.status(), "read the network attachment " + path);
        continue;
      }
      if (a->bridge.empty()) a->bridge = opts_.bridge_name;  // written before user networks
      Attached held;
      for (auto p : a->ports) {
        auto fd = HoldHostPort(&p);
        if (fd.ok()) held.port_fds.push_back(std::move(*fd));
      }
      held.attachment = std::move(*a);
      attached_[held.attachment.container_id].push_back(std::move(held));
    }
    for (auto& [id, endpoints] : attached_) {
      std::sort(endpoints.begin(), endpoints.end(), [](const Attached& x, const Attached& y) {
        return InterfaceIndex(x.attachment.interface_name) < InterfaceIndex(y.attachment.interface_name);
      });
    }
    // The bridge network's NAT lives as long as its bridge: in use, it is
    // there (or made again).
    if (BridgeEnabled() && !BridgeIdleLocked(opts_.bridge_name)) {
      LogIfError(network_internal::SetMasquerade(BridgeSubnet(), opts_.bridge_name, true),
                 "restore the NAT of the bridge network");
      bridge_masquerade_ = true;
    }
    return OkStatus();
  }

  bool BridgeEnabled() const override { return opts_.bridge_name != "none"; }
  std::string BridgeNetworkId() const override { return network_id_; }

  Result<NetworkAttachment> Attach(const std::string& id, const std::string& name,
                                   const std::vector<PortMapping>& publish, const std::vector<std::string>& exposed,
                                   const EndpointRequest& endpoint) override EXCLUDES(mu_) {
    return AddEndpoint(id, name, publish, exposed, endpoint, /*connect=*/false);
  }

  Result<NetworkAttachment> Connect(const std::string& id, const std::string& name,
                                    const EndpointRequest& endpoint) override EXCLUDES(mu_) {
    return AddEndpoint(id, name, {}, {}, endpoint, /*connect=*/true);
  }

  Result<std::string> EnsureSandbox(const std::string& id) override EXCLUDES(mu_) {
    const std::string path = NetnsPath(id);
    Status s = network_internal::CreateNetns(path);
    if (s.ok()) {
      MutexLock l(&mu_);
      new_netns_.insert(id);
    }
    if (!s.ok() && s.code() != Code::kAlreadyExists) return s;
    return path;
  }

  Status Detach(const std::string& id) override EXCLUDES(mu_) {
    std::vector<NetworkAttachment> gone;
    {
      MutexLock l(&mu_);
      if (auto it = attached_.find(id); it != attached_.end()) {
        for (const auto& held : it->second) gone.push_back(held.attachment);
      }
    }
    if (dns_) dns_->Close(id);
    for (const auto& a : gone) {
      network_internal::RemoveEndpoint(a, opts_.cni_path);
      ::unlink(RecordPath(id, a.interface_name).c_str());
    }
    // Also a namespace with no endpoint left (EnsureSandbox, or every
    // network disconnected).
    network_internal::RemoveNetns(NetnsPath(id));
    {
      MutexLock l(&mu_);
      attached_.erase(id);
      new_netns_.erase(id);
      for (const auto& a : gone) DeleteIdleBridgeLocked(a.bridge);
      if (HadPortmapPortsLocked(gone)) network_internal::RemoveIdlePortmapChains();
    }
    return OkStatus();
  }

  Status Disconnect(const std::string& id, const std::string& network_id) override EXCLUDES(mu_) {
    NetworkAttachment a;
    {
      MutexLock l(&mu_);
      const Attached* found = FindEndpointLocked(id, network_id);
      if (found == nullptr) return NotFound("container " + id + " is not connected to network " + network_id);
      a = found->attachment;
    }
    network_internal::RemoveEndpoint(a, opts_.cni_path);
    ::unlink(RecordPath(id, a.interface_name).c_str());
    {
      MutexLock l(&mu_);
      auto& endpoints = attached_[id];
      std::erase_if(endpoints, [&](const Attached& e) { return e.attachment.interface_name == a.interface_name; });
      if (endpoints.empty()) attached_.erase(id);
      DeleteIdleBridgeLocked(a.bridge);
      if (HadPortmapPortsLocked({a})) network_internal::RemoveIdlePortmapChains();
    }
    return OkStatus();
  }

  Status StartResolver(const std::string& id, const std::vector<std::string>& upstreams) override EXCLUDES(mu_) {
    if (!dns_) return Unimplemented("the embedded DNS server is disabled on this daemon");
    std::string netns_path;
    bool new_namespace = false;
    {
      MutexLock l(&mu_);
      auto it = attached_.find(id);
      if (it == attached_.end() || it->second.empty()) {
        return NotFound("container " + id + " has no network attachment");
      }
      netns_path = it->second.front().attachment.netns_path;
      new_namespace = new_netns_.erase(id) > 0;
    }
    BERTH_RETURN_IF_ERROR(dns_->Open(id, netns_path, upstreams, new_namespace));
    MutexLock l(&mu_);
    auto it = attached_.find(id);
    if (it == attached_.end()) return NotFound("container " + id + " has no network attachment");
    for (auto& held : it->second) {
      held.attachment.dns_resolver = true;
      held.attachment.dns_upstreams = upstreams;
      BERTH_RETURN_IF_ERROR(WriteFileReplacing(Env::Default(), RecordPath(id, held.attachment.interface_name),
                                               AttachmentToJson(held.attachment)));
    }
    return OkStatus();
  }

  // Who container `id` may resolve by name: every container (itself too)
  // on a user-defined network it is on, and, by the aliases of its endpoint
  // links (--link on a user network), the containers they name there.
  // Called by the DNS event loop at each query.
  std::vector<dns::Peer> DnsPeersOf(const std::string& id) EXCLUDES(mu_) {
    MutexLock l(&mu_);
    std::set<std::string> networks;
    std::map<std::pair<std::string, std::string>, std::vector<std::string>> link_aliases;  // (network, name) -> aliases
    if (auto mine = attached_.find(id); mine != attached_.end()) {
      for (const auto& held : mine->second) {
        if (held.attachment.network_id != network_id_) networks.insert(held.attachment.network_id);
        for (const auto& link : held.attachment.links) {
          auto parsed = ParseEndpointLink(link);
          if (parsed.ok()) link_aliases[{held.attachment.network_id, parsed->first}].push_back(parsed->second);
        }
      }
    }
    std::vector<dns::Peer> out;
    for (const auto& [cid, endpoints] : attached_) {
      for (const auto& held : endpoints) {
        const NetworkAttachment& a = held.attachment;
        if (!networks.contains(a.network_id)) continue;
        dns::Peer peer{a.ip_address, a.network_name, a.container_name, {}};
        if (!a.container_name.empty()) peer.names.push_back(a.container_name);
        peer.names.insert(peer.names.end(), a.aliases.begin(), a.aliases.end());
        peer.names.push_back(a.container_id.substr(0, 12));
        out.push_back(std::move(peer));
        if (auto linked = link_aliases.find({a.network_id, a.container_name}); linked != link_aliases.end()) {
          out.push_back(dns::Peer{a.ip_address, a.network_name, a.container_name, linked->second});
        }
      }
    }
    return out;
  }

  // Opens the listeners of the attachments a previous berthd served.
  void ReopenResolvers() EXCLUDES(mu_) {
    if (!dns_) return;
    std::vector<NetworkAttachment> served;
    {
      MutexLock l(&mu_);
      for (const auto& [id, endpoints] : attached_) {
        // One listener pair per container, in its one namespace.
        for (const auto& held : endpoints) {
          if (held.attachment.dns_resolver) {
            served.push_back(held.attachment);
            break;
          }
        }
      }
    }
    for (const auto& a : served) {
      LogIfError(dns_->Open(a.container_id, a.netns_path, a.dns_upstreams, /*new_namespace=*/false),
                 "reopen the DNS server of container " + a.container_id);
    }
  }

  void SetDns(std::unique_ptr<dns::EmbeddedDns> dns) { dns_ = std::move(dns); }

  Result<UserNetwork> CreateNetwork(const NetworkCreateRequest& req) override EXCLUDES(mu_) {
    MutexLock l(&mu_);
    for (const auto& [id, other] : networks_) {
      if (other.name == req.name) return Conflict("network with name " + req.name + " already exists");
    }
    std::vector<Ipv4Subnet> taken = network_internal::HostRoutes();
    if (BridgeEnabled()) taken.push_back(subnet_);
    for (const auto& [id, other] : networks_) {
      if (auto sub = ParseIpv4Cidr(other.subnet); sub.ok()) taken.push_back(*sub);
    }
    BERTH_ASSIGN_OR_RETURN(UserNetwork n, PlanUserNetwork(req, taken, opts_.default_address_pools));
    n.id = RandomHex64();
    n.created_unix_nanos =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    if (n.bridge.empty()) n.bridge = UserNetworkBridgeName(n.id);
    // Docker's bridge driver: one bridge per network.
    auto same_bridge = [&](const std::string& other_id, const std::string& other_bridge) {
      return Status(Code::kPermissionDenied, "cannot create network " + n.id + " (" + n.bridge +
                                                 "): conflicts with network " + other_id + " (" + other_bridge +
                                                 "): networks have same bridge name");
    };
    if (BridgeEnabled() && n.bridge == opts_.bridge_name) return same_bridge(network_id_, opts_.bridge_name);
    for (const auto& [id, other] : networks_) {
      if (other.bridge == n.bridge) return same_bridge(id, other.bridge);
    }
    if (n.internal) BERTH_RETURN_IF_ERROR(network_internal::SetIsolationRules(n.bridge, true));
    // Outbound NAT once for the network, as Docker (not per endpoint).
    Status s = n.ip_masquerade ? network_internal::SetMasquerade(NetworkSubnet(n), n.bridge, true) : OkStatus();
    if (s.ok()) s = store_->Insert(n);
    if (!s.ok()) {
      if (n.internal) LogIfError(network_internal::SetIsolationRules(n.bridge, false), "remove the rules of " + n.name);
      if (n.ip_masquerade) {
        LogIfError(network_internal::SetMasquerade(NetworkSubnet(n), n.bridge, false), "remove the NAT of " + n.name);
      }
    }
    if (s.code() == Code::kAlreadyExists) return Conflict("network with name " + req.name + " already exists");
    BERTH_RETURN_IF_ERROR(s);
    networks_[n.id] = n;
    return n;
  }

  std::vector<UserNetwork> UserNetworks() override EXCLUDES(mu_) {
    MutexLock l(&mu_);
    std::vector<UserNetwork> out;
    for (const auto& [id, n] : networks_) out.push_back(n);
    std::sort(out.begin(), out.end(), [](const UserNetwork& a, const UserNetwork& b) { return a.name < b.name; });
    return out;
  }

  Result<UserNetwork> FindNetwork(const std::string& ref) override EXCLUDES(mu_) {
    MutexLock l(&mu_);
    return FindLocked(ref);
  }

  Status RemoveNetwork(const std::string& id) override EXCLUDES(mu_) {
    std::string bridge, masquerade_subnet;
    bool internal = false;
    {
      MutexLock l(&mu_);
      auto it = networks_.find(id);
      if (it == networks_.end()) return NotFound("network " + id + " not found");
      for (const auto& [cid, endpoints] : attached_) {
        for (const auto& held : endpoints) {
          if (held.attachment.network_id == id) {
            return PermissionDenied("error while removing network: network " + it->second.name + " id " + id +
                                    " has active endpoints");
          }
        }
      }
      BERTH_RETURN_IF_ERROR(store_->Delete(id));
      bridge = it->second.bridge;
      internal = it->second.internal;
      if (it->second.ip_masquerade) masquerade_subnet = NetworkSubnet(it->second);
      networks_.erase(it);
    }
    if (internal) {
      LogIfError(network_internal::SetIsolationRules(bridge, false), "remove the isolation rules of " + bridge);
    }
    if (!masquerade_subnet.empty()) {
      LogIfError(network_internal::SetMasquerade(masquerade_subnet, bridge, false), "remove the NAT of " + bridge);
    }
    // Normally gone with its last container; a crash may have left it.
    if (fs::exists("/sys/class/net/" + bridge)) {
      LogIfError(network_internal::DeleteLink(bridge), "delete the bridge " + bridge);
    }
    return OkStatus();
  }

  std::string BridgeName() const override { return BridgeEnabled() ? opts_.bridge_name : ""; }
  std::string BridgeSubnet() const override {
    return BridgeEnabled() ? FormatIpv4(subnet_.network) + "/" + std::to_string(subnet_.prefix_len) : "";
  }
  std::string BridgeGateway() const override { return BridgeEnabled() ? FormatIpv4(gateway_) : ""; }

  std::vector<NetworkAttachment> Attachments() override EXCLUDES(mu_) {
    MutexLock l(&mu_);
    std::vector<NetworkAttachment> out;
    for (const auto& [id, endpoints] : attached_) {
      for (const auto& held : endpoints) out.push_back(held.attachment);
    }
    return out;
  }

  std::optional<NetworkAttachment> AttachmentOf(const std::string& id) override EXCLUDES(mu_) {
    MutexLock l(&mu_);
    auto it = attached_.find(id);
    if (it == attached_.end() || it->second.empty()) return std::nullopt;
    return it->second.front().attachment;
  }

  std::vector<NetworkAttachment> AttachmentsOf(const std::string& id) override EXCLUDES(mu_) {
    MutexLock l(&mu_);
    std::vector<NetworkAttachment> out;
    if (auto it = attached_.find(id); it != attached_.end()) {
      for (const auto& held : it->second) out.push_back(held.attachment);
    }
    return out;
  }

 private:
  struct Attached {
    NetworkAttachment attachment;
    std::vector<UniqueFd> port_fds;
  };

  // "eth3" → 3 (anything else: a large number, sorted last).
  static int InterfaceIndex(const std::string& name) {
    if (!name.starts_with("eth") || name.size() == 3) return 1 << 20;
    int n = 0;
    for (char ch : name.substr(3)) {
      if (ch < '0' || ch > '9') return 1 << 20;
      n = n * 10 + (ch - '0');
    }
    return n;
  }

  // Attach (`connect` false: the container's first endpoint, with its
  // ports; attached already: that endpoint) and Connect (`connect` true:
  // one more endpoint; on that network already: Docker's 403).
  Result<NetworkAttachment> AddEndpoint(const std::string& id, const std::string& name,
                                        const std::vector<PortMapping>& publish,
                                        const std::vector<std::string>& exposed, const EndpointRequest& endpoint,
                                        bool connect) EXCLUDES(mu_) {
    const bool user_network = !endpoint.network.empty() && endpoint.network != kBridgeNetworkName;
    if (!user_network) {
      if (!BridgeEnabled()) return InvalidArgument("the bridge network is disabled on this daemon (--bridge none)");
      if (!endpoint.ip.empty())
        return InvalidArgument("user specified IP address is supported on user defined networks only");
      if (!endpoint.aliases.empty()) {
        return InvalidArgument("network-scoped alias is supported only for containers in user defined networks");
      }
    }
    Attached held;
    NetworkAttachment& a = held.attachment;
    a.container_id = id;
    a.container_name = name.starts_with("/") ? name.substr(1) : name;
    a.endpoint_id = RandomHex64();
    a.netns_path = NetnsPath(id);
    a.exposed = exposed;
    a.aliases = endpoint.aliases;
    a.requested_mac = endpoint.mac;
    a.link_local_ips = endpoint.link_local_ips;
    a.links = endpoint.links;
    bool default_route = true;
    bool add_bridge_masquerade = false;
    {
      MutexLock l(&mu_);
      Ipv4Subnet subnet = subnet_, range = subnet_;
      uint32_t gateway = gateway_;
      std::set<uint32_t> in_use;  // addresses no new endpoint gets
      if (user_network) {
        BERTH_ASSIGN_OR_RETURN(UserNetwork n, FindLocked(endpoint.network));
        BERTH_ASSIGN_OR_RETURN(subnet, ParseIpv4Cidr(n.subnet));
        BERTH_ASSIGN_OR_RETURN(gateway, ParseIpv4(n.gateway));
        range = subnet;
        if (!n.ip_range.empty()) {
          BERTH_ASSIGN_OR_RETURN(range, ParseIpv4Cidr(n.ip_range));
        }
        for (const auto& [aux_name, address] : n.aux_addresses) {
          if (auto ip = ParseIpv4(address); ip.ok()) in_use.insert(*ip);  // IPAM auxiliary addresses
        }
        a.network_name = n.name;
        a.network_id = n.id;
        a.bridge = n.bridge;
        a.ip_masquerade = n.ip_masquerade;
        a.mtu = n.mtu;
        a.internal = n.internal;
      } else {
        a.network_name = kBridgeNetworkName;
        a.network_id = network_id_;
        a.bridge = opts_.bridge_name;
      }
      std::vector<Attached>& mine = attached_[id];
      if (const Attached* on = FindEndpointLocked(id, a.network_id)) {
        if (connect) {
          return PermissionDenied("endpoint with name " + a.container_name + " already exists in network " +
                                  a.network_name);
        }
        return on->attachment;
      }
      if (!connect && !mine.empty()) return mine.front().attachment;
      std::set<int> used;
      for (const auto& e : mine) used.insert(InterfaceIndex(e.attachment.interface_name));
      int index = 0;
      while (used.contains(index)) ++index;
      a.interface_name = "eth" + std::to_string(index);
      default_route = mine.empty();
      a.ip_prefix_len = subnet.prefix_len;
      a.gateway = FormatIpv4(gateway);
      // Ports: held here so two containers never both get one.
      for (PortMapping p : publish) {
        const std::string shown = (p.host_ip.empty() ? "0.0.0.0" : p.host_ip) + ":" + std::to_string(p.host_port);
        auto fd = HoldHostPort(&p);
        if (!fd.ok()) {
          if (mine.empty()) attached_.erase(id);
          const std::string why = fd.status().message().find("in use") != std::string::npos
                                      ? "Bind for " + shown + " failed: port is already allocated"
                                      : "failed to bind host port " + shown + ": " + fd.status().message();
          return Internal("driver failed programming external connectivity on endpoint " + name + " (" + a.endpoint_id +
                          "): " + why);
        }
        held.port_fds.push_back(std::move(*fd));
        a.ports.push_back(p);
      }
      for (const auto& [other, endpoints] : attached_) {
        for (const auto& e : endpoints) {
          auto ip = ParseIpv4(e.attachment.ip_address);
          if (ip.ok() && e.attachment.network_id == a.network_id) in_use.insert(*ip);
        }
      }
      Status chosen = [&]() -> Status {
        if (!endpoint.ip.empty()) {
          BERTH_ASSIGN_OR_RETURN(uint32_t ip, ParseIpv4(endpoint.ip));
          if (!SubnetContains(subnet, ip) || ip == subnet.network || ip == gateway) {
            return InvalidArgument("no configured subnet or ip-range contain the IP address " + endpoint.ip);
          }
          if (in_use.contains(ip)) return Conflict("Address already in use: " + endpoint.ip);
          a.ip_address = endpoint.ip;
          return OkStatus();
        }
        BERTH_ASSIGN_OR_RETURN(uint32_t ip, AllocateAddress(range, gateway, in_use));
        a.ip_address = FormatIpv4(ip);
        return OkStatus();
      }();
      if (!chosen.ok()) {
        if (mine.empty()) attached_.erase(id);
        return chosen;
      }
      mine.push_back(Attached{a, {}});  // address and interface taken; the fds stay in `held` until done
      // The bridge network's NAT comes with its first endpoint (and goes
      // with the bridge, DeleteIdleBridgeLocked). Taken here, so that one
      // endpoint makes it.
      if (!user_network && !bridge_masquerade_) {
        bridge_masquerade_ = true;
        add_bridge_masquerade = true;
      }
    }
    // Connect joins the namespace the container runs in; one made now
    // would be another (a container started without one by berthd).
    Status s = connect ? (fs::exists(a.netns_path)
                              ? OkStatus()
                              : FailedPrecondition("container " + id +
                                                   " runs without a network namespace of berthd's; restart it to "
                                                   "connect it to a network"))
                       : EnsureSandbox(id).status();
    if (s.ok() && add_bridge_masquerade) {
      // Only this berthd adds it, and every copy goes with the bridge.
      s = network_internal::SetMasquerade(BridgeSubnet(), a.bridge, true, /*check_first=*/false);
    }
    if (s.ok()) s = network_internal::AddEndpoint(&a, {opts_.cni_path, default_route});
    if (s.ok()) {
      s = WriteFileReplacing(Env::Default(), RecordPath(id, a.interface_name), AttachmentToJson(a));
      if (!s.ok()) network_internal::RemoveEndpoint(a, opts_.cni_path);
    }
    NetworkAttachment result = a;  // `a` is part of `held`, moved next
    {
      MutexLock l(&mu_);
      auto& mine = attached_[id];
      auto slot = std::find_if(mine.begin(), mine.end(),
                               [&](const Attached& e) { return e.attachment.interface_name == result.interface_name; });
      if (!s.ok()) {
        if (slot != mine.end()) mine.erase(slot);
        if (mine.empty()) attached_.erase(id);
        DeleteIdleBridgeLocked(result.bridge);
      } else {
        if (slot != mine.end()) *slot = std::move(held);
      }
    }
    if (!s.ok()) {
      // A first endpoint that failed leaves no namespace behind.
      if (!connect) {
        network_internal::RemoveNetns(NetnsPath(id));
        MutexLock l(&mu_);
        new_netns_.erase(id);
      }
      return s;
    }
    return result;
  }

  const Attached* FindEndpointLocked(const std::string& id, const std::string& network_id) REQUIRES(mu_) {
    auto it = attached_.find(id);
    if (it == attached_.end()) return nullptr;
    for (const auto& held : it->second) {
      if (held.attachment.network_id == network_id) return &held;
    }
    return nullptr;
  }

  // The last endpoint on `bridge` left: the bridge goes too (it comes back
  // with the next one), so nothing of berthd's stays on an idle host.
  void DeleteIdleBridgeLocked(const std::string& bridge) REQUIRES(mu_) {
    if (!BridgeIdleLocked(bridge)) return;
    if (BridgeEnabled() && bridge == opts_.bridge_name && bridge_masquerade_) {
      LogIfError(network_internal::SetMasquerade(BridgeSubnet(), bridge, false), "remove the NAT of " + bridge);
      bridge_masquerade_ = false;
    }
    if (fs::exists("/sys/class/net/" + bridge)) {
      LogIfError(network_internal::DeleteLink(bridge), "delete the bridge " + bridge);
    }
  }

  // Some of `gone` published a port through portmap (an older berthd's
  // endpoint) and no endpoint left does: portmap's shared chains may be
  // idle now (worth a look).
  bool HadPortmapPortsLocked(const std::vector<NetworkAttachment>& gone) REQUIRES(mu_) {
    auto by_portmap = [](const NetworkAttachment& a) { return !a.ports.empty() && a.cni_netfilter; };
    if (std::none_of(gone.begin(), gone.end(), by_portmap)) return false;
    for (const auto& [other, endpoints] : attached_) {
      for (const auto& held : endpoints) {
        if (by_portmap(held.attachment)) return false;
      }
    }
    return true;
  }

  bool BridgeIdleLocked(const std::string& bridge) REQUIRES(mu_) {
    for (const auto& [other, endpoints] : attached_) {
      for (const auto& held : endpoints) {
        if (held.attachment.bridge == bridge) return false;
      }
    }
    return true;
  }

  // "10.1.2.0/24" (the stored subnet may carry host bits).
  static std::string NetworkSubnet(const UserNetwork& n) {
    auto subnet = ParseIpv4Cidr(n.subnet);
    return subnet.ok() ? FormatIpv4Cidr(*subnet) : n.subnet;
  }

  // By name, full ID, or a unique ID prefix.
  Result<UserNetwork> FindLocked(const std::string& ref) REQUIRES(mu_) {
    if (auto it = networks_.find(ref); it != networks_.end()) return it->second;
    for (const auto& [id, n] : networks_) {
      if (n.name == ref) return n;
    }
    const UserNetwork* found = nullptr;
    for (const auto& [id, n] : networks_) {
      if (!ref.empty() && id.starts_with(ref)) {
        if (found != nullptr) return InvalidArgument("network " + ref + " is ambiguous (more than one network)");
        found = &n;
      }
    }
    if (found == nullptr) return NotFound("network " + ref + " not found");
    return *found;
  }

  std::string NetnsDir() const { return opts_.exec_root + "/netns"; }
  std::string NetnsPath(const std::string& id) const { return NetnsDir() + "/" + id; }
  // eth0's record is <id>.json (as before containers had more than one).
  std::string RecordPath(const std::string& id, const std::string& interface_name) const {
    if (interface_name == kContainerInterface) return NetnsDir() + "/" + id + ".json";
    return NetnsDir() + "/" + id + "." + interface_name + ".json";
  }

  const NetworkServiceOptions opts_;
  const Ipv4Subnet subnet_;
  const uint32_t gateway_;
  const std::string network_id_;
  const std::unique_ptr<network_internal::NetworkStore> store_;
  Mutex mu_;
  // Each container's endpoints, in interface order, by container ID.
  std::map<std::string, std::vector<Attached>> attached_ GUARDED_BY(mu_);
  std::map<std::string, UserNetwork> networks_ GUARDED_BY(mu_);  // by ID
  // The containers whose namespace EnsureSandbox made and no resolver was
  // opened in yet: it has no netfilter rule (StartResolver takes the ID).
  std::set<std::string> new_netns_ GUARDED_BY(mu_);
  // The bridge network's NAT rule is there (made by this berthd, or found
  // in use at Load).
  bool bridge_masquerade_ GUARDED_BY(mu_) = false;
  // Last: destroyed first, so no query is answered from a half-gone service.
  // Set once in Open, before any other use.
  std::unique_ptr<dns::EmbeddedDns> dns_;
};

}  // namespace

Result<std::unique_ptr<NetworkService>> NetworkService::Open(const NetworkServiceOptions& opts) {
  Ipv4Subnet subnet;
  uint32_t gateway = 0;
  if (!opts.bip.empty()) {
    auto sep = opts.bip.find('/');
    BERTH_ASSIGN_OR_RETURN(subnet, ParseIpv4Cidr(opts.bip));
    BERTH_ASSIGN_OR_RETURN(gateway, ParseIpv4(opts.bip.substr(0, sep)));
    if (subnet.prefix_len > 30 || gateway == subnet.network) {
      return InvalidArgument("invalid bip " + opts.bip + ": give the bridge's address and a prefix of at most /30");
    }
  } else if (opts.bridge_name != "none" && !opts.default_address_pools.empty()) {
    BERTH_ASSIGN_OR_RETURN(subnet, PickPoolSubnet(opts.default_address_pools, network_internal::HostRoutes()));
    gateway = subnet.network + 1;
  } else if (opts.bridge_name != "none") {
    BERTH_ASSIGN_OR_RETURN(subnet, PickDefaultSubnet(network_internal::HostRoutes()));
    gateway = subnet.network + 1;
  }
  const std::string netns_dir = opts.exec_root + "/netns";
  std::error_code ec;
  fs::create_directories(netns_dir, ec);
  if (ec) return Internal("create " + netns_dir + ": " + ec.message());
  // The bridge network's ID is kept beside networks.db (the data root), so
  // that it outlives the exec root (often a tmpfs); an exec root's copy
  // from before is taken over.
  const std::string state_dir = opts.state_dir.empty() ? netns_dir : opts.state_dir;
  BERTH_ASSIGN_OR_RETURN(auto store, network_internal::NetworkStore::Open(state_dir));
  std::string network_id;
  if (auto text = Env::Default()->ReadFileToString(state_dir + "/bridge.id"); text.ok() && text->size() == 64) {
    network_id = *text;
  } else {
    auto old = Env::Default()->ReadFileToString(netns_dir + "/bridge.id");
    network_id = old.ok() && old->size() == 64 ? *old : RandomHex64();
    BERTH_RETURN_IF_ERROR(WriteFileReplacing(Env::Default(), state_dir + "/bridge.id", network_id));
  }
  auto impl = std::make_unique<NetworkServiceImpl>(opts, subnet, gateway, network_id, std::move(store));
  BERTH_RETURN_IF_ERROR(impl->Load());
  if (opts.embedded_dns) {
    NetworkServiceImpl* service = impl.get();
    BERTH_ASSIGN_OR_RETURN(
        auto dns, dns::EmbeddedDns::Start([service](const std::string& id) { return service->DnsPeersOf(id); }, {}));
    impl->SetDns(std::move(dns));
    impl->ReopenResolvers();
  }
  return std::unique_ptr<NetworkService>(std::move(impl));
}

}  // namespace berth
