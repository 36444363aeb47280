#include "image/reaper.h"

#include <utility>

namespace berth::image {

Reaper::Reaper(CollectFn collect) : collect_(std::move(collect)), thread_([this] { Loop(); }) {}

Reaper::~Reaper() {
  {
    MutexLock l(&mu_);
    stopping_ = true;
  }
  wake_.NotifyAll();
  thread_.join();
}

void Reaper::Enqueue(std::vector<Digest> candidates) {
  {
    MutexLock l(&mu_);
    queue_.insert(queue_.end(), std::make_move_iterator(candidates.begin()), std::make_move_iterator(candidates.end()));
    hooks_due_ = true;
    ++queued_;
  }
  wake_.NotifyOne();
}

void Reaper::Drain() {
  MutexLock l(&mu_);
  const uint64_t target = queued_;
  while (finished_ < target) done_.Wait(&mu_);
}

uint64_t Reaper::AddHook(std::function<void()> hook) {
  MutexLock l(&hooks_mu_);
  uint64_t handle = next_hook_++;
  hooks_.emplace(handle, std::move(hook));
  return handle;
}

void Reaper::RemoveHook(uint64_t handle) {
  MutexLock l(&hooks_mu_);  // waits for a running hook
  hooks_.erase(handle);
}

void Reaper::Loop() {
  MutexLock l(&mu_);
  while (true) {
    while (!stopping_ && !hooks_due_) wake_.Wait(&mu_);
    if (!hooks_due_) return;  // stopping, nothing left
    std::vector<Digest> batch;
    batch.swap(queue_);
    hooks_due_ = false;
    const uint64_t taken = queued_;
    l.Unlock();
    if (!batch.empty()) collect_(batch);
    {
      MutexLock h(&hooks_mu_);
      for (auto& [handle, hook] : hooks_) hook();
    }
    l.Lock();
    finished_ = taken;
    done_.NotifyAll();
  }
}

}  // namespace berth::image
