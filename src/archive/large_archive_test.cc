// Memory stays flat: loading and saving an archive with a ~200 MB layer of
// incompressible data grows peak RSS by far less than the layer. The archive
// is generated straight to a temporary file in 1 MiB pieces, so generation
// does not raise the peak either. Slow-ish (a few seconds of disk I/O and
// hashing); kept in its own binary.

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstring>
#include <filesystem>

#include "archive/archive_test_util.h"

namespace berth {
namespace {

using archive_test::ArchiveTest;

constexpr int64_t kLayerSize = 200ll << 20;
constexpr size_t kChunk = 1 << 20;
constexpr long kMaxGrowthKb = 64 << 10;  // 64 MiB

long PeakRssKb() {
  struct rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

// Deterministic incompressible bytes (xorshift64*), chunk by chunk.
class Noise {
 public:
  void Fill(char* buf, size_t n) {
    for (size_t i = 0; i + 8 <= n; i += 8) {
      state_ ^= state_ >> 12;
      state_ ^= state_ << 25;
      state_ ^= state_ >> 27;
      uint64_t v = state_ * 0x2545F4914F6CDD1Dull;
      std::memcpy(buf + i, &v, 8);
    }
  }

 private:
  uint64_t state_ = 0x9E3779B97F4A7C15ull;
};

template <typename Fn>
void ForEachChunk(Fn fn) {
  Noise noise;
  std::vector<char> buf(kChunk);
  for (int64_t done = 0; done < kLayerSize; done += kChunk) {
    noise.Fill(buf.data(), buf.size());
    fn(std::string_view(buf.data(), buf.size()));
  }
}

struct WriterDeleter {
  void operator()(struct archive* a) const { archive_write_free(a); }
};

void AddFile(struct archive* a, const std::string& path, int64_t size) {
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, path.c_str());
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_size(e, size);
  ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK) << archive_error_string(a);
  archive_entry_free(e);
}

void AddSmall(struct archive* a, const std::string& path, const std::string& data) {
  AddFile(a, path, static_cast<int64_t>(data.size()));
  ASSERT_EQ(archive_write_data(a, data.data(), data.size()), static_cast<la_ssize_t>(data.size()));
}

// Writes an OCI archive whose one layer is the noise, uncompressed. Returns
// the image's manifest digest.
Digest WriteLargeArchive(const std::string& path) {
  Sha256 sha;
  ForEachChunk([&](std::string_view c) { sha.Update(c); });
  Digest layer = sha.Finish();
  std::string config = R"({"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[")" +
                       layer.str() + R"("]}})";
  Descriptor cfg{std::string(media_type::kOciConfig), Digest::Of(config), static_cast<int64_t>(config.size()),
                 {}, {}, {}, {}};
  Descriptor ld{std::string(media_type::kOciLayer), layer, kLayerSize, {}, {}, {}, {}};
  std::string manifest = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":)" +
                         DescriptorToJson(cfg) + R"(,"layers":[)" + DescriptorToJson(ld) + "]}";
  Descriptor md{std::string(media_type::kOciManifest), Digest::Of(manifest), static_cast<int64_t>(manifest.size()),
                {}, {{"io.containerd.image.name", "docker.io/library/large:1"}}, {}, {}};
  std::unique_ptr<struct archive, WriterDeleter> a(archive_write_new());
  archive_write_set_format_pax_restricted(a.get());
  EXPECT_EQ(archive_write_open_filename(a.get(), path.c_str()), ARCHIVE_OK);
  AddSmall(a.get(), "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  AddFile(a.get(), "blobs/sha256/" + layer.hex(), kLayerSize);
  ForEachChunk([&](std::string_view c) { archive_write_data(a.get(), c.data(), c.size()); });
  AddSmall(a.get(), "blobs/sha256/" + cfg.digest.hex(), config);
  AddSmall(a.get(), "blobs/sha256/" + md.digest.hex(), manifest);
  AddSmall(a.get(), "index.json", R"({"schemaVersion":2,"manifests":[)" + DescriptorToJson(md) + "]}");
  EXPECT_EQ(archive_write_close(a.get()), ARCHIVE_OK);
  return md.digest;
}

TEST_F(ArchiveTest, LargeArchiveLoadsAndSavesInFlatMemory) {
  std::string path = root_ + "-large.tar";
  Digest target = WriteLargeArchive(path);
  ASSERT_GT(std::filesystem::file_size(path), static_cast<uintmax_t>(kLayerSize));

  long before = PeakRssKb();
  FILE* f = std::fopen(path.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  ReadFn read = [f](char* buf, size_t n) -> Result<size_t> {
    size_t got = std::fread(buf, 1, n, f);
    if (got == 0 && std::ferror(f)) return Internal("read error");
    return got;
  };
  auto loaded = LoadArchive(store_.get(), read, LoadOptions{});
  std::fclose(f);
  std::filesystem::remove(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ((*loaded)[0].id, target);
  EXPECT_EQ((*loaded)[0].name, "large:1");
  long after_load = PeakRssKb();
  EXPECT_LT(after_load - before, kMaxGrowthKb) << "peak RSS grew by " << (after_load - before) << " KiB on load";

  int64_t written = 0;
  Sha256 out_hash;
  Status s = SaveArchive(store_.get(), {"large:1"}, SaveOptions{}, [&](std::string_view d) {
    written += static_cast<int64_t>(d.size());
    out_hash.Update(d);
    return OkStatus();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_GT(written, kLayerSize);
  long after_save = PeakRssKb();
  std::printf("peak RSS %ld KiB before, +%ld after load, +%ld after save\n", before, after_load - before,
              after_save - before);
  EXPECT_LT(after_save - before, kMaxGrowthKb) << "peak RSS grew by " << (after_save - before) << " KiB on save";
}

}  // namespace
}  // namespace berth
