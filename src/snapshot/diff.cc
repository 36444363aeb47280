// DiffUpperDir: an overlay upper directory as a layer tar (the reverse of
// unpacking); WriteTreeTar (berth/tree_archive.h): any tree as it is, with
// the same writer, whiteouts and opaque directories not translated. Entries come depth first with the names of each directory
// sorted bytewise, so the same tree always gives the same tar (modulo the
// times it records). Hard links inside the upper directory are kept as tar
// hard links (libarchive's link resolver). overlayfs' own trusted.overlay.*
// xattrs are not copied; sockets are skipped (Docker does the same).
//
// The walk goes by directory descriptors (openat/fstatat relative to them,
// O_NOFOLLOW), so a directory swapped for a symlink while the walk runs is
// never followed out of the upper directory.

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/unique_fd.h"
#include "berth/snapshot.h"
#include "berth/tree_archive.h"

namespace berth {

namespace {

constexpr size_t kBufferSize = 1 << 20;
// Times an entry is looked at again when it changes between its stat and
// its open (only a container running during the diff can do that).
constexpr int kOpenAttempts = 8;

struct WriteDeleter {
  void operator()(struct archive* a) const { archive_write_free(a); }
};
struct EntryDeleter {
  void operator()(struct archive_entry* e) const { archive_entry_free(e); }
};
struct ResolverDeleter {
  void operator()(struct archive_entry_linkresolver* r) const { archive_entry_linkresolver_free(r); }
};
using EntryPtr = std::unique_ptr<struct archive_entry, EntryDeleter>;

struct Sink {
  const std::function<Status(std::string_view)>* write = nullptr;
  Sha256 sha;
  int64_t size = 0;
  Status error;
  bool hash = true;  // a layer's diff ID is wanted
};

la_ssize_t SinkWrite(struct archive* a, void* client, const void* buf, size_t n) {
  auto* s = static_cast<Sink*>(client);
  std::string_view data(static_cast<const char*>(buf), n);
  Status st = (*s->write)(data);
  if (!st.ok()) {
    s->error = st;
    archive_set_error(a, EIO, "%s", st.message().c_str());
    return -1;
  }
  if (s->hash) s->sha.Update(data);
  s->size += static_cast<int64_t>(n);
  return static_cast<la_ssize_t>(n);
}

bool IsWhiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0); }

class DiffWriter {
 public:
  // `overlay_upper`: `upper` is an overlay upper directory (whiteouts and
  // opaque directories become their tar markers); else a plain tree that
  // `upper` names in errors.
  DiffWriter(const std::string& upper, Sink* sink, bool overlay_upper = true)
      : upper_(upper), sink_(sink), overlay_upper_(overlay_upper) {
    buf_.resize(kBufferSize);
  }

  Status Run() {
    BERTH_RETURN_IF_ERROR(Open());
    UniqueFd root(::open(upper_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root.valid()) return ErrnoStatus(Prefix() + "open " + upper_, errno);
    BERTH_RETURN_IF_ERROR(Walk(root.get(), ""));
    return Close();
  }

  // The entry `name` of `dir_fd` as `archive_name` (empty: not written
  // itself) and the tree below it (WriteTreeTar).
  Status RunTree(int dir_fd, const std::string& name, const std::string& archive_name) {
    BERTH_RETURN_IF_ERROR(Open());
    Opened o;
    BERTH_RETURN_IF_ERROR(OpenEntry(dir_fd, name, archive_name, &o));
    if (o.gone) return NotFound(upper_ + ": no such file or directory");
    if (!archive_name.empty()) BERTH_RETURN_IF_ERROR(WriteEntry(dir_fd, "", name, archive_name, o));
    if (S_ISDIR(o.st.st_mode)) BERTH_RETURN_IF_ERROR(Walk(o.fd.get(), archive_name));
    return Close();
  }

 private:
  Status Open() {
    a_.reset(archive_write_new());
    resolver_.reset(archive_entry_linkresolver_new());
    if (!a_ || !resolver_) return Internal("libarchive: out of memory");
    archive_write_set_format_pax_restricted(a_.get());
    archive_entry_linkresolver_set_strategy(resolver_.get(), ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
    archive_write_set_bytes_in_last_block(a_.get(), 1);
    if (archive_write_open(a_.get(), sink_, nullptr, SinkWrite, nullptr) != ARCHIVE_OK) return Error("open");
    return OkStatus();
  }

  std::string Prefix() const { return overlay_upper_ ? "layer diff: " : "archive of " + upper_ + ": "; }

  Status Close() {
    if (archive_write_close(a_.get()) != ARCHIVE_OK) return Error("close");
    return OkStatus();
  }

  Status Error(const std::string& what) {
    if (!sink_->error.ok()) return sink_->error;
    const char* msg = archive_error_string(a_.get());
    return Internal(Prefix() + what + ": " + (msg ? msg : "unknown libarchive error"));
  }

  // The longest path (relative to the upper directory) a diff takes.
  static constexpr size_t kMaxDiffPathBytes = 4095;

  Status Walk(int dir_fd, const std::string& rel) {
    std::string dir_path = Path(rel);
    // fdopendir takes over a duplicate; `dir_fd` stays the caller's.
    int list_fd = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
    if (list_fd < 0) return ErrnoStatus(Prefix() + "dup " + dir_path, errno);
    DIR* dir = ::fdopendir(list_fd);
    if (dir == nullptr) {
      int err = errno;
      ::close(list_fd);
      return ErrnoStatus(Prefix() + "opendir " + dir_path, err);
    }
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* de = ::readdir(dir)) {
      std::string name = de->d_name;
      if (name != "." && name != "..") names.push_back(std::move(name));
    }
    int err = errno;
    ::closedir(dir);
    if (err != 0) return ErrnoStatus(Prefix() + "readdir " + dir_path, err);
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      std::string child = rel.empty() ? name : rel + "/" + name;
      if (child.size() > kMaxDiffPathBytes) {
        // Bounds the walk's depth, its descriptors and its memory (each
        // level holds its path); a layer with such a path could not be
        // unpacked again anyway.
        return InvalidArgument(Prefix() + "the changes hold a path longer than " +
                               std::to_string(kMaxDiffPathBytes) + " bytes (" + child.substr(0, 64) +
                               "...); berth cannot store it in a layer");
      }
      Opened o;
      BERTH_RETURN_IF_ERROR(OpenEntry(dir_fd, name, child, &o));
      if (o.gone) continue;  // deleted while walking
      BERTH_RETURN_IF_ERROR(WriteEntry(dir_fd, rel, name, child, o));
      if (S_ISDIR(o.st.st_mode)) BERTH_RETURN_IF_ERROR(Walk(o.fd.get(), child));
    }
    return OkStatus();
  }

  std::string Path(const std::string& rel) const { return rel.empty() ? upper_ : upper_ + "/" + rel; }

  // An entry of a directory as the walk sees it: its stat and, for a regular
  // file or a directory, a descriptor of exactly that inode.
  struct Opened {
    struct stat st = {};
    UniqueFd fd;
    bool gone = false;
  };

  // Stats `name` in `dir_fd` without following it and opens a regular file
  // or directory with O_NOFOLLOW, taking the stat from the opened
  // descriptor: an entry swapped for a symlink (or anything else) between
  // the two is seen again as what it now is, so the walk never leaves the
  // upper directory through a link.
  Status OpenEntry(int dir_fd, const std::string& name, const std::string& rel, Opened* o) {
    for (int attempt = 0; attempt < kOpenAttempts; ++attempt) {
      if (::fstatat(dir_fd, name.c_str(), &o->st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT) {
          o->gone = true;
          return OkStatus();
        }
        return ErrnoStatus(Prefix() + "stat " + Path(rel), errno);
      }
      const bool is_dir = S_ISDIR(o->st.st_mode);
      if (!is_dir && !S_ISREG(o->st.st_mode)) return OkStatus();
      int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (is_dir ? O_DIRECTORY : 0);
      int fd;
      do {
        fd = ::openat(dir_fd, name.c_str(), flags);
      } while (fd < 0 && errno == EINTR);
      if (fd < 0) {
        if (errno == ENOENT || errno == ELOOP || errno == ENOTDIR) continue;  // changed: look again
        return ErrnoStatus(Prefix() + "open " + Path(rel), errno);
      }
      o->fd = UniqueFd(fd);
      struct stat now;
      if (::fstat(fd, &now) < 0) return ErrnoStatus(Prefix() + "stat " + Path(rel), errno);
      if ((now.st_mode & S_IFMT) != (o->st.st_mode & S_IFMT)) continue;  // swapped between stat and open
      o->st = now;
      return OkStatus();
    }
    return Aborted(Prefix() + Path(rel) + " keeps changing while it is read");
  }

  // An empty regular file carrying `st`'s owner, permission bits and mtime.
  Status WriteMarker(const std::string& path, const struct stat& st) {
    EntryPtr e(archive_entry_new());
    archive_entry_set_pathname(e.get(), path.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), st.st_mode & 0777);
    archive_entry_set_uid(e.get(), st.st_uid);
    archive_entry_set_gid(e.get(), st.st_gid);
    archive_entry_set_mtime(e.get(), st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    archive_entry_set_size(e.get(), 0);
    if (archive_write_header(a_.get(), e.get()) < ARCHIVE_WARN) return Error("header " + path);
    return OkStatus();
  }

  // The extended attributes of an entry: through its descriptor when it has
  // one, else by name below /proc/self/fd/<dir_fd> (the directory's own
  // inode; the l* calls do not follow the entry itself).
  Status AddXattrs(int dir_fd, const std::string& name, const Opened& o, const std::string& rel,
                   struct archive_entry* e, bool* opaque) {
    *opaque = false;
    const std::string by_name = "/proc/self/fd/" + std::to_string(dir_fd) + "/" + name;
    auto list = [&](char* buf, size_t n) {
      return o.fd.valid() ? ::flistxattr(o.fd.get(), buf, n) : ::llistxattr(by_name.c_str(), buf, n);
    };
    auto get = [&](const char* key, void* buf, size_t n) {
      return o.fd.valid() ? ::fgetxattr(o.fd.get(), key, buf, n) : ::lgetxattr(by_name.c_str(), key, buf, n);
    };
    ssize_t n = list(nullptr, 0);
    if (n < 0) {
      if (errno == ENOTSUP) return OkStatus();
      return ErrnoStatus(Prefix() + "listxattr " + Path(rel), errno);
    }
    std::vector<char> names(static_cast<size_t>(n) + 1);
    n = list(names.data(), names.size());
    if (n < 0) return ErrnoStatus(Prefix() + "listxattr " + Path(rel), errno);
    std::vector<std::string> sorted;
    for (ssize_t i = 0; i < n;) {
      std::string key(names.data() + i);
      i += static_cast<ssize_t>(key.size()) + 1;
      if (!key.empty()) sorted.push_back(std::move(key));
    }
    std::sort(sorted.begin(), sorted.end());
    for (const std::string& key : sorted) {
      ssize_t vn = get(key.c_str(), nullptr, 0);
      if (vn < 0) continue;  // removed meanwhile
      std::string value(static_cast<size_t>(vn), '\0');
      vn = get(key.c_str(), value.data(), value.size());
      if (vn < 0) continue;
      value.resize(static_cast<size_t>(vn));
      if (key == "trusted.overlay.opaque") {
        *opaque = value == "y";
        continue;
      }
      if (key.rfind("trusted.overlay.", 0) == 0) continue;  // overlayfs bookkeeping
      archive_entry_xattr_add_entry(e, key.c_str(), value.data(), value.size());
    }
    return OkStatus();
  }

  Status WriteEntry(int dir_fd, const std::string& parent, const std::string& name, const std::string& rel,
                    const Opened& o) {
    const struct stat& st = o.st;
    if (overlay_upper_ && IsWhiteout(st)) return WriteMarker(parent.empty() ? ".wh." + name : parent + "/.wh." + name, st);
    if (S_ISSOCK(st.st_mode)) return OkStatus();
    EntryPtr e(archive_entry_new());
    archive_entry_copy_stat(e.get(), &st);
    archive_entry_unset_atime(e.get());
    archive_entry_unset_ctime(e.get());
    archive_entry_unset_birthtime(e.get());
    archive_entry_set_pathname(e.get(), rel.c_str());
    if (!S_ISREG(st.st_mode)) archive_entry_set_size(e.get(), 0);
    if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size) + 256, '\0');
      ssize_t n = ::readlinkat(dir_fd, name.c_str(), target.data(), target.size());
      if (n < 0) return ErrnoStatus(Prefix() + "readlink " + Path(rel), errno);
      target.resize(static_cast<size_t>(n));
      archive_entry_set_symlink(e.get(), target.c_str());
    }
    bool opaque = false;
    BERTH_RETURN_IF_ERROR(AddXattrs(dir_fd, name, o, rel, e.get(), &opaque));

    struct archive_entry* entry = e.release();
    struct archive_entry* spare = nullptr;
    if (!S_ISDIR(st.st_mode)) archive_entry_linkify(resolver_.get(), &entry, &spare);
    EntryPtr owned(entry);
    EntryPtr owned_spare(spare);
    if (entry == nullptr) return OkStatus();  // deferred by the resolver (not with tar strategies)
    bool hardlink = archive_entry_hardlink(entry) != nullptr;
    if (hardlink) archive_entry_set_size(entry, 0);
    if (archive_write_header(a_.get(), entry) < ARCHIVE_WARN) return Error("header " + rel);
    if (S_ISREG(st.st_mode) && !hardlink && st.st_size > 0) {
      BERTH_RETURN_IF_ERROR(CopyData(o.fd.get(), Path(rel), st.st_size));
    }
    if (S_ISDIR(st.st_mode) && opaque && overlay_upper_) {
      BERTH_RETURN_IF_ERROR(WriteMarker(rel + "/.wh..wh..opq", st));
    }
    return OkStatus();
  }

  // Writes exactly `size` bytes of the open file (the size in the header); a
  // file that shrank meanwhile is padded with zeros by libarchive.
  Status CopyData(int fd, const std::string& path, int64_t size) {
    int64_t left = size;
    while (left > 0) {
      ssize_t n = ::read(fd, buf_.data(), static_cast<size_t>(std::min<int64_t>(left, buf_.size())));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(Prefix() + "read " + path, errno);
      }
      if (n == 0) break;
      if (archive_write_data(a_.get(), buf_.data(), static_cast<size_t>(n)) < 0) return Error("data " + path);
      left -= n;
    }
    return OkStatus();
  }

  std::string upper_;
  Sink* sink_;
  bool overlay_upper_;
  std::vector<char> buf_;
  std::unique_ptr<struct archive, WriteDeleter> a_;
  std::unique_ptr<struct archive_entry_linkresolver, ResolverDeleter> resolver_;
};

}  // namespace

Result<LayerDiff> DiffUpperDir(const std::string& upper, const std::function<Status(std::string_view)>& write) {
  Sink sink;
  sink.write = &write;
  DiffWriter w(upper, &sink);
  BERTH_RETURN_IF_ERROR(w.Run());
  LayerDiff out;
  out.diff_id = sink.sha.Finish();
  out.size = sink.size;
  return out;
}

Status WriteTreeTar(int dir_fd, const std::string& name, const std::string& archive_name, const std::string& what,
                    const WriteFn& write) {
  Sink sink;
  sink.write = &write;
  sink.hash = false;
  DiffWriter w(what, &sink, /*overlay_upper=*/false);
  return w.RunTree(dir_fd, name, archive_name);
}

}  // namespace berth
