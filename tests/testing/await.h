// Awaiting a condition in tests instead of sleeping a fixed time.
#pragma once

#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

namespace berth::testing {

// Polls `condition` every few milliseconds until it holds (true) or
// `timeout` passes (false). For conditions no event announces (a process
// outside the test's control exiting, a file another process writes).
inline bool AwaitCondition(const std::function<bool()>& condition,
                           std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// The calling thread's kernel thread ID (for AwaitThreadBlocked).
inline pid_t CurrentThreadId() { return static_cast<pid_t>(::syscall(SYS_gettid)); }

// Awaits until thread `tid` of this process sleeps in the kernel (state S in
// /proc/self/task/<tid>/stat): a thread that has reached a blocking wait (a
// condition variable, a read). For a test that must act only once another
// thread waits, instead of sleeping and hoping it got there. False after
// `timeout`, or when the thread is gone.
inline bool AwaitThreadBlocked(pid_t tid, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  return AwaitCondition(
      [tid] {
        std::ifstream stat("/proc/self/task/" + std::to_string(tid) + "/stat");
        std::string line;
        if (!std::getline(stat, line)) return false;
        // "<tid> (<comm>) <state> ...": comm may hold spaces and parentheses.
        size_t close = line.rfind(')');
        return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'S';
      },
      timeout);
}

}  // namespace berth::testing
