// Request field names matched case-insensitively (field_names.h), on their
// own and through the body parsers that use them.

#include "api/field_names.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "api/container_render.h"
#include "api/exec_fields.h"

namespace berth::api {
namespace {

namespace json = boost::json;

json::object Matched(std::string_view text, const JsonStruct& schema) {
  json::object o = json::parse(text).as_object();
  MatchFieldNames(&o, schema);
  return o;
}

TEST(MatchFieldNames, TakesAnotherCaseOfAFieldAsThatField) {
  json::object o = Matched(R"({"detachKeys":"ctrl-x","CMD":["sh"],"tty":true})", kExecCreateRequest);
  EXPECT_EQ(json::serialize(o), R"({"DetachKeys":"ctrl-x","Cmd":["sh"],"Tty":true})");
}

TEST(MatchFieldNames, KeepsUnknownFieldsAsTheyAre) {
  json::object o = Matched(R"({"detachkeyz":"x","Bogus":1,"Cmd":["sh"]})", kExecCreateRequest);
  EXPECT_EQ(json::serialize(o), R"({"detachkeyz":"x","Bogus":1,"Cmd":["sh"]})");
}

TEST(MatchFieldNames, ExactSpellingWinsOverAnotherCase) {
  EXPECT_EQ(json::serialize(Matched(R"({"detachkeys":"a","DetachKeys":"b"})", kExecCreateRequest)),
            R"({"DetachKeys":"b"})");
  EXPECT_EQ(json::serialize(Matched(R"({"DetachKeys":"b","detachkeys":"a"})", kExecCreateRequest)),
            R"({"DetachKeys":"b"})");
  // Without the exact spelling, the last of the others wins (Go's last-wins).
  EXPECT_EQ(json::serialize(Matched(R"({"detachkeys":"a","DETACHKEYS":"c"})", kExecCreateRequest)),
            R"({"DetachKeys":"c"})");
}

TEST(MatchFieldNames, ReachesNestedStructsButNotMapKeys) {
  json::object o = Matched(
      R"({"image":"busybox","labels":{"lower":"v"},"hostconfig":{"restartpolicy":{"name":"always"},)"
      R"("portbindings":{"80/tcp":[{"hostip":"","hostport":"8080"}]},"mounts":[{"type":"tmpfs","target":"/t"}],)"
      R"("tmpfs":{"/run":"size=1m"}},"networkingconfig":{"endpointsconfig":{"mynet":{"aliases":["a"],)"
      R"("ipamconfig":{"ipv4address":"10.0.0.2"}}}},"healthcheck":{"test":["NONE"]}})",
      kContainerCreateRequest);
  EXPECT_EQ(json::serialize(o),
            R"({"Image":"busybox","Labels":{"lower":"v"},"HostConfig":{"RestartPolicy":{"Name":"always"},)"
            R"("PortBindings":{"80/tcp":[{"HostIp":"","HostPort":"8080"}]},"Mounts":[{"Type":"tmpfs","Target":"/t"}],)"
            R"("Tmpfs":{"/run":"size=1m"}},"NetworkingConfig":{"EndpointsConfig":{"mynet":{"Aliases":["a"],)"
            R"("IPAMConfig":{"IPv4Address":"10.0.0.2"}}}},"Healthcheck":{"Test":["NONE"]}})");
}

TEST(MatchFieldNames, OtherRequests) {
  EXPECT_EQ(json::serialize(Matched(R"({"detach":true,"tty":false})", kExecStartRequest)),
            R"({"Detach":true,"Tty":false})");
  EXPECT_EQ(json::serialize(Matched(R"({"restartPolicy":{"name":"no"},"memory":5})", kContainerUpdateRequest)),
            R"({"RestartPolicy":{"Name":"no"},"Memory":5})");
  EXPECT_EQ(
      json::serialize(Matched(R"({"name":"n","ipam":{"config":[{"subnet":"10.1.0.0/24"}]}})", kNetworkCreateRequest)),
      R"({"Name":"n","IPAM":{"Config":[{"Subnet":"10.1.0.0/24"}]}})");
  EXPECT_EQ(json::serialize(Matched(R"({"name":"v","driverOpts":{"o":"x"}})", kVolumeCreateRequest)),
            R"({"Name":"v","DriverOpts":{"o":"x"}})");
}

TEST(ExecCreateBody, TakesDetachKeysInAnyCase) {
  auto cfg = ParseExecCreateBody(R"({"cmd":["sh"],"detachKeys":"ctrl-x","attachstdout":true})");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->cmd, std::vector<std::string>{"sh"});
  EXPECT_EQ(cfg->detach_keys, "ctrl-x");
  EXPECT_TRUE(cfg->attach_stdout);
  // A bad value under another spelling is refused as the field's.
  auto bad = ParseExecCreateBody(R"({"Cmd":["sh"],"detachKeys":"ctrl-"})");
  EXPECT_FALSE(bad.ok());
}

TEST(ExecStartBody, TakesDetachInAnyCase) {
  auto opts = ParseExecStartBody(R"({"detach":true})");
  ASSERT_TRUE(opts.ok()) << opts.status().message();
  EXPECT_TRUE(opts->detach);
}

TEST(CreateBody, TakesFieldsInAnyCaseAndRefusesByDockersName) {
  auto c = ParseCreateBody(R"({"image":"busybox","cmd":["true"],"hostConfig":{"autoremove":true}})");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->image, "busybox");
  EXPECT_EQ(c->cmd, std::vector<std::string>{"true"});
  EXPECT_TRUE(c->auto_remove);
  // A Docker field berth does not implement is refused under Docker's name.
  auto refused = ParseCreateBody(R"({"Image":"busybox","hostconfig":{"volumedriver":"nfs"}})");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(), "berth does not support HostConfig.VolumeDriver (--volume-driver)");
}

}  // namespace
}  // namespace berth::api
