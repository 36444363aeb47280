#include "runtime/cgroup_warmup.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

namespace berth {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Waits (bounded) until `warm` has made `n` moves.
bool AwaitMoves(const CgroupWarmup& warm, int n) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (warm.moves() < n) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::yield();
  }
  return true;
}

TEST(CgroupWarmupTest, FindsAMigrationFileOfThisProcess) {
  const std::string file = OwnCgroupMigrationFile();
  ASSERT_FALSE(file.empty());
  EXPECT_TRUE(file.ends_with("/tasks") || file.ends_with("/cgroup.procs")) << file;
  EXPECT_EQ(::access(file.c_str(), F_OK), 0) << file;
}

TEST(CgroupWarmupTest, RepeatsTheMoveAndLeavesEveryCgroupAsItWas) {
  if (::geteuid() != 0) GTEST_SKIP() << "moving a task between cgroups needs root";
  const std::string before = ReadAll("/proc/self/cgroup");
  CgroupWarmup warm(OwnCgroupMigrationFile());
  ASSERT_TRUE(AwaitMoves(warm, 3)) << "the warm-up made " << warm.moves() << " moves";
  warm.Stop();
  const int moves = warm.moves();
  EXPECT_EQ(ReadAll("/proc/self/cgroup"), before);
  warm.Stop();  // idempotent
  EXPECT_EQ(warm.moves(), moves);
}

TEST(CgroupWarmupTest, StopsByItselfAtItsLimit) {
  if (::geteuid() != 0) GTEST_SKIP() << "moving a task between cgroups needs root";
  CgroupWarmup warm(OwnCgroupMigrationFile(), std::chrono::milliseconds(0));
  ASSERT_TRUE(AwaitMoves(warm, 1));
  warm.Stop();
  EXPECT_EQ(warm.moves(), 1);  // the limit had passed after the first
}

TEST(CgroupWarmupTest, AFileThatCannotBeWrittenEndsTheWarmupAtOnce) {
  CgroupWarmup warm("/nonexistent-berth-cgroup/tasks");
  warm.Stop();
  EXPECT_EQ(warm.moves(), 0);
  CgroupWarmup none("");
  none.Stop();
  EXPECT_EQ(none.moves(), 0);
}

}  // namespace
}  // namespace berth
