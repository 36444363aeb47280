// Base64 (berth/base64.h).
#include "berth/base64.h"

#include <cstdint>

namespace berth {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The 6-bit value of one character of either alphabet; -1 for any other.
int SextetOf(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

}  // namespace

void AppendBase64(std::string* out, std::string_view in) {
  out->reserve(out->size() + (in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (uint32_t{uint8_t(in[i])} << 16) | (uint32_t{uint8_t(in[i + 1])} << 8) | uint8_t(in[i + 2]);
    const char quad[4] = {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], kAlphabet[v & 63]};
    out->append(quad, 4);
  }
  if (i + 1 == in.size()) {
    const uint32_t v = uint32_t{uint8_t(in[i])} << 16;
    const char quad[4] = {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], '=', '='};
    out->append(quad, 4);
  } else if (i + 2 == in.size()) {
    const uint32_t v = (uint32_t{uint8_t(in[i])} << 16) | (uint32_t{uint8_t(in[i + 1])} << 8);
    const char quad[4] = {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], '='};
    out->append(quad, 4);
  }
}

std::string Base64Encode(std::string_view in) {
  std::string out;
  AppendBase64(&out, in);
  return out;
}

Result<std::string> Base64Decode(std::string_view in) {
  size_t padding = 0;
  while (!in.empty() && in.back() == '=' && padding < 2) {
    in.remove_suffix(1);
    ++padding;
  }
  std::string out;
  out.reserve(in.size() / 4 * 3 + 2);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = SextetOf(c);
    if (v < 0) return InvalidArgument("illegal base64 data");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // A lone final character carries no whole byte; padding must complete
  // the last quad.
  if (bits >= 6 || (padding > 0 && (in.size() + padding) % 4 != 0)) return InvalidArgument("illegal base64 data");
  return out;
}

}  // namespace berth
