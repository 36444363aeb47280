// Keeping the kernel's cgroup-migration lock warm while a container starts.
//
// Every move of a task between cgroups (runc writing the new init's pid into
// each of its cgroups, berth-exec joining a container's) takes the kernel's
// global cgroup_threadgroup_rwsem for writing. When nobody has taken it for a
// while, the first writer waits out one RCU grace period (rcu_sync_enter)
// before it can; writers that come during that wait, or within about one more
// grace period after the last release, share it and pass at once. Measured on
// the development machine (kernel 6.18, cgroup v1): 5.5-16 ms for the first
// write, 0.1 ms for a second one 8-20 ms later, by another process too.
//
// CgroupWarmup pays that wait on a thread of its own, in parallel with the
// work that precedes runc's first cgroup write (mounting the rootfs, writing
// the bundle, starting the shim and runc), and then repeats the (no-op) move
// every few milliseconds until it is destroyed, so that runc's writes find
// the lock warm. The move is of the warm-up thread into the cgroup it is
// already in (v1: its tid to the `tasks` file of its first hierarchy; v2:
// the process to its own `cgroup.procs`), which changes nothing.
//
// Thread rules: construct, Stop and destroy on one thread; moves() from any.

#ifndef BERTH_SRC_RUNTIME_CGROUP_WARMUP_H_
#define BERTH_SRC_RUNTIME_CGROUP_WARMUP_H_

#include <chrono>
#include <string>
#include <thread>

#include "berth/mutex.h"

namespace berth {

// The file a no-op migration of the calling process's thread writes to (see
// above), found through /proc/thread-self/cgroup and /proc/self/mountinfo;
// empty when there is none (no cgroup mounted).
std::string OwnCgroupMigrationFile();

class CgroupWarmup {
 public:
  // Starts warming through `file` (OwnCgroupMigrationFile()); does nothing
  // when it is empty. Warming stops by itself after `limit`.
  explicit CgroupWarmup(std::string file, std::chrono::milliseconds limit = std::chrono::milliseconds(5000));
  ~CgroupWarmup();  // Stop()

  // Stops warming and joins the thread. Idempotent.
  void Stop();
  CgroupWarmup(const CgroupWarmup&) = delete;
  CgroupWarmup& operator=(const CgroupWarmup&) = delete;

  // How many no-op moves have finished (tests).
  int moves() const;

 private:
  void Run(std::string file, std::chrono::milliseconds limit);

  mutable Mutex mu_;
  CondVar stop_changed_;
  bool stop_ GUARDED_BY(mu_) = false;
  int moves_ GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace berth

#endif  // BERTH_SRC_RUNTIME_CGROUP_WARMUP_H_
