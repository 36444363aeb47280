// Tests for the Go-compatible text helpers behind platform messages.

#include "platform/go_text.h"

#include "berth/json_text.h"

#include <gtest/gtest.h>

#include <string>

namespace berth {
namespace platform_internal {
namespace {

TEST(GoJsonSyntaxErrorTest, ValidDocuments) {
  const char* valid[] = {
      "{}", " { } ", "null", "true", "false", "0", "-0", "12", "1.5e+10", "1E-2", "\"s\"",
      "[]", "[1,[2,{}]]", R"({"a":{"b":[null,true,"\u00e9\n"]}})", "\t\r\n{}\n",
  };
  for (const char* text : valid) EXPECT_EQ(GoJsonSyntaxError(text), std::nullopt) << text;
}

TEST(GoJsonSyntaxErrorTest, Messages) {
  struct Case {
    std::string in;
    std::string want;
  };
  const Case cases[] = {
      {"", "unexpected end of JSON input"},
      {"   ", "unexpected end of JSON input"},
      {"{", "unexpected end of JSON input"},
      {R"({"a")", "unexpected end of JSON input"},
      {R"({"a":)", "unexpected end of JSON input"},
      {R"("abc)", "unexpected end of JSON input"},
      {"[1", "unexpected end of JSON input"},
      {"linux/ams64", "invalid character 'l' looking for beginning of value"},
      {"-", "invalid character ' ' in numeric literal"},
      {"tru", "invalid character ' ' in literal true (expecting 'e')"},
      {"nul", "invalid character ' ' in literal null (expecting 'l')"},
      {"fals", "invalid character ' ' in literal false (expecting 'e')"},
      {"tx", "invalid character 'x' in literal true (expecting 'r')"},
      {R"({"a":1,})", "invalid character '}' looking for beginning of object key string"},
      {"{'a':1}", "invalid character '\\'' looking for beginning of object key string"},
      {R"({"a" 1})", "invalid character '1' after object key"},
      {R"({"a":1 "b":2})", "invalid character '\"' after object key:value pair"},
      {"[1 2]", "invalid character '2' after array element"},
      {"[1,]", "invalid character ']' looking for beginning of value"},
      {"{} x", "invalid character 'x' after top-level value"},
      {"01", "invalid character '1' after top-level value"},
      {"1.", "invalid character ' ' after decimal point in numeric literal"},
      {"1.x", "invalid character 'x' after decimal point in numeric literal"},
      {"1e", "invalid character ' ' in exponent of numeric literal"},
      {"1e+}", "invalid character '}' in exponent of numeric literal"},
      {"-a", "invalid character 'a' in numeric literal"},
      {R"("\x")", "invalid character 'x' in string escape code"},
      {R"("\u12G4")", "invalid character 'G' in \\u hexadecimal character escape"},
      {"\"a\nb\"", "invalid character '\\n' in string literal"},
      {"\"a\tb\"", "invalid character '\\t' in string literal"},
      {"\x01", "invalid character '\\x01' looking for beginning of value"},
      {"\xff", "invalid character '\xc3\xbf' looking for beginning of value"},
      {"+1", "invalid character '+' looking for beginning of value"},
  };
  for (const Case& c : cases) {
    auto got = GoJsonSyntaxError(c.in);
    ASSERT_TRUE(got.has_value()) << c.in;
    EXPECT_EQ(*got, c.want) << c.in;
  }
}

TEST(GoJsonSyntaxErrorTest, MaxDepth) {
  EXPECT_EQ(GoJsonSyntaxError(std::string(10000, '[') + std::string(10000, ']')), std::nullopt);
  auto err = GoJsonSyntaxError(std::string(10001, '['));
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(*err, "invalid character '[' exceeded max depth");
}

TEST(AppendGoJsonStringTest, Vectors) {
  struct Case {
    std::string in;
    std::string want;
  };
  const Case cases[] = {
      {"linux", R"("linux")"},
      {"", R"("")"},
      {"a\"b\\c", R"("a\"b\\c")"},
      {"<a&b>", R"("\u003ca\u0026b\u003e")"},
      {"\n\r\t\b\f", R"("\n\r\t\b\f")"},
      {std::string("\x00\x1f", 2), R"("\u0000\u001f")"},
      {"\xff", R"("\ufffd")"},
      {"\xe2\x80\xa8\xe2\x80\xa9", R"("\u2028\u2029")"},
      {"caf\xc3\xa9", "\"caf\xc3\xa9\""},
  };
  for (const Case& c : cases) {
    std::string out;
    AppendGoJsonString(&out, c.in);
    EXPECT_EQ(out, c.want) << c.in;
  }
}

TEST(GoCoerceUtf8Test, ReplacesEachBadByte) {
  EXPECT_EQ(GoCoerceUtf8("abc"), "abc");
  EXPECT_EQ(GoCoerceUtf8("a\xff" "b"), "a\xef\xbf\xbd" "b");
  EXPECT_EQ(GoCoerceUtf8("\xc3"), "\xef\xbf\xbd");                          // truncated
  EXPECT_EQ(GoCoerceUtf8("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");          // overlong
  EXPECT_EQ(GoCoerceUtf8("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // surrogate
  EXPECT_EQ(GoCoerceUtf8("\xf0\x9f\x90\xb3"), "\xf0\x9f\x90\xb3");
}

}  // namespace
}  // namespace platform_internal
}  // namespace berth
