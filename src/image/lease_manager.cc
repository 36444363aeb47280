// LeaseManager: roots, leases and garbage collection after commit (the
// design and the race with ingests: lease_manager.h), and the reaper thread
// that deletes what died (image/reaper.h): one file from the commit to the
// unlink.
#include <chrono>

#include "berth/gc.h"
#include "berth/log.h"
#include "berth/metrics.h"
#include "image/lease_manager.h"

#include <set>
#include <unordered_set>
#include <utility>

namespace berth::image {

LeaseManager::LeaseManager(ContentStore* content, MetadataStore* meta, EventBus* events, Metrics* metrics)
    : content_(content),
      meta_(meta),
      events_(events),
      metrics_(metrics),
      reaper_(std::make_unique<Reaper>(
          [this](const std::vector<Digest>& batch) { DeleteGarbage(batch, nullptr, nullptr); })) {}

LeaseManager::~LeaseManager() { reaper_.reset(); }

Result<int64_t> LeaseManager::StoredBytes() {
  reaper_->Drain();
  int64_t bytes = 0;
  BERTH_RETURN_IF_ERROR(content_->Walk([&](const BlobInfo& b) {
    bytes += b.size;
    return OkStatus();
  }));
  return bytes;
}

Status LeaseManager::FinishPending() {
  std::vector<Digest> pending;
  BERTH_RETURN_IF_ERROR(meta_->View([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(pending, tx.PendingGarbage());
    return OkStatus();
  }));
  if (!pending.empty()) DeleteGarbage(pending, nullptr, nullptr);
  return OkStatus();
}

std::vector<Digest> LeaseManager::Held(const std::vector<Digest>& of) {
  MutexLock lock(&gc_mu_);
  std::vector<Digest> out;
  for (const auto& d : of) {
    if (held_.contains(d)) out.push_back(d);
  }
  return out;
}

Event ImageEvent(Env* env, const std::string& action, const std::string& id, const std::string& name,
                 const std::map<std::string, std::string>& labels) {
  Event e;
  e.type = "image";
  e.action = action;
  e.actor_id = id;
  e.attributes = labels;
  e.attributes["name"] = name;
  e.time_unix_nanos = env->NowUnixNanos();
  return e;
}

void ObserveAction(Metrics* metrics, const std::string& action, std::chrono::steady_clock::time_point start) {
  if (DryRunScope::Current()) return;  // a dry run did nothing worth counting
  std::chrono::duration<double> d = std::chrono::steady_clock::now() - start;
  metrics->ObserveImageAction(action, d.count());
}

void LeaseManager::Release(const std::vector<Digest>& ds) {
  for (const auto& d : ds) {
    auto it = held_.find(d);
    if (it != held_.end() && --it->second == 0) held_.erase(it);
  }
}

namespace {

thread_local DryRunScope* current_dry_run = nullptr;

// What UpdateAndCollect's function returns to have a dry run rolled back.
Status RolledBackOnPurpose() { return Aborted("dry run: transaction rolled back"); }

}  // namespace

DryRunScope::DryRunScope() { current_dry_run = this; }

DryRunScope::~DryRunScope() { current_dry_run = nullptr; }

DryRunScope* DryRunScope::Current() { return current_dry_run; }

Status LeaseManager::UpdateAndCollect(const std::function<Status(Tx&, AfterCommit&)>& fn, uint64_t* bytes_freed,
                                      std::vector<Digest>* freed) {
  DryRunScope* dry_run = DryRunScope::Current();
  AfterCommit after;
  // For a dry run: what the deletion after commit would take.
  std::vector<Digest> would_free;
  uint64_t would_free_bytes = 0;
  bool rolled_back = false;
  Status s = meta_->Update([&](Tx& tx) -> Status {
    after = AfterCommit();
    BERTH_RETURN_IF_ERROR(fn(tx, after));
    for (auto& d : tx.TakeDied()) after.died.push_back(std::move(d));
    if (!dry_run) return OkStatus();
    {
      // The selection DeleteGarbage makes after a commit, made on the
      // uncommitted state (which is what it would see).
      MutexLock lock(&gc_mu_);
      would_free = Unreferenced(tx, after.died);
    }
    // As DeleteGarbage counts: the bytes of a file once (a digest named
    // twice finds its file gone the second time).
    std::unordered_set<Digest> counted;
    for (const auto& d : would_free) {
      if (!counted.insert(d).second) continue;
      auto info = content_->Info(d);
      if (info.ok()) would_free_bytes += static_cast<uint64_t>(info->size);
    }
    rolled_back = true;
    return RolledBackOnPurpose();
  });
  if (rolled_back) {
    dry_run->freed_.insert(dry_run->freed_.end(), would_free.begin(), would_free.end());
    dry_run->bytes_freed_ += would_free_bytes;
    if (bytes_freed) *bytes_freed += would_free_bytes;
    if (freed) freed->insert(freed->end(), would_free.begin(), would_free.end());
    return OkStatus();
  }
  BERTH_RETURN_IF_ERROR(s);
  // Committed: the write lock is released. The caller that reports what
  // was freed has it deleted now; otherwise the reaper deletes it while the
  // reply goes out. Then tell the world.
  generation_.fetch_add(1);
  if (!after.died.empty()) {
    if (bytes_freed != nullptr || freed != nullptr) {
      DeleteGarbage(after.died, bytes_freed, freed);
      reaper_->Enqueue({});  // the hooks (snapshot sweep) still run
    } else {
      reaper_->Enqueue(std::move(after.died));
    }
  }
  for (auto& e : after.events) events_->Publish(std::move(e));
  return OkStatus();
}

std::vector<Digest> LeaseManager::Unreferenced(Tx& tx, const std::vector<Digest>& candidates) {
  std::vector<Digest> unreferenced;
  for (const auto& d : candidates) {
    if (held_.contains(d)) continue;
    auto b = tx.GetBlob(d);
    if (!b.ok() || b->refs == 0) unreferenced.push_back(d);
  }
  return unreferenced;
}

void LeaseManager::DeleteGarbage(const std::vector<Digest>& candidates, uint64_t* bytes_freed,
                                 std::vector<Digest>* freed) {
  uint64_t blobs = 0, bytes = 0;
  std::vector<Digest> gone;
  {
    // Held from the check to the unlink, so no ingest can take up a blob in
    // between (see IngestLease).
    MutexLock lock(&gc_mu_);
    std::vector<Digest> unreferenced;
    Status s = meta_->View([&](Tx& tx) -> Status {
      gc_mu_.AssertHeld();  // View runs this on the calling thread
      unreferenced = Unreferenced(tx, candidates);
      return OkStatus();
    });
    if (!s.ok()) return;
    for (const auto& d : unreferenced) {
      auto info = content_->Info(d);
      if (info.ok()) {
        if (!content_->Delete(d).ok()) continue;
        ++blobs;
        bytes += static_cast<uint64_t>(info->size);
      }
      gone.push_back(d);
    }
  }
  if (!gone.empty()) {
    // Bookkeeping only: if a crash loses it, the next open retries.
    LogIfError(meta_->UpdateRelaxed([&](Tx& tx) -> Status {
      for (const auto& d : gone) BERTH_RETURN_IF_ERROR(tx.ClearPending(d));
      return OkStatus();
    }),
               "clear the pending deletions of freed blobs");
  }
  if (blobs > 0) metrics_->ObserveGc(blobs, bytes);
  if (bytes_freed) *bytes_freed += bytes;
  if (freed) freed->insert(freed->end(), gone.begin(), gone.end());
}

Result<ImageRoots::GcReport> LeaseManager::CollectGarbage() {
  auto start = std::chrono::steady_clock::now();
  reaper_->Drain();  // what removals left is theirs to report, not this sweep's
  std::vector<Tx::RootRef> roots;
  std::vector<std::pair<Digest, Digest>> edges;
  BERTH_RETURN_IF_ERROR(meta_->View([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(roots, tx.AllRootRefs());
    BERTH_ASSIGN_OR_RETURN(edges, tx.AllEdges());
    return OkStatus();
  }));
  std::unordered_map<Digest, std::vector<Digest>> children;
  for (auto& [p, c] : edges) children[p].push_back(c);
  std::vector<Digest> root_digests;
  for (const auto& r : roots) root_digests.push_back(r.digest);
  auto marked = gc::Mark(root_digests, [&](const Digest& d) {
    auto it = children.find(d);
    return it == children.end() ? std::vector<Digest>{} : it->second;
  });
  std::vector<Digest> all;
  BERTH_RETURN_IF_ERROR(content_->Walk([&](const BlobInfo& b) -> Status {
    all.push_back(b.digest);
    return OkStatus();
  }));
  auto garbage = gc::Sweep(marked, all);
  ImageRoots::GcReport report;
  std::vector<Digest> freed;
  // DeleteGarbage re-checks every candidate under gc_mu_ against the
  // reference counts, so a root added since the snapshot still wins.
  DeleteGarbage(garbage, &report.bytes, &freed);
  report.blobs = freed.size();
  // Drop the rows of blobs that are gone and unreferenced.
  BERTH_RETURN_IF_ERROR(meta_->Update([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(auto rows, tx.AllBlobs());
    for (const auto& b : rows) {
      if (b.refs == 0 && !content_->Exists(b.digest)) BERTH_RETURN_IF_ERROR(tx.ForgetBlob(b.digest));
    }
    return OkStatus();
  }));
  std::chrono::duration<double> d = std::chrono::steady_clock::now() - start;
  metrics_->ObserveImageAction("gc", d.count());
  return report;
}

class LeaseManager::IngestLeaseImpl : public IngestLease {
 public:
  explicit IngestLeaseImpl(LeaseManager* leases) : leases_(leases) {}
  ~IngestLeaseImpl() override {
    std::vector<Digest> held = std::move(held_);
    {
      MutexLock lock(&leases_->gc_mu_);
      leases_->Release(held);
    }
    // Blobs this ingest brought in that no record took up: remove them.
    std::vector<Digest> orphans;
    leases_->meta_
        ->View([&](Tx& tx) -> Status {
          for (const auto& d : held) {
            auto b = tx.GetBlob(d);
            if (!b.ok() || b->refs == 0) orphans.push_back(d);
          }
          return OkStatus();
        })
        .IgnoreError();
    if (!orphans.empty()) leases_->DeleteGarbage(orphans, nullptr, nullptr);
  }
  Result<std::unique_ptr<ContentWriter>> NewWriter() override { return leases_->content_->NewWriter(); }
  Result<Digest> Commit(ContentWriter& writer, int64_t expected_size, const Digest& expected) override {
    MutexLock lock(&leases_->gc_mu_);
    BERTH_ASSIGN_OR_RETURN(Digest d, writer.Commit(expected_size, expected));
    leases_->Hold(d);
    held_.push_back(d);
    return d;
  }
  Result<Digest> Put(std::string_view data, const Digest& expected) override {
    MutexLock lock(&leases_->gc_mu_);
    BERTH_ASSIGN_OR_RETURN(Digest d, leases_->content_->Put(data, expected));
    leases_->Hold(d);
    held_.push_back(d);
    return d;
  }
  void Add(const Digest& d) override {
    MutexLock lock(&leases_->gc_mu_);
    leases_->Hold(d);
    held_.push_back(d);
  }

 private:
  LeaseManager* leases_;
  std::vector<Digest> held_;
};

std::unique_ptr<IngestLease> LeaseManager::NewIngestLease() { return std::make_unique<IngestLeaseImpl>(this); }

Status LeaseManager::PutLease(const LeaseRecord& lease, const std::vector<Digest>& digests) {
  if (lease.id.empty()) return InvalidArgument("lease ID must not be empty");
  return UpdateAndCollect([&](Tx& tx, AfterCommit&) -> Status {
    BERTH_RETURN_IF_ERROR(tx.PutLease(lease));
    for (const Digest& d : std::set<Digest>(digests.begin(), digests.end())) {
      if (content_->Exists(d)) BERTH_RETURN_IF_ERROR(tx.AddRootRef(RootKind::kLease, lease.id, d));
    }
    return OkStatus();
  });
}

Result<int> LeaseManager::DeleteLeases(const std::function<bool(const LeaseRecord&)>& select) {
  int deleted = 0;
  BERTH_RETURN_IF_ERROR(UpdateAndCollect([&](Tx& tx, AfterCommit&) -> Status {
    deleted = 0;
    BERTH_ASSIGN_OR_RETURN(auto leases, tx.ListLeases());
    for (const LeaseRecord& l : leases) {
      if (!select(l)) continue;
      BERTH_RETURN_IF_ERROR(tx.DeleteLease(l.id));
      ++deleted;
    }
    return OkStatus();
  }));
  return deleted;
}

// ---- The reaper (image/reaper.h): the thread that deletes after commit ----

Reaper::Reaper(CollectFn collect) : collect_(std::move(collect)), thread_([this] { Loop(); }) {}

Reaper::~Reaper() {
  {
    MutexLock l(&mu_);
    stopping_ = true;
  }
  wake_.NotifyAll();
  thread_.join();
}

void Reaper::Enqueue(std::vector<Digest> candidates) {
  {
    MutexLock l(&mu_);
    queue_.insert(queue_.end(), std::make_move_iterator(candidates.begin()), std::make_move_iterator(candidates.end()));
    hooks_due_ = true;
    ++queued_;
  }
  wake_.NotifyOne();
}

void Reaper::Drain() {
  MutexLock l(&mu_);
  const uint64_t target = queued_;
  while (finished_ < target) done_.Wait(&mu_);
}

uint64_t Reaper::AddHook(std::function<void()> hook) {
  MutexLock l(&hooks_mu_);
  uint64_t handle = next_hook_++;
  hooks_.emplace(handle, std::move(hook));
  return handle;
}

void Reaper::RemoveHook(uint64_t handle) {
  MutexLock l(&hooks_mu_);  // waits for a running hook
  hooks_.erase(handle);
}

void Reaper::Loop() {
  MutexLock l(&mu_);
  while (true) {
    while (!stopping_ && !hooks_due_) wake_.Wait(&mu_);
    if (!hooks_due_) return;  // stopping, nothing left
    std::vector<Digest> batch;
    batch.swap(queue_);
    hooks_due_ = false;
    const uint64_t taken = queued_;
    l.Unlock();
    if (!batch.empty()) collect_(batch);
    {
      MutexLock h(&hooks_mu_);
      for (auto& [handle, hook] : hooks_) hook();
    }
    l.Lock();
    finished_ = taken;
    done_.NotifyAll();
  }
}

}  // namespace berth::image
