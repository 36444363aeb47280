// Fuzz target: the streaming read of a `docker load` archive
// (src/archive/reader.h) into a content store in a scratch directory
// (fuzz_util.h ScratchParent), emptied after every input. The load's later
// steps need a whole store (metadata, image service) and are not reached
// here; the documents they read are the oci target's input.
// Input: one byte choosing the read size (the archive arrives in pieces of
// 1..256 x 64 bytes), then the archive (tar, gzip, zstd, ...).
// Invariants: every file the reader lists is either an in-memory document
// whose digest and size match its bytes, or a blob in the content store of
// that size; every ingested blob is in the store; no document is over the
// per-document limit and all of them together stay under the total limit;
// the store holds nothing the reader did not report.
#include <memory>
#include <set>
#include <string>

#include "archive/reader.h"
#include "berth/content_store.h"
#include "fuzz_util.h"
#include "testing/temp_dir.h"

namespace {
// berthd's decompression limits, with the total lowered so a run stays small.
const berth::DecompressionLimits kFuzzLimits{.max_bytes = int64_t{256} << 20};
}  // namespace

namespace {

using berth::ContentStore;
using berth::ContentWriter;
using berth::Digest;
using berth::Result;

// Holds nothing: commits straight into the store and remembers what it saw.
class RecordingLease : public berth::IngestLease {
 public:
  explicit RecordingLease(ContentStore* content) : content_(content) {}
  Result<std::unique_ptr<ContentWriter>> NewWriter() override { return content_->NewWriter(); }
  Result<Digest> Commit(ContentWriter& writer, int64_t expected_size, const Digest& expected) override {
    auto d = writer.Commit(expected_size, expected);
    if (d.ok()) held.insert(*d);
    return d;
  }
  Result<Digest> Put(std::string_view data, const Digest& expected) override {
    auto d = content_->Put(data, expected);
    if (d.ok()) held.insert(*d);
    return d;
  }
  void Add(const Digest& d) override { held.insert(d); }
  std::set<Digest> held;

 private:
  ContentStore* content_;
};

struct Store {
  berth::testing::TempDir dir;
  std::unique_ptr<ContentStore> content;
};

Store* TheStore() {
  static Store* store = [] {
    auto* s = new Store;
    FUZZ_CHECK(s->dir.Create("berth-fuzz-archive", berth::fuzz::ScratchParent()));
    auto opened = ContentStore::Open(berth::Env::Default(), s->dir.path() + "/content");
    FUZZ_CHECK_MSG(opened.ok(), opened.status().message());
    s->content = std::move(opened).value();
    std::atexit([] { TheStore()->dir.Remove(); });
    return s;
  }();
  return store;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  berth::fuzz::Parts parts(data, size);
  size_t chunk = (static_cast<size_t>(parts.Byte()) + 1) * 64;
  std::string_view archive = parts.rest();
  Store* store = TheStore();
  ContentStore* content = store->content.get();

  berth::fuzz::MemoryFile file(archive, chunk);
  berth::ReadFn read = [&](char* buf, size_t n) { return file.Read(buf, n); };
  RecordingLease lease(content);
  berth::archive::ArchiveFiles files;
  berth::Status s = berth::archive::ReadArchive(read, &lease, &files, kFuzzLimits);
  if (s.ok()) {
    int64_t documents_total = 0;
    for (const auto& [path, f] : files.files) {
      FUZZ_CHECK_MSG(!path.empty() && path[0] != '/', path);
      if (f.in_memory) {
        auto doc = files.documents.find(path);
        FUZZ_CHECK_MSG(doc != files.documents.end(), path);
        FUZZ_CHECK(Digest::Of(doc->second) == f.digest);
        FUZZ_CHECK(static_cast<int64_t>(doc->second.size()) == f.size);
      } else {
        auto info = content->Info(f.digest);
        FUZZ_CHECK_MSG(info.ok() && info->size == f.size, path);
      }
    }
    for (const auto& [path, doc] : files.documents) {
      FUZZ_CHECK(static_cast<int64_t>(doc.size()) <= berth::archive::kMaxDocumentSize);
      documents_total += static_cast<int64_t>(doc.size());
    }
    FUZZ_CHECK(documents_total <= berth::archive::kMaxDocumentsTotal);
    for (const Digest& d : files.ingested) FUZZ_CHECK(content->Exists(d) && lease.held.count(d) == 1);
  } else {
    FUZZ_CHECK_MSG(s.code() == berth::Code::kInvalidArgument, s.ToString());
  }
  // Empty the store for the next input; it must hold only what was leased.
  std::set<Digest> present;
  FUZZ_CHECK(content
                 ->Walk([&](const berth::BlobInfo& b) {
                   present.insert(b.digest);
                   return berth::OkStatus();
                 })
                 .ok());
  for (const Digest& d : present) {
    FUZZ_CHECK(lease.held.count(d) == 1);
    FUZZ_CHECK(content->Delete(d).ok());
  }
  return 0;
}
