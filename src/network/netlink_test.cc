// The rtnetlink side of berthd's endpoints (netlink.cc: PlumbVeth,
// DeleteLink) against the real kernel, in namespaces of a forked child
// only: its own network and mount namespaces (sysfs remounted there, as
// the hairpin switch lives in /sys/class/net) and a "container" namespace
// made by CreateNetns. Nothing of the host's network changes. The child
// writes what it saw, "key\tvalue" lines, to a pipe; the parent checks it.
// Needs root (skipped otherwise).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>
#include <string>

#include "berth/network_service.h"
#include "network/cni.h"

namespace berth {
namespace {

using ::testing::HasSubstr;

// A command's standard output (its errors dropped), trailing newline off.
std::string Output(const std::string& command) {
  std::string out;
  FILE* p = ::popen((command + " 2>/dev/null").c_str(), "r");
  if (p == nullptr) return "popen failed";
  char buffer[512];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), p)) > 0) out.append(buffer, n);
  ::pclose(p);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string OneLine(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  return s;
}

std::string Expected(Code code, const std::string& message) {
  return std::to_string(static_cast<int>(code)) + " " + message;
}

std::string StatusText(const Status& s) { return s.ok() ? "ok" : Expected(s.code(), s.message()); }

// The child's work: what PlumbVeth and DeleteLink did, as key/value lines.
std::string PlumbInPrivateNamespaces(const std::string& dir) {
  std::ostringstream seen;
  auto put = [&](const std::string& key, const std::string& value) { seen << key << '\t' << OneLine(value) << '\n'; };
  if (::unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) {
    put("skip", std::string("unshare: ") + std::strerror(errno));
    return seen.str();
  }
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
      ::mount("sysfs", "/sys", "sysfs", 0, nullptr) != 0) {
    put("skip", std::string("mount sysfs: ") + std::strerror(errno));
    return seen.str();
  }
  NetworkAttachment a;
  a.bridge = "berthmnl0";
  a.ip_address = "10.213.0.2";
  a.ip_prefix_len = 24;
  a.gateway = "10.213.0.1";
  a.netns_path = dir + "/first";
  a.interface_name = "eth0";
  a.mtu = 1400;
  put("netns", StatusText(network_internal::CreateNetns(a.netns_path)));
  put("plumb", StatusText(network_internal::PlumbVeth(&a, true)));
  const std::string inside = "nsenter --net=" + a.netns_path + " ";
  put("host_interface", a.host_interface);
  put("mac", a.mac_address);
  put("bridge_addr", Output("ip -o -4 addr show dev berthmnl0"));
  put("bridge_link", Output("ip -o link show dev berthmnl0"));
  put("forwarding", Output("cat /proc/sys/net/ipv4/ip_forward"));
  put("host_link", Output("ip -d -o link show dev " + a.host_interface));
  put("eth0_addr", Output(inside + "ip -o -4 addr show dev eth0"));
  put("eth0_link", Output(inside + "ip -o link show dev eth0"));
  put("route", Output(inside + "ip -4 route show default"));

  // A second endpoint on the bridge that is there now (its address is
  // already on it), without a default route.
  NetworkAttachment b = a;
  b.ip_address = "10.213.0.3";
  b.netns_path = dir + "/second";
  b.host_interface.clear();
  b.mac_address.clear();
  b.link_local_ips = {"169.254.8.8", "169.254.9.9"};  // --link-local-ip
  put("netns2", StatusText(network_internal::CreateNetns(b.netns_path)));
  put("plumb2", StatusText(network_internal::PlumbVeth(&b, false)));
  put("route2", Output("nsenter --net=" + b.netns_path + " ip -4 route show default"));
  put("eth0_addr2", Output("nsenter --net=" + b.netns_path + " ip -o -4 addr show dev eth0"));
  put("bridge_ports", Output("ip -o link show master berthmnl0"));

  // The kernel's refusals, as Status.
  NetworkAttachment c = a;
  c.bridge = "berthmnl1";
  c.mtu = 70000;  // over the bridge's maximum
  c.host_interface.clear();
  put("bad_mtu", StatusText(network_internal::PlumbVeth(&c, true)));
  put("bad_mtu_bridge", Output("ip -o link show dev berthmnl1"));
  put("delete_lo", StatusText(network_internal::DeleteLink("lo")));

  put("delete", StatusText(network_internal::DeleteLink(a.host_interface)));
  put("eth0_after_delete", Output(inside + "ip -o link show dev eth0"));
  put("delete_again", StatusText(network_internal::DeleteLink(a.host_interface)));
  put("delete_bridge", StatusText(network_internal::DeleteLink("berthmnl0")));
  put("bad_name", StatusText(network_internal::DeleteLink("a-name-over-15-chars")));
  return seen.str();
}

std::map<std::string, std::string> RunInChild(const std::string& dir) {
  int fds[2];
  if (::pipe(fds) != 0) return {{"skip", "pipe"}};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    const std::string report = PlumbInPrivateNamespaces(dir);
    size_t written = 0;
    while (written < report.size()) {
      const ssize_t n = ::write(fds[1], report.data() + written, report.size() - written);
      if (n <= 0) break;
      written += static_cast<size_t>(n);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buffer, sizeof(buffer))) > 0) text.append(buffer, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::map<std::string, std::string> seen;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t tab = line.find('\t');
    if (tab != std::string::npos) seen[line.substr(0, tab)] = line.substr(tab + 1);
  }
  return seen;
}

TEST(Netlink, PlumbsAndDeletesEndpointsInPrivateNamespaces) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  char dir_template[] = "/tmp/berth-netlink-test-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  auto seen = RunInChild(dir);
  // The namespace files' mounts died with the child's mount namespace.
  ::unlink((dir + "/first").c_str());
  ::unlink((dir + "/second").c_str());
  ::rmdir(dir.c_str());
  if (seen.contains("skip")) GTEST_SKIP() << seen["skip"];

  ASSERT_EQ(seen["netns"], "ok");
  ASSERT_EQ(seen["plumb"], "ok");
  // The bridge: made with the MTU, the gateway's address and the subnet's
  // broadcast, up; forwarding on.
  EXPECT_THAT(seen["bridge_addr"], HasSubstr("inet 10.213.0.1/24 brd 10.213.0.255"));
  EXPECT_THAT(seen["bridge_link"], HasSubstr("mtu 1400"));
  EXPECT_THAT(seen["bridge_link"], HasSubstr(",UP"));
  EXPECT_EQ(seen["forwarding"], "1");
  // The host end: "veth" and 8 hex digits, on the bridge, hairpin, up.
  EXPECT_THAT(seen["host_interface"], ::testing::MatchesRegex("veth[0-9a-f]{8}"));
  EXPECT_THAT(seen["host_link"], HasSubstr("master berthmnl0"));
  EXPECT_THAT(seen["host_link"], HasSubstr("hairpin on"));
  EXPECT_THAT(seen["host_link"], HasSubstr("mtu 1400"));
  EXPECT_THAT(seen["host_link"], HasSubstr(",UP"));
  // The container's end: its name, address, MTU, MAC and default route.
  EXPECT_THAT(seen["eth0_addr"], HasSubstr("inet 10.213.0.2/24 brd 10.213.0.255"));
  EXPECT_THAT(seen["eth0_link"], HasSubstr("mtu 1400"));
  EXPECT_THAT(seen["mac"], ::testing::MatchesRegex("([0-9a-f]{2}:){5}[0-9a-f]{2}"));
  EXPECT_THAT(seen["eth0_link"], HasSubstr("link/ether " + seen["mac"]));
  EXPECT_THAT(seen["route"], HasSubstr("default via 10.213.0.1 dev eth0"));
  // The second endpoint joins the same bridge, without a default route.
  EXPECT_EQ(seen["netns2"], "ok");
  EXPECT_EQ(seen["plumb2"], "ok");
  EXPECT_EQ(seen["route2"], "");
  EXPECT_THAT(seen["eth0_addr2"], HasSubstr("inet 10.213.0.3/24"));
  EXPECT_THAT(seen["eth0_addr2"], HasSubstr("inet 169.254.8.8/16"));
  EXPECT_THAT(seen["eth0_addr2"], HasSubstr("inet 169.254.9.9/16"));
  const std::string& ports = seen["bridge_ports"];
  size_t port_count = 0;
  for (size_t at = ports.find("master berthmnl0"); at != std::string::npos;
       at = ports.find("master berthmnl0", at + 1)) {
    ++port_count;
  }
  EXPECT_EQ(port_count, 2u) << ports;
  // Refusals come back with the kernel's errno, and leave no bridge.
  EXPECT_EQ(seen["bad_mtu"],
            Expected(Code::kInternal, std::string("create the bridge berthmnl1: ") + std::strerror(EINVAL)));
  EXPECT_EQ(seen["bad_mtu_bridge"], "");
  EXPECT_EQ(seen["delete_lo"], Expected(Code::kInternal, std::string("delete link lo: ") + std::strerror(EOPNOTSUPP)));
  // Deleting the host end takes the container's end with it; again: NotFound.
  EXPECT_EQ(seen["delete"], "ok");
  EXPECT_EQ(seen["eth0_after_delete"], "");
  EXPECT_EQ(seen["delete_again"], Expected(Code::kNotFound, "no link " + seen["host_interface"]));
  EXPECT_EQ(seen["delete_bridge"], "ok");
  EXPECT_EQ(seen["bad_name"], Expected(Code::kInvalidArgument, "bad link name \"a-name-over-15-chars\""));
}

}  // namespace
}  // namespace berth
