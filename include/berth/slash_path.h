// '/'-separated paths taken apart lexically (no file system access): the
// paths of archives, build contexts, image layers and mount specifications.
//
// One place decides what ".." means: CleanSlashPath resolves it against the
// components before it (Go's path.Clean, as Docker cleans paths), while
// ComponentsWithin refuses it (a path that must stay inside a root: an
// archive entry, a context entry, a layer entry).

#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth {

// Go's path.Clean: repeated slashes and "." go, ".." removes the component
// before it (at the root of a rooted path it is dropped; leading ".." of a
// relative path stay); "" is ".".
std::string CleanSlashPath(std::string_view path);

// The non-empty components of `path` other than ".", in order (a leading or
// trailing slash adds none); nullopt when any component is "..". The caller
// decides whether a rooted path is acceptable.
std::optional<std::vector<std::string>> ComponentsWithin(std::string_view path);

// Go's filepath.IsLocal on Unix: not empty, not rooted, and still inside
// once cleaned ("a/../b" is, "a/../../b" and ".." are not).
bool IsLocalSlashPath(std::string_view path);

}  // namespace berth
