// Loading a large docker-load archive: throughput and peak memory.
// Writes a ~1 GiB OCI archive (4 incompressible layers; BERTH_BENCH_BYTES
// sets the total) to /tmp with libarchive, then loads it into a fresh store
// with LoadArchive streaming from the file, and prints MB/s and how much
// the process's peak RSS grew (target: under 64 MB).
#include <archive.h>
#include <archive_entry.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "bench/bench_util.h"
#include "berth/archive.h"

using namespace berth;

namespace {

long PeakRssKb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

void AddEntry(archive* a, const std::string& path, int64_t size, const std::function<void(archive*)>& body) {
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, path.c_str());
  archive_entry_set_size(e, size);
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_write_header(a, e);
  body(a);
  archive_entry_free(e);
}

void AddString(archive* a, const std::string& path, const std::string& data) {
  AddEntry(a, path, static_cast<int64_t>(data.size()), [&](archive* w) { archive_write_data(w, data.data(), data.size()); });
}

// Writes the archive; returns its image's target digest.
std::string WriteArchive(const std::string& path, int64_t total) {
  const int layers = 4;
  const int64_t layer_size = total / layers;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_open_filename(a, path.c_str());
  std::mt19937_64 rng(42);
  std::string chunk(1 << 20, '\0');
  std::vector<std::string> layer_descs;
  std::vector<std::pair<std::string, int64_t>> blobs;  // written below
  // Layers first: generate, hash and write each in one pass via a temp file
  // would double the I/O; instead hash while generating deterministically,
  // then regenerate while writing.
  std::vector<Digest> digests;
  for (int l = 0; l < layers; ++l) {
    Sha256 h;
    std::mt19937_64 g(1000 + l);
    for (int64_t done = 0; done < layer_size; done += static_cast<int64_t>(chunk.size())) {
      size_t n = static_cast<size_t>(std::min<int64_t>(layer_size - done, static_cast<int64_t>(chunk.size())));
      for (size_t i = 0; i + 8 <= n; i += 8) *reinterpret_cast<uint64_t*>(&chunk[i]) = g();
      h.Update(chunk.data(), n);
    }
    digests.push_back(h.Finish());
  }
  std::string diff_ids, layer_json;
  for (int l = 0; l < layers; ++l) {
    diff_ids += (l ? "," : "") + std::string("\"") + digests[l].str() + "\"";
    layer_json += (l ? "," : "") + std::string(R"({"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":")") +
                  digests[l].str() + R"(","size":)" + std::to_string(layer_size) + "}";
  }
  std::string config = R"({"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[)" +
                       diff_ids + "]}}";
  Digest cd = Digest::Of(config);
  std::string manifest = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
                         cd.str() + R"(","size":)" + std::to_string(config.size()) + R"(},"layers":[)" + layer_json + "]}";
  Digest md = Digest::Of(manifest);
  std::string index = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
                      md.str() + R"(","size":)" + std::to_string(manifest.size()) +
                      R"(,"annotations":{"io.containerd.image.name":"docker.io/library/big:1","org.opencontainers.image.ref.name":"1"}}]})";
  AddString(a, "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  AddString(a, "index.json", index);
  AddString(a, "blobs/sha256/" + cd.hex(), config);
  AddString(a, "blobs/sha256/" + md.hex(), manifest);
  for (int l = 0; l < layers; ++l) {
    AddEntry(a, "blobs/sha256/" + digests[l].hex(), layer_size, [&](archive* w) {
      std::mt19937_64 g(1000 + l);
      for (int64_t done = 0; done < layer_size; done += static_cast<int64_t>(chunk.size())) {
        size_t n = static_cast<size_t>(std::min<int64_t>(layer_size - done, static_cast<int64_t>(chunk.size())));
        for (size_t i = 0; i + 8 <= n; i += 8) *reinterpret_cast<uint64_t*>(&chunk[i]) = g();
        archive_write_data(w, chunk.data(), n);
      }
    });
  }
  archive_write_close(a);
  archive_write_free(a);
  return md.str();
}

}  // namespace

int main() {
  int64_t total = 1LL << 30;
  if (const char* b = std::getenv("BERTH_BENCH_BYTES")) total = std::atoll(b);
  std::string dir = bench::TempDir("load");
  std::string path = dir + "/big.tar";
  WriteArchive(path, total);
  int64_t archive_size = static_cast<int64_t>(std::filesystem::file_size(path));
  auto store = Store::Open(StoreOptions{dir + "/root"});
  bench::Die(store.status(), "open");
  FILE* f = std::fopen(path.c_str(), "rb");
  ReadFn read = [f](char* buf, size_t n) -> Result<size_t> { return std::fread(buf, 1, n, f); };
  long rss_before = PeakRssKb();
  auto start = std::chrono::steady_clock::now();
  auto loaded = LoadArchive(store->get(), read, LoadOptions{});
  double secs = bench::Seconds(std::chrono::steady_clock::now() - start);
  bench::Die(loaded.status(), "load");
  std::fclose(f);
  long rss_after = PeakRssKb();
  std::printf("load %.0f MB archive: %.2f s, %.0f MB/s, peak RSS grew %.1f MB (target < 64 MB)\n",
              archive_size / 1e6, secs, archive_size / 1e6 / secs, (rss_after - rss_before) / 1024.0);
  store->reset();
  std::filesystem::remove_all(dir);
  return 0;
}
