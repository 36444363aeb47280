// The pure parts of the docker exec routes: request bodies and the inspect
// document (exec_fields.h).

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "api/exec_fields.h"

namespace berth::api {
namespace {

namespace json = boost::json;

TEST(ExecCreateBody, ReadsTheFieldsBerthRuns) {
  auto cfg = ParseExecCreateBody(
      R"({"Cmd":["sh","-c","exit 3"],"Env":["A=1"],"User":"1000:1000","WorkingDir":"/w","AttachStdout":true,)"
      R"("AttachStderr":false,"Privileged":true,"DetachKeys":"ctrl-x","AttachStdin":false,"Tty":false,)"
      R"("Detach":false,"Container":"abc","ConsoleSize":null})");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->cmd, (std::vector<std::string>{"sh", "-c", "exit 3"}));
  EXPECT_EQ(cfg->env, std::vector<std::string>{"A=1"});
  EXPECT_EQ(cfg->user, "1000:1000");
  EXPECT_EQ(cfg->working_dir, "/w");
  EXPECT_TRUE(cfg->attach_stdout);
  EXPECT_FALSE(cfg->attach_stderr);
  EXPECT_TRUE(cfg->privileged);
  EXPECT_EQ(cfg->detach_keys, "ctrl-x");
}

TEST(ExecCreateBody, ReadsTtyStdinAndConsoleSize) {
  auto cfg = ParseExecCreateBody(R"({"Cmd":["sh"],"Tty":true,"AttachStdin":true,"ConsoleSize":[24,80]})");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_TRUE(cfg->tty);
  EXPECT_TRUE(cfg->attach_stdin);
  EXPECT_EQ(cfg->console_rows, 24);
  EXPECT_EQ(cfg->console_cols, 80);
  for (const char* bad : {R"({"Cmd":["sh"],"ConsoleSize":[24]})", R"({"Cmd":["sh"],"ConsoleSize":[-1,80]})",
                          R"({"Cmd":["sh"],"ConsoleSize":"24x80"})"}) {
    auto refused = ParseExecCreateBody(bad);
    EXPECT_NE(refused.status().message().find("ConsoleSize"), std::string::npos) << bad;
  }
  auto keys = ParseExecCreateBody(R"({"Cmd":["sh"],"DetachKeys":"ctrl-1"})");
  EXPECT_EQ(keys.status().message(), "Invalid escape keys (ctrl-1) provided");
  auto with_stdin = ParseExecCreateBody(R"({"Cmd":["sh"],"DetachKeys":"ctrl-x,x","AttachStdin":true,"Tty":true})");
  ASSERT_TRUE(with_stdin.ok()) << with_stdin.status().message();
  EXPECT_EQ(with_stdin->detach_keys, "ctrl-x,x");
}

TEST(ExecCreateBody, RefusesAMissingCommandAndWrongTypes) {
  for (const char* body : {"", "{}", R"({"Cmd":[]})", R"({"Cmd":null})"}) {
    auto cfg = ParseExecCreateBody(body);
    EXPECT_EQ(cfg.status().message(), "No exec command specified") << body;
  }
  for (const char* body : {R"({"Cmd":"ls"})", R"({"Cmd":["ls",1]})", R"({"Cmd":["ls"],"Env":"A=1"})",
                           R"({"Cmd":["ls"],"User":0})", R"({"Cmd":["ls"],"Privileged":"yes"})", "[1]", "{"}) {
    EXPECT_EQ(ParseExecCreateBody(body).status().code(), Code::kInvalidArgument) << body;
  }
}

TEST(ExecStartBody, ReadsDetachAndConsoleSize) {
  EXPECT_TRUE(ParseExecStartBody(R"({"Detach":true,"Tty":false})")->detach);
  EXPECT_FALSE(ParseExecStartBody("")->detach);
  EXPECT_FALSE(ParseExecStartBody(R"({"Detach":false})")->detach);
  auto tty = ParseExecStartBody(R"({"Detach":false,"Tty":true,"ConsoleSize":[30,100]})");
  ASSERT_TRUE(tty.ok()) << tty.status().message();
  EXPECT_TRUE(tty->tty);
  EXPECT_FALSE(ParseExecStartBody(R"({"Detach":false})")->tty);
  EXPECT_EQ(tty->console_rows, 30);
  EXPECT_EQ(tty->console_cols, 100);
  auto other = ParseExecStartBody(R"({"Detach":false,"Nope":1})");
  EXPECT_NE(other.status().message().find("Nope"), std::string::npos) << other.status().message();
}

TEST(ExecInspect, ShowsDockersShape) {
  ExecInfo info;
  info.id = "e1";
  info.container_id = "c1";
  info.config.cmd = {"sh", "-c", "exit 3"};
  info.config.user = "1000";
  info.config.attach_stdout = true;
  info.config.detach_keys = "ctrl-x";
  json::object running = ExecInspectValue(info);
  EXPECT_TRUE(running.at("ExitCode").is_null());
  EXPECT_EQ(running.at("Pid").as_int64(), 0);
  info.running = false;
  info.pid = 42;
  info.exit_code = 3;
  json::object ended = ExecInspectValue(info);
  EXPECT_EQ(json::serialize(ended),
            R"({"CanRemove":false,"ContainerID":"c1","DetachKeys":"ctrl-x","ExitCode":3,"ID":"e1",)"
            R"("OpenStderr":false,"OpenStdin":false,"OpenStdout":true,"ProcessConfig":{"tty":false,)"
            R"("entrypoint":"sh","arguments":["-c","exit 3"],"privileged":false,"user":"1000"},)"
            R"("Running":false,"Pid":42})");
}

}  // namespace
}  // namespace berth::api
