// Health checks (Config.Healthcheck, the image's HEALTHCHECK) as Docker 28.2
// runs them: validation, the merge with the image's, and the state machine
// a probe result drives. Pure; the service runs the probes (health.cc).
// Internal to src/container.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "berth/container_service.h"

namespace berth::container {

inline constexpr int64_t kDefaultProbeIntervalNanos = 30'000'000'000;
inline constexpr int64_t kDefaultProbeTimeoutNanos = 30'000'000'000;
inline constexpr int64_t kDefaultStartIntervalNanos = 5'000'000'000;
inline constexpr int kDefaultProbeRetries = 3;
inline constexpr size_t kMaxHealthLogEntries = 5;
inline constexpr size_t kMaxProbeOutputBytes = 4096;

// Docker's validateHealthCheck: InvalidArgument "Interval in Healthcheck
// cannot be less than 1ms" (Timeout, StartPeriod, StartInterval alike) and
// "Retries in Healthcheck cannot be negative".
[[nodiscard]] Status ValidateHealthConfig(const HealthConfig& h);

// Docker's merge: no container check takes the image's; otherwise an empty
// Test and each zero field come from the image's.
std::optional<HealthConfig> MergeHealthConfig(const std::optional<HealthConfig>& container,
                                              const std::optional<HealthConfig>& image);

// The command a probe runs: Test without its "CMD", or /bin/sh -c with
// "CMD-SHELL"; nothing for "NONE", an empty or unknown Test.
std::optional<std::vector<std::string>> ProbeCommand(const HealthConfig& h);

// How long the monitor waits before the next probe: the start interval while
// the container is "starting" within its start period, else the interval.
int64_t NextProbeDelay(const HealthConfig& h, const HealthState& state, int64_t since_start_nanos);

// Applies one probe result (Docker's handleProbeResult): the log keeps the
// last 5; exit 0 is healthy and resets the streak; a failure counts unless
// the container is starting within its start period, and `retries` of them
// make it unhealthy. Returns true when the status changed.
bool ApplyProbeResult(const HealthConfig& h, int64_t started_unix_nanos, HealthLogEntry result, HealthState* state);

}  // namespace berth::container
