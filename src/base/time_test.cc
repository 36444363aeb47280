// Tests of berth/time.h: civil dates, RFC 3339, Go durations and Docker's
// time filters.

#include "berth/time.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace berth {
namespace {

using ::testing::HasSubstr;

// Runs a test in the UTC zone (zone-less times are local) and restores the
// zone the process had.
class UtcZone : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tz = std::getenv("TZ");
    had_tz_ = tz != nullptr;
    if (had_tz_) saved_tz_ = tz;
    setenv("TZ", "UTC", 1);
    tzset();
  }
  void TearDown() override {
    if (had_tz_) {
      setenv("TZ", saved_tz_.c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }
  void UseZone(const char* tz) {
    setenv("TZ", tz, 1);
    tzset();
  }

 private:
  bool had_tz_ = false;
  std::string saved_tz_;
};

// ---- civil dates --------------------------------------------------------------

TEST(CivilDate, KnownDays) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(DaysFromCivil(2024, 2, 29), 19782);
  EXPECT_EQ(DaysFromCivil(1, 1, 1), -719162);
  EXPECT_EQ(DaysFromCivil(1600, 2, 29), -135081);
  EXPECT_EQ(DaysFromCivil(-1, 12, 31), -719529);  // proleptic: 2 BC
}

TEST(CivilDate, RoundTripsAcrossEras) {
  // Every day from 1599-01-01 to 2401-01-01 and back, checking continuity.
  int64_t prev = DaysFromCivil(1598, 12, 31);
  for (int64_t y = 1599; y <= 2400; ++y) {
    for (int m = 1; m <= 12; ++m) {
      for (int d = 1; d <= DaysInMonth(y, m); ++d) {
        const int64_t days = DaysFromCivil(y, m, d);
        ASSERT_EQ(days, prev + 1) << y << "-" << m << "-" << d;
        const CivilDate back = CivilFromDays(days);
        ASSERT_EQ(back.year, y);
        ASSERT_EQ(back.month, m);
        ASSERT_EQ(back.day, d);
        prev = days;
      }
    }
  }
}

TEST(CivilDate, LeapYears) {
  EXPECT_TRUE(IsLeapYear(2024));
  EXPECT_TRUE(IsLeapYear(2000));
  EXPECT_TRUE(IsLeapYear(1600));
  EXPECT_FALSE(IsLeapYear(1900));
  EXPECT_FALSE(IsLeapYear(2023));
  EXPECT_FALSE(IsLeapYear(2100));
  EXPECT_EQ(DaysInMonth(2024, 2), 29);
  EXPECT_EQ(DaysInMonth(1900, 2), 28);
  EXPECT_EQ(DaysInMonth(2023, 4), 30);
  EXPECT_EQ(DaysInMonth(2023, 12), 31);
}

TEST(UnixSeconds, FloorsBefore1970) {
  EXPECT_EQ(FloorUnixSeconds(0), 0);
  EXPECT_EQ(FloorUnixSeconds(1999999999), 1);
  EXPECT_EQ(FloorUnixSeconds(-1), -1);
  EXPECT_EQ(FloorUnixSeconds(-1000000000), -1);
  EXPECT_EQ(FloorUnixSeconds(-1000000001), -2);
}

// ---- RFC 3339 -----------------------------------------------------------------

TEST(Rfc3339Test, ValidVectors) {
  const std::vector<std::pair<std::string, int64_t>> cases = {
      {"2024-01-02T03:04:05Z", 1704164645},
      {"2024-01-02T03:04:05.123456789Z", 1704164645},
      {"2024-01-02T03:04:05.999Z", 1704164645},
      {"2024-01-02T03:04:05.5Z", 1704164645},
      {"2024-01-02T03:04:05.1234567891234Z", 1704164645},  // more than 9 digits
      {"2024-01-02T05:04:05+02:00", 1704164645},
      {"2024-01-02T03:04:05-07:00", 1704189845},
      {"2023-12-31T20:04:05-07:00", 1704078245},
      {"2024-01-02T03:34:05+00:30", 1704164645},
      {"2024-01-02T03:04:05+00:00", 1704164645},
      {"2024-01-02T03:04:05", 1704164645},  // no zone: UTC
      {"2024-01-02t03:04:05z", 1704164645},
      {"1970-01-01T00:00:00Z", 0},
      {"1969-12-31T23:59:59Z", -1},
      {"1969-12-31T23:59:59.5Z", -1},
      {"2000-02-29T23:59:59Z", 951868799},
      {"0001-01-01T00:00:00Z", -62135596800},
      {"9999-12-31T23:59:59Z", 253402300799},
  };
  for (const auto& [s, want] : cases) {
    Result<int64_t> r = ParseRfc3339(s);
    ASSERT_TRUE(r.ok()) << s << ": " << r.status().ToString();
    EXPECT_EQ(*r, want) << s;
  }
}

TEST(Rfc3339Test, InvalidVectors) {
  const std::vector<std::string> cases = {
      "",
      "2024",
      "2024-01-02",
      "2024-01-02 03:04:05Z",
      "2024-1-02T03:04:05Z",
      "2024-01-02T3:04:05Z",
      "2024-13-02T03:04:05Z",
      "2024-00-02T03:04:05Z",
      "2023-02-29T03:04:05Z",  // not a leap year
      "1900-02-29T03:04:05Z",  // not a leap year either
      "2024-04-31T03:04:05Z",
      "2024-01-02T24:00:00Z",
      "2024-01-02T03:60:05Z",
      "2024-01-02T03:04:60Z",
      "2024-01-02T03:04:05.Z",
      "2024-01-02T03:04:05+0200",
      "2024-01-02T03:04:05+2",
      "2024-01-02T03:04:05+24:00",
      "2024-01-02T03:04:05+02:60",
      "2024-01-02T03:04:05ZZ",
      "2024-01-02T03:04:05Z ",
      " 2024-01-02T03:04:05Z",
      "2024-01-02T03:04:05 UTC",
      "+2024-01-02T03:04:05Z",
  };
  for (const std::string& s : cases) {
    Result<int64_t> r = ParseRfc3339(s);
    ASSERT_FALSE(r.ok()) << s;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << s;
    EXPECT_THAT(r.status().message(), HasSubstr("\"" + s + "\"")) << s;
  }
}

TEST(Rfc3339Test, Nanos) {
  EXPECT_EQ(ParseRfc3339Nanos("2024-01-02T03:04:05.123456789Z").value(),
            1704164645123456789LL);
  EXPECT_EQ(ParseRfc3339Nanos("2024-01-02T03:04:05.5+01:00").value(),
            (1704164645LL - 3600) * 1000000000LL + 500000000LL);
  EXPECT_EQ(ParseRfc3339Nanos("1969-12-31T23:59:59.75Z").value(), -250000000LL);
  EXPECT_EQ(ParseRfc3339Nanos("2262-04-11T23:47:16.854775807Z").value(), INT64_MAX);
  Result<int64_t> over = ParseRfc3339Nanos("2262-04-11T23:47:16.854775808Z");
  EXPECT_EQ(over.status().code(), Code::kOutOfRange);
  EXPECT_EQ(ParseRfc3339Nanos("0001-01-01T00:00:00Z").status().code(), Code::kOutOfRange);
  EXPECT_EQ(ParseRfc3339Nanos("nope").status().code(), Code::kInvalidArgument);
}

TEST(Rfc3339Test, FormatNanos) {
  const std::vector<std::pair<int64_t, std::string>> cases = {
      {0, "1970-01-01T00:00:00Z"},
      {1704164645LL * 1000000000LL, "2024-01-02T03:04:05Z"},
      {1704164645123456789LL, "2024-01-02T03:04:05.123456789Z"},
      {1704164645120000000LL, "2024-01-02T03:04:05.12Z"},
      {1704164645000000100LL, "2024-01-02T03:04:05.0000001Z"},
      {1704164645500000000LL, "2024-01-02T03:04:05.5Z"},
      {-1, "1969-12-31T23:59:59.999999999Z"},
      {-1000000000LL, "1969-12-31T23:59:59Z"},
      {-250000000LL, "1969-12-31T23:59:59.75Z"},
      {951868799LL * 1000000000LL, "2000-02-29T23:59:59Z"},
      {INT64_MAX, "2262-04-11T23:47:16.854775807Z"},
      {INT64_MIN, "1677-09-21T00:12:43.145224192Z"},
  };
  for (const auto& [nanos, want] : cases) {
    EXPECT_EQ(FormatRfc3339Nanos(nanos), want) << nanos;
    // Round trip through the parser.
    Result<int64_t> back = ParseRfc3339Nanos(want);
    ASSERT_TRUE(back.ok()) << want << ": " << back.status().ToString();
    EXPECT_EQ(*back, nanos) << want;
  }
}

TEST(Rfc3339Test, FixedNineDigits) {
  const int64_t t0 = int64_t{1764410400} * kNanosPerSecond;  // 2025-11-29T10:00:00Z
  EXPECT_EQ(FormatRfc3339NanosFixed(t0 + 5), "2025-11-29T10:00:00.000000005Z");
  EXPECT_EQ(FormatRfc3339NanosFixed(t0 + 120000000), "2025-11-29T10:00:00.120000000Z");
  EXPECT_EQ(FormatRfc3339NanosFixed(0), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(FormatRfc3339NanosFixed(-1), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(FormatRfc3339NanosFixed(std::numeric_limits<int64_t>::min()), "1677-09-21T00:12:43.145224192Z");
  EXPECT_EQ(*ParseRfc3339Nanos(FormatRfc3339NanosFixed(t0 + 5), Rfc3339Zone::kRequired), t0 + 5);
}

TEST(Rfc3339Test, ZoneRequiredAsGoReadsIt) {
  const int64_t t0 = int64_t{1764410400} * kNanosPerSecond;
  EXPECT_EQ(*ParseRfc3339Nanos("2025-11-29T10:00:00Z", Rfc3339Zone::kRequired), t0);
  EXPECT_EQ(*ParseRfc3339Nanos("2025-11-29T12:00:00+02:00", Rfc3339Zone::kRequired), t0);
  Result<int64_t> zoneless = ParseRfc3339Nanos("2025-11-29T10:00:00", Rfc3339Zone::kRequired);
  ASSERT_FALSE(zoneless.ok());
  EXPECT_EQ(zoneless.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(zoneless.status().message(), HasSubstr("\"2025-11-29T10:00:00\""));
  EXPECT_EQ(*ParseRfc3339Nanos("2025-11-29T10:00:00"), t0);  // the default: UTC
  for (const char* bad : {"2025-11-29 10:00:00Z", "2025-11-29T10:00:00.Z", "2025-02-30T10:00:00Z",
                          "2025-11-29T10:00:60Z"}) {
    EXPECT_FALSE(ParseRfc3339Nanos(bad, Rfc3339Zone::kRequired).ok()) << bad;
  }
}

// ---- Go durations and Docker's time filters -----------------------------------

TEST(GoDuration, Table) {
  constexpr int64_t kS = 1000000000;
  struct Case {
    const char* in;
    int64_t want;
  } ok[] = {
      {"0", 0},           {"24h", 24 * 3600 * kS}, {"10m", 600 * kS},   {"1h30m", 5400 * kS},
      {"1.5h", 5400 * kS}, {"-2s", -2 * kS},       {"+3ms", 3000000},   {"300us", 300000},
      {"7ns", 7},          {".5s", kS / 2},        {"1\xc2\xb5s", 1000}, {"2h45m30.5s", (2 * 3600 + 45 * 60 + 30) * kS + kS / 2},
  };
  for (const auto& c : ok) {
    Result<int64_t> d = ParseGoDuration(c.in);
    ASSERT_TRUE(d.ok()) << c.in << ": " << d.status().ToString();
    EXPECT_EQ(*d, c.want) << c.in;
  }
  struct Bad {
    const char* in;
    const char* msg;
  } bad[] = {
      {"", "time: invalid duration \"\""},
      {"x", "time: invalid duration \"x\""},
      {"1", "time: missing unit in duration \"1\""},
      {"1y", "time: unknown unit \"y\" in duration \"1y\""},
      {"1h-2m", "time: unknown unit \"h-\" in duration \"1h-2m\""},
      {".h", "time: invalid duration \".h\""},
      {"9999999999999h", "time: invalid duration \"9999999999999h\""},
  };
  for (const auto& c : bad) {
    Result<int64_t> d = ParseGoDuration(c.in);
    ASSERT_FALSE(d.ok()) << c.in;
    EXPECT_EQ(d.status().message(), c.msg);
  }
}

TEST(Timestamps, UnixAndFractions) {
  EXPECT_EQ(*ParseUnixTimestamp("0"), 0);
  EXPECT_EQ(*ParseUnixTimestamp("1700000000"), int64_t{1700000000} * 1000000000);
  EXPECT_EQ(*ParseUnixTimestamp("1.5"), 1500000000);
  EXPECT_EQ(*ParseUnixTimestamp("1.000000001"), 1000000001);
  EXPECT_EQ(*ParseUnixTimestamp("-1"), -1000000000);
  EXPECT_FALSE(ParseUnixTimestamp("abc").ok());
  EXPECT_FALSE(ParseUnixTimestamp("1.x").ok());
  EXPECT_FALSE(ParseUnixTimestamp("").ok());
  // Docker's words: each part is Go's strconv.ParseInt.
  EXPECT_EQ(ParseUnixTimestamp("1.x").status().message(), "strconv.ParseInt: parsing \"x\": invalid syntax");
  EXPECT_EQ(ParseUnixTimestamp("1.").status().message(), "strconv.ParseInt: parsing \"\": invalid syntax");
  EXPECT_EQ(ParseUnixTimestamp("x.5").status().message(), "strconv.ParseInt: parsing \"x\": invalid syntax");
  EXPECT_EQ(ParseUnixTimestamp("99999999999999999999").status().message(),
            "strconv.ParseInt: parsing \"99999999999999999999\": value out of range");
}

TEST(Timestamps, GetTimestampForms) {
  const int64_t now = int64_t{1700000000} * 1000000000 + 250000000;  // 2023-11-14T22:13:20.25Z
  // Durations count back from now, in whole seconds.
  EXPECT_EQ(*GetTimestamp("24h", now), std::to_string(1700000000 - 86400));
  EXPECT_EQ(*GetTimestamp("10m", now), std::to_string(1700000000 - 600));
  // "0" is a timestamp, not a duration.
  EXPECT_EQ(*GetTimestamp("0", now), "0");
  EXPECT_EQ(*GetTimestamp("1700000000.5", now), "1700000000.5");
  // RFC 3339 with zones.
  EXPECT_EQ(*GetTimestamp("2023-11-14T22:13:20Z", now), "1700000000.000000000");
  EXPECT_EQ(*GetTimestamp("2023-11-14T23:13:20+01:00", now), "1700000000.000000000");
  EXPECT_EQ(*GetTimestamp("2023-11-14T22:13:20.123456789Z", now), "1700000000.123456789");
  EXPECT_EQ(*GetTimestamp("2023-11-14Z", now), "1699920000.000000000");
  Result<std::string> bad_date = GetTimestamp("2023-13-01", now);
  ASSERT_FALSE(bad_date.ok());
  EXPECT_NE(bad_date.status().message().find("month out of range"), std::string::npos);
  Result<std::string> junk = GetTimestamp("junk", now);
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.status().message(), "failed to parse value as time or duration: \"junk\"");

  EXPECT_EQ(*ParseTimeValue("1h", now), (int64_t{1700000000} - 3600) * 1000000000);
  EXPECT_EQ(*ParseTimeValue("2023-11-14T22:13:20.5Z", now), int64_t{1700000000} * 1000000000 + 500000000);
}

TEST_F(UtcZone, LocalTimeWithoutZone) {
  const int64_t now = int64_t{1700000000} * 1000000000;
  EXPECT_EQ(*GetTimestamp("2023-11-14T22:13:20", now), "1700000000.000000000");
  EXPECT_EQ(*GetTimestamp("2023-11-14T22:13", now), "1699999980.000000000");
  EXPECT_EQ(*GetTimestamp("2023-11-14", now), "1699920000.000000000");
}

// The cases the berth CLI's own copy of the time filter covered.
TEST_F(UtcZone, TimeValueFormsOfTheCli) {
  const int64_t now = 1704067200 * kNanosPerSecond + 250000000;  // 2024-01-01T00:00:00.25Z
  struct Case {
    const char* in;
    int64_t want;
  } cases[] = {
      {"24h", (1704067200 - 86400) * kNanosPerSecond},
      {"1h30m", (1704067200 - 5400) * kNanosPerSecond},
      {"1.5h", (1704067200 - 5400) * kNanosPerSecond},
      {"300ms", 1704067199 * kNanosPerSecond},  // whole seconds of now - d
      {"-1h", (1704067200 + 3600) * kNanosPerSecond},
      {"0", 0},
      {"1700000000", 1700000000 * kNanosPerSecond},
      {"1700000000.5", 1700000000 * kNanosPerSecond + 500000000},
      {"1700000000.000000001", 1700000000 * kNanosPerSecond + 1},
      {"2024-01-02", (1704067200 + 86400) * kNanosPerSecond},
      {"2024-01-02T03", (1704067200 + 86400 + 3 * 3600) * kNanosPerSecond},
      {"2024-01-02T03:04", (1704067200 + 86400 + 3 * 3600 + 240) * kNanosPerSecond},
      {"2024-01-02T03:04:05", (1704067200 + 86400 + 3 * 3600 + 245) * kNanosPerSecond},
      {"2024-01-02T03:04:05Z", (1704067200 + 86400 + 3 * 3600 + 245) * kNanosPerSecond},
      {"2024-01-02T03:04:05+01:00", (1704067200 + 86400 + 2 * 3600 + 245) * kNanosPerSecond},
      {"2024-01-02T03:04:05.5Z", (1704067200 + 86400 + 3 * 3600 + 245) * kNanosPerSecond + 500000000},
      {"2024-02-29", (1704067200 + 59 * 86400) * kNanosPerSecond},
      {"1969-12-31", -86400 * kNanosPerSecond},
  };
  for (const Case& c : cases) {
    auto got = ParseTimeValue(c.in, now);
    ASSERT_TRUE(got.ok()) << c.in << ": " << got.status().message();
    EXPECT_EQ(*got, c.want) << c.in;
  }
  auto bad = ParseTimeValue("soon", now);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "failed to parse value as time or duration: \"soon\"");
  for (const char* in : {"2024-13-01", "2024-01-32", "2023-02-29", "2024-1-1", "2024-01-02T25:00", "2024-01-02Tx"}) {
    auto r = ParseTimeValue(in, now);
    ASSERT_FALSE(r.ok()) << in;
    EXPECT_EQ(r.status().message().rfind("parsing time \"", 0), 0u) << r.status().message();
  }
  for (const char* in : {"1.2.3", "", "12h5", "1e9", "+"}) {
    EXPECT_FALSE(ParseTimeValue(in, now).ok()) << in;
  }
}

TEST_F(UtcZone, ZoneLessTimesUseTheLocalOffset) {
  UseZone("EST5");
  const int64_t now = int64_t{1700000000} * kNanosPerSecond;
  EXPECT_EQ(*GetTimestamp("2023-11-14T17:13:20", now), "1700000000.000000000");
  EXPECT_EQ(*ParseTimeValue("2023-11-14", now), (int64_t{1699920000} + 5 * 3600) * kNanosPerSecond);
  // A zone in the value wins over the local one.
  EXPECT_EQ(*ParseTimeValue("2023-11-14T22:13:20Z", now), int64_t{1700000000} * kNanosPerSecond);
}

TEST(Timestamps, DatesBefore1970AndOutOfRange) {
  const int64_t now = int64_t{1700000000} * kNanosPerSecond;
  EXPECT_EQ(*GetTimestamp("1969-12-31T23:59:59.5Z", now), "-1.500000000");
  EXPECT_EQ(*ParseTimeValue("1969-12-31T23:59:59.5Z", now), -500000000);
  // Seconds that do not fit int64 nanoseconds are no timestamp.
  Result<int64_t> far = ParseTimeValue("99999999999", now);
  ASSERT_FALSE(far.ok());
  EXPECT_EQ(far.status().message(), "failed to parse value as time or duration: \"99999999999\"");
  EXPECT_EQ(ParseUnixTimestamp("99999999999").status().code(), Code::kOutOfRange);
}

}  // namespace
}  // namespace berth
