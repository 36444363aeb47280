// Layer unpacking: two libarchive readers in a row. The outer one ("raw"
// format, every filter) turns the blob into the uncompressed tar stream; the
// inner one reads the tar from the outer's data, hashing every byte it hands
// over, so the diff ID is computed over exactly the uncompressed stream.
// Entries are written with archive_write_disk after our own path checks
// (".." components, parents that are symlinks, hard-link targets), with
// libarchive's SECURE_* checks kept as a second line of defence. OCI
// whiteouts are turned into overlayfs whiteouts here.

#include "berth/slash_path.h"
#include "snapshot/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "base/libarchive_filters.h"

namespace berth::snapshot {

namespace {

constexpr size_t kBufferSize = 1 << 20;
constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kWhiteoutMetaPrefix = ".wh..wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";

struct ReadDeleter {
  void operator()(struct archive* a) const { archive_read_free(a); }
};
struct WriteDeleter {
  void operator()(struct archive* a) const { archive_write_free(a); }
};
using ReadArchive = std::unique_ptr<struct archive, ReadDeleter>;
using WriteArchive = std::unique_ptr<struct archive, WriteDeleter>;

// State shared by the two read callbacks.
struct Stream {
  SequentialFile* blob = nullptr;
  struct archive* outer = nullptr;
  bool outer_eof = false;  // the outer stream is exhausted (or was empty)
  std::vector<char> blob_buf;
  std::vector<char> tar_buf;
  Sha256 sha;
  Status error;  // a failure of the blob read, kept to be reported as is
  const DecompressionLimits* limits = nullptr;
  std::string layer;       // names the layer in a limit's error
  int64_t compressed = 0;  // blob bytes read
  int64_t plain = 0;       // uncompressed bytes produced
  Status limit_error;      // a limit broken, reported as is
};

la_ssize_t OuterRead(struct archive* a, void* client, const void** out) {
  auto* s = static_cast<Stream*>(client);
  Result<size_t> n = s->blob->Read(s->blob_buf.data(), s->blob_buf.size());
  if (!n.ok()) {
    s->error = n.status();
    archive_set_error(a, EIO, "%s", n.status().message().c_str());
    return -1;
  }
  *out = s->blob_buf.data();
  s->compressed += static_cast<int64_t>(*n);
  return static_cast<la_ssize_t>(*n);
}

// Next piece of the uncompressed stream, hashed. 0 at its end.
la_ssize_t NextPlain(Stream* s, struct archive* reporter) {
  if (s->outer_eof) return 0;
  la_ssize_t n = archive_read_data(s->outer, s->tar_buf.data(), s->tar_buf.size());
  if (n < 0) {
    if (reporter != nullptr) {
      const char* msg = archive_error_string(s->outer);
      archive_set_error(reporter, EIO, "%s", msg ? msg : "decompression failed");
    }
    return -1;
  }
  if (n == 0) s->outer_eof = true;
  s->plain += n;
  s->limit_error = CheckDecompression(*s->limits, s->compressed, s->plain, "layer " + s->layer);
  if (!s->limit_error.ok()) {
    if (reporter != nullptr) archive_set_error(reporter, EFBIG, "%s", s->limit_error.message().c_str());
    return -1;
  }
  s->sha.Update(s->tar_buf.data(), static_cast<size_t>(n));
  return n;
}

la_ssize_t InnerRead(struct archive* a, void* client, const void** out) {
  auto* s = static_cast<Stream*>(client);
  *out = s->tar_buf.data();
  return NextPlain(s, a);
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

std::string Join(const std::string& dir, const std::string& rel) { return rel.empty() ? dir : dir + "/" + rel; }

class Unpacker {
 public:
  Unpacker(SequentialFile* blob, const std::string& dir, const std::string& layer, const DecompressionLimits& limits)
      : dir_(dir), layer_(layer) {
    stream_.blob = blob;
    stream_.limits = &limits;
    stream_.layer = layer;
    stream_.blob_buf.resize(kBufferSize);
    stream_.tar_buf.resize(kBufferSize);
  }

  Result<Digest> Run() {
    ReadArchive outer(archive_read_new());
    ReadArchive inner(archive_read_new());
    WriteArchive disk(archive_write_disk_new());
    if (!outer || !inner || !disk) return Internal("libarchive: out of memory");
    stream_.outer = outer.get();
    BERTH_RETURN_IF_ERROR(EnableBuiltinDecompression(outer.get()));
    archive_read_support_format_raw(outer.get());
    if (archive_read_open(outer.get(), &stream_, nullptr, OuterRead, nullptr) != ARCHIVE_OK) {
      return ReadError(outer.get());
    }
    struct archive_entry* raw_entry = nullptr;
    int r = archive_read_next_header(outer.get(), &raw_entry);
    if (r == ARCHIVE_EOF) {
      stream_.outer_eof = true;
    } else if (r != ARCHIVE_OK) {
      return ReadError(outer.get());
    }

    archive_read_support_format_tar(inner.get());
    if (archive_read_open(inner.get(), &stream_, nullptr, InnerRead, nullptr) != ARCHIVE_OK) {
      return ReadError(inner.get());
    }
    archive_write_disk_set_options(
        disk.get(), ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR |
                        ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT);
    // No user/group lookup is installed: owners are the tar's numeric IDs,
    // never names resolved against the host's passwd.
    in_ = inner.get();
    out_ = disk.get();

    for (;;) {
      struct archive_entry* entry = nullptr;
      r = archive_read_next_header(in_, &entry);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) return ReadError(in_);
      BERTH_RETURN_IF_ERROR(Entry(entry));
    }
    // Directory times and modes are fixed up at close.
    if (archive_write_close(out_) < ARCHIVE_WARN) return WriteError(".", out_);
    // The digest covers the whole stream, padding after the tar's end included.
    for (;;) {
      la_ssize_t n = NextPlain(&stream_, nullptr);
      if (n < 0) return ReadError(outer.get());
      if (n == 0) break;
    }
    return stream_.sha.Finish();
  }

 private:
  Status Escape(std::string_view path) const {
    return InvalidArgument("layer " + layer_ + ": path escapes the layer: " + std::string(path));
  }
  Status ReadError(struct archive* a) const {
    if (!stream_.limit_error.ok()) return stream_.limit_error;
    if (!stream_.error.ok()) return stream_.error.Annotate("layer " + layer_);
    const char* msg = archive_error_string(a);
    return DataLoss("layer " + layer_ + ": invalid layer tar: " + (msg ? msg : "unknown libarchive error"));
  }
  Status WriteError(std::string_view path, struct archive* a) const {
    const char* msg = archive_error_string(a);
    return Internal("layer " + layer_ + ": unpacking " + std::string(path) + ": " +
                    (msg ? msg : "unknown libarchive error"));
  }

  // Refuses a relative path (inside the layer) whose existing parents include
  // a symlink: writing there would land outside the layer or in another
  // part of it than the tar says. `raw` is the path as the tar gave it.
  Status CheckParents(const std::string& rel, std::string_view raw) const {
    size_t pos = 0;
    for (;;) {
      size_t slash = rel.find('/', pos);
      if (slash == std::string::npos) return OkStatus();
      std::string prefix = Join(dir_, rel.substr(0, slash));
      struct stat st;
      if (::lstat(prefix.c_str(), &st) < 0) {
        if (errno == ENOENT) return OkStatus();  // created by the write below
        return ErrnoStatus("layer " + layer_ + ": stat " + prefix, errno);
      }
      if (S_ISLNK(st.st_mode)) return Escape(raw);
      pos = slash + 1;
    }
  }

  // mkdir -p of a (checked) relative directory path inside the layer.
  Status MakeDirs(const std::string& rel) const {
    if (rel.empty()) return OkStatus();
    size_t pos = 0;
    for (;;) {
      size_t slash = rel.find('/', pos);
      std::string path = Join(dir_, rel.substr(0, slash));
      if (::mkdir(path.c_str(), 0755) < 0 && errno != EEXIST) {
        return ErrnoStatus("layer " + layer_ + ": mkdir " + path, errno);
      }
      if (slash == std::string::npos) return OkStatus();
      pos = slash + 1;
    }
  }

  Status Whiteout(const std::string& parent, const std::string& base, std::string_view raw) {
    BERTH_RETURN_IF_ERROR(MakeDirs(parent));
    std::string parent_path = Join(dir_, parent);
    if (base == kOpaqueMarker) {
      if (::lsetxattr(parent_path.c_str(), "trusted.overlay.opaque", "y", 1, 0) < 0) {
        return ErrnoStatus("layer " + layer_ + ": marking " + parent_path + " opaque", errno);
      }
      return OkStatus();
    }
    if (StartsWith(base, kWhiteoutMetaPrefix)) return OkStatus();  // aufs bookkeeping: skipped
    std::string name = base.substr(kWhiteoutPrefix.size());
    if (name.empty() || name == "." || name == "..") return Escape(raw);
    std::string path = parent_path + "/" + name;
    BERTH_RETURN_IF_ERROR(Env::Default()->RemoveAll(path));
    if (::mknod(path.c_str(), S_IFCHR | 0, makedev(0, 0)) < 0) {
      return ErrnoStatus("layer " + layer_ + ": whiteout " + path, errno);
    }
    return OkStatus();
  }

  // overlayfs' private xattrs (trusted.overlay.*: opaque, redirect, origin,
  // ...) only ever come from our own whiteout handling, never from a tar.
  static void DropOverlayXattrs(struct archive_entry* entry) {
    if (archive_entry_xattr_reset(entry) == 0) return;
    struct Xattr {
      std::string name;
      std::string value;
    };
    std::vector<Xattr> kept;
    bool dropped = false;
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    while (archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK) {
      if (StartsWith(name, "trusted.overlay.")) {
        dropped = true;
        continue;
      }
      kept.push_back({name, std::string(static_cast<const char*>(value), size)});
    }
    if (!dropped) return;
    archive_entry_xattr_clear(entry);
    for (const Xattr& x : kept) archive_entry_xattr_add_entry(entry, x.name.c_str(), x.value.data(), x.value.size());
  }

  Status Entry(struct archive_entry* entry) {
    const char* raw_c = archive_entry_pathname(entry);
    if (raw_c == nullptr) return DataLoss("layer " + layer_ + ": tar entry without a path");
    std::string raw = raw_c;
    std::optional<std::string> rel = CleanLayerPath(raw);
    if (!rel) return Escape(raw);
    size_t slash = rel->rfind('/');
    std::string parent = slash == std::string::npos ? std::string() : rel->substr(0, slash);
    std::string base = slash == std::string::npos ? *rel : rel->substr(slash + 1);
    BERTH_RETURN_IF_ERROR(CheckParents(*rel, raw));
    if (StartsWith(base, kWhiteoutPrefix)) return Whiteout(parent, base, raw);
    if (rel->empty() && archive_entry_filetype(entry) != AE_IFDIR) {
      return InvalidArgument("layer " + layer_ + ": the layer root is not a directory: " + raw);
    }

    const char* link_c = archive_entry_hardlink(entry);
    if (link_c != nullptr) {
      std::optional<std::string> target = CleanLayerPath(link_c);
      if (!target || target->empty()) return Escape(link_c);
      // The target itself may be a symlink: link(2) does not follow it.
      BERTH_RETURN_IF_ERROR(CheckParents(*target, link_c));
      std::string target_path = Join(dir_, *target);
      struct stat st;
      if (::lstat(target_path.c_str(), &st) < 0 || S_ISDIR(st.st_mode)) {
        return InvalidArgument("layer " + layer_ + ": hard link " + raw + " to a missing file: " + link_c);
      }
      archive_entry_set_hardlink(entry, target_path.c_str());
    }
    std::string full = Join(dir_, *rel);
    archive_entry_set_pathname(entry, full.c_str());
    DropOverlayXattrs(entry);

    int r = archive_write_header(out_, entry);
    if (r < ARCHIVE_WARN) {
      mode_t type = archive_entry_filetype(entry);
      bool device = type == AE_IFCHR || type == AE_IFBLK;
      if (device && archive_errno(out_) == EPERM) return OkStatus();  // no right to make devices: skipped
      return WriteError(raw, out_);
    }
    if (archive_entry_size(entry) > 0) {
      const void* buf = nullptr;
      size_t size = 0;
      la_int64_t offset = 0;
      for (;;) {
        int rr = archive_read_data_block(in_, &buf, &size, &offset);
        if (rr == ARCHIVE_EOF) break;
        if (rr < ARCHIVE_WARN) return ReadError(in_);
        if (archive_write_data_block(out_, buf, size, offset) < ARCHIVE_WARN) return WriteError(raw, out_);
      }
    }
    if (archive_write_finish_entry(out_) < ARCHIVE_WARN) return WriteError(raw, out_);
    return OkStatus();
  }

  std::string dir_;
  std::string layer_;
  Stream stream_;
  struct archive* in_ = nullptr;
  struct archive* out_ = nullptr;
};

}  // namespace

std::optional<std::string> CleanLayerPath(std::string_view path) {
  auto parts = ComponentsWithin(path);
  if (!parts) return std::nullopt;
  std::string out;
  for (const std::string& part : *parts) {
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

Result<Digest> UnpackLayer(SequentialFile* blob, const std::string& dir, const std::string& layer,
                           const DecompressionLimits& limits) {
  Unpacker u(blob, dir, layer, limits);
  return u.Run();
}

}  // namespace berth::snapshot
