// Docker 28.2's default seccomp profile as berth's own table (see
// DefaultSeccompProfile in berth/security.h). The facts (which syscalls, under
// which capability or arch, with which argument values) are Docker's; a
// container gets the same filter under berth as under dockerd.

#include <initializer_list>

#include "berth/security.h"

namespace berth {

namespace {

// Allowed for every container, on every arch (names a kernel or libseccomp
// does not know are skipped by runc).
// clang-format off
constexpr const char* kAlwaysAllowed[] = {
    "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget", "capset", "chdir",
    "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres", "clock_getres_time64",
    "clock_gettime", "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "close", "close_range",
    "connect", "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl",
    "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2",
    "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64",
    "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat",
    "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr",
    "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex",
    "futex_requeue", "futex_time64", "futex_wait", "futex_waitv", "futex_wake", "futimesat", "getcpu", "getcwd",
    "getdents", "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups",
    "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority",
    "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list",
    "getrusage", "getsid", "getsockname", "getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid",
    "getuid32", "getxattr", "getxattrat", "inotify_add_watch", "inotify_init", "inotify_init1",
    "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy", "io_getevents", "io_pgetevents",
    "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup", "io_submit", "ipc", "kill",
    "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32", "lgetxattr",
    "link", "linkat", "listen", "listmount", "listxattr", "listxattrat", "llistxattr", "_llseek",
    "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "map_shadow_stack", "membarrier",
    "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2",
    "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
    "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap", "mseal", "msgctl",
    "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap", "name_to_handle_at", "nanosleep",
    "newfstatat", "_newselect", "open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe",
    "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl", "pread64",
    "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6", "pselect6_time64", "pwrite64", "pwritev",
    "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg",
    "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr", "removexattrat", "rename", "renameat",
    "renameat2", "restart_syscall", "riscv_hwprobe", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
    "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
    "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr", "sched_getparam",
    "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler", "sched_rr_get_interval",
    "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr", "sched_setparam",
    "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl", "semget", "semop", "semtimedop",
    "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid",
    "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer",
    "setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32",
    "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid", "setsockopt", "set_thread_area",
    "set_tid_address", "setuid", "setuid32", "setxattr", "setxattrat", "shmat", "shmctl", "shmdt", "shmget",
    "shutdown", "sigaltstack", "signalfd", "signalfd4", "sigprocmask", "sigreturn", "socketcall", "socketpair",
    "splice", "stat", "stat64", "statfs", "statfs64", "statmount", "statx", "symlink", "symlinkat", "sync",
    "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete",
    "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64",
    "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times",
    "tkill", "truncate", "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "uretprobe",
    "utime", "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid",
    "write", "writev",
};
// clang-format on

// Allowed only with CAP_SYS_ADMIN: mounting, namespaces, the host's names,
// kernel tracing and quota interfaces.
constexpr const char* kSysAdminOnly[] = {
    "bpf",
    "clone",
    "clone3",
    "fanotify_init",
    "fsconfig",
    "fsmount",
    "fsopen",
    "fspick",
    "lookup_dcookie",
    "lsm_get_self_attr",
    "lsm_list_modules",
    "lsm_set_self_attr",
    "mount",
    "mount_setattr",
    "move_mount",
    "open_tree",
    "perf_event_open",
    "quotactl",
    "quotactl_fd",
    "setdomainname",
    "sethostname",
    "setns",
    "syslog",
    "umount",
    "umount2",
    "unshare",
};

// Namespace flags clone may not be given without CAP_SYS_ADMIN:
// CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER
// | CLONE_NEWPID | CLONE_NEWNET.
constexpr uint64_t kCloneNamespaceFlags =
    0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;
constexpr uint64_t kAfVsock = 40;
constexpr uint32_t kEnosys = 38;
constexpr uint32_t kEperm = 1;

SeccompProfileRule Allow(std::initializer_list<const char*> names) {
  SeccompProfileRule r;
  for (const char* n : names) r.rule.names.emplace_back(n);
  r.rule.action = "SCMP_ACT_ALLOW";
  return r;
}

template <size_t N>
SeccompProfileRule Allow(const char* const (&names)[N]) {
  SeccompProfileRule r;
  for (const char* n : names) r.rule.names.emplace_back(n);
  r.rule.action = "SCMP_ACT_ALLOW";
  return r;
}

// An argument comparison; SCMP_CMP_MASKED_EQ compares (arg & value) with 0.
SeccompProfileRule WithArg(SeccompProfileRule r, uint32_t index, uint64_t value, const char* op) {
  r.rule.args.push_back(SeccompArg{index, value, 0, op});
  return r;
}

SeccompProfileRule WithCap(SeccompProfileRule r, const char* cap) {
  r.includes.caps.emplace_back(cap);
  return r;
}

SeccompProfileRule OnArches(SeccompProfileRule r, std::initializer_list<const char*> arches) {
  for (const char* a : arches) r.includes.arches.emplace_back(a);
  return r;
}

SeccompProfile BuildDefaultProfile() {
  SeccompProfile p;
  p.default_action = "SCMP_ACT_ERRNO";
  p.default_errno_ret = kEperm;
  p.arch_map = {
      {"SCMP_ARCH_X86_64", {"SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
      {"SCMP_ARCH_AARCH64", {"SCMP_ARCH_ARM"}},
      {"SCMP_ARCH_MIPS64", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"}},
      {"SCMP_ARCH_MIPS64N32", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64"}},
      {"SCMP_ARCH_MIPSEL64", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"}},
      {"SCMP_ARCH_MIPSEL64N32", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64"}},
      {"SCMP_ARCH_S390X", {"SCMP_ARCH_S390"}},
      {"SCMP_ARCH_RISCV64", {}},
  };
  auto& rules = p.rules;
  rules.push_back(Allow(kAlwaysAllowed));
  // Tracing other processes needs a kernel whose ptrace respects seccomp (4.8).
  SeccompProfileRule trace = Allow({"process_vm_readv", "process_vm_writev", "ptrace"});
  trace.includes.min_kernel = std::make_pair(4u, 8u);
  rules.push_back(std::move(trace));
  rules.push_back(WithArg(Allow({"socket"}), 0, kAfVsock, "SCMP_CMP_NE"));
  // personality: only the usual Linux personalities, with or without
  // UNAME26 (0x0020000) / PER_LINUX32 (0x0008), and the query 0xffffffff.
  for (uint64_t persona : {0x0ULL, 0x8ULL, 0x20000ULL, 0x20008ULL, 0xffffffffULL}) {
    rules.push_back(WithArg(Allow({"personality"}), 0, persona, "SCMP_CMP_EQ"));
  }
  rules.push_back(OnArches(Allow({"sync_file_range2", "swapcontext"}), {"ppc64le"}));
  rules.push_back(OnArches(
      Allow({"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush", "set_tls"}),
      {"arm", "arm64"}));
  rules.push_back(OnArches(Allow({"arch_prctl"}), {"amd64", "x32"}));
  rules.push_back(OnArches(Allow({"modify_ldt"}), {"amd64", "x32", "x86"}));
  rules.push_back(
      OnArches(Allow({"s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"}), {"s390", "s390x"}));
  rules.push_back(OnArches(Allow({"riscv_flush_icache"}), {"riscv64"}));
  rules.push_back(WithCap(Allow({"open_by_handle_at"}), "CAP_DAC_READ_SEARCH"));
  rules.push_back(WithCap(Allow(kSysAdminOnly), "CAP_SYS_ADMIN"));
  // Without CAP_SYS_ADMIN, clone only without namespace flags (the flags are
  // the first argument, the second on s390).
  SeccompProfileRule clone = WithArg(Allow({"clone"}), 0, kCloneNamespaceFlags, "SCMP_CMP_MASKED_EQ");
  clone.excludes.caps = {"CAP_SYS_ADMIN"};
  clone.excludes.arches = {"s390", "s390x"};
  rules.push_back(std::move(clone));
  SeccompProfileRule clone_s390 =
      OnArches(WithArg(Allow({"clone"}), 1, kCloneNamespaceFlags, "SCMP_CMP_MASKED_EQ"), {"s390", "s390x"});
  clone_s390.excludes.caps = {"CAP_SYS_ADMIN"};
  rules.push_back(std::move(clone_s390));
  // clone3 passes its flags in memory a filter cannot read: without
  // CAP_SYS_ADMIN it fails with ENOSYS, so C libraries fall back to clone.
  SeccompProfileRule clone3;
  clone3.rule.names = {"clone3"};
  clone3.rule.action = "SCMP_ACT_ERRNO";
  clone3.rule.errno_ret = kEnosys;
  clone3.excludes.caps = {"CAP_SYS_ADMIN"};
  rules.push_back(std::move(clone3));
  rules.push_back(WithCap(Allow({"reboot"}), "CAP_SYS_BOOT"));
  rules.push_back(WithCap(Allow({"chroot"}), "CAP_SYS_CHROOT"));
  rules.push_back(WithCap(Allow({"delete_module", "init_module", "finit_module"}), "CAP_SYS_MODULE"));
  rules.push_back(WithCap(Allow({"acct"}), "CAP_SYS_PACCT"));
  rules.push_back(
      WithCap(Allow({"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"}),
              "CAP_SYS_PTRACE"));
  rules.push_back(WithCap(Allow({"iopl", "ioperm"}), "CAP_SYS_RAWIO"));
  rules.push_back(WithCap(Allow({"settimeofday", "stime", "clock_settime", "clock_settime64"}), "CAP_SYS_TIME"));
  rules.push_back(WithCap(Allow({"vhangup"}), "CAP_SYS_TTY_CONFIG"));
  rules.push_back(
      WithCap(Allow({"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}), "CAP_SYS_NICE"));
  rules.push_back(WithCap(Allow({"syslog"}), "CAP_SYSLOG"));
  rules.push_back(WithCap(Allow({"bpf"}), "CAP_BPF"));
  rules.push_back(WithCap(Allow({"perf_event_open"}), "CAP_PERFMON"));
  return p;
}

}  // namespace

const SeccompProfile& DefaultSeccompProfile() {
  static const SeccompProfile* const profile = new SeccompProfile(BuildDefaultProfile());
  return *profile;
}

}  // namespace berth
