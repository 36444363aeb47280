// The content store: immutable, verified blobs addressed by digest, laid out
// as <root>/blobs/sha256/<hex>, with in-progress writes under
// <root>/ingest/. Modelled on containerd's content store.
//
// Guarantees: a blob path only ever holds complete content that matched its
// digest at commit; a failed write, commit or crash leaves no partial blob
// (only ingest files, which Open() clears). Digests are validated before
// they become paths.
//
// Thread-safety: all methods are thread-safe. A Writer is not; use one per
// thread. The content store knows nothing about references: deciding what
// may be deleted is the garbage collector's job.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "berth/digest.h"
#include "berth/env.h"
#include "berth/status.h"

namespace berth {

struct BlobInfo {
  Digest digest;
  int64_t size = 0;
  int64_t committed_unix_nanos = 0;
};

// An in-progress blob. Write() streams and hashes; Commit() verifies.
class ContentWriter {
 public:
  virtual ~ContentWriter() = default;  // an uncommitted writer discards its ingest file
  virtual Status Write(std::string_view data) = 0;
  virtual int64_t written() const = 0;
  // Verifies size (when expected_size >= 0) and digest (when non-empty),
  // fsyncs, renames into place and fsyncs the directory. A blob that already
  // exists is not rewritten (success). Mismatch: InvalidArgument
  // "unexpected commit digest sha256:…, expected sha256:…" or
  // "unexpected commit size N, expected M"; nothing is stored.
  // Returns the digest of what was written.
  virtual Result<Digest> Commit(int64_t expected_size, const Digest& expected) = 0;
};

// The read-only role of the content store, for the modules above the image
// service (registry, archive, container, snapshot, builder): they read
// blobs and never delete or write one outside an IngestLease (see
// berth/image_service.h), so no write escapes garbage collection.
//
// Thread-safety: every method is thread-safe and may run concurrently with
// writers, deletions and other readers.
//
// What may change under a reader: a blob's bytes never change once it is
// committed (its path only ever holds the complete, verified content). A
// blob may disappear at any time, though, when garbage collection deletes
// what nothing references: Exists() and Info() are facts about the moment
// they ran, a later ReadAll() or OpenRead() of the same digest may be
// NotFound, and a path from BlobPath() may vanish. A reader that needs a
// blob to stay holds it first (an image record, a container or a lease
// keeps it; an IngestLease's Add() holds it for an ingest). An open
// SequentialFile keeps reading the whole blob even if it is deleted
// meanwhile (the file is unlinked, not truncated).
class BlobReader {
 public:
  virtual ~BlobReader() = default;

  // NotFound when absent.
  virtual Result<BlobInfo> Info(const Digest& d) = 0;
  virtual bool Exists(const Digest& d) = 0;
  // Whole blob in memory (manifests, configs, indexes: small documents). A
  // blob of more than `max_bytes` is InvalidArgument ("content sha256:… is N
  // bytes, more than the limit of M MiB"): its size is checked before the read,
  // and the read itself stops past the limit (a blob cannot grow, but a
  // damaged store is not trusted either). See kMaxManifestBytes and
  // kMaxConfigBytes in oci.h for the limits callers pass.
  virtual Result<std::string> ReadAll(const Digest& d, int64_t max_bytes) = 0;
  virtual Result<std::unique_ptr<SequentialFile>> OpenRead(const Digest& d) = 0;
  // Path of a blob (for streaming it out, e.g. an upload); does not check
  // existence. Only for reading: the file belongs to the content store.
  virtual std::string BlobPath(const Digest& d) const = 0;
};

// The whole content store: the reads above plus writes and deletion. Only
// the image module (its lease manager and reaper) and tests hold one; other
// modules get a BlobReader (Store::blobs()) and write through an
// IngestLease.
class ContentStore : public BlobReader {
 public:
  // Opens (creating) a store at `root`; removes stale ingest files.
  static Result<std::unique_ptr<ContentStore>> Open(Env* env, std::string root);
  ~ContentStore() override = default;

  // A writer must not outlive the store that made it.
  virtual Result<std::unique_ptr<ContentWriter>> NewWriter() = 0;
  // Convenience: writes `data` and commits it against `expected` (may be empty).
  virtual Result<Digest> Put(std::string_view data, const Digest& expected = {}) = 0;
  // Visits every committed blob; stops at the first non-OK return.
  virtual Status Walk(const std::function<Status(const BlobInfo&)>& fn) = 0;
  // Removes a blob; NotFound when absent. The directory is not fsynced: a
  // deletion lost in a crash only brings back a valid, unreferenced blob,
  // which garbage collection removes again.
  virtual Status Delete(const Digest& d) = 0;
};

}  // namespace berth
