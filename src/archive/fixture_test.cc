// Tests of the shared test image builder (tests/testing/fixture.h): the
// images it makes must be real, deterministic and well-formed, since every
// module's tests rely on them.

#include "testing/fixture.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "archive/archive_test_util.h"
#include "berth/env.h"

namespace berth {
namespace {

using archive_test::FindEntry;
using archive_test::ReadTar;
using testing::BuildImage;
using testing::BuiltBlob;
using testing::BuiltImage;
using testing::FixtureImage;
using testing::FixtureLayer;
using testing::FixturePlatform;

const BuiltBlob* Blob(const BuiltImage& img, const Digest& d) {
  for (const auto& b : img.blobs) {
    if (b.descriptor.digest == d) return &b;
  }
  return nullptr;
}

Manifest TargetManifest(const BuiltImage& img) {
  const BuiltBlob* b = Blob(img, img.target.digest);
  EXPECT_NE(b, nullptr);
  Result<Manifest> m = ParseManifest(b->data, img.target.media_type);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return *m;
}

TEST(FixtureTest, SimpleImageIsDeterministicAndReal) {
  Result<BuiltImage> a = testing::SimpleImage({{"/etc/hello", "world"}}, {{"k", "v"}});
  Result<BuiltImage> b = testing::SimpleImage({{"/etc/hello", "world"}}, {{"k", "v"}});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->target.digest, b->target.digest);
  EXPECT_EQ(a->target.media_type, media_type::kOciManifest);
  EXPECT_TRUE(a->manifests.empty());
  Result<BuiltImage> c = testing::SimpleImage({{"/etc/hello", "other"}});
  ASSERT_TRUE(c.ok());
  EXPECT_NE(a->target.digest, c->target.digest);

  // Every blob's descriptor matches its bytes.
  for (const auto& blob : a->blobs) {
    EXPECT_EQ(Digest::Of(blob.data), blob.descriptor.digest);
    EXPECT_EQ(static_cast<int64_t>(blob.data.size()), blob.descriptor.size);
  }
  Manifest m = TargetManifest(*a);
  ASSERT_EQ(m.layers.size(), 1u);
  EXPECT_EQ(m.layers[0].media_type, media_type::kOciLayerGzip);
  const BuiltBlob* cfg = Blob(*a, m.config.digest);
  ASSERT_NE(cfg, nullptr);
  Result<ImageConfig> config = ParseImageConfig(cfg->data);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->labels.at("k"), "v");
  EXPECT_EQ(config->platform.os, "linux");
  EXPECT_EQ(config->platform.architecture, "amd64");

  // The layer is a gzip'd tar whose uncompressed digest is the diff ID.
  const BuiltBlob* layer = Blob(*a, m.layers[0].digest);
  ASSERT_NE(layer, nullptr);
  ASSERT_GE(layer->data.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(layer->data[0]), 0x1f);
  Result<std::string> tar = testing::DecompressStream(layer->data);
  ASSERT_TRUE(tar.ok());
  ASSERT_EQ(config->diff_ids.size(), 1u);
  EXPECT_EQ(Digest::Of(*tar), config->diff_ids[0]);
  auto entries = ReadTar(*tar);
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].path, "etc/");
  EXPECT_EQ((*entries)[0].type, 'd');
  EXPECT_EQ((*entries)[1].path, "etc/hello");
  EXPECT_EQ((*entries)[1].data, "world");
}

TEST(FixtureTest, BusyboxLayer) {
  FixtureImage spec;
  FixturePlatform p;
  FixtureLayer l;
  l.busybox = true;
  l.media_type = std::string(media_type::kOciLayer);
  p.layers.push_back(l);
  spec.platforms.push_back(p);
  Result<BuiltImage> img = BuildImage(spec);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  Manifest m = TargetManifest(*img);
  ASSERT_EQ(m.layers.size(), 1u);
  EXPECT_EQ(m.layers[0].media_type, media_type::kOciLayer);
  auto entries = ReadTar(Blob(*img, m.layers[0].digest)->data);
  ASSERT_TRUE(entries.ok());
  const auto* bb = FindEntry(*entries, "bin/busybox");
  ASSERT_NE(bb, nullptr);
  Result<std::string> real = Env::Default()->ReadFileToString("/bin/busybox");
  ASSERT_TRUE(real.ok());
  EXPECT_EQ(bb->data, *real);
  EXPECT_EQ(bb->mode, 0755);
  for (const char* applet : {"sh", "echo", "sleep", "true", "cat", "ls"}) {
    const auto* e = FindEntry(*entries, std::string("bin/") + applet);
    ASSERT_NE(e, nullptr) << applet;
    EXPECT_EQ(e->type, 'l');
    EXPECT_EQ(e->link, "busybox");
  }
}

TEST(FixtureTest, MultiPlatformIndexWithAttestations) {
  FixtureImage spec;
  spec.attestations = true;
  for (const char* arch : {"amd64", "arm64"}) {
    FixturePlatform p;
    p.platform = Platform{"linux", arch, "", "", {}};
    p.layers.push_back(FixtureLayer{{{"arch", arch}}, false, std::string(media_type::kOciLayerZstd)});
    spec.platforms.push_back(p);
  }
  Result<BuiltImage> img = BuildImage(spec);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->target.media_type, media_type::kOciIndex);
  ASSERT_EQ(img->manifests.size(), 4u);
  Result<Index> index = ParseIndex(Blob(*img, img->target.digest)->data);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  ASSERT_EQ(index->manifests.size(), 4u);
  EXPECT_FALSE(IsAttestation(index->manifests[0]));
  EXPECT_FALSE(IsAttestation(index->manifests[1]));
  EXPECT_TRUE(IsAttestation(index->manifests[2]));
  EXPECT_EQ(index->manifests[2].annotations.at(std::string(annotation::kDockerReferenceDigest)),
            index->manifests[0].digest.str());
  EXPECT_EQ(index->manifests[3].annotations.at(std::string(annotation::kDockerReferenceDigest)),
            index->manifests[1].digest.str());

  Digest amd = img->ManifestFor(Platform{"linux", "amd64", "", "", {}});
  Digest arm = img->ManifestFor(Platform{"linux", "arm64", "", "", {}});
  EXPECT_EQ(amd, index->manifests[0].digest);
  EXPECT_EQ(arm, index->manifests[1].digest);
  EXPECT_TRUE(img->ManifestFor(Platform{"linux", "s390x", "", "", {}}).empty());

  // zstd layers decompress to the arch file.
  Result<Manifest> m = ParseManifest(Blob(*img, arm)->data);
  ASSERT_TRUE(m.ok());
  const std::string& zl = Blob(*img, m->layers[0].digest)->data;
  EXPECT_EQ(static_cast<unsigned char>(zl[0]), 0x28);  // zstd magic 28 b5 2f fd
  auto entries = ReadTar(zl);
  ASSERT_TRUE(entries.ok());
  ASSERT_NE(FindEntry(*entries, "arch"), nullptr);
  EXPECT_EQ(FindEntry(*entries, "arch")->data, "arm64");
}

TEST(FixtureTest, DockerMediaTypes) {
  FixtureImage spec;
  spec.docker_media_types = true;
  spec.force_index = true;
  FixturePlatform p;
  p.layers.push_back(FixtureLayer{{{"a", "b"}}, false, std::string(media_type::kOciLayerGzip)});
  spec.platforms.push_back(p);
  Result<BuiltImage> img = BuildImage(spec);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->target.media_type, media_type::kDockerManifestList);
  ASSERT_EQ(img->manifests.size(), 1u);
  Result<Manifest> m = ParseManifest(Blob(*img, img->manifests[0])->data);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->media_type, media_type::kDockerManifest);
  EXPECT_EQ(m->config.media_type, media_type::kDockerConfig);
  EXPECT_EQ(m->layers[0].media_type, media_type::kDockerLayerGzip);
}

TEST(FixtureTest, OciArchiveLayout) {
  Result<BuiltImage> img = testing::SimpleImage({{"f", "x"}});
  ASSERT_TRUE(img.ok());
  Result<std::string> tar = testing::WriteOciArchive({{&*img, {"busybox", "example.com/a/b:v1"}}});
  ASSERT_TRUE(tar.ok()) << tar.status().ToString();
  auto entries = ReadTar(*tar);
  ASSERT_TRUE(entries.ok());
  ASSERT_NE(FindEntry(*entries, "oci-layout"), nullptr);
  for (const auto& b : img->blobs) {
    const auto* e = FindEntry(*entries, "blobs/sha256/" + b.descriptor.digest.hex());
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->data, b.data);
  }
  const auto* index_entry = FindEntry(*entries, "index.json");
  ASSERT_NE(index_entry, nullptr);
  Result<Index> index = ParseIndex(index_entry->data);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  ASSERT_EQ(index->manifests.size(), 2u);
  EXPECT_EQ(index->manifests[0].annotations.at("io.containerd.image.name"), "docker.io/library/busybox:latest");
  EXPECT_EQ(index->manifests[0].annotations.at("org.opencontainers.image.ref.name"), "latest");
  EXPECT_EQ(index->manifests[1].annotations.at("io.containerd.image.name"), "example.com/a/b:v1");
  EXPECT_EQ(index->manifests[1].digest, img->target.digest);

  const auto* mj = FindEntry(*entries, "manifest.json");
  ASSERT_NE(mj, nullptr);
  boost::json::value v = boost::json::parse(mj->data);
  const auto& first = v.as_array().at(0).as_object();
  Manifest m = TargetManifest(*img);
  EXPECT_EQ(first.at("Config").as_string(), "blobs/sha256/" + m.config.digest.hex());
  EXPECT_EQ(first.at("RepoTags").as_array().at(0).as_string(), "busybox:latest");
  EXPECT_EQ(first.at("RepoTags").as_array().at(1).as_string(), "example.com/a/b:v1");
  EXPECT_EQ(first.at("Layers").as_array().at(0).as_string(), "blobs/sha256/" + m.layers[0].digest.hex());

  // skip_blobs leaves blobs out; no manifest.json on request.
  Result<std::string> partial = testing::WriteOciArchive({{&*img, {}}}, false, {m.layers[0].digest});
  ASSERT_TRUE(partial.ok());
  auto pe = ReadTar(*partial);
  ASSERT_TRUE(pe.ok());
  EXPECT_EQ(FindEntry(*pe, "blobs/sha256/" + m.layers[0].digest.hex()), nullptr);
  EXPECT_NE(FindEntry(*pe, "blobs/sha256/" + m.config.digest.hex()), nullptr);
  EXPECT_EQ(FindEntry(*pe, "manifest.json"), nullptr);
  Result<Index> unnamed = ParseIndex(FindEntry(*pe, "index.json")->data);
  ASSERT_TRUE(unnamed.ok());
  ASSERT_EQ(unnamed->manifests.size(), 1u);
  EXPECT_TRUE(unnamed->manifests[0].annotations.empty());
}

TEST(FixtureTest, DockerArchiveLayout) {
  Result<BuiltImage> img = testing::SimpleImage({{"f", "x"}});
  ASSERT_TRUE(img.ok());
  Result<std::string> tar = testing::WriteDockerArchive({{&*img, {"app:1"}}});
  ASSERT_TRUE(tar.ok()) << tar.status().ToString();
  auto entries = ReadTar(*tar);
  ASSERT_TRUE(entries.ok());
  Manifest m = TargetManifest(*img);
  const auto* mj = FindEntry(*entries, "manifest.json");
  ASSERT_NE(mj, nullptr);
  boost::json::value v = boost::json::parse(mj->data);
  const auto& first = v.as_array().at(0).as_object();
  EXPECT_EQ(first.at("Config").as_string(), m.config.digest.hex() + ".json");
  EXPECT_EQ(first.at("RepoTags").as_array().at(0).as_string(), "app:1");
  std::string layer_path(first.at("Layers").as_array().at(0).as_string());
  const auto* layer = FindEntry(*entries, layer_path);
  ASSERT_NE(layer, nullptr);
  Result<ImageConfig> cfg = ParseImageConfig(FindEntry(*entries, m.config.digest.hex() + ".json")->data);
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(Digest::Of(layer->data), cfg->diff_ids.at(0));

  FixtureImage spec;
  spec.force_index = true;
  spec.platforms.emplace_back();
  Result<BuiltImage> index = BuildImage(spec);
  ASSERT_TRUE(index.ok());
  EXPECT_FALSE(testing::WriteDockerArchive({{&*index, {}}}).ok());
}

TEST(FixtureTest, CompressStreamRoundTrip) {
  std::string data(100000, 'z');
  for (Compression c : {Compression::kGzip, Compression::kZstd, Compression::kNone}) {
    Result<std::string> packed = testing::CompressStream(data, c);
    ASSERT_TRUE(packed.ok());
    if (c != Compression::kNone) {
      EXPECT_LT(packed->size(), data.size());
    }
    Result<std::string> back = testing::DecompressStream(*packed);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, data);
  }
  // Deterministic gzip (no timestamp).
  EXPECT_EQ(*testing::CompressStream(data, Compression::kGzip), *testing::CompressStream(data, Compression::kGzip));
}

}  // namespace
}  // namespace berth
