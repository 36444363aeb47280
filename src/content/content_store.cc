// The local content store: <root>/blobs/sha256/<hex> and <root>/ingest/.
//
// Commit protocol (the only way anything appears under blobs/):
//   1. flush buffered data, finish the hash, check size and digest;
//   2. if the blob already exists, discard the ingest file: success;
//   3. fsync and close the ingest file;
//   4. under the store's commit lock: re-check existence, rename the ingest
//      file onto the blob path, fsync the blobs directory. If that fsync
//      fails the blob is unlinked again, so a failed Commit never leaves a
//      blob behind. The lock makes "we created it" certain, so a failing
//      writer never removes a blob another writer committed.
// Any failure removes the ingest file. Ingest files orphaned by a crash are
// removed by Open(), which therefore assumes one store per root.
//
// Delete() does not fsync the directory: a deletion lost in a crash merely
// brings back an unreferenced, still-valid blob, which the garbage collector
// removes again.

#include "berth/content_store.h"
#include "berth/log.h"

#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>

#include "berth/mutex.h"

namespace berth {

namespace {

// Writes are gathered into a buffer of this size before reaching the file,
// to keep the number of write(2) calls low for small Write()s.
constexpr size_t kWriteBufferSize = 1 << 20;

Status BlobNotFound(const Digest& d) { return NotFound("content digest " + d.str() + ": not found"); }

Status EmptyDigest() { return InvalidArgument("invalid digest \"\": invalid checksum digest format"); }

// 16 random bytes, hex-encoded: names of ingest files.
std::string RandomName() {
  static std::atomic<uint64_t> fallback{0};
  unsigned char buf[16];
  ssize_t n;
  do {
    n = ::getrandom(buf, sizeof(buf), 0);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof(buf))) {
    // getrandom cannot fail for 16 bytes once the pool is initialised; keep a
    // unique (if predictable) name anyway.
    uint64_t v = fallback.fetch_add(1) ^ static_cast<uint64_t>(::getpid()) << 32;
    for (size_t i = 0; i < sizeof(buf); ++i) buf[i] = static_cast<unsigned char>(v >> (8 * (i % 8)));
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(32, '0');
  for (size_t i = 0; i < sizeof(buf); ++i) {
    out[2 * i] = kHex[buf[i] >> 4];
    out[2 * i + 1] = kHex[buf[i] & 0xf];
  }
  return out;
}

class LocalContentStore;

class LocalWriter final : public ContentWriter {
 public:
  LocalWriter(LocalContentStore* store, std::string ingest_path, std::unique_ptr<WritableFile> file)
      : store_(store), ingest_path_(std::move(ingest_path)), file_(std::move(file)) {}
  ~LocalWriter() override { Discard(); }

  Status Write(std::string_view data) override;
  int64_t written() const override { return static_cast<int64_t>(hash_.bytes()); }
  Result<Digest> Commit(int64_t expected_size, const Digest& expected) override;

 private:
  Status Flush();
  // Closes and removes the ingest file (best effort); the writer is finished.
  void Discard();
  // Records `s` as the writer's terminal error, discards, returns `s`.
  Status Fail(Status s);

  LocalContentStore* store_;
  std::string ingest_path_;
  std::unique_ptr<WritableFile> file_;  // null once discarded or committed
  Sha256 hash_;
  std::string buf_;
  Status error_;
  bool committed_ = false;
};

class LocalContentStore final : public ContentStore {
 public:
  LocalContentStore(Env* env, std::string root)
      : env_(env), root_(std::move(root)), blob_dir_(root_ + "/blobs/sha256"), ingest_dir_(root_ + "/ingest") {}

  Status Init() {
    // Private: blobs hold whatever images carry (unreadable by others).
    BERTH_RETURN_IF_ERROR(env_->CreateDirs(root_, 0700));
    BERTH_RETURN_IF_ERROR(RestrictPermissions(env_, root_, 0700));
    BERTH_RETURN_IF_ERROR(env_->CreateDirs(blob_dir_, 0700));
    BERTH_RETURN_IF_ERROR(env_->CreateDirs(ingest_dir_, 0700));
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> stale, env_->ListDir(ingest_dir_));
    for (const std::string& name : stale) {
      BERTH_RETURN_IF_ERROR(env_->RemoveAll(ingest_dir_ + "/" + name));
    }
    return OkStatus();
  }

  Result<BlobInfo> Info(const Digest& d) override {
    if (d.empty()) return EmptyDigest();
    Result<FileInfo> fi = env_->Stat(BlobPath(d));
    if (!fi.ok()) {
      if (fi.status().code() == Code::kNotFound) return BlobNotFound(d);
      return fi.status();
    }
    if (fi->is_directory) return BlobNotFound(d);
    BlobInfo info;
    info.digest = d;
    info.size = static_cast<int64_t>(fi->size);
    info.committed_unix_nanos = fi->mtime_unix_nanos;
    return info;
  }

  bool Exists(const Digest& d) override {
    if (d.empty()) return false;
    Result<FileInfo> fi = env_->Stat(BlobPath(d));
    return fi.ok() && !fi->is_directory;
  }

  Result<std::string> ReadAll(const Digest& d, int64_t max_bytes) override {
    if (d.empty()) return EmptyDigest();
    auto too_large = [&](uint64_t size) {
      const bool whole_mib = max_bytes % (1 << 20) == 0;
      return InvalidArgument(
          "content " + d.str() + " is " + std::to_string(size) + " bytes, more than the limit of " +
          (whole_mib ? std::to_string(max_bytes >> 20) + " MiB" : std::to_string(max_bytes) + " bytes"));
    };
    Result<FileInfo> info = env_->Stat(BlobPath(d));
    if (!info.ok()) return info.status().code() == Code::kNotFound ? BlobNotFound(d) : info.status();
    if (info->size > static_cast<uint64_t>(max_bytes)) return too_large(info->size);
    Result<std::unique_ptr<SequentialFile>> f = env_->NewSequentialFile(BlobPath(d));
    if (!f.ok()) return f.status().code() == Code::kNotFound ? BlobNotFound(d) : f.status();
    std::string out(static_cast<size_t>(info->size), '\0');
    size_t got = 0;
    for (;;) {
      if (got == out.size()) {
        if (got >= static_cast<size_t>(max_bytes)) {
          // At the limit: one more byte means the blob is too large.
          char extra;
          BERTH_ASSIGN_OR_RETURN(size_t n, (*f)->Read(&extra, 1));
          if (n != 0) return too_large(got + n);
          break;
        }
        out.resize(std::min(static_cast<size_t>(max_bytes), got + 4096));
      }
      BERTH_ASSIGN_OR_RETURN(size_t n, (*f)->Read(out.data() + got, out.size() - got));
      if (n == 0) break;
      got += n;
    }
    out.resize(got);
    return out;
  }

  Result<std::unique_ptr<SequentialFile>> OpenRead(const Digest& d) override {
    if (d.empty()) return EmptyDigest();
    Result<std::unique_ptr<SequentialFile>> r = env_->NewSequentialFile(BlobPath(d));
    if (!r.ok() && r.status().code() == Code::kNotFound) return BlobNotFound(d);
    return r;
  }

  Result<std::unique_ptr<ContentWriter>> NewWriter() override {
    std::string path = ingest_dir_ + "/" + RandomName();
    BERTH_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, env_->NewWritableFile(path));
    return std::unique_ptr<ContentWriter>(new LocalWriter(this, std::move(path), std::move(f)));
  }

  Result<Digest> Put(std::string_view data, const Digest& expected) override {
    // Already present: nothing to write (the content is verified below only
    // when we do write; an existing blob matched its digest at commit).
    if (!expected.empty() && Exists(expected)) {
      Result<BlobInfo> info = Info(expected);
      if (info.ok() && info->size == static_cast<int64_t>(data.size()) && Digest::Of(data) == expected) {
        return expected;
      }
    }
    BERTH_ASSIGN_OR_RETURN(std::unique_ptr<ContentWriter> w, NewWriter());
    BERTH_RETURN_IF_ERROR(w->Write(data));
    return w->Commit(static_cast<int64_t>(data.size()), expected);
  }

  Status Walk(const std::function<Status(const BlobInfo&)>& fn) override {
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDir(blob_dir_));
    for (const std::string& name : names) {
      if (!IsSha256Hex(name)) continue;  // stray files are not blobs
      Result<Digest> d = Digest::FromHex(name);
      if (!d.ok()) continue;
      Result<BlobInfo> info = Info(*d);
      if (!info.ok()) {
        if (info.status().code() == Code::kNotFound) continue;  // deleted meanwhile
        return info.status();
      }
      BERTH_RETURN_IF_ERROR(fn(*info));
    }
    return OkStatus();
  }

  Status Delete(const Digest& d) override {
    if (d.empty()) return EmptyDigest();
    MutexLock lock(&commit_mu_);
    Status s = env_->RemoveFile(BlobPath(d));
    if (s.code() == Code::kNotFound) return BlobNotFound(d);
    return s;
  }

  std::string BlobPath(const Digest& d) const override {
    if (d.empty()) return std::string();
    return blob_dir_ + "/" + d.hex();
  }

  // Step 4 of the commit protocol; the ingest file is synced and closed.
  // On success the ingest file has become the blob (or was removed because
  // the blob already existed). On failure the caller removes the ingest.
  Status Publish(const std::string& ingest_path, const Digest& d, bool* consumed) {
    MutexLock lock(&commit_mu_);
    std::string target = BlobPath(d);
    if (Exists(d)) return OkStatus();  // caller discards the ingest
    BERTH_RETURN_IF_ERROR(env_->RenameFile(ingest_path, target));
    *consumed = true;
    Status s = env_->SyncDir(blob_dir_);
    if (!s.ok()) {
      // We created it (under the lock), so nobody else relies on it yet.
      LogIfError(env_->RemoveFile(target), "remove blob " + target + " whose directory could not be synced");
      return s;
    }
    return OkStatus();
  }

  Env* env() const { return env_; }

 private:
  Env* const env_;
  const std::string root_;
  const std::string blob_dir_;
  const std::string ingest_dir_;
  // Serialises publishing and deleting blobs (not writing them). It guards
  // files, not members: nothing here is GUARDED_BY it.
  Mutex commit_mu_;
};

Status LocalWriter::Write(std::string_view data) {
  if (!error_.ok()) return error_;
  if (committed_ || file_ == nullptr) return FailedPrecondition("content writer is closed");
  hash_.Update(data);
  if (buf_.size() + data.size() <= kWriteBufferSize) {
    if (buf_.capacity() < kWriteBufferSize) buf_.reserve(kWriteBufferSize);
    buf_.append(data);
    return OkStatus();
  }
  BERTH_RETURN_IF_ERROR(Flush());
  if (data.size() >= kWriteBufferSize) {
    // Large writes go straight to the file: no copy.
    Status s = file_->Append(data);
    if (!s.ok()) return Fail(std::move(s));
    return OkStatus();
  }
  buf_.append(data);
  return OkStatus();
}

Status LocalWriter::Flush() {
  if (buf_.empty()) return OkStatus();
  Status s = file_->Append(buf_);
  if (!s.ok()) return Fail(std::move(s));
  buf_.clear();
  return OkStatus();
}

void LocalWriter::Discard() {
  if (file_ == nullptr) return;
  // A discarded ingest file: nothing refers to it, and the next open clears
  // the ingest directory if this removal fails.
  file_->Close().IgnoreError();
  file_.reset();
  store_->env()->RemoveFile(ingest_path_).IgnoreError();
}

Status LocalWriter::Fail(Status s) {
  error_ = s;
  Discard();
  return s;
}

Result<Digest> LocalWriter::Commit(int64_t expected_size, const Digest& expected) {
  if (!error_.ok()) return error_;
  if (committed_ || file_ == nullptr) return FailedPrecondition("content writer is closed");
  BERTH_RETURN_IF_ERROR(Flush());
  int64_t size = written();
  Digest got = hash_.Finish();
  if (expected_size >= 0 && size != expected_size) {
    return Fail(InvalidArgument("unexpected commit size " + std::to_string(size) + ", expected " +
                                std::to_string(expected_size)));
  }
  if (!expected.empty() && got != expected) {
    return Fail(InvalidArgument("unexpected commit digest " + got.str() + ", expected " + expected.str()));
  }
  if (store_->Exists(got)) {  // no need to sync what we will throw away
    Discard();
    committed_ = true;
    return got;
  }
  Status s = file_->Sync();
  if (s.ok()) s = file_->Close();
  if (!s.ok()) return Fail(std::move(s));
  bool consumed = false;
  s = store_->Publish(ingest_path_, got, &consumed);
  if (!s.ok()) {
    if (consumed) file_.reset();  // the ingest file no longer exists
    return Fail(std::move(s));
  }
  if (consumed) {
    file_.reset();
  } else {
    Discard();  // an identical blob was published meanwhile
  }
  committed_ = true;
  return got;
}

}  // namespace

Result<std::unique_ptr<ContentStore>> ContentStore::Open(Env* env, std::string root) {
  if (env == nullptr) env = Env::Default();
  if (root.empty()) return InvalidArgument("content store: empty root");
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  auto store = std::make_unique<LocalContentStore>(env, std::move(root));
  BERTH_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<ContentStore>(std::move(store));
}

}  // namespace berth
