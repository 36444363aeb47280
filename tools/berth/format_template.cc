// RowFormat (docker's --format subset) and ParseTimestamp (docker's
// timetypes.GetTimestamp).
#include <algorithm>
#include <cctype>
#include <ctime>

#include "format.h"

namespace berth::cli {

namespace {

std::string Trim(std::string_view s, std::string_view chars = " ") {
  size_t b = s.find_first_not_of(chars);
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(chars);
  return std::string(s.substr(b, e - b + 1));
}

std::string ReplaceAll(std::string s, std::string_view from, std::string_view to) {
  size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
  return s;
}

bool IsIdent(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// Go's time.ParseDuration; nanoseconds.
std::optional<int64_t> ParseGoDuration(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool neg = false;
  if (s[0] == '-' || s[0] == '+') {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return 0;
  if (s.empty()) return std::nullopt;
  double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    double value = 0;
    bool digits = false;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      value = value * 10 + (s[i] - '0');
      ++i;
      digits = true;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      double scale = 0.1;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
        value += (s[i] - '0') * scale;
        scale /= 10;
        ++i;
        digits = true;
      }
    }
    if (!digits) return std::nullopt;
    size_t u = i;
    while (u < s.size() && s[u] != '.' && !std::isdigit(static_cast<unsigned char>(s[u]))) ++u;
    std::string_view unit = s.substr(i, u - i);
    double mult;
    if (unit == "ns") {
      mult = 1;
    } else if (unit == "us" || unit == "\u00b5s" || unit == "\u03bcs") {
      mult = 1e3;
    } else if (unit == "ms") {
      mult = 1e6;
    } else if (unit == "s") {
      mult = 1e9;
    } else if (unit == "m") {
      mult = 60e9;
    } else if (unit == "h") {
      mult = 3600e9;
    } else {
      return std::nullopt;
    }
    total += value * mult;
    s.remove_prefix(u);
  }
  if (total > 9.2e18) return std::nullopt;
  return static_cast<int64_t>(neg ? -total : total);
}

// Days since 1970-01-01 of a proleptic Gregorian date.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool ReadDigits(std::string_view s, size_t& i, size_t n, int& out) {
  if (i + n > s.size()) return false;
  out = 0;
  for (size_t k = 0; k < n; ++k) {
    char c = s[i + k];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    out = out * 10 + (c - '0');
  }
  i += n;
  return true;
}

// "YYYY-MM-DD[Thh[:mm[:ss[.frac]]]][Z|±hh:mm]"; nullopt when malformed.
std::optional<int64_t> ParseDate(std::string_view s, bool local, int64_t now_nanos) {
  size_t i = 0;
  int year, month, day, hour = 0, minute = 0, second = 0;
  int64_t frac = 0;
  if (!ReadDigits(s, i, 4, year) || i >= s.size() || s[i++] != '-' || !ReadDigits(s, i, 2, month) ||
      i >= s.size() || s[i++] != '-' || !ReadDigits(s, i, 2, day)) {
    return std::nullopt;
  }
  if (i < s.size() && s[i] == 'T') {
    ++i;
    if (!ReadDigits(s, i, 2, hour)) return std::nullopt;
    if (i < s.size() && s[i] == ':') {
      ++i;
      if (!ReadDigits(s, i, 2, minute)) return std::nullopt;
      if (i < s.size() && s[i] == ':') {
        ++i;
        if (!ReadDigits(s, i, 2, second)) return std::nullopt;
        if (i < s.size() && s[i] == '.') {
          ++i;
          int ndig = 0;
          while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
            if (ndig < 9) frac = frac * 10 + (s[i] - '0');
            ++ndig;
            ++i;
          }
          if (ndig == 0) return std::nullopt;
          for (int k = ndig; k < 9; ++k) frac *= 10;
        }
      }
    }
  }
  bool has_zone = false;
  int64_t offset = 0;
  if (i < s.size() && s[i] == 'Z') {
    has_zone = true;
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int sign = s[i] == '-' ? -1 : 1;
    ++i;
    int oh, om;
    if (!ReadDigits(s, i, 2, oh) || i >= s.size() || s[i++] != ':' || !ReadDigits(s, i, 2, om)) {
      return std::nullopt;
    }
    has_zone = true;
    offset = sign * (oh * 3600 + om * 60);
  }
  if (i != s.size() || has_zone == local) return std::nullopt;
  static const int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1] || (month == 2 && day == 29 && !leap) ||
      hour > 23 || minute > 59 || second > 59) {
    return std::nullopt;
  }
  if (local) {
    time_t now = static_cast<time_t>(now_nanos / 1000000000);
    struct tm tm {};
    localtime_r(&now, &tm);
    offset = tm.tm_gmtoff;
  }
  int64_t secs = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
                 hour * 3600 + minute * 60 + second - offset;
  return secs * 1000000000 + frac;
}

}  // namespace

Result<int64_t> ParseTimestamp(std::string_view value, int64_t now_nanos) {
  if (value != "0") {
    if (auto d = ParseGoDuration(value)) {
      // GetTimestamp keeps whole seconds of (now - d).
      int64_t t = now_nanos - *d;
      int64_t secs = t / 1000000000 - (t % 1000000000 < 0 ? 1 : 0);
      return secs * 1000000000;
    }
  }
  bool local = value.find_first_of("zZ+") == std::string_view::npos &&
               std::count(value.begin(), value.end(), '-') != 3;
  if (auto t = ParseDate(value, local, now_nanos)) return *t;
  if (value.find('-') != std::string_view::npos) {
    return InvalidArgument("parsing time \"" + std::string(value) + "\": cannot parse as a date");
  }
  // A unix timestamp, "seconds[.fraction]".
  std::string_view secs = value, frac;
  if (auto dot = value.find('.'); dot != std::string_view::npos) {
    secs = value.substr(0, dot);
    frac = value.substr(dot + 1);
  }
  auto all_digits = [](std::string_view s) {
    if (!s.empty() && s[0] == '+') s.remove_prefix(1);
    if (s.empty() || s.size() > 18) return false;
    for (char c : s) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    }
    return true;
  };
  if (!all_digits(secs) || (value.find('.') != std::string_view::npos && (!all_digits(frac) || frac.size() > 9))) {
    return InvalidArgument("failed to parse value as time or duration: \"" + std::string(value) + "\"");
  }
  int64_t nanos = std::stoll(std::string(secs)) * 1000000000;
  if (!frac.empty()) {
    int64_t f = std::stoll(std::string(frac));
    for (size_t k = frac.size(); k < 9; ++k) f *= 10;
    nanos += f;
  }
  return nanos;
}

RowFormat::RowFormat(std::string format, std::map<std::string, std::string> headers)
    : format_(std::move(format)), headers_(std::move(headers)) {}

Status RowFormat::Parse() {
  std::string f = format_;
  if (f.rfind("table", 0) == 0) {
    table_ = true;
    f = f.substr(5);
  } else if (f == "json") {
    f = "{{json .}}";
  }
  f = Trim(f);
  f = ReplaceAll(ReplaceAll(f, "\\t", "\t"), "\\n", "\n");
  pieces_.clear();
  size_t pos = 0;
  while (pos < f.size()) {
    size_t open = f.find("{{", pos);
    if (open == std::string::npos) {
      pieces_.push_back({Piece::kText, f.substr(pos)});
      break;
    }
    if (open > pos) pieces_.push_back({Piece::kText, f.substr(pos, open - pos)});
    size_t close = f.find("}}", open + 2);
    if (close == std::string::npos) {
      return InvalidArgument("template parsing error: template: :1: unclosed action");
    }
    std::string action = Trim(f.substr(open + 2, close - open - 2), " \t\n");
    if (action == "json .") {
      pieces_.push_back({Piece::kJsonAll, ""});
    } else if (action.rfind("json .", 0) == 0 && IsIdent(action.substr(6))) {
      pieces_.push_back({Piece::kJsonField, action.substr(6)});
    } else if (action.size() > 1 && action[0] == '.' && IsIdent(action.substr(1))) {
      pieces_.push_back({Piece::kField, action.substr(1)});
    } else {
      return InvalidArgument("template parsing error: template: :1: unsupported action {{" + action + "}}");
    }
    const Piece& p = pieces_.back();
    if ((p.kind == Piece::kField || p.kind == Piece::kJsonField) && !headers_.count(p.text)) {
      return InvalidArgument("template parsing error: template: :1: executing \"\" at <." + p.text +
                             ">: can't evaluate field " + p.text);
    }
    pos = close + 2;
  }
  return OkStatus();
}

Result<std::string> RowFormat::Row(const std::function<std::string(const std::string&)>& get) const {
  std::string out;
  for (const Piece& p : pieces_) {
    switch (p.kind) {
      case Piece::kText:
        out += p.text;
        break;
      case Piece::kField:
        out += get(p.text);
        break;
      case Piece::kJsonField:
        out += JsonString(get(p.text), true);
        break;
      case Piece::kJsonAll: {
        // formatter.MarshalJSON: a map of every field, keys sorted, through
        // json.Marshal (HTML-escaped).
        std::string obj = "{";
        for (const auto& [name, header] : headers_) {
          if (obj.size() > 1) obj += ",";
          obj += JsonString(name, true) + ":" + JsonString(get(name), true);
        }
        out += obj + "}";
        break;
      }
    }
  }
  return out;
}

Result<std::string> RowFormat::Render(
    const std::vector<std::function<std::string(const std::string&)>>& rows) const {
  std::string body;
  for (const auto& get : rows) {
    BERTH_ASSIGN_OR_RETURN(std::string line, Row(get));
    body += line + "\n";
  }
  if (!table_) return body;
  std::string header;
  for (const Piece& p : pieces_) {
    if (p.kind == Piece::kText) {
      header += p.text;
    } else if (p.kind != Piece::kJsonAll) {
      header += headers_.at(p.text);
    }
  }
  return TabWrite(header + "\n" + body);
}

}  // namespace berth::cli
