#include "runtime/cgroup_warmup.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <utility>
#include <vector>

#include "berth/env.h"
#include "runtime/nsexec.h"

namespace berth {

namespace {

// One write of the warm-up move; false when it failed (then warming stops).
bool MoveIntoOwnCgroup(const std::string& file, bool v2) {
  const long who = v2 ? static_cast<long>(::getpid()) : ::syscall(SYS_gettid);
  const std::string text = std::to_string(who);
  int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n;
  do {
    n = ::write(fd, text.data(), text.size());
  } while (n < 0 && errno == EINTR);
  ::close(fd);
  return n == static_cast<ssize_t>(text.size());
}

// How often the move is repeated: well inside the grace period (about 8 ms
// here) after which the kernel would make the lock cold again.
constexpr auto kRepeatEvery = std::chrono::milliseconds(3);

}  // namespace

std::string OwnCgroupMigrationFile() {
  Env* env = Env::Default();
  Result<std::string> cgroups = env->ReadFileToString("/proc/thread-self/cgroup");
  Result<std::string> mountinfo = env->ReadFileToString("/proc/self/mountinfo");
  if (!cgroups.ok() || !mountinfo.ok()) return "";
  const std::vector<runtime_internal::CgroupDir> dirs = runtime_internal::CgroupDirs(*cgroups, *mountinfo);
  if (dirs.empty()) return "";
  return dirs.front().path + (dirs.front().v2 ? "/cgroup.procs" : "/tasks");
}

CgroupWarmup::CgroupWarmup(std::string file, std::chrono::milliseconds limit) {
  if (file.empty()) return;
  thread_ = std::thread([this, file = std::move(file), limit] { Run(file, limit); });
}

CgroupWarmup::~CgroupWarmup() { Stop(); }

void CgroupWarmup::Stop() {
  {
    MutexLock l(&mu_);
    stop_ = true;
    stop_changed_.NotifyAll();
  }
  if (thread_.joinable()) thread_.join();
}

int CgroupWarmup::moves() const {
  MutexLock l(&mu_);
  return moves_;
}

void CgroupWarmup::Run(std::string file, std::chrono::milliseconds limit) {
  const bool v2 = file.ends_with("/cgroup.procs");
  const auto until = std::chrono::steady_clock::now() + limit;
  while (true) {
    if (!MoveIntoOwnCgroup(file, v2)) return;
    MutexLock l(&mu_);
    moves_++;
    if (stop_) return;
    stop_changed_.WaitFor(&mu_, kRepeatEvery);
    if (stop_ || std::chrono::steady_clock::now() >= until) return;
  }
}

}  // namespace berth
