// .dockerignore: reading the file and matching build-context paths with the
// rules of moby/patternmatcher (ignorefile.ReadAll, patternmatcher.New,
// MatchesOrParentMatches) and the docker CLI's rule that the Dockerfile and
// .dockerignore are always sent.
//
// Thread-safety: a DockerignoreMatcher is immutable after creation and may be
// shared.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "berth/slash_path.h"
#include "berth/status.h"

namespace berth {

// The patterns of a .dockerignore file (ignorefile.ReadAll): a UTF-8 BOM is
// dropped, lines starting with '#' are comments, lines are trimmed, blank
// ones skipped; a leading '!' (exception) is kept; the rest is cleaned as a
// path (".." and "." resolved, "//" folded) and a leading '/' removed.
std::vector<std::string> ReadDockerignore(std::string_view text);

// The patterns with exceptions for the Dockerfile and .dockerignore when the
// patterns would exclude them (the CLI's TrimBuildFilesFromExcludes): both
// are always part of the context. `dockerfile` is the Dockerfile's path in
// the context ("Dockerfile").
std::vector<std::string> KeepBuildFiles(std::vector<std::string> patterns, std::string_view dockerfile);

class DockerignoreMatcher {
 public:
  // patternmatcher.New: each pattern trimmed and cleaned, blank ones
  // skipped. Syntax (as Go's filepath.Match, compiled as patternmatcher
  // does):
  //   *    any run of characters but '/'
  //   ?    one character but '/'
  //   **   any number of directories: "**/x", "a/**/x", "a/**" (everything
  //        under a), "**" (everything)
  //   [a-z] [^abc]  character classes; \c  the character c
  //   !pattern  an exception: re-includes what earlier patterns excluded
  // Errors (InvalidArgument): `illegal exclusion pattern: "!"`, `syntax
  // error in pattern` (unclosed '[', bad range, trailing '\' in a class).
  // A backslash escape always means the character itself (Go's regexp would
  // read \d, \w, \s as classes there).
  static Result<DockerignoreMatcher> FromPatterns(const std::vector<std::string>& patterns);

  // Whether the context path `path` ('/'-separated, relative; cleaned here)
  // is excluded: patterns are tried in order, each against the path and each
  // of its parent directories, and the last one that matches decides (an
  // exception re-includes). "." (the context itself) is never excluded.
  bool Excluded(std::string_view path) const;

  // Whether any pattern is an exception (a directory excluded by a pattern
  // may still hold files an exception re-includes).
  bool HasExceptions() const { return has_exceptions_; }

  struct Token;
  struct Pattern;

 private:
  bool Matches(const Pattern& pattern, std::string_view path) const;

  std::vector<Pattern> patterns_;
  bool has_exceptions_ = false;
};

struct DockerignoreMatcher::Token {
  enum Kind { kLiteral, kAnyChar, kStar, kDirs, kAll, kClass, kStart } kind = kLiteral;
  char literal = 0;
  bool negated = false;
  std::vector<std::pair<char32_t, char32_t>> ranges;  // kClass
};

struct DockerignoreMatcher::Pattern {
  enum class Type { kExact, kPrefix, kSuffix, kRegexp } type = Type::kExact;
  std::string cleaned;
  std::vector<Token> tokens;  // kRegexp
  bool exclusion = false;     // an exception ("!")
};

}  // namespace berth
