// The shim's JSON-lines log format (see log_format.h).

#include "runtime/log_format.h"

#include <time.h>

#include <boost/json.hpp>
#include <cstdio>

#include "berth/json_text.h"

namespace berth {
namespace runtime_internal {

namespace {

constexpr int64_t kNanos = 1000000000;

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

}  // namespace

std::string FormatRfc3339NanoUtc(int64_t unix_nanos) {
  int64_t secs = unix_nanos / kNanos;
  int64_t frac = unix_nanos % kNanos;
  if (frac < 0) {
    frac += kNanos;
    secs -= 1;
  }
  time_t t = static_cast<time_t>(secs);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(frac));
  return buf;
}

Result<int64_t> ParseRfc3339Nano(std::string_view s) {
  auto bad = [&] { return InvalidArgument("invalid RFC 3339 time \"" + std::string(s) + "\""); };
  int year, mon, day, hour, min, sec;
  if (!Digits(s, 0, 4, &year) || s.size() < 19 || s[4] != '-' || !Digits(s, 5, 2, &mon) ||
      s[7] != '-' || !Digits(s, 8, 2, &day) || (s[10] != 'T' && s[10] != 't') ||
      !Digits(s, 11, 2, &hour) || s[13] != ':' || !Digits(s, 14, 2, &min) || s[16] != ':' ||
      !Digits(s, 17, 2, &sec)) {
    return bad();
  }
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) return bad();
  size_t pos = 19;
  int64_t frac = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 9) {
        frac = frac * 10 + (s[pos] - '0');
        ++digits;
      }
      ++pos;
    }
    if (digits == 0) return bad();
    for (int i = digits; i < 9; ++i) frac *= 10;
  }
  int64_t offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!Digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !Digits(s, pos + 4, 2, &om)) {
      return bad();
    }
    offset = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return bad();
  }
  if (pos != s.size()) return bad();
  struct tm tm = {};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  int64_t secs = static_cast<int64_t>(timegm(&tm)) - offset;
  return secs * kNanos + frac;
}

void AppendLogLine(std::string* out, std::string_view stream, std::string_view data,
                   int64_t unix_nanos) {
  out->append("{\"log\":");
  AppendGoJsonString(out, data);
  out->append(",\"stream\":");
  AppendGoJsonString(out, stream);
  out->append(",\"time\":\"");
  out->append(FormatRfc3339NanoUtc(unix_nanos));
  out->append("\"}\n");
}

Result<LogEntry> ParseLogLine(std::string_view line) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(line, ec);
  if (ec || !v.is_object()) return DataLoss("malformed log line");
  const auto& obj = v.get_object();
  LogEntry e;
  if (const auto* log = obj.if_contains("log"); log && log->is_string()) {
    e.data.assign(log->get_string().data(), log->get_string().size());
  } else {
    return DataLoss("log line without \"log\"");
  }
  if (const auto* stream = obj.if_contains("stream"); stream && stream->is_string()) {
    e.stream.assign(stream->get_string().data(), stream->get_string().size());
  }
  if (const auto* t = obj.if_contains("time"); t && t->is_string()) {
    auto parsed = ParseRfc3339Nano(std::string_view(t->get_string().data(), t->get_string().size()));
    if (parsed.ok()) e.time_unix_nanos = *parsed;
  }
  return e;
}

size_t CompleteUtf8Prefix(std::string_view data) {
  size_t n = data.size();
  // Walk back over at most three continuation bytes to the sequence's lead.
  for (size_t back = 1; back <= 4 && back <= n; ++back) {
    auto b = static_cast<unsigned char>(data[n - back]);
    if ((b & 0xC0) == 0x80) continue;  // continuation byte
    size_t want = 1;
    if (b >= 0xC2 && b <= 0xDF) {
      want = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      want = 3;
    } else if (b >= 0xF0 && b <= 0xF4) {
      want = 4;
    }
    return back < want ? n - back : n;
  }
  return n;
}

}  // namespace runtime_internal
}  // namespace berth
