// Fuzz target: base's reproductions of Go's text routines and its codecs
// (berth/go_strconv.h, berth/url_escape.h, berth/base64.h).
// Input: "<number>\x01<escaped text>\x01<base64 text>".
// Invariants:
//   - GoParseInt/GoParseUint/GoAtoi/GoParseBool: a value only for an optional
//     sign and digits (digits only, unsigned), equal to the decimal value
//     and within the bit size; a value at one size is the same value at every
//     larger size; every error is InvalidArgument (syntax) or OutOfRange
//     (range), and its text starts "strconv.<Func>: parsing " + GoQuote(input);
//   - GoQuote: quoted, and no byte below 0x20 or 0x7f inside;
//   - UrlUnescape: percent-encoding every decoded byte and unescaping again
//     gives the decoded text back; errors are InvalidArgument "invalid URL
//     escape ...";
//   - Base64: Decode(Encode(x)) == x for the input and for every decoded
//     text; a decoded text encodes to one that decodes to it again.
#include <cstdio>
#include <string>

#include "berth/base64.h"
#include "berth/go_strconv.h"
#include "berth/url_escape.h"
#include "fuzz_util.h"

namespace {

using berth::Code;
using berth::Result;

// The sign and digits of a decimal as Go's base-10 parse takes them; false
// when `s` is anything else.
bool SplitDecimal(std::string_view s, bool allow_sign, bool* negative, std::string_view* digits) {
  *negative = false;
  if (allow_sign && !s.empty() && (s[0] == '+' || s[0] == '-')) {
    *negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  *digits = s;
  return true;
}

// The magnitude of decimal `digits` in 128 bits; past 2^100 (far outside
// every range checked) it stops growing exactly.
unsigned __int128 Magnitude(std::string_view digits) {
  unsigned __int128 v = 0;
  for (char c : digits) {
    v = v * 10 + static_cast<unsigned>(c - '0');
    if (v > (static_cast<unsigned __int128>(1) << 100)) return v;  // far out of every range
  }
  return v;
}

void CheckNumError(const berth::Status& s, std::string_view func, std::string_view input) {
  FUZZ_CHECK_MSG(s.code() == Code::kInvalidArgument || s.code() == Code::kOutOfRange, s.ToString());
  const std::string prefix = "strconv." + std::string(func) + ": parsing " + berth::GoQuote(input) + ": ";
  FUZZ_CHECK_MSG(s.message().starts_with(prefix), s.message());
  FUZZ_CHECK_MSG(s.message() == prefix + (s.code() == Code::kOutOfRange ? "value out of range" : "invalid syntax"),
                 s.message());
}

void CheckNumbers(std::string_view s) {
  bool negative = false;
  std::string_view digits;
  const bool decimal = SplitDecimal(s, true, &negative, &digits);
  const unsigned __int128 magnitude = decimal ? Magnitude(digits) : 0;
  bool ok_before = false;
  int64_t value_before = 0;
  for (int bits : {8, 16, 32, 64}) {
    Result<int64_t> v = berth::GoParseInt(s, bits);
    const unsigned __int128 limit = static_cast<unsigned __int128>(1) << (bits - 1);
    const bool fits = decimal && (negative ? magnitude <= limit : magnitude < limit);
    FUZZ_CHECK_MSG(v.ok() == fits, std::string(s));
    if (v.ok()) {
      const unsigned __int128 got =
          negative ? static_cast<unsigned __int128>(-(static_cast<__int128>(*v))) : static_cast<unsigned __int128>(*v);
      FUZZ_CHECK_MSG(got == magnitude && (*v < 0) == (negative && magnitude != 0), std::string(s));
      if (ok_before) FUZZ_CHECK(*v == value_before);
      ok_before = true;
      value_before = *v;
    } else {
      CheckNumError(v.status(), "ParseInt", s);
      // A decimal that fails is out of range. (Other text may be either:
      // Go reports a range error as soon as the digits read overflow.)
      if (decimal) FUZZ_CHECK_MSG(v.status().code() == Code::kOutOfRange, v.status().ToString());
    }
  }
  Result<int64_t> atoi = berth::GoAtoi(s);
  Result<int64_t> as64 = berth::GoParseInt(s, 64);
  FUZZ_CHECK(atoi.ok() == as64.ok());
  if (atoi.ok()) FUZZ_CHECK(*atoi == *as64);
  if (!atoi.ok()) CheckNumError(atoi.status(), "Atoi", s);

  bool unsigned_negative = false;
  std::string_view unsigned_digits;
  const bool plain = SplitDecimal(s, false, &unsigned_negative, &unsigned_digits);
  for (int bits : {8, 16, 32, 64}) {
    Result<uint64_t> v = berth::GoParseUint(s, bits);
    const unsigned __int128 limit = static_cast<unsigned __int128>(1) << bits;
    FUZZ_CHECK_MSG(v.ok() == (plain && Magnitude(unsigned_digits) < limit), std::string(s));
    if (v.ok()) FUZZ_CHECK(*v == Magnitude(unsigned_digits));
    if (!v.ok()) CheckNumError(v.status(), "ParseUint", s);
  }

  Result<bool> b = berth::GoParseBool(s);
  const bool spelled = s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True" || s == "0" ||
                       s == "f" || s == "F" || s == "FALSE" || s == "false" || s == "False";
  FUZZ_CHECK(b.ok() == spelled);
  if (!b.ok()) CheckNumError(b.status(), "ParseBool", s);

  const std::string quoted = berth::GoQuote(s);
  FUZZ_CHECK(quoted.size() >= 2 && quoted.front() == '"' && quoted.back() == '"');
  for (unsigned char c : quoted) FUZZ_CHECK_MSG(c >= 0x20 && c != 0x7f, quoted);
}

void CheckUnescape(std::string_view s) {
  for (bool plus_is_space : {false, true}) {
    Result<std::string> decoded = berth::UrlUnescape(s, plus_is_space);
    if (!decoded.ok()) {
      FUZZ_CHECK_MSG(decoded.status().code() == Code::kInvalidArgument, decoded.status().ToString());
      FUZZ_CHECK(decoded.status().message().starts_with("invalid URL escape \"%"));
      continue;
    }
    Result<std::string> again =
        berth::UrlUnescape(berth::fuzz::PercentEncodeAll(*decoded, /*upper=*/false), plus_is_space);
    FUZZ_CHECK(again.ok() && *again == *decoded);
  }
}

void CheckBase64(std::string_view s) {
  Result<std::string> round = berth::Base64Decode(berth::Base64Encode(s));
  FUZZ_CHECK(round.ok() && *round == s);
  Result<std::string> decoded = berth::Base64Decode(s);
  if (!decoded.ok()) {
    FUZZ_CHECK_MSG(decoded.status().message() == "illegal base64 data", decoded.status().ToString());
    return;
  }
  Result<std::string> again = berth::Base64Decode(berth::Base64Encode(*decoded));
  FUZZ_CHECK(again.ok() && *again == *decoded);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  berth::fuzz::Parts parts(data, size);
  CheckNumbers(parts.Next());
  CheckUnescape(parts.Next());
  CheckBase64(parts.Next());
  return 0;
}
