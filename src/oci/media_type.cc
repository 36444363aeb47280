// Media-type predicates and small descriptor helpers.

#include "berth/oci.h"

namespace berth {

namespace {

// Docker's zstd rootfs type and uncompressed foreign layers are not in the
// public constants but appear in the wild (containerd knows them).
constexpr std::string_view kDockerLayerZstd = "application/vnd.docker.image.rootfs.diff.tar.zstd";
constexpr std::string_view kDockerLayerForeign =
    "application/vnd.docker.image.rootfs.foreign.diff.tar";

}  // namespace

bool IsIndexType(std::string_view mt) {
  return mt == media_type::kOciIndex || mt == media_type::kDockerManifestList;
}

bool IsManifestType(std::string_view mt) {
  return mt == media_type::kOciManifest || mt == media_type::kDockerManifest;
}

bool IsSchema1Type(std::string_view mt) {
  return mt == media_type::kDockerManifestV1 || mt == media_type::kDockerManifestV1Signed;
}

bool IsConfigType(std::string_view mt) {
  return mt == media_type::kOciConfig || mt == media_type::kDockerConfig;
}

bool IsNonDistributableLayer(std::string_view mt) {
  return mt == media_type::kOciLayerNonDist || mt == media_type::kOciLayerNonDistGzip ||
         mt == media_type::kOciLayerNonDistZstd || mt == media_type::kDockerLayerForeignGzip ||
         mt == kDockerLayerForeign;
}

bool IsLayerType(std::string_view mt) {
  return mt == media_type::kOciLayer || mt == media_type::kOciLayerGzip ||
         mt == media_type::kOciLayerZstd || mt == media_type::kDockerLayer ||
         mt == media_type::kDockerLayerGzip || mt == kDockerLayerZstd ||
         IsNonDistributableLayer(mt);
}

Compression LayerCompression(std::string_view mt) {
  if (mt == media_type::kOciLayer || mt == media_type::kOciLayerNonDist ||
      mt == media_type::kDockerLayer || mt == kDockerLayerForeign) {
    return Compression::kNone;
  }
  if (mt == media_type::kOciLayerGzip || mt == media_type::kOciLayerNonDistGzip ||
      mt == media_type::kDockerLayerGzip || mt == media_type::kDockerLayerForeignGzip) {
    return Compression::kGzip;
  }
  if (mt == media_type::kOciLayerZstd || mt == media_type::kOciLayerNonDistZstd ||
      mt == kDockerLayerZstd) {
    return Compression::kZstd;
  }
  return Compression::kUnknown;
}

bool IsAttestation(const Descriptor& d) {
  auto it = d.annotations.find(std::string(annotation::kDockerReferenceType));
  return it != d.annotations.end() && it->second == annotation::kAttestationManifest;
}

}  // namespace berth
