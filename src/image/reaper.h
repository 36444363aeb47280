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

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "berth/digest.h"

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
  void Enqueue(std::vector<Digest> candidates);

  // Returns once everything queued before the call has been collected and
  // the hooks have run after it.
  void Drain();

  // Registers a function run after each batch; returns its handle.
  uint64_t AddHook(std::function<void()> hook);
  // Unregisters a hook; when it returns the hook is not running and never
  // runs again.
  void RemoveHook(uint64_t handle);

 private:
  void Loop();

  CollectFn collect_;
  std::mutex mu_;
  std::condition_variable wake_;  // work queued, or stopping
  std::condition_variable done_;  // a batch finished
  std::vector<Digest> queue_;     // guarded by mu_
  bool hooks_due_ = false;        // guarded by mu_
  uint64_t queued_ = 0;           // batches queued, guarded by mu_
  uint64_t finished_ = 0;         // batches finished, guarded by mu_
  bool stopping_ = false;         // guarded by mu_

  std::mutex hooks_mu_;  // held while hooks run and while they change
  std::map<uint64_t, std::function<void()>> hooks_;  // guarded by hooks_mu_
  uint64_t next_hook_ = 1;                           // guarded by hooks_mu_

  std::thread thread_;  // last: started when everything above exists
};

}  // namespace berth::image
