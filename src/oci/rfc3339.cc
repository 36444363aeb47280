// RFC 3339 timestamps: parsing to unix time and Go-style RFC3339Nano output.

#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <string_view>

#include "berth/oci.h"

namespace berth {

namespace {

// Days since 1970-01-01 of the proleptic Gregorian date y-m-d (m 1..12).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;                                   // [0, 399]
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           // [0, 146096]
  return era * 146097 + doe - 719468;
}

// Inverse of DaysFromCivil.
void CivilFromDays(int64_t z, int64_t* y, int* m, int* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2 ? 1 : 0);
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `n` decimal digits at s[*pos]; false if any is not a digit.
bool ReadDigits(std::string_view s, size_t* pos, size_t n, int* out) {
  if (*pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[*pos + i];
    if (c < '0' || c > '9') return false;
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

struct Parsed {
  int64_t seconds = 0;  // unix seconds (floor)
  int32_t nanos = 0;    // [0, 1e9)
};

Result<Parsed> Parse(std::string_view s) {
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
  }  // else no zone: UTC
  if (pos != s.size()) return bad("unexpected text after the time");

  Parsed p;
  p.seconds = DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
  p.nanos = nanos;
  return p;
}

}  // namespace

Result<int64_t> ParseRfc3339(std::string_view s) {
  BERTH_ASSIGN_OR_RETURN(Parsed p, Parse(s));
  return p.seconds;
}

Result<int64_t> ParseRfc3339Nanos(std::string_view s) {
  BERTH_ASSIGN_OR_RETURN(Parsed p, Parse(s));
  // seconds * 1e9 + nanos must fit an int64 (years 1678..2262).
  const __int128 total = static_cast<__int128>(p.seconds) * 1000000000 + p.nanos;
  if (total > std::numeric_limits<int64_t>::max() || total < std::numeric_limits<int64_t>::min()) {
    return Status(Code::kOutOfRange,
                  "RFC 3339 time \"" + std::string(s) + "\" does not fit in int64 nanoseconds");
  }
  return static_cast<int64_t>(total);
}

std::string FormatRfc3339Nanos(int64_t unix_nanos) {
  // Floor division so that times before 1970 keep a non-negative fraction.
  int64_t secs = unix_nanos / 1000000000;
  int64_t frac = unix_nanos % 1000000000;
  if (frac < 0) {
    frac += 1000000000;
    secs -= 1;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  int64_t year;
  int month, day;
  CivilFromDays(days, &year, &month, &day);
  char buf[64];
  int n = std::snprintf(buf, sizeof(buf), "%04lld-%02d-%02dT%02d:%02d:%02d",
                        static_cast<long long>(year), month, day, static_cast<int>(rem / 3600),
                        static_cast<int>(rem % 3600 / 60), static_cast<int>(rem % 60));
  std::string out(buf, n);
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

}  // namespace berth
