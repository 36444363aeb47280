// Volumes and container mounts: Docker's -v / --mount / --tmpfs parsing rules
// (moby volume/mounts/linux_parser.go) and the local volume driver.
//
// Files under <data-root>/volumes/:
//   metadata.db        SQLite (WAL): the volume records and which containers
//                      use each volume (schema: src/volume/schema.h)
//   <name>/_data       the volume's content (0755; <name>/ 0701)
//
// Thread-safety: VolumeService is thread-safe.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "berth/env.h"
#include "berth/events.h"
#include "berth/status.h"

namespace berth {

// One mount a container asked for: a HostConfig.Binds entry, a
// HostConfig.Mounts entry, a HostConfig.Tmpfs entry, or a VOLUME of its image.
struct MountRequest {
  enum class Type { kBind, kVolume, kTmpfs };
  // kVolumesFrom: a copy of another container's mount (HostConfig.VolumesFrom).
  enum class Origin { kBinds, kMounts, kTmpfs, kImage, kVolumesFrom };
  Type type = Type::kVolume;
  Origin origin = Origin::kBinds;
  std::string source;  // bind: host path (cleaned); volume: name, "" for an anonymous one
  std::string target;  // absolute, cleaned
  bool read_only = false;
  std::string mode;         // the -v mode text as given ("ro,z"): inspect's Mode
  std::string propagation;  // bind: Docker's propagation ("rprivate" unless given)
  bool no_copy = false;     // volume: do not copy the image's content in
  // volume: VolumeOptions.Subpath, a path inside the volume that is mounted
  // in place of its root (relative; at start it must exist and be reached
  // without a symlink).
  std::string subpath;
  std::map<std::string, std::string> volume_labels;   // --mount volume-label
  std::map<std::string, std::string> volume_options;  // --mount volume-opt (local driver opts)
  std::vector<std::string> tmpfs_options;             // tmpfs: mount options ("size=65536k", "mode=1777", "ro")
  bool anonymous = false;  // volume: no name was given (create fills `source` with a generated one)
  std::string host_path;   // volume: its mountpoint (filled at create)
};

// A mount as the container record keeps it (JSON), and back.
boost::json::object MountRequestToJson(const MountRequest& m);
Result<MountRequest> MountRequestFromJson(const boost::json::object& o);

// Parses a HostConfig.Binds entry ("SRC:DST[:MODE]", "DST") with Docker's
// Linux rules: an absolute SRC is a bind, any other SRC names a volume, a
// lone DST is an anonymous volume; MODE is a comma list of at most one of
// each of rw|ro, z|Z, a propagation (private, rprivate, shared, rshared,
// slave, rslave), nocopy, consistent|cached|delegated. Errors are Docker's
// texts: "invalid volume specification: 'RAW'", "invalid mode: MODE", and
// "invalid volume specification: 'RAW': invalid mount config for type
// \"volume\": invalid mount path: 'x' mount path must be absolute" (the
// ValidateMount error appended).
Result<MountRequest> ParseBindSpec(std::string_view raw);

// A HostConfig.VolumesFrom entry, "CONTAINER[:MODE]", with Docker's Linux
// rules: MODE (default "rw") is a valid -v mode without a propagation or
// nocopy. Errors: "volumes-from specification cannot be an empty string",
// "invalid mode: MODE". `read_only` is whether MODE holds "ro".
struct VolumesFromSpec {
  std::string container;
  std::string mode;
  bool read_only = false;
};
Result<VolumesFromSpec> ParseVolumesFrom(std::string_view spec);

// Docker's validation of a mount (validateMountConfigImpl) and its cleaning
// of paths: Target required, absolute and not "/"; a bind needs an absolute
// Source and a known propagation; a tmpfs has no Source; an anonymous volume
// is not read-only and has no subpath; a subpath stays inside its volume
// (Go's filepath.IsLocal). Errors: "invalid mount config for type \"T\": ...".
// With `bind_source_must_exist` (HostConfig.Mounts), a missing bind source is
// "... bind source path does not exist: SRC".
Status ValidateMount(MountRequest* m, Env* env, bool bind_source_must_exist);

// A HostConfig.Tmpfs entry: `path` absolute and not "/" ("invalid mount
// config for type \"tmpfs\": ..."), `options` a comma list of tmpfs mount
// options (rw, ro, exec, noexec, suid, nosuid, dev, nodev, size=, mode=,
// uid=, gid=, nr_inodes=, nr_blocks=); another option is InvalidArgument
// naming it.
Result<MountRequest> ParseTmpfsEntry(std::string_view path, std::string_view options);

// The tmpfs options of a --mount type=tmpfs (TmpfsOptions): "ro" when
// read-only, "mode=%o" and "size=N[k|m|g]" as Docker writes them.
std::vector<std::string> TmpfsMountOptions(int64_t size_bytes, uint32_t mode, bool read_only);

// A volume as inspect shows it.
struct VolumeInfo {
  std::string name;
  std::string driver = "local";
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> options;  // the local driver's type/device/o
  std::string mountpoint;                      // <root>/volumes/<name>/_data
  int64_t created_unix_nanos = 0;
  bool anonymous = false;               // label com.docker.volume.anonymous
  std::vector<std::string> containers;  // IDs of the containers using it, sorted
};

struct VolumeCreateOptions {
  std::string name;    // empty: a generated 64-hex name
  std::string driver;  // "" or "local"
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> driver_opts;
  bool anonymous = false;  // adds the label com.docker.volume.anonymous=""
};

// Docker's volume list filters: name (substring), label (KEY or KEY=VALUE),
// dangling (true/false/1/0), driver.
using VolumeFilters = std::map<std::string, std::vector<std::string>>;

struct VolumePruneReport {
  std::vector<std::string> deleted;
  uint64_t space_reclaimed = 0;
};

inline constexpr std::string_view kAnonymousVolumeLabel = "com.docker.volume.anonymous";

class VolumeService {
 public:
  // Opens (creating) <root>/volumes and its metadata database, migrating its
  // schema. `events` (not owned, may be null) gets the volume events.
  static Result<std::unique_ptr<VolumeService>> Open(Env* env, const std::string& root, EventBus* events);
  virtual ~VolumeService() = default;

  // Creates a volume (event "create"). An existing name answers that volume
  // unchanged (Docker's idempotent create). Errors (nothing created): a bad
  // name InvalidArgument "create N: \"N\" includes invalid characters for a
  // local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If
  // you intended to pass a host directory, use absolute path"; a driver other
  // than local NotFound "error looking up volume plugin D: plugin \"D\" not
  // found"; a driver option other than type/device/o, or a type/o the local
  // driver as berth has it does not do, InvalidArgument naming it.
  virtual Result<VolumeInfo> Create(const VolumeCreateOptions& opts) = 0;
  // NotFound "get N: no such volume".
  virtual Result<VolumeInfo> Get(const std::string& name) = 0;
  // InvalidArgument "invalid filter 'K'" for an unknown filter.
  virtual Result<std::vector<VolumeInfo>> List(const VolumeFilters& filters) = 0;
  // Removes the volume and its data (event "destroy"). Used by a container:
  // Conflict "remove N: volume is in use - [ID, ...]" (also with force).
  // Absent: NotFound "get N: no such volume", OK with force.
  virtual Status Remove(const std::string& name, bool force) = 0;
  // Removes the volumes no container uses that match: anonymous ones only,
  // unless filter all=true; label / label! filters.
  virtual Result<VolumePruneReport> Prune(const VolumeFilters& filters) = 0;
  // Bytes under the volume's _data (system df); -1 when it cannot be read.
  virtual int64_t DiskUsage(const std::string& name) = 0;

  // Records that `container_id` uses the volume `name` (which exists), so
  // that removal is a conflict until Release.
  virtual Status AddReference(const std::string& name, const std::string& container_id) = 0;
  // Forgets every use by `container_id`; with `remove_anonymous`, removes the
  // anonymous volumes it used that no other container uses (docker rm -v).
  virtual Status Release(const std::string& container_id, bool remove_anonymous) = 0;

  // The host path a container binds for the volume: its _data (a local
  // volume of type tmpfs gets its tmpfs mounted there first, shared by the
  // containers using it until the volume is removed) or the device of a
  // local bind volume (type none, o bind). Emits "mount" (container,
  // destination, read/write, propagation, driver).
  virtual Result<std::string> Mount(const std::string& name, const std::string& container_id,
                                    const std::string& destination, bool read_write) = 0;
  // Event "unmount" for each volume `container_id` uses.
  virtual void Unmount(const std::string& container_id) = 0;
};

}  // namespace berth
