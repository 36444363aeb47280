// Safe extraction of a build context (and of ADD's local archives): every
// entry is checked before anything is written for it, and files are created
// by walking the directory with O_NOFOLLOW, so nothing lands outside `dir`.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <set>
#include <vector>

#include "base/libarchive_filters.h"
#include "berth/builder.h"
#include "berth/dockerignore.h"

namespace berth::builder {

namespace {

// The body as libarchive's input. The docker CLI's `-f -` context ends
// right after the last file's data (no padding to 512 bytes, no end
// blocks), which Go's tar reader takes as the end of the archive: at the
// body's end the stream is completed with zeros to the next 512-byte
// boundary and two zero blocks, so libarchive reads the same archive.
struct ReadState {
  const ReadFn* read = nullptr;
  uint64_t total = 0;   // bytes of the body
  bool padded = false;  // the zeros were given
  std::vector<char> buf = std::vector<char>(1 << 20);
  Status error;
};

la_ssize_t ReadCallback(struct archive* a, void* client, const void** out) {
  auto* s = static_cast<ReadState*>(client);
  Result<size_t> n = (*s->read)(s->buf.data(), s->buf.size());
  if (!n.ok()) {
    s->error = n.status();
    archive_set_error(a, EIO, "%s", n.status().message().c_str());
    return -1;
  }
  if (*n == 0 && !s->padded) {
    s->padded = true;
    size_t pad = static_cast<size_t>((512 - s->total % 512) % 512) + 1024;
    std::fill(s->buf.begin(), s->buf.begin() + static_cast<std::ptrdiff_t>(pad), 0);
    *out = s->buf.data();
    return static_cast<la_ssize_t>(pad);
  }
  s->total += *n;
  *out = s->buf.data();
  return static_cast<la_ssize_t>(*n);
}

struct ArchiveDeleter {
  void operator()(struct archive* a) const { archive_read_free(a); }
};

class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Status Refuse(const std::string& entry, const std::string& why) {
  return InvalidArgument("invalid build context: entry \"" + entry + "\": " + why);
}

// A failed create of an entry: over an earlier directory it is the
// archive's fault (InvalidArgument), otherwise the host's.
Status CreateFailed(const std::string& what, const std::string& entry) {
  if (errno == EEXIST || errno == EISDIR || errno == ENOTEMPTY) {
    return Refuse(entry, "replaces an earlier entry that is a directory");
  }
  return Internal(what + " " + entry + ": " + std::strerror(errno));
}

// The entry's path as components, or an error for absolute paths and "..".
Result<std::vector<std::string>> Components(const std::string& raw) {
  if (raw.starts_with("/")) return Refuse(raw, "absolute path");
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= raw.size()) {
    size_t end = raw.find('/', pos);
    if (end == std::string::npos) end = raw.size();
    std::string c = raw.substr(pos, end - pos);
    if (c == "..") return Refuse(raw, "path leaves the context");
    if (!c.empty() && c != ".") out.push_back(std::move(c));
    pos = end + 1;
  }
  return out;
}

// Opens the directory holding the entry's last component, creating the
// parents (0755) and never following a symbolic link. Returns its fd.
Result<int> OpenParent(const std::string& dir, const std::vector<std::string>& comps, const std::string& entry) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Internal("open " + dir + ": " + std::strerror(errno));
  for (size_t i = 0; i + 1 < comps.size(); ++i) {
    if (mkdirat(fd, comps[i].c_str(), 0755) != 0 && errno != EEXIST) {
      close(fd);
      return Internal("mkdir " + comps[i] + ": " + std::strerror(errno));
    }
    int next = openat(fd, comps[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    close(fd);
    if (next < 0) return Refuse(entry, "a parent is not a directory (or is a symbolic link)");
    fd = next;
  }
  return fd;
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

Status ExtractTar(const ReadFn& read, const std::string& dir, int64_t max_bytes) {
  ReadState src;
  src.read = &read;
  std::unique_ptr<struct archive, ArchiveDeleter> a(archive_read_new());
  if (!a) return Internal("libarchive: out of memory");
  BERTH_RETURN_IF_ERROR(EnableBuiltinDecompression(a.get()));
  archive_read_support_format_tar(a.get());
  archive_read_support_format_gnutar(a.get());
  auto fail = [&](std::string_view what) -> Status {
    if (!src.error.ok()) return src.error;
    const char* msg = archive_error_string(a.get());
    return InvalidArgument("invalid build context: " + std::string(what) + ": " +
                           (msg ? msg : "unknown libarchive error"));
  };
  if (archive_read_open(a.get(), &src, nullptr, ReadCallback, nullptr) != ARCHIVE_OK) {
    return fail("reading the archive");
  }
  std::set<std::string> files;  // regular files extracted (hard-link targets)
  int64_t bytes = 0, entries = 0;
  std::vector<char> buf(1 << 20);
  for (;;) {
    struct archive_entry* e = nullptr;
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return fail("reading the archive");
    if (++entries > kMaxContextEntries)
      return InvalidArgument("invalid build context: more than " + std::to_string(kMaxContextEntries) + " entries");
    const char* p = archive_entry_pathname(e);
    std::string raw = p ? p : "";
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> comps, Components(raw));
    if (comps.empty()) continue;  // "./"
    std::string clean = CleanSlashPath(raw);
    if (const char* hl = archive_entry_hardlink(e)) {
      BERTH_ASSIGN_OR_RETURN(std::vector<std::string> tcomps, Components(hl));
      std::string target = CleanSlashPath(hl);
      if (!files.contains(target)) return Refuse(raw, "hard link to \"" + target + "\", not a file of the context");
      BERTH_ASSIGN_OR_RETURN(int tfd, OpenParent(dir, tcomps, raw));
      FdCloser tparent(tfd);
      BERTH_ASSIGN_OR_RETURN(int pfd, OpenParent(dir, comps, raw));
      FdCloser parent(pfd);
      unlinkat(parent.get(), comps.back().c_str(), 0);
      if (linkat(tparent.get(), tcomps.back().c_str(), parent.get(), comps.back().c_str(), 0) != 0) {
        return CreateFailed("link", raw);
      }
      files.insert(clean);
      continue;
    }
    mode_t type = archive_entry_filetype(e);
    mode_t perm = archive_entry_perm(e) & 0777;
    BERTH_ASSIGN_OR_RETURN(int pfd, OpenParent(dir, comps, raw));
    FdCloser parent(pfd);
    const std::string& name = comps.back();
    if (type == AE_IFDIR) {
      if (mkdirat(parent.get(), name.c_str(), perm | 0700) != 0 && errno != EEXIST) {
        return Internal("mkdir " + clean + ": " + std::strerror(errno));
      }
      struct stat st;
      if (fstatat(parent.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)) {
        return Refuse(raw, "a directory over an earlier entry that is not one");
      }
      fchmodat(parent.get(), name.c_str(), perm | 0700, 0);
    } else if (type == AE_IFLNK) {
      const char* t = archive_entry_symlink(e);
      std::string target = t ? t : "";
      if (target.starts_with("/")) return Refuse(raw, "symbolic link to an absolute path (" + target + ")");
      std::string dirpart = clean.find('/') == std::string::npos ? "" : clean.substr(0, clean.rfind('/'));
      std::string resolved = CleanSlashPath(dirpart.empty() ? target : dirpart + "/" + target);
      if (resolved == ".." || resolved.starts_with("../")) {
        return Refuse(raw, "symbolic link leaving the context (" + target + ")");
      }
      unlinkat(parent.get(), name.c_str(), 0);
      if (symlinkat(target.c_str(), parent.get(), name.c_str()) != 0) {
        return CreateFailed("symlink", raw);
      }
    } else if (type == AE_IFREG) {
      unlinkat(parent.get(), name.c_str(), 0);
      int fd = openat(parent.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd < 0) return CreateFailed("create", raw);
      FdCloser file(fd);
      for (;;) {
        la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
        if (n < 0) return fail("reading " + clean);
        if (n == 0) break;
        bytes += n;
        if (bytes > max_bytes) {
          return InvalidArgument("invalid build context: more than " + std::to_string(max_bytes) + " bytes");
        }
        for (la_ssize_t off = 0; off < n;) {
          ssize_t w = write(file.get(), buf.data() + off, static_cast<size_t>(n - off));
          if (w < 0) return Internal("write " + clean + ": " + std::strerror(errno));
          off += w;
        }
      }
      fchmod(file.get(), perm);
      files.insert(clean);
    } else {
      return Refuse(raw, "devices, FIFOs and sockets are not allowed");
    }
  }
  return OkStatus();
}

}  // namespace berth::builder
