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

// Opens `path` below the directory `root_fd` as if it were "/": symbolic
// links are followed but never lead out of it (an absolute target and ".."
// stop at `root_fd`). The last component is opened with `flags` (O_CLOEXEC
// added; with O_NOFOLLOW a symlink there is opened itself, e.g. with O_PATH).
// openat2(RESOLVE_IN_ROOT) where available, else the kWalk resolution.
// Returns the descriptor, or -1 with errno set.
int OpenInRoot(int root_fd, const std::string& path, int flags);

// Opens `path` (relative) below the directory `base_fd` with O_PATH, following
// no symbolic link in any component, the last included, and never leaving
// `base_fd`: the descriptor names exactly the file that was checked (to be
// bind-mounted through /proc/self/fd, say: a volume's subpath, whose tree a
// container controls). openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
// RESOLVE_NO_MAGICLINKS); where openat2 is unavailable, a walk of
// openat(O_PATH | O_NOFOLLOW) per component. -1 with errno set: EXDEV for a
// ".." that would leave `base_fd` (and for an absolute path), ELOOP for a
// symlink, ENOENT, ENOTDIR.
int OpenBeneathNoSymlinks(int base_fd, const std::string& path);
// Its walk alone (the fallback; tests run both).
int OpenBeneathNoSymlinksByWalk(int base_fd, const std::string& path);

// Env::ReadFileInRoot: kOpenat2, falling back to kWalk where openat2 is
// unavailable.
Result<std::string> ReadFileInRoot(const std::string& root, const std::string& path, uint64_t max_bytes);

}  // namespace berth::internal
