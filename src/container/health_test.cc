// Health checks without runc: Docker's validation texts, the merge with the
// image's check, probe commands, the probe schedule and the state machine
// probe results drive (times are made up, no clock runs).
#include "container/health.h"

#include <gtest/gtest.h>

namespace berth::container {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSecond = 1'000'000'000;

TEST(HealthConfigTest, ValidationTexts) {
  HealthConfig ok;
  ok.test = {"CMD", "true"};
  EXPECT_TRUE(ValidateHealthConfig(ok).ok());
  struct Case {
    HealthConfig h;
    std::string want;
  };
  const std::vector<Case> cases = {
      {{{}, kMs - 1, 0, 0, 0, 0}, "Interval in Healthcheck cannot be less than 1ms"},
      {{{}, 0, 5, 0, 0, 0}, "Timeout in Healthcheck cannot be less than 1ms"},
      {{{}, 0, 0, 0, 0, -1}, "Retries in Healthcheck cannot be negative"},
      {{{}, 0, 0, 10, 0, 0}, "StartPeriod in Healthcheck cannot be less than 1ms"},
      {{{}, 0, 0, 0, 10, 0}, "StartInterval in Healthcheck cannot be less than 1ms"},
  };
  for (const auto& tc : cases) {
    Status s = ValidateHealthConfig(tc.h);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << tc.want;
    EXPECT_EQ(s.message(), tc.want);
  }
}

TEST(HealthConfigTest, JsonRoundTripAndRefusals) {
  HealthConfig h{{"CMD-SHELL", "curl -f localhost"}, 2 * kSecond, kSecond, 3 * kSecond, 100 * kMs, 4};
  auto back = ParseHealthConfig(HealthConfigJson(h));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, h);
  EXPECT_EQ(HealthConfigJson(HealthConfig{{"NONE"}}), R"({"Test":["NONE"]})");
  EXPECT_EQ(ParseHealthConfig(R"({"Test":"x"})").status().message(),
            "invalid JSON: Healthcheck.Test must be a list of strings");
  EXPECT_EQ(ParseHealthConfig(R"({"Test":["CMD","x"],"Nope":1})").status().message(),
            "berth does not support Healthcheck.Nope");
}

TEST(HealthConfigTest, MergeTakesTheImagesForWhatIsUnset) {
  HealthConfig image{{"CMD", "image-check"}, 10 * kSecond, 2 * kSecond, 0, 0, 5};
  EXPECT_EQ(MergeHealthConfig(std::nullopt, image), image);
  EXPECT_EQ(MergeHealthConfig(std::nullopt, std::nullopt), std::nullopt);
  HealthConfig mine{{}, kSecond, 0, 0, 0, 0};
  HealthConfig merged = *MergeHealthConfig(mine, image);
  EXPECT_EQ(merged.test, image.test);
  EXPECT_EQ(merged.interval_nanos, kSecond);
  EXPECT_EQ(merged.timeout_nanos, 2 * kSecond);
  EXPECT_EQ(merged.retries, 5);
  // --no-healthcheck: Test ["NONE"] wins, and has no probe.
  HealthConfig none{{"NONE"}};
  EXPECT_EQ(MergeHealthConfig(none, image)->test, std::vector<std::string>{"NONE"});
  EXPECT_EQ(ProbeCommand(*MergeHealthConfig(none, image)), std::nullopt);
}

TEST(HealthConfigTest, ProbeCommands) {
  EXPECT_EQ(ProbeCommand(HealthConfig{{"CMD", "cat", "/ok"}}), (std::vector<std::string>{"cat", "/ok"}));
  EXPECT_EQ(ProbeCommand(HealthConfig{{"CMD-SHELL", "test -e /ok"}}),
            (std::vector<std::string>{"/bin/sh", "-c", "test -e /ok"}));
  EXPECT_EQ(ProbeCommand(HealthConfig{{"CMD"}}), std::nullopt);
  EXPECT_EQ(ProbeCommand(HealthConfig{{"WHAT", "x"}}), std::nullopt);
  EXPECT_EQ(ProbeCommand(HealthConfig{}), std::nullopt);
}

TEST(HealthConfigTest, ProbeDelays) {
  HealthState starting{"starting"};
  HealthState healthy{"healthy"};
  EXPECT_EQ(NextProbeDelay(HealthConfig{}, starting, 0), 30 * kSecond);  // no start period
  HealthConfig h{{"CMD", "x"}, 2 * kSecond, 0, 10 * kSecond, 0, 0};
  EXPECT_EQ(NextProbeDelay(h, starting, kSecond), 5 * kSecond);  // default start interval
  h.start_interval_nanos = 100 * kMs;
  EXPECT_EQ(NextProbeDelay(h, starting, kSecond), 100 * kMs);
  EXPECT_EQ(NextProbeDelay(h, healthy, kSecond), 2 * kSecond);
  EXPECT_EQ(NextProbeDelay(h, starting, 10 * kSecond), 2 * kSecond);
}

HealthLogEntry Result(int64_t start, int exit_code) { return HealthLogEntry{start, start + kMs, exit_code, "out"}; }

TEST(HealthStateTest, TransitionsAndStreak) {
  HealthConfig h{{"CMD", "x"}, kSecond, 0, 0, 0, 2};
  HealthState st{"starting"};
  EXPECT_FALSE(ApplyProbeResult(h, 0, Result(kSecond, 1), &st));
  EXPECT_EQ(st.status, "starting");
  EXPECT_EQ(st.failing_streak, 1);
  EXPECT_TRUE(ApplyProbeResult(h, 0, Result(2 * kSecond, 1), &st));
  EXPECT_EQ(st.status, "unhealthy");
  EXPECT_EQ(st.failing_streak, 2);
  EXPECT_TRUE(ApplyProbeResult(h, 0, Result(3 * kSecond, 0), &st));
  EXPECT_EQ(st.status, "healthy");
  EXPECT_EQ(st.failing_streak, 0);
  EXPECT_FALSE(ApplyProbeResult(h, 0, Result(4 * kSecond, -1), &st));  // one failure: still healthy
  EXPECT_EQ(st.status, "healthy");
  EXPECT_EQ(st.failing_streak, 1);
  ASSERT_EQ(st.log.size(), 4u);
  for (int i = 0; i < 4; ++i) ApplyProbeResult(h, 0, Result((5 + i) * kSecond, 0), &st);
  ASSERT_EQ(st.log.size(), 5u);  // the last five
  EXPECT_EQ(st.log.front().start_unix_nanos, 4 * kSecond);
  EXPECT_EQ(st.log.back().start_unix_nanos, 8 * kSecond);
}

TEST(HealthStateTest, FailuresWithinTheStartPeriodDoNotCount) {
  HealthConfig h{{"CMD", "x"}, kSecond, 0, 10 * kSecond, 0, 1};
  HealthState st{"starting"};
  EXPECT_FALSE(ApplyProbeResult(h, 100 * kSecond, Result(105 * kSecond, 1), &st));
  EXPECT_EQ(st.failing_streak, 0);
  EXPECT_TRUE(ApplyProbeResult(h, 100 * kSecond, Result(111 * kSecond, 1), &st));
  EXPECT_EQ(st.status, "unhealthy");
  // Default retries: 3.
  HealthState fresh{"starting"};
  HealthConfig defaults{{"CMD", "x"}};
  ApplyProbeResult(defaults, 0, Result(kSecond, 1), &fresh);
  ApplyProbeResult(defaults, 0, Result(2 * kSecond, 1), &fresh);
  EXPECT_EQ(fresh.status, "starting");
  ApplyProbeResult(defaults, 0, Result(3 * kSecond, 1), &fresh);
  EXPECT_EQ(fresh.status, "unhealthy");
}

}  // namespace
}  // namespace berth::container
