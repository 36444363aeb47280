#include "berth/env.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <thread>

namespace berth {
namespace {

class EnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/berth-env-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { EXPECT_TRUE(env_->RemoveAll(dir_).ok()); }

  std::vector<std::string> List(const std::string& d) {
    Result<std::vector<std::string>> r = env_->ListDir(d);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<std::string> v = r.ok() ? *r : std::vector<std::string>{};
    std::sort(v.begin(), v.end());
    return v;
  }

  Env* env_ = Env::Default();
  std::string dir_;
};

TEST_F(EnvTest, WriteReadStat) {
  std::string p = dir_ + "/f";
  auto f = env_->NewWritableFile(p);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_TRUE((*f)->Append("hello ").ok());
  ASSERT_TRUE((*f)->Append("world").ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->Close().ok());
  EXPECT_TRUE((*f)->Close().ok());  // idempotent
  EXPECT_FALSE((*f)->Append("x").ok());

  auto s = env_->ReadFileToString(p);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "hello world");
  auto info = env_->Stat(p);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->size, 11u);
  EXPECT_FALSE(info->is_directory);
  EXPECT_GT(info->mtime_unix_nanos, 0);
  EXPECT_TRUE(env_->FileExists(p));

  auto r = env_->NewSequentialFile(p);
  ASSERT_TRUE(r.ok());
  char buf[16];
  ASSERT_TRUE((*r)->Skip(6).ok());
  auto n = (*r)->Read(buf, sizeof(buf));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "world");
  n = (*r)->Read(buf, sizeof(buf));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
}

TEST_F(EnvTest, ErrorsNamePathAndMapCodes) {
  std::string p = dir_ + "/missing";
  auto s = env_->ReadFileToString(p);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kNotFound);
  EXPECT_NE(s.status().message().find(p), std::string::npos) << s.status().message();
  EXPECT_EQ(env_->Stat(p).status().code(), Code::kNotFound);
  EXPECT_EQ(env_->RemoveFile(p).code(), Code::kNotFound);
  EXPECT_EQ(env_->NewSequentialFile(p).status().code(), Code::kNotFound);
  EXPECT_FALSE(env_->FileExists(p));
  EXPECT_EQ(env_->ListDir(p).status().code(), Code::kNotFound);
  Status r = env_->RenameFile(p, dir_ + "/other");
  EXPECT_EQ(r.code(), Code::kNotFound);
  EXPECT_NE(r.message().find(p), std::string::npos);
  EXPECT_FALSE(env_->ReadFileToString(dir_).ok());  // a directory
}

TEST_F(EnvTest, CreateDirsListRemoveAll) {
  std::string deep = dir_ + "/a/b/c";
  ASSERT_TRUE(env_->CreateDirs(deep).ok());
  ASSERT_TRUE(env_->CreateDirs(deep).ok());  // exists: fine
  ASSERT_TRUE(env_->CreateDirs(deep + "/").ok());
  auto info = env_->Stat(deep);
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(info->is_directory);
  ASSERT_TRUE(WriteFileAtomic(env_, dir_ + "/a/file", "x").ok());
  ASSERT_TRUE(WriteFileAtomic(env_, dir_ + "/a/b/file2", "y").ok());
  EXPECT_EQ(List(dir_ + "/a"), (std::vector<std::string>{"b", "file"}));
  // A file in the way of mkdir -p.
  EXPECT_FALSE(env_->CreateDirs(dir_ + "/a/file/sub").ok());
  EXPECT_FALSE(env_->CreateDirs(dir_ + "/a/file").ok());
  // RemoveAll does not follow symlinks out of the tree.
  ASSERT_TRUE(env_->CreateDirs(dir_ + "/keep").ok());
  ASSERT_TRUE(WriteFileAtomic(env_, dir_ + "/keep/precious", "p").ok());
  ASSERT_EQ(::symlink((dir_ + "/keep").c_str(), (dir_ + "/a/b/link").c_str()), 0);
  ASSERT_TRUE(env_->RemoveAll(dir_ + "/a").ok());
  EXPECT_FALSE(env_->FileExists(dir_ + "/a"));
  EXPECT_TRUE(env_->FileExists(dir_ + "/keep/precious"));
  EXPECT_TRUE(env_->RemoveAll(dir_ + "/a").ok());  // missing is OK
  ASSERT_TRUE(env_->RemoveAll(dir_ + "/keep/precious").ok());  // a plain file
  EXPECT_EQ(List(dir_ + "/keep"), std::vector<std::string>{});
  EXPECT_TRUE(env_->SyncDir(dir_).ok());
  EXPECT_EQ(env_->SyncDir(dir_ + "/nope").code(), Code::kNotFound);
}

TEST_F(EnvTest, WriteFileAtomicReplacesAndLeavesNoTemp) {
  std::string p = dir_ + "/cfg";
  ASSERT_TRUE(WriteFileAtomic(env_, p, "v1").ok());
  ASSERT_TRUE(WriteFileAtomic(env_, p, "version two").ok());
  EXPECT_EQ(*env_->ReadFileToString(p), "version two");
  EXPECT_EQ(List(dir_), std::vector<std::string>{"cfg"});
  // Relative-to-missing directory fails cleanly.
  EXPECT_EQ(WriteFileAtomic(env_, dir_ + "/nodir/x", "v").code(), Code::kNotFound);
}

TEST_F(EnvTest, WriteFileAtomicUnderFaultsKeepsOldContent) {
  FaultInjectionEnv fenv(env_);
  std::string p = dir_ + "/cfg";
  ASSERT_TRUE(WriteFileAtomic(&fenv, p, "old").ok());
  for (auto op : {FaultInjectionEnv::Op::kCreate, FaultInjectionEnv::Op::kAppend,
                  FaultInjectionEnv::Op::kSync, FaultInjectionEnv::Op::kRename}) {
    SCOPED_TRACE(static_cast<int>(op));
    int before = fenv.injected();
    fenv.FailAfter(op, 0);
    Status s = WriteFileAtomic(&fenv, p, "new");
    EXPECT_EQ(s.code(), Code::kInternal);
    EXPECT_EQ(s.message(), "injected fault");
    EXPECT_EQ(fenv.injected(), before + 1);
    EXPECT_EQ(*env_->ReadFileToString(p), "old");
    EXPECT_EQ(List(dir_), std::vector<std::string>{"cfg"});  // no temp left
  }
  // A failing directory fsync is reported, but the rename has happened.
  fenv.FailAfter(FaultInjectionEnv::Op::kSyncDir, 0);
  EXPECT_FALSE(WriteFileAtomic(&fenv, p, "new").ok());
  EXPECT_EQ(*env_->ReadFileToString(p), "new");
  EXPECT_EQ(List(dir_), std::vector<std::string>{"cfg"});
}

TEST_F(EnvTest, NewWritableFileNeverWritesThroughWhatIsThere) {
  const std::string victim = dir_ + "/victim";
  ASSERT_TRUE(WriteFileAtomic(env_, victim, "precious").ok());
  const std::string link = dir_ + "/planted";
  ASSERT_EQ(::symlink(victim.c_str(), link.c_str()), 0);
  auto f = env_->NewWritableFile(link);
  EXPECT_EQ(f.status().code(), Code::kAlreadyExists) << f.status().ToString();
  const std::string dangling = dir_ + "/dangling";
  ASSERT_EQ(::symlink((dir_ + "/would-be-created").c_str(), dangling.c_str()), 0);
  EXPECT_EQ(env_->NewWritableFile(dangling).status().code(), Code::kAlreadyExists);
  EXPECT_FALSE(env_->FileExists(dir_ + "/would-be-created"));
  EXPECT_EQ(env_->NewWritableFile(victim).status().code(), Code::kAlreadyExists);
  EXPECT_EQ(*env_->ReadFileToString(victim), "precious");
}

TEST_F(EnvTest, WriteFileAtomicSkipsPlantedTemporaryNames) {
  // Symlinks at the temporary names this process will try first (a fresh
  // test process counts from 0), each to a file of its own.
  const std::string path = dir_ + "/state";
  const int kPlanted = 300;
  for (int i = 0; i < kPlanted; ++i) {
    // Written directly: WriteFileAtomic would move the counter past them.
    std::string victim = dir_ + "/victim-" + std::to_string(i);
    int fd = ::open(victim.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, "precious", 8), 8);
    ::close(fd);
    std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(i);
    ASSERT_EQ(::symlink(victim.c_str(), tmp.c_str()), 0);
  }
  ASSERT_TRUE(WriteFileAtomic(env_, path, "new state").ok());
  EXPECT_EQ(*env_->ReadFileToString(path), "new state");
  struct stat st;
  ASSERT_EQ(::lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  for (int i = 0; i < kPlanted; ++i) {
    EXPECT_EQ(*env_->ReadFileToString(dir_ + "/victim-" + std::to_string(i)), "precious") << i;
  }
}

// A tree `depth` directories deep under `top` (made with mkdirat/openat:
// its paths are far longer than PATH_MAX), files on the way and a symlink to
// `link_target` at the bottom.
void MakeDeepTree(const std::string& top, int depth, const std::string& link_target) {
  ASSERT_EQ(::mkdir(top.c_str(), 0755), 0);
  int fd = ::open(top.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  for (int i = 0; i < depth; ++i) {
    ASSERT_EQ(::mkdirat(fd, "d", 0755), 0) << i;
    if (i % 100 == 0) {
      int f = ::openat(fd, "file", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      ASSERT_GE(f, 0);
      ::close(f);
    }
    int next = ::openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(next, 0);
    ::close(fd);
    fd = next;
  }
  ASSERT_EQ(::symlinkat(link_target.c_str(), fd, "link"), 0);
  ::close(fd);
}

TEST_F(EnvTest, RemoveAllHasNoDepthLimit) {
  // Fewer descriptors than levels: a walk holding one per level fails.
  struct rlimit old_limit;
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &old_limit), 0);
  struct rlimit low = old_limit;
  low.rlim_cur = 256;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  const std::string outside = dir_ + "/outside";
  ASSERT_TRUE(env_->CreateDirs(outside).ok());
  ASSERT_TRUE(WriteFileAtomic(env_, outside + "/kept", "kept").ok());
  const std::string top = dir_ + "/deep";
  MakeDeepTree(top, 5000, outside);
  Status s = env_->RemoveAll(top);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &old_limit), 0);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_FALSE(env_->FileExists(top));
  EXPECT_EQ(List(dir_), std::vector<std::string>{"outside"});
  EXPECT_EQ(*env_->ReadFileToString(outside + "/kept"), "kept");  // the link was not followed
}

TEST_F(EnvTest, FaultSkipAndCount) {
  FaultInjectionEnv fenv(env_);
  auto f = fenv.NewWritableFile(dir_ + "/f");
  ASSERT_TRUE(f.ok());
  fenv.FailAfter(FaultInjectionEnv::Op::kAppend, 2, 2);
  EXPECT_TRUE((*f)->Append("a").ok());
  EXPECT_TRUE((*f)->Append("b").ok());
  EXPECT_FALSE((*f)->Append("c").ok());
  EXPECT_FALSE((*f)->Append("d").ok());
  EXPECT_TRUE((*f)->Append("e").ok());
  EXPECT_TRUE((*f)->Close().ok());
  EXPECT_EQ(*fenv.ReadFileToString(dir_ + "/f"), "abe");  // failed appends wrote nothing

  fenv.FailAfter(FaultInjectionEnv::Op::kRemove, 0, 100);
  fenv.FailAfter(FaultInjectionEnv::Op::kSyncDir, 0, 100);
  fenv.FailAfter(FaultInjectionEnv::Op::kRead, 0, 100);
  EXPECT_FALSE(fenv.RemoveFile(dir_ + "/f").ok());
  EXPECT_FALSE(fenv.RemoveAll(dir_ + "/f").ok());
  EXPECT_FALSE(fenv.SyncDir(dir_).ok());
  EXPECT_FALSE(fenv.ReadFileToString(dir_ + "/f").ok());
  EXPECT_TRUE(env_->FileExists(dir_ + "/f"));
  fenv.ClearFaults();
  EXPECT_TRUE(fenv.SyncDir(dir_).ok());
  auto r = fenv.NewSequentialFile(dir_ + "/f");
  ASSERT_TRUE(r.ok());
  fenv.FailAfter(FaultInjectionEnv::Op::kRead, 0);
  char buf[8];
  EXPECT_FALSE((*r)->Read(buf, sizeof(buf)).ok());
  auto n = (*r)->Read(buf, sizeof(buf));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "abe");
  EXPECT_TRUE(fenv.RemoveFile(dir_ + "/f").ok());
}

TEST_F(EnvTest, FaultFilesOutliveEnv) {
  std::unique_ptr<WritableFile> f;
  {
    FaultInjectionEnv fenv(env_);
    auto r = fenv.NewWritableFile(dir_ + "/f");
    ASSERT_TRUE(r.ok());
    f = std::move(*r);
    fenv.FailAfter(FaultInjectionEnv::Op::kSync, 0);
  }
  EXPECT_TRUE(f->Append("x").ok());
  EXPECT_FALSE(f->Sync().ok());
  EXPECT_TRUE(f->Sync().ok());
  EXPECT_TRUE(f->Close().ok());
}

TEST_F(EnvTest, FaultInjectionIsThreadSafe) {
  FaultInjectionEnv fenv(env_);
  fenv.FailAfter(FaultInjectionEnv::Op::kSyncDir, 100, 50);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (!fenv.MaybeFail(FaultInjectionEnv::Op::kSyncDir).ok()) failures++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 50);
  EXPECT_EQ(fenv.injected(), 50);
}

TEST_F(EnvTest, Clock) {
  FaultInjectionEnv fenv(env_);
  int64_t real = env_->NowUnixNanos();
  EXPECT_GT(real, int64_t{1600000000} * 1000000000);
  EXPECT_GE(fenv.NowUnixNanos(), real);
  fenv.SetNowUnixNanos(1000);
  EXPECT_EQ(fenv.NowUnixNanos(), 1000);
  fenv.AdvanceNanos(500);
  EXPECT_EQ(fenv.NowUnixNanos(), 1500);
  fenv.SetNowUnixNanos(-1);
  EXPECT_GE(fenv.NowUnixNanos(), real);
  fenv.AdvanceNanos(int64_t{3600} * 1000000000);
  int64_t fixed = fenv.NowUnixNanos();
  EXPECT_GE(fixed, real + int64_t{3600} * 1000000000);
  EXPECT_EQ(fenv.NowUnixNanos(), fixed);  // now fixed
}

// flock locks belong to open file descriptions, so a second LockFile in the
// same process conflicts just as another process would.
TEST_F(EnvTest, LockFileIsExclusiveAndNamesTheHolder) {
  const std::string path = dir_ + "/lock";
  auto first = env_->LockFile(path);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto content = env_->ReadFileToString(path);
  ASSERT_TRUE(content.ok());
  EXPECT_EQ(*content, std::to_string(::getpid()) + "\n");
  auto second = env_->LockFile(path);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(second.status().message(), std::to_string(::getpid()));
  first->reset();
  FaultInjectionEnv fenv(env_);
  auto third = fenv.LockFile(path);
  EXPECT_TRUE(third.ok()) << third.status().ToString();
  // A symlink is not followed.
  ASSERT_EQ(::symlink(path.c_str(), (dir_ + "/link").c_str()), 0);
  EXPECT_FALSE(env_->LockFile(dir_ + "/link").ok());
}

// A waiter wakes when a file is renamed into the directory (as runc writes
// its pid file) or written and closed there, from another thread; with
// nothing happening it times out; a missing directory is an error.
TEST_F(EnvTest, WatchDirWakesOnNewEntries) {
  const std::string d = dir_ + "/watched";
  ASSERT_TRUE(env_->CreateDirs(d).ok());
  auto watch = env_->WatchDir(d, false);
  ASSERT_TRUE(watch.ok()) << watch.status().ToString();
  EXPECT_FALSE((*watch)->WaitForChange(0));
  std::thread writer([&] { ASSERT_TRUE(WriteFileAtomic(env_, d + "/pid", "42").ok()); });
  EXPECT_TRUE((*watch)->WaitForChange(10'000));
  writer.join();
  EXPECT_TRUE(env_->FileExists(d + "/pid"));
  (*watch)->WaitForChange(0);  // the write's later events (close, rename), if the first wake came early
  // Drained: quiet again until the next change.
  EXPECT_FALSE((*watch)->WaitForChange(0));
  ASSERT_TRUE(WriteFileAtomic(env_, d + "/exit", "0").ok());
  EXPECT_TRUE((*watch)->WaitForChange(10'000));
  // A change below a subdirectory is not this directory's.
  ASSERT_TRUE(env_->CreateDirs(d + "/sub").ok());
  EXPECT_TRUE((*watch)->WaitForChange(0));  // the subdirectory's creation itself
  ASSERT_TRUE(WriteFileAtomic(env_, d + "/sub/f", "x").ok());
  EXPECT_FALSE((*watch)->WaitForChange(50));
  EXPECT_FALSE(env_->WatchDir(dir_ + "/missing", false).ok());
  FaultInjectionEnv fenv(env_);
  EXPECT_TRUE(fenv.WatchDir(d, false).ok());
  // Appends wake only a watch that asks for writes.
  ASSERT_TRUE(WriteFileAtomic(env_, d + "/log", "").ok());
  auto writes = env_->WatchDir(d, true);
  ASSERT_TRUE(writes.ok());
  (*watch)->WaitForChange(0);
  int fd = ::open((d + "/log").c_str(), O_WRONLY | O_APPEND);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "x", 1), 1);
  EXPECT_TRUE((*writes)->WaitForChange(10'000));
  EXPECT_FALSE((*watch)->WaitForChange(50));
  ::close(fd);
}

TEST_F(EnvTest, RestrictPermissionsOnlyClearsBits) {
  const std::string d = dir_ + "/d";
  ASSERT_TRUE(env_->CreateDirs(d, 0700).ok());
  ASSERT_EQ(::chmod(d.c_str(), 0757), 0);
  ASSERT_TRUE(RestrictPermissions(env_, d, 0710).ok());
  EXPECT_EQ(env_->Stat(d)->mode, 0710u);
  ASSERT_EQ(::chmod(d.c_str(), 0700), 0);
  ASSERT_TRUE(RestrictPermissions(env_, d, 0710).ok());
  EXPECT_EQ(env_->Stat(d)->mode, 0700u);  // nothing added
  EXPECT_EQ(RestrictPermissions(env_, dir_ + "/missing", 0700).code(), Code::kNotFound);
}

TEST_F(EnvTest, ChmodNeverFollowsASymlink) {
  const std::string f = dir_ + "/f";
  ASSERT_TRUE(WriteFileAtomic(env_, f, "x").ok());
  ASSERT_EQ(::chmod(f.c_str(), 0644), 0);
  ASSERT_EQ(::symlink(f.c_str(), (dir_ + "/link").c_str()), 0);
  Status s = env_->Chmod(dir_ + "/link", 0600);
  EXPECT_EQ(s.code(), Code::kFailedPrecondition) << s.ToString();
  EXPECT_EQ(env_->Stat(f)->mode, 0644u);
  ASSERT_TRUE(env_->Chmod(f, 0600).ok());
  EXPECT_EQ(env_->Stat(f)->mode, 0600u);
}

}  // namespace
}  // namespace berth
