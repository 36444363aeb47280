// Minimal UTF-8 decoding with Go's conventions, for the reference module's
// faithful reproduction of Go string behaviour (strings.ToLower, path.Match).
#pragma once

#include <cstddef>
#include <string_view>

namespace berth::reference_internal {

inline constexpr char32_t kRuneError = 0xFFFD;

struct DecodedRune {
  char32_t rune;  // kRuneError for an invalid sequence
  size_t size;    // bytes consumed; 1 for an invalid sequence, 0 at end
};

// Decodes the rune starting at s[0] as Go's utf8.DecodeRuneInString does:
// overlong forms, surrogates and values above U+10FFFF are invalid and
// consume one byte.
inline DecodedRune DecodeRune(std::string_view s) {
  if (s.empty()) return {kRuneError, 0};
  unsigned char b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) return {b0, 1};
  size_t need;
  char32_t r;
  char32_t min;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1, r = b0 & 0x1F, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2, r = b0 & 0x0F, min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3, r = b0 & 0x07, min = 0x10000;
  } else {
    return {kRuneError, 1};
  }
  if (s.size() < need + 1) return {kRuneError, 1};
  for (size_t i = 1; i <= need; ++i) {
    unsigned char b = static_cast<unsigned char>(s[i]);
    if ((b & 0xC0) != 0x80) return {kRuneError, 1};
    r = (r << 6) | (b & 0x3F);
  }
  if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) return {kRuneError, 1};
  return {r, need + 1};
}

}  // namespace berth::reference_internal
