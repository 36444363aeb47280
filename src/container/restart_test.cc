// Restart policies without runc: Docker's validation texts, the restart
// manager's decisions and its backoff schedule (durations are made up, no
// clock runs).
#include "container/restart.h"

#include <gtest/gtest.h>

#include "container/internal.h"

namespace berth::container {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSecond = 1'000'000'000;

TEST(ValidateRestartPolicyTest, DockerTexts) {
  struct Case {
    RestartPolicy policy;
    std::string want_error;  // empty: valid
  };
  const std::vector<Case> cases = {
      {{"", 0}, ""},
      {{"", 5}, ""},  // clients before API 1.44
      {{"no", 0}, ""},
      {{"always", 0}, ""},
      {{"unless-stopped", 0}, ""},
      {{"on-failure", 0}, ""},
      {{"on-failure", 3}, ""},
      {{"always", 2}, "invalid restart policy: maximum retry count can only be used with 'on-failure'"},
      {{"no", -1},
       "invalid restart policy: maximum retry count can only be used with 'on-failure' and cannot be negative"},
      {{"on-failure", -1}, "invalid restart policy: maximum retry count cannot be negative"},
      {{"sometimes", 0},
       "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or "
       "'unless-stopped'"},
  };
  for (const auto& tc : cases) {
    Status s = ValidateRestartPolicy(tc.policy);
    if (tc.want_error.empty()) {
      EXPECT_TRUE(s.ok()) << tc.policy.name << ": " << s.ToString();
    } else {
      EXPECT_EQ(s.code(), Code::kInvalidArgument) << tc.policy.name;
      EXPECT_EQ(s.message(), tc.want_error);
    }
  }
}

TEST(RestartBackoffTest, DelayDoublesFrom100msUpToAMinute) {
  RestartBackoff backoff;
  const RestartPolicy always{"always", 0};
  std::vector<int64_t> delays;
  for (int i = 0; i < 12; ++i) {
    auto d = backoff.NextDelay(always, 1, false, 50 * kMs, i);
    ASSERT_TRUE(d.has_value());
    delays.push_back(*d);
  }
  const std::vector<int64_t> want = {100 * kMs,  200 * kMs,   400 * kMs,   800 * kMs,   1600 * kMs,  3200 * kMs,
                                     6400 * kMs, 12800 * kMs, 25600 * kMs, 51200 * kMs, 60000 * kMs, 60000 * kMs};
  EXPECT_EQ(delays, want);
}

TEST(RestartBackoffTest, ARunOfTenSecondsResetsTheDelay) {
  RestartBackoff backoff;
  const RestartPolicy always{"always", 0};
  EXPECT_EQ(backoff.NextDelay(always, 0, false, kSecond, 0), 100 * kMs);
  EXPECT_EQ(backoff.NextDelay(always, 0, false, kSecond, 1), 200 * kMs);
  EXPECT_EQ(backoff.NextDelay(always, 0, false, 9 * kSecond, 2), 400 * kMs);
  EXPECT_EQ(backoff.NextDelay(always, 0, false, 10 * kSecond, 3), 100 * kMs);
  EXPECT_EQ(backoff.NextDelay(always, 0, false, kSecond, 4), 200 * kMs);
  backoff.Reset();
  EXPECT_EQ(backoff.NextDelay(always, 0, false, kSecond, 0), 100 * kMs);
}

TEST(RestartBackoffTest, PolicyDecides) {
  struct Case {
    RestartPolicy policy;
    int exit_code;
    bool manually_stopped;
    int restart_count;
    bool want_restart;
  };
  const std::vector<Case> cases = {
      {{"", 0}, 1, false, 0, false},
      {{"no", 0}, 1, false, 0, false},
      {{"always", 0}, 0, false, 0, true},
      {{"always", 0}, 0, true, 7, true},
      {{"unless-stopped", 0}, 0, false, 0, true},
      {{"unless-stopped", 0}, 0, true, 0, false},
      {{"on-failure", 0}, 0, false, 0, false},
      {{"on-failure", 0}, 3, false, 100, true},
      {{"on-failure", 2}, 3, false, 1, true},
      {{"on-failure", 2}, 3, false, 2, false},
      {{"on-failure", 2}, 3, true, 0, true},
  };
  for (const auto& tc : cases) {
    RestartBackoff backoff;
    EXPECT_EQ(backoff.NextDelay(tc.policy, tc.exit_code, tc.manually_stopped, kSecond, tc.restart_count).has_value(),
              tc.want_restart)
        << tc.policy.name << ":" << tc.policy.maximum_retry_count << " exit " << tc.exit_code << " stopped "
        << tc.manually_stopped << " count " << tc.restart_count;
  }
}

TEST(RestartBackoffTest, DaemonStartRestartsOnlyStartedContainersThePolicyRestarts) {
  EXPECT_TRUE(RestartsAtDaemonStart({"always", 0}, true, 0, true, 0));
  EXPECT_FALSE(RestartsAtDaemonStart({"always", 0}, false, 0, false, 0));  // never started
  EXPECT_TRUE(RestartsAtDaemonStart({"unless-stopped", 0}, true, 137, false, 0));
  EXPECT_FALSE(RestartsAtDaemonStart({"unless-stopped", 0}, true, 137, true, 0));
  EXPECT_TRUE(RestartsAtDaemonStart({"on-failure", 1}, true, 2, false, 0));
  EXPECT_FALSE(RestartsAtDaemonStart({"on-failure", 1}, true, 2, false, 1));
  EXPECT_FALSE(RestartsAtDaemonStart({"on-failure", 0}, true, 0, false, 0));
  EXPECT_FALSE(RestartsAtDaemonStart({"no", 0}, true, 1, false, 0));
}

TEST(RestartPolicyStorageTest, PolicyInitAndManualStopSurviveSerialisation) {
  StoredConfig s;
  s.config.restart_policy = {"on-failure", 4};
  s.config.init = true;
  s.manually_stopped = true;
  s.restart_count = 3;
  auto back = StoredConfigFromJson(StoredConfigToJson(s));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->config.restart_policy, (RestartPolicy{"on-failure", 4}));
  EXPECT_TRUE(back->config.init);
  EXPECT_TRUE(back->manually_stopped);
  EXPECT_EQ(back->restart_count, 3);
}

}  // namespace
}  // namespace berth::container
