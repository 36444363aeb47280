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

TEST(ExecCreateBody, RefusesTtyAndStdinNamingThem) {
  auto tty = ParseExecCreateBody(R"({"Cmd":["true"],"Tty":true})");
  EXPECT_EQ(tty.status().code(), Code::kInvalidArgument);
  EXPECT_NE(tty.status().message().find("Tty"), std::string::npos) << tty.status().message();
  auto stdin_ = ParseExecCreateBody(R"({"Cmd":["true"],"AttachStdin":true})");
  EXPECT_EQ(stdin_.status().code(), Code::kInvalidArgument);
  EXPECT_NE(stdin_.status().message().find("AttachStdin"), std::string::npos) << stdin_.status().message();
  auto size = ParseExecCreateBody(R"({"Cmd":["true"],"ConsoleSize":[24,80]})");
  EXPECT_NE(size.status().message().find("ConsoleSize"), std::string::npos) << size.status().message();
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

TEST(ExecStartBody, ReadsDetachAndRefusesTty) {
  EXPECT_EQ(*ParseExecStartBody(R"({"Detach":true,"Tty":false})"), true);
  EXPECT_EQ(*ParseExecStartBody(""), false);
  EXPECT_EQ(*ParseExecStartBody(R"({"Detach":false})"), false);
  auto tty = ParseExecStartBody(R"({"Detach":false,"Tty":true})");
  EXPECT_NE(tty.status().message().find("Tty"), std::string::npos) << tty.status().message();
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
