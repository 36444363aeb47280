// The reaper: deletes the files of blobs that a committed transaction left
// unreferenced, off the request path. Internal to src/image.
//
//   request thread                      reaper thread
//   ──────────────                      ─────────────
//   Update(tx): refs fall to 0,
//     digests go to gc_pending
//   commit (one fsync)
//   Enqueue(died) ───────────────────▶  collect(batch): re-check refs and
//   publish events, reply                 leases under gc_mu_, unlink,
//                                         clear gc_pending
//                                       run hooks (snapshot sweep)
//
// Crash safety: what is queued is also in gc_pending (committed with the
// transaction that orphaned it), and Store::Open finishes gc_pending, so a
// crash before the reaper runs loses nothing and leaks nothing.
//
// Thread rules: every method may be called from any thread. Hooks run on the
// reaper thread, one at a time, never while a caller of RemoveHook waits
// for them to finish.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <thread>
#include <vector>

#include "berth/digest.h"
#include "berth/mutex.h"

namespace berth::image {

class Reaper {
 public:
  using CollectFn = std::function<void(const std::vector<Digest>&)>;

  // `collect` deletes what of a batch is still unreferenced (DeleteGarbage).
  explicit Reaper(CollectFn collect);
  // Finishes what is queued, then stops the thread.
  ~Reaper();
  Reaper(const Reaper&) = delete;
  Reaper& operator=(const Reaper&) = delete;

  // Queues candidates for deletion and a run of the hooks. An empty list
  // queues only the hooks (after a removal that deleted synchronously).
  void Enqueue(std::vector<Digest> candidates) EXCLUDES(mu_);

  // Returns once everything queued before the call has been collected and
  // the hooks have run after it.
  void Drain() EXCLUDES(mu_);

  // Registers a function run after each batch; returns its handle.
  uint64_t AddHook(std::function<void()> hook) EXCLUDES(hooks_mu_);
  // Unregisters a hook; when it returns the hook is not running and never
  // runs again.
  void RemoveHook(uint64_t handle) EXCLUDES(hooks_mu_);

 private:
  void Loop() EXCLUDES(mu_, hooks_mu_);

  CollectFn collect_;
  Mutex mu_;
  CondVar wake_;  // work queued, or stopping
  CondVar done_;  // a batch finished
  std::vector<Digest> queue_ GUARDED_BY(mu_);
  bool hooks_due_ GUARDED_BY(mu_) = false;
  uint64_t queued_ GUARDED_BY(mu_) = 0;    // batches queued
  uint64_t finished_ GUARDED_BY(mu_) = 0;  // batches finished
  bool stopping_ GUARDED_BY(mu_) = false;

  Mutex hooks_mu_;  // held while hooks run and while they change
  std::map<uint64_t, std::function<void()>> hooks_ GUARDED_BY(hooks_mu_);
  uint64_t next_hook_ GUARDED_BY(hooks_mu_) = 1;

  std::thread thread_;  // last: started when everything above exists
};

}  // namespace berth::image
