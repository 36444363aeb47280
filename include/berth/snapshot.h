// Snapshots: image layers unpacked once into directories keyed by chain ID,
// stacked with overlayfs into a container's root filesystem, and the reverse
// (a container's overlay upper directory turned into a layer tar) for commit.
//
// Layout under root (<data-root>/snapshots):
//   <root>/<chain-id hex>/fs      the unpacked layer (one layer, not merged)
//   <root>/<chain-id hex>/.done   written last; a snapshot without it is a
//                                 leftover of a crash and is redone/removed
//   <root>/tmp/                   unpack in progress (renamed into place)
//
// Thread-safety: Snapshotter is thread-safe. Two Prepare calls for the same
// chain may race; exactly one unpack wins, the other reuses it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "berth/content_store.h"
#include "berth/digest.h"
#include "berth/io.h"
#include "berth/oci.h"
#include "berth/status.h"

namespace berth {

// One layer to unpack: its descriptor (blob in the content store, any
// compression the media type names) and its diff ID (digest of the
// uncompressed tar, from the image config's rootfs.diff_ids).
struct LayerSpec {
  Descriptor blob;
  Digest diff_id;
};

// The chain ID of the layers `diff_ids[0..n)` (OCI image spec):
// chain(L0) = diff(L0); chain(L0..Ln) = sha256(chain(L0..Ln-1) + " " + diff(Ln)).
Digest ChainId(const std::vector<Digest>& diff_ids);

struct PreparedLayers {
  // Unpacked layer directories (".../<chain>/fs"), LOWEST layer first.
  std::vector<std::string> dirs;
  // Chain IDs of the same layers, lowest first.
  std::vector<Digest> chain_ids;
  // How many layers this call had to unpack (0 when all were there).
  int unpacked = 0;
};

class Snapshotter {
 public:
  // Opens (creating) `root`; removes unfinished snapshots left by a crash.
  // Every unpack is held to `limits` (see DecompressionLimits).
  static Result<std::unique_ptr<Snapshotter>> Open(const std::string& root, BlobReader* content,
                                                   const DecompressionLimits& limits = {});
  virtual ~Snapshotter() = default;

  // Makes sure every layer is unpacked (each into its own directory, keyed by
  // the chain ID of the layers up to it) and returns the directories. The
  // uncompressed tar is verified against `diff_id` while unpacking; a
  // mismatch is DataLoss and leaves no snapshot. OCI whiteouts (".wh.NAME"
  // deletes NAME from lower layers, ".wh..wh..opq" makes a directory opaque)
  // become overlayfs whiteouts (0/0 character devices, the
  // trusted.overlay.opaque="y" xattr). Ownership, modes, times, hard and
  // symbolic links, devices (when permitted) and xattrs (where the filesystem
  // allows) are kept. An entry whose path (or hard-link target) would leave
  // the layer directory ("../x", absolute paths resolved through symlinks)
  // fails the layer with InvalidArgument("layer <digest>: path escapes ...")
  // and leaves nothing behind; so does a layer that breaks the
  // decompression limits ("layer <digest> is larger than the limit ...",
  // "... decompresses more than 100:1 ..."), stopped as soon as it does.
  virtual Result<PreparedLayers> Prepare(const std::vector<LayerSpec>& layers) = 0;

  // Chain IDs of all finished snapshots.
  virtual Result<std::vector<Digest>> List() = 0;
  // Deletes a snapshot's directory (absent: OK).
  virtual Status Remove(const Digest& chain_id) = 0;
  // Removes every snapshot whose chain ID is not in `keep`; returns how many.
  virtual Result<int> Sweep(const std::set<Digest>& keep) = 0;
  virtual const std::string& root() const = 0;
};

// Mounts an overlay at `target` with `lower_dirs` (lowest first, as
// PreparedLayers::dirs gives them), `upper` and `work` (created if missing).
// With an empty image (no layers) an empty lower directory is used
// ("<work>.empty", created beside `work`). Lower lists longer than
// mount(2)'s one-page option limit are mounted through the new mount API
// (fsopen/fsconfig "lowerdir+", Linux 6.8+; an error on older kernels).
// Paths containing ':', ',' or '\\' are InvalidArgument.
Status MountOverlay(const std::vector<std::string>& lower_dirs, const std::string& upper,
                    const std::string& work, const std::string& target);
// Mounts a read-only overlay of `lower_dirs` alone (lowest first, at least
// two) at `target` (created if missing): an image's layers without an upper
// layer, as `--mount type=image` needs them. Same path rules as
// MountOverlay; a lower list over mount(2)'s option limit is refused.
Status MountReadOnlyOverlay(const std::vector<std::string>& lower_dirs, const std::string& target);
// Mounts a tmpfs (nosuid, nodev, noexec, then `options` such as
// "mode=1777,size=65536k") at `target`, created if missing.
Status MountTmpfs(const std::string& target, const std::string& options);
// Unmounts `target` (not mounted: OK). Lazy detach if busy.
Status UnmountOverlay(const std::string& target);

// The other mounts berthd makes, here so that mount(2) is called in this
// module only. A tmpfs at `target` (which must exist) with exactly the
// mount(2) `flags` (MS_*) and `data` given, nothing forced (a local volume's
// tmpfs, as its options say).
Status MountTmpfsExactly(const std::string& target, unsigned long flags, const std::string& data);
// Bind-mounts `source` (a file, such as a namespace under /proc) on
// `target`, which must exist.
Status BindMount(const std::string& source, const std::string& target);
// Detaches the mount at `target` (MNT_DETACH): gone at once from the tree,
// released when its last user leaves. Not a mount point or missing: OK.
Status DetachMount(const std::string& target);

// Writes the changes recorded in an overlay upper directory as an
// uncompressed layer tar (PAX) through `write`: new and changed files with
// their metadata, overlay whiteouts (0/0 char devices) as ".wh.NAME" and
// opaque directories as ".wh..wh..opq". Entries are in a stable (sorted)
// order. Hard links within `upper` stay tar hard links; overlayfs' own
// trusted.overlay.* xattrs are not written; sockets are skipped. A failing
// `write` stops the diff with its status. Returns the tar's digest (the diff
// ID) and size.
struct LayerDiff {
  Digest diff_id;
  int64_t size = 0;
};
Result<LayerDiff> DiffUpperDir(const std::string& upper, const std::function<Status(std::string_view)>& write);

}  // namespace berth
