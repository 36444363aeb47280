#include "api/namespace_fields.h"

#include <algorithm>
#include <cctype>

namespace berth::api {

namespace json = boost::json;

const std::set<std::string, std::less<>> kNamespaceHostConfigFields = {"PidMode",      "IpcMode",   "UTSMode",
                                                                       "CgroupnsMode", "Isolation", "Runtime"};

namespace {

Result<std::string> StringField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return std::string();
  if (!v->is_string()) return InvalidArgument("invalid JSON: " + std::string(key) + " must be a string");
  return std::string(v->as_string());
}

// "container:NAME" with a non-empty NAME.
bool IsContainerMode(std::string_view mode) { return mode.starts_with("container:") && mode.size() > 10; }

bool ValidPidMode(std::string_view m) { return m.empty() || m == "host" || IsContainerMode(m); }
bool ValidIpcMode(std::string_view m) {
  return m.empty() || m == "none" || m == "private" || m == "shareable" || m == "host" || IsContainerMode(m);
}
bool ValidUtsMode(std::string_view m) { return m.empty() || m == "host"; }
bool ValidCgroupnsMode(std::string_view m) { return m.empty() || m == "host" || m == "private"; }

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return s;
}

}  // namespace

Status ParseNamespaceFields(const json::object* host_config, ContainerConfig* cfg) {
  if (host_config != nullptr) {
    const json::object& ho = *host_config;
    BERTH_ASSIGN_OR_RETURN(cfg->pid_mode, StringField(ho, "PidMode"));
    BERTH_ASSIGN_OR_RETURN(cfg->ipc_mode, StringField(ho, "IpcMode"));
    BERTH_ASSIGN_OR_RETURN(cfg->uts_mode, StringField(ho, "UTSMode"));
    BERTH_ASSIGN_OR_RETURN(cfg->cgroupns_mode, StringField(ho, "CgroupnsMode"));
    BERTH_ASSIGN_OR_RETURN(cfg->isolation, StringField(ho, "Isolation"));
    BERTH_ASSIGN_OR_RETURN(std::string runtime, StringField(ho, "Runtime"));
    if (!runtime.empty()) cfg->runtime = runtime;
  }
  if (!ValidIpcMode(cfg->ipc_mode)) return InvalidArgument("invalid IPC mode: " + cfg->ipc_mode);
  if (!ValidPidMode(cfg->pid_mode)) return InvalidArgument("invalid PID mode: " + cfg->pid_mode);
  if (!ValidUtsMode(cfg->uts_mode)) return InvalidArgument("invalid UTS mode: " + cfg->uts_mode);
  if (!ValidCgroupnsMode(cfg->cgroupns_mode)) {
    return InvalidArgument("invalid cgroup namespace mode: " + cfg->cgroupns_mode);
  }
  if (std::string iso = Lower(cfg->isolation); !iso.empty() && iso != "default") {
    return InvalidArgument("invalid isolation (" + cfg->isolation + "): linux only supports 'default'");
  }
  if (cfg->runtime != "runc") return InvalidArgument("unknown or invalid runtime name: " + cfg->runtime);
  if (cfg->uts_mode == "host" && !cfg->hostname.empty()) {
    return InvalidArgument("conflicting options: hostname and the UTS mode");
  }
  // The daemon's defaults, stored with the container as Docker stores them.
  if (cfg->ipc_mode.empty()) cfg->ipc_mode = "private";
  if (cfg->cgroupns_mode.empty()) cfg->cgroupns_mode = "host";
  return OkStatus();
}

Status CheckConfigRuntime(const json::object& config) {
  BERTH_ASSIGN_OR_RETURN(std::string runtime, StringField(config, "Runtime"));
  if (!runtime.empty() && runtime != "runc") return InvalidArgument("unknown or invalid runtime name: " + runtime);
  return OkStatus();
}

void AddNamespaceHostConfig(const ContainerConfig& cfg, json::object* hc) {
  json::object& o = *hc;
  o["PidMode"] = cfg.pid_mode;
  o["IpcMode"] = cfg.ipc_mode.empty() ? "private" : cfg.ipc_mode;
  o["UTSMode"] = cfg.uts_mode;
  o["CgroupnsMode"] = cfg.cgroupns_mode.empty() ? "host" : cfg.cgroupns_mode;
  o["Isolation"] = cfg.isolation;
  o["Runtime"] = cfg.runtime;
}

}  // namespace berth::api
