// berth-exec: runs a process inside a running container without runc (see
// src/runtime/nsexec.h for what it does and in which order).
//
//   berth-exec --id ID --runc-state <runc-root>/<id>/state.json
//              --bundle DIR --process process.json --pid-file FILE
//
// Its stdio is the process's (a pty's terminal side with process.terminal);
// it exits with the process's exit code (128+N for a signal), or 126/127
// with Docker's text on stderr when the process could not be started.

#include <cstdio>
#include <string>

#include "runtime/nsexec.h"

int main(int argc, char** argv) {
  berth::runtime_internal::NativeExecArgs a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--id") {
      a.id = value;
    } else if (flag == "--runc-state") {
      a.runc_state = value;
    } else if (flag == "--bundle") {
      a.bundle = value;
    } else if (flag == "--process") {
      a.process = value;
    } else if (flag == "--pid-file") {
      a.pid_file = value;
    } else {
      std::fprintf(stderr, "berth-exec: unknown flag %s\n", flag.c_str());
      return 126;
    }
  }
  if (argc % 2 != 1 || a.id.empty() || a.runc_state.empty() || a.bundle.empty() || a.process.empty() ||
      a.pid_file.empty()) {
    std::fprintf(stderr, "usage: berth-exec --id ID --runc-state FILE --bundle DIR --process FILE --pid-file FILE\n");
    return 126;
  }
  return berth::runtime_internal::RunNativeExec(a);
}
