// The pure parts of berth-exec (nsexec.h): process.json, the bundle's
// seccomp filter compiled and loaded for real in a child, namespace and
// cgroup selection, the PATH lookup. The helper itself is attacked end to
// end by tests/e2e/exec_native_test.py.

#include "runtime/nsexec.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "berth/env.h"
#include "testing/temp_dir.h"

namespace berth {
namespace runtime_internal {
namespace {

TEST(ParseExecProcessTest, ReadsWhatWriteProcessJsonWrites) {
  ProcessSpec spec;
  spec.args = {"sh", "-c", "true"};
  spec.env = {"PATH=/bin", "A=b"};
  spec.cwd = "/tmp";
  spec.uid = 1000;
  spec.gid = 1001;
  spec.additional_gids = {5, 6};
  spec.capabilities = {"CAP_CHOWN", "CAP_NET_RAW"};
  spec.no_new_privileges = true;
  spec.terminal = true;
  spec.rlimits = {{"RLIMIT_NOFILE", 100, 200}};
  spec.oom_score_adj = 500;
  testing::TempDir dir;
  ASSERT_TRUE(dir.Create("nsexec_test"));
  const std::string path = dir.path() + "/process.json";
  ASSERT_TRUE(WriteProcessJson(path, spec).ok());
  Result<std::string> text = Env::Default()->ReadFileToString(path);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  Result<ExecProcess> p = ParseExecProcess(*text);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->args, spec.args);
  EXPECT_EQ(p->env, spec.env);
  EXPECT_EQ(p->cwd, "/tmp");
  EXPECT_EQ(p->uid, 1000u);
  EXPECT_EQ(p->gid, 1001u);
  EXPECT_EQ(p->additional_gids, (std::vector<uint32_t>{5, 6}));
  const uint64_t caps = (uint64_t{1} << 0) | (uint64_t{1} << 13);  // CAP_CHOWN, CAP_NET_RAW
  EXPECT_EQ(p->bounding, caps);
  EXPECT_EQ(p->effective, caps);
  EXPECT_EQ(p->permitted, caps);
  EXPECT_EQ(p->inheritable, 0u);
  EXPECT_EQ(p->ambient, 0u);
  EXPECT_TRUE(p->no_new_privileges);
  EXPECT_TRUE(p->terminal);
  ASSERT_EQ(p->rlimits.size(), 1u);
  EXPECT_EQ(p->rlimits[0], (Rlimit{"RLIMIT_NOFILE", 100, 200}));
  EXPECT_EQ(p->oom_score_adj, 500);
}

TEST(ParseExecProcessTest, RefusesBadDocuments) {
  EXPECT_FALSE(ParseExecProcess("[]").ok());
  EXPECT_FALSE(ParseExecProcess(R"({"args":[]})").ok());
  EXPECT_FALSE(ParseExecProcess(R"({"args":"sh"})").ok());
  EXPECT_FALSE(ParseExecProcess(R"({"args":["sh"],"user":{"uid":-1}})").ok());
  EXPECT_FALSE(ParseExecProcess(R"({"args":["sh"],"rlimits":[{"type":"RLIMIT_NOPE","soft":1,"hard":1}]})").ok());
  EXPECT_FALSE(ParseExecProcess(R"({"args":["sh"],"oomScoreAdj":5000})").ok());
  // Unknown capability names are skipped, as runc does.
  Result<ExecProcess> p = ParseExecProcess(R"({"args":["sh"],"capabilities":{"bounding":["CAP_NOPE","CAP_KILL"]}})");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->bounding, uint64_t{1} << 5);
}

TEST(NativeExecBlockerTest, NamesWhatTheHelperCannotDo) {
  EXPECT_EQ(NativeExecBlocker(R"({"process":{},"linux":{"namespaces":[{"type":"pid"},{"type":"mount"}]}})", true), "");
  EXPECT_EQ(NativeExecBlocker(R"({"linux":{"namespaces":[{"type":"user"}]}})", false), "a user namespace");
  EXPECT_EQ(NativeExecBlocker(R"({"linux":{"namespaces":[{"type":"time"}]}})", false), "a time namespace");
  EXPECT_EQ(NativeExecBlocker(R"({"process":{"apparmorProfile":"docker-default"}})", true), "an AppArmor profile");
  EXPECT_EQ(NativeExecBlocker(R"({"process":{"apparmorProfile":"docker-default"}})", false), "");
  EXPECT_EQ(NativeExecBlocker(R"({"process":{"selinuxLabel":"system_u:r:c"}})", false), "an SELinux label");
  EXPECT_NE(NativeExecBlocker("not json", false), "");
}

TEST(NamespaceFlagsTest, JoinsExactlyTheOnesThatDiffer) {
  std::map<std::string, uint64_t> own = {{"cgroup", 1}, {"ipc", 2}, {"uts", 3}, {"net", 4},
                                         {"pid", 5},    {"mnt", 6}, {"user", 7}};
  EXPECT_EQ(NamespaceFlagsToJoin(own, own), 0);
  auto target = own;
  target["net"] = 40;
  target["mnt"] = 60;
  target["user"] = 70;  // never joined
  EXPECT_EQ(NamespaceFlagsToJoin(own, target), CLONE_NEWNET | CLONE_NEWNS);
  target.erase("net");  // unknown on one side: not joined
  EXPECT_EQ(NamespaceFlagsToJoin(own, target), CLONE_NEWNS);
}

TEST(NamespaceFlagsTest, RealProcessesInNewNamespaces) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  Result<std::map<std::string, uint64_t>> self = NamespaceInodes(0);
  ASSERT_TRUE(self.ok());
  Result<std::map<std::string, uint64_t>> same = NamespaceInodes(::getpid());
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(NamespaceFlagsToJoin(*self, *same), 0);
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::unshare(CLONE_NEWUTS | CLONE_NEWIPC) != 0) ::_exit(1);
    (void)!::write(ready[1], "x", 1);
    ::pause();
    ::_exit(0);
  }
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  Result<std::map<std::string, uint64_t>> other = NamespaceInodes(child);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(NamespaceFlagsToJoin(*self, *other), CLONE_NEWUTS | CLONE_NEWIPC);
  EXPECT_FALSE(NamespaceInodes(child).ok());  // gone
}

TEST(CgroupDirsTest, FindsEveryHierarchysMount) {
  const std::string mountinfo =
      "30 25 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n"
      "31 30 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate\n"
      "32 30 0:28 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
      "33 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
      "34 30 0:30 /outer /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
      "35 30 0:31 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n";
  const std::string cgroup =
      "5:pids:/ctr\n"
      "4:memory:/outer/ctr\n"
      "3:cpu,cpuacct:/ctr\n"
      "2:name=systemd:/ctr\n"
      "1:freezer:/ctr\n"  // nobody mounted it: skipped
      "0::/ctr\n";
  EXPECT_EQ(CgroupDirs(cgroup, mountinfo), (std::vector<CgroupDir>{{"/sys/fs/cgroup/pids/ctr", false},
                                                                   {"/sys/fs/cgroup/memory/ctr", false},
                                                                   {"/sys/fs/cgroup/cpu,cpuacct/ctr", false},
                                                                   {"/sys/fs/cgroup/systemd/ctr", false},
                                                                   {"/sys/fs/cgroup/unified/ctr", true}}));
  // Pure v2: one line, one mount.
  EXPECT_EQ(CgroupDirs("0::/a/b\n", "40 1 0:5 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"),
            (std::vector<CgroupDir>{{"/sys/fs/cgroup/a/b", true}}));
  EXPECT_EQ(CgroupDirs("0::/\n", "40 1 0:5 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"),
            (std::vector<CgroupDir>{{"/sys/fs/cgroup", true}}));
  // A cgroup outside the mount's root is not reachable there.
  EXPECT_TRUE(CgroupDirs("4:memory:/elsewhere\n", mountinfo).empty());
}

TEST(CgroupDirsTest, ThisProcessesOwnCgroupsExist) {
  std::ifstream a("/proc/self/cgroup"), b("/proc/self/mountinfo");
  std::string cgroup((std::istreambuf_iterator<char>(a)), std::istreambuf_iterator<char>());
  std::string mountinfo((std::istreambuf_iterator<char>(b)), std::istreambuf_iterator<char>());
  std::vector<CgroupDir> dirs = CgroupDirs(cgroup, mountinfo);
  EXPECT_FALSE(dirs.empty());
  for (const CgroupDir& d : dirs) {
    EXPECT_EQ(::access((d.path + (d.v2 ? "/cgroup.procs" : "/tasks")).c_str(), F_OK), 0) << d.path;
  }
}

SeccompFilter AllowAllBut(std::vector<SeccompRule> rules) {
  SeccompFilter f;
  f.default_action = "SCMP_ACT_ALLOW";
  f.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  f.syscalls = std::move(rules);
  return f;
}

// Runs `check` in a child that has loaded `program` (with no_new_privs);
// true when it returned true.
bool InChildWithFilter(const SeccompProgram& program, bool (*check)()) {
  pid_t child = ::fork();
  if (child == 0) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || !LoadSeccomp(program).ok()) ::_exit(2);
    ::_exit(check() ? 0 : 1);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

TEST(SeccompTest, CompiledFilterDoesWhatTheRulesSay) {
  SeccompRule getppid{{"getppid"}, "SCMP_ACT_ERRNO", 42, {}};
  // Two conditions on one argument are alternatives (runc's rule).
  SeccompRule personality{
      {"personality"}, "SCMP_ACT_ERRNO", 7, {{0, 0x11, 0, "SCMP_CMP_EQ"}, {0, 0x22, 0, "SCMP_CMP_EQ"}}};
  SeccompRule unknown{{"no_such_syscall"}, "SCMP_ACT_ERRNO", 1, {}};
  SeccompRule same_as_default{{"getpid"}, "SCMP_ACT_ALLOW", std::nullopt, {}};
  Result<SeccompProgram> p = CompileSeccomp(AllowAllBut({getppid, personality, unknown, same_as_default}));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_FALSE(p->instructions.empty());
  EXPECT_TRUE(InChildWithFilter(*p, [] {
    errno = 0;
    long ppid = ::syscall(SYS_getppid);
    if (ppid != -1 || errno != 42) return false;
    if (::syscall(SYS_personality, 0x11) != -1 || errno != 7) return false;
    if (::syscall(SYS_personality, 0x22) != -1 || errno != 7) return false;
    return ::syscall(SYS_personality, 0xffffffff) != -1 && ::syscall(SYS_getpid) > 0;
  }));
  // Without the filter the same checks fail.
  EXPECT_NE(::syscall(SYS_getppid), -1);
}

TEST(SeccompTest, DefaultActionAndMaskedEq) {
  // Everything but a few syscalls is refused with EPERM by default.
  SeccompFilter f;
  f.default_action = "SCMP_ACT_ERRNO";
  f.syscalls = {{{"exit", "exit_group", "write", "rt_sigreturn", "getpid"}, "SCMP_ACT_ALLOW", std::nullopt, {}},
                {{"personality"}, "SCMP_ACT_ALLOW", std::nullopt, {{0, 0xff00, 0x0100, "SCMP_CMP_MASKED_EQ"}}}};
  Result<SeccompProgram> p = CompileSeccomp(f);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(InChildWithFilter(*p, [] {
    if (::syscall(SYS_getppid) != -1 || errno != EPERM) return false;
    if (::syscall(SYS_personality, 0x0123) == -1 && errno == EPERM) return false;  // mask matches: allowed
    return ::syscall(SYS_personality, 0x0223) == -1 && errno == EPERM;
  }));
}

TEST(SeccompTest, NumbersNewerThanTheFilterFailWithEnosys) {
  // As runc: a syscall above every one the filter names is ENOSYS (libc
  // falls back on it), one it knows but does not allow the default errno.
  SeccompFilter f;
  f.default_action = "SCMP_ACT_ERRNO";
  f.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  f.syscalls = {
      {{"exit", "exit_group", "write", "rt_sigreturn", "getpid", "openat"}, "SCMP_ACT_ALLOW", std::nullopt, {}}};
  Result<SeccompProgram> p = CompileSeccomp(f);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(InChildWithFilter(*p, [] {
    if (::syscall(SYS_getpid) <= 0) return false;
    if (::syscall(SYS_getppid) != -1 || errno != EPERM) return false;         // below openat (257): EPERM
    if (::syscall(400) != -1 || errno != ENOSYS) return false;                // above: ENOSYS
    return ::syscall(SYS_openat, -1, "relative", 0) == -1 && errno == EBADF;  // allowed: the kernel decides
  }));
  // Without the prologue (default allow) the numbers behave as the kernel says.
  Result<SeccompProgram> allow = CompileSeccomp(AllowAllBut({}));
  ASSERT_TRUE(allow.ok());
  EXPECT_TRUE(InChildWithFilter(*allow, [] { return ::syscall(400) == -1 && errno == ENOSYS; }));
}

TEST(SeccompTest, RefusesWhatItDoesNotKnow) {
  EXPECT_EQ(CompileSeccomp(AllowAllBut({{{"getpid"}, "SCMP_ACT_NOPE", std::nullopt, {}}})).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(
      CompileSeccomp(AllowAllBut({{{"getpid"}, "SCMP_ACT_ERRNO", 1, {{0, 1, 0, "SCMP_CMP_NOPE"}}}})).status().code(),
      Code::kInvalidArgument);
  SeccompFilter arch = AllowAllBut({});
  arch.architectures = {"SCMP_ARCH_NOPE"};
  EXPECT_EQ(CompileSeccomp(arch).status().code(), Code::kInvalidArgument);
  SeccompFilter flag = AllowAllBut({});
  flag.flags = {"SECCOMP_FILTER_FLAG_NOPE"};
  EXPECT_EQ(CompileSeccomp(flag).status().code(), Code::kInvalidArgument);
}

TEST(SeccompTest, BundleFilterAndCache) {
  Result<std::optional<SeccompFilter>> none = BundleSeccomp(R"({"linux":{}})");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  Result<std::optional<SeccompFilter>> some = BundleSeccomp(
      R"({"linux":{"seccomp":{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],
          "syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW"}]}}})");
  ASSERT_TRUE(some.ok()) << some.status().ToString();
  ASSERT_TRUE(some->has_value());
  EXPECT_EQ((*some)->default_action, "SCMP_ACT_ERRNO");
  ASSERT_EQ((*some)->syscalls.size(), 1u);
  EXPECT_EQ((*some)->syscalls[0].names, (std::vector<std::string>{"read", "write"}));
  EXPECT_FALSE(BundleSeccomp(R"({"linux":{"seccomp":{"defaultAction":"SCMP_ACT_NOPE"}}})").ok());

  Result<SeccompProgram> p = CompileSeccomp(**some);
  ASSERT_TRUE(p.ok());
  std::string encoded = EncodeSeccompCache("1 2 3.4", *p);
  auto decoded = DecodeSeccompCache(encoded, "1 2 3.4");
  ASSERT_TRUE(decoded.has_value());
  ASSERT_TRUE(decoded->has_value());
  EXPECT_EQ((*decoded)->instructions.size(), p->instructions.size());
  EXPECT_EQ(std::memcmp((*decoded)->instructions.data(), p->instructions.data(),
                        p->instructions.size() * sizeof(sock_filter)),
            0);
  EXPECT_FALSE(DecodeSeccompCache(encoded, "1 2 3.5").has_value());  // another config.json
  EXPECT_FALSE(DecodeSeccompCache(encoded.substr(0, encoded.size() - 1), "1 2 3.4").has_value());  // cut short
  auto no_filter = DecodeSeccompCache(EncodeSeccompCache("k", std::nullopt), "k");
  ASSERT_TRUE(no_filter.has_value());
  EXPECT_FALSE(no_filter->has_value());
}

TEST(LookPathTest, FollowsGoRules) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.Create("nsexec_path"));
  const std::string d = dir.path();
  const std::string a = d + "/a", b = d + "/b";
  ASSERT_EQ(::mkdir(a.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(b.c_str(), 0755), 0);
  auto make = [](const std::string& path, mode_t mode) {
    int fd = ::open(path.c_str(), O_CREAT | O_WRONLY, mode);
    ASSERT_GE(fd, 0);
    ::close(fd);
    ::chmod(path.c_str(), mode);
  };
  make(a + "/tool", 0644);  // not executable: skipped in PATH
  make(b + "/tool", 0755);
  ASSERT_EQ(::mkdir((a + "/dir").c_str(), 0755), 0);
  const std::vector<std::string> env = {"X=1", "PATH=" + a + ":" + b};
  Result<std::string> found = LookPath("tool", env);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(*found, b + "/tool");
  Result<std::string> missing = LookPath("nosuch", env);
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_EQ(missing.status().message(), "exec: \"nosuch\": executable file not found in $PATH");
  EXPECT_EQ(LookPath("tool", {"X=1"}).status().code(), Code::kNotFound);  // no PATH
  Result<std::string> not_exec = LookPath(a + "/tool", env);
  EXPECT_EQ(not_exec.status().code(), Code::kPermissionDenied);
  EXPECT_EQ(not_exec.status().message(), "exec: \"" + a + "/tool\": permission denied");
  EXPECT_EQ(LookPath(a + "/dir", env).status().message(), "exec: \"" + a + "/dir\": is a directory");
  Result<std::string> gone = LookPath(a + "/gone", env);
  EXPECT_EQ(gone.status().code(), Code::kNotFound);
  EXPECT_EQ(gone.status().message(), "exec: \"" + a + "/gone\": stat " + a + "/gone: no such file or directory");
  EXPECT_EQ(StartFailureCode(missing.status().message()), 127);
  EXPECT_EQ(StartFailureCode(gone.status().message()), 127);
  EXPECT_EQ(StartFailureCode(not_exec.status().message()), 126);
}

}  // namespace
}  // namespace runtime_internal
}  // namespace berth
