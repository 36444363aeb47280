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
#include <memory>
#include <random>
#include <thread>

#include <libmnl/libmnl.h>

#include "base/unique_fd.h"
#include "network/cni.h"

namespace berth::network_internal {

namespace {

// One rtnetlink request built with libmnl: the header (NLM_F_REQUEST and
// NLM_F_ACK always, sequence 1) and the message's fixed part; callers add
// attributes with mnl_attr_put* on header() (nested ones between
// mnl_attr_nest_start and mnl_attr_nest_end).
class Request {
 public:
  Request(uint16_t type, uint16_t flags, const void* fixed, size_t fixed_len) {
    header_ = mnl_nlmsg_put_header(buffer_);
    header_->nlmsg_type = type;
    header_->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags);
    header_->nlmsg_seq = kSequence;
    std::memcpy(mnl_nlmsg_put_extra_header(header_, fixed_len), fixed, fixed_len);
  }
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;
  nlmsghdr* header() { return header_; }
  const nlmsghdr* header() const { return header_; }

  static constexpr unsigned kSequence = 1;

 private:
  // As before the port: link names and a few numbers, well under 1 KiB for
  // names the kernel takes (< IFNAMSIZ). Nothing checks the bound.
  alignas(nlmsghdr) char buffer_[1024] = {};
  nlmsghdr* header_;
};

struct MnlSocketCloser {
  void operator()(mnl_socket* s) const { mnl_socket_close(s); }
};
using MnlSocket = std::unique_ptr<mnl_socket, MnlSocketCloser>;

// What the kernel answered to a request: its NLMSG_ERROR's code (0 is the
// ACK), or that the answer was too short to hold one.
struct Answer {
  int code = 0;
  bool short_answer = false;
};

int OnNetlinkError(const nlmsghdr* h, void* data) {
  auto* answer = static_cast<Answer*>(data);
  if (mnl_nlmsg_get_payload_len(h) < sizeof(nlmsgerr)) {
    answer->short_answer = true;
    return MNL_CB_ERROR;
  }
  answer->code = -static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(h))->error;
  return MNL_CB_STOP;
}

// Sends `r` on a fresh socket of the calling thread's namespace and returns
// the kernel's answer (0 or an errno). Only the NLMSG_ERROR that answers
// the request ends the wait; other control messages are skipped.
Result<int> Send(const Request& r) {
  MnlSocket sock(mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC));
  if (sock == nullptr) return ErrnoStatus("open a netlink socket", errno);
  if (mnl_socket_bind(sock.get(), 0, MNL_SOCKET_AUTOPID) < 0) return ErrnoStatus("open a netlink socket", errno);
  if (mnl_socket_sendto(sock.get(), r.header(), r.header()->nlmsg_len) < 0) {
    return ErrnoStatus("send a netlink request", errno);
  }
  mnl_cb_t control[NLMSG_MIN_TYPE] = {};
  control[NLMSG_ERROR] = OnNetlinkError;
  const unsigned port = mnl_socket_get_portid(sock.get());
  alignas(nlmsghdr) char buffer[8192];
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(sock.get(), buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("read a netlink answer", errno);
    }
    Answer answer;
    const int run = mnl_cb_run2(buffer, static_cast<size_t>(n), Request::kSequence, port, nullptr, &answer, control,
                                NLMSG_MIN_TYPE);
    if (answer.short_answer) return Internal("short netlink answer");
    if (run == MNL_CB_STOP) return answer.code;
    if (run < 0) return ErrnoStatus("read a netlink answer", errno);
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
  mnl_attr_put_u32(r.header(), IFLA_MASTER, static_cast<uint32_t>(master));
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
  mnl_attr_put(r.header(), IFA_LOCAL, sizeof(address), &address);
  mnl_attr_put(r.header(), IFA_ADDRESS, sizeof(address), &address);
  if (prefix < 31) {
    const uint32_t broadcast = htonl(ip | (prefix == 0 ? 0xffffffffu : (0xffffffffu >> prefix)));
    mnl_attr_put(r.header(), IFA_BROADCAST, sizeof(broadcast), &broadcast);
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
  mnl_attr_put(r.header(), RTA_GATEWAY, sizeof(via), &via);
  mnl_attr_put_u32(r.header(), RTA_OIF, static_cast<uint32_t>(index));
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
    mnl_attr_put_strz(r.header(), IFLA_IFNAME, a.bridge.c_str());
    if (a.mtu > 0) mnl_attr_put_u32(r.header(), IFLA_MTU, static_cast<uint32_t>(a.mtu));
    nlattr* link_info = mnl_attr_nest_start(r.header(), IFLA_LINKINFO);
    mnl_attr_put_strz(r.header(), IFLA_INFO_KIND, "bridge");
    mnl_attr_nest_end(r.header(), link_info);
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
// The prefix of a --link-local-ip address (Docker's link-local mask).
constexpr int kLinkLocalPrefix = 16;

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
      for (const auto& ll : a->link_local_ips) {
        BERTH_ASSIGN_OR_RETURN(uint32_t extra, ParseIpv4(ll));
        BERTH_RETURN_IF_ERROR(AddAddress(index, extra, kLinkLocalPrefix, a->interface_name));
      }
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
  mnl_attr_put_strz(r.header(), IFLA_IFNAME, name.c_str());
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
    mnl_attr_put_strz(r.header(), IFLA_IFNAME, host.c_str());
    mnl_attr_put_u32(r.header(), IFLA_TXQLEN, 0);  // as the plugin's veths (noqueue either way)
    if (a->mtu > 0) mnl_attr_put_u32(r.header(), IFLA_MTU, static_cast<uint32_t>(a->mtu));
    nlattr* link_info = mnl_attr_nest_start(r.header(), IFLA_LINKINFO);
    mnl_attr_put_strz(r.header(), IFLA_INFO_KIND, "veth");
    nlattr* data = mnl_attr_nest_start(r.header(), IFLA_INFO_DATA);
    nlattr* peer = mnl_attr_nest_start(r.header(), VETH_INFO_PEER);
    // The peer's own ifinfomsg leads the nest, as a message's fixed part.
    auto* peer_info = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(r.header(), sizeof(ifinfomsg)));
    peer_info->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(r.header(), IFLA_IFNAME, a->interface_name.c_str());
    mnl_attr_put_u32(r.header(), IFLA_NET_NS_FD, static_cast<uint32_t>(ns.get()));
    mnl_attr_put_u32(r.header(), IFLA_TXQLEN, 0);
    if (a->mtu > 0) mnl_attr_put_u32(r.header(), IFLA_MTU, static_cast<uint32_t>(a->mtu));
    mnl_attr_nest_end(r.header(), peer);
    mnl_attr_nest_end(r.header(), data);
    mnl_attr_nest_end(r.header(), link_info);
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
