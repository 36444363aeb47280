// berth's metadata store: one SQLite database (<root>/metadata.db, WAL mode)
// holding image records, leases and the reference index that garbage
// collection uses; other modules keep their own tables in it through
// Tx::Prepare (the container module's rows: berth/container_record.h). The whole schema is drawn in
// src/metadata/schema.h; docs/architecture.md shows it.
//
// Reference index. Every "root" (an image, i.e. all records sharing one
// target digest; a container; a lease) names the blobs it keeps directly in
// root_refs. Blobs name their children in blob_edges (manifest -> config and
// layers; an index names no children: which of its manifests an image keeps
// is that image's choice, recorded as its root refs). blobs.refs is kept
// equal to (#root_refs naming the blob) + (#edges from blobs whose refs > 0).
// A blob whose refs drop to 0 goes into gc_pending, to be deleted from the
// content store after the transaction commits; one that gains a reference
// again leaves gc_pending.
//
// Thread-safety: MetadataStore is thread-safe. Update() runs write
// transactions one at a time (the store's write lock); View() runs read
// transactions concurrently with each other and with a writer (WAL).
// A Tx must only be used inside the callback that received it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/digest.h"
#include "berth/env.h"
#include "berth/metadata_sql.h"
#include "berth/oci.h"
#include "berth/platform.h"
#include "berth/status.h"

namespace berth {

// A name -> target record, as containerd's image store keeps them. `name` is
// fully normalised ("docker.io/library/busybox:latest") or a dangling name
// ("moby-dangling@sha256:…").
struct ImageRecord {
  std::string name;
  Descriptor target;
  std::map<std::string, std::string> labels;
  int64_t created_unix_nanos = 0;
  int64_t updated_unix_nanos = 0;

  // The image ID (target digest).
  const Digest& id() const { return target.digest; }
};

struct LeaseRecord {
  std::string id;
  int64_t created_unix_nanos = 0;
  int64_t expires_unix_nanos = 0;  // 0: never
  std::map<std::string, std::string> labels;
};

// Kinds of garbage-collection roots.
enum class RootKind { kImage, kContainer, kLease };
std::string_view RootKindName(RootKind k);

struct BlobRecord {
  Digest digest;
  std::string media_type;
  int64_t size = 0;
  int64_t refs = 0;
};

class Tx {
 public:
  virtual ~Tx() = default;

  // ---- images ----
  virtual Result<ImageRecord> GetImage(std::string_view name) = 0;  // NotFound
  // All records, sorted by name (byte-wise), like containerd's list.
  virtual Result<std::vector<ImageRecord>> ListImages() = 0;
  // Records whose target digest equals `target`, sorted by name.
  virtual Result<std::vector<ImageRecord>> ListImagesByTarget(const Digest& target) = 0;
  // Records whose target hex starts with `hex_prefix` (lowercase hex).
  virtual Result<std::vector<ImageRecord>> ListImagesByTargetPrefix(std::string_view hex_prefix) = 0;
  // Records whose indexed label (MetadataStore::Open's `indexed_label`)
  // has the value `value`; none for an empty value.
  virtual Result<std::vector<ImageRecord>> ListImagesByIndexedLabel(std::string_view value) = 0;
  virtual Result<int64_t> CountImages() = 0;
  // Inserts or replaces by name. Does not touch the reference index.
  virtual Status PutImage(const ImageRecord& r) = 0;
  // NotFound if absent.
  virtual Status DeleteImage(std::string_view name) = 0;

  // ---- tables owned by other modules ----
  // The extension point for a module that keeps its own rows in this
  // database (the container module's `containers` and
  // `container_image_mounts`; owners are drawn in src/metadata/schema.h):
  // a prepared statement on this transaction's connection, so the module's
  // rows commit or roll back with everything else the transaction does.
  // `sql` must be a string literal: statements are cached by its address.
  // A read transaction's statements must only read. The module owns its
  // SQL; the metadata layer owns the schema and its migrations.
  virtual sqlite::Stmt Prepare(const char* sql) = 0;

  // ---- leases ----
  virtual Status PutLease(const LeaseRecord& l) = 0;
  virtual Result<std::vector<LeaseRecord>> ListLeases() = 0;
  virtual Status DeleteLease(std::string_view id) = 0;

  // ---- reference index ----
  // Records a blob's kind, size and children (idempotent; children of an
  // already-registered blob are not changed). Children need not be
  // registered yet; they are created with refs 0. A blob registered with
  // refs 0 is not put into gc_pending (only a drop to 0 is).
  virtual Status RegisterBlob(const Digest& d, std::string_view media_type, int64_t size,
                              const std::vector<Digest>& children) = 0;
  virtual Result<BlobRecord> GetBlob(const Digest& d) = 0;
  virtual Result<std::vector<Digest>> BlobChildren(const Digest& d) = 0;
  // Adds a root reference (idempotent) and updates refs transitively.
  virtual Status AddRootRef(RootKind kind, std::string_view root_id, const Digest& d) = 0;
  // Removes one root reference (absent is OK) and updates refs transitively.
  virtual Status RemoveRootRef(RootKind kind, std::string_view root_id, const Digest& d) = 0;
  // Removes every reference of a root.
  virtual Status RemoveRoot(RootKind kind, std::string_view root_id) = 0;
  virtual Result<std::vector<Digest>> RootRefs(RootKind kind, std::string_view root_id) = 0;
  // Every (kind, id, digest) root reference.
  struct RootRef {
    RootKind kind;
    std::string id;
    Digest digest;
  };
  virtual Result<std::vector<RootRef>> AllRootRefs() = 0;
  virtual Result<std::vector<std::pair<Digest, Digest>>> AllEdges() = 0;  // (parent, child)
  virtual Result<std::vector<BlobRecord>> AllBlobs() = 0;
  // Blobs whose refs dropped to 0 and that are not yet deleted.
  virtual Result<std::vector<Digest>> PendingGarbage() = 0;
  // Forgets a blob (after its file is gone): its row, its edges, its
  // gc_pending entry. FailedPrecondition if refs > 0.
  virtual Status ForgetBlob(const Digest& d) = 0;
  // Puts a blob into gc_pending (for blobs found by a sweep).
  virtual Status MarkGarbage(const Digest& d) = 0;
  // Takes a blob out of gc_pending once its file is gone. Its row (with its
  // edges, which never change for a content-addressed blob) stays, so a
  // blob that comes back needs no re-registration; ForgetBlob drops rows.
  virtual Status ClearPending(const Digest& d) = 0;
  // Blobs whose refs fell to 0 in this transaction since the last call (and
  // did not regain a reference), in the order they fell.
  virtual std::vector<Digest> TakeDied() = 0;
};

class MetadataStore {
 public:
  // Opens or creates the database at `path`, applying migrations. With
  // `durable` false, commits are not fsynced (a crash may lose recent
  // transactions): only for populating benchmark stores. The database and
  // its WAL/SHM files are 0600 (created so, tightened when looser).
  // `indexed_label`: the key of the one image-record label indexed for
  // Tx::ListImagesByIndexedLabel (the metadata layer gives it no meaning;
  // empty: none). When it differs from the key the database was indexed
  // by, Open re-indexes every record in its migration transaction.
  static Result<std::unique_ptr<MetadataStore>> Open(Env* env, const std::string& path, bool durable = true,
                                                     std::string indexed_label = {});
  virtual ~MetadataStore() = default;

  // Runs `fn` in a write transaction (BEGIN IMMEDIATE), committing when it
  // returns OK and rolling back otherwise. Serialised with other Updates.
  virtual Status Update(const std::function<Status(Tx&)>& fn) = 0;
  // Like Update, but the commit is not fsynced: for bookkeeping that a
  // crash may lose because it is redone (clearing gc_pending).
  virtual Status UpdateRelaxed(const std::function<Status(Tx&)>& fn) = 0;
  // Runs `fn` in a read transaction on a consistent snapshot.
  virtual Status View(const std::function<Status(Tx&)>& fn) = 0;

  virtual int schema_version() const = 0;
  virtual Env* env() const = 0;
};

}  // namespace berth
