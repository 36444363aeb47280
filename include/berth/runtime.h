// The container runtime: OCI bundles run by runc under a small per-container
// shim (tools/shim, binary `berth-shim`) that outlives the daemon.
//
// The shim is started detached (its own session) and:
//   - runs `runc run --bundle <bundle> <id>` with stdout/stderr on pipes,
//   - writes what the container prints to <state>/container.log, one JSON
//     line {"log":"...","stream":"stdout"|"stderr","time":"RFC3339Nano"} per
//     output line (Docker's json-file shape; a partial line is written as it
//     comes, as an entry of its own without the '\n'), rotated by size into
//     container.log.1 ... when asked (LogRotation),
//   - when runc exits, writes <state>/exit as "<code> <finished unix nanos>\n"
//     (atomically: tmp + rename) and exits. A container killed by signal N
//     exits with 128+N, as Docker reports.
//   - with StartOptions::open_stdin, feeds the container's stdin from the
//     fifo <state>/stdin (WriteContainerStdin) until a "close-stdin" line on
//     the fifo <state>/control; with StartOptions::tty, runs `runc run -d
//     --console-socket`, takes the terminal's master side from the socket,
//     logs it as "stdout", writes stdin to it, resizes it on "resize R C"
//     lines, and waits for the container's init (orphaned onto the shim, a
//     subreaper) instead of runc,
//   - writes <state>/shim.pid at start and removes nothing. runc adds
//     <state>/init.pid (the container's pid, once started) and
//     <state>/runc.log (runc's own JSON log).
// So a daemon restart loses nothing: a running container is found again via
// `runc state`, an exited one via its exit file.
//
// Thread-safety: Runtime is thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/security.h"
#include "berth/status.h"

namespace berth {

// The cgroup limits of a container (the OCI spec's linux.resources, as
// Docker's daemon fills them in from HostConfig): an absent value is not
// written (the cgroup's own, unlimited by default, stays).
struct LinuxResourceLimits {
  std::optional<int64_t> memory_limit;        // bytes (memory.limit_in_bytes)
  std::optional<int64_t> memory_reservation;  // bytes (soft limit)
  std::optional<int64_t> memory_swap;         // memory + swap, bytes; -1: unlimited
  std::optional<uint64_t> memory_swappiness;  // 0..100
  bool disable_oom_killer = false;            // memory.oom_control
  std::optional<uint64_t> cpu_shares;
  std::optional<int64_t> cpu_quota;    // microseconds per period
  std::optional<uint64_t> cpu_period;  // microseconds
  std::string cpuset_cpus;             // "" : not set
  std::string cpuset_mems;
  std::optional<int64_t> pids_limit;  // -1: unlimited
  std::optional<uint16_t> blkio_weight;
  bool operator==(const LinuxResourceLimits&) const = default;
};

// The JSON of OCI linux.resources for `r` (memory, cpu, pids, blockIO; the
// objects with nothing set are left out). `runc update --resources` reads
// the same shape. Device rules are not part of it.
std::string LinuxResourcesJson(const LinuxResourceLimits& r);

// A host device node made in the container (Docker's --device): the node
// `path` in the container, of `type` "c" or "b", and the cgroup rule that
// allows `access` ("rwm" or a part of it) on it.
struct DeviceNode {
  std::string path;
  std::string type;
  int64_t major = 0;
  int64_t minor = 0;
  uint32_t file_mode = 0;  // permission bits
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string access = "rwm";
  bool operator==(const DeviceNode&) const = default;
};

// An extra allow rule of the device cgroup (Docker's --device-cgroup-rule
// "c 7:128 rwm"): `type` "a", "c" or "b"; major and minor -1 for "*".
struct DeviceCgroupRule {
  std::string type;
  int64_t major = -1;
  int64_t minor = -1;
  std::string access;  // "rwm" or a part of it
  bool operator==(const DeviceCgroupRule&) const = default;
};

// process.rlimits entry (Docker's --ulimit): `type` is "RLIMIT_NOFILE"...
struct Rlimit {
  std::string type;
  uint64_t soft = 0;
  uint64_t hard = 0;
  bool operator==(const Rlimit&) const = default;
};

// What runs inside the container: the OCI runtime spec's process and the
// few settings berth varies.
struct ProcessSpec {
  std::vector<std::string> args;  // non-empty
  std::vector<std::string> env;   // "K=V"
  std::string cwd = "/";
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> additional_gids;
  // Empty: the host's name with host_network, else the first 12 characters
  // of the bundle's parent directory name (the container ID in berth's
  // layout <data-root>/containers/<id>/bundle).
  std::string hostname;
  bool host_network = false;  // false: a new (empty, loopback-only) netns
  // Without host_network: join this network namespace (a path such as
  // NetworkService's bind mount or /proc/PID/ns/net) instead of a new one.
  std::string network_namespace_path;
  // The pid and ipc namespaces: empty, a new one; "host", the host's (no
  // namespace in the spec); else the path of one to join (/proc/PID/ns/pid).
  std::string pid_namespace;
  std::string ipc_namespace;
  bool host_uts = false;          // the host's UTS namespace (no hostname set)
  bool cgroup_namespace = false;  // a cgroup namespace of its own
  // /dev/shm: by default a 64 MiB tmpfs of the container's own; with
  // dev_shm_source that directory bound there instead (a shared ipc
  // namespace's); with no_dev_shm none at all (IpcMode "none").
  std::string dev_shm_source;
  bool no_dev_shm = false;
  bool read_only_rootfs = false;
  bool no_new_privileges = false;  // process.noNewPrivileges
  // process.capabilities: the bounding, effective and permitted sets.
  std::vector<std::string> capabilities = DefaultCapabilities();
  // linux.seccomp; none: no filter (seccomp=unconfined).
  std::optional<SeccompFilter> seccomp;
  // Docker's --privileged, for the parts the spec holds: no masked or
  // read-only paths, /sys and the cgroup mount writable, every device node
  // of the host's /dev (as Docker lists them) created in the container and
  // all devices allowed. Capabilities and seccomp are set by the caller.
  bool privileged = false;
  // process.terminal: the process gets a pseudo-terminal as its stdin,
  // stdout and stderr (Docker's Tty).
  bool terminal = false;
  // process.consoleSize of a terminal: its size at start (0: runc's default).
  int console_rows = 0;
  int console_cols = 0;
  // Extra mounts, in this order (image mounts, binds, volumes, tmpfs):
  // host `source` bound at `destination`, or with `tmpfs` a tmpfs there.
  struct BindMount {
    std::string source;
    std::string destination;
    bool read_only = true;
    std::string propagation;  // bind: empty is "rprivate"
    bool tmpfs = false;
    std::vector<std::string> tmpfs_options;  // added to nosuid, nodev, noexec
  };
  std::vector<BindMount> bind_mounts;
  // linux.resources (cgroup limits), process.rlimits, process.oomScoreAdj,
  // linux.sysctl, the /dev/shm size and host devices (linux.devices plus an
  // allow rule each; ignored with privileged, which has every device).
  LinuxResourceLimits resources;
  std::vector<Rlimit> rlimits;
  std::optional<int> oom_score_adj;
  std::map<std::string, std::string> sysctls;
  int64_t shm_size_bytes = 64 * 1024 * 1024;
  std::vector<DeviceNode> devices;
  // Allow rules after Docker's defaults and the devices' own (ignored with
  // privileged).
  std::vector<DeviceCgroupRule> device_rules;
};

// Writes <bundle>/config.json (OCI runtime spec 1.0): namespaces pid, mount,
// ipc, uts and network (unless host_network; pid, ipc and uts as
// pid_namespace, ipc_namespace and host_uts ask; cgroup with
// cgroup_namespace); the usual /proc, /dev (tmpfs),
// /dev/pts, /dev/shm, /dev/mqueue, /sys (ro) mounts; default devices;
// p.capabilities; p.seccomp as linux.seccomp; masked/read-only paths as
// Docker sets them (or p.privileged's settings); rootfs path `rootfs`
// (absolute); p.resources, p.rlimits, p.oom_score_adj, p.sysctls,
// p.devices and /dev/shm of p.shm_size_bytes. A host /dev that cannot be
// listed fails a privileged spec.
Status WriteBundleConfig(const std::string& bundle, const std::string& rootfs, const ProcessSpec& p);

// The paths WriteBundleConfig masks (maskedPaths) and makes read-only
// (readonlyPaths) in a container that is not privileged: Docker's defaults.
std::vector<std::string> DefaultMaskedPaths();
std::vector<std::string> DefaultReadonlyPaths();

// Writes the spec's "process" object for `p` alone to `path` (what
// `runc exec --process` reads): args, env, cwd, user, capabilities and
// noNewPrivileges as WriteBundleConfig writes them.
Status WriteProcessJson(const std::string& path, const ProcessSpec& p);

// Resolves a Docker `User` value ("", "name", "uid", "name:group",
// "uid:gid") against the rootfs's /etc/passwd and /etc/group. Unknown names
// are InvalidArgument ("unable to find user NAME: no matching entries in
// passwd file"), as Docker says. Fills uid, gid and additional_gids. The
// files are read inside `rootfs` (Env::ReadFileInRoot, at most 1 MiB each):
// one that is missing, not a regular file, too large or a symlink leading
// out of the rootfs counts as empty. `group_add` (HostConfig.GroupAdd,
// --group-add) adds groups to additional_gids (once each): a name or number
// found in /etc/group is its gid, another number is taken as it is, another
// name is InvalidArgument "unable to find group NAME: no matching entries in
// group file".
Status ResolveUser(const std::string& rootfs, const std::string& user, ProcessSpec* p,
                   const std::vector<std::string>& group_add = {});

struct RuntimeState {
  enum Kind { kUnknown, kCreated, kRunning, kStopped } kind = kUnknown;
  int pid = 0;
  bool exited = false;  // the exit file exists
  bool paused = false;  // frozen by Pause (kind stays kRunning)
  int exit_code = 0;
  int64_t finished_unix_nanos = 0;
};

// How the shim rotates <state>/container.log, as Docker's json-file driver
// does with max-size / max-file: once the log has reached `max_size_bytes`,
// the next line goes to a new file and the old ones move up
// (container.log -> container.log.1 -> ... -> container.log.<max_files-1>,
// the oldest dropped). A file can exceed the size by the line that crossed
// it. max_size_bytes 0: no rotation (one file that grows).
struct LogRotation {
  int64_t max_size_bytes = 0;
  int max_files = 1;  // >= 1; 1: the log restarts empty when full
  // False for the driver "none": the log exists only for attach to follow
  // (kAttachOnlyLogBytes at most); docker logs cannot read it.
  bool readable = true;
};

// What the driver "none" keeps of a container's output, for attach only.
inline constexpr int64_t kAttachOnlyLogBytes = 1 << 20;

// The log drivers and options berth honours: "none" (no options; see
// LogRotation::readable) and the driver "json-file" (""
// means it) with the options max-size (a positive size with an optional
// decimal unit k, m, g (also kb, mb, gb, b), as Docker's units.FromHumanSize
// reads it) and max-file (an integer >= 1, only with max-size), and compress
// "false". Everything else is InvalidArgument naming it: another of Docker's
// drivers ("berth does not support the log driver \"syslog\" ..."), a name no
// Docker driver has ("logger: no log driver named 'x' is registered", Docker's
// text), options with "none", an unknown option
// (Docker's "unknown log opt 'x' for json-file log driver"), json-file options
// berth does not implement (compress=true, tag, labels, env, ...), and bad
// values with Docker's messages ("max-size must be a positive number",
// "max-file cannot be less than 1", ...).
Result<LogRotation> ParseLogConfig(const std::string& driver, const std::map<std::string, std::string>& options);

// A container's log files, oldest first: the rotated ones that exist
// (`log_path`.N ... `log_path`.1, counting up from 1 until one is missing)
// then `log_path` itself (listed even when missing).
std::vector<std::string> LogFilesOldestFirst(const std::string& log_path);

struct RuntimeOptions {
  std::string runc = "runc";              // runc binary
  std::string shim;                       // absolute path of berth-shim
  std::string runc_root;                  // runc --root (state of runc)
  // Absolute path of berth-exec (src/runtime/nsexec.h), which Exec runs
  // instead of `runc exec` for containers it can enter (see
  // runtime_internal::NativeExecBlocker). Empty: always `runc exec`.
  std::string exec_helper;
};

// A pseudo-terminal berthd opens for a process it runs with a TTY (exec -t):
// `master` is berthd's side (close-on-exec), `path` the terminal side
// (/dev/pts/N) the process is given.
struct Pty {
  int master = -1;  // owned: close it when done
  std::string path;
};
// Opens a pty whose terminal side passes bytes through unchanged (raw) but
// for output newlines, which become "\r\n" as on Docker's terminals.
Result<Pty> OpenPty();
// Sets the window size of the pty whose master side is `master_fd`
// (TIOCSWINSZ; the process group in its foreground gets SIGWINCH).
Status SetTerminalSize(int master_fd, int rows, int cols);

// Sets the window size of the terminal process `pid` has as its stdin (a
// pty's terminal side; anything else is FailedPrecondition), directly: the
// process sees the new size before this returns.
Status SetProcessTerminalSize(int pid, int rows, int cols);

// The standard input and terminal of a process Runtime::Exec runs.
struct ExecStdio {
  // >= 0: what the process reads as stdin (the read end of a pipe; the
  // caller closes its copy). -1: /dev/null. Unused with a terminal.
  int stdin_fd = -1;
  // With a terminal (Docker's Tty): the pty from OpenPty. Its master side
  // carries the output (stream 1) and takes the input.
  std::optional<Pty> tty;
};

// Files in a container's state directory through which berthd reaches the
// shim of a container started with StartOptions::open_stdin or tty (see
// WriteContainerStdin, CloseContainerStdin, ResizeContainerTerminal).
inline constexpr char kShimStdinFifo[] = "stdin";
inline constexpr char kShimControlFifo[] = "control";

// Hands `data` to the container's stdin through its shim (blocks while the
// shim is behind). FailedPrecondition when the container was not started
// with stdin open, or its shim has gone.
Status WriteContainerStdin(const std::string& state_dir, std::string_view data);
// Closes the container's stdin (its process reads the end) once the shim
// has passed on what was written before. Same errors.
Status CloseContainerStdin(const std::string& state_dir);
// Sets the window size of a TTY container's terminal. FailedPrecondition
// when it has none (no TTY, or not running).
Status ResizeContainerTerminal(const std::string& state_dir, int rows, int cols);

// How the shim gives the container its standard streams.
struct StartOptions {
  LogRotation log;
  // The container's stdin stays open, fed by WriteContainerStdin (Docker's
  // OpenStdin). Else it reads /dev/null.
  bool open_stdin = false;
  // The container runs with a pseudo-terminal (Docker's Tty; config.json
  // must have process.terminal): its output is logged as one "stdout"
  // stream, raw.
  bool tty = false;
};

class Runtime {
 public:
  static Result<std::unique_ptr<Runtime>> Create(const RuntimeOptions& opts);
  virtual ~Runtime() = default;

  // Starts the container `id` from `bundle` (config.json written) under a
  // new shim whose files go to `state_dir` (log, exit, shim.pid); the shim
  // rotates the log as start.log says and wires stdin and the terminal as
  // `start` says. Removes a
  // stale exit file first. Returns once runc has started the process (the
  // container's pid is known) or failed; a failure to start is returned as
  // an error whose message carries runc's reason, classified by code:
  // NotFound when the command does not exist ("exec: \"nosuch\": executable
  // file not found in $PATH", Docker's exit code 127), PermissionDenied when
  // it cannot be executed (126), InvalidArgument for another fault of the
  // request (a path through a non-directory), Internal otherwise.
  virtual Result<int> Start(const std::string& id, const std::string& bundle, const std::string& state_dir,
                            const StartOptions& start) = 0;
  // Sends `signal` to the container's init process (runc kill). Not
  // running: FailedPrecondition.
  virtual Status Kill(const std::string& id, int signal) = 0;
  // Freezes every process of the container (runc pause, the cgroup
  // freezer) / thaws them (runc resume). Not running (or, for Resume, not
  // paused): FailedPrecondition.
  virtual Status Pause(const std::string& id) = 0;
  virtual Status Resume(const std::string& id) = 0;
  // runc's view combined with the exit file in `state_dir`.
  virtual Result<RuntimeState> State(const std::string& id, const std::string& state_dir) = 0;
  // Blocks until the exit file exists or `timeout_ms` passes (< 0: no limit)
  // or `cancelled` returns true. Returns the state.
  virtual Result<RuntimeState> Wait(const std::string& id, const std::string& state_dir,
                                    int64_t timeout_ms,
                                    const std::function<bool()>& cancelled = {}) = 0;
  // Changes the cgroup limits of the running (or paused) container `id`
  // (`runc update --resources`). Not running: FailedPrecondition; runc's
  // refusal (the kernel's, e.g. a memory limit below the current usage) is
  // Internal with runc's text. Default: Unimplemented.
  virtual Status Update(const std::string& id, const LinuxResourceLimits& limits);
  // `runc delete --force` (absent: OK). With a DeleteLater of `id` still
  // pending, that one does it: OK at once.
  virtual Status Delete(const std::string& id) = 0;
  // Delete, for a container that has exited, done on a background thread so
  // that the caller (the exit's bookkeeping) need not wait for runc; a
  // failure is logged. A later Start of the same `id` first waits for it. Read what runc's cgroup still shows (an OOM kill) before this.
  // Default: Delete at once.
  virtual void DeleteLater(const std::string& id);
  // Runs the process `process_json` (see WriteProcessJson) inside the
  // running container `id` started from `bundle` (RuntimeOptions::exec_helper,
  // or `runc exec` when there is none or it cannot enter this container;
  // either way the container's namespaces, cgroup and seccomp filter) and
  // blocks until it exits. Hands what it prints to
  // `on_output` (1 stdout, 2 stderr) as it comes and its host pid to `on_pid`
  // once runc has started it (pid file `pid_file`). Returns the exit code
  // (128+N when killed by signal N); a process that could not be started is
  // 127 when the command was not found, 126 when it could not be executed,
  // with runc's reason on stderr, as Docker reports. Once `abandon` returns
  // true (checked every few milliseconds), the helper (or runc) is killed and Aborted
  // returned; the process itself goes on in the container. Default:
  // Unimplemented.
  // The process's stdin and terminal are as `stdio` says (its terminal side
  // must match the process's "terminal").
  virtual Result<int> Exec(const std::string& id, const std::string& bundle, const std::string& process_json,
                           const std::string& pid_file,
                           const ExecStdio& stdio, const std::function<void(int pid)>& on_pid,
                           const std::function<void(int stream, std::string_view data)>& on_output,
                           const std::function<bool()>& abandon);
};

// ---- logs ----

struct LogEntry {
  std::string stream;  // "stdout" or "stderr"
  std::string data;    // as Docker's json-file keeps it: bytes that are not UTF-8 are U+FFFD
  int64_t time_unix_nanos = 0;
  // The bytes the container wrote, when they were not UTF-8 (the shim keeps
  // them beside the text; see log_format.h); empty otherwise (then `data`
  // is exactly what it wrote).
  std::string raw;
};

struct LogReadOptions {
  bool stdout_ = true;
  bool stderr_ = true;
  int64_t since_unix_nanos = 0;  // 0: no bound
  int64_t until_unix_nanos = 0;  // 0: no bound
  int tail = -1;                 // last N lines (entries ending in '\n'); -1 all
  bool follow = false;
  // With follow: reading ends once this returns true and the log is drained
  // (the container has exited), or `cancelled` returns true.
  std::function<bool()> finished;
  // With follow, optional: blocks until `finished` may have turned true or
  // `timeout_ms` passed. Used once the shim's exit file says the output is
  // complete (the reader then only waits for the daemon's record of the
  // exit); without it the reader looks every few milliseconds.
  std::function<void(int timeout_ms)> await_finished;
  std::function<bool()> cancelled;
  // With follow: start from the log's current end (attach) rather than its
  // beginning.
  bool from_end = false;
  // Entries of one stream that follow each other in what one read of the
  // file (64 KB) finds are handed to `emit` as one entry: their data
  // concatenated, the first one's time. For a consumer that passes only the
  // bytes on as they come (attach): one write per run of lines, not per
  // line. (docker logs keeps one frame per entry, as dockerd.) The filters (streams, since, until, tail) still apply per
  // line.
  bool merge_entries = false;
  // Each entry's `data` is the bytes the container wrote (LogEntry::raw
  // where there is one) instead of Docker's json-file text: attach relays
  // output byte for byte, as dockerd's does; docker logs shows the text.
  bool exact_bytes = false;
};

// Reads the shim's log, the rotated files first (LogFilesOldestFirst), calling
// `emit` per entry in order. `tail` counts across the files. Following
// survives rotation: once the file being read has been renamed away and read
// to its end, reading goes on in the new `log_path` (a reader that falls more
// than max-file rotations behind misses the files dropped meanwhile, as with
// Docker).
Status ReadLog(const std::string& log_path, const LogReadOptions& opts,
               const std::function<Status(const LogEntry&)>& emit);

}  // namespace berth
