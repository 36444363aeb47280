// The first pass of the Dockerfile parser (buildkit's `parser` package):
// lines, parser directives, comments, continuations, the split of each
// logical line into keyword, flags and the instruction's words. The second
// pass (src/build/instructions.cc) types the instructions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "berth/status.h"

namespace berth::dockerfile::internal {

// One logical line.
struct Node {
  std::string keyword;             // as written, e.g. "run"
  std::string original;            // the joined line
  std::vector<std::string> flags;  // "--from=x", as written
  // The instruction's words by its own rule (JSON array, whitespace, name=
  // value triplets key, value, "=" or ""), quotes and escapes kept. For
  // ONBUILD: the trigger's keyword, then the trigger's words.
  std::vector<std::string> args;
  bool json = false;  // exec (JSON array) form
  int start_line = 0;
  int end_line = 0;
};

struct Lines {
  std::vector<Node> nodes;
  char escape = '\\';
  std::vector<std::string> warnings;
};

// Reads `text`. Errors are InvalidArgument with Docker's bare texts (see
// ParseDockerfile in berth/dockerfile.h).
Result<Lines> ReadLines(std::string_view text);

// Docker's ASCII-and-Unicode whitespace rules on UTF-8 text.
std::string_view TrimGoSpace(std::string_view s);
std::string_view TrimLeftGoSpace(std::string_view s);
// Splits on runs of [\t\v\f\r ] (Go's reWhitespace), at most `limit` parts
// (0 = no limit).
std::vector<std::string> SplitWhitespace(std::string_view s, size_t limit = 0);
std::string AsciiLower(std::string_view s);
std::string AsciiUpper(std::string_view s);

}  // namespace berth::dockerfile::internal
