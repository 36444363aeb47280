// Image prune: Docker's algorithm, with berth's fixes (label! matches images
// lacking the key; events for every removal).
#include <thread>

#include "image/test_harness.h"

namespace berth::image_test {
namespace {

using V = std::vector<std::string>;

class PruneTest : public StoreTest {};

TEST_F(PruneTest, DanglingOnlyByDefault) {
  auto named = Simple("named");
  auto dangling = Simple("dangling");
  Add(named, {"keep:1"});
  Add(dangling, {});
  DrainEvents();
  auto r = images()->Prune({});
  ASSERT_OK(r);
  EXPECT_EQ(Lines(r->deleted), (V{"Untagged: " + dangling.target.digest.str(), "Deleted: " + dangling.target.digest.str()}));
  int64_t total = 0;
  for (const auto& b : dangling.blobs) total += static_cast<int64_t>(b.data.size());
  EXPECT_EQ(r->space_reclaimed, static_cast<uint64_t>(total));
  EXPECT_EQ(RecordNames(), V{Full("keep:1")});
  EXPECT_FALSE(Present(dangling.target.digest));
  EXPECT_TRUE(FullyPresent(named));
  EXPECT_EQ(DrainEvents(), V{"delete " + dangling.target.digest.str()});
}

TEST_F(PruneTest, AllRemovesEveryUnusedImage) {
  auto a = Simple("a");
  auto b = Simple("b");
  Add(a, {"a:1", "a:2"});
  Add(b, {"b:1"});
  auto r = images()->Prune({.dangling_only = false});
  ASSERT_OK(r);
  EXPECT_EQ(Lines(r->deleted), (V{"Untagged: a:1", "Untagged: a:2", "Deleted: " + a.target.digest.str(),
                                  "Untagged: b:1", "Deleted: " + b.target.digest.str()}));
  EXPECT_TRUE(RecordNames().empty());
  auto gc = images()->CollectGarbage();
  ASSERT_OK(gc);
  EXPECT_EQ(gc->blobs, 0u);
}

TEST_F(PruneTest, ImagesUsedByContainersAreProtected) {
  auto by_name = Simple("byname");
  auto by_id = Simple("byid");
  auto by_digest = Simple("bydigest");
  auto unused = Simple("unused");
  Add(by_name, {"named:1", "named:2"});
  Add(by_id, {"id:1", "id:2"});
  Add(by_digest, {"dig:1"});
  Add(unused, {"unused:1"});
  AddContainer("named:1", by_name.target.digest, false);
  AddContainer(by_id.target.digest.hex().substr(0, 12), by_id.target.digest, true);
  AddContainer("dig@" + by_digest.target.digest.str(), by_digest.target.digest, false);
  auto r = images()->Prune({.dangling_only = false});
  ASSERT_OK(r);
  // named:1 is the name the container was created from; by ID and by digest
  // keep one record (the last in name order) of their image.
  EXPECT_EQ(RecordNames(), (V{Full("dig:1"), Full("id:2"), Full("named:1")}));
  EXPECT_TRUE(FullyPresent(by_name));
  EXPECT_TRUE(FullyPresent(by_id));
  EXPECT_TRUE(FullyPresent(by_digest));
  EXPECT_FALSE(Present(unused.target.digest));
}

TEST_F(PruneTest, ContainersDanglingImageIsProtected) {
  auto img = Simple("dangling-used");
  Add(img, {});
  AddContainer(img.target.digest.str(), img.target.digest, false);
  auto r = images()->Prune({});
  ASSERT_OK(r);
  EXPECT_TRUE(r->deleted.empty());
  EXPECT_EQ(RecordNames().size(), 1u);
}

TEST_F(PruneTest, LabelFilters) {
  auto blue = Simple("blue", {{"color", "blue"}});
  auto red = Simple("red", {{"color", "red"}});
  auto plain = Simple("plain");
  Add(blue, {"blue:1"});
  Add(red, {"red:1"});
  Add(plain, {"plain:1"});
  auto only_blue = images()->Prune({.dangling_only = false, .labels = {*LabelFilter::Parse("color=blue")}});
  ASSERT_OK(only_blue);
  EXPECT_EQ(RecordNames(), (V{Full("plain:1"), Full("red:1")}));
  // label!=color=red also matches the image that has no color at all.
  auto not_red = images()->Prune({.dangling_only = false, .labels_not = {*LabelFilter::Parse("color=red")}});
  ASSERT_OK(not_red);
  EXPECT_EQ(RecordNames(), V{Full("red:1")});
  auto has_key = images()->Prune({.dangling_only = false, .labels_not = {*LabelFilter::Parse("color")}});
  ASSERT_OK(has_key);
  EXPECT_EQ(RecordNames(), V{Full("red:1")});
}

TEST_F(PruneTest, UntilFilterUsesRecordCreationTime) {
  auto old_img = Simple("old");
  Add(old_img, {"old:1"});
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  int64_t cut = Env::Default()->NowUnixNanos();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto new_img = Simple("new");
  Add(new_img, {"new:1"});
  auto r = images()->Prune({.dangling_only = false, .until_unix_nanos = cut});
  ASSERT_OK(r);
  EXPECT_EQ(RecordNames(), V{Full("new:1")});
}

TEST_F(PruneTest, SharedLayersAreNotReclaimedTwice) {
  auto a = Multi("a", {kAmd64});
  auto b = Multi("b", {kAmd64});
  Add(a, {});
  Add(b, {"b:1"});
  auto r = images()->Prune({});
  ASSERT_OK(r);
  EXPECT_TRUE(FullyPresent(b));
  int64_t a_only = 0;
  for (const auto& blob : a.blobs) {
    bool shared = false;
    for (const auto& other : b.blobs) shared |= other.descriptor.digest == blob.descriptor.digest;
    if (!shared) a_only += static_cast<int64_t>(blob.data.size());
  }
  EXPECT_EQ(r->space_reclaimed, static_cast<uint64_t>(a_only));
}

}  // namespace
}  // namespace berth::image_test
