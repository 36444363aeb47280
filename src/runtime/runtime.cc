// Runtime: containers run by runc under berth-shim (see runtime.h).
//
// Files in a container's state directory:
//   shim.pid       the shim's pid (written by the shim first thing)
//   init.pid       the container's init pid (runc run --pid-file), present
//                  once the process has started
//   runc.log       runc's own JSON log (its error entries explain a failed
//                  start)
//   container.log  the container's output (see log_format.h)
//   start.log      written instead when the process never started: what
//                  runc printed (same format)
//   exit           "<code> <finished unix nanos>\n" once runc has exited

#include <signal.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <set>
#include <string>
#include <thread>

#include "berth/env.h"
#include "berth/log.h"
#include "berth/mutex.h"
#include "berth/runtime.h"
#include "runtime/cgroup_warmup.h"
#include "runtime/log_format.h"
#include "runtime/nsexec.h"
#include "runtime/subprocess.h"

namespace berth {

namespace {

using runtime_internal::CommandResult;
using runtime_internal::RunCommand;
using runtime_internal::RunCommandWithStdio;

// Where the shim of a TTY container has runc hand it the terminal (relative
// to the state directory: a socket's path is short).
constexpr char kConsoleSocket[] = "console.sock";

void RestoreOutputNewlines(int master_fd) {
  struct termios t;
  if (::tcgetattr(master_fd, &t) != 0) return;
  t.c_oflag |= OPOST | ONLCR;
  ::tcsetattr(master_fd, TCSANOW, &t);
}

constexpr int kPollMs = 20;
// How often a waiter that can be cancelled looks at `cancelled`.
constexpr int kCancelCheckMs = 100;
// How long Start waits for runc to report the process started or failed.
constexpr int kStartTimeoutMs = 60000;

struct RuncStatus {
  bool exists = false;
  std::string status;  // "created", "running", "paused", "stopped"
  int pid = 0;
};

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  size_t start = 0;
  while (start < s.size() && (s[start] == ' ' || s[start] == '\n')) ++start;
  return s.substr(start);
}

bool Contains(const std::string& s, const char* needle) { return s.find(needle) != std::string::npos; }

void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

int64_t MonotonicMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string MakeAbsolute(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char buf[4096];
  if (::getcwd(buf, sizeof(buf)) == nullptr) return path;
  return std::string(buf) + "/" + path;
}

// Reads a small file holding a decimal number; 0 when absent or malformed.
int ReadPidFile(const std::string& path) {
  auto content = Env::Default()->ReadFileToString(path);
  if (!content.ok()) return 0;
  return std::atoi(content->c_str());
}

// Whether `pid` is a live (not zombie) process.
bool ProcessAlive(int pid) {
  if (pid <= 0) return false;
  auto stat = Env::Default()->ReadFileToString("/proc/" + std::to_string(pid) + "/stat");
  if (!stat.ok()) return false;
  size_t paren = stat->rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat->size()) return true;
  char state = (*stat)[paren + 2];
  return state != 'Z' && state != 'X';
}

// What a failed start's error message is read from, at the most: a
// container that floods its log before failing cannot make berthd load it.
constexpr size_t kMaxStartErrorBytes = 64 << 10;

// The "msg" of runc's error entries in its JSON log, joined by "; ".
std::string RuncErrors(const std::string& log_path) {
  auto content = runtime_internal::ReadFileRange(log_path, 0, kMaxStartErrorBytes);
  if (!content.ok()) return "";
  std::string out;
  size_t start = 0;
  while (start < content->size()) {
    size_t end = content->find('\n', start);
    if (end == std::string::npos) end = content->size();
    boost::system::error_code ec;
    auto v = boost::json::parse(std::string_view(*content).substr(start, end - start), ec);
    start = end + 1;
    if (ec || !v.is_object()) continue;
    const auto* level = v.get_object().if_contains("level");
    const auto* msg = v.get_object().if_contains("msg");
    if (level == nullptr || msg == nullptr || !level->is_string() || !msg->is_string()) continue;
    if (level->get_string() != "error" && level->get_string() != "fatal") continue;
    if (!out.empty()) out += "; ";
    out.append(msg->get_string().data(), msg->get_string().size());
  }
  return out;
}

// The stderr output in `log_path` after byte `offset` (what the shim or
// runc printed during a failed start), without the trailing newline.
std::string StderrSince(const std::string& log_path, uint64_t offset) {
  auto content = runtime_internal::ReadFileRange(log_path, offset, kMaxStartErrorBytes);
  if (!content.ok() || content->empty()) return "";
  std::string out;
  std::string_view rest = *content;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) break;
    auto entry = runtime_internal::ParseLogLine(rest.substr(0, nl));
    rest.remove_prefix(nl + 1);
    if (entry.ok() && entry->stream == "stderr") out += entry->data;
  }
  return Trim(out);
}

// Docker's wording around runc's reason for a failed start, classified by
// code (see Runtime::Start): reading runc's text happens here, once.
Status StartError(std::string reason) {
  for (const char* prefix : {"runc run failed: ", "runc create failed: "}) {
    if (reason.rfind(prefix, 0) == 0) reason = reason.substr(std::char_traits<char>::length(prefix));
  }
  std::string msg = "failed to create task for container: failed to create shim task: "
                    "OCI runtime create failed: runc create failed: " +
                    reason + ": unknown";
  if (Contains(reason, "executable file not found") || Contains(reason, "no such file or directory")) {
    return NotFound(std::move(msg));
  }
  if (Contains(reason, "permission denied")) return PermissionDenied(std::move(msg));
  if (Contains(reason, "not a directory")) return InvalidArgument(std::move(msg));
  return Internal(std::move(msg));
}

class RuncRuntime final : public Runtime {
 public:
  explicit RuncRuntime(RuntimeOptions opts) : opts_(std::move(opts)), warm_file_(OwnCgroupMigrationFile()) {}

  ~RuncRuntime() override {
    {
      MutexLock l(&delete_mu_);
      delete_stop_ = true;
      delete_changed_.NotifyAll();
    }
    if (delete_worker_.joinable()) delete_worker_.join();  // runs what is queued first
  }

  void DeleteLater(const std::string& id) override {
    MutexLock l(&delete_mu_);
    if (delete_stop_) {
      l.Unlock();
      LogIfError(Delete(id), "delete the runtime state of container " + id);
      return;
    }
    if (!delete_pending_.insert(id).second) return;
    delete_queue_.push_back(id);
    if (!delete_worker_.joinable()) delete_worker_ = std::thread([this] { DeleteWorker(); });
    delete_changed_.NotifyAll();
  }

  Result<int> Start(const std::string& id, const std::string& bundle, const std::string& state_dir_in,
                    const StartOptions& start) override {
    const LogRotation& log = start.log;
    if (id.empty()) return InvalidArgument("empty container ID");
    const std::string state_dir = MakeAbsolute(state_dir_in);
    Env* env = Env::Default();
    // runc's first cgroup write then finds the kernel's migration lock warm
    // (cgroup_warmup.h); stopped once the container runs.
    CgroupWarmup warm(warm_file_);
    AwaitDeleteLater(id);
    BERTH_RETURN_IF_ERROR(CheckRuncExecutable());
    // Only a container runc still keeps (a crash, or a stop that left it)
    // costs a `runc state`: runc's directory for it is looked at first.
    if (RuncKnows(id)) {
      BERTH_ASSIGN_OR_RETURN(RuncStatus rs, RuncState(id));
      if (rs.exists && rs.status != "stopped") {
        return FailedPrecondition("container " + id + " is already " + rs.status);
      }
      if (rs.exists) BERTH_RETURN_IF_ERROR(Delete(id));
    }
    BERTH_RETURN_IF_ERROR(env->CreateDirs(state_dir, 0711));
    for (const char* name : {"exit", "init.pid", "shim.pid", "runc.log", "start.log", kShimStdinFifo,
                             kShimControlFifo, kConsoleSocket}) {
      Status s = env->RemoveFile(state_dir + "/" + name);
      if (!s.ok() && s.code() != Code::kNotFound) return s;
    }
    // The shim reads these (stdin.cc writes them); made here so that they
    // exist once Start returns.
    if (start.open_stdin && ::mkfifo((state_dir + "/" + kShimStdinFifo).c_str(), 0600) != 0) {
      return ErrnoStatus("mkfifo " + state_dir + "/" + kShimStdinFifo, errno);
    }
    if ((start.open_stdin || start.tty) && ::mkfifo((state_dir + "/" + kShimControlFifo).c_str(), 0600) != 0) {
      return ErrnoStatus("mkfifo " + state_dir + "/" + kShimControlFifo, errno);
    }
    // Where this run's output starts in the (appended) log.
    const std::string log_file = state_dir + "/container.log";
    auto log_info = env->Stat(log_file);
    const uint64_t log_offset = log_info.ok() ? log_info->size : 0;
    std::vector<std::string> shim_args = {opts_.shim, "--id",   id,          "--bundle",    MakeAbsolute(bundle),
                                          "--state",  state_dir, "--runc", opts_.runc, "--runc-root", opts_.runc_root};
    if (log.max_size_bytes > 0) {
      shim_args.insert(shim_args.end(), {"--log-max-size", std::to_string(log.max_size_bytes), "--log-max-file",
                                         std::to_string(log.max_files)});
    }
    if (start.open_stdin) shim_args.insert(shim_args.end(), {"--stdin", "1"});
    if (start.tty) shim_args.insert(shim_args.end(), {"--tty", "1"});
    // Watched before the shim exists: runc's pid file or the shim's exit file
    // wakes this thread as it appears (no polling delay on the start path).
    BERTH_ASSIGN_OR_RETURN(std::unique_ptr<DirWatch> watch, env->WatchDir(state_dir, /*with_writes=*/false));
    BERTH_ASSIGN_OR_RETURN(CommandResult shim, RunCommand(shim_args));
    if (shim.exit_code != 0) {
      return Internal("start shim for " + id + ": " + Trim(shim.err.empty() ? shim.out : shim.err));
    }
    const std::string pid_file = state_dir + "/init.pid";
    const std::string exit_file = state_dir + "/exit";
    const int64_t deadline = MonotonicMs() + kStartTimeoutMs;
    int64_t next_shim_check = MonotonicMs() + 500;
    while (true) {
      // runc writes the pid file (atomically) once the process runs; the
      // exit file comes later, so check the pid file first.
      if (int pid = ReadPidFile(pid_file); pid > 0) return pid;
      if (env->FileExists(exit_file)) {
        if (int pid = ReadPidFile(pid_file); pid > 0) return pid;
        std::string reason = RuncErrors(state_dir + "/runc.log");
        if (reason.empty()) reason = StderrSince(state_dir + "/start.log", 0);
        if (reason.empty()) reason = StderrSince(log_file, log_offset);
        if (reason.empty()) {
          auto st = ReadExit(exit_file);
          reason = "runc exited with status " + std::to_string(st.exit_code);
        }
        return StartError(reason);
      }
      const int64_t now = MonotonicMs();
      if (now >= next_shim_check) {
        next_shim_check = now + 500;
        int shim_pid = ReadPidFile(state_dir + "/shim.pid");
        if (shim_pid > 0 && !ProcessAlive(shim_pid) && !env->FileExists(exit_file) &&
            ReadPidFile(pid_file) <= 0) {
          return Internal("shim for container " + id + " exited before the container started");
        }
      }
      if (now >= deadline) return Internal("timed out starting container " + id);
      watch->WaitForChange(static_cast<int>(std::min(next_shim_check, deadline) - now));
    }
  }

  Status Kill(const std::string& id, int signal) override {
    BERTH_ASSIGN_OR_RETURN(RuncStatus rs, RuncState(id));
    if (!rs.exists || rs.status == "stopped") {
      return FailedPrecondition("container " + id + " is not running");
    }
    BERTH_ASSIGN_OR_RETURN(CommandResult r, Runc({"kill", id, std::to_string(signal)}));
    if (r.exit_code == 0) return OkStatus();
    if (Contains(r.err, "not running") || Contains(r.err, "does not exist") ||
        Contains(r.err, "process already finished")) {
      return FailedPrecondition("container " + id + " is not running");
    }
    return Internal("runc kill " + id + ": " + Trim(r.err));
  }

  Status Pause(const std::string& id) override {
    BERTH_ASSIGN_OR_RETURN(RuncStatus rs, RuncState(id));
    if (!rs.exists || rs.status != "running") {
      return FailedPrecondition("container " + id + " is not running");
    }
    BERTH_ASSIGN_OR_RETURN(CommandResult r, Runc({"pause", id}));
    if (r.exit_code != 0) return Internal("runc pause " + id + ": " + Trim(r.err));
    return OkStatus();
  }

  Status Update(const std::string& id, const LinuxResourceLimits& limits) override {
    BERTH_ASSIGN_OR_RETURN(RuncStatus rs, RuncState(id));
    if (!rs.exists || (rs.status != "running" && rs.status != "paused")) {
      return FailedPrecondition("container " + id + " is not running");
    }
    runtime_internal::CommandInput input;
    input.stdin_data = LinuxResourcesJson(limits);
    BERTH_ASSIGN_OR_RETURN(CommandResult r, runtime_internal::RunCommandWithInput(RuncArgv({"update", "--resources", "-", id}), input));
    if (r.exit_code != 0) return Internal(Trim(r.err.empty() ? r.out : r.err));
    return OkStatus();
  }

  Status Resume(const std::string& id) override {
    BERTH_ASSIGN_OR_RETURN(RuncStatus rs, RuncState(id));
    if (!rs.exists || rs.status != "paused") {
      return FailedPrecondition("container " + id + " is not paused");
    }
    BERTH_ASSIGN_OR_RETURN(CommandResult r, Runc({"resume", id}));
    if (r.exit_code != 0) return Internal("runc resume " + id + ": " + Trim(r.err));
    return OkStatus();
  }

  Result<RuntimeState> State(const std::string& id, const std::string& state_dir) override {
    RuntimeState st = ReadExit(state_dir + "/exit");
    // The shim writes the exit file once the container's init has been
    // reaped (and Start removes a stale one): runc need not be asked.
    if (st.exited) {
      st.kind = RuntimeState::kStopped;
      return st;
    }
    BERTH_ASSIGN_OR_RETURN(RuncStatus rs, RuncState(id));
    if (rs.exists) {
      if (rs.status == "created") {
        st.kind = RuntimeState::kCreated;
      } else if (rs.status == "running" || rs.status == "paused") {
        st.kind = RuntimeState::kRunning;
      } else {
        st.kind = RuntimeState::kStopped;
      }
      if (st.kind != RuntimeState::kStopped) st.pid = rs.pid;
      st.paused = rs.status == "paused";
    } else {
      st.kind = st.exited ? RuntimeState::kStopped : RuntimeState::kUnknown;
    }
    return st;
  }

  Result<RuntimeState> Wait(const std::string& id, const std::string& state_dir, int64_t timeout_ms,
                            const std::function<bool()>& cancelled) override {
    Env* env = Env::Default();
    const std::string exit_file = state_dir + "/exit";
    const int64_t start = MonotonicMs();
    int64_t next_shim_check = start + 500;
    // The shim's exit file wakes the waiter as it appears; without a watch
    // (the state directory is gone) the wait falls back to polling.
    auto watch = env->WatchDir(state_dir, /*with_writes=*/false);
    while (!env->FileExists(exit_file)) {
      if (cancelled && cancelled()) break;
      const int64_t now = MonotonicMs();
      if (timeout_ms >= 0 && now - start >= timeout_ms) break;
      if (now >= next_shim_check) {
        // A shim that died without an exit file will never write one.
        next_shim_check = now + 500;
        int shim_pid = ReadPidFile(state_dir + "/shim.pid");
        if (shim_pid > 0 && !ProcessAlive(shim_pid) && !env->FileExists(exit_file)) break;
      }
      int slice = cancelled ? kCancelCheckMs : static_cast<int>(next_shim_check - now);
      if (timeout_ms >= 0) slice = static_cast<int>(std::min<int64_t>(slice, start + timeout_ms - now));
      if (watch.ok()) {
        (*watch)->WaitForChange(std::max(slice, 1));
      } else {
        SleepMs(std::min(std::max(slice, 1), kPollMs));
      }
    }
    return State(id, state_dir);
  }

  Result<int> Exec(const std::string& id, const std::string& bundle, const std::string& process_json,
                   const std::string& pid_file, const ExecStdio& stdio, const std::function<void(int pid)>& on_pid,
                   const std::function<void(int stream, std::string_view data)>& on_output,
                   const std::function<bool()>& abandon) override {
    const bool native = UseExecHelper(id, bundle);
    std::vector<std::string> argv =
        native ? std::vector<std::string>{opts_.exec_helper, "--id", id, "--runc-state", RuncRoot() + "/" + id + "/state.json",
                                          "--bundle", bundle, "--process", process_json, "--pid-file", pid_file}
               : RuncArgv({"exec", "--process", process_json, "--pid-file", pid_file, id});
    int pid = 0;
    // runc's own complaint (the process never started) comes on stderr too;
    // the start of stderr is kept to classify it.
    std::string stderr_head;
    auto check_pid = [&] {
      if (pid > 0) return;
      pid = ReadPidFile(pid_file);
      if (pid <= 0) return;
      // runc has made its terminal (our pty) raw by now: newlines become
      // "\r\n" again, as on Docker's terminals.
      if (stdio.tty && !native) {
        RestoreOutputNewlines(stdio.tty->master);
        // runc copies our terminal's size to the process's on SIGWINCH; a
        // size set before it listened would otherwise be lost.
        pid_t foreground = ::tcgetpgrp(stdio.tty->master);
        if (foreground > 0) ::killpg(foreground, SIGWINCH);
      }
      on_pid(pid);
    };
    runtime_internal::ChildStdio child;
    child.stdin_fd = stdio.stdin_fd;
    if (stdio.tty) {
      child.tty_path = stdio.tty->path;
      child.tty_master = stdio.tty->master;
    }
    BERTH_ASSIGN_OR_RETURN(int code, RunCommandWithStdio(
                                         argv, child,
                                         [&](int stream, std::string_view data) {
                                           check_pid();
                                           if (pid <= 0 && stream == 2 && stderr_head.size() < 4096) {
                                             stderr_head.append(data);
                                           }
                                           on_output(stream, data);
                                         },
                                         [&] {
                                           check_pid();
                                           return !abandon();
                                         }));
    check_pid();
    // berth-exec exits 126/127 itself, with Docker's text.
    if (!native && pid <= 0 && code != 0) {
      Code failure = StartError(stderr_head).code();
      if (failure == Code::kNotFound) return 127;
      if (failure == Code::kPermissionDenied) return 126;
    }
    return code;
  }

  Status Delete(const std::string& id) override {
    {
      MutexLock l(&delete_mu_);
      // Queued or running: that deletion does it (a removal after the exit
      // does not wait for runc).
      if (delete_pending_.count(id) != 0) return OkStatus();
    }
    return DeleteNow(id);
  }

 private:
  Status DeleteNow(const std::string& id) {
    if (!RuncKnows(id)) return OkStatus();  // nothing of runc's to delete: no process spawned
    BERTH_ASSIGN_OR_RETURN(CommandResult r, Runc({"delete", "--force", id}));
    if (r.exit_code == 0 || Contains(r.err, "does not exist")) return OkStatus();
    return Internal("runc delete " + id + ": " + Trim(r.err));
  }

  // NotFound naming runc when its binary is missing (a path, or a name
  // looked up in PATH as exec does), so a start fails with that reason
  // rather than the shim's.
  Status CheckRuncExecutable() const {
    const std::string& runc = opts_.runc;
    if (runc.find('/') != std::string::npos) {
      if (::access(runc.c_str(), X_OK) == 0) return OkStatus();
      return ErrnoStatus("runc binary " + runc, errno);
    }
    const char* path = std::getenv("PATH");
    std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
    while (true) {
      size_t colon = dirs.find(':');
      std::string dir(dirs.substr(0, colon));
      if (::access(((dir.empty() ? std::string(".") : dir) + "/" + runc).c_str(), X_OK) == 0) return OkStatus();
      if (colon == std::string_view::npos) break;
      dirs.remove_prefix(colon + 1);
    }
    return NotFound("runc binary " + runc + " not found in PATH");
  }

  // Runs the queued deletions one by one until the runtime ends (and the
  // queue is empty).
  void DeleteWorker() {
    MutexLock l(&delete_mu_);
    while (true) {
      while (delete_queue_.empty() && !delete_stop_) delete_changed_.Wait(&delete_mu_);
      if (delete_queue_.empty()) return;
      std::string id = std::move(delete_queue_.front());
      delete_queue_.pop_front();
      l.Unlock();
      LogIfError(DeleteNow(id), "delete the runtime state of container " + id);
      l.Lock();
      delete_pending_.erase(id);
      delete_changed_.NotifyAll();
    }
  }

  // Blocks while a DeleteLater of `id` is queued or running.
  void AwaitDeleteLater(const std::string& id) {
    MutexLock l(&delete_mu_);
    while (delete_pending_.count(id) != 0) delete_changed_.Wait(&delete_mu_);
  }

  std::vector<std::string> RuncArgv(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {opts_.runc};
    if (!opts_.runc_root.empty()) {
      argv.push_back("--root");
      argv.push_back(opts_.runc_root);
    }
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  Result<CommandResult> Runc(std::vector<std::string> args) { return RunCommand(RuncArgv(args)); }

  std::string RuncRoot() const { return opts_.runc_root.empty() ? std::string("/run/runc") : opts_.runc_root; }

  // Whether berth-exec runs an exec in container `id` (else `runc exec`).
  bool UseExecHelper(const std::string& id, const std::string& bundle) const {
    if (opts_.exec_helper.empty()) return false;
    auto config = Env::Default()->ReadFileToString(bundle + "/config.json");
    const std::string blocker = config.ok() ? runtime_internal::NativeExecBlocker(*config, AppArmorEnabled())
                                            : "no readable config.json in " + bundle;
    if (blocker.empty()) return true;
    spdlog::debug("exec in container {}: runc exec, as berth-exec cannot enter a container with {}", id, blocker);
    return false;
  }

  static bool AppArmorEnabled() {
    static const bool enabled = [] {
      auto v = Env::Default()->ReadFileToString("/sys/module/apparmor/parameters/enabled");
      return v.ok() && !v->empty() && (*v)[0] == 'Y';
    }();
    return enabled;
  }

  // False when runc keeps no state directory for `id` (<root>/<id>), so
  // `runc delete` would find nothing: a removal after the exit's own delete
  // then spawns no runc. True when unsure (any other error). (Start still
  // asks `runc state`, which also finds a missing runc binary.)
  bool RuncKnows(const std::string& id) const {
    const std::string root = RuncRoot();
    struct stat st;
    return !(::lstat((root + "/" + id).c_str(), &st) != 0 && errno == ENOENT);
  }

  Result<RuncStatus> RuncState(const std::string& id) {
    RuncStatus rs;
    BERTH_ASSIGN_OR_RETURN(CommandResult r, Runc({"state", id}));
    if (r.exit_code != 0) {
      if (Contains(r.err, "does not exist")) return rs;
      return Internal("runc state " + id + ": " + Trim(r.err));
    }
    boost::system::error_code ec;
    auto v = boost::json::parse(r.out, ec);
    if (ec || !v.is_object()) return Internal("runc state " + id + ": unreadable output");
    const auto& obj = v.get_object();
    rs.exists = true;
    if (const auto* s = obj.if_contains("status"); s && s->is_string()) {
      rs.status.assign(s->get_string().data(), s->get_string().size());
    }
    if (const auto* p = obj.if_contains("pid"); p && p->is_int64()) rs.pid = static_cast<int>(p->get_int64());
    return rs;
  }

  static RuntimeState ReadExit(const std::string& exit_file) {
    RuntimeState st;
    auto content = Env::Default()->ReadFileToString(exit_file);
    if (!content.ok()) return st;
    char* end = nullptr;
    long code = std::strtol(content->c_str(), &end, 10);
    if (end == content->c_str()) return st;
    st.exited = true;
    st.exit_code = static_cast<int>(code);
    st.finished_unix_nanos = std::strtoll(end, nullptr, 10);
    return st;
  }

  const RuntimeOptions opts_;
  const std::string warm_file_;  // OwnCgroupMigrationFile() of berthd
  Mutex delete_mu_;
  CondVar delete_changed_;
  std::deque<std::string> delete_queue_ GUARDED_BY(delete_mu_);
  std::set<std::string> delete_pending_ GUARDED_BY(delete_mu_);  // queued or running
  bool delete_stop_ GUARDED_BY(delete_mu_) = false;
  std::thread delete_worker_;  // started by the first DeleteLater (under delete_mu_)
};

}  // namespace

Result<int> Runtime::Exec(const std::string& id, const std::string&, const std::string&, const std::string&,
                          const ExecStdio&,
                          const std::function<void(int pid)>&, const std::function<void(int, std::string_view)>&,
                          const std::function<bool()>&) {
  return Unimplemented("this runtime cannot run processes in container " + id);
}

void Runtime::DeleteLater(const std::string& id) {
  LogIfError(Delete(id), "delete the runtime state of container " + id);
}

Status Runtime::Update(const std::string& id, const LinuxResourceLimits&) {
  return Unimplemented("this runtime cannot update the limits of container " + id);
}

Result<std::unique_ptr<Runtime>> Runtime::Create(const RuntimeOptions& opts) {
  if (opts.shim.empty() || opts.shim[0] != '/') {
    return InvalidArgument("runtime: the shim path must be absolute: \"" + opts.shim + "\"");
  }
  if (::access(opts.shim.c_str(), X_OK) != 0) return ErrnoStatus("runtime: shim " + opts.shim, errno);
  if (opts.runc.empty()) return InvalidArgument("runtime: no runc binary given");
  if (!opts.exec_helper.empty() && (opts.exec_helper[0] != '/' || ::access(opts.exec_helper.c_str(), X_OK) != 0)) {
    return InvalidArgument("runtime: the exec helper must be an absolute path to an executable: \"" +
                           opts.exec_helper + "\"");
  }
  RuntimeOptions o = opts;
  if (!o.runc_root.empty()) {
    o.runc_root = MakeAbsolute(o.runc_root);
    BERTH_RETURN_IF_ERROR(Env::Default()->CreateDirs(o.runc_root, 0700));
  }
  return std::unique_ptr<Runtime>(new RuncRuntime(std::move(o)));
}

}  // namespace berth
