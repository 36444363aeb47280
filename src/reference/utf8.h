// UTF-8 decoding with Go's conventions for the reference module's
// reproduction of Go string behaviour (strings.ToLower, path.Match): a thin
// adapter over the shared decoder in berth/json_text.h.
#pragma once

#include <cstddef>
#include <string_view>

#include "berth/json_text.h"

namespace berth::reference_internal {

inline constexpr char32_t kRuneError = 0xFFFD;

struct DecodedRune {
  char32_t rune;  // kRuneError for an invalid sequence
  size_t size;    // bytes consumed; 1 for an invalid sequence, 0 at end
};

// Decodes the rune starting at s[0] as Go's utf8.DecodeRuneInString does.
inline DecodedRune DecodeRune(std::string_view s) {
  if (s.empty()) return {kRuneError, 0};
  auto [rune, size] = DecodeUtf8Rune(s, 0);
  return {rune, size};
}

}  // namespace berth::reference_internal
