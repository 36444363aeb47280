// LeaseManager: the one path by which roots change and garbage goes.
// Internal to src/image.
//
// Every write of the image service (records, container roots, persistent
// leases) is a function run by UpdateAndCollect in one metadata write
// transaction; the metadata layer keeps blob reference counts as roots and
// edges change and tells which blobs fell to 0 ("died"). After the commit:
//
//   request thread                          reaper thread (reaper.h)
//   ──────────────                          ─────────────
//   Update(tx): fn; refs fall to 0,
//     digests go to gc_pending
//   commit (one fsync)
//   generation++ (listing caches)
//   Enqueue(died) ───────────────────────▶  DeleteGarbage(batch): re-check
//   publish events, reply                     refs and holds under gc_mu_,
//                                             unlink, clear gc_pending;
//                                             then the collect hooks
//                                             (snapshot sweep)
//
// Callers that report what was freed (prune, gc) pass bytes_freed/freed and
// get the deletion done before UpdateAndCollect returns. A crash between
// commit and deletion leaves the digests in gc_pending; FinishPending (run
// by Store::Open) completes them. CollectGarbage is the full mark-and-sweep
// from every root, for `berth gc` and recovery: it also finds files nothing
// ever registered (an ingest that died before its records were written).
//
// Ingests race with deletion for the same digest. Both sides take gc_mu_:
// an ingest commits and holds a blob in one step (IngestLease), and the
// deleter re-checks "refs == 0 and not held" and unlinks in one step.
//
// Thread-safety: every public method is thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "berth/content_store.h"
#include "berth/env.h"
#include "berth/events.h"
#include "berth/image_service.h"
#include "berth/metadata.h"
#include "berth/metrics.h"
#include "berth/mutex.h"
#include "image/reaper.h"

namespace berth::image {

// Work to do once a write transaction has committed.
struct AfterCommit {
  std::vector<Event> events;
  std::vector<Digest> died;  // blobs whose refs fell to 0
};

class LeaseManager {
 public:
  LeaseManager(ContentStore* content, MetadataStore* meta, EventBus* events, Metrics* metrics);
  ~LeaseManager();  // finishes queued deletions first
  LeaseManager(const LeaseManager&) = delete;
  LeaseManager& operator=(const LeaseManager&) = delete;

  // Runs `fn` in a write transaction, then has what died deleted and
  // publishes the events. `bytes_freed` (added to) and `freed` (appended
  // to) tell what was deleted; without them the reaper deletes after the
  // return. Under a DryRunScope on this thread the transaction is rolled
  // back instead: nothing is deleted, no event is published, and
  // `bytes_freed`/`freed` (and the scope) tell what the deletion would have
  // taken.
  Status UpdateAndCollect(const std::function<Status(Tx&, AfterCommit&)>& fn, uint64_t* bytes_freed = nullptr,
                          std::vector<Digest>* freed = nullptr) EXCLUDES(gc_mu_);
  // Bumped after every committed write transaction: a view cached at one
  // generation is current while the generation is unchanged.
  uint64_t generation() const { return generation_.load(); }

  // Completes the deletions a crash interrupted (gc_pending). For Store::Open.
  Status FinishPending() EXCLUDES(gc_mu_);

  // Ingest leases (in memory) and persistent leases (leases table).
  std::unique_ptr<IngestLease> NewIngestLease();
  Status PutLease(const LeaseRecord& lease, const std::vector<Digest>& digests);
  Result<int> DeleteLeases(const std::function<bool(const LeaseRecord&)>& select);
  // The digests ingest leases hold now (for `berth why`).
  std::vector<Digest> Held(const std::vector<Digest>& of) EXCLUDES(gc_mu_);

  Result<ImageRoots::GcReport> CollectGarbage() EXCLUDES(gc_mu_);
  void WaitForCollection() { reaper_->Drain(); }
  uint64_t AddCollectHook(std::function<void()> hook) { return reaper_->AddHook(std::move(hook)); }
  void RemoveCollectHook(uint64_t handle) { reaper_->RemoveHook(handle); }
  Result<int64_t> StoredBytes();

 private:
  class IngestLeaseImpl;

  // Deletes the files of those `candidates` whose refs are 0 and that no
  // ingest holds; forgets them in gc_pending. Never under the metadata
  // write lock.
  void DeleteGarbage(const std::vector<Digest>& candidates, uint64_t* bytes_freed, std::vector<Digest>* freed)
      EXCLUDES(gc_mu_);
  // Of `candidates`, those a deletion would take as `tx` sees them: refs 0
  // (or unregistered) and held by no ingest lease.
  std::vector<Digest> Unreferenced(Tx& tx, const std::vector<Digest>& candidates) REQUIRES(gc_mu_);
  void Hold(const Digest& d) REQUIRES(gc_mu_) { ++held_[d]; }
  void Release(const std::vector<Digest>& ds) REQUIRES(gc_mu_);

  ContentStore* const content_;
  MetadataStore* const meta_;
  EventBus* const events_;
  Metrics* const metrics_;
  std::atomic<uint64_t> generation_{1};
  // Serialises "is it unreferenced and unheld? then unlink" against
  // "commit and hold". Not the metadata write lock.
  Mutex gc_mu_;
  std::unordered_map<Digest, int> held_ GUARDED_BY(gc_mu_);
  // Last: stopped (after finishing its queue) before anything it uses goes.
  std::unique_ptr<Reaper> reaper_;
};

// Makes the image service's writes on the calling thread dry runs while it
// is in scope: UpdateAndCollect rolls its transaction back instead of
// committing, after selecting, by the rule DeleteGarbage applies (refs 0 in
// the transaction, held by no ingest lease), the blobs the deletion would
// take. So any operation built on UpdateAndCollect (Remove, Prune) reports
// exactly what it would do, changes nothing, publishes no event and
// observes no metric. Scopes do not nest; one per thread.
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
  friend class LeaseManager;
  std::vector<Digest> freed_;
  uint64_t bytes_freed_ = 0;
};

// An image event (`type` image) stamped with `env`'s clock.
Event ImageEvent(Env* env, const std::string& action, const std::string& id, const std::string& name,
                 const std::map<std::string, std::string>& labels = {});
// Observes the duration of an image action since `start` (not in a dry run).
void ObserveAction(Metrics* metrics, const std::string& action, std::chrono::steady_clock::time_point start);

}  // namespace berth::image
