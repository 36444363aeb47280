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

#include "berth/image_service.h"
#include "berth/io.h"
#include "berth/metadata.h"
#include "berth/platform.h"
#include "berth/runtime.h"
#include "berth/snapshot.h"
#include "berth/status.h"

namespace berth {

struct ImageMountSpec {
  std::string source;  // image reference
  std::string target;  // absolute path in the container
  bool read_only = true;
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
  std::string network_mode;    // "", "default", "bridge", "none" → none; "host" → host
  std::vector<ImageMountSpec> image_mounts;  // HostConfig.Mounts of Type "image"
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
};

struct ContainerCreateResult {
  std::string id;
  std::vector<std::string> warnings;
};

struct ContainerListOptions {
  bool all = false;  // include non-running
  // Docker's filters: id, name, status, label, ancestor, exited, before, since.
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

struct ContainerServiceOptions {
  RuntimeOptions runtime;
  // The daemon's log-driver and log-opts (daemon.json), applied at Create;
  // Open refuses what ParseLogConfig refuses.
  std::string default_log_driver = "json-file";
  std::map<std::string, std::string> default_log_options;
  // Held by every layer unpack (run, create --mount type=image, import).
  DecompressionLimits unpack_limits;
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
  // "removed"); returns the exit code. Blocks; `cancelled` aborts.
  virtual Result<int> Wait(const std::string& ref, const std::string& condition,
                           const std::function<bool()>& cancelled) = 0;
  // Removes the container. Running without force: Conflict "cannot remove
  // container \"/N\": container is running: stop the container before
  // removing or force remove". Emits "destroy". Frees the content and
  // snapshots only it kept.
  virtual Status Remove(const std::string& ref, bool force) = 0;
  virtual Result<std::vector<ContainerInfo>> List(const ContainerListOptions& opts) = 0;
  // Streams the container's log (see ReadLog). With follow, ends when the
  // container stops. `from_end` (attach) starts at the current end.
  virtual Status Logs(const std::string& ref, LogReadOptions opts,
                      const std::function<Status(const LogEntry&)>& emit) = 0;
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
  // Starts the exec instance with `runc exec`: the container's env (as at
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
  // process's output comes as stream 1, raw.
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

  // Removes snapshots that no present image and no container needs.
  virtual Result<int> SweepSnapshots() = 0;

  // Stops watching (containers keep running); called by the daemon at exit.
  virtual void Shutdown() = 0;
};

}  // namespace berth
