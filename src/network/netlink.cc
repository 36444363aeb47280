// Links made and deleted over rtnetlink from berthd itself (see cni.h):
// the bridge, a veth pair with one end in a container's namespace, their
// addresses and the container's default route.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <thread>

#include "base/unique_fd.h"
#include "network/cni.h"

namespace berth::network_internal {

namespace {

// One rtnetlink request: a header, a fixed part, attributes (nested ones
// between Begin and End).
class Request {
 public:
  Request(uint16_t type, uint16_t flags, const void* fixed, size_t fixed_len) {
    auto* h = Header();
    h->nlmsg_type = type;
    h->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags);
    h->nlmsg_seq = 1;
    h->nlmsg_len = NLMSG_LENGTH(fixed_len);
    std::memcpy(NLMSG_DATA(h), fixed, fixed_len);
  }
  void Add(uint16_t type, const void* data, size_t len) {
    auto* h = Header();
    auto* attribute = reinterpret_cast<rtattr*>(buffer_ + NLMSG_ALIGN(h->nlmsg_len));
    attribute->rta_type = type;
    attribute->rta_len = static_cast<uint16_t>(RTA_LENGTH(len));
    if (len > 0) std::memcpy(RTA_DATA(attribute), data, len);
    h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(attribute->rta_len);
  }
  void AddString(uint16_t type, const std::string& s) { Add(type, s.c_str(), s.size() + 1); }
  void AddU32(uint16_t type, uint32_t v) { Add(type, &v, sizeof(v)); }
  // Raw bytes (a nested message's fixed part).
  void AddRaw(const void* data, size_t len) {
    auto* h = Header();
    std::memcpy(buffer_ + NLMSG_ALIGN(h->nlmsg_len), data, len);
    h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + static_cast<uint32_t>(NLMSG_ALIGN(len));
  }
  size_t Begin(uint16_t type) {
    const size_t at = NLMSG_ALIGN(Header()->nlmsg_len);
    Add(type, nullptr, 0);
    return at;
  }
  void End(size_t at) {
    reinterpret_cast<rtattr*>(buffer_ + at)->rta_len = static_cast<uint16_t>(Header()->nlmsg_len - at);
  }
  const nlmsghdr* Message() const { return reinterpret_cast<const nlmsghdr*>(buffer_); }

 private:
  nlmsghdr* Header() { return reinterpret_cast<nlmsghdr*>(buffer_); }
  alignas(nlmsghdr) char buffer_[1024] = {};
};

// Sends `r` on a fresh socket of the calling thread's namespace and returns
// the kernel's answer (0 or an errno).
Result<int> Send(const Request& r) {
  UniqueFd sock(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!sock.valid()) return ErrnoStatus("open a netlink socket", errno);
  sockaddr_nl kernel = {};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(sock.get(), r.Message(), r.Message()->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof(kernel)) < 0) {
    return ErrnoStatus("send a netlink request", errno);
  }
  alignas(nlmsghdr) char answer[4096];
  for (;;) {
    ssize_t n = ::recv(sock.get(), answer, sizeof(answer), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("read a netlink answer", errno);
    }
    for (auto* h = reinterpret_cast<nlmsghdr*>(answer); NLMSG_OK(h, static_cast<unsigned>(n)); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != 1 || h->nlmsg_type != NLMSG_ERROR) continue;
      if (h->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) return Internal("short netlink answer");
      return -reinterpret_cast<nlmsgerr*>(NLMSG_DATA(h))->error;
    }
  }
}

Status Check(const Request& r, const std::string& what, int also_fine = 0) {
  BERTH_ASSIGN_OR_RETURN(int code, Send(r));
  if (code == 0 || (also_fine != 0 && code == also_fine)) return OkStatus();
  return ErrnoStatus(what, code);
}

Status SetUp(int index, const std::string& name) {
  ifinfomsg info = {};
  info.ifi_family = AF_UNSPEC;
  info.ifi_index = index;
  info.ifi_flags = IFF_UP;
  info.ifi_change = IFF_UP;
  Request r(RTM_NEWLINK, 0, &info, sizeof(info));
  return Check(r, "bring " + name + " up");
}

Status SetMaster(int index, int master, const std::string& name) {
  ifinfomsg info = {};
  info.ifi_family = AF_UNSPEC;
  info.ifi_index = index;
  Request r(RTM_NEWLINK, 0, &info, sizeof(info));
  r.AddU32(IFLA_MASTER, static_cast<uint32_t>(master));
  return Check(r, "attach " + name + " to its bridge");
}

// ip/prefix on link `index`, with the subnet's broadcast address (as the
// bridge plugin gives it). Already there: fine.
Status AddAddress(int index, uint32_t ip, int prefix, const std::string& name) {
  ifaddrmsg m = {};
  m.ifa_family = AF_INET;
  m.ifa_prefixlen = static_cast<unsigned char>(prefix);
  m.ifa_index = static_cast<uint32_t>(index);
  Request r(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &m, sizeof(m));
  const uint32_t address = htonl(ip);
  r.Add(IFA_LOCAL, &address, 4);
  r.Add(IFA_ADDRESS, &address, 4);
  if (prefix < 31) {
    const uint32_t broadcast = htonl(ip | (prefix == 0 ? 0xffffffffu : (0xffffffffu >> prefix)));
    r.Add(IFA_BROADCAST, &broadcast, 4);
  }
  return Check(r, "add " + FormatIpv4(ip) + "/" + std::to_string(prefix) + " to " + name, EEXIST);
}

Status AddDefaultRoute(int index, uint32_t gateway, const std::string& name) {
  rtmsg m = {};
  m.rtm_family = AF_INET;
  m.rtm_table = RT_TABLE_MAIN;
  m.rtm_protocol = RTPROT_BOOT;
  m.rtm_scope = RT_SCOPE_UNIVERSE;
  m.rtm_type = RTN_UNICAST;
  Request r(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &m, sizeof(m));
  const uint32_t via = htonl(gateway);
  r.Add(RTA_GATEWAY, &via, 4);
  r.AddU32(RTA_OIF, static_cast<uint32_t>(index));
  return Check(r, "add the default route via " + FormatIpv4(gateway) + " on " + name);
}

Status WriteSysctl(const std::string& path, const std::string& value) {
  std::ofstream out(path);
  out << value;
  if (!out.flush()) return Internal("cannot write " + path);
  return OkStatus();
}

std::string MacOf(int sock, const std::string& name) {
  ifreq ifr = {};
  std::snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name.c_str());
  if (::ioctl(sock, SIOCGIFHWADDR, &ifr) != 0) return "";
  const auto* b = reinterpret_cast<const unsigned char*>(ifr.ifr_hwaddr.sa_data);
  char text[18];
  std::snprintf(text, sizeof(text), "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
  return text;
}

std::string RandomVethName() {
  static thread_local std::mt19937 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string name = "veth";
  for (int i = 0; i < 8; ++i) name += kHex[rng() & 0xf];
  return name;
}

// The bridge `a.bridge`, made when missing (MTU a.mtu), with the gateway's
// address, up; forwarding on (the bridge is the containers' gateway).
Result<int> EnsureBridge(const NetworkAttachment& a, uint32_t gateway) {
  int index = static_cast<int>(::if_nametoindex(a.bridge.c_str()));
  if (index == 0) {
    ifinfomsg info = {};
    info.ifi_family = AF_UNSPEC;
    Request r(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &info, sizeof(info));
    r.AddString(IFLA_IFNAME, a.bridge);
    if (a.mtu > 0) r.AddU32(IFLA_MTU, static_cast<uint32_t>(a.mtu));
    const size_t link_info = r.Begin(IFLA_LINKINFO);
    r.AddString(IFLA_INFO_KIND, "bridge");
    r.End(link_info);
    BERTH_RETURN_IF_ERROR(Check(r, "create the bridge " + a.bridge, EEXIST));  // another endpoint's made it
    index = static_cast<int>(::if_nametoindex(a.bridge.c_str()));
    if (index == 0) return ErrnoStatus("find the bridge " + a.bridge, errno);
  }
  BERTH_RETURN_IF_ERROR(AddAddress(index, gateway, a.ip_prefix_len, a.bridge));
  BERTH_RETURN_IF_ERROR(SetUp(index, a.bridge));
  std::ifstream forward("/proc/sys/net/ipv4/ip_forward");
  char on = '0';
  forward >> on;
  if (on != '1') BERTH_RETURN_IF_ERROR(WriteSysctl("/proc/sys/net/ipv4/ip_forward", "1"));
  return index;
}

// In the container's namespace (a helper thread enters it; nothing else of
// berthd moves): the address on a.interface_name, up, the default route;
// its MAC.
Status ConfigureInside(NetworkAttachment* a, uint32_t ip, uint32_t gateway, bool default_route) {
  Status result;
  std::thread helper([&] {
    result = [&]() -> Status {
      UniqueFd ns(::open(a->netns_path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!ns.valid()) return ErrnoStatus("open " + a->netns_path, errno);
      if (::setns(ns.get(), CLONE_NEWNET) != 0) return ErrnoStatus("enter " + a->netns_path, errno);
      const int index = static_cast<int>(::if_nametoindex(a->interface_name.c_str()));
      if (index == 0) return ErrnoStatus("find " + a->interface_name + " in " + a->netns_path, errno);
      // As the bridge plugin: no IPv6 duplicate address detection (hairpin
      // echoes its probes back; best effort, IPv6 may be off), and a
      // gratuitous ARP when it comes up with its address. /proc/sys/net is
      // this thread's namespace's.
      WriteSysctl("/proc/sys/net/ipv6/conf/" + a->interface_name + "/accept_dad", "0").IgnoreError();
      BERTH_RETURN_IF_ERROR(WriteSysctl("/proc/sys/net/ipv4/conf/" + a->interface_name + "/arp_notify", "1"));
      BERTH_RETURN_IF_ERROR(SetUp(index, a->interface_name));
      BERTH_RETURN_IF_ERROR(AddAddress(index, ip, a->ip_prefix_len, a->interface_name));
      if (default_route) BERTH_RETURN_IF_ERROR(AddDefaultRoute(index, gateway, a->interface_name));
      UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
      if (sock.valid()) a->mac_address = MacOf(sock.get(), a->interface_name);
      return OkStatus();
    }();
  });
  helper.join();
  return result;
}

}  // namespace

Status DeleteLink(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ) return InvalidArgument("bad link name \"" + name + "\"");
  ifinfomsg info = {};
  info.ifi_family = AF_UNSPEC;
  Request r(RTM_DELLINK, 0, &info, sizeof(info));
  r.AddString(IFLA_IFNAME, name);
  BERTH_ASSIGN_OR_RETURN(int code, Send(r));
  if (code == 0) return OkStatus();
  if (code == ENODEV) return NotFound("no link " + name);
  return ErrnoStatus("delete link " + name, code);
}

Status PlumbVeth(NetworkAttachment* a, bool default_route) {
  BERTH_ASSIGN_OR_RETURN(uint32_t ip, ParseIpv4(a->ip_address));
  BERTH_ASSIGN_OR_RETURN(uint32_t gateway, ParseIpv4(a->gateway));
  BERTH_ASSIGN_OR_RETURN(int bridge, EnsureBridge(*a, gateway));
  UniqueFd ns(::open(a->netns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns.valid()) return ErrnoStatus("open " + a->netns_path, errno);
  // The pair: the host end here, the other made in the container's
  // namespace under its final name.
  std::string host;
  for (int attempt = 0;; ++attempt) {
    host = RandomVethName();
    ifinfomsg info = {};
    info.ifi_family = AF_UNSPEC;
    Request r(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &info, sizeof(info));
    r.AddString(IFLA_IFNAME, host);
    r.AddU32(IFLA_TXQLEN, 0);  // as the plugin's veths (noqueue either way)
    if (a->mtu > 0) r.AddU32(IFLA_MTU, static_cast<uint32_t>(a->mtu));
    const size_t link_info = r.Begin(IFLA_LINKINFO);
    r.AddString(IFLA_INFO_KIND, "veth");
    const size_t data = r.Begin(IFLA_INFO_DATA);
    const size_t peer = r.Begin(VETH_INFO_PEER);
    ifinfomsg peer_info = {};
    peer_info.ifi_family = AF_UNSPEC;
    r.AddRaw(&peer_info, sizeof(peer_info));
    r.AddString(IFLA_IFNAME, a->interface_name);
    r.AddU32(IFLA_NET_NS_FD, static_cast<uint32_t>(ns.get()));
    r.AddU32(IFLA_TXQLEN, 0);
    if (a->mtu > 0) r.AddU32(IFLA_MTU, static_cast<uint32_t>(a->mtu));
    r.End(peer);
    r.End(data);
    r.End(link_info);
    BERTH_ASSIGN_OR_RETURN(int code, Send(r));
    if (code == 0) break;
    if (code != EEXIST || attempt >= 3) {
      return ErrnoStatus("create the veth pair " + host + "/" + a->interface_name + " in " + a->netns_path, code);
    }
  }
  a->host_interface = host;
  Status s = [&]() -> Status {
    const int index = static_cast<int>(::if_nametoindex(host.c_str()));
    if (index == 0) return ErrnoStatus("find " + host, errno);
    BERTH_RETURN_IF_ERROR(SetMaster(index, bridge, host));
    BERTH_RETURN_IF_ERROR(WriteSysctl("/sys/class/net/" + host + "/brport/hairpin_mode", "1"));
    BERTH_RETURN_IF_ERROR(SetUp(index, host));
    return ConfigureInside(a, ip, gateway, default_route && !a->internal);
  }();
  if (!s.ok()) {
    DeleteLink(host).IgnoreError();
    a->host_interface.clear();
  }
  return s;
}

}  // namespace berth::network_internal
