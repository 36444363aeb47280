// Go's strconv, as far as Docker's messages show it: Quote, and base-10
// integer and boolean parsing with the exact text of Go's *NumError,
//   strconv.<Func>: parsing <Quote(input)>: invalid syntax
//   strconv.<Func>: parsing <Quote(input)>: value out of range
// so a value Docker refuses is refused here in Docker's words. A syntax
// error is kInvalidArgument, a range error kOutOfRange. Pure functions, any
// thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "berth/status.h"

namespace berth {

// strconv.Quote: a double-quoted string with Go's escapes. Unicode
// printability is approximated: C0/C1 controls, DEL, U+00A0, U+00AD,
// U+2028/U+2029 and U+FEFF are escaped; every other valid code point is
// kept; a byte that is not UTF-8 is \xNN.
std::string GoQuote(std::string_view s);
// Appends one rune as Quote writes it inside quotes of kind `quote`.
void AppendGoQuotedRune(std::string* out, char32_t rune, char quote);

// strconv.ParseInt(s, 10, bits), bits in 1..64: an optional sign, then
// ASCII digits only (no spaces, no underscores); a value outside bits'
// signed range is "value out of range".
Result<int64_t> GoParseInt(std::string_view s, int bits);
// strconv.ParseUint(s, 10, bits): digits only, no sign.
Result<uint64_t> GoParseUint(std::string_view s, int bits);
// strconv.Atoi on a 64-bit machine: ParseInt(s, 10, 64), named "Atoi" in its
// errors.
Result<int64_t> GoAtoi(std::string_view s);
// strconv.ParseBool: 1 t T TRUE true True, 0 f F FALSE false False.
Result<bool> GoParseBool(std::string_view s);

}  // namespace berth
