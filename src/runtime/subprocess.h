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

}  // namespace runtime_internal
}  // namespace berth
