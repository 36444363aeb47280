// Internals of the container service, shared by src/container/*.cc:
//   config.cc    serialisation of ContainerConfig, the image config's process
//                fields, Docker's merge rules, names, signals, commit changes
//   service.cc   the service: records, lifecycle, watchers, list, logs
//   commit.cc    Commit and SweepSnapshots
//   import.cc    Import (docker import)
//   build_step.cc  CommitBuildStep, StatInImage, ExtractImagePath (POST /build)
// Internal to src/container.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "berth/container_service.h"
#include "berth/events.h"
#include "berth/io.h"
#include "berth/mutex.h"
#include "berth/oci.h"

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
};

// Parses the "config" object of an image config document (absent fields
// stay empty). InvalidArgument on malformed JSON.
Result<ImageProcess> ParseImageProcess(std::string_view config_json);

// What the service stores in ContainerRecord::config_json.
struct StoredConfig {
  ContainerConfig config;
  std::string error;  // last start error
  int restart_count = 0;
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
// A Docker-like "adjective_surname" name.
std::string GenerateName();
// 64 random lowercase hex characters.
std::string RandomId();

// "KILL", "SIGKILL", "9" → 9. InvalidArgument "Invalid signal: X".
Result<int> ParseSignal(std::string_view s);

// Applies `docker commit --change` instructions to a "config" object (JSON
// text, may be "null" or empty) and returns the new object as JSON text.
Result<std::string> ApplyChanges(std::string_view config_json, const std::vector<std::string>& changes);

// The process environment of a container: Docker's default PATH and
// HOSTNAME, then `merged_env` (image and container Env) replacing by key.
std::vector<std::string> ProcessEnv(const std::string& hostname, const std::vector<std::string>& merged_env);

// The container's confinement as ProcessSpec holds it: no-new-privileges,
// capabilities (CapAdd/CapDrop, or all with privileged), privileged, and the
// seccomp filter (Docker's rules). InvalidArgument for a bad profile or cap.
Status ApplySecurity(const ContainerConfig& cfg, ProcessSpec* p);

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

// One container as the service keeps it in memory (guarded by the service's
// mu_, except op_mu which serialises operations on this container; the
// analysis cannot see that rule: the fields are not GUARDED_BY).
struct Ctr {
  ContainerRecord rec;
  StoredConfig stored;
  uint64_t exits = 0;  // incremented at every observed exit
  bool removed = false;
  bool watching = false;
  std::shared_ptr<Mutex> op_mu = std::make_shared<Mutex>();
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
  Result<std::vector<ContainerInfo>> List(const ContainerListOptions& opts) override;
  Status Logs(const std::string& ref, LogReadOptions opts, const std::function<Status(const LogEntry&)>& emit) override;
  Result<Digest> Commit(const CommitOptions& opts) override;
  Result<Digest> Import(const ReadFn& tar, const ImportOptions& opts) override;  // import.cc
  Result<Digest> CommitBuildStep(const BuildStepCommit& step) override;          // build_step.cc
  Result<ImagePathInfo> StatInImage(const Digest& image_id, const std::string& path) override;
  Result<std::string> ImageConfigJson(const Digest& image_id) override;
  Status ExtractImagePath(const Digest& image_id, const std::string& path, const std::string& dest) override;
  Result<int> SweepSnapshots() override;
  void Shutdown() override;
  Result<std::string> CreateExec(const std::string& container_ref, const ExecConfig& cfg) override;  // exec.cc
  Result<ExecInfo> InspectExec(const std::string& exec_id) override;
  Status StartExec(const std::string& exec_id, bool detach,
                   const std::function<void(int stream, std::string_view data)>& on_output,
                   const StdinSource& input) override;
  Status ResizeExec(const std::string& exec_id, int rows, int cols) override;
  Status SetExecConsoleSize(const std::string& exec_id, int rows, int cols) override;
  Status WriteStdin(const std::string& ref, std::string_view data) override;  // service.cc
  Status CloseStdin(const std::string& ref) override;
  Status ResizeTty(const std::string& ref, int rows, int cols) override;

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
  ContainerInfo InfoLocked(const Ctr& c) REQUIRES(mu_);
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
  Status KillLocked(Ctr& c, int sig) EXCLUDES(mu_);  // sends, emits "kill"; op_mu held
  // Waits until the container is not running or `ms` pass.
  bool WaitExit(Ctr& c, uint64_t exits_before, int64_t ms) REQUIRES(mu_);
  Status RemoveInternal(const std::string& id, bool force, bool from_watcher);
  // Start without the AutoRemove policy; tells the container's ID and
  // whether it is AutoRemove once it is found.
  Status StartOnce(const std::string& ref, std::string* id, bool* auto_remove);
  void StartWatcher(const std::string& id) EXCLUDES(threads_mu_);
  // Runs `fn` on a thread joined at Shutdown (finished ones are joined here).
  void StartTracked(std::function<void()> fn) EXCLUDES(threads_mu_);
  // Writes the process of exec `x` in the container `rec` to `process_json`:
  // the container's env, user, working directory and confinement with the
  // exec's overrides (exec.cc).
  [[nodiscard]] Status PrepareExec(const ContainerRecord& rec, const ContainerConfig& cfg, const ExecConfig& x,
                                   const std::string& process_json);
  // Runs the started exec `ex` to its end (exec.cc): output to `on_output`,
  // pid and exit code into `ex`, exec_start/exec_die events; `started` is
  // notified through cv_ once the pid is known or the process has ended.
  void RunExec(const std::shared_ptr<ExecInstance>& ex, const std::string& process_json,
               const std::function<void(int stream, std::string_view data)>& on_output, const StdinSource& input)
      EXCLUDES(mu_);
  // Records the end of exec `ex` (exit code, or 126 with the error on
  // stream 2) and emits exec_die.
  void FinishExec(const std::shared_ptr<ExecInstance>& ex, const Result<int>& code,
                  const std::function<void(int stream, std::string_view data)>& on_output) EXCLUDES(mu_);
  void OnExit(const std::string& id, const RuntimeState& st) EXCLUDES(mu_);
  void Emit(const Ctr& c, const std::string& action, std::map<std::string, std::string> extra = {}) REQUIRES(mu_);
  void Observe(const std::string& action, int64_t start_nanos);

  Store* store_;
  std::unique_ptr<Snapshotter> snaps_;
  std::unique_ptr<Runtime> runtime_;
  std::string dir_;
  const ContainerServiceOptions opts_;

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
