// The size of a directory tree as Docker reports a container's writable
// layer (SizeRw) or a volume's UsageData.Size: the apparent sizes (st_size)
// of the regular files under it, a file with several hard links counted
// once. Symbolic links are not followed. Thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "berth/status.h"

namespace berth {

// NotFound when `dir` does not exist. Entries that cannot be read (a
// permission error, a name past PATH_MAX in a very deep tree) are left out
// of the sum rather than failing it.
[[nodiscard]] Result<int64_t> ApparentTreeSize(const std::string& dir);

}  // namespace berth
