// Go's strconv (berth/go_strconv.h), written from its documented behaviour.
#include "berth/go_strconv.h"

#include "berth/json_text.h"

namespace berth {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr std::string_view kSyntaxText = "invalid syntax";
constexpr std::string_view kRangeText = "value out of range";

void AppendHex(std::string* out, uint32_t v, int digits) {
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out->push_back(kHex[(v >> shift) & 0xF]);
}

bool IsPrintRune(char32_t r) {
  if (r < 0x20 || (r >= 0x7F && r <= 0x9F)) return false;
  if (r == 0xA0 || r == 0xAD || r == 0x2028 || r == 0x2029 || r == 0xFEFF) return false;
  return true;
}

// Go's *NumError: a syntax error is kInvalidArgument, a range error
// kOutOfRange (both 400 at the API).
Status NumError(std::string_view func, std::string_view input, std::string_view why) {
  const Code code = why == kRangeText ? Code::kOutOfRange : Code::kInvalidArgument;
  return Status(code, "strconv." + std::string(func) + ": parsing " + GoQuote(input) + ": " + std::string(why));
}

enum class Parsed { kOk, kSyntax, kRange };

// Go's ParseUint loop in base 10: digits only (none is a syntax error); a
// value above `max` is a range error at once, even with a bad byte after it
// (Go stops there too); a bad byte before that is a syntax error.
Parsed Magnitude(std::string_view digits, uint64_t max, uint64_t* value) {
  if (digits.empty()) return Parsed::kSyntax;
  uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return Parsed::kSyntax;
    const auto d = static_cast<uint64_t>(c - '0');
    if (v > (max - d) / 10) return Parsed::kRange;
    v = v * 10 + d;
  }
  *value = v;
  return Parsed::kOk;
}

uint64_t UnsignedMax(int bits) { return bits >= 64 ? UINT64_MAX : (uint64_t{1} << bits) - 1; }

Result<int64_t> ParseSigned(std::string_view func, std::string_view s, int bits) {
  if (bits < 1 || bits > 64) bits = 64;
  std::string_view digits = s;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  uint64_t v = 0;
  switch (Magnitude(digits, UnsignedMax(bits), &v)) {
    case Parsed::kSyntax: return NumError(func, s, kSyntaxText);
    case Parsed::kRange: return NumError(func, s, kRangeText);
    case Parsed::kOk: break;
  }
  const uint64_t cutoff = uint64_t{1} << (bits - 1);  // |min| of the signed range
  if (negative ? v > cutoff : v >= cutoff) return NumError(func, s, kRangeText);
  if (!negative) return static_cast<int64_t>(v);
  return v == cutoff ? -static_cast<int64_t>(v - 1) - 1 : -static_cast<int64_t>(v);
}

}  // namespace

void AppendGoQuotedRune(std::string* out, char32_t r, char quote) {
  if (r == static_cast<char32_t>(quote) || r == '\\') {
    out->push_back('\\');
    out->push_back(static_cast<char>(r));
    return;
  }
  if (IsPrintRune(r)) {
    AppendUtf8Rune(out, r);
    return;
  }
  switch (r) {
    case '\a': *out += "\\a"; return;
    case '\b': *out += "\\b"; return;
    case '\f': *out += "\\f"; return;
    case '\n': *out += "\\n"; return;
    case '\r': *out += "\\r"; return;
    case '\t': *out += "\\t"; return;
    case '\v': *out += "\\v"; return;
    default: break;
  }
  if (r < 0x20 || r == 0x7F) {
    *out += "\\x";
    AppendHex(out, r, 2);
  } else if (r < 0x10000) {
    *out += "\\u";
    AppendHex(out, r, 4);
  } else {
    *out += "\\U";
    AppendHex(out, r, 8);
  }
}

std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    auto [r, n] = DecodeUtf8Rune(s, i);
    if (r == 0xFFFD && n == 1) {
      // A literal U+FFFD (3 bytes) decodes with n == 3; n == 1 is a bad byte.
      out += "\\x";
      AppendHex(&out, static_cast<unsigned char>(s[i]), 2);
    } else {
      AppendGoQuotedRune(&out, r, '"');
    }
    i += n;
  }
  out += "\"";
  return out;
}

Result<int64_t> GoParseInt(std::string_view s, int bits) { return ParseSigned("ParseInt", s, bits); }

Result<int64_t> GoAtoi(std::string_view s) { return ParseSigned("Atoi", s, 64); }

Result<uint64_t> GoParseUint(std::string_view s, int bits) {
  if (bits < 1 || bits > 64) bits = 64;
  uint64_t v = 0;
  switch (Magnitude(s, UnsignedMax(bits), &v)) {
    case Parsed::kSyntax: return NumError("ParseUint", s, kSyntaxText);
    case Parsed::kRange: return NumError("ParseUint", s, kRangeText);
    case Parsed::kOk: break;
  }
  return v;
}

Result<bool> GoParseBool(std::string_view s) {
  if (s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True") return true;
  if (s == "0" || s == "f" || s == "F" || s == "FALSE" || s == "false" || s == "False") return false;
  return NumError("ParseBool", s, kSyntaxText);
}

}  // namespace berth
