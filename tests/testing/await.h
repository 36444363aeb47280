// Awaiting a condition in tests instead of sleeping a fixed time.
#pragma once

#include <chrono>
#include <functional>
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

}  // namespace berth::testing
