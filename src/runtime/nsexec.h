// Native exec: running a process inside a running container without
// `runc exec` (the helper binary berth-exec, tools/exec/main.cc, is a thin
// front end to RunNativeExec). It does what `runc exec --process P
// --pid-file F ID` does for berth's containers, in this order:
//
//   1. Target: the container's init, found in runc's state.json (pid and
//      start time), pinned with pidfd_open and checked against the start
//      time, so a recycled pid is never joined ("container ID is not
//      running" when it has gone). The namespaces joined are exactly those
//      of cgroup, ipc, uts, net, pid and mnt where /proc/PID/ns/X differs
//      from the helper's own (--pid host, --network host, ... join nothing
//      there). A container in another user or time namespace is refused
//      (berthd uses `runc exec` for it: see NativeExecBlocker).
//   2. Cgroups: the process is in the init's cgroup of every hierarchy
//      /proc/PID/cgroup lists, so it counts against the container's limits
//      from its start: in a v1 hierarchy the helper moves itself (writing
//      "0" to `tasks`, which moves the calling thread, the helper's only
//      one, without the global lock whose RCU wait writing cgroup.procs
//      costs) before joining any namespace; in the v2 hierarchy the child
//      is forked into the cgroup (clone3 CLONE_INTO_CGROUP; where the
//      kernel lacks it, the helper writes itself to cgroup.procs first).
//   3. After setns(pidfd, flags) the helper forks (clone3 without
//      CLONE_VM: the child never signals itself through libc, whose thread
//      id it does not update): the child is in the
//      container's pid namespace. The helper waits for it and exits with its
//      status (128+N when killed by signal N). Once the child has called
//      execve successfully, the helper writes the child's host pid to the
//      pid file (tmp + rename); a process that never started leaves none.
//   4. The child applies process.json (WriteProcessJson's object): session
//      (with "terminal" a pty of the container's devpts as stdio and
//      controlling terminal, which the helper relays to its own stdio, the
//      pty berthd gave it, passing resizes on), the signal mask emptied and
//      every disposition SIG_DFL, rlimits, noNewPrivileges, the
//      CONTAINER's seccomp filter (config.json linux.seccomp; loaded before
//      the privileges drop without noNewPrivileges, last before execve
//      with it), the bounding set, user (setgroups, setresgid, setresuid
//      with keep-caps), cwd, the capability sets, every descriptor but 0-2
//      close-on-exec, then execve with exactly the process's env (plus
//      HOME from the container's /etc/passwd when it has none, as runc).
//      oomScoreAdj is set on the helper before it joins (inherited).
//      The command is looked up in the process env's PATH as runc does;
//      failures exit 127 (not found) or 126 (cannot execute) with Docker's
//      text on stderr.
//   5. The helper is not dumpable from before it joins anything, so no
//      container process can ptrace it or open its /proc/PID/exe.
//
// The pure parts (parsing, selection, compiling the filter) are exposed for
// unit tests. Thread-safety: RunNativeExec forks and changes the calling
// process's namespaces: call it only from the single-threaded helper.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/runtime.h"
#include "berth/security.h"
#include "berth/status.h"

namespace berth {
namespace runtime_internal {

// The OCI process object of process.json, as the helper applies it.
struct ExecProcess {
  std::vector<std::string> args;  // non-empty
  std::vector<std::string> env;   // "K=V", the process's whole environment
  std::string cwd = "/";
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> additional_gids;
  // Capability sets as bit masks (bit N: capability N).
  uint64_t bounding = 0, effective = 0, permitted = 0, inheritable = 0, ambient = 0;
  bool no_new_privileges = false;
  bool terminal = false;
  std::vector<Rlimit> rlimits;
  std::optional<int> oom_score_adj;
};

// Parses process.json. A missing args list, a wrong type or an unknown
// rlimit name is InvalidArgument; unknown capability names are ignored (as
// runc does).
Result<ExecProcess> ParseExecProcess(std::string_view json_text);

// The RLIMIT_* number of an OCI rlimit type ("RLIMIT_NOFILE"); -1 unknown.
int RlimitResource(std::string_view type);

// The seccomp filter of a bundle's config.json (linux.seccomp); nullopt when
// it has none (a privileged or unconfined container).
Result<std::optional<SeccompFilter>> BundleSeccomp(std::string_view config_json);

// Why berth-exec cannot run a process in the container of `config_json`
// (its config.json) and `runc exec` must: a user or time namespace, an
// AppArmor profile while AppArmor is enabled, an SELinux label. Empty: it
// can. Unreadable JSON is a reason too.
std::string NativeExecBlocker(std::string_view config_json, bool apparmor_enabled);

// A compiled seccomp filter: the classic BPF program libseccomp makes of an
// OCI filter, and the seccomp(2) flags it asks for.
struct SeccompProgram {
  std::vector<sock_filter> instructions;
  unsigned int flags = 0;  // SECCOMP_FILTER_FLAG_*
};
// Compiles `f` as runc does: the default action, every architecture named,
// rules per syscall (unknown syscall names skipped, rules whose action is
// the default skipped, args on one index each ANDed, several on the same
// index one rule each), no no-new-privileges bit of its own, and (unless
// the default action allows) runc's ENOSYS prologue in front: a syscall number
// above every one the filter names for its arch fails with ENOSYS. An
// unknown action, op, arch or flag is InvalidArgument.
Result<SeccompProgram> CompileSeccomp(const SeccompFilter& f);
// The compiled filter as berth-exec keeps it beside config.json
// (<bundle>/seccomp.bpf), so that only the first exec of a container pays
// for compiling: `key` names the config.json it was compiled from (its
// inode, size and modification time); `program` nullopt records "no filter".
std::string EncodeSeccompCache(const std::string& key, const std::optional<SeccompProgram>& program);
// Decodes a cache entry for `key`; nullopt when it is for another key or
// malformed (then the filter is compiled again).
std::optional<std::optional<SeccompProgram>> DecodeSeccompCache(std::string_view data, const std::string& key);

// Loads `p` into the calling thread (seccomp(SECCOMP_SET_MODE_FILTER)).
// Needs CAP_SYS_ADMIN or no_new_privs set. Async-signal-safe.
Status LoadSeccomp(const SeccompProgram& p);

// The namespaces whose /proc/<pid>/ns/<name> inode differs between `own` and
// `target` (name -> inode), as CLONE_NEW* flags, among cgroup, ipc, uts,
// net, pid and mnt. A name missing from either side is not joined.
int NamespaceFlagsToJoin(const std::map<std::string, uint64_t>& own, const std::map<std::string, uint64_t>& target);
// The inodes of /proc/<pid>/ns/* for the names cgroup, ipc, uts, net, pid,
// mnt, user and time ("self" for pid 0); a name the kernel lacks is left out.
Result<std::map<std::string, uint64_t>> NamespaceInodes(int pid);

// A cgroup directory (under its hierarchy's mount) and whether it is of
// cgroup v2.
struct CgroupDir {
  std::string path;
  bool v2 = false;
  bool operator==(const CgroupDir&) const = default;
};
// The directories of the cgroups `proc_cgroup` (a /proc/PID/cgroup text)
// names, found through `mountinfo` (/proc/self/mountinfo): for each
// "N:controllers:/path" line the cgroup (v1, the mount whose super options
// hold every controller, or name=X) or cgroup2 ("0::") mount, plus the
// path below its root. A hierarchy with no mount is skipped (an empty v2
// mount that is absent, a named hierarchy nobody mounted).
std::vector<CgroupDir> CgroupDirs(std::string_view proc_cgroup, std::string_view mountinfo);

// Looks `file` up as runc does (Go's exec.LookPath with the process env's
// PATH; an empty PATH entry is the cwd): with a '/', that path itself. The
// error text is runc's ("exec: \"X\": executable file not found in $PATH",
// "exec: \"/x\": stat /x: no such file or directory",
// "exec: \"/etc\": is a directory", "...: permission denied"), NotFound or
// PermissionDenied.
Result<std::string> LookPath(const std::string& file, const std::vector<std::string>& env);

// The exit code Docker gives a process that could not be started for
// `reason`: 127 when not found, else 126.
int StartFailureCode(std::string_view reason);

// A pseudo-terminal of the container's devpts (its /dev/ptmx, opened once
// the helper is in its mount namespace, and only if that is the pty
// multiplexer 5:2): the master for the helper, the terminal side for the
// process. Its size is that of the helper's stdin's terminal.
struct ContainerPty {
  int master = -1;
  int terminal = -1;
};
Result<ContainerPty> OpenContainerPty();
// Copies between the helper's terminal (stdin/stdout, berthd's pty) and the
// container's pty `master` until the process (`child_pidfd` readable) has
// exited and its output is drained; passes a resize of the helper's
// terminal (SIGWINCH, read from the signalfd `winch_fd`) on. The master does
// not block: input the process does not read yet waits without stopping its
// output.
void RelayTerminal(int master, int child_pidfd, int winch_fd);

// Where berth-exec finds what it runs.
struct NativeExecArgs {
  std::string id;          // the container (for messages)
  std::string runc_state;  // runc's <root>/<id>/state.json
  std::string bundle;      // the bundle directory (config.json)
  std::string process;     // process.json
  std::string pid_file;
};
// Runs the process and returns the helper's exit code (the process's; 126
// or 127 with a message on stderr when it could not be started; 126 when
// the container is not running).
int RunNativeExec(const NativeExecArgs& args);

}  // namespace runtime_internal
}  // namespace berth
