// Docker's checks of resource settings, the update merge, the cgroup limits
// and spec fields they become, and their JSON.
#include "berth/container_resources.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace berth {
namespace {

namespace json = boost::json;

HostResources TwoCpuHost() {
  HostResources h;
  h.num_cpus = 2;
  h.cpus = "0-1";
  h.mems = "0";
  return h;
}

Status Check(ContainerResources r, bool update = false, const std::string& network_mode = "") {
  std::vector<std::string> warnings;
  return ValidateResources(&r, TwoCpuHost(), update, network_mode, &warnings);
}

TEST(ValidateResourcesTest, DockersTexts) {
  struct Case {
    const char* name;
    ContainerResources r;
    const char* want;
  };
  auto with = [](auto fn) {
    ContainerResources r;
    fn(r);
    return r;
  };
  const std::vector<Case> cases = {
      {"memory below 6 MiB", with([](auto& r) { r.memory = 4 << 20; }), "Minimum memory limit allowed is 6MB"},
      {"swap below memory", with([](auto& r) { r.memory = 64 << 20, r.memory_swap = 32 << 20; }),
       "Minimum memoryswap limit should be larger than memory limit, see usage"},
      {"swap without memory", with([](auto& r) { r.memory_swap = 64 << 20; }),
       "You should always set the Memory limit when using Memoryswap limit, see usage"},
      {"swappiness", with([](auto& r) { r.memory_swappiness = 101; }),
       "Invalid value: 101, valid memory swappiness range is 0-100"},
      {"reservation", with([](auto& r) { r.memory_reservation = 1 << 20; }),
       "Minimum memory reservation allowed is 6MB"},
      {"reservation above limit", with([](auto& r) { r.memory = 16 << 20, r.memory_reservation = 32 << 20; }),
       "Minimum memory limit can not be less than memory reservation limit, see usage"},
      {"nano and period", with([](auto& r) { r.nano_cpus = 500000000, r.cpu_period = 100000; }),
       "Conflicting options: Nano CPUs and CPU Period cannot both be set"},
      {"nano and quota", with([](auto& r) { r.nano_cpus = 500000000, r.cpu_quota = 50000; }),
       "Conflicting options: Nano CPUs and CPU Quota cannot both be set"},
      {"more CPUs than the host", with([](auto& r) { r.nano_cpus = 3000000000; }),
       "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available"},
      {"negative CPUs", with([](auto& r) { r.nano_cpus = -1; }),
       "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available"},
      {"period", with([](auto& r) { r.cpu_period = 999; }),
       "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)"},
      {"quota", with([](auto& r) { r.cpu_quota = 999; }), "CPU cfs quota can not be less than 1ms (i.e. 1000)"},
      {"cpuset syntax", with([](auto& r) { r.cpuset_cpus = "0-x"; }),
       "Invalid value 0-x for cpuset cpus: invalid format: 0-x"},
      {"cpuset absent", with([](auto& r) { r.cpuset_cpus = "0,5"; }),
       "Requested CPUs are not available - requested 0,5, available: 0-1"},
      {"mems absent", with([](auto& r) { r.cpuset_mems = "1"; }),
       "Requested memory nodes are not available - requested 1, available: 0"},
      {"shm", with([](auto& r) { r.shm_size = -1; }), "SHM size can not be less than 0"},
      {"oom score", with([](auto& r) { r.oom_score_adj = 1001; }),
       "Invalid value 1001, range for oom score adj is [-1000, 1000]"},
      {"ulimit name", with([](auto& r) {
         r.ulimits = {{"nofiles", 1, 1}};
       }),
       "invalid ulimit type: nofiles"},
      {"ulimit order", with([](auto& r) {
         r.ulimits = {{"nofile", 200, 100}};
       }),
       "ulimit soft limit must be less than or equal to hard limit: 200 > 100"},
      {"sysctl outside a namespace", with([](auto& r) {
         r.sysctls = {{"kernel.panic", "1"}};
       }),
       "sysctl \"kernel.panic\" is not in a separate kernel namespace"},
      {"device missing", with([](auto& r) {
         r.devices = {{"/dev/berth-nosuch", "", ""}};
       }),
       "error gathering device information while adding custom device \"/dev/berth-nosuch\": no such file or "
       "directory"},
      {"not a device", with([](auto& r) {
         r.devices = {{"/etc/hostname", "", ""}};
       }),
       "error gathering device information while adding custom device \"/etc/hostname\": not a device node"},
      {"device mode", with([](auto& r) {
         r.devices = {{"/dev/null", "/dev/null", "rwx"}};
       }),
       "bad mode specified: rwx"},
  };
  for (const Case& c : cases) {
    Status s = Check(c.r);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << c.name;
    EXPECT_EQ(s.message(), c.want) << c.name;
  }
  ContainerResources net;
  net.sysctls = {{"net.ipv4.ip_forward", "1"}};
  EXPECT_TRUE(Check(net).ok());
  EXPECT_EQ(Check(net, false, "host").message(),
            "sysctl \"net.ipv4.ip_forward\" is not allowed in the hosts network namespace");
  // An update checks its own values only: swap alone is fine there.
  ContainerResources swap_only;
  swap_only.memory_swap = 64 << 20;
  EXPECT_TRUE(Check(swap_only, true).ok());
}

TEST(ValidateResourcesTest, DockersDefaultsAndWarnings) {
  ContainerResources r;
  r.memory = 32 << 20;
  r.memory_swappiness = -1;  // the CLI's "not set"
  r.pids_limit = 0;          // the CLI's "not set"
  r.ulimits = {{"nofile", 100, 100}};
  r.sysctls = {{"kernel.shmmax", "1000000"}, {"fs.mqueue.msg_max", "20"}};
  r.devices = {{"/dev/null", "", ""}};
  std::vector<std::string> warnings;
  ASSERT_TRUE(ValidateResources(&r, TwoCpuHost(), false, "", &warnings).ok());
  EXPECT_EQ(r.memory_swap, 64 << 20);  // twice the memory
  EXPECT_FALSE(r.memory_swappiness.has_value());
  EXPECT_FALSE(r.pids_limit.has_value());
  EXPECT_EQ(r.shm_size, 64 << 20);
  EXPECT_EQ(r.oom_kill_disable, false);
  EXPECT_EQ(r.devices, (std::vector<DeviceMapping>{{"/dev/null", "/dev/null", "rwm"}}));
  EXPECT_TRUE(warnings.empty());

  // What the kernel lacks is discarded with Docker's warning.
  HostResources bare = TwoCpuHost();
  bare.blkio_weight = false;
  bare.swap_limit = false;
  ContainerResources b;
  b.memory = 32 << 20;
  b.blkio_weight = 300;
  ASSERT_TRUE(ValidateResources(&b, bare, false, "", &warnings).ok());
  EXPECT_EQ(b.blkio_weight, 0);
  EXPECT_EQ(b.memory_swap, -1);
  EXPECT_EQ(warnings, (std::vector<std::string>{
                          "Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory "
                          "limited without swap.",
                          "Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight "
                          "discarded."}));
  HostResources weighted = TwoCpuHost();
  weighted.blkio_weight = true;
  ContainerResources w;
  w.blkio_weight = 5;
  EXPECT_EQ(ValidateResources(&w, weighted, false, "", &warnings).message(),
            "Range of blkio weight is from 10 to 1000");
}

TEST(MergeResourceUpdateTest, DockersRules) {
  ContainerResources current;
  current.memory = 32 << 20;
  current.memory_swap = 64 << 20;
  current.nano_cpus = 500000000;
  ContainerResources u;
  u.memory = 48 << 20;
  u.pids_limit = 20;
  ASSERT_TRUE(MergeResourceUpdate(u, &current).ok());
  EXPECT_EQ(current.memory, 48 << 20);
  EXPECT_EQ(current.memory_swap, 64 << 20);
  EXPECT_EQ(current.pids_limit, 20);
  EXPECT_EQ(current.nano_cpus, 500000000);

  ContainerResources too_big;
  too_big.memory = 128 << 20;
  Status s = MergeResourceUpdate(too_big, &current);
  EXPECT_EQ(s.code(), Code::kConflict);
  EXPECT_EQ(s.message(),
            "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time");
  EXPECT_EQ(current.memory, 48 << 20);  // unchanged
  too_big.memory_swap = 256 << 20;
  ASSERT_TRUE(MergeResourceUpdate(too_big, &current).ok());
  EXPECT_EQ(current.memory_swap, 256 << 20);

  ContainerResources period;
  period.cpu_period = 50000;
  EXPECT_EQ(MergeResourceUpdate(period, &current).message(),
            "Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set");
  ContainerResources with_quota;
  with_quota.cpu_quota = 50000;
  ContainerResources nano;
  nano.nano_cpus = 1000000000;
  EXPECT_EQ(MergeResourceUpdate(nano, &with_quota).message(),
            "Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set");
}

TEST(LinuxLimitsTest, AsDockersDaemonFillsThemIn) {
  ContainerResources r;
  r.memory = 32 << 20;
  r.memory_swap = 64 << 20;
  r.memory_reservation = 16 << 20;
  r.nano_cpus = 500000000;
  r.cpu_shares = 512;
  r.cpuset_cpus = "0";
  r.pids_limit = 10;
  r.oom_kill_disable = true;
  LinuxResourceLimits l = LinuxLimitsOf(r);
  EXPECT_EQ(json::parse(LinuxResourcesJson(l)),
            json::parse(R"({"memory":{"limit":33554432,"reservation":16777216,"swap":67108864,
              "disableOOMKiller":true},"cpu":{"shares":512,"quota":50000,"period":100000,"cpus":"0"},
              "pids":{"limit":10}})"));
  ContainerResources explicit_cfs;
  explicit_cfs.cpu_period = 50000;
  explicit_cfs.cpu_quota = 25000;
  explicit_cfs.pids_limit = 0;  // an update's "unlimited"
  EXPECT_EQ(json::parse(LinuxResourcesJson(LinuxLimitsOf(explicit_cfs))),
            json::parse(R"({"cpu":{"quota":25000,"period":50000},"pids":{"limit":-1}})"));
  EXPECT_EQ(LinuxResourcesJson(LinuxLimitsOf(ContainerResources{})), "{}");
}

TEST(ApplyResourcesToSpecTest, RlimitsShmSysctlsDevices) {
  ContainerResources r;
  r.ulimits = {{"nofile", 100, 200}, {"core", -1, -1}};
  r.shm_size = 8 << 20;
  r.sysctls = {{"kernel.shmmax", "1"}};
  r.oom_score_adj = 500;
  r.devices = {{"/dev/null", "/dev/mynull", "rw"}};
  ProcessSpec p;
  ASSERT_TRUE(ApplyResourcesToSpec(r, &p).ok());
  EXPECT_EQ(p.rlimits, (std::vector<Rlimit>{{"RLIMIT_NOFILE", 100, 200}, {"RLIMIT_CORE", UINT64_MAX, UINT64_MAX}}));
  EXPECT_EQ(p.shm_size_bytes, 8 << 20);
  EXPECT_EQ(p.sysctls, r.sysctls);
  EXPECT_EQ(p.oom_score_adj, 500);
  ASSERT_EQ(p.devices.size(), 1u);
  EXPECT_EQ(p.devices[0].path, "/dev/mynull");
  EXPECT_EQ(p.devices[0].type, "c");
  EXPECT_EQ(p.devices[0].major, 1);
  EXPECT_EQ(p.devices[0].minor, 3);
  EXPECT_EQ(p.devices[0].access, "rw");
  ProcessSpec defaults;
  ASSERT_TRUE(ApplyResourcesToSpec(ContainerResources{}, &defaults).ok());
  EXPECT_EQ(defaults.shm_size_bytes, 64 << 20);
  EXPECT_FALSE(defaults.oom_score_adj.has_value());
}

TEST(ResourceFieldsJsonTest, RoundTripsAndShowsDockersDefaults) {
  ContainerResources r;
  r.memory = 32 << 20;
  r.memory_swap = 64 << 20;
  r.memory_swappiness = 0;
  r.pids_limit = 10;
  r.oom_kill_disable = false;
  r.shm_size = 8 << 20;
  r.ulimits = {{"nofile", 100, 200}};
  r.sysctls = {{"net.core.somaxconn", "1024"}};
  r.devices = {{"/dev/fuse", "/dev/fuse", "rwm"}};
  json::object o = ResourceFieldsJson(r);
  auto back = ParseResourceFields(o);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, r);
  json::object unset = ResourceFieldsJson(ContainerResources{});
  EXPECT_TRUE(unset.at("PidsLimit").is_null());
  EXPECT_TRUE(unset.at("MemorySwappiness").is_null());
  EXPECT_EQ(unset.at("ShmSize").as_int64(), 64 << 20);
  EXPECT_FALSE(unset.contains("Sysctls"));
}

}  // namespace
TEST(DeviceCgroupRuleTest, ReadsDockersFormatAndRefusesAnythingElse) {
  auto r = ParseDeviceCgroupRule("c 7:128 rwm");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, (DeviceCgroupRule{"c", 7, 128, "rwm"}));
  r = ParseDeviceCgroupRule("a *:* r");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (DeviceCgroupRule{"a", -1, -1, "r"}));
  r = ParseDeviceCgroupRule("b 8:* mw");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (DeviceCgroupRule{"b", 8, -1, "mw"}));
  for (const char* bad : {"", "c 7:128", "x 7:128 rwm", "c 7 rwm", "c 7:128 rwx", "c 7:128 rwmr", "c  7:128 rwm",
                          "c -1:2 r", "c 7:128 rwm ", "c 7:1a r", "c :1 r", "c 1: r"}) {
    auto e = ParseDeviceCgroupRule(bad);
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_EQ(e.status().message(), "invalid device cgroup rule format: '" + std::string(bad) + "'");
  }
}

TEST(DeviceCgroupRuleTest, RulesReachTheSpecAfterTheDefaultsAndShowInInspect) {
  auto parsed =
      ParseResourceFields(boost::json::parse(R"({"DeviceCgroupRules":["c 7:128 rwm","b *:* r"]})").as_object());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->device_cgroup_rules, (std::vector<std::string>{"c 7:128 rwm", "b *:* r"}));
  ProcessSpec p;
  ASSERT_TRUE(ApplyResourcesToSpec(*parsed, &p).ok());
  EXPECT_EQ(p.device_rules, (std::vector<DeviceCgroupRule>{{"c", 7, 128, "rwm"}, {"b", -1, -1, "r"}}));
  EXPECT_EQ(boost::json::serialize(ResourceFieldsJson(*parsed).at("DeviceCgroupRules")),
            R"(["c 7:128 rwm","b *:* r"])");
  EXPECT_TRUE(ResourceFieldsJson(ContainerResources{}).at("DeviceCgroupRules").is_null());
}

}  // namespace berth
