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

TEST(RunCommandStreamingTest, HandsOutputOverWhileTheChildRuns) {
  // The child waits for a file the test creates only once it has seen the
  // child's first line: the line must arrive while the child still runs.
  char dir_template[] = "/tmp/berth-streaming-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string go = std::string(dir_template) + "/go";
  std::string out, err;
  int idle_calls = 0;
  auto code = RunCommandStreaming(
      {"sh", "-c", "echo ready; while [ ! -e " + go + " ]; do sleep 0.01; done; echo after >&2; exit 4"},
      [&](int stream, std::string_view data) {
        (stream == 1 ? out : err).append(data);
        if (out == "ready\n") {
          int fd = ::open(go.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
          if (fd >= 0) ::close(fd);
        }
      },
      [&] {
        ++idle_calls;
        return true;
      },
      5);
  ::unlink(go.c_str());
  ::rmdir(dir_template);
  ASSERT_TRUE(code.ok()) << code.status().ToString();
  EXPECT_EQ(*code, 4);
  EXPECT_EQ(out, "ready\n");
  EXPECT_EQ(err, "after\n");
  EXPECT_GT(idle_calls, 0);
}

TEST(RunCommandStreamingTest, IdleFalseKillsTheChild) {
  std::string out;
  auto code = RunCommandStreaming(
      {"sh", "-c", "echo started; exec sleep 1000"}, [&](int, std::string_view data) { out.append(data); },
      [&] { return out.empty(); }, 5);
  EXPECT_EQ(code.status().code(), Code::kAborted);
  EXPECT_EQ(out, "started\n");
}

TEST(RunCommandTest, MissingProgramIsNotFound) {
  auto r = RunCommand({"/nonexistent/berth-no-such-program"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace berth::runtime_internal
