// Interoperability with skopeo: it must read what SaveArchive writes, and
// LoadArchive must read what skopeo writes (oci-archive: and
// docker-archive:). Skipped when skopeo is not installed.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "archive/archive_test_util.h"
#include "berth/reference.h"

namespace berth {
namespace {

namespace fs = std::filesystem;
using archive_test::ArchiveTest;
using archive_test::BlobPath;
using archive_test::FindBlob;
using archive_test::ReadTar;
using testing::BuiltImage;

using archive_test::kAmd64;
using archive_test::kArm64;
using archive_test::TwoPlatforms;

struct CommandResult {
  int status = -1;
  std::string out;
};

CommandResult Shell(const std::string& cmd) {
  CommandResult r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  r.status = ::pclose(p);
  return r;
}

bool HaveSkopeo() { return Shell("skopeo --version").status == 0; }

void WriteFile(const fs::path& p, const std::string& data) {
  fs::create_directories(p.parent_path());
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
}

std::string ReadFile(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

class SkopeoTest : public ArchiveTest {
 protected:
  void SetUp() override {
    if (!HaveSkopeo()) GTEST_SKIP() << "skopeo not installed";
    ArchiveTest::SetUp();
    testing::TempDir& dir = roots_.emplace_back();
    ASSERT_TRUE(dir.Create("berth-skopeo-test"));
    dir_ = dir.path();
  }

  // Unpacks a fixture OCI archive into an OCI layout directory.
  fs::path Unpack(const std::string& tar, const std::string& name) {
    fs::path out = dir_ / name;
    auto entries = ReadTar(tar);
    EXPECT_TRUE(entries.ok());
    for (const auto& e : *entries) {
      if (e.type == 'd') {
        fs::create_directories(out / e.path);
      } else {
        WriteFile(out / e.path, e.data);
      }
    }
    return out;
  }

  fs::path dir_;
};

TEST_F(SkopeoTest, SkopeoReadsSavedArchive) {
  auto img = testing::SimpleImage({{"etc/skopeo", "reads us"}}, {{"label", "value"}});
  ASSERT_TRUE(img.ok());
  ASSERT_TRUE(testing::AddToStore(store_.get(), *img, {"example.com/skopeo/read:1"}).ok());
  auto tar = Save({"example.com/skopeo/read:1"});
  ASSERT_TRUE(tar.ok()) << tar.status().ToString();
  fs::path file = dir_ / "saved.tar";
  WriteFile(file, *tar);

  CommandResult raw = Shell("skopeo inspect --raw oci-archive:" + file.string());
  ASSERT_EQ(raw.status, 0) << raw.out;
  EXPECT_EQ(raw.out, FindBlob(*img, img->target.digest)->data);

  CommandResult inspect = Shell("skopeo inspect oci-archive:" + file.string());
  ASSERT_EQ(inspect.status, 0) << inspect.out;
  boost::json::value v = boost::json::parse(inspect.out);
  EXPECT_EQ(v.at("Digest").as_string(), img->target.digest.str());
  EXPECT_EQ(v.at("Labels").at("label").as_string(), "value");

  fs::path layout = dir_ / "copied";
  CommandResult copy = Shell("skopeo copy oci-archive:" + file.string() + " oci:" + layout.string());
  ASSERT_EQ(copy.status, 0) << copy.out;
  auto index = ParseIndex(ReadFile(layout / "index.json"));
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  ASSERT_EQ(index->manifests.size(), 1u);
  EXPECT_EQ(index->manifests[0].digest, img->target.digest);
  for (const auto& b : img->blobs) EXPECT_TRUE(fs::exists(layout / BlobPath(b.descriptor.digest)));
}

TEST_F(SkopeoTest, SkopeoReadsPlatformSubsetArchive) {
  // A multi-platform image saved for the host platform only: the index names
  // an absent arm64 manifest, which skopeo does not need.
  BuiltImage img = TwoPlatforms("subset");
  ASSERT_TRUE(testing::AddToStore(store_.get(), img, {"subset:1"}).ok());
  auto tar = Save({"subset:1"}, kAmd64);
  ASSERT_TRUE(tar.ok()) << tar.status().ToString();
  fs::path file = dir_ / "subset.tar";
  WriteFile(file, *tar);
  CommandResult raw = Shell("skopeo inspect --raw oci-archive:" + file.string());
  ASSERT_EQ(raw.status, 0) << raw.out;
  EXPECT_EQ(raw.out, FindBlob(img, img.target.digest)->data);
  fs::path layout = dir_ / "subset-copy";
  CommandResult copy = Shell("skopeo --override-arch amd64 --override-os linux copy oci-archive:" + file.string() +
                           " oci:" + layout.string());
  ASSERT_EQ(copy.status, 0) << copy.out;
  EXPECT_TRUE(fs::exists(layout / BlobPath(img.ManifestFor(kAmd64))));
}

TEST_F(SkopeoTest, LoadsSkopeoOciArchive) {
  auto img = testing::SimpleImage({{"etc/from", "skopeo oci"}});
  ASSERT_TRUE(img.ok());
  auto fixture = testing::WriteOciArchive({{&*img, {}}}, false);
  ASSERT_TRUE(fixture.ok());
  fs::path layout = Unpack(*fixture, "layout");
  fs::path file = dir_ / "skopeo-oci.tar";
  CommandResult copy =
      Shell("skopeo copy oci:" + layout.string() + " oci-archive:" + file.string() + ":example.com/skopeo/app:1");
  ASSERT_EQ(copy.status, 0) << copy.out;
  auto loaded = Load(ReadFile(file));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ((*loaded)[0].name, "example.com/skopeo/app:1");
  EXPECT_EQ((*loaded)[0].id, img->target.digest);  // skopeo copies OCI to OCI unchanged

  // A bare tag as the reference names nothing (OCI's ref.name is a tag).
  fs::path tagged = dir_ / "skopeo-tag.tar";
  copy = Shell("skopeo copy oci:" + layout.string() + " oci-archive:" + tagged.string() + ":v2");
  ASSERT_EQ(copy.status, 0) << copy.out;
  loaded = Load(ReadFile(tagged));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)[0].name, "");
  // As Docker's load: an unnamed image gets its moby-dangling@ record even
  // though the named record made earlier still names it.
  EXPECT_TRUE(Record(DanglingName(img->target.digest)).ok());
  EXPECT_TRUE(Record("example.com/skopeo/app:1").ok());
}

TEST_F(SkopeoTest, LoadsSkopeoDockerArchive) {
  testing::FixtureImage spec;
  spec.platforms.emplace_back();
  spec.platforms[0].layers.push_back(testing::FixtureLayer{{{"a", "1"}}, true});
  spec.platforms[0].layers.push_back(testing::FixtureLayer{{{"b", "2"}}});
  auto img = testing::BuildImage(spec);
  ASSERT_TRUE(img.ok());
  auto fixture = testing::WriteOciArchive({{&*img, {}}}, false);
  ASSERT_TRUE(fixture.ok());
  fs::path layout = Unpack(*fixture, "layout");
  fs::path file = dir_ / "skopeo-docker.tar";
  CommandResult copy =
      Shell("skopeo copy oci:" + layout.string() + " docker-archive:" + file.string() + ":skopeo/app:2");
  ASSERT_EQ(copy.status, 0) << copy.out;
  auto loaded = Load(ReadFile(file));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ((*loaded)[0].name, "skopeo/app:2");
  auto rec = Record("docker.io/skopeo/app:2");
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->target.media_type, media_type::kDockerManifest);
  auto m = ParseManifest(*store_->blobs()->ReadAll(rec->target.digest, kMaxManifestBytes));
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->layers.size(), 2u);
  // Uncompressed layers, stored under their diff IDs.
  auto cfg = ParseImageConfig(*store_->blobs()->ReadAll(m->config.digest, kMaxConfigBytes));
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(m->layers[0].digest, cfg->diff_ids[0]);
  EXPECT_EQ(m->layers[1].digest, cfg->diff_ids[1]);

  // And what berth saves from it, skopeo reads back.
  auto tar = Save({"skopeo/app:2"});
  ASSERT_TRUE(tar.ok()) << tar.status().ToString();
  fs::path saved = dir_ / "resaved.tar";
  WriteFile(saved, *tar);
  CommandResult inspect = Shell("skopeo inspect --raw oci-archive:" + saved.string());
  ASSERT_EQ(inspect.status, 0) << inspect.out;
  EXPECT_EQ(Digest::Of(inspect.out), rec->target.digest);
  CommandResult docker = Shell("skopeo inspect --raw docker-archive:" + saved.string());
  ASSERT_EQ(docker.status, 0) << docker.out;
}

}  // namespace
}  // namespace berth
