#include "api/create_fields.h"

#include <map>

namespace berth::api {

namespace json = boost::json;

namespace {

// Objects whose keys are the data (a port, a path, a sysctl): set when they
// have any member. Other objects are structs: set when any member is.
bool IsMap(std::string_view name) {
  return name == "ExposedPorts" || name == "Volumes" || name == "Tmpfs" || name == "Sysctls" || name == "StorageOpt" ||
         name == "PortBindings" || name == "Labels" || name == "DriverOpts" || name == "Annotations";
}

bool Unset(std::string_view name, const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return true;
    case json::kind::bool_: return !v.get_bool();
    case json::kind::int64: return v.get_int64() == 0;
    case json::kind::uint64: return v.get_uint64() == 0;
    case json::kind::double_: return v.get_double() == 0;
    case json::kind::string: return v.get_string().empty();
    case json::kind::array:
      for (const json::value& e : v.get_array()) {
        if (!Unset("", e)) return false;
      }
      return true;
    case json::kind::object:
      if (IsMap(name)) return v.get_object().empty();
      for (const auto& [k, e] : v.get_object()) {
        if (!Unset(k, e)) return false;
      }
      return true;
  }
  return false;
}

// Values clients send for "not asked for" that are not zero.
bool DefaultValue(std::string_view name, const json::value& v) {
  if (name == "RestartPolicy" && v.is_object()) {
    const json::object& o = v.get_object();
    for (const auto& [k, e] : o) {
      if (k == "Name" && e.is_string() && e.get_string() == "no") continue;
      if (!Unset(k, e)) return false;
    }
    return true;
  }
  return false;
}

// The docker CLI's flag for a field, to make the refusal actionable.
std::string_view FlagOf(std::string_view name) {
  static const std::map<std::string_view, std::string_view> kFlags = {
      {"AttachStdin", "-a stdin / -i"},
      {"CapAdd", "--cap-add"},
      {"CapDrop", "--cap-drop"},
      {"CgroupParent", "--cgroup-parent"},
      {"CgroupnsMode", "--cgroupns"},
      {"ConsoleSize", "-t"},
      {"CpuPeriod", "--cpu-period"},
      {"CpuQuota", "--cpu-quota"},
      {"CpuShares", "--cpu-shares"},
      {"CpusetCpus", "--cpuset-cpus"},
      {"CpusetMems", "--cpuset-mems"},
      {"DeviceCgroupRules", "--device-cgroup-rule"},
      {"DeviceRequests", "--gpus"},
      {"Devices", "--device"},
      {"Dns", "--dns"},
      {"DnsOptions", "--dns-option"},
      {"DnsSearch", "--dns-search"},
      {"Domainname", "--domainname"},
      {"ExposedPorts", "--expose / -p"},
      {"ExtraHosts", "--add-host"},
      {"GroupAdd", "--group-add"},
      {"Healthcheck", "--health-cmd"},
      {"Init", "--init"},
      {"IpcMode", "--ipc"},
      {"Links", "--link"},
      {"LogConfig", "--log-driver / --log-opt"},
      {"MacAddress", "--mac-address"},
      {"Memory", "--memory"},
      {"MemoryReservation", "--memory-reservation"},
      {"MemorySwap", "--memory-swap"},
      {"MemorySwappiness", "--memory-swappiness"},
      {"NanoCpus", "--cpus"},
      {"NetworkingConfig", "--network / --ip / --network-alias"},
      {"OomKillDisable", "--oom-kill-disable"},
      {"OomScoreAdj", "--oom-score-adj"},
      {"OpenStdin", "-i"},
      {"PidMode", "--pid"},
      {"PidsLimit", "--pids-limit"},
      {"PortBindings", "-p"},
      {"Privileged", "--privileged"},
      {"PublishAllPorts", "-P"},
      {"ReadonlyRootfs", "--read-only"},
      {"RestartPolicy", "--restart"},
      {"Runtime", "--runtime"},
      {"SecurityOpt", "--security-opt"},
      {"ShmSize", "--shm-size"},
      {"StdinOnce", "-i"},
      {"StorageOpt", "--storage-opt"},
      {"Sysctls", "--sysctl"},
      {"Tmpfs", "--tmpfs"},
      {"UTSMode", "--uts"},
      {"Ulimits", "--ulimit"},
      {"UsernsMode", "--userns"},
      {"Volumes", "-v"},
      {"VolumeDriver", "--volume-driver"},
      {"VolumesFrom", "--volumes-from"},
  };
  auto it = kFlags.find(name);
  return it == kFlags.end() ? std::string_view() : it->second;
}

}  // namespace

Status RefuseUnsupportedFields(const json::object& o, const std::set<std::string, std::less<>>& handled,
                               std::string_view where) {
  std::map<std::string_view, const json::value*> sorted;
  for (const auto& [k, v] : o) sorted.emplace(std::string_view(k), &v);
  for (const auto& [name, v] : sorted) {
    if (handled.contains(name)) continue;
    if (name == "MemorySwappiness") {
      // -1 is "not set"; 0 is a setting (no swapping).
      if (v->is_null() || (v->is_int64() && v->get_int64() == -1)) continue;
    } else if (Unset(name, *v) || DefaultValue(name, *v)) {
      continue;
    }
    std::string msg = "berth does not support " + std::string(where) + std::string(name);
    if (std::string_view flag = FlagOf(name); !flag.empty()) msg += " (" + std::string(flag) + ")";
    return InvalidArgument(msg);
  }
  return OkStatus();
}

Status ParseConsoleSize(const json::object& o, int* rows, int* cols) {
  *rows = *cols = 0;
  const json::value* v = o.if_contains("ConsoleSize");
  if (v == nullptr || v->is_null()) return OkStatus();
  const Status bad = InvalidArgument("ConsoleSize must be an array of two integers [height, width]");
  if (!v->is_array() || v->as_array().size() != 2) return bad;
  int* out[2] = {rows, cols};
  for (size_t i = 0; i < 2; ++i) {
    const json::value& e = v->as_array()[i];
    if (!e.is_int64() && !e.is_uint64()) return bad;
    int64_t n = e.to_number<int64_t>();
    if (n < 0 || n > 65535) return bad;
    *out[i] = static_cast<int>(n);
  }
  return OkStatus();
}

}  // namespace berth::api
