// Running a helper program (runc, berth-shim) to completion without a shell.
#pragma once

#include <string>
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

}  // namespace runtime_internal
}  // namespace berth
