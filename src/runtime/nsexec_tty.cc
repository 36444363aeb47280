// berth-exec's terminal (see nsexec.h): a pty of the container's devpts
// for the process, relayed to the helper's own terminal (berthd's pty).

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "runtime/nsexec.h"

namespace berth {
namespace runtime_internal {

namespace {

bool WriteAllFd(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

Result<ContainerPty> OpenContainerPty() {
  ContainerPty pty;
  pty.master = ::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (pty.master < 0) return ErrnoStatus("open the container's /dev/ptmx", errno);
  // Whatever the container made of its /dev/ptmx, only the pty multiplexer
  // (5:2) is used.
  struct stat st;
  if (::fstat(pty.master, &st) != 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != 5 || minor(st.st_rdev) != 2) {
    ::close(pty.master);
    return FailedPrecondition("the container's /dev/ptmx is not the pty multiplexer");
  }
  ::fcntl(pty.master, F_SETFL, ::fcntl(pty.master, F_GETFL) & ~O_NONBLOCK);
  int unlock = 0;
  if (::ioctl(pty.master, TIOCSPTLCK, &unlock) != 0) return ErrnoStatus("unlock the pty", errno);
  pty.terminal = ::ioctl(pty.master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (pty.terminal < 0) return ErrnoStatus("open the pty's terminal side", errno);
  struct winsize ws;
  if (::ioctl(0, TIOCGWINSZ, &ws) == 0) ::ioctl(pty.master, TIOCSWINSZ, &ws);
  return pty;
}

void RelayTerminal(int master, int child_pidfd, int winch_fd) {
  // The master side does not block: input the process does not read yet
  // waits in `pending` (no more is read meanwhile) while its output still
  // flows, and ^C still reaches it behind a flood of output.
  ::fcntl(master, F_SETFL, ::fcntl(master, F_GETFL) | O_NONBLOCK);
  char buf[16 * 1024];
  std::string pending;
  bool input_open = true;
  bool exited = false;
  while (true) {
    struct pollfd fds[4] = {{master, static_cast<short>(POLLIN | (pending.empty() ? 0 : POLLOUT)), 0},
                            {input_open && pending.empty() && !exited ? 0 : -1, POLLIN, 0},
                            {child_pidfd, POLLIN, 0},
                            {winch_fd, POLLIN, 0}};
    int ready = ::poll(fds, 4, exited ? 0 : -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return;  // exited and nothing more to read
    if (fds[0].revents & POLLIN) {
      ssize_t n = ::read(master, buf, sizeof(buf));
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return;  // EIO: the terminal side is closed
      if (n > 0 && !WriteAllFd(1, buf, static_cast<size_t>(n))) return;
    } else if (fds[0].revents & (POLLHUP | POLLERR)) {
      return;
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::read(0, buf, sizeof(buf));
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        input_open = false;
      } else if (n > 0) {
        pending.append(buf, static_cast<size_t>(n));
      }
    }
    if (!pending.empty() && !exited) {
      ssize_t n = ::write(master, pending.data(), pending.size());
      if (n > 0) {
        pending.erase(0, static_cast<size_t>(n));
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        pending.clear();
        input_open = false;
      }
    }
    if (fds[3].revents & POLLIN) {
      signalfd_siginfo info;
      (void)!::read(winch_fd, &info, sizeof(info));
      struct winsize ws;
      if (::ioctl(0, TIOCGWINSZ, &ws) == 0) ::ioctl(master, TIOCSWINSZ, &ws);
    }
    if (fds[2].revents & POLLIN) {
      exited = true;
      pending.clear();
    }
  }
}

}  // namespace runtime_internal
}  // namespace berth
