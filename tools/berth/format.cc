#include "format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <sys/time.h>

namespace berth::cli {

std::string HumanDuration(int64_t nanos) {
  const double d = static_cast<double>(nanos);
  const int64_t seconds = static_cast<int64_t>(d / 1e9);
  if (seconds < 1) return "Less than a second";
  if (seconds == 1) return "1 second";
  if (seconds < 60) return std::to_string(seconds) + " seconds";
  const int64_t minutes = static_cast<int64_t>(d / 60e9);
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return std::to_string(minutes) + " minutes";
  const double exact_hours = d / 3600e9;
  const int64_t hours = static_cast<int64_t>(std::round(exact_hours));
  if (hours == 1) return "About an hour";
  if (hours < 48) return std::to_string(hours) + " hours";
  if (hours < 24 * 7 * 2) return std::to_string(hours / 24) + " days";
  if (hours < 24 * 30 * 2) return std::to_string(hours / 24 / 7) + " weeks";
  if (hours < 24 * 365 * 2) return std::to_string(hours / 24 / 30) + " months";
  return std::to_string(static_cast<int64_t>(exact_hours) / 24 / 365) + " years";
}

std::string HumanSizeWithPrecision(double size, int precision) {
  static const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  int i = 0;
  while (size >= 1000.0 && i < 8) {
    size /= 1000.0;
    ++i;
  }
  // C's %.*g and Go's %.*g agree for these magnitudes (both drop trailing
  // zeros and switch to e-notation at the same exponent).
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*g%s", precision, size, kUnits[i]);
  return buf;
}

std::string TruncateId(std::string_view id) {
  if (auto colon = id.find(':'); colon != std::string_view::npos) id.remove_prefix(colon + 1);
  if (id.size() > 12) id = id.substr(0, 12);
  return std::string(id);
}

size_t RuneCount(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::string Ellipsis(std::string_view s, int max_width) {
  if (max_width <= 0) return "";
  if (RuneCount(s) <= static_cast<size_t>(max_width)) return std::string(s);
  std::string out;
  int runes = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80) {
      if (runes == max_width - 1) break;
      ++runes;
    }
    out.push_back(s[i]);
  }
  return out + "\u2026";
}

namespace {

std::vector<std::string> SplitLines(std::string_view text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      lines.emplace_back(text.substr(start));
      break;
    }
    lines.emplace_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> cells;
  size_t start = 0;
  for (;;) {
    size_t tab = line.find('\t', start);
    if (tab == std::string::npos) {
      cells.push_back(line.substr(start));
      break;
    }
    cells.push_back(line.substr(start, tab - start));
    start = tab + 1;
  }
  return cells;
}

}  // namespace

std::string TabWrite(std::string_view text, int minwidth, int padding) {
  const bool trailing_newline = !text.empty() && text.back() == '\n';
  std::vector<std::vector<std::string>> rows;
  for (const std::string& line : SplitLines(text)) rows.push_back(SplitTabs(line));
  // widths[r][c]: the padded width of tab-terminated cell c in row r. A
  // column block is a run of consecutive rows that have cell c terminated.
  std::vector<std::vector<size_t>> widths(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) widths[r].assign(rows[r].size(), 0);
  size_t max_cols = 0;
  for (const auto& row : rows) max_cols = std::max(max_cols, row.size());
  for (size_t c = 0; c + 1 < max_cols; ++c) {
    size_t r = 0;
    while (r < rows.size()) {
      if (c + 1 >= rows[r].size()) {
        ++r;
        continue;
      }
      size_t end = r;
      size_t width = static_cast<size_t>(minwidth);
      while (end < rows.size() && c + 1 < rows[end].size()) {
        width = std::max(width, RuneCount(rows[end][c]) + static_cast<size_t>(padding));
        ++end;
      }
      for (size_t k = r; k < end; ++k) widths[k][c] = width;
      r = end;
    }
  }
  std::string out;
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t c = 0; c < rows[r].size(); ++c) {
      out += rows[r][c];
      if (c + 1 < rows[r].size()) {
        size_t len = RuneCount(rows[r][c]);
        if (widths[r][c] > len) out.append(widths[r][c] - len, ' ');
      }
    }
    if (r + 1 < rows.size() || trailing_newline) out.push_back('\n');
  }
  return out;
}

std::string JsonString(std::string_view s, bool escape_html) {
  static const char* kHex = "0123456789abcdef";
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == '"' || c == '\\') {
        out.push_back('\\');
        out.push_back(static_cast<char>(c));
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else if (c == '\t') {
        out += "\\t";
      } else if (c < 0x20 || (escape_html && (c == '<' || c == '>' || c == '&'))) {
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xF]);
      } else {
        out.push_back(static_cast<char>(c));
      }
      continue;
    }
    // Multi-byte UTF-8: validate; invalid bytes become U+FFFD as in Go.
    int len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    bool valid = len > 0 && i + len <= s.size();
    uint32_t cp = len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; valid && k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) valid = false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (valid) {
      static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) valid = false;
    }
    if (!valid) {
      out += "\\ufffd";
      continue;
    }
    if (cp == 0x2028 || cp == 0x2029) {
      out += cp == 0x2028 ? "\\u2028" : "\\u2029";
    } else {
      out.append(s.substr(i, static_cast<size_t>(len)));
    }
    i += static_cast<size_t>(len) - 1;
  }
  out.push_back('"');
  return out;
}

std::string JsonIndent(std::string_view src, std::string_view indent) {
  std::string out;
  int depth = 0;
  bool need_indent = false;
  auto newline = [&] {
    out.push_back('\n');
    for (int i = 0; i < depth; ++i) out.append(indent);
  };
  for (size_t i = 0; i < src.size(); ++i) {
    char c = src[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    if (need_indent && c != ']' && c != '}') {
      need_indent = false;
      ++depth;
      newline();
    }
    if (c == '"') {
      size_t j = i + 1;
      while (j < src.size() && src[j] != '"') j += src[j] == '\\' ? 2 : 1;
      out.append(src.substr(i, j - i + 1));
      i = j;
      continue;
    }
    switch (c) {
      case '{':
      case '[':
        need_indent = true;
        out.push_back(c);
        break;
      case ',':
        out.push_back(c);
        newline();
        break;
      case ':':
        out += ": ";
        break;
      case '}':
      case ']':
        if (need_indent) {
          need_indent = false;
        } else {
          --depth;
          newline();
        }
        out.push_back(c);
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

namespace {

std::string ZoneOffset(long gmtoff, bool colon) {
  char sign = gmtoff < 0 ? '-' : '+';
  long abs_off = gmtoff < 0 ? -gmtoff : gmtoff;
  char buf[48];
  std::snprintf(buf, sizeof(buf), colon ? "%c%02ld:%02ld" : "%c%02ld%02ld", sign, abs_off / 3600,
                (abs_off / 60) % 60);
  return buf;
}

}  // namespace

std::string GoTimeString(int64_t unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm {};
  localtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  std::string zone = tm.tm_zone != nullptr && *tm.tm_zone ? tm.tm_zone : ZoneOffset(tm.tm_gmtoff, false);
  return std::string(buf) + " " + ZoneOffset(tm.tm_gmtoff, false) + " " + zone;
}

std::string GoRfc3339(int64_t unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm {};
  localtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return std::string(buf) + (tm.tm_gmtoff == 0 ? "Z" : ZoneOffset(tm.tm_gmtoff, true));
}

}  // namespace berth::cli
