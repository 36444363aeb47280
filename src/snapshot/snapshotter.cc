// The snapshotter: chain IDs, unpack-once layer directories, their removal.
//
// A snapshot becomes visible in one rename: the layer is unpacked into
// <root>/tmp/unpack-XXXXXX/fs, the filesystem is synced, .done is written,
// and the whole directory is renamed to <root>/<chain hex>. Removal is the
// reverse: a rename into <root>/tmp first (atomic: a crash never leaves a
// half-deleted snapshot that still looks finished), then the recursive
// delete. Open() clears <root>/tmp and any <hex> directory without .done.

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <map>
#include <mutex>

#include "berth/env.h"
#include "berth/log.h"
#include "berth/mutex.h"
#include "berth/snapshot.h"
#include "snapshot/unpack.h"

namespace berth {

Digest ChainId(const std::vector<Digest>& diff_ids) {
  if (diff_ids.empty()) return Digest();
  Digest chain = diff_ids[0];
  for (size_t i = 1; i < diff_ids.size(); ++i) chain = Digest::Of(chain.str() + " " + diff_ids[i].str());
  return chain;
}

namespace {

constexpr char kDoneFile[] = ".done";

// Makes a fresh, empty directory under `parent` ("<parent>/<prefix>XXXXXX").
Result<std::string> MakeTempDir(const std::string& parent, const std::string& prefix) {
  std::string tmpl = parent + "/" + prefix + "XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) return ErrnoStatus("mkdtemp " + tmpl, errno);
  return std::string(buf.data());
}

// Flushes the filesystem holding `path` (the unpacked files must be durable
// before .done says they are there).
Status SyncFilesystem(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open " + path, errno);
  int r = ::syncfs(fd);
  int err = errno;
  ::close(fd);
  if (r < 0) return ErrnoStatus("syncfs " + path, err);
  return OkStatus();
}

class SnapshotterImpl : public Snapshotter {
 public:
  SnapshotterImpl(std::string root, std::string real_root, BlobReader* content, const DecompressionLimits& limits)
      : root_(std::move(root)),
        real_root_(std::move(real_root)),
        content_(content),
        limits_(limits),
        env_(Env::Default()) {}

  Status Recover() {
    std::string tmp = real_root_ + "/tmp";
    BERTH_RETURN_IF_ERROR(env_->RemoveAll(tmp));
    BERTH_RETURN_IF_ERROR(env_->CreateDirs(tmp, 0700));
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDir(real_root_));
    for (const std::string& name : names) {
      if (!IsSha256Hex(name)) continue;
      if (env_->FileExists(SnapshotDir(name) + "/" + kDoneFile)) continue;
      BERTH_RETURN_IF_ERROR(env_->RemoveAll(SnapshotDir(name)));
    }
    return OkStatus();
  }

  Result<PreparedLayers> Prepare(const std::vector<LayerSpec>& layers) override {
    PreparedLayers out;
    Digest chain;
    for (const LayerSpec& layer : layers) {
      if (layer.diff_id.empty()) return InvalidArgument("layer " + layer.blob.digest.str() + ": no diff ID");
      if (layer.blob.digest.empty()) {
        return InvalidArgument("layer with diff ID " + layer.diff_id.str() + ": no digest");
      }
      chain = chain.empty() ? layer.diff_id : Digest::Of(chain.str() + " " + layer.diff_id.str());
      ChainLock lock(this, chain.hex());
      if (!env_->FileExists(SnapshotDir(chain.hex()) + "/" + kDoneFile)) {
        BERTH_RETURN_IF_ERROR(Unpack(layer, chain));
        ++out.unpacked;
      }
      out.dirs.push_back(root_ + "/" + chain.hex() + "/fs");
      out.chain_ids.push_back(chain);
    }
    return out;
  }

  Result<std::vector<Digest>> List() override {
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDir(real_root_));
    std::sort(names.begin(), names.end());
    std::vector<Digest> out;
    for (const std::string& name : names) {
      if (!IsSha256Hex(name) || !env_->FileExists(SnapshotDir(name) + "/" + kDoneFile)) continue;
      BERTH_ASSIGN_OR_RETURN(Digest d, Digest::FromHex(name));
      out.push_back(std::move(d));
    }
    return out;
  }

  Status Remove(const Digest& chain_id) override {
    if (chain_id.empty()) return InvalidArgument("remove snapshot: empty chain ID");
    ChainLock lock(this, chain_id.hex());
    return RemoveLocked(chain_id.hex());
  }

  Result<int> Sweep(const std::set<Digest>& keep) override {
    BERTH_ASSIGN_OR_RETURN(std::vector<Digest> all, List());
    int removed = 0;
    for (const Digest& d : all) {
      if (keep.count(d) != 0) continue;
      BERTH_RETURN_IF_ERROR(Remove(d));
      ++removed;
    }
    return removed;
  }

  const std::string& root() const override { return root_; }

 private:
  // Holds the per-chain mutex; entries are dropped when nobody uses them.
  class ChainLock {
   public:
    ChainLock(SnapshotterImpl* s, const std::string& hex) : s_(s), hex_(hex) {
      {
        MutexLock l(&s_->locks_mu_);
        Slot& slot = s_->locks_[hex_];
        ++slot.users;
        mu_ = &slot.mu;
      }
      mu_->lock();
    }
    ~ChainLock() {
      mu_->unlock();
      MutexLock l(&s_->locks_mu_);
      auto it = s_->locks_.find(hex_);
      if (--it->second.users == 0) s_->locks_.erase(it);
    }
    ChainLock(const ChainLock&) = delete;
    ChainLock& operator=(const ChainLock&) = delete;

   private:
    SnapshotterImpl* s_;
    std::string hex_;
    std::mutex* mu_ = nullptr;
  };
  struct Slot {
    // Held for a ChainLock's lifetime, which the analysis cannot follow: a
    // plain std::mutex.
    std::mutex mu;
    int users = 0;
  };

  std::string SnapshotDir(const std::string& hex) const { return real_root_ + "/" + hex; }

  // Moves a snapshot directory out of the way (atomically), then deletes it.
  Status RemoveLocked(const std::string& hex) {
    std::string dir = SnapshotDir(hex);
    struct stat st;
    if (::lstat(dir.c_str(), &st) < 0) {
      if (errno == ENOENT) return OkStatus();
      return ErrnoStatus("stat " + dir, errno);
    }
    BERTH_ASSIGN_OR_RETURN(std::string trash, MakeTempDir(real_root_ + "/tmp", "remove-"));
    // rename(2) replaces the empty directory mkdtemp made.
    Status s = env_->RenameFile(dir, trash);
    if (!s.ok()) {
      // An empty directory under tmp/, which the next open clears anyway.
      env_->RemoveAll(trash).IgnoreError();
      return s;
    }
    LogIfError(env_->SyncDir(real_root_), "sync " + real_root_ + " after moving snapshot " + dir + " out");
    return env_->RemoveAll(trash);
  }

  Status Unpack(const LayerSpec& layer, const Digest& chain) {
    BERTH_ASSIGN_OR_RETURN(std::string tmp, MakeTempDir(real_root_ + "/tmp", "unpack-"));
    Status s = UnpackInto(layer, tmp);
    if (s.ok()) {
      // A directory without .done (only possible after a crash between
      // Open and here, or by hand) is replaced.
      s = RemoveLocked(chain.hex());
    }
    if (s.ok()) s = env_->RenameFile(tmp, SnapshotDir(chain.hex()));
    if (s.ok()) s = env_->SyncDir(real_root_);
    // An unpack in progress under tmp/, which the next open clears anyway.
    if (!s.ok()) env_->RemoveAll(tmp).IgnoreError();
    return s;
  }

  Status UnpackInto(const LayerSpec& layer, const std::string& tmp) {
    const std::string name = layer.blob.digest.str();
    std::string fs = tmp + "/fs";
    if (::mkdir(fs.c_str(), 0755) < 0) return ErrnoStatus("mkdir " + fs, errno);
    Result<std::unique_ptr<SequentialFile>> file = content_->OpenRead(layer.blob.digest);
    if (!file.ok()) return file.status().Annotate("layer " + name);
    BERTH_ASSIGN_OR_RETURN(Digest got, snapshot::UnpackLayer(file->get(), fs, name, limits_));
    if (got != layer.diff_id) {
      return DataLoss("layer " + name + ": uncompressed content has digest " + got.str() + ", diff ID says " +
                      layer.diff_id.str());
    }
    BERTH_RETURN_IF_ERROR(SyncFilesystem(fs));
    return WriteFileAtomic(env_, tmp + "/" + kDoneFile, layer.diff_id.str() + "\n");
  }

  const std::string root_;
  const std::string real_root_;  // root_ with symlinks resolved (for libarchive's symlink checks)
  BlobReader* const content_;
  const DecompressionLimits limits_;
  Env* const env_;
  Mutex locks_mu_;
  std::map<std::string, Slot> locks_ GUARDED_BY(locks_mu_);
};

}  // namespace

Result<std::unique_ptr<Snapshotter>> Snapshotter::Open(const std::string& root, BlobReader* content,
                                                       const DecompressionLimits& limits) {
  if (root.empty()) return InvalidArgument("snapshotter: empty root");
  if (content == nullptr) return InvalidArgument("snapshotter: no content store");
  BERTH_RETURN_IF_ERROR(Env::Default()->CreateDirs(root, 0700));
  BERTH_RETURN_IF_ERROR(RestrictPermissions(Env::Default(), root, 0700));  // private, also when older
  char buf[PATH_MAX];
  if (::realpath(root.c_str(), buf) == nullptr) return ErrnoStatus("realpath " + root, errno);
  auto s = std::make_unique<SnapshotterImpl>(root, buf, content, limits);
  BERTH_RETURN_IF_ERROR(s->Recover());
  return std::unique_ptr<Snapshotter>(std::move(s));
}

}  // namespace berth
