// The reaper on its own: batches, Drain, hooks and their removal.
#include "image/reaper.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

namespace berth::image {
namespace {

Digest D(char c) { return *Digest::Parse("sha256:" + std::string(64, c)); }

TEST(ReaperTest, DrainWaitsForEverythingQueuedAndTheHooksAfterIt) {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::vector<Digest> collected;
  Reaper r([&](const std::vector<Digest>& batch) {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return release; });  // the first batch waits for the test
    collected.insert(collected.end(), batch.begin(), batch.end());
  });
  std::atomic<int> hook_runs{0};
  r.AddHook([&] { ++hook_runs; });
  r.Enqueue({D('a')});
  r.Enqueue({D('b'), D('c')});
  std::atomic<bool> drained{false};
  std::thread waiter([&] {
    r.Drain();
    drained = true;
  });
  // Nothing is collected until the test lets the collector go, so Drain
  // cannot have returned yet.
  EXPECT_FALSE(drained.load());
  {
    std::lock_guard<std::mutex> l(mu);
    release = true;
  }
  cv.notify_all();
  waiter.join();
  EXPECT_TRUE(drained.load());
  std::lock_guard<std::mutex> l(mu);
  EXPECT_EQ(std::set<Digest>(collected.begin(), collected.end()), (std::set<Digest>{D('a'), D('b'), D('c')}));
  EXPECT_GE(hook_runs.load(), 1);
}

TEST(ReaperTest, EmptyBatchRunsOnlyTheHooks) {
  int collects = 0;
  Reaper r([&](const std::vector<Digest>&) { ++collects; });
  int runs = 0;
  r.AddHook([&] { ++runs; });
  r.Enqueue({});
  r.Drain();
  EXPECT_EQ(collects, 0);
  EXPECT_EQ(runs, 1);
}

TEST(ReaperTest, RemovedHookNeverRunsAgain) {
  Reaper r([](const std::vector<Digest>&) {});
  int first = 0, second = 0;
  uint64_t h1 = r.AddHook([&] { ++first; });
  r.AddHook([&] { ++second; });
  r.Enqueue({D('a')});
  r.Drain();
  r.RemoveHook(h1);
  r.Enqueue({D('b')});
  r.Drain();
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 2);
}

TEST(ReaperTest, DestructionFinishesTheQueue) {
  std::vector<Digest> collected;
  {
    Reaper r([&](const std::vector<Digest>& batch) { collected.insert(collected.end(), batch.begin(), batch.end()); });
    for (char c : std::string("abcdef")) r.Enqueue({D(c)});
  }
  EXPECT_EQ(collected.size(), 6u);
}

}  // namespace
}  // namespace berth::image
