// LoadArchive on broken and hostile archives: every case must fail with an
// error naming the problem, leave the store's records exactly as they were
// and leave no new blob behind.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <functional>

#include "archive/archive_test_util.h"

namespace berth {
namespace {

using archive_test::ArchiveTest;
using archive_test::BlobPath;
using archive_test::FindBlob;
using archive_test::FindTarEntry;
using archive_test::ReadTar;
using archive_test::ToTarEntries;
using testing::BuiltImage;
using testing::TarEntry;
using Entries = std::vector<TarEntry>;

struct BadCase {
  std::string name;
  bool docker;  // start from a Docker archive instead of an OCI layout
  // Turns the good archive's entries into the bad archive's bytes.
  std::function<std::string(Entries&, const BuiltImage&)> make;
  std::string error;  // substring of the message
};

std::string Tar(const Entries& e) {
  auto t = testing::WriteTar(e);
  EXPECT_TRUE(t.ok());
  return *t;
}

Manifest TargetManifest(const BuiltImage& img) {
  auto m = ParseManifest(FindBlob(img, img.target.digest)->data);
  EXPECT_TRUE(m.ok());
  return *m;
}

std::string Layer0(const BuiltImage& img) { return BlobPath(TargetManifest(img).layers[0].digest); }

std::string DockerLayerPath(const Entries& e) {
  for (const auto& t : e) {
    if (t.path.size() > 10 && t.path.substr(t.path.size() - 10) == "/layer.tar") return t.path;
  }
  return "";
}

Entries With(Entries e, TarEntry extra) {
  e.push_back(std::move(extra));
  return e;
}

std::vector<BadCase> Cases() {
  using T = TarEntry::Type;
  return {
      {"path traversal", false,
       [](Entries& e, const BuiltImage&) { return Tar(With(e, {"../x", T::kFile, "evil", "", 0644})); },
       "path traversal"},
      {"nested path traversal", false,
       [](Entries& e, const BuiltImage&) { return Tar(With(e, {"blobs/../../x", T::kFile, "evil", "", 0644})); },
       "path traversal"},
      {"absolute path", false,
       [](Entries& e, const BuiltImage&) { return Tar(With(e, {"/etc/evil", T::kFile, "evil", "", 0644})); },
       "absolute"},
      {"symlink escaping", false,
       [](Entries& e, const BuiltImage&) { return Tar(With(e, {"escape", T::kSymlink, "", "../../etc/passwd", 0777})); },
       "outside the archive"},
      {"symlink to absolute target", false,
       [](Entries& e, const BuiltImage&) { return Tar(With(e, {"abs", T::kSymlink, "", "/etc/passwd", 0777})); },
       "outside the archive"},
      {"hardlink escaping", false,
       [](Entries& e, const BuiltImage&) { return Tar(With(e, {"hard", T::kHardlink, "", "../etc/passwd", 0644})); },
       "path traversal"},
      {"link to nothing", false,
       [](Entries& e, const BuiltImage&) { return Tar(With(e, {"dangling", T::kSymlink, "", "nowhere", 0777})); },
       "does not name a regular file"},
      {"blob replaced by a link to another blob", false,
       [](Entries& e, const BuiltImage& img) {
         Manifest m = TargetManifest(img);
         for (auto& t : e) {
           if (t.path == BlobPath(m.layers[0].digest)) {
             t = TarEntry{t.path, T::kSymlink, "", m.config.digest.hex(), 0777};
           }
         }
         return Tar(e);
       },
       "does not match the blob's digest"},
      {"blob digest mismatch", false,
       [](Entries& e, const BuiltImage& img) {
         FindTarEntry(e, Layer0(img))->data += "tampered";
         return Tar(e);
       },
       "does not match its digest"},
      {"bad blob name", false,
       [](Entries& e, const BuiltImage&) { return Tar(With(e, {"blobs/sha256/nothex", T::kFile, "x", "", 0644})); },
       "unsupported blob path"},
      {"size mismatch", false,
       [](Entries& e, const BuiltImage& img) {
         Descriptor d = img.target;
         d.size += 1;
         FindTarEntry(e, "index.json")->data = R"({"schemaVersion":2,"manifests":[)" + DescriptorToJson(d) + "]}";
         return Tar(e);
       },
       "size mismatch"},
      {"missing layer blob", false,
       [](Entries& e, const BuiltImage& img) {
         std::string layer = Layer0(img);
         std::erase_if(e, [&](const TarEntry& t) { return t.path == layer; });
         return Tar(e);
       },
       "missing from the archive"},
      {"missing config blob", false,
       [](Entries& e, const BuiltImage& img) {
         std::string cfg = BlobPath(TargetManifest(img).config.digest);
         std::erase_if(e, [&](const TarEntry& t) { return t.path == cfg; });
         return Tar(e);
       },
       "missing from the archive"},
      {"missing target", false,
       [](Entries& e, const BuiltImage& img) {
         std::string target = BlobPath(img.target.digest);
         std::erase_if(e, [&](const TarEntry& t) { return t.path == target; });
         return Tar(e);
       },
       "missing from the archive"},
      {"malformed index.json", false,
       [](Entries& e, const BuiltImage&) {
         FindTarEntry(e, "index.json")->data = "{\"schemaVersion\":2,\"manifests\":[";
         return Tar(e);
       },
       "index.json"},
      {"index.json of the wrong shape", false,
       [](Entries& e, const BuiltImage&) {
         FindTarEntry(e, "index.json")->data = R"({"schemaVersion":2,"manifests":{}})";
         return Tar(e);
       },
       "index.json"},
      {"malformed manifest.json beside index.json", false,
       [](Entries& e, const BuiltImage&) {
         FindTarEntry(e, "manifest.json")->data = "[{";
         return Tar(e);
       },
       "manifest.json: malformed JSON"},
      {"malformed oci-layout", false,
       [](Entries& e, const BuiltImage&) {
         FindTarEntry(e, "oci-layout")->data = "imageLayoutVersion";
         return Tar(e);
       },
       "oci-layout"},
      {"malformed manifest.json", true,
       [](Entries& e, const BuiltImage&) {
         FindTarEntry(e, "manifest.json")->data = "[{\"Config\":";
         return Tar(e);
       },
       "manifest.json: malformed JSON"},
      {"manifest.json of the wrong shape", true,
       [](Entries& e, const BuiltImage&) {
         FindTarEntry(e, "manifest.json")->data = R"({"Config":"x.json"})";
         return Tar(e);
       },
       "manifest.json: not a JSON array"},
      {"manifest.json naming an absent layer", true,
       [](Entries& e, const BuiltImage&) {
         std::string layer = DockerLayerPath(e);
         std::erase_if(e, [&](const TarEntry& t) { return t.path == layer; });
         return Tar(e);
       },
       "is not in the archive"},
      {"manifest.json naming an absent config", true,
       [](Entries& e, const BuiltImage&) {
         std::erase_if(e, [&](const TarEntry& t) { return t.path.size() == 69 && t.path.ends_with(".json"); });
         return Tar(e);
       },
       "is not in the archive"},
      {"malformed Docker config", true,
       [](Entries& e, const BuiltImage&) {
         for (auto& t : e) {
           if (t.path.size() == 69 && t.path.ends_with(".json")) t.data = "{not json";
         }
         return Tar(e);
       },
       "config"},
      {"layer.tar link escaping", true,
       [](Entries& e, const BuiltImage&) {
         std::string layer = DockerLayerPath(e);
         for (auto& t : e) {
           if (t.path == layer) t = TarEntry{t.path, T::kSymlink, "", "../../../etc/passwd", 0777};
         }
         return Tar(e);
       },
       "outside the archive"},
      {"no index.json or manifest.json", false,
       [](Entries& e, const BuiltImage&) {
         std::erase_if(e, [](const TarEntry& t) { return t.path == "index.json" || t.path == "manifest.json"; });
         return Tar(e);
       },
       "neither index.json nor manifest.json"},
      {"oversized document", false,
       [](Entries& e, const BuiltImage&) {
         FindTarEntry(e, "index.json")->data = std::string(17 << 20, ' ');
         return Tar(e);
       },
       "too large"},
      {"links multiplying a document", false,
       [](Entries& e, const BuiltImage&) {
         // One 1 MiB document, 70 links to it: 70 MiB of copies in memory.
         e.push_back({"big.json", T::kFile, std::string(1 << 20, ' '), "", 0644});
         for (int i = 0; i < 70; i++) e.push_back({"copy" + std::to_string(i), T::kSymlink, "", "big.json", 0777});
         return Tar(e);
       },
       "MiB of metadata documents"},
      {"truncated tar", false,
       [](Entries& e, const BuiltImage&) {
         std::string t = Tar(e);
         return t.substr(0, t.size() / 2 + 100);
       },
       "invalid archive"},
      {"truncated gzip", false,
       [](Entries& e, const BuiltImage&) {
         std::string t = *testing::CompressStream(Tar(e), Compression::kGzip);
         return t.substr(0, t.size() / 2);
       },
       "invalid archive"},
      {"truncated zstd", false,
       [](Entries& e, const BuiltImage&) {
         std::string t = *testing::CompressStream(Tar(e), Compression::kZstd);
         return t.substr(0, t.size() / 2);
       },
       "invalid archive"},
      {"garbage bytes", false,
       [](Entries&, const BuiltImage&) {
         std::string g;
         for (int i = 0; i < 5000; i++) g.push_back(static_cast<char>((i * 7919 + 13) & 0xff));
         return g;
       },
       "invalid archive"},
      {"empty input", false, [](Entries&, const BuiltImage&) { return std::string(); }, "invalid archive"},
  };
}

class BadArchiveTest : public ArchiveTest {};

TEST_F(BadArchiveTest, EveryCaseFailsAndChangesNothing) {
  // Something in the store already, to check it is untouched.
  auto pre = testing::SimpleImage({{"pre", "existing"}});
  ASSERT_TRUE(pre.ok());
  ASSERT_TRUE(testing::AddToStore(store_.get(), *pre, {"pre:1"}).ok());
  const auto records = Records();
  const auto blobs = Blobs();
  ASSERT_EQ(records.size(), 1u);

  int n = 0;
  for (const BadCase& tc : Cases()) {
    SCOPED_TRACE(tc.name);
    auto img = testing::SimpleImage({{"case", tc.name + std::to_string(n++)}});
    ASSERT_TRUE(img.ok());
    auto good = tc.docker ? testing::WriteDockerArchive({{&*img, {"bad:1"}}})
                          : testing::WriteOciArchive({{&*img, {"bad:1"}}});
    ASSERT_TRUE(good.ok());
    auto entries = ReadTar(*good);
    ASSERT_TRUE(entries.ok());
    auto tar = ToTarEntries(*entries);
    std::string bad = tc.make(tar, *img);
    auto loaded = Load(bad);
    ASSERT_FALSE(loaded.ok()) << "loaded a bad archive";
    if (getenv("BERTH_SHOW_ERRORS")) std::printf("%-45s %s\n", tc.name.c_str(), loaded.status().ToString().c_str());
    EXPECT_NE(loaded.status().message().find(tc.error), std::string::npos)
        << "message: " << loaded.status().ToString();
    EXPECT_EQ(Records(), records);
    EXPECT_EQ(Blobs(), blobs) << "a failed load left blobs behind";
  }
}

TEST_F(BadArchiveTest, CompressedArchiveBombIsStoppedAndLeavesNothing) {
  // 8 MiB of zeros, which gzip makes about 1000 times smaller.
  auto tar = testing::WriteTar({{"zeros", TarEntry::Type::kFile, std::string(8 << 20, '\0'), "", 0644}});
  ASSERT_TRUE(tar.ok());
  std::string gz = *testing::CompressStream(*tar, Compression::kGzip);
  auto load = [&](const std::string& data, const DecompressionLimits& limits) {
    LoadOptions o;
    o.limits = limits;
    return LoadArchive(store_.get(), testing::StringReader(data, 100000), o);
  };
  auto loaded = load(gz, {.max_bytes = 0, .max_ratio = 50, .ratio_after_bytes = 1 << 20});
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), Code::kInvalidArgument);
  EXPECT_NE(loaded.status().message().find("the archive decompresses more than 50:1"), std::string::npos)
      << loaded.status().message();
  EXPECT_TRUE(Records().empty());
  EXPECT_TRUE(Blobs().empty());

  loaded = load(gz, {.max_bytes = 4 << 20, .max_ratio = 0});
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().message(), "the archive is larger than the limit of 4194304 bytes when decompressed");
  EXPECT_TRUE(Blobs().empty());

  // A plain tar is as large as what was sent: not held to the limits (it
  // fails for what it is, an archive without an image).
  loaded = load(*tar, {.max_bytes = 4 << 20, .max_ratio = 50, .ratio_after_bytes = 1 << 20});
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("neither index.json nor manifest.json"), std::string::npos)
      << loaded.status().message();
}

TEST_F(BadArchiveTest, ReadErrorIsPassedThrough) {
  auto img = testing::SimpleImage({{"f", "read error"}});
  ASSERT_TRUE(img.ok());
  std::string tar = *testing::WriteOciArchive({{&*img, {"r:1"}}});
  size_t pos = 0;
  ReadFn failing = [&](char* buf, size_t n) -> Result<size_t> {
    if (pos >= 2048) return Unavailable("connection reset");
    size_t take = std::min(n, std::min<size_t>(1024, tar.size() - pos));
    std::memcpy(buf, tar.data() + pos, take);
    pos += take;
    return take;
  };
  auto loaded = LoadArchive(store_.get(), failing, LoadOptions{});
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), Code::kUnavailable);
  EXPECT_EQ(loaded.status().message(), "connection reset");
  EXPECT_TRUE(Records().empty());
}

}  // namespace
}  // namespace berth
