#include "server/worker_pool.h"

#include <chrono>
#include <thread>

namespace berth::server {

void WorkerPool::Submit(std::function<void()> fn) {
  MutexLock l(&mu_);
  queue_.push_back(std::move(fn));
  if (idle_ > queue_.size() - 1) {
    work_cv_.NotifyOne();
    return;
  }
  threads_++;
  l.Unlock();
  std::thread([this] { Loop(); }).detach();
}

void WorkerPool::Loop() {
  MutexLock l(&mu_);
  while (true) {
    while (!queue_.empty()) {
      std::function<void()> fn = std::move(queue_.front());
      queue_.pop_front();
      l.Unlock();
      fn();
      fn = nullptr;  // destroy captures outside the lock
      l.Lock();
    }
    if (stopping_) break;
    idle_++;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(idle_ms_);
    bool woke = true;
    while (queue_.empty() && !stopping_ && woke) woke = work_cv_.WaitUntil(&mu_, deadline);
    idle_--;
    if (queue_.empty() && !stopping_) break;  // idle too long
  }
  threads_--;
  exit_cv_.NotifyAll();
}

void WorkerPool::Shutdown() {
  MutexLock l(&mu_);
  stopping_ = true;
  work_cv_.NotifyAll();
  while (threads_ != 0 || !queue_.empty()) exit_cv_.Wait(&mu_);
}

size_t WorkerPool::threads() const {
  MutexLock l(&mu_);
  return threads_;
}

}  // namespace berth::server
