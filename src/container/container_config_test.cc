// Pure configuration logic (no runc needed): Docker's merge of container
// and image config, names, signals, commit changes, serialisation.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "container/internal.h"

namespace berth::container {
namespace {

using V = std::vector<std::string>;

TEST(MergeTest, DockerRules) {
  ImageProcess img;
  img.cmd = {"img-cmd"};
  img.entrypoint = {"img-ep"};
  img.env = {"PATH=/bin", "A=image"};
  img.working_dir = "/img";
  img.user = "nobody";
  img.labels = {{"l", "image"}, {"only", "image"}};
  struct Case {
    const char* name;
    std::optional<V> cmd, entrypoint;
    V want_args;
  };
  std::vector<Case> cases = {
      {"image defaults", std::nullopt, std::nullopt, {"img-ep", "img-cmd"}},
      {"cmd replaces image cmd", V{"c"}, std::nullopt, {"img-ep", "c"}},
      {"empty cmd takes image cmd", V{}, std::nullopt, {"img-ep", "img-cmd"}},
      {"entrypoint drops image cmd", std::nullopt, V{"e"}, {"e"}},
      {"entrypoint and cmd", V{"c"}, V{"e"}, {"e", "c"}},
      {"empty entrypoint resets it", std::nullopt, V{""}, {"img-cmd"}},
      {"empty entrypoint list", V{"c"}, V{}, {"c"}},
  };
  for (const auto& tc : cases) {
    ContainerConfig c;
    c.cmd = tc.cmd;
    c.entrypoint = tc.entrypoint;
    EXPECT_EQ(Merge(c, img).args, tc.want_args) << tc.name;
  }
  ContainerConfig c;
  c.env = {"A=container", "B=new"};
  c.labels = {{"l", "container"}};
  c.working_dir = "/work";
  Effective e = Merge(c, img);
  EXPECT_EQ(e.env, (V{"PATH=/bin", "A=container", "B=new"}));
  EXPECT_EQ(e.working_dir, "/work");
  EXPECT_EQ(e.user, "nobody");
  EXPECT_EQ(e.labels, (std::map<std::string, std::string>{{"l", "container"}, {"only", "image"}}));
  EXPECT_TRUE(Merge(ContainerConfig{}, ImageProcess{}).args.empty());
}

TEST(MergeTest, OverrideEnvReplacesFirstByKeyElseAppends) {
  struct Case {
    const char* name;
    V env;
    std::string kv;
    V want;
  };
  std::vector<Case> cases = {
      {"append to empty", {}, "A=1", {"A=1"}},
      {"replace by key", {"A=1", "B=2"}, "B=3", {"A=1", "B=3"}},
      {"key is a prefix only", {"AB=1"}, "A=2", {"AB=1", "A=2"}},
      {"first duplicate only", {"A=1", "A=2"}, "A=3", {"A=3", "A=2"}},
      {"entry without =", {"A"}, "A=1", {"A=1"}},
      {"override without =", {"A=1"}, "A", {"A"}},
      {"empty value", {"A=1"}, "A=", {"A="}},
  };
  for (const auto& tc : cases) {
    V env = tc.env;
    OverrideEnv(&env, tc.kv);
    EXPECT_EQ(env, tc.want) << tc.name;
  }
}

TEST(NamesTest, ValidationAndGeneration) {
  for (const char* ok : {"ab", "/ab", "a.b-c_d", "0x", "Z9"}) EXPECT_TRUE(ValidContainerName(ok)) << ok;
  for (const char* bad : {"", "a", "/a", "-ab", ".ab", "a b", "a/b", "a:b", "ä"}) {
    EXPECT_FALSE(ValidContainerName(bad)) << bad;
  }
  for (int i = 0; i < 20; ++i) {
    std::string n = GenerateName();
    EXPECT_TRUE(ValidContainerName(n)) << n;
    EXPECT_NE(n.find('_'), std::string::npos) << n;
  }
  std::string a = RandomId(), b = RandomId();
  EXPECT_TRUE(IsSha256Hex(a)) << a;
  EXPECT_NE(a, b);
}

TEST(SignalTest, Parse) {
  struct Case {
    const char* in;
    int want;  // 0: error
  };
  for (const Case& tc : std::vector<Case>{{"", 9},
                                          {"KILL", 9},
                                          {"SIGKILL", 9},
                                          {"sigterm", 15},
                                          {"TERM", 15},
                                          {"HUP", 1},
                                          {"USR1", 10},
                                          {"9", 9},
                                          {"15", 15},
                                          {"0", 0},
                                          {"65", 0},
                                          {"NOPE", 0},
                                          {"SIG", 0},
                                          {"-1", 0}}) {
    auto r = ParseSignal(tc.in);
    if (tc.want == 0) {
      EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << tc.in;
      EXPECT_EQ(r.status().message(), std::string("Invalid signal: ") + tc.in);
    } else {
      ASSERT_TRUE(r.ok()) << tc.in;
      EXPECT_EQ(*r, tc.want) << tc.in;
    }
  }
}

TEST(ChangesTest, Apply) {
  struct Case {
    std::string change;
    std::string key;
    std::string want;  // serialised value of key
  };
  std::vector<Case> cases = {
      {"CMD [\"a\", \"b\"]", "Cmd", R"(["a","b"])"},
      {"CMD echo hi", "Cmd", R"(["/bin/sh","-c","echo hi"])"},
      {"cmd echo lower", "Cmd", R"(["/bin/sh","-c","echo lower"])"},
      {"ENTRYPOINT [\"/e\"]", "Entrypoint", R"(["/e"])"},
      {"ENV A=1 B=\"two words\"", "Env", R"(["PATH=/bin","A=1","B=two words"])"},
      {"ENV PATH=/usr/bin", "Env", R"(["PATH=/usr/bin"])"},
      {"ENV K some value", "Env", R"(["PATH=/bin","K=some value"])"},
      {"LABEL a=b c=\"d e\"", "Labels", R"({"old":"x","a":"b","c":"d e"})"},
      {"USER 1000:1000", "User", R"("1000:1000")"},
      {"WORKDIR /srv", "WorkingDir", R"("/srv")"},
      {"EXPOSE 80 53/udp", "ExposedPorts", R"({"80/tcp":{},"53/udp":{}})"},
      {"VOLUME [\"/data\"]", "Volumes", R"({"/data":{}})"},
      {"VOLUME /a /b", "Volumes", R"({"/a":{},"/b":{}})"},
      {"STOPSIGNAL SIGINT", "StopSignal", R"("SIGINT")"},
  };
  const std::string base = R"({"Env":["PATH=/bin"],"Labels":{"old":"x"}})";
  for (const auto& tc : cases) {
    auto r = ApplyChanges(base, {tc.change});
    ASSERT_TRUE(r.ok()) << tc.change << ": " << r.status().ToString();
    auto v = boost::json::parse(*r);
    ASSERT_TRUE(v.as_object().contains(tc.key)) << tc.change << " -> " << *r;
    EXPECT_EQ(boost::json::serialize(v.as_object().at(tc.key)), tc.want) << tc.change;
  }
  auto bad = ApplyChanges(base, {"RUN rm -rf /"});
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "RUN is not a valid change command");
  // Valid for Docker, not kept by berth: refused as such, not dropped.
  auto health = ApplyChanges(base, {"HEALTHCHECK CMD true"});
  EXPECT_EQ(health.status().code(), Code::kUnimplemented);
  EXPECT_EQ(health.status().message(), "HEALTHCHECK changes are not supported by berth");
  EXPECT_EQ(ApplyChanges(base, {"onbuild RUN x"}).status().message(), "ONBUILD changes are not supported by berth");
  auto from_null = ApplyChanges("null", {"USER x"});
  ASSERT_TRUE(from_null.ok()) << from_null.status().ToString();
  EXPECT_EQ(*from_null, R"({"User":"x"})");
}

TEST(StoredConfigTest, RoundTrip) {
  StoredConfig s;
  s.config.image = "busybox";
  s.config.cmd = V{"a", "b"};
  s.config.env = {"A=1"};
  s.config.labels = {{"k", "v"}};
  s.config.auto_remove = true;
  s.config.network_mode = "host";
  s.config.image_mounts = {{"img:1", "/m", true}};
  s.config.platform = Platform{"linux", "arm64", "", "", {}};
  s.config.stop_timeout = 3;
  s.config.stop_signal = "SIGINT";
  s.config.security_opt = {"seccomp={}", "no-new-privileges"};
  s.config.seccomp_profile = "{}";
  s.config.no_new_privileges = true;
  s.config.cap_add = {"NET_ADMIN"};
  s.config.cap_drop = {"ALL"};
  s.config.privileged = true;
  s.error = "boom";
  s.restart_count = 2;
  auto back = StoredConfigFromJson(StoredConfigToJson(s));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->config.image, "busybox");
  EXPECT_EQ(back->config.cmd, s.config.cmd);
  EXPECT_FALSE(back->config.entrypoint.has_value());
  EXPECT_EQ(back->config.env, s.config.env);
  EXPECT_EQ(back->config.labels, s.config.labels);
  EXPECT_TRUE(back->config.auto_remove);
  EXPECT_EQ(back->config.network_mode, "host");
  ASSERT_EQ(back->config.image_mounts.size(), 1u);
  EXPECT_EQ(back->config.image_mounts[0].target, "/m");
  EXPECT_EQ(back->config.platform, s.config.platform);
  EXPECT_EQ(back->config.stop_timeout, 3);
  EXPECT_EQ(back->config.stop_signal, "SIGINT");
  EXPECT_EQ(back->config.security_opt, s.config.security_opt);
  EXPECT_EQ(back->config.seccomp_profile, "{}");
  EXPECT_TRUE(back->config.no_new_privileges);
  EXPECT_EQ(back->config.cap_add, s.config.cap_add);
  EXPECT_EQ(back->config.cap_drop, s.config.cap_drop);
  EXPECT_TRUE(back->config.privileged);
  EXPECT_EQ(back->error, "boom");
  EXPECT_EQ(back->restart_count, 2);
  EXPECT_EQ(StoredConfigFromJson("{").status().code(), Code::kInvalidArgument);
  // An older record kept only NoNewPrivileges: inspect still shows the option.
  auto old = StoredConfigFromJson(R"({"Image":"busybox","NoNewPrivileges":true})");
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->config.security_opt, std::vector<std::string>{"no-new-privileges"});
  EXPECT_FALSE(old->health.has_value());
}

TEST(StoredConfigTest, KeepsTheHealthState) {
  StoredConfig s;
  s.config.image = "busybox";
  s.health = HealthState{"unhealthy", 3, {}};
  s.health->log.push_back(HealthLogEntry{1'000'000'001, 1'000'500'000, 1, "no\n"});
  s.health->log.push_back(HealthLogEntry{2'000'000'000, 2'000'000'007, -1, "Health check exceeded timeout (1s)"});
  auto back = StoredConfigFromJson(StoredConfigToJson(s));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_TRUE(back->health.has_value());
  EXPECT_EQ(back->health->status, "unhealthy");
  EXPECT_EQ(back->health->failing_streak, 3);
  ASSERT_EQ(back->health->log.size(), 2u);
  EXPECT_EQ(back->health->log[0].start_unix_nanos, 1'000'000'001);
  EXPECT_EQ(back->health->log[0].end_unix_nanos, 1'000'500'000);
  EXPECT_EQ(back->health->log[0].exit_code, 1);
  EXPECT_EQ(back->health->log[0].output, "no\n");
  EXPECT_EQ(back->health->log[1].exit_code, -1);
  EXPECT_EQ(back->health->log[1].output, "Health check exceeded timeout (1s)");
  // No health check: no Health kept.
  s.health.reset();
  back = StoredConfigFromJson(StoredConfigToJson(s));
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->health.has_value());
}

TEST(ImageProcessTest, Parse) {
  auto p = ParseImageProcess(
      R"({"config":{"Cmd":["sh"],"entrypoint":["/e"],"Env":["A=1"],"WorkingDir":"/w","User":"u",)"
      R"("StopSignal":"SIGINT","Labels":{"a":"b"}}})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->cmd, V{"sh"});
  EXPECT_EQ(p->entrypoint, V{"/e"});  // Go matches keys case-insensitively
  EXPECT_EQ(p->env, V{"A=1"});
  EXPECT_EQ(p->working_dir, "/w");
  EXPECT_EQ(p->user, "u");
  EXPECT_EQ(p->stop_signal, "SIGINT");
  EXPECT_EQ(p->labels.at("a"), "b");
  auto empty = ParseImageProcess(R"({"rootfs":{}})");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->cmd.empty());
}

}  // namespace
}  // namespace berth::container
