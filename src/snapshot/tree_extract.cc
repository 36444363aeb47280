// ExtractTarInto (berth/tree_archive.h): every entry is checked before
// anything is written for it, and it is created by descriptors relative to
// the directory that holds it, with O_NOFOLLOW, so nothing lands outside the
// top directory.
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

#include "base/read_in_root.h"
#include "base/tar_input.h"
#include "base/unique_fd.h"
#include "berth/slash_path.h"
#include "berth/tree_archive.h"

namespace berth {

namespace {

// Go's path.Clean of a relative '/'-separated path ("" for ".").
std::string JoinComponents(const std::vector<std::string>& comps, size_t n) {
  std::string out;
  for (size_t i = 0; i < n && i < comps.size(); ++i) out += (i ? "/" : "") + comps[i];
  return out;
}

class Extractor {
 public:
  Extractor(int root_fd, std::string dest, const TreeExtractOptions& o)
      : root_fd_(root_fd), dest_(std::move(dest)), o_(o) {}

  Status Run(const ReadFn& read) {
    BERTH_RETURN_IF_ERROR(OpenTop());
    TarInput input(read);
    BERTH_RETURN_IF_ERROR(input.Open(o_.what));
    a_ = input.archive();
    input_ = &input;
    int64_t entries = 0;
    for (;;) {
      struct archive_entry* e = nullptr;
      int r = archive_read_next_header(a_, &e);
      if (r == ARCHIVE_EOF) break;
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return Fail("reading the archive");
      if (++entries > o_.max_entries) {
        return InvalidArgument(o_.what + ": more than " + std::to_string(o_.max_entries) + " entries");
      }
      BERTH_RETURN_IF_ERROR(Entry(e));
    }
    return OkStatus();
  }

 private:
  Status Refuse(const std::string& entry, const std::string& why) const {
    return InvalidArgument(o_.what + ": entry \"" + entry + "\": " + why);
  }

  Status Fail(std::string_view what) const { return input_->Failure(o_.what, what); }

  // A failed create of an entry: over an earlier directory it is the
  // archive's fault (InvalidArgument), otherwise the host's.
  Status CreateFailed(const std::string& what, const std::string& entry) const {
    if (errno == EEXIST || errno == EISDIR || errno == ENOTEMPTY) {
      return Refuse(entry, "replaces an earlier entry that is a directory");
    }
    return Internal(what + " " + entry + ": " + std::strerror(errno));
  }

  // The entry's path as components, or an error for absolute paths and "..".
  Result<std::vector<std::string>> Components(const std::string& raw) const {
    if (raw.starts_with("/")) return Refuse(raw, "absolute path");
    auto out = ComponentsWithin(raw);
    if (!out) return Refuse(raw, "path leaves the " + o_.place);
    return std::move(*out);
  }

  Status OpenTop() {
    std::string dest = dest_;
    while (dest.starts_with("/")) dest.erase(0, 1);
    int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
    int fd = o_.resolve_in_root ? internal::OpenInRoot(root_fd_, dest, flags)
                                : ::openat(root_fd_, dest.empty() ? "." : dest.c_str(), flags | O_NOFOLLOW);
    if (fd < 0) return ErrnoStatus(o_.what + ": open the destination /" + dest, errno);
    top_ = UniqueFd(fd);
    dest_rel_ = dest;
    return OkStatus();
  }

  // Opens the directory holding the entry's last component, creating missing
  // parents (0755). Returns its descriptor.
  Result<UniqueFd> OpenParent(const std::vector<std::string>& comps, const std::string& entry) {
    for (size_t i = 1; i < comps.size(); ++i) {
      if (symlinks_.contains(JoinComponents(comps, i))) {
        return Refuse(entry, "a parent is a symbolic link of the archive");
      }
    }
    UniqueFd fd(::fcntl(top_.get(), F_DUPFD_CLOEXEC, 0));
    if (!fd.valid()) return ErrnoStatus("dup", errno);
    for (size_t i = 0; i + 1 < comps.size(); ++i) {
      if (::mkdirat(fd.get(), comps[i].c_str(), 0755) != 0 && errno != EEXIST) {
        return Internal("mkdir " + comps[i] + ": " + std::strerror(errno));
      }
      int next;
      if (o_.resolve_in_root) {
        // Through what the tree already has (its own links), inside the root.
        std::string in_root =
            dest_rel_.empty() ? JoinComponents(comps, i + 1) : dest_rel_ + "/" + JoinComponents(comps, i + 1);
        next = internal::OpenInRoot(root_fd_, in_root, O_RDONLY | O_DIRECTORY);
      } else {
        next = ::openat(fd.get(), comps[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      }
      if (next < 0) return Refuse(entry, "a parent is not a directory (or is a symbolic link)");
      fd = UniqueFd(next);
    }
    return fd;
  }

  // Docker's NoOverwriteDirNonDir over what `name` in `parent` is now.
  Status CheckOverwrite(int parent, const std::string& name, bool entry_is_dir, const std::string& raw) const {
    if (!o_.no_overwrite_dir_non_dir) return OkStatus();
    struct stat st;
    if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return OkStatus();
    if (S_ISDIR(st.st_mode) && !entry_is_dir) {
      return InvalidArgument("cannot overwrite directory \"" + raw + "\" with non-directory");
    }
    if (!S_ISDIR(st.st_mode) && entry_is_dir) {
      return InvalidArgument("cannot overwrite non-directory \"" + raw + "\" with directory");
    }
    return OkStatus();
  }

  // Owner, mode and time of a created entry (by name: it may be a link).
  Status Finish(int parent, const std::string& name, struct archive_entry* e, mode_t type, const std::string& raw) {
    if (o_.keep_owners || o_.fixed_owner) {
      auto uid = static_cast<uid_t>(o_.fixed_owner ? o_.uid : archive_entry_uid(e));
      auto gid = static_cast<gid_t>(o_.fixed_owner ? o_.gid : archive_entry_gid(e));
      if (::fchownat(parent, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0) {
        return Internal("chown " + raw + ": " + std::strerror(errno));
      }
    }
    if (type == AE_IFLNK) return OkStatus();  // no mode; its time is not kept
    mode_t mode = archive_entry_mode(e) & (o_.keep_modes_and_times ? 07777 : 0777);
    if (type == AE_IFDIR && !o_.keep_modes_and_times) mode |= 0700;
    // After chown, which clears setuid/setgid.
    if (::fchmodat(parent, name.c_str(), mode, 0) != 0) return Internal("chmod " + raw + ": " + std::strerror(errno));
    if (o_.keep_modes_and_times) {
      struct timespec times[2];
      times[0].tv_sec = archive_entry_atime(e);
      times[0].tv_nsec = archive_entry_atime_nsec(e);
      times[1].tv_sec = archive_entry_mtime(e);
      times[1].tv_nsec = archive_entry_mtime_nsec(e);
      if (!archive_entry_atime_is_set(e)) times[0] = times[1];
      ::utimensat(parent, name.c_str(), times, AT_SYMLINK_NOFOLLOW);
    }
    return OkStatus();
  }

  Status Entry(struct archive_entry* e) {
    const char* p = archive_entry_pathname(e);
    std::string raw = p ? p : "";
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> comps, Components(raw));
    if (comps.empty()) return OkStatus();  // "./"
    std::string clean = JoinComponents(comps, comps.size());
    if (const char* hl = archive_entry_hardlink(e)) {
      BERTH_ASSIGN_OR_RETURN(std::vector<std::string> tcomps, Components(hl));
      std::string target = JoinComponents(tcomps, tcomps.size());
      if (!files_.contains(target)) {
        return Refuse(raw, "hard link to \"" + target + "\", not a file of the " + o_.place);
      }
      BERTH_ASSIGN_OR_RETURN(UniqueFd tparent, OpenParent(tcomps, raw));
      BERTH_ASSIGN_OR_RETURN(UniqueFd parent, OpenParent(comps, raw));
      BERTH_RETURN_IF_ERROR(CheckOverwrite(parent.get(), comps.back(), false, raw));
      ::unlinkat(parent.get(), comps.back().c_str(), 0);
      if (::linkat(tparent.get(), tcomps.back().c_str(), parent.get(), comps.back().c_str(), 0) != 0) {
        return CreateFailed("link", raw);
      }
      files_.insert(clean);
      symlinks_.erase(clean);
      return OkStatus();
    }
    mode_t type = archive_entry_filetype(e);
    if (type != AE_IFDIR && type != AE_IFLNK && type != AE_IFREG) {
      return Refuse(raw, "devices, FIFOs and sockets are not allowed");
    }
    BERTH_ASSIGN_OR_RETURN(UniqueFd parent, OpenParent(comps, raw));
    const std::string& name = comps.back();
    BERTH_RETURN_IF_ERROR(CheckOverwrite(parent.get(), name, type == AE_IFDIR, raw));
    symlinks_.erase(clean);
    if (type == AE_IFDIR) {
      if (::mkdirat(parent.get(), name.c_str(), 0700) != 0 && errno != EEXIST) {
        return Internal("mkdir " + clean + ": " + std::strerror(errno));
      }
      struct stat st;
      if (::fstatat(parent.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)) {
        return Refuse(raw, "a directory over an earlier entry that is not one");
      }
    } else if (type == AE_IFLNK) {
      const char* t = archive_entry_symlink(e);
      std::string target = t ? t : "";
      if (!o_.any_symlink_target) {
        if (target.starts_with("/")) return Refuse(raw, "symbolic link to an absolute path (" + target + ")");
        std::vector<std::string> resolved(comps.begin(), comps.end() - 1);
        for (const auto& c : Split(target)) {
          if (c == "..") {
            if (resolved.empty()) return Refuse(raw, "symbolic link leaving the " + o_.place + " (" + target + ")");
            resolved.pop_back();
          } else if (c != ".") {
            resolved.push_back(c);
          }
        }
      }
      ::unlinkat(parent.get(), name.c_str(), 0);
      if (::symlinkat(target.c_str(), parent.get(), name.c_str()) != 0) return CreateFailed("symlink", raw);
      symlinks_.insert(clean);
    } else {
      ::unlinkat(parent.get(), name.c_str(), 0);
      int fd = ::openat(parent.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd < 0) return CreateFailed("create", raw);
      UniqueFd file(fd);
      for (;;) {
        la_ssize_t n = archive_read_data(a_, buf_.data(), buf_.size());
        if (n < 0) return Fail("reading " + clean);
        if (n == 0) break;
        bytes_ += n;
        if (bytes_ > o_.max_bytes) {
          return InvalidArgument(o_.what + ": more than " + std::to_string(o_.max_bytes) + " bytes");
        }
        for (la_ssize_t off = 0; off < n;) {
          ssize_t w = ::write(file.get(), buf_.data() + off, static_cast<size_t>(n - off));
          if (w < 0) return Internal("write " + clean + ": " + std::strerror(errno));
          off += w;
        }
      }
      files_.insert(clean);
    }
    return Finish(parent.get(), name, e, type, raw);
  }

  static std::vector<std::string> Split(const std::string& path) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos <= path.size()) {
      size_t end = path.find('/', pos);
      if (end == std::string::npos) end = path.size();
      if (end > pos) out.push_back(path.substr(pos, end - pos));
      pos = end + 1;
    }
    return out;
  }

  int root_fd_;
  std::string dest_;
  std::string dest_rel_;  // dest_ without leading '/'
  const TreeExtractOptions& o_;
  UniqueFd top_;
  struct archive* a_ = nullptr;
  const TarInput* input_ = nullptr;
  std::set<std::string> files_;     // regular files extracted (hard-link targets)
  std::set<std::string> symlinks_;  // symbolic links the archive created
  int64_t bytes_ = 0;
  std::vector<char> buf_ = std::vector<char>(1 << 20);
};

}  // namespace

Status ExtractTarInto(const ReadFn& read, int root_fd, const std::string& dest, const TreeExtractOptions& opts) {
  Extractor x(root_fd, dest, opts);
  return x.Run(read);
}

}  // namespace berth
