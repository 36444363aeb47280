// Env::ReadFileInRoot: see berth/env.h and read_in_root.h.

#include "base/read_in_root.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <deque>
#include <string_view>
#include <utility>
#include <vector>

#include "base/unique_fd.h"

namespace berth::internal {

namespace {

// Symlinks followed in one resolution at most, as the kernel's MAXSYMLINKS.
constexpr int kMaxSymlinks = 40;
// openat2 returns EAGAIN when a concurrent rename might have let ".." escape;
// retried this many times, then the error stands.
constexpr int kOpenat2Attempts = 8;
// The flags of the final open: never block on a FIFO, never acquire a
// controlling terminal, never leak into a child.
constexpr int kReadFlags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;

// The components of `path` in order, without empty ones ("a//b", "/a").
void PushComponents(std::string_view path, std::deque<std::string>* out, bool front) {
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > pos) parts.emplace_back(path.substr(pos, slash - pos));
    pos = slash + 1;
  }
  if (front) {
    out->insert(out->begin(), parts.begin(), parts.end());
  } else {
    out->insert(out->end(), parts.begin(), parts.end());
  }
}

int OpenatRetry(int dirfd, const char* name, int flags) {
  int fd;
  do {
    fd = ::openat(dirfd, name, flags);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// Resolves `path` below `root_fd` one component at a time. Every component is
// opened O_PATH|O_NOFOLLOW relative to its parent's descriptor, so nothing
// between two steps can redirect the walk; a symlink's target is read from the
// link's own descriptor and its components are walked in its place (an
// absolute target from `root_fd`); ".." pops a descriptor and stops at the
// root. The last component is opened with `flags` (O_CLOEXEC added); with
// O_NOFOLLOW a symlink there is opened itself, not followed. Returns the
// descriptor, or -1 with errno set.
int OpenByWalk(int root_fd, std::string_view path, int flags) {
  flags |= O_CLOEXEC;
  std::vector<UniqueFd> dirs;  // descriptors below the root, innermost last
  auto current = [&] { return dirs.empty() ? root_fd : dirs.back().get(); };
  std::deque<std::string> todo;
  PushComponents(path, &todo, /*front=*/false);
  int links = 0;
  while (!todo.empty()) {
    std::string name = std::move(todo.front());
    todo.pop_front();
    if (name == ".") continue;
    if (name == "..") {
      if (!dirs.empty()) dirs.pop_back();
      continue;
    }
    if (todo.empty() && (flags & O_NOFOLLOW) != 0) return OpenatRetry(current(), name.c_str(), flags);
    UniqueFd fd(OpenatRetry(current(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) return -1;
    struct stat st;
    if (::fstat(fd.get(), &st) < 0) return -1;
    if (S_ISLNK(st.st_mode)) {
      if (++links > kMaxSymlinks) {
        errno = ELOOP;
        return -1;
      }
      char target[PATH_MAX];
      ssize_t n = ::readlinkat(fd.get(), "", target, sizeof(target));
      if (n < 0) return -1;
      if (static_cast<size_t>(n) >= sizeof(target)) {
        errno = ENAMETOOLONG;
        return -1;
      }
      std::string_view t(target, static_cast<size_t>(n));
      if (!t.empty() && t[0] == '/') dirs.clear();
      PushComponents(t, &todo, /*front=*/true);
      continue;
    }
    if (todo.empty()) {
      // The last component: open it for reading from the same parent. If it
      // was swapped for a symlink meanwhile, O_NOFOLLOW refuses it (ELOOP).
      return OpenatRetry(current(), name.c_str(), flags | O_NOFOLLOW);
    }
    if (!S_ISDIR(st.st_mode)) {
      errno = ENOTDIR;
      return -1;
    }
    dirs.push_back(std::move(fd));
  }
  // The path names the root itself (or a directory reached by ".." only).
  return OpenatRetry(current(), ".", flags & ~O_NOFOLLOW);
}

// openat2(RESOLVE_IN_ROOT). -1 with errno ENOSYS when openat2 is unavailable.
int OpenByOpenat2(int root_fd, const std::string& path, int flags) {
  struct open_how how = {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  for (int attempt = 0; attempt < kOpenat2Attempts; ++attempt) {
    long fd = ::syscall(SYS_openat2, root_fd, path.empty() ? "." : path.c_str(), &how, sizeof(how));
    if (fd >= 0) return static_cast<int>(fd);
    if (errno != EINTR && errno != EAGAIN) return -1;
  }
  return -1;
}

// OpenBeneathNoSymlinks without openat2: each component opened O_PATH |
// O_NOFOLLOW from its parent's descriptor; a symlink anywhere is ELOOP, a
// ".." that pops above the base EXDEV.
int OpenBeneathByWalk(int base_fd, const std::string& path) {
  if (!path.empty() && path[0] == '/') {
    errno = EXDEV;
    return -1;
  }
  std::deque<std::string> todo;
  PushComponents(path, &todo, /*front=*/false);
  std::vector<UniqueFd> dirs;  // descriptors below the base, innermost last
  auto current = [&] { return dirs.empty() ? base_fd : dirs.back().get(); };
  for (const std::string& name : todo) {
    if (name == ".") continue;
    if (name == "..") {
      if (dirs.empty()) {
        errno = EXDEV;
        return -1;
      }
      dirs.pop_back();
      continue;
    }
    UniqueFd fd(OpenatRetry(current(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) return -1;
    struct stat st;
    if (::fstat(fd.get(), &st) < 0) return -1;
    if (S_ISLNK(st.st_mode)) {
      errno = ELOOP;
      return -1;
    }
    dirs.push_back(std::move(fd));
  }
  if (dirs.empty()) return OpenatRetry(base_fd, ".", O_PATH | O_CLOEXEC);
  return dirs.back().release();
}

Status ErrorIn(const std::string& root, const std::string& path, std::string_view what, int err) {
  std::string m = std::string(what) + " " + path + " in " + root;
  return ErrnoStatus(m, err);
}

// openat2 is missing (ENOSYS) or refused by a seccomp filter (EPERM).
bool Openat2Unavailable(int err) { return err == ENOSYS || err == EPERM; }

Result<std::string> ReadOpened(UniqueFd fd, const std::string& root, const std::string& path, uint64_t max_bytes) {
  struct stat st;
  if (::fstat(fd.get(), &st) < 0) return ErrorIn(root, path, "stat", errno);
  if (!S_ISREG(st.st_mode)) {
    return FailedPrecondition("read " + path + " in " + root + ": not a regular file");
  }
  auto too_large = [&] {
    return Status(Code::kOutOfRange,
                  "read " + path + " in " + root + ": larger than " + std::to_string(max_bytes) + " bytes");
  };
  if (static_cast<uint64_t>(st.st_size) > max_bytes) return too_large();
  // The size is a hint (the file may grow while we read): read at most one
  // byte past the cap to tell "exactly max_bytes" from "more".
  std::string out;
  out.resize(static_cast<size_t>(std::min<uint64_t>(max_bytes + 1, static_cast<uint64_t>(st.st_size) + 1)));
  size_t len = 0;
  while (true) {
    if (len == out.size()) {
      if (len > max_bytes) return too_large();
      out.resize(static_cast<size_t>(std::min<uint64_t>(max_bytes + 1, out.size() * 2 + 4096)));
    }
    ssize_t r = ::read(fd.get(), out.data() + len, out.size() - len);
    if (r < 0) {
      if (errno == EINTR) continue;
      return ErrorIn(root, path, "read", errno);
    }
    if (r == 0) break;
    len += static_cast<size_t>(r);
  }
  if (len > max_bytes) return too_large();
  out.resize(len);
  return out;
}

}  // namespace

Result<std::string> ReadFileInRootWith(InRootResolver resolver, const std::string& root, const std::string& path,
                                       uint64_t max_bytes) {
  UniqueFd root_fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd.valid()) return ErrnoStatus("open " + root, errno);
  int fd = resolver == InRootResolver::kOpenat2 ? OpenByOpenat2(root_fd.get(), path, kReadFlags)
                                                : OpenByWalk(root_fd.get(), path, kReadFlags);
  if (fd < 0) {
    int err = errno;
    if (resolver == InRootResolver::kOpenat2 && Openat2Unavailable(err)) {
      return Unimplemented("openat2: " + std::string(std::strerror(err)));
    }
    return ErrorIn(root, path, "open", err);
  }
  return ReadOpened(UniqueFd(fd), root, path, max_bytes);
}

namespace {
// Once openat2 proved unavailable, go straight to the walk.
std::atomic<bool> openat2_unavailable{false};
}  // namespace

int OpenInRoot(int root_fd, const std::string& path, int flags) {
  if (!openat2_unavailable.load(std::memory_order_relaxed)) {
    int fd = OpenByOpenat2(root_fd, path, flags);
    if (fd >= 0 || !Openat2Unavailable(errno)) return fd;
    openat2_unavailable.store(true, std::memory_order_relaxed);
  }
  return OpenByWalk(root_fd, path, flags);
}

int OpenBeneathNoSymlinksByWalk(int base_fd, const std::string& path) { return OpenBeneathByWalk(base_fd, path); }

int OpenBeneathNoSymlinks(int base_fd, const std::string& path) {
  struct open_how how = {};
  how.flags = static_cast<uint64_t>(O_PATH | O_CLOEXEC);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  for (int attempt = 0; attempt < kOpenat2Attempts; ++attempt) {
    long fd = ::syscall(SYS_openat2, base_fd, path.empty() ? "." : path.c_str(), &how, sizeof(how));
    if (fd >= 0) return static_cast<int>(fd);
    if (errno == EINTR || errno == EAGAIN) continue;
    if (Openat2Unavailable(errno)) return OpenBeneathByWalk(base_fd, path);
    return -1;
  }
  return -1;
}

Result<std::string> ReadFileInRoot(const std::string& root, const std::string& path, uint64_t max_bytes) {
  if (!openat2_unavailable.load(std::memory_order_relaxed)) {
    auto r = ReadFileInRootWith(InRootResolver::kOpenat2, root, path, max_bytes);
    if (r.ok() || r.status().code() != Code::kUnimplemented) return r;
    openat2_unavailable.store(true, std::memory_order_relaxed);
  }
  return ReadFileInRootWith(InRootResolver::kWalk, root, path, max_bytes);
}

}  // namespace berth::internal
