// ImageService: Docker's image operations over one berth store, with
// Docker's semantics (see docs/architecture.md and the removal notes in
// src/image/remove.cc). The daemon's routes and the `berth` CLI are thin
// layers over this class.
//
// Thread-safety: all methods are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "berth/container_record.h"
#include "berth/content_store.h"
#include "berth/digest.h"
#include "berth/env.h"
#include "berth/events.h"
#include "berth/io.h"
#include "berth/metadata.h"
#include "berth/metrics.h"
#include "berth/oci.h"
#include "berth/platform.h"
#include "berth/reference.h"
#include "berth/status.h"

namespace berth {

// Whether a record is Docker's dangling record of its target
// ("moby-dangling@<target digest>"): an image kept without a name.
inline bool IsDangling(const ImageRecord& r) { return r.name == DanglingName(r.target.digest); }
// The image's parent (Docker's kParentLabel: the image a build step or a
// commit started from), as an image ID string; empty if none. The metadata
// store indexes this label (Store::Open names it), so children are found
// with Tx::ListImagesByIndexedLabel(parent ID).
inline std::string ParentOf(const ImageRecord& r) {
  auto it = r.labels.find(std::string(kParentLabel));
  return it == r.labels.end() ? std::string() : it->second;
}
// The kBuildStepLabel value of a record (the build step's command), empty
// if none.
inline std::string BuildStepOf(const ImageRecord& r) {
  auto it = r.labels.find(std::string(kBuildStepLabel));
  return it == r.labels.end() ? std::string() : it->second;
}
// Build cache: a dangling record of an image a build step created (it
// carries the kBuildStepLabel). Named images are never build cache.
inline bool IsBuildCache(const ImageRecord& r) {
  return IsDangling(r) && r.labels.contains(std::string(kBuildStepLabel));
}

// One element of a removal or prune report: exactly one field is set.
struct DeleteResponseItem {
  std::string untagged;
  std::string deleted;
  static DeleteResponseItem Untagged(std::string v) { return {std::move(v), {}}; }
  static DeleteResponseItem Deleted(std::string v) { return {{}, std::move(v)}; }
  bool operator==(const DeleteResponseItem&) const = default;
};

struct RemoveOptions {
  bool force = false;
  bool prune = true;  // remove untagged parents (Docker's default; noprune turns it off)
  std::vector<Platform> platforms;
};

// One check of the "label" and "label!" filters, as Docker 28.2's
// setupLabelFilter reads a term: "key" (the key is present) or "key=value"
// (present with that value). A key ending in '!' ("key!=value", "key!")
// negates the check, and so does the "label!" filter (both: no negation).
// A negated value check still needs the key (Docker 28.x): "key!=v" matches
// labels where key is present with another value, never labels without key.
struct LabelFilter {
  std::string key;
  std::optional<std::string> value;
  bool negate = false;
  // `from_label_not`: the term came from the "label!" filter. Errors
  // (InvalidArgument): an empty key; key and value longer than 4096 bytes
  // together (containerd's labels.Validate text).
  static Result<LabelFilter> Parse(std::string_view term, bool from_label_not = false);
  bool Matches(const std::map<std::string, std::string>& labels) const;
};

struct PruneOptions {
  bool dangling_only = true;
  std::optional<int64_t> until_unix_nanos;  // records created before this (the earliest of several)
  // "label" and "label!" checks: an image matches when the config of one of
  // its platforms passes all of them.
  std::vector<LabelFilter> labels;
  // Report exactly what the prune would do (the same transaction, rolled
  // back) and change nothing: no record or blob removed, no event, no
  // metric. A berth extension.
  bool dry_run = false;
  // Build cache prune (POST /build/prune): the candidates are build-cache
  // records only (ImageRecord::build_cache), with the until filter; labels
  // must be empty. Unless `build_cache_all`, a cache record that is an
  // ancestor (parent label chain) of a named image is kept: it is the
  // cache of a build whose result still has a name.
  bool build_cache_only = false;
  bool build_cache_all = false;
};

struct PruneReport {
  std::vector<DeleteResponseItem> deleted;
  uint64_t space_reclaimed = 0;
};

struct ListOptions {
  bool all = false;  // include dangling parents of other images
  // Record filters, as Docker's list applies them to each image record:
  // an image is listed when one of its records passes, and its RepoTags
  // and RepoDigests come from the records that pass.
  std::optional<bool> dangling;             // the record is moby-dangling@… (or not)
  std::vector<std::string> reference;       // glob patterns, one must match the record's name
  std::optional<int64_t> until_unix_nanos;  // the record was created before this
  // Image filters (every record of the image passes or fails together).
  std::vector<LabelFilter> labels;  // as in PruneOptions
  std::vector<std::string> before;  // image references
  std::vector<std::string> since;
  bool shared_size = false;
  bool manifests = false;
  // Count the containers using each image (Docker does for system df only;
  // otherwise Containers is -1, as Docker 28.2 lists at API 1.50).
  bool container_count = false;
};

struct ManifestSummary {
  Digest id;
  Descriptor descriptor;
  bool available = false;
  int64_t content_size = 0;
  int64_t total_size = 0;
  std::string kind;  // "image", "attestation", "unknown"
  Platform platform;
  std::vector<std::string> containers;
  int64_t unpacked_size = 0;
  Digest attestation_for;  // for kind "attestation"
};

struct ImageSummary {
  Digest id;
  std::string parent_id;
  std::vector<std::string> repo_tags;
  std::vector<std::string> repo_digests;
  int64_t created = 0;  // unix seconds (config)
  int64_t size = 0;
  int64_t shared_size = -1;
  std::map<std::string, std::string> labels;
  bool labels_null = false;
  int64_t containers = -1;
  Descriptor descriptor;
  std::vector<ManifestSummary> manifests;
  int64_t record_created_unix_nanos = 0;
};

struct ImageInspect {
  Digest id;
  std::vector<std::string> repo_tags;
  std::vector<std::string> repo_digests;
  std::string parent;
  std::string comment;
  std::string created;  // RFC 3339
  std::string author;
  Platform platform;
  int64_t size = 0;
  std::string config_json;  // the image config's "config" object, raw JSON ("null" if none)
  std::vector<Digest> diff_ids;
  Descriptor descriptor;
  std::string last_tag_time;  // RFC 3339 nanos, or "0001-01-01T00:00:00Z"
  std::vector<ManifestSummary> manifests;
};

struct HistoryItem {
  std::string id;  // image ID or "<missing>"
  int64_t created = 0;
  std::string created_by;
  std::vector<std::string> tags;
  int64_t size = 0;
  std::string comment;
};

struct LoadOptions {
  std::optional<Platform> platform;
  // A compressed archive (gzip, zstd) decompresses within these (the layers
  // in it are held to the snapshotter's limits when they are unpacked).
  DecompressionLimits limits{.max_bytes = int64_t{256} << 30};
};

struct LoadedImage {
  std::string name;  // familiar "name:tag", empty for an unnamed image
  Digest id;
};

struct SaveOptions {
  std::optional<Platform> platform;
};

// What creating a record does when its name exists, and to dangling
// records: Docker's rules differ by operation.
enum class ReplaceRule {
  // docker tag and commit (createOrReplaceImage): the old target is kept as
  // moby-dangling@<old> only when this was its last name; the record keeps
  // its creation time only when the target is unchanged. An unnamed image
  // gets a dangling record only when nothing names it.
  kTag,
  // docker load (containerd's Import updates only the target): the old
  // target is kept as moby-dangling@<old> every time, the same target or
  // not, other names or not; the record keeps its creation time and labels.
  // An unnamed image always gets (or keeps) its moby-dangling@ record, and
  // a named one leaves its target's dangling record in place.
  kLoad,
  // docker pull: the old target is kept as moby-dangling@<old> whenever the
  // target changed; the record keeps its creation time.
  kPull,
};
// With kTag and kPull a named record removes its target's dangling record.

// A new image record to create: the archive loader and (later) pull hand
// these to CreateImages after every blob is committed.
struct NewImage {
  std::string name;  // normalised name, or empty for an unnamed (dangling) image
  Descriptor target;
  // Platform manifests (for an index target) this image keeps; every one must
  // be present with its config and layers. Empty for a manifest target.
  std::vector<Digest> manifests;
  std::map<std::string, std::string> labels;
};

// A build step's image made from content the store already has (docker
// build --cache-from: Docker's image cache re-creates the intermediate
// images of a cache-from image so). See ImageRecords::CreateStepImage.
struct StepImageFromContent {
  Digest parent;  // parent image ID; empty: none (FROM scratch)
  // The image whose layer the step adds, and that layer's index in its
  // host-platform manifest; no layer when `layer_index` is empty.
  Digest layer_source;
  std::optional<size_t> layer_index;
  std::string config_json;  // the whole image config (rootfs, history, ...)
  std::string created_by;   // the build step label
};

// ---- Why: what keeps an image or a blob (ImageService::Why) ----

// A container as `why` shows it.
struct WhyContainer {
  std::string id;
  std::string name;
  std::string image_ref;  // as given at creation
  std::string state;      // ContainerStateName
  std::optional<Platform> platform;  // the platform it runs (containers created from the image)
  Digest manifest;                   // the platform manifest it keeps (may be empty)
};

// A metadata lease (a failed pull's) and the blobs of interest it keeps,
// directly or through a manifest it names.
struct WhyLease {
  std::string id;
  int64_t expires_unix_nanos = 0;  // 0: never
  std::map<std::string, std::string> labels;
  std::vector<Digest> blobs;
};

// What one removal would do, found by running ImageService::Remove on a
// rolled-back transaction (see DryRunScope in src/image/lease_manager.h).
struct RemovalPreview {
  bool refused = false;
  std::string error;                     // why it is refused (Docker's message)
  std::vector<DeleteResponseItem> items;  // what `docker rmi` would print
  struct Blob {
    Digest digest;
    std::string media_type;
    int64_t size = 0;  // registered size
    bool operator==(const Blob&) const = default;
  };
  std::vector<Blob> freed;   // blobs that would be deleted, in deletion order
  uint64_t freed_bytes = 0;  // bytes of their files (absent files count 0)
};

struct ImageWhy {
  Digest id;
  std::vector<std::string> names;  // familiar names, sorted; the dangling record excluded
  bool dangling = false;           // the image has a dangling record (moby-dangling@…)
  std::string parent;              // its parent label, empty if none
  struct Child {
    Digest id;
    std::vector<std::string> names;
  };
  std::vector<Child> children;  // images whose parent label is this image
  std::vector<WhyContainer> containers;  // created from it
  std::vector<WhyContainer> mounted_by;  // mounting it (image mounts)
  std::vector<WhyLease> leases;          // holding any of its blobs
  std::vector<Digest> ingest_held;       // its blobs an ingest in progress holds
  int64_t size = 0;                      // unique bytes of the content it retains
  int blobs = 0;                         // number of those blobs
  std::string reference;                 // the reference the previews remove
  RemovalPreview remove;        // docker rmi REF
  RemovalPreview force_remove;  // docker rmi -f REF
};

// One root keeping a blob, and the way it reaches it.
struct BlobHolder {
  RootKind kind = RootKind::kImage;
  std::string id;                  // image ID, container ID or lease ID
  std::vector<std::string> names;  // image: familiar names; container: its name
  // From the root down to the blob, the blob excluded: for an image whose
  // target is an index, the index, then the retained manifest, then (for a
  // config or layer) nothing more; empty when the root names the blob.
  std::vector<Descriptor> via;
};

struct BlobWhy {
  Digest digest;
  std::string media_type;  // empty when not registered
  int64_t size = 0;
  int64_t refs = 0;
  bool registered = false;  // known to the metadata store
  bool present = false;     // its file exists
  bool ingest_held = false;  // an ingest in progress holds it
  std::vector<BlobHolder> holders;  // every root reaching it, by kind then ID
};

// Exactly one of image / blob is set.
struct WhyReport {
  std::optional<ImageWhy> image;
  std::optional<BlobWhy> blob;
};

struct StoreOptions {
  std::string root;           // data root
  Env* env = nullptr;         // Env::Default() when null
  bool take_lock = true;      // hold <root>/berth.lock for the store's lifetime
  bool durable = true;        // fsync metadata commits (false: benchmark setup only)
};

// Protects blobs being ingested from garbage collection until the records
// that reference them are created. Blobs must be committed through
// Commit()/Put() (or Add()ed before they are written) so that no collection
// can delete them in between. On destruction the lease ends, and the blobs
// it holds that nothing references are deleted (a failed load leaves no
// files behind). Not thread-safe: one per ingest.
class IngestLease {
 public:
  virtual ~IngestLease() = default;
  // A writer for a new blob (an ingest file); Commit it here to hold it.
  // Safe to call from any thread.
  virtual Result<std::unique_ptr<ContentWriter>> NewWriter() = 0;
  // Commits `writer` (see ContentWriter::Commit) and holds the blob.
  virtual Result<Digest> Commit(ContentWriter& writer, int64_t expected_size, const Digest& expected) = 0;
  // Stores `data` and holds the blob.
  virtual Result<Digest> Put(std::string_view data, const Digest& expected = {}) = 0;
  // Holds a blob that already exists (or is about to be written).
  virtual void Add(const Digest& d) = 0;
};

// The image service in roles, as containerd splits its services. A module
// that needs one role takes that interface (the container service needs
// ImageRoots and ImageRecords, never removal); ImageService joins them for
// the daemon's routes and the CLI. Every method of every role is
// thread-safe.

// Image records: names and the targets they point to (containerd's image
// store), and Docker's reference resolution over them.
class ImageRecords {
 public:
  virtual ~ImageRecords() = default;

  // Resolves a reference like Docker's resolveImage (name, name:tag,
  // name@digest, full or short ID).
  virtual Result<ImageRecord> Resolve(const std::string& ref) = 0;
  // docker tag: `target` is a reference with optional tag (":latest" added).
  virtual Status Tag(const std::string& source, const std::string& target) = 0;
  // Creates records for images whose content is committed, in one
  // transaction, treating names that already exist by `rule`. Emits one
  // `event_action` event per image (ID and name: the target digest) when
  // `event_action` is non-empty.
  virtual Status CreateImages(const std::vector<NewImage>& images, ReplaceRule rule,
                              const std::string& event_action) = 0;
  // Every image record, by name.
  virtual Result<std::vector<ImageRecord>> Records() = 0;
  // The record with exactly this (normalized) name; NotFound if none.
  virtual Result<ImageRecord> RecordNamed(const std::string& name) = 0;
  // Creates a dangling build-step image without writing a layer: an OCI
  // manifest listing the layers of `step.parent`'s host-platform manifest
  // (none without a parent), then the layer `step.layer_index` of
  // `step.layer_source`'s host-platform manifest when set, and the config
  // `step.config_json`, whose rootfs must list exactly as many diff IDs as
  // that (InvalidArgument otherwise). The record carries the parent label
  // (when there is a parent) and the build-step label, as a committed step
  // does. Creating the same image again keeps its record. Returns the image
  // ID (the manifest digest). NotFound when an image is gone.
  virtual Result<Digest> CreateStepImage(const StepImageFromContent& step) = 0;
  // Sets the parent label of every record of the image `image` to `parent`
  // (docker build --cache-from makes a cache-from image the child of the
  // step it completes, as Docker's image cache does). NotFound when no
  // record names `image`.
  virtual Status SetParent(const Digest& image, const Digest& parent) = 0;
};

// What `docker images`, `docker image inspect`, `docker history` and
// `berth why` show. Reads only.
class ImageViews {
 public:
  virtual ~ImageViews() = default;

  virtual Result<std::vector<ImageSummary>> List(const ListOptions& opts) = 0;
  virtual Result<ImageInspect> Inspect(const std::string& ref, const std::optional<Platform>& platform,
                                       bool manifests) = 0;
  virtual Result<std::vector<HistoryItem>> History(const std::string& ref,
                                                   const std::optional<Platform>& platform) = 0;
  // Why an image or a blob is kept. `ref` is an image reference (name,
  // name:tag, name@digest, full or short ID) or the digest "sha256:<hex>"
  // of a blob that is not an image ID. For an image: its names, containers,
  // mounts, leases, parent links, and what `docker rmi` and `docker rmi -f`
  // of `ref` would remove and free (each a Remove run on a rolled-back
  // transaction: it changes nothing, publishes no event). For a blob: every
  // root that reaches it and through which manifests/indexes. NotFound
  // "No such image: <ref>" when it is neither.
  virtual Result<WhyReport> Why(const std::string& ref) = 0;
};

// docker rmi and docker image prune.
class ImageRemoval {
 public:
  virtual ~ImageRemoval() = default;

  // docker rmi: Docker 28.2's ImageDelete on its containerd image store
  // (resolution, same-reference rules, conflicts, dangling records, parent
  // pruning, the records of the reply and their order, error texts), with
  // berth's platform removal. The contract:
  //  - `ref` resolves as Resolve does; a blank ref is InvalidArgument, an
  //    unknown one NotFound "No such image: <ref>".
  //  - Without platforms: untags the records `ref` names ("Untagged" items);
  //    when the image's last name goes, deletes the image ("Deleted": ID),
  //    and, unless `no_prune`, its untagged parents (parent label chain).
  //    A running container created from the image is a hard conflict (never
  //    forced); a stopped one, or several names for an ID given as ID, a
  //    soft conflict (overridden by force: the image is kept dangling for
  //    the container). Conflicts are Conflict "conflict: unable to delete
  //    <ref> (must be forced|cannot be forced) - <reason>".
  //  - With platforms: acts on content only, never on a record or name. Each
  //    platform removes the best retained manifest matching it and its
  //    attestations ("Deleted" per manifest, each once); a container
  //    created on it or mounting the image on it is a soft conflict; a
  //    platform the image lacks is NotFound naming `ref` (the full ID for an
  //    ID or prefix), a no-op with force. Shared content is never deleted.
  //  - Everything happens in one metadata transaction, all or nothing;
  //    events (`untag`, `delete`, `remove-platform`) go out after it
  //    commits, and the files of what lost its last reference are deleted
  //    right after by the reaper (see ImageRoots::WaitForCollection).
  // The rules in full, in Docker's order: src/image/remove.cc.
  virtual Result<std::vector<DeleteResponseItem>> Remove(const std::string& ref,
                                                         const RemoveOptions& opts) = 0;
  virtual Result<PruneReport> Prune(const PruneOptions& opts) = 0;
};

// Roots and leases: everything that keeps content alive besides image
// records (containers, persistent leases, the in-memory holds of an
// ingest), and the one path that collects what nothing keeps (containerd's
// lease manager and GC). Every root change goes through a metadata
// transaction that also updates the reference counts; what lost its last
// reference is deleted after the commit.
class ImageRoots {
 public:
  virtual ~ImageRoots() = default;

  // A lease for an ingest (load, pull, commit, import). See IngestLease.
  virtual std::unique_ptr<IngestLease> NewIngestLease() = 0;

  // Container records, which removal and prune consult. PutContainer
  // creates or updates the row and makes the container a GC root for the
  // platform manifest it uses (image_manifest) and the manifests of the
  // images it mounts; a new container whose image, platform manifest or
  // mounted image is gone is NotFound. DeleteContainer drops both and frees
  // what only the container kept.
  virtual Status PutContainer(const ContainerRecord& c) = 0;
  virtual Status DeleteContainer(const std::string& id) = 0;
  // The container rows, by created time.
  virtual Result<std::vector<ContainerRecord>> Containers() = 0;

  // ---- Leases: roots that hold content for a while ----
  // Creates `lease` (ID, labels, expiry) holding those of `digests` whose
  // blobs exist, in one transaction.
  virtual Status PutLease(const LeaseRecord& lease, const std::vector<Digest>& digests) = 0;
  // Deletes every lease `select` picks, in one transaction, and collects
  // what they alone held. Returns how many were deleted.
  virtual Result<int> DeleteLeases(const std::function<bool(const LeaseRecord&)>& select) = 0;

  // ---- Deleting what nothing references any more ----
  // A write that leaves blobs unreferenced (Remove, Tag or a load moving a
  // name, a container's removal, ...) returns once its metadata
  // transaction has committed; a background reaper deletes the files right
  // after (re-checking, under the same lock an ingest takes, that nothing
  // references or holds them). A crash in between loses nothing: the
  // digests were committed to gc_pending, which Store::Open finishes. Prune
  // and CollectGarbage delete before they return, as they report it.

  // Full mark-and-sweep: deletes every blob no root reaches. Returns the
  // number of blobs and bytes freed.
  struct GcReport {
    uint64_t blobs = 0;
    uint64_t bytes = 0;
  };
  virtual Result<GcReport> CollectGarbage() = 0;
  // Returns once every deletion due from writes committed before the call
  // is done and the collect hooks have run after it.
  virtual void WaitForCollection() = 0;
  // Registers `hook` to run on the reaper after each batch of deletions
  // (the container service sweeps unused snapshots so); the handle
  // unregisters it. RemoveCollectHook returns once the hook is not running
  // and never runs again; a hook must not call it.
  virtual uint64_t AddCollectHook(std::function<void()> hook) = 0;
  virtual void RemoveCollectHook(uint64_t handle) = 0;
  // The bytes of every blob file in the content store, once pending
  // deletions are done (docker system df's LayersSize).
  virtual Result<int64_t> StoredBytes() = 0;

  // ---- The content graph as the roots see it ----
  // What the root of the image with target `target` keeps: the target and
  // the platform manifests (with their attestations) it retains. Empty for
  // an unknown target.
  virtual Result<std::vector<Digest>> RetainedBy(const Digest& target) = 0;
  // The union of RetainedBy over every image.
  virtual Result<std::set<Digest>> RetainedByAnyImage() = 0;
  // The blobs a registered blob references (an index's manifests, a
  // manifest's config and layers).
  virtual Result<std::vector<Digest>> ChildrenOf(const Digest& d) = 0;
  // A registered blob's descriptor (media type, digest, size); NotFound if
  // the store does not know it.
  virtual Result<Descriptor> DescriptorOf(const Digest& d) = 0;
};

// All the roles of the image service over one store.
class ImageService : public ImageRecords, public ImageViews, public ImageRemoval, public ImageRoots {
 public:
  ~ImageService() override = default;
};

// The permission bits of a data root, as dockerd's /var/lib/docker.
inline constexpr uint32_t kDataRootMode = 0710;

// An open data root: its lock, content store, events, metrics and image
// service. Its metadata store and the writable content store stay inside:
// modules above read blobs through blobs() (a BlobReader: no Delete, no
// unheld write) and use the image service's roles (libberth's tests reach
// the internals through src/image/store_internals.h). Blobs are written
// only through an IngestLease (ImageRoots::NewIngestLease), so no write
// escapes collection. Thread-safe.
class Store {
 public:
  // Opens (creating) the store. A second Open of the same root while the
  // first holds the lock fails with FailedPrecondition naming the holder's pid.
  // The data root is created 0710 (kDataRootMode) and, when the process runs
  // as root, an existing one loses looser bits; metadata.db and its WAL/SHM
  // are 0600, the content store 0700.
  static Result<std::unique_ptr<Store>> Open(const StoreOptions& opts);
  virtual ~Store() = default;

  virtual const std::string& root() const = 0;
  virtual Env* env() = 0;
  // The content store, read-only (see BlobReader for what may change under
  // a reader). Valid while the Store lives.
  virtual BlobReader* blobs() = 0;
  virtual EventBus* events() = 0;
  virtual Metrics* metrics() = 0;
  virtual ImageService* images() = 0;
};

// The default data root: /var/lib/berth for root, else $XDG_DATA_HOME/berth
// (~/.local/share/berth).
std::string DefaultDataRoot();

}  // namespace berth
