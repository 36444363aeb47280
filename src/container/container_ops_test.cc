// docker top's reading of ps output (Docker's parsePSOutput).
#include <gtest/gtest.h>

#include "container/internal.h"

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
