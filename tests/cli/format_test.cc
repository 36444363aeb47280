// Unit tests of the berth CLI's docker-compatible formatting helpers
// (tools/berth/format.h), compiled from the tool's sources.
#include "format.h"

#include <cstdlib>
#include <ctime>

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

constexpr int64_t kSec = 1000000000;

TEST(HumanDuration, MatchesGoUnits) {
  struct Case {
    int64_t nanos;
    const char* want;
  } cases[] = {
      {-5 * kSec, "Less than a second"},
      {0, "Less than a second"},
      {kSec - 1, "Less than a second"},
      {kSec, "1 second"},
      {59 * kSec, "59 seconds"},
      {60 * kSec, "About a minute"},
      {119 * kSec, "About a minute"},
      {120 * kSec, "2 minutes"},
      {3599 * kSec, "59 minutes"},
      {3600 * kSec, "About an hour"},
      {5399 * kSec, "About an hour"},   // 1.4997h rounds to 1
      {5400 * kSec, "2 hours"},         // 1.5h rounds to 2
      {47 * 3600 * kSec, "47 hours"},
      {(47 * 3600 + 1800) * kSec, "2 days"},  // rounds to 48 hours
      {13 * 86400 * kSec, "13 days"},
      {14 * 86400 * kSec, "2 weeks"},
      {59 * 86400 * kSec, "8 weeks"},
      {60 * 86400 * kSec, "2 months"},
      {729 * 86400 * kSec, "24 months"},
      {730 * 86400 * kSec, "2 years"},
      {1095 * 86400 * kSec, "3 years"},
  };
  for (const Case& c : cases) EXPECT_EQ(HumanDuration(c.nanos), c.want) << c.nanos;
}

TEST(HumanSize, MatchesGoUnits) {
  struct Case {
    double size;
    int precision;
    const char* want;
  } cases[] = {
      {0, 3, "0B"},          {1, 3, "1B"},          {999, 3, "999B"},          {1000, 3, "1kB"},
      {1234, 3, "1.23kB"},   {1235, 3, "1.24kB"},   {999499, 3, "999kB"},      {999500, 3, "1e+03kB"},
      {7800000, 3, "7.8MB"}, {1e9, 3, "1GB"},       {1234567, 4, "1.235MB"},   {2376, 3, "2.38kB"},
      {-1, 3, "-1B"},        {123456789012.0, 4, "123.5GB"},
  };
  for (const Case& c : cases) EXPECT_EQ(HumanSizeWithPrecision(c.size, c.precision), c.want) << c.size;
  EXPECT_EQ(HumanSize(1234567), "1.235MB");
}

TEST(TruncateId, DropsAlgorithmAndKeepsTwelve) {
  EXPECT_EQ(TruncateId("sha256:0123456789abcdef0123"), "0123456789ab");
  EXPECT_EQ(TruncateId("0123456789abcdef"), "0123456789ab");
  EXPECT_EQ(TruncateId("<missing>"), "<missing>");
  EXPECT_EQ(TruncateId(""), "");
}

TEST(Ellipsis, CountsRunes) {
  std::string s50(50, 'a');
  EXPECT_EQ(Ellipsis(s50, 45), std::string(44, 'a') + "\u2026");
  EXPECT_EQ(Ellipsis(std::string(45, 'b'), 45), std::string(45, 'b'));
  EXPECT_EQ(Ellipsis("\u00e9\u00e9\u00e9\u00e9", 3), "\u00e9\u00e9\u2026");
  EXPECT_EQ(Ellipsis("abc", 0), "");
  EXPECT_EQ(RuneCount("a\u00e9\u2026"), 3u);
}

TEST(TabWrite, DockerTableLayout) {
  EXPECT_EQ(TabWrite("REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\n"),
            "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n");
  // 15 characters + padding 3 = 18.
  EXPECT_EQ(TabWrite("A\tB\tC\nlonger-than-ten\tx\ty\n"),
            "A" + std::string(17, ' ') + "B         C\n"
            "longer-than-ten   x         y\n");
  // The last cell is not padded; an empty last cell leaves the padding of
  // the cell before it (docker history's empty COMMENT).
  EXPECT_EQ(TabWrite("a\tb\t\n"), "a         b         \n");
  // Widths count runes, not bytes.
  EXPECT_EQ(TabWrite("\u2026\tx\nab\ty\n"), "\u2026         x\nab        y\n");
  // A line without the column ends the column block.
  EXPECT_EQ(TabWrite("aaaaaaaaaaaaaa\tb\nlone\nc\td\n"),
            "aaaaaaaaaaaaaa   b\nlone\nc         d\n");
  EXPECT_EQ(TabWrite(""), "");
}

TEST(JsonString, GoEscaping) {
  EXPECT_EQ(JsonString("plain", false), "\"plain\"");
  EXPECT_EQ(JsonString("q\"b\\", false), "\"q\\\"b\\\\\"");
  EXPECT_EQ(JsonString("\n\r\t\x01", false), "\"\\n\\r\\t\\u0001\"");
  EXPECT_EQ(JsonString("<a&b>", true), "\"\\u003ca\\u0026b\\u003e\"");
  EXPECT_EQ(JsonString("<a&b>", false), "\"<a&b>\"");
  EXPECT_EQ(JsonString("\u00e9\u4e2d", true), "\"\u00e9\u4e2d\"");
  EXPECT_EQ(JsonString("\u2028\u2029", false), "\"\\u2028\\u2029\"");
  EXPECT_EQ(JsonString("a\xff" "b", false), "\"a\\ufffdb\"");
  EXPECT_EQ(JsonString("\xc3", false), "\"\\ufffd\"");       // truncated sequence
  EXPECT_EQ(JsonString("\xc0\xaf", false), "\"\\ufffd\\ufffd\"");  // overlong
}

TEST(JsonIndent, LikeGo) {
  EXPECT_EQ(JsonIndent("[]", "    "), "[]");
  EXPECT_EQ(JsonIndent("{\"a\":[],\"b\":{},\"c\":[1,2]}", "  "),
            "{\n  \"a\": [],\n  \"b\": {},\n  \"c\": [\n    1,\n    2\n  ]\n}");
  EXPECT_EQ(JsonIndent("[{\"k\":\"v{[,:]}\\\"\"}]", "    "),
            "[\n    {\n        \"k\": \"v{[,:]}\\\"\"\n    }\n]");
  EXPECT_EQ(JsonIndent("{\"x\":null,\"y\":true}", "\t"), "{\n\t\"x\": null,\n\t\"y\": true\n}");
}

class UtcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
};

TEST_F(UtcTest, GoTimeFormats) {
  EXPECT_EQ(GoTimeString(1704067200), "2024-01-01 00:00:00 +0000 UTC");
  EXPECT_EQ(GoRfc3339(1704067200), "2024-01-01T00:00:00Z");
  EXPECT_EQ(GoRfc3339(0), "1970-01-01T00:00:00Z");
}

TEST_F(UtcTest, GoTimeFormatsInAnotherZone) {
  setenv("TZ", "EST5", 1);
  tzset();
  EXPECT_EQ(GoTimeString(1704067200), "2023-12-31 19:00:00 -0500 EST");
  EXPECT_EQ(GoRfc3339(1704067200), "2023-12-31T19:00:00-05:00");
  setenv("TZ", "UTC", 1);
  tzset();
}

std::function<std::string(const std::string&)> Getter(std::map<std::string, std::string> m) {
  return [m](const std::string& k) { return m.count(k) ? m.at(k) : std::string(); };
}

TEST(RowFormat, TableJsonAndTemplates) {
  std::map<std::string, std::string> headers = {{"ID", "IMAGE ID"}, {"Name", "NAME"}};
  auto rows = std::vector<std::function<std::string(const std::string&)>>{
      Getter({{"ID", "abc"}, {"Name", "<x>"}}), Getter({{"ID", "defghijklmnop"}, {"Name", "y"}})};

  RowFormat table("table {{.Name}}\\t{{ .ID }}", headers);
  ASSERT_TRUE(table.Parse().ok());
  EXPECT_TRUE(table.is_table());
  EXPECT_EQ(*table.Render(rows), "NAME      IMAGE ID\n<x>       abc\ny         defghijklmnop\n");

  RowFormat json("json", headers);
  ASSERT_TRUE(json.Parse().ok());
  EXPECT_EQ(*json.Render(rows), "{\"ID\":\"abc\",\"Name\":\"\\u003cx\\u003e\"}\n"
                                "{\"ID\":\"defghijklmnop\",\"Name\":\"y\"}\n");

  RowFormat plain("{{.Name}}={{json .ID}}", headers);
  ASSERT_TRUE(plain.Parse().ok());
  EXPECT_EQ(*plain.Render(rows), "<x>=\"abc\"\ny=\"defghijklmnop\"\n");

  RowFormat empty_table("table {{.ID}}", headers);
  ASSERT_TRUE(empty_table.Parse().ok());
  EXPECT_EQ(*empty_table.Render({}), "IMAGE ID\n");

  RowFormat unknown("{{.Nope}}", headers);
  Status s = unknown.Parse();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("can't evaluate field Nope"), std::string::npos) << s.message();
  EXPECT_FALSE(RowFormat("{{.ID", headers).Parse().ok());
  EXPECT_FALSE(RowFormat("{{range .}}", headers).Parse().ok());
}

}  // namespace
}  // namespace berth::cli
