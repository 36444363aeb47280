// An elastic pool of worker threads for request handlers: a task runs on an
// idle worker, or on a new thread when none is idle (handlers may block for
// as long as a stream lasts, so a fixed pool could starve). Workers idle for
// `idle_ms` exit.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>

#include "berth/mutex.h"

namespace berth::server {

class WorkerPool {
 public:
  explicit WorkerPool(int idle_ms = 30000) : idle_ms_(idle_ms) {}
  ~WorkerPool() { Shutdown(); }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs `fn` soon. After Shutdown() began, tasks still run (a handler in
  // flight may need to finish), but no thread waits for more.
  void Submit(std::function<void()> fn) EXCLUDES(mu_);
  // Waits until every task has finished and every worker has exited.
  void Shutdown() EXCLUDES(mu_);
  size_t threads() const EXCLUDES(mu_);

 private:
  void Loop() EXCLUDES(mu_);

  const int idle_ms_;
  mutable Mutex mu_;
  CondVar work_cv_;  // a task is queued, or stopping_ is set
  CondVar exit_cv_;  // a worker exited
  std::deque<std::function<void()>> queue_ GUARDED_BY(mu_);
  size_t threads_ GUARDED_BY(mu_) = 0;
  size_t idle_ GUARDED_BY(mu_) = 0;
  bool stopping_ GUARDED_BY(mu_) = false;
};

}  // namespace berth::server
