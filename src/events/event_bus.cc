// EventBus: a bounded history ring plus fan-out to live subscriptions.
//
// Locking: the bus mutex is taken before any subscription mutex, never the
// other way round. Publish delivers while holding the bus mutex, so every
// subscriber sees events in the same order as the history.

#include <algorithm>
#include <chrono>

#include "berth/events.h"

namespace berth {

namespace {

int64_t NowUnixNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

EventBus::Subscription::~Subscription() {
  EventBus* bus;
  {
    MutexLock l(&mu_);
    bus = bus_;
  }
  if (bus != nullptr) bus->Unsubscribe(this);
}

bool EventBus::Subscription::Next(Event* out, int timeout_ms) {
  MutexLock l(&mu_);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!closed_ && queue_.empty()) {
    if (timeout_ms < 0) {
      cv_.Wait(&mu_);
    } else if (!cv_.WaitUntil(&mu_, deadline)) {
      break;
    }
  }
  if (closed_ || queue_.empty()) return false;
  *out = std::move(queue_.front());
  queue_.pop_front();
  return true;
}

bool EventBus::Subscription::overflowed() {
  MutexLock l(&mu_);
  return overflowed_;
}

EventBus::EventBus(size_t history, size_t subscriber_queue_limit)
    : history_limit_(history), subscriber_queue_limit_(subscriber_queue_limit) {}

EventBus::~EventBus() {
  MutexLock l(&mu_);
  for (Subscription* s : subscribers_) {
    MutexLock sl(&s->mu_);
    s->closed_ = true;
    s->bus_ = nullptr;
    s->cv_.NotifyAll();
  }
  subscribers_.clear();
}

void EventBus::Publish(Event e) {
  if (e.time_unix_nanos == 0) e.time_unix_nanos = NowUnixNanos();
  MutexLock l(&mu_);
  if (!closed_) {
    // Deliver; drop (and detach) every subscriber whose queue is full.
    auto dropped = std::remove_if(subscribers_.begin(), subscribers_.end(), [&](Subscription* s) {
      MutexLock sl(&s->mu_);
      if (s->queue_.size() >= subscriber_queue_limit_) {
        std::deque<Event>().swap(s->queue_);  // frees its memory
        s->closed_ = true;
        s->overflowed_ = true;
        s->bus_ = nullptr;
        s->cv_.NotifyAll();
        return true;
      }
      s->queue_.push_back(e);
      s->cv_.NotifyOne();
      return false;
    });
    subscribers_.erase(dropped, subscribers_.end());
  }
  if (history_limit_ == 0) return;
  while (history_.size() >= history_limit_) history_.pop_front();
  history_.push_back(std::move(e));
}

std::vector<Event> EventBus::Replay(int64_t since_nanos, int64_t until_nanos) const {
  std::vector<Event> out;
  MutexLock l(&mu_);
  for (const Event& e : history_) {
    if (e.time_unix_nanos < since_nanos) continue;
    if (until_nanos > 0 && e.time_unix_nanos >= until_nanos) continue;
    out.push_back(e);
  }
  return out;
}

std::unique_ptr<EventBus::Subscription> EventBus::Subscribe() {
  auto s = std::unique_ptr<Subscription>(new Subscription());
  MutexLock l(&mu_);
  MutexLock sl(&s->mu_);  // not shared yet; taken for the analysis
  if (closed_) {
    s->closed_ = true;  // not registered: nothing will ever arrive
    return s;
  }
  s->bus_ = this;
  subscribers_.push_back(s.get());
  return s;
}

void EventBus::Close() {
  MutexLock l(&mu_);
  closed_ = true;
  for (Subscription* s : subscribers_) {
    MutexLock sl(&s->mu_);
    s->closed_ = true;
    s->queue_.clear();
    s->cv_.NotifyAll();
  }
}

void EventBus::Unsubscribe(Subscription* s) {
  MutexLock l(&mu_);
  subscribers_.erase(std::remove(subscribers_.begin(), subscribers_.end(), s), subscribers_.end());
}

}  // namespace berth
