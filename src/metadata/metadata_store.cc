// SQLite implementation of MetadataStore. One write connection (Update is
// serialised by write_mu_) and a pool of read connections (View); WAL lets
// readers run beside the writer. synchronous=FULL: a committed transaction
// survives a crash.
//
// Checkpoints (copying the WAL back into the database file, with an fsync
// of each) never run inside a writer's COMMIT, where SQLite's automatic
// checkpoint would put them: the write connection has none, and its WAL hook
// wakes the checkpointer thread once the WAL holds kCheckpointFrames frames
// (SQLite's default threshold). That thread copies on its own connection
// (PASSIVE checkpoints, which neither wait for nor block writers and readers)
// until only a short tail is left, and copies the tail holding write_mu_, so
// the next writer starts the WAL again from its beginning: the WAL stays near
// the threshold under a stream of writes that never pauses.
// The last connection to close checkpoints what is left, as before.
//
// With BERTH_TRACE_TX set in its environment, the process writes one line
// per write transaction to stderr: the wait for the write lock, the time in
// the caller's function and in COMMIT, the statements run and the pages
// written (for measuring, e.g. bench/remove_latency.py; read once).
#include <sqlite3.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <boost/json.hpp>
#include <map>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "berth/log.h"
#include "berth/metadata.h"
#include "berth/mutex.h"
#include "berth/reference.h"
#include "metadata/schema.h"
#include "metadata/sqlite.h"

namespace berth {
namespace {

namespace json = boost::json;

std::string LabelsToJson(const std::map<std::string, std::string>& labels) {
  json::object o;
  for (const auto& [k, v] : labels) o[k] = v;
  return json::serialize(o);
}

std::map<std::string, std::string> LabelsFromJson(const std::string& s) {
  std::map<std::string, std::string> out;
  boost::system::error_code ec;
  json::value v = json::parse(s, ec);
  if (ec || !v.is_object()) return out;
  for (const auto& [k, val] : v.as_object()) {
    if (val.is_string()) out[std::string(k)] = std::string(val.as_string());
  }
  return out;
}

// A connection with a cache of prepared statements keyed by SQL text
// address (every SQL string below is a literal).
class Conn {
 public:
  explicit Conn(sqlite3* db) : db_(db) {}
  ~Conn() {
    for (auto& [k, st] : cache_) sqlite3_finalize(st);
    sqlite3_close_v2(db_);
  }
  sqlite3* db() const { return db_; }
  // Statements prepared (run) on this connection, for BERTH_TRACE_TX.
  uint64_t statements() const { return statements_; }
  sqlite::Stmt Prepare(const char* sql) {
    ++statements_;
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
      sqlite3_stmt* st = nullptr;
      if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) != SQLITE_OK) {
        return sqlite::Stmt(db_, static_cast<sqlite3_stmt*>(nullptr));
      }
      it = cache_.emplace(sql, st).first;
    }
    return sqlite::Stmt(db_, it->second);
  }

 private:
  sqlite3* db_;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
  uint64_t statements_ = 0;
};

// BERTH_TRACE_TX: see the top of this file.
bool TraceTransactions() {
  static const bool trace = std::getenv("BERTH_TRACE_TX") != nullptr;
  return trace;
}

int64_t MicrosBetween(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::microseconds>(b - a).count();
}

// CPU time of the calling thread, in microseconds (a loaded machine
// stretches wall time, not this).
int64_t ThreadCpuMicros() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

// The columns ReadImage reads, in its order (a literal, for the statement cache).
#define kSelectImages \
  "SELECT name, target_json, labels, created_at, updated_at, target_digest, target_media_type, target_size FROM images "

// True when a descriptor has nothing beyond media type, digest and size
// (then its JSON is not stored).
bool PlainDescriptor(const Descriptor& d) {
  return !d.platform && d.annotations.empty() && d.urls.empty() && d.artifact_type.empty();
}

Result<ImageRecord> ReadImage(sqlite::Stmt& st) {
  ImageRecord r;
  r.name = st.Text(0);
  std::string target_json = st.Text(1);
  if (target_json.empty()) {
    // A plain descriptor lives in its columns alone.
    auto d = Digest::Parse(st.Text(5));
    if (!d.ok()) return d.status().Annotate("image record " + r.name);
    r.target.digest = std::move(*d);
    r.target.media_type = st.Text(6);
    r.target.size = st.Int(7);
  } else {
    auto desc = DescriptorFromJson(target_json);
    if (!desc.ok()) return desc.status().Annotate("image record " + r.name);
    r.target = std::move(*desc);
  }
  std::string labels = st.Text(2);
  if (labels != "{}") r.labels = LabelsFromJson(labels);
  r.created_unix_nanos = st.Int(3);
  r.updated_unix_nanos = st.Int(4);
  return r;
}

Result<std::vector<ImageRecord>> ReadImages(sqlite::Stmt& st) {
  std::vector<ImageRecord> out;
  while (st.Step()) {
    BERTH_ASSIGN_OR_RETURN(auto r, ReadImage(st));
    out.push_back(std::move(r));
  }
  BERTH_RETURN_IF_ERROR(st.status());
  return out;
}

// The digests in column 0 of every row.
Result<std::vector<Digest>> ReadDigests(sqlite::Stmt& st) {
  std::vector<Digest> out;
  while (st.Step()) {
    BERTH_ASSIGN_OR_RETURN(auto d, Digest::Parse(st.Text(0)));
    out.push_back(std::move(d));
  }
  BERTH_RETURN_IF_ERROR(st.status());
  return out;
}

class SqliteTx : public Tx {
 public:
  // `indexed_label`: the key whose value goes into the indexed_label column.
  SqliteTx(Conn* c, const std::string* indexed_label) : c_(c), indexed_label_(indexed_label) {}

  sqlite::Stmt Prepare(const char* sql) override { return c_->Prepare(sql); }

  // ---- images ----
  Result<ImageRecord> GetImage(std::string_view name) override {
    auto st = c_->Prepare(kSelectImages "WHERE name = ?");
    st.Bind(1, name);
    if (!st.Step()) {
      BERTH_RETURN_IF_ERROR(st.status());
      return NotFound("image record not found: " + std::string(name));
    }
    return ReadImage(st);
  }
  Result<std::vector<ImageRecord>> ListImages() override {
    auto st = c_->Prepare(kSelectImages "ORDER BY name");
    return ReadImages(st);
  }
  Result<std::vector<ImageRecord>> ListImagesByTarget(const Digest& target) override {
    auto st = c_->Prepare(
        kSelectImages "WHERE target_digest = ? ORDER BY name");
    st.Bind(1, target.str());
    return ReadImages(st);
  }
  Result<std::vector<ImageRecord>> ListImagesByTargetPrefix(std::string_view hex_prefix) override {
    std::string lo = "sha256:" + std::string(hex_prefix);
    std::string hi = lo;
    hi.push_back('\x7f');  // every hex continuation sorts below DEL
    auto st = c_->Prepare(
        kSelectImages
        "WHERE target_digest >= ? AND target_digest < ? ORDER BY name");
    st.Bind(1, lo).Bind(2, hi);
    return ReadImages(st);
  }
  Result<std::vector<ImageRecord>> ListImagesByIndexedLabel(std::string_view value) override {
    auto st = c_->Prepare(
        kSelectImages "WHERE indexed_label = ? AND indexed_label != '' ORDER BY name");
    st.Bind(1, value);
    return ReadImages(st);
  }
  Result<int64_t> CountImages() override {
    auto st = c_->Prepare("SELECT COUNT(*) FROM images");
    if (!st.Step()) return st.status().ok() ? Internal("count failed") : st.status();
    return st.Int(0);
  }
  Status PutImage(const ImageRecord& r) override {
    auto st = c_->Prepare(
        "INSERT INTO images(name, target_digest, target_media_type, target_size, target_json, labels, indexed_label, "
        "created_at, updated_at) VALUES(?,?,?,?,?,?,?,?,?) ON CONFLICT(name) DO UPDATE SET "
        "target_digest=excluded.target_digest, target_media_type=excluded.target_media_type, "
        "target_size=excluded.target_size, target_json=excluded.target_json, labels=excluded.labels, "
        "indexed_label=excluded.indexed_label, created_at=excluded.created_at, updated_at=excluded.updated_at");
    st.Bind(1, r.name)
        .Bind(2, r.target.digest.str())
        .Bind(3, r.target.media_type)
        .Bind(4, r.target.size)
        .Bind(5, PlainDescriptor(r.target) ? std::string() : DescriptorToJson(r.target))
        .Bind(6, LabelsToJson(r.labels))
        .Bind(7, IndexedValue(r))
        .Bind(8, r.created_unix_nanos)
        .Bind(9, r.updated_unix_nanos);
    return st.Exec();
  }
  Status DeleteImage(std::string_view name) override {
    auto st = c_->Prepare("DELETE FROM images WHERE name = ?");
    st.Bind(1, name);
    BERTH_RETURN_IF_ERROR(st.Exec());
    if (st.Changes() == 0) return NotFound("image record not found: " + std::string(name));
    return OkStatus();
  }

  // ---- leases ----
  Status PutLease(const LeaseRecord& l) override {
    auto st = c_->Prepare(
        "INSERT INTO leases(id, created_at, expires_at, labels) VALUES(?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
        "expires_at=excluded.expires_at, labels=excluded.labels");
    st.Bind(1, l.id).Bind(2, l.created_unix_nanos).Bind(3, l.expires_unix_nanos).Bind(4, LabelsToJson(l.labels));
    return st.Exec();
  }
  Result<std::vector<LeaseRecord>> ListLeases() override {
    auto st = c_->Prepare("SELECT id, created_at, expires_at, labels FROM leases ORDER BY id");
    std::vector<LeaseRecord> out;
    while (st.Step()) {
      out.push_back({st.Text(0), st.Int(1), st.Int(2), LabelsFromJson(st.Text(3))});
    }
    BERTH_RETURN_IF_ERROR(st.status());
    return out;
  }
  Status DeleteLease(std::string_view id) override {
    BERTH_RETURN_IF_ERROR(RemoveRoot(RootKind::kLease, id));
    auto st = c_->Prepare("DELETE FROM leases WHERE id = ?");
    st.Bind(1, id);
    return st.Exec();
  }

  // ---- reference index ----
  Status EnsureBlobRow(const Digest& d) {
    auto st = c_->Prepare("INSERT OR IGNORE INTO blobs(digest) VALUES(?)");
    st.Bind(1, d.str());
    return st.Exec();
  }
  Result<int64_t> Refs(const Digest& d) {
    auto st = c_->Prepare("SELECT refs FROM blobs WHERE digest = ?");
    st.Bind(1, d.str());
    if (!st.Step()) {
      BERTH_RETURN_IF_ERROR(st.status());
      return int64_t{0};
    }
    return st.Int(0);
  }
  Status AdjustRefs(const Digest& d, int64_t delta) {
    // A blob losing a reference has a row (it had the reference); one
    // gaining its first may not yet.
    if (delta > 0) BERTH_RETURN_IF_ERROR(EnsureBlobRow(d));
    auto up = c_->Prepare("UPDATE blobs SET refs = refs + ? WHERE digest = ? RETURNING refs");
    up.Bind(1, delta).Bind(2, d.str());
    if (!up.Step()) {
      BERTH_RETURN_IF_ERROR(up.status());
      return Internal("negative reference count for " + d.str());  // no row: no reference to take
    }
    int64_t now = up.Int(0);
    up.Reset();
    if (now < 0) return Internal("negative reference count for " + d.str());
    bool revived = delta > 0 && now == delta;
    bool died = delta < 0 && now == 0;
    if (revived) {
      std::erase(died_, d);
      auto del = c_->Prepare("DELETE FROM gc_pending WHERE digest = ?");
      del.Bind(1, d.str());
      BERTH_RETURN_IF_ERROR(del.Exec());
    } else if (died) {
      died_.push_back(d);
      auto ins = c_->Prepare("INSERT OR IGNORE INTO gc_pending(digest) VALUES(?)");
      ins.Bind(1, d.str());
      BERTH_RETURN_IF_ERROR(ins.Exec());
    }
    if (revived || died) {
      BERTH_ASSIGN_OR_RETURN(auto children, BlobChildren(d));
      for (const auto& c : children) BERTH_RETURN_IF_ERROR(AdjustRefs(c, revived ? 1 : -1));
    }
    return OkStatus();
  }

  Status RegisterBlob(const Digest& d, std::string_view media_type, int64_t size,
                      const std::vector<Digest>& children) override {
    BERTH_RETURN_IF_ERROR(EnsureBlobRow(d));
    auto get = c_->Prepare("SELECT children_known, refs FROM blobs WHERE digest = ?");
    get.Bind(1, d.str());
    if (!get.Step()) return get.status().ok() ? Internal("blob row vanished") : get.status();
    bool known = get.Int(0) != 0;
    int64_t refs = get.Int(1);
    get.Reset();
    auto up = c_->Prepare(
        "UPDATE blobs SET media_type = CASE WHEN media_type = '' THEN ?2 ELSE media_type END, "
        "size = CASE WHEN size = 0 THEN ?3 ELSE size END, children_known = 1 WHERE digest = ?1");
    up.Bind(1, d.str()).Bind(2, media_type).Bind(3, size);
    BERTH_RETURN_IF_ERROR(up.Exec());
    if (known) return OkStatus();
    for (const auto& c : children) {
      auto ins = c_->Prepare("INSERT OR IGNORE INTO blob_edges(parent, child) VALUES(?,?)");
      ins.Bind(1, d.str()).Bind(2, c.str());
      BERTH_RETURN_IF_ERROR(ins.Exec());
      if (ins.Changes() == 0) continue;  // duplicate child
      BERTH_RETURN_IF_ERROR(EnsureBlobRow(c));
      if (refs > 0) BERTH_RETURN_IF_ERROR(AdjustRefs(c, 1));
    }
    return OkStatus();
  }
  Result<BlobRecord> GetBlob(const Digest& d) override {
    auto st = c_->Prepare("SELECT media_type, size, refs FROM blobs WHERE digest = ?");
    st.Bind(1, d.str());
    if (!st.Step()) {
      BERTH_RETURN_IF_ERROR(st.status());
      return NotFound("blob not registered: " + d.str());
    }
    return BlobRecord{d, st.Text(0), st.Int(1), st.Int(2)};
  }
  Result<std::vector<Digest>> BlobChildren(const Digest& d) override {
    auto st = c_->Prepare("SELECT child FROM blob_edges WHERE parent = ?");
    st.Bind(1, d.str());
    return ReadDigests(st);
  }
  Status AddRootRef(RootKind kind, std::string_view root_id, const Digest& d) override {
    auto ins = c_->Prepare("INSERT OR IGNORE INTO root_refs(kind, root_id, digest) VALUES(?,?,?)");
    ins.Bind(1, RootKindName(kind)).Bind(2, root_id).Bind(3, d.str());
    BERTH_RETURN_IF_ERROR(ins.Exec());
    if (ins.Changes() == 0) return OkStatus();
    return AdjustRefs(d, 1);
  }
  Status RemoveRootRef(RootKind kind, std::string_view root_id, const Digest& d) override {
    auto del = c_->Prepare("DELETE FROM root_refs WHERE kind = ? AND root_id = ? AND digest = ?");
    del.Bind(1, RootKindName(kind)).Bind(2, root_id).Bind(3, d.str());
    BERTH_RETURN_IF_ERROR(del.Exec());
    if (del.Changes() == 0) return OkStatus();
    return AdjustRefs(d, -1);
  }
  Status RemoveRoot(RootKind kind, std::string_view root_id) override {
    BERTH_ASSIGN_OR_RETURN(auto refs, RootRefs(kind, root_id));
    for (const auto& d : refs) BERTH_RETURN_IF_ERROR(RemoveRootRef(kind, root_id, d));
    return OkStatus();
  }
  Result<std::vector<Digest>> RootRefs(RootKind kind, std::string_view root_id) override {
    auto st = c_->Prepare("SELECT digest FROM root_refs WHERE kind = ? AND root_id = ? ORDER BY digest");
    st.Bind(1, RootKindName(kind)).Bind(2, root_id);
    return ReadDigests(st);
  }
  Result<std::vector<RootRef>> AllRootRefs() override {
    auto st = c_->Prepare("SELECT kind, root_id, digest FROM root_refs ORDER BY kind, root_id, digest");
    std::vector<RootRef> out;
    while (st.Step()) {
      std::string k = st.Text(0);
      RootKind kind = k == "image" ? RootKind::kImage : k == "container" ? RootKind::kContainer : RootKind::kLease;
      BERTH_ASSIGN_OR_RETURN(auto d, Digest::Parse(st.Text(2)));
      out.push_back({kind, st.Text(1), d});
    }
    BERTH_RETURN_IF_ERROR(st.status());
    return out;
  }
  Result<std::vector<std::pair<Digest, Digest>>> AllEdges() override {
    auto st = c_->Prepare("SELECT parent, child FROM blob_edges");
    std::vector<std::pair<Digest, Digest>> out;
    while (st.Step()) {
      BERTH_ASSIGN_OR_RETURN(auto p, Digest::Parse(st.Text(0)));
      BERTH_ASSIGN_OR_RETURN(auto c, Digest::Parse(st.Text(1)));
      out.emplace_back(p, c);
    }
    BERTH_RETURN_IF_ERROR(st.status());
    return out;
  }
  Result<std::vector<BlobRecord>> AllBlobs() override {
    auto st = c_->Prepare("SELECT digest, media_type, size, refs FROM blobs ORDER BY digest");
    std::vector<BlobRecord> out;
    while (st.Step()) {
      BERTH_ASSIGN_OR_RETURN(auto d, Digest::Parse(st.Text(0)));
      out.push_back({d, st.Text(1), st.Int(2), st.Int(3)});
    }
    BERTH_RETURN_IF_ERROR(st.status());
    return out;
  }
  Result<std::vector<Digest>> PendingGarbage() override {
    auto st = c_->Prepare("SELECT digest FROM gc_pending ORDER BY digest");
    return ReadDigests(st);
  }
  Status ForgetBlob(const Digest& d) override {
    BERTH_ASSIGN_OR_RETURN(int64_t refs, Refs(d));
    if (refs > 0) return FailedPrecondition("blob " + d.str() + " is still referenced");
    auto a = c_->Prepare("DELETE FROM gc_pending WHERE digest = ?");
    a.Bind(1, d.str());
    BERTH_RETURN_IF_ERROR(a.Exec());
    auto b = c_->Prepare("DELETE FROM blob_edges WHERE parent = ?");
    b.Bind(1, d.str());
    BERTH_RETURN_IF_ERROR(b.Exec());
    // Keep the row while an edge from a registered parent still names it.
    auto e = c_->Prepare("SELECT 1 FROM blob_edges WHERE child = ? LIMIT 1");
    e.Bind(1, d.str());
    bool named = e.Step();
    BERTH_RETURN_IF_ERROR(e.status());
    e.Reset();
    if (named) {
      auto u = c_->Prepare("UPDATE blobs SET children_known = 0 WHERE digest = ?");
      u.Bind(1, d.str());
      return u.Exec();
    }
    auto c = c_->Prepare("DELETE FROM blobs WHERE digest = ?");
    c.Bind(1, d.str());
    return c.Exec();
  }
  Status ClearPending(const Digest& d) override {
    auto del = c_->Prepare("DELETE FROM gc_pending WHERE digest = ?");
    del.Bind(1, d.str());
    return del.Exec();
  }
  Status MarkGarbage(const Digest& d) override {
    auto ins = c_->Prepare("INSERT OR IGNORE INTO gc_pending(digest) VALUES(?)");
    ins.Bind(1, d.str());
    return ins.Exec();
  }

  std::vector<Digest> TakeDied() override { return std::exchange(died_, {}); }

 private:
  std::string IndexedValue(const ImageRecord& r) const {
    if (indexed_label_->empty()) return {};
    auto it = r.labels.find(*indexed_label_);
    return it == r.labels.end() ? std::string() : it->second;
  }

  Conn* c_;
  const std::string* indexed_label_;
  std::vector<Digest> died_;
};

Result<std::unique_ptr<Conn>> OpenConn(const std::string& path, bool durable) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    Status s = sqlite::Error(db, "open " + path);
    sqlite3_close_v2(db);
    return s;
  }
  auto conn = std::make_unique<Conn>(db);
  sqlite3_busy_timeout(db, 10000);
  BERTH_RETURN_IF_ERROR(sqlite::ExecScript(
      db, durable ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-32768;"
                  : "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-32768;"));
  return conn;
}

// SQLite's default automatic checkpoint threshold, in WAL frames (pages).
constexpr int kCheckpointFrames = 1000;
// A checkpoint copies beside the writers up to kCheckpointRounds times, until
// no more than kCheckpointTail frames are left; it copies those with the
// writers held off.
constexpr int kCheckpointRounds = 4;
constexpr int kCheckpointTail = 64;

class SqliteMetadataStore : public MetadataStore {
 public:
  SqliteMetadataStore(Env* env, std::string path, std::unique_ptr<Conn> writer, bool durable,
                      std::string indexed_label)
      : env_(env),
        path_(std::move(path)),
        durable_(durable),
        indexed_label_(std::move(indexed_label)),
        writer_(std::move(writer)) {
    checkpointer_ = std::thread([this] { CheckpointLoop(); });
    // Replaces the automatic checkpoint (which is a WAL hook too).
    MutexLock lock(&write_mu_);
    sqlite3_wal_hook(writer_->db(), &SqliteMetadataStore::OnWalCommit, this);
  }

  ~SqliteMetadataStore() override {
    {
      MutexLock lock(&checkpoint_mu_);
      stopping_ = true;
    }
    checkpoint_wake_.NotifyAll();
    checkpointer_.join();
  }

  Status Migrate() EXCLUDES(write_mu_) {
    return Update([&](Tx&) -> Status {
      write_mu_.AssertHeld();  // Update runs this under the write lock
      BERTH_ASSIGN_OR_RETURN(version_, sqlite::ApplyMigrations(writer_->db(), "metadata", schema::kMigrations));
      return IndexLabelLocked();
    });
  }

  // Re-fills images.indexed_label when the database was indexed by another
  // key (or by none yet), and records the key (inside Migrate's update).
  Status IndexLabelLocked() REQUIRES(write_mu_) {
    sqlite::Stmt get(writer_->db(), "SELECT value FROM meta WHERE key = 'indexed_label_key'");
    std::optional<std::string> stored;
    if (get.Step()) stored = get.Text(0);
    BERTH_RETURN_IF_ERROR(get.status());
    if (stored == indexed_label_) return OkStatus();
    std::vector<std::pair<std::string, std::string>> values;  // name, value
    {
      sqlite::Stmt rows(writer_->db(), "SELECT name, labels FROM images");
      while (rows.Step()) {
        std::map<std::string, std::string> labels = LabelsFromJson(rows.Text(1));
        auto it = indexed_label_.empty() ? labels.end() : labels.find(indexed_label_);
        values.emplace_back(rows.Text(0), it == labels.end() ? std::string() : it->second);
      }
      BERTH_RETURN_IF_ERROR(rows.status());
    }
    for (const auto& [name, value] : values) {
      sqlite::Stmt set(writer_->db(), "UPDATE images SET indexed_label = ? WHERE name = ?");
      set.Bind(1, value).Bind(2, name);
      BERTH_RETURN_IF_ERROR(set.Exec());
    }
    sqlite::Stmt put(writer_->db(),
                     "INSERT INTO meta(key, value) VALUES('indexed_label_key', ?) "
                     "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    put.Bind(1, indexed_label_);
    return put.Exec();
  }

  Status Update(const std::function<Status(Tx&)>& fn) override EXCLUDES(write_mu_) {
    if (TraceTransactions()) return TracedUpdate(fn, false);
    MutexLock lock(&write_mu_);
    return UpdateLocked(fn);
  }

  Status UpdateRelaxed(const std::function<Status(Tx&)>& fn) override EXCLUDES(write_mu_) {
    if (TraceTransactions()) return TracedUpdate(fn, true);
    MutexLock lock(&write_mu_);
    return UpdateRelaxedLocked(fn);
  }

  Status UpdateRelaxedLocked(const std::function<Status(Tx&)>& fn) REQUIRES(write_mu_) {
    if (!durable_) return UpdateLocked(fn);
    BERTH_RETURN_IF_ERROR(sqlite::ExecScript(writer_->db(), "PRAGMA synchronous=NORMAL"));
    Status s = UpdateLocked(fn);
    Status back = sqlite::ExecScript(writer_->db(), "PRAGMA synchronous=FULL");
    return s.ok() ? back : s;
  }

  // Update or UpdateRelaxed, measured (BERTH_TRACE_TX).
  Status TracedUpdate(const std::function<Status(Tx&)>& fn, bool relaxed) EXCLUDES(write_mu_) {
    using Clock = std::chrono::steady_clock;
    const Clock::time_point asked = Clock::now();
    MutexLock lock(&write_mu_);
    const Clock::time_point locked = Clock::now();
    Clock::time_point returned = locked;
    int pages = 0, unused = 0;
    sqlite3_db_status(writer_->db(), SQLITE_DBSTATUS_CACHE_WRITE, &pages, &unused, 1);  // reset
    const uint64_t statements = writer_->statements();
    const int64_t cpu_start = ThreadCpuMicros();
    int64_t cpu_returned = cpu_start;
    auto measured = [&](Tx& tx) {
      Status s = fn(tx);
      returned = Clock::now();
      cpu_returned = ThreadCpuMicros();
      return s;
    };
    Status s = relaxed ? UpdateRelaxedLocked(measured) : UpdateLocked(measured);
    const Clock::time_point done = Clock::now();
    sqlite3_db_status(writer_->db(), SQLITE_DBSTATUS_CACHE_WRITE, &pages, &unused, 1);
    std::fprintf(stderr,
                 "berth tx%s: lock wait %lld us, function %lld us (cpu %lld us), commit %lld us, %llu statements, "
                 "%d pages%s\n",
                 relaxed ? " (relaxed)" : "", static_cast<long long>(MicrosBetween(asked, locked)),
                 static_cast<long long>(MicrosBetween(locked, returned)),
                 static_cast<long long>(cpu_returned - cpu_start),
                 static_cast<long long>(MicrosBetween(returned, done)),
                 static_cast<unsigned long long>(writer_->statements() - statements), pages,
                 s.ok() ? "" : " (rolled back)");
    return s;
  }

  Status UpdateLocked(const std::function<Status(Tx&)>& fn) REQUIRES(write_mu_) {
    BERTH_RETURN_IF_ERROR(sqlite::ExecScript(writer_->db(), "BEGIN IMMEDIATE"));
    SqliteTx tx(writer_.get(), &indexed_label_);
    Status s = fn(tx);
    if (s.ok()) {
      s = sqlite::ExecScript(writer_->db(), "COMMIT");
      if (s.ok()) return s;
    }
    // The update failed and changed nothing; ROLLBACK only ends its
    // transaction (SQLite has already rolled back when the error aborted it).
    sqlite::ExecScript(writer_->db(), "ROLLBACK").IgnoreError();
    return s;
  }

  Status View(const std::function<Status(Tx&)>& fn) override EXCLUDES(pool_mu_) {
    std::unique_ptr<Conn> conn;
    {
      MutexLock lock(&pool_mu_);
      if (!pool_.empty()) {
        conn = std::move(pool_.back());
        pool_.pop_back();
      }
    }
    if (!conn) {
      BERTH_ASSIGN_OR_RETURN(conn, OpenConn(path_, durable_));
    }
    Status s = sqlite::ExecScript(conn->db(), "BEGIN");
    if (s.ok()) {
      SqliteTx tx(conn.get(), &indexed_label_);
      s = fn(tx);
      // A read transaction: ending it cannot lose a write.
      sqlite::ExecScript(conn->db(), "COMMIT").IgnoreError();
    }
    MutexLock lock(&pool_mu_);
    if (pool_.size() < 8) pool_.push_back(std::move(conn));
    return s;
  }

  int schema_version() const override { return version_; }
  Env* env() const override { return env_; }

 private:
  // The write connection's WAL hook: runs in the writer's thread after each
  // commit, with the number of frames now in the WAL.
  // A checkpoint is asked for once the WAL holds kCheckpointFrames frames,
  // and again only when kCheckpointFrames / 8 more frames than the last one
  // copied have come since: writes that go on during a PASSIVE checkpoint
  // leave a tail for the next, but not one fsync pair per commit.
  static int OnWalCommit(void* self, sqlite3*, const char*, int frames) {
    auto* store = static_cast<SqliteMetadataStore*>(self);
    store->wal_frames_.store(frames);
    int copied = store->checkpointed_frames_.load();
    if (frames < copied) {  // the writer has restarted the WAL from its start
      copied = 0;
      store->checkpointed_frames_.store(0);
    }
    if (frames >= kCheckpointFrames && frames - copied >= kCheckpointFrames / 8) store->RequestCheckpoint();
    return SQLITE_OK;
  }

  void RequestCheckpoint() EXCLUDES(checkpoint_mu_) {
    {
      MutexLock lock(&checkpoint_mu_);
      checkpoint_due_ = true;
    }
    checkpoint_wake_.NotifyOne();
  }

  // The checkpointer thread: one PASSIVE checkpoint per request, on its own
  // connection (opened at the first). A failure is logged and retried at the
  // next request; the WAL only grows meanwhile.
  void CheckpointLoop() EXCLUDES(checkpoint_mu_) {
    std::unique_ptr<Conn> conn;
    MutexLock lock(&checkpoint_mu_);
    while (true) {
      while (!stopping_ && !checkpoint_due_) checkpoint_wake_.Wait(&checkpoint_mu_);
      if (stopping_) return;
      checkpoint_due_ = false;
      lock.Unlock();
      Status s = OkStatus();
      if (!conn) {
        auto opened = OpenConn(path_, durable_);
        if (opened.ok()) {
          conn = std::move(*opened);
        } else {
          s = opened.status();
        }
      }
      if (conn) {
        int in_wal = 0, copied = 0;
        // A copy runs beside writers and reaches the frames that were there
        // when it began. While what writers added meanwhile is more than a
        // few frames, copy again beside them; then copy the rest with the
        // writers held off, so the whole WAL is in the database file when the
        // next writer begins, and that writer starts the WAL again from its
        // first frame. Without this last step a steady stream of writes
        // never finds the WAL copied, and the WAL grows for as long as the
        // stream lasts.
        int rc = SQLITE_OK;
        for (int round = 0; round < kCheckpointRounds && rc == SQLITE_OK; ++round) {
          rc = sqlite3_wal_checkpoint_v2(conn->db(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &in_wal, &copied);
          if (wal_frames_.load() - copied <= kCheckpointTail) break;
        }
        if (rc == SQLITE_OK) {
          MutexLock write_lock(&write_mu_);
          rc = sqlite3_wal_checkpoint_v2(conn->db(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &in_wal, &copied);
        }
        if (rc == SQLITE_OK) checkpointed_frames_.store(copied);
        // BUSY: another checkpoint is running; the next request retries.
        if (rc != SQLITE_OK && rc != SQLITE_BUSY) s = sqlite::Error(conn->db(), "checkpoint");
      }
      LogIfError(s, "checkpoint the metadata WAL into " + path_);
      lock.Lock();
    }
  }

  Env* env_;
  std::string path_;
  bool durable_;
  const std::string indexed_label_;  // see MetadataStore::Open
  Mutex write_mu_;  // serialises write transactions
  std::unique_ptr<Conn> writer_ PT_GUARDED_BY(write_mu_);
  Mutex pool_mu_;
  std::vector<std::unique_ptr<Conn>> pool_ GUARDED_BY(pool_mu_);  // idle read connections
  int version_ = 0;
  Mutex checkpoint_mu_;
  CondVar checkpoint_wake_;  // a checkpoint is due, or stopping
  bool checkpoint_due_ GUARDED_BY(checkpoint_mu_) = false;
  bool stopping_ GUARDED_BY(checkpoint_mu_) = false;
  // Frames of the WAL the last checkpoint copied (0 after a restart).
  std::atomic<int> checkpointed_frames_{0};
  // Frames in the WAL after the last commit.
  std::atomic<int> wal_frames_{0};
  std::thread checkpointer_;  // started once everything above exists
};

}  // namespace


std::string_view RootKindName(RootKind k) {
  switch (k) {
    case RootKind::kImage: return "image";
    case RootKind::kContainer: return "container";
    case RootKind::kLease: return "lease";
  }
  return "lease";
}

namespace {

// metadata.db holds container configs (their -e secrets too): 0600. The
// file is made before SQLite opens it, so its WAL and SHM files, which SQLite
// creates with the database's mode, are 0600 as well; files of an older,
// looser store are tightened.
Status MakeDatabaseFilesPrivate(Env* env, const std::string& path) {
  if (!env->FileExists(path)) {
    BERTH_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, env->NewWritableFile(path));
    BERTH_RETURN_IF_ERROR(f->Close());
  }
  for (const std::string& p : {path, path + "-wal", path + "-shm"}) {
    Status s = RestrictPermissions(env, p, 0600);
    if (!s.ok() && s.code() != Code::kNotFound) return s;
  }
  return OkStatus();
}

}  // namespace

Result<std::unique_ptr<MetadataStore>> MetadataStore::Open(Env* env, const std::string& path, bool durable,
                                                           std::string indexed_label) {
  BERTH_RETURN_IF_ERROR(MakeDatabaseFilesPrivate(env, path));
  BERTH_ASSIGN_OR_RETURN(auto writer, OpenConn(path, durable));
  auto store = std::make_unique<SqliteMetadataStore>(env, path, std::move(writer), durable,
                                                     std::move(indexed_label));
  BERTH_RETURN_IF_ERROR(store->Migrate());
  return std::unique_ptr<MetadataStore>(std::move(store));
}

}  // namespace berth
