// Containers: records in the metadata store, root filesystems from
// snapshots (overlayfs), processes run by runc through the Runtime, and
// commit of a container's changes into a new image.
//
// Files under <data-root>/containers/<id>/:
//   bundle/config.json   OCI runtime spec (rewritten at every start)
//   rootfs/              overlay mount point (mounted while running)
//   upper/, work/        the container's overlay layer
//   state/               the shim's container.log, exit, shim.pid; while an
//                        exec runs, its exec-<exec id>.json (runc's process)
//                        and exec-<exec id>.pid
//
// Thread-safety: ContainerService is thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "berth/container_resources.h"
#include "berth/health_config.h"
#include "berth/image_service.h"
#include "berth/io.h"
#include "berth/metadata.h"
#include "berth/network_service.h"
#include "berth/platform.h"
#include "berth/runtime.h"
#include "berth/snapshot.h"
#include "berth/status.h"
#include "berth/volume_service.h"

namespace berth {

struct ImageMountSpec {
  std::string source;  // image reference
  std::string target;  // absolute path in the container
  bool read_only = true;
};

// HostConfig.RestartPolicy: what happens when the container's process exits
// (see src/container/restart.h for Docker's rules and backoff).
struct RestartPolicy {
  std::string name;             // "" or "no" (never), "always", "on-failure", "unless-stopped"
  int maximum_retry_count = 0;  // on-failure only; 0: no limit
  bool operator==(const RestartPolicy&) const = default;
};

// Config.Healthcheck (docker run --health-*, the image's HEALTHCHECK):
// HealthConfig, berth/health_config.h.
// The JSON object Docker uses for a HealthConfig (Test, Interval, Timeout,
// StartPeriod, StartInterval, Retries; zero fields omitted) and its parser:
// InvalidArgument "invalid JSON: Healthcheck..." for a malformed one.
std::string HealthConfigJson(const HealthConfig& h);
Result<HealthConfig> ParseHealthConfig(std::string_view json_text);

// One probe of a health check (State.Health.Log).
struct HealthLogEntry {
  int64_t start_unix_nanos = 0;
  int64_t end_unix_nanos = 0;
  int exit_code = 0;  // -1: timed out or could not run
  std::string output;  // at most 4096 bytes
};
// State.Health of a container whose health check runs.
struct HealthState {
  std::string status;  // "starting", "healthy", "unhealthy"
  int failing_streak = 0;
  std::vector<HealthLogEntry> log;  // the last 5 probes, oldest first
};

// The parts of Docker's container Config/HostConfig berth honours. Stored
// with the record (ContainerRecord::config_json, serialised by the service).
struct ContainerConfig {
  std::string image;  // as the user gave it
  std::optional<std::vector<std::string>> cmd;         // absent: image's Cmd
  std::optional<std::vector<std::string>> entrypoint;  // absent: image's Entrypoint
  std::vector<std::string> env;                        // added to the image's Env
  std::string working_dir;                             // empty: image's
  std::string user;                                    // empty: image's
  std::map<std::string, std::string> labels;
  std::string hostname;
  bool tty = false;            // Tty: the process gets a pseudo-terminal
  bool open_stdin = false;     // OpenStdin: stdin stays open, fed by attached clients
  bool stdin_once = false;     // StdinOnce: stdin closes when the first attached client leaves
  bool attach_stdin = false;   // AttachStdin (shown by inspect)
  // HostConfig.ConsoleSize [rows, cols]: a TTY's size at start (0: not given).
  int console_rows = 0;
  int console_cols = 0;
  bool auto_remove = false;    // HostConfig.AutoRemove
  // "", "default", "bridge": the bridge network (none when the daemon has
  // no bridge); "none": a loopback-only namespace; "host"; "container:ID"
  // (or name): the namespace of that running container.
  std::string network_mode;
  ContainerNetworkConfig network;  // ports, --add-host, --dns*
  std::vector<ImageMountSpec> image_mounts;  // HostConfig.Mounts of Type "image"
  // HostConfig.Binds, the bind/volume/tmpfs HostConfig.Mounts, HostConfig.Tmpfs
  // and (added by Create) the image's VOLUMEs not covered by them; Create
  // names each anonymous volume.
  std::vector<MountRequest> mounts;
  std::vector<std::string> binds;            // HostConfig.Binds as sent (inspect)
  // HostConfig.VolumesFrom as sent ("CONTAINER[:ro|rw]"); Create copies
  // those containers' binds and volumes into `mounts`.
  std::vector<std::string> volumes_from;
  std::map<std::string, std::string> tmpfs;  // HostConfig.Tmpfs as sent (inspect)
  std::optional<Platform> platform;          // `platform` query of create
  std::string stop_signal;                   // empty: SIGTERM
  std::optional<int> stop_timeout;           // seconds; empty: 10
  bool read_only_rootfs = false;             // HostConfig.ReadonlyRootfs (--read-only)
  // HostConfig.SecurityOpt "no-new-privileges[:true]": the process cannot
  // gain privileges (setuid binaries, file capabilities) through execve.
  bool no_new_privileges = false;
  // HostConfig.SecurityOpt exactly as the client sent it (inspect shows it).
  std::vector<std::string> security_opt;
  // SecurityOpt "seccomp=...": "" (none given, or "builtin") Docker's default
  // profile, "unconfined" no filter, else a profile's JSON text (checked at
  // create; see SeccompFilterFor).
  std::string seccomp_profile;
  // HostConfig.CapAdd / CapDrop as sent (checked at create; applied at start
  // by ApplyCapabilityChanges).
  std::vector<std::string> cap_add;
  std::vector<std::string> cap_drop;
  // HostConfig.Privileged (--privileged), as Docker: every available
  // capability (CapAdd/CapDrop are checked but do not matter), no seccomp
  // filter unless a profile's JSON is given, and ProcessSpec::privileged.
  bool privileged = false;
  // HostConfig.LogConfig (--log-driver, --log-opt): see ParseLogConfig in
  // berth/runtime.h. Create fills in the daemon's defaults (Docker's
  // merge: the default driver when none is given; the default options the
  // container does not set, when the drivers are the same).
  std::string log_driver;
  std::map<std::string, std::string> log_options;
  // HostConfig.RestartPolicy (--restart), checked at create by
  // ValidateRestartPolicy; refused with AutoRemove as Docker refuses it.
  RestartPolicy restart_policy;
  // HostConfig.Init (--init): the daemon's init (ContainerServiceOptions::
  // init_path) bound at /sbin/docker-init runs as pid 1 with the process
  // as its child ("/sbin/docker-init -- ARGS"); it reaps zombies and
  // forwards signals.
  bool init = false;
  // HostConfig.GroupAdd (--group-add): groups (names resolved in the
  // container's /etc/group, or numbers) added to the process's
  // supplementary groups at start and in execs (see ResolveUser).
  std::vector<std::string> group_add;
  // HostConfig.PidMode, IpcMode, UTSMode, CgroupnsMode (--pid, --ipc, --uts,
  // --cgroupns), checked at create by ValidateNamespaceModes and kept as
  // given, with Docker's daemon defaults filled in by the API (IpcMode
  // "private", CgroupnsMode "host" on this cgroup v1 host). Applied at start
  // (NamespacesForStart): "host" shares the host's namespace;
  // "container:NAME" (pid, ipc) joins that running container's; IpcMode
  // "none" is a namespace of its own without /dev/shm, "private" and
  // "shareable" one with its own /dev/shm (a shareable one may be joined);
  // CgroupnsMode "private" gives a cgroup namespace.
  std::string pid_mode;
  std::string ipc_mode;
  std::string uts_mode;
  std::string cgroupns_mode;
  // HostConfig.Isolation ("" or "default": Linux has only the one) and
  // HostConfig.Runtime ("runc": berth's only runtime), as given.
  std::string isolation;
  std::string runtime = "runc";
  // Config.Healthcheck as given (merged with the image's at start, Docker's
  // rules); absent: the image's. Checked at create (Docker's texts).
  std::optional<HealthConfig> healthcheck;
  // HostConfig's resource fields (--memory, --cpus, --pids-limit, --ulimit,
  // --shm-size, --sysctl, --device, ...): checked by Create (Docker's texts
  // and defaults), applied at every start, changed by UpdateResources.
  ContainerResources resources;
};

// A container as inspect and list show it.
struct ContainerInfo {
  ContainerRecord record;
  ContainerConfig config;
  // The effective process (image config merged with the container's).
  std::vector<std::string> path_and_args;  // Path = [0], Args = rest
  std::vector<std::string> effective_env;
  std::string effective_working_dir;
  std::string effective_user;
  std::vector<std::string> effective_cmd;         // Config.Cmd as inspect shows it
  std::vector<std::string> effective_entrypoint;  // Config.Entrypoint
  std::map<std::string, std::string> image_labels;  // merged into Config.Labels
  std::string rootfs;    // <dir>/rootfs
  std::string log_path;  // the shim's log
  int restart_count = 0;
  std::string error;     // last start error, if any
  // The health check in effect (Config.Healthcheck as inspect shows it).
  std::optional<HealthConfig> effective_healthcheck;
  // State.Health: present once a container with a health check has started.
  std::optional<HealthState> health;
  // The container's first endpoint (its published ports) while it runs.
  std::optional<NetworkAttachment> network;
  // State.OOMKilled: the kernel's OOM killer killed a process of the
  // container's memory cgroup during its last run.
  bool oom_killed = false;
  // Every endpoint while it runs (docker network connect adds more).
  std::vector<NetworkAttachment> networks;
  // Legacy links (--link on the default bridge): this container's, as
  // HostConfig.Links shows them ("/CHILD:/THIS/ALIAS"), and the names by
  // which others link to it ("/PARENT/ALIAS", listed in Names by ps).
  std::vector<std::string> legacy_links_shown;
  std::vector<std::string> link_names;
};

struct ContainerCreateResult {
  std::string id;
  std::vector<std::string> warnings;
};

struct ContainerListOptions {
  bool all = false;  // include non-running
  // Docker's filters: id, name, status, label, ancestor, exited, before,
  // since, health (starting, healthy, unhealthy, none).
  std::map<std::string, std::vector<std::string>> filters;
  int limit = -1;
};

struct CommitOptions {
  std::string container;  // ID, ID prefix or name
  std::string repo;       // empty: dangling image
  std::string tag;        // empty with repo: "latest"
  std::string comment;
  std::string author;
  bool pause = true;
  // Dockerfile instructions applied to the new config: CMD, ENTRYPOINT, ENV,
  // EXPOSE, LABEL, USER, WORKDIR, VOLUME, STOPSIGNAL (others: InvalidArgument).
  std::vector<std::string> changes;
};

// docker import (POST /images/create?fromSrc=-).
struct ImportOptions {
  std::string reference;  // name[:tag] ("latest" added); empty: a dangling image
  std::string message;    // the history entry's comment (none when empty)
  // As CommitOptions::changes, applied to an empty config.
  std::vector<std::string> changes;
  std::optional<Platform> platform;  // the config's platform; empty: the host's
};

// One image of a classic-builder step (POST /build): the parent image plus,
// optionally, one layer, with a config the builder wrote. The layer is the
// upper directory of `container` (created from `parent`, not running;
// `layer_dir`, when also given, is first copied into it, owners and modes
// kept, never through a link of the upper directory), or the tree under
// `layer_dir`; with neither, or when that tree is empty,
// the step adds no layer and its history entry is `empty_layer`, as
// Docker's commit of an unchanged container.
struct BuildStepCommit {
  Digest parent;                      // image ID; empty: no parent (FROM scratch)
  std::string container;              // ID; empty: no container
  std::string layer_dir;              // without a container: the layer's tree
  std::string config_json;            // the new image config's "config" object
  std::string container_config_json;  // the step's run config ("container_config": the cache key)
  std::string created_by;             // the history entry's created_by
  std::string author;                 // MAINTAINER; empty: none
  Platform platform;                  // used when there is no parent
};

// What a path names in an image's filesystem (the union of its layers).
enum class ImagePathKind { kAbsent, kDirectory, kOther };
struct ImagePathInfo {
  ImagePathKind kind = ImagePathKind::kAbsent;
  uint32_t mode = 0;  // st_mode (type and permission bits) when present
  uint32_t uid = 0;
  uint32_t gid = 0;
};

// docker exec: the process of POST /containers/{id}/exec.
struct ExecConfig {
  std::vector<std::string> cmd;  // non-empty
  std::vector<std::string> env;  // "K=V", over the container's (by key)
  std::string user;              // empty: the container's
  std::string working_dir;       // empty: the container's
  bool privileged = false;       // every available capability
  bool attach_stdin = false;  // the attached client's input is the process's stdin
  bool attach_stdout = false;
  bool attach_stderr = false;
  bool tty = false;          // the process gets a pseudo-terminal
  std::string detach_keys;   // "" : the default ctrl-p,ctrl-q
  // ConsoleSize [rows, cols] to start a TTY with; 0: not given.
  int console_rows = 0;
  int console_cols = 0;
};

// What an attached client sends (attach or exec stdin), as the server
// reads it from a hijacked connection.
struct StdinSource {
  // Up to n bytes, blocking; 0 once the client has no more to send.
  std::function<Result<size_t>(char* buf, size_t n)> read;
  // Makes a blocked `read` return 0 (any thread).
  std::function<void()> interrupt;
  // Once `read` has returned 0: true when the client typed the detach keys
  // (it leaves; what it attached to goes on), false when its input ended.
  // Unset: never detached.
  std::function<bool()> detached;
};

// An exec instance as GET /exec/{id}/json shows it.
struct ExecInfo {
  std::string id;
  std::string container_id;
  ExecConfig config;
  bool running = false;
  int pid = 0;                    // 0 until started
  std::optional<int> exit_code;  // once it has ended
};

// What a path is in a container (docker cp's X-Docker-Container-Path-Stat).
struct ContainerPathStat {
  std::string name;  // the last element of the path as asked (Go's filepath.Base)
  int64_t size = 0;
  uint32_t mode = 0;  // st_mode of the path itself (a symbolic link is not followed)
  int64_t mtime_unix_nanos = 0;
  // A symbolic link: the absolute path in the container it leads to (every
  // link on the way followed inside the container); else empty.
  std::string link_target;
};

// PUT /containers/{id}/archive's options.
struct ArchiveExtractOptions {
  // Docker's noOverwriteDirNonDir: no directory is replaced by a
  // non-directory, nor the reverse.
  bool no_overwrite_dir_non_dir = false;
  // copyUIDGID (docker cp -a): everything is owned by the container's user
  // (its User resolved in the container's /etc/passwd and /etc/group);
  // otherwise the archive's owners are kept.
  bool copy_uid_gid = false;
};

// One line of docker diff: Kind 0 modified, 1 added, 2 deleted.
struct ContainerChange {
  std::string path;  // absolute in the container
  int kind = 0;
};

// GET /containers/{id}/top: ps's titles and the container's lines.
struct ContainerTop {
  std::vector<std::string> titles;
  std::vector<std::vector<std::string>> processes;
};

// One reading of a container's cgroup (GET /containers/{id}/stats), in
// Docker's units: nanoseconds of CPU, bytes.
struct ContainerStatsSample {
  bool running = false;  // false: every figure is 0
  int64_t read_unix_nanos = 0;
  bool cgroup_v2 = false;
  uint64_t cpu_total_ns = 0, cpu_user_ns = 0, cpu_kernel_ns = 0;
  std::vector<uint64_t> cpu_percpu_ns;  // cgroup v1 only
  uint64_t system_cpu_ns = 0;           // the host's, from /proc/stat
  uint32_t online_cpus = 0;
  uint64_t throttle_periods = 0, throttled_periods = 0, throttled_ns = 0;
  uint64_t memory_usage = 0, memory_max_usage = 0, memory_limit = 0;
  std::map<std::string, uint64_t> memory_stat;  // memory.stat as it reads
  uint64_t pids_current = 0, pids_limit = 0;    // limit 0: none
  struct BlkioEntry {
    uint32_t major = 0, minor = 0;
    std::string op;  // "read", "write", ... (Docker's lower case)
    uint64_t value = 0;
  };
  std::vector<BlkioEntry> io_service_bytes, io_serviced;
  // The counters of the container's network interfaces by name ("eth0"),
  // loopback left out; empty for --network none/host/container: (Docker
  // then has no "networks" key).
  struct NetworkEntry {
    uint64_t rx_bytes = 0, rx_packets = 0, rx_errors = 0, rx_dropped = 0;
    uint64_t tx_bytes = 0, tx_packets = 0, tx_errors = 0, tx_dropped = 0;
    bool operator==(const NetworkEntry&) const = default;
  };
  std::map<std::string, NetworkEntry> networks;
};

struct ContainerServiceOptions {
  RuntimeOptions runtime;
  // The daemon's log-driver and log-opts (daemon.json), applied at Create;
  // Open refuses what ParseLogConfig refuses.
  std::string default_log_driver = "json-file";
  std::map<std::string, std::string> default_log_options;
  // Held by every layer unpack (run, create --mount type=image, import).
  DecompressionLimits unpack_limits;
  // The static init binary --init binds into containers (tini, as Docker's
  // docker-init). Start refuses an --init container when it is absent.
  std::string init_path = "/usr/bin/tini-static";
  // Networking of containers; null: every container gets a loopback-only
  // namespace (and "bridge" is refused at start). Outlives the service.
  NetworkService* network = nullptr;
};

class ContainerService {
 public:
  // Opens the service over an open store: reconciles every record with the
  // runtime (a record that says running but whose process has ended gets its
  // exit code from the shim's exit file, or 255 if none), and starts
  // watching the running ones.
  static Result<std::unique_ptr<ContainerService>> Open(Store* store, const ContainerServiceOptions& opts);
  virtual ~ContainerService() = default;

  // Resolves a container by full ID, unique ID prefix or name (with or
  // without leading "/"). NotFound: "No such container: X".
  virtual Result<ContainerInfo> Get(const std::string& ref) = 0;

  // Resolves the image (and platform: the requested one, else the host's
  // best match among present platforms; NotFound "No such image: X" when
  // absent, NotFound with Docker's platform text when the platform is not
  // present), refuses a log configuration ParseLogConfig refuses (after
  // merging the daemon's defaults), records the container (state created) with the image ID and
  // platform manifest, and prepares its directories. `name` empty: a
  // generated Docker-style name. Name in use: AlreadyExists "Conflict. The
  // container name \"/N\" is already in use by container \"ID\". You have
  // to remove (or rename) that container to be able to reuse that name."
  virtual Result<ContainerCreateResult> Create(const std::string& name, const ContainerConfig& cfg) = 0;
  // Unpacks (first use), mounts the rootfs and starts the process. Already
  // running: OK (Docker answers 304; the route maps that). Emits "start".
  // A failed start of an AutoRemove container removes it, as dockerd does
  // (`docker run --rm` waits for condition=removed after the error).
  virtual Status Start(const std::string& ref) = 0;
  // SIGTERM (or the stop signal), then SIGKILL after `timeout_s` (< 0: the
  // container's stop timeout, default 10). Not running: OK. Emits "kill",
  // "die", "stop".
  virtual Status Stop(const std::string& ref, int timeout_s) = 0;
  // Sends a signal (name "KILL"/"SIGKILL" or number; empty: SIGKILL). Not
  // running: Conflict "container ID is not running". Emits "kill".
  virtual Status Kill(const std::string& ref, const std::string& signal) = 0;
  virtual Status Restart(const std::string& ref, int timeout_s) = 0;
  // Waits for the condition ("not-running" (default), "next-exit",
  // "removed"); returns the exit code. Blocks; `cancelled` aborts. An exit
  // into "restarting" (restart policy) satisfies "not-running", as in Docker.
  virtual Result<int> Wait(const std::string& ref, const std::string& condition,
                           const std::function<bool()>& cancelled) = 0;
  // Waits while the container is "created" (`docker run` attaches before it
  // starts) and returns its state then; NotFound once it is removed,
  // Cancelled when `cancelled` says so. The base polls Get every 10 ms.
  virtual Result<ContainerState> AwaitStarted(const std::string& ref, const std::function<bool()>& cancelled);
  // Removes the container. Running without force: Conflict "cannot remove
  // container \"/N\": container is running: stop the container before
  // removing or force remove". Emits "destroy". Frees the content and
  // snapshots only it kept.
  virtual Status Remove(const std::string& ref, bool force) = 0;
  // Remove, then the anonymous volumes no other container uses (docker rm
  // -v). Named volumes stay. Default: Unimplemented (fakes).
  virtual Status RemoveWithVolumes(const std::string& ref, bool force);
  // docker rm --link PARENT/ALIAS: removes the legacy link ALIAS of
  // container PARENT (the linked container stays). Docker's texts: a name
  // without a parent is "Conflict, cannot remove the default link name of
  // the container"; an unknown parent "Cannot get parent /P for link name
  // /P/A"; an unknown link "No such container: P/A". Default: Unimplemented
  // (fakes).
  virtual Status RemoveLink(const std::string& link_name);
  // The volumes the containers mount (null in fakes).
  virtual VolumeService* volumes() { return nullptr; }
  virtual Result<std::vector<ContainerInfo>> List(const ContainerListOptions& opts) = 0;
  // Streams the container's log (see ReadLog). With follow, ends when the
  // container stops. `from_end` (attach) starts at the current end.
  virtual Status Logs(const std::string& ref, LogReadOptions opts,
                      const std::function<Status(const LogEntry&)>& emit) = 0;
  // While the returned token lives, the removal that AutoRemove makes after
  // the container's exit waits for it (at most 30 s), so that an attached
  // client reads all of the output before the log goes (docker run --rm of
  // a process that ends at once). Null when `ref` names no container.
  // Default: null (fakes).
  virtual std::shared_ptr<void> HoldOutput(const std::string& ref);
  // Commits the container's changes as a new image (one new layer on the
  // container's image, parent label kOrgMobyprojectParent = the container's
  // image ID); returns the new image ID (manifest digest). Emits the
  // container "commit" event and, for a name, "tag".
  virtual Result<Digest> Commit(const CommitOptions& opts) = 0;

  // Imports a filesystem tarball (plain, gzip, zstd, bzip2 or xz, read once
  // from `tar`) as a one-layer image, as dockerd 28.2 does: gzip and zstd
  // are stored as they come, the others gzip-compressed; OCI config and
  // manifest; the record named opts.reference (an existing name moves, its
  // old image kept dangling) or dangling. The layer is unpacked before any
  // record is written, so a tarball the snapshotter refuses (paths leaving
  // the layer, a non-directory root, not a tar) is InvalidArgument "invalid
  // archive to import: ..." and the store is unchanged. A bad change is
  // InvalidArgument before `tar` is read. Emits the image "import" event.
  // Returns the image ID (the manifest digest).
  virtual Result<Digest> Import(const ReadFn& tar, const ImportOptions& opts) = 0;

  // Writes the image of a build step (see BuildStepCommit): config with the
  // parent's diff IDs and history plus the new ones, an OCI manifest, and a
  // dangling record whose parent label is `parent` (so `docker rmi` of a
  // built tag prunes the untagged step images). Returns the image ID.
  // Default: Unimplemented (fakes).
  virtual Result<Digest> CommitBuildStep(const BuildStepCommit& step);
  // What `path` (absolute, '/'-separated) is in the image `image_id` (empty
  // digest: the empty filesystem; "/" is a directory 0755 root), with its
  // mode and owner, its layers unpacked as for a container:
  // the topmost layer that has the path or a whiteout of it decides; a
  // symbolic link among the components is kOther (not followed).
  virtual Result<ImagePathInfo> StatInImage(const Digest& image_id, const std::string& path);
  // Copies what `path` (absolute) is in the image `image_id` to `dest` (whose
  // parent exists; `dest` must not): a file or symbolic link from the
  // topmost layer that has it, a directory merged over the layers (lower
  // first; whiteouts and opaque directories applied), owners, modes and
  // link targets kept. Symbolic links among the components of `path` are
  // not followed. NotFound "<path>: no such file or directory in the image"
  // when absent. (COPY --from; `docker cp` will need the same.)
  virtual Status ExtractImagePath(const Digest& image_id, const std::string& path, const std::string& dest);
  // The config document (JSON) of the platform manifest the image `image_id`
  // runs on this host, as Create would pick it.
  virtual Result<std::string> ImageConfigJson(const Digest& image_id);

  // Records an exec instance in the running container `container_ref` and
  // returns its ID (64 hex). Emits "exec_create: CMD ARGS". The container
  // absent: NotFound; not running: Conflict "container ID is not running".
  // Instances are forgotten when their container is removed.
  // Default: Unimplemented (fakes).
  virtual Result<std::string> CreateExec(const std::string& container_ref, const ExecConfig& cfg);
  // NotFound "No such exec instance: ID".
  virtual Result<ExecInfo> InspectExec(const std::string& exec_id);
  // Starts the exec instance (Runtime::Exec: berth-exec, or `runc exec`
  // where it cannot enter the container): the container's env (as at
  // start) overridden by the exec's, its user (resolved in the rootfs) and
  // working directory unless the exec gives them, the container's
  // capabilities, no-new-privileges and seccomp filter. Emits "exec_start:
  // CMD ARGS" and, at the end, "exec_die" (execID, exitCode). Without
  // `detach`, blocks until the process exits, handing its output to
  // `on_output` (1 stdout, 2 stderr); with it, returns once the process has
  // started (or ended) and discards the output. Started before: Conflict
  // "exec command ID has already run"; the container no longer running:
  // Conflict "container ID is not running".
  // With AttachStdin, what `input` reads goes to the process's stdin (or
  // terminal) until it reads 0, which closes the stdin of a process without
  // a terminal; `input` is interrupted once the process has ended. A TTY
  // process's output comes as stream 1, raw. When `input` ends detached
  // (StdinSource::detached), StartExec returns at once and emits
  // "exec_detach" (execID); the process goes on, its output discarded. The
  // end of a TTY process's input ends the attach too (as dockerd), without
  // the event.
  virtual Status StartExec(const std::string& exec_id, bool detach,
                           const std::function<void(int stream, std::string_view data)>& on_output,
                           const StdinSource& input = {});
  // Sets the window size of a running TTY exec process. NotFound for an
  // unknown instance; FailedPrecondition when it has no terminal or is not
  // running.
  virtual Status ResizeExec(const std::string& exec_id, int rows, int cols);
  // Sets the size a TTY exec's terminal starts with (the ConsoleSize of
  // exec start), before StartExec. NotFound for an unknown instance.
  virtual Status SetExecConsoleSize(const std::string& exec_id, int rows, int cols);

  // Hands `data` to the stdin of the running container `ref` started with
  // OpenStdin. Conflict when it is not running; FailedPrecondition when its
  // stdin is not open (or closed). Default: Unimplemented.
  virtual Status WriteStdin(const std::string& ref, std::string_view data);
  // Closes the container's stdin (its process reads the end), after what
  // was written before. Same errors.
  virtual Status CloseStdin(const std::string& ref);
  // Sets the window size of the running TTY container `ref`. Conflict when
  // it is not running; FailedPrecondition without a TTY.
  virtual Status ResizeTty(const std::string& ref, int rows, int cols);

  // docker cp and docker export (archive.cc), on a running container's root
  // filesystem or, for one that is not running, on its overlay mounted for
  // the call; the container's operations (start, stop, ...) wait meanwhile,
  // as Docker's container lock makes them. `path` is absolute in the
  // container (a relative one is taken from "/"), resolved by Docker's rules
  // inside the container's root: every symbolic link but the last element
  // is followed (also with a trailing "/" or "/."), never out of the root.
  // Image mounts are not part of it. A path that does not exist: NotFound
  // "Could not find the file P in container REF".
  // Default: Unimplemented (fakes).
  virtual Result<ContainerPathStat> StatPath(const std::string& ref, const std::string& path);
  // Writes the path as an uncompressed tar (WriteTreeTar): its entry is
  // named after the path's last element ("." for "/" and a trailing "/."),
  // and a directory brings what is below it. Emits "archive-path".
  virtual Status ArchivePath(const std::string& ref, const std::string& path, const WriteFn& write);
  // Extracts a tar (read once from `tar`) into the directory `path`
  // (ExtractTarInto, chrooted: symbolic links of the container are followed
  // inside it; entries with "..", absolute names, devices, FIFOs, hard links
  // to files not in the archive, paths through a link the archive made and
  // more than 4 GiB are refused with InvalidArgument, leaving what came
  // before). `path` not a directory: InvalidArgument "extraction point is
  // not a directory"; a read-only root filesystem (--read-only): PermissionDenied
  // "container rootfs is marked read-only". Emits "extract-to-dir".
  virtual Status ExtractToPath(const std::string& ref, const std::string& path, const ReadFn& tar,
                               const ArchiveExtractOptions& opts);
  // docker export: the whole root filesystem as an uncompressed tar, names
  // relative to "/". Emits "export".
  virtual Status Export(const std::string& ref, const WriteFn& write);

  // docker rename, pause, unpause, top and diff (ops.cc). Default:
  // Unimplemented (fakes).
  // Renames the container (Docker's rename.go): an empty name is
  // InvalidArgument "Neither old nor new names may be empty", a bad one
  // Docker's "Invalid container name ...", the current name "Renaming a
  // container with the same name as its current name", a name in use
  // AlreadyExists with Create's text. Emits "rename" (oldName "/old").
  virtual Status Rename(const std::string& ref, const std::string& new_name);
  // Freezes / thaws every process of the container (runc pause / resume);
  // the state becomes paused / running. Not running: Conflict "container ID
  // is not running"; Pause of a paused one: Conflict "container ID is
  // already paused"; Unpause of one not paused: Conflict "container ID is
  // not paused". Emits "pause" / "unpause". Stop and kill of a paused
  // container signal it, then thaw it (Docker's order).
  virtual Status Pause(const std::string& ref);
  virtual Status Unpause(const std::string& ref);
  // The host pids of every process of the running container (from its
  // cgroup). Not running: Conflict "container ID is not running".
  virtual Result<std::vector<int>> Pids(const std::string& ref);
  // docker top: `ps` of this host run with `ps_args` ("" means "-ef"; split
  // at spaces), its header as titles and the lines of the container's
  // processes (Pids), the last column keeping its spaces. ps failing:
  // Internal "ps: <its first line of stderr>"; no PID column: Internal
  // "Couldn't find PID field in ps output".
  virtual Result<ContainerTop> Top(const std::string& ref, const std::string& ps_args);
  // docker diff: the container's changes to its image from its overlay
  // upper directory, sorted by path: a whiteout is deleted (2), a path the
  // image has modified (0), else added (1). A container never started has
  // none.
  virtual Result<std::vector<ContainerChange>> Changes(const std::string& ref);
  // The size of the container's writable layer (Docker's SizeRw): the
  // apparent size of the files in its overlay upper directory (see
  // ApparentTreeSize); 0 for a container never started. Default:
  // Unimplemented.
  virtual Result<int64_t> WritableLayerSize(const std::string& ref);

  // Reads the container's cgroup (stats.cc): memory, CPU, pids and block
  // I/O as cgroup v1 or v2 of this host count them. A container that is not
  // running gives a sample with running false. Default: Unimplemented.
  virtual Result<ContainerStatsSample> Stats(const std::string& ref);
  // Replaces the restart policy of a container (docker update --restart):
  // InvalidArgument with Docker's texts for a policy ValidateRestartPolicy
  // refuses, or "Restart policy cannot be updated because AutoRemove is
  // enabled for the container" for an AutoRemove container with a policy
  // other than "no". Takes effect at the container's next exit.
  // Default: Unimplemented (fakes).
  virtual Status UpdateRestartPolicy(const std::string& ref, const RestartPolicy& policy);

  // docker update of resource fields (Docker's UpdateContainer): the
  // non-zero fields of `update` (PidsLimit when given) replace the
  // container's, checked as Docker checks them (InvalidArgument, or Conflict
  // "Cannot update container ID: Memory limit should be smaller than already
  // set memoryswap limit, update the memoryswap at the same time" and the
  // Nano CPUs conflicts), applied to a running container by runc update (the
  // kernel's refusal is InvalidArgument "Cannot update container ID: ..." and
  // nothing is stored) and stored for the next start. Returns Docker's
  // warnings. Default: Unimplemented (fakes).
  virtual Result<std::vector<std::string>> UpdateResources(const std::string& ref, const ContainerResources& update);
  // docker network connect (networking.cc): `endpoint.network` names a
  // network ("bridge", "host", "none", a user network's name, ID or ID
  // prefix). A running container gets an interface on it now (connect
  // event); a stopped one joins it at its next start; either way it is
  // kept in the container's config. Docker's refusals: a container in
  // host or container: mode (InvalidArgument "container sharing network
  // namespace with another container or host cannot be connected to any
  // other network"), in none mode or to "none" ("container cannot be
  // connected to multiple networks with one of the networks in private
  // (none) mode"), to "host" ("cannot connect container to host network -
  // container must be created in host network mode"), a running container
  // on it already (PermissionDenied "endpoint with name NAME already exists
  // in network NETWORK"; a stopped one: nothing to do, as Docker). An
  // unknown network: NotFound "network REF not found". Default:
  // Unimplemented.
  virtual Status ConnectNetwork(const std::string& ref, const EndpointRequest& endpoint);
  // docker network disconnect: the interface goes now (disconnect event)
  // when the container runs, and the network from its config. Not on it:
  // Internal "container ID is not connected to network NAME" (Docker's 500).
  // A host-mode container from "host": InvalidArgument "cannot disconnect
  // container from host network - container was created in host network
  // mode". `force` with a network that no longer exists: the stopped
  // container's config forgets it by name. Default: Unimplemented.
  virtual Status DisconnectNetwork(const std::string& ref, const std::string& network, bool force);

  // Removes snapshots that no present image and no container needs.
  virtual Result<int> SweepSnapshots() = 0;

  // Stops watching (containers keep running); called by the daemon at exit.
  virtual void Shutdown() = 0;
};

}  // namespace berth
