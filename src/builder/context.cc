// The build context, read once into an index (BuildContext), and the safe
// extraction of a context or of ADD's local archives: the snapshot module's
// ExtractTarInto with the context's rules, so nothing lands outside `dir`.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "base/tar_input.h"
#include "base/unique_fd.h"
#include "berth/builder.h"
#include "berth/digest.h"
#include "berth/dockerignore.h"
#include "berth/slash_path.h"
#include "berth/tree_archive.h"

namespace berth::builder {

namespace {

// Where BuildContext keeps the archive as it is read: the body is read
// straight into chunks of memory (no copy), or once more than
// its memory bound came, through a buffer into a
// file.
class TarSpool : public TarInputSink {
 public:
  TarSpool(std::string path, int64_t memory_bytes) : path_(std::move(path)), memory_bytes_(memory_bytes) {}
  ~TarSpool() {
    if (fd_ >= 0) close(fd_);
  }
  TarSpool(const TarSpool&) = delete;
  TarSpool& operator=(const TarSpool&) = delete;

  // Where the next bytes read go: the buffer and its size.
  Result<std::pair<char*, size_t>> Tail() override {
    if (fd_ < 0 && size_ + static_cast<int64_t>(kMinTail) > memory_bytes_) {
      fd_ = open(path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd_ < 0) return Internal("create " + path_ + ": " + std::strerror(errno));
      for (size_t i = 0; i < chunks_.size(); ++i) BERTH_RETURN_IF_ERROR(WriteAll(chunks_[i].get(), used_[i]));
      chunks_.clear();
      used_.clear();
      file_buf_.resize(1 << 20);
    }
    if (fd_ >= 0) return std::make_pair(file_buf_.data(), file_buf_.size());
    if (chunks_.empty() || kChunk - used_.back() < kMinTail) {
      chunks_.push_back(std::make_unique_for_overwrite<char[]>(kChunk));
      used_.push_back(0);
    }
    return std::make_pair(chunks_.back().get() + used_.back(), kChunk - used_.back());
  }
  // The first `n` bytes at the last Tail() were filled.
  Status Commit(size_t n) override {
    size_ += static_cast<int64_t>(n);
    if (fd_ >= 0) return WriteAll(file_buf_.data(), n);
    used_.back() += n;
    return OkStatus();
  }
  bool in_file() const { return fd_ >= 0; }
  // A reader of the kept bytes from the start; valid while the spool is.
  ReadFn Reader() const {
    struct Pos {
      size_t chunk = 0, offset = 0;
      int64_t file = 0;
    };
    auto pos = std::make_shared<Pos>();
    return [this, pos](char* buf, size_t n) -> Result<size_t> {
      if (fd_ >= 0) {
        ssize_t r = pread(fd_, buf, n, pos->file);
        if (r < 0) return Internal("read " + path_ + ": " + std::strerror(errno));
        pos->file += r;
        return static_cast<size_t>(r);
      }
      while (pos->chunk < chunks_.size() && pos->offset == used_[pos->chunk]) {
        ++pos->chunk;
        pos->offset = 0;
      }
      if (pos->chunk == chunks_.size()) return size_t{0};
      size_t k = std::min(n, used_[pos->chunk] - pos->offset);
      std::memcpy(buf, chunks_[pos->chunk].get() + pos->offset, k);
      pos->offset += k;
      return k;
    };
  }

 private:
  static constexpr size_t kChunk = size_t{4} << 20;
  static constexpr size_t kMinTail = size_t{64} << 10;
  Status WriteAll(const char* data, size_t n) {
    for (size_t off = 0; off < n;) {
      ssize_t w = write(fd_, data + off, n - off);
      if (w < 0) return Internal("write " + path_ + ": " + std::strerror(errno));
      off += static_cast<size_t>(w);
    }
    return OkStatus();
  }
  std::string path_;
  int64_t memory_bytes_;
  std::vector<std::unique_ptr<char[]>> chunks_;
  std::vector<size_t> used_;  // bytes filled in each chunk
  std::vector<char> file_buf_;
  int64_t size_ = 0;
  int fd_ = -1;
};

Status Refuse(const std::string& entry, const std::string& why) {
  return InvalidArgument("invalid build context: entry \"" + entry + "\": " + why);
}

// The entry's path as components, or an error for absolute paths and "..".
Result<std::vector<std::string>> Components(const std::string& raw) {
  if (raw.starts_with("/")) return Refuse(raw, "absolute path");
  auto out = ComponentsWithin(raw);
  if (!out) return Refuse(raw, "path leaves the context");
  return std::move(*out);
}

// A symbolic link of a build context must point inside it.
Status CheckLinkInside(const std::string& raw, const std::string& clean, const std::string& target) {
  if (target.starts_with("/")) return Refuse(raw, "symbolic link to an absolute path (" + target + ")");
  std::string dirpart = clean.find('/') == std::string::npos ? "" : clean.substr(0, clean.rfind('/'));
  std::string resolved = CleanSlashPath(dirpart.empty() ? target : dirpart + "/" + target);
  if (resolved == ".." || resolved.starts_with("../")) {
    return Refuse(raw, "symbolic link leaving the context (" + target + ")");
  }
  return OkStatus();
}

}  // namespace

std::string BuildsDir(const std::string& data_root) { return data_root + "/builds"; }

Status RemoveLeftoverBuilds(Env* env, const std::string& data_root) {
  const std::string dir = BuildsDir(data_root);
  if (!env->FileExists(dir)) return OkStatus();
  return env->RemoveAll(dir);
}

bool LooksLikeArchive(std::string_view head) {
  auto starts = [&](std::string_view magic) { return head.substr(0, magic.size()) == magic; };
  if (starts("\x1f\x8b") || starts("BZh") || starts(std::string_view("\xfd\x37\x7a\x58\x5a\x00", 6)) ||
      starts("\x28\xb5\x2f\xfd")) {
    return true;
  }
  return head.size() >= 262 && head.substr(257, 5) == "ustar";
}

Status ExtractTar(const ReadFn& read, const std::string& dir, int64_t max_bytes, TarLinks links) {
  UniqueFd top(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!top.valid()) return ErrnoStatus("open " + dir, errno);
  TreeExtractOptions o;
  o.what = "invalid build context";
  o.place = "context";
  o.max_bytes = max_bytes;
  o.max_entries = kMaxContextEntries;
  o.any_symlink_target = links == TarLinks::kAsIs;
  return ExtractTarInto(read, top.get(), "", o);
}

struct BuildContext::Spool : TarSpool {
  using TarSpool::TarSpool;
};

BuildContext::~BuildContext() = default;

bool BuildContext::spooled_to_file() const { return spool_->in_file(); }

Result<std::unique_ptr<BuildContext>> BuildContext::Read(const ReadFn& read, const std::string& dir,
                                                         const std::vector<std::string>& kept, int64_t max_bytes,
                                                         int64_t spool_memory_bytes) {
  std::unique_ptr<BuildContext> ctx(new BuildContext());
  ctx->dir_ = dir;
  ctx->spool_ = std::make_unique<Spool>(dir + "/context.tar", spool_memory_bytes);
  std::set<std::string> keep;
  for (const auto& k : kept) keep.insert(CleanSlashPath(k));
  TarInput input(read, ctx->spool_.get());
  BERTH_RETURN_IF_ERROR(input.Open("invalid build context"));
  struct archive* a = input.archive();
  auto fail = [&](std::string_view what) { return input.Failure("invalid build context", what); };
  ContextIndex& index = ctx->index_;
  using Kind = ContextEntry::Kind;
  // As ExtractTar's walk: the parents of an entry are directories (made
  // 0755 when the archive did not list them), never anything else.
  auto parents = [&](const std::vector<std::string>& comps, const std::string& raw) -> Status {
    std::string prefix;
    for (size_t i = 0; i + 1 < comps.size(); ++i) {
      prefix += (i ? "/" : "") + comps[i];
      auto [it, added] = index.try_emplace(prefix, ContextEntry{Kind::kDirectory, 0755});
      if (!added && it->second.kind != Kind::kDirectory) {
        return Refuse(raw, "a parent is not a directory (or is a symbolic link)");
      }
    }
    return OkStatus();
  };
  auto replaceable = [&](const std::string& clean, const std::string& raw) -> Status {
    auto it = index.find(clean);
    if (it != index.end() && it->second.kind == Kind::kDirectory) {
      return Refuse(raw, "replaces an earlier entry that is a directory");
    }
    return OkStatus();
  };
  int64_t bytes = 0, entries = 0;
  std::vector<char> buf(1 << 20);
  for (;;) {
    struct archive_entry* e = nullptr;
    int r = archive_read_next_header(a, &e);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return fail("reading the archive");
    if (++entries > kMaxContextEntries)
      return InvalidArgument("invalid build context: more than " + std::to_string(kMaxContextEntries) + " entries");
    const char* p = archive_entry_pathname(e);
    std::string raw = p ? p : "";
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> comps, Components(raw));
    if (comps.empty()) continue;
    std::string clean = CleanSlashPath(raw);
    if (const char* hl = archive_entry_hardlink(e)) {
      BERTH_ASSIGN_OR_RETURN(std::vector<std::string> tcomps, Components(hl));
      std::string target = CleanSlashPath(hl);
      auto t = index.find(target);
      if (t == index.end() || t->second.kind != Kind::kFile) {
        return Refuse(raw, "hard link to \"" + target + "\", not a file of the context");
      }
      BERTH_RETURN_IF_ERROR(parents(comps, raw));
      BERTH_RETURN_IF_ERROR(replaceable(clean, raw));
      ContextEntry copy = index.at(target);
      index[clean] = std::move(copy);
      ctx->kept_.erase(clean);
      if (keep.contains(clean) && ctx->kept_.contains(target)) ctx->kept_[clean] = ctx->kept_.at(target);
      continue;
    }
    mode_t type = archive_entry_filetype(e);
    uint32_t perm = archive_entry_perm(e) & 0777;
    BERTH_RETURN_IF_ERROR(parents(comps, raw));
    ctx->kept_.erase(clean);
    if (type == AE_IFDIR) {
      auto [it, added] = index.try_emplace(clean, ContextEntry{Kind::kDirectory});
      if (!added && it->second.kind != Kind::kDirectory) {
        return Refuse(raw, "a directory over an earlier entry that is not one");
      }
      it->second.mode = perm | 0700;
    } else if (type == AE_IFLNK) {
      const char* t = archive_entry_symlink(e);
      std::string target = t ? t : "";
      BERTH_RETURN_IF_ERROR(CheckLinkInside(raw, clean, target));
      BERTH_RETURN_IF_ERROR(replaceable(clean, raw));
      index[clean] = ContextEntry{Kind::kSymlink, 0777, 0, target};
    } else if (type == AE_IFREG) {
      BERTH_RETURN_IF_ERROR(replaceable(clean, raw));
      ContextEntry entry{Kind::kFile, perm};
      Sha256 sha;
      std::string head;
      std::string* kept_bytes = keep.contains(clean) ? &ctx->kept_[clean] : nullptr;
      for (;;) {
        la_ssize_t n = archive_read_data(a, buf.data(), buf.size());
        if (n < 0) return fail("reading " + clean);
        if (n == 0) break;
        bytes += n;
        if (bytes > max_bytes) {
          return InvalidArgument("invalid build context: more than " + std::to_string(max_bytes) + " bytes");
        }
        std::string_view piece(buf.data(), static_cast<size_t>(n));
        sha.Update(piece);
        entry.size += n;
        if (head.size() < 512) head.append(piece.substr(0, 512 - head.size()));
        if (kept_bytes) {
          if (kept_bytes->size() + piece.size() > static_cast<size_t>(kKeptFileBytes)) {
            ctx->kept_.erase(clean);
            kept_bytes = nullptr;
          } else {
            kept_bytes->append(piece);
          }
        }
      }
      entry.content = sha.Finish().hex();
      entry.archive = LooksLikeArchive(head);
      index[clean] = std::move(entry);
    } else {
      return Refuse(raw, "devices, FIFOs and sockets are not allowed");
    }
  }
  return ctx;
}

Result<std::string> BuildContext::KeptFile(const std::string& path) const {
  auto it = kept_.find(CleanSlashPath(path));
  if (it == kept_.end()) return NotFound("open " + path + ": not a kept file of the build context");
  return it->second;
}

Status BuildContext::Remove(const std::string& path) {
  const std::string clean = CleanSlashPath(path);
  if (clean.empty() || clean == "." || clean.starts_with("../") || clean == "..") {
    return InvalidArgument("cannot remove " + path + " from the build context");
  }
  auto it = index_.lower_bound(clean);
  while (it != index_.end() && (it->first == clean || it->first.starts_with(clean + "/"))) it = index_.erase(it);
  kept_.erase(clean);
  removed_.push_back(clean);
  if (!extracted_) return OkStatus();
  std::error_code ec;
  std::filesystem::remove_all(dir_ + "/context/" + clean, ec);
  if (ec) return Internal("remove " + clean + " from the build context: " + ec.message());
  return OkStatus();
}

Result<std::string> BuildContext::Tree() {
  const std::string tree = dir_ + "/context";
  if (extracted_) return tree;
  if (mkdir(tree.c_str(), 0700) != 0) return Internal("mkdir " + tree + ": " + std::strerror(errno));
  BERTH_RETURN_IF_ERROR(ExtractTar(spool_->Reader(), tree));
  extracted_ = true;
  for (const auto& r : removed_) {
    std::error_code ec;
    std::filesystem::remove_all(tree + "/" + r, ec);
    if (ec) return Internal("remove " + r + " from the build context: " + ec.message());
  }
  return tree;
}

}  // namespace berth::builder
