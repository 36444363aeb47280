// The streaming pass of docker load: reads an archive once, front to back.
// Internal to src/archive.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "berth/archive.h"
#include "berth/content_store.h"
#include "berth/digest.h"
#include "berth/image_service.h"
#include "berth/io.h"
#include "berth/oci.h"
#include "berth/status.h"

namespace berth::archive {

// Limits on the documents kept in memory.
inline constexpr int64_t kMaxDocumentSize = kMaxConfigBytes;  // one file (oci.h)
inline constexpr int64_t kMaxDocumentsTotal = 64 << 20;       // all of them

struct ArchiveFile {
  Digest digest;
  int64_t size = 0;
  bool in_memory = false;  // a document in `documents`, not in the content store
};

struct ArchiveFiles {
  // Every regular file by normalised path; links resolved to their target's
  // content.
  std::map<std::string, ArchiveFile> files;
  // Top-level documents (index.json, manifest.json, oci-layout,
  // repositories, <hex>.json) by path.
  std::map<std::string, std::string> documents;
  // Blobs committed (through the lease) by this load.
  std::set<Digest> ingested;

  const ArchiveFile* Find(const std::string& path) const {
    auto it = files.find(path);
    return it == files.end() ? nullptr : &it->second;
  }
};

// Reads the whole archive (plain tar, gzip or zstd). Files under
// blobs/sha256/ are committed against the digest their name gives; top-level
// JSON documents are kept in memory (size-capped); legacy per-layer "json"
// and "VERSION" files are skipped; every other regular file is committed
// under the digest of its content. Refuses absolute paths, ".." components,
// links leaving the archive or naming no regular file, device entries,
// truncated or malformed input (InvalidArgument naming the problem), and a
// compressed archive that breaks `limits` (CheckDecompression's error, "the
// archive ..."); a failing `read` returns its own status.
Status ReadArchive(const ReadFn& read, IngestLease* lease, ArchiveFiles* out,
                   const DecompressionLimits& limits);

}  // namespace berth::archive
