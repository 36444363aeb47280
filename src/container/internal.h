// Internals of the container service, shared by src/container/*.cc:
//   config.cc    serialisation of ContainerConfig, the image config's process
//                fields, Docker's merge rules, names, signals, commit changes
//   service.cc   the service: records, lifecycle, watchers, list, logs
//   commit.cc    Commit and SweepSnapshots
//   import.cc    Import (docker import)
//   build_step.cc  CommitBuildStep, StatInImage, ExtractImagePath (POST /build)
//   archive.cc   docker cp (StatPath, ArchivePath, ExtractToPath) and export
//   ops.cc       rename, pause, unpause, the pids of top, diff
//   stats.cc     cgroup figures of docker stats
//   health.cc    health checks: the monitor and its probes (by exec)
//   restart.cc   restart policies: the restart after an exit, at berthd's
//                start, their cancellation, UpdateRestartPolicy
// Internal to src/container.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/unique_fd.h"
#include "berth/container_service.h"
#include "berth/events.h"
#include "berth/io.h"
#include "berth/mutex.h"
#include "berth/oci.h"
#include "container/health.h"
#include "container/restart.h"

namespace berth::container {

// The process fields of an image config's "config" object.
struct ImageProcess {
  std::vector<std::string> cmd;
  std::vector<std::string> entrypoint;
  std::vector<std::string> env;
  std::string working_dir;
  std::string user;
  std::string stop_signal;
  std::map<std::string, std::string> labels;
  std::optional<HealthConfig> healthcheck;  // HEALTHCHECK
  std::vector<std::string> exposed_ports;   // "80/tcp" keys of ExposedPorts
};

// Parses the "config" object of an image config document (absent fields
// stay empty). InvalidArgument on malformed JSON.
Result<ImageProcess> ParseImageProcess(std::string_view config_json);

// What the service stores in ContainerRecord::config_json.
struct StoredConfig {
  ContainerConfig config;
  std::string error;  // last start error
  int restart_count = 0;
  // Docker's HasBeenManuallyStopped: set by stop and kill, cleared by a
  // start by the user; unless-stopped then restarts no more.
  bool manually_stopped = false;
  // State.Health as it last was (status, failing streak, the last probes),
  // so that a berthd restart goes on from it.
  std::optional<HealthState> health;
  bool oom_killed = false;  // State.OOMKilled of the last run
};
std::string StoredConfigToJson(const StoredConfig& s);
Result<StoredConfig> StoredConfigFromJson(std::string_view json);

// Docker's merge of the container's config with the image's.
struct Effective {
  std::vector<std::string> cmd;
  std::vector<std::string> entrypoint;
  std::vector<std::string> args;  // entrypoint + cmd
  std::vector<std::string> env;   // image env overridden by the container's, by key
  std::string working_dir;
  std::string user;
  std::map<std::string, std::string> labels;  // image labels, then the container's
  std::string stop_signal;
};
Effective Merge(const ContainerConfig& c, const ImageProcess& img);

// Puts the "KEY=value" entry `kv` into `env`: it replaces the first entry
// with the same key (the text before '=', or all of it), else is appended.
void OverrideEnv(std::vector<std::string>* env, const std::string& kv);

// Container names: Docker's [a-zA-Z0-9][a-zA-Z0-9_.-]+ (leading "/" allowed).
bool ValidContainerName(std::string_view name);
// Docker's errors for a bad name and for a name in use (`name` without
// the leading "/").
Status InvalidName(const std::string& name);
Status NameInUse(const std::string& name, const std::string& id);
// A Docker-like "adjective_surname" name.
std::string GenerateName();
// 64 random lowercase hex characters.
std::string RandomId();

// docker cp's path rules (archive.cc): Go's path.Clean of "/" + `path`,
// then a trailing "/." or "/" of `path` put back (Docker's
// PreserveTrailingDotOrSeparator): "a/../b/" → "/b/", "x/." → "/x/.".
std::string AbsolutePath(const std::string& path);
// Go's filepath.Base: "/a/b/" → "b", "/a/." → ".", "/" → "/".
std::string BaseName(std::string path);

// What the path `components` (non-empty) names in the union of the
// unpacked layer directories `dirs` (lowest first): the topmost layer that
// has it or a whiteout of it decides (build_step.cc).
// The cgroup directories of process `pid` by controller ("memory",
// "cpuacct", "pids", "blkio", ...; on the unified hierarchy the key "").
Result<std::map<std::string, std::string>> CgroupDirsOf(int pid);

// Whether the kernel's OOM killer killed a process in the memory cgroup runc
// made for container `id` (runc's default place: berthd's own cgroup plus
// the ID; v1 memory.oom_control's oom_kill, v2 memory.events' oom_kill).
// The shim's `runc run -d` leaves that cgroup after the exit until berthd's
// `runc delete`: read it before. False when it is gone (resources_update.cc).
bool OomKilledInCgroup(const std::string& id);

// Whether `dir` is a directory with no entries (false when it cannot be
// read) (volumes.cc).
bool EmptyDirectory(const std::string& dir);

// Takes out of `changes` (WalkUpper's, in its depth-first order, of the
// container's upper directory `upper`) what Docker keeps in a container's
// init layer and never reports: the mount points the runtime made for its
// own mounts when the image lacked them (/dev, /proc, /sys and the /etc
// files berthd bind-mounts), when they are still an empty directory or an
// empty file; then a changed directory whose every reported descendant was
// such a mount point (/etc copied up only to hold them). Anything else, and
// a mount point the container wrote to, stays (ops.cc).
void DropRuntimeMountPoints(const std::string& upper, std::vector<ContainerChange>* changes);

// Docker's parsePSOutput: the titles of ps's first line and the lines whose
// PID column is one of `pids` (fields split at ASCII spaces; the last title
// takes the rest of the line). Internal when there is no PID column or a
// PID is not a number (ops.cc).
Result<ContainerTop> ParsePsOutput(std::string_view output, const std::vector<int>& pids);

// The interfaces of a /proc/<pid>/net/dev text (the kernel's table: two
// heading lines, then "name: 8 receive counters 8 transmit counters"), but
// the loopback "lo" (stats.cc). Malformed lines are skipped.
std::map<std::string, ContainerStatsSample::NetworkEntry> ParseNetDev(std::string_view text);

ImagePathInfo PathInLayers(const std::vector<std::string>& dirs, const std::vector<std::string>& components);

// "KILL", "SIGKILL", "9" → 9. InvalidArgument "Invalid signal: X".
Result<int> ParseSignal(std::string_view s);

// Applies `docker commit --change` instructions to a "config" object (JSON
// text, may be "null" or empty) and returns the new object as JSON text.
Result<std::string> ApplyChanges(std::string_view config_json, const std::vector<std::string>& changes);

// The process environment of a container: Docker's default PATH and
// HOSTNAME, then `merged_env` (image and container Env) replacing by key.
std::vector<std::string> ProcessEnv(const std::string& hostname, const std::vector<std::string>& merged_env);

// A container a starting container links to (legacy links, links.cc).
struct LinkedChild {
  std::string link_name;  // "/PARENT/ALIAS"
  std::string alias;
  std::string name;                                // the child's, without "/"
  std::string hostname;                            // the child's
  std::string ip;                                  // on the default bridge network
  std::vector<std::string> env;                    // the child's Config.Env (image's and its own)
  std::vector<std::pair<int, std::string>> ports;  // exposed: (port, "tcp"/"udp"/"sctp")
};
// The environment Docker gives a container for one legacy link:
// ALIAS_PORT (the first port), ALIAS_PORT_<P>_<PROTO>[_ADDR|_PORT|_PROTO] for
// each exposed port (TCP first, then by number), _START/_END pairs for runs
// of consecutive ports, ALIAS_NAME, and ALIAS_ENV_<K> for each of the child's
// variables but HOME and PATH; ALIAS is the alias in upper case, '-' as '_'.
std::vector<std::string> LegacyLinkEnv(const LinkedChild& child);
// The variables of every link in `linked`, then `env` (which overrides them
// by key in ProcessEnv, as the container's Env overrides them in Docker).
std::vector<std::string> WithLegacyLinkEnv(const std::vector<LinkedChild>& linked, const std::vector<std::string>& env);
// The /etc/hosts entry of a legacy link, as --add-host text ("NAMES:IP"):
// the alias, the child's hostname, and its name when the alias is not it.
std::string LegacyLinkHostsEntry(const LinkedChild& child);

// The container's confinement as ProcessSpec holds it: no-new-privileges,
// capabilities (CapAdd/CapDrop, or all with privileged), privileged, and the
// seccomp filter (Docker's rules). InvalidArgument for a bad profile or cap.
Status ApplySecurity(const ContainerConfig& cfg, ProcessSpec* p);

// Where --init's binary is bound in a container (Docker's docker-init path).
inline constexpr std::string_view kInitPathInContainer = "/sbin/docker-init";

// An exec instance (docker exec) as the service keeps it in memory.
struct ExecInstance {
  std::string id;
  std::string container_id;
  ExecConfig config;
  bool started = false;
  bool running = false;
  int pid = 0;
  std::optional<int> exit_code;
  int tty_master = -1;  // the pty's master side while a TTY process runs (not owned)
};

// The client attached to an exec it started (StartExec without detach), as
// shared between the thread that runs the process (RunExec) and the
// client's request, which returns when the process ends or the client
// detaches. Thread rules: `mu` guards the hand-over state; `out_mu` is held
// while output is written to the client, so that once `on_output` is
// cleared under it no write to the client is in flight or will follow.
struct ExecAttachment {
  bool wants_input = false;  // AttachStdin and the client has input to send
  Mutex mu;
  CondVar changed;
  bool ran GUARDED_BY(mu) = false;          // RunExec has begun
  bool input_ready GUARDED_BY(mu) = false;  // `input` is set (or never will be)
  // Where the client's input goes (a duplicate of the pty's master, or the
  // only write end of the stdin pipe), taken by the client's side.
  UniqueFd input GUARDED_BY(mu);
  bool ended GUARDED_BY(mu) = false;        // the process has ended and its end is recorded
  bool detached GUARDED_BY(mu) = false;     // the client typed the detach keys
  bool input_ended GUARDED_BY(mu) = false;  // the client's input ended (or it detached)
  Mutex out_mu;
  std::function<void(int stream, std::string_view data)> on_output GUARDED_BY(out_mu);  // null once the client left
  void Output(int stream, std::string_view data) EXCLUDES(out_mu) {
    MutexLock l(&out_mu);
    if (on_output) on_output(stream, data);
  }
};

// One container as the service keeps it in memory (guarded by the service's
// mu_, except op_mu which serialises operations on this container; the
// analysis cannot see that rule: the fields are not GUARDED_BY).
struct Ctr {
  ContainerRecord rec;
  StoredConfig stored;
  uint64_t exits = 0;  // incremented at every observed exit
  bool removed = false;
  bool watching = false;
  RestartBackoff backoff;
  // Docker's ExitOnNext: stop, or a kill with SIGKILL or the stop signal,
  // cancels restarting until the user starts the container again.
  bool exit_on_next = false;
  // Bumped whenever a scheduled restart is cancelled or superseded.
  uint64_t restart_generation = 0;
  // State.Health; stored with the record (StoredConfig::health) by Persist.
  std::optional<HealthState> health;
  // Bumped at every start and exit: a monitor of an older one ends.
  uint64_t health_generation = 0;
  std::shared_ptr<Mutex> op_mu = std::make_shared<Mutex>();
  // Live HoldOutput tokens (attached readers of the output); guarded by the
  // service's mu_.
  int output_holds = 0;
};

class ContainerServiceImpl : public ContainerService {
 public:
  ContainerServiceImpl(Store* store, std::unique_ptr<Snapshotter> snaps, std::unique_ptr<Runtime> runtime,
                       std::string dir, ContainerServiceOptions opts);
  ~ContainerServiceImpl() override;

  Status Init();  // loads and reconciles records, starts the event thread

  Result<ContainerInfo> Get(const std::string& ref) override;
  Result<ContainerCreateResult> Create(const std::string& name, const ContainerConfig& cfg) override;
  Status Start(const std::string& ref) override;
  Status Stop(const std::string& ref, int timeout_s) override;
  Status Kill(const std::string& ref, const std::string& signal) override;
  Status Restart(const std::string& ref, int timeout_s) override;
  Result<int> Wait(const std::string& ref, const std::string& condition,
                   const std::function<bool()>& cancelled) override;
  Status Remove(const std::string& ref, bool force) override;
  Status RemoveWithVolumes(const std::string& ref, bool force) override;  // volumes.cc
  Status RemoveLink(const std::string& link_name) override;               // links.cc
  VolumeService* volumes() override { return volumes_.get(); }
  Result<std::vector<ContainerInfo>> List(const ContainerListOptions& opts) override;
  Status Logs(const std::string& ref, LogReadOptions opts, const std::function<Status(const LogEntry&)>& emit) override;
  std::shared_ptr<void> HoldOutput(const std::string& ref) override EXCLUDES(mu_);
  Result<Digest> Commit(const CommitOptions& opts) override;
  Result<Digest> Import(const ReadFn& tar, const ImportOptions& opts) override;  // import.cc
  Result<Digest> CommitBuildStep(const BuildStepCommit& step) override;          // build_step.cc
  Result<ImagePathInfo> StatInImage(const Digest& image_id, const std::string& path) override;
  Result<std::string> ImageConfigJson(const Digest& image_id) override;
  Status ExtractImagePath(const Digest& image_id, const std::string& path, const std::string& dest) override;
  Result<int> SweepSnapshots() override;
  Result<ContainerPathStat> StatPath(const std::string& ref, const std::string& path) override;  // archive.cc
  Status ArchivePath(const std::string& ref, const std::string& path, const WriteFn& write) override;
  Status ExtractToPath(const std::string& ref, const std::string& path, const ReadFn& tar,
                       const ArchiveExtractOptions& opts) override;
  Status Export(const std::string& ref, const WriteFn& write) override;
  Status Rename(const std::string& ref, const std::string& new_name) override;  // ops.cc
  Status Pause(const std::string& ref) override;
  Status Unpause(const std::string& ref) override;
  Result<std::vector<int>> Pids(const std::string& ref) override;
  Result<ContainerTop> Top(const std::string& ref, const std::string& ps_args) override;
  Result<ContainerStatsSample> Stats(const std::string& ref) override;  // stats.cc
  Result<std::vector<ContainerChange>> Changes(const std::string& ref) override;
  Result<int64_t> WritableLayerSize(const std::string& ref) override;
  void Shutdown() override;
  Result<std::string> CreateExec(const std::string& container_ref, const ExecConfig& cfg) override;  // exec.cc
  Result<ExecInfo> InspectExec(const std::string& exec_id) override;
  Status StartExec(const std::string& exec_id, bool detach,
                   const std::function<void(int stream, std::string_view data)>& on_output,
                   const StdinSource& input) override;
  Status ResizeExec(const std::string& exec_id, int rows, int cols) override;
  Status SetExecConsoleSize(const std::string& exec_id, int rows, int cols) override;
  Result<ContainerState> AwaitStarted(const std::string& ref, const std::function<bool()>& cancelled) override;
  Status WriteStdin(const std::string& ref, std::string_view data) override;  // service.cc
  Status CloseStdin(const std::string& ref) override;
  Status ResizeTty(const std::string& ref, int rows, int cols) override;
  Status UpdateRestartPolicy(const std::string& ref, const RestartPolicy& policy) override;  // restart.cc
  Result<std::vector<std::string>> UpdateResources(const std::string& ref,
                                                   const ContainerResources& update) override;  // resources_update.cc
  Status ConnectNetwork(const std::string& ref, const EndpointRequest& endpoint) override;      // networking.cc
  Status DisconnectNetwork(const std::string& ref, const std::string& network, bool force) override;
  // What ConnectNetwork and DisconnectNetwork read of container `c` (under
  // mu_) before they act; NotFound (naming `ref`) once it is removed.
  struct NetworkingView {
    std::string mode, id, name;
    bool running = false;
    ContainerNetworkConfig net;
  };
  Result<NetworkingView> NetworkingViewOf(const std::shared_ptr<Ctr>& c, const std::string& ref) EXCLUDES(mu_);

 private:
  std::string Dir(const std::string& id) const { return dir_ + "/" + id; }
  // Fills in the daemon's log driver and options (Docker's merge) and
  // refuses a configuration ParseLogConfig refuses.
  [[nodiscard]] Status MergeLogDefaults(ContainerConfig* cfg) const;
  // Resolves a reference to an ID.
  Result<std::string> ResolveLocked(const std::string& ref) REQUIRES(mu_);
  // The container named `name` (without the leading "/"), or null.
  const Ctr* ByNameLocked(std::string_view name) REQUIRES(mu_);
  Result<std::shared_ptr<Ctr>> Find(const std::string& ref) EXCLUDES(mu_);
  Status Persist(const Ctr& c);  // requires mu_ held (or exclusive access)
  // Applies `change` to c.stored and persists the record; when persisting
  // fails, c.stored is as it was and the failure is returned. Requires mu_
  // held (or exclusive access), as Persist.
  Status PersistStoredChange(Ctr& c, const std::function<void(StoredConfig&)>& change);
  // `link_names`: LinkNamesLocked of every container, made once by a caller
  // that fills many (List); null: found for `c` alone.
  using LinkNames = std::map<std::string, std::vector<std::string>>;  // container ID -> "/PARENT/ALIAS"
  ContainerInfo InfoLocked(const Ctr& c, const LinkNames* link_names = nullptr) REQUIRES(mu_);
  // The manifest and config of the image a container uses.
  Result<std::pair<Manifest, ImageConfig>> LoadImage(const Digest& manifest);
  // Picks the platform manifest of an image record.
  Result<Descriptor> PickManifest(const ImageRecord& img, const std::string& ref,
                                  const std::optional<Platform>& platform);
  Result<PreparedLayers> PrepareImage(const Digest& manifest);
  // The process fields of the image config a manifest names (cached).
  Result<ImageProcess> ImageProcessOf(const Digest& manifest);
  // Platform manifest an image (by ID) uses on this host.
  Result<Digest> HostManifestOf(const Digest& image_id);
  // With `pause` and a running container: freezes it (Runtime::Pause) and
  // returns true; the caller resumes it. Returns false when there is nothing
  // to pause (pause false, not running, or it exited meanwhile).
  Result<bool> PauseForCommit(const ContainerRecord& rec, bool pause);
  // Unmounts the rootfs and image mounts of a container (errors ignored).
  void UnmountAll(const std::string& id);
  // links.cc. Create: each legacy link's NAME becomes the ID of the container
  // it names (following container: network modes); Docker's texts for a
  // missing one or one on the host's network.
  [[nodiscard]] Status ResolveLegacyLinksLocked(ContainerNetworkConfig* net) REQUIRES(mu_);
  // Start: the running containers a container named `parent` links to,
  // with what its environment and /etc/hosts get of them. A link whose
  // container is gone is dropped (Docker drops it with the container); one
  // not running: "Cannot link to a non running container: /C AS /P/A".
  Result<std::vector<LinkedChild>> LinkedChildrenLocked(const std::string& parent, const ContainerNetworkConfig& net)
      REQUIRES(mu_);
  // The same, taking mu_ (none without legacy links, and no lock taken).
  Result<std::vector<LinkedChild>> LinkedChildren(const std::string& parent, const ContainerNetworkConfig& net)
      EXCLUDES(mu_);
  // Inspect and ps: HostConfig.Links of `c`.
  std::vector<std::string> LegacyLinksShownLocked(const Ctr& c) REQUIRES(mu_);
  // Inspect and ps: the names others give each container by their legacy
  // links, sorted, in one pass over every container.
  LinkNames LinkNamesLocked() REQUIRES(mu_);
  // Removes the directory of container `id` from view at once (a rename
  // into <containers>/.removing) and deletes it on a tracked thread, so that
  // a removal does not wait for its files to be unlinked; Init clears what
  // a crash left there. Falls back to removing in place.
  void DiscardDir(const std::string& id);
  Status KillLocked(Ctr& c, int sig) EXCLUDES(mu_);  // sends, emits "kill"; op_mu held
  // The container's stop signal (its StopSignal, else the image's, else
  // SIGTERM) as a number.
  int StopSignalLocked(const Ctr& c) REQUIRES(mu_);
  // Waits until the container is not running or `ms` pass.
  bool WaitExit(Ctr& c, uint64_t exits_before, int64_t ms) REQUIRES(mu_);
  // Waits on cv_ until `satisfied` (called with mu_ held); Cancelled when
  // the service stops or `cancelled` says so (service.cc).
  Status AwaitLocked(const std::function<bool()>& satisfied, const std::function<bool()>& cancelled) REQUIRES(mu_);
  // Releases the container's volumes; with `remove_volumes`, removes the
  // anonymous ones no other container uses.
  Status RemoveInternal(const std::string& id, bool force, bool from_watcher, bool remove_volumes = false);
  // The mounts HostConfig.VolumesFrom `specs` take from other containers
  // (volumes.cc): their binds and volumes, read-only when the spec or the
  // mount says so. A bad spec or an unknown container is InvalidArgument.
  [[nodiscard]] Result<std::vector<MountRequest>> VolumesFromMounts(const std::vector<std::string>& specs)
      EXCLUDES(mu_);
  // At create (volumes.cc): refuses duplicate targets, adds the image's
  // VOLUMEs no mount covers, creates missing -v bind sources (directories),
  // creates and names the volumes, records the container's use of them and
  // copies the image's content into each empty volume (unless nocopy). On
  // error the volumes it took are released (anonymous ones removed).
  [[nodiscard]] Status PrepareMounts(const std::string& id, const Digest& image_id, std::string_view image_config_raw,
                                     ContainerConfig* cfg);
  // At start (volumes.cc): the binds, volumes (VolumeService::Mount) and
  // tmpfs mounts of `cfg` into p->bind_mounts, parents first.
  [[nodiscard]] Status AddMountsToSpec(const std::string& id, const ContainerConfig& cfg, ProcessSpec* p);
  // Who starts a container: the user (resets the restart count, the backoff
  // and the manual stop), its restart policy after an exit (only while the
  // container is restarting with `restart_generation`), or berthd's start.
  enum class StartCause { kUser, kRestartPolicy, kDaemonStart };
  // Start without the AutoRemove policy; tells the container's ID and
  // whether it is AutoRemove once it is found.
  Status StartOnce(const std::string& ref, std::string* id, bool* auto_remove, StartCause cause = StartCause::kUser,
                   uint64_t restart_generation = 0);
  // After an exit that the policy restarts (restart.cc): waits `delay_nanos`
  // (cut short by nothing but berthd's shutdown), then starts the container
  // unless the restart was cancelled meanwhile; a failed start leaves it
  // exited.
  void ScheduleRestart(const std::string& id, uint64_t generation, int64_t delay_nanos) EXCLUDES(mu_);
  // A restarting container stops restarting: exited, its record persisted,
  // waiters woken. Returns false when it was not restarting.
  bool CancelRestartLocked(Ctr& c) REQUIRES(mu_);
  // Starts the health monitor of a container that has just started, when
  // its merged health check has a probe (health.cc): State.Health
  // "starting", then a probe after each interval; each result is persisted.
  // With `resume` (berthd starting under a running container), a stored
  // State.Health is kept as it was.
  void StartHealthMonitor(const std::string& id, bool resume = false) EXCLUDES(mu_);
  // Runs one probe as an exec in the container: its exit code and output
  // (at most 4096 bytes), or -1 with Docker's text when it exceeds
  // `timeout_nanos` (the process is killed) or cannot run.
  HealthLogEntry RunProbe(const std::string& id, const ExecConfig& exec, int64_t timeout_nanos) EXCLUDES(mu_);
  // The container `id` while the health monitor of `generation` should go
  // on (running, not removed, no newer start, berthd not stopping), or null.
  Ctr* HealthMonitoredLocked(const std::string& id, uint64_t generation) REQUIRES(mu_);
  // At Init: starts the containers their policy restarts at berthd's start.
  void RestartAtDaemonStart() EXCLUDES(mu_);
  void StartWatcher(const std::string& id) EXCLUDES(threads_mu_);
  // Runs `fn` on a thread joined at Shutdown (finished ones are joined here).
  void StartTracked(std::function<void()> fn) EXCLUDES(threads_mu_);
  // Writes the process of exec `x` in the container `rec` to `process_json`:
  // the container's env, user, working directory and confinement with the
  // exec's overrides (exec.cc).
  [[nodiscard]] Status PrepareExec(const ContainerRecord& rec, const ContainerConfig& cfg, const ExecConfig& x,
                                   const std::string& process_json);
  // Runs the started exec `ex` to its end (exec.cc): output to the attached
  // client (`attachment`, null for a detached start), which is handed where
  // its input goes; pid and exit code into `ex`, exec_start/exec_die events;
  // `started` is notified through cv_ once the pid is known or the process
  // has ended, and `attachment->ended` once its end is recorded.
  void RunExec(const std::shared_ptr<ExecInstance>& ex, const std::string& process_json,
               const std::shared_ptr<ExecAttachment>& attachment) EXCLUDES(mu_);
  // StartExec without detach: runs `ex` on a tracked thread, feeds it
  // `input` and hands its output to `on_output` until it ends or the client
  // detaches (exec.cc).
  [[nodiscard]] Status RunAttachedExec(const std::shared_ptr<ExecInstance>& ex, const std::string& process_json,
                                       const std::function<void(int stream, std::string_view data)>& on_output,
                                       const StdinSource& input) EXCLUDES(mu_);
  // Records the end of exec `ex` (exit code, or 126 with the error on
  // stream 2) and emits exec_die.
  void FinishExec(const std::shared_ptr<ExecInstance>& ex, const Result<int>& code,
                  const std::function<void(int stream, std::string_view data)>& on_output) EXCLUDES(mu_);
  void OnExit(const std::string& id, const RuntimeState& st) EXCLUDES(mu_);
  // Blocks while HoldOutput tokens of container `id` live (at most 30 s, or
  // until the service stops).
  void AwaitOutputRead(const std::string& id) EXCLUDES(mu_);
  // Runs `fn` on a descriptor of the container's root filesystem (archive.cc):
  // the running container's, or its overlay mounted for the call (and
  // unmounted after); the container's op_mu is held throughout. `event`
  // (when not empty) is emitted once `fn` succeeded.
  // For docker cp: calls fn with a root in which `path` is found as the
  // container sees it, mounts included, and the path to look up there. A
  // running container: its own root (/proc/PID/root). A stopped one: for a
  // path under a bind or volume mount, that mount's source (read_only_mount
  // as the mount is) and the path relative to it; else its root filesystem.
  using PathRootFn = std::function<Status(int root_fd, const std::string& path, const Ctr& c, bool read_only_mount)>;
  Status WithPathRoot(const std::string& ref, const std::string& event, const std::string& path, const PathRootFn& fn)
      EXCLUDES(mu_);
  Status WithRootfs(const std::string& ref, const std::string& event,
                    const std::function<Status(int root_fd, const Ctr& c)>& fn) EXCLUDES(mu_);
  // The network of a starting container (networking.cc): its namespace
  // (bridge: attached through the NetworkService; container:X: X's), and
  // /etc/hosts, /etc/hostname, /etc/resolv.conf written under its
  // directory and bound into it; /etc/hosts gets an entry per `linked`
  // (legacy links, after the --add-host ones). Refuses what cannot be
  // honoured.
  [[nodiscard]] Status PrepareNetwork(const ContainerRecord& rec, const ContainerConfig& cfg, const ImageProcess& image,
                                      const std::vector<LinkedChild>& linked, ProcessSpec* p) EXCLUDES(mu_);
  // The pid, ipc, uts and cgroup namespaces of a starting container
  // (namespaces.cc), from its PidMode, IpcMode, UTSMode and CgroupnsMode:
  // a "container:NAME" target must exist and run (Docker's texts), and an
  // ipc one must be "shareable".
  // A "shareable" ipc namespace gets its /dev/shm as a tmpfs at <dir>/shm.
  [[nodiscard]] Status PrepareNamespaces(const std::string& id, const ContainerConfig& cfg, ProcessSpec* p)
      EXCLUDES(mu_);
  // Undoes PrepareNetwork's attachment (not attached: nothing).
  void ReleaseNetwork(const std::string& id);
  void Emit(const Ctr& c, const std::string& action, std::map<std::string, std::string> extra = {}) REQUIRES(mu_);
  void Observe(const std::string& action, int64_t start_nanos);

  Store* store_;
  std::unique_ptr<VolumeService> volumes_;  // opened by Init
  std::unique_ptr<Snapshotter> snaps_;
  std::unique_ptr<Runtime> runtime_;
  std::string dir_;
  const ContainerServiceOptions opts_;
  const HostResources host_resources_ = ProbeHostResources();

  Mutex mu_;
  CondVar cv_;  // a container exited or was removed, or stopping_ is set
  std::map<std::string, std::shared_ptr<Ctr>> ctrs_ GUARDED_BY(mu_);  // by ID
  // Exec instances by ID; forgotten when their container is removed.
  std::map<std::string, std::shared_ptr<ExecInstance>> execs_ GUARDED_BY(mu_);
  std::atomic<bool> stopping_{false};

  Mutex cache_mu_;
  std::map<Digest, ImageProcess> proc_cache_ GUARDED_BY(cache_mu_);

  struct Thread {
    std::thread t;
    std::shared_ptr<std::atomic<bool>> done;
  };
  Mutex threads_mu_;
  std::vector<Thread> threads_ GUARDED_BY(threads_mu_);
  uint64_t sweep_hook_ = 0;  // the image service's collect hook (SweepSnapshots)
  Mutex sweep_mu_;
  // manifest -> layer chain IDs
  std::map<Digest, std::vector<Digest>> chain_cache_ GUARDED_BY(sweep_mu_);
};

}  // namespace berth::container
