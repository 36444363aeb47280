// berth-shim: keeps one container's runc process company (see
// include/berth/runtime.h for the contract).
//
//   berth-shim --id ID --bundle DIR --state DIR --runc PATH --runc-root DIR
//              [--log-max-size BYTES --log-max-file N]
//
// With --log-max-size, container.log is rotated as Docker's json-file driver
// does (see berth::LogRotation): before a line is written to a log that has
// reached the size, container.log.<N-2> ... .1 move up one, container.log
// becomes .1 (with N = 1 it is removed) and a new container.log starts.
//
// When runc fails before the container's process started (no init.pid),
// the output of that run is moved from container.log to <state>/start.log,
// so that it explains the failure without showing up as container output.
//
// The first process checks its arguments, opens the log, forks and exits 0
// (so the daemon knows the shim is on its way); the child detaches (own
// session, stdio on /dev/null, no inherited descriptors), becomes a child
// subreaper, runs `runc run`, copies its output into <state>/container.log
// and finally writes <state>/exit.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "berth/env.h"
#include "berth/log.h"
#include "berth/time.h"
#include "runtime/log_format.h"

namespace {

using berth::runtime_internal::AppendLogLine;
using berth::runtime_internal::CompleteUtf8Prefix;
using berth::WallClockNanos;

struct Args {
  std::string id, bundle, state, runc = "runc", runc_root;
  int64_t log_max_size = 0;  // 0: no rotation
  int log_max_files = 1;
};

// After runc has exited, how long to keep reading output still held open by
// processes that outlived it (runc killed, container orphaned).
constexpr int64_t kDrainAfterExitNanos = 2000000000;

int64_t MonotonicNanos() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

bool WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}

std::string Absolute(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char buf[4096];
  if (::getcwd(buf, sizeof(buf)) == nullptr) return path;
  return std::string(buf) + "/" + path;
}

bool ParseArgs(int argc, char** argv, Args* a) {
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) return false;
    std::string value = argv[++i];
    if (flag == "--id") {
      a->id = value;
    } else if (flag == "--bundle") {
      a->bundle = Absolute(value);
    } else if (flag == "--state") {
      a->state = Absolute(value);
    } else if (flag == "--runc") {
      a->runc = value;
    } else if (flag == "--runc-root") {
      a->runc_root = Absolute(value);
    } else if (flag == "--log-max-size") {
      a->log_max_size = std::strtoll(value.c_str(), nullptr, 10);
      if (a->log_max_size < 0) return false;
    } else if (flag == "--log-max-file") {
      a->log_max_files = std::atoi(value.c_str());
      if (a->log_max_files < 1) return false;
    } else {
      return false;
    }
  }
  return !a->id.empty() && !a->bundle.empty() && !a->state.empty() && !a->runc.empty();
}

// container.log, open for appending, rotated by size (see the top).
class LogWriter {
 public:
  LogWriter(std::string path, int64_t max_size, int max_files)
      : path_(std::move(path)), max_size_(max_size), max_files_(max_files) {}
  ~LogWriter() { Close(); }

  // Opens (creating) the log; false with errno set on failure.
  bool Open() {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (fd_ < 0) return false;
    struct stat st;
    size_ = ::fstat(fd_, &st) == 0 ? st.st_size : 0;
    return true;
  }
  void Close() {
    if (fd_ >= 0) {
      ::fsync(fd_);
      ::close(fd_);
    }
    fd_ = -1;
  }
  int fd() const { return fd_; }
  int64_t size() const { return size_; }
  // Whether the log was rotated since it was opened.
  bool rotated() const { return rotated_; }

  // Appends one complete log line, rotating first when the log is full.
  void WriteLine(const std::string& line) {
    if (max_size_ > 0 && size_ >= max_size_) Rotate();
    if (fd_ < 0) return;
    if (WriteAll(fd_, line)) size_ += static_cast<int64_t>(line.size());
  }

 private:
  void Rotate() {
    for (int n = max_files_ - 1; n >= 2; --n) {
      std::string from = path_ + "." + std::to_string(n - 1);
      std::string to = path_ + "." + std::to_string(n);
      ::rename(from.c_str(), to.c_str());  // a missing one is fine
    }
    if (max_files_ > 1) {
      ::rename(path_.c_str(), (path_ + ".1").c_str());
    } else {
      ::unlink(path_.c_str());
    }
    Close();
    rotated_ = true;
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
    size_ = 0;
  }

  std::string path_;
  int64_t max_size_;
  int max_files_;
  int fd_ = -1;
  int64_t size_ = 0;
  bool rotated_ = false;
};

// One output stream of the container: its pipe and the bytes of a UTF-8
// character cut by a read, held for the next one.
struct Stream {
  const char* name;
  int fd;
  std::string held;
};

// Appends the entries for `data` to the log: one per line, a trailing
// partial line as an entry of its own.
void LogChunk(LogWriter* log, const char* stream, std::string_view data) {
  std::string line;
  int64_t now = WallClockNanos();
  size_t start = 0;
  while (start < data.size()) {
    size_t nl = data.find('\n', start);
    size_t end = nl == std::string_view::npos ? data.size() : nl + 1;
    line.clear();
    AppendLogLine(&line, stream, data.substr(start, end - start), now);
    log->WriteLine(line);
    start = end;
  }
}

// Reads what is available on `s`; false at end of file (or error).
bool Pump(LogWriter* log, Stream* s, bool flush) {
  char buf[32 * 1024];
  ssize_t n;
  do {
    n = ::read(s->fd, buf, sizeof(buf));
  } while (n < 0 && errno == EINTR);
  if (n <= 0) {
    if (!s->held.empty()) LogChunk(log, s->name, s->held);
    s->held.clear();
    return false;
  }
  std::string data = std::move(s->held);
  data.append(buf, static_cast<size_t>(n));
  size_t keep = flush ? data.size() : CompleteUtf8Prefix(data);
  s->held = data.substr(keep);
  LogChunk(log, s->name, std::string_view(data).substr(0, keep));
  return true;
}

// Runs runc and copies its output until it exits; returns its exit code
// (128+N when killed by signal N) and sets `*finished` to when it exited.
int Supervise(const Args& a, LogWriter* log, int64_t* finished) {
  *finished = WallClockNanos();
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    LogChunk(log, "stderr", std::string("berth-shim: pipe: ") + std::strerror(errno) + "\n");
    return 255;
  }
  std::vector<std::string> args = {a.runc};
  if (!a.runc_root.empty()) {
    args.push_back("--root");
    args.push_back(a.runc_root);
  }
  args.insert(args.end(), {"--log", a.state + "/runc.log", "--log-format", "json", "run", "--bundle",
                           a.bundle, "--pid-file", a.state + "/init.pid", a.id});
  std::vector<char*> argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);

  pid_t runc = ::fork();
  if (runc < 0) {
    LogChunk(log, "stderr", std::string("berth-shim: fork: ") + std::strerror(errno) + "\n");
    return 255;
  }
  if (runc == 0) {
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::signal(SIGPIPE, SIG_DFL);
    ::signal(SIGHUP, SIG_DFL);
    ::execvp(argv[0], argv.data());
    std::string msg = "berth-shim: exec " + a.runc + ": " + std::strerror(errno) + "\n";
    WriteAll(2, msg);
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);

  Stream streams[2] = {{"stdout", out[0], {}}, {"stderr", err[0], {}}};
  bool runc_done = false;
  int runc_status = 0;
  int64_t drain_deadline = 0;
  while (true) {
    struct pollfd fds[2];
    int nfds = 0;
    Stream* polled[2];
    for (auto& s : streams) {
      if (s.fd < 0) continue;
      fds[nfds] = {s.fd, POLLIN, 0};
      polled[nfds++] = &s;
    }
    if (nfds == 0) {
      // Output closed: wait for runc (reaping orphans on the way).
      while (!runc_done) {
        int status = 0;
        pid_t pid = ::waitpid(-1, &status, 0);
        if (pid < 0 && errno != EINTR) break;
        if (pid == runc) {
          runc_done = true;
          runc_status = status;
          *finished = WallClockNanos();
        }
      }
      break;
    }
    int r = ::poll(fds, static_cast<nfds_t>(nfds), 50);
    for (int i = 0; r > 0 && i < nfds; ++i) {
      if (fds[i].revents == 0) continue;
      if (!Pump(log, polled[i], false)) {
        ::close(polled[i]->fd);
        polled[i]->fd = -1;
      }
    }
    // Reap runc and anything orphaned onto us (we are a subreaper).
    while (true) {
      int status = 0;
      pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;
      if (pid == runc) {
        runc_done = true;
        runc_status = status;
        *finished = WallClockNanos();
        drain_deadline = MonotonicNanos() + kDrainAfterExitNanos;
      }
    }
    if (runc_done && MonotonicNanos() > drain_deadline) break;
  }
  for (auto& s : streams) {
    if (s.fd < 0) continue;
    // Non-blocking final read of whatever is buffered.
    ::fcntl(s.fd, F_SETFL, O_NONBLOCK);
    while (Pump(log, &s, false)) {
    }
    ::close(s.fd);
  }
  if (WIFEXITED(runc_status)) return WEXITSTATUS(runc_status);
  if (WIFSIGNALED(runc_status)) return 128 + WTERMSIG(runc_status);
  return 255;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!ParseArgs(argc, argv, &a)) {
    std::fprintf(stderr,
                 "usage: berth-shim --id ID --bundle DIR --state DIR --runc PATH --runc-root DIR"
                 " [--log-max-size BYTES --log-max-file N]\n");
    return 2;
  }
  // Drop every descriptor inherited from the daemon.
  if (::close_range(3, ~0U, 0) != 0) {
    for (int fd = 3; fd < 65536; ++fd) ::close(fd);
  }
  const std::string log_path = a.state + "/container.log";
  LogWriter log(log_path, a.log_max_size, a.log_max_files);
  if (!log.Open()) {
    std::fprintf(stderr, "berth-shim: open %s: %s\n", log_path.c_str(), std::strerror(errno));
    return 1;
  }
  pid_t child = ::fork();
  if (child < 0) {
    std::fprintf(stderr, "berth-shim: fork: %s\n", std::strerror(errno));
    return 1;
  }
  if (child > 0) return 0;  // the daemon reaps us; the child carries on

  ::setsid();
  if (::chdir("/") != 0) {
    // Harmless: every path is absolute.
  }
  int devnull = ::open("/dev/null", O_RDWR);
  if (devnull >= 0) {
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    if (devnull > 2) ::close(devnull);
  }
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

  berth::Env* env = berth::Env::Default();
  berth::LogIfError(berth::WriteFileAtomic(env, a.state + "/shim.pid", std::to_string(::getpid()) + "\n"),
                    "write " + a.state + "/shim.pid");

  const off_t run_start = log.size();
  int64_t finished = 0;
  int code = Supervise(a, &log, &finished);
  if (code != 0 && !log.rotated() && log.fd() >= 0 && !env->FileExists(a.state + "/init.pid")) {
    // The container never ran: what this run printed is runc's complaint,
    // not container output. Move it to start.log (Start reports it).
    auto content = env->ReadFileToString(log_path);
    if (content.ok() && static_cast<off_t>(content->size()) >= run_start) {
      if (berth::WriteFileAtomic(env, a.state + "/start.log", content->substr(run_start)).ok()) {
        if (::ftruncate(log.fd(), run_start) != 0) {
          // Keep the output in the log then; nothing else to do.
        }
      }
    }
  }
  log.Close();
  std::string exit_line = std::to_string(code) + " " + std::to_string(finished) + "\n";
  berth::LogIfError(berth::WriteFileAtomic(env, a.state + "/exit", exit_line), "write " + a.state + "/exit");
  return 0;
}
