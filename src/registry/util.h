// Helpers shared by pull, push and platform removal.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "berth/digest.h"
#include "berth/mutex.h"
#include "berth/registry.h"
#include "berth/status.h"

namespace berth::registry {

// Runs fn(0..count-1) on up to `workers` threads; returns the first error
// (the remaining items are not started once one failed).
inline Status RunParallel(int workers, size_t count, const std::function<Status(size_t)>& fn) {
  if (count == 0) return OkStatus();
  workers = std::max(1, std::min<int>(workers, static_cast<int>(count)));
  std::atomic<size_t> next{0};
  Mutex mu;
  Status first;  // guarded by mu
  std::atomic<bool> failed{false};
  auto run = [&] {
    for (;;) {
      if (failed.load()) return;
      size_t i = next.fetch_add(1);
      if (i >= count) return;
      Status s = fn(i);
      if (!s.ok()) {
        MutexLock lock(&mu);
        if (first.ok()) first = s;
        failed.store(true);
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 1; i < workers; i++) threads.emplace_back(run);
  run();
  for (auto& t : threads) t.join();
  return first;
}

// Serialises progress callbacks (the callback itself must be thread-safe
// per the header; this also keeps each layer's messages in order).
class Progress {
 public:
  explicit Progress(const ProgressFn& fn) : fn_(fn) {}
  void Send(const std::string& id, const std::string& status, int64_t current = -1, int64_t total = -1) {
    if (!fn_) return;
    ProgressMessage m;
    m.id = id;
    m.status = status;
    m.current = current;
    m.total = total;
    MutexLock lock(&mu_);
    fn_(m);
  }
  void SendMessage(const ProgressMessage& m) {
    if (!fn_) return;
    MutexLock lock(&mu_);
    fn_(m);
  }

 private:
  const ProgressFn& fn_;
  Mutex mu_;  // held while fn_ runs
};

// `raw` (an index document) with only the manifests whose digests are in
// `keep`, every other field as it was (defined in push.cc).
Result<std::string> FilterIndex(const std::string& raw, const std::vector<Digest>& keep);

}  // namespace berth::registry
