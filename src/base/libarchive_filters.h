// The decompression filters berth lets libarchive use, for every archive it
// reads (docker load, docker import, image layers). Header-only: the caller
// links libarchive.
//
// libarchive's "all filters" includes formats berth never needs (compress,
// lzip, lrzip, lzop, grzip, uu, rpm, lz4) and falls back to running an external
// program when a filter is not built in. Untrusted input must not choose the
// code that decodes it, nor make berthd exec anything, so only the formats
// Docker accepts are enabled, and only when libarchive decodes them itself.
#pragma once

#include <archive.h>

#include "berth/status.h"

namespace berth {

// Enables none, gzip, bzip2, xz and zstd on `a` (a reader not yet opened).
// Internal (naming the filter) when libarchive would need an external program
// for one of them.
[[nodiscard]] inline Status EnableBuiltinDecompression(struct archive* a) {
  struct Filter {
    const char* name;
    int (*enable)(struct archive*);
  };
  static constexpr Filter kFilters[] = {
      {"gzip", archive_read_support_filter_gzip},
      {"bzip2", archive_read_support_filter_bzip2},
      {"xz", archive_read_support_filter_xz},
      {"zstd", archive_read_support_filter_zstd},
  };
  if (archive_read_support_filter_none(a) != ARCHIVE_OK) return Internal("libarchive: cannot read uncompressed data");
  for (const Filter& f : kFilters) {
    // ARCHIVE_WARN means "supported through an external program".
    if (f.enable(a) != ARCHIVE_OK) {
      return Internal(std::string("libarchive was built without ") + f.name + " support");
    }
  }
  return OkStatus();
}

}  // namespace berth
