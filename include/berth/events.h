// The in-process event bus. Events have the shape of Docker's /events
// messages; the daemon streams them, tests subscribe. (Metrics live in
// berth/metrics.h.)
//
// Thread-safety: EventBus is thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "berth/mutex.h"

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
// out to subscribers. Each subscriber's queue holds at most
// `subscriber_queue_limit` events: a subscriber that falls further behind
// (its client stopped reading) is dropped: its subscription is closed, its
// queue freed, and Next() returns false from then on; other subscribers are
// not affected and Publish never blocks.
class EventBus {
 public:
  class Subscription {
   public:
    ~Subscription();
    // Waits up to `timeout_ms` (< 0: without limit) for the next event;
    // false on timeout or when the bus is closed (queued events are then
    // dropped). A Subscription may outlive its bus (it is detached when the
    // bus is destroyed), but must not be used concurrently with that.
    bool Next(Event* out, int timeout_ms);
    // True once the bus dropped this subscription for falling behind.
    bool overflowed();

   private:
    friend class EventBus;
    Mutex mu_;  // after the bus's mu_ when both are held
    CondVar cv_;
    EventBus* bus_ GUARDED_BY(mu_) = nullptr;
    std::deque<Event> queue_ GUARDED_BY(mu_);
    bool closed_ GUARDED_BY(mu_) = false;
    bool overflowed_ GUARDED_BY(mu_) = false;
  };

  static constexpr size_t kDefaultSubscriberQueueLimit = 4096;
  explicit EventBus(size_t history = 1024, size_t subscriber_queue_limit = kDefaultSubscriberQueueLimit);
  ~EventBus();

  // Stamps time_unix_nanos when 0, records and delivers.
  void Publish(Event e);
  // Events with since <= time < until (nanos) from history, in order.
  // until_nanos <= 0 means no upper bound.
  std::vector<Event> Replay(int64_t since_nanos, int64_t until_nanos) const;
  // Live events from now on.
  std::unique_ptr<Subscription> Subscribe();
  // Wakes every subscriber; Next() then returns false. Later Subscribe()
  // calls return already-closed subscriptions; Publish still records history.
  void Close();

 private:
  friend class Subscription;
  void Unsubscribe(Subscription* s) EXCLUDES(mu_);
  mutable Mutex mu_;
  const size_t history_limit_;
  const size_t subscriber_queue_limit_;
  std::deque<Event> history_ GUARDED_BY(mu_);
  std::vector<Subscription*> subscribers_ GUARDED_BY(mu_);
  bool closed_ GUARDED_BY(mu_) = false;
};

// One event as a line of Docker's GET /events stream (no trailing newline):
//   {"status":A,"id":ID,"from":IMG,"Type":T,"Action":A,
//    "Actor":{"ID":ID,"Attributes":{...}},"scope":S,"time":SEC,"timeNano":NS}
// "status" and "id" are present for image and container events only, "from"
// only for container events carrying a non-empty "image" attribute; empty
// strings and zero times are omitted like Go's omitempty. Strings are escaped
// as Go's encoding/json does (HTML-safe, \u2028/\u2029, invalid UTF-8 ->
// U+FFFD).
std::string EventToJson(const Event& e);

// Docker's /events filters (every key must match; values of one key are
// alternatives):
//   type=T          exact event type
//   event=A         exact action; if any value is health_status, exec_create
//                   or exec_start, prefix match ("exec_start: sh" matches)
//   scope=S         exact scope
//   container=X     prefix of the actor ID or of attribute "name"
//   image=X         exact actor ID or name ("name" for image events, "image"
//                   for others), each also with tag/digest stripped to the
//                   familiar name ("busybox" matches "busybox:latest")
//   label=K/K=V     every value must hold against the attributes
//   daemon/node/service/secret/config=X  as container=X; volume=X exact
//   actor ID; network=X exact ID or "name"; plugin=X exact ID or "name"
//   (also tag-stripped)
// Unknown keys are ignored (rejecting them is the API layer's job). A key
// with no values imposes nothing.
bool EventMatches(const Event& e,
                  const std::map<std::string, std::vector<std::string>>& filters);

}  // namespace berth
