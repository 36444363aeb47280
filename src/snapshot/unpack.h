// Unpacking one layer blob into a directory. Internal to src/snapshot.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "berth/digest.h"
#include "berth/env.h"
#include "berth/io.h"
#include "berth/status.h"

namespace berth::snapshot {

// Normalises a tar entry path to a relative path inside the layer: leading
// "/" and "./", empty and "." components are dropped. "" is the layer root.
// nullopt when a ".." component would climb (the path is hostile).
std::optional<std::string> CleanLayerPath(std::string_view path);

// Reads the (gzip, zstd or uncompressed) layer tar from `blob` and unpacks it
// into the existing, empty directory `dir` (an absolute path without
// symlinks). Returns the SHA-256 of the uncompressed tar stream (all of it,
// including any padding after the end-of-archive blocks). `layer` names the
// layer in errors ("layer <layer>: ..."). Refuses entries escaping `dir`
// (InvalidArgument "... path escapes the layer: <path>"); corrupt streams are
// DataLoss. The uncompressed stream is held to `limits` (CheckDecompression's
// InvalidArgument, as soon as it is broken). On error `dir` holds a partial
// unpack: the caller removes it.
Result<Digest> UnpackLayer(SequentialFile* blob, const std::string& dir, const std::string& layer,
                           const DecompressionLimits& limits);

}  // namespace berth::snapshot
