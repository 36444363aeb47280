// The patterns of ${var#p} ${var##p} ${var%p} ${var%%p} ${var/p/r}
// ${var//p/r} in Dockerfile substitution, with the semantics of buildkit's
// shell lexer (convertShellPatternToRegex, trimPrefix, trimSuffix, and Go's
// regexp matching: leftmost match, `*` longest when greedy, shortest
// otherwise, `*` and `?` never crossing a newline).
#pragma once

#include <string>
#include <string_view>

#include "berth/status.h"

namespace berth::dockerfile::internal {

// `value` without the prefix (`suffix` false) or suffix `pattern` matches.
// Errors (InvalidArgument): "invalid pattern (<pattern>) in substitution:
// invalid escape '\x'".
Result<std::string> TrimPattern(std::string_view pattern, std::string_view value, bool suffix, bool greedy);

// `value` with the first (or every) match of `pattern` replaced. As with Go's
// ReplaceAllString, `replacement` in the every-match form expands `$0` and
// `${0}` to the match and `$$` to `$`; other `$name`s are empty.
Result<std::string> ReplacePattern(std::string_view pattern, std::string_view value, std::string_view replacement,
                                   bool all);

}  // namespace berth::dockerfile::internal
