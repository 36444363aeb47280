// Links deleted over rtnetlink from berthd itself (see cni.h).
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/unique_fd.h"
#include "network/cni.h"

namespace berth::network_internal {

Status DeleteLink(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ) return InvalidArgument("bad link name \"" + name + "\"");
  UniqueFd sock(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!sock.valid()) return ErrnoStatus("open a netlink socket", errno);
  struct {
    nlmsghdr header;
    ifinfomsg info;
    char attributes[RTA_SPACE(IFNAMSIZ)];
  } request;
  std::memset(&request, 0, sizeof(request));
  request.header.nlmsg_type = RTM_DELLINK;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  request.header.nlmsg_seq = 1;
  request.info.ifi_family = AF_UNSPEC;
  auto* attribute = reinterpret_cast<rtattr*>(request.attributes);
  attribute->rta_type = IFLA_IFNAME;
  attribute->rta_len = static_cast<unsigned short>(RTA_LENGTH(name.size() + 1));
  std::memcpy(RTA_DATA(attribute), name.c_str(), name.size() + 1);
  request.header.nlmsg_len = NLMSG_LENGTH(sizeof(ifinfomsg)) + RTA_ALIGN(attribute->rta_len);
  sockaddr_nl kernel = {};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(sock.get(), &request, request.header.nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof(kernel)) < 0) {
    return ErrnoStatus("send the deletion of link " + name, errno);
  }
  // The acknowledgement: an error message whose code is 0 or -errno.
  alignas(nlmsghdr) char answer[4096];
  for (;;) {
    ssize_t n = ::recv(sock.get(), answer, sizeof(answer), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("read the deletion of link " + name, errno);
    }
    for (auto* h = reinterpret_cast<nlmsghdr*>(answer); NLMSG_OK(h, static_cast<unsigned>(n)); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != 1 || h->nlmsg_type != NLMSG_ERROR) continue;
      if (h->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) return Internal("short netlink answer");
      const int code = -reinterpret_cast<nlmsgerr*>(NLMSG_DATA(h))->error;
      if (code == 0) return OkStatus();
      if (code == ENODEV) return NotFound("no link " + name);
      return ErrnoStatus("delete link " + name, code);
    }
  }
}

}  // namespace berth::network_internal
