// RunCommand: what the child gets and what it returns.

#include "runtime/subprocess.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"

namespace berth::runtime_internal {
namespace {

TEST(RunCommandTest, CapturesOutputAndExitCode) {
  auto r = RunCommand({"sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
}

TEST(RunCommandTest, NoDescriptorOfTheParentReachesTheChild) {
  // A descriptor opened without close-on-exec, as a library might leave
  // one (an accepted socket, a database file).
  int fd = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 0);
  int leaked = ::fcntl(fd, F_DUPFD, 40);  // F_DUPFD leaves close-on-exec off
  ASSERT_GE(leaked, 40);
  ::close(fd);
  ASSERT_EQ(::fcntl(leaked, F_GETFD) & FD_CLOEXEC, 0);
  const std::string path = "/proc/self/fd/" + std::to_string(leaked);
  auto r = RunCommand({"sh", "-c", "if test -e " + path + "; then echo open; else echo closed; fi"});
  ::close(leaked);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->out, "closed\n");
}

TEST(RunCommandTest, MissingProgramIsNotFound) {
  auto r = RunCommand({"/nonexistent/berth-no-such-program"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace berth::runtime_internal
