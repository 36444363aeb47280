// Namespaces and CNI plugin runs for one endpoint (see cni.h).
#include "network/cni.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>
#include <thread>

#include "base/unique_fd.h"
#include "berth/env.h"
#include "berth/log.h"
#include "berth/snapshot.h"
#include "runtime/subprocess.h"

namespace berth::network_internal {

namespace {

namespace json = boost::json;

json::object BridgeConfig(const NetworkAttachment& a, bool default_route) {
  json::object ipam{
      {"type", "static"},
      {"addresses", json::array{json::object{{"address", a.ip_address + "/" + std::to_string(a.ip_prefix_len)},
                                             {"gateway", a.gateway}}}}};
  // A second network's endpoint gets no default route: the container
  // already has one through its first network (as Docker's gateway
  // choice). An internal network gives none at all.
  if (default_route && !a.internal) ipam["routes"] = json::array{json::object{{"dst", "0.0.0.0/0"}}};
  // The NAT rule is the network's (SetMasquerade); only an endpoint whose
  // plugin made a chain of its own (cni_netfilter) has the plugin remove it.
  json::object o{{"cniVersion", "1.0.0"}, {"name", a.network_name}, {"type", "bridge"},
                 {"bridge", a.bridge},    {"isGateway", true},      {"ipMasq", a.ip_masquerade && a.cni_netfilter},
                 {"hairpinMode", true},   {"ipam", std::move(ipam)}};
  if (a.mtu > 0) o["mtu"] = a.mtu;
  return o;
}

json::object TuningConfig(const NetworkAttachment& a, const json::value& prev_result) {
  json::object o{{"cniVersion", "1.0.0"}, {"name", a.network_name}, {"type", "tuning"}, {"mac", a.requested_mac}};
  if (!prev_result.is_null()) o["prevResult"] = prev_result;
  return o;
}

json::object PortmapConfig(const NetworkAttachment& a, const json::value& prev_result) {
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

// The result a bridge ADD gives, built from the attachment (the tuning
// plugin's ADD and portmap's DEL take one).
json::value PrevResult(const NetworkAttachment& a) {
  json::object inside{{"name", a.interface_name}, {"sandbox", a.netns_path}};
  if (!a.mac_address.empty()) inside["mac"] = a.mac_address;
  return json::object{
      {"cniVersion", "1.0.0"},
      {"interfaces", json::array{json::object{{"name", a.bridge}}, std::move(inside)}},
      {"ips", json::array{json::object{{"interface", 1},
                                       {"address", a.ip_address + "/" + std::to_string(a.ip_prefix_len)},
                                       {"gateway", a.gateway}}}}};
}

Result<json::value> RunPlugin(const std::string& cni_path, const std::string& command, const NetworkAttachment& a,
                              const json::object& config) {
  runtime_internal::CommandInput input;
  input.stdin_data = json::serialize(config);
  const char* path = ::getenv("PATH");
  input.env = {"CNI_COMMAND=" + command,    "CNI_CONTAINERID=" + a.container_id,
               "CNI_NETNS=" + a.netns_path, "CNI_IFNAME=" + a.interface_name,
               "CNI_PATH=" + cni_path,      std::string("PATH=") + (path ? path : "/usr/sbin:/usr/bin:/sbin:/bin")};
  const std::string plugin = cni_path + "/" + std::string(config.at("type").as_string());
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

// The container's interface's MAC and the veth's host end, from an ADD
// result.
void ReadInterfaces(const json::value& result, NetworkAttachment* a) {
  if (!result.is_object() || !result.as_object().contains("interfaces")) return;
  for (const auto& i : result.at("interfaces").as_array()) {
    const json::object& io = i.as_object();
    std::string if_name = io.contains("name") ? std::string(io.at("name").as_string()) : "";
    std::string mac = io.contains("mac") ? std::string(io.at("mac").as_string()) : "";
    if (io.contains("sandbox")) {
      if (if_name == a->interface_name) a->mac_address = mac;
    } else if (if_name != a->bridge) {
      a->host_interface = if_name;
    }
  }
}

}  // namespace

std::vector<Ipv4Subnet> HostRoutes() {
  std::vector<Ipv4Subnet> out;
  auto text = Env::Default()->ReadFileToString("/proc/net/route");
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

// A helper thread unshares its own network namespace (nothing else of
// berthd moves) and exits once the mount holds the namespace.
Status CreateNetns(const std::string& path) {
  {
    UniqueFd f(::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
    if (!f.valid()) {
      if (errno == EEXIST) return AlreadyExists(path + " exists");
      return ErrnoStatus("create " + path, errno);
    }
  }
  Status result;
  std::thread helper([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      result = ErrnoStatus("unshare the network namespace", errno);
      return;
    }
    if (Status s = BindMount("/proc/thread-self/ns/net", path); !s.ok()) {
      result = Status(s.code(), "bind the network namespace at " + path + ": " + s.message());
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
    DetachMount(path).IgnoreError();
    ::unlink(path.c_str());
  }
  return result;
}

void RemoveNetns(const std::string& path) {
  LogIfError(DetachMount(path), "detach the network namespace " + path);
  ::unlink(path.c_str());
}

Status RunQuiet(const std::vector<std::string>& argv) {
  BERTH_ASSIGN_OR_RETURN(auto r, runtime_internal::RunCommand(argv));
  if (r.exit_code != 0) return Internal(argv[0] + " failed: " + r.err);
  return OkStatus();
}

void RemoveIdlePortmapChains() {
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

namespace {

// Each rule (a chain and its match) of `table`: added with `add_op` ("-I"
// or "-A"; `check_first`: unless a copy is there), or every copy removed.
Status SetRules(const std::string& table, const std::vector<std::vector<std::string>>& rules, bool present,
                const char* add_op, bool check_first) {
  for (const auto& rule : rules) {
    auto with = [&](const char* op) {
      std::vector<std::string> argv = {"iptables", "-w", "-t", table, op};
      argv.insert(argv.end(), rule.begin(), rule.end());
      return argv;
    };
    if (present) {
      if (check_first && RunQuiet(with("-C")).ok()) continue;
      BERTH_RETURN_IF_ERROR(RunQuiet(with(add_op)));
    } else {
      for (int i = 0; i < 16 && RunQuiet(with("-D")).ok(); ++i) {
      }
    }
  }
  return OkStatus();
}

}  // namespace

Status SetIsolationRules(const std::string& bridge, bool present) {
  const std::vector<std::vector<std::string>> rules = {{"FORWARD", "-i", bridge, "!", "-o", bridge, "-m", "comment",
                                                        "--comment", "berth internal network", "-j", "DROP"},
                                                       {"FORWARD", "-o", bridge, "!", "-i", bridge, "-m", "comment",
                                                        "--comment", "berth internal network", "-j", "DROP"}};
  return SetRules("filter", rules, present, "-I", /*check_first=*/true);
}

Status SetMasquerade(const std::string& subnet, const std::string& bridge, bool present, bool check_first) {
  return SetRules("nat", {{"POSTROUTING", "-s", subnet, "!", "-o", bridge, "-j", "MASQUERADE"}}, present, "-A",
                  check_first);
}

Status AddEndpoint(NetworkAttachment* a, const EndpointPlumbing& how) {
  if (Status s = PlumbVeth(a, how.default_route); !s.ok()) {
    RemoveEndpoint(*a, how.cni_path);
    return s;
  }
  json::value result = PrevResult(*a);
  if (!a->requested_mac.empty()) {
    auto tuned = RunPlugin(how.cni_path, "ADD", *a, TuningConfig(*a, result));
    if (!tuned.ok()) {
      RemoveEndpoint(*a, how.cni_path);
      return tuned.status();
    }
    result = *tuned;
  }
  ReadInterfaces(result, a);
  if (Status s = AddPortRules(*a); !s.ok()) {
    RemoveEndpoint(*a, how.cni_path);
    return s;
  }
  return OkStatus();
}

void RemoveEndpoint(const NetworkAttachment& a, const std::string& cni_path) {
  const std::string whose = " of container " + a.container_id + " on network " + a.network_name;
  if (!a.ports.empty() && a.cni_netfilter) {
    LogIfError(RunPlugin(cni_path, "DEL", a, PortmapConfig(a, PrevResult(a))).status(),
               "remove the port rules" + whose);
  } else {
    RemovePortRules(a);
  }
  if (!a.requested_mac.empty()) {
    LogIfError(RunPlugin(cni_path, "DEL", a, TuningConfig(a, PrevResult(a))).status(), "undo the MAC address" + whose);
  }
  if (!a.host_interface.empty() && !(a.cni_netfilter && a.ip_masquerade)) {
    Status s = DeleteLink(a.host_interface);
    if (s.ok() || s.code() == Code::kNotFound) return;
    LogIfError(s, "delete the veth" + whose);
  }
  LogIfError(RunPlugin(cni_path, "DEL", a, BridgeConfig(a, true)).status(), "remove the network interface" + whose);
}

}  // namespace berth::network_internal
