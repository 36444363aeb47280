// LoadArchive on well-formed archives: OCI layouts, Docker archives,
// multi-platform images with and without a platform filter, compression,
// naming rules and Docker's load semantics.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "archive/archive_test_util.h"
#include "berth/reference.h"

namespace berth {
namespace {

using archive_test::ArchiveTest;
using archive_test::BlobPath;
using archive_test::FindBlob;
using archive_test::FindTarEntry;
using archive_test::ReadTar;
using archive_test::ToTarEntries;
using testing::BuiltImage;

using archive_test::kAmd64;
using archive_test::kArm64;
using archive_test::Simple;

BuiltImage Multi(const std::string& seed, bool attestations) {
  testing::FixtureImage spec;
  spec.attestations = attestations;
  for (const Platform& p : {kAmd64, kArm64}) {
    testing::FixturePlatform fp;
    fp.platform = p;
    fp.layers.push_back(testing::FixtureLayer{{{"base", "shared"}}});
    fp.layers.push_back(testing::FixtureLayer{{{"own", seed + p.architecture}}});
    spec.platforms.push_back(fp);
  }
  auto img = testing::BuildImage(spec);
  EXPECT_TRUE(img.ok()) << img.status().ToString();
  return *img;
}

std::string OciArchive(const BuiltImage& img, std::vector<std::string> names, bool docker_manifest = true,
                       std::vector<Digest> skip = {}) {
  auto tar = testing::WriteOciArchive({{&img, std::move(names)}}, docker_manifest, skip);
  EXPECT_TRUE(tar.ok()) << tar.status().ToString();
  return *tar;
}

// The OCI archive of `img` with index.json replaced by one entry carrying
// `annotations`.
std::string WithIndexAnnotations(const BuiltImage& img, std::map<std::string, std::string> annotations,
                                 bool docker_manifest = false) {
  auto entries = ReadTar(OciArchive(img, {"placeholder:1"}, docker_manifest));
  EXPECT_TRUE(entries.ok());
  auto tar = ToTarEntries(*entries);
  Descriptor d = img.target;
  d.annotations = std::move(annotations);
  FindTarEntry(tar, "index.json")->data =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)" +
      DescriptorToJson(d) + "]}";
  auto out = testing::WriteTar(tar);
  EXPECT_TRUE(out.ok());
  return *out;
}

TEST_F(ArchiveTest, LoadsOciArchiveWithNames) {
  BuiltImage img = Simple("oci");
  auto sub = store_->events()->Subscribe();
  auto loaded = Load(OciArchive(img, {"busybox:1", "example.com/team/app"}));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_EQ(loaded->size(), 2u);
  EXPECT_EQ((*loaded)[0].name, "busybox:1");
  EXPECT_EQ((*loaded)[0].id, img.target.digest);
  EXPECT_EQ((*loaded)[1].name, "example.com/team/app:latest");
  auto records = Records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records["docker.io/library/busybox:1"], img.target.digest.str());
  EXPECT_EQ(records["example.com/team/app:latest"], img.target.digest.str());
  for (const auto& b : img.blobs) EXPECT_TRUE(store_->blobs()->Exists(b.descriptor.digest));
  auto rec = Record("docker.io/library/busybox:1");
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->target.media_type, media_type::kOciManifest);
  EXPECT_EQ(rec->target.size, img.target.size);
  EXPECT_TRUE(rec->target.annotations.empty());
  // One load event per image.
  int loads = 0;
  Event e;
  while (sub->Next(&e, 100)) {
    if (e.action == "load") {
      loads++;
      EXPECT_EQ(e.actor_id, img.target.digest.str());
    }
  }
  EXPECT_EQ(loads, 2);
}

TEST_F(ArchiveTest, LoadsDockerArchive) {
  BuiltImage img = Simple("docker");
  auto tar = testing::WriteDockerArchive({{&img, {"app:v1"}}});
  ASSERT_TRUE(tar.ok());
  auto loaded = Load(*tar);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ((*loaded)[0].name, "app:v1");
  // The target is a synthesised Docker schema-2 manifest over the original
  // config and the uncompressed layers.
  auto rec = Record("docker.io/library/app:v1");
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->target.digest, (*loaded)[0].id);
  EXPECT_EQ(rec->target.media_type, media_type::kDockerManifest);
  auto raw = store_->blobs()->ReadAll(rec->target.digest, kMaxManifestBytes);
  ASSERT_TRUE(raw.ok());
  auto m = ParseManifest(*raw);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->media_type, media_type::kDockerManifest);
  auto orig = ParseManifest(FindBlob(img, img.target.digest)->data);
  ASSERT_TRUE(orig.ok());
  EXPECT_EQ(m->config.digest, orig->config.digest);
  EXPECT_EQ(m->config.media_type, media_type::kDockerConfig);
  auto cfg = ParseImageConfig(FindBlob(img, orig->config.digest)->data);
  ASSERT_TRUE(cfg.ok());
  ASSERT_EQ(m->layers.size(), 1u);
  EXPECT_EQ(m->layers[0].media_type, media_type::kDockerLayer);
  EXPECT_EQ(m->layers[0].digest, cfg->diff_ids[0]);
  EXPECT_TRUE(store_->blobs()->Exists(m->layers[0].digest));

  // Deterministic: loading again gives the same image (and, as Docker's
  // load, a dangling record of the name's previous target: the same one).
  auto again = Load(*tar);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0].id, (*loaded)[0].id);
  EXPECT_EQ(Records().size(), 2u);
  EXPECT_TRUE(Record(DanglingName((*loaded)[0].id)).ok());
}

TEST_F(ArchiveTest, MultiPlatformWithoutFilterKeepsEverything) {
  BuiltImage img = Multi("mp", true);
  auto loaded = Load(OciArchive(img, {"multi:1"}));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ((*loaded)[0].id, img.target.digest);
  std::set<Digest> refs = RootRefs(img.target.digest);
  for (const Digest& m : img.manifests) EXPECT_TRUE(refs.count(m)) << m.str();
  EXPECT_EQ(refs.size(), img.manifests.size() + 1);  // + the index itself
}

TEST_F(ArchiveTest, MultiPlatformWithFilterKeepsOnlyTheMatch) {
  BuiltImage img = Multi("mpf", true);
  Digest arm = img.ManifestFor(kArm64);
  Digest amd = img.ManifestFor(kAmd64);
  auto loaded = Load(OciArchive(img, {"multi:1"}), kArm64);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)[0].id, img.target.digest);
  std::set<Digest> refs = RootRefs(img.target.digest);
  EXPECT_TRUE(refs.count(arm));
  EXPECT_FALSE(refs.count(amd));
  EXPECT_EQ(refs.size(), 3u);  // index, arm64 manifest, its attestation
}

TEST_F(ArchiveTest, PartialMultiPlatformArchive) {
  // An archive holding only the arm64 platform (as `save --platform` makes):
  // loads with and without a filter; the absent platform is not required.
  BuiltImage img = Multi("partial", false);
  Digest amd = img.ManifestFor(kAmd64);
  auto amd_manifest = ParseManifest(FindBlob(img, amd)->data);
  ASSERT_TRUE(amd_manifest.ok());
  std::vector<Digest> skip{amd, amd_manifest->config.digest, amd_manifest->layers[1].digest};
  std::string tar = OciArchive(img, {"partial:1"}, false, skip);
  auto loaded = Load(tar);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  std::set<Digest> refs = RootRefs(img.target.digest);
  EXPECT_EQ(refs, (std::set<Digest>{img.target.digest, img.ManifestFor(kArm64)}));

  // Asking for the absent platform fails and changes nothing.
  auto before = Records();
  auto amd_load = Load(tar, kAmd64);
  ASSERT_FALSE(amd_load.ok());
  EXPECT_NE(amd_load.status().message().find("missing from the archive"), std::string::npos)
      << amd_load.status().message();
  EXPECT_EQ(Records(), before);
  auto none = Load(tar, Platform{"linux", "s390x", "", "", {}});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), Code::kNotFound);
  EXPECT_NE(none.status().message().find("no matching manifest for linux/s390x in the image"), std::string::npos)
      << none.status().message();
  EXPECT_EQ(Records(), before);
}

TEST_F(ArchiveTest, SingleManifestPlatformFilter) {
  BuiltImage img = Simple("single");
  std::string tar = OciArchive(img, {"single:1"});
  auto wrong = Load(tar, kArm64);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), Code::kNotFound);
  EXPECT_TRUE(Records().empty());
  auto right = Load(tar, kAmd64);
  ASSERT_TRUE(right.ok()) << right.status().ToString();
}

TEST_F(ArchiveTest, CompressedArchives) {
  struct Case {
    Compression c;
    bool docker;
  };
  for (Case tc : {Case{Compression::kGzip, false}, Case{Compression::kZstd, false}, Case{Compression::kGzip, true},
                  Case{Compression::kZstd, true}}) {
    SCOPED_TRACE(std::to_string(static_cast<int>(tc.c)) + (tc.docker ? " docker" : " oci"));
    BuiltImage img = Simple("compressed" + std::to_string(static_cast<int>(tc.c)) + (tc.docker ? "d" : "o"));
    auto tar = tc.docker ? testing::WriteDockerArchive({{&img, {"c:1"}}}) : testing::WriteOciArchive({{&img, {"c:1"}}});
    ASSERT_TRUE(tar.ok());
    auto packed = testing::CompressStream(*tar, tc.c);
    ASSERT_TRUE(packed.ok());
    ASSERT_NE(*packed, *tar);
    auto loaded = Load(*packed);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    ASSERT_EQ(loaded->size(), 1u);
    EXPECT_EQ(Records()["docker.io/library/c:1"], (*loaded)[0].id.str());
    if (!tc.docker) {
      EXPECT_EQ((*loaded)[0].id, img.target.digest);
    }
  }
}

TEST_F(ArchiveTest, NamesFromAnnotations) {
  struct Case {
    std::string what;
    std::map<std::string, std::string> annotations;
    std::string record;  // expected record name; empty: dangling
    std::string familiar;
  };
  std::vector<Case> cases = {
      {"containerd name", {{"io.containerd.image.name", "docker.io/library/alpine:3"}}, "docker.io/library/alpine:3",
       "alpine:3"},
      {"containerd name wins", {{"io.containerd.image.name", "example.com/a:1"}, {"org.opencontainers.image.ref.name", "b:2"}},
       "example.com/a:1", "example.com/a:1"},
      {"full ref.name", {{"org.opencontainers.image.ref.name", "example.com/x/y:2"}}, "example.com/x/y:2",
       "example.com/x/y:2"},
      {"ref.name with repo", {{"org.opencontainers.image.ref.name", "busybox:musl"}}, "docker.io/library/busybox:musl",
       "busybox:musl"},
      {"tag-only ref.name", {{"org.opencontainers.image.ref.name", "latest"}}, "", ""},
      {"no annotations", {}, "", ""},
  };
  int i = 0;
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.what);
    BuiltImage img = Simple("names" + std::to_string(i++));
    auto loaded = Load(WithIndexAnnotations(img, tc.annotations));
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    ASSERT_EQ(loaded->size(), 1u);
    EXPECT_EQ((*loaded)[0].name, tc.familiar);
    EXPECT_EQ((*loaded)[0].id, img.target.digest);
    std::string want = tc.record.empty() ? DanglingName(img.target.digest) : tc.record;
    auto rec = Record(want);
    ASSERT_TRUE(rec.ok()) << want;
    EXPECT_EQ(rec->target.digest, img.target.digest);
  }
}

TEST_F(ArchiveTest, InvalidNameAnnotationIsRefused) {
  BuiltImage img = Simple("badname");
  auto loaded = Load(WithIndexAnnotations(img, {{"io.containerd.image.name", "UPPER/Case:1"}}));
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("invalid image name"), std::string::npos) << loaded.status().message();
  EXPECT_TRUE(Records().empty());
}

TEST_F(ArchiveTest, ManifestJsonNamesUnnamedIndexEntries) {
  BuiltImage img = Simple("mjnames");
  // index.json without names, manifest.json with RepoTags (from the fixture).
  auto entries = ReadTar(OciArchive(img, {"fromdocker:7"}, true));
  ASSERT_TRUE(entries.ok());
  auto tar = ToTarEntries(*entries);
  FindTarEntry(tar, "index.json")->data =
      R"({"schemaVersion":2,"manifests":[)" + DescriptorToJson(img.target) + "]}";
  auto loaded = Load(*testing::WriteTar(tar));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ((*loaded)[0].name, "fromdocker:7");
  EXPECT_EQ(Records(), (std::map<std::string, std::string>{{"docker.io/library/fromdocker:7", img.target.digest.str()}}));
}

TEST_F(ArchiveTest, UnnamedImageGetsDanglingRecord) {
  BuiltImage img = Simple("unnamed");
  auto loaded = Load(OciArchive(img, {}));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ((*loaded)[0].name, "");
  EXPECT_EQ((*loaded)[0].id, img.target.digest);
  EXPECT_EQ(Records(), (std::map<std::string, std::string>{{"moby-dangling@" + img.target.digest.str(),
                                                            img.target.digest.str()}}));
}

TEST_F(ArchiveTest, RepointedNameLeavesOldImageDangling) {
  BuiltImage a = Simple("first");
  BuiltImage b = Simple("second");
  ASSERT_TRUE(Load(OciArchive(a, {"app:1"})).ok());
  auto loaded = Load(OciArchive(b, {"app:1"}));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  auto records = Records();
  EXPECT_EQ(records["docker.io/library/app:1"], b.target.digest.str());
  EXPECT_EQ(records[DanglingName(a.target.digest)], a.target.digest.str());
  EXPECT_EQ(records.size(), 2u);
  // The old image's content is still there.
  for (const auto& blob : a.blobs) EXPECT_TRUE(store_->blobs()->Exists(blob.descriptor.digest));
}

TEST_F(ArchiveTest, ReloadKeepsOldTargetDanglingEveryTimeAndTheRecordsCreationTime) {
  BuiltImage a = Simple("reload-a");
  BuiltImage b = Simple("reload-b");
  const std::string name = "docker.io/library/app:1";
  ASSERT_TRUE(Load(OciArchive(a, {"app:1"})).ok());
  auto first = Record(name);
  ASSERT_TRUE(first.ok());
  // The same image again: Docker still copies the target to moby-dangling@.
  ASSERT_TRUE(Load(OciArchive(a, {"app:1"})).ok());
  EXPECT_EQ(Records(), (std::map<std::string, std::string>{{name, a.target.digest.str()},
                                                           {DanglingName(a.target.digest), a.target.digest.str()}}));
  // Another image under the name: the name moves, its record keeps the time
  // it was first created.
  ASSERT_TRUE(Load(OciArchive(b, {"app:1"})).ok());
  auto moved = Record(name);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->target.digest, b.target.digest);
  EXPECT_EQ(moved->created_unix_nanos, first->created_unix_nanos);
  EXPECT_GT(moved->updated_unix_nanos, first->updated_unix_nanos);
  EXPECT_EQ(Records(), (std::map<std::string, std::string>{{name, b.target.digest.str()},
                                                           {DanglingName(a.target.digest), a.target.digest.str()}}));
}

TEST_F(ArchiveTest, SeveralImagesInArchiveOrder) {
  BuiltImage a = Simple("one");
  BuiltImage b = Multi("two", false);
  auto tar = testing::WriteOciArchive({{&a, {"one:1"}}, {&b, {"two:2"}}, {&a, {"one:again"}}});
  ASSERT_TRUE(tar.ok());
  auto loaded = Load(*tar);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_EQ(loaded->size(), 3u);
  EXPECT_EQ((*loaded)[0].name, "one:1");
  EXPECT_EQ((*loaded)[1].name, "two:2");
  EXPECT_EQ((*loaded)[1].id, b.target.digest);
  EXPECT_EQ((*loaded)[2].name, "one:again");
  EXPECT_EQ(Records().size(), 3u);
}

TEST_F(ArchiveTest, ContentAlreadyInStoreIsReused) {
  BuiltImage img = Simple("reuse");
  ASSERT_TRUE(Load(OciArchive(img, {"reuse:1"})).ok());
  // The second archive lacks the layer, which the store already has.
  auto m = ParseManifest(FindBlob(img, img.target.digest)->data);
  ASSERT_TRUE(m.ok());
  auto loaded = Load(OciArchive(img, {"reuse:2"}, false, {m->layers[0].digest}));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(Records().size(), 2u);
}

TEST_F(ArchiveTest, LinksInsideTheArchiveAreFollowed) {
  // A Docker archive whose second reference to a layer is a link, as
  // `docker save` and skopeo write them.
  BuiltImage img = Simple("links");
  auto entries = ReadTar(*testing::WriteDockerArchive({{&img, {"links:1"}}}));
  ASSERT_TRUE(entries.ok());
  auto tar = ToTarEntries(*entries);
  std::string layer_path;
  for (const auto& e : tar) {
    if (e.path.size() > 10 && e.path.substr(e.path.size() - 10) == "/layer.tar") layer_path = e.path;
  }
  ASSERT_FALSE(layer_path.empty());
  std::string dir = layer_path.substr(0, layer_path.find('/'));
  tar.push_back(testing::TarEntry{"other/", testing::TarEntry::Type::kDir, "", "", 0755});
  tar.push_back(testing::TarEntry{"other/layer.tar", testing::TarEntry::Type::kSymlink, "", "../" + layer_path, 0777});
  tar.push_back(testing::TarEntry{"hard.tar", testing::TarEntry::Type::kHardlink, "", layer_path, 0644});
  for (const char* via : {"other/layer.tar", "hard.tar"}) {
    SCOPED_TRACE(via);
    auto copy = tar;
    auto* mj = FindTarEntry(copy, "manifest.json");
    boost::json::value v = boost::json::parse(mj->data);
    v.as_array()[0].as_object()["Layers"] = boost::json::array{via};
    mj->data = boost::json::serialize(v);
    auto loaded = Load(*testing::WriteTar(copy));
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    EXPECT_EQ((*loaded)[0].name, "links:1");
  }
}

TEST_F(ArchiveTest, DockerArchiveDiffIdMismatchIsRefused) {
  BuiltImage a = Simple("diff-a");
  BuiltImage b = Simple("diff-b");
  auto ea = ReadTar(*testing::WriteDockerArchive({{&a, {"a:1"}}}));
  auto eb = ReadTar(*testing::WriteDockerArchive({{&b, {"b:1"}}}));
  ASSERT_TRUE(ea.ok() && eb.ok());
  // a's manifest.json pointing at b's layer.
  auto tar = ToTarEntries(*ea);
  for (const auto& e : ToTarEntries(*eb)) {
    if (e.path != "manifest.json" && e.path != "repositories") tar.push_back(e);
  }
  auto* mj = FindTarEntry(tar, "manifest.json");
  boost::json::value vb = boost::json::parse(archive_test::FindEntry(*eb, "manifest.json")->data);
  boost::json::value va = boost::json::parse(mj->data);
  va.as_array()[0].as_object()["Layers"] = vb.as_array()[0].as_object()["Layers"];
  mj->data = boost::json::serialize(va);
  auto loaded = Load(*testing::WriteTar(tar));
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("does not match diff ID"), std::string::npos) << loaded.status().message();
  EXPECT_TRUE(Records().empty());
}

TEST_F(ArchiveTest, Schema1TargetIsRefused) {
  std::string schema1 = R"({"schemaVersion":1,"name":"x","tag":"y","fsLayers":[],"history":[]})";
  Digest d = Digest::Of(schema1);
  Descriptor desc{std::string(media_type::kDockerManifestV1Signed), d, static_cast<int64_t>(schema1.size()), {}, {}, {}, {}};
  std::vector<testing::TarEntry> tar{
      {"oci-layout", testing::TarEntry::Type::kFile, R"({"imageLayoutVersion":"1.0.0"})", "", 0644},
      {BlobPath(d), testing::TarEntry::Type::kFile, schema1, "", 0644},
      {"index.json", testing::TarEntry::Type::kFile,
       R"({"schemaVersion":2,"manifests":[)" + DescriptorToJson(desc) + "]}", "", 0644}};
  auto loaded = Load(*testing::WriteTar(tar));
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), Code::kUnimplemented);
  EXPECT_NE(loaded.status().message().find("schema 1"), std::string::npos);
}

TEST_F(ArchiveTest, DotSlashPathsAreAccepted) {
  // `tar -C dir .` writes "./index.json" etc.
  BuiltImage img = Simple("dotslash");
  auto entries = ReadTar(OciArchive(img, {"dot:1"}));
  ASSERT_TRUE(entries.ok());
  auto tar = ToTarEntries(*entries);
  for (auto& e : tar) e.path = "./" + e.path;
  tar.insert(tar.begin(), testing::TarEntry{"./", testing::TarEntry::Type::kDir, "", "", 0755});
  auto loaded = Load(*testing::WriteTar(tar));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)[0].name, "dot:1");
}

}  // namespace
}  // namespace berth
