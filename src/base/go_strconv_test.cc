// Go's strconv reproductions against values and messages Go gives.
#include "berth/go_strconv.h"

#include <gtest/gtest.h>

#include <string>

namespace berth {
namespace {

TEST(GoQuoteTest, Vectors) {
  struct Case {
    std::string in;
    std::string want;
  };
  const Case cases[] = {
      {"", R"("")"},
      {"linux/amd64", R"("linux/amd64")"},
      {"a\"b", R"("a\"b")"},
      {"a\\b", R"("a\\b")"},
      {"tab\there", R"("tab\there")"},
      {"nl\n", R"("nl\n")"},
      {std::string("\x01", 1), R"("\x01")"},
      {"\x7f", R"("\x7f")"},
      {"\xff", R"("\xff")"},
      {"caf\xc3\xa9", "\"caf\xc3\xa9\""},
      {"\xc2\x85", R"("\u0085")"},
      {"\xe2\x80\xa8", R"("\u2028")"},
      {"^[A-Za-z0-9_.-]+$", R"("^[A-Za-z0-9_.-]+$")"},
      {R"j(\(x\))j", R"j("\\(x\\)")j"},
  };
  for (const Case& c : cases) EXPECT_EQ(GoQuote(c.in), c.want) << c.in;
}

// The value, or the error's message.
template <typename T>
std::string Show(const Result<T>& r) {
  return r.ok() ? std::to_string(*r) : r.status().message();
}

TEST(GoParseIntTest, ValuesAndGoMessages) {
  struct Case {
    std::string in;
    int bits;
    std::string want;
  };
  const Case cases[] = {
      {"0", 64, "0"},
      {"+42", 64, "42"},
      {"-42", 64, "-42"},
      {"007", 64, "7"},
      {"9223372036854775807", 64, "9223372036854775807"},
      {"-9223372036854775808", 64, "-9223372036854775808"},
      {"9223372036854775808", 64, "strconv.ParseInt: parsing \"9223372036854775808\": value out of range"},
      {"-9223372036854775809", 64, "strconv.ParseInt: parsing \"-9223372036854775809\": value out of range"},
      {"2147483647", 32, "2147483647"},
      {"-2147483648", 32, "-2147483648"},
      {"2147483648", 32, "strconv.ParseInt: parsing \"2147483648\": value out of range"},
      {"9999999999", 32, "strconv.ParseInt: parsing \"9999999999\": value out of range"},
      // Go checks the unsigned range while it reads: past it, the range
      // error comes before a bad byte; within it, the bad byte wins.
      {"99999999999999999999x", 64, "strconv.ParseInt: parsing \"99999999999999999999x\": value out of range"},
      {"3000000000x", 32, "strconv.ParseInt: parsing \"3000000000x\": invalid syntax"},
      {"", 64, "strconv.ParseInt: parsing \"\": invalid syntax"},
      {"-", 64, "strconv.ParseInt: parsing \"-\": invalid syntax"},
      {"+-1", 64, "strconv.ParseInt: parsing \"+-1\": invalid syntax"},
      {" 1", 64, "strconv.ParseInt: parsing \" 1\": invalid syntax"},
      {"1_000", 64, "strconv.ParseInt: parsing \"1_000\": invalid syntax"},
      {"0x10", 64, "strconv.ParseInt: parsing \"0x10\": invalid syntax"},
      {"1\n", 64, "strconv.ParseInt: parsing \"1\\n\": invalid syntax"},
  };
  for (const Case& c : cases) EXPECT_EQ(Show(GoParseInt(c.in, c.bits)), c.want) << c.in << " bits " << c.bits;
}

TEST(GoAtoiTest, IsParseIntSixtyFourNamedAtoi) {
  EXPECT_EQ(Show(GoAtoi("-17")), "-17");
  EXPECT_EQ(Show(GoAtoi("4294967296")), "4294967296");
  EXPECT_EQ(Show(GoAtoi("x")), "strconv.Atoi: parsing \"x\": invalid syntax");
  EXPECT_EQ(Show(GoAtoi("9223372036854775808")), "strconv.Atoi: parsing \"9223372036854775808\": value out of range");
}

TEST(GoParseUintTest, NoSignAndTheBitsRange) {
  EXPECT_EQ(Show(GoParseUint("65535", 16)), "65535");
  EXPECT_EQ(Show(GoParseUint("65536", 16)), "strconv.ParseUint: parsing \"65536\": value out of range");
  EXPECT_EQ(Show(GoParseUint("18446744073709551615", 64)), "18446744073709551615");
  EXPECT_EQ(Show(GoParseUint("18446744073709551616", 64)),
            "strconv.ParseUint: parsing \"18446744073709551616\": value out of range");
  EXPECT_EQ(Show(GoParseUint("+1", 64)), "strconv.ParseUint: parsing \"+1\": invalid syntax");
  EXPECT_EQ(Show(GoParseUint("", 8)), "strconv.ParseUint: parsing \"\": invalid syntax");
}

TEST(GoParseBoolTest, GoSpellingsOnly) {
  for (const char* yes : {"1", "t", "T", "TRUE", "true", "True"}) EXPECT_EQ(Show(GoParseBool(yes)), "1") << yes;
  for (const char* no : {"0", "f", "F", "FALSE", "false", "False"}) EXPECT_EQ(Show(GoParseBool(no)), "0") << no;
  for (const char* bad : {"", "yes", "tRUE", "on", " true"}) {
    EXPECT_EQ(Show(GoParseBool(bad)), "strconv.ParseBool: parsing \"" + std::string(bad) + "\": invalid syntax");
  }
}

}  // namespace
}  // namespace berth
