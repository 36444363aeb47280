// Platform removal, where berth differs from Docker on purpose: an image
// stops retaining a platform, and garbage collection frees only what nothing
// else reaches, so no other image ever loses content. Like Docker's, it acts
// on content only: records and names never change.
#include "image/image_test_util.h"
#include "image/store_internals.h"

namespace berth::image_test {
namespace {

using V = std::vector<std::string>;

class PlatformRemoveTest : public StoreTestBase {
 protected:
  void SetUp() override {
    StoreTestBase::SetUp();
    multi_ = Multi("m", {kAmd64, kArm64, kArmV7});
    Add(multi_, {"multi:1"});
    amd64_ = multi_.ManifestFor(kAmd64);
    arm64_ = multi_.ManifestFor(kArm64);
    armv7_ = multi_.ManifestFor(kArmV7);
    ASSERT_FALSE(arm64_.empty());
  }

  std::vector<Digest> Retained() {
    std::vector<Digest> out;
    Status s = image::MetadataOf(store_.get())->View([&](Tx& tx) -> Status {
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
    Status s = image::MetadataOf(store_.get())->View([&](Tx& tx) -> Status {
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
  auto events = DrainEventObjects();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "image");
  EXPECT_EQ(events[0].action, "remove-platform");
  EXPECT_EQ(events[0].actor_id, multi_.target.digest.str());
  EXPECT_EQ(events[0].attributes["name"], "multi:1");
  EXPECT_EQ(events[0].attributes["platform"], "linux/arm64");
}

// By ID the reply, the events and the record are the same as by name; the
// event names the reference as given, with an ID in full.
TEST_F(PlatformRemoveTest, ByIdPrefixRemovesTheSameWay) {
  DrainEvents();
  auto r = images()->Remove(multi_.target.digest.hex().substr(0, 8), {.platforms = {kArm64, kArmV7}});
  ASSERT_OK(r);
  EXPECT_EQ(Lines(*r), (V{"Deleted: " + arm64_.str(), "Deleted: " + armv7_.str()}));
  EXPECT_EQ(RecordNames(), V{Full("multi:1")});
  auto events = DrainEventObjects();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].action, "remove-platform");
  EXPECT_EQ(events[0].attributes["name"], multi_.target.digest.str());
  EXPECT_EQ(events[0].attributes["platform"], "linux/arm64");
  EXPECT_EQ(events[1].attributes["platform"], "linux/arm/v7");
}

// The same platform asked for twice (in two spellings) is removed and
// reported once.
TEST_F(PlatformRemoveTest, SamePlatformTwiceIsOneLine) {
  auto r = images()->Remove("multi:1", {.platforms = {kArm64, Platform{"linux", "aarch64", "v8", "", {}}}});
  ASSERT_OK(r);
  EXPECT_EQ(Lines(*r), V{"Deleted: " + arm64_.str()});
}

// As in Docker with the containerd store, a listing with manifests names
// every manifest of the index in index order; the removed platform is no
// longer the image's, so it shows as unavailable.
TEST_F(PlatformRemoveTest, ListingShowsRemovedPlatformsAsUnavailable) {
  auto before = images()->List({.manifests = true});
  ASSERT_OK(before);
  ASSERT_EQ(before->size(), 1u);
  ASSERT_OK(images()->Remove("multi:1", {.platforms = {kArm64}}));
  auto list = images()->List({.manifests = true});
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 1u);
  V rows;
  for (const auto& m : (*list)[0].manifests) {
    rows.push_back(FormatPlatform(m.platform) + " " + m.kind + (m.available ? " available" : " unavailable"));
  }
  EXPECT_EQ(rows, (V{"linux/amd64 image available", "linux/arm64 image unavailable", "linux/arm/v7 image available"}));
  const ManifestSummary& arm = (*list)[0].manifests[1];
  EXPECT_EQ(arm.id, arm64_);
  EXPECT_EQ(arm.descriptor.digest, arm64_);
  ASSERT_TRUE(arm.descriptor.platform.has_value());
  // Its manifest is gone, so none of its content can be counted.
  EXPECT_EQ(arm.content_size, 0);
  EXPECT_EQ(arm.total_size, 0);
  EXPECT_TRUE(arm.containers.empty());
  // The retained ones are as before; the image size counts only what it keeps.
  EXPECT_EQ((*list)[0].manifests[0].content_size, (*before)[0].manifests[0].content_size);
  EXPECT_EQ((*list)[0].manifests[0].total_size, (*list)[0].manifests[0].content_size);
  EXPECT_LT((*list)[0].size, (*before)[0].size);
  // Without manifests=1 nothing is listed.
  auto plain = images()->List({});
  ASSERT_OK(plain);
  EXPECT_TRUE((*plain)[0].manifests.empty());
}

TEST_F(PlatformRemoveTest, InspectShowsRemovedPlatformsAsUnavailable) {
  auto two = Multi("two", {kAmd64, kArm64});
  Add(two, {"two:1"});
  ASSERT_OK(images()->Remove("two:1", {.platforms = {kArm64}}));
  auto in = images()->Inspect("two:1", std::nullopt, /*manifests=*/true);
  ASSERT_OK(in);
  ASSERT_EQ(in->manifests.size(), 2u);
  EXPECT_EQ(in->manifests[0].id, two.ManifestFor(kAmd64));
  EXPECT_TRUE(in->manifests[0].available);
  EXPECT_EQ(in->manifests[1].id, two.ManifestFor(kArm64));
  EXPECT_FALSE(in->manifests[1].available);
  EXPECT_EQ(in->manifests[1].kind, "image");
  EXPECT_EQ(FormatPlatform(in->manifests[1].platform), "linux/arm64");
  // The image itself is unchanged: its amd64 platform, its own ID.
  EXPECT_EQ(in->id, two.target.digest);
  EXPECT_EQ(FormatPlatform(in->platform), "linux/amd64");
  auto absent = images()->Inspect("two:1", kArm64, false);
  EXPECT_FALSE(absent.ok());
}

// A manifest the image no longer keeps but whose content is still present
// (a container holds it) is still unavailable to the image, with Docker's
// sizes of what is present and the containers using it.
TEST_F(PlatformRemoveTest, UnretainedButPresentContentIsSized) {
  auto before = images()->Inspect("multi:1", std::nullopt, true);
  ASSERT_OK(before);
  ASSERT_EQ(before->manifests.size(), 3u);
  const int64_t full = before->manifests[1].content_size;
  ASSERT_GT(full, 0);
  std::string c = AddContainer("multi:1", multi_.target.digest, false, arm64_, kArm64);
  ASSERT_OK(images()->Remove("multi:1", {.force = true, .platforms = {kArm64}}));
  auto in = images()->Inspect("multi:1", std::nullopt, true);
  ASSERT_OK(in);
  ASSERT_EQ(in->manifests.size(), 3u);
  const ManifestSummary& arm = in->manifests[1];
  EXPECT_EQ(arm.id, arm64_);
  EXPECT_FALSE(arm.available);
  EXPECT_EQ(arm.kind, "image");
  EXPECT_EQ(arm.content_size, full);
  EXPECT_EQ(arm.total_size, full);
  EXPECT_EQ(arm.containers, V{c});
  // Once the container goes, so does the content, and with it the sizes.
  ASSERT_OK(images()->DeleteContainer(c));
  auto gc = images()->CollectGarbage();
  ASSERT_OK(gc);
  ASSERT_FALSE(Present(arm64_));
  in = images()->Inspect("multi:1", std::nullopt, true);
  ASSERT_OK(in);
  EXPECT_EQ(in->manifests[1].content_size, 0);
  EXPECT_FALSE(in->manifests[1].available);
  EXPECT_TRUE(in->manifests[1].containers.empty());
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
  // Named as given: the familiar name with its tag, or the full ID for an
  // ID or ID prefix.
  const std::string id = multi_.target.digest.str();
  for (const std::string& given : {std::string("docker.io/library/multi:1"), std::string("library/multi:1")}) {
    auto n = images()->Remove(given, {.platforms = {kS390x}});
    ASSERT_FALSE(n.ok());
    EXPECT_EQ(n.status().message(), "failed to delete platform linux/s390x for image " + id +
                                        ": image with reference multi:1 was found but does not provide any platform");
  }
  for (const std::string& given : {id, multi_.target.digest.hex(), multi_.target.digest.hex().substr(0, 12)}) {
    auto n = images()->Remove(given, {.platforms = {kS390x}});
    ASSERT_FALSE(n.ok());
    EXPECT_EQ(n.status().code(), Code::kNotFound);
    EXPECT_EQ(n.status().message(), "failed to delete platform linux/s390x for image " + id +
                                        ": image with reference " + id + " was found but does not provide any platform");
  }
  auto digest_name = images()->Remove("multi@" + id, {.platforms = {kS390x}});
  ASSERT_FALSE(digest_name.ok());
  EXPECT_EQ(digest_name.status().message(), "failed to delete platform linux/s390x for image " + id +
                                                ": image with reference multi@" + id +
                                                " was found but does not provide any platform");
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
    // By ID, by name, by the name of a second record: one answer.
    Add(multi_, {"other:1"});
    for (const std::string& given : {multi_.target.digest.str(), std::string("multi:1"), std::string("other:1")}) {
      auto r = images()->Remove(given, {.platforms = {kArm64}});
      ASSERT_FALSE(r.ok()) << given;
      EXPECT_EQ(r.status().code(), Code::kConflict);
      EXPECT_EQ(r.status().message(), "conflict: unable to delete " + Short(multi_.target.digest) +
                                          " (must be forced) - platform linux/arm64 is being used by " +
                                          (running ? "running" : "stopped") + " container " + c.substr(0, 12));
    }
    ASSERT_OK(images()->Remove("other:1", {}));
    ASSERT_OK(images()->DeleteContainer(c));
  }
}

// A container mounting the image (--mount type=image) uses its
// host-preferred platform: removing that platform is a soft conflict,
// removing another is not.
TEST_F(PlatformRemoveTest, ImageMountOnThatPlatformIsASoftConflict) {
  auto base = Multi("base", {kAmd64});
  Add(base, {"base:1"});
  std::string c = AddContainer("base:1", base.target.digest, true, base.ManifestFor(kAmd64), kAmd64,
                               {multi_.target.digest});
  const Platform host = HostPlatform();
  const Platform other = FormatPlatform(host) == "linux/arm64" ? kAmd64 : kArm64;
  const Digest host_manifest = multi_.ManifestFor(host);
  ASSERT_FALSE(host_manifest.empty()) << "the fixture has the host platform";
  for (const std::string& given : {std::string("multi:1"), multi_.target.digest.str()}) {
    auto r = images()->Remove(given, {.platforms = {host}});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(), "conflict: unable to delete " + Short(multi_.target.digest) +
                                        " (must be forced) - platform " + FormatPlatform(host) +
                                        " is being used by running container " + c.substr(0, 12));
  }
  ASSERT_OK(images()->Remove("multi:1", {.platforms = {other}}));
  auto forced = images()->Remove("multi:1", {.force = true, .platforms = {host}});
  ASSERT_OK(forced);
  EXPECT_EQ(Lines(*forced), V{"Deleted: " + host_manifest.str()});
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

// Removing the last platform changes no record: the image stays listed,
// nothing available, size 0, until it is removed by name.
TEST_F(PlatformRemoveTest, RemovingTheLastPlatformKeepsTheRecord) {
  ASSERT_OK(images()->Remove("multi:1", {.platforms = {kArm64, kArmV7}}));
  auto r = images()->Remove("multi:1", {.platforms = {kAmd64}});
  ASSERT_OK(r);
  EXPECT_EQ(Lines(*r), V{"Deleted: " + amd64_.str()});
  EXPECT_EQ(RecordNames(), V{Full("multi:1")});
  auto list = images()->List({.manifests = true});
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 1u);
  const ImageSummary& s = (*list)[0];
  EXPECT_EQ(s.id, multi_.target.digest);
  EXPECT_EQ(s.repo_tags, V{"multi:1"});
  EXPECT_EQ(s.repo_digests, V{multi_.target.digest.str()});
  EXPECT_EQ(s.size, 0);
  EXPECT_EQ(s.created, 0);
  EXPECT_TRUE(s.labels_null);
  ASSERT_EQ(s.manifests.size(), 3u);
  for (const auto& m : s.manifests) EXPECT_FALSE(m.available);
  for (const auto& b : multi_.blobs) {
    EXPECT_EQ(Present(b.descriptor.digest), b.descriptor.digest == multi_.target.digest) << b.descriptor.digest.str();
  }
  // Removing a platform of it again: nothing is there to remove.
  EXPECT_EQ(images()->Remove("multi:1", {.platforms = {kAmd64}}).status().code(), Code::kNotFound);
  auto gone = images()->Remove("multi:1", {});
  ASSERT_OK(gone);
  EXPECT_EQ(Lines(*gone), (V{"Untagged: multi:1", "Deleted: " + multi_.target.digest.str()}));
  EXPECT_FALSE(Present(multi_.target.digest));
}

// A single-platform image (a manifest target) loses its manifest, config and
// layers; its record stays, and loading it again makes it whole.
TEST_F(PlatformRemoveTest, SinglePlatformImageKeepsItsRecord) {
  testing::FixtureImage spec;
  testing::FixturePlatform fp;
  fp.platform = kArm64;
  fp.layers.push_back(testing::FixtureLayer{{{"solo/file", "solo"}}});
  spec.platforms.push_back(fp);
  auto built = testing::BuildImage(spec);
  ASSERT_OK(built);
  ASSERT_TRUE(IsManifestType(built->target.media_type));
  Add(*built, {"solo:1"});
  auto r = images()->Remove("solo:1", {.platforms = {kArm64}});
  ASSERT_OK(r);
  EXPECT_EQ(Lines(*r), V{"Deleted: " + built->target.digest.str()});
  EXPECT_EQ(RecordNames(), (V{Full("multi:1"), Full("solo:1")}));
  for (const auto& b : built->blobs) EXPECT_FALSE(Present(b.descriptor.digest)) << b.descriptor.digest.str();
  auto list = images()->List({.reference = {"solo"}, .manifests = true});
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].size, 0);
  ASSERT_EQ((*list)[0].manifests.size(), 1u);
  EXPECT_FALSE((*list)[0].manifests[0].available);
  auto in = images()->Inspect("solo:1", std::nullopt, false);
  ASSERT_OK(in);
  EXPECT_EQ(in->id, built->target.digest);
  EXPECT_EQ(in->config_json, "null");
  Add(*built, {"solo:1"});
  EXPECT_TRUE(FullyPresent(*built));
  auto again = images()->List({.reference = {"solo"}});
  ASSERT_OK(again);
  EXPECT_GT((*again)[0].size, 0);
}

TEST_F(PlatformRemoveTest, AttestationsGoWithTheirPlatform) {
  auto att = Multi("att", {kAmd64, kArm64}, /*attestations=*/true);
  Add(att, {"att:1"});
  auto before = images()->List({.reference = {"att"}, .manifests = true});
  ASSERT_OK(before);
  ASSERT_EQ(before->size(), 1u);
  EXPECT_EQ((*before)[0].manifests.size(), 4u);
  for (const auto& m : (*before)[0].manifests) EXPECT_TRUE(m.available) << m.id.str();
  Digest arm64_attestation;
  for (const auto& m : (*before)[0].manifests) {
    if (m.kind == "attestation" && m.attestation_for == att.ManifestFor(kArm64)) arm64_attestation = m.id;
  }
  ASSERT_FALSE(arm64_attestation.empty());
  auto r = images()->Remove("att:1", {.platforms = {kArm64}});
  ASSERT_OK(r);
  EXPECT_EQ(Lines(*r), (V{"Deleted: " + att.ManifestFor(kArm64).str(), "Deleted: " + arm64_attestation.str()}));
  // All four are still listed, in index order; the arm64 image and its
  // attestation are unavailable.
  auto after = images()->List({.reference = {"att"}, .manifests = true});
  ASSERT_OK(after);
  ASSERT_EQ((*after)[0].manifests.size(), 4u);
  V rows;
  for (const auto& m : (*after)[0].manifests) {
    std::string subject = m.kind == "attestation" ? m.attestation_for.str() : m.id.str();
    std::string plat = subject == att.ManifestFor(kAmd64).str() ? "amd64" : subject == att.ManifestFor(kArm64).str() ? "arm64" : "?";
    rows.push_back(m.kind + " " + plat + (m.available ? " available" : " unavailable"));
  }
  EXPECT_EQ(rows, (V{"image amd64 available", "image arm64 unavailable", "attestation amd64 available",
                     "attestation arm64 unavailable"}));
  const ManifestSummary& gone = (*after)[0].manifests[3];
  EXPECT_FALSE(Present(gone.id));
  EXPECT_EQ(gone.content_size, 0);
  EXPECT_EQ(gone.descriptor.digest, gone.id);
}

// Docker decides an unavailable manifest's kind from its descriptor alone:
// the reference-type annotation makes an attestation (or "unknown" without a
// valid reference digest), an unknown/unknown platform "unknown".
TEST_F(PlatformRemoveTest, KindOfUnavailableManifestsFollowsTheirDescriptors) {
  auto att = Multi("kinds", {kAmd64, kArm64}, /*attestations=*/true);
  // Rewrite the index: the arm64 attestation loses its reference digest and
  // a descriptor with an unknown/unknown platform and no content is added.
  testing::BuiltImage edited = att;
  std::string index_json;
  for (const auto& b : att.blobs) {
    if (b.descriptor.digest == att.target.digest) index_json = b.data;
  }
  ASSERT_FALSE(index_json.empty());
  auto index = ParseIndex(index_json, att.target.media_type);
  ASSERT_OK(index);
  std::vector<Descriptor> manifests = index->manifests;
  ASSERT_EQ(manifests.size(), 4u);
  manifests[3].annotations.erase(std::string(annotation::kDockerReferenceDigest));
  Descriptor stray;
  stray.media_type = std::string(media_type::kOciManifest);
  stray.digest = Digest::Of("not stored anywhere");
  stray.size = 123;
  stray.platform = Platform{"unknown", "unknown", "", "", {}};
  manifests.push_back(stray);
  std::string body = "{\"schemaVersion\":2,\"mediaType\":\"" + att.target.media_type + "\",\"manifests\":[";
  for (size_t i = 0; i < manifests.size(); ++i) body += (i ? "," : "") + DescriptorToJson(manifests[i]);
  body += "]}";
  edited.target.digest = Digest::Of(body);
  edited.target.size = static_cast<int64_t>(body.size());
  for (auto& b : edited.blobs) {
    if (b.descriptor.digest == att.target.digest) {
      b.descriptor = edited.target;
      b.data = body;
    }
  }
  // The image never keeps the edited attestation.
  std::erase(edited.manifests, manifests[3].digest);
  Add(edited, {"kinds:1"});
  ASSERT_OK(images()->Remove("kinds:1", {.platforms = {kArm64}}));
  auto in = images()->Inspect("kinds:1", std::nullopt, true);
  ASSERT_OK(in);
  V rows;
  for (const auto& m : in->manifests) rows.push_back(m.kind + (m.available ? " available" : " unavailable"));
  EXPECT_EQ(rows, (V{"image available", "image unavailable", "attestation available", "unknown unavailable",
                     "unknown unavailable"}));
  ASSERT_EQ(in->manifests.size(), 5u);
  EXPECT_EQ(in->manifests[4].id, stray.digest);
  EXPECT_EQ(in->manifests[4].content_size, 0);
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
