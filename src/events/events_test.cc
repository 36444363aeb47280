#include "berth/events.h"
#include "berth/metrics.h"
#include "berth/mutex.h"
#include "testing/await.h"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace berth {
namespace {

Event MakeEvent(std::string action, std::string id, int64_t t = 0) {
  Event e;
  e.action = std::move(action);
  e.actor_id = std::move(id);
  e.time_unix_nanos = t;
  return e;
}

std::vector<std::string> Ids(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.actor_id);
  return out;
}

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---- EventBus ----------------------------------------------------------------

TEST(EventBusTest, ReplayWindows) {
  EventBus bus;
  bus.Publish(MakeEvent("tag", "a", 10));
  bus.Publish(MakeEvent("tag", "b", 20));
  bus.Publish(MakeEvent("tag", "c", 30));
  struct Case {
    int64_t since, until;
    std::vector<std::string> want;
  } cases[] = {
      {0, 0, {"a", "b", "c"}},   // no upper bound
      {0, 100, {"a", "b", "c"}},
      {10, 30, {"a", "b"}},      // since inclusive, until exclusive
      {11, 30, {"b"}},
      {15, 31, {"b", "c"}},
      {20, 21, {"b"}},
      {30, 0, {"c"}},
      {31, 0, {}},
      {0, 10, {}},
      {25, 20, {}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Ids(bus.Replay(c.since, c.until)), c.want) << c.since << ".." << c.until;
  }
}

TEST(EventBusTest, PublishStampsRealTimeOnlyWhenZero) {
  EventBus bus;
  int64_t before = NowNanos();
  bus.Publish(MakeEvent("tag", "now"));
  int64_t after = NowNanos();
  bus.Publish(MakeEvent("tag", "fixed", 42));
  auto all = bus.Replay(0, 0);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_GE(all[0].time_unix_nanos, before);
  EXPECT_LE(all[0].time_unix_nanos, after);
  EXPECT_EQ(all[1].time_unix_nanos, 42);
}

TEST(EventBusTest, HistoryLimitKeepsNewest) {
  EventBus bus(3);
  for (int i = 0; i < 5; ++i) bus.Publish(MakeEvent("tag", std::to_string(i), 100 + i));
  EXPECT_EQ(Ids(bus.Replay(0, 0)), (std::vector<std::string>{"2", "3", "4"}));

  EventBus none(0);
  auto sub = none.Subscribe();
  none.Publish(MakeEvent("tag", "x", 1));
  EXPECT_TRUE(none.Replay(0, 0).empty());
  Event got;
  ASSERT_TRUE(sub->Next(&got, 1000));  // live delivery does not need history
  EXPECT_EQ(got.actor_id, "x");
}

TEST(EventBusTest, SubscriptionSeesOnlyLaterEvents) {
  EventBus bus;
  bus.Publish(MakeEvent("tag", "old", 1));
  auto sub = bus.Subscribe();
  bus.Publish(MakeEvent("untag", "new", 2));
  Event got;
  ASSERT_TRUE(sub->Next(&got, 1000));
  EXPECT_EQ(got.actor_id, "new");
  EXPECT_EQ(got.action, "untag");
  EXPECT_EQ(got.time_unix_nanos, 2);
  EXPECT_FALSE(sub->Next(&got, 10));
}

TEST(EventBusTest, NextTimesOut) {
  EventBus bus;
  auto sub = bus.Subscribe();
  Event got;
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(sub->Next(&got, 50));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(45));
  EXPECT_FALSE(sub->Next(&got, 0));
}

TEST(EventBusTest, LiveDeliveryToSeveralSubscribersFromSeveralThreads) {
  constexpr int kSubscribers = 3, kPublishers = 4, kPerPublisher = 250;
  constexpr int kTotal = kPublishers * kPerPublisher;
  EventBus bus(16);
  std::vector<std::unique_ptr<EventBus::Subscription>> subs;
  for (int i = 0; i < kSubscribers; ++i) subs.push_back(bus.Subscribe());

  std::vector<std::vector<Event>> received(kSubscribers);
  std::vector<std::thread> readers;
  for (int i = 0; i < kSubscribers; ++i) {
    readers.emplace_back([&, i] {
      Event e;
      while (static_cast<int>(received[i].size()) < kTotal && subs[i]->Next(&e, 5000)) {
        received[i].push_back(e);
      }
    });
  }
  std::vector<std::thread> publishers;
  for (int p = 0; p < kPublishers; ++p) {
    publishers.emplace_back([&, p] {
      for (int n = 0; n < kPerPublisher; ++n) {
        Event e = MakeEvent("tag", std::to_string(p) + ":" + std::to_string(n));
        e.attributes["publisher"] = std::to_string(p);
        bus.Publish(e);
      }
    });
  }
  for (auto& t : publishers) t.join();
  for (auto& t : readers) t.join();

  for (int i = 0; i < kSubscribers; ++i) {
    ASSERT_EQ(static_cast<int>(received[i].size()), kTotal) << "subscriber " << i;
    // Each publisher's events arrive in its own order.
    std::vector<int> next(kPublishers, 0);
    for (const auto& e : received[i]) {
      int p = std::stoi(e.attributes.at("publisher"));
      EXPECT_EQ(e.actor_id, std::to_string(p) + ":" + std::to_string(next[p]));
      ++next[p];
      EXPECT_NE(e.time_unix_nanos, 0);
    }
    // Every subscriber sees the same global order.
    EXPECT_EQ(Ids(received[i]), Ids(received[0]));
  }
  // The bounded history holds the last 16 of that same order.
  std::vector<std::string> order = Ids(received[0]);
  std::vector<std::string> tail(order.end() - 16, order.end());
  EXPECT_EQ(Ids(bus.Replay(0, 0)), tail);
}

TEST(EventBusTest, CloseWakesWaitingNext) {
  EventBus bus;
  auto sub = bus.Subscribe();
  std::atomic<bool> returned{false};
  std::atomic<pid_t> waiter_tid{0};
  bool result = true;
  std::thread waiter([&] {
    waiter_tid = testing::CurrentThreadId();
    Event e;
    result = sub->Next(&e, -1);  // no timeout: only Close can end this
    returned = true;
  });
  EXPECT_TRUE(testing::AwaitCondition([&] { return waiter_tid.load() != 0; }));
  EXPECT_TRUE(testing::AwaitThreadBlocked(waiter_tid));  // waiting inside Next
  EXPECT_FALSE(returned.load());
  bus.Close();
  waiter.join();
  EXPECT_TRUE(returned.load());
  EXPECT_FALSE(result);

  // After Close: Next is false at once even if events were queued or
  // published later, and new subscriptions are closed too.
  Event e;
  bus.Publish(MakeEvent("tag", "late", 5));
  EXPECT_FALSE(sub->Next(&e, 1000));
  auto later = bus.Subscribe();
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(later->Next(&e, 5000));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_EQ(Ids(bus.Replay(0, 0)), (std::vector<std::string>{"late"}));
}

TEST(EventBusTest, CloseWakesManyWaiters) {
  EventBus bus;
  std::vector<std::unique_ptr<EventBus::Subscription>> subs;
  for (int i = 0; i < 4; ++i) subs.push_back(bus.Subscribe());
  std::atomic<int> done{0};
  std::vector<std::thread> waiters;
  Mutex tids_mu;
  std::vector<pid_t> tids;
  for (auto& s : subs) {
    waiters.emplace_back([&, sp = s.get()] {
      {
        MutexLock l(&tids_mu);
        tids.push_back(testing::CurrentThreadId());
      }
      Event e;
      if (!sp->Next(&e, -1)) ++done;
    });
  }
  EXPECT_TRUE(testing::AwaitCondition([&] {
    MutexLock l(&tids_mu);
    return tids.size() == subs.size();
  }));
  std::vector<pid_t> started;
  {
    MutexLock l(&tids_mu);
    started = tids;
  }
  for (pid_t tid : started) EXPECT_TRUE(testing::AwaitThreadBlocked(tid));  // each inside Next
  bus.Close();
  for (auto& t : waiters) t.join();
  EXPECT_EQ(done.load(), 4);
}

TEST(EventBusTest, DroppedSubscriptionAndSubscriptionOutlivingBus) {
  auto bus = std::make_unique<EventBus>();
  auto kept = bus->Subscribe();
  {
    auto dropped = bus->Subscribe();
  }  // unsubscribes; publishing must not touch it
  bus->Publish(MakeEvent("tag", "x", 1));
  Event e;
  ASSERT_TRUE(kept->Next(&e, 1000));
  EXPECT_EQ(e.actor_id, "x");
  bus.reset();  // detaches `kept`
  EXPECT_FALSE(kept->Next(&e, 0));
  kept.reset();
}

// A subscriber that stops taking events is dropped once its queue is full:
// Next() then returns false (its queued events are gone) while a subscriber
// that keeps up sees every event, and so does one that subscribes later.
TEST(EventBusTest, SubscriberFallingBehindIsDropped) {
  EventBus bus(/*history=*/16, /*subscriber_queue_limit=*/3);
  auto stalled = bus.Subscribe();
  auto reader = bus.Subscribe();
  Event got;
  for (int i = 0; i < 3; ++i) {
    bus.Publish(MakeEvent("tag", std::to_string(i), 100 + i));
    ASSERT_TRUE(reader->Next(&got, 1000));
    EXPECT_EQ(got.actor_id, std::to_string(i));
  }
  EXPECT_FALSE(stalled->overflowed());  // exactly at the bound: still subscribed
  bus.Publish(MakeEvent("tag", "3", 103));
  EXPECT_TRUE(stalled->overflowed());
  EXPECT_FALSE(stalled->Next(&got, 0));  // closed; the 3 queued events are dropped
  EXPECT_FALSE(reader->overflowed());
  ASSERT_TRUE(reader->Next(&got, 1000));
  EXPECT_EQ(got.actor_id, "3");

  bus.Publish(MakeEvent("tag", "4", 104));
  EXPECT_FALSE(stalled->Next(&got, 0));  // no longer delivered to
  ASSERT_TRUE(reader->Next(&got, 1000));
  EXPECT_EQ(got.actor_id, "4");
  auto later = bus.Subscribe();
  bus.Publish(MakeEvent("tag", "5", 105));
  ASSERT_TRUE(later->Next(&got, 1000));
  EXPECT_EQ(got.actor_id, "5");
  stalled.reset();  // a dropped subscription detaches cleanly
  bus.Publish(MakeEvent("tag", "6", 106));
  ASSERT_TRUE(reader->Next(&got, 1000));
  ASSERT_TRUE(reader->Next(&got, 1000));
  EXPECT_EQ(got.actor_id, "6");
}

// ---- EventToJson ---------------------------------------------------------------

TEST(EventToJsonTest, ExactShapes) {
  struct Case {
    const char* name;
    Event event;
    std::string want;
  };
  Event image;
  image.type = "image";
  image.action = "tag";
  image.actor_id = "sha256:abc";
  image.attributes = {{"name", "busybox:latest"}};
  image.time_unix_nanos = 1700000000123456789;

  Event container;
  container.type = "container";
  container.action = "start";
  container.actor_id = "c0ffee";
  container.attributes = {{"image", "busybox"}, {"name", "box"}};
  container.time_unix_nanos = 1700000001000000000;

  Event container_no_image = container;
  container_no_image.attributes = {{"name", "box"}};

  Event network;
  network.type = "network";
  network.action = "connect";
  network.actor_id = "n1";
  network.attributes = {{"container", "c0ffee"}, {"name", "bridge"}, {"type", "bridge"}};
  network.time_unix_nanos = 2000000000;

  Event bare;  // zero time, no attributes
  bare.action = "prune";

  Event escaped;
  escaped.type = "image";
  escaped.action = "tag";
  escaped.actor_id = "sha256:x";
  escaped.attributes = {{"q\"b\\", "<a&b>\n\t\x01\x7f"},
                        {"u", "caf\xc3\xa9 \xe2\x80\xa8 \xff"}};
  escaped.time_unix_nanos = 999;  // under a second: "time" is omitted

  Case cases[] = {
      {"image", image,
       R"({"status":"tag","id":"sha256:abc","Type":"image","Action":"tag",)"
       R"("Actor":{"ID":"sha256:abc","Attributes":{"name":"busybox:latest"}},)"
       R"("scope":"local","time":1700000000,"timeNano":1700000000123456789})"},
      {"container", container,
       R"({"status":"start","id":"c0ffee","from":"busybox","Type":"container",)"
       R"("Action":"start","Actor":{"ID":"c0ffee","Attributes":{"image":"busybox",)"
       R"("name":"box"}},"scope":"local","time":1700000001,"timeNano":1700000001000000000})"},
      {"container_no_image", container_no_image,
       R"({"status":"start","id":"c0ffee","Type":"container","Action":"start",)"
       R"("Actor":{"ID":"c0ffee","Attributes":{"name":"box"}},"scope":"local",)"
       R"("time":1700000001,"timeNano":1700000001000000000})"},
      {"network", network,
       R"({"Type":"network","Action":"connect","Actor":{"ID":"n1","Attributes":)"
       R"({"container":"c0ffee","name":"bridge","type":"bridge"}},"scope":"local",)"
       R"("time":2,"timeNano":2000000000})"},
      {"bare", bare,
       R"({"status":"prune","Type":"image","Action":"prune","Actor":{"ID":"",)"
       R"("Attributes":{}},"scope":"local"})"},
      {"escaped", escaped,
       R"({"status":"tag","id":"sha256:x","Type":"image","Action":"tag",)"
       R"("Actor":{"ID":"sha256:x","Attributes":{"q\"b\\":"\u003ca\u0026b\u003e\n\t\u0001)"
       "\x7f"
       R"(","u":"café \u2028 \ufffd"}},"scope":"local","timeNano":999})"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(EventToJson(c.event), c.want) << c.name;
  }
}

// ---- EventMatches --------------------------------------------------------------

TEST(EventMatchesTest, FilterSemantics) {
  Event tag;
  tag.type = "image";
  tag.action = "tag";
  tag.actor_id = "sha256:1111";
  tag.attributes = {{"name", "busybox:latest"}, {"maintainer", "me"}};

  Event registry_tag = tag;
  registry_tag.attributes = {{"name", "localhost:5000/team/app:v1"}};

  Event exec;
  exec.type = "container";
  exec.action = "exec_start: sh -c true";
  exec.actor_id = "abcdef123456";
  exec.attributes = {{"image", "docker.io/library/alpine:3.19"}, {"name", "web"},
                     {"com.example.tier", "front"}};

  using F = std::map<std::string, std::vector<std::string>>;
  struct Case {
    const char* name;
    const Event* event;
    F filters;
    bool want;
  } cases[] = {
      {"no filters", &tag, {}, true},
      {"empty key", &tag, {{"type", {}}}, true},
      {"unknown key ignored", &tag, {{"bogus", {"x"}}}, true},
      {"type match", &tag, {{"type", {"image"}}}, true},
      {"type mismatch", &tag, {{"type", {"container"}}}, false},
      {"type alternatives", &tag, {{"type", {"container", "image"}}}, true},
      {"event exact", &tag, {{"event", {"tag"}}}, true},
      {"event alternatives", &tag, {{"event", {"untag", "tag"}}}, true},
      {"event no prefix for ordinary actions", &tag, {{"event", {"ta"}}}, false},
      {"event exec_start prefix", &exec, {{"event", {"exec_start"}}}, true},
      {"event exec_create not prefix", &exec, {{"event", {"exec_create"}}}, false},
      {"event exact long action", &exec, {{"event", {"exec_start: sh -c true"}}}, true},
      {"event exact only without special value", &exec, {{"event", {"exec_st"}}}, false},
      {"event prefix enabled by special value", &exec,
       {{"event", {"health_status", "exec_st"}}}, true},
      {"type and event both", &tag, {{"type", {"image"}}, {"event", {"delete"}}}, false},
      {"scope", &tag, {{"scope", {"local"}}}, true},
      {"scope swarm", &tag, {{"scope", {"swarm"}}}, false},
      {"image by id", &tag, {{"image", {"sha256:1111"}}}, true},
      {"image by full name", &tag, {{"image", {"busybox:latest"}}}, true},
      {"image without tag", &tag, {{"image", {"busybox"}}}, true},
      {"image other tag", &tag, {{"image", {"busybox:1.36"}}}, false},
      {"image other", &tag, {{"image", {"alpine"}}}, false},
      {"image name prefix is not enough", &tag, {{"image", {"busy"}}}, false},
      {"image registry stripped", &registry_tag, {{"image", {"localhost:5000/team/app"}}}, true},
      {"image registry needs domain", &registry_tag, {{"image", {"team/app"}}}, false},
      {"container's image attribute", &exec, {{"image", {"alpine"}}}, true},
      {"container's image full", &exec, {{"image", {"docker.io/library/alpine:3.19"}}}, true},
      {"container's name is not its image", &exec, {{"image", {"web"}}}, false},
      {"label key", &tag, {{"label", {"maintainer"}}}, true},
      {"label key=value", &tag, {{"label", {"maintainer=me"}}}, true},
      {"label wrong value", &tag, {{"label", {"maintainer=you"}}}, false},
      {"label missing key", &tag, {{"label", {"version"}}}, false},
      {"labels all must hold", &exec, {{"label", {"com.example.tier=front", "name=web"}}}, true},
      {"labels all must hold, one fails", &exec,
       {{"label", {"com.example.tier=front", "name=db"}}}, false},
      {"label value with =", &tag, {{"label", {"maintainer=me=x"}}}, false},
      {"container by id prefix", &exec, {{"container", {"abcdef"}}}, true},
      {"container by name", &exec, {{"container", {"web"}}}, true},
      {"container other", &exec, {{"container", {"db"}}}, false},
      {"container filter excludes image events", &tag, {{"container", {"web"}}}, false},
      {"combined", &exec,
       {{"type", {"container"}}, {"image", {"alpine"}}, {"label", {"com.example.tier"}}}, true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(EventMatches(*c.event, c.filters), c.want) << c.name;
  }
}

// ---- Metrics -------------------------------------------------------------------

bool Contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

TEST(MetricsTest, CountsAndText) {
  Metrics m;
  EXPECT_EQ(m.ImageActionCount("pull"), 0);
  m.ObserveImageAction("pull", 0.002);
  m.ObserveImageAction("pull", 3.5);
  m.ObserveImageAction("delete", 0.0005);
  m.ObserveGc(3, 4096);
  m.ObserveGc(2, 1024);
  m.ObserveRequest("/images/json", 200, 0.01);
  m.ObserveRequest("/images/json", 200, 0.02);
  m.ObserveRequest("/images/json", 404, 0.001);

  EXPECT_EQ(m.ImageActionCount("pull"), 2);
  EXPECT_EQ(m.ImageActionCount("delete"), 1);
  EXPECT_EQ(m.ImageActionCount("tag"), 0);

  std::string text = m.Serialize();
  const char* want[] = {
      "# TYPE berth_image_actions_seconds histogram",
      "berth_image_actions_seconds_count{action=\"pull\"} 2",
      "berth_image_actions_seconds_count{action=\"delete\"} 1",
      "berth_image_actions_seconds_bucket{action=\"pull\",le=\"0.001\"} 0",
      "berth_image_actions_seconds_bucket{action=\"pull\",le=\"0.0025\"} 1",
      "berth_image_actions_seconds_bucket{action=\"pull\",le=\"5\"} 2",
      "berth_image_actions_seconds_bucket{action=\"pull\",le=\"60\"} 2",
      "berth_image_actions_seconds_bucket{action=\"pull\",le=\"+Inf\"} 2",
      "berth_image_actions_seconds_sum{action=\"pull\"} 3.502",
      "# TYPE berth_image_actions_total counter",
      "berth_image_actions_total{action=\"pull\"} 2",
      "berth_image_actions_total{action=\"delete\"} 1",
      "# TYPE berth_gc_runs_total counter",
      "berth_gc_runs_total 2",
      "berth_gc_blobs_freed_total 5",
      "berth_gc_bytes_freed_total 5120",
      "# TYPE berth_http_requests_total counter",
      "berth_http_requests_total{endpoint=\"/images/json\",status=\"200\"} 2",
      "berth_http_requests_total{endpoint=\"/images/json\",status=\"404\"} 1",
      "# TYPE berth_http_request_seconds histogram",
      "berth_http_request_seconds_count{endpoint=\"/images/json\"} 3",
  };
  for (const char* w : want) EXPECT_TRUE(Contains(text, w)) << w << "\n--- in ---\n" << text;
  // Asking for a count creates no series.
  EXPECT_FALSE(Contains(text, "action=\"tag\""));
}

TEST(MetricsTest, ConcurrentObservations) {
  Metrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        m.ObserveImageAction("load", 0.01);
        m.ObserveRequest("/events", 200, 0.01);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(m.ImageActionCount("load"), 2000);
  EXPECT_TRUE(Contains(m.Serialize(),
                       "berth_http_requests_total{endpoint=\"/events\",status=\"200\"} 2000"));
}

}  // namespace
}  // namespace berth
