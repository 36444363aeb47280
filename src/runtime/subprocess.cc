// RunCommand: posix_spawn with captured output (see subprocess.h).

#include "runtime/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

extern char** environ;

namespace berth {
namespace runtime_internal {

namespace {

// Closes both ends of each pipe still open when it goes out of scope.
struct Pipes {
  int out[2] = {-1, -1};
  int err[2] = {-1, -1};
  ~Pipes() {
    for (int fd : {out[0], out[1], err[0], err[1]}) {
      if (fd >= 0) ::close(fd);
    }
  }
};

// A close-on-exec anonymous file holding `data`, positioned at its start.
Result<int> MemoryFileWith(const std::string& data) {
  int fd = ::memfd_create("berth-stdin", MFD_CLOEXEC);
  if (fd < 0) return ErrnoStatus("memfd_create", errno);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t w = ::write(fd, data.data() + done, data.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      int e = errno;
      ::close(fd);
      return ErrnoStatus("write stdin file", e);
    }
    done += static_cast<size_t>(w);
  }
  ::lseek(fd, 0, SEEK_SET);
  return fd;
}

}  // namespace

Result<CommandResult> RunCommand(const std::vector<std::string>& argv) {
  return RunCommandWithInput(argv, CommandInput{});
}

Result<CommandResult> RunCommandWithInput(const std::vector<std::string>& argv, const CommandInput& input) {
  ChildStdio stdio;
  stdio.env = input.env;
  if (!input.stdin_data.empty()) {
    BERTH_ASSIGN_OR_RETURN(stdio.stdin_fd, MemoryFileWith(input.stdin_data));
  }
  CommandResult result;
  Result<int> code = RunCommandWithStdio(argv, stdio, [&result](int stream, std::string_view data) {
    (stream == 2 ? result.err : result.out).append(data);
  });
  if (stdio.stdin_fd >= 0) ::close(stdio.stdin_fd);
  BERTH_ASSIGN_OR_RETURN(result.exit_code, std::move(code));
  return result;
}

Result<int> RunCommandStreaming(const std::vector<std::string>& argv,
                                const std::function<void(int stream, std::string_view data)>& on_output,
                                const std::function<bool()>& on_idle, int idle_ms) {
  return RunCommandWithStdio(argv, ChildStdio{}, on_output, on_idle, idle_ms);
}

Result<int> RunCommandWithStdio(const std::vector<std::string>& argv, const ChildStdio& stdio,
                                const std::function<void(int stream, std::string_view data)>& on_output,
                                const std::function<bool()>& on_idle, int idle_ms) {
  if (argv.empty()) return InvalidArgument("empty command");
  const bool tty = !stdio.tty_path.empty();
  if (tty && stdio.tty_master < 0) return InvalidArgument("a terminal without its master side");
  Pipes p;
  // Held open until the child has its own copy: a pty nobody holds reads as
  // ended.
  int tty_hold = tty ? ::open(stdio.tty_path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
  if (tty && tty_hold < 0) return ErrnoStatus("open " + stdio.tty_path, errno);
  p.out[1] = tty_hold;  // closed with the pipes
  if (!tty && (::pipe2(p.out, O_CLOEXEC) != 0 || ::pipe2(p.err, O_CLOEXEC) != 0)) {
    return ErrnoStatus("pipe", errno);
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
  if (tty) {
    // In the new session (set up before the file actions run), the first
    // terminal opened without O_NOCTTY becomes the controlling one.
    flags |= POSIX_SPAWN_SETSID;
    posix_spawn_file_actions_addopen(&actions, 0, stdio.tty_path.c_str(), O_RDWR, 0);
    posix_spawn_file_actions_adddup2(&actions, 0, 1);
    posix_spawn_file_actions_adddup2(&actions, 0, 2);
  } else {
    if (stdio.stdin_fd >= 0) {
      posix_spawn_file_actions_adddup2(&actions, stdio.stdin_fd, 0);
    } else {
      posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    }
    // dup2 onto 1 and 2 clears close-on-exec on the copies only.
    posix_spawn_file_actions_adddup2(&actions, p.out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, p.err[1], 2);
  }
  // Nothing else of berthd's reaches the child, whether or not whoever
  // opened it asked for close-on-exec (sockets, the database, lock files).
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Default signal dispositions and an empty mask in the child, whatever
  // the calling thread had.
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, flags);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> env_ptrs;
  char** child_env = environ;
  if (!stdio.env.empty()) {
    for (const auto& kv : stdio.env) env_ptrs.push_back(const_cast<char*>(kv.c_str()));
    env_ptrs.push_back(nullptr);
    child_env = env_ptrs.data();
  }
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, args[0], &actions, &attr, args.data(), child_env);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return ErrnoStatus("run " + argv[0], rc);
  // posix_spawn returns once the child has run its file actions.
  ::close(p.out[1]);
  if (p.err[1] >= 0) ::close(p.err[1]);
  p.out[1] = p.err[1] = -1;

  // A terminal's output is stream 1; its end shows as EIO once every holder
  // of the terminal side has closed it.
  struct pollfd fds[2] = {{tty ? stdio.tty_master : p.out[0], POLLIN, 0}, {tty ? -1 : p.err[0], POLLIN, 0}};
  int open_count = tty ? 1 : 2;
  char buf[8192];
  while (open_count > 0) {
    int n = ::poll(fds, 2, on_idle ? idle_ms : -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (on_idle && !on_idle()) {
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
      return Aborted("run " + argv[0] + ": abandoned");
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t r = ::read(fds[i].fd, buf, sizeof(buf));
      if (r > 0) {
        on_output(i + 1, std::string_view(buf, static_cast<size_t>(r)));
      } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        fds[i].fd = -1;  // closed by ~Pipes (or the caller: the terminal)
        --open_count;
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return ErrnoStatus("wait for " + argv[0], errno);
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 0;
}

}  // namespace runtime_internal
}  // namespace berth
