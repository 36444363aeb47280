// Env::ReadFileInRoot on a real temp dir, through both resolvers (openat2 and
// the O_NOFOLLOW walk): symlinks are resolved inside the root, FIFOs and
// devices are refused without blocking, sizes are capped.
#include "base/read_in_root.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <string>

#include "berth/env.h"
#include "testing/temp_dir.h"

namespace berth {
namespace {

using internal::InRootResolver;

constexpr uint64_t kCap = 1 << 20;

class ReadFileInRootTest : public ::testing::TestWithParam<InRootResolver> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.Create("berth-inroot"));
    dir_ = tmp_.path();
    root_ = dir_ + "/root";
    outside_ = dir_ + "/outside";
    for (const std::string& d : {root_ + "/etc", root_ + "/lib", root_ + "/dev", outside_}) {
      ASSERT_TRUE(env_->CreateDirs(d).ok());
    }
    // What an escaping read would see.
    ASSERT_TRUE(WriteFileAtomic(env_, outside_ + "/marker", "hostuser:x:4242:4242::/:/bin/sh\n").ok());
    ASSERT_TRUE(WriteFileAtomic(env_, outside_ + "/passwd", "hostuser:x:4242:4242::/:/bin/sh\n").ok());
  }
  Result<std::string> Read(const std::string& path, uint64_t cap = kCap) {
    auto r = internal::ReadFileInRootWith(GetParam(), root_, path, cap);
    // openat2 is in every kernel berth supports (>= 5.6); the walk is tested
    // on its own either way.
    EXPECT_NE(r.status().code(), Code::kUnimplemented) << r.status().ToString();
    return r;
  }
  void Symlink(const std::string& target, const std::string& link) {
    ASSERT_EQ(::symlink(target.c_str(), (root_ + "/" + link).c_str()), 0) << link;
  }
  void Write(const std::string& rel, const std::string& data) {
    ASSERT_TRUE(WriteFileAtomic(env_, root_ + "/" + rel, data).ok());
  }

  testing::TempDir tmp_;
  Env* env_ = Env::Default();
  std::string dir_, root_, outside_;
};

TEST_P(ReadFileInRootTest, ReadsARegularFile) {
  Write("etc/passwd", "root:x:0:0::/root:/bin/sh\n");
  auto r = Read("/etc/passwd");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "root:x:0:0::/root:/bin/sh\n");
  r = Read("etc//./passwd");  // relative, with empty and "." components
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "root:x:0:0::/root:/bin/sh\n");
  EXPECT_EQ(Read("/etc/missing").status().code(), Code::kNotFound);
}

TEST_P(ReadFileInRootTest, DotDotSymlinkStaysInsideTheRoot) {
  // Followed naively, root/etc/../../outside/marker is the host's marker.
  Symlink("../../outside/marker", "etc/passwd");
  auto r = Read("/etc/passwd");
  EXPECT_EQ(r.status().code(), Code::kNotFound) << (r.ok() ? *r : r.status().ToString());
  // Deeper than the root: ".." stops at the root.
  Write("outside-copy", "in root\n");
  Symlink("../../../../../../../../outside-copy", "etc/group");
  r = Read("/etc/group");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "in root\n");
  // ".." in the requested path itself.
  EXPECT_EQ(Read("/../../outside/marker").status().code(), Code::kNotFound);
}

TEST_P(ReadFileInRootTest, AbsoluteSymlinkIsResolvedFromTheRoot) {
  Symlink(outside_ + "/marker", "etc/passwd");  // an absolute host path
  auto r = Read("/etc/passwd");
  EXPECT_EQ(r.status().code(), Code::kNotFound) << (r.ok() ? *r : r.status().ToString());
  // The same path below the root is what it names.
  ASSERT_TRUE(env_->CreateDirs(root_ + outside_).ok());
  Write(outside_.substr(1) + "/marker", "rootuser:x:7:7::/:/bin/sh\n");
  r = Read("/etc/passwd");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "rootuser:x:7:7::/:/bin/sh\n");
}

TEST_P(ReadFileInRootTest, SymlinkedDirectoryStaysInsideTheRoot) {
  ASSERT_TRUE(env_->RemoveAll(root_ + "/etc").ok());
  Symlink(outside_, "etc");  // root/etc -> the host dir holding "passwd"
  auto r = Read("/etc/passwd");
  EXPECT_EQ(r.status().code(), Code::kNotFound) << (r.ok() ? *r : r.status().ToString());
}

TEST_P(ReadFileInRootTest, SymlinksInsideTheRootAreFollowedRelativeToIt) {
  Write("lib/passwd", "app:x:1000:1000::/:/bin/sh\n");
  Symlink("../lib/passwd", "etc/passwd");
  Symlink("/lib/passwd", "etc/group");
  Symlink("/etc/group", "etc/chain");  // a link to a link
  for (const char* p : {"/etc/passwd", "/etc/group", "/etc/chain"}) {
    auto r = Read(p);
    ASSERT_TRUE(r.ok()) << p << ": " << r.status().ToString();
    EXPECT_EQ(*r, "app:x:1000:1000::/:/bin/sh\n") << p;
  }
}

TEST_P(ReadFileInRootTest, SymlinkLoopIsAnError) {
  Symlink("/etc/b", "etc/a");
  Symlink("/etc/a", "etc/b");
  auto r = Read("/etc/a");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/etc/a"), std::string::npos) << r.status().message();
}

TEST_P(ReadFileInRootTest, FifoIsRefusedWithoutBlocking) {
  ASSERT_EQ(::mkfifo((root_ + "/etc/passwd").c_str(), 0644), 0);
  auto r = Read("/etc/passwd");  // a blocking open would wait here for a writer
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition) << r.status().ToString();
  EXPECT_NE(r.status().message().find("not a regular file"), std::string::npos);
}

TEST_P(ReadFileInRootTest, DirectoryIsRefused) {
  EXPECT_EQ(Read("/etc").status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(Read("/").status().code(), Code::kFailedPrecondition);
}

TEST_P(ReadFileInRootTest, DevZeroIsNeverRead) {
  // The host's /dev/zero through a symlink: resolved in the root, where there
  // is no such node.
  Symlink("/dev/zero", "etc/passwd");
  EXPECT_EQ(Read("/etc/passwd").status().code(), Code::kNotFound);
  if (::geteuid() != 0) GTEST_SKIP() << "mknod of a character device needs root";
  // A real character device node inside the root (a container with
  // CAP_MKNOD can make one in its rootfs).
  ASSERT_EQ(::mknod((root_ + "/dev/zero").c_str(), S_IFCHR | 0666, makedev(1, 5)), 0);
  auto r = Read("/etc/passwd");
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition) << r.status().ToString();
  ASSERT_EQ(::mknod((root_ + "/etc/group").c_str(), S_IFCHR | 0666, makedev(1, 5)), 0);
  EXPECT_EQ(Read("/etc/group").status().code(), Code::kFailedPrecondition);
}

TEST_P(ReadFileInRootTest, SizeIsCapped) {
  Write("etc/exact", std::string(4096, 'a'));
  auto r = Read("/etc/exact", 4096);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->size(), 4096u);
  Write("etc/big", std::string(4097, 'a'));
  r = Read("/etc/big", 4096);
  EXPECT_EQ(r.status().code(), Code::kOutOfRange) << r.status().ToString();
  EXPECT_NE(r.status().message().find("larger than 4096 bytes"), std::string::npos) << r.status().message();
}

INSTANTIATE_TEST_SUITE_P(Resolvers, ReadFileInRootTest,
                         ::testing::Values(InRootResolver::kOpenat2, InRootResolver::kWalk), [](const auto& info) {
                           return std::string(info.param == InRootResolver::kOpenat2 ? "Openat2" : "Walk");
                         });

TEST(EnvReadFileInRoot, DefaultEnvResolvesInsideTheRoot) {
  testing::TempDir tmp;
  ASSERT_TRUE(tmp.Create("berth-inroot"));
  const std::string& dir = tmp.path();
  Env* env = Env::Default();
  ASSERT_TRUE(env->CreateDirs(dir + "/root/etc").ok());
  ASSERT_TRUE(WriteFileAtomic(env, dir + "/secret", "host\n").ok());
  ASSERT_EQ(::symlink("../../secret", (dir + "/root/etc/passwd").c_str()), 0);
  EXPECT_EQ(env->ReadFileInRoot(dir + "/root", "/etc/passwd", kCap).status().code(), Code::kNotFound);
  // Through the fault-injection wrapper too.
  FaultInjectionEnv faulty(env);
  faulty.FailAfter(FaultInjectionEnv::Op::kRead, 0);
  EXPECT_EQ(faulty.ReadFileInRoot(dir + "/root", "/etc/passwd", kCap).status().message(), "injected fault");
  EXPECT_EQ(faulty.ReadFileInRoot(dir + "/root", "/etc/passwd", kCap).status().code(), Code::kNotFound);
}

// OpenBeneathNoSymlinks through openat2 (true) and through its walk (false):
// a volume's subpath, whose tree a container writes.
class OpenBeneathTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.Create("berth-beneath"));
    base_ = tmp_.path() + "/base";
    ASSERT_TRUE(Env::Default()->CreateDirs(base_ + "/sub/dir").ok());
    ASSERT_TRUE(WriteFileAtomic(Env::Default(), base_ + "/sub/file", "x").ok());
    ASSERT_EQ(::symlink("sub", (base_ + "/link").c_str()), 0);
    ASSERT_EQ(::symlink("/", (base_ + "/sub/root").c_str()), 0);
    base_fd_ = ::open(base_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(base_fd_, 0);
  }
  void TearDown() override { ::close(base_fd_); }
  // The inode the descriptor names, or -errno.
  long long Open(const std::string& path) {
    errno = 0;
    int fd = GetParam() ? internal::OpenBeneathNoSymlinks(base_fd_, path)
                        : internal::OpenBeneathNoSymlinksByWalk(base_fd_, path);
    if (fd < 0) return -errno;
    struct stat st;
    EXPECT_EQ(::fstat(fd, &st), 0);
    ::close(fd);
    return static_cast<long long>(st.st_ino);
  }
  long long Inode(const std::string& path) {
    struct stat st;
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    return static_cast<long long>(st.st_ino);
  }

  testing::TempDir tmp_;
  std::string base_;
  int base_fd_ = -1;
};

TEST_P(OpenBeneathTest, OpensWhatIsBeneathAndNothingElse) {
  EXPECT_EQ(Open("sub/dir"), Inode(base_ + "/sub/dir"));
  EXPECT_EQ(Open("sub/file"), Inode(base_ + "/sub/file"));
  EXPECT_EQ(Open("sub/../sub/./dir"), Inode(base_ + "/sub/dir"));
  EXPECT_EQ(Open("."), Inode(base_));
  // A symlink anywhere, to a place inside or not, is refused.
  EXPECT_EQ(Open("link"), -ELOOP);
  EXPECT_EQ(Open("link/dir"), -ELOOP);
  EXPECT_EQ(Open("sub/root"), -ELOOP);
  EXPECT_EQ(Open("sub/root/etc"), -ELOOP);
  // Leaving the base, lexically or from the start.
  EXPECT_EQ(Open("../base"), -EXDEV);
  EXPECT_EQ(Open("sub/../../base/sub"), -EXDEV);
  EXPECT_EQ(Open("/etc"), -EXDEV);
  EXPECT_EQ(Open("missing"), -ENOENT);
  EXPECT_EQ(Open("sub/file/x"), -ENOTDIR);
}

TEST_P(OpenBeneathTest, TheDescriptorKeepsNamingWhatWasCheckedWhenThePathIsSwapped) {
  // The attack on a volume subpath between the check and the mount: the
  // container renames the checked directory away and puts a symlink to the
  // host's / in its place. What the descriptor names (and a bind through
  // /proc/self/fd mounts) is still the directory that was checked.
  const int fd = GetParam() ? internal::OpenBeneathNoSymlinks(base_fd_, "sub/dir")
                            : internal::OpenBeneathNoSymlinksByWalk(base_fd_, "sub/dir");
  ASSERT_GE(fd, 0);
  const long long checked = Inode(base_ + "/sub/dir");
  ASSERT_EQ(::rename((base_ + "/sub/dir").c_str(), (base_ + "/sub/moved").c_str()), 0);
  ASSERT_EQ(::symlink("/", (base_ + "/sub/dir").c_str()), 0);
  struct stat st;
  ASSERT_EQ(::fstat(fd, &st), 0);
  EXPECT_EQ(static_cast<long long>(st.st_ino), checked);
  char target[4096] = {};
  ASSERT_GT(::readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), target, sizeof(target) - 1), 0);
  EXPECT_EQ(std::string(target), base_ + "/sub/moved");
  ::close(fd);
  // And a new open refuses the symlink.
  EXPECT_EQ(Open("sub/dir"), -ELOOP);
}

INSTANTIATE_TEST_SUITE_P(Resolvers, OpenBeneathTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Openat2" : "Walk"; });

}  // namespace
}  // namespace berth
