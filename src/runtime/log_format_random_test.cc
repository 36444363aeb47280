// ParseShimLogLine (the fast path of ParseLogLine) against a JSON parser, on
// the lines the shim writes and on random damage to them.

#include <boost/beast/core/detail/base64.hpp>
#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "berth/time.h"
#include "gtest/gtest.h"
#include "runtime/log_format.h"

namespace berth {
namespace {

using runtime_internal::AppendLogLine;
using runtime_internal::ParseLogLine;
using runtime_internal::ParseShimLogLine;

constexpr int64_t kT0 = 1764410400LL * 1000000000LL;  // 2025-11-29T10:00:00Z

// The reference: what a JSON parser makes of `line` (nullopt: not an entry).
std::optional<LogEntry> ByJsonParser(std::string_view line) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(line, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& obj = v.get_object();
  const auto* log = obj.if_contains("log");
  if (log == nullptr || !log->is_string()) return std::nullopt;
  LogEntry e;
  e.data = std::string(log->get_string());
  if (const auto* s = obj.if_contains("stream"); s && s->is_string()) e.stream = std::string(s->get_string());
  if (const auto* t = obj.if_contains("time"); t && t->is_string()) {
    auto parsed = ParseRfc3339Nanos(std::string_view(t->get_string()), Rfc3339Zone::kRequired);
    if (parsed.ok()) e.time_unix_nanos = *parsed;
  }
  if (const auto* raw = obj.if_contains("raw"); raw && raw->is_string()) {
    // berth/base64.h's contract, checked by rule and decoded by Beast's
    // codec: either alphabet, padding optional but completing the last
    // quad, no lone final character; damaged: no bytes.
    namespace b64 = boost::beast::detail::base64;
    std::string in(raw->get_string());
    const size_t bare = in.find_last_not_of('=') + 1;  // 0 when all '=' (or empty)
    const size_t padding = in.size() - bare;
    for (char& c : in) c = c == '-' ? '+' : c == '_' ? '/' : c;
    const bool alphabet =
        in.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") >= bare;
    if (alphabet && padding <= 2 && bare % 4 != 1 && (padding == 0 || in.size() % 4 == 0)) {
      std::string bytes(bare / 4 * 3 + 3, '\0');
      auto [written, read] = b64::decode(bytes.data(), in.data(), bare);
      if (read == bare) e.raw = bytes.substr(0, written);
    }
  }
  return e;
}

void ExpectSame(const LogEntry& a, const LogEntry& b, std::string_view line) {
  EXPECT_EQ(a.data, b.data) << line;
  EXPECT_EQ(a.raw, b.raw) << line;
  EXPECT_EQ(a.stream, b.stream) << line;
  EXPECT_EQ(a.time_unix_nanos, b.time_unix_nanos) << line;
}

std::string RandomData(std::mt19937_64& rng) {
  static const std::string kPieces[] = {"\"",
                                        "\\",
                                        "/",
                                        "\n",
                                        "\r",
                                        "\t",
                                        "\x01",
                                        "\x7f",
                                        "<",
                                        "&",
                                        "\xc3\xa9",
                                        "\xe2\x80\xa8",
                                        "\xf0\x9f\x98\x80",
                                        "\xff",
                                        "\xc3",
                                        "\xed\xa0\x80"};
  std::string out;
  const int n = static_cast<int>(rng() % 40);
  for (int i = 0; i < n; ++i) {
    if (rng() % 3 == 0) {
      out += kPieces[rng() % std::size(kPieces)];
    } else {
      out.push_back(static_cast<char>(rng() % 256));
    }
  }
  return out;
}

// One random change to `line`: a byte replaced, removed or inserted, an
// escape inserted, or the line cut short.
std::string Damage(std::string line, std::mt19937_64& rng) {
  static const std::string kInserts[] = {"\\u00e9", "\\ud83d\\ude00", "\\ud800", "\\udc00", "\\ud800\\u0041", "\\x",
                                         "\\u12", "\"", "\\", " ", "\x01", "\xc3", "\xe9", "\\/", "}",
                                         // raw UTF-8: well-formed, then a surrogate, overlong forms
                                         // and a code point past U+10FFFF
                                         "\xc3\xa9", "\xf0\x9f\x98\x80", "\xed\xa0\x80", "\xe0\x80\x80", "\xc0\xaf",
                                         "\xf4\x90\x80\x80", "\xf0\x80\x80\x80"};
  if (line.empty()) return line;
  const size_t at = rng() % line.size();
  switch (rng() % 5) {
    case 0: line[at] = static_cast<char>(rng() % 256); break;
    case 1: line.erase(at, 1); break;
    case 2: line.insert(at, 1, static_cast<char>(rng() % 256)); break;
    case 3: line.insert(at, kInserts[rng() % std::size(kInserts)]); break;
    default: line.resize(at); break;
  }
  return line;
}

// Whether `s` is UTF-8, as the JSON parser judges it: `s` as a JSON string
// with only the characters JSON requires escaped.
bool ValidUtf8(const std::string& s) {
  static const char kHex[] = "0123456789abcdef";
  std::string doc = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\' || u < 0x20) {
      doc += "\\u00";
      doc += kHex[u >> 4];
      doc += kHex[u & 15];
    } else {
      doc += c;
    }
  }
  doc += "\"";
  boost::system::error_code ec;
  boost::json::parse(doc, ec);
  return !ec;
}

TEST(ShimLogLineTest, EveryLineTheShimWritesTakesTheFastPathAndReadsBackAsWritten) {
  std::mt19937_64 rng(20261204);
  int text = 0, raw = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string line;
    const std::string data = RandomData(rng);
    AppendLogLine(&line, rng() % 2 ? "stdout" : "stderr", data, kT0 + static_cast<int64_t>(rng() % 1000000000));
    std::string_view l(line.data(), line.size() - 1);  // without '\n'
    std::optional<LogEntry> ref = ByJsonParser(l);
    ASSERT_TRUE(ref.has_value()) << l;
    Result<LogEntry> whole = ParseLogLine(l);
    ASSERT_TRUE(whole.ok()) << l;
    ExpectSame(*whole, *ref, l);
    std::optional<LogEntry> quick = ParseShimLogLine(l);
    ASSERT_TRUE(quick.has_value()) << l;
    ExpectSame(*quick, *ref, l);
    if (ValidUtf8(data)) {
      // The text is the bytes; no copy of them is kept.
      EXPECT_EQ(whole->data, data);
      EXPECT_TRUE(whole->raw.empty());
      text++;
    } else {
      // The text has U+FFFD; the bytes themselves come back whole.
      EXPECT_EQ(whole->raw, data) << l;
      EXPECT_NE(whole->data, data);
      raw++;
    }
  }
  EXPECT_GT(text, 1000);
  EXPECT_GT(raw, 1000);
}

TEST(ShimLogLineTest, DamagedLinesReadAsJsonSaysOrFallBack) {
  std::mt19937_64 rng(4122026);
  int fast_answers = 0, refused = 0;
  for (int i = 0; i < 50000; ++i) {
    std::string line;
    AppendLogLine(&line, "stdout", RandomData(rng), kT0);
    line.pop_back();
    const int damages = 1 + static_cast<int>(rng() % 3);
    for (int d = 0; d < damages; ++d) line = Damage(std::move(line), rng);
    std::optional<LogEntry> fast = ParseShimLogLine(line);
    std::optional<LogEntry> ref = ByJsonParser(line);
    if (fast) {
      fast_answers++;
      ASSERT_TRUE(ref.has_value()) << "the fast path accepted what JSON refuses: " << line;
      ExpectSame(*fast, *ref, line);
    }
    Result<LogEntry> whole = ParseLogLine(line);
    ASSERT_EQ(whole.ok(), ref.has_value()) << line;
    if (!ref) refused++;
    if (whole.ok()) ExpectSame(*whole, *ref, line);
  }
  // Both kinds of line were met.
  EXPECT_GT(fast_answers, 1000);
  EXPECT_GT(refused, 1000);
}

TEST(ShimLogLineTest, EscapesDecodeAsJsonDefinesThem) {
  auto fast = ParseShimLogLine(
      R"({"log":"\u00e9\ud83d\ude00\/\b\f\u0000\u2028","stream":"stdout","time":"2025-11-29T10:00:00Z"})");
  ASSERT_TRUE(fast.has_value());
  EXPECT_EQ(fast->data, std::string("\xc3\xa9\xf0\x9f\x98\x80/\b\f", 9) + std::string(1, '\0') + "\xe2\x80\xa8");
  EXPECT_EQ(fast->time_unix_nanos, kT0);
  // A lone surrogate, a bad escape, a raw control character, bytes that
  // are not UTF-8: not a string.
  for (const char* bad :
       {R"({"log":"\ud800","stream":"stdout","time":"t"})", R"({"log":"\x","stream":"stdout","time":"t"})",
        "{\"log\":\"\x01\",\"stream\":\"stdout\",\"time\":\"t\"}",
        "{\"log\":\"\xff\",\"stream\":\"stdout\",\"time\":\"t\"}"}) {
    EXPECT_FALSE(ParseShimLogLine(bad).has_value()) << bad;
    EXPECT_FALSE(ParseLogLine(bad).ok()) << bad;
  }
  // Another shape (key order, spaces, more keys) is left to the JSON parser.
  const char* other = R"({"stream":"stderr", "log":"x","time":"2025-11-29T10:00:00Z","attrs":{}})";
  EXPECT_FALSE(ParseShimLogLine(other).has_value());
  Result<LogEntry> e = ParseLogLine(other);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->stream, "stderr");
  EXPECT_EQ(e->data, "x");
}

}  // namespace
}  // namespace berth
