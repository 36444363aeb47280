// Capabilities and seccomp profiles (see berth/security.h).

#include "berth/security.h"

#include <sys/utsname.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <fstream>

namespace berth {

namespace json = boost::json;

// ---- capabilities ----

const std::vector<std::string>& DefaultCapabilities() {
  static const std::vector<std::string>* const caps = new std::vector<std::string>{
      "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
      "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
      "CAP_KILL",    "CAP_AUDIT_WRITE",
  };
  return *caps;
}

const std::vector<std::string>& KnownCapabilities() {
  static const std::vector<std::string>* const caps = new std::vector<std::string>{
      "CAP_CHOWN",
      "CAP_DAC_OVERRIDE",
      "CAP_DAC_READ_SEARCH",
      "CAP_FOWNER",  // 0-3
      "CAP_FSETID",
      "CAP_KILL",
      "CAP_SETGID",
      "CAP_SETUID",  // 4-7
      "CAP_SETPCAP",
      "CAP_LINUX_IMMUTABLE",
      "CAP_NET_BIND_SERVICE",
      "CAP_NET_BROADCAST",  // 8-11
      "CAP_NET_ADMIN",
      "CAP_NET_RAW",
      "CAP_IPC_LOCK",
      "CAP_IPC_OWNER",  // 12-15
      "CAP_SYS_MODULE",
      "CAP_SYS_RAWIO",
      "CAP_SYS_CHROOT",
      "CAP_SYS_PTRACE",  // 16-19
      "CAP_SYS_PACCT",
      "CAP_SYS_ADMIN",
      "CAP_SYS_BOOT",
      "CAP_SYS_NICE",  // 20-23
      "CAP_SYS_RESOURCE",
      "CAP_SYS_TIME",
      "CAP_SYS_TTY_CONFIG",
      "CAP_MKNOD",  // 24-27
      "CAP_LEASE",
      "CAP_AUDIT_WRITE",
      "CAP_AUDIT_CONTROL",
      "CAP_SETFCAP",  // 28-31
      "CAP_MAC_OVERRIDE",
      "CAP_MAC_ADMIN",
      "CAP_SYSLOG",
      "CAP_WAKE_ALARM",  // 32-35
      "CAP_BLOCK_SUSPEND",
      "CAP_AUDIT_READ",
      "CAP_PERFMON",
      "CAP_BPF",                 // 36-39
      "CAP_CHECKPOINT_RESTORE",  // 40
  };
  return *caps;
}

namespace {

uint64_t AllKnownMask() { return (uint64_t{1} << KnownCapabilities().size()) - 1; }

int CapabilityNumber(std::string_view name) {
  const auto& known = KnownCapabilities();
  for (size_t i = 0; i < known.size(); ++i) {
    if (known[i] == name) return static_cast<int>(i);
  }
  return -1;
}

// Docker's normal form: upper case, "CAP_" prefixed, "ALL" kept.
Result<std::vector<std::string>> NormalizeCapabilities(const std::vector<std::string>& names, uint64_t available,
                                                       std::string_view field) {
  std::vector<std::string> out;
  for (std::string c : names) {
    for (char& ch : c) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (c != "ALL") {
      if (!c.starts_with("CAP_")) c = "CAP_" + c;
      int number = CapabilityNumber(c);
      if (number < 0) {
        return InvalidArgument("invalid " + std::string(field) + ": unknown capability: \"" + c + "\"");
      }
      if ((available & (uint64_t{1} << number)) == 0) {
        return InvalidArgument("invalid " + std::string(field) +
                               ": capability not supported by your kernel or not available in the current "
                               "environment: \"" +
                               c + "\"");
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

uint64_t AvailableCapabilityMask() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (!line.starts_with("CapEff:")) continue;
    std::string_view hex(line);
    hex.remove_prefix(7);
    while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.front()))) hex.remove_prefix(1);
    uint64_t mask = 0;
    auto [ptr, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), mask, 16);
    if (ec == std::errc()) return mask & AllKnownMask();
  }
  return AllKnownMask();
}

std::vector<std::string> CapabilitiesIn(uint64_t available) {
  std::vector<std::string> caps;
  const auto& known = KnownCapabilities();
  for (size_t i = 0; i < known.size(); ++i) {
    if ((available & (uint64_t{1} << i)) != 0) caps.push_back(known[i]);
  }
  return caps;
}

Result<std::vector<std::string>> ApplyCapabilityChanges(const std::vector<std::string>& add,
                                                        const std::vector<std::string>& drop, uint64_t available) {
  BERTH_ASSIGN_OR_RETURN(auto drops, NormalizeCapabilities(drop, available, "CapDrop"));
  BERTH_ASSIGN_OR_RETURN(auto adds, NormalizeCapabilities(add, available, "CapAdd"));
  std::vector<std::string> caps;
  auto add_once = [&caps](const std::string& c) {
    if (!Contains(caps, c)) caps.push_back(c);
  };
  if (Contains(adds, "ALL")) {
    for (const std::string& c : CapabilitiesIn(available)) {
      if (!Contains(drops, c)) add_once(c);
    }
    return caps;
  }
  if (!Contains(drops, "ALL")) {
    for (const std::string& c : DefaultCapabilities()) {
      if (!Contains(drops, c)) add_once(c);
    }
  }
  for (const std::string& c : adds) add_once(c);
  return caps;
}

// ---- seccomp profiles ----

namespace {

constexpr const char* kActions[] = {"SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
                                    "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE",        "SCMP_ACT_ALLOW",       "SCMP_ACT_LOG"};
constexpr const char* kOps[] = {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",       "SCMP_CMP_EQ",
                                "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"};
constexpr const char* kArches[] = {
    "SCMP_ARCH_X86",         "SCMP_ARCH_X86_64",  "SCMP_ARCH_X32",       "SCMP_ARCH_ARM",     "SCMP_ARCH_AARCH64",
    "SCMP_ARCH_MIPS",        "SCMP_ARCH_MIPS64",  "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64",
    "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",     "SCMP_ARCH_PPC64",     "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390",
    "SCMP_ARCH_S390X",       "SCMP_ARCH_RISCV64",
};
constexpr const char* kFlags[] = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                  "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};

template <size_t N>
bool OneOf(const char* const (&set)[N], std::string_view s) {
  return std::find(std::begin(set), std::end(set), s) != std::end(set);
}

Status ProfileError(std::string_view message) {
  return InvalidArgument("Decoding seccomp profile failed: " + std::string(message));
}

// Each member of `o` must be one of `known` (at `where`).
Status OnlyKnownFields(const json::object& o, std::initializer_list<std::string_view> known, const std::string& where) {
  for (const auto& [k, v] : o) {
    if (std::find(known.begin(), known.end(), std::string_view(k)) == known.end()) {
      return ProfileError("unknown field \"" + std::string(k) + "\" in " + (where.empty() ? "the profile" : where));
    }
  }
  return OkStatus();
}

bool IsAbsent(const json::value* v) { return v == nullptr || v->is_null(); }

// "syscalls[2].args" for a member of an inner object, "defaultAction" at the top.
std::string FieldName(const std::string& where, std::string_view key) {
  return where.empty() ? std::string(key) : where + "." + std::string(key);
}

Result<std::string> StringField(const json::object& o, std::string_view key, const std::string& where) {
  const json::value* v = o.if_contains(key);
  if (IsAbsent(v)) return std::string();
  if (!v->is_string()) return ProfileError(FieldName(where, key) + " must be a string");
  return std::string(v->as_string());
}

Result<std::optional<uint64_t>> UintField(const json::object& o, std::string_view key, const std::string& where,
                                          uint64_t max) {
  const json::value* v = o.if_contains(key);
  if (IsAbsent(v)) return std::optional<uint64_t>();
  uint64_t n = 0;
  if (v->is_uint64()) {
    n = v->as_uint64();
  } else if (v->is_int64() && v->as_int64() >= 0) {
    n = static_cast<uint64_t>(v->as_int64());
  } else {
    return ProfileError(FieldName(where, key) + " must be a non-negative integer");
  }
  if (n > max) return ProfileError(FieldName(where, key) + " is out of range: " + std::to_string(n));
  return std::optional<uint64_t>(n);
}

Result<std::vector<std::string>> StringsField(const json::object& o, std::string_view key, const std::string& where) {
  const json::value* v = o.if_contains(key);
  std::vector<std::string> out;
  if (IsAbsent(v)) return out;
  if (!v->is_array()) return ProfileError(FieldName(where, key) + " must be a list of strings");
  for (const json::value& e : v->as_array()) {
    if (!e.is_string()) return ProfileError(FieldName(where, key) + " must be a list of strings");
    out.emplace_back(e.as_string());
  }
  return out;
}

Result<const json::array*> ArrayField(const json::object& o, std::string_view key, const std::string& where) {
  const json::value* v = o.if_contains(key);
  if (IsAbsent(v)) return static_cast<const json::array*>(nullptr);
  if (!v->is_array()) return ProfileError(FieldName(where, key) + " must be a list");
  return &v->as_array();
}

Result<std::vector<std::string>> ArchesField(const json::object& o, std::string_view key, const std::string& where) {
  BERTH_ASSIGN_OR_RETURN(auto arches, StringsField(o, key, where));
  for (const std::string& a : arches) {
    if (!OneOf(kArches, a)) return ProfileError("unknown architecture \"" + a + "\" in " + FieldName(where, key));
  }
  return arches;
}

// Docker's "<kernel>.<major>", each a number below 256, not "0.0".
Result<std::optional<std::pair<uint32_t, uint32_t>>> KernelField(const json::object& o, const std::string& where) {
  BERTH_ASSIGN_OR_RETURN(std::string text, StringField(o, "minKernel", where));
  if (text.empty()) return std::optional<std::pair<uint32_t, uint32_t>>();
  auto invalid = [&] {
    return ProfileError("invalid kernel version: \"" + text + "\", expected \"<kernel>.<major>\"");
  };
  size_t dot = text.find('.');
  if (dot == std::string::npos || text.find('.', dot + 1) != std::string::npos) return invalid();
  uint32_t parts[2] = {0, 0};
  std::string_view pieces[2] = {std::string_view(text).substr(0, dot), std::string_view(text).substr(dot + 1)};
  for (int i = 0; i < 2; ++i) {
    auto [ptr, ec] = std::from_chars(pieces[i].data(), pieces[i].data() + pieces[i].size(), parts[i]);
    if (pieces[i].empty() || ec != std::errc() || ptr != pieces[i].data() + pieces[i].size() || parts[i] > 255) {
      return invalid();
    }
  }
  if (parts[0] == 0 && parts[1] == 0) return invalid();
  return std::optional<std::pair<uint32_t, uint32_t>>(std::make_pair(parts[0], parts[1]));
}

Result<SeccompCondition> ConditionField(const json::object& o, std::string_view key, const std::string& where) {
  SeccompCondition c;
  const json::value* v = o.if_contains(key);
  if (IsAbsent(v)) return c;
  std::string here = FieldName(where, key);
  if (!v->is_object()) return ProfileError(here + " must be an object");
  const json::object& f = v->as_object();
  BERTH_RETURN_IF_ERROR(OnlyKnownFields(f, {"caps", "arches", "minKernel"}, here));
  BERTH_ASSIGN_OR_RETURN(c.caps, StringsField(f, "caps", here));
  BERTH_ASSIGN_OR_RETURN(c.arches, StringsField(f, "arches", here));
  BERTH_ASSIGN_OR_RETURN(c.min_kernel, KernelField(f, here));
  return c;
}

Status CheckAction(const std::string& action, const std::optional<uint32_t>& errno_ret, const std::string& where) {
  if (action == "SCMP_ACT_NOTIFY") {
    return ProfileError(where + ": SCMP_ACT_NOTIFY is not supported (berth runs no seccomp agent)");
  }
  if (!OneOf(kActions, action)) return ProfileError("unknown action \"" + action + "\" in " + where);
  if (errno_ret && action != "SCMP_ACT_ERRNO" && action != "SCMP_ACT_TRACE") {
    return ProfileError(where + ": errnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not " + action);
  }
  return OkStatus();
}

Result<SeccompProfileRule> ParseRule(const json::value& v, const std::string& where) {
  if (!v.is_object()) return ProfileError(where + " must be an object");
  const json::object& o = v.as_object();
  BERTH_RETURN_IF_ERROR(
      OnlyKnownFields(o, {"names", "name", "action", "errnoRet", "args", "comment", "includes", "excludes"}, where));
  SeccompProfileRule r;
  BERTH_ASSIGN_OR_RETURN(r.rule.names, StringsField(o, "names", where));
  BERTH_ASSIGN_OR_RETURN(std::string name, StringField(o, "name", where));
  if (!name.empty()) {
    if (!r.rule.names.empty()) {
      return ProfileError("both 'name' and 'names' are specified in the seccomp profile, use either 'name' or 'names'");
    }
    r.rule.names.push_back(name);
  }
  BERTH_ASSIGN_OR_RETURN(r.rule.action, StringField(o, "action", where));
  if (r.rule.action.empty()) return ProfileError(where + ": action is missing");
  BERTH_ASSIGN_OR_RETURN(auto errno_ret, UintField(o, "errnoRet", where, UINT32_MAX));
  if (errno_ret) r.rule.errno_ret = static_cast<uint32_t>(*errno_ret);
  BERTH_RETURN_IF_ERROR(CheckAction(r.rule.action, r.rule.errno_ret, where));
  BERTH_ASSIGN_OR_RETURN(const json::array* args, ArrayField(o, "args", where));
  if (args != nullptr) {
    if (args->size() > 6) return ProfileError(where + ": at most 6 args");
    for (size_t i = 0; i < args->size(); ++i) {
      std::string here = where + ".args[" + std::to_string(i) + "]";
      if (!(*args)[i].is_object()) return ProfileError(here + " must be an object");
      const json::object& ao = (*args)[i].as_object();
      BERTH_RETURN_IF_ERROR(OnlyKnownFields(ao, {"index", "value", "valueTwo", "op"}, here));
      SeccompArg a;
      BERTH_ASSIGN_OR_RETURN(auto index, UintField(ao, "index", here, 5));
      BERTH_ASSIGN_OR_RETURN(auto value, UintField(ao, "value", here, UINT64_MAX));
      BERTH_ASSIGN_OR_RETURN(auto value_two, UintField(ao, "valueTwo", here, UINT64_MAX));
      BERTH_ASSIGN_OR_RETURN(a.op, StringField(ao, "op", here));
      if (!OneOf(kOps, a.op)) return ProfileError("unknown operator \"" + a.op + "\" in " + here);
      a.index = static_cast<uint32_t>(index.value_or(0));
      a.value = value.value_or(0);
      a.value_two = value_two.value_or(0);
      r.rule.args.push_back(std::move(a));
    }
  }
  BERTH_ASSIGN_OR_RETURN(r.includes, ConditionField(o, "includes", where));
  BERTH_ASSIGN_OR_RETURN(r.excludes, ConditionField(o, "excludes", where));
  return r;
}

}  // namespace

Result<SeccompProfile> ParseSeccompProfile(std::string_view json_text) {
  if (json_text.size() > kSeccompProfileMaxBytes) {
    return ProfileError("the profile is larger than " + std::to_string(kSeccompProfileMaxBytes) + " bytes");
  }
  boost::system::error_code ec;
  json::value v = json::parse(json_text, ec);
  if (ec) return ProfileError("invalid JSON: " + ec.message());
  if (!v.is_object()) return ProfileError("the profile must be a JSON object");
  const json::object& o = v.as_object();
  const std::string top;  // the top level
  BERTH_RETURN_IF_ERROR(OnlyKnownFields(o,
                                        {"defaultAction", "defaultErrnoRet", "architectures", "archMap", "flags",
                                         "syscalls", "listenerPath", "listenerMetadata"},
                                        top));
  SeccompProfile p;
  BERTH_ASSIGN_OR_RETURN(std::string listener, StringField(o, "listenerPath", top));
  BERTH_ASSIGN_OR_RETURN(std::string listener_metadata, StringField(o, "listenerMetadata", top));
  if (!listener.empty() || !listener_metadata.empty()) {
    return ProfileError("listenerPath is not supported (berth runs no seccomp agent)");
  }
  BERTH_ASSIGN_OR_RETURN(p.default_action, StringField(o, "defaultAction", top));
  BERTH_ASSIGN_OR_RETURN(auto default_errno, UintField(o, "defaultErrnoRet", top, UINT32_MAX));
  if (default_errno) p.default_errno_ret = static_cast<uint32_t>(*default_errno);
  BERTH_ASSIGN_OR_RETURN(p.architectures, ArchesField(o, "architectures", top));
  BERTH_ASSIGN_OR_RETURN(const json::array* arch_map, ArrayField(o, "archMap", top));
  if (arch_map != nullptr) {
    for (size_t i = 0; i < arch_map->size(); ++i) {
      std::string here = "archMap[" + std::to_string(i) + "]";
      if (!(*arch_map)[i].is_object()) return ProfileError(here + " must be an object");
      const json::object& ao = (*arch_map)[i].as_object();
      BERTH_RETURN_IF_ERROR(OnlyKnownFields(ao, {"architecture", "subArchitectures"}, here));
      SeccompArchMapEntry entry;
      BERTH_ASSIGN_OR_RETURN(entry.architecture, StringField(ao, "architecture", here));
      if (!OneOf(kArches, entry.architecture)) {
        return ProfileError("unknown architecture \"" + entry.architecture + "\" in " + here);
      }
      BERTH_ASSIGN_OR_RETURN(entry.sub_architectures, ArchesField(ao, "subArchitectures", here));
      p.arch_map.push_back(std::move(entry));
    }
  }
  if (!p.architectures.empty() && !p.arch_map.empty()) {
    return ProfileError(
        "both 'architectures' and 'archMap' are specified in the seccomp profile, use either 'architectures' or "
        "'archMap'");
  }
  BERTH_ASSIGN_OR_RETURN(p.flags, StringsField(o, "flags", top));
  for (const std::string& f : p.flags) {
    if (!OneOf(kFlags, f)) return ProfileError("unknown flag \"" + f + "\"");
  }
  BERTH_ASSIGN_OR_RETURN(const json::array* syscalls, ArrayField(o, "syscalls", top));
  if (syscalls != nullptr) {
    for (size_t i = 0; i < syscalls->size(); ++i) {
      BERTH_ASSIGN_OR_RETURN(auto rule, ParseRule((*syscalls)[i], "syscalls[" + std::to_string(i) + "]"));
      p.rules.push_back(std::move(rule));
    }
  }
  if (p.default_action.empty()) {
    if (!p.rules.empty()) return ProfileError("defaultAction is missing");
  } else {
    BERTH_RETURN_IF_ERROR(CheckAction(p.default_action, p.default_errno_ret, "defaultAction"));
  }
  return p;
}

SeccompHost CurrentSeccompHost() {
  SeccompHost host;
  struct utsname u {};
  if (::uname(&u) != 0) return host;
  std::string_view machine(u.machine);
  if (machine == "x86_64") {
    host.arch = "amd64";
  } else if (machine == "aarch64") {
    host.arch = "arm64";
  } else if (machine == "i386" || machine == "i686") {
    host.arch = "x86";
  } else if (machine.starts_with("arm")) {
    host.arch = "arm";
  } else {
    host.arch = std::string(machine);  // s390x, ppc64le, riscv64: the same names
  }
  std::string_view release(u.release);
  auto parse = [&release](uint32_t* out) {
    auto [ptr, ec] = std::from_chars(release.data(), release.data() + release.size(), *out);
    release.remove_prefix(static_cast<size_t>(ptr - release.data()));
    if (!release.empty() && release.front() == '.') release.remove_prefix(1);
  };
  parse(&host.kernel_major);
  parse(&host.kernel_minor);
  return host;
}

namespace {

// libseccomp's name of Docker's native arch.
std::string_view NativeSeccompArch(std::string_view arch) {
  static const std::pair<std::string_view, std::string_view> kNames[] = {
      {"x86", "SCMP_ARCH_X86"},           {"amd64", "SCMP_ARCH_X86_64"},
      {"arm", "SCMP_ARCH_ARM"},           {"arm64", "SCMP_ARCH_AARCH64"},
      {"mips64", "SCMP_ARCH_MIPS64"},     {"mips64n32", "SCMP_ARCH_MIPS64N32"},
      {"mipsel64", "SCMP_ARCH_MIPSEL64"}, {"mips3l64n32", "SCMP_ARCH_MIPSEL64N32"},
      {"mipsle", "SCMP_ARCH_MIPSEL"},     {"ppc", "SCMP_ARCH_PPC"},
      {"ppc64", "SCMP_ARCH_PPC64"},       {"ppc64le", "SCMP_ARCH_PPC64LE"},
      {"riscv64", "SCMP_ARCH_RISCV64"},   {"s390", "SCMP_ARCH_S390"},
      {"s390x", "SCMP_ARCH_S390X"},
  };
  for (const auto& [docker, scmp] : kNames) {
    if (docker == arch) return scmp;
  }
  return {};
}

bool KernelAtLeast(const SeccompHost& host, const std::pair<uint32_t, uint32_t>& v) {
  return std::make_pair(host.kernel_major, host.kernel_minor) >= v;
}

bool Included(const SeccompProfileRule& r, const std::vector<std::string>& caps, const SeccompHost& host) {
  const SeccompCondition& ex = r.excludes;
  if (Contains(ex.arches, host.arch)) return false;
  for (const std::string& c : ex.caps) {
    if (Contains(caps, c)) return false;
  }
  if (ex.min_kernel && KernelAtLeast(host, *ex.min_kernel)) return false;
  const SeccompCondition& in = r.includes;
  if (!in.arches.empty() && !Contains(in.arches, host.arch)) return false;
  for (const std::string& c : in.caps) {
    if (!Contains(caps, c)) return false;
  }
  if (in.min_kernel && !KernelAtLeast(host, *in.min_kernel)) return false;
  return true;
}

}  // namespace

std::optional<SeccompFilter> ResolveSeccompProfile(const SeccompProfile& profile, const std::vector<std::string>& caps,
                                                   const SeccompHost& host) {
  if (profile.default_action.empty() && profile.rules.empty()) return std::nullopt;
  SeccompFilter f;
  f.default_action = profile.default_action;
  f.default_errno_ret = profile.default_errno_ret;
  f.architectures = profile.architectures;
  f.flags = profile.flags;
  std::string_view native = NativeSeccompArch(host.arch);
  for (const SeccompArchMapEntry& entry : profile.arch_map) {
    if (!native.empty() && entry.architecture == native) {
      f.architectures.push_back(entry.architecture);
      for (const std::string& sub : entry.sub_architectures) f.architectures.push_back(sub);
      break;
    }
  }
  for (const SeccompProfileRule& r : profile.rules) {
    if (Included(r, caps, host)) f.syscalls.push_back(r.rule);
  }
  return f;
}

Result<std::optional<SeccompFilter>> SeccompFilterFor(std::string_view profile, const std::vector<std::string>& caps,
                                                      const SeccompHost& host) {
  if (profile == "unconfined") return std::optional<SeccompFilter>();
  if (profile.empty() || profile == "builtin") return ResolveSeccompProfile(DefaultSeccompProfile(), caps, host);
  BERTH_ASSIGN_OR_RETURN(SeccompProfile parsed, ParseSeccompProfile(profile));
  return ResolveSeccompProfile(parsed, caps, host);
}

}  // namespace berth
