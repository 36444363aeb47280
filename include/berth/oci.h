// The OCI image model: descriptors, media types, and parsed index, manifest
// and config documents. Parsed documents keep their raw bytes: only the raw
// bytes define a digest, so they are never re-serialised for storage.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/digest.h"
#include "berth/platform.h"
#include "berth/status.h"

namespace berth {

namespace media_type {
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kOciLayerNonDist =
    "application/vnd.oci.image.layer.nondistributable.v1.tar";
inline constexpr std::string_view kOciLayerNonDistGzip =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
inline constexpr std::string_view kOciLayerNonDistZstd =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";
inline constexpr std::string_view kOciEmpty = "application/vnd.oci.empty.v1+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestV1 =
    "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr std::string_view kDockerManifestV1Signed =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayerGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view kDockerLayer = "application/vnd.docker.image.rootfs.diff.tar";
inline constexpr std::string_view kDockerLayerForeignGzip =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
inline constexpr std::string_view kInTotoJson = "application/vnd.in-toto+json";
}  // namespace media_type

namespace annotation {
inline constexpr std::string_view kRefName = "org.opencontainers.image.ref.name";
inline constexpr std::string_view kContainerdImageName = "io.containerd.image.name";
inline constexpr std::string_view kDockerReferenceType = "vnd.docker.reference.type";
inline constexpr std::string_view kDockerReferenceDigest = "vnd.docker.reference.digest";
inline constexpr std::string_view kAttestationManifest = "attestation-manifest";
}  // namespace annotation

// Label Docker's classic builder and commit put on an image: its parent's ID.
inline constexpr std::string_view kParentLabel = "org.mobyproject.image.parent";
// Label berth's classic builder puts on every step image it creates: the
// step's command (its history created_by). An unnamed (dangling) record with
// it is build cache (ImageRecord::build_cache).
inline constexpr std::string_view kBuildStepLabel = "org.berthproject.build.step";

bool IsIndexType(std::string_view mt);     // OCI index or Docker manifest list
bool IsManifestType(std::string_view mt);  // OCI or Docker schema-2 manifest
bool IsSchema1Type(std::string_view mt);
bool IsConfigType(std::string_view mt);
bool IsLayerType(std::string_view mt);  // any layer, incl. foreign/non-distributable
bool IsNonDistributableLayer(std::string_view mt);
enum class Compression { kNone, kGzip, kZstd, kUnknown };
Compression LayerCompression(std::string_view mt);

struct Descriptor {
  std::string media_type;
  Digest digest;
  int64_t size = 0;
  std::optional<Platform> platform;
  std::map<std::string, std::string> annotations;
  std::vector<std::string> urls;
  std::string artifact_type;

  bool operator==(const Descriptor&) const = default;
};

// The largest documents berth reads into memory. Untrusted images (a load,
// a pull, a container's commit) cannot make berthd allocate more than this
// per document: the descriptor's size is checked before a fetch, the blob's
// size before a read, and the read itself stops at the limit.
inline constexpr int64_t kMaxManifestBytes = 4 << 20;  // manifests and indexes
inline constexpr int64_t kMaxConfigBytes = 8 << 20;    // image configs

// The limit for a document of this media type: kMaxConfigBytes for configs,
// kMaxManifestBytes for everything else.
int64_t MaxDocumentBytes(std::string_view media_type);

// InvalidArgument when `d` declares more bytes than `max_bytes`, naming the
// digest, its size and the limit ("manifest sha256:… is 5000000 bytes, more
// than the limit of 4 MiB"); `kind` is the word used ("manifest", "config").
Status CheckDocumentSize(const Descriptor& d, int64_t max_bytes, std::string_view kind);

// Descriptor <-> JSON (OCI field names: mediaType, digest, size, platform,
// annotations, urls, artifactType). Parse errors are InvalidArgument.
std::string DescriptorToJson(const Descriptor& d);
Result<Descriptor> DescriptorFromJson(std::string_view json);

struct Index {
  std::string raw;  // exact bytes
  std::string media_type;
  std::vector<Descriptor> manifests;
  std::map<std::string, std::string> annotations;
};

struct Manifest {
  std::string raw;
  std::string media_type;
  Descriptor config;
  std::vector<Descriptor> layers;
  std::optional<Descriptor> subject;
  std::map<std::string, std::string> annotations;
};

struct HistoryEntry {
  std::string created;  // RFC 3339
  std::string created_by;
  std::string comment;
  std::string author;
  bool empty_layer = false;
};

struct ImageConfig {
  std::string raw;
  Platform platform;  // os, architecture, variant from the config
  std::string created;  // RFC 3339, may be empty
  int64_t created_unix = 0;  // 0 when absent or unparsable
  std::string author;
  std::map<std::string, std::string> labels;  // config.Labels
  std::vector<Digest> diff_ids;             // rootfs.diff_ids
  std::vector<HistoryEntry> history;
};

// Parsers. `media_type` is the descriptor's media type when known (may be
// empty: then the document's own mediaType field decides). Schema-1 manifests
// are refused with Unimplemented("schema 1 manifests are not supported: …").
// Malformed JSON or a document of the wrong kind is InvalidArgument naming
// the problem, prefixed by the document kind ("invalid index: ", "invalid
// manifest: ", "invalid image config: "), e.g. "invalid manifest: missing
// config descriptor", "invalid index: manifests[2]: invalid digest …",
// "invalid manifest: malformed JSON: …". A media_type argument that differs
// from the document's own mediaType field, or that is not of the parser's
// kind, is InvalidArgument. JSON null counts as absent; field names match
// case-insensitively, as in Go. A document over its limit (kMaxManifestBytes,
// kMaxConfigBytes) is InvalidArgument. ParseImageConfig tolerates a missing config,
// Labels, rootfs or history; an unparsable "created" leaves created_unix 0.
Result<Index> ParseIndex(std::string raw, std::string_view media_type = {});
Result<Manifest> ParseManifest(std::string raw, std::string_view media_type = {});
Result<ImageConfig> ParseImageConfig(std::string raw);

// Sniffs a document's kind from its mediaType field, or from its shape
// ("manifests" → index, "config"+"layers" → manifest). Empty if unknown.
std::string DetectMediaType(std::string_view raw);

// True if the descriptor is a Docker attestation manifest inside an index.
bool IsAttestation(const Descriptor& d);

}  // namespace berth
