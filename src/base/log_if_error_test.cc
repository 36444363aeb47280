// LogIfError: a failed status becomes one warning naming what was being
// done; an OK status logs nothing.

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <vector>

#include "berth/log.h"

namespace berth {
namespace {

class LogIfErrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    previous_ = spdlog::default_logger();
    sink_ = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(16);
    auto logger = std::make_shared<spdlog::logger>("log_if_error_test", sink_);
    logger->set_level(spdlog::level::trace);
    sink_->set_pattern("%l %v");
    spdlog::set_default_logger(logger);
  }
  void TearDown() override { spdlog::set_default_logger(previous_); }
  std::vector<std::string> Lines() { return sink_->last_formatted(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
};

TEST_F(LogIfErrorTest, FailureIsOneWarningWithTheContext) {
  LogIfError(Status(Code::kUnavailable, "disk full"), "persist container abc");
  std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("warning persist container abc: "), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("disk full"), std::string::npos) << lines[0];
}

TEST_F(LogIfErrorTest, OkLogsNothing) {
  LogIfError(OkStatus(), "persist container abc");
  EXPECT_TRUE(Lines().empty());
}

}  // namespace
}  // namespace berth
