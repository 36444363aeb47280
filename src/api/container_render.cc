// Container JSON shapes and the create body parser (see container_render.h).

#include "api/container_render.h"

#include <algorithm>
#include <cstdio>

#include "api/create_fields.h"
#include "api/field_names.h"
#include "api/host_config_render.h"
#include "api/mount_fields.h"
#include "api/namespace_fields.h"
#include "api/network_fields.h"
#include "api/query.h"
#include "api/render.h"
#include "berth/security.h"
#include "berth/time.h"

namespace berth::api {

namespace json = boost::json;

namespace {

// A JSON value that is absent or null.
bool IsNull(const json::value* v) { return v == nullptr || v->is_null(); }

Result<std::string> GetString(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (IsNull(v)) return std::string();
  if (!v->is_string()) return InvalidArgument("invalid JSON: " + std::string(key) + " must be a string");
  return std::string(v->as_string());
}

Result<bool> GetBool(const json::object& o, std::string_view key, bool def = false) {
  const json::value* v = o.if_contains(key);
  if (IsNull(v)) return def;
  if (!v->is_bool()) return InvalidArgument("invalid JSON: " + std::string(key) + " must be a boolean");
  return v->as_bool();
}

// Docker's StrSlice: an array of strings, or one string.
Result<std::optional<std::vector<std::string>>> GetStrSlice(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (IsNull(v)) return std::optional<std::vector<std::string>>();
  std::vector<std::string> out;
  if (v->is_string()) {
    out.emplace_back(v->as_string());
  } else if (v->is_array()) {
    for (const auto& e : v->as_array()) {
      if (!e.is_string()) return InvalidArgument("invalid JSON: " + std::string(key) + " must hold strings");
      out.emplace_back(e.as_string());
    }
  } else {
    return InvalidArgument("invalid JSON: " + std::string(key) + " must be a list of strings");
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

json::value Strings(const std::vector<std::string>& v, bool null_if_empty) {
  if (v.empty() && null_if_empty) return nullptr;
  json::array a;
  for (const auto& s : v) a.emplace_back(json::string(s));
  return a;
}

// Docker 28 turns "" and "default" into the default network's name at
// create (its container routes), so inspect and the listing show "bridge".
// berth keeps "default" stored: on a daemon without the bridge such a
// container still starts with a loopback-only namespace.
std::string NetworkModeShown(const ContainerConfig& c) {
  return c.network_mode.empty() || c.network_mode == "default" ? std::string("bridge") : c.network_mode;
}

std::string Command(const ContainerInfo& c) {
  std::string out;
  for (size_t i = 0; i < c.path_and_args.size(); i++) {
    if (i) out += ' ';
    out += c.path_and_args[i];
  }
  return out;
}

// Docker's --security-opt forms: "no-new-privileges", "KEY=VALUE" and (old)
// "KEY:VALUE" for no-new-privileges (a boolean) and seccomp ("unconfined",
// "builtin" or a profile's JSON text, which the docker CLI reads from the
// file). Other keys (apparmor, label, ...) are refused.
Status ParseSecurityOpts(ContainerConfig* c) {
  for (const std::string& opt : c->security_opt) {
    if (opt == "no-new-privileges") {
      c->no_new_privileges = true;
      continue;
    }
    size_t sep = opt.find('=');
    if (sep == std::string::npos) sep = opt.find(':');
    if (sep == std::string::npos) return InvalidArgument("invalid --security-opt 1: \"" + opt + "\"");
    std::string key = opt.substr(0, sep), value = opt.substr(sep + 1);
    if (key == "no-new-privileges") {
      if (value == "1" || value == "t" || value == "T" || value == "true" || value == "TRUE" || value == "True") {
        c->no_new_privileges = true;
      } else if (value == "0" || value == "f" || value == "F" || value == "false" || value == "FALSE" ||
                 value == "False") {
        c->no_new_privileges = false;
      } else {
        return InvalidArgument("invalid --security-opt 2: \"" + opt + "\"");
      }
    } else if (key == "seccomp") {
      c->seccomp_profile = value == "builtin" ? std::string() : value;
    } else {
      return InvalidArgument("berth does not support --security-opt \"" + key + "\"");
    }
  }
  return OkStatus();
}

}  // namespace

Result<RestartPolicy> ParseRestartPolicy(const json::value& v) {
  if (!v.is_object()) return InvalidArgument("invalid JSON: HostConfig.RestartPolicy must be an object");
  const json::object& ro = v.as_object();
  RestartPolicy policy;
  BERTH_ASSIGN_OR_RETURN(policy.name, GetString(ro, "Name"));
  if (const json::value* n = ro.if_contains("MaximumRetryCount"); !IsNull(n)) {
    if (!n->is_int64() && !n->is_uint64()) {
      return InvalidArgument("invalid JSON: HostConfig.RestartPolicy.MaximumRetryCount must be an integer");
    }
    policy.maximum_retry_count = static_cast<int>(n->to_number<int64_t>());
  }
  BERTH_RETURN_IF_ERROR(RefuseUnsupportedFields(ro, {"Name", "MaximumRetryCount"}, "HostConfig.RestartPolicy."));
  return policy;
}

Result<ContainerConfig> ParseCreateBody(std::string_view body) {
  bool blank = true;
  for (char ch : body) {
    if (!std::isspace(static_cast<unsigned char>(ch))) blank = false;
  }
  if (blank) return InvalidArgument("config cannot be empty in order to create a container");
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return InvalidArgument("invalid JSON: " + ec.message());
  if (v.is_null()) return InvalidArgument("config cannot be empty in order to create a container");
  if (!v.is_object()) return InvalidArgument("invalid JSON: the body must be an object");
  MatchFieldNames(&v.as_object(), kContainerCreateRequest);
  const json::object& o = v.as_object();
  ContainerConfig c;
  BERTH_ASSIGN_OR_RETURN(c.image, GetString(o, "Image"));
  BERTH_ASSIGN_OR_RETURN(c.cmd, GetStrSlice(o, "Cmd"));
  BERTH_ASSIGN_OR_RETURN(c.entrypoint, GetStrSlice(o, "Entrypoint"));
  BERTH_ASSIGN_OR_RETURN(auto env, GetStrSlice(o, "Env"));
  if (env) c.env = std::move(*env);
  BERTH_ASSIGN_OR_RETURN(c.working_dir, GetString(o, "WorkingDir"));
  BERTH_ASSIGN_OR_RETURN(c.user, GetString(o, "User"));
  BERTH_ASSIGN_OR_RETURN(c.hostname, GetString(o, "Hostname"));
  BERTH_ASSIGN_OR_RETURN(c.tty, GetBool(o, "Tty"));
  BERTH_ASSIGN_OR_RETURN(c.open_stdin, GetBool(o, "OpenStdin"));
  BERTH_ASSIGN_OR_RETURN(c.stdin_once, GetBool(o, "StdinOnce"));
  BERTH_ASSIGN_OR_RETURN(c.attach_stdin, GetBool(o, "AttachStdin"));
  BERTH_ASSIGN_OR_RETURN(c.stop_signal, GetString(o, "StopSignal"));
  if (const json::value* st = o.if_contains("StopTimeout"); !IsNull(st)) {
    if (!st->is_int64() && !st->is_uint64()) return InvalidArgument("invalid JSON: StopTimeout must be an integer");
    c.stop_timeout = static_cast<int>(st->to_number<int64_t>());
  }
  if (const json::value* l = o.if_contains("Labels"); !IsNull(l)) {
    if (!l->is_object()) return InvalidArgument("invalid JSON: Labels must be an object");
    for (const auto& [k, val] : l->as_object()) {
      if (!val.is_string()) return InvalidArgument("invalid JSON: label values must be strings");
      c.labels[std::string(k)] = std::string(val.as_string());
    }
  }
  if (const json::value* h = o.if_contains("Healthcheck"); !IsNull(h)) {
    BERTH_ASSIGN_OR_RETURN(c.healthcheck, ParseHealthConfig(json::serialize(*h)));
  }
  // AttachStdout/AttachStderr only say what a client will attach to;
  // ContainerIDFile is written by the client.
  std::set<std::string, std::less<>> handled = {
      "Image", "Cmd", "Entrypoint", "Env", "WorkingDir", "User", "Hostname", "Tty", "StopSignal", "StopTimeout",
      "Labels", "HostConfig", "AttachStdout", "AttachStderr", "Volumes", "Healthcheck", "OpenStdin", "StdinOnce", "AttachStdin", "Runtime"};
  handled.insert(kNetworkConfigFields.begin(), kNetworkConfigFields.end());
  BERTH_RETURN_IF_ERROR(RefuseUnsupportedFields(o, handled, ""));
  BERTH_RETURN_IF_ERROR(CheckConfigRuntime(o));
  const json::object* host_config = nullptr;
  if (const json::value* h = o.if_contains("HostConfig"); !IsNull(h)) {
    if (!h->is_object()) return InvalidArgument("invalid JSON: HostConfig must be an object");
    const json::object& ho = h->as_object();
    host_config = &ho;
    std::set<std::string, std::less<>> host_handled = {
        "AutoRemove", "NetworkMode", "Binds",      "Mounts",        "Tmpfs", "ContainerIDFile", "ReadonlyRootfs",
        "SecurityOpt", "CapAdd",     "CapDrop", "Privileged", "LogConfig", "RestartPolicy",   "Init",           "GroupAdd", "ConsoleSize",
        "VolumesFrom"};
    host_handled.insert(kNetworkHostConfigFields.begin(), kNetworkHostConfigFields.end());
    host_handled.insert(kResourceFields.begin(), kResourceFields.end());
    host_handled.insert(kNamespaceHostConfigFields.begin(), kNamespaceHostConfigFields.end());
    host_handled.insert("Links");  // ParseNetworkFields
    BERTH_RETURN_IF_ERROR(RefuseUnsupportedFields(ho, host_handled, "HostConfig."));
    BERTH_ASSIGN_OR_RETURN(c.resources, ParseResourceFields(ho));
    BERTH_RETURN_IF_ERROR(ParseConsoleSize(ho, &c.console_rows, &c.console_cols));
    BERTH_ASSIGN_OR_RETURN(c.read_only_rootfs, GetBool(ho, "ReadonlyRootfs"));
    BERTH_ASSIGN_OR_RETURN(auto security_opts, GetStrSlice(ho, "SecurityOpt"));
    if (security_opts) c.security_opt = std::move(*security_opts);
    BERTH_RETURN_IF_ERROR(ParseSecurityOpts(&c));
    BERTH_ASSIGN_OR_RETURN(auto cap_add, GetStrSlice(ho, "CapAdd"));
    BERTH_ASSIGN_OR_RETURN(auto cap_drop, GetStrSlice(ho, "CapDrop"));
    if (cap_add) c.cap_add = std::move(*cap_add);
    if (cap_drop) c.cap_drop = std::move(*cap_drop);
    BERTH_ASSIGN_OR_RETURN(c.privileged, GetBool(ho, "Privileged"));
    // Checked now, so a bad name or profile creates nothing; applied at start.
    BERTH_ASSIGN_OR_RETURN(auto caps, ApplyCapabilityChanges(c.cap_add, c.cap_drop, AvailableCapabilityMask()));
    BERTH_RETURN_IF_ERROR(SeccompFilterFor(c.seccomp_profile, caps, CurrentSeccompHost()).status());
    if (const json::value* lc = ho.if_contains("LogConfig"); !IsNull(lc)) {
      if (!lc->is_object()) return InvalidArgument("invalid JSON: HostConfig.LogConfig must be an object");
      BERTH_ASSIGN_OR_RETURN(c.log_driver, GetString(lc->as_object(), "Type"));
      if (const json::value* lo = lc->as_object().if_contains("Config"); !IsNull(lo)) {
        if (!lo->is_object()) return InvalidArgument("invalid JSON: HostConfig.LogConfig.Config must be an object");
        for (const auto& [k, val] : lo->as_object()) {
          if (!val.is_string()) return InvalidArgument("invalid JSON: log options must be strings");
          c.log_options[std::string(k)] = std::string(val.as_string());
        }
      }
      BERTH_RETURN_IF_ERROR(RefuseUnsupportedFields(lc->as_object(), {"Type", "Config"}, "HostConfig.LogConfig."));
      // The driver is refused here; the options are checked by
      // ContainerService::Create once the daemon's defaults are merged in (a
      // max-file here may go with the daemon's max-size).
      BERTH_RETURN_IF_ERROR(ParseLogConfig(c.log_driver, {}).status());
    }
    BERTH_ASSIGN_OR_RETURN(c.auto_remove, GetBool(ho, "AutoRemove"));
    BERTH_ASSIGN_OR_RETURN(c.init, GetBool(ho, "Init"));
    BERTH_ASSIGN_OR_RETURN(auto group_add, GetStrSlice(ho, "GroupAdd"));
    if (group_add) c.group_add = std::move(*group_add);
    if (const json::value* rp = ho.if_contains("RestartPolicy"); !IsNull(rp)) {
      BERTH_ASSIGN_OR_RETURN(c.restart_policy, ParseRestartPolicy(*rp));
    }
    BERTH_ASSIGN_OR_RETURN(c.network_mode, GetString(ho, "NetworkMode"));
    const std::string& nm = c.network_mode;
    if (nm.starts_with("container:")) {
      if (nm.size() == 10) return InvalidArgument("invalid network mode: " + nm);
    }  // a user network's name is looked up at start, as Docker does
  }
  BERTH_RETURN_IF_ERROR(ParseNamespaceFields(host_config, &c));
  BERTH_RETURN_IF_ERROR(ParseMountFields(o, host_config, &c));
  BERTH_RETURN_IF_ERROR(ParseNetworkFields(o, host_config, c.network_mode, &c.network));
  return c;
}

std::string HumanDuration(int64_t nanos) {
  int64_t seconds = nanos / 1000000000;
  if (seconds < 1) return "Less than a second";
  if (seconds == 1) return "1 second";
  if (seconds < 60) return std::to_string(seconds) + " seconds";
  int64_t minutes = seconds / 60;
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return std::to_string(minutes) + " minutes";
  // Go rounds to the nearest hour here (half away from zero).
  int64_t hours = (nanos + 1800LL * 1000000000) / (3600LL * 1000000000);
  if (hours == 1) return "About an hour";
  if (hours < 48) return std::to_string(hours) + " hours";
  if (hours < 24 * 7 * 2) return std::to_string(hours / 24) + " days";
  if (hours < 24 * 30 * 2) return std::to_string(hours / 24 / 7) + " weeks";
  if (hours < 24 * 365 * 2) return std::to_string(hours / 24 / 30) + " months";
  return std::to_string(seconds / 3600 / 24 / 365) + " years";
}

std::string ContainerStatusText(const ContainerRecord& r, int64_t now) {
  switch (r.state) {
    case ContainerState::kRunning: return "Up " + HumanDuration(now - r.started_unix_nanos);
    case ContainerState::kPaused: return "Up " + HumanDuration(now - r.started_unix_nanos) + " (Paused)";
    case ContainerState::kRestarting:
      return "Restarting (" + std::to_string(r.exit_code) + ") " + HumanDuration(now - r.finished_unix_nanos) + " ago";
    case ContainerState::kDead: return "Dead";
    case ContainerState::kCreated: return "Created";
    case ContainerState::kExited:
      if (r.started_unix_nanos == 0) return "Created";
      if (r.finished_unix_nanos == 0) return "";
      return "Exited (" + std::to_string(r.exit_code) + ") " + HumanDuration(now - r.finished_unix_nanos) + " ago";
  }
  return "";
}

std::string ContainerTime(int64_t unix_nanos) {
  if (unix_nanos == 0) return "0001-01-01T00:00:00Z";
  return FormatRfc3339Nanos(unix_nanos);
}

std::map<std::string, std::string> MergedLabels(const ContainerInfo& c) {
  std::map<std::string, std::string> m = c.image_labels;
  for (const auto& [k, v] : c.config.labels) m[k] = v;
  return m;
}

json::object ContainerSummaryValue(const ContainerInfo& c, const std::string& image_shown,
                                   const std::optional<Descriptor>& manifest, std::string_view version,
                                   int64_t now) {
  const ContainerRecord& r = c.record;
  json::object o;
  o["Id"] = r.id;
  json::array names{json::string("/" + r.name)};
  for (const auto& link_name : c.link_names) names.push_back(json::string(link_name));  // legacy links
  o["Names"] = std::move(names);
  o["Image"] = image_shown;
  o["ImageID"] = r.image_id.str();
  if (manifest && CompareVersions(version, "1.48") >= 0) o["ImageManifestDescriptor"] = DescriptorValue(*manifest);
  o["Command"] = Command(c);
  o["Created"] = r.created_unix_nanos / 1000000000;
  o["Ports"] = SummaryPorts(c);
  o["Labels"] = StringMapValue(MergedLabels(c));
  o["State"] = std::string(ContainerStateName(r.state));
  o["Status"] = ContainerStatusText(r, now);
  if (r.state == ContainerState::kRunning && c.health) {
    // Docker's State.String: "Up 5 seconds (healthy)", "(health: starting)".
    o["Status"] = ContainerStatusText(r, now) + " (" +
                  (c.health->status == "starting" ? "health: starting" : c.health->status) + ")";
  }
  o["HostConfig"] = json::object{{"NetworkMode", NetworkModeShown(c.config)}};
  o["NetworkSettings"] = SummaryNetworkSettings(c);
  o["Mounts"] = MountPointsValue(c.config);
  return o;
}

json::object ContainerInspectValue(const ContainerInfo& c, const std::optional<Descriptor>& manifest,
                                   std::string_view version) {
  const ContainerRecord& r = c.record;
  json::object o;
  o["Id"] = r.id;
  o["Created"] = ContainerTime(r.created_unix_nanos);
  o["Path"] = c.path_and_args.empty() ? std::string() : c.path_and_args[0];
  json::array args;
  for (size_t i = 1; i < c.path_and_args.size(); i++) args.emplace_back(json::string(c.path_and_args[i]));
  o["Args"] = std::move(args);
  json::object st;
  st["Status"] = std::string(ContainerStateName(r.state));
  st["Running"] = r.running();
  st["Paused"] = r.state == ContainerState::kPaused;
  st["Restarting"] = r.state == ContainerState::kRestarting;
  st["OOMKilled"] = c.oom_killed;
  st["Dead"] = r.state == ContainerState::kDead;
  st["Pid"] = r.running() ? r.pid : 0;
  st["ExitCode"] = r.exit_code;
  st["Error"] = c.error;
  st["StartedAt"] = ContainerTime(r.started_unix_nanos);
  st["FinishedAt"] = ContainerTime(r.finished_unix_nanos);
  if (c.health) {
    json::array log;
    for (const auto& e : c.health->log) {
      log.push_back(json::object{{"Start", ContainerTime(e.start_unix_nanos)},
                                 {"End", ContainerTime(e.end_unix_nanos)},
                                 {"ExitCode", e.exit_code},
                                 {"Output", e.output}});
    }
    st["Health"] = json::object{
        {"Status", c.health->status}, {"FailingStreak", c.health->failing_streak}, {"Log", std::move(log)}};
  }
  o["State"] = std::move(st);
  o["Image"] = r.image_id.str();
  const std::string container_dir = c.log_path.substr(0, c.log_path.rfind("/state/"));
  o["ResolvConfPath"] = c.network ? container_dir + "/resolv.conf" : "";
  o["HostnamePath"] = c.network ? container_dir + "/hostname" : "";
  o["HostsPath"] = c.network ? container_dir + "/hosts" : "";
  o["LogPath"] = c.log_path;
  o["Name"] = "/" + r.name;
  o["RestartCount"] = c.restart_count;
  o["Driver"] = "overlayfs";
  o["Platform"] = "linux";
  if (manifest && CompareVersions(version, "1.48") >= 0) o["ImageManifestDescriptor"] = DescriptorValue(*manifest);
  o["MountLabel"] = "";
  o["ProcessLabel"] = "";
  o["AppArmorProfile"] = "";
  o["ExecIDs"] = nullptr;
  json::object hc = HostConfigDefaults(c.config);
  hc["Links"] = Strings(c.legacy_links_shown, /*null_if_empty=*/true);
  hc["Binds"] = HostConfigBindsValue(c.config);
  if (!c.config.tmpfs.empty()) hc["Tmpfs"] = HostConfigTmpfsValue(c.config);  // omitempty in Docker
  json::object log_options;
  for (const auto& [k, v] : c.config.log_options) log_options[k] = v;
  hc["LogConfig"] = json::object{{"Type", c.config.log_driver.empty() ? std::string("json-file") : c.config.log_driver},
                                 {"Config", std::move(log_options)}};
  hc["NetworkMode"] = NetworkModeShown(c.config);
  hc["RestartPolicy"] = json::object{
      {"Name", c.config.restart_policy.name.empty() ? std::string("no") : c.config.restart_policy.name},
      {"MaximumRetryCount", c.config.restart_policy.maximum_retry_count}};
  hc["AutoRemove"] = c.config.auto_remove;
  hc["Mounts"] = HostConfigMountsValue(c.config);
  hc["Privileged"] = c.config.privileged;
  hc["ReadonlyRootfs"] = c.config.read_only_rootfs;
  hc["ConsoleSize"] = json::array{c.config.console_rows, c.config.console_cols};
  hc["SecurityOpt"] = Strings(c.config.security_opt, true);
  hc["CapAdd"] = Strings(c.config.cap_add, true);
  hc["CapDrop"] = Strings(c.config.cap_drop, true);
  AddNetworkHostConfig(c.config.network, &hc);
  AddNamespaceHostConfig(c.config, &hc);
  o["HostConfig"] = std::move(hc);
  std::string dir = c.rootfs;
  size_t slash = dir.rfind('/');
  if (slash != std::string::npos) dir.resize(slash);
  json::object gd;
  gd["Name"] = "overlayfs";
  gd["Data"] = c.rootfs.empty() ? json::value(nullptr)
                                : json::value(json::object{{"MergedDir", c.rootfs},
                                                           {"UpperDir", dir + "/upper"},
                                                           {"WorkDir", dir + "/work"}});
  o["GraphDriver"] = std::move(gd);
  o["Mounts"] = MountPointsValue(c.config);
  json::object cfg;
  cfg["Hostname"] = c.config.hostname.empty() ? r.id.substr(0, 12) : c.config.hostname;
  cfg["Domainname"] = "";
  cfg["User"] = c.effective_user;
  cfg["AttachStdin"] = c.config.attach_stdin;
  cfg["AttachStdout"] = false;
  cfg["AttachStderr"] = false;
  cfg["Tty"] = c.config.tty;
  cfg["OpenStdin"] = c.config.open_stdin;
  cfg["StdinOnce"] = c.config.stdin_once;
  cfg["Env"] = Strings(c.effective_env, true);
  cfg["Cmd"] = Strings(c.effective_cmd, true);
  cfg["Image"] = c.config.image;
  cfg["ExposedPorts"] = ExposedPortsValue(c.config.network);
  cfg["Volumes"] = ConfigVolumesValue(c.config);
  cfg["WorkingDir"] = c.effective_working_dir;
  cfg["Entrypoint"] = Strings(c.effective_entrypoint, true);
  cfg["OnBuild"] = nullptr;
  cfg["Labels"] = StringMapValue(MergedLabels(c));
  if (!c.config.stop_signal.empty()) cfg["StopSignal"] = c.config.stop_signal;
  if (c.config.stop_timeout) cfg["StopTimeout"] = *c.config.stop_timeout;
  if (c.effective_healthcheck) cfg["Healthcheck"] = json::parse(HealthConfigJson(*c.effective_healthcheck));
  o["Config"] = std::move(cfg);
  o["NetworkSettings"] = InspectNetworkSettings(c);
  return o;
}

std::string MuxFrame(int stream, std::string_view data) {
  std::string out;
  out.reserve(8 + data.size());
  uint32_t n = static_cast<uint32_t>(data.size());
  out.push_back(static_cast<char>(stream));
  out.append(3, '\0');
  out.push_back(static_cast<char>((n >> 24) & 0xff));
  out.push_back(static_cast<char>((n >> 16) & 0xff));
  out.push_back(static_cast<char>((n >> 8) & 0xff));
  out.push_back(static_cast<char>(n & 0xff));
  out.append(data);
  return out;
}

}  // namespace berth::api
