// Civil dates, RFC 3339, Go durations and Docker's time filters (see
// berth/time.h).

#include "berth/time.h"

#include "berth/go_strconv.h"

#include <chrono>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <string>

namespace berth {

bool IsLeapYear(int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

// Howard Hinnant's days_from_civil: years are counted from March so that the
// leap day ends a 400-year era.
int64_t DaysFromCivil(int64_t year, int month, int day) {
  const int64_t y = year - (month <= 2 ? 1 : 0);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;                                                // [0, 399]
  const int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;  // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                        // [0, 146096]
  return era * 146097 + doe - 719468;
}

CivilDate CivilFromDays(int64_t days) {
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  CivilDate out;
  out.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  out.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  out.year = yoe + era * 400 + (out.month <= 2 ? 1 : 0);
  return out;
}

int64_t FloorUnixSeconds(int64_t unix_nanos) {
  int64_t secs = unix_nanos / kNanosPerSecond;
  if (unix_nanos % kNanosPerSecond < 0) secs -= 1;
  return secs;
}

namespace {

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `n` decimal digits at s[*pos]; false if any is not a digit.
bool ReadDigits(std::string_view s, size_t* pos, size_t n, int* out) {
  if (*pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[*pos + i];
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

bool Expect(std::string_view s, size_t* pos, char a, char b = 0) {
  if (*pos >= s.size()) return false;
  if (s[*pos] != a && (b == 0 || s[*pos] != b)) return false;
  ++*pos;
  return true;
}

// "YYYY-MM-DDThh:mm:ss" for the UTC second `unix_seconds`.
std::string FormatUtcSeconds(int64_t unix_seconds) {
  int64_t days = unix_seconds / kSecondsPerDay;
  int64_t rem = unix_seconds % kSecondsPerDay;
  if (rem < 0) {
    rem += kSecondsPerDay;
    days -= 1;
  }
  const CivilDate date = CivilFromDays(days);
  char buf[64];
  int n = std::snprintf(buf, sizeof(buf), "%04lld-%02d-%02dT%02d:%02d:%02d", static_cast<long long>(date.year),
                        date.month, date.day, static_cast<int>(rem / 3600), static_cast<int>(rem % 3600 / 60),
                        static_cast<int>(rem % 60));
  return std::string(buf, n);
}

// The nanoseconds past FloorUnixSeconds(unix_nanos): [0, 1e9).
int64_t FractionNanos(int64_t unix_nanos) {
  int64_t frac = unix_nanos % kNanosPerSecond;
  return frac < 0 ? frac + kNanosPerSecond : frac;
}

struct Parsed {
  int64_t seconds = 0;  // unix seconds (floor)
  int32_t nanos = 0;    // [0, 1e9)
};

Result<Parsed> Parse(std::string_view s, Rfc3339Zone zone) {
  auto bad = [s](std::string_view why) {
    return InvalidArgument("invalid RFC 3339 time \"" + std::string(s) + "\": " + std::string(why));
  };
  size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!ReadDigits(s, &pos, 4, &year) || !Expect(s, &pos, '-') ||
      !ReadDigits(s, &pos, 2, &month) || !Expect(s, &pos, '-') ||
      !ReadDigits(s, &pos, 2, &day)) {
    return bad("expected date YYYY-MM-DD");
  }
  if (!Expect(s, &pos, 'T', 't')) return bad("expected 'T' after the date");
  if (!ReadDigits(s, &pos, 2, &hour) || !Expect(s, &pos, ':') ||
      !ReadDigits(s, &pos, 2, &minute) || !Expect(s, &pos, ':') ||
      !ReadDigits(s, &pos, 2, &second)) {
    return bad("expected time hh:mm:ss");
  }
  if (month < 1 || month > 12) return bad("month out of range");
  if (day < 1 || day > DaysInMonth(year, month)) return bad("day out of range");
  if (hour > 23) return bad("hour out of range");
  if (minute > 59) return bad("minute out of range");
  if (second > 59) return bad("second out of range");

  int32_t nanos = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 9) nanos = nanos * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return bad("expected digits after '.'");
    for (size_t i = digits; i < 9; i++) nanos *= 10;
  }

  int64_t offset = 0;  // seconds east of UTC
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    const bool negative = s[pos] == '-';
    ++pos;
    int oh, om;
    if (!ReadDigits(s, &pos, 2, &oh) || !Expect(s, &pos, ':') || !ReadDigits(s, &pos, 2, &om)) {
      return bad("expected zone offset ±hh:mm");
    }
    if (oh > 23 || om > 59) return bad("zone offset out of range");
    offset = (oh * 3600 + om * 60) * (negative ? -1 : 1);
  } else if (zone == Rfc3339Zone::kRequired) {
    return bad("expected a zone (Z or ±hh:mm)");
  }  // else no zone: UTC
  if (pos != s.size()) return bad("unexpected text after the time");

  Parsed p;
  p.seconds = DaysFromCivil(year, month, day) * kSecondsPerDay + hour * 3600 + minute * 60 + second - offset;
  p.nanos = nanos;
  return p;
}

}  // namespace

Result<int64_t> ParseRfc3339(std::string_view s, Rfc3339Zone zone) {
  BERTH_ASSIGN_OR_RETURN(Parsed p, Parse(s, zone));
  return p.seconds;
}

Result<int64_t> ParseRfc3339Nanos(std::string_view s, Rfc3339Zone zone) {
  BERTH_ASSIGN_OR_RETURN(Parsed p, Parse(s, zone));
  // seconds * 1e9 + nanos must fit an int64 (years 1678..2262).
  const __int128 total = static_cast<__int128>(p.seconds) * kNanosPerSecond + p.nanos;
  if (total > std::numeric_limits<int64_t>::max() || total < std::numeric_limits<int64_t>::min()) {
    return Status(Code::kOutOfRange, "RFC 3339 time " + Quote(s) + " does not fit in int64 nanoseconds");
  }
  return static_cast<int64_t>(total);
}

std::string FormatRfc3339Nanos(int64_t unix_nanos) {
  std::string out = FormatUtcSeconds(FloorUnixSeconds(unix_nanos));
  const int64_t frac = FractionNanos(unix_nanos);
  if (frac != 0) {
    char fbuf[16];
    std::snprintf(fbuf, sizeof(fbuf), ".%09lld", static_cast<long long>(frac));
    std::string f(fbuf);
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  out += 'Z';
  return out;
}

std::string FormatRfc3339NanosFixed(int64_t unix_nanos) {
  char fbuf[16];
  std::snprintf(fbuf, sizeof(fbuf), ".%09lldZ", static_cast<long long>(FractionNanos(unix_nanos)));
  return FormatUtcSeconds(FloorUnixSeconds(unix_nanos)) + fbuf;
}

namespace {

Status InvalidDuration(std::string_view orig) { return InvalidArgument("time: invalid duration " + Quote(orig)); }

// The local zone's UTC offset (seconds) at `now`, like Go's
// time.FixedZone(reference.Zone()).
int64_t LocalOffset(int64_t now_seconds) {
  time_t t = static_cast<time_t>(now_seconds);
  struct tm tm;
  if (localtime_r(&t, &tm) == nullptr) return 0;
  return tm.tm_gmtoff;
}

// Parses "YYYY-MM-DD[Thh[:mm[:ss[.frac]]]][Z|±hh:mm]" (the layouts Docker's
// GetTimestamp tries) to unix nanoseconds. A value without a zone is local
// time at the offset of `now`.
Result<int64_t> ParseDateTime(std::string_view v, int64_t now_nanos) {
  auto bad = [&](const std::string& why) {
    return InvalidArgument("parsing time " + Quote(v) + ": " + why);
  };
  size_t pos = 0;
  int year, month, day, hour = 0, minute = 0, second = 0;
  if (!ReadDigits(v, &pos, 4, &year) || pos >= v.size() || v[pos++] != '-' || !ReadDigits(v, &pos, 2, &month) ||
      pos >= v.size() || v[pos++] != '-' || !ReadDigits(v, &pos, 2, &day)) {
    return bad("cannot parse as a date (want YYYY-MM-DD)");
  }
  if (month < 1 || month > 12) return bad("month out of range");
  if (day < 1 || day > DaysInMonth(year, month)) return bad("day out of range");
  int64_t nanos = 0;
  if (pos < v.size() && (v[pos] == 'T' || v[pos] == 't')) {
    pos++;
    if (!ReadDigits(v, &pos, 2, &hour)) return bad("cannot parse hour");
    if (pos < v.size() && v[pos] == ':') {
      pos++;
      if (!ReadDigits(v, &pos, 2, &minute)) return bad("cannot parse minute");
      if (pos < v.size() && v[pos] == ':') {
        pos++;
        if (!ReadDigits(v, &pos, 2, &second)) return bad("cannot parse second");
        if (pos < v.size() && (v[pos] == '.' || v[pos] == ',')) {
          pos++;
          size_t start = pos;
          int64_t scale = 100000000;
          while (pos < v.size() && IsDigit(v[pos])) {
            if (scale > 0) nanos += (v[pos] - '0') * scale;
            scale /= 10;
            pos++;
          }
          if (pos == start) return bad("cannot parse fractional second");
        }
      }
    }
    if (hour > 23) return bad("hour out of range");
    if (minute > 59) return bad("minute out of range");
    if (second > 59) return bad("second out of range");
  }
  bool has_zone = false;
  int64_t offset = 0;
  if (pos < v.size()) {
    char c = v[pos];
    if (c == 'Z' || c == 'z') {
      has_zone = true;
      pos++;
    } else if (c == '+' || c == '-') {
      pos++;
      int zh, zm = 0;
      if (!ReadDigits(v, &pos, 2, &zh)) return bad("cannot parse zone");
      if (pos < v.size() && v[pos] == ':') pos++;
      if (!ReadDigits(v, &pos, 2, &zm)) return bad("cannot parse zone");
      offset = (zh * 3600 + zm * 60) * (c == '-' ? -1 : 1);
      has_zone = true;
    }
  }
  if (pos != v.size()) return bad("extra text " + Quote(v.substr(pos)));
  if (!has_zone) offset = LocalOffset(now_nanos / kNanosPerSecond);
  int64_t secs = DaysFromCivil(year, month, day) * kSecondsPerDay + hour * 3600 + minute * 60 + second - offset;
  if (secs > std::numeric_limits<int64_t>::max() / 1000000000 - 1 ||
      secs < std::numeric_limits<int64_t>::min() / 1000000000 + 1) {
    return Status(Code::kOutOfRange, "parsing time " + Quote(v) + ": out of range");
  }
  return secs * 1000000000 + nanos;
}

}  // namespace

Result<int64_t> ParseGoDuration(std::string_view orig) {
  std::string_view s = orig;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return int64_t{0};
  if (s.empty()) return InvalidDuration(orig);
  constexpr uint64_t kMax = uint64_t{1} << 63;
  uint64_t total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || IsDigit(s[0]))) return InvalidDuration(orig);
    // Integer part.
    uint64_t v = 0;
    size_t i = 0;
    while (i < s.size() && IsDigit(s[i])) {
      if (v > (kMax - 1) / 10) return InvalidDuration(orig);
      v = v * 10 + static_cast<uint64_t>(s[i] - '0');
      if (v > kMax) return InvalidDuration(orig);
      i++;
    }
    bool pre = i > 0;
    s.remove_prefix(i);
    // Fraction.
    uint64_t f = 0;
    double scale = 1;
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      size_t j = 0;
      bool overflow = false;
      while (j < s.size() && IsDigit(s[j])) {
        if (!overflow) {
          if (f > (kMax - 1) / 10) {
            overflow = true;
          } else {
            f = f * 10 + static_cast<uint64_t>(s[j] - '0');
            scale *= 10;
          }
        }
        j++;
      }
      post = j > 0;
      s.remove_prefix(j);
    }
    if (!pre && !post) return InvalidDuration(orig);
    // Unit.
    size_t u = 0;
    while (u < s.size() && s[u] != '.' && !IsDigit(s[u])) u++;
    if (u == 0) return InvalidArgument("time: missing unit in duration " + Quote(orig));
    std::string_view unit_name = s.substr(0, u);
    s.remove_prefix(u);
    uint64_t unit;
    if (unit_name == "ns") {
      unit = 1;
    } else if (unit_name == "us" || unit_name == "\xc2\xb5s" || unit_name == "\xce\xbcs") {
      unit = 1000;
    } else if (unit_name == "ms") {
      unit = 1000000;
    } else if (unit_name == "s") {
      unit = 1000000000;
    } else if (unit_name == "m") {
      unit = 60ull * 1000000000;
    } else if (unit_name == "h") {
      unit = 3600ull * 1000000000;
    } else {
      return InvalidArgument("time: unknown unit " + Quote(unit_name) + " in duration " + Quote(orig));
    }
    if (v > kMax / unit) return InvalidDuration(orig);
    v *= unit;
    if (f > 0) {
      v += static_cast<uint64_t>(static_cast<double>(f) * (static_cast<double>(unit) / scale));
      if (v > kMax) return InvalidDuration(orig);
    }
    total += v;
    if (total > kMax) return InvalidDuration(orig);
  }
  if (neg) return -static_cast<int64_t>(total - 1) - 1;
  if (total > kMax - 1) return InvalidDuration(orig);
  return static_cast<int64_t>(total);
}

Result<int64_t> ParseUnixTimestamp(std::string_view value) {
  // Docker's parseTimestamp: seconds, then an optional fraction, each Go's
  // strconv.ParseInt; the fraction is scaled by 10^(9 - its length).
  size_t dot = value.find('.');
  BERTH_ASSIGN_OR_RETURN(const int64_t secs, GoParseInt(value.substr(0, dot), 64));
  int64_t nanos = 0;
  if (dot != std::string_view::npos) {
    std::string_view frac = value.substr(dot + 1);
    BERTH_ASSIGN_OR_RETURN(const int64_t n, GoParseInt(frac, 64));
    nanos = static_cast<int64_t>(static_cast<double>(n) * std::pow(10.0, 9.0 - static_cast<double>(frac.size())));
  }
  if (secs > std::numeric_limits<int64_t>::max() / 1000000000 - 1 ||
      secs < std::numeric_limits<int64_t>::min() / 1000000000 + 1) {
    return Status(Code::kOutOfRange, "timestamp " + Quote(value) + " is out of range");
  }
  // As Go's time.Unix(sec, nsec): the fraction is always added.
  return static_cast<int64_t>(secs) * 1000000000 + nanos;
}

Result<std::string> GetTimestamp(std::string_view value, int64_t now_nanos) {
  if (value != "0") {
    Result<int64_t> d = ParseGoDuration(value);
    if (d.ok()) {
      // Go formats reference.Add(-d).Unix(): whole seconds, floored.
      return std::to_string(FloorUnixSeconds(now_nanos - *d));
    }
  }
  Result<int64_t> t = ParseDateTime(value, now_nanos);
  if (t.ok()) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%lld.%09lld", static_cast<long long>(FloorUnixSeconds(*t)),
                  static_cast<long long>(FractionNanos(*t)));
    return std::string(buf);
  }
  // A value with a '-' was meant as a date: report the date error.
  if (value.find('-') != std::string_view::npos) return t.status();
  if (!ParseUnixTimestamp(value).ok()) {
    return InvalidArgument("failed to parse value as time or duration: " + Quote(value));
  }
  return std::string(value);
}

int64_t WallClockNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<int64_t> ParseTimeValue(std::string_view value, int64_t now_nanos) {
  BERTH_ASSIGN_OR_RETURN(std::string ts, GetTimestamp(value, now_nanos));
  return ParseUnixTimestamp(ts);
}

}  // namespace berth
