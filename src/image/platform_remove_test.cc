// Platform removal, where berth differs from Docker on purpose: an image
// stops retaining a platform, and garbage collection frees only what nothing
// else reaches, so no other image ever loses content.
#include "image/test_harness.h"

namespace berth::image_test {
namespace {

using V = std::vector<std::string>;

class PlatformRemoveTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    multi_ = Multi("m", {kAmd64, kArm64, kArmV7});
    Add(multi_, {"multi:1"});
    amd64_ = multi_.ManifestFor(kAmd64);
    arm64_ = multi_.ManifestFor(kArm64);
    armv7_ = multi_.ManifestFor(kArmV7);
    ASSERT_FALSE(arm64_.empty());
  }

  std::vector<Digest> Retained() {
    std::vector<Digest> out;
    Status s = store_->metadata()->View([&](Tx& tx) -> Status {
      BERTH_ASSIGN_OR_RETURN(out, tx.RootRefs(RootKind::kImage, multi_.target.digest.str()));
      return OkStatus();
    });
    EXPECT_TRUE(s.ok());
    std::erase(out, multi_.target.digest);
    return out;
  }

  // Blobs of one platform: its manifest, config and layers.
  std::vector<Digest> BlobsOf(const Digest& manifest) {
    std::vector<Digest> out{manifest};
    Status s = store_->metadata()->View([&](Tx& tx) -> Status {
      BERTH_ASSIGN_OR_RETURN(auto children, tx.BlobChildren(manifest));
      out.insert(out.end(), children.begin(), children.end());
      return OkStatus();
    });
    EXPECT_TRUE(s.ok());
    return out;
  }

  testing::BuiltImage multi_;
  Digest amd64_, arm64_, armv7_;
};

TEST_F(PlatformRemoveTest, RemovesOnePlatformWithoutForce) {
  auto arm64_blobs = BlobsOf(arm64_);
  DrainEvents();
  auto r = images()->Remove("multi:1", {.platforms = {kArm64}});
  ASSERT_OK(r);
  EXPECT_EQ(Lines(*r), V{"Deleted: " + arm64_.str()});
  EXPECT_EQ(RecordNames(), V{Full("multi:1")});
  auto retained = Retained();
  EXPECT_EQ(std::count(retained.begin(), retained.end(), arm64_), 0);
  EXPECT_EQ(std::count(retained.begin(), retained.end(), amd64_), 1);
  EXPECT_FALSE(Present(arm64_));
  // The base layer is shared with the other platforms and stays.
  int gone = 0;
  for (const auto& d : arm64_blobs) gone += !Present(d);
  EXPECT_EQ(gone, 3) << "manifest, config and own layer go; the shared base stays";
  for (const auto& d : BlobsOf(amd64_)) EXPECT_TRUE(Present(d));
  auto events = DrainEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], "delete multi:1");
}

TEST_F(PlatformRemoveTest, ListingShowsTheRemainingPlatforms) {
  ASSERT_OK(images()->Remove("multi:1", {.platforms = {kArm64}}));
  auto list = images()->List({.manifests = true});
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 1u);
  std::vector<std::string> platforms;
  for (const auto& m : (*list)[0].manifests) platforms.push_back(FormatPlatform(m.platform));
  EXPECT_EQ(platforms, (V{"linux/amd64", "linux/arm/v7"}));
}

TEST_F(PlatformRemoveTest, ContentSharedWithAnotherImageIsNeverDeleted) {
  // Another image whose single manifest is the same arm64 manifest.
  testing::FixtureImage spec;
  testing::FixturePlatform fp;
  fp.platform = kArm64;
  fp.layers.push_back(testing::FixtureLayer{{{"base/file", "shared base"}}});
  fp.layers.push_back(testing::FixtureLayer{{{"own/file", "m/arm64"}}});
  spec.platforms.push_back(fp);
  auto single = testing::BuildImage(spec);
  ASSERT_OK(single);
  ASSERT_EQ(single->target.digest, arm64_) << "fixture must build the same manifest";
  Add(*single, {"single:1"});
  auto r = images()->Remove("multi:1", {.platforms = {kArm64}});
  ASSERT_OK(r);
  EXPECT_EQ(Lines(*r), V{"Deleted: " + arm64_.str()});
  EXPECT_TRUE(FullyPresent(*single)) << "removing a platform broke another image";
  // And the other image can still be removed in full afterwards.
  ASSERT_OK(images()->Remove("single:1", {}));
  EXPECT_FALSE(Present(arm64_));
}

TEST_F(PlatformRemoveTest, MissingPlatformIsNotFoundOrANoOpWithForce) {
  auto r = images()->Remove("multi:1", {.platforms = {kS390x}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_EQ(r.status().message(), "failed to delete platform linux/s390x for image " + multi_.target.digest.str() +
                                      ": image with reference multi:1 was found but does not provide any platform");
  auto f = images()->Remove("multi:1", {.force = true, .platforms = {kS390x}});
  ASSERT_OK(f);
  EXPECT_TRUE(f->empty());
  EXPECT_EQ(Retained().size(), 3u);
  EXPECT_TRUE(FullyPresent(multi_));
}

TEST_F(PlatformRemoveTest, SeveralPlatformsSucceedOrFailTogether) {
  auto r = images()->Remove("multi:1", {.platforms = {kArm64, kS390x}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(Retained().size(), 3u) << "the arm64 removal must have been rolled back";
  EXPECT_TRUE(Present(arm64_));
  auto ok = images()->Remove("multi:1", {.platforms = {kArm64, kArmV7}});
  ASSERT_OK(ok);
  EXPECT_EQ(Lines(*ok), (V{"Deleted: " + arm64_.str(), "Deleted: " + armv7_.str()}));
  EXPECT_EQ(Retained(), std::vector<Digest>{amd64_});
}

TEST_F(PlatformRemoveTest, PlatformStringsAreNormalised) {
  auto r = images()->Remove("multi:1", {.platforms = {Platform{"linux", "aarch64", "", "", {}}}});
  ASSERT_OK(r);
  EXPECT_EQ(Lines(*r), V{"Deleted: " + arm64_.str()});
}

TEST_F(PlatformRemoveTest, ContainerOnThatPlatformIsASoftConflict) {
  for (bool running : {true, false}) {
    std::string c = AddContainer("multi:1", multi_.target.digest, running, arm64_, kArm64);
    auto r = images()->Remove(multi_.target.digest.str(), {.platforms = {kArm64}});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kConflict);
    EXPECT_EQ(r.status().message(), "conflict: unable to delete " + Short(multi_.target.digest) +
                                        " (must be forced) - platform linux/arm64 is being used by " +
                                        (running ? "running" : "stopped") + " container " + c.substr(0, 12));
    ASSERT_OK(images()->DeleteContainer(c));
  }
}

TEST_F(PlatformRemoveTest, ForcedRemovalLeavesTheContainersContent) {
  AddContainer("multi:1", multi_.target.digest, true, arm64_, kArm64);
  auto r = images()->Remove("multi:1", {.force = true, .platforms = {kArm64}});
  ASSERT_OK(r);
  EXPECT_EQ(Lines(*r), V{"Deleted: " + arm64_.str()});
  for (const auto& d : BlobsOf(arm64_)) EXPECT_TRUE(Present(d)) << d.str();
  EXPECT_EQ(Retained().size(), 2u);
}

TEST_F(PlatformRemoveTest, ContainerOnAnotherPlatformDoesNotConflict) {
  AddContainer("multi:1", multi_.target.digest, true, amd64_, kAmd64);
  auto r = images()->Remove("multi:1", {.platforms = {kArm64}});
  ASSERT_OK(r);
}

TEST_F(PlatformRemoveTest, RemovingTheLastPlatformRemovesTheImage) {
  ASSERT_OK(images()->Remove("multi:1", {.platforms = {kArm64, kArmV7}}));
  auto r = images()->Remove("multi:1", {.platforms = {kAmd64}});
  ASSERT_OK(r);
  EXPECT_EQ(Lines(*r), (V{"Deleted: " + amd64_.str(), "Untagged: multi:1", "Deleted: " + multi_.target.digest.str()}));
  EXPECT_TRUE(RecordNames().empty());
  for (const auto& b : multi_.blobs) EXPECT_FALSE(Present(b.descriptor.digest));
}

TEST_F(PlatformRemoveTest, LastPlatformFollowsTheUsualConflictRules) {
  ASSERT_OK(images()->Remove("multi:1", {.platforms = {kArm64, kArmV7}}));
  std::string c = AddContainer(multi_.target.digest.str(), multi_.target.digest, true, amd64_, kAmd64);
  auto r = images()->Remove(multi_.target.digest.str(), {.force = true, .platforms = {kAmd64}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "conflict: unable to delete " + Short(multi_.target.digest) +
                                      " (cannot be forced) - image is being used by running container " +
                                      c.substr(0, 12));
}

TEST_F(PlatformRemoveTest, AttestationsGoWithTheirPlatform) {
  auto att = Multi("att", {kAmd64, kArm64}, /*attestations=*/true);
  Add(att, {"att:1"});
  auto before = images()->List({.reference = {"att"}, .manifests = true});
  ASSERT_OK(before);
  ASSERT_EQ(before->size(), 1u);
  EXPECT_EQ((*before)[0].manifests.size(), 4u);
  auto r = images()->Remove("att:1", {.platforms = {kArm64}});
  ASSERT_OK(r);
  EXPECT_EQ(Lines(*r), V{"Deleted: " + att.ManifestFor(kArm64).str()});
  auto after = images()->List({.reference = {"att"}, .manifests = true});
  ASSERT_OK(after);
  ASSERT_EQ((*after)[0].manifests.size(), 2u);
  for (const auto& m : (*after)[0].manifests) {
    if (m.kind == "attestation") {
      EXPECT_EQ(m.attestation_for, att.ManifestFor(kAmd64));
    }
  }
}

TEST_F(PlatformRemoveTest, UntagPathRemovesPlatformContentInstead) {
  Add(multi_, {"other:1"});
  auto r = images()->Remove("multi:1", {.platforms = {kArm64}});
  ASSERT_OK(r);
  EXPECT_EQ(Lines(*r), V{"Deleted: " + arm64_.str()});
  EXPECT_EQ(RecordNames(), (V{Full("multi:1"), Full("other:1")}));
}

}  // namespace
}  // namespace berth::image_test
