// DescriptorToJson: the compact JSON Go's encoding/json produces for an OCI
// descriptor, so that documents berth writes match Docker's byte for byte.

#include <string>
#include <string_view>

#include "berth/oci.h"

#include "berth/json_text.h"

namespace berth {

namespace {

void AppendString(std::string* out, std::string_view s) { AppendGoJsonString(out, s); }

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
