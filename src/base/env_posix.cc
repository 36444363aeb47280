// The POSIX Env (Env::Default()) and WriteFileAtomic.
//
// Every descriptor is opened with O_CLOEXEC, every system call that can be
// interrupted is retried on EINTR, and every error names the path involved.

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <vector>

#include "base/read_in_root.h"
#include "berth/env.h"
#include "berth/mutex.h"

namespace berth {

namespace {

Status PathError(std::string_view op, const std::string& path, int err) {
  std::string what(op);
  what += ' ';
  what += path;
  return ErrnoStatus(what, err);
}

int OpenRetry(const char* path, int flags, mode_t mode = 0) {
  int fd;
  do {
    fd = ::open(path, flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// close(2) must not be retried on Linux: the descriptor is gone either way.
int CloseFd(int fd) {
  int r = ::close(fd);
  if (r < 0 && errno == EINTR) return 0;
  return r;
}

int FsyncRetry(int fd) {
  int r;
  do {
    r = ::fsync(fd);
  } while (r < 0 && errno == EINTR);
  return r;
}

// Written data is handed to the kernel's writeback in steps of this size
// (sync_file_range, asynchronous), so that disk writes overlap with whatever
// the writer does meanwhile (hashing, reading) and a final Sync() only waits
// for the tail, instead of for the whole file.
constexpr uint64_t kWritebackStep = 8 << 20;

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) CloseFd(fd_);
  }

  Status Append(std::string_view data) override {
    if (fd_ < 0) return FailedPrecondition("write " + path_ + ": file is closed");
    const char* p = data.data();
    size_t left = data.size();
    while (left > 0) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        return PathError("write", path_, errno);
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
    offset_ += data.size();
    if (offset_ - writeback_from_ >= kWritebackStep) {
      // A hint only: errors surface at Sync(), which callers must call anyway.
      ::sync_file_range(fd_, static_cast<off_t>(writeback_from_),
                        static_cast<off_t>(offset_ - writeback_from_), SYNC_FILE_RANGE_WRITE);
      writeback_from_ = offset_;
    }
    return OkStatus();
  }

  Status Sync() override {
    if (fd_ < 0) return FailedPrecondition("fsync " + path_ + ": file is closed");
    if (FsyncRetry(fd_) < 0) return PathError("fsync", path_, errno);
    return OkStatus();
  }

  Status Close() override {
    if (fd_ < 0) return OkStatus();
    int fd = fd_;
    fd_ = -1;
    if (CloseFd(fd) < 0) return PathError("close", path_, errno);
    return OkStatus();
  }

 private:
  std::string path_;
  int fd_;
  uint64_t offset_ = 0;          // bytes appended so far
  uint64_t writeback_from_ = 0;  // start of the range not yet handed to writeback
};

class PosixSequentialFile final : public SequentialFile {
 public:
  PosixSequentialFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixSequentialFile() override { CloseFd(fd_); }

  Result<size_t> Read(char* scratch, size_t n) override {
    while (true) {
      ssize_t r = ::read(fd_, scratch, n);
      if (r >= 0) return static_cast<size_t>(r);
      if (errno != EINTR) return PathError("read", path_, errno);
    }
  }

  Status Skip(uint64_t n) override {
    if (::lseek(fd_, static_cast<off_t>(n), SEEK_CUR) < 0) return PathError("seek", path_, errno);
    return OkStatus();
  }

 private:
  std::string path_;
  int fd_;
};

FileInfo ToFileInfo(const struct stat& st) {
  FileInfo info;
  info.size = static_cast<uint64_t>(st.st_size);
  info.mtime_unix_nanos = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  info.is_directory = S_ISDIR(st.st_mode);
  info.mode = static_cast<uint32_t>(st.st_mode & 07777);
  return info;
}

// Opens a directory for listing; takes ownership of nothing on failure.
DIR* OpenDirAt(int dirfd, const char* name, bool nofollow) {
  int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0);
  int fd;
  do {
    fd = ::openat(dirfd, name, flags);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return nullptr;
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    int saved = errno;
    CloseFd(fd);
    errno = saved;
  }
  return dir;
}

// Removes the contents of the directory open as `dir` (at `path`, for
// messages), then nothing else. Symlinks are removed, never followed.
// Opens `name` in `dirfd` as a directory, never through a symlink; -1 on error.
int OpenDirFd(int dirfd, const char* name) {
  int fd;
  do {
    fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// Empties the directory open as `top_fd` (named `path` in errors), whatever
// its depth: an iterative walk that holds at most three descriptors and no
// path longer than one name (openat/unlinkat, O_NOFOLLOW), so neither the
// descriptor limit, nor the stack, nor PATH_MAX bounds the depth. Going back
// up is through "..", checked against the device and inode seen on the way
// down (a directory moved meanwhile stops the walk with an error).
Status RemoveTree(int top_fd, const std::string& path) {
  struct Level {
    std::string name;  // of the directory entered, in its parent
    dev_t parent_dev;
    ino_t parent_ino;
  };
  std::vector<Level> down;  // the directories entered below `top_fd`
  auto where = [&]() {
    std::string p = path;
    for (const Level& l : down) p += "/" + l.name;
    return p;
  };
  int fd = ::fcntl(top_fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return PathError("dup", path, errno);
  auto fail = [&](std::string_view op, const std::string& at, int err) {
    CloseFd(fd);
    return PathError(op, at, err);
  };
  while (true) {
    // Unlink what is not a directory; stop at the first directory.
    int scan_fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (scan_fd < 0) return fail("dup", where(), errno);
    DIR* dir = ::fdopendir(scan_fd);
    if (dir == nullptr) {
      int err = errno;
      CloseFd(scan_fd);
      return fail("opendir", where(), err);
    }
    std::string subdir;
    int err = 0;
    std::string err_op, err_name;
    while (true) {
      errno = 0;
      struct dirent* e = ::readdir(dir);
      if (e == nullptr) {
        if (errno != 0) {
          err = errno;
          err_op = "readdir";
        }
        break;
      }
      std::string_view name(e->d_name);
      if (name == "." || name == "..") continue;
      bool is_dir = e->d_type == DT_DIR;
      if (e->d_type == DT_UNKNOWN) {
        struct stat st;
        if (::fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
          if (errno == ENOENT) continue;
          err = errno;
          err_op = "stat";
          err_name = e->d_name;
          break;
        }
        is_dir = S_ISDIR(st.st_mode);
      }
      if (is_dir) {
        subdir = e->d_name;
        break;
      }
      if (::unlinkat(fd, e->d_name, 0) < 0 && errno != ENOENT) {
        err = errno;
        err_op = "unlink";
        err_name = e->d_name;
        break;
      }
    }
    ::closedir(dir);  // closes scan_fd
    if (err != 0) return fail(err_op, err_name.empty() ? where() : where() + "/" + err_name, err);
    if (!subdir.empty()) {
      struct stat here;
      if (::fstat(fd, &here) < 0) return fail("stat", where(), errno);
      int child = OpenDirFd(fd, subdir.c_str());
      if (child < 0) {
        if (errno == ENOENT) continue;  // gone meanwhile: rescan
        return fail("opendir", where() + "/" + subdir, errno);
      }
      CloseFd(fd);
      fd = child;
      down.push_back({std::move(subdir), here.st_dev, here.st_ino});
      continue;
    }
    // `fd` is empty.
    if (down.empty()) break;
    int parent = OpenDirFd(fd, "..");
    if (parent < 0) return fail("opendir", where() + "/..", errno);
    struct stat st;
    if (::fstat(parent, &st) < 0 || st.st_dev != down.back().parent_dev || st.st_ino != down.back().parent_ino) {
      CloseFd(parent);
      return fail("remove (a directory moved during the removal)", where(), EBUSY);
    }
    CloseFd(fd);
    fd = parent;
    Level entered = std::move(down.back());
    down.pop_back();
    if (::unlinkat(fd, entered.name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT) {
      return fail("rmdir", where() + "/" + entered.name, errno);
    }
  }
  CloseFd(fd);
  return OkStatus();
}

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override {
    ::flock(fd_, LOCK_UN);
    CloseFd(fd_);
  }

 private:
  int fd_;
};

// inotify descriptors are kept for reuse: closing one waits for the
// kernel's notification grace period (measured at ~14 ms here, on every
// container's start path), while removing a watch does not.
class InotifyPool {
 public:
  // A descriptor with no watch (events of an earlier use drained), or -1
  // with errno set.
  int Take() {
    {
      MutexLock l(&mu_);
      if (!idle_.empty()) {
        int fd = idle_.back();
        idle_.pop_back();
        Drain(fd);
        return fd;
      }
    }
    return ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  }
  void Give(int fd) {
    MutexLock l(&mu_);
    if (idle_.size() < kMaxIdle) {
      idle_.push_back(fd);
      return;
    }
    CloseFd(fd);
  }
  static void Drain(int fd) {
    alignas(struct inotify_event) char buf[4096];
    while (::read(fd, buf, sizeof(buf)) > 0) {
    }
  }

 private:
  static constexpr size_t kMaxIdle = 64;
  Mutex mu_;
  std::vector<int> idle_ GUARDED_BY(mu_);
};

InotifyPool& Inotifies() {
  static InotifyPool* pool = new InotifyPool;  // never deleted
  return *pool;
}

// inotify on one directory: creations, renames into it and closes after
// writing wake the waiter; the events themselves are drained, not read.
class InotifyDirWatch final : public DirWatch {
 public:
  InotifyDirWatch(int fd, int wd) : fd_(fd), wd_(wd) {}
  ~InotifyDirWatch() override {
    ::inotify_rm_watch(fd_, wd_);
    Inotifies().Give(fd_);
  }

  bool WaitForChange(int timeout_ms) override {
    struct pollfd p = {fd_, POLLIN, 0};
    int r;
    do {
      r = ::poll(&p, 1, timeout_ms < 0 ? -1 : timeout_ms);
    } while (r < 0 && errno == EINTR);
    if (r <= 0) return false;
    InotifyPool::Drain(fd_);
    return true;
  }

 private:
  int fd_;
  int wd_;
};

// Where no inotify descriptor can be had (limits reached): a plain sleep, and
// the caller re-checks its condition.
class SleepingDirWatch final : public DirWatch {
 public:
  bool WaitForChange(int timeout_ms) override {
    struct timespec ts = {timeout_ms / 1000, static_cast<long>(timeout_ms % 1000) * 1000000};
    while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
    return true;
  }
};

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    int fd = OpenRetry(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
    if (fd < 0) return PathError("open", path, errno);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd));
  }

  Result<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) override {
    int fd = OpenRetry(path.c_str(), O_RDONLY);
    if (fd < 0) return PathError("open", path, errno);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);  // a hint; failure is harmless
    return std::unique_ptr<SequentialFile>(new PosixSequentialFile(path, fd));
  }

  Result<std::string> ReadFileToString(const std::string& path) override {
    int fd = OpenRetry(path.c_str(), O_RDONLY);
    if (fd < 0) return PathError("open", path, errno);
    struct stat st;
    if (::fstat(fd, &st) < 0) {
      Status s = PathError("stat", path, errno);
      CloseFd(fd);
      return s;
    }
    if (S_ISDIR(st.st_mode)) {
      CloseFd(fd);
      return PathError("read", path, EISDIR);
    }
    std::string out;
    // The size is a hint: the file may change while we read it.
    size_t cap = st.st_size > 0 ? static_cast<size_t>(st.st_size) + 1 : 4096;
    out.resize(cap);
    size_t len = 0;
    while (true) {
      if (len == out.size()) out.resize(out.size() * 2);
      ssize_t r = ::read(fd, out.data() + len, out.size() - len);
      if (r < 0) {
        if (errno == EINTR) continue;
        Status s = PathError("read", path, errno);
        CloseFd(fd);
        return s;
      }
      if (r == 0) break;
      len += static_cast<size_t>(r);
    }
    CloseFd(fd);
    out.resize(len);
    return out;
  }

  Result<std::string> ReadFileInRoot(const std::string& root, const std::string& path,
                                     uint64_t max_bytes) override {
    return internal::ReadFileInRoot(root, path, max_bytes);
  }

  Result<FileInfo> Stat(const std::string& path) override {
    struct stat st;
    if (::fstatat(AT_FDCWD, path.c_str(), &st, 0) < 0) return PathError("stat", path, errno);
    return ToFileInfo(st);
  }

  bool FileExists(const std::string& path) override {
    struct stat st;
    return ::fstatat(AT_FDCWD, path.c_str(), &st, 0) == 0;
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) < 0) {
      return ErrnoStatus("rename " + from + " " + to, errno);
    }
    return OkStatus();
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) < 0) return PathError("unlink", path, errno);
    return OkStatus();
  }

  Status CreateDirs(const std::string& path, uint32_t mode) override {
    if (path.empty()) return InvalidArgument("mkdir: empty path");
    // Fast path: it already exists.
    struct stat st;
    if (::fstatat(AT_FDCWD, path.c_str(), &st, 0) == 0) {
      if (S_ISDIR(st.st_mode)) return OkStatus();
      return PathError("mkdir", path, ENOTDIR);
    }
    // Create each component in turn, tolerating ones that exist (possibly
    // created concurrently by someone else).
    size_t pos = 0;
    while (pos != std::string::npos) {
      pos = path.find('/', pos + 1);
      std::string prefix = path.substr(0, pos);
      if (prefix.empty() || prefix.back() == '/') continue;  // "//" or root
      if (::mkdir(prefix.c_str(), static_cast<mode_t>(mode)) == 0) continue;
      int err = errno;
      if (err == EEXIST) {
        if (::fstatat(AT_FDCWD, prefix.c_str(), &st, 0) == 0 && S_ISDIR(st.st_mode)) continue;
        return PathError("mkdir", prefix, ENOTDIR);
      }
      return PathError("mkdir", prefix, err);
    }
    return OkStatus();
  }

  Status Chmod(const std::string& path, uint32_t mode) override {
    if (::fchmodat(AT_FDCWD, path.c_str(), static_cast<mode_t>(mode), AT_SYMLINK_NOFOLLOW) == 0) return OkStatus();
    int err = errno;
    struct stat st;
    if ((err == EOPNOTSUPP || err == ENOTSUP) && ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
      return FailedPrecondition("chmod " + path + ": is a symbolic link");
    }
    return PathError("chmod", path, err);
  }

  Status RemoveAll(const std::string& path) override {
    if (path.empty()) return InvalidArgument("remove: empty path");
    struct stat st;
    if (::fstatat(AT_FDCWD, path.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno == ENOENT) return OkStatus();
      return PathError("stat", path, errno);
    }
    if (!S_ISDIR(st.st_mode)) {
      if (::unlink(path.c_str()) < 0 && errno != ENOENT) return PathError("unlink", path, errno);
      return OkStatus();
    }
    int fd = OpenDirFd(AT_FDCWD, path.c_str());
    if (fd < 0) {
      if (errno == ENOENT) return OkStatus();
      return PathError("opendir", path, errno);
    }
    Status s = RemoveTree(fd, path);
    CloseFd(fd);
    BERTH_RETURN_IF_ERROR(s);
    if (::rmdir(path.c_str()) < 0 && errno != ENOENT) return PathError("rmdir", path, errno);
    return OkStatus();
  }

  Status SyncDir(const std::string& path) override {
    int fd = OpenRetry(path.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0) return PathError("open", path, errno);
    Status s;
    if (FsyncRetry(fd) < 0) s = PathError("fsync", path, errno);
    CloseFd(fd);
    return s;
  }

  Result<std::vector<std::string>> ListDir(const std::string& path) override {
    DIR* dir = OpenDirAt(AT_FDCWD, path.c_str(), /*nofollow=*/false);
    if (dir == nullptr) return PathError("opendir", path, errno);
    std::vector<std::string> names;
    while (true) {
      errno = 0;
      struct dirent* e = ::readdir(dir);
      if (e == nullptr) {
        int err = errno;
        ::closedir(dir);
        if (err != 0) return PathError("readdir", path, err);
        break;
      }
      std::string_view name(e->d_name);
      if (name == "." || name == "..") continue;
      names.emplace_back(name);
    }
    return names;
  }

  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    int fd = OpenRetry(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW, 0644);
    if (fd < 0) return PathError("open", path, errno);
    int r;
    do {
      r = ::flock(fd, LOCK_EX | LOCK_NB);
    } while (r != 0 && errno == EINTR);
    if (r != 0) {
      int err = errno;
      std::string holder;
      char buf[32] = {0};
      ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
      if (n > 0) holder.assign(buf, static_cast<size_t>(n));
      while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
      CloseFd(fd);
      if (err == EWOULDBLOCK) return FailedPrecondition(holder.empty() ? "unknown" : holder);
      return PathError("flock", path, err);
    }
    std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
      int err = errno;
      CloseFd(fd);
      return PathError("write", path, err);
    }
    return std::unique_ptr<FileLock>(new PosixFileLock(fd));
  }

  Result<std::unique_ptr<DirWatch>> WatchDir(const std::string& path, bool with_writes) override {
    int fd = Inotifies().Take();
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == ENOSYS) {
        return std::unique_ptr<DirWatch>(new SleepingDirWatch);
      }
      return PathError("inotify_init1 for", path, errno);
    }
    const uint32_t mask = IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR | (with_writes ? IN_MODIFY : 0u);
    int wd = ::inotify_add_watch(fd, path.c_str(), mask);
    if (wd < 0) {
      int err = errno;
      Inotifies().Give(fd);
      if (err == ENOSPC) return std::unique_ptr<DirWatch>(new SleepingDirWatch);  // watch limit reached
      return PathError("watch", path, err);
    }
    return std::unique_ptr<DirWatch>(new InotifyDirWatch(fd, wd));
  }

  int64_t NowUnixNanos() override {
    struct timespec ts;
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
  }
};

std::string DirName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

Env* Env::Default() {
  static Env* env = new PosixEnv;  // never deleted: usable during static destruction
  return env;
}

Status RestrictPermissions(Env* env, const std::string& path, uint32_t allowed) {
  BERTH_ASSIGN_OR_RETURN(FileInfo info, env->Stat(path));
  if ((info.mode & ~allowed) == 0) return OkStatus();
  return env->Chmod(path, info.mode & allowed);
}

namespace {

Status WriteThenRename(Env* env, const std::string& path, std::string_view data, bool durable) {
  static std::atomic<uint64_t> counter{0};
  std::string tmp;
  auto fail = [&](Status s, bool remove_tmp) {
    // Best effort: the caller gets the failure `s`; a left-over temporary
    // file is never read as `path`.
    if (remove_tmp) env->RemoveFile(tmp).IgnoreError();
    return s;
  };
  // The temporary name is created exclusively: something already there (a
  // leftover, a planted symlink) is skipped, never written through.
  constexpr int kMaxNameAttempts = 1000;
  Result<std::unique_ptr<WritableFile>> created = AlreadyExists("no attempt");
  for (int attempt = 0; attempt < kMaxNameAttempts; ++attempt) {
    tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" +
          std::to_string(counter.fetch_add(1, std::memory_order_relaxed));
    created = env->NewWritableFile(tmp);
    if (created.ok() || created.status().code() != Code::kAlreadyExists) break;
  }
  if (!created.ok()) return created.status();
  std::unique_ptr<WritableFile> f = std::move(*created);
  Status s = f->Append(data);
  if (s.ok() && durable) s = f->Sync();
  Status c = f->Close();
  if (s.ok()) s = c;
  if (!s.ok()) return fail(s, true);
  s = env->RenameFile(tmp, path);
  if (!s.ok()) return fail(s, true);
  if (!durable) return OkStatus();
  // The new content is in place; a failed directory fsync only means the
  // rename might not survive a crash. Report it so callers can retry.
  return env->SyncDir(DirName(path));
}

}  // namespace

Status WriteFileAtomic(Env* env, const std::string& path, std::string_view data) {
  return WriteThenRename(env, path, data, /*durable=*/true);
}

Status WriteFileReplacing(Env* env, const std::string& path, std::string_view data) {
  return WriteThenRename(env, path, data, /*durable=*/false);
}

}  // namespace berth
