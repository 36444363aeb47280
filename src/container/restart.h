// Restart policies (HostConfig.RestartPolicy), as Docker 28.2 applies them:
// the validation of a policy and the restart manager's decision after an
// exit, with its backoff. Pure: the caller gives how long the process ran,
// so tests drive the schedule with made-up durations.
// Internal to src/container.
#pragma once

#include <cstdint>
#include <optional>

#include "berth/container_service.h"
#include "berth/status.h"

namespace berth::container {

// Docker's ValidateRestartPolicy: InvalidArgument "invalid restart policy:
// maximum retry count can only be used with 'on-failure'" (plus " and
// cannot be negative"), "... maximum retry count cannot be negative"
// (on-failure), or "invalid restart policy: unknown policy 'X'; use one of
// 'no', 'always', 'on-failure', or 'unless-stopped'". "" is accepted with
// any count (clients before API 1.44 sent it).
[[nodiscard]] Status ValidateRestartPolicy(const RestartPolicy& policy);

// True when `policy` restarts anything ("" and "no" do not).
bool HasRestartPolicy(const RestartPolicy& policy);

// The restart manager of one container (Docker's restartmanager). Not
// thread-safe: the service holds its lock.
class RestartBackoff {
 public:
  static constexpr int64_t kInitialDelayNanos = 100'000'000;      // 100 ms
  static constexpr int64_t kMaxDelayNanos = 60'000'000'000;       // 1 minute
  static constexpr int64_t kResetAfterRunNanos = 10'000'000'000;  // ran 10 s: back to 100 ms

  // Decides after an exit. `manually_stopped`: the user stopped or killed
  // the container (only unless-stopped cares); `ran_nanos`: how long the
  // process ran; `restart_count`: restarts so far (on-failure's maximum
  // counts them). Returns the delay before the restart, or nothing when the
  // container stays exited. The delay is 100 ms, doubled at every decision
  // (restart or not) up to a minute, and back to 100 ms after a run of 10 s.
  std::optional<int64_t> NextDelay(const RestartPolicy& policy, int exit_code, bool manually_stopped, int64_t ran_nanos,
                                   int restart_count);
  // Forgets the backoff (a start by the user).
  void Reset() { delay_nanos_ = 0; }

 private:
  int64_t delay_nanos_ = 0;  // 0: no restart yet
};

// Whether berthd's start restarts a container that is not running (Docker's
// restore: AutoRestart && ShouldRestart && HasBeenStartedBefore): always;
// unless-stopped unless the user stopped it; on-failure after a non-zero
// exit within its maximum.
bool RestartsAtDaemonStart(const RestartPolicy& policy, bool started_before, int exit_code, bool manually_stopped,
                           int restart_count);

}  // namespace berth::container
