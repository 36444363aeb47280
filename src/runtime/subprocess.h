// Running a helper program (runc, berth-shim) to completion without a shell.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/status.h"

namespace berth {
namespace runtime_internal {

struct CommandResult {
  int exit_code = 0;  // 128+N when killed by signal N
  std::string out;    // stdout
  std::string err;    // stderr
};

// Spawns argv[0] (looked up in PATH when it has no '/') with stdin on
// /dev/null and stdout/stderr captured, and waits for it. Errors only when
// the program cannot be run at all (NotFound for a missing binary). The
// child gets descriptors 0-2 only: every other descriptor of the process is
// closed in it, close-on-exec or not. Safe to call from many threads: every
// descriptor it opens is close-on-exec.
Result<CommandResult> RunCommand(const std::vector<std::string>& argv);

// What RunCommandWithInput gives the child beyond RunCommand's: `stdin_data`
// as its standard input (instead of /dev/null) and `env` ("K=V") as its
// whole environment (empty: berthd's own).
struct CommandInput {
  std::string stdin_data;
  std::vector<std::string> env;
};
Result<CommandResult> RunCommandWithInput(const std::vector<std::string>& argv, const CommandInput& input);

// As RunCommand, but hands what the child prints to `on_output` as it comes
// (stream 1: stdout, 2: stderr) instead of keeping it, and calls `on_idle`
// (when set) at least every `idle_ms` milliseconds while the child runs.
// Returns the exit code (128+N when killed by signal N). When `on_idle`
// returns false, the child is killed (SIGKILL) and reaped without reading
// further (what it started may hold the pipes open): Aborted.
Result<int> RunCommandStreaming(const std::vector<std::string>& argv,
                                const std::function<void(int stream, std::string_view data)>& on_output,
                                const std::function<bool()>& on_idle = {}, int idle_ms = 20);

// The standard input and terminal of a child run by RunCommandWithStdio.
struct ChildStdio {
  // >= 0: the child's stdin (a copy; the caller keeps and closes its own).
  // -1: /dev/null.
  int stdin_fd = -1;
  // Non-empty: the path of a pty's terminal side. The child runs in a new
  // session with it as stdin, stdout, stderr and controlling terminal
  // (stdin_fd is then unused); what it prints is read from `tty_master` (the
  // pty's other side, kept open by the caller) as stream 1, until every
  // holder of the terminal side has closed it.
  std::string tty_path;
  int tty_master = -1;
  // Non-empty: the child's whole environment ("K=V"); empty: berthd's own.
  std::vector<std::string> env;
};

// RunCommandStreaming with the child's stdin and terminal as `stdio` says.
Result<int> RunCommandWithStdio(const std::vector<std::string>& argv, const ChildStdio& stdio,
                                const std::function<void(int stream, std::string_view data)>& on_output,
                                const std::function<bool()>& on_idle = {}, int idle_ms = 20);

}  // namespace runtime_internal
}  // namespace berth
