// HostConfig's namespace modes, Isolation and Runtime: what create accepts,
// the defaults it stores and Docker's texts for what it refuses.
#include "api/namespace_fields.h"

#include <gtest/gtest.h>

namespace berth::api {
namespace {

namespace json = boost::json;

Result<ContainerConfig> Parse(const std::string& host_config, const std::string& hostname = "") {
  ContainerConfig c;
  c.hostname = hostname;
  json::object ho = json::parse(host_config).as_object();
  BERTH_RETURN_IF_ERROR(ParseNamespaceFields(&ho, &c));
  return c;
}

std::string Error(const std::string& host_config, const std::string& hostname = "") {
  auto c = Parse(host_config, hostname);
  EXPECT_FALSE(c.ok()) << host_config;
  EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
  return c.ok() ? "" : std::string(c.status().message());
}

TEST(NamespaceFieldsTest, DefaultsAreStoredAsDockerStoresThem) {
  auto c = Parse("{}");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->pid_mode, "");
  EXPECT_EQ(c->ipc_mode, "private");
  EXPECT_EQ(c->uts_mode, "");
  EXPECT_EQ(c->cgroupns_mode, "host");
  EXPECT_EQ(c->isolation, "");
  EXPECT_EQ(c->runtime, "runc");
  json::object hc;
  AddNamespaceHostConfig(*c, &hc);
  EXPECT_EQ(hc.at("IpcMode").as_string(), "private");
  EXPECT_EQ(hc.at("CgroupnsMode").as_string(), "host");
  EXPECT_EQ(hc.at("Runtime").as_string(), "runc");
}

TEST(NamespaceFieldsTest, ModesAreKeptAsGiven) {
  auto c = Parse(R"({"PidMode":"container:web","IpcMode":"shareable","UTSMode":"host",
                     "CgroupnsMode":"private","Isolation":"default","Runtime":"runc"})");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  json::object hc;
  AddNamespaceHostConfig(*c, &hc);
  EXPECT_EQ(hc.at("PidMode").as_string(), "container:web");
  EXPECT_EQ(hc.at("IpcMode").as_string(), "shareable");
  EXPECT_EQ(hc.at("UTSMode").as_string(), "host");
  EXPECT_EQ(hc.at("CgroupnsMode").as_string(), "private");
  EXPECT_EQ(hc.at("Isolation").as_string(), "default");
  for (const char* ipc : {"none", "host", "private", "container:x"}) {
    EXPECT_TRUE(Parse(std::string(R"({"IpcMode":")") + ipc + "\"}").ok()) << ipc;
  }
  EXPECT_TRUE(Parse(R"({"Isolation":"DEFAULT"})").ok());
}

TEST(NamespaceFieldsTest, RefusalsUseDockersTexts) {
  EXPECT_EQ(Error(R"({"PidMode":"container:"})"), "invalid PID mode: container:");
  EXPECT_EQ(Error(R"({"PidMode":"private"})"), "invalid PID mode: private");
  EXPECT_EQ(Error(R"({"IpcMode":"bogus"})"), "invalid IPC mode: bogus");
  EXPECT_EQ(Error(R"({"UTSMode":"private"})"), "invalid UTS mode: private");
  EXPECT_EQ(Error(R"({"CgroupnsMode":"shared"})"), "invalid cgroup namespace mode: shared");
  EXPECT_EQ(Error(R"({"Isolation":"hyperv"})"), "invalid isolation (hyperv): linux only supports 'default'");
  EXPECT_EQ(Error(R"({"Runtime":"crun"})"), "unknown or invalid runtime name: crun");
  EXPECT_EQ(Error(R"({"UTSMode":"host"})", "box"), "conflicting options: hostname and the UTS mode");
  EXPECT_EQ(Error(R"({"PidMode":5})"), "invalid JSON: PidMode must be a string");
}

TEST(NamespaceFieldsTest, TopLevelRuntimeIsRuncOrRefused) {
  EXPECT_TRUE(CheckConfigRuntime(json::parse(R"({"Image":"x"})").as_object()).ok());
  EXPECT_TRUE(CheckConfigRuntime(json::parse(R"({"Runtime":"runc"})").as_object()).ok());
  Status s = CheckConfigRuntime(json::parse(R"({"Runtime":"kata"})").as_object());
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "unknown or invalid runtime name: kata");
}

}  // namespace
}  // namespace berth::api
