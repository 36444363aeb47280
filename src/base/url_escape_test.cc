// Go's url.QueryUnescape and url.PathUnescape, with Go's error texts.
#include "berth/url_escape.h"

#include <gtest/gtest.h>

#include <string>

namespace berth {
namespace {

// The decoded text, or the error's message.
std::string Show(std::string_view s, bool plus_is_space) {
  Result<std::string> r = UrlUnescape(s, plus_is_space);
  return r.ok() ? *r : "error: " + r.status().message();
}

TEST(UrlUnescapeTest, QueryAndPathForms) {
  EXPECT_EQ(Show("a+b%20c%2Fd", true), "a b c/d");
  EXPECT_EQ(Show("a+b", false), "a+b");  // '+' is not a space in paths
  EXPECT_EQ(Show("%7B%22a%22%3A1%7D", true), "{\"a\":1}");
  EXPECT_EQ(Show("a%2Bb", false), "a+b");
  EXPECT_EQ(Show("50%25done", false), "50%done");
  EXPECT_EQ(Show("%2f%2F", false), "//");
  EXPECT_EQ(Show("%00%ff", false), std::string("\0\xff", 2));
  EXPECT_EQ(Show("", true), "");
}

TEST(UrlUnescapeTest, BadEscapesInGosWords) {
  EXPECT_EQ(Show("50%zz", false), R"(error: invalid URL escape "%zz")");
  EXPECT_EQ(Show("abc%2", true), R"(error: invalid URL escape "%2")");
  EXPECT_EQ(Show("%", false), R"(error: invalid URL escape "%")");
  EXPECT_EQ(Show("%g12", false), R"(error: invalid URL escape "%g1")");
  EXPECT_EQ(Show("%\xff\x01", true), R"(error: invalid URL escape "%\xff\x01")");
  EXPECT_EQ(UrlUnescape("x%zz", true).status().code(), Code::kInvalidArgument);
}

TEST(UrlUnescapeTest, HexDigits) {
  EXPECT_EQ(HexDigitValue('0'), 0);
  EXPECT_EQ(HexDigitValue('9'), 9);
  EXPECT_EQ(HexDigitValue('a'), 10);
  EXPECT_EQ(HexDigitValue('F'), 15);
  for (char c : {'g', 'G', '/', ':', '@', '`', ' ', '\0'}) EXPECT_EQ(HexDigitValue(c), -1) << c;
}

}  // namespace
}  // namespace berth
