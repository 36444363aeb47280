// The JSON OCI platform form: decoding with Docker's DecodePlatform errors
// (Go encoding/json texts) and encoding as Go marshals ocispec.Platform.

#include <boost/json.hpp>

#include <string>

#include "berth/platform.h"
#include "berth/json_text.h"
#include "base/ascii_fold.h"
#include "platform/go_text.h"

namespace berth {

namespace {

namespace json = boost::json;
using platform_internal::GoCoerceUtf8;
using platform_internal::GoJsonSyntaxError;

constexpr std::string_view kParseFailed = "failed to parse platform: ";

// The JSON kind names Go's UnmarshalTypeError reports.
std::string_view GoKind(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string: return "string";
    case json::kind::bool_: return "bool";
    case json::kind::array: return "array";
    case json::kind::object: return "object";
    case json::kind::null: return "null";
    default: return "number";
  }
}

// Decodes one object member into the Platform field it names, recording the
// first Go type error in *type_error (decoding goes on, as in Go).
void DecodeMember(std::string_view key, const json::value& v, Platform* p,
                  std::string* type_error) {
  auto note_error = [&](std::string_view field, std::string_view go_type) {
    if (!type_error->empty()) return;
    *type_error = "json: cannot unmarshal " + std::string(GoKind(v)) +
                  " into Go struct field Platform." + std::string(field) + " of type " +
                  std::string(go_type);
  };
  struct StringField {
    std::string_view name;
    std::string Platform::*member;
  };
  static const StringField kStringFields[] = {
      {"architecture", &Platform::architecture},
      {"os", &Platform::os},
      {"os.version", &Platform::os_version},
      {"variant", &Platform::variant},
  };
  for (const StringField& f : kStringFields) {
    if (!EqualFoldAscii(key, f.name)) continue;
    if (v.is_string()) {
      const json::string& s = v.get_string();
      p->*f.member = GoCoerceUtf8(std::string_view(s.data(), s.size()));
    } else if (!v.is_null()) {  // null leaves a string untouched
      note_error(f.name, "string");
    }
    return;
  }
  if (!EqualFoldAscii(key, "os.features")) return;  // unknown keys are ignored
  if (v.is_null()) {
    p->os_features.clear();
    return;
  }
  if (!v.is_array()) {
    note_error("os.features", "[]string");
    return;
  }
  std::vector<std::string> features;
  for (const json::value& e : v.get_array()) {
    if (e.is_string()) {
      const json::string& s = e.get_string();
      features.push_back(GoCoerceUtf8(std::string_view(s.data(), s.size())));
      continue;
    }
    features.emplace_back();  // null, or a mismatched element left empty
    if (!e.is_null() && type_error->empty()) {
      *type_error = "json: cannot unmarshal " + std::string(GoKind(e)) +
                    " into Go struct field Platform.os.features of type string";
    }
  }
  p->os_features = std::move(features);
}

}  // namespace

Result<Platform> ParsePlatformJson(std::string_view text) {
  // Go validates the whole text before decoding: syntax errors come first.
  if (auto syntax = GoJsonSyntaxError(text)) {
    return InvalidArgument(std::string(kParseFailed) + *syntax);
  }
  json::parse_options options;
  options.allow_invalid_utf8 = true;  // Go replaces bad bytes with U+FFFD
  options.max_depth = 10001;          // Go's scanner already bounds depth
  boost::system::error_code ec;
  json::value root;
  try {
    root = json::parse(json::string_view(text.data(), text.size()), ec, {}, options);
  } catch (const std::exception& e) {
    return InvalidArgument(std::string(kParseFailed) + e.what());
  }
  if (ec) return InvalidArgument(std::string(kParseFailed) + ec.message());

  Platform p;
  std::string type_error;
  if (root.is_object()) {
    for (const auto& member : root.get_object()) {
      DecodeMember(std::string_view(member.key().data(), member.key().size()), member.value(), &p,
                   &type_error);
    }
  } else if (!root.is_null()) {
    type_error = "json: cannot unmarshal " + std::string(GoKind(root)) +
                 " into Go value of type v1.Platform";
  }
  if (!type_error.empty()) return InvalidArgument(std::string(kParseFailed) + type_error);

  const bool has_optional = !p.variant.empty() || !p.os_version.empty() || !p.os_features.empty();
  if (p.os.empty() && p.architecture.empty() && has_optional) {
    return InvalidArgument("optional platform fields provided, but OS and Architecture are missing");
  }
  if (p.os.empty() || p.architecture.empty()) {
    return InvalidArgument("both OS and Architecture must be provided");
  }
  return p;
}

std::string PlatformToJson(const Platform& p) {
  std::string out = "{\"architecture\":";
  AppendGoJsonString(&out, p.architecture);
  out += ",\"os\":";
  AppendGoJsonString(&out, p.os);
  if (!p.os_version.empty()) {
    out += ",\"os.version\":";
    AppendGoJsonString(&out, p.os_version);
  }
  if (!p.os_features.empty()) {
    out += ",\"os.features\":[";
    for (size_t i = 0; i < p.os_features.size(); ++i) {
      if (i > 0) out.push_back(',');
      AppendGoJsonString(&out, p.os_features[i]);
    }
    out.push_back(']');
  }
  if (!p.variant.empty()) {
    out += ",\"variant\":";
    AppendGoJsonString(&out, p.variant);
  }
  out.push_back('}');
  return out;
}

}  // namespace berth
