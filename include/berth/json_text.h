// Text helpers shared by everything that must write JSON byte for byte as
// Docker's Go code does (descriptors, events, platforms).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace berth {

// Decodes one UTF-8 sequence at s[i] (i < s.size()) with Go's
// utf8.DecodeRune rules: invalid input (bad lead byte, truncation, overlong
// form, surrogate, above U+10FFFF) yields {U+FFFD, 1}.
std::pair<char32_t, size_t> DecodeUtf8Rune(std::string_view s, size_t i);
// Appends `rune` (at most U+10FFFF) encoded as UTF-8.
void AppendUtf8Rune(std::string* out, char32_t rune);

// Appends `s` as a JSON string literal as Go's encoding/json writes it with
// HTML escaping on: <, > and & and U+2028/U+2029 as \u escapes, control
// characters as \u00XX except \b \f \n \r \t, invalid UTF-8 as \ufffd.
void AppendGoJsonString(std::string* out, std::string_view s);

// Go's unicode.IsSpace: ASCII and Latin-1 spaces (\t \n \v \f \r, space,
// U+0085, U+00A0) and Unicode's White_Space (U+1680, U+2000..U+200A, U+2028,
// U+2029, U+202F, U+205F, U+3000).
bool IsGoSpace(char32_t rune);
// True when Go's strings.TrimSpace(s) is empty: every rune of `s` is a
// space (invalid UTF-8 is not).
bool IsGoBlank(std::string_view s);

}  // namespace berth
