// Fuzz target: OCI and Docker documents (include/berth/oci.h).
// Input: one selector byte (which media type the "descriptor" claims; 0 and
// anything past the list mean none), then the document. Every parser runs on
// it. Invariants: parsed documents keep their raw bytes; every descriptor
// they yield prints (DescriptorToJson) to JSON that DescriptorFromJson
// reads back to an equal descriptor, with a valid digest and a size >= 0;
// a media type given to a parser that accepts it is the one the document
// reports; errors are InvalidArgument (Unimplemented for schema 1).
#include <string>
#include <vector>

#include "berth/oci.h"
#include "fuzz_util.h"

namespace {

namespace mt = berth::media_type;
using berth::Code;
using berth::Descriptor;

const std::string_view kTypes[] = {
    mt::kOciIndex,           mt::kOciManifest,    mt::kOciConfig,        mt::kOciLayerGzip,           mt::kOciEmpty,
    mt::kDockerManifestList, mt::kDockerManifest, mt::kDockerManifestV1, mt::kDockerManifestV1Signed, mt::kDockerConfig,
    mt::kDockerLayer,        mt::kInTotoJson,
};

void CheckDescriptor(const Descriptor& d) {
  FUZZ_CHECK(!d.digest.empty());
  FUZZ_CHECK(d.size >= 0);
  std::string json = berth::DescriptorToJson(d);
  auto again = berth::DescriptorFromJson(json);
  FUZZ_CHECK_MSG(again.ok(), json + " -> " + again.status().message());
  FUZZ_CHECK_MSG(*again == d, json);
  (void)berth::IsAttestation(d);
  (void)berth::LayerCompression(d.media_type);
}

void CheckError(const berth::Status& s) {
  FUZZ_CHECK_MSG(s.code() == Code::kInvalidArgument || s.code() == Code::kUnimplemented, s.message());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  berth::fuzz::Parts parts(data, size);
  uint8_t selector = parts.Byte();
  std::string_view media_type =
      selector > 0 && selector <= std::size(kTypes) ? kTypes[selector - 1] : std::string_view();
  std::string doc(parts.rest());

  auto index = berth::ParseIndex(doc, media_type);
  if (index.ok()) {
    FUZZ_CHECK(index->raw == doc);
    FUZZ_CHECK(berth::IsIndexType(index->media_type));
    if (!media_type.empty()) FUZZ_CHECK(index->media_type == media_type);
    for (const Descriptor& d : index->manifests) CheckDescriptor(d);
  } else {
    CheckError(index.status());
  }

  auto manifest = berth::ParseManifest(doc, media_type);
  if (manifest.ok()) {
    FUZZ_CHECK(manifest->raw == doc);
    FUZZ_CHECK(berth::IsManifestType(manifest->media_type));
    if (!media_type.empty()) FUZZ_CHECK(manifest->media_type == media_type);
    CheckDescriptor(manifest->config);
    for (const Descriptor& d : manifest->layers) CheckDescriptor(d);
    if (manifest->subject) CheckDescriptor(*manifest->subject);
  } else {
    CheckError(manifest.status());
  }
  FUZZ_CHECK(!(index.ok() && manifest.ok()));

  auto config = berth::ParseImageConfig(doc);
  if (config.ok()) {
    FUZZ_CHECK(config->raw == doc);
    for (const berth::Digest& d : config->diff_ids) FUZZ_CHECK(!d.empty());
  } else {
    CheckError(config.status());
  }

  auto descriptor = berth::DescriptorFromJson(doc);
  if (descriptor.ok()) {
    CheckDescriptor(*descriptor);
  } else {
    CheckError(descriptor.status());
  }

  (void)berth::DetectMediaType(doc);
  return 0;
}
