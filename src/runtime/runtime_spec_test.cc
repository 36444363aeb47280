// WriteBundleConfig and ResolveUser.

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <map>
#include <set>
#include <string>

#include "berth/env.h"
#include "berth/runtime.h"
#include "gtest/gtest.h"
#include "testing/temp_dir.h"

namespace berth {
namespace {

namespace json = boost::json;

class SpecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.Create("berth-spec"));
    dir_ = tmp_.path();
  }
  void TearDown() override { tmp_.Remove(); }

  json::object WriteAndRead(const ProcessSpec& p, const std::string& bundle) {
    Status s = WriteBundleConfig(bundle, dir_ + "/rootfs", p);
    EXPECT_TRUE(s.ok()) << s.ToString();
    auto text = Env::Default()->ReadFileToString(bundle + "/config.json");
    EXPECT_TRUE(text.ok());
    return json::parse(text.ok() ? *text : "{}").as_object();
  }

  static std::set<std::string> Strings(const json::value& v) {
    std::set<std::string> out;
    for (const auto& s : v.as_array()) out.insert(std::string(s.as_string()));
    return out;
  }

  void WriteFile(const std::string& rel, const std::string& content) {
    std::string path = dir_ + "/" + rel;
    ASSERT_TRUE(Env::Default()->CreateDirs(path.substr(0, path.rfind('/'))).ok());
    ASSERT_TRUE(WriteFileAtomic(Env::Default(), path, content).ok());
  }

  testing::TempDir tmp_;
  std::string dir_;  // tmp_.path()
};

TEST_F(SpecTest, ProcessRootAndHostname) {
  ProcessSpec p;
  p.args = {"sh", "-c", "echo hi"};
  p.env = {"PATH=/bin", "FOO=bar"};
  p.cwd = "/work";
  p.uid = 1000;
  p.gid = 1001;
  p.additional_gids = {10, 50};
  p.read_only_rootfs = true;
  json::object c = WriteAndRead(p, dir_ + "/0123456789abcdef0123/bundle");

  const auto& proc = c.at("process").as_object();
  EXPECT_FALSE(proc.at("terminal").as_bool());
  EXPECT_EQ(json::serialize(proc.at("args")), R"(["sh","-c","echo hi"])");
  EXPECT_EQ(json::serialize(proc.at("env")), R"(["PATH=/bin","FOO=bar"])");
  EXPECT_EQ(proc.at("cwd").as_string(), "/work");
  EXPECT_EQ(json::serialize(proc.at("user")), R"({"uid":1000,"gid":1001,"additionalGids":[10,50]})");
  EXPECT_EQ(c.at("root").at("path").as_string(), dir_ + "/rootfs");
  EXPECT_TRUE(c.at("root").at("readonly").as_bool());
  // No ID given: the first 12 characters of the container directory's name.
  EXPECT_EQ(c.at("hostname").as_string(), "0123456789ab");

  p.hostname = "web";
  p.read_only_rootfs = false;
  c = WriteAndRead(p, dir_ + "/b2");
  EXPECT_EQ(c.at("hostname").as_string(), "web");
  EXPECT_FALSE(c.at("root").at("readonly").as_bool());
}

TEST_F(SpecTest, ResourceLimitsRlimitsSysctlsShmAndDevices) {
  ProcessSpec p;
  p.args = {"true"};
  json::object plain = WriteAndRead(p, dir_ + "/plain");
  // Defaults: no limits, Docker's 64 MiB /dev/shm, no rlimits or sysctls.
  const json::object& plain_res = plain.at("linux").at("resources").as_object();
  EXPECT_FALSE(plain_res.contains("memory"));
  EXPECT_FALSE(plain_res.contains("pids"));
  EXPECT_FALSE(plain.at("process").as_object().contains("rlimits"));
  EXPECT_FALSE(plain.at("process").as_object().contains("oomScoreAdj"));
  EXPECT_FALSE(plain.at("linux").as_object().contains("sysctl"));
  auto shm_options = [](const json::object& spec) {
    for (const auto& m : spec.at("mounts").as_array()) {
      if (m.at("destination") == "/dev/shm") return Strings(m.at("options"));
    }
    return std::set<std::string>();
  };
  EXPECT_TRUE(shm_options(plain).contains("size=67108864"));

  p.resources.memory_limit = 32 << 20;
  p.resources.memory_swap = 64 << 20;
  p.resources.cpu_quota = 50000;
  p.resources.cpu_period = 100000;
  p.resources.pids_limit = 10;
  p.rlimits = {{"RLIMIT_NOFILE", 100, 200}};
  p.oom_score_adj = 300;
  p.sysctls = {{"net.ipv4.ip_forward", "1"}};
  p.shm_size_bytes = 8 << 20;
  p.devices = {{"/dev/fuse", "c", 10, 229, 0666, 0, 0, "rwm"}};
  json::object c = WriteAndRead(p, dir_ + "/limited");
  const json::object& res = c.at("linux").at("resources").as_object();
  EXPECT_EQ(res.at("memory"), (json::object{{"limit", 32 << 20}, {"swap", 64 << 20}}));
  EXPECT_EQ(res.at("cpu"), (json::object{{"quota", 50000}, {"period", 100000}}));
  EXPECT_EQ(res.at("pids"), (json::object{{"limit", 10}}));
  EXPECT_EQ(c.at("process").at("rlimits"),
            (json::array{json::object{{"type", "RLIMIT_NOFILE"}, {"hard", 200}, {"soft", 100}}}));
  EXPECT_EQ(c.at("process").at("oomScoreAdj").to_number<int64_t>(), 300);
  EXPECT_EQ(c.at("linux").at("sysctl"), (json::object{{"net.ipv4.ip_forward", "1"}}));
  EXPECT_TRUE(shm_options(c).contains("size=8388608"));
  EXPECT_FALSE(shm_options(c).contains("size=67108864"));
  const json::array& devices = c.at("linux").at("devices").as_array();
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0].at("path"), "/dev/fuse");
  EXPECT_EQ(devices[0].at("major").to_number<int64_t>(), 10);
  EXPECT_EQ(devices[0].at("minor").to_number<int64_t>(), 229);
  // The device's allow rule follows Docker's defaults.
  const json::array& rules = res.at("devices").as_array();
  EXPECT_EQ(rules.back(), (json::object{{"allow", true}, {"type", "c"}, {"major", 10}, {"minor", 229}, {"access", "rwm"}}));
}

TEST_F(SpecTest, ProcessJsonIsTheBundlesProcessObject) {
  ProcessSpec p;
  p.args = {"sh", "-c", "exit 3"};
  p.env = {"PATH=/bin", "X=1"};
  p.cwd = "/etc";
  p.uid = 1000;
  p.gid = 1001;
  p.no_new_privileges = true;
  p.capabilities = {"CAP_KILL"};
  json::object bundle = WriteAndRead(p, dir_ + "/bundle");
  const std::string path = dir_ + "/exec.json";
  Status s = WriteProcessJson(path, p);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto text = Env::Default()->ReadFileToString(path);
  ASSERT_TRUE(text.ok());
  json::value process = json::parse(*text);
  EXPECT_EQ(process, bundle.at("process"));
  EXPECT_EQ(json::serialize(process.at("args")), R"(["sh","-c","exit 3"])");
  EXPECT_EQ(process.at("cwd").as_string(), "/etc");
  EXPECT_TRUE(process.at("noNewPrivileges").as_bool());
  EXPECT_EQ(json::serialize(process.at("capabilities").at("effective")), R"(["CAP_KILL"])");

  // A second write replaces the file.
  p.args = {"true"};
  ASSERT_TRUE(WriteProcessJson(path, p).ok());
  text = Env::Default()->ReadFileToString(path);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(json::serialize(json::parse(*text).at("args")), R"(["true"])");

  p.args.clear();
  EXPECT_EQ(WriteProcessJson(dir_ + "/none.json", p).code(), Code::kInvalidArgument);
}

TEST_F(SpecTest, CapabilitiesAreDockersDefaultSet) {
  ProcessSpec p;
  p.args = {"true"};
  json::object c = WriteAndRead(p, dir_ + "/b");
  const std::set<std::string> want = {
      "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",     "CAP_FOWNER",       "CAP_MKNOD",
      "CAP_NET_RAW", "CAP_SETGID",      "CAP_SETUID",     "CAP_SETFCAP",      "CAP_SETPCAP",
      "CAP_NET_BIND_SERVICE",           "CAP_SYS_CHROOT", "CAP_KILL",         "CAP_AUDIT_WRITE"};
  const auto& caps = c.at("process").at("capabilities").as_object();
  for (const char* set : {"bounding", "effective", "permitted"}) {
    EXPECT_EQ(Strings(caps.at(set)), want) << set;
    EXPECT_EQ(caps.at(set).as_array().size(), want.size()) << set;
  }
  // Never inheritable or ambient (CVE-2022-24769).
  EXPECT_EQ(caps.if_contains("inheritable"), nullptr);
  EXPECT_EQ(caps.if_contains("ambient"), nullptr);
  // No filter unless one is given.
  EXPECT_EQ(c.at("linux").as_object().if_contains("seccomp"), nullptr);
}

TEST_F(SpecTest, PrivilegedHasHostDevicesAndNoMaskedPaths) {
  ProcessSpec p;
  p.args = {"true"};
  p.privileged = true;
  json::object c = WriteAndRead(p, dir_ + "/b");
  const json::object& lx = c.at("linux").as_object();
  EXPECT_EQ(lx.if_contains("maskedPaths"), nullptr);
  EXPECT_EQ(lx.if_contains("readonlyPaths"), nullptr);
  EXPECT_EQ(json::serialize(lx.at("resources").at("devices")), R"([{"allow":true,"access":"rwm"}])");
  // Every device node of the host's /dev, as stat shows it; /dev/null is one.
  std::map<std::string, json::object> devices;
  for (const auto& d : lx.at("devices").as_array()) devices[std::string(d.at("path").as_string())] = d.as_object();
  ASSERT_TRUE(devices.contains("/dev/null"));
  struct stat st{};
  ASSERT_EQ(stat("/dev/null", &st), 0);
  EXPECT_EQ(devices["/dev/null"].at("type").as_string(), "c");
  EXPECT_EQ(devices["/dev/null"].at("major").as_int64(), static_cast<int64_t>(major(st.st_rdev)));
  EXPECT_EQ(devices["/dev/null"].at("minor").as_int64(), static_cast<int64_t>(minor(st.st_rdev)));
  EXPECT_EQ(devices["/dev/null"].at("fileMode").as_int64(), static_cast<int64_t>(st.st_mode & 07777));
  EXPECT_FALSE(devices.contains("/dev/console"));
  for (const auto& [path, d] : devices) {
    EXPECT_FALSE(path.starts_with("/dev/pts/")) << path;
    EXPECT_FALSE(path.starts_with("/dev/shm/")) << path;
  }
  for (const auto& m : c.at("mounts").as_array()) {
    std::string dest(m.at("destination").as_string());
    if (dest == "/sys" || dest == "/sys/fs/cgroup") {
      EXPECT_FALSE(Strings(m.at("options")).contains("ro")) << dest;
    }
  }
}

TEST_F(SpecTest, CapabilitiesAndSeccompAsGiven) {
  ProcessSpec p;
  p.args = {"true"};
  p.capabilities = {"CAP_NET_ADMIN", "CAP_CHOWN"};
  SeccompFilter f;
  f.default_action = "SCMP_ACT_ERRNO";
  f.default_errno_ret = 1;
  f.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"};
  f.flags = {"SECCOMP_FILTER_FLAG_LOG"};
  f.syscalls.push_back(SeccompRule{{"read", "write"}, "SCMP_ACT_ALLOW", std::nullopt, {}});
  f.syscalls.push_back(SeccompRule{{"clone3"}, "SCMP_ACT_ERRNO", 38, {}});
  f.syscalls.push_back(SeccompRule{{"clone"}, "SCMP_ACT_ALLOW", std::nullopt, {{0, 0x7e020000, 0, "SCMP_CMP_MASKED_EQ"}}});
  p.seccomp = f;
  json::object c = WriteAndRead(p, dir_ + "/b");
  const auto& caps = c.at("process").at("capabilities").as_object();
  for (const char* set : {"bounding", "effective", "permitted"}) {
    EXPECT_EQ(json::serialize(caps.at(set)), R"(["CAP_NET_ADMIN","CAP_CHOWN"])") << set;
  }
  EXPECT_EQ(json::serialize(c.at("linux").at("seccomp")),
            R"({"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,)"
            R"("architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],"flags":["SECCOMP_FILTER_FLAG_LOG"],)"
            R"("syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW"},)"
            R"({"names":["clone3"],"action":"SCMP_ACT_ERRNO","errnoRet":38},)"
            R"({"names":["clone"],"action":"SCMP_ACT_ALLOW",)"
            R"("args":[{"index":0,"value":2114060288,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}]}]})");
}

TEST_F(SpecTest, NamespacesFollowHostNetwork) {
  ProcessSpec p;
  p.args = {"true"};
  auto types = [&](const json::object& c) {
    std::set<std::string> out;
    for (const auto& ns : c.at("linux").at("namespaces").as_array()) {
      out.insert(std::string(ns.at("type").as_string()));
      EXPECT_EQ(ns.as_object().if_contains("path"), nullptr);
    }
    return out;
  };
  EXPECT_EQ(types(WriteAndRead(p, dir_ + "/b1")),
            (std::set<std::string>{"pid", "ipc", "uts", "mount", "network"}));
  p.host_network = true;
  EXPECT_EQ(types(WriteAndRead(p, dir_ + "/b2")), (std::set<std::string>{"pid", "ipc", "uts", "mount"}));
}

TEST_F(SpecTest, NamespaceModesShareJoinOrAdd) {
  ProcessSpec p;
  p.args = {"true"};
  p.hostname = "box";
  p.pid_namespace = "host";
  p.ipc_namespace = "/proc/42/ns/ipc";
  p.dev_shm_source = "/proc/42/root/dev/shm";
  p.host_uts = true;
  p.cgroup_namespace = true;
  json::object c = WriteAndRead(p, dir_ + "/b1");
  std::map<std::string, std::string> ns;  // type -> path ("" none)
  for (const auto& n : c.at("linux").at("namespaces").as_array()) {
    const json::value* path = n.as_object().if_contains("path");
    ns[std::string(n.at("type").as_string())] = path ? std::string(path->as_string()) : "";
  }
  EXPECT_EQ(ns, (std::map<std::string, std::string>{
                    {"ipc", "/proc/42/ns/ipc"}, {"mount", ""}, {"network", ""}, {"cgroup", ""}}));
  EXPECT_EQ(c.if_contains("hostname"), nullptr);  // runc refuses a hostname without a UTS namespace
  int shm_mounts = 0;
  for (const auto& m : c.at("mounts").as_array()) {
    if (m.at("destination").as_string() != "/dev/shm") continue;
    ++shm_mounts;
    EXPECT_EQ(m.at("type").as_string(), "bind");
    EXPECT_EQ(m.at("source").as_string(), "/proc/42/root/dev/shm");
  }
  EXPECT_EQ(shm_mounts, 1);

  ProcessSpec none;
  none.args = {"true"};
  none.no_dev_shm = true;
  json::object n = WriteAndRead(none, dir_ + "/b2");
  for (const auto& m : n.at("mounts").as_array()) EXPECT_NE(m.at("destination").as_string(), "/dev/shm");
  EXPECT_TRUE(n.contains("hostname"));  // its own UTS namespace keeps one
}

TEST_F(SpecTest, MountsMaskedPathsAndResources) {
  ProcessSpec p;
  p.args = {"true"};
  p.bind_mounts = {{"/srv/data", "/data", true}, {"/srv/rw", "/rw", false}};
  json::object c = WriteAndRead(p, dir_ + "/b");
  std::map<std::string, json::object> mounts;
  for (const auto& m : c.at("mounts").as_array()) {
    mounts[std::string(m.at("destination").as_string())] = m.as_object();
  }
  for (const char* dest : {"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/data", "/rw"}) {
    EXPECT_EQ(mounts.count(dest), 1u) << dest;
  }
  EXPECT_EQ(mounts["/proc"].at("type").as_string(), "proc");
  EXPECT_EQ(mounts["/dev"].at("type").as_string(), "tmpfs");
  EXPECT_EQ(mounts["/dev/pts"].at("type").as_string(), "devpts");
  EXPECT_EQ(mounts["/dev/mqueue"].at("type").as_string(), "mqueue");
  EXPECT_EQ(mounts["/sys"].at("type").as_string(), "sysfs");
  EXPECT_EQ(Strings(mounts["/sys"].at("options")).count("ro"), 1u);
  EXPECT_EQ(Strings(mounts["/dev/shm"].at("options")).count("mode=1777"), 1u);
  EXPECT_EQ(mounts["/data"].at("type").as_string(), "bind");
  EXPECT_EQ(mounts["/data"].at("source").as_string(), "/srv/data");
  EXPECT_EQ(Strings(mounts["/data"].at("options")).count("ro"), 1u);
  EXPECT_EQ(Strings(mounts["/rw"].at("options")).count("ro"), 0u);
  EXPECT_EQ(Strings(mounts["/rw"].at("options")).count("rbind"), 1u);

  const auto& lx = c.at("linux").as_object();
  auto masked = Strings(lx.at("maskedPaths"));
  for (const char* path : {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware", "/proc/acpi"}) {
    EXPECT_EQ(masked.count(path), 1u) << path;
  }
  auto ro = Strings(lx.at("readonlyPaths"));
  for (const char* path : {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}) {
    EXPECT_EQ(ro.count(path), 1u) << path;
  }
  // Device rules only: no limits. The first rule denies everything.
  const auto& res = lx.at("resources").as_object();
  EXPECT_EQ(res.size(), 1u);
  const auto& devices = res.at("devices").as_array();
  ASSERT_FALSE(devices.empty());
  EXPECT_EQ(json::serialize(devices[0]), R"({"allow":false,"access":"rwm"})");
  bool null_allowed = false;
  for (const auto& d : devices) {
    const auto& o = d.as_object();
    if (o.if_contains("major") && o.at("major").as_int64() == 1 && o.if_contains("minor") &&
        o.at("minor").as_int64() == 3 && o.at("allow").as_bool()) {
      null_allowed = true;
    }
  }
  EXPECT_TRUE(null_allowed);
}

TEST_F(SpecTest, BindPropagationAndTmpfsMounts) {
  ProcessSpec p;
  p.args = {"true"};
  ProcessSpec::BindMount shared{"/srv/s", "/s", false, "rshared"};
  ProcessSpec::BindMount tmp;
  tmp.destination = "/run/t";
  tmp.tmpfs = true;
  tmp.tmpfs_options = {"exec", "size=64m"};
  p.bind_mounts = {shared, tmp};
  json::object c = WriteAndRead(p, dir_ + "/b");
  std::map<std::string, json::object> mounts;
  for (const auto& m : c.at("mounts").as_array()) {
    mounts[std::string(m.at("destination").as_string())] = m.as_object();
  }
  EXPECT_EQ(Strings(mounts["/s"].at("options")), (std::set<std::string>{"rbind", "rshared", "rw"}));
  EXPECT_EQ(mounts["/run/t"].at("type").as_string(), "tmpfs");
  EXPECT_EQ(mounts["/run/t"].at("source").as_string(), "tmpfs");
  EXPECT_EQ(json::serialize(mounts["/run/t"].at("options")), R"(["nosuid","nodev","noexec","exec","size=64m"])");
}

TEST_F(SpecTest, RejectsBadInput) {
  ProcessSpec p;
  EXPECT_EQ(WriteBundleConfig(dir_ + "/b", dir_ + "/rootfs", p).code(), Code::kInvalidArgument);
  p.args = {"true"};
  EXPECT_EQ(WriteBundleConfig(dir_ + "/b", "rootfs", p).code(), Code::kInvalidArgument);
  p.bind_mounts = {{"/x", "relative", true}};
  EXPECT_EQ(WriteBundleConfig(dir_ + "/b", dir_ + "/rootfs", p).code(), Code::kInvalidArgument);
  EXPECT_FALSE(Env::Default()->FileExists(dir_ + "/b/config.json"));
}

TEST_F(SpecTest, ResolveUserTable) {
  WriteFile("rootfs/etc/passwd",
            "root:x:0:0:root:/root:/bin/sh\n"
            "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
            "# a comment\n"
            "alice:x:1000:1000::/home/alice:/bin/sh\n"
            "bob:x:1001:1001::/home/bob:/bin/sh\n");
  WriteFile("rootfs/etc/group",
            "root:x:0:\n"
            "wheel:x:10:root,alice\n"
            "staff:x:50:alice,bob\n"
            "alice:x:1000:\n"
            "bob:x:1001:\n");
  struct Case {
    std::string user;
    Code code;
    uint32_t uid, gid;
    std::vector<uint32_t> sgids;
    std::string error;
  };
  const Case cases[] = {
      {"", Code::kOk, 0, 0, {10}, ""},
      {"root", Code::kOk, 0, 0, {10}, ""},
      {"alice", Code::kOk, 1000, 1000, {10, 50}, ""},
      {"1000", Code::kOk, 1000, 1000, {10, 50}, ""},
      {"bob", Code::kOk, 1001, 1001, {50}, ""},
      {"bob:staff", Code::kOk, 1001, 50, {}, ""},
      {"alice:10", Code::kOk, 1000, 10, {}, ""},
      {"0:0", Code::kOk, 0, 0, {}, ""},
      {"4242", Code::kOk, 4242, 0, {}, ""},
      {"4242:4343", Code::kOk, 4242, 4343, {}, ""},
      {"daemon", Code::kOk, 1, 1, {}, ""},
      {"nobody", Code::kInvalidArgument, 0, 0, {},
       "unable to find user nobody: no matching entries in passwd file"},
      {"alice:nogroup", Code::kInvalidArgument, 0, 0, {},
       "unable to find group nogroup: no matching entries in group file"},
  };
  for (const auto& c : cases) {
    ProcessSpec p;
    p.uid = p.gid = 777;
    p.additional_gids = {777};
    Status s = ResolveUser(dir_ + "/rootfs", c.user, &p);
    EXPECT_EQ(s.code(), c.code) << "user \"" << c.user << "\": " << s.ToString();
    if (c.code != Code::kOk) {
      EXPECT_EQ(s.message(), c.error);
      continue;
    }
    EXPECT_EQ(p.uid, c.uid) << c.user;
    EXPECT_EQ(p.gid, c.gid) << c.user;
    EXPECT_EQ(p.additional_gids, c.sgids) << c.user;
  }
}

TEST_F(SpecTest, ResolveUserAddsGroupAdd) {
  WriteFile("rootfs/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n");
  WriteFile("rootfs/etc/group", "root:x:0:\nwheel:x:10:alice\nstaff:x:50:\naudio:x:29:\n");
  ProcessSpec p;
  // Names resolved in the rootfs's /etc/group, numbers as given, each once.
  ASSERT_TRUE(ResolveUser(dir_ + "/rootfs", "alice", &p, {"staff", "4000", "10", "29", "audio"}).ok());
  EXPECT_EQ(p.additional_gids, (std::vector<uint32_t>{10, 50, 4000, 29}));
  ASSERT_TRUE(ResolveUser(dir_ + "/rootfs", "0:0", &p, {"staff"}).ok());
  EXPECT_EQ(p.additional_gids, (std::vector<uint32_t>{50}));
  Status s = ResolveUser(dir_ + "/rootfs", "alice", &p, {"nosuchgroup"});
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "unable to find group nosuchgroup: no matching entries in group file");
}

TEST_F(SpecTest, ResolveUserWithoutEtcFiles) {
  ProcessSpec p;
  ASSERT_TRUE(ResolveUser(dir_ + "/empty", "123:456", &p).ok());
  EXPECT_EQ(p.uid, 123u);
  EXPECT_EQ(p.gid, 456u);
  ASSERT_TRUE(ResolveUser(dir_ + "/empty", "", &p).ok());
  EXPECT_EQ(p.uid, 0u);
  EXPECT_EQ(p.gid, 0u);
  Status s = ResolveUser(dir_ + "/empty", "www", &p);
  EXPECT_EQ(s.message(), "unable to find user www: no matching entries in passwd file");
}

// A rootfs whose /etc/passwd is hostile: nothing outside the rootfs is read,
// nothing blocks, and the named user is unknown.
TEST_F(SpecTest, ResolveUserReadsOnlyInsideTheRootfs) {
  const std::string fake = "hostuser:x:4242:4242::/:/bin/sh\nroot:x:4242:4242::/:/bin/sh\n";
  WriteFile("host/passwd", fake);
  WriteFile("rootfs/etc/group", "root:x:0:\n");
  const std::string passwd = dir_ + "/rootfs/etc/passwd";
  const std::string unknown = "unable to find user hostuser: no matching entries in passwd file";
  auto expect_unknown = [&](const std::string& what) {
    ProcessSpec p;
    Status s = ResolveUser(dir_ + "/rootfs", "hostuser", &p);
    EXPECT_EQ(s.message(), unknown) << what;
    s = ResolveUser(dir_ + "/rootfs", "root", &p);
    EXPECT_EQ(s.message(), "unable to find user root: no matching entries in passwd file") << what;
    ASSERT_TRUE(ResolveUser(dir_ + "/rootfs", "5:6", &p).ok()) << what;  // numeric ids need no entry
    EXPECT_EQ(p.uid, 5u);
    ASSERT_EQ(::unlink(passwd.c_str()), 0) << what;
  };
  ASSERT_EQ(::symlink((dir_ + "/host/passwd").c_str(), passwd.c_str()), 0);
  expect_unknown("absolute symlink to a host file");
  ASSERT_EQ(::symlink(("../../../../../../../../../../../../../../../.." + dir_ + "/host/passwd").c_str(),
                      passwd.c_str()),
            0);
  expect_unknown("relative ../ symlink to a host file");
  ASSERT_EQ(::mkfifo(passwd.c_str(), 0644), 0);
  expect_unknown("FIFO");
  ASSERT_EQ(::symlink("/dev/zero", passwd.c_str()), 0);
  expect_unknown("symlink to /dev/zero");
  if (::geteuid() == 0) {
    ASSERT_EQ(::mknod(passwd.c_str(), S_IFCHR | 0666, makedev(1, 5)), 0);  // /dev/zero's numbers
    expect_unknown("character device");
  }
  // Over the 1 MiB cap, with the entry at its start.
  WriteFile("rootfs/etc/passwd", fake + std::string(1 << 20, '#'));
  expect_unknown("oversized file");
}

}  // namespace
}  // namespace berth
