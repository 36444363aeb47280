// .dockerignore patterns, after moby/patternmatcher (patternmatcher.go,
// ignorefile/ignorefile.go), Go's path/filepath (Clean, Match's syntax
// checks) and the docker CLI's TrimBuildFilesFromExcludes.
#include "berth/dockerignore.h"
#include "berth/slash_path.h"

#include <unordered_set>

#include "berth/json_text.h"
#include "build/lines.h"

namespace berth {
namespace {

using Token = DockerignoreMatcher::Token;
using Pattern = DockerignoreMatcher::Pattern;

Status BadPattern() { return InvalidArgument("syntax error in pattern"); }

// getEsc of Go's filepath.Match: one class character, escaped or not.
Result<char32_t> ClassChar(std::string_view* chunk) {
  std::string_view c = *chunk;
  if (c.empty() || c[0] == '-' || c[0] == ']') return BadPattern();
  if (c[0] == '\\') {
    c.remove_prefix(1);
    if (c.empty()) return BadPattern();
  }
  auto [rune, width] = DecodeUtf8Rune(c, 0);
  if (rune == 0xFFFD && width == 1) return BadPattern();
  c.remove_prefix(width);
  if (c.empty()) return BadPattern();
  *chunk = c;
  return rune;
}

// A class after its '[': ranges up to the closing ']', which is consumed.
Result<Token> ParseClass(std::string_view* rest) {
  Token token;
  token.kind = Token::kClass;
  if (!rest->empty() && (*rest)[0] == '^') {
    token.negated = true;
    rest->remove_prefix(1);
  }
  for (;;) {
    if (!rest->empty() && (*rest)[0] == ']' && !token.ranges.empty()) {
      rest->remove_prefix(1);
      return token;
    }
    BERTH_ASSIGN_OR_RETURN(char32_t lo, ClassChar(rest));
    char32_t hi = lo;
    if ((*rest)[0] == '-') {
      rest->remove_prefix(1);
      BERTH_ASSIGN_OR_RETURN(hi, ClassChar(rest));
    }
    token.ranges.emplace_back(lo, hi);
  }
}

// filepath.Match's syntax checks: classes well formed, no trailing '\'.
Status CheckSyntax(std::string_view p) {
  while (!p.empty()) {
    char c = p[0];
    if (c == '[') {
      p.remove_prefix(1);
      BERTH_RETURN_IF_ERROR(ParseClass(&p).status());
    } else if (c == '\\') {
      if (p.size() == 1) return BadPattern();
      p.remove_prefix(2);
    } else {
      p.remove_prefix(1);
    }
  }
  return OkStatus();
}

void AddLiteral(std::vector<Token>* tokens, std::string_view bytes) {
  for (char c : bytes) tokens->push_back(Token{Token::kLiteral, c});
}

// patternmatcher's compile: the match type and, for regexp, the tokens.
Pattern Compile(std::string cleaned, bool exclusion) {
  Pattern p;
  p.exclusion = exclusion;
  using Type = Pattern::Type;
  std::string_view rest = cleaned;
  for (int i = 0; !rest.empty(); ++i) {
    char c = rest[0];
    rest.remove_prefix(1);
    if (c == '*') {
      if (!rest.empty() && rest[0] == '*') {
        rest.remove_prefix(1);
        if (!rest.empty() && rest[0] == '/') rest.remove_prefix(1);
        if (rest.empty()) {
          if (p.type == Type::kExact) {
            p.type = Type::kPrefix;
          } else {
            p.tokens.push_back(Token{Token::kAll});
            p.type = Type::kRegexp;
          }
        } else {
          p.tokens.push_back(Token{Token::kDirs});
          p.type = Type::kRegexp;
        }
        if (i == 0) p.type = Type::kSuffix;
      } else {
        p.tokens.push_back(Token{Token::kStar});
        p.type = Type::kRegexp;
      }
    } else if (c == '?') {
      p.tokens.push_back(Token{Token::kAnyChar});
      p.type = Type::kRegexp;
    } else if (c == '\\') {
      if (rest.empty()) {
        AddLiteral(&p.tokens, "\\");
      } else {
        size_t width = DecodeUtf8Rune(rest, 0).second;
        AddLiteral(&p.tokens, rest.substr(0, width));
        rest.remove_prefix(width);
        p.type = Type::kRegexp;
      }
    } else if (c == '[') {
      Result<Token> cls = ParseClass(&rest);  // checked by CheckSyntax
      if (cls.ok()) p.tokens.push_back(*cls);
      p.type = Type::kRegexp;
    } else if (c == ']') {
      AddLiteral(&p.tokens, "]");
      p.type = Type::kRegexp;
    } else if (c == '^') {
      p.tokens.push_back(Token{Token::kStart});  // a regexp anchor, as in Go
    } else {
      AddLiteral(&p.tokens, std::string_view(&c, 1));
    }
  }
  p.cleaned = std::move(cleaned);
  return p;
}

bool ClassMatches(const Token& t, char32_t r) {
  bool in = false;
  for (const auto& [lo, hi] : t.ranges) in = in || (lo <= r && r <= hi);
  return in != t.negated;
}

// Token matching with a memo of failed (token, offset) states.
class TokenMatcher {
 public:
  TokenMatcher(const std::vector<Token>& tokens, std::string_view path) : tokens_(tokens), path_(path) {}

  bool Match(size_t ti, size_t si) {
    // Single-width tokens in a loop; the repeating ones branch.
    while (ti < tokens_.size()) {
      const Token& t = tokens_[ti];
      if (t.kind == Token::kStar || t.kind == Token::kDirs || t.kind == Token::kAll) break;
      if (t.kind == Token::kStart) {
        if (si != 0) return false;
      } else if (t.kind == Token::kLiteral) {
        if (si >= path_.size() || path_[si] != t.literal) return false;
        ++si;
      } else {
        if (si >= path_.size()) return false;
        auto [rune, width] = DecodeUtf8Rune(path_, si);
        if (t.kind == Token::kAnyChar ? rune == '/' : !ClassMatches(t, rune)) return false;
        si += width;
      }
      ++ti;
    }
    if (ti == tokens_.size()) return si == path_.size();
    uint64_t state = (static_cast<uint64_t>(ti) << 32) | si;
    if (failed_.count(state) != 0) return false;
    const Token& t = tokens_[ti];
    bool ok = false;
    if (t.kind == Token::kStar) {
      for (size_t j = si;; ++j) {
        if (Match(ti + 1, j)) {
          ok = true;
          break;
        }
        if (j >= path_.size() || path_[j] == '/') break;
      }
    } else if (t.kind == Token::kDirs) {
      ok = Match(ti + 1, si);
      for (size_t j = si; !ok && j < path_.size(); ++j) {
        if (path_[j] == '/') ok = Match(ti + 1, j + 1);
      }
    } else {  // kAll
      for (size_t j = si; !ok && j <= path_.size(); ++j) ok = Match(ti + 1, j);
    }
    if (!ok) failed_.insert(state);
    return ok;
  }

 private:
  const std::vector<Token>& tokens_;
  std::string_view path_;
  std::unordered_set<uint64_t> failed_;
};

std::string ParentDir(const std::string& file) {
  size_t slash = file.rfind('/');
  if (slash == std::string::npos) return ".";
  return CleanSlashPath(std::string_view(file).substr(0, slash + 1));
}

}  // namespace

std::vector<std::string> ReadDockerignore(std::string_view text) {
  std::vector<std::string> patterns;
  bool first = true;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // bufio.ScanLines drops "\r\n"
    if (first && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
    first = false;
    if (!line.empty() && line[0] == '#') continue;
    std::string_view pattern = dockerfile::internal::TrimGoSpace(line);
    if (pattern.empty()) continue;
    bool invert = pattern[0] == '!';
    if (invert) pattern = dockerfile::internal::TrimGoSpace(pattern.substr(1));
    std::string cleaned;
    if (!pattern.empty()) {
      cleaned = CleanSlashPath(pattern);
      if (cleaned.size() > 1 && cleaned[0] == '/') cleaned.erase(0, 1);
    }
    patterns.push_back(invert ? "!" + cleaned : cleaned);
  }
  return patterns;
}

std::vector<std::string> KeepBuildFiles(std::vector<std::string> patterns, std::string_view dockerfile) {
  Result<DockerignoreMatcher> matcher = DockerignoreMatcher::FromPatterns(patterns);
  if (!matcher.ok()) return patterns;  // refused again where the patterns are used
  if (matcher->Excluded(".dockerignore")) patterns.push_back("!.dockerignore");
  if (matcher->Excluded(dockerfile)) patterns.push_back("!" + std::string(dockerfile));
  return patterns;
}

Result<DockerignoreMatcher> DockerignoreMatcher::FromPatterns(const std::vector<std::string>& patterns) {
  DockerignoreMatcher m;
  for (const std::string& raw : patterns) {
    std::string_view trimmed = dockerfile::internal::TrimGoSpace(raw);
    if (trimmed.empty()) continue;
    std::string p = CleanSlashPath(trimmed);
    bool exclusion = p[0] == '!';
    if (exclusion) {
      if (p.size() == 1) return InvalidArgument("illegal exclusion pattern: \"!\"");
      p.erase(0, 1);
      m.has_exceptions_ = true;
    }
    BERTH_RETURN_IF_ERROR(CheckSyntax(p));
    m.patterns_.push_back(Compile(std::move(p), exclusion));
  }
  return m;
}

bool DockerignoreMatcher::Matches(const Pattern& p, std::string_view path) const {
  switch (p.type) {
    case Pattern::Type::kExact: return path == p.cleaned;
    case Pattern::Type::kPrefix:
      return path.substr(0, p.cleaned.size() - 2) == std::string_view(p.cleaned).substr(0, p.cleaned.size() - 2);
    case Pattern::Type::kSuffix: {
      std::string_view suffix = std::string_view(p.cleaned).substr(2);
      if (path.size() >= suffix.size() && path.substr(path.size() - suffix.size()) == suffix) return true;
      return suffix[0] == '/' && path == suffix.substr(1);
    }
    case Pattern::Type::kRegexp: return TokenMatcher(p.tokens, path).Match(0, 0);
  }
  return false;
}

bool DockerignoreMatcher::Excluded(std::string_view path) const {
  std::string file = CleanSlashPath(path);
  if (file == ".") return false;
  std::string parent = ParentDir(file);
  std::vector<std::string> parent_dirs;
  for (size_t start = 0;;) {
    size_t slash = parent.find('/', start);
    parent_dirs.push_back(parent.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  bool matched = false;
  for (const Pattern& p : patterns_) {
    if (p.exclusion != matched) continue;
    bool match = Matches(p, file);
    if (!match && parent != ".") {
      std::string prefix;
      for (size_t i = 0; i < parent_dirs.size() && !match; ++i) {
        prefix += (i == 0 ? "" : "/") + parent_dirs[i];
        match = Matches(p, prefix);
      }
    }
    if (match) matched = !p.exclusion;
  }
  return matched;
}

}  // namespace berth
