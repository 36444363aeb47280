// The filesystem and clock seam (after LevelDB's Env).
//
// Everything in libberth that touches files or reads the time goes through an
// Env, so tests can inject faults (a failing write, rename or fsync) and
// control the clock. Env::Default() is the real POSIX implementation and is
// thread-safe; implementations must be thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "berth/status.h"

namespace berth {

// A file opened for appending. Not thread-safe.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  virtual Status Sync() = 0;   // fsync
  virtual Status Close() = 0;  // idempotent
};

// A file opened for sequential reading. Not thread-safe.
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  // Reads up to `n` bytes into `scratch`; returns the number read (0 at EOF).
  virtual Result<size_t> Read(char* scratch, size_t n) = 0;
  virtual Status Skip(uint64_t n) = 0;
};

// An exclusive lock on a file, held until this object is destroyed.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

// Wakes a waiter when entries appear in one directory (inotify where the
// kernel has it). Not thread-safe: one waiter per watch.
class DirWatch {
 public:
  virtual ~DirWatch() = default;
  // Blocks until an entry of the directory was created, renamed into it or
  // closed after writing (with `with_writes`, also written to) since the
  // last call (or since the watch began), or
  // `timeout_ms` passed. True when something changed; false on timeout. A
  // caller checks its condition after the watch exists, then waits: nothing
  // that happens in between is missed. A spurious true is allowed.
  virtual bool WaitForChange(int timeout_ms) = 0;
};

struct FileInfo {
  uint64_t size = 0;
  int64_t mtime_unix_nanos = 0;
  bool is_directory = false;
  uint32_t mode = 0;  // permission bits (st_mode & 07777)
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX Env. Never deleted.
  static Env* Default();

  // Creates `path` (mode 0644 before the umask), which must not exist: the
  // open is O_CREAT|O_EXCL|O_NOFOLLOW, so a file or a symlink planted there
  // (dangling or not) is AlreadyExists and is never written through.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;
  virtual Result<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) = 0;
  virtual Result<std::string> ReadFileToString(const std::string& path) = 0;
  // Reads `path` (relative to `root`; a leading '/' is allowed) as if `root`
  // were the file system's root: every component, symlink targets included,
  // is resolved inside `root` (an absolute target restarts at `root`, ".."
  // never climbs above it), so a hostile tree (a container's rootfs) cannot
  // make the caller read a file outside it. openat2(RESOLVE_IN_ROOT) where
  // the kernel has it, else an equivalent walk of O_NOFOLLOW opens. The file
  // is opened O_NONBLOCK (a FIFO never blocks) and must be a regular file
  // (FailedPrecondition otherwise); a file larger than `max_bytes` is
  // OutOfRange and at most max_bytes + 1 bytes are ever read. Missing:
  // NotFound. Errors name `root` and `path`.
  virtual Result<std::string> ReadFileInRoot(const std::string& root, const std::string& path,
                                             uint64_t max_bytes) = 0;
  virtual Result<FileInfo> Stat(const std::string& path) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  // Atomic rename(2).
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  // mkdir -p; mode applies to created directories.
  virtual Status CreateDirs(const std::string& path, uint32_t mode = 0755) = 0;
  // Sets the permission bits of `path` (chmod), never following a symlink
  // at its last component (a symlink there is FailedPrecondition).
  virtual Status Chmod(const std::string& path, uint32_t mode) = 0;
  // Removes `path` and everything under it, at any depth (an iterative,
  // descriptor-relative walk that never follows a symlink: no descriptor,
  // stack or PATH_MAX limit on the depth); a missing path is OK.
  virtual Status RemoveAll(const std::string& path) = 0;
  // fsync of a directory, making renames and unlinks in it durable.
  virtual Status SyncDir(const std::string& path) = 0;
  // Names (not paths) of the entries of a directory, unsorted, without . and ..
  virtual Result<std::vector<std::string>> ListDir(const std::string& path) = 0;

  // Takes an exclusive, non-blocking lock (flock(2)) on `path`, creating it
  // (0644) if needed, and writes this process's pid into it. When another
  // open file description holds the lock: FailedPrecondition whose message
  // is the holder's pid as the file states it ("unknown" if none). The lock
  // ends with the returned object (or the process); the descriptor is
  // close-on-exec.
  virtual Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;

  // Watches the directory `path` (see DirWatch); `with_writes` also wakes on
  // every write to a file in it (a log being followed). Where the kernel offers no
  // watch, the returned one sleeps `timeout_ms` and reports a change, so
  // callers that re-check their condition stay correct, only slower.
  virtual Result<std::unique_ptr<DirWatch>> WatchDir(const std::string& path, bool with_writes) = 0;

  // Wall clock, nanoseconds since the Unix epoch.
  virtual int64_t NowUnixNanos() = 0;
};

// Writes `data` to `path` atomically: a temporary file beside it, fsync,
// rename, directory fsync.
Status WriteFileAtomic(Env* env, const std::string& path, std::string_view data);
// The same without either fsync: a reader sees the old or the new content,
// whole, but a machine crash may lose the change. For files that nothing
// needs after a crash of the machine (a container's runtime files: its
// processes died with it), where two fsyncs would cost a start or an exit
// milliseconds, or far more on a busy disk.
Status WriteFileReplacing(Env* env, const std::string& path, std::string_view data);

// Clears the permission bits of `path` that `allowed` does not have (with
// allowed 0710: 0755 becomes 0710, 0700 stays); never adds any. Missing:
// NotFound.
Status RestrictPermissions(Env* env, const std::string& path, uint32_t allowed);

// An Env that forwards to another and can be told to fail. For tests.
// Thread-safe.
class FaultInjectionEnv : public Env {
 public:
  // What each Op covers:
  //   kAppend  WritableFile::Append (of files opened through this Env)
  //   kSync    WritableFile::Sync
  //   kRename  RenameFile
  //   kRemove  RemoveFile, RemoveAll
  //   kCreate  NewWritableFile, CreateDirs
  //   kSyncDir SyncDir
  //   kRead    SequentialFile::Read, ReadFileToString, ReadFileInRoot,
//            NewSequentialFile
  // A failing call has no effect on the base Env (nothing is written,
  // renamed, removed or created).
  enum class Op { kAppend, kSync, kRename, kRemove, kCreate, kSyncDir, kRead };
  // `base` must outlive this Env and every file it opened.
  explicit FaultInjectionEnv(Env* base);

  // The next `count` calls of `op` after `skip` successful ones fail with an
  // Internal("injected fault") status. Replaces any earlier plan for `op`.
  void FailAfter(Op op, int skip, int count = 1);
  void ClearFaults();
  // Number of faults injected so far (all ops), for tests that check a fault
  // was actually hit.
  int injected() const;
  // A fixed clock, or -1 to follow the base Env.
  void SetNowUnixNanos(int64_t now);
  // Moves the fixed clock forward; when following the base Env, fixes the
  // clock at base time + delta.
  void AdvanceNanos(int64_t delta);

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  Result<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) override;
  Result<std::string> ReadFileToString(const std::string& path) override;
  Result<std::string> ReadFileInRoot(const std::string& root, const std::string& path,
                                     uint64_t max_bytes) override;
  Result<FileInfo> Stat(const std::string& path) override;
  bool FileExists(const std::string& path) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status RemoveFile(const std::string& path) override;
  Status CreateDirs(const std::string& path, uint32_t mode) override;
  Status Chmod(const std::string& path, uint32_t mode) override;  // never fails by injection
  Status RemoveAll(const std::string& path) override;
  Status SyncDir(const std::string& path) override;
  Result<std::vector<std::string>> ListDir(const std::string& path) override;
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;  // never fails by injection
  Result<std::unique_ptr<DirWatch>> WatchDir(const std::string& path,
                                             bool with_writes) override;  // never fails by injection
  int64_t NowUnixNanos() override;

  // Internal: consulted by wrapped files.
  Status MaybeFail(Op op);
  // Internal: the fault plan and clock, shared with wrapped files so they may
  // outlive this Env.
  struct State;

 private:
  Env* base_;
  std::shared_ptr<State> state_;
};

}  // namespace berth
