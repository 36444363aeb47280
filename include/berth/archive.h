// docker load / docker save archives.
//
// Load accepts a tar (plain, gzip or zstd, detected from the first bytes)
// holding an OCI image layout (oci-layout, index.json, blobs/sha256/...)
// and/or a Docker archive (manifest.json with Config, RepoTags, Layers).
// Streaming: the archive is read once, front to back; blobs go straight into
// the content store through verifying writers, so memory stays flat. Names
// come from the index's io.containerd.image.name or
// org.opencontainers.image.ref.name annotations (a bare ref.name tag is
// combined with nothing: it must be a full reference to name an image) or
// from RepoTags. Everything is validated before any record is written:
// path traversal, links, digest/size mismatches, missing blobs a manifest
// needs, malformed JSON, truncated tar are refused with an error naming the
// problem, and no record changes. Blobs committed by a failed load are
// unreferenced and are removed by the next garbage collection.
//
// Save writes a tar with an OCI layout (oci-layout, index.json naming each
// image with io.containerd.image.name and org.opencontainers.image.ref.name)
// plus a Docker manifest.json, so that docker load, skopeo
// (oci-archive:) and containerd's ctr import accept it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/image_service.h"
#include "berth/io.h"
#include "berth/platform.h"
#include "berth/status.h"

namespace berth {

// Loads an archive into `store`. With `opts.platform`, only that platform's
// manifests (strict match) and their content are imported; the index is kept
// and the other platforms are referenced but not present. Emits a `load`
// event per image. Returns the images loaded, in archive order.
Result<std::vector<LoadedImage>> LoadArchive(Store* store, const ReadFn& read, const LoadOptions& opts);

// Saves images (names or IDs, resolved like docker save) to `write`. With
// `opts.platform`, only that platform (strict match) is written. Emits a
// `save` event per image. NotFound for an unknown reference, before any
// byte is written.
Status SaveArchive(Store* store, const std::vector<std::string>& refs, const SaveOptions& opts,
                   const WriteFn& write);

}  // namespace berth
