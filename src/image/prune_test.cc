// Image prune: Docker 28.2's algorithm and report, plus events for every
// removal (which 28.2 does not emit).
#include <functional>
#include <map>
#include <thread>

#include "berth/time.h"
#include "image/image_test_util.h"

namespace berth::image_test {
namespace {

using V = std::vector<std::string>;

// The blobs of `img` in containerd's walk order from its target (each
// descriptor, then an index's manifests or a manifest's config and layers),
// as "Deleted: <digest>" lines; their descriptor sizes summed in *bytes.
V WalkLines(const testing::BuiltImage& img, uint64_t* bytes) {
  std::map<Digest, const testing::BuiltBlob*> by_digest;
  for (const auto& b : img.blobs) by_digest[b.descriptor.digest] = &b;
  V out;
  std::function<void(const Descriptor&)> walk = [&](const Descriptor& d) {
    out.push_back("Deleted: " + d.digest.str());
    *bytes += static_cast<uint64_t>(d.size);
    auto found = by_digest.find(d.digest);
    if (found == by_digest.end()) {
      ADD_FAILURE() << "no blob " << d.digest.str() << " (" << d.media_type << ") in the fixture";
      return;
    }
    const std::string& data = found->second->data;
    if (IsIndexType(d.media_type)) {
      auto index = ParseIndex(data, d.media_type);
      ASSERT_TRUE(index.ok());
      for (const auto& m : index->manifests) walk(m);
    } else if (IsManifestType(d.media_type)) {
      auto m = ParseManifest(data, d.media_type);
      ASSERT_TRUE(m.ok());
      walk(m->config);
      for (const auto& l : m->layers) walk(l);
    }
  };
  walk(img.target);
  return out;
}

V Concat(V a, const V& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

class PruneTest : public StoreTestBase {};

TEST_F(PruneTest, DanglingOnlyByDefault) {
  auto named = Simple("named");
  auto dangling = Simple("dangling");
  Add(named, {"keep:1"});
  Add(dangling, {});
  DrainEvents();
  auto r = images()->Prune({});
  ASSERT_OK(r);
  // Every blob of the image, manifest, config and layer, as Docker 28.2.
  uint64_t total = 0;
  EXPECT_EQ(Lines(r->deleted), Concat({"Untagged: " + dangling.target.digest.str()}, WalkLines(dangling, &total)));
  EXPECT_EQ(Lines(r->deleted).size(), 4u);
  EXPECT_EQ(r->space_reclaimed, total);
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
  // a:1 frees nothing (a:2 still names the image); a:2 frees all of it.
  uint64_t total = 0;
  V want = Concat({"Untagged: a:1", "Untagged: a:2"}, WalkLines(a, &total));
  want = Concat(Concat(want, {"Untagged: b:1"}), WalkLines(b, &total));
  EXPECT_EQ(Lines(r->deleted), want);
  EXPECT_EQ(r->space_reclaimed, total);
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
  auto green = Simple("green", {{"color", "green"}});
  auto plain = Simple("plain");
  Add(blue, {"blue:1"});
  Add(red, {"red:1"});
  Add(green, {"green:1"});
  Add(plain, {"plain:1"});
  auto only_blue = images()->Prune({.dangling_only = false, .labels = {*LabelFilter::Parse("color=blue")}});
  ASSERT_OK(only_blue);
  EXPECT_EQ(RecordNames(), (V{Full("green:1"), Full("plain:1"), Full("red:1")}));
  // label!=color=red (Docker 28.x): the key with another value; the image
  // without a color does not match.
  auto not_red = images()->Prune({.dangling_only = false, .labels = {*LabelFilter::Parse("color=red", true)}});
  ASSERT_OK(not_red);
  EXPECT_EQ(RecordNames(), (V{Full("plain:1"), Full("red:1")}));
  // label!=color: the key is absent.
  auto no_key = images()->Prune({.dangling_only = false, .labels = {*LabelFilter::Parse("color", true)}});
  ASSERT_OK(no_key);
  EXPECT_EQ(RecordNames(), V{Full("red:1")});
}

TEST_F(PruneTest, NegatedLabelTermInLabelFilter) {
  auto blue = Simple("blue", {{"color", "blue"}});
  auto red = Simple("red", {{"color", "red"}});
  auto plain = Simple("plain");
  Add(blue, {"blue:1"});
  Add(red, {"red:1"});
  Add(plain, {"plain:1"});
  // label=color!=red is label!=color=red.
  auto r = images()->Prune({.dangling_only = false, .labels = {*LabelFilter::Parse("color!=red")}});
  ASSERT_OK(r);
  EXPECT_EQ(RecordNames(), (V{Full("plain:1"), Full("red:1")}));
  // label!=color!=red negates twice: label=color=red.
  r = images()->Prune({.dangling_only = false, .labels = {*LabelFilter::Parse("color!=red", true)}});
  ASSERT_OK(r);
  EXPECT_EQ(RecordNames(), V{Full("plain:1")});
}

TEST(LabelFilterTest, ParseAndMatch) {
  const std::map<std::string, std::string> labels{{"k", "v"}};
  const std::map<std::string, std::string> none;
  auto check = [](std::string_view term, bool label_not) { return *LabelFilter::Parse(term, label_not); };
  EXPECT_TRUE(check("k", false).Matches(labels));
  EXPECT_FALSE(check("k", false).Matches(none));
  EXPECT_TRUE(check("k=v", false).Matches(labels));
  EXPECT_FALSE(check("k=w", false).Matches(labels));
  EXPECT_FALSE(check("k!=v", false).Matches(labels));
  EXPECT_TRUE(check("k!=w", false).Matches(labels));
  EXPECT_FALSE(check("k!=w", false).Matches(none));  // a value check needs the key
  EXPECT_FALSE(check("k=w", true).Matches(none));
  EXPECT_TRUE(check("k!=v", true).Matches(labels));
  EXPECT_TRUE(check("k!", false).Matches(none));
  EXPECT_FALSE(check("k", true).Matches(labels));
  EXPECT_TRUE(check("k", true).Matches(none));
  EXPECT_EQ(LabelFilter::Parse("=v").status().message(), "invalid label filter '=v'");
  EXPECT_EQ(LabelFilter::Parse("!=v").status().message(), "invalid label filter '!=v'");
  auto long_term = LabelFilter::Parse(std::string(70, 'k') + "=" + std::string(4030, 'v'));
  EXPECT_EQ(long_term.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(long_term.status().message(), "label key and value length (4100 bytes) greater than maximum size (4096 "
                                          "bytes), key: " + std::string(64, 'k') + ": invalid argument");
}

TEST_F(PruneTest, UntilFilterUsesRecordCreationTime) {
  const int64_t t0 = int64_t{1700000000} * kNanosPerSecond;
  clock_.SetNowUnixNanos(t0);
  auto old_img = Simple("old");
  Add(old_img, {"old:1"});
  const int64_t cut = t0 + kNanosPerSecond;
  clock_.SetNowUnixNanos(cut);  // a record created at the cut is not before it
  auto new_img = Simple("new");
  Add(new_img, {"new:1"});
  auto r = images()->Prune({.dangling_only = false, .until_unix_nanos = cut});
  ASSERT_OK(r);
  EXPECT_EQ(RecordNames(), V{Full("new:1")});
}

TEST_F(PruneTest, BlobNamedTwiceIsListedTwice) {
  // Both platforms share the base layer: Docker's walk visits it under each
  // manifest and reports (and counts) it each time.
  auto img = Multi("twice", {kAmd64, kArm64});
  Add(img, {});
  auto r = images()->Prune({});
  ASSERT_OK(r);
  uint64_t total = 0;
  V walked = WalkLines(img, &total);
  EXPECT_EQ(walked.size(), 1u + 2 * 4);
  EXPECT_EQ(Lines(r->deleted), Concat({"Untagged: " + img.target.digest.str()}, walked));
  EXPECT_EQ(r->space_reclaimed, total);
  EXPECT_FALSE(Present(img.target.digest));
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
