// Test image builder: makes real OCI images (tar layers with real files,
// configs, manifests, indexes) in memory, writes them as docker-load
// archives, or puts them straight into a store. Deterministic: the same
// spec gives the same digests.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "berth/archive.h"
#include "berth/image_service.h"
#include "berth/oci.h"
#include "berth/platform.h"
#include "berth/status.h"

namespace berth::testing {

struct FixtureLayer {
  std::map<std::string, std::string> files;  // path in the layer -> content
  bool busybox = false;  // add /bin/busybox from busybox-static and applet links (sh, echo, sleep, ...)
  std::string media_type = std::string(media_type::kOciLayerGzip);  // or kOciLayer / kOciLayerZstd / Docker types
};

struct FixturePlatform {
  Platform platform{"linux", "amd64", "", "", {}};
  std::vector<FixtureLayer> layers;
  std::map<std::string, std::string> labels;  // config.Labels
  std::string created = "2024-01-01T00:00:00Z";
  std::vector<std::string> cmd;
  std::vector<std::string> entrypoint;
  std::vector<std::string> env{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  bool docker_media_types = false;  // Docker schema-2 types instead of OCI
};

struct FixtureImage {
  std::vector<FixturePlatform> platforms;  // one → manifest target (unless force_index)
  bool force_index = false;                // an index even for one platform
  bool attestations = false;               // add an attestation manifest per platform
  bool docker_media_types = false;         // manifest list instead of OCI index
};

struct BuiltBlob {
  Descriptor descriptor;
  std::string data;
};

struct BuiltImage {
  Descriptor target;            // index or manifest
  std::vector<Digest> manifests;  // platform (and attestation) manifests, empty for a manifest target
  std::vector<BuiltBlob> blobs;   // every blob, target included, no duplicates
  // Digest of the platform manifest for a platform (strict match), empty if none.
  Digest ManifestFor(const Platform& p) const;
};

Result<BuiltImage> BuildImage(const FixtureImage& spec);

// Convenience: a one-platform image whose single layer holds `files`.
Result<BuiltImage> SimpleImage(const std::map<std::string, std::string>& files,
                               std::map<std::string, std::string> labels = {});

// Convenience: an index with one manifest per platform, two layers each: a
// base layer shared by every platform and one naming `seed` and the platform.
Result<BuiltImage> MultiPlatformImage(const std::string& seed, const std::vector<Platform>& platforms,
                                      bool attestations = false);

struct ArchiveImage {
  const BuiltImage* image;
  std::vector<std::string> names;  // full references; empty: unnamed
};

// An OCI layout tar (oci-layout, index.json with name annotations, blobs/)
// plus manifest.json when `docker_manifest`; `skip_blobs` leaves those
// digests out (for broken-archive tests).
Result<std::string> WriteOciArchive(const std::vector<ArchiveImage>& images, bool docker_manifest = true,
                                    const std::vector<Digest>& skip_blobs = {});
// A Docker archive (manifest.json, <config hex>.json, <layer>/layer.tar):
// only manifest targets, uncompressed layers re-packed as Docker does.
Result<std::string> WriteDockerArchive(const std::vector<ArchiveImage>& images);

// Puts every blob of `image` into the store's content store and creates
// records for `names` (normalised by ParseNormalizedNamed; tag defaulted),
// or a dangling record when `names` is empty. Labels go on the records.
Status AddToStore(Store* store, const BuiltImage& image, const std::vector<std::string>& names,
                  std::map<std::string, std::string> record_labels = {});

// ---- Low-level helpers for hand-made (often deliberately broken) archives ----

struct TarEntry {
  enum class Type { kFile, kDir, kSymlink, kHardlink };
  std::string path;  // written as given: "../x" and "/abs" are allowed here
  Type type = Type::kFile;
  std::string data;  // kFile content
  std::string link;  // kSymlink / kHardlink target
  int mode = 0644;
};

// A deterministic uncompressed tar (fixed mtime, uid/gid 0) of `entries`,
// in order.
Result<std::string> WriteTar(const std::vector<TarEntry>& entries);
// Whole-stream compression: gzip (no timestamp) or zstd; kNone returns the
// input unchanged.
Result<std::string> CompressStream(std::string_view data, Compression c);
// Decompresses gzip/zstd (detected), or returns plain data unchanged.
Result<std::string> DecompressStream(std::string_view data);
// A ReadFn over `data` (which must outlive it), handing out at most `chunk`
// bytes per call.
ReadFn StringReader(const std::string& data, size_t chunk = 64 * 1024);

}  // namespace berth::testing
