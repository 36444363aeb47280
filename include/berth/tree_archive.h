// Tar archives of directory trees, both ways, confined to the tree: the
// extraction of untrusted archives (build contexts, ADD's local archives,
// `docker cp` into a container) and the archive of a tree (`docker cp` out
// of a container, `docker export`). Part of the snapshot module, beside the
// layer unpack and diff (berth/snapshot.h).
//
// Both go by directory descriptors: nothing is opened through a path that a
// concurrent change could redirect out of the tree.
#pragma once

#include <cstdint>
#include <string>

#include "berth/io.h"
#include "berth/status.h"

namespace berth {

struct TreeExtractOptions {
  // The start of every refusal: "invalid build context", "invalid archive".
  std::string what = "invalid archive";
  // What refusals call the archive's tree: "path leaves the <place>".
  std::string place = "archive";
  int64_t max_bytes = int64_t{4} << 30;  // bytes of file data
  int64_t max_entries = 1'000'000;
  // How the directory of an entry is reached from the top directory:
  //   false  component by component with O_NOFOLLOW, creating missing
  //          directories; a symbolic link on the way is refused;
  //   true   as if `root_fd` were "/" (OpenInRoot): a symbolic link already
  //          in the tree is followed but never leads out of `root_fd`
  //          (Docker extracts `docker cp` archives chrooted the same way).
  // Either way a path through a symbolic link the archive itself created is
  // refused.
  bool resolve_in_root = false;
  // Symbolic links whose target is absolute or climbs out of the top
  // directory: refused (false), or written as they are (true; nothing here
  // ever follows a link the archive made).
  bool any_symlink_target = false;
  // Owners: the extracting user (false), or the entry's uid/gid (true; lchown).
  bool keep_owners = false;
  // Instead: every entry owned by `uid`:`gid`.
  bool fixed_owner = false;
  uint32_t uid = 0;
  uint32_t gid = 0;
  // Keep setuid/setgid/sticky bits and modification times (else
  // permission bits only; directories get at least 0700).
  bool keep_modes_and_times = false;
  // Docker's NoOverwriteDirNonDir: an existing directory is not replaced by
  // a non-directory, nor a non-directory by a directory.
  bool no_overwrite_dir_non_dir = false;
};

// Extracts a tar (plain, gzip, bzip2, xz or zstd), read once from `read`,
// into the directory `dest` below `root_fd` ("" or "/": `root_fd` itself;
// resolved as `opts.resolve_in_root` says; it must exist). Refused with
// InvalidArgument "<what>: entry \"E\": <why>", leaving what was extracted
// before for the caller: absolute paths, paths with "..", a hard link to
// anything but an earlier file of the archive, devices, FIFOs and sockets,
// symbolic links as `any_symlink_target` says, a path through a symbolic
// link, more than max_bytes of data or max_entries entries. An entry that
// replaces an existing file is unlinked first (never written through).
Status ExtractTarInto(const ReadFn& read, int root_fd, const std::string& dest, const TreeExtractOptions& opts);

// Writes the entry `name` of the directory `dir_fd` ("." for the directory
// itself), and everything below it when it is a directory, as an
// uncompressed PAX tar through `write`: the entry itself is named
// `archive_name` (empty: the entry is not written, only what is below it,
// with names relative to it) and what is below `archive_name/...`. Owners,
// modes, times, xattrs (not overlayfs' trusted.overlay.*), symbolic link
// targets and hard links within the tree are kept; sockets are skipped.
// Nothing is followed: a symbolic link is written as a link. `what` names
// the tree in errors. A failing `write` stops the walk with its status.
Status WriteTreeTar(int dir_fd, const std::string& name, const std::string& archive_name, const std::string& what,
                    const WriteFn& write);

}  // namespace berth
