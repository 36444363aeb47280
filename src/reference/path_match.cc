// Go's path.Match, for Docker's `reference` image filter.
//
// A pattern is a sequence of chunks, each preceded by zero or more stars.
// Chunks contain no unbracketed, unescaped star and match a fixed number of
// runes, so each star can take the shortest run of non-'/' characters after
// which the next chunk matches (the last chunk must also end the name). The
// pattern is checked for syntax up front, so a malformed pattern is reported
// whatever the name, as Go does.

#include <string_view>

#include "berth/reference.h"
#include "reference/utf8.h"

namespace berth {

namespace {

using reference_internal::DecodeRune;
using reference_internal::kRuneError;

constexpr char kErrBadPattern[] = "syntax error in pattern";

// Reads one class character (optionally escaped) at p[*i]. Fails, as Go's
// getEsc does, on an empty remainder, an unescaped '-' or ']', invalid
// UTF-8, or when nothing follows the character (the class is unterminated).
bool ReadClassChar(std::string_view p, size_t* i, char32_t* out) {
  if (*i >= p.size() || p[*i] == '-' || p[*i] == ']') return false;
  if (p[*i] == '\\') {
    ++*i;
    if (*i >= p.size()) return false;
  }
  auto [rune, size] = DecodeRune(p.substr(*i));
  if (rune == kRuneError && size == 1) return false;
  *i += size;
  if (*i >= p.size()) return false;
  *out = rune;
  return true;
}

// Parses the class starting at p[*i] == '[' and leaves *i after its ']'.
// Sets *matched to whether `r` is in the class. Returns false if malformed.
bool ReadClass(std::string_view p, size_t* i, char32_t r, bool* matched) {
  ++*i;  // '['
  bool negated = false;
  if (*i < p.size() && p[*i] == '^') {
    negated = true;
    ++*i;
  }
  bool in_class = false;
  for (int ranges = 0;; ++ranges) {
    if (ranges > 0 && *i < p.size() && p[*i] == ']') {
      ++*i;
      break;
    }
    char32_t lo;
    if (!ReadClassChar(p, i, &lo)) return false;
    char32_t hi = lo;
    if (p[*i] == '-') {  // ReadClassChar guarantees *i < p.size()
      ++*i;
      if (!ReadClassChar(p, i, &hi)) return false;
    }
    if (lo <= r && r <= hi) in_class = true;
  }
  *matched = in_class != negated;
  return true;
}

bool ValidPattern(std::string_view p) {
  for (size_t i = 0; i < p.size();) {
    if (p[i] == '\\') {
      if (i + 1 >= p.size()) return false;
      i += 2;
    } else if (p[i] == '[') {
      bool ignored;
      if (!ReadClass(p, &i, 0, &ignored)) return false;
    } else {
      ++i;
    }
  }
  return true;
}

// Splits the next chunk off `*pattern`; returns whether stars preceded it.
bool NextChunk(std::string_view* pattern, std::string_view* chunk) {
  std::string_view p = *pattern;
  bool star = false;
  while (!p.empty() && p.front() == '*') {
    p.remove_prefix(1);
    star = true;
  }
  bool in_range = false;
  size_t i = 0;
  for (; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\') {
      if (i + 1 < p.size()) ++i;
    } else if (c == '[') {
      in_range = true;
    } else if (c == ']') {
      in_range = false;
    } else if (c == '*' && !in_range) {
      break;
    }
  }
  *chunk = p.substr(0, i);
  *pattern = p.substr(i);
  return star;
}

// Matches the star-free `chunk` against a prefix of `s`; on success sets
// *rest to what follows. The chunk must be syntactically valid.
bool MatchChunk(std::string_view chunk, std::string_view s, std::string_view* rest) {
  size_t ci = 0;
  while (ci < chunk.size()) {
    if (s.empty()) return false;
    char c = chunk[ci];
    if (c == '[') {
      auto [rune, size] = DecodeRune(s);
      s.remove_prefix(size);
      bool matched = false;
      if (!ReadClass(chunk, &ci, rune, &matched) || !matched) return false;
    } else if (c == '?') {
      if (s.front() == '/') return false;
      s.remove_prefix(DecodeRune(s).size);
      ++ci;
    } else {
      if (c == '\\') ++ci;  // the escaped byte is compared literally
      if (chunk[ci] != s.front()) return false;
      s.remove_prefix(1);
      ++ci;
    }
  }
  *rest = s;
  return true;
}

}  // namespace

Result<bool> PathMatch(std::string_view pattern, std::string_view name) {
  if (!ValidPattern(pattern)) return InvalidArgument(kErrBadPattern);
  while (!pattern.empty()) {
    std::string_view chunk;
    bool star = NextChunk(&pattern, &chunk);
    if (star && chunk.empty()) {
      // Trailing stars match the rest of the name unless it has a '/'.
      return name.find('/') == std::string_view::npos;
    }
    std::string_view rest;
    if (MatchChunk(chunk, name, &rest) && (rest.empty() || !pattern.empty())) {
      name = rest;
      continue;
    }
    bool advanced = false;
    if (star) {
      // Let the star absorb i+1 bytes (never a '/') and retry the chunk.
      for (size_t i = 0; i < name.size() && name[i] != '/'; ++i) {
        if (!MatchChunk(chunk, name.substr(i + 1), &rest)) continue;
        if (pattern.empty() && !rest.empty()) continue;  // last chunk must end the name
        name = rest;
        advanced = true;
        break;
      }
    }
    if (!advanced) return false;
  }
  return name.empty();
}

}  // namespace berth
