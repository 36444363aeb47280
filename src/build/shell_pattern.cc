#include "build/shell_pattern.h"

#include <algorithm>
#include <unordered_set>
#include <vector>

#include "berth/json_text.h"

namespace berth::dockerfile::internal {
namespace {

std::vector<char32_t> Runes(std::string_view s) {
  std::vector<char32_t> out;
  for (size_t i = 0; i < s.size();) {
    auto [rune, width] = DecodeUtf8Rune(s, i);
    out.push_back(rune);
    i += width;
  }
  return out;
}

std::string Utf8(const std::vector<char32_t>& runes, size_t from = 0, size_t to = std::string::npos) {
  std::string out;
  for (size_t i = from; i < runes.size() && i < to; ++i) AppendUtf8Rune(&out, runes[i]);
  return out;
}

struct Token {
  enum Kind { kLiteral, kAny, kStar } kind;
  char32_t rune = 0;
};

Result<std::vector<Token>> Compile(std::string_view pattern) {
  std::vector<char32_t> in = Runes(pattern);
  std::vector<Token> tokens;
  for (size_t i = 0; i < in.size(); ++i) {
    char32_t c = in[i];
    if (c == '*') {
      tokens.push_back({Token::kStar});
    } else if (c == '?') {
      tokens.push_back({Token::kAny});
    } else if (c == '\\') {
      char32_t next = i + 1 < in.size() ? in[i + 1] : U'\uFFFD';
      if (next == '}' || next == '/') continue;  // the backslash is dropped
      ++i;
      if (next != '*' && next != '?' && next != '\\') {
        std::string shown;
        AppendUtf8Rune(&shown, next);
        return InvalidArgument("invalid pattern (" + std::string(pattern) + ") in substitution: invalid escape '\\" +
                               shown + "'");
      }
      tokens.push_back({Token::kLiteral, next});
    } else {
      tokens.push_back({Token::kLiteral, c});
    }
  }
  return tokens;
}

// Where a match of `tokens` starting at `start` ends (in runes), in Go's
// preference order; npos when none does.
class Matcher {
 public:
  Matcher(const std::vector<Token>& tokens, const std::vector<char32_t>& s, bool greedy)
      : tokens_(tokens), s_(s), greedy_(greedy) {}

  size_t MatchAt(size_t start) { return Match(0, start); }

 private:
  size_t Match(size_t ti, size_t pos) {
    while (ti < tokens_.size() && tokens_[ti].kind != Token::kStar) {
      const Token& t = tokens_[ti];
      if (pos >= s_.size() || (s_[pos] == '\n' && t.kind == Token::kAny)) return std::string::npos;
      if (t.kind == Token::kLiteral && s_[pos] != t.rune) return std::string::npos;
      ++pos;
      ++ti;
    }
    if (ti == tokens_.size()) return pos;
    uint64_t state = (static_cast<uint64_t>(ti) << 32) | pos;
    if (failed_.count(state) != 0) return std::string::npos;
    size_t longest = pos;
    while (longest < s_.size() && s_[longest] != '\n') ++longest;
    for (size_t n = 0; n <= longest - pos; ++n) {
      size_t end = Match(ti + 1, greedy_ ? longest - n : pos + n);
      if (end != std::string::npos) return end;
    }
    failed_.insert(state);
    return std::string::npos;
  }

  const std::vector<Token>& tokens_;
  const std::vector<char32_t>& s_;
  bool greedy_;
  std::unordered_set<uint64_t> failed_;
};

// reversePattern: the runes in reverse order, an escape staying before the
// character it escapes.
std::string ReversePattern(std::string_view pattern) {
  std::vector<char32_t> in = Runes(pattern);
  std::vector<std::vector<char32_t>> units;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\\' && i + 1 < in.size()) {
      units.push_back({in[i], in[i + 1]});
      ++i;
    } else {
      units.push_back({in[i]});
    }
  }
  std::string out;
  for (auto it = units.rbegin(); it != units.rend(); ++it) out += Utf8(*it);
  return out;
}

// Go's Regexp.Expand of a template without capture groups but the match.
std::string ExpandTemplate(std::string_view repl, const std::string& match) {
  std::string out;
  auto is_name = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  for (size_t i = 0; i < repl.size(); ++i) {
    if (repl[i] != '$' || i + 1 >= repl.size()) {
      out += repl[i];
      continue;
    }
    if (repl[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    size_t begin = i + 1, end = begin;
    bool braced = repl[begin] == '{';
    if (braced) ++begin, end = begin;
    while (end < repl.size() && is_name(repl[end])) ++end;
    if (end == begin || (braced && (end >= repl.size() || repl[end] != '}'))) {
      out += '$';  // not a template reference: kept
      continue;
    }
    std::string_view name = repl.substr(begin, end - begin);
    bool number = name.find_first_not_of("0123456789") == std::string_view::npos;
    if (number && name.find_first_not_of('0') == std::string_view::npos) out += match;
    i = braced ? end : end - 1;
  }
  return out;
}

}  // namespace

Result<std::string> TrimPattern(std::string_view pattern, std::string_view value, bool suffix, bool greedy) {
  std::string reversed_pattern = suffix ? ReversePattern(pattern) : std::string(pattern);
  BERTH_ASSIGN_OR_RETURN(std::vector<Token> tokens, Compile(reversed_pattern));
  std::vector<char32_t> s = Runes(value);
  if (suffix) std::reverse(s.begin(), s.end());
  size_t end = Matcher(tokens, s, greedy).MatchAt(0);
  if (end != std::string::npos) s.erase(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(end));
  if (suffix) std::reverse(s.begin(), s.end());
  return Utf8(s);
}

Result<std::string> ReplacePattern(std::string_view pattern, std::string_view value, std::string_view replacement,
                                   bool all) {
  BERTH_ASSIGN_OR_RETURN(std::vector<Token> tokens, Compile(pattern));
  std::vector<char32_t> s = Runes(value);
  Matcher matcher(tokens, s, true);
  auto find = [&](size_t from, size_t* start) {
    for (size_t at = from; at <= s.size(); ++at) {
      size_t end = matcher.MatchAt(at);
      if (end != std::string::npos) {
        *start = at;
        return end;
      }
    }
    return std::string::npos;
  };
  size_t start = 0;
  if (!all) {
    size_t end = find(0, &start);
    if (end == std::string::npos) return std::string(value);
    return Utf8(s, 0, start) + std::string(replacement) + Utf8(s, end);
  }
  std::string out;
  size_t last_end = 0;
  for (size_t search = 0; search <= s.size();) {
    size_t end = find(search, &start);
    if (end == std::string::npos) break;
    out += Utf8(s, last_end, start);
    if (end > last_end || start == 0) out += ExpandTemplate(replacement, Utf8(s, start, end));
    last_end = end;
    search = end > search ? end : search + 1;
  }
  return out + Utf8(s, last_end);
}

}  // namespace berth::dockerfile::internal
