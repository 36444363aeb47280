#include "image/reaper.h"

#include <utility>

namespace berth::image {

Reaper::Reaper(CollectFn collect) : collect_(std::move(collect)), thread_([this] { Loop(); }) {}

Reaper::~Reaper() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Reaper::Enqueue(std::vector<Digest> candidates) {
  {
    std::lock_guard<std::mutex> l(mu_);
    queue_.insert(queue_.end(), std::make_move_iterator(candidates.begin()),
                  std::make_move_iterator(candidates.end()));
    hooks_due_ = true;
    ++queued_;
  }
  wake_.notify_one();
}

void Reaper::Drain() {
  std::unique_lock<std::mutex> l(mu_);
  const uint64_t target = queued_;
  done_.wait(l, [&] { return finished_ >= target; });
}

uint64_t Reaper::AddHook(std::function<void()> hook) {
  std::lock_guard<std::mutex> l(hooks_mu_);
  uint64_t handle = next_hook_++;
  hooks_.emplace(handle, std::move(hook));
  return handle;
}

void Reaper::RemoveHook(uint64_t handle) {
  std::lock_guard<std::mutex> l(hooks_mu_);  // waits for a running hook
  hooks_.erase(handle);
}

void Reaper::Loop() {
  std::unique_lock<std::mutex> l(mu_);
  while (true) {
    wake_.wait(l, [&] { return stopping_ || hooks_due_; });
    if (!hooks_due_) return;  // stopping, nothing left
    std::vector<Digest> batch;
    batch.swap(queue_);
    hooks_due_ = false;
    const uint64_t taken = queued_;
    l.unlock();
    if (!batch.empty()) collect_(batch);
    {
      std::lock_guard<std::mutex> h(hooks_mu_);
      for (auto& [handle, hook] : hooks_) hook();
    }
    l.lock();
    finished_ = taken;
    done_.notify_all();
  }
}

}  // namespace berth::image
