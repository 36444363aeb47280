// Reading a file of an untrusted directory tree (a container's rootfs) as if
// that tree were the root of the file system. Env::ReadFileInRoot is the
// public face; this header exposes the two resolvers so tests can run both.
#pragma once

#include <cstdint>
#include <string>

#include "berth/status.h"

namespace berth::internal {

enum class InRootResolver {
  kOpenat2,  // openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
  kWalk,     // component by component: openat(O_PATH|O_NOFOLLOW), readlinkat
};

// Env::ReadFileInRoot's contract, resolving with `resolver` only. With
// kOpenat2 on a kernel without openat2 (or a seccomp filter refusing it):
// Unimplemented.
Result<std::string> ReadFileInRootWith(InRootResolver resolver, const std::string& root, const std::string& path,
                                       uint64_t max_bytes);

// Env::ReadFileInRoot: kOpenat2, falling back to kWalk where openat2 is
// unavailable.
Result<std::string> ReadFileInRoot(const std::string& root, const std::string& path, uint64_t max_bytes);

}  // namespace berth::internal
