// berth-shim: keeps one container's runc process company (see
// include/berth/runtime.h for the contract).
//
//   berth-shim --id ID --bundle DIR --state DIR --runc PATH --runc-root DIR
//              [--log-max-size BYTES --log-max-file N] [--stdin 1] [--tty 1]
//
// --stdin 1 keeps the container's stdin open, fed from the fifo
// <state>/stdin; --tty 1 gives it runc's terminal (console socket); both use
// the control fifo <state>/control (see berth::StartOptions).
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
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "berth/env.h"
#include "berth/log.h"
#include "berth/time.h"
#include "runtime/log_format.h"

namespace {

using berth::runtime_internal::AppendLogLineAt;
using berth::runtime_internal::CompleteUtf8Prefix;
using berth::WallClockNanos;

struct Args {
  std::string id, bundle, state, runc = "runc", runc_root;
  int64_t log_max_size = 0;  // 0: no rotation
  int log_max_files = 1;
  bool open_stdin = false;  // --stdin 1: feed the container's stdin from <state>/stdin
  bool tty = false;         // --tty 1: a pty from runc's console socket
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
    } else if (flag == "--stdin") {
      a->open_stdin = value == "1";
    } else if (flag == "--tty") {
      a->tty = value == "1";
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
  // Not synced, as Docker's json-file driver does not sync: an fsync here
  // sat on every container's exit path.
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fd() const { return fd_; }
  int64_t size() const { return size_; }
  // Whether the log was rotated since it was opened.
  bool rotated() const { return rotated_; }

  // Adds one complete log line, rotating first when the log (with what is
  // pending) is full. Lines are written by Flush, a chunk's lines in one
  // write (one write per line cost a megabyte of short lines ~14,000 system
  // calls and as many wake-ups of a follower).
  void AddLine(const std::string& line) {
    if (max_size_ > 0 && size_ + static_cast<int64_t>(pending_.size()) >= max_size_) {
      Flush();
      Rotate();
    }
    pending_ += line;
  }

  void Flush() {
    if (pending_.empty()) return;
    if (fd_ >= 0 && WriteAll(fd_, pending_)) size_ += static_cast<int64_t>(pending_.size());
    pending_.clear();
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
  std::string pending_;  // lines added, not yet written
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
  const std::string now = berth::FormatRfc3339NanosFixed(WallClockNanos());
  size_t start = 0;
  while (start < data.size()) {
    size_t nl = data.find('\n', start);
    size_t end = nl == std::string_view::npos ? data.size() : nl + 1;
    line.clear();
    AppendLogLineAt(&line, stream, data.substr(start, end - start), now);
    log->AddLine(line);
    start = end;
  }
  log->Flush();
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
  if (!flush && static_cast<size_t>(n) == sizeof(buf) && keep > 0) {
    // The read filled the buffer, so more is waiting: an unfinished last
    // line waits for its end instead of becoming two entries. (A read that
    // drained the pipe logs it at once, so a prompt shows without delay.)
    size_t nl = data.rfind('\n', keep - 1);
    if (nl != std::string::npos) keep = nl + 1;
  }
  s->held = data.substr(keep);
  LogChunk(log, s->name, std::string_view(data).substr(0, keep));
  return true;
}

// Pipe sizes. A pipe of the default 64 KiB makes every stage of a stream
// (berthd, the shim, the container) wait for the next one each 64 KiB; the
// kernel allocates a pipe's pages only as data is queued. Input is what a
// client sends, so its fifo and pipe take up to 1 MiB at once; output pipes
// take 256 KiB, so that a chatty container runs ahead of its log a little.
constexpr int kStdinPipeBytes = 1 << 20;
constexpr int kOutputPipeBytes = 256 << 10;

// Sets the capacity of the pipe `fd` (F_SETPIPE_SZ); a refusal (a limit of
// /proc/sys/fs/pipe-max-size or of the user's pipe pages) keeps the size
// it has, which works, only slower.
void WidenPipe(int fd, int bytes) { (void)::fcntl(fd, F_SETPIPE_SZ, bytes); }

// The container's input: bytes from the stdin fifo on their way to the
// container (its stdin pipe, or the terminal), and the control fifo.
class Input {
 public:
  // Opens the fifos berthd made (see berth::StartOptions); both are opened
  // for reading and writing, so they never read as ended.
  void Open(const Args& a) {
    if (a.open_stdin) fifo_ = ::open((a.state + "/stdin").c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fifo_ >= 0) WidenPipe(fifo_, kStdinPipeBytes);
    if (a.open_stdin || a.tty) control_ = ::open((a.state + "/control").c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  }
  int fifo() const { return fifo_; }
  int control() const { return control_; }
  // Where input goes: the write end of the container's stdin pipe, or the
  // terminal's master side (not owned).
  void SetTarget(int fd, bool owned) {
    target_ = fd;
    owned_ = owned;
    if (fd >= 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  void SetTerminal(int master) { terminal_ = master; }
  // Whether to poll the fifo (not while much is pending) / the target.
  bool WantsFifo() const { return fifo_ >= 0 && pending_.size() < (1u << 20); }
  bool WantsTarget() const { return target_ >= 0 && !pending_.empty(); }

  void ReadFifo() {
    char buf[32 * 1024];
    ssize_t n;
    while ((n = ::read(fifo_, buf, sizeof(buf))) > 0) pending_.append(buf, static_cast<size_t>(n));
    Flush();
  }
  void Flush() {
    while (target_ >= 0 && !pending_.empty()) {
      ssize_t n = ::write(target_, pending_.data(), pending_.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN) {
          pending_.clear();  // the container closed its stdin: drop input
          CloseTarget();
        }
        return;
      }
      pending_.erase(0, static_cast<size_t>(n));
    }
    if (pending_.empty() && closing_) CloseTarget();
  }
  // Handles the control lines: "close-stdin" (after what the fifo holds)
  // and "resize ROWS COLS".
  void ReadControl() {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(control_, buf, sizeof(buf))) > 0) lines_.append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = lines_.find('\n')) != std::string::npos) {
      std::string line = lines_.substr(0, nl);
      lines_.erase(0, nl + 1);
      if (line == "close-stdin") {
        if (fifo_ >= 0) {
          char buf2[32 * 1024];
          while ((n = ::read(fifo_, buf2, sizeof(buf2))) > 0) pending_.append(buf2, static_cast<size_t>(n));
          ::close(fifo_);
          fifo_ = -1;
        }
        closing_ = true;
        Flush();
      } else if (line.rfind("resize ", 0) == 0 && terminal_ >= 0) {
        struct winsize ws = {};
        unsigned rows = 0, cols = 0;
        if (std::sscanf(line.c_str(), "resize %u %u", &rows, &cols) == 2) {
          ws.ws_row = static_cast<unsigned short>(rows);
          ws.ws_col = static_cast<unsigned short>(cols);
          ::ioctl(terminal_, TIOCSWINSZ, &ws);
        }
      }
    }
  }

 private:
  void CloseTarget() {
    // A terminal has no end of input of its own: only a pipe is closed.
    if (target_ >= 0 && owned_) ::close(target_);
    target_ = -1;
  }

  int fifo_ = -1;
  int control_ = -1;
  int target_ = -1;
  bool owned_ = false;
  int terminal_ = -1;
  bool closing_ = false;
  std::string pending_;
  std::string lines_;
};

// Listens on <state>/console.sock (relative: the shim works in the state
// directory) for the terminal runc hands over; -1 on failure.
int ListenConsoleSocket() {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, "console.sock");
  ::unlink(addr.sun_path);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, 1) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// `to` relative to the directory `from` (both absolute, without "." or
// ".." components): runc dials the console socket from the bundle
// directory, and a relative path stays shorter than a socket path may be.
std::string RelativePath(const std::string& from, const std::string& to) {
  auto split = [](const std::string& p) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start < p.size()) {
      size_t slash = p.find('/', start);
      if (slash == std::string::npos) slash = p.size();
      if (slash > start) parts.push_back(p.substr(start, slash - start));
      start = slash + 1;
    }
    return parts;
  };
  std::vector<std::string> f = split(from), t = split(to);
  size_t common = 0;
  while (common < f.size() && common < t.size() && f[common] == t[common]) ++common;
  std::string out;
  for (size_t i = common; i < f.size(); ++i) out += "../";
  for (size_t i = common; i < t.size(); ++i) out += t[i] + (i + 1 < t.size() ? "/" : "");
  return out.empty() ? "." : out;
}

// Accepts runc's connection and receives the terminal's master side.
int ReceiveTerminal(int listener) {
  int conn = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (conn < 0) return -1;
  char name[256];
  struct iovec iov = {name, sizeof(name)};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  int master = -1;
  if (::recvmsg(conn, &msg, MSG_CMSG_CLOEXEC) > 0) {
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) std::memcpy(&master, CMSG_DATA(c), sizeof(int));
    }
  }
  ::close(conn);
  return master;
}

int ReadPid(const std::string& path) {
  auto content = berth::Env::Default()->ReadFileToString(path);
  return content.ok() ? std::atoi(content->c_str()) : 0;
}

int ExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

// Runs runc and copies its output until the container exits; returns its
// exit code (128+N when killed by signal N) and sets `*finished` to when it
// exited. `runc run -d` starts the container and leaves (with a TTY, after
// handing the terminal over its console socket; without, the container
// inherits runc's pipes), and the container's init (orphaned onto us, the
// subreaper) is waited for. So runc leaves the container's cgroup in place
// after the exit until berthd's `runc delete` (berthd reads what the
// kernel's OOM killer did there first).
int Supervise(const Args& a, LogWriter* log, int64_t* finished) {
  *finished = WallClockNanos();
  int out[2], err[2], in[2] = {-1, -1};
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0 ||
      (a.open_stdin && !a.tty && ::pipe2(in, O_CLOEXEC) != 0)) {
    LogChunk(log, "stderr", std::string("berth-shim: pipe: ") + std::strerror(errno) + "\n");
    return 255;
  }
  WidenPipe(out[0], kOutputPipeBytes);
  WidenPipe(err[0], kOutputPipeBytes);
  if (in[0] >= 0) WidenPipe(in[0], kStdinPipeBytes);
  Input input;
  input.Open(a);
  int console_listener = -1;
  if (a.tty) {
    console_listener = ListenConsoleSocket();
    if (console_listener < 0) {
      LogChunk(log, "stderr", std::string("berth-shim: console socket: ") + std::strerror(errno) + "\n");
      return 255;
    }
  }
  std::vector<std::string> args = {a.runc};
  if (!a.runc_root.empty()) {
    args.push_back("--root");
    args.push_back(a.runc_root);
  }
  args.insert(args.end(), {"--log", a.state + "/runc.log", "--log-format", "json", "run"});
  args.push_back("-d");
  if (a.tty) args.insert(args.end(), {"--console-socket", RelativePath(a.bundle, a.state + "/console.sock")});
  args.insert(args.end(), {"--bundle", a.bundle, "--pid-file", a.state + "/init.pid", a.id});
  std::vector<char*> argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);

  pid_t runc = ::fork();
  if (runc < 0) {
    LogChunk(log, "stderr", std::string("berth-shim: fork: ") + std::strerror(errno) + "\n");
    return 255;
  }
  if (runc == 0) {
    if (in[0] >= 0) ::dup2(in[0], 0);
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
  if (in[0] >= 0) {
    ::close(in[0]);
    input.SetTarget(in[1], true);
  }

  Stream streams[3] = {{"stdout", out[0], {}}, {"stderr", err[0], {}}, {"stdout", -1, {}}};  // [2]: the terminal
  pid_t waited = runc;  // runc, then the container's init
  // What ended while runc was still waited for: the init may end (a zombie
  // handed to us as runc leaves) before runc's own exit is reaped.
  std::map<pid_t, int> ended_before_runc;
  bool done = false;
  int exit_status = 0;
  int64_t drain_deadline = 0;
  auto reap = [&](int options) {
    while (true) {
      int status = 0;
      pid_t pid = ::waitpid(-1, &status, options);
      if (pid < 0 && errno == EINTR) continue;
      if (pid <= 0) return pid;
      if (pid != waited) {
        if (waited == runc) ended_before_runc[pid] = status;
        continue;
      }
      if (pid == runc && ExitCode(status) == 0) {
        // runc has started the container and left: its init was
        // reparented to us before runc's exit showed.
        waited = ReadPid(a.state + "/init.pid");
        if (auto it = ended_before_runc.find(waited); waited > 0 && it != ended_before_runc.end()) {
          pid = waited;
          status = it->second;
        } else if (waited > 0) {
          continue;
        }
      }
      done = true;
      exit_status = status;
      *finished = WallClockNanos();
      drain_deadline = MonotonicNanos() + kDrainAfterExitNanos;
      return pid;
    }
  };
  while (true) {
    struct pollfd fds[8];
    enum Kind { kStream, kListener, kFifo, kControl, kTarget } kinds[8];
    Stream* polled[8] = {};
    int nfds = 0;
    int open_streams = 0;
    for (auto& s : streams) {
      if (s.fd < 0) continue;
      fds[nfds] = {s.fd, POLLIN, 0};
      kinds[nfds] = kStream;
      polled[nfds++] = &s;
      ++open_streams;
    }
    if (console_listener >= 0) {
      fds[nfds] = {console_listener, POLLIN, 0};
      kinds[nfds++] = kListener;
    }
    if (input.WantsFifo()) {
      fds[nfds] = {input.fifo(), POLLIN, 0};
      kinds[nfds++] = kFifo;
    }
    if (input.control() >= 0) {
      fds[nfds] = {input.control(), POLLIN, 0};
      kinds[nfds++] = kControl;
    }
    if (input.WantsTarget()) {
      fds[nfds] = {streams[2].fd >= 0 ? streams[2].fd : in[1], POLLOUT, 0};
      kinds[nfds++] = kTarget;
    }
    if (open_streams == 0 && console_listener < 0) {
      // Output closed: wait for the container (reaping orphans on the way).
      while (!done && reap(0) > 0) {
      }
      break;
    }
    int r = ::poll(fds, static_cast<nfds_t>(nfds), 50);
    for (int i = 0; r > 0 && i < nfds; ++i) {
      if (fds[i].revents == 0) continue;
      switch (kinds[i]) {
        case kStream:
          if (!Pump(log, polled[i], false)) {
            ::close(polled[i]->fd);
            polled[i]->fd = -1;
          }
          break;
        case kListener: {
          int master = ReceiveTerminal(console_listener);
          ::close(console_listener);
          console_listener = -1;
          ::unlink((a.state + "/console.sock").c_str());
          if (master >= 0) {
            streams[2].fd = master;
            input.SetTerminal(master);
            input.SetTarget(master, false);
          }
          break;
        }
        case kFifo:
          input.ReadFifo();
          break;
        case kControl:
          input.ReadControl();
          break;
        case kTarget:
          input.Flush();
          break;
      }
    }
    // Reap what ended (we are a subreaper).
    reap(WNOHANG);
    if (done && console_listener >= 0) {
      ::close(console_listener);  // runc failed before handing a terminal over
      console_listener = -1;
    }
    if (done && MonotonicNanos() > drain_deadline) break;
  }
  for (auto& s : streams) {
    if (s.fd < 0) continue;
    // Non-blocking final read of whatever is buffered.
    ::fcntl(s.fd, F_SETFL, O_NONBLOCK);
    while (Pump(log, &s, false)) {
    }
    ::close(s.fd);
  }
  return ExitCode(exit_status);
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
  // Every path is absolute but the console socket's (kept short).
  if (::chdir(a.state.c_str()) != 0) {
    std::fprintf(stderr, "berth-shim: chdir %s: %s\n", a.state.c_str(), std::strerror(errno));
    return 1;
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
  // The runtime files are written whole (rename) but not synced: nothing
  // needs them after a crash of the machine, which ends the container too.
  berth::LogIfError(berth::WriteFileReplacing(env, a.state + "/shim.pid", std::to_string(::getpid()) + "\n"),
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
  berth::LogIfError(berth::WriteFileReplacing(env, a.state + "/exit", exit_line), "write " + a.state + "/exit");
  return 0;
}
