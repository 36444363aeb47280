// Capabilities (ApplyCapabilityChanges) and seccomp profiles
// (ParseSeccompProfile, ResolveSeccompProfile, DefaultSeccompProfile).

#include "berth/security.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace berth {
namespace {

const SeccompHost kAmd64{"amd64", 6, 18};

uint64_t MaskOf(const std::vector<std::string>& names) {
  uint64_t mask = 0;
  const auto& known = KnownCapabilities();
  for (const auto& n : names) {
    auto it = std::find(known.begin(), known.end(), n);
    EXPECT_NE(it, known.end()) << n;
    if (it != known.end()) mask |= uint64_t{1} << (it - known.begin());
  }
  return mask;
}

const uint64_t kAll = (uint64_t{1} << 41) - 1;

std::vector<std::string> WithCaps(std::vector<std::string> extra) {
  std::vector<std::string> caps = DefaultCapabilities();
  caps.insert(caps.end(), extra.begin(), extra.end());
  return caps;
}

// The rules of `f` naming `syscall`.
std::vector<SeccompRule> RulesFor(const SeccompFilter& f, const std::string& syscall) {
  std::vector<SeccompRule> out;
  for (const auto& r : f.syscalls) {
    if (std::find(r.names.begin(), r.names.end(), syscall) != r.names.end()) out.push_back(r);
  }
  return out;
}

bool Allowed(const SeccompFilter& f, const std::string& syscall) {
  for (const auto& r : RulesFor(f, syscall)) {
    if (r.action == "SCMP_ACT_ALLOW" && r.args.empty()) return true;
  }
  return false;
}

SeccompFilter ResolveDefault(const std::vector<std::string>& caps, const SeccompHost& host = kAmd64) {
  auto f = ResolveSeccompProfile(DefaultSeccompProfile(), caps, host);
  EXPECT_TRUE(f.has_value());
  return f.value_or(SeccompFilter{});
}

// ---- capabilities ----

TEST(CapabilitiesTest, DefaultsWithoutChanges) {
  auto caps = ApplyCapabilityChanges({}, {}, kAll);
  ASSERT_TRUE(caps.ok()) << caps.status().ToString();
  EXPECT_EQ(*caps, DefaultCapabilities());
  // Docker's 14 defaults, as /proc/PID/status shows them.
  EXPECT_EQ(MaskOf(*caps), 0xa80425fbULL);
}

TEST(CapabilitiesTest, NamesAreCaseInsensitiveAndPrefixOptional) {
  auto caps = ApplyCapabilityChanges({"net_admin", "CAP_sys_ptrace"}, {"chown", "CAP_KILL"}, kAll);
  ASSERT_TRUE(caps.ok()) << caps.status().ToString();
  uint64_t want = (0xa80425fbULL & ~MaskOf({"CAP_CHOWN", "CAP_KILL"})) | MaskOf({"CAP_NET_ADMIN", "CAP_SYS_PTRACE"});
  EXPECT_EQ(MaskOf(*caps), want);
}

TEST(CapabilitiesTest, DropAllThenAdd) {
  auto caps = ApplyCapabilityChanges({"NET_ADMIN"}, {"ALL"}, kAll);
  ASSERT_TRUE(caps.ok());
  EXPECT_EQ(*caps, std::vector<std::string>{"CAP_NET_ADMIN"});
  caps = ApplyCapabilityChanges({}, {"all"}, kAll);
  ASSERT_TRUE(caps.ok());
  EXPECT_TRUE(caps->empty());
}

TEST(CapabilitiesTest, AddAllIsEveryAvailableMinusDrops) {
  uint64_t available = kAll & ~MaskOf({"CAP_SYS_RESOURCE"});
  auto caps = ApplyCapabilityChanges({"ALL"}, {"SYS_ADMIN"}, available);
  ASSERT_TRUE(caps.ok());
  EXPECT_EQ(MaskOf(*caps), available & ~MaskOf({"CAP_SYS_ADMIN"}));
}

TEST(CapabilitiesTest, CapabilitiesInMask) {
  EXPECT_EQ(CapabilitiesIn(0), std::vector<std::string>{});
  EXPECT_EQ(CapabilitiesIn(MaskOf({"CAP_NET_ADMIN", "CAP_CHOWN"})),
            (std::vector<std::string>{"CAP_CHOWN", "CAP_NET_ADMIN"}));
  EXPECT_EQ(CapabilitiesIn(kAll), KnownCapabilities());
}

TEST(CapabilitiesTest, AddingTwiceKeepsOne) {
  auto caps = ApplyCapabilityChanges({"CHOWN", "NET_ADMIN", "net_admin"}, {}, kAll);
  ASSERT_TRUE(caps.ok());
  EXPECT_EQ(std::count(caps->begin(), caps->end(), "CAP_NET_ADMIN"), 1);
  EXPECT_EQ(std::count(caps->begin(), caps->end(), "CAP_CHOWN"), 1);
}

TEST(CapabilitiesTest, UnknownAndUnavailableNamesAreDockersErrors) {
  auto caps = ApplyCapabilityChanges({"BOGUS"}, {}, kAll);
  ASSERT_FALSE(caps.ok());
  EXPECT_EQ(caps.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(caps.status().message(), "invalid CapAdd: unknown capability: \"CAP_BOGUS\"");
  caps = ApplyCapabilityChanges({}, {"cap_nope"}, kAll);
  ASSERT_FALSE(caps.ok());
  EXPECT_EQ(caps.status().message(), "invalid CapDrop: unknown capability: \"CAP_NOPE\"");
  caps = ApplyCapabilityChanges({"SYS_RESOURCE"}, {}, kAll & ~MaskOf({"CAP_SYS_RESOURCE"}));
  ASSERT_FALSE(caps.ok());
  EXPECT_EQ(caps.status().message(),
            "invalid CapAdd: capability not supported by your kernel or not available in the current environment: "
            "\"CAP_SYS_RESOURCE\"");
}

// ---- Docker's default profile ----

TEST(DefaultSeccompTest, DefaultCapsOnAmd64) {
  SeccompFilter f = ResolveDefault(DefaultCapabilities());
  EXPECT_EQ(f.default_action, "SCMP_ACT_ERRNO");
  EXPECT_EQ(f.default_errno_ret, 1u);
  EXPECT_EQ(f.architectures, (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  for (const char* ok : {"read", "openat", "mkdirat", "execve", "arch_prctl", "modify_ldt", "chroot", "ptrace"}) {
    EXPECT_TRUE(Allowed(f, ok)) << ok;
  }
  for (const char* no : {"unshare", "mount", "setns", "keyctl", "add_key", "reboot", "kcmp", "init_module",
                         "clock_settime", "open_by_handle_at", "s390_runtime_instr", "set_tls", "bpf"}) {
    EXPECT_FALSE(Allowed(f, no)) << no;
  }
  // clone only without namespace flags; clone3 fails with ENOSYS.
  auto clone = RulesFor(f, "clone");
  ASSERT_EQ(clone.size(), 1u);
  ASSERT_EQ(clone[0].args.size(), 1u);
  EXPECT_EQ(clone[0].args[0].index, 0u);
  EXPECT_EQ(clone[0].args[0].value, 0x7e020000u);
  EXPECT_EQ(clone[0].args[0].value_two, 0u);
  EXPECT_EQ(clone[0].args[0].op, "SCMP_CMP_MASKED_EQ");
  auto clone3 = RulesFor(f, "clone3");
  ASSERT_EQ(clone3.size(), 1u);
  EXPECT_EQ(clone3[0].action, "SCMP_ACT_ERRNO");
  EXPECT_EQ(clone3[0].errno_ret, 38u);
  // socket: any family but AF_VSOCK; personality: five values.
  auto socket = RulesFor(f, "socket");
  ASSERT_EQ(socket.size(), 1u);
  EXPECT_EQ(socket[0].args[0].op, "SCMP_CMP_NE");
  EXPECT_EQ(socket[0].args[0].value, 40u);
  std::vector<uint64_t> personas;
  for (const auto& r : RulesFor(f, "personality")) personas.push_back(r.args.at(0).value);
  EXPECT_EQ(personas, (std::vector<uint64_t>{0, 8, 0x20000, 0x20008, 0xffffffff}));
}

TEST(DefaultSeccompTest, SysAdminAllowsMountFamilyAndNamespaces) {
  SeccompFilter f = ResolveDefault(WithCaps({"CAP_SYS_ADMIN"}));
  for (const char* ok : {"unshare", "mount", "umount2", "setns", "sethostname", "clone", "clone3", "fsopen"}) {
    EXPECT_TRUE(Allowed(f, ok)) << ok;
  }
  // The restricted clone and the clone3 ENOSYS rule are gone.
  for (const auto& r : RulesFor(f, "clone")) EXPECT_TRUE(r.args.empty());
  for (const auto& r : RulesFor(f, "clone3")) EXPECT_EQ(r.action, "SCMP_ACT_ALLOW");
}

TEST(DefaultSeccompTest, OtherCapabilityGroups) {
  SeccompFilter f = ResolveDefault(WithCaps({"CAP_SYS_PTRACE", "CAP_SYS_BOOT", "CAP_SYS_TIME", "CAP_DAC_READ_SEARCH"}));
  for (const char* ok : {"kcmp", "pidfd_getfd", "reboot", "clock_settime", "open_by_handle_at"}) {
    EXPECT_TRUE(Allowed(f, ok)) << ok;
  }
  EXPECT_FALSE(Allowed(f, "init_module"));
  // Without CAP_SYS_CHROOT, chroot is refused.
  auto caps = ApplyCapabilityChanges({}, {"SYS_CHROOT"}, kAll);
  ASSERT_TRUE(caps.ok());
  EXPECT_FALSE(Allowed(ResolveDefault(*caps), "chroot"));
}

TEST(DefaultSeccompTest, ArchesAndKernel) {
  SeccompFilter arm = ResolveDefault(DefaultCapabilities(), SeccompHost{"arm64", 6, 1});
  EXPECT_EQ(arm.architectures, (std::vector<std::string>{"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}));
  EXPECT_TRUE(Allowed(arm, "set_tls"));
  EXPECT_FALSE(Allowed(arm, "arch_prctl"));
  EXPECT_FALSE(Allowed(arm, "modify_ldt"));
  // On s390 clone's flags are its second argument.
  SeccompFilter s390 = ResolveDefault(DefaultCapabilities(), SeccompHost{"s390x", 6, 1});
  auto clone = RulesFor(s390, "clone");
  ASSERT_EQ(clone.size(), 1u);
  EXPECT_EQ(clone[0].args.at(0).index, 1u);
  // ptrace needs a 4.8 kernel without CAP_SYS_PTRACE.
  EXPECT_FALSE(Allowed(ResolveDefault(DefaultCapabilities(), SeccompHost{"amd64", 4, 4}), "ptrace"));
  EXPECT_TRUE(Allowed(ResolveDefault(DefaultCapabilities(), SeccompHost{"amd64", 4, 8}), "ptrace"));
}

// ---- profiles in Docker's format ----

TEST(SeccompProfileTest, ParsesAndResolvesConditions) {
  auto p = ParseSeccompProfile(R"({
    "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 13,
    "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]},
                {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": null}],
    "flags": ["SECCOMP_FILTER_FLAG_LOG"],
    "syscalls": [
      {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "comment": "io"},
      {"name": "mkdir", "action": "SCMP_ACT_ERRNO", "errnoRet": 28},
      {"names": ["ioctl"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 1, "value": 21505, "valueTwo": 7, "op": "SCMP_CMP_MASKED_EQ"}]},
      {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "excludes": {"arches": ["amd64"]}},
      {"names": ["old"], "action": "SCMP_ACT_ALLOW", "excludes": {"minKernel": "5.10"}},
      {"names": ["new"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "7.0"}}
    ]})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto f = ResolveSeccompProfile(*p, DefaultCapabilities(), kAmd64);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->default_action, "SCMP_ACT_ERRNO");
  EXPECT_EQ(f->default_errno_ret, 13u);
  EXPECT_EQ(f->architectures, (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}));
  EXPECT_EQ(f->flags, std::vector<std::string>{"SECCOMP_FILTER_FLAG_LOG"});
  ASSERT_EQ(f->syscalls.size(), 3u);  // read/write, mkdir, ioctl
  EXPECT_EQ(f->syscalls[0].names, (std::vector<std::string>{"read", "write"}));
  EXPECT_EQ(f->syscalls[1].names, std::vector<std::string>{"mkdir"});
  EXPECT_EQ(f->syscalls[1].errno_ret, 28u);
  const SeccompArg& a = f->syscalls[2].args.at(0);
  EXPECT_EQ(a.index, 1u);
  EXPECT_EQ(a.value, 21505u);
  EXPECT_EQ(a.value_two, 7u);
  EXPECT_EQ(a.op, "SCMP_CMP_MASKED_EQ");

  f = ResolveSeccompProfile(*p, WithCaps({"CAP_SYS_ADMIN"}), SeccompHost{"arm64", 5, 4});
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->architectures, std::vector<std::string>{"SCMP_ARCH_AARCH64"});
  std::vector<std::string> names;
  for (const auto& r : f->syscalls) names.push_back(r.names[0]);
  EXPECT_EQ(names, (std::vector<std::string>{"read", "mkdir", "ioctl", "mount", "ptrace", "old"}));
}

TEST(SeccompProfileTest, ExplicitArchitecturesAndNoFilter) {
  auto p = ParseSeccompProfile(R"({"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"]})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto f = ResolveSeccompProfile(*p, {}, kAmd64);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->architectures, std::vector<std::string>{"SCMP_ARCH_X86_64"});
  EXPECT_TRUE(f->syscalls.empty());
  // Neither a default action nor rules: no filter, as Docker.
  p = ParseSeccompProfile("{}");
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(ResolveSeccompProfile(*p, {}, kAmd64).has_value());
}

TEST(SeccompProfileTest, SeccompFilterForModes) {
  auto none = SeccompFilterFor("unconfined", DefaultCapabilities(), kAmd64);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  for (const char* def : {"", "builtin"}) {
    auto f = SeccompFilterFor(def, DefaultCapabilities(), kAmd64);
    ASSERT_TRUE(f.ok() && f->has_value()) << def;
    EXPECT_EQ((*f)->default_action, "SCMP_ACT_ERRNO");
    EXPECT_FALSE(Allowed(**f, "unshare"));
  }
  auto custom = SeccompFilterFor(R"({"defaultAction":"SCMP_ACT_LOG"})", DefaultCapabilities(), kAmd64);
  ASSERT_TRUE(custom.ok() && custom->has_value());
  EXPECT_EQ((*custom)->default_action, "SCMP_ACT_LOG");
  EXPECT_FALSE(SeccompFilterFor("{", DefaultCapabilities(), kAmd64).ok());
}

TEST(SeccompProfileTest, Refusals) {
  const std::pair<std::string, std::string> cases[] = {
      {"{", "invalid JSON"},
      {"[]", "the profile must be a JSON object"},
      {R"({"defaultAction":"SCMP_ACT_BOGUS"})", "unknown action \"SCMP_ACT_BOGUS\" in defaultAction"},
      {R"({"defaultAction":7})", "defaultAction must be a string"},
      {R"({"defaultAction":"SCMP_ACT_ALLOW","defaultErrnoRet":-1})", "defaultErrnoRet must be a non-negative integer"},
      {R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"],"action":"SCMP_ACT_KILLX"}]})",
       "unknown action \"SCMP_ACT_KILLX\" in syscalls[0]"},
      {R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"]}]})", "syscalls[0]: action is missing"},
      {R"({"syscalls":[{"names":["a"],"action":"SCMP_ACT_ALLOW"}]})", "defaultAction is missing"},
      {R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"],"name":"b","action":"SCMP_ACT_ALLOW"}]})",
       "both 'name' and 'names' are specified in the seccomp profile, use either 'name' or 'names'"},
      {R"({"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],"archMap":[{"architecture":"SCMP_ARCH_X86_64"}]})",
       "both 'architectures' and 'archMap' are specified in the seccomp profile, use either 'architectures' or "
       "'archMap'"},
      {R"({"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_VAX"]})",
       "unknown architecture \"SCMP_ARCH_VAX\" in architectures"},
      {R"({"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_NEW"]})",
       "unknown flag \"SECCOMP_FILTER_FLAG_NEW\""},
      {R"({"defaultAction":"SCMP_ACT_NOTIFY"})", "SCMP_ACT_NOTIFY is not supported"},
      {R"({"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"/x"})", "listenerPath is not supported"},
      {R"({"defaultAction":"SCMP_ACT_KILL","defaultErrnoRet":1})", "errnoRet is only valid with SCMP_ACT_ERRNO"},
      {R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"],"action":"SCMP_ACT_ERRNO","args":[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]}]})",
       "syscalls[0].args[0].index is out of range: 6"},
      {R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"SCMP_CMP_LIKE"}]}]})",
       "unknown operator \"SCMP_CMP_LIKE\" in syscalls[0].args[0]"},
      {R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"4.x"}}]})",
       "invalid kernel version: \"4.x\", expected \"<kernel>.<major>\""},
      {R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"0.0"}}]})",
       "invalid kernel version: \"0.0\""},
      {R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"],"action":"SCMP_ACT_ALLOW","includes":{"kernel":"5.1"}}]})",
       "unknown field \"kernel\" in syscalls[0].includes"},
      {R"({"defaultAction":"SCMP_ACT_ALLOW","syscall":[]})", "unknown field \"syscall\" in the profile"},
  };
  for (const auto& [text, want] : cases) {
    auto p = ParseSeccompProfile(text);
    ASSERT_FALSE(p.ok()) << text;
    EXPECT_EQ(p.status().code(), Code::kInvalidArgument) << text;
    EXPECT_TRUE(p.status().message().starts_with("Decoding seccomp profile failed: ")) << p.status().message();
    EXPECT_NE(p.status().message().find(want), std::string::npos) << text << " -> " << p.status().message();
  }
}

TEST(SeccompProfileTest, SizeIsBounded) {
  std::string big = R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"action":"SCMP_ACT_ERRNO","names":[)";
  while (big.size() <= kSeccompProfileMaxBytes) big += R"("somename",)";
  big += R"("last"]}]})";
  auto p = ParseSeccompProfile(big);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("larger than 1048576 bytes"), std::string::npos) << p.status().message();
}

}  // namespace
}  // namespace berth
