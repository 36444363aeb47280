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
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "base/unique_fd.h"
#include "berth/dns.h"
#include "berth/log.h"
#include "berth/mutex.h"
#include "berth/network_service.h"
#include "network/network_store.h"
#include "runtime/subprocess.h"

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

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status WriteWholeFile(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out.flush()) return Internal("cannot write " + tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return ErrnoStatus("rename " + tmp, errno);
  return OkStatus();
}

// The IPv4 destinations of the host's routes (/proc/net/route), but the
// default route.
std::vector<Ipv4Subnet> HostRoutes() {
  std::vector<Ipv4Subnet> out;
  auto text = ReadWholeFile("/proc/net/route");
  if (!text.ok()) return out;
  std::istringstream in(*text);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string iface, dest, gateway, flags, refcnt, use, metric, mask;
    if (!(fields >> iface >> dest >> gateway >> flags >> refcnt >> use >> metric >> mask)) continue;
    // Little-endian hex of network-order values.
    uint32_t d = ntohl(static_cast<uint32_t>(std::stoul(dest, nullptr, 16)));
    uint32_t m = ntohl(static_cast<uint32_t>(std::stoul(mask, nullptr, 16)));
    if (m == 0) continue;
    out.push_back(Ipv4Subnet{d & m, __builtin_popcount(m)});
  }
  return out;
}

// Creates a network namespace bind-mounted at `path` with its loopback up.
// A helper thread unshares its own network namespace (nothing else of
// berthd moves) and exits once the mount holds the namespace.
Status CreateNetns(const std::string& path) {
  {
    UniqueFd f(::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
    if (!f.valid()) return ErrnoStatus("create " + path, errno);
  }
  Status result;
  std::thread helper([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      result = ErrnoStatus("unshare the network namespace", errno);
      return;
    }
    if (::mount("/proc/thread-self/ns/net", path.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      result = ErrnoStatus("bind the network namespace at " + path, errno);
      return;
    }
    UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    struct ifreq ifr = {};
    std::snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
    if (!sock.valid() || ::ioctl(sock.get(), SIOCGIFFLAGS, &ifr) != 0) {
      result = ErrnoStatus("read the loopback's flags", errno);
      return;
    }
    ifr.ifr_flags |= IFF_UP;
    if (::ioctl(sock.get(), SIOCSIFFLAGS, &ifr) != 0) result = ErrnoStatus("bring the loopback up", errno);
  });
  helper.join();
  if (!result.ok()) {
    ::umount2(path.c_str(), MNT_DETACH);
    ::unlink(path.c_str());
  }
  return result;
}

void RemoveNetns(const std::string& path) {
  ::umount2(path.c_str(), MNT_DETACH);
  ::unlink(path.c_str());
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
    {
      MutexLock l(&mu_);
      for (auto& n : networks) networks_[n.id] = std::move(n);
    }
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(NetnsDir(), ec)) {
      const std::string path = entry.path().string();
      if (!path.ends_with(".json")) continue;
      auto text = ReadWholeFile(path);
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
      MutexLock l(&mu_);
      attached_[held.attachment.container_id] = std::move(held);
    }
    return OkStatus();
  }

  bool BridgeEnabled() const override { return opts_.bridge_name != "none"; }
  std::string BridgeNetworkId() const override { return network_id_; }

  Result<NetworkAttachment> Attach(const std::string& id, const std::string& name,
                                   const std::vector<PortMapping>& publish, const std::vector<std::string>& exposed,
                                   const EndpointRequest& endpoint) override EXCLUDES(mu_) {
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
    a.netns_path = NetnsDir() + "/" + id;
    a.exposed = exposed;
    a.aliases = endpoint.aliases;
    {
      MutexLock l(&mu_);
      if (auto it = attached_.find(id); it != attached_.end()) return it->second.attachment;
      Ipv4Subnet subnet = subnet_, range = subnet_;
      uint32_t gateway = gateway_;
      if (user_network) {
        BERTH_ASSIGN_OR_RETURN(UserNetwork n, FindLocked(endpoint.network));
        BERTH_ASSIGN_OR_RETURN(subnet, ParseIpv4Cidr(n.subnet));
        BERTH_ASSIGN_OR_RETURN(gateway, ParseIpv4(n.gateway));
        range = subnet;
        if (!n.ip_range.empty()) {
          BERTH_ASSIGN_OR_RETURN(range, ParseIpv4Cidr(n.ip_range));
        }
        a.network_name = n.name;
        a.network_id = n.id;
        a.bridge = n.bridge;
      } else {
        a.network_name = kBridgeNetworkName;
        a.network_id = network_id_;
        a.bridge = opts_.bridge_name;
      }
      a.ip_prefix_len = subnet.prefix_len;
      a.gateway = FormatIpv4(gateway);
      // Ports: held here so two containers never both get one.
      for (PortMapping p : publish) {
        const std::string shown = (p.host_ip.empty() ? "0.0.0.0" : p.host_ip) + ":" + std::to_string(p.host_port);
        auto fd = HoldHostPort(&p);
        if (!fd.ok()) {
          const std::string why = fd.status().message().find("in use") != std::string::npos
                                      ? "Bind for " + shown + " failed: port is already allocated"
                                      : "failed to bind host port " + shown + ": " + fd.status().message();
          return Internal("driver failed programming external connectivity on endpoint " + name + " (" + a.endpoint_id +
                          "): " + why);
        }
        held.port_fds.push_back(std::move(*fd));
        a.ports.push_back(p);
      }
      std::set<uint32_t> in_use;
      for (const auto& [other, att] : attached_) {
        auto ip = ParseIpv4(att.attachment.ip_address);
        if (ip.ok() && att.attachment.network_id == a.network_id) in_use.insert(*ip);
      }
      if (!endpoint.ip.empty()) {
        BERTH_ASSIGN_OR_RETURN(uint32_t ip, ParseIpv4(endpoint.ip));
        if (!SubnetContains(subnet, ip) || ip == subnet.network || ip == gateway) {
          return InvalidArgument("no configured subnet or ip-range contain the IP address " + endpoint.ip);
        }
        if (in_use.contains(ip)) return Conflict("Address already in use: " + endpoint.ip);
        a.ip_address = endpoint.ip;
      } else {
        BERTH_ASSIGN_OR_RETURN(uint32_t ip, AllocateAddress(range, gateway, in_use));
        a.ip_address = FormatIpv4(ip);
      }
      attached_[id] = Attached{a, {}};  // the address is taken; fds stay in `held` until done
    }
    Status s = Plumb(&a);
    MutexLock l(&mu_);
    if (!s.ok()) {
      attached_.erase(id);
      return s;
    }
    NetworkAttachment result = a;  // `a` is part of `held`, moved next
    attached_[id] = std::move(held);
    return result;
  }

  Status Detach(const std::string& id) override EXCLUDES(mu_) {
    NetworkAttachment a;
    {
      MutexLock l(&mu_);
      auto it = attached_.find(id);
      if (it == attached_.end()) return OkStatus();
      a = it->second.attachment;
    }
    if (dns_) dns_->Close(id);
    Unplumb(a);
    ::unlink(RecordPath(id).c_str());
    {
      MutexLock l(&mu_);
      attached_.erase(id);
      bool bridge_idle = true;
      for (const auto& [other, held] : attached_) bridge_idle = bridge_idle && held.attachment.bridge != a.bridge;
      if (bridge_idle) {
        // The last container left: the bridge goes too (it comes back with
        // the next one), so nothing of berthd's stays on an idle host.
        LogIfError(RunQuiet({"ip", "link", "delete", a.bridge}), "delete the bridge " + a.bridge);
      }
      if (attached_.empty()) RemoveIdlePortmapChains();
    }
    return OkStatus();
  }

  Status StartResolver(const std::string& id, const std::vector<std::string>& upstreams) override EXCLUDES(mu_) {
    if (!dns_) return Unimplemented("the embedded DNS server is disabled on this daemon");
    std::string netns_path;
    {
      MutexLock l(&mu_);
      auto it = attached_.find(id);
      if (it == attached_.end()) return NotFound("container " + id + " has no network attachment");
      if (it->second.attachment.network_id == network_id_) {
        return FailedPrecondition("the default bridge network has no embedded DNS server");
      }
      netns_path = it->second.attachment.netns_path;
    }
    BERTH_RETURN_IF_ERROR(dns_->Open(id, netns_path, upstreams));
    MutexLock l(&mu_);
    auto it = attached_.find(id);
    if (it == attached_.end()) return NotFound("container " + id + " has no network attachment");
    NetworkAttachment& a = it->second.attachment;
    a.dns_resolver = true;
    a.dns_upstreams = upstreams;
    return WriteWholeFile(RecordPath(id), AttachmentToJson(a));
  }

  // Who container `id` may resolve by name: every container (itself too)
  // on a user-defined network it is on. Called by the DNS event loop at
  // each query.
  std::vector<dns::Peer> DnsPeersOf(const std::string& id) EXCLUDES(mu_) {
    MutexLock l(&mu_);
    std::set<std::string> networks;
    for (const auto& [cid, held] : attached_) {
      if (held.attachment.container_id == id && held.attachment.network_id != network_id_) {
        networks.insert(held.attachment.network_id);
      }
    }
    std::vector<dns::Peer> out;
    for (const auto& [cid, held] : attached_) {
      const NetworkAttachment& a = held.attachment;
      if (!networks.contains(a.network_id)) continue;
      dns::Peer peer{a.ip_address, a.network_name, a.container_name, {}};
      if (!a.container_name.empty()) peer.names.push_back(a.container_name);
      peer.names.insert(peer.names.end(), a.aliases.begin(), a.aliases.end());
      peer.names.push_back(a.container_id.substr(0, 12));
      out.push_back(std::move(peer));
    }
    return out;
  }

  // Opens the listeners of the attachments a previous berthd served.
  void ReopenResolvers() EXCLUDES(mu_) {
    if (!dns_) return;
    std::vector<NetworkAttachment> served;
    {
      MutexLock l(&mu_);
      for (const auto& [id, held] : attached_) {
        if (held.attachment.dns_resolver) served.push_back(held.attachment);
      }
    }
    for (const auto& a : served) {
      LogIfError(dns_->Open(a.container_id, a.netns_path, a.dns_upstreams),
                 "reopen the DNS server of container " + a.container_id);
    }
  }

  void SetDns(std::unique_ptr<dns::EmbeddedDns> dns) { dns_ = std::move(dns); }

  Result<UserNetwork> CreateNetwork(const NetworkCreateRequest& req) override EXCLUDES(mu_) {
    MutexLock l(&mu_);
    for (const auto& [id, other] : networks_) {
      if (other.name == req.name) return Conflict("network with name " + req.name + " already exists");
    }
    std::vector<Ipv4Subnet> taken = HostRoutes();
    if (BridgeEnabled()) taken.push_back(subnet_);
    for (const auto& [id, other] : networks_) {
      if (auto sub = ParseIpv4Cidr(other.subnet); sub.ok()) taken.push_back(*sub);
    }
    BERTH_ASSIGN_OR_RETURN(UserNetwork n, PlanUserNetwork(req, taken));
    n.id = RandomHex64();
    n.created_unix_nanos =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    n.bridge = UserNetworkBridgeName(n.id);
    Status s = store_->Insert(n);
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
    std::string bridge;
    {
      MutexLock l(&mu_);
      auto it = networks_.find(id);
      if (it == networks_.end()) return NotFound("network " + id + " not found");
      for (const auto& [cid, held] : attached_) {
        if (held.attachment.network_id == id) {
          return PermissionDenied("error while removing network: network " + it->second.name + " id " + id +
                                  " has active endpoints");
        }
      }
      BERTH_RETURN_IF_ERROR(store_->Delete(id));
      bridge = it->second.bridge;
      networks_.erase(it);
    }
    // Normally gone with its last container; a crash may have left it.
    if (fs::exists("/sys/class/net/" + bridge)) {
      LogIfError(RunQuiet({"ip", "link", "delete", bridge}), "delete the bridge " + bridge);
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
    for (const auto& [id, held] : attached_) out.push_back(held.attachment);
    return out;
  }

  std::optional<NetworkAttachment> AttachmentOf(const std::string& id) override EXCLUDES(mu_) {
    MutexLock l(&mu_);
    auto it = attached_.find(id);
    if (it == attached_.end()) return std::nullopt;
    return it->second.attachment;
  }

 private:
  struct Attached {
    NetworkAttachment attachment;
    std::vector<UniqueFd> port_fds;
  };

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
  std::string RecordPath(const std::string& id) const { return NetnsDir() + "/" + id + ".json"; }

  static Status RunQuiet(const std::vector<std::string>& argv) {
    BERTH_ASSIGN_OR_RETURN(auto r, runtime_internal::RunCommand(argv));
    if (r.exit_code != 0) return Internal(argv[0] + " failed: " + r.err);
    return OkStatus();
  }

  // The portmap plugin's shared chains (CNI-HOSTPORT-*) and their jumps
  // stay after its last DEL; once no port of any CNI user is left in
  // CNI-HOSTPORT-DNAT, they go, so an idle host keeps nothing of berthd's
  // in its nat table.
  static void RemoveIdlePortmapChains() {
    auto listing = runtime_internal::RunCommand({"iptables", "-t", "nat", "-S", "CNI-HOSTPORT-DNAT"});
    if (!listing.ok() || listing->exit_code != 0) return;                        // absent
    if (listing->out.find("-A CNI-HOSTPORT-DNAT") != std::string::npos) return;  // still in use
    const std::vector<std::vector<std::string>> jumps = {
        {"PREROUTING", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "CNI-HOSTPORT-DNAT"},
        {"OUTPUT", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "CNI-HOSTPORT-DNAT"},
        {"POSTROUTING", "-m", "comment", "--comment", "CNI portfwd requiring masquerade", "-j", "CNI-HOSTPORT-MASQ"}};
    for (const auto& rule : jumps) {
      std::vector<std::string> argv = {"iptables", "-t", "nat", "-D"};
      argv.insert(argv.end(), rule.begin(), rule.end());
      RunQuiet(argv).IgnoreError();  // absent already: nothing to do
    }
    for (const char* chain : {"CNI-HOSTPORT-DNAT", "CNI-HOSTPORT-MASQ", "CNI-HOSTPORT-SETMARK"}) {
      RunQuiet({"iptables", "-t", "nat", "-F", chain}).IgnoreError();
      RunQuiet({"iptables", "-t", "nat", "-X", chain}).IgnoreError();
    }
  }

  json::object BridgeConfig(const NetworkAttachment& a) const {
    json::object ipam{
        {"type", "static"},
        {"addresses", json::array{json::object{{"address", a.ip_address + "/" + std::to_string(a.ip_prefix_len)},
                                               {"gateway", a.gateway}}}},
        {"routes", json::array{json::object{{"dst", "0.0.0.0/0"}}}}};
    return json::object{{"cniVersion", "1.0.0"}, {"name", a.network_name}, {"type", "bridge"},
                        {"bridge", a.bridge},    {"isGateway", true},      {"ipMasq", true},
                        {"hairpinMode", true},   {"ipam", std::move(ipam)}};
  }

  json::object PortmapConfig(const NetworkAttachment& a, const json::value& prev_result) const {
    json::array mappings;
    for (const auto& p : a.ports) {
      mappings.push_back(json::object{{"hostPort", p.host_port},
                                      {"containerPort", p.container_port},
                                      {"protocol", p.protocol},
                                      {"hostIP", p.host_ip}});
    }
    return json::object{{"cniVersion", "1.0.0"},
                        {"name", a.network_name},
                        {"type", "portmap"},
                        {"snat", true},
                        {"capabilities", json::object{{"portMappings", true}}},
                        {"runtimeConfig", json::object{{"portMappings", std::move(mappings)}}},
                        {"prevResult", prev_result}};
  }

  // The result a bridge ADD gave, rebuilt from the attachment (portmap DEL
  // needs one).
  json::value PrevResult(const NetworkAttachment& a) const {
    return json::object{
        {"cniVersion", "1.0.0"},
        {"interfaces", json::array{json::object{{"name", a.bridge}},
                                   json::object{{"name", kContainerInterface}, {"sandbox", a.netns_path}}}},
        {"ips", json::array{json::object{{"interface", 1},
                                         {"address", a.ip_address + "/" + std::to_string(a.ip_prefix_len)},
                                         {"gateway", a.gateway}}}}};
  }

  Result<json::value> RunPlugin(const std::string& command, const NetworkAttachment& a,
                                const json::object& config) const {
    runtime_internal::CommandInput input;
    input.stdin_data = json::serialize(config);
    const char* path = ::getenv("PATH");
    input.env = {"CNI_COMMAND=" + command,     "CNI_CONTAINERID=" + a.container_id,
                 "CNI_NETNS=" + a.netns_path,  "CNI_IFNAME=" + std::string(kContainerInterface),
                 "CNI_PATH=" + opts_.cni_path, std::string("PATH=") + (path ? path : "/usr/sbin:/usr/bin:/sbin:/bin")};
    const std::string plugin = opts_.cni_path + "/" + std::string(config.at("type").as_string());
    BERTH_ASSIGN_OR_RETURN(auto r, runtime_internal::RunCommandWithInput({plugin}, input));
    boost::system::error_code ec;
    json::value out = r.out.empty() ? json::value(nullptr) : json::parse(r.out, ec);
    if (r.exit_code != 0) {
      std::string msg = r.err.empty() ? r.out : r.err;
      if (!ec && out.is_object() && out.as_object().contains("msg") && out.at("msg").is_string()) {
        msg = std::string(out.at("msg").as_string());
      }
      return Internal("CNI plugin " + plugin + " " + command + " failed: " + msg);
    }
    if (ec) return Internal("CNI plugin " + plugin + " printed no JSON result: " + r.out);
    return out;
  }

  // Namespace, veth on the bridge, port rules; the record last. Undone on
  // failure.
  Status Plumb(NetworkAttachment* a) {
    BERTH_RETURN_IF_ERROR(CreateNetns(a->netns_path));
    auto bridge = RunPlugin("ADD", *a, BridgeConfig(*a));
    if (!bridge.ok()) {
      Unplumb(*a);
      return bridge.status();
    }
    if (bridge->is_object() && bridge->as_object().contains("interfaces")) {
      for (const auto& i : bridge->at("interfaces").as_array()) {
        const json::object& io = i.as_object();
        std::string if_name = io.contains("name") ? std::string(io.at("name").as_string()) : "";
        std::string mac = io.contains("mac") ? std::string(io.at("mac").as_string()) : "";
        if (io.contains("sandbox")) {
          a->mac_address = mac;
        } else if (if_name != a->bridge) {
          a->host_interface = if_name;
        }
      }
    }
    if (!a->ports.empty()) {
      auto pm = RunPlugin("ADD", *a, PortmapConfig(*a, *bridge));
      if (!pm.ok()) {
        Unplumb(*a);
        return pm.status();
      }
    }
    Status s = WriteWholeFile(RecordPath(a->container_id), AttachmentToJson(*a));
    if (!s.ok()) Unplumb(*a);
    return s;
  }

  // Best effort: each step runs even when one before it failed.
  void Unplumb(const NetworkAttachment& a) {
    if (!a.ports.empty()) {
      LogIfError(RunPlugin("DEL", a, PortmapConfig(a, PrevResult(a))).status(),
                 "remove the port rules of container " + a.container_id);
    }
    LogIfError(RunPlugin("DEL", a, BridgeConfig(a)).status(),
               "remove the network interface of container " + a.container_id);
    RemoveNetns(a.netns_path);
  }

  const NetworkServiceOptions opts_;
  const Ipv4Subnet subnet_;
  const uint32_t gateway_;
  const std::string network_id_;
  const std::unique_ptr<network_internal::NetworkStore> store_;
  Mutex mu_;
  std::map<std::string, Attached> attached_ GUARDED_BY(mu_);
  std::map<std::string, UserNetwork> networks_ GUARDED_BY(mu_);  // by ID
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
  } else if (opts.bridge_name != "none") {
    BERTH_ASSIGN_OR_RETURN(subnet, PickDefaultSubnet(HostRoutes()));
    gateway = subnet.network + 1;
  }
  const std::string netns_dir = opts.exec_root + "/netns";
  std::error_code ec;
  fs::create_directories(netns_dir, ec);
  if (ec) return Internal("create " + netns_dir + ": " + ec.message());
  std::string network_id;
  if (auto text = ReadWholeFile(netns_dir + "/bridge.id"); text.ok() && text->size() == 64) {
    network_id = *text;
  } else {
    network_id = RandomHex64();
    BERTH_RETURN_IF_ERROR(WriteWholeFile(netns_dir + "/bridge.id", network_id));
  }
  BERTH_ASSIGN_OR_RETURN(auto store,
                         network_internal::NetworkStore::Open(opts.state_dir.empty() ? netns_dir : opts.state_dir));
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
