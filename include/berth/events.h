// The in-process event bus and the metrics registry. Events have the shape
// of Docker's /events messages; the daemon streams them, tests subscribe.
//
// Thread-safety: EventBus and Metrics are thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace berth {

struct Event {
  std::string type = "image";  // "image", "container"
  std::string action;          // "tag", "untag", "delete", "load", "save", "prune", ...
  std::string actor_id;
  std::map<std::string, std::string> attributes;  // "name", labels, ...
  std::string scope = "local";
  int64_t time_unix_nanos = 0;
};

// Keeps the last `history` events for replay (since/until) and fans new ones
// out to subscribers.
class EventBus {
 public:
  class Subscription {
   public:
    ~Subscription();
    // Waits up to `timeout_ms` for the next event; false on timeout or when
    // the bus is closed.
    bool Next(Event* out, int timeout_ms);

   private:
    friend class EventBus;
    EventBus* bus_ = nullptr;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Event> queue_;
    bool closed_ = false;
  };

  explicit EventBus(size_t history = 1024);
  ~EventBus();

  // Stamps time_unix_nanos when 0, records and delivers.
  void Publish(Event e);
  // Events with since <= time < until (nanos) from history, in order.
  std::vector<Event> Replay(int64_t since_nanos, int64_t until_nanos) const;
  // Live events from now on.
  std::unique_ptr<Subscription> Subscribe();
  // Wakes every subscriber; Next() then returns false.
  void Close();

 private:
  friend class Subscription;
  void Unsubscribe(Subscription* s);
  mutable std::mutex mu_;
  size_t history_limit_;
  std::deque<Event> history_;
  std::vector<Subscription*> subscribers_;
  bool closed_ = false;
};

// Prometheus metrics (prometheus-cpp). Names:
//   berth_image_actions_seconds{action}        histogram (Docker's image_actions)
//   berth_image_actions_total{action}          counter
//   berth_gc_runs_total, berth_gc_blobs_freed_total, berth_gc_bytes_freed_total
//   berth_http_requests_total{endpoint,status}, berth_http_request_seconds{endpoint}
class Metrics {
 public:
  Metrics();
  ~Metrics();
  void ObserveImageAction(const std::string& action, double seconds);
  void ObserveGc(uint64_t blobs_freed, uint64_t bytes_freed);
  void ObserveRequest(const std::string& endpoint, int status, double seconds);
  // Prometheus text exposition of every metric.
  std::string Serialize() const;
  // For tests: current count of an image action.
  double ImageActionCount(const std::string& action) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth
