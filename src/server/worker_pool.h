// An elastic pool of worker threads for request handlers: a task runs on an
// idle worker, or on a new thread when none is idle (handlers may block for
// as long as a stream lasts, so a fixed pool could starve). Workers idle for
// `idle_ms` exit.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

namespace berth::server {

class WorkerPool {
 public:
  explicit WorkerPool(int idle_ms = 30000) : idle_ms_(idle_ms) {}
  ~WorkerPool() { Shutdown(); }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs `fn` soon. After Shutdown() began, tasks still run (a handler in
  // flight may need to finish), but no thread waits for more.
  void Submit(std::function<void()> fn);
  // Waits until every task has finished and every worker has exited.
  void Shutdown();
  size_t threads() const;

 private:
  void Loop();

  const int idle_ms_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable exit_cv_;
  std::deque<std::function<void()>> queue_;
  size_t threads_ = 0;
  size_t idle_ = 0;
  bool stopping_ = false;
};

}  // namespace berth::server
