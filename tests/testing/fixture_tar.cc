// Tar and stream-compression helpers of the test fixture (libarchive,
// in memory, deterministic).

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "testing/fixture.h"

namespace berth::testing {

namespace {

// Fixed mtime of every entry: 2024-01-01T00:00:00Z.
constexpr time_t kFixedMtime = 1704067200;

struct ArchiveWriteDeleter {
  void operator()(struct archive* a) const { archive_write_free(a); }
};
struct ArchiveReadDeleter {
  void operator()(struct archive* a) const { archive_read_free(a); }
};
struct EntryDeleter {
  void operator()(struct archive_entry* e) const { archive_entry_free(e); }
};

la_ssize_t AppendToString(struct archive*, void* client, const void* buf, size_t n) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

Status ArchiveError(struct archive* a, std::string_view what) {
  const char* msg = archive_error_string(a);
  return Internal(std::string(what) + ": " + (msg ? msg : "unknown libarchive error"));
}

}  // namespace

Result<std::string> WriteTar(const std::vector<TarEntry>& entries) {
  std::string out;
  std::unique_ptr<struct archive, ArchiveWriteDeleter> a(archive_write_new());
  if (archive_write_set_format_pax_restricted(a.get()) != ARCHIVE_OK) {
    return ArchiveError(a.get(), "tar format");
  }
  if (archive_write_open(a.get(), &out, nullptr, AppendToString, nullptr) != ARCHIVE_OK) {
    return ArchiveError(a.get(), "tar open");
  }
  for (const TarEntry& te : entries) {
    std::unique_ptr<struct archive_entry, EntryDeleter> e(archive_entry_new());
    archive_entry_set_pathname(e.get(), te.path.c_str());
    archive_entry_set_mtime(e.get(), kFixedMtime, 0);
    archive_entry_set_uid(e.get(), 0);
    archive_entry_set_gid(e.get(), 0);
    switch (te.type) {
      case TarEntry::Type::kFile:
        archive_entry_set_filetype(e.get(), AE_IFREG);
        archive_entry_set_perm(e.get(), te.mode);
        archive_entry_set_size(e.get(), static_cast<la_int64_t>(te.data.size()));
        break;
      case TarEntry::Type::kDir:
        archive_entry_set_filetype(e.get(), AE_IFDIR);
        archive_entry_set_perm(e.get(), te.mode == 0644 ? 0755 : te.mode);
        archive_entry_set_size(e.get(), 0);
        break;
      case TarEntry::Type::kSymlink:
        archive_entry_set_filetype(e.get(), AE_IFLNK);
        archive_entry_set_perm(e.get(), 0777);
        archive_entry_set_symlink(e.get(), te.link.c_str());
        archive_entry_set_size(e.get(), 0);
        break;
      case TarEntry::Type::kHardlink:
        archive_entry_set_filetype(e.get(), AE_IFREG);
        archive_entry_set_perm(e.get(), te.mode);
        archive_entry_set_hardlink(e.get(), te.link.c_str());
        archive_entry_set_size(e.get(), 0);
        break;
    }
    if (archive_write_header(a.get(), e.get()) < ARCHIVE_WARN) {
      return ArchiveError(a.get(), "tar header " + te.path);
    }
    if (te.type == TarEntry::Type::kFile && !te.data.empty()) {
      la_ssize_t n = archive_write_data(a.get(), te.data.data(), te.data.size());
      if (n < 0 || static_cast<size_t>(n) != te.data.size()) {
        return ArchiveError(a.get(), "tar data " + te.path);
      }
    }
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) return ArchiveError(a.get(), "tar close");
  return out;
}

Result<std::string> CompressStream(std::string_view data, Compression c) {
  if (c == Compression::kNone) return std::string(data);
  if (c != Compression::kGzip && c != Compression::kZstd) {
    return InvalidArgument("unsupported compression");
  }
  std::string out;
  std::unique_ptr<struct archive, ArchiveWriteDeleter> a(archive_write_new());
  archive_write_set_format_raw(a.get());
  int r = c == Compression::kGzip ? archive_write_add_filter_gzip(a.get())
                                  : archive_write_add_filter_zstd(a.get());
  if (r != ARCHIVE_OK) return ArchiveError(a.get(), "compression filter");
  if (c == Compression::kGzip) {
    // No mtime in the gzip header: the output depends on the input alone.
    if (archive_write_set_filter_option(a.get(), "gzip", "timestamp", nullptr) != ARCHIVE_OK) {
      return ArchiveError(a.get(), "gzip option");
    }
  }
  archive_write_set_bytes_per_block(a.get(), 0);
  if (archive_write_open(a.get(), &out, nullptr, AppendToString, nullptr) != ARCHIVE_OK) {
    return ArchiveError(a.get(), "compress open");
  }
  std::unique_ptr<struct archive_entry, EntryDeleter> e(archive_entry_new());
  archive_entry_set_pathname(e.get(), "data");
  archive_entry_set_filetype(e.get(), AE_IFREG);
  archive_entry_set_size(e.get(), static_cast<la_int64_t>(data.size()));
  if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK) return ArchiveError(a.get(), "compress header");
  size_t off = 0;
  while (off < data.size()) {
    size_t n = std::min<size_t>(data.size() - off, 1 << 20);
    la_ssize_t w = archive_write_data(a.get(), data.data() + off, n);
    if (w <= 0) return ArchiveError(a.get(), "compress data");
    off += static_cast<size_t>(w);
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) return ArchiveError(a.get(), "compress close");
  return out;
}

Result<std::string> DecompressStream(std::string_view data) {
  std::unique_ptr<struct archive, ArchiveReadDeleter> a(archive_read_new());
  archive_read_support_filter_all(a.get());
  archive_read_support_format_raw(a.get());
  if (archive_read_open_memory(a.get(), data.data(), data.size()) != ARCHIVE_OK) {
    return ArchiveError(a.get(), "decompress open");
  }
  struct archive_entry* e = nullptr;
  int r = archive_read_next_header(a.get(), &e);
  if (r == ARCHIVE_EOF) return std::string();
  if (r != ARCHIVE_OK) return ArchiveError(a.get(), "decompress header");
  std::string out;
  char buf[64 * 1024];
  for (;;) {
    la_ssize_t n = archive_read_data(a.get(), buf, sizeof buf);
    if (n < 0) return ArchiveError(a.get(), "decompress data");
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

ReadFn StringReader(const std::string& data, size_t chunk) {
  auto pos = std::make_shared<size_t>(0);
  const std::string* d = &data;
  return [d, pos, chunk](char* buf, size_t n) -> Result<size_t> {
    size_t take = std::min({n, chunk, d->size() - *pos});
    std::memcpy(buf, d->data() + *pos, take);
    *pos += take;
    return take;
  };
}

}  // namespace berth::testing
