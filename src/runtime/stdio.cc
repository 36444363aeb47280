// Terminals and stdin: OpenPty and SetTerminalSize for exec, and the fifos
// through which berthd reaches a container's shim (see runtime.h and
// tools/shim/main.cc for the other side).

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "berth/runtime.h"

namespace berth {

namespace {

// Opens a fifo of the shim for writing; FailedPrecondition when it does not
// exist (not asked for at start) or nobody reads it (the shim has gone).
Result<int> OpenShimFifo(const std::string& path, const std::string& what) {
  int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENXIO) return FailedPrecondition("the container has no " + what);
    return ErrnoStatus("open " + path, errno);
  }
  // Writes block while the shim is behind.
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

Status WriteAllTo(int fd, std::string_view data, const std::string& what) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      if (err == EPIPE) return FailedPrecondition("the container's " + what + " has gone");
      return ErrnoStatus("write " + what, err);
    }
    off += static_cast<size_t>(n);
  }
  ::close(fd);
  return OkStatus();
}

// One control line (shorter than PIPE_BUF, so written whole).
Status SendControl(const std::string& state_dir, const std::string& line, const std::string& what) {
  BERTH_ASSIGN_OR_RETURN(int fd, OpenShimFifo(state_dir + "/" + kShimControlFifo, what));
  return WriteAllTo(fd, line, what);
}

}  // namespace

Result<Pty> OpenPty() {
  int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return ErrnoStatus("posix_openpt", errno);
  char name[128];
  if (::grantpt(master) != 0 || ::unlockpt(master) != 0 || ::ptsname_r(master, name, sizeof(name)) != 0) {
    int err = errno;
    ::close(master);
    return ErrnoStatus("open a pty", err);
  }
  struct termios t;
  if (::tcgetattr(master, &t) == 0) {
    ::cfmakeraw(&t);
    t.c_oflag |= OPOST | ONLCR;
    ::tcsetattr(master, TCSANOW, &t);
  }
  return Pty{master, name};
}

Status SetTerminalSize(int master_fd, int rows, int cols) {
  if (rows < 0 || cols < 0 || rows > 65535 || cols > 65535) {
    return InvalidArgument("invalid terminal size " + std::to_string(rows) + "x" + std::to_string(cols));
  }
  struct winsize ws = {};
  ws.ws_row = static_cast<unsigned short>(rows);
  ws.ws_col = static_cast<unsigned short>(cols);
  if (::ioctl(master_fd, TIOCSWINSZ, &ws) != 0) return ErrnoStatus("resize the terminal", errno);
  return OkStatus();
}

Status SetProcessTerminalSize(int pid, int rows, int cols) {
  if (pid <= 0) return InvalidArgument("no process");
  const std::string fd0 = "/proc/" + std::to_string(pid) + "/fd/0";
  // Only a pty's terminal side is opened: nothing else of the process's
  // choosing (a device with effects on open) is touched.
  struct stat st;
  if (::stat(fd0.c_str(), &st) != 0) return ErrnoStatus("stat " + fd0, errno);
  if (!S_ISCHR(st.st_mode) || major(st.st_rdev) < 136 || major(st.st_rdev) > 143) {
    return FailedPrecondition("the standard input of process " + std::to_string(pid) + " is not a terminal");
  }
  int fd = ::open(fd0.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open " + fd0, errno);
  Status s = SetTerminalSize(fd, rows, cols);
  ::close(fd);
  return s;
}

Status WriteContainerStdin(const std::string& state_dir, std::string_view data) {
  if (data.empty()) return OkStatus();
  BERTH_ASSIGN_OR_RETURN(int fd, OpenShimFifo(state_dir + "/" + kShimStdinFifo, "open stdin"));
  return WriteAllTo(fd, data, "stdin");
}

Status CloseContainerStdin(const std::string& state_dir) {
  return SendControl(state_dir, "close-stdin\n", "open stdin");
}

Status ResizeContainerTerminal(const std::string& state_dir, int rows, int cols) {
  if (rows < 0 || cols < 0 || rows > 65535 || cols > 65535) {
    return InvalidArgument("invalid terminal size " + std::to_string(rows) + "x" + std::to_string(cols));
  }
  return SendControl(state_dir, "resize " + std::to_string(rows) + " " + std::to_string(cols) + "\n", "TTY");
}

}  // namespace berth
