#include "server/worker_pool.h"

#include <chrono>
#include <thread>

namespace berth::server {

void WorkerPool::Submit(std::function<void()> fn) {
  std::unique_lock<std::mutex> l(mu_);
  queue_.push_back(std::move(fn));
  if (idle_ > queue_.size() - 1) {
    work_cv_.notify_one();
    return;
  }
  threads_++;
  l.unlock();
  std::thread([this] { Loop(); }).detach();
}

void WorkerPool::Loop() {
  std::unique_lock<std::mutex> l(mu_);
  while (true) {
    while (!queue_.empty()) {
      std::function<void()> fn = std::move(queue_.front());
      queue_.pop_front();
      l.unlock();
      fn();
      fn = nullptr;  // destroy captures outside the lock
      l.lock();
    }
    if (stopping_) break;
    idle_++;
    bool woke = work_cv_.wait_for(l, std::chrono::milliseconds(idle_ms_),
                                  [this] { return !queue_.empty() || stopping_; });
    idle_--;
    if (!woke) break;  // idle too long
  }
  threads_--;
  exit_cv_.notify_all();
}

void WorkerPool::Shutdown() {
  std::unique_lock<std::mutex> l(mu_);
  stopping_ = true;
  work_cv_.notify_all();
  exit_cv_.wait(l, [this] { return threads_ == 0 && queue_.empty(); });
}

size_t WorkerPool::threads() const {
  std::lock_guard<std::mutex> l(mu_);
  return threads_;
}

}  // namespace berth::server
