// Helpers shared by the fuzz targets: invariant checks that abort (so both
// libFuzzer and the standalone driver report them as crashes) and a splitter
// that carves one input into several values.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "berth/env.h"
#include "berth/status.h"

namespace berth::fuzz {

[[noreturn]] inline void CheckFailed(const char* file, int line, const char* what, std::string_view detail) {
  std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n  %.*s\n", file, line, what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

// FUZZ_CHECK(cond) / FUZZ_CHECK_MSG(cond, detail): abort when cond is false.
#define FUZZ_CHECK(cond) ((cond) ? (void)0 : ::berth::fuzz::CheckFailed(__FILE__, __LINE__, #cond, ""))
#define FUZZ_CHECK_MSG(cond, detail) \
  ((cond) ? (void)0 : ::berth::fuzz::CheckFailed(__FILE__, __LINE__, #cond, (detail)))

// Every byte of `s` as a %XX escape (`upper`: A-F, else a-f).
inline std::string PercentEncodeAll(std::string_view s, bool upper = true) {
  static constexpr char kUpper[] = "0123456789ABCDEF", kLower[] = "0123456789abcdef";
  const char* digits = upper ? kUpper : kLower;
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    out.push_back('%');
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

// Splits an input into parts separated by a byte that rarely occurs in
// text ('\x01'): Next() gives the next part, the rest after the last
// separator being the final part.
class Parts {
 public:
  Parts(const uint8_t* data, size_t size) : rest_(reinterpret_cast<const char*>(data), size) {}
  std::string_view Next() {
    size_t sep = rest_.find('\x01');
    std::string_view part = rest_.substr(0, sep);
    rest_ = sep == std::string_view::npos ? std::string_view() : rest_.substr(sep + 1);
    return part;
  }
  // The first byte as a selector (0 when empty), consumed.
  uint8_t Byte() {
    if (rest_.empty()) return 0;
    uint8_t b = static_cast<uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return b;
  }
  std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
};

}  // namespace berth::fuzz

namespace berth::fuzz {

// Where targets that touch the filesystem make their scratch directories:
// $BERTH_FUZZ_TMPDIR, else /dev/shm when present (no disk I/O per input),
// else /tmp.
inline std::string ScratchParent() {
  if (const char* env = std::getenv("BERTH_FUZZ_TMPDIR"); env != nullptr && *env != '\0') return env;
  struct stat st;
  if (::stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && ::access("/dev/shm", W_OK) == 0) return "/dev/shm";
  return "/tmp";
}

// A SequentialFile over bytes in memory, handing out at most `chunk` bytes a
// read (so parsers see their input split at arbitrary places).
class MemoryFile : public SequentialFile {
 public:
  MemoryFile(std::string_view data, size_t chunk) : data_(data), chunk_(chunk == 0 ? 1 : chunk) {}
  Result<size_t> Read(char* scratch, size_t n) override {
    size_t take = std::min({n, chunk_, data_.size()});
    std::memcpy(scratch, data_.data(), take);
    data_.remove_prefix(take);
    return take;
  }
  Status Skip(uint64_t n) override {
    data_.remove_prefix(std::min<uint64_t>(n, data_.size()));
    return OkStatus();
  }

 private:
  std::string_view data_;
  size_t chunk_;
};

}  // namespace berth::fuzz
