// SaveArchive: layout of the tar, naming, platform selection, errors before
// any output, events, and save -> load round trips.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "archive/archive_test_util.h"
#include "berth/reference.h"

namespace berth {
namespace {

using archive_test::ArchiveTest;
using archive_test::BlobPath;
using archive_test::FindBlob;
using archive_test::FindEntry;
using archive_test::ReadEntry;
using archive_test::ReadTar;
using testing::BuiltImage;

using archive_test::kAmd64;
using archive_test::kArm64;
using archive_test::Simple;
using archive_test::TwoPlatforms;

std::vector<ReadEntry> Entries(const std::string& tar) {
  auto e = ReadTar(tar);
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return e.ok() ? *e : std::vector<ReadEntry>{};
}

std::set<std::string> BlobEntries(const std::vector<ReadEntry>& entries) {
  std::set<std::string> out;
  for (const auto& e : entries) {
    if (e.type == 'f' && e.path.rfind("blobs/sha256/", 0) == 0) out.insert(e.path);
  }
  return out;
}

std::set<std::string> AllBlobPaths(const BuiltImage& img) {
  std::set<std::string> out;
  for (const auto& b : img.blobs) out.insert(BlobPath(b.descriptor.digest));
  return out;
}

TEST_F(ArchiveTest, SaveWritesOciLayoutAndDockerManifest) {
  BuiltImage img = Simple("save");
  ASSERT_TRUE(testing::AddToStore(store_.get(), img, {"busybox:1", "example.com/app:2"}).ok());
  auto sub = store_->events()->Subscribe();
  auto tar = Save({"busybox:1", "example.com/app:2"});
  ASSERT_TRUE(tar.ok()) << tar.status().ToString();
  auto entries = Entries(*tar);
  const ReadEntry* layout = FindEntry(entries, "oci-layout");
  ASSERT_NE(layout, nullptr);
  EXPECT_EQ(boost::json::parse(layout->data).at("imageLayoutVersion").as_string(), "1.0.0");
  EXPECT_EQ(BlobEntries(entries), AllBlobPaths(img));
  for (const auto& b : img.blobs) EXPECT_EQ(FindEntry(entries, BlobPath(b.descriptor.digest))->data, b.data);

  auto index = ParseIndex(FindEntry(entries, "index.json")->data);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  EXPECT_EQ(index->media_type, media_type::kOciIndex);
  ASSERT_EQ(index->manifests.size(), 2u);
  EXPECT_EQ(index->manifests[0].digest, img.target.digest);
  EXPECT_EQ(index->manifests[0].size, img.target.size);
  EXPECT_EQ(index->manifests[0].media_type, img.target.media_type);
  EXPECT_EQ(index->manifests[0].annotations.at("io.containerd.image.name"), "docker.io/library/busybox:1");
  EXPECT_EQ(index->manifests[0].annotations.at("org.opencontainers.image.ref.name"), "1");
  EXPECT_EQ(index->manifests[1].annotations.at("io.containerd.image.name"), "example.com/app:2");

  boost::json::value mj = boost::json::parse(FindEntry(entries, "manifest.json")->data);
  ASSERT_EQ(mj.as_array().size(), 1u);  // one entry per image
  const auto& e = mj.as_array()[0].as_object();
  auto m = ParseManifest(FindBlob(img, img.target.digest)->data);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(e.at("Config").as_string(), BlobPath(m->config.digest));
  EXPECT_EQ(e.at("RepoTags"), (boost::json::array{"busybox:1", "example.com/app:2"}));
  EXPECT_EQ(e.at("Layers"), (boost::json::array{BlobPath(m->layers[0].digest).c_str()}));

  Event ev;
  ASSERT_TRUE(sub->Next(&ev, 1000));
  EXPECT_EQ(ev.type, "image");
  EXPECT_EQ(ev.action, "save");
  EXPECT_EQ(ev.actor_id, img.target.digest.str());
  EXPECT_EQ(ev.attributes.at("name"), img.target.digest.str());
  EXPECT_FALSE(sub->Next(&ev, 50)) << "one event per image, got another: " << ev.action;
}

TEST_F(ArchiveTest, SaveRoundTripPreservesDigests) {
  BuiltImage a = Simple("rt-a");
  BuiltImage b = TwoPlatforms("rt-b", true);
  ASSERT_TRUE(testing::AddToStore(store_.get(), a, {"a:1"}).ok());
  ASSERT_TRUE(testing::AddToStore(store_.get(), b, {"b:1", "b:2"}).ok());
  auto tar = Save({"a:1", "b:1", "b:2"});
  ASSERT_TRUE(tar.ok()) << tar.status().ToString();
  Store* other = OtherStore();
  auto loaded = Load(*tar, {}, other);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_EQ(loaded->size(), 3u);
  EXPECT_EQ((*loaded)[0].name, "a:1");
  EXPECT_EQ((*loaded)[0].id, a.target.digest);
  EXPECT_EQ((*loaded)[1].id, b.target.digest);
  EXPECT_EQ(Records(other), Records());
  EXPECT_EQ(Blobs(other), Blobs());
  // And the reloaded store saves the same bytes.
  auto again = Save({"a:1", "b:1", "b:2"}, {}, other);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *tar);
}

TEST_F(ArchiveTest, SaveByIdIsUnnamed) {
  BuiltImage img = Simple("by-id");
  ASSERT_TRUE(testing::AddToStore(store_.get(), img, {"named:1"}).ok());
  for (const std::string& ref : {img.target.digest.str(), img.target.digest.hex().substr(0, 12)}) {
    SCOPED_TRACE(ref);
    auto tar = Save({ref});
    ASSERT_TRUE(tar.ok()) << tar.status().ToString();
    auto entries = Entries(*tar);
    auto index = ParseIndex(FindEntry(entries, "index.json")->data);
    ASSERT_TRUE(index.ok());
    ASSERT_EQ(index->manifests.size(), 1u);
    EXPECT_TRUE(index->manifests[0].annotations.empty());
    boost::json::value mj = boost::json::parse(FindEntry(entries, "manifest.json")->data);
    EXPECT_TRUE(mj.as_array()[0].as_object().at("RepoTags").is_null());
    Store* other = OtherStore();
    auto loaded = Load(*tar, {}, other);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    EXPECT_EQ((*loaded)[0].name, "");
    EXPECT_EQ(Records(other), (std::map<std::string, std::string>{{DanglingName(img.target.digest),
                                                                   img.target.digest.str()}}));
  }
}

TEST_F(ArchiveTest, SaveWithPlatformKeepsIndexBlobAndOnlyThatPlatform) {
  BuiltImage img = TwoPlatforms("plat", true);
  ASSERT_TRUE(testing::AddToStore(store_.get(), img, {"multi:1"}).ok());
  Digest arm = img.ManifestFor(kArm64);
  Digest amd = img.ManifestFor(kAmd64);
  auto tar = Save({"multi:1"}, kArm64);
  ASSERT_TRUE(tar.ok()) << tar.status().ToString();
  auto entries = Entries(*tar);
  auto arm_m = ParseManifest(FindBlob(img, arm)->data);
  ASSERT_TRUE(arm_m.ok());
  std::set<std::string> want{BlobPath(img.target.digest), BlobPath(arm), BlobPath(arm_m->config.digest)};
  for (const auto& l : arm_m->layers) want.insert(BlobPath(l.digest));
  EXPECT_EQ(BlobEntries(entries), want);
  EXPECT_EQ(FindEntry(entries, BlobPath(img.target.digest))->data, FindBlob(img, img.target.digest)->data);
  EXPECT_EQ(FindEntry(entries, BlobPath(amd)), nullptr);
  boost::json::value mj = boost::json::parse(FindEntry(entries, "manifest.json")->data);
  EXPECT_EQ(mj.as_array()[0].as_object().at("Config").as_string(), BlobPath(arm_m->config.digest));

  // Loads elsewhere with the index target intact and one platform kept.
  Store* other = OtherStore();
  auto loaded = Load(*tar, {}, other);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)[0].id, img.target.digest);

  // A platform the image lacks: NotFound, nothing written.
  bool wrote = false;
  Status s = SaveArchive(store_.get(), {"multi:1"}, SaveOptions{Platform{"linux", "s390x", "", "", {}}},
                         [&](std::string_view) {
                           wrote = true;
                           return OkStatus();
                         });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_NE(s.message().find("does not provide the specified platform (linux/s390x)"), std::string::npos)
      << s.message();
  EXPECT_FALSE(wrote);
}

TEST_F(ArchiveTest, SaveWritesOnlyRetainedManifests) {
  // Loaded with a platform filter, the image retains only arm64: save
  // writes that alone (and the whole index blob).
  BuiltImage img = TwoPlatforms("retained");
  auto archive = testing::WriteOciArchive({{&img, {"r:1"}}});
  ASSERT_TRUE(archive.ok());
  ASSERT_TRUE(Load(*archive, kArm64).ok());
  auto tar = Save({"r:1"});
  ASSERT_TRUE(tar.ok()) << tar.status().ToString();
  auto entries = Entries(*tar);
  EXPECT_NE(FindEntry(entries, BlobPath(img.ManifestFor(kArm64))), nullptr);
  EXPECT_EQ(FindEntry(entries, BlobPath(img.ManifestFor(kAmd64))), nullptr);
  EXPECT_NE(FindEntry(entries, BlobPath(img.target.digest)), nullptr);
}

TEST_F(ArchiveTest, SaveUnknownReferenceWritesNothing) {
  BuiltImage img = Simple("known");
  ASSERT_TRUE(testing::AddToStore(store_.get(), img, {"known:1"}).ok());
  auto sub = store_->events()->Subscribe();
  bool wrote = false;
  Status s = SaveArchive(store_.get(), {"known:1", "unknown:1"}, SaveOptions{}, [&](std::string_view) {
    wrote = true;
    return OkStatus();
  });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_FALSE(wrote);
  Event ev;
  EXPECT_FALSE(sub->Next(&ev, 50));
}

TEST_F(ArchiveTest, SaveWriteErrorIsReturned) {
  // Big enough (busybox) that the failure comes half-way through.
  testing::FixtureImage spec;
  spec.platforms.emplace_back();
  spec.platforms[0].layers.push_back(testing::FixtureLayer{{}, true, std::string(media_type::kOciLayer)});
  auto img = testing::BuildImage(spec);
  ASSERT_TRUE(img.ok());
  ASSERT_TRUE(testing::AddToStore(store_.get(), *img, {"w:1"}).ok());
  int calls = 0;
  Status s = SaveArchive(store_.get(), {"w:1"}, SaveOptions{}, [&](std::string_view) -> Status {
    if (++calls > 1) return Unavailable("client went away");
    return OkStatus();
  });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_EQ(s.message(), "client went away");
}

TEST_F(ArchiveTest, SaveSameImageTwiceWritesBlobsOnce) {
  BuiltImage img = Simple("twice");
  ASSERT_TRUE(testing::AddToStore(store_.get(), img, {"t:1", "t:2"}).ok());
  auto tar = Save({"t:1", "t:2", "t:1", img.target.digest.str()});
  ASSERT_TRUE(tar.ok()) << tar.status().ToString();
  auto entries = Entries(*tar);
  std::map<std::string, int> count;
  for (const auto& e : entries) count[e.path]++;
  for (const auto& [path, n] : count) EXPECT_EQ(n, 1) << path;
  auto index = ParseIndex(FindEntry(entries, "index.json")->data);
  ASSERT_TRUE(index.ok());
  EXPECT_EQ(index->manifests.size(), 2u);  // t:1 and t:2; the ID adds no unnamed entry
}

}  // namespace
}  // namespace berth
