// A running container's stdin and terminal (ContainerService::WriteStdin,
// CloseStdin, ResizeTty) through its shim's fifos (berth/runtime.h).

#include "container/internal.h"

namespace berth::container {

namespace {

// The state directory of `c` when it is running; Conflict otherwise.
Result<std::string> RunningStateDir(const Ctr& c, const std::string& dir) {
  if (!c.rec.running()) return Conflict("container " + c.rec.id + " is not running");
  return dir + "/state";
}

}  // namespace

Status ContainerServiceImpl::WriteStdin(const std::string& ref, std::string_view data) {
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  std::string state_dir;
  {
    MutexLock l(&mu_);
    BERTH_ASSIGN_OR_RETURN(state_dir, RunningStateDir(*c, Dir(c->rec.id)));
    if (!c->stored.config.open_stdin) return FailedPrecondition("container " + c->rec.id + " has no open stdin");
  }
  return WriteContainerStdin(state_dir, data);
}

Status ContainerServiceImpl::CloseStdin(const std::string& ref) {
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  std::string state_dir;
  {
    MutexLock l(&mu_);
    BERTH_ASSIGN_OR_RETURN(state_dir, RunningStateDir(*c, Dir(c->rec.id)));
    if (!c->stored.config.open_stdin) return FailedPrecondition("container " + c->rec.id + " has no open stdin");
  }
  return CloseContainerStdin(state_dir);
}

Status ContainerServiceImpl::ResizeTty(const std::string& ref, int rows, int cols) {
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  std::string state_dir;
  {
    MutexLock l(&mu_);
    BERTH_ASSIGN_OR_RETURN(state_dir, RunningStateDir(*c, Dir(c->rec.id)));
    if (!c->stored.config.tty) return FailedPrecondition("container " + c->rec.id + " has no TTY");
  }
  return ResizeContainerTerminal(state_dir, rows, cols);
}

}  // namespace berth::container
