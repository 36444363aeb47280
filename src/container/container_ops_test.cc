// docker top's reading of ps output (Docker's parsePSOutput).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "container/internal.h"
#include "testing/temp_dir.h"

namespace berth::container {
namespace {

TEST(ParsePsOutputTest, KeepsTheContainersLinesAndJoinsTheLastColumn) {
  std::string out =
      "UID          PID    PPID  C STIME TTY          TIME CMD\n"
      "root           1       0  0 12:00 ?        00:00:01 /sbin/init splash\n"
      "root         42       1  0 12:01 ?        00:00:00 sleep 1000\n"
      "root         43      42  0 12:01 ?        00:00:00 sh -c  echo   hi\n";
  Result<ContainerTop> top = ParsePsOutput(out, {42, 43, 99});
  ASSERT_TRUE(top.ok()) << top.status().message();
  EXPECT_EQ(top->titles, (std::vector<std::string>{"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"}));
  ASSERT_EQ(top->processes.size(), 2u);
  EXPECT_EQ(top->processes[0],
            (std::vector<std::string>{"root", "42", "1", "0", "12:01", "?", "00:00:00", "sleep 1000"}));
  EXPECT_EQ(top->processes[1].back(), "sh -c echo hi");
}

TEST(ParsePsOutputTest, RefusesOutputWithoutPids) {
  EXPECT_EQ(ParsePsOutput("COMMAND\nsleep\n", {1}).status().message(), "Couldn't find PID field in ps output");
  EXPECT_EQ(ParsePsOutput("", {1}).status().message(), "Couldn't find PID field in ps output");
  Result<ContainerTop> bad = ParsePsOutput("PID CMD\nx sleep\n", {1});
  EXPECT_EQ(bad.status().message(), "Unexpected pid 'x': not a number");
}
}  // namespace
}  // namespace berth::container

namespace berth::container {
namespace {

TEST(ParseNetDevTest, ReadsEachInterfaceButLoopback) {
  const char* text =
      "Inter-|   Receive                                                |  Transmit\n"
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls "
      "carrier compressed\n"
      "    lo:     100       2    0    0    0     0          0         0      100       2    0    0    0     0       "
      "0          0\n"
      "  eth0:    1296      16    1    2    0     0          0         0      656       8    3    4    0     0       "
      "0          0\n"
      "eth1: 18446744073709551615 5 0 0 0 0 0 0 7 1 0 0 0 0 0 0\n"
      "  bad0: 1 2 3\n";
  auto nets = ParseNetDev(text);
  ASSERT_EQ(nets.size(), 2u);
  EXPECT_EQ(nets["eth0"], (ContainerStatsSample::NetworkEntry{1296, 16, 1, 2, 656, 8, 3, 4}));
  EXPECT_EQ(nets["eth1"].rx_bytes, 18446744073709551615ull);
  EXPECT_EQ(nets["eth1"].tx_bytes, 7u);
  EXPECT_TRUE(ParseNetDev("").empty());
}

// What an upper directory holds after runc made its mount points in a
// container of an image without /dev, /proc, /sys or /etc/hosts, and the
// container then wrote files of its own.
TEST(DropRuntimeMountPointsTest, LeavesWhatTheContainerDidAndHidesTheRuntimesMountPoints) {
  berth::testing::TempDir tmp;
  ASSERT_TRUE(tmp.Create("berth-changes"));
  const std::string upper = tmp.path();
  namespace fs = std::filesystem;
  auto file = [&](const std::string& rel, const std::string& data) { std::ofstream(upper + rel) << data; };
  for (const char* d : {"/dev", "/proc", "/sys", "/etc", "/data", "/var", "/var/log"})
    fs::create_directories(upper + d);
  file("/etc/hosts", "");
  file("/etc/resolv.conf", "");
  file("/etc/hostname", "written by the container\n");  // not a bare mount point any more
  file("/var/log/app.log", "x");
  file("/test", "");
  std::vector<ContainerChange> changes = {
      {"/data", 1}, {"/dev", 1}, {"/etc", 0},  {"/etc/hostname", 1}, {"/etc/hosts", 1}, {"/etc/resolv.conf", 1},
      {"/proc", 1}, {"/sys", 1}, {"/test", 1}, {"/var", 0},          {"/var/log", 0},   {"/var/log/app.log", 1}};
  DropRuntimeMountPoints(upper, &changes);
  std::vector<std::string> got;
  for (const auto& c : changes) got.push_back(std::to_string(c.kind) + " " + c.path);
  EXPECT_EQ(got, (std::vector<std::string>{"1 /data", "0 /etc", "1 /etc/hostname", "1 /test", "0 /var", "0 /var/log",
                                           "1 /var/log/app.log"}));

  // With /etc holding only mount points, /etc goes too (copied up for them).
  fs::remove(upper + "/etc/hostname");
  changes = {{"/etc", 0}, {"/etc/hosts", 1}, {"/etc/resolv.conf", 1}, {"/test", 1}};
  DropRuntimeMountPoints(upper, &changes);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].path, "/test");
  EXPECT_EQ(changes[0].kind, 1);
  tmp.Remove();
}

}  // namespace
}  // namespace berth::container
