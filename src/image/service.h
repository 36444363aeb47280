// The ImageService implementation, split by concern across src/image/*.cc:
//   store.cc      Store::Open, the data-root lock
//   records.cc    creating/replacing records, image roots, CreateImages, Tag
//   resolve.cc    Docker's reference resolution
//   remove.cc     Docker's ImageDelete, and berth's safe platform removal
//   prune.cc      image prune
//   collect.cc    deleting garbage after commit, full sweep, ingest leases
//   reaper.cc     the thread that deletes unreferenced files after commit
//   leases.cc     persistent leases (roots that hold content for a while)
//   roots.cc      read-only views of records, roots and container rows
//   view.cc       image summaries: List, Inspect, History
//   why.cc        Why: what keeps an image or a blob, removal previews
// Internal to src/image.
#pragma once

#include <atomic>
#include <memory>
#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "berth/content_store.h"
#include "berth/events.h"
#include "berth/image_service.h"
#include "berth/metadata.h"
#include "berth/metrics.h"
#include "berth/mutex.h"
#include "berth/reference.h"
#include "image/reaper.h"

namespace berth::image {

// What one platform manifest of an image holds (parsed once; immutable).
struct ManifestInfo {
  Digest digest;
  Descriptor descriptor;  // as named by the index (or the target)
  Platform platform;
  bool attestation = false;
  Digest attestation_for;
  Descriptor config;
  std::vector<Descriptor> layers;
  int64_t content_size = 0;  // manifest + config + layers
};

// One manifest descriptor of an image's index (or its manifest target), as
// listed with manifests=1: `retained` indexes ImageFacts::manifests, or is -1
// for a manifest the image does not keep (a platform never pulled, or one
// removed), which Docker lists with Available false.
struct ListedManifest {
  Descriptor descriptor;
  int retained = -1;
};

// What listing needs to know of an image, computed from its target and the
// manifests it retains (immutable content, so cached by target while the
// retained set is unchanged).
struct ImageFacts {
  std::vector<Digest> retained;  // sorted root refs, for cache validation
  std::vector<ManifestInfo> manifests;  // retained, index order
  std::vector<ListedManifest> listed;   // every manifest descriptor, index order
  const ManifestInfo* best = nullptr;   // host-preferred platform manifest
  std::optional<ImageConfig> config;    // best's config
  int64_t size = 0;                     // unique bytes of all retained content
  std::vector<std::pair<Digest, int64_t>> blobs;  // unique blobs with sizes
};

// One image of a listing snapshot.
struct ListRow {
  std::vector<ImageRecord> records;  // sorted by name
  std::shared_ptr<const ImageFacts> facts;
  int64_t created = 0;            // config creation time, unix seconds
  int64_t containers = 0;
  // As listed, without the per-request fields: RepoTags, RepoDigests,
  // shared size, manifests (and Containers unless counted).
  ImageSummary summary;
};

// Everything a listing reads, as of one metadata generation.
struct ListSnapshot {
  uint64_t generation = 0;
  std::vector<ListRow> rows;  // in name order of each image's first record
  std::unordered_set<std::string> parents;  // values of parent labels
  std::vector<ContainerRecord> containers;
};

// Records resolved for one reference (Docker's resolveAllReferences):
// `named` is the record whose name matched (if any); `all` every record with
// the same target, sorted by name.
struct Resolution {
  std::optional<ImageRecord> named;
  std::vector<ImageRecord> all;
};

// Work to do once a write transaction has committed.
struct AfterCommit {
  std::vector<Event> events;
  std::vector<Digest> died;  // blobs whose refs fell to 0
};

class ImageServiceImpl : public ImageService {
 public:
  ImageServiceImpl(Env* env, ContentStore* content, MetadataStore* meta, EventBus* events, Metrics* metrics);
  ~ImageServiceImpl() override;  // finishes queued deletions first

  // ImageService
  std::unique_ptr<IngestLease> NewIngestLease() override;
  Result<ImageRecord> Resolve(const std::string& ref) override;
  Result<std::vector<ImageSummary>> List(const ListOptions& opts) override;
  Result<ImageInspect> Inspect(const std::string& ref, const std::optional<Platform>& platform,
                               bool manifests) override;
  Result<std::vector<HistoryItem>> History(const std::string& ref, const std::optional<Platform>& platform) override;
  Status Tag(const std::string& source, const std::string& target) override;
  Result<std::vector<DeleteResponseItem>> Remove(const std::string& ref, const RemoveOptions& opts) override;
  Result<PruneReport> Prune(const PruneOptions& opts) override;
  Status CreateImages(const std::vector<NewImage>& images, ReplaceRule rule,
                      const std::string& event_action) override;
  Result<GcReport> CollectGarbage() override;
  Result<WhyReport> Why(const std::string& ref) override;  // why.cc
  Status PutContainer(const ContainerRecord& c) override;
  // For a container being created: its image, platform manifest and mounted
  // images are still in the store (NotFound naming what is gone).
  Status CheckStillThere(Tx& tx, const ContainerRecord& c);
  Status DeleteContainer(const std::string& id) override;
  void WaitForCollection() override;
  uint64_t AddCollectHook(std::function<void()> hook) override;
  void RemoveCollectHook(uint64_t handle) override;
  Result<int64_t> StoredBytes() override;
  Status PutLease(const LeaseRecord& lease, const std::vector<Digest>& digests) override;  // leases.cc
  Result<int> DeleteLeases(const std::function<bool(const LeaseRecord&)>& select) override;
  Result<std::vector<ImageRecord>> Records() override;  // roots.cc
  Result<ImageRecord> RecordNamed(const std::string& name) override;
  Result<std::vector<Digest>> RetainedBy(const Digest& target) override;
  Result<std::set<Digest>> RetainedByAnyImage() override;
  Result<std::vector<Digest>> ChildrenOf(const Digest& d) override;
  Result<Descriptor> DescriptorOf(const Digest& d) override;
  Result<std::vector<ContainerRecord>> Containers() override;

  // ---- shared helpers (used across the .cc files) ----

  // Resolution inside a transaction (resolve.cc).
  Result<ImageRecord> ResolveIn(Tx& tx, const std::string& ref);
  Result<Resolution> ResolveAllIn(Tx& tx, const std::string& ref);

  // Parsed manifest (cached by digest).
  Result<ManifestInfo> LoadManifest(const Descriptor& d);
  // Parsed index (cached by digest).
  Result<Index> LoadIndex(const Descriptor& d);
  // The platform manifests an image retains (its root refs minus the
  // target), parsed; for a manifest target, the target itself.
  Result<std::vector<ManifestInfo>> RetainedManifests(Tx& tx, const Descriptor& target);
  // The same from the image root's references (`refs`, ignored for a
  // manifest target).
  Result<std::vector<ManifestInfo>> ManifestsFromRefs(const Descriptor& target, const std::vector<Digest>& refs);
  // Parsed config (cached by digest).
  Result<ImageConfig> LoadConfig(const Digest& d);
  // Whether one platform config of the image (attestations aside) passes
  // every label check (Docker's setupLabelFilter; prune.cc). True when
  // `checks` is empty.
  bool LabelsMatch(const std::vector<ManifestInfo>& manifests, const std::vector<LabelFilter>& checks);
  // The blobs under `target` whose files exist, in containerd's walk order
  // (Docker's walkPresentChildren): each descriptor, then its children (an
  // index's manifests; a manifest's config, then its layers), depth first.
  // A blob named twice is listed twice. Children of an unreadable blob are
  // skipped (prune.cc).
  std::vector<Descriptor> PresentBlobs(const Descriptor& target);
  // Facts about an image given its retained root refs (view.cc; cached).
  Result<std::shared_ptr<const ImageFacts>> Facts(const Descriptor& target, std::vector<Digest> retained);
  Result<std::shared_ptr<const ImageFacts>> FactsIn(Tx& tx, const Descriptor& target);
  // The listing snapshot for the current generation (view.cc; cached).
  Result<std::shared_ptr<const ListSnapshot>> Snapshot();

  // Records (records.cc). All run inside a write transaction.
  // Registers the blobs of `target` and `manifests` and adds them as the
  // image root's references (union with what the root already keeps).
  Status RetainContent(Tx& tx, const Descriptor& target, const std::vector<Digest>& manifests);
  // Deletes a record; drops the image root when it was the target's last.
  Status DeleteRecord(Tx& tx, const std::string& name, AfterCommit& after);
  // Creates or replaces a record, treating an existing name and dangling
  // records by `rule` (see ReplaceRule). Sets the record's times.
  Status PutRecord(Tx& tx, ImageRecord record, ReplaceRule rule);
  // Keeps `img`'s target alive as moby-dangling@<digest> (no-op if present).
  Status EnsureDangling(Tx& tx, const ImageRecord& img);

  // Runs `fn` in a write transaction, then deletes what died and publishes
  // the events (collect.cc). `bytes_freed` (added to) and `freed` (appended
  // to) tell what was deleted. Under a DryRunScope on this thread the
  // transaction is rolled back instead: nothing is deleted, no event is
  // published, and `bytes_freed`/`freed` (and the scope) tell what the
  // deletion would have taken.
  Status UpdateAndCollect(const std::function<Status(Tx&, AfterCommit&)>& fn, uint64_t* bytes_freed = nullptr,
                          std::vector<Digest>* freed = nullptr);
  // Deletes the files of blobs whose refs are 0 and that no lease holds;
  // forgets them in the metadata. Never under the metadata write lock.
  void DeleteGarbage(const std::vector<Digest>& candidates, uint64_t* bytes_freed,
                     std::vector<Digest>* freed) EXCLUDES(gc_mu_);
  // Of `candidates`, those a deletion would take as `tx` sees them: refs 0
  // (or unregistered) and held by no ingest lease.
  std::vector<Digest> Unreferenced(Tx& tx, const std::vector<Digest>& candidates) REQUIRES(gc_mu_);

  Event ImageEvent(const std::string& action, const std::string& id, const std::string& name,
                   const std::map<std::string, std::string>& labels = {}) const;
  void ObserveAction(const std::string& action, std::chrono::steady_clock::time_point start);

  Env* env() const { return env_; }
  ContentStore* content() const { return content_; }
  MetadataStore* meta() const { return meta_; }
  EventBus* events() const { return events_; }

  // Leases (collect.cc).
  bool Leased(const Digest& d) REQUIRES(gc_mu_);
  void Hold(const Digest& d) REQUIRES(gc_mu_);
  void Release(const std::vector<Digest>& ds) REQUIRES(gc_mu_);
  Mutex& gc_mutex() RETURN_CAPABILITY(gc_mu_) { return gc_mu_; }

 private:
  Env* env_;
  ContentStore* content_;
  MetadataStore* meta_;
  EventBus* events_;
  Metrics* metrics_;

  Mutex cache_mu_;
  std::unordered_map<Digest, ManifestInfo> manifest_cache_ GUARDED_BY(cache_mu_);
  std::unordered_map<Digest, ImageConfig> config_cache_ GUARDED_BY(cache_mu_);
  std::unordered_map<Digest, Index> index_cache_ GUARDED_BY(cache_mu_);
  std::unordered_map<Digest, std::shared_ptr<const ImageFacts>> facts_cache_ GUARDED_BY(cache_mu_);
  std::shared_ptr<const ListSnapshot> list_cache_ GUARDED_BY(cache_mu_);
  // Bumped after every committed write transaction; invalidates list_cache_.
  std::atomic<uint64_t> generation_{1};

  // Serialises "is it unreferenced and unleased? then unlink" against
  // "commit and hold". Not the metadata write lock.
  Mutex gc_mu_;
  std::unordered_map<Digest, int> leased_ GUARDED_BY(gc_mu_);

  std::atomic<bool> pruning_{false};

  // Last: stopped (after finishing its queue) before anything it uses goes.
  std::unique_ptr<Reaper> reaper_;
};

// Makes the image service's writes on the calling thread dry runs while it
// is in scope (collect.cc): UpdateAndCollect rolls its transaction back
// instead of committing, after selecting, by the rule DeleteGarbage applies
// (refs 0 in the transaction, held by no ingest lease), the blobs the
// deletion would take. So any operation built on UpdateAndCollect (Remove,
// Prune) reports exactly what it would do, changes nothing, publishes no
// event and observes no metric. Scopes do not nest; one per thread.
class DryRunScope {
 public:
  DryRunScope();
  ~DryRunScope();
  DryRunScope(const DryRunScope&) = delete;
  DryRunScope& operator=(const DryRunScope&) = delete;

  // The scope active on this thread, or null.
  static DryRunScope* Current();

  // What the rolled-back writes in this scope would have deleted: blob
  // digests in deletion order (a blob whose file is already absent included)
  // and the bytes of the files.
  const std::vector<Digest>& freed() const { return freed_; }
  uint64_t bytes_freed() const { return bytes_freed_; }

 private:
  friend class ImageServiceImpl;
  std::vector<Digest> freed_;
  uint64_t bytes_freed_ = 0;
};

// The familiar string of a record's name ("busybox:latest"); a dangling
// record gives "".
std::string FamiliarName(const ImageRecord& r);

}  // namespace berth::image
