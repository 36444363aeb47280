// A mutex, its scoped lock and a condition variable that clang's
// thread-safety analysis understands (see thread_annotations.h):
//
//   class Cache {
//     void Put(int v) EXCLUDES(mu_) { MutexLock l(&mu_); values_.push_back(v); }
//     void Wait() EXCLUDES(mu_) {
//       MutexLock l(&mu_);
//       while (values_.empty()) changed_.Wait(&mu_);
//     }
//     Mutex mu_;
//     CondVar changed_;
//     std::vector<int> values_ GUARDED_BY(mu_);
//   };
//
// Thread-safety: as std::mutex and std::condition_variable, which they wrap.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "berth/thread_annotations.h"

namespace berth {

class CondVar;

// A non-recursive std::mutex the analysis knows as a capability. lock(),
// unlock() and try_lock() make it a standard Lockable.
class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() ACQUIRE() { mu_.lock(); }
  void unlock() RELEASE() { mu_.unlock(); }
  bool try_lock() TRY_ACQUIRE(true) { return mu_.try_lock(); }
  // Tells the analysis the calling thread holds this mutex (checks nothing
  // at run time), for code it cannot follow.
  void AssertHeld() const ASSERT_CAPABILITY(this) {}

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds a Mutex for its scope. Unlock() and Lock() let the holder release it
// for a while (the destructor then unlocks only if it is held again).
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ACQUIRE(mu) : mu_(mu) { mu_->lock(); }
  ~MutexLock() RELEASE() {
    if (held_) mu_->unlock();
  }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  void Unlock() RELEASE() {
    held_ = false;
    mu_->unlock();
  }
  void Lock() ACQUIRE() {
    mu_->lock();
    held_ = true;
  }

 private:
  Mutex* const mu_;
  bool held_ = true;
};

// A condition variable used with a Mutex the caller holds; every wait names
// that mutex, so the analysis checks it is held. Waits may wake spuriously:
// callers re-check their condition in a loop.
class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // Releases `mu`, waits for a notification, holds `mu` again.
  void Wait(Mutex* mu) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();  // `mu` stays held by the caller
  }
  // As Wait, but returns false once `deadline` has passed.
  bool WaitUntil(Mutex* mu, std::chrono::steady_clock::time_point deadline) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    const bool notified = cv_.wait_until(lock, deadline) == std::cv_status::no_timeout;
    lock.release();
    return notified;
  }
  // As Wait, but returns false once `timeout` has passed.
  bool WaitFor(Mutex* mu, std::chrono::steady_clock::duration timeout) REQUIRES(mu) {
    return WaitUntil(mu, std::chrono::steady_clock::now() + timeout);
  }

  void NotifyOne() { cv_.notify_one(); }
  void NotifyAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace berth
