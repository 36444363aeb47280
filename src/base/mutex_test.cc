#include "berth/mutex.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace berth {
namespace {

// Whether another thread can take `mu` right now.
bool LockableElsewhere(Mutex* mu) {
  bool took = false;
  std::thread([&] {
    if (mu->try_lock()) {
      took = true;
      mu->unlock();
    }
  }).join();
  return took;
}

TEST(MutexTest, MutexLockHoldsForItsScope) {
  Mutex mu;
  {
    MutexLock l(&mu);
    EXPECT_FALSE(LockableElsewhere(&mu));
  }
  EXPECT_TRUE(LockableElsewhere(&mu));
}

TEST(MutexTest, UnlockAndRelockInsideTheScope) {
  Mutex mu;
  {
    MutexLock l(&mu);
    l.Unlock();
    EXPECT_TRUE(LockableElsewhere(&mu));
    l.Lock();
    EXPECT_FALSE(LockableElsewhere(&mu));
  }
  EXPECT_TRUE(LockableElsewhere(&mu));
}

TEST(MutexTest, ScopeEndingUnlockedDoesNotUnlockTwice) {
  Mutex mu;
  {
    MutexLock l(&mu);
    l.Unlock();
  }
  // A second unlock would be undefined behaviour; the mutex must be free and
  // still work.
  ASSERT_TRUE(mu.try_lock());
  mu.AssertHeld();  // the ASSERT above returns otherwise
  EXPECT_FALSE(LockableElsewhere(&mu));
  mu.unlock();
}

TEST(CondVarTest, WaitReturnsHoldingTheMutexAfterANotification) {
  Mutex mu;
  CondVar cv;
  bool ready = false;  // guarded by mu
  std::thread setter([&] {
    MutexLock l(&mu);
    ready = true;
    cv.NotifyAll();
  });
  {
    MutexLock l(&mu);
    while (!ready) cv.Wait(&mu);
    EXPECT_TRUE(ready);
    EXPECT_FALSE(LockableElsewhere(&mu));  // held again after the wait
  }
  setter.join();
}

TEST(CondVarTest, WaitUntilAPassedDeadlineReportsTimeoutAndKeepsTheMutex) {
  Mutex mu;
  CondVar cv;
  MutexLock l(&mu);
  EXPECT_FALSE(cv.WaitUntil(&mu, std::chrono::steady_clock::now() - std::chrono::seconds(1)));
  EXPECT_FALSE(cv.WaitFor(&mu, std::chrono::steady_clock::duration::zero()));
  EXPECT_FALSE(LockableElsewhere(&mu));
}

TEST(CondVarTest, WaitUntilReportsANotificationBeforeTheDeadline) {
  Mutex mu;
  CondVar cv;
  bool ready = false;  // guarded by mu
  std::atomic<bool> waiting{false};
  std::thread setter([&] {
    while (!waiting) std::this_thread::yield();
    MutexLock l(&mu);  // the waiter has released it inside WaitUntil
    ready = true;
    cv.NotifyOne();
  });
  MutexLock l(&mu);
  waiting = true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::hours(1);
  bool notified = false;
  while (!ready) notified = cv.WaitUntil(&mu, deadline);
  EXPECT_TRUE(notified);
  l.Unlock();
  setter.join();
}

}  // namespace
}  // namespace berth
