// Small tar archives built in memory for tests (libarchive, PAX), and a
// ReadFn over a string. Header-only; the test must link libarchive (any
// module that reads archives does).
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "berth/io.h"

namespace berth::testing {

struct Entry {
  std::string path;
  mode_t type = AE_IFREG;
  std::string data;      // regular files
  std::string link;      // symlink target
  std::string hardlink;  // hard link target
};

inline std::string MakeTar(const std::vector<Entry>& entries, bool gzip = false) {
  std::vector<char> buf(1 << 20);
  size_t used = 0;
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (gzip) archive_write_add_filter_gzip(a);
  archive_write_open_memory(a, buf.data(), buf.size(), &used);
  for (const auto& e : entries) {
    struct archive_entry* ae = archive_entry_new();
    archive_entry_set_pathname(ae, e.path.c_str());
    if (!e.hardlink.empty()) {
      archive_entry_set_hardlink(ae, e.hardlink.c_str());
    } else {
      archive_entry_set_filetype(ae, e.type);
      archive_entry_set_perm(ae, e.type == AE_IFDIR ? 0755 : 0644);
      if (e.type == AE_IFLNK) archive_entry_set_symlink(ae, e.link.c_str());
      if (e.type == AE_IFREG) archive_entry_set_size(ae, static_cast<la_int64_t>(e.data.size()));
    }
    archive_write_header(a, ae);
    if (e.type == AE_IFREG && e.hardlink.empty()) archive_write_data(a, e.data.data(), e.data.size());
    archive_entry_free(ae);
  }
  archive_write_close(a);
  archive_write_free(a);
  return std::string(buf.data(), used);
}

inline ReadFn Reader(std::string data) {
  auto d = std::make_shared<std::string>(std::move(data));
  auto pos = std::make_shared<size_t>(0);
  return [d, pos](char* out, size_t n) -> Result<size_t> {
    size_t k = std::min(n, d->size() - *pos);
    std::memcpy(out, d->data() + *pos, k);
    *pos += k;
    return k;
  };
}

}  // namespace berth::testing
