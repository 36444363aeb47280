// Runtime against real runc and berth-shim, with a busybox root filesystem.

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include "berth/env.h"
#include "berth/runtime.h"
#include "gtest/gtest.h"
#include "testing/await.h"
#include "testing/temp_dir.h"

namespace berth {
namespace {

std::string FindInPath(const std::string& name) {
  const char* path = getenv("PATH");
  std::string dirs = std::string(path ? path : "") + ":/usr/sbin:/sbin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/" + name;
    if (end > start && access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

// build/bin/berth-shim: via BERTH_BINARY_DIR (CTest) or beside this binary.
std::string ShimPath() {
  if (const char* dir = getenv("BERTH_BINARY_DIR"); dir != nullptr && *dir != '\0') {
    return std::string(dir) + "/bin/berth-shim";
  }
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return "";
  std::string exe(self, static_cast<size_t>(n));
  return exe.substr(0, exe.rfind('/')) + "/berth-shim";
}

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    runc_ = FindInPath("runc");
    if (runc_.empty()) GTEST_SKIP() << "runc not installed";
    ASSERT_EQ(access("/bin/busybox", X_OK), 0) << "needs /bin/busybox";
    shim_ = ShimPath();
    ASSERT_EQ(access(shim_.c_str(), X_OK), 0) << "berth-shim not built at " << shim_;

    ASSERT_TRUE(tmp_.Create("berth-runtime"));
    dir_ = tmp_.path();
    Env* env = Env::Default();
    rootfs_ = dir_ + "/rootfs";
    ASSERT_TRUE(env->CreateDirs(rootfs_ + "/bin").ok());
    ASSERT_TRUE(env->CreateDirs(rootfs_ + "/etc").ok());
    ASSERT_TRUE(env->CreateDirs(rootfs_ + "/tmp").ok());
    auto busybox = env->ReadFileToString("/bin/busybox");
    ASSERT_TRUE(busybox.ok());
    ASSERT_TRUE(WriteFileAtomic(env, rootfs_ + "/bin/busybox", *busybox).ok());
    ASSERT_EQ(chmod((rootfs_ + "/bin/busybox").c_str(), 0755), 0);
    for (const char* tool :
         {"sh", "echo", "sleep", "cat", "id", "true", "false", "hostname", "pwd", "printf"}) {
      ASSERT_EQ(symlink("busybox", (rootfs_ + "/bin/" + tool).c_str()), 0);
    }
    ASSERT_TRUE(WriteFileAtomic(env, rootfs_ + "/etc/passwd",
                                "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/tmp:/bin/sh\n")
                    .ok());
    ASSERT_TRUE(WriteFileAtomic(env, rootfs_ + "/etc/group",
                                "root:x:0:\nwheel:x:10:root,app\napp:x:1000:\n")
                    .ok());

    opts_.runc = runc_;
    opts_.shim = shim_;
    opts_.runc_root = dir_ + "/runc";
    auto rt = Runtime::Create(opts_);
    ASSERT_TRUE(rt.ok()) << rt.status().ToString();
    rt_ = std::move(*rt);
  }

  void TearDown() override {
    for (const auto& id : ids_) {
      if (rt_) rt_->Delete(id).IgnoreError();
      // Let the shim notice and finish before its files go away.
      if (rt_ && Env::Default()->FileExists(StateDir(id) + "/shim.pid")) {
        rt_->Wait(id, StateDir(id), 5000).status().IgnoreError();
      }
    }
    tmp_.Remove();
  }

  std::string StateDir(const std::string& id) { return dir_ + "/" + id + "/state"; }
  std::string Bundle(const std::string& id) { return dir_ + "/" + id + "/bundle"; }
  std::string LogPath(const std::string& id) { return StateDir(id) + "/container.log"; }

  // A fresh container ID with its bundle written for `args`.
  std::string Prepare(const std::vector<std::string>& args, ProcessSpec p = {}) {
    std::string id = "berth-rt-" + std::to_string(getpid()) + "-" + std::to_string(ids_.size());
    ids_.push_back(id);
    p.args = args;
    if (p.env.empty()) p.env = {"PATH=/bin"};
    Status s = WriteBundleConfig(Bundle(id), rootfs_, p);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return id;
  }

  Result<int> Start(const std::string& id, const LogRotation& log = {}) {
    return rt_->Start(id, Bundle(id), StateDir(id), StartOptions{log});
  }

  std::vector<LogEntry> Logs(const std::string& id) {
    std::vector<LogEntry> out;
    Status s = ReadLog(LogPath(id), LogReadOptions(), [&](const LogEntry& e) {
      out.push_back(e);
      return OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  // Waits until the log holds `text` (the container is ready).
  bool WaitForLog(const std::string& id, const std::string& text) {
    return testing::AwaitCondition([&] {
      for (const auto& e : Logs(id)) {
        if (e.data.find(text) != std::string::npos) return true;
      }
      return false;
    });
  }

  RuntimeState MustWait(const std::string& id) {
    auto st = rt_->Wait(id, StateDir(id), 30000);
    EXPECT_TRUE(st.ok()) << st.status().ToString();
    EXPECT_TRUE(st.ok() && st->exited) << "container " << id << " did not exit";
    return st.ok() ? *st : RuntimeState();
  }

  testing::TempDir tmp_;
  std::string runc_, shim_, dir_, rootfs_;  // dir_: tmp_.path()
  RuntimeOptions opts_;
  std::unique_ptr<Runtime> rt_;
  std::vector<std::string> ids_;
};

TEST_F(RuntimeTest, OutputStreamsAndExitCode) {
  std::string id = Prepare({"sh", "-c", "echo hi; echo err >&2; exit 3"});
  const int64_t before = Env::Default()->NowUnixNanos();
  auto pid = Start(id);
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  EXPECT_GT(*pid, 0);
  RuntimeState st = MustWait(id);
  EXPECT_EQ(st.exit_code, 3);
  EXPECT_GE(st.finished_unix_nanos, before);
  EXPECT_EQ(st.kind, RuntimeState::kStopped);

  std::set<std::string> got;
  for (const auto& e : Logs(id)) {
    got.insert(e.stream + ":" + e.data);
    EXPECT_GE(e.time_unix_nanos, before);
    EXPECT_LE(e.time_unix_nanos, st.finished_unix_nanos);
  }
  EXPECT_EQ(got, (std::set<std::string>{"stdout:hi\n", "stderr:err\n"}));
  auto exit_file = Env::Default()->ReadFileToString(StateDir(id) + "/exit");
  ASSERT_TRUE(exit_file.ok());
  EXPECT_EQ(exit_file->substr(0, 2), "3 ");
  EXPECT_EQ(exit_file->back(), '\n');
  // The shim recorded itself.
  EXPECT_TRUE(Env::Default()->FileExists(StateDir(id) + "/shim.pid"));

  // Stopped: kill is refused.
  EXPECT_EQ(rt_->Kill(id, SIGKILL).code(), Code::kFailedPrecondition);
  EXPECT_EQ(rt_->Kill("berth-rt-never-started", SIGKILL).code(), Code::kFailedPrecondition);
}

// The container's stdin and output pipes are widened (the shim), so that a
// client's input and the container's output move in few large steps; a
// megabyte of input reaches the process whole.
TEST_F(RuntimeTest, StdinAndOutputGoThroughWidenedPipes) {
  std::string id = Prepare({"sh", "-c", "read first; echo \"first=$first\"; wc -c"});
  StartOptions o;
  o.open_stdin = true;
  auto pid = rt_->Start(id, Bundle(id), StateDir(id), o);
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  auto pipe_size = [&](int fd) {
    int f = ::open(("/proc/" + std::to_string(*pid) + "/fd/" + std::to_string(fd)).c_str(), O_RDONLY | O_CLOEXEC);
    if (f < 0) return -1;
    int size = ::fcntl(f, F_GETPIPE_SZ);
    ::close(f);
    return size;
  };
  EXPECT_EQ(pipe_size(0), 1 << 20);
  EXPECT_EQ(pipe_size(1), 256 << 10);
  EXPECT_EQ(pipe_size(2), 256 << 10);
  ASSERT_TRUE(WriteContainerStdin(StateDir(id), "hello\n").ok());
  ASSERT_TRUE(WaitForLog(id, "first=hello"));
  ASSERT_TRUE(WriteContainerStdin(StateDir(id), std::string(1 << 20, 'x')).ok());
  ASSERT_TRUE(CloseContainerStdin(StateDir(id)).ok());
  EXPECT_EQ(MustWait(id).exit_code, 0);
  ASSERT_TRUE(WaitForLog(id, "1048576"));
}

TEST_F(RuntimeTest, LogKeepsBytesEscapedAndPartialLines) {
  std::string id = Prepare(
      {"sh", "-c", "printf 'a\\tb<\\377\\n'; sleep 0.2; printf 'x\\ny\\n'; sleep 0.2; printf end"});
  ASSERT_TRUE(Start(id).ok());
  EXPECT_EQ(MustWait(id).exit_code, 0);
  auto raw = Env::Default()->ReadFileToString(LogPath(id));
  ASSERT_TRUE(raw.ok());
  EXPECT_NE(raw->find("\"log\":\"a\\tb\\u003c\\ufffd\\n\",\"stream\":\"stdout\""), std::string::npos) << *raw;
  std::vector<std::string> data;
  for (const auto& e : Logs(id)) data.push_back(e.data);
  // One entry per line, the unfinished last line as an entry of its own.
  EXPECT_EQ(data, (std::vector<std::string>{"a\tb<\xef\xbf\xbd\n", "x\n", "y\n", "end"}));
}

TEST_F(RuntimeTest, ShimRotatesTheLogByMaxSizeAndMaxFile) {
  // About 1.4 MB of log lines through a 10 kB, 3 file rotation.
  std::string id = Prepare({"sh", "-c", "i=0; while [ $i -lt 12000 ]; do echo line-$i; i=$((i+1)); done"});
  ASSERT_TRUE(Start(id, LogRotation{10000, 3}).ok());
  EXPECT_EQ(MustWait(id).exit_code, 0);
  std::vector<std::string> files = LogFilesOldestFirst(LogPath(id));
  ASSERT_EQ(files.size(), 3u);
  EXPECT_FALSE(Env::Default()->FileExists(LogPath(id) + ".3"));
  for (const auto& f : files) {
    auto st = Env::Default()->Stat(f);
    ASSERT_TRUE(st.ok()) << f;
    // Rotation happens before the line after the one that reached the size.
    EXPECT_LE(st->size, 10000u + 100u) << f;
  }
  // The newest lines, in order and without a gap, up to the last one.
  std::vector<LogEntry> entries = Logs(id);
  ASSERT_GT(entries.size(), 100u);
  EXPECT_LT(entries.size(), 12000u);
  const int first = std::stoi(entries.front().data.substr(5));
  for (size_t i = 0; i < entries.size(); ++i) {
    ASSERT_EQ(entries[i].data, "line-" + std::to_string(first + static_cast<int>(i)) + "\n");
  }
  EXPECT_EQ(entries.back().data, "line-11999\n");
}

TEST_F(RuntimeTest, ProcessSpecReachesTheContainer) {
  ProcessSpec p;
  ASSERT_TRUE(ResolveUser(rootfs_, "app", &p).ok());
  p.env = {"PATH=/bin", "GREETING=hello world"};
  p.cwd = "/tmp";
  p.hostname = "berthbox";
  std::string id = Prepare({"sh", "-c", "id; echo \"$GREETING\"; pwd; hostname"}, p);
  ASSERT_TRUE(Start(id).ok());
  EXPECT_EQ(MustWait(id).exit_code, 0);
  std::string out;
  for (const auto& e : Logs(id)) {
    if (e.stream == "stdout") out += e.data;
  }
  EXPECT_EQ(out, "uid=1000(app) gid=1000(app) groups=10(wheel)\nhello world\n/tmp\nberthbox\n");
}

TEST_F(RuntimeTest, KillDeliversSignals) {
  // A handler for TERM: the container's init ignores signals it has none for.
  std::string id = Prepare({"sh", "-c", "trap 'exit 7' TERM; echo ready; while true; do sleep 0.05; done"});
  ASSERT_TRUE(Start(id).ok());
  ASSERT_TRUE(WaitForLog(id, "ready"));
  auto st = rt_->State(id, StateDir(id));
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->kind, RuntimeState::kRunning);
  EXPECT_FALSE(st->exited);
  ASSERT_TRUE(rt_->Kill(id, SIGTERM).ok());
  EXPECT_EQ(MustWait(id).exit_code, 7);
}

TEST_F(RuntimeTest, SleepIgnoresTermAndDiesOfKill) {
  std::string id = Prepare({"sleep", "1000"});
  auto pid = Start(id);
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  // As pid 1 without a handler, sleep ignores SIGTERM (Docker's stop then
  // falls back to SIGKILL).
  ASSERT_TRUE(rt_->Kill(id, SIGTERM).ok());
  auto st = rt_->Wait(id, StateDir(id), 300);
  ASSERT_TRUE(st.ok());
  EXPECT_FALSE(st->exited);
  EXPECT_EQ(st->kind, RuntimeState::kRunning);
  EXPECT_EQ(st->pid, *pid);
  ASSERT_TRUE(rt_->Kill(id, SIGKILL).ok());
  EXPECT_EQ(MustWait(id).exit_code, 128 + SIGKILL);
}

TEST_F(RuntimeTest, MissingBinaryFailsWithRuncsReason) {
  std::string id = Prepare({"nosuch"});
  auto pid = Start(id);
  ASSERT_FALSE(pid.ok());
  EXPECT_EQ(pid.status().code(), Code::kNotFound);  // Docker's exit code 127
  EXPECT_NE(pid.status().message().find("exec: \"nosuch\": executable file not found in $PATH"),
            std::string::npos)
      << pid.status().message();
  EXPECT_EQ(pid.status().message().rfind("failed to create task for container: ", 0), 0u)
      << pid.status().message();
  auto st = rt_->State(id, StateDir(id));
  ASSERT_TRUE(st.ok());
  EXPECT_NE(st->kind, RuntimeState::kRunning);
  EXPECT_TRUE(st->exited);
  // runc's complaint is not container output.
  EXPECT_TRUE(Logs(id).empty());
  EXPECT_TRUE(Env::Default()->FileExists(StateDir(id) + "/start.log"));
}

// A command that exists but cannot be executed (a directory): Docker's exit
// code 126, told by the status code.
TEST_F(RuntimeTest, NonExecutableCommandIsPermissionDenied) {
  std::string id = Prepare({"/"});
  auto pid = Start(id);
  ASSERT_FALSE(pid.ok());
  EXPECT_EQ(pid.status().code(), Code::kPermissionDenied) << pid.status().ToString();
  EXPECT_NE(pid.status().message().find("permission denied"), std::string::npos) << pid.status().message();
}

TEST_F(RuntimeTest, RuncFailureBeforeAnyLogShowsItsStderr) {
  // A runc that fails without writing its JSON log: its stderr explains.
  const std::string fake = dir_ + "/fake-runc";
  ASSERT_TRUE(WriteFileAtomic(Env::Default(), fake,
                              "#!/bin/sh\n"
                              "for a in \"$@\"; do case \"$a\" in\n"
                              "  state) echo 'container does not exist' >&2; exit 1;;\n"
                              "  run) echo 'fake runc: cannot run' >&2; exit 1;;\n"
                              "esac; done\n"
                              "exit 1\n")
                  .ok());
  ASSERT_EQ(chmod(fake.c_str(), 0755), 0);
  RuntimeOptions o = opts_;
  o.runc = fake;
  auto rt = Runtime::Create(o);
  ASSERT_TRUE(rt.ok());
  std::string id = Prepare({"true"});
  auto pid = (*rt)->Start(id, Bundle(id), StateDir(id), StartOptions{});
  ASSERT_FALSE(pid.ok());
  EXPECT_NE(pid.status().message().find("fake runc: cannot run"), std::string::npos)
      << pid.status().message();
  EXPECT_TRUE(Logs(id).empty());

  // No runc at all: NotFound naming it.
  o.runc = dir_ + "/no-runc-here";
  rt = Runtime::Create(o);
  ASSERT_TRUE(rt.ok());
  pid = (*rt)->Start(id, Bundle(id), StateDir(id), StartOptions{});
  ASSERT_FALSE(pid.ok());
  EXPECT_EQ(pid.status().code(), Code::kNotFound);
  EXPECT_NE(pid.status().message().find(o.runc), std::string::npos) << pid.status().message();
}

TEST_F(RuntimeTest, NewRuntimeFindsRunningContainer) {
  std::string id = Prepare({"sleep", "1000"});
  auto pid = Start(id);
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  // A second start of a running container is refused.
  EXPECT_EQ(Start(id).status().code(), Code::kFailedPrecondition);

  rt_.reset();  // the "daemon" goes away; the shim and container stay
  auto rt = Runtime::Create(opts_);
  ASSERT_TRUE(rt.ok());
  rt_ = std::move(*rt);
  auto st = rt_->State(id, StateDir(id));
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(st->kind, RuntimeState::kRunning);
  EXPECT_EQ(st->pid, *pid);
  EXPECT_FALSE(st->exited);
  ASSERT_TRUE(rt_->Kill(id, SIGKILL).ok());
  EXPECT_EQ(MustWait(id).exit_code, 137);
}

TEST_F(RuntimeTest, WaitTimeoutAndCancel) {
  std::string id = Prepare({"sleep", "1000"});
  ASSERT_TRUE(Start(id).ok());
  auto t0 = std::chrono::steady_clock::now();
  auto st = rt_->Wait(id, StateDir(id), 150);
  auto elapsed = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(st.ok());
  EXPECT_FALSE(st->exited);
  EXPECT_GE(elapsed, std::chrono::milliseconds(150));
  int calls = 0;
  st = rt_->Wait(id, StateDir(id), -1, [&] { return ++calls > 3; });
  ASSERT_TRUE(st.ok());
  EXPECT_FALSE(st->exited);
  EXPECT_GT(calls, 3);
}

TEST_F(RuntimeTest, DeleteRemovesRuncState) {
  std::string id = Prepare({"sleep", "1000"});
  ASSERT_TRUE(Start(id).ok());
  ASSERT_TRUE(rt_->Delete(id).ok());
  RuntimeState st = MustWait(id);
  EXPECT_EQ(st.kind, RuntimeState::kStopped);  // from the exit file only
  EXPECT_EQ(st.pid, 0);
  EXPECT_FALSE(Env::Default()->FileExists(opts_.runc_root + "/" + id));
  EXPECT_TRUE(rt_->Delete(id).ok());  // absent: OK
  EXPECT_EQ(rt_->Kill(id, SIGKILL).code(), Code::kFailedPrecondition);
}

// DeleteLater leaves runc's state to a background thread; a Start of the
// same container right after waits for it (and starts), a Delete meanwhile is
// OK at once, and the runtime's end finishes what is queued.
TEST_F(RuntimeTest, DeleteLaterThenStartAgain) {
  std::string id = Prepare({"sh", "-c", "echo once"});
  ASSERT_TRUE(Start(id).ok());
  EXPECT_EQ(MustWait(id).exit_code, 0);
  EXPECT_TRUE(Env::Default()->FileExists(opts_.runc_root + "/" + id));  // runc run -d keeps it until a delete
  rt_->DeleteLater(id);
  EXPECT_TRUE(rt_->Delete(id).ok());
  auto pid = Start(id);
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  EXPECT_EQ(MustWait(id).exit_code, 0);
  rt_->DeleteLater(id);
  rt_.reset();  // drains the queue
  EXPECT_FALSE(Env::Default()->FileExists(opts_.runc_root + "/" + id));
  std::string out;
  for (const auto& e : Logs(id)) out += e.data;
  EXPECT_EQ(out, "once\nonce\n");
}

TEST_F(RuntimeTest, RestartKeepsLogAndReplacesExit) {
  std::string id = Prepare({"sh", "-c", "echo run"});
  ASSERT_TRUE(Start(id).ok());
  EXPECT_EQ(MustWait(id).exit_code, 0);
  // runc run removes its state on exit, so the same ID starts again.
  ProcessSpec again;
  again.args = {"sh", "-c", "echo again; exit 4"};
  again.env = {"PATH=/bin"};
  ASSERT_TRUE(WriteBundleConfig(Bundle(id), rootfs_, again).ok());
  ASSERT_TRUE(Start(id).ok());
  EXPECT_EQ(MustWait(id).exit_code, 4);
  std::string out;
  for (const auto& e : Logs(id)) out += e.data;
  EXPECT_EQ(out, "run\nagain\n");
}

TEST_F(RuntimeTest, FollowLogsOfARunningContainer) {
  std::string id = Prepare({"sh", "-c", "for i in 1 2 3; do echo line$i; sleep 0.1; done"});
  ASSERT_TRUE(Start(id).ok());
  LogReadOptions o;
  o.follow = true;
  o.finished = [&] {
    auto st = rt_->State(id, StateDir(id));
    return st.ok() && st->exited;
  };
  std::string out;
  ASSERT_TRUE(ReadLog(LogPath(id), o, [&](const LogEntry& e) {
                out += e.data;
                return OkStatus();
              }).ok());
  EXPECT_EQ(out, "line1\nline2\nline3\n");
}

TEST_F(RuntimeTest, ShimKeepsNoDescriptorOfTheCaller) {
  // A descriptor the "daemon" leaks without close-on-exec must not stay open
  // in the shim or the container.
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::string id = Prepare({"sleep", "1000"});
  auto pid = Start(id);
  close(fds[1]);
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  struct pollfd p = {fds[0], POLLIN, 0};
  int ready = poll(&p, 1, 5000);
  EXPECT_EQ(ready, 1) << "a writer is still open";
  if (ready == 1) {
    char c;
    EXPECT_EQ(read(fds[0], &c, 1), 0);  // end of file: no writer left
  }
  close(fds[0]);
  auto st = rt_->State(id, StateDir(id));
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->kind, RuntimeState::kRunning);
}

// The parent's command name of process `pid` ("" when gone).
std::string ParentComm(int pid) {
  auto stat = Env::Default()->ReadFileToString("/proc/" + std::to_string(pid) + "/stat");
  if (!stat.ok() || stat->rfind(')') == std::string::npos) return "";
  int ppid = std::atoi(stat->c_str() + stat->rfind(')') + 4);  // ") S PPID"
  auto comm = Env::Default()->ReadFileToString("/proc/" + std::to_string(ppid) + "/comm");
  return comm.ok() ? comm->substr(0, comm->find('\n')) : "";
}

TEST_F(RuntimeTest, ExecRunsTheHelperAndFallsBackToRuncExec) {
  const std::string helper = ShimPath().substr(0, ShimPath().rfind('/')) + "/berth-exec";
  ASSERT_EQ(access(helper.c_str(), X_OK), 0) << "berth-exec not built at " << helper;
  RuntimeOptions o = opts_;
  o.exec_helper = helper;
  auto rt = Runtime::Create(o);
  ASSERT_TRUE(rt.ok()) << rt.status().ToString();
  auto ring = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(16);
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>("exec-test", ring);
  logger->set_level(spdlog::level::debug);
  spdlog::set_default_logger(logger);
  for (bool readable_config : {true, false}) {
    SCOPED_TRACE(readable_config ? "helper" : "runc exec");
    std::string id = Prepare({"sleep", "1000"});
    ASSERT_TRUE(Start(id).ok());
    // Without a config.json to read, the helper cannot know the container's
    // filter: runc exec (which reads runc's own state) runs it.
    if (!readable_config) ASSERT_EQ(::unlink((Bundle(id) + "/config.json").c_str()), 0);
    ProcessSpec p;
    p.args = {"sh", "-c", "sleep 1; echo done; exit 4"};
    p.env = {"PATH=/bin"};
    const std::string process = StateDir(id) + "/exec.json";
    ASSERT_TRUE(WriteProcessJson(process, p).ok());
    std::string parent, out;
    Result<int> code = (*rt)->Exec(
        id, Bundle(id), process, StateDir(id) + "/exec.pid", ExecStdio{}, [&](int pid) { parent = ParentComm(pid); },
        [&](int, std::string_view data) { out.append(data); }, [] { return false; });
    ASSERT_TRUE(code.ok()) << code.status().ToString();
    EXPECT_EQ(*code, 4);
    EXPECT_EQ(out, "done\n");
    EXPECT_EQ(parent, readable_config ? "berth-exec" : "runc");
    std::vector<std::string> lines = ring->last_formatted();
    bool said = false;
    for (const std::string& line : lines) said |= line.find("runc exec, as berth-exec cannot enter") != std::string::npos;
    EXPECT_EQ(said, !readable_config);
  }
  spdlog::set_default_logger(previous);
}

TEST(RuntimeCreateTest, RejectsBadOptions) {
  RuntimeOptions o;
  o.shim = "relative/berth-shim";
  EXPECT_EQ(Runtime::Create(o).status().code(), Code::kInvalidArgument);
  o.shim = "/nonexistent/berth-shim";
  EXPECT_EQ(Runtime::Create(o).status().code(), Code::kNotFound);
  o.shim = ShimPath();
  o.exec_helper = "relative/berth-exec";
  EXPECT_EQ(Runtime::Create(o).status().code(), Code::kInvalidArgument);
  o.exec_helper = "/nonexistent/berth-exec";
  EXPECT_EQ(Runtime::Create(o).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace berth
