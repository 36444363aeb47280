// RunNativeExec: berth-exec's work (see nsexec.h for the contract and the
// order of the steps). The helper is single-threaded, so the child of its
// fork may use anything.

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "berth/env.h"
#include "runtime/nsexec.h"

namespace berth {
namespace runtime_internal {

namespace {

namespace json = boost::json;

// What a file holds, or "" (with `ok` false) when it cannot be read.
std::string ReadSmallFile(const std::string& path, bool* ok) {
  auto content = Env::Default()->ReadFileToString(path);
  *ok = content.ok();
  return content.ok() ? *content : std::string();
}

void WriteStderr(const std::string& text) {
  std::string line = text + "\n";
  size_t off = 0;
  while (off < line.size()) {
    ssize_t n = ::write(2, line.data() + off, line.size() - off);
    if (n <= 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

// Docker's wording of a process that could not be started.
std::string DockerStartError(const std::string& reason) {
  return "OCI runtime exec failed: exec failed: unable to start container process: " + reason + ": unknown";
}

// The error text Go (and so runc and Docker) gives errno `err`: strerror's
// with a lower-case first letter ("no such file or directory").
std::string ErrnoText(int err) {
  std::string text = std::strerror(err);
  if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z') text[0] = static_cast<char>(text[0] - 'A' + 'a');
  return text;
}

// The start time (clock ticks since boot, /proc/PID/stat field 22) of `pid`;
// 0 when unreadable.
uint64_t ProcessStartTime(int pid) {
  bool ok = false;
  std::string stat = ReadSmallFile("/proc/" + std::to_string(pid) + "/stat", &ok);
  size_t paren = stat.rfind(')');
  if (!ok || paren == std::string::npos) return 0;
  // Fields after the command: state is field 3, starttime field 22.
  const char* p = stat.c_str() + paren + 2;
  for (int field = 3; field < 22 && *p != '\0'; ++field) {
    p = std::strchr(p, ' ');
    if (p == nullptr) return 0;
    ++p;
  }
  return std::strtoull(p, nullptr, 10);
}

struct InitProcess {
  int pid = 0;
  uint64_t start_time = 0;
};

Result<InitProcess> ReadRuncState(const std::string& path, const std::string& id) {
  bool ok = false;
  std::string text = ReadSmallFile(path, &ok);
  if (!ok) return FailedPrecondition("container " + id + " is not running");
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Internal("unreadable runc state " + path);
  InitProcess init;
  const json::object& o = v.get_object();
  if (const json::value* pid = o.if_contains("init_process_pid"); pid != nullptr && pid->is_int64()) {
    init.pid = static_cast<int>(pid->get_int64());
  }
  if (const json::value* st = o.if_contains("init_process_start"); st != nullptr) {
    if (st->is_uint64()) init.start_time = st->get_uint64();
    if (st->is_int64()) init.start_time = static_cast<uint64_t>(st->get_int64());
  }
  if (init.pid <= 0) return FailedPrecondition("container " + id + " is not running");
  return init;
}

// Pins the container's init: a pidfd on the process runc started, never a
// later holder of its pid.
Result<int> OpenInit(const InitProcess& init, const std::string& id) {
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, init.pid, 0));
  if (pidfd < 0) {
    if (errno == ESRCH) return FailedPrecondition("container " + id + " is not running");
    return ErrnoStatus("pidfd_open", errno);
  }
  // With the pidfd open the pid cannot be reused: if the process still lives
  // after the start time is read, that start time is its own.
  const uint64_t start = ProcessStartTime(init.pid);
  if (start == 0 || (init.start_time != 0 && start != init.start_time) ||
      ::syscall(SYS_pidfd_send_signal, pidfd, 0, nullptr, 0) != 0) {
    ::close(pidfd);
    return FailedPrecondition("container " + id + " is not running");
  }
  return pidfd;
}

Status WriteTo(const std::string& path, const std::string& value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open " + path, errno);
  ssize_t n = ::write(fd, value.data(), value.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(value.size())) return ErrnoStatus("write " + path, err);
  return OkStatus();
}

// Moves the helper into the init's v1 cgroups and returns a descriptor of
// its v2 cgroup (-1: none) for the fork (see nsexec.h, step 2).
Result<int> JoinCgroups(int pid, const std::string& id) {
  bool ok = false;
  std::string cgroups = ReadSmallFile("/proc/" + std::to_string(pid) + "/cgroup", &ok);
  if (!ok) return FailedPrecondition("cannot read the cgroups of process " + std::to_string(pid));
  std::string mountinfo = ReadSmallFile("/proc/self/mountinfo", &ok);
  if (!ok) return Internal("cannot read /proc/self/mountinfo");
  const std::vector<CgroupDir> dirs = CgroupDirs(cgroups, mountinfo);
  // A process moved into a frozen cgroup freezes: refuse as Docker does
  // (the helper would hang until the container is unpaused).
  for (const CgroupDir& dir : dirs) {
    std::string state = ReadSmallFile(dir.path + (dir.v2 ? "/cgroup.freeze" : "/freezer.state"), &ok);
    if (ok && (dir.v2 ? state.rfind('1', 0) == 0 : state.rfind("FROZEN", 0) == 0 || state.rfind("FREEZING", 0) == 0)) {
      return FailedPrecondition("container " + id + " is paused, unpause the container before exec");
    }
  }
  int v2_fd = -1;
  for (const CgroupDir& dir : dirs) {
    if (dir.v2) {
      if (v2_fd >= 0) ::close(v2_fd);
      v2_fd = ::open(dir.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (v2_fd < 0) return ErrnoStatus("open " + dir.path, errno);
      continue;
    }
    Status s = WriteTo(dir.path + "/tasks", "0");
    if (!s.ok()) {
      if (v2_fd >= 0) ::close(v2_fd);
      return Status(s.code(), "join the cgroup " + dir.path + ": " + s.message());
    }
  }
  return v2_fd;
}

// fork(), the child born in the cgroup `cgroup_fd` (v2) when >= 0.
pid_t ForkInto(int cgroup_fd) {
  if (cgroup_fd < 0) return ::fork();
  struct clone_args args = {};
  args.flags = CLONE_INTO_CGROUP;
  args.exit_signal = SIGCHLD;
  args.cgroup = static_cast<uint64_t>(cgroup_fd);
  long pid = ::syscall(SYS_clone3, &args, sizeof(args));
  if (pid >= 0) return static_cast<pid_t>(pid);
  if (errno != ENOSYS && errno != E2BIG && errno != EINVAL) return -1;
  // A kernel without CLONE_INTO_CGROUP: the helper moves there first.
  if (!WriteTo("/proc/self/fd/" + std::to_string(cgroup_fd) + "/cgroup.procs", std::to_string(::getpid())).ok()) {
    return -1;
  }
  return ::fork();
}

// In the child, before the user changes (raising a hard limit needs
// CAP_SYS_RESOURCE). Not in the helper: a tiny RLIMIT_NOFILE would stop it.
Status SetRlimits(const ExecProcess& p) {
  for (const Rlimit& r : p.rlimits) {
    struct rlimit limit = {r.soft, r.hard};
    if (::setrlimit(RlimitResource(r.type), &limit) != 0) return ErrnoStatus("setrlimit " + r.type, errno);
  }
  return OkStatus();
}

// On the helper, before it joins the container's pid namespace (its
// /proc/self then names nothing): the child inherits it.
Status SetOomScoreAdj(const ExecProcess& p) {
  if (p.oom_score_adj) {
    int fd = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open oom_score_adj", errno);
    const std::string value = std::to_string(*p.oom_score_adj);
    ssize_t n = ::write(fd, value.data(), value.size());
    int err = errno;
    ::close(fd);
    if (n != static_cast<ssize_t>(value.size())) return ErrnoStatus("set oom_score_adj", err);
  }
  return OkStatus();
}

int LastCapability() {
  bool ok = false;
  std::string text = ReadSmallFile("/proc/sys/kernel/cap_last_cap", &ok);
  return ok ? std::atoi(text.c_str()) : CAP_LAST_CAP;
}

Status SetCapabilities(const ExecProcess& p) {
  __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  for (int i = 0; i < 2; ++i) {
    data[i].effective = static_cast<uint32_t>(p.effective >> (32 * i));
    data[i].permitted = static_cast<uint32_t>(p.permitted >> (32 * i));
    data[i].inheritable = static_cast<uint32_t>(p.inheritable >> (32 * i));
  }
  if (::syscall(SYS_capset, &header, data) != 0) return ErrnoStatus("capset", errno);
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) return ErrnoStatus("clear ambient", errno);
  for (int cap = 0; cap < 64; ++cap) {
    if ((p.ambient >> cap & 1) == 0) continue;
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) return ErrnoStatus("raise ambient", errno);
  }
  return OkStatus();
}

void ResetSignals() {
  // The kernel's sigaction, so that the real-time signals libc keeps for
  // itself (32, 33) are reset too.
  struct KernelSigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)();
    uint64_t mask;
  } dfl = {SIG_DFL, 0, nullptr, 0};
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    ::syscall(SYS_rt_sigaction, sig, &dfl, nullptr, sizeof(uint64_t));
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

// The home directory of `uid` in /etc/passwd (the container's, once in its
// mount namespace); "/" when it has no entry.
std::string HomeOf(uint32_t uid) {
  // A regular file only, read without blocking (the container chooses
  // what its /etc/passwd is), 1 MiB at the most.
  std::string passwd;
  bool ok = false;
  int fd = ::open("/etc/passwd", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  struct stat st;
  if (fd >= 0 && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    char buf[16 * 1024];
    ssize_t n;
    while (passwd.size() < (1 << 20) && (n = ::read(fd, buf, sizeof(buf))) > 0) passwd.append(buf, n);
    ok = true;
  }
  if (fd >= 0) ::close(fd);
  size_t start = 0;
  while (ok && start < passwd.size()) {
    size_t end = passwd.find('\n', start);
    if (end == std::string::npos) end = passwd.size();
    std::vector<std::string> fields;
    size_t field_start = start;
    for (size_t i = start; i <= end; ++i) {
      if (i == end || passwd[i] == ':') {
        fields.push_back(passwd.substr(field_start, i - field_start));
        field_start = i + 1;
      }
    }
    start = end + 1;
    if (fields.size() >= 6 && fields[2] == std::to_string(uid) && !fields[5].empty()) return fields[5];
  }
  return "/";
}

// The child's failure: `code` and the text for stderr, through the pipe
// the helper reads (it closes on a successful execve).
[[noreturn]] void ChildFail(int report_fd, int code, const std::string& text) {
  std::string msg = std::to_string(code) + " " + text;
  (void)!::write(report_fd, msg.data(), msg.size());
  ::_exit(code);
}

// In the child, inside every namespace: becomes the process (see nsexec.h).
[[noreturn]] void BecomeProcess(const ExecProcess& p, const std::optional<SeccompProgram>& filter, int last_cap,
                                int terminal_fd, int report_fd) {
  auto fail = [&](const Status& s) { ChildFail(report_fd, 126, DockerStartError(s.message())); };
  ResetSignals();
  if (::setsid() < 0) fail(ErrnoStatus("setsid", errno));
  if (terminal_fd >= 0) {
    // The terminal of the container's own devpts, as with runc.
    for (int fd = 0; fd < 3; ++fd) {
      if (::dup2(terminal_fd, fd) < 0) fail(ErrnoStatus("dup2 the terminal", errno));
    }
    ::close(terminal_fd);
    if (::ioctl(0, TIOCSCTTY, 0) != 0) fail(ErrnoStatus("set the controlling terminal", errno));
  }
  {
    Status s = SetRlimits(p);
    if (!s.ok()) fail(s);
  }
  if (p.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail(ErrnoStatus("no_new_privs", errno));
  // Without no_new_privs loading a filter needs CAP_SYS_ADMIN: now, while
  // it is held.
  if (filter && !p.no_new_privileges) {
    Status s = LoadSeccomp(*filter);
    if (!s.ok()) fail(s);
  }
  // As runc: HOME, when the process has none, is the user's home in the
  // container's /etc/passwd ("/" without an entry).
  std::vector<std::string> env = p.env;
  bool has_home = false;
  for (const std::string& kv : env) has_home |= kv.rfind("HOME=", 0) == 0;
  if (!has_home) env.push_back("HOME=" + HomeOf(p.uid));
  for (int cap = 0; cap <= last_cap; ++cap) {
    if ((p.bounding >> cap & 1) == 0 && ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      fail(ErrnoStatus("drop capability " + std::to_string(cap) + " from the bounding set", errno));
    }
  }
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) fail(ErrnoStatus("keepcaps", errno));
  std::vector<gid_t> groups(p.additional_gids.begin(), p.additional_gids.end());
  if (::setgroups(groups.size(), groups.data()) != 0) fail(ErrnoStatus("setgroups", errno));
  if (::setresgid(p.gid, p.gid, p.gid) != 0) fail(ErrnoStatus("setresgid", errno));
  if (::setresuid(p.uid, p.uid, p.uid) != 0) fail(ErrnoStatus("setresuid", errno));
  if (::chdir(p.cwd.c_str()) != 0) {
    ChildFail(report_fd, 126,
              DockerStartError("chdir to cwd (\"" + p.cwd + "\") set in config.json failed: " + ErrnoText(errno)));
  }
  {
    Status s = SetCapabilities(p);
    if (!s.ok()) fail(s);
  }
  if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) fail(ErrnoStatus("keepcaps", errno));
  Result<std::string> path = LookPath(p.args[0], env);
  if (!path.ok())
    ChildFail(report_fd, StartFailureCode(path.status().message()), DockerStartError(path.status().message()));
  // Nothing of the helper's but stdio crosses execve (the report pipe is
  // close-on-exec already).
  if (::syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) fail(ErrnoStatus("close_range", errno));
  if (filter && p.no_new_privileges) {
    Status s = LoadSeccomp(*filter);
    if (!s.ok()) fail(s);
  }
  std::vector<char*> argv, envp;
  for (const std::string& a : p.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  ::execve(path->c_str(), argv.data(), envp.data());
  const int err = errno;
  const std::string reason = "exec " + *path + ": " + ErrnoText(err);
  ChildFail(report_fd, err == ENOENT ? 127 : 126, DockerStartError(reason));
}

// Writes `pid` to `name` in the directory `dir_fd` atomically (tmp + rename).
Status WritePidFile(int dir_fd, const std::string& name, int pid) {
  const std::string tmp = "." + name + ".tmp";
  int fd = ::openat(dir_fd, tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return ErrnoStatus("create the pid file", errno);
  const std::string text = std::to_string(pid);
  ssize_t n = ::write(fd, text.data(), text.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size())) return ErrnoStatus("write the pid file", err);
  if (::renameat(dir_fd, tmp.c_str(), dir_fd, name.c_str()) != 0) return ErrnoStatus("rename the pid file", errno);
  return OkStatus();
}

// The container's filter: from the cache beside config.json when it was
// made from this config.json, else compiled (and the cache written, tmp +
// rename; a failure to write it only costs the next exec the compiling).
Result<std::optional<SeccompProgram>> ContainerFilter(const std::string& bundle) {
  const std::string config_path = bundle + "/config.json";
  const std::string cache_path = bundle + "/seccomp.bpf";
  struct stat st;
  if (::stat(config_path.c_str(), &st) != 0) return ErrnoStatus("stat " + config_path, errno);
  const std::string key = std::to_string(st.st_ino) + " " + std::to_string(st.st_size) + " " +
                          std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
  bool ok = false;
  std::string cached = ReadSmallFile(cache_path, &ok);
  if (ok) {
    if (auto decoded = DecodeSeccompCache(cached, key)) return std::move(*decoded);
  }
  std::string config_text = ReadSmallFile(config_path, &ok);
  if (!ok) return NotFound("cannot read " + config_path);
  BERTH_ASSIGN_OR_RETURN(std::optional<SeccompFilter> seccomp, BundleSeccomp(config_text));
  std::optional<SeccompProgram> program;
  if (seccomp) {
    BERTH_ASSIGN_OR_RETURN(SeccompProgram compiled, CompileSeccomp(*seccomp));
    program = std::move(compiled);
  }
  const std::string tmp = cache_path + ".tmp" + std::to_string(::getpid());
  const std::string data = EncodeSeccompCache(key, program);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd >= 0) {
    bool written = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
    ::close(fd);
    if (!written || ::rename(tmp.c_str(), cache_path.c_str()) != 0) ::unlink(tmp.c_str());
  }
  return program;
}

int Fail(const Status& s) {
  WriteStderr(s.message());
  return 126;
}

}  // namespace

int RunNativeExec(const NativeExecArgs& args) {
  // No container process may ptrace this one or open its /proc/PID/exe.
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return Fail(ErrnoStatus("PR_SET_DUMPABLE", errno));
  bool ok = false;
  std::string process_text = ReadSmallFile(args.process, &ok);
  if (!ok) return Fail(NotFound("cannot read " + args.process));
  Result<ExecProcess> process = ParseExecProcess(process_text);
  if (!process.ok()) return Fail(process.status());
  Result<std::optional<SeccompProgram>> container_filter = ContainerFilter(args.bundle);
  if (!container_filter.ok()) return Fail(container_filter.status());
  const std::optional<SeccompProgram>& filter = *container_filter;

  Result<InitProcess> init = ReadRuncState(args.runc_state, args.id);
  if (!init.ok()) return Fail(init.status());
  Result<int> pidfd = OpenInit(*init, args.id);
  if (!pidfd.ok()) return Fail(pidfd.status());
  Result<std::map<std::string, uint64_t>> own = NamespaceInodes(0);
  Result<std::map<std::string, uint64_t>> target = NamespaceInodes(init->pid);
  if (!own.ok()) return Fail(own.status());
  if (!target.ok()) return Fail(FailedPrecondition("container " + args.id + " is not running"));
  for (const char* unsupported : {"user", "time"}) {
    auto a = own->find(unsupported);
    auto b = target->find(unsupported);
    if (a != own->end() && b != target->end() && a->second != b->second) {
      return Fail(FailedPrecondition(std::string("berth-exec cannot enter a container with a ") + unsupported +
                                     " namespace of its own"));
    }
  }
  const int flags = NamespaceFlagsToJoin(*own, *target);
  const int last_cap = LastCapability();

  Result<int> cgroup_fd = JoinCgroups(init->pid, args.id);
  if (!cgroup_fd.ok()) return Fail(cgroup_fd.status());
  Status s = SetOomScoreAdj(*process);
  if (!s.ok()) return Fail(s);

  // The pid file's directory, reached through a descriptor once this
  // process sees the container's mounts.
  std::string pid_dir = ".", pid_name = args.pid_file;
  if (size_t slash = args.pid_file.rfind('/'); slash != std::string::npos) {
    pid_dir = slash == 0 ? "/" : args.pid_file.substr(0, slash);
    pid_name = args.pid_file.substr(slash + 1);
  }
  int dir_fd = ::open(pid_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return Fail(ErrnoStatus("open " + pid_dir, errno));
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return Fail(ErrnoStatus("pipe", errno));

  if (flags != 0 && ::setns(*pidfd, flags) != 0) {
    if (errno == ESRCH) return Fail(FailedPrecondition("container " + args.id + " is not running"));
    return Fail(ErrnoStatus("setns", errno));
  }
  ::close(*pidfd);

  ContainerPty pty;
  int winch_fd = -1;
  if (process->terminal) {
    Result<ContainerPty> opened = OpenContainerPty();
    if (!opened.ok()) return Fail(opened.status());
    pty = *opened;
    // berthd's terminal passes bytes through unchanged: the container's
    // terminal does the line discipline (echo, ^C, "\r\n").
    struct termios t;
    if (::tcgetattr(0, &t) == 0) {
      ::cfmakeraw(&t);
      ::tcsetattr(0, TCSANOW, &t);
    }
    sigset_t winch;
    sigemptyset(&winch);
    sigaddset(&winch, SIGWINCH);
    ::sigprocmask(SIG_BLOCK, &winch, nullptr);
    winch_fd = ::signalfd(-1, &winch, SFD_CLOEXEC);
  }

  pid_t child = ForkInto(*cgroup_fd);
  if (child < 0) return Fail(ErrnoStatus("fork into the container's cgroup", errno));
  if (child == 0) {
    ::close(report[0]);
    if (*cgroup_fd >= 0) ::close(*cgroup_fd);
    ::close(dir_fd);
    if (pty.master >= 0) ::close(pty.master);
    BecomeProcess(*process, filter, last_cap, pty.terminal, report[1]);
  }
  if (pty.terminal >= 0) ::close(pty.terminal);
  if (*cgroup_fd >= 0) ::close(*cgroup_fd);
  ::close(report[1]);
  std::string failure;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(report[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    failure.append(buf, static_cast<size_t>(n));
  }
  ::close(report[0]);
  if (failure.empty()) {
    s = WritePidFile(dir_fd, pid_name, child);
    if (!s.ok()) WriteStderr(s.message());
  } else {
    size_t space = failure.find(' ');
    WriteStderr(space == std::string::npos ? failure : failure.substr(space + 1));
  }
  ::close(dir_fd);
  if (pty.master >= 0) {
    int child_pidfd = static_cast<int>(::syscall(SYS_pidfd_open, child, 0));
    RelayTerminal(pty.master, child_pidfd, winch_fd);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) return Fail(ErrnoStatus("waitpid", errno));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 126;
}

}  // namespace runtime_internal
}  // namespace berth
