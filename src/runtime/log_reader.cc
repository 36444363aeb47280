// ReadLog: reading (and following) the shim's container.log.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "berth/env.h"
#include "berth/runtime.h"
#include "runtime/log_format.h"

namespace berth {

namespace {

using runtime_internal::ParseLogLine;

constexpr int kFollowPollMs = 30;
// The same once the log's directory holds the shim's exit file.
constexpr int kExitedPollMs = 2;
// How long one LogReadOptions::await_finished call may block (bounds how
// late `cancelled` is seen).
constexpr int kExitedWaitMs = 50;
constexpr char kExitFileName[] = "exit";
constexpr size_t kChunk = 64 * 1024;

bool Selected(const LogReadOptions& opts, const LogEntry& e) {
  if (e.stream == "stderr") return opts.stderr_;
  return opts.stdout_;
}

// An open log file, read with pread so that following survives the file
// being created late.
class LogFile {
 public:
  explicit LogFile(std::string path) : path_(std::move(path)) {}
  ~LogFile() {
    if (fd_ >= 0) ::close(fd_);
  }

  // Opens the file if it exists. Missing: OK, and reads see nothing.
  Status Open() {
    if (fd_ >= 0) return OkStatus();
    do {
      fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    } while (fd_ < 0 && errno == EINTR);
    if (fd_ < 0 && errno != ENOENT) return ErrnoStatus("open " + path_, errno);
    return OkStatus();
  }

  // Whether `path` now names another file than the one open (the writer
  // rotated it away). False while nothing is open or nothing is at `path`.
  bool Replaced() const {
    if (fd_ < 0) return false;
    struct stat open_st, path_st;
    if (::fstat(fd_, &open_st) != 0 || ::stat(path_.c_str(), &path_st) != 0) return false;
    return open_st.st_ino != path_st.st_ino || open_st.st_dev != path_st.st_dev;
  }

  // Closes the open file and opens what `path` names now.
  Status Reopen() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    return Open();
  }

  Result<uint64_t> Size() {
    if (fd_ < 0) return uint64_t{0};
    struct stat st;
    if (::fstat(fd_, &st) != 0) return ErrnoStatus("stat " + path_, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  // Reads up to `n` bytes at `offset`; 0 at end of file.
  Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) {
    if (fd_ < 0) return size_t{0};
    while (true) {
      ssize_t r = ::pread(fd_, buf, n, static_cast<off_t>(offset));
      if (r >= 0) return static_cast<size_t>(r);
      if (errno != EINTR) return ErrnoStatus("read " + path_, errno);
    }
  }

 private:
  std::string path_;
  int fd_ = -1;
};

// The offset where the last `tail` selected lines (entries ending in '\n',
// with the partial entries before them) start. Scans backwards in chunks.
// When the file holds fewer, returns 0 and sets `*found` to how many it has.
Result<uint64_t> TailOffset(LogFile* f, uint64_t size, int tail, const LogReadOptions& opts, int* found) {
  *found = 0;
  if (tail == 0) return size;
  // Invariant: `carry` holds the bytes [pos, pos + carry.size()) and ends
  // in '\n'; lines are taken off its end.
  uint64_t pos = 0;
  std::string carry;
  int seen = 0;
  std::string buf(kChunk, '\0');
  // Ignore an incomplete last line (a write in progress).
  uint64_t line_end = size;
  {
    // Find the end of the last complete line.
    uint64_t p = size;
    while (p > 0) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(kChunk, p));
      BERTH_ASSIGN_OR_RETURN(size_t got, f->ReadAt(p - n, buf.data(), n));
      if (got != n) return DataLoss("log file shrank while reading");
      size_t nl = std::string_view(buf.data(), n).rfind('\n');
      if (nl != std::string_view::npos) {
        line_end = p - n + nl + 1;
        break;
      }
      p -= n;
    }
    if (p == 0) return uint64_t{0};  // no complete line
  }
  pos = line_end;
  // Walk complete lines backwards: [start, end) each ending in '\n'.
  while (pos > 0) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(kChunk, pos));
    BERTH_ASSIGN_OR_RETURN(size_t got, f->ReadAt(pos - n, buf.data(), n));
    if (got != n) return DataLoss("log file shrank while reading");
    carry.insert(0, buf.data(), n);
    pos -= n;
    // Take lines off the end while their start is known (after a '\n', or
    // at offset 0).
    while (!carry.empty()) {
      size_t prev = carry.size() >= 2 ? carry.rfind('\n', carry.size() - 2) : std::string::npos;
      if (prev == std::string::npos && pos > 0) break;  // start not known yet
      size_t start = prev == std::string::npos ? 0 : prev + 1;
      std::string_view line(carry.data() + start, carry.size() - start - 1);
      auto entry = ParseLogLine(line);
      if (entry.ok() && Selected(opts, *entry) && !entry->data.empty() && entry->data.back() == '\n') {
        if (++seen > tail) return pos + carry.size();  // just after this line
      }
      carry.resize(start);
    }
  }
  *found = seen;
  return uint64_t{0};
}

// What ReadToEnd hands to `emit`: each entry, or with merge_entries the
// entries of one stream in a row, flushed when the stream changes and at
// the end of each chunk read (so a follower never holds output back).
class EntrySink {
 public:
  EntrySink(bool merge, const std::function<Status(const LogEntry&)>& emit) : merge_(merge), emit_(emit) {}

  Status Add(LogEntry&& e) {
    if (!merge_) return emit_(e);
    if (held_ && merged_.stream != e.stream) BERTH_RETURN_IF_ERROR(Flush());
    if (!held_) {
      merged_ = std::move(e);
      held_ = true;
    } else {
      merged_.data += e.data;
    }
    return OkStatus();
  }

  Status Flush() {
    if (!held_) return OkStatus();
    held_ = false;
    return emit_(merged_);
  }

 private:
  const bool merge_;
  const std::function<Status(const LogEntry&)>& emit_;
  LogEntry merged_;
  bool held_ = false;
};

// Reads `f` from `*offset` to its current end, emitting the complete lines
// that pass the filters; `pending` carries a partial line between calls.
// Sets `*done` when an entry past `until` ends the reading.
Status ReadToEnd(LogFile* f, uint64_t* offset, std::string* pending, const LogReadOptions& opts,
                 const std::function<Status(const LogEntry&)>& emit, bool* done) {
  std::string buf(kChunk, '\0');
  EntrySink sink(opts.merge_entries, emit);
  while (true) {
    // Checked per chunk too, so a reader of a busy log can be stopped.
    if (opts.follow && opts.cancelled && opts.cancelled()) {
      *done = true;
      return OkStatus();
    }
    BERTH_ASSIGN_OR_RETURN(size_t n, f->ReadAt(*offset, buf.data(), buf.size()));
    if (n == 0) return OkStatus();
    *offset += n;
    pending->append(buf.data(), n);
    size_t start = 0;
    while (true) {
      size_t nl = pending->find('\n', start);
      if (nl == std::string::npos) break;
      std::string_view line(pending->data() + start, nl - start);
      start = nl + 1;
      auto entry = ParseLogLine(line);
      if (!entry.ok()) continue;  // skip damaged lines, as Docker does
      if (opts.exact_bytes && !entry->raw.empty()) entry->data = std::move(entry->raw);
      if (opts.until_unix_nanos != 0 && entry->time_unix_nanos > opts.until_unix_nanos) {
        *done = true;
        return sink.Flush();
      }
      if (opts.since_unix_nanos != 0 && entry->time_unix_nanos < opts.since_unix_nanos) continue;
      if (!Selected(opts, *entry)) continue;
      BERTH_RETURN_IF_ERROR(sink.Add(std::move(*entry)));
    }
    pending->erase(0, start);
    BERTH_RETURN_IF_ERROR(sink.Flush());
  }
}

}  // namespace

Status ReadLog(const std::string& log_path, const LogReadOptions& opts,
               const std::function<Status(const LogEntry&)>& emit) {
  const std::vector<std::string> files = LogFilesOldestFirst(log_path);
  const size_t current = files.size() - 1;  // log_path itself
  // Where reading starts: a file of `files` and an offset in it.
  size_t first = current;
  uint64_t offset = 0;
  if (opts.follow && opts.from_end) {
    LogFile f(log_path);
    BERTH_RETURN_IF_ERROR(f.Open());
    BERTH_ASSIGN_OR_RETURN(offset, f.Size());
  } else if (opts.tail >= 0) {
    // Newest file first, until one holds the rest of the lines asked for.
    int wanted = opts.tail;
    for (size_t i = files.size(); i-- > 0;) {
      LogFile f(files[i]);
      BERTH_RETURN_IF_ERROR(f.Open());
      BERTH_ASSIGN_OR_RETURN(uint64_t size, f.Size());
      int found = 0;
      BERTH_ASSIGN_OR_RETURN(offset, TailOffset(&f, size, wanted, opts, &found));
      first = i;
      if (offset > 0 || found >= wanted) break;
      wanted -= found;
    }
  } else {
    first = 0;
  }
  bool done = false;
  std::string pending;  // bytes read but not yet a complete line
  for (size_t i = first; i < current && !done; ++i) {
    LogFile f(files[i]);
    BERTH_RETURN_IF_ERROR(f.Open());
    BERTH_RETURN_IF_ERROR(ReadToEnd(&f, &offset, &pending, opts, emit, &done));
    offset = 0;
    pending.clear();
  }
  if (done) return OkStatus();
  LogFile f(log_path);
  BERTH_RETURN_IF_ERROR(f.Open());
  // A follower wakes on every write to the log (and on the shim's exit
  // file) rather than after a fixed sleep; without a watch it sleeps.
  const std::string dir = log_path.substr(0, log_path.find_last_of('/') + 1);
  std::unique_ptr<DirWatch> watch;
  if (opts.follow) {
    auto w = Env::Default()->WatchDir(dir.empty() ? "." : dir, /*with_writes=*/true);
    if (w.ok()) watch = std::move(*w);
  }
  bool draining = false;  // `finished` said so: read to the end, then stop
  bool rotated = false;   // the open file was renamed away: read its end, then move on
  while (true) {
    BERTH_RETURN_IF_ERROR(ReadToEnd(&f, &offset, &pending, opts, emit, &done));
    if (done) return OkStatus();
    // At the end of what is written.
    if (!opts.follow) return OkStatus();
    if (rotated) {
      // Everything written to the old file came before the rename and has
      // now been read: go on with the new one.
      BERTH_RETURN_IF_ERROR(f.Reopen());
      offset = 0;
      pending.clear();
      rotated = false;
      continue;
    }
    if (f.Replaced()) {
      rotated = true;  // one more pass over the old file first
      continue;
    }
    if (draining) return OkStatus();
    if (opts.finished && opts.finished()) {
      draining = true;  // one more pass picks up what was written meanwhile
      BERTH_RETURN_IF_ERROR(f.Open());
      continue;
    }
    // Once the shim's exit file is there the output is complete and only
    // the daemon's record of the exit (`finished`) is awaited: look often.
    const bool output_complete = Env::Default()->FileExists(dir + kExitFileName);
    const int slice = output_complete ? kExitedPollMs : kFollowPollMs;
    if (output_complete && opts.await_finished) {
      opts.await_finished(kExitedWaitMs);
    } else if (watch) {
      watch->WaitForChange(slice);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(slice));
    }
    BERTH_RETURN_IF_ERROR(f.Open());  // the file may appear late
  }
}

}  // namespace berth
