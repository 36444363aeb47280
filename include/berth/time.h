// Time values in the forms Docker and Go use: proleptic Gregorian civil
// dates, RFC 3339 timestamps, Go durations and Docker's CLI/API time
// filters. Every module that reads or writes such a value uses these
// functions; none keeps its own calendar arithmetic. Pure functions except
// WallClockNanos() and the zone-less forms of GetTimestamp/ParseTimeValue,
// which read the local time zone (TZ).
//
// Unix times are int64 seconds or nanoseconds since 1970-01-01T00:00:00Z;
// times before 1970 are negative, and a split into seconds and fraction
// floors the seconds, so the fraction is always in [0, 1e9).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "berth/status.h"

namespace berth {

inline constexpr int64_t kNanosPerSecond = 1000000000;
inline constexpr int64_t kSecondsPerDay = 86400;

// ---- Civil dates (proleptic Gregorian, any year) ----------------------------

struct CivilDate {
  int64_t year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..DaysInMonth(year, month)
};

bool IsLeapYear(int64_t year);
// Days of `month` (1..12) in `year`: 28..31.
int DaysInMonth(int64_t year, int month);
// Days since 1970-01-01 of year-month-day; negative before 1970. `month`
// must be 1..12 and `day` 1..31 (a day past the month's end counts on).
int64_t DaysFromCivil(int64_t year, int month, int day);
// The inverse of DaysFromCivil.
CivilDate CivilFromDays(int64_t days);

// Floor of unix_nanos / 1e9 (so -1 ns is second -1).
int64_t FloorUnixSeconds(int64_t unix_nanos);

// ---- RFC 3339 -----------------------------------------------------------------

enum class Rfc3339Zone {
  kOptionalUtc,  // a time without a zone is UTC (berth reads image configs so)
  kRequired,     // as Go's time.RFC3339Nano: the zone must be present
};

// Parses "YYYY-MM-DDThh:mm:ss[.frac](Z|±hh:mm)" ('T' and 'Z' in either case)
// to unix nanoseconds. The fraction has at least one digit; digits past the
// ninth are ignored. Fields are range-checked (day against the month, no
// leap second, zone offset below 24:00). Errors: InvalidArgument
// `invalid RFC 3339 time "<s>": <why>`; OutOfRange when the time does not fit
// int64 nanoseconds (outside 1677-09-21 .. 2262-04-11).
Result<int64_t> ParseRfc3339Nanos(std::string_view s, Rfc3339Zone zone = Rfc3339Zone::kOptionalUtc);
// The same grammar to unix seconds (floored), for any year 0000..9999.
Result<int64_t> ParseRfc3339(std::string_view s, Rfc3339Zone zone = Rfc3339Zone::kOptionalUtc);

// UTC in Go's RFC3339Nano layout ("2006-01-02T15:04:05.999999999Z07:00"):
// "2024-01-02T03:04:05.12Z"; the fraction's trailing zeros, and a bare '.',
// are dropped.
std::string FormatRfc3339Nanos(int64_t unix_nanos);
// UTC in Docker's RFC3339NanoFixed layout: always nine fraction digits,
// "2024-01-02T03:04:05.120000000Z" (json-file log lines, log timestamps).
std::string FormatRfc3339NanosFixed(int64_t unix_nanos);

// ---- Go durations and Docker's time filters -----------------------------------

// Go's time.ParseDuration, in nanoseconds ("1h30m", "1.5s", "-300ms", "0").
// Errors (InvalidArgument, Go's texts):
//   time: invalid duration "x"
//   time: missing unit in duration "1"
//   time: unknown unit "y" in duration "1y"
Result<int64_t> ParseGoDuration(std::string_view s);

// Docker's timetypes.GetTimestamp: turns a CLI/API time value into
// "seconds[.nanoseconds]". Accepts a Go duration (relative to `now_nanos`,
// into the past, whole seconds), RFC 3339-like dates and times
// "YYYY-MM-DD[Thh[:mm[:ss[.frac]]]][Z|±hh[:]mm]" (local time, at the zone
// offset in effect at `now_nanos`, when no zone is given), or a unix
// timestamp with optional fraction. A malformed value containing '-' is a
// date error `parsing time "<v>": <why>`; anything else unparsable is
// InvalidArgument `failed to parse value as time or duration: "<v>"`.
Result<std::string> GetTimestamp(std::string_view value, int64_t now_nanos);

// Docker's timetypes.ParseTimestamps for "sec[.frac]" -> unix nanoseconds.
// Errors: Go's strconv texts (`strconv.ParseInt: parsing "x": invalid
// syntax`), OutOfRange when the seconds do not fit int64 nanoseconds.
Result<int64_t> ParseUnixTimestamp(std::string_view value);

// GetTimestamp followed by ParseUnixTimestamp: any accepted time value as
// unix nanoseconds. What the `since`/`until` filters of both the Engine API
// and the berth CLI accept.
Result<int64_t> ParseTimeValue(std::string_view value, int64_t now_nanos);

// The wall clock (CLOCK_REALTIME) as unix nanoseconds. Code that must be
// testable with a fake clock reads Env::NowUnixNanos() instead.
int64_t WallClockNanos();

}  // namespace berth
