// Archive entry paths: normalisation and link resolution, refusing anything
// that could name a file outside the archive. Internal to src/archive.
#pragma once

#include <string>
#include <string_view>

#include "berth/status.h"

namespace berth::archive {

// Normalises an entry path: drops "." and empty components and a leading
// "./"; refuses absolute paths and ".." components (InvalidArgument naming
// the entry). The archive root itself ("." or "./") gives "".
Result<std::string> NormalizeEntryPath(std::string_view path);

// Resolves a symlink at entry `link_path` (normalised) with target `target`
// to the normalised path of the entry it names, within the archive: relative
// to the link's directory, ".." allowed while it stays inside. Absolute
// targets and targets climbing out of the archive are refused.
Result<std::string> ResolveSymlink(std::string_view link_path, std::string_view target);

// True for "blobs/sha256/<64 lowercase hex>"; sets *hex.
bool IsBlobPath(std::string_view path, std::string* hex);

}  // namespace berth::archive
