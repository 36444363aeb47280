// A container's health check as Docker's HealthConfig: Config.Healthcheck
// of `docker run --health-*` and of an image config, and what a
// Dockerfile's HEALTHCHECK instruction writes there. Header-only; the
// container module runs it (berth/container_service.h: its JSON codec,
// validation and probes), the Dockerfile front end parses it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace berth {

// Durations in nanoseconds, 0: not given (inherited from the image, else
// Docker's default: interval 30 s, timeout 30 s, start period 0, start
// interval 5 s, retries 3).
struct HealthConfig {
  // [] inherit the image's; ["NONE"] no check; ["CMD", args...];
  // ["CMD-SHELL", command] run by /bin/sh -c.
  std::vector<std::string> test;
  int64_t interval_nanos = 0;
  int64_t timeout_nanos = 0;
  int64_t start_period_nanos = 0;
  int64_t start_interval_nanos = 0;
  int retries = 0;
  bool operator==(const HealthConfig&) const = default;
};

}  // namespace berth
