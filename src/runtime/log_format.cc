// The shim's JSON-lines log format (see log_format.h).

#include "runtime/log_format.h"

#include "berth/url_escape.h"
#include "berth/base64.h"
#include "berth/env.h"

#include <cstring>

#include <boost/json.hpp>

#include "berth/json_text.h"
#include "berth/time.h"

namespace berth {
namespace runtime_internal {

namespace {

// Skips `prefix` at `*pos`; false when `line` does not continue with it.
bool Expect(std::string_view line, size_t* pos, std::string_view prefix) {
  if (line.substr(*pos, prefix.size()) != prefix) return false;
  *pos += prefix.size();
  return true;
}

// The length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no
// overlong forms, no surrogates, at most U+10FFFF); 0 when there is none.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto [rune, n] = DecodeUtf8Rune(s, i);
  return rune == 0xFFFD && n == 1 ? 0 : n;  // Go's RuneError of width 1: invalid
}

bool IsUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    if (i + 8 <= s.size()) {  // eight ASCII bytes at a time
      uint64_t word;
      std::memcpy(&word, s.data() + i, 8);
      if ((word & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// The value of the four hex digits at `p`; -1 when they are not.
int Hex4(std::string_view line, size_t p) {
  if (p + 4 > line.size()) return -1;
  int v = 0;
  for (size_t i = p; i < p + 4; ++i) {
    const int d = HexDigitValue(line[i]);
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

// Decodes the JSON string whose opening quote is just before `*pos` into
// `out`, leaving `*pos` after its closing quote; false when it is not a
// valid JSON string (a raw control character, a bad escape, a lone
// surrogate, bytes that are not UTF-8, no closing quote).
bool DecodeJsonString(std::string_view line, size_t* pos, std::string* out) {
  size_t p = *pos;
  while (p < line.size()) {
    // A run of plain ASCII is copied at once.
    size_t run = p;
    while (run < line.size()) {
      const auto c = static_cast<unsigned char>(line[run]);
      if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
      ++run;
    }
    out->append(line.data() + p, run - p);
    p = run;
    if (p >= line.size()) return false;
    const auto c = static_cast<unsigned char>(line[p]);
    if (c == '"') {
      *pos = p + 1;
      return true;
    }
    if (c < 0x20) return false;
    if (c >= 0x80) {
      const size_t n = Utf8SequenceLength(line, p);
      if (n == 0) return false;
      out->append(line.data() + p, n);
      p += n;
      continue;
    }
    // An escape.
    if (p + 1 >= line.size()) return false;
    const char e = line[p + 1];
    p += 2;
    switch (e) {
      case '"': out->push_back('"'); break;
      case '\\': out->push_back('\\'); break;
      case '/': out->push_back('/'); break;
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'u': {
        int hi = Hex4(line, p);
        if (hi < 0) return false;
        p += 4;
        uint32_t cp = static_cast<uint32_t>(hi);
        if (hi >= 0xDC00 && hi <= 0xDFFF) return false;  // a low surrogate first
        if (hi >= 0xD800 && hi <= 0xDBFF) {
          if (line.substr(p, 2) != "\\u") return false;
          int lo = Hex4(line, p + 2);
          if (lo < 0xDC00 || lo > 0xDFFF) return false;
          p += 6;
          cp = 0x10000 + ((static_cast<uint32_t>(hi) - 0xD800) << 10) + (static_cast<uint32_t>(lo) - 0xDC00);
        }
        AppendUtf8Rune(out, cp);
        break;
      }
      default:
        return false;
    }
  }
  return false;
}

// A string with no escapes and nothing but printable ASCII, quotes
// excluded: `stream` and `time` as the shim writes them.
bool PlainJsonString(std::string_view line, size_t* pos, std::string_view* out) {
  const size_t start = *pos;
  size_t p = start;
  while (p < line.size()) {
    const auto c = static_cast<unsigned char>(line[p]);
    if (c == '"') {
      *out = line.substr(start, p - start);
      *pos = p + 1;
      return true;
    }
    if (c == '\\' || c < 0x20 || c >= 0x80) return false;
    ++p;
  }
  return false;
}

// The bytes of the "raw" key's base64 (padded or not); false when it is
// not base64.
bool DecodeRaw(std::string_view in, std::string* out) {
  Result<std::string> bytes = Base64Decode(in);
  if (!bytes.ok()) return false;
  *out = std::move(*bytes);
  return true;
}

}  // namespace

void AppendLogLineAt(std::string* out, std::string_view stream, std::string_view data,
                     std::string_view rfc3339_time) {
  out->append("{\"log\":");
  AppendGoJsonString(out, data);
  out->append(",\"stream\":");
  AppendGoJsonString(out, stream);
  out->append(",\"time\":\"");
  out->append(rfc3339_time);
  if (!IsUtf8(data)) {
    out->append("\",\"raw\":\"");
    AppendBase64(out, data);
  }
  out->append("\"}\n");
}

void AppendLogLine(std::string* out, std::string_view stream, std::string_view data,
                   int64_t unix_nanos) {
  AppendLogLineAt(out, stream, data, FormatRfc3339NanosFixed(unix_nanos));
}

std::optional<LogEntry> ParseShimLogLine(std::string_view line) {
  size_t pos = 0;
  LogEntry e;
  std::string_view stream, time;
  if (!Expect(line, &pos, "{\"log\":\"") || !DecodeJsonString(line, &pos, &e.data) ||
      !Expect(line, &pos, ",\"stream\":\"") || !PlainJsonString(line, &pos, &stream) ||
      !Expect(line, &pos, ",\"time\":\"") || !PlainJsonString(line, &pos, &time)) {
    return std::nullopt;
  }
  std::string_view raw;
  if (Expect(line, &pos, ",\"raw\":\"") && (!PlainJsonString(line, &pos, &raw) || !DecodeRaw(raw, &e.raw))) {
    return std::nullopt;
  }
  if (!Expect(line, &pos, "}") || pos != line.size()) return std::nullopt;
  e.stream.assign(stream);
  auto parsed = ParseRfc3339Nanos(time, Rfc3339Zone::kRequired);
  if (parsed.ok()) e.time_unix_nanos = *parsed;
  return e;
}

Result<LogEntry> ParseLogLine(std::string_view line) {
  if (std::optional<LogEntry> fast = ParseShimLogLine(line)) return std::move(*fast);
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
    auto parsed = ParseRfc3339Nanos(std::string_view(t->get_string().data(), t->get_string().size()),
                                    Rfc3339Zone::kRequired);
    if (parsed.ok()) e.time_unix_nanos = *parsed;
  }
  if (const auto* raw = obj.if_contains("raw"); raw && raw->is_string()) {
    // Damaged base64 leaves the text alone.
    std::string bytes;
    if (DecodeRaw(std::string_view(raw->get_string().data(), raw->get_string().size()), &bytes)) {
      e.raw = std::move(bytes);
    }
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

Result<std::string> ReadFileRange(const std::string& path, uint64_t offset, size_t max_bytes) {
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<SequentialFile> f, Env::Default()->NewSequentialFile(path));
  if (offset > 0) BERTH_RETURN_IF_ERROR(f->Skip(offset));
  std::string out(max_bytes, '\0');
  size_t got = 0;
  while (got < max_bytes) {
    BERTH_ASSIGN_OR_RETURN(size_t n, f->Read(out.data() + got, max_bytes - got));
    if (n == 0) break;
    got += n;
  }
  out.resize(got);
  return out;
}

}  // namespace runtime_internal
}  // namespace berth
