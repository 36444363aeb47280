// DescriptorToJson: the compact JSON Go's encoding/json produces for an OCI
// descriptor, so that documents berth writes match Docker's byte for byte.

#include <string>
#include <string_view>

#include "berth/oci.h"

namespace berth {

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if invalid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
size_t Utf8SequenceLength(std::string_view s, size_t i, uint32_t* cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  size_t len;
  uint32_t c;
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  } else if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    c = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    c = b0 & 0x0F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    c = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; k++) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    c = (c << 6) | (b & 0x3F);
  }
  if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) || c > 0x10FFFF ||
      (c >= 0xD800 && c <= 0xDFFF)) {
    return 0;
  }
  *cp = c;
  return len;
}

// Appends `s` as a JSON string literal with Go's escaping: <, >, & and
// U+2028/U+2029 as \u escapes, invalid UTF-8 bytes as \ufffd.
void AppendString(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out->append("\\\""); break;
        case '\\': out->append("\\\\"); break;
        case '\n': out->append("\\n"); break;
        case '\r': out->append("\\r"); break;
        case '\t': out->append("\\t"); break;
        case '\b': out->append("\\b"); break;
        case '\f': out->append("\\f"); break;
        default:
          if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            out->append("\\u00");
            out->push_back(kHex[c >> 4]);
            out->push_back(kHex[c & 0xF]);
          } else {
            out->push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    uint32_t cp = 0;
    const size_t len = Utf8SequenceLength(s, i, &cp);
    if (len == 0) {
      out->append("\\ufffd");
      ++i;
    } else if (cp == 0x2028 || cp == 0x2029) {
      out->append(cp == 0x2028 ? "\\u2028" : "\\u2029");
      i += len;
    } else {
      out->append(s.substr(i, len));
      i += len;
    }
  }
  out->push_back('"');
}

void AppendKey(std::string* out, std::string_view key) {
  AppendString(out, key);
  out->push_back(':');
}

void AppendPlatform(std::string* out, const Platform& p) {
  // Field order of the OCI Go struct: architecture, os, os.version,
  // os.features, variant; the last three are omitted when empty.
  out->push_back('{');
  AppendKey(out, "architecture");
  AppendString(out, p.architecture);
  out->push_back(',');
  AppendKey(out, "os");
  AppendString(out, p.os);
  if (!p.os_version.empty()) {
    out->push_back(',');
    AppendKey(out, "os.version");
    AppendString(out, p.os_version);
  }
  if (!p.os_features.empty()) {
    out->push_back(',');
    AppendKey(out, "os.features");
    out->push_back('[');
    for (size_t i = 0; i < p.os_features.size(); i++) {
      if (i > 0) out->push_back(',');
      AppendString(out, p.os_features[i]);
    }
    out->push_back(']');
  }
  if (!p.variant.empty()) {
    out->push_back(',');
    AppendKey(out, "variant");
    AppendString(out, p.variant);
  }
  out->push_back('}');
}

}  // namespace

std::string DescriptorToJson(const Descriptor& d) {
  std::string out;
  out.reserve(160);
  out.push_back('{');
  AppendKey(&out, "mediaType");
  AppendString(&out, d.media_type);
  out.push_back(',');
  AppendKey(&out, "digest");
  AppendString(&out, d.digest.str());
  out.push_back(',');
  AppendKey(&out, "size");
  out.append(std::to_string(d.size));
  if (!d.urls.empty()) {
    out.push_back(',');
    AppendKey(&out, "urls");
    out.push_back('[');
    for (size_t i = 0; i < d.urls.size(); i++) {
      if (i > 0) out.push_back(',');
      AppendString(&out, d.urls[i]);
    }
    out.push_back(']');
  }
  if (!d.annotations.empty()) {
    out.push_back(',');
    AppendKey(&out, "annotations");
    out.push_back('{');
    bool first = true;
    for (const auto& [key, value] : d.annotations) {  // sorted, as Go sorts map keys
      if (!first) out.push_back(',');
      first = false;
      AppendKey(&out, key);
      AppendString(&out, value);
    }
    out.push_back('}');
  }
  if (d.platform.has_value()) {
    out.push_back(',');
    AppendKey(&out, "platform");
    AppendPlatform(&out, *d.platform);
  }
  if (!d.artifact_type.empty()) {
    out.push_back(',');
    AppendKey(&out, "artifactType");
    AppendString(&out, d.artifact_type);
  }
  out.push_back('}');
  return out;
}

}  // namespace berth
