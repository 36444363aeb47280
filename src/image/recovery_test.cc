// Crash safety: a process killed after a removal committed but before its
// files were deleted leaves only garbage, which the next open removes; a
// process killed mid-load loses nothing that was committed; a second process
// cannot open a held data root.
#include <sys/wait.h>

#include "image/image_test_util.h"
#include "image/store_internals.h"

namespace berth::image_test {
namespace {

class RecoveryTest : public StoreTestBase {};

TEST_F(RecoveryTest, CommittedRemovalWhoseFilesSurvivedACrashIsFinishedOnOpen) {
  auto img = Simple("crash");
  Add(img, {"crash:1"});
  // What a crash right after the commit leaves: records gone, files not.
  ASSERT_OK(image::MetadataOf(store_.get())->Update([&](Tx& tx) -> Status {
    BERTH_RETURN_IF_ERROR(tx.DeleteImage(Full("crash:1")));
    return tx.RemoveRoot(RootKind::kImage, img.target.digest.str());
  }));
  EXPECT_TRUE(FullyPresent(img));
  sub_.reset();
  store_.reset();
  auto reopened = Store::Open(StoreOptions{root_});
  ASSERT_OK(reopened);
  store_ = std::move(*reopened);
  for (const auto& b : img.blobs) EXPECT_FALSE(Present(b.descriptor.digest)) << b.descriptor.digest.str();
}

TEST_F(RecoveryTest, KilledProcessLosesNothingCommitted) {
  auto a = Simple("a");
  auto b = Simple("b");
  sub_.reset();
  store_.reset();
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto s = Store::Open(StoreOptions{root_});
    if (!s.ok()) ::_exit(2);
    if (!testing::AddToStore(s->get(), a, {"a:1"}).ok()) ::_exit(3);
    // Blobs of b are written, its records never are: then the process dies.
    for (const auto& blob : b.blobs) (void)image::ContentOf(s->get())->Put(blob.data, blob.descriptor.digest);
    ::_exit(0);  // no destructors: as abrupt as a crash for the store
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  auto reopened = Store::Open(StoreOptions{root_});
  ASSERT_OK(reopened);
  store_ = std::move(*reopened);
  EXPECT_EQ(RecordNames(), std::vector<std::string>{Full("a:1")});
  EXPECT_TRUE(FullyPresent(a));
  // b's orphaned blobs are only garbage: the sweep removes exactly those.
  auto gc = images()->CollectGarbage();
  ASSERT_OK(gc);
  EXPECT_GT(gc->blobs, 0u);
  EXPECT_TRUE(FullyPresent(a));
  EXPECT_FALSE(Present(b.target.digest));
}

TEST_F(RecoveryTest, ASecondOwnerIsRefusedWithThePid) {
  auto second = Store::Open(StoreOptions{root_});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("pid " + std::to_string(::getpid())), std::string::npos)
      << second.status().message();
}

}  // namespace
}  // namespace berth::image_test
