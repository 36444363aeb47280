// A container's resource settings (berth/container_resources.h): their JSON,
// Docker's validation and their place in the OCI spec.
#include "berth/container_resources.h"

#include <sched.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace berth {

namespace json = boost::json;

const std::set<std::string, std::less<>> kResourceFields = {
    "Memory",     "MemoryReservation", "MemorySwap",  "MemorySwappiness", "OomKillDisable",
    "NanoCpus",   "CpuShares",         "CpuPeriod",   "CpuQuota",         "CpusetCpus",
    "CpusetMems", "PidsLimit",         "BlkioWeight", "OomScoreAdj",      "ShmSize",
    "Ulimits",    "Sysctls",           "Devices",     "DeviceCgroupRules"};

const std::set<std::string, std::less<>> kUpdatableResourceFields = {
    "Memory",   "MemoryReservation", "MemorySwap", "NanoCpus",  "CpuShares",  "CpuPeriod",
    "CpuQuota", "CpusetCpus",        "CpusetMems", "PidsLimit", "BlkioWeight"};

namespace {

// Docker's linuxMinMemory: 6 MiB.
constexpr int64_t kMinMemory = 6291456;
constexpr int64_t kDefaultShmSize = 64 * 1024 * 1024;

bool IsNull(const json::value* v) { return v == nullptr || v->is_null(); }

Status TypeError(std::string_view key, std::string_view what) {
  return InvalidArgument("invalid JSON: HostConfig." + std::string(key) + " must be " + std::string(what));
}

Result<std::optional<int64_t>> GetInt(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (IsNull(v)) return std::optional<int64_t>();
  if (v->is_int64()) return std::optional<int64_t>(v->get_int64());
  if (v->is_uint64() && v->get_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    return std::optional<int64_t>(static_cast<int64_t>(v->get_uint64()));
  }
  return TypeError(key, "an integer");
}

Result<std::string> GetString(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (IsNull(v)) return std::string();
  if (!v->is_string()) return TypeError(key, "a string");
  return std::string(v->get_string());
}

Result<std::optional<int64_t>> MemberInt(const json::object& o, std::string_view outer, std::string_view key) {
  auto r = GetInt(o, key);
  if (!r.ok()) return TypeError(std::string(outer) + "." + std::string(key), "an integer");
  return r;
}

// "0-2,4" → {0,1,2,4}; Docker's parsers.ParseUintList.
Result<std::set<int>> ParseUintList(const std::string& s) {
  std::set<int> out;
  if (s.empty()) return out;
  const Status bad = InvalidArgument("invalid format: " + s);
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    std::string part = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    auto number = [&](std::string_view t, int* n) {
      auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), *n);
      return !t.empty() && ec == std::errc() && p == t.data() + t.size() && *n >= 0;
    };
    size_t dash = part.find('-');
    int lo = 0, hi = 0;
    if (dash == std::string::npos) {
      if (!number(part, &lo)) return bad;
      out.insert(lo);
    } else {
      if (!number(std::string_view(part).substr(0, dash), &lo) ||
          !number(std::string_view(part).substr(dash + 1), &hi) || hi < lo || hi - lo > 65536) {
        return bad;
      }
      for (int i = lo; i <= hi; ++i) out.insert(i);
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// units.ParseUlimit's names.
const std::set<std::string, std::less<>> kUlimitNames = {
    "as",   "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue",
    "nice", "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack"};

// The sysctls with an IPC namespace of their own (runc's list).
bool IpcSysctl(const std::string& s) {
  static const std::set<std::string, std::less<>> kIpc = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                                          "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                                          "kernel.shmmni", "kernel.shm_rmid_forced"};
  return kIpc.contains(s) || s.starts_with("fs.mqueue.");
}

Status CheckSysctls(const std::map<std::string, std::string>& sysctls, const std::string& network_mode) {
  for (const auto& [name, value] : sysctls) {
    if (IpcSysctl(name)) continue;
    if (name.starts_with("net.")) {
      if (network_mode == "host") {
        return InvalidArgument("sysctl \"" + name + "\" is not allowed in the hosts network namespace");
      }
      continue;
    }
    if (name == "kernel.domainname") continue;
    if (name == "kernel.hostname") {
      return InvalidArgument(
          "sysctl \"kernel.hostname\" is not allowed as it conflicts with the OCI \"hostname\" field");
    }
    return InvalidArgument("sysctl \"" + name + "\" is not in a separate kernel namespace");
  }
  return OkStatus();
}

Status CheckUlimits(const std::vector<UlimitSetting>& ulimits) {
  std::set<std::string> seen;
  for (const UlimitSetting& u : ulimits) {
    if (!kUlimitNames.contains(u.name)) return InvalidArgument("invalid ulimit type: " + u.name);
    if (!seen.insert(u.name).second) return InvalidArgument("ulimit \"" + u.name + "\" is given more than once");
    if (u.soft < -1 || u.hard < -1) return InvalidArgument("invalid ulimit value for " + u.name);
    // -1 is unlimited: larger than any soft limit.
    if (u.hard != -1 && (u.soft == -1 || u.soft > u.hard)) {
      return InvalidArgument("ulimit soft limit must be less than or equal to hard limit: " + std::to_string(u.soft) +
                             " > " + std::to_string(u.hard));
    }
  }
  return OkStatus();
}

// Docker's DevicesFromPath: the device at `host` (a symbolic link is
// followed), or every device under a directory.
Status DevicesFromPath(const DeviceMapping& m, std::vector<DeviceNode>* out) {
  auto fail = [&](const std::string& why) {
    return InvalidArgument("error gathering device information while adding custom device \"" + m.path_on_host +
                           "\": " + why);
  };
  std::string resolved = m.path_on_host;
  struct stat st {};
  if (::lstat(resolved.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    std::error_code ec;
    auto canonical = std::filesystem::canonical(resolved, ec);
    if (!ec) resolved = canonical.string();
  }
  if (::stat(resolved.c_str(), &st) != 0) {
    // Go's text of the errno: lower case.
    std::string why = std::strerror(errno);
    if (!why.empty()) why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
    return fail(why);
  }
  auto node = [&](const struct stat& s, const std::string& in_container) {
    DeviceNode d;
    d.path = in_container;
    d.type = S_ISCHR(s.st_mode) ? "c" : "b";
    d.major = static_cast<int64_t>(major(s.st_rdev));
    d.minor = static_cast<int64_t>(minor(s.st_rdev));
    d.file_mode = s.st_mode & 07777;
    d.uid = s.st_uid;
    d.gid = s.st_gid;
    d.access = m.cgroup_permissions;
    return d;
  };
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    out->push_back(node(st, m.path_in_container));
    return OkStatus();
  }
  if (!S_ISDIR(st.st_mode)) return fail("not a device node");
  std::error_code ec;
  std::vector<std::pair<std::string, struct stat>> found;
  for (auto it = std::filesystem::recursive_directory_iterator(resolved, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    struct stat es {};
    if (::lstat(it->path().c_str(), &es) != 0) continue;
    if (!S_ISCHR(es.st_mode) && !S_ISBLK(es.st_mode)) continue;
    found.emplace_back(it->path().string(), es);
  }
  if (ec) return fail(ec.message());
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [path, es] : found) {
    out->push_back(node(es, m.path_in_container + path.substr(resolved.size())));
  }
  return OkStatus();
}

Status CheckDevices(std::vector<DeviceMapping>* devices) {
  for (DeviceMapping& d : *devices) {
    if (d.path_on_host.empty()) return InvalidArgument("invalid device: HostConfig.Devices needs a PathOnHost");
    if (d.path_in_container.empty()) d.path_in_container = d.path_on_host;
    if (d.cgroup_permissions.empty()) d.cgroup_permissions = "rwm";
    if (d.path_in_container[0] != '/') return InvalidArgument(d.path_in_container + " is not an absolute path");
    if (d.cgroup_permissions.size() > 3 || d.cgroup_permissions.find_first_not_of("rwm") != std::string::npos) {
      return InvalidArgument("bad mode specified: " + d.cgroup_permissions);
    }
    std::vector<DeviceNode> nodes;
    BERTH_RETURN_IF_ERROR(DevicesFromPath(d, &nodes));
  }
  return OkStatus();
}

}  // namespace

Result<ContainerResources> ParseResourceFields(const json::object& o, std::set<std::string>* given) {
  ContainerResources r;
  if (given != nullptr) {
    given->clear();
    for (const auto& [k, v] : o) {
      if (kResourceFields.contains(std::string_view(k)) && !v.is_null()) given->insert(std::string(k));
    }
  }
  struct IntField {
    const char* key;
    int64_t* out;
  };
  for (const IntField& f :
       {IntField{"Memory", &r.memory}, IntField{"MemoryReservation", &r.memory_reservation},
        IntField{"MemorySwap", &r.memory_swap}, IntField{"NanoCpus", &r.nano_cpus},
        IntField{"CpuShares", &r.cpu_shares}, IntField{"CpuPeriod", &r.cpu_period}, IntField{"CpuQuota", &r.cpu_quota},
        IntField{"BlkioWeight", &r.blkio_weight}, IntField{"ShmSize", &r.shm_size}}) {
    BERTH_ASSIGN_OR_RETURN(auto v, GetInt(o, f.key));
    if (v) *f.out = *v;
  }
  BERTH_ASSIGN_OR_RETURN(r.memory_swappiness, GetInt(o, "MemorySwappiness"));
  BERTH_ASSIGN_OR_RETURN(r.pids_limit, GetInt(o, "PidsLimit"));
  BERTH_ASSIGN_OR_RETURN(auto oom_score_adj, GetInt(o, "OomScoreAdj"));
  if (oom_score_adj) {
    if (*oom_score_adj < INT_MIN || *oom_score_adj > INT_MAX) {
      return InvalidArgument("Invalid value " + std::to_string(*oom_score_adj) +
                             ", range for oom score adj is [-1000, 1000]");
    }
    r.oom_score_adj = static_cast<int>(*oom_score_adj);
  }
  if (const json::value* v = o.if_contains("OomKillDisable"); !IsNull(v)) {
    if (!v->is_bool()) return TypeError("OomKillDisable", "a boolean");
    r.oom_kill_disable = v->get_bool();
  }
  BERTH_ASSIGN_OR_RETURN(r.cpuset_cpus, GetString(o, "CpusetCpus"));
  BERTH_ASSIGN_OR_RETURN(r.cpuset_mems, GetString(o, "CpusetMems"));
  if (const json::value* v = o.if_contains("Ulimits"); !IsNull(v)) {
    if (!v->is_array()) return TypeError("Ulimits", "an array");
    for (const json::value& e : v->get_array()) {
      if (!e.is_object()) return TypeError("Ulimits", "an array of objects");
      const json::object& u = e.get_object();
      UlimitSetting s;
      BERTH_ASSIGN_OR_RETURN(s.name, GetString(u, "Name"));
      BERTH_ASSIGN_OR_RETURN(auto soft, MemberInt(u, "Ulimits", "Soft"));
      BERTH_ASSIGN_OR_RETURN(auto hard, MemberInt(u, "Ulimits", "Hard"));
      s.soft = soft.value_or(0);
      s.hard = hard.value_or(0);
      r.ulimits.push_back(std::move(s));
    }
  }
  if (const json::value* v = o.if_contains("Sysctls"); !IsNull(v)) {
    if (!v->is_object()) return TypeError("Sysctls", "an object");
    for (const auto& [k, val] : v->get_object()) {
      if (!val.is_string()) return TypeError("Sysctls", "an object of strings");
      r.sysctls[std::string(k)] = std::string(val.get_string());
    }
  }
  if (const json::value* v = o.if_contains("Devices"); !IsNull(v)) {
    if (!v->is_array()) return TypeError("Devices", "an array");
    for (const json::value& e : v->get_array()) {
      if (!e.is_object()) return TypeError("Devices", "an array of objects");
      const json::object& d = e.get_object();
      DeviceMapping m;
      BERTH_ASSIGN_OR_RETURN(m.path_on_host, GetString(d, "PathOnHost"));
      BERTH_ASSIGN_OR_RETURN(m.path_in_container, GetString(d, "PathInContainer"));
      BERTH_ASSIGN_OR_RETURN(m.cgroup_permissions, GetString(d, "CgroupPermissions"));
      r.devices.push_back(std::move(m));
    }
  }
  if (const json::value* v = o.if_contains("DeviceCgroupRules"); !IsNull(v)) {
    if (!v->is_array()) return TypeError("DeviceCgroupRules", "an array");
    for (const json::value& e : v->get_array()) {
      if (!e.is_string()) return TypeError("DeviceCgroupRules", "an array of strings");
      std::string rule(e.get_string());
      BERTH_RETURN_IF_ERROR(ParseDeviceCgroupRule(rule).status());
      r.device_cgroup_rules.push_back(std::move(rule));
    }
  }
  return r;
}

Result<DeviceCgroupRule> ParseDeviceCgroupRule(std::string_view rule) {
  const Status bad = InvalidArgument("invalid device cgroup rule format: '" + std::string(rule) + "'");
  // ^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$
  auto number = [](std::string_view s, int64_t* out) {
    if (s == "*") {
      *out = -1;
      return true;
    }
    if (s.empty() || s.size() > 18) return false;
    int64_t v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    *out = v;
    return true;
  };
  if (rule.size() < 7 || (rule[0] != 'a' && rule[0] != 'b' && rule[0] != 'c') || rule[1] != ' ') return bad;
  const size_t space = rule.find(' ', 2);
  if (space == std::string_view::npos) return bad;
  const std::string_view numbers = rule.substr(2, space - 2);
  const std::string_view access = rule.substr(space + 1);
  const size_t colon = numbers.find(':');
  DeviceCgroupRule out;
  out.type = std::string(1, rule[0]);
  if (colon == std::string_view::npos || !number(numbers.substr(0, colon), &out.major) ||
      !number(numbers.substr(colon + 1), &out.minor)) {
    return bad;
  }
  if (access.empty() || access.size() > 3) return bad;
  for (char c : access) {
    if (c != 'r' && c != 'w' && c != 'm') return bad;
  }
  out.access = std::string(access);
  return out;
}

json::object ResourceFieldsJson(const ContainerResources& r) {
  json::object o;
  o["Memory"] = r.memory;
  o["MemoryReservation"] = r.memory_reservation;
  o["MemorySwap"] = r.memory_swap;
  o["MemorySwappiness"] = r.memory_swappiness ? json::value(*r.memory_swappiness) : json::value(nullptr);
  o["OomKillDisable"] = r.oom_kill_disable.value_or(false);
  o["NanoCpus"] = r.nano_cpus;
  o["CpuShares"] = r.cpu_shares;
  o["CpuPeriod"] = r.cpu_period;
  o["CpuQuota"] = r.cpu_quota;
  o["CpusetCpus"] = r.cpuset_cpus;
  o["CpusetMems"] = r.cpuset_mems;
  o["PidsLimit"] = r.pids_limit ? json::value(*r.pids_limit) : json::value(nullptr);
  o["BlkioWeight"] = r.blkio_weight;
  o["OomScoreAdj"] = r.oom_score_adj;
  o["ShmSize"] = r.shm_size == 0 ? kDefaultShmSize : r.shm_size;
  json::array ulimits;
  for (const UlimitSetting& u : r.ulimits) {
    ulimits.emplace_back(json::object{{"Name", u.name}, {"Hard", u.hard}, {"Soft", u.soft}});
  }
  o["Ulimits"] = std::move(ulimits);
  json::array devices;
  for (const DeviceMapping& d : r.devices) {
    devices.emplace_back(json::object{{"PathOnHost", d.path_on_host},
                                      {"PathInContainer", d.path_in_container},
                                      {"CgroupPermissions", d.cgroup_permissions}});
  }
  o["Devices"] = std::move(devices);
  if (r.device_cgroup_rules.empty()) {
    o["DeviceCgroupRules"] = nullptr;
  } else {
    json::array rules;
    for (const std::string& rule : r.device_cgroup_rules) rules.emplace_back(rule);
    o["DeviceCgroupRules"] = std::move(rules);
  }
  if (!r.sysctls.empty()) {
    json::object sysctls;
    for (const auto& [k, v] : r.sysctls) sysctls[k] = v;
    o["Sysctls"] = std::move(sysctls);
  }
  return o;
}

HostResources ProbeHostResources() {
  HostResources h;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof(set), &set) == 0) {
    h.num_cpus = CPU_COUNT(&set);
  } else {
    long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    h.num_cpus = n > 0 ? static_cast<int>(n) : 1;
  }
  const std::string root = "/sys/fs/cgroup";
  if (Exists(root + "/cgroup.controllers")) {
    // cgroup v2: the controllers of the root.
    std::string controllers = " " + ReadFirstLine(root + "/cgroup.controllers") + " ";
    auto has = [&](const char* c) { return controllers.find(" " + std::string(c) + " ") != std::string::npos; };
    h.memory_limit = has("memory");
    h.swap_limit = Exists(root + "/memory.swap.max") || h.memory_limit;
    h.memory_swappiness = false;
    h.oom_kill_disable = false;
    h.cpu_cfs = h.cpu_shares = has("cpu");
    h.cpuset = has("cpuset");
    h.pids_limit = has("pids");
    h.blkio_weight = has("io") && Exists(root + "/io.weight");
    h.cpus = ReadFirstLine(root + "/cpuset.cpus.effective");
    h.mems = ReadFirstLine(root + "/cpuset.mems.effective");
  } else {
    h.memory_limit = Exists(root + "/memory/memory.limit_in_bytes");
    h.swap_limit = Exists(root + "/memory/memory.memsw.limit_in_bytes");
    h.memory_swappiness = Exists(root + "/memory/memory.swappiness");
    h.oom_kill_disable = Exists(root + "/memory/memory.oom_control");
    h.cpu_cfs = Exists(root + "/cpu/cpu.cfs_quota_us");
    h.cpu_shares = Exists(root + "/cpu/cpu.shares");
    h.cpuset = Exists(root + "/cpuset/cpuset.cpus");
    h.pids_limit = Exists(root + "/pids");
    h.blkio_weight = Exists(root + "/blkio/blkio.weight") || Exists(root + "/blkio/blkio.bfq.weight");
    h.cpus = ReadFirstLine(root + "/cpuset/cpuset.cpus");
    h.mems = ReadFirstLine(root + "/cpuset/cpuset.mems");
  }
  if (h.cpus.empty()) h.cpus = h.num_cpus > 1 ? "0-" + std::to_string(h.num_cpus - 1) : "0";
  if (h.mems.empty()) h.mems = "0";
  return h;
}

Status ValidateResources(ContainerResources* r, const HostResources& host, bool update, const std::string& network_mode,
                         std::vector<std::string>* warnings) {
  // Docker's fixMemorySwappiness: -1 is "not set".
  if (r->memory_swappiness && *r->memory_swappiness == -1) r->memory_swappiness.reset();
  if (r->memory != 0 && r->memory < kMinMemory) return InvalidArgument("Minimum memory limit allowed is 6MB");
  if (r->memory > 0 && !host.memory_limit) {
    warnings->push_back(
        "Your kernel does not support memory limit capabilities or the cgroup is not mounted. Limitation discarded.");
    r->memory = 0;
    r->memory_swap = -1;
  }
  if (r->memory > 0 && r->memory_swap != -1 && !host.swap_limit) {
    warnings->push_back(
        "Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without "
        "swap.");
    r->memory_swap = -1;
  }
  if (r->memory > 0 && r->memory_swap > 0 && r->memory_swap < r->memory) {
    return InvalidArgument("Minimum memoryswap limit should be larger than memory limit, see usage");
  }
  if (r->memory == 0 && r->memory_swap > 0 && !update) {
    return InvalidArgument("You should always set the Memory limit when using Memoryswap limit, see usage");
  }
  if (r->memory_swappiness && !host.memory_swappiness) {
    warnings->push_back(
        "Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness "
        "discarded.");
    r->memory_swappiness.reset();
  }
  if (r->memory_swappiness && (*r->memory_swappiness < 0 || *r->memory_swappiness > 100)) {
    return InvalidArgument("Invalid value: " + std::to_string(*r->memory_swappiness) +
                           ", valid memory swappiness range is 0-100");
  }
  if (r->memory_reservation > 0 && r->memory_reservation < kMinMemory) {
    return InvalidArgument("Minimum memory reservation allowed is 6MB");
  }
  if (r->memory > 0 && r->memory_reservation > 0 && r->memory < r->memory_reservation) {
    return InvalidArgument("Minimum memory limit can not be less than memory reservation limit, see usage");
  }
  if (r->oom_kill_disable && !host.oom_kill_disable) {
    if (*r->oom_kill_disable)
      warnings->push_back("Your kernel does not support OomKillDisable. OomKillDisable discarded.");
    r->oom_kill_disable.reset();
  }
  if (r->oom_kill_disable.value_or(false) && r->memory == 0) {
    warnings->push_back(
        "OOM killer is disabled for the container, but no memory limit is set, this can result in the system running "
        "out of resources.");
  }
  if (r->pids_limit && !host.pids_limit) {
    if (*r->pids_limit > 0) {
      warnings->push_back(
          "Your kernel does not support PIDs limit capabilities or the cgroup is not mounted. PIDs limit discarded.");
    }
    r->pids_limit.reset();
  }
  if (r->nano_cpus > 0 && r->cpu_period > 0) {
    return InvalidArgument("Conflicting options: Nano CPUs and CPU Period cannot both be set");
  }
  if (r->nano_cpus > 0 && r->cpu_quota > 0) {
    return InvalidArgument("Conflicting options: Nano CPUs and CPU Quota cannot both be set");
  }
  if (r->nano_cpus > 0 && !host.cpu_cfs) {
    return InvalidArgument(
        "NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the cgroup is not mounted");
  }
  if (r->nano_cpus < 0 || r->nano_cpus > static_cast<int64_t>(host.num_cpus) * 1000000000) {
    const std::string n = std::to_string(host.num_cpus);
    return InvalidArgument("Range of CPUs is from 0.01 to " + n + ".00, as there are only " + n + " CPUs available");
  }
  if (r->cpu_shares > 0 && !host.cpu_shares) {
    warnings->push_back("Your kernel does not support CPU shares or the cgroup is not mounted. Shares discarded.");
    r->cpu_shares = 0;
  }
  if (r->cpu_shares < 0) return InvalidArgument("shares: invalid argument");
  if ((r->cpu_period != 0 || r->cpu_quota != 0) && !host.cpu_cfs) {
    warnings->push_back("Your kernel does not support CPU CFS scheduler. CPU period/quota discarded.");
    r->cpu_period = r->cpu_quota = 0;
  }
  if (r->cpu_period != 0 && (r->cpu_period < 1000 || r->cpu_period > 1000000)) {
    return InvalidArgument("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
  }
  if (r->cpu_quota > 0 && r->cpu_quota < 1000) {
    return InvalidArgument("CPU cfs quota can not be less than 1ms (i.e. 1000)");
  }
  if ((!r->cpuset_cpus.empty() || !r->cpuset_mems.empty()) && !host.cpuset) {
    warnings->push_back("Your kernel does not support cpuset or the cgroup is not mounted. Cpuset discarded.");
    r->cpuset_cpus.clear();
    r->cpuset_mems.clear();
  }
  struct CpusetCheck {
    const std::string* value;
    const std::string* available;
    const char* name;
    const char* missing;
  };
  for (const CpusetCheck& c :
       {CpusetCheck{&r->cpuset_cpus, &host.cpus, "cpuset cpus", "Requested CPUs are not available"},
        CpusetCheck{&r->cpuset_mems, &host.mems, "cpuset mems", "Requested memory nodes are not available"}}) {
    auto wanted = ParseUintList(*c.value);
    if (!wanted.ok()) {
      return InvalidArgument("Invalid value " + *c.value + " for " + c.name + ": " + wanted.status().message());
    }
    auto available = ParseUintList(*c.available);
    for (int n : *wanted) {
      if (!available.ok() || !available->contains(n)) {
        return InvalidArgument(std::string(c.missing) + " - requested " + *c.value + ", available: " + *c.available);
      }
    }
  }
  if (r->blkio_weight > 0 && !host.blkio_weight) {
    warnings->push_back(
        "Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.");
    r->blkio_weight = 0;
  }
  if (r->blkio_weight > 0 && (r->blkio_weight < 10 || r->blkio_weight > 1000)) {
    return InvalidArgument("Range of blkio weight is from 10 to 1000");
  }
  if (update) {
    // The API's rule for an update: 0 and negative values are "unlimited".
    if (r->pids_limit && *r->pids_limit < 0) r->pids_limit = 0;
    return OkStatus();
  }
  if (r->shm_size < 0) return InvalidArgument("SHM size can not be less than 0");
  if (r->oom_score_adj < -1000 || r->oom_score_adj > 1000) {
    return InvalidArgument("Invalid value " + std::to_string(r->oom_score_adj) +
                           ", range for oom score adj is [-1000, 1000]");
  }
  BERTH_RETURN_IF_ERROR(CheckUlimits(r->ulimits));
  BERTH_RETURN_IF_ERROR(CheckSysctls(r->sysctls, network_mode));
  BERTH_RETURN_IF_ERROR(CheckDevices(&r->devices));
  // Docker's defaults at create (the API route and adaptContainerSettings).
  if (r->pids_limit && *r->pids_limit <= 0) r->pids_limit.reset();
  if (r->memory > 0 && r->memory_swap == 0) r->memory_swap = r->memory * 2;
  if (r->shm_size == 0) r->shm_size = kDefaultShmSize;
  if (!r->oom_kill_disable) r->oom_kill_disable = false;
  return OkStatus();
}

Status MergeResourceUpdate(const ContainerResources& u, ContainerResources* current) {
  ContainerResources c = *current;
  if (u.nano_cpus > 0 && c.cpu_period > 0) {
    return Conflict("Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set");
  }
  if (u.nano_cpus > 0 && c.cpu_quota > 0) {
    return Conflict("Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set");
  }
  if (u.cpu_period > 0 && c.nano_cpus > 0) {
    return Conflict("Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set");
  }
  if (u.cpu_quota > 0 && c.nano_cpus > 0) {
    return Conflict("Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set");
  }
  if (u.blkio_weight != 0) c.blkio_weight = u.blkio_weight;
  if (u.cpu_shares != 0) c.cpu_shares = u.cpu_shares;
  if (u.nano_cpus != 0) c.nano_cpus = u.nano_cpus;
  if (u.cpu_period != 0) c.cpu_period = u.cpu_period;
  if (u.cpu_quota != 0) c.cpu_quota = u.cpu_quota;
  if (!u.cpuset_cpus.empty()) c.cpuset_cpus = u.cpuset_cpus;
  if (!u.cpuset_mems.empty()) c.cpuset_mems = u.cpuset_mems;
  if (u.memory != 0) {
    if (u.memory > c.memory_swap && u.memory_swap == 0) {
      return Conflict(
          "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time");
    }
    c.memory = u.memory;
  }
  if (u.memory_swap != 0) c.memory_swap = u.memory_swap;
  if (u.memory_reservation != 0) c.memory_reservation = u.memory_reservation;
  if (u.pids_limit) c.pids_limit = u.pids_limit;
  *current = std::move(c);
  return OkStatus();
}

LinuxResourceLimits LinuxLimitsOf(const ContainerResources& r) {
  LinuxResourceLimits l;
  if (r.memory > 0) l.memory_limit = r.memory;
  if (r.memory_reservation > 0) l.memory_reservation = r.memory_reservation;
  if (r.memory_swap > 0) l.memory_swap = r.memory_swap;
  if (r.memory_swappiness) l.memory_swappiness = static_cast<uint64_t>(*r.memory_swappiness);
  l.disable_oom_killer = r.oom_kill_disable.value_or(false);
  if (r.cpu_shares > 0) l.cpu_shares = static_cast<uint64_t>(r.cpu_shares);
  l.cpuset_cpus = r.cpuset_cpus;
  l.cpuset_mems = r.cpuset_mems;
  if (r.nano_cpus > 0) {
    // Docker's: a period of 100 ms and the quota of that many CPUs in it.
    constexpr int64_t kPeriod = 100000;
    l.cpu_period = kPeriod;
    l.cpu_quota = r.nano_cpus * kPeriod / 1000000000;
  }
  if (r.cpu_period != 0) l.cpu_period = static_cast<uint64_t>(r.cpu_period);
  if (r.cpu_quota != 0) l.cpu_quota = r.cpu_quota;
  if (r.pids_limit) l.pids_limit = *r.pids_limit <= 0 ? -1 : *r.pids_limit;
  if (r.blkio_weight > 0) l.blkio_weight = static_cast<uint16_t>(r.blkio_weight);
  return l;
}

void ApplyResourcesToProcess(const ContainerResources& r, ProcessSpec* p) {
  p->rlimits.clear();
  for (const UlimitSetting& u : r.ulimits) {
    std::string type = "RLIMIT_";
    for (char ch : u.name) type += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    auto value = [](int64_t v) { return v < 0 ? UINT64_MAX : static_cast<uint64_t>(v); };
    p->rlimits.push_back(Rlimit{type, value(u.soft), value(u.hard)});
  }
  if (r.oom_score_adj != 0) p->oom_score_adj = r.oom_score_adj;
}

Status ApplyResourcesToSpec(const ContainerResources& r, ProcessSpec* p) {
  p->resources = LinuxLimitsOf(r);
  ApplyResourcesToProcess(r, p);
  p->sysctls = r.sysctls;
  p->shm_size_bytes = r.shm_size > 0 ? r.shm_size : kDefaultShmSize;
  p->devices.clear();
  for (const DeviceMapping& d : r.devices) BERTH_RETURN_IF_ERROR(DevicesFromPath(d, &p->devices));
  p->device_rules.clear();
  for (const std::string& rule : r.device_cgroup_rules) {
    BERTH_ASSIGN_OR_RETURN(DeviceCgroupRule parsed, ParseDeviceCgroupRule(rule));
    p->device_rules.push_back(std::move(parsed));
  }
  return OkStatus();
}

}  // namespace berth
