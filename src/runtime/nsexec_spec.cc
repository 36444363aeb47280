// The pure parts of native exec (see nsexec.h): reading process.json and the
// bundle's seccomp filter, choosing namespaces and cgroups, looking the
// command up. (Compiling the filter: nsexec_seccomp.cc.)

#include <errno.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "base/split_view.h"
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

constexpr std::pair<const char*, int> kJoinable[] = {
    {"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},
    {"net", CLONE_NEWNET},       {"pid", CLONE_NEWPID}, {"mnt", CLONE_NEWNS},
};

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
