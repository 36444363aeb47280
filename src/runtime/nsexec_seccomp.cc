// berth-exec's seccomp filter (see nsexec.h): an OCI linux.seccomp object
// compiled with libseccomp as runc compiles it (with runc's ENOSYS prologue in
// front), the compiled program's cache format, and loading it.

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/nsexec.h"

namespace berth {
namespace runtime_internal {

namespace {

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

// x32 system calls come as AUDIT_ARCH_X86_64 with this bit in their number.
constexpr uint32_t kX32SyscallBit = 0x40000000;

// runc's ENOSYS prologue, put before libseccomp's program: a system call whose
// number is above every one the filter names for its architecture (one newer
// than the profile) fails with ENOSYS, which libc's fallbacks expect, rather
// than the default action's errno. `max_by_arch` is libseccomp's arch token
// (the audit arch but for x32) -> the highest number named (x32's with the
// x32 bit). Jumps go to the instruction after the prologue, "main".
std::vector<sock_filter> EnosysPrologue(const std::map<uint32_t, uint32_t>& max_by_arch) {
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

}  // namespace

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
    std::vector<sock_filter> prologue = EnosysPrologue(max_by_arch);
    program.instructions.insert(program.instructions.begin(), prologue.begin(), prologue.end());
  }
  if (program.instructions.size() > BPF_MAXINSNS) return InvalidArgument("seccomp: the filter is too long");
  return program;
}

namespace {
constexpr char kSeccompCacheMagic[] = "berth-seccomp-bpf 2\n";  // 2: with the ENOSYS prologue
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

}  // namespace runtime_internal
}  // namespace berth
