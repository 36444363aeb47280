// The pure parts of native exec (see nsexec.h): reading process.json and the
// bundle's seccomp filter, compiling the filter, choosing namespaces and
// cgroups, looking the command up.

#include <errno.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/audit.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "runtime/nsexec.h"

namespace berth {
namespace runtime_internal {

namespace {

namespace json = boost::json;

const json::value* Field(const json::object& o, std::string_view name) { return o.if_contains(name); }

Result<std::vector<std::string>> StringList(const json::object& o, std::string_view name) {
  std::vector<std::string> out;
  const json::value* v = Field(o, name);
  if (v == nullptr || v->is_null()) return out;
  if (!v->is_array()) return InvalidArgument("process." + std::string(name) + " must be a list");
  for (const json::value& item : v->get_array()) {
    if (!item.is_string()) return InvalidArgument("process." + std::string(name) + " must hold strings");
    out.emplace_back(item.get_string().data(), item.get_string().size());
  }
  return out;
}

Result<uint64_t> Unsigned(const json::value& v, std::string_view what) {
  if (v.is_uint64()) return v.get_uint64();
  if (v.is_int64() && v.get_int64() >= 0) return static_cast<uint64_t>(v.get_int64());
  return InvalidArgument(std::string(what) + " must be a non-negative integer");
}

Result<uint64_t> CapabilityMask(const json::object& caps, std::string_view set) {
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, StringList(caps, set));
  const std::vector<std::string>& known = KnownCapabilities();
  uint64_t mask = 0;
  for (const std::string& name : names) {
    for (size_t i = 0; i < known.size() && i < 64; ++i) {
      if (known[i] == name) mask |= uint64_t{1} << i;
    }
  }
  return mask;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Result<uint32_t> SeccompAction(const std::string& action, std::optional<uint32_t> errno_ret) {
  if (action == "SCMP_ACT_KILL" || action == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  if (action == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (action == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (action == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (action == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (action == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(errno_ret.value_or(EPERM));
  if (action == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(errno_ret.value_or(EPERM));
  return InvalidArgument("seccomp: unknown action " + action);
}

Result<scmp_compare> SeccompOp(const std::string& op) {
  if (op == "SCMP_CMP_NE") return SCMP_CMP_NE;
  if (op == "SCMP_CMP_LT") return SCMP_CMP_LT;
  if (op == "SCMP_CMP_LE") return SCMP_CMP_LE;
  if (op == "SCMP_CMP_EQ") return SCMP_CMP_EQ;
  if (op == "SCMP_CMP_GE") return SCMP_CMP_GE;
  if (op == "SCMP_CMP_GT") return SCMP_CMP_GT;
  if (op == "SCMP_CMP_MASKED_EQ") return SCMP_CMP_MASKED_EQ;
  return InvalidArgument("seccomp: unknown op " + op);
}

struct SeccompCtxDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};

constexpr std::pair<const char*, int> kJoinable[] = {
    {"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},
    {"net", CLONE_NEWNET},       {"pid", CLONE_NEWPID}, {"mnt", CLONE_NEWNS},
};

std::vector<std::string_view> SplitView(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

bool IsOctal(char c) { return c >= '0' && c <= '7'; }

// Undoes mountinfo's octal escapes (\040 for a space, ...).
std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && IsOctal(s[i + 1]) && IsOctal(s[i + 2]) && IsOctal(s[i + 3])) {
      out.push_back(static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

struct CgroupMount {
  bool v2 = false;
  std::string root;        // the mount's root within the hierarchy
  std::string mountpoint;  // where it is mounted
  std::vector<std::string_view> super_options;
};

std::vector<CgroupMount> CgroupMounts(std::string_view mountinfo) {
  std::vector<CgroupMount> mounts;
  for (std::string_view line : SplitView(mountinfo, '\n')) {
    size_t dash = line.find(" - ");
    if (dash == std::string_view::npos) continue;
    std::vector<std::string_view> head = SplitView(line.substr(0, dash), ' ');
    std::vector<std::string_view> tail = SplitView(line.substr(dash + 3), ' ');
    if (head.size() < 5 || tail.size() < 3) continue;
    CgroupMount m;
    if (tail[0] == "cgroup2") {
      m.v2 = true;
    } else if (tail[0] != "cgroup") {
      continue;
    }
    m.root = Unescape(head[3]);
    m.mountpoint = Unescape(head[4]);
    m.super_options = SplitView(tail[2], ',');
    mounts.push_back(std::move(m));
  }
  return mounts;
}

bool HasOption(const CgroupMount& m, std::string_view option) {
  for (std::string_view o : m.super_options) {
    if (o == option) return true;
  }
  return false;
}

// Go's findExecutable: 0 when `path` is a file with an exec bit, else an
// error text.
std::string FindExecutable(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    std::string text = std::strerror(errno);  // Go's errno texts start in lower case
    if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z') text[0] = static_cast<char>(text[0] - 'A' + 'a');
    return "stat " + path + ": " + text;
  }
  if (S_ISDIR(st.st_mode)) return "is a directory";
  if ((st.st_mode & 0111) != 0) return "";
  return "permission denied";
}

}  // namespace

int RlimitResource(std::string_view type) {
  static constexpr std::pair<const char*, int> kNames[] = {
      {"RLIMIT_CPU", RLIMIT_CPU},           {"RLIMIT_FSIZE", RLIMIT_FSIZE},
      {"RLIMIT_DATA", RLIMIT_DATA},         {"RLIMIT_STACK", RLIMIT_STACK},
      {"RLIMIT_CORE", RLIMIT_CORE},         {"RLIMIT_RSS", RLIMIT_RSS},
      {"RLIMIT_NPROC", RLIMIT_NPROC},       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
      {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},   {"RLIMIT_AS", RLIMIT_AS},
      {"RLIMIT_LOCKS", RLIMIT_LOCKS},       {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
      {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
      {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},     {"RLIMIT_RTTIME", RLIMIT_RTTIME},
  };
  for (const auto& [name, resource] : kNames) {
    if (type == name) return resource;
  }
  return -1;
}

Result<ExecProcess> ParseExecProcess(std::string_view json_text) {
  boost::system::error_code ec;
  json::value v = json::parse(json_text, ec);
  if (ec || !v.is_object()) return InvalidArgument("process.json is not a JSON object");
  const json::object& o = v.get_object();
  ExecProcess p;
  BERTH_ASSIGN_OR_RETURN(p.args, StringList(o, "args"));
  if (p.args.empty()) return InvalidArgument("process.args must not be empty");
  BERTH_ASSIGN_OR_RETURN(p.env, StringList(o, "env"));
  if (const json::value* cwd = Field(o, "cwd"); cwd != nullptr) {
    if (!cwd->is_string()) return InvalidArgument("process.cwd must be a string");
    p.cwd.assign(cwd->get_string().data(), cwd->get_string().size());
  }
  if (const json::value* user = Field(o, "user"); user != nullptr) {
    if (!user->is_object()) return InvalidArgument("process.user must be an object");
    const json::object& u = user->get_object();
    if (const json::value* uid = Field(u, "uid")) {
      BERTH_ASSIGN_OR_RETURN(uint64_t n, Unsigned(*uid, "process.user.uid"));
      p.uid = static_cast<uint32_t>(n);
    }
    if (const json::value* gid = Field(u, "gid")) {
      BERTH_ASSIGN_OR_RETURN(uint64_t n, Unsigned(*gid, "process.user.gid"));
      p.gid = static_cast<uint32_t>(n);
    }
    if (const json::value* gids = Field(u, "additionalGids"); gids != nullptr && !gids->is_null()) {
      if (!gids->is_array()) return InvalidArgument("process.user.additionalGids must be a list");
      for (const json::value& g : gids->get_array()) {
        BERTH_ASSIGN_OR_RETURN(uint64_t n, Unsigned(g, "process.user.additionalGids"));
        p.additional_gids.push_back(static_cast<uint32_t>(n));
      }
    }
  }
  if (const json::value* caps = Field(o, "capabilities"); caps != nullptr && !caps->is_null()) {
    if (!caps->is_object()) return InvalidArgument("process.capabilities must be an object");
    const json::object& c = caps->get_object();
    BERTH_ASSIGN_OR_RETURN(p.bounding, CapabilityMask(c, "bounding"));
    BERTH_ASSIGN_OR_RETURN(p.effective, CapabilityMask(c, "effective"));
    BERTH_ASSIGN_OR_RETURN(p.permitted, CapabilityMask(c, "permitted"));
    BERTH_ASSIGN_OR_RETURN(p.inheritable, CapabilityMask(c, "inheritable"));
    BERTH_ASSIGN_OR_RETURN(p.ambient, CapabilityMask(c, "ambient"));
  }
  if (const json::value* nnp = Field(o, "noNewPrivileges"); nnp != nullptr) {
    if (!nnp->is_bool()) return InvalidArgument("process.noNewPrivileges must be a boolean");
    p.no_new_privileges = nnp->get_bool();
  }
  if (const json::value* t = Field(o, "terminal"); t != nullptr) {
    if (!t->is_bool()) return InvalidArgument("process.terminal must be a boolean");
    p.terminal = t->get_bool();
  }
  if (const json::value* rl = Field(o, "rlimits"); rl != nullptr && !rl->is_null()) {
    if (!rl->is_array()) return InvalidArgument("process.rlimits must be a list");
    for (const json::value& item : rl->get_array()) {
      if (!item.is_object()) return InvalidArgument("process.rlimits must hold objects");
      const json::object& r = item.get_object();
      const json::value* type = Field(r, "type");
      const json::value* soft = Field(r, "soft");
      const json::value* hard = Field(r, "hard");
      if (type == nullptr || !type->is_string() || soft == nullptr || hard == nullptr) {
        return InvalidArgument("process.rlimits entries need type, soft and hard");
      }
      Rlimit limit;
      limit.type.assign(type->get_string().data(), type->get_string().size());
      if (RlimitResource(limit.type) < 0) return InvalidArgument("unknown rlimit " + limit.type);
      BERTH_ASSIGN_OR_RETURN(limit.soft, Unsigned(*soft, "rlimit soft"));
      BERTH_ASSIGN_OR_RETURN(limit.hard, Unsigned(*hard, "rlimit hard"));
      p.rlimits.push_back(std::move(limit));
    }
  }
  if (const json::value* oom = Field(o, "oomScoreAdj"); oom != nullptr && !oom->is_null()) {
    if (!oom->is_int64() || oom->get_int64() < -1000 || oom->get_int64() > 1000) {
      return InvalidArgument("process.oomScoreAdj must be an integer in [-1000, 1000]");
    }
    p.oom_score_adj = static_cast<int>(oom->get_int64());
  }
  return p;
}

Result<std::optional<SeccompFilter>> BundleSeccomp(std::string_view config_json) {
  boost::system::error_code ec;
  json::value v = json::parse(config_json, ec);
  if (ec || !v.is_object()) return InvalidArgument("config.json is not a JSON object");
  const json::value* linux_ = Field(v.get_object(), "linux");
  if (linux_ == nullptr || !linux_->is_object()) return std::optional<SeccompFilter>();
  const json::value* seccomp = Field(linux_->get_object(), "seccomp");
  if (seccomp == nullptr || seccomp->is_null()) return std::optional<SeccompFilter>();
  // The OCI object is a subset of Docker's profile format without conditions.
  BERTH_ASSIGN_OR_RETURN(SeccompProfile profile, ParseSeccompProfile(json::serialize(*seccomp)));
  return ResolveSeccompProfile(profile, {}, CurrentSeccompHost());
}

std::string NativeExecBlocker(std::string_view config_json, bool apparmor_enabled) {
  boost::system::error_code ec;
  json::value v = json::parse(config_json, ec);
  if (ec || !v.is_object()) return "config.json is not readable JSON";
  const json::object& root = v.get_object();
  if (const json::value* process = Field(root, "process"); process != nullptr && process->is_object()) {
    const json::object& p = process->get_object();
    const json::value* apparmor = Field(p, "apparmorProfile");
    if (apparmor_enabled && apparmor != nullptr && apparmor->is_string() && !apparmor->get_string().empty()) {
      return "an AppArmor profile";
    }
    const json::value* selinux = Field(p, "selinuxLabel");
    if (selinux != nullptr && selinux->is_string() && !selinux->get_string().empty()) return "an SELinux label";
  }
  if (const json::value* linux_ = Field(root, "linux"); linux_ != nullptr && linux_->is_object()) {
    const json::object& l = linux_->get_object();
    const json::value* label = Field(l, "mountLabel");
    if (label != nullptr && label->is_string() && !label->get_string().empty()) return "an SELinux mount label";
    if (const json::value* nss = Field(l, "namespaces"); nss != nullptr && nss->is_array()) {
      for (const json::value& ns : nss->get_array()) {
        if (!ns.is_object()) continue;
        const json::value* type = Field(ns.get_object(), "type");
        if (type == nullptr || !type->is_string()) continue;
        if (type->get_string() == "user") return "a user namespace";
        if (type->get_string() == "time") return "a time namespace";
      }
    }
  }
  return "";
}

// x32 system calls come as AUDIT_ARCH_X86_64 with this bit in their number.
constexpr uint32_t kX32SyscallBit = 0x40000000;

// runc's ENOSYS stub, put before libseccomp's program: a system call whose
// number is above every one the filter names for its architecture (one newer
// than the profile) fails with ENOSYS, which libc's fallbacks expect, rather
// than the default action's errno. `max_by_arch` is libseccomp's arch token
// (the audit arch but for x32) -> the highest number named (x32's with the
// x32 bit). Jumps go to the instruction after the stub, "main".
std::vector<sock_filter> EnosysStub(const std::map<uint32_t, uint32_t>& max_by_arch) {
  struct Block {
    uint32_t audit;
    std::optional<uint32_t> max, max_x32;
  };
  std::vector<Block> blocks;
  for (const auto& [arch, max] : max_by_arch) {
    if (arch != SCMP_ARCH_X32) blocks.push_back(Block{arch, max, std::nullopt});
  }
  if (auto x32 = max_by_arch.find(SCMP_ARCH_X32); x32 != max_by_arch.end()) {
    auto it = std::find_if(blocks.begin(), blocks.end(), [](const Block& b) { return b.audit == AUDIT_ARCH_X86_64; });
    if (it == blocks.end()) it = blocks.insert(blocks.end(), Block{AUDIT_ARCH_X86_64, std::nullopt, std::nullopt});
    it->max_x32 = x32->second;
  }
  // Instructions with jumps to ENOSYS or main marked for fixing up at the end.
  enum Target : uint8_t { kNext, kEnosys, kMain };
  struct Insn {
    sock_filter f;
    Target jt = kNext, jf = kNext;
  };
  std::vector<Insn> out;
  auto jump = [](uint16_t code, uint32_t k, Target jt, Target jf) { return Insn{BPF_JUMP(code, k, 0, 0), jt, jf}; };
  out.push_back(Insn{BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4)});  // seccomp_data.arch
  for (const Block& b : blocks) {
    std::vector<Insn> body;
    body.push_back(Insn{BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0)});  // seccomp_data.nr
    Insn native = b.max ? jump(BPF_JMP | BPF_JGT | BPF_K, *b.max, kEnosys, kMain)
                        : Insn{BPF_STMT(BPF_JMP | BPF_JA, 0), kMain, kNext};
    if (b.max_x32) {
      body.push_back(Insn{BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, kX32SyscallBit, 1, 0)});
      body.push_back(native);
      body.push_back(jump(BPF_JMP | BPF_JGT | BPF_K, *b.max_x32, kEnosys, kMain));
    } else {
      body.push_back(native);
    }
    out.push_back(Insn{BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, b.audit, 0, static_cast<uint8_t>(body.size()))});
    out.insert(out.end(), body.begin(), body.end());
  }
  out.push_back(Insn{BPF_STMT(BPF_JMP | BPF_JA, 0), kMain, kNext});  // another arch: main decides
  const size_t enosys = out.size(), main = enosys + 1;
  std::vector<sock_filter> program;
  for (size_t i = 0; i < out.size(); ++i) {
    sock_filter f = out[i].f;
    auto offset = [&](Target t) { return (t == kEnosys ? enosys : main) - i - 1; };
    if (BPF_OP(f.code) == BPF_JA && BPF_CLASS(f.code) == BPF_JMP) {
      if (out[i].jt != kNext) f.k = static_cast<uint32_t>(offset(out[i].jt));
    } else {
      if (out[i].jt != kNext) f.jt = static_cast<uint8_t>(offset(out[i].jt));
      if (out[i].jf != kNext) f.jf = static_cast<uint8_t>(offset(out[i].jf));
    }
    program.push_back(f);
  }
  program.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS));
  return program;
}

Result<SeccompProgram> CompileSeccomp(const SeccompFilter& f) {
  BERTH_ASSIGN_OR_RETURN(uint32_t default_action, SeccompAction(f.default_action, f.default_errno_ret));
  std::unique_ptr<void, SeccompCtxDeleter> ctx(seccomp_init(default_action));
  if (!ctx) return Internal("seccomp: cannot make a filter");
  // Whether no_new_privs is set is process.noNewPrivileges' business alone.
  if (seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0) != 0) return Internal("seccomp: cannot clear the NNP bit");
  SeccompProgram program;
  for (const std::string& arch : f.architectures) {
    std::string_view name(arch);
    if (name.rfind("SCMP_ARCH_", 0) == 0) name.remove_prefix(10);
    uint32_t token = seccomp_arch_resolve_name(Lower(name).c_str());
    if (token == 0) return InvalidArgument("seccomp: unknown architecture " + arch);
    int rc = seccomp_arch_add(ctx.get(), token);
    if (rc != 0 && rc != -EEXIST) return ErrnoStatus("seccomp: add architecture " + arch, -rc);
  }
  for (const std::string& flag : f.flags) {
    if (flag == "SECCOMP_FILTER_FLAG_TSYNC") continue;  // one thread: nothing to sync
    if (flag == "SECCOMP_FILTER_FLAG_LOG") {
      program.flags |= SECCOMP_FILTER_FLAG_LOG;
    } else if (flag == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") {
      program.flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    } else {
      return InvalidArgument("seccomp: unknown flag " + flag);
    }
  }
  // The filter's architectures, and the highest syscall number each names.
  std::map<uint32_t, uint32_t> max_by_arch;
  max_by_arch[seccomp_arch_native()] = 0;
  for (const std::string& arch : f.architectures) {
    std::string_view name(arch);
    if (name.rfind("SCMP_ARCH_", 0) == 0) name.remove_prefix(10);
    max_by_arch[seccomp_arch_resolve_name(Lower(name).c_str())] = 0;
  }
  for (const SeccompRule& rule : f.syscalls) {
    for (const std::string& name : rule.names) {
      for (auto& [arch, max] : max_by_arch) {
        int nr = seccomp_syscall_resolve_name_arch(arch, name.c_str());
        if (nr < 0) continue;  // unknown there, or a pseudo number (multiplexed)
        uint32_t n = static_cast<uint32_t>(nr);
        if (arch == SCMP_ARCH_X32) n |= kX32SyscallBit;
        max = std::max(max, n);
      }
    }
  }
  for (const SeccompRule& rule : f.syscalls) {
    BERTH_ASSIGN_OR_RETURN(uint32_t action, SeccompAction(rule.action, rule.errno_ret));
    std::vector<scmp_arg_cmp> conditions;
    std::map<uint32_t, int> per_index;
    for (const SeccompArg& a : rule.args) {
      if (a.index > 5) return InvalidArgument("seccomp: argument index " + std::to_string(a.index) + " out of range");
      BERTH_ASSIGN_OR_RETURN(scmp_compare op, SeccompOp(a.op));
      conditions.push_back(scmp_arg_cmp{a.index, op, a.value, a.value_two});
      ++per_index[a.index];
    }
    bool same_index_twice = false;
    for (const auto& [index, count] : per_index) same_index_twice |= count > 1;
    if (action == default_action) continue;  // libseccomp refuses it; it changes nothing
    for (const std::string& name : rule.names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) continue;  // a syscall this libseccomp does not know
      int rc = 0;
      if (conditions.empty()) {
        rc = seccomp_rule_add(ctx.get(), action, nr, 0);
      } else if (same_index_twice) {
        // As runc: several conditions on one argument are alternatives.
        for (const scmp_arg_cmp& c : conditions) {
          rc = seccomp_rule_add_array(ctx.get(), action, nr, 1, &c);
          if (rc != 0) break;
        }
      } else {
        rc = seccomp_rule_add_array(ctx.get(), action, nr, static_cast<unsigned>(conditions.size()), conditions.data());
      }
      if (rc != 0) return ErrnoStatus("seccomp: add a rule for " + name, -rc);
    }
  }
  int fd = ::memfd_create("seccomp-bpf", MFD_CLOEXEC);
  if (fd < 0) return ErrnoStatus("memfd_create", errno);
  int rc = seccomp_export_bpf(ctx.get(), fd);
  if (rc != 0) {
    ::close(fd);
    return ErrnoStatus("seccomp: export the filter", -rc);
  }
  off_t size = ::lseek(fd, 0, SEEK_END);
  if (size <= 0 || size % sizeof(sock_filter) != 0) {
    ::close(fd);
    return Internal("seccomp: the exported filter has a bad size");
  }
  program.instructions.resize(static_cast<size_t>(size) / sizeof(sock_filter));
  ssize_t n = ::pread(fd, program.instructions.data(), static_cast<size_t>(size), 0);
  ::close(fd);
  if (n != size) return Internal("seccomp: reading the exported filter failed");
  // A filter that allows by default lets the kernel answer unknown numbers
  // itself (ENOSYS already).
  if (default_action != SCMP_ACT_ALLOW && default_action != SCMP_ACT_LOG) {
    std::vector<sock_filter> stub = EnosysStub(max_by_arch);
    program.instructions.insert(program.instructions.begin(), stub.begin(), stub.end());
  }
  if (program.instructions.size() > BPF_MAXINSNS) return InvalidArgument("seccomp: the filter is too long");
  return program;
}

namespace {
constexpr char kSeccompCacheMagic[] = "berth-seccomp-bpf 2\n";  // 2: with the ENOSYS stub
}  // namespace

std::string EncodeSeccompCache(const std::string& key, const std::optional<SeccompProgram>& program) {
  std::string out = kSeccompCacheMagic;
  out += key + "\n";
  if (!program) return out + "none\n";
  out += std::to_string(program->flags) + " " + std::to_string(program->instructions.size()) + "\n";
  out.append(reinterpret_cast<const char*>(program->instructions.data()),
             program->instructions.size() * sizeof(sock_filter));
  return out;
}

std::optional<std::optional<SeccompProgram>> DecodeSeccompCache(std::string_view data, const std::string& key) {
  const std::string head = std::string(kSeccompCacheMagic) + key + "\n";
  if (data.substr(0, head.size()) != head) return std::nullopt;
  data.remove_prefix(head.size());
  if (data == "none\n") return std::optional<SeccompProgram>();
  size_t eol = data.find('\n');
  if (eol == std::string_view::npos) return std::nullopt;
  unsigned long long flags = 0, count = 0;
  if (std::sscanf(std::string(data.substr(0, eol)).c_str(), "%llu %llu", &flags, &count) != 2) return std::nullopt;
  data.remove_prefix(eol + 1);
  if (count == 0 || count > BPF_MAXINSNS || data.size() != count * sizeof(sock_filter)) return std::nullopt;
  SeccompProgram p;
  p.flags = static_cast<unsigned int>(flags);
  p.instructions.resize(count);
  std::memcpy(p.instructions.data(), data.data(), data.size());
  return std::optional<SeccompProgram>(std::move(p));
}

Status LoadSeccomp(const SeccompProgram& p) {
  sock_fprog prog;
  prog.len = static_cast<unsigned short>(p.instructions.size());
  prog.filter = const_cast<sock_filter*>(p.instructions.data());
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p.flags, &prog) != 0) {
    return ErrnoStatus("load the seccomp filter", errno);
  }
  return OkStatus();
}

int NamespaceFlagsToJoin(const std::map<std::string, uint64_t>& own, const std::map<std::string, uint64_t>& target) {
  int flags = 0;
  for (const auto& [name, flag] : kJoinable) {
    auto a = own.find(name);
    auto b = target.find(name);
    if (a != own.end() && b != target.end() && a->second != b->second) flags |= flag;
  }
  return flags;
}

Result<std::map<std::string, uint64_t>> NamespaceInodes(int pid) {
  const std::string dir = pid == 0 ? std::string("/proc/self/ns/") : "/proc/" + std::to_string(pid) + "/ns/";
  std::map<std::string, uint64_t> inodes;
  for (const char* name : {"cgroup", "ipc", "uts", "net", "pid", "mnt", "user", "time"}) {
    struct stat st;
    if (::stat((dir + name).c_str(), &st) != 0) {
      if (errno == ENOENT && pid != 0 && ::access(dir.c_str(), F_OK) != 0) return ErrnoStatus("stat " + dir, errno);
      continue;
    }
    inodes[name] = st.st_ino;
  }
  return inodes;
}

std::vector<CgroupDir> CgroupDirs(std::string_view proc_cgroup, std::string_view mountinfo) {
  std::vector<CgroupMount> mounts = CgroupMounts(mountinfo);
  std::vector<CgroupDir> dirs;
  for (std::string_view line : SplitView(proc_cgroup, '\n')) {
    size_t first = line.find(':');
    size_t second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    std::string_view controllers = line.substr(first + 1, second - first - 1);
    std::string path(line.substr(second + 1));
    const bool v2 = controllers.empty();
    for (const CgroupMount& m : mounts) {
      if (m.v2 != v2) continue;
      if (!v2) {
        bool all = true;
        for (std::string_view c : SplitView(controllers, ',')) all = all && HasOption(m, c);
        if (!all) continue;
      }
      // The cgroup must lie under the mount's root.
      std::string below;
      if (m.root == "/") {
        below = path;
      } else if (path == m.root || path.rfind(m.root + "/", 0) == 0) {
        below = path.substr(m.root.size());
      } else {
        continue;
      }
      dirs.push_back(CgroupDir{m.mountpoint + (below == "/" ? "" : below), v2});
      break;
    }
  }
  return dirs;
}

Result<std::string> LookPath(const std::string& file, const std::vector<std::string>& env) {
  auto fail = [&](const std::string& why) -> Status {
    std::string msg = "exec: \"" + file + "\": " + why;
    return StartFailureCode(msg) == 127 ? NotFound(msg) : PermissionDenied(msg);
  };
  if (file.find('/') != std::string::npos) {
    std::string err = FindExecutable(file);
    if (err.empty()) return file;
    return fail(err);
  }
  std::string path;
  for (const std::string& kv : env) {
    if (kv.rfind("PATH=", 0) == 0) path = kv.substr(5);
  }
  if (!path.empty()) {
    for (std::string_view dir : SplitView(path, ':')) {
      std::string candidate = (dir.empty() ? std::string(".") : std::string(dir)) + "/" + file;
      if (FindExecutable(candidate).empty()) return candidate;
    }
  }
  return fail("executable file not found in $PATH");
}

int StartFailureCode(std::string_view reason) {
  if (reason.find("executable file not found") != std::string_view::npos ||
      reason.find("no such file or directory") != std::string_view::npos) {
    return 127;
  }
  return 126;
}

}  // namespace runtime_internal
}  // namespace berth
