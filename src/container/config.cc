// Container configuration: serialisation, Docker's merge of container and
// image config, names, signals and `commit --change` instructions.
#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cctype>
#include <random>

#include "container/internal.h"

namespace berth::container {

namespace json = boost::json;

namespace {

std::vector<std::string> StringArray(const json::value* v) {
  std::vector<std::string> out;
  if (!v || !v->is_array()) return out;
  for (const auto& e : v->as_array()) {
    if (e.is_string()) out.emplace_back(e.as_string().c_str(), e.as_string().size());
  }
  return out;
}

std::string StringOf(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return {};
  return std::string(it->value().as_string().c_str(), it->value().as_string().size());
}

// Case-insensitive member lookup (Go's encoding/json matching).
const json::value* Member(const json::object& o, std::string_view key) {
  if (auto it = o.find(key); it != o.end()) return &it->value();
  for (const auto& kv : o) {
    std::string_view k = kv.key();
    if (k.size() != key.size()) continue;
    bool eq = true;
    for (size_t i = 0; i < k.size() && eq; ++i) eq = std::tolower(k[i]) == std::tolower(key[i]);
    if (eq) return &kv.value();
  }
  return nullptr;
}

json::array ToArray(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

Result<json::value> Parse(std::string_view text, const char* what) {
  try {
    return json::parse(text);
  } catch (const std::exception& e) {
    return InvalidArgument(std::string(what) + ": malformed JSON: " + e.what());
  }
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Splits shell-like words: whitespace separates, "..." and '...' quote,
// backslash escapes the next character.
std::vector<std::string> Words(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char ch = s[i];
    if (quote) {
      if (ch == quote) {
        quote = 0;
      } else if (ch == '\\' && quote == '"' && i + 1 < s.size()) {
        cur += s[++i];
      } else {
        cur += ch;
      }
    } else if (ch == '"' || ch == '\'') {
      quote = ch;
      in_word = true;
    } else if (ch == '\\' && i + 1 < s.size()) {
      cur += s[++i];
      in_word = true;
    } else if (std::isspace(static_cast<unsigned char>(ch))) {
      if (in_word) out.push_back(cur);
      cur.clear();
      in_word = false;
    } else {
      cur += ch;
      in_word = true;
    }
  }
  if (in_word) out.push_back(cur);
  return out;
}

// JSON array form ("[...]" of strings) or nullopt.
std::optional<std::vector<std::string>> JsonForm(std::string_view args) {
  if (args.empty() || args.front() != '[') return std::nullopt;
  try {
    json::value v = json::parse(args);
    if (!v.is_array()) return std::nullopt;
    std::vector<std::string> out;
    for (const auto& e : v.as_array()) {
      if (!e.is_string()) return std::nullopt;
      out.emplace_back(e.as_string().c_str(), e.as_string().size());
    }
    return out;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

void SetEnv(json::array& env, const std::string& key, const std::string& value) {
  std::string entry = key + "=" + value;
  for (auto& e : env) {
    if (!e.is_string()) continue;
    std::string_view s(e.as_string().c_str(), e.as_string().size());
    if (s.substr(0, s.find('=')) == key) {
      e = json::string(entry);
      return;
    }
  }
  env.emplace_back(entry);
}

// "k=v k2=v2" pairs (quotes removed), or a single "k v" pair when the first
// word has no '='.
std::vector<std::pair<std::string, std::string>> Pairs(std::string_view args) {
  std::vector<std::pair<std::string, std::string>> out;
  auto words = Words(args);
  if (words.empty()) return out;
  if (words[0].find('=') == std::string::npos) {
    std::string_view rest = Trim(args.substr(args.find(words[0]) + words[0].size()));
    out.emplace_back(words[0], std::string(rest));
    return out;
  }
  for (const auto& w : words) {
    auto eq = w.find('=');
    if (eq == std::string::npos) continue;
    out.emplace_back(w.substr(0, eq), w.substr(eq + 1));
  }
  return out;
}

}  // namespace

Result<ImageProcess> ParseImageProcess(std::string_view config_json) {
  BERTH_ASSIGN_OR_RETURN(json::value v, Parse(config_json, "invalid image config"));
  ImageProcess p;
  if (!v.is_object()) return p;
  const json::value* c = Member(v.as_object(), "config");
  if (!c || !c->is_object()) return p;
  const json::object& o = c->as_object();
  p.cmd = StringArray(Member(o, "Cmd"));
  p.entrypoint = StringArray(Member(o, "Entrypoint"));
  p.env = StringArray(Member(o, "Env"));
  if (auto* w = Member(o, "WorkingDir"); w && w->is_string()) p.working_dir = w->as_string().c_str();
  if (auto* u = Member(o, "User"); u && u->is_string()) p.user = u->as_string().c_str();
  if (auto* s = Member(o, "StopSignal"); s && s->is_string()) p.stop_signal = s->as_string().c_str();
  if (auto* h = Member(o, "Healthcheck"); h && h->is_object()) {
    auto check = ParseHealthConfig(json::serialize(*h));
    if (check.ok()) p.healthcheck = *check;
  }
  if (auto* x = Member(o, "ExposedPorts"); x && x->is_object()) {
    for (const auto& kv : x->as_object()) p.exposed_ports.emplace_back(kv.key());
  }
  if (auto* l = Member(o, "Labels"); l && l->is_object()) {
    for (const auto& kv : l->as_object()) {
      if (kv.value().is_string()) p.labels[std::string(kv.key())] = kv.value().as_string().c_str();
    }
  }
  return p;
}

std::string StoredConfigToJson(const StoredConfig& s) {
  const ContainerConfig& c = s.config;
  json::object o;
  o["Image"] = c.image;
  o["Cmd"] = c.cmd ? json::value(ToArray(*c.cmd)) : json::value(nullptr);
  o["Entrypoint"] = c.entrypoint ? json::value(ToArray(*c.entrypoint)) : json::value(nullptr);
  o["Env"] = ToArray(c.env);
  o["WorkingDir"] = c.working_dir;
  o["User"] = c.user;
  json::object labels;
  for (const auto& [k, v] : c.labels) labels[k] = v;
  o["Labels"] = std::move(labels);
  o["Hostname"] = c.hostname;
  o["Tty"] = c.tty;
  o["OpenStdin"] = c.open_stdin;
  o["StdinOnce"] = c.stdin_once;
  o["AttachStdin"] = c.attach_stdin;
  o["ConsoleSize"] = json::array{c.console_rows, c.console_cols};
  o["AutoRemove"] = c.auto_remove;
  o["NetworkMode"] = c.network_mode;
  o["Network"] = json::parse(NetworkConfigToJson(c.network));
  o["ReadonlyRootfs"] = c.read_only_rootfs;
  o["NoNewPrivileges"] = c.no_new_privileges;
  o["SecurityOpt"] = ToArray(c.security_opt);
  o["SeccompProfile"] = c.seccomp_profile;
  o["CapAdd"] = ToArray(c.cap_add);
  o["CapDrop"] = ToArray(c.cap_drop);
  o["Privileged"] = c.privileged;
  json::object log_options;
  for (const auto& [k, v] : c.log_options) log_options[k] = v;
  o["LogConfig"] = json::object{{"Type", c.log_driver}, {"Config", std::move(log_options)}};
  json::array mounts;
  for (const auto& m : c.image_mounts) {
    mounts.push_back(json::object{{"Source", m.source}, {"Target", m.target}, {"ReadOnly", m.read_only}});
  }
  o["ImageMounts"] = std::move(mounts);
  json::array volume_mounts;
  for (const auto& m : c.mounts) volume_mounts.push_back(MountRequestToJson(m));
  o["Mounts"] = std::move(volume_mounts);
  o["Binds"] = ToArray(c.binds);
  o["VolumesFrom"] = ToArray(c.volumes_from);
  json::object tmpfs;
  for (const auto& [path, opts] : c.tmpfs) tmpfs[path] = opts;
  o["Tmpfs"] = std::move(tmpfs);
  o["Platform"] = c.platform ? json::parse(PlatformToJson(*c.platform)) : json::value(nullptr);
  o["StopSignal"] = c.stop_signal;
  o["StopTimeout"] = c.stop_timeout ? json::value(*c.stop_timeout) : json::value(nullptr);
  o["RestartPolicy"] = json::object{{"Name", c.restart_policy.name},
                                    {"MaximumRetryCount", c.restart_policy.maximum_retry_count}};
  o["Init"] = c.init;
  o["GroupAdd"] = ToArray(c.group_add);
  o["Namespaces"] = json::object{{"Pid", c.pid_mode},      {"Ipc", c.ipc_mode},        {"Uts", c.uts_mode},
                                 {"Cgroup", c.cgroupns_mode}, {"Isolation", c.isolation}, {"Runtime", c.runtime}};
  o["Healthcheck"] = c.healthcheck ? json::parse(HealthConfigJson(*c.healthcheck)) : json::value(nullptr);
  o["Resources"] = ResourceFieldsJson(c.resources);
  o["OOMKilled"] = s.oom_killed;
  o["Error"] = s.error;
  o["RestartCount"] = s.restart_count;
  o["HasBeenManuallyStopped"] = s.manually_stopped;
  if (s.health) {
    json::array log;
    for (const HealthLogEntry& e : s.health->log) {
      log.push_back(json::object{{"Start", e.start_unix_nanos},
                                 {"End", e.end_unix_nanos},
                                 {"ExitCode", e.exit_code},
                                 {"Output", e.output}});
    }
    o["Health"] = json::object{
        {"Status", s.health->status}, {"FailingStreak", s.health->failing_streak}, {"Log", std::move(log)}};
  }
  return json::serialize(o);
}

Result<StoredConfig> StoredConfigFromJson(std::string_view text) {
  BERTH_ASSIGN_OR_RETURN(json::value v, Parse(text, "invalid container config"));
  if (!v.is_object()) return InvalidArgument("invalid container config: not an object");
  const json::object& o = v.as_object();
  StoredConfig s;
  ContainerConfig& c = s.config;
  c.image = StringOf(o, "Image");
  if (auto* x = o.if_contains("Cmd"); x && x->is_array()) c.cmd = StringArray(x);
  if (auto* x = o.if_contains("Entrypoint"); x && x->is_array()) c.entrypoint = StringArray(x);
  c.env = StringArray(o.if_contains("Env"));
  c.working_dir = StringOf(o, "WorkingDir");
  c.user = StringOf(o, "User");
  if (auto* x = o.if_contains("Labels"); x && x->is_object()) {
    for (const auto& kv : x->as_object()) {
      if (kv.value().is_string()) c.labels[std::string(kv.key())] = kv.value().as_string().c_str();
    }
  }
  c.hostname = StringOf(o, "Hostname");
  if (auto* x = o.if_contains("Tty"); x && x->is_bool()) c.tty = x->as_bool();
  if (auto* x = o.if_contains("OpenStdin"); x && x->is_bool()) c.open_stdin = x->as_bool();
  if (auto* x = o.if_contains("StdinOnce"); x && x->is_bool()) c.stdin_once = x->as_bool();
  if (auto* x = o.if_contains("AttachStdin"); x && x->is_bool()) c.attach_stdin = x->as_bool();
  if (auto* x = o.if_contains("ConsoleSize"); x && x->is_array() && x->as_array().size() == 2) {
    const auto& a = x->as_array();
    if (a[0].is_int64() && a[1].is_int64()) {
      c.console_rows = static_cast<int>(a[0].as_int64());
      c.console_cols = static_cast<int>(a[1].as_int64());
    }
  }
  if (auto* x = o.if_contains("AutoRemove"); x && x->is_bool()) c.auto_remove = x->as_bool();
  c.network_mode = StringOf(o, "NetworkMode");
  if (auto* x = o.if_contains("Network"); x && x->is_object()) {
    BERTH_ASSIGN_OR_RETURN(c.network, NetworkConfigFromJson(json::serialize(*x)));
  }
  if (auto* x = o.if_contains("ReadonlyRootfs"); x && x->is_bool()) c.read_only_rootfs = x->as_bool();
  if (auto* x = o.if_contains("NoNewPrivileges"); x && x->is_bool()) c.no_new_privileges = x->as_bool();
  c.security_opt = StringArray(o.if_contains("SecurityOpt"));
  // Records from before SecurityOpt was kept: the one option they could hold.
  if (o.if_contains("SecurityOpt") == nullptr && c.no_new_privileges) c.security_opt = {"no-new-privileges"};
  c.seccomp_profile = StringOf(o, "SeccompProfile");
  c.cap_add = StringArray(o.if_contains("CapAdd"));
  c.cap_drop = StringArray(o.if_contains("CapDrop"));
  if (auto* x = o.if_contains("Privileged"); x && x->is_bool()) c.privileged = x->as_bool();
  if (auto* x = o.if_contains("LogConfig"); x && x->is_object()) {
    c.log_driver = StringOf(x->as_object(), "Type");
    if (auto* opts = x->as_object().if_contains("Config"); opts && opts->is_object()) {
      for (const auto& kv : opts->as_object()) {
        if (kv.value().is_string()) c.log_options[std::string(kv.key())] = kv.value().as_string().c_str();
      }
    }
  }
  if (auto* x = o.if_contains("ImageMounts"); x && x->is_array()) {
    for (const auto& m : x->as_array()) {
      if (!m.is_object()) continue;
      ImageMountSpec spec;
      spec.source = StringOf(m.as_object(), "Source");
      spec.target = StringOf(m.as_object(), "Target");
      if (auto* r = m.as_object().if_contains("ReadOnly"); r && r->is_bool()) spec.read_only = r->as_bool();
      c.image_mounts.push_back(spec);
    }
  }
  if (auto* x = o.if_contains("Mounts"); x && x->is_array()) {
    for (const auto& m : x->as_array()) {
      if (!m.is_object()) continue;
      BERTH_ASSIGN_OR_RETURN(MountRequest mount, MountRequestFromJson(m.as_object()));
      c.mounts.push_back(std::move(mount));
    }
  }
  c.binds = StringArray(o.if_contains("Binds"));
  c.volumes_from = StringArray(o.if_contains("VolumesFrom"));
  if (auto* x = o.if_contains("Tmpfs"); x && x->is_object()) {
    for (const auto& kv : x->as_object()) {
      if (kv.value().is_string()) c.tmpfs[std::string(kv.key())] = kv.value().as_string().c_str();
    }
  }
  if (auto* x = o.if_contains("Platform"); x && x->is_object()) {
    BERTH_ASSIGN_OR_RETURN(Platform p, ParsePlatformJson(json::serialize(*x)));
    c.platform = p;
  }
  c.stop_signal = StringOf(o, "StopSignal");
  if (auto* x = o.if_contains("StopTimeout"); x && x->is_int64()) c.stop_timeout = static_cast<int>(x->as_int64());
  s.error = StringOf(o, "Error");
  if (auto* x = o.if_contains("RestartCount"); x && x->is_int64()) s.restart_count = static_cast<int>(x->as_int64());
  if (auto* x = o.if_contains("RestartPolicy"); x && x->is_object()) {
    c.restart_policy.name = StringOf(x->as_object(), "Name");
    if (auto* n = x->as_object().if_contains("MaximumRetryCount"); n && n->is_int64()) {
      c.restart_policy.maximum_retry_count = static_cast<int>(n->as_int64());
    }
  }
  if (auto* x = o.if_contains("Init"); x && x->is_bool()) c.init = x->as_bool();
  c.group_add = StringArray(o.if_contains("GroupAdd"));
  if (auto* x = o.if_contains("Namespaces"); x && x->is_object()) {
    const json::object& ns = x->as_object();
    c.pid_mode = StringOf(ns, "Pid");
    c.ipc_mode = StringOf(ns, "Ipc");
    c.uts_mode = StringOf(ns, "Uts");
    c.cgroupns_mode = StringOf(ns, "Cgroup");
    c.isolation = StringOf(ns, "Isolation");
    if (std::string runtime = StringOf(ns, "Runtime"); !runtime.empty()) c.runtime = runtime;
  }
  if (auto* x = o.if_contains("Healthcheck"); x && x->is_object()) {
    BERTH_ASSIGN_OR_RETURN(c.healthcheck, ParseHealthConfig(json::serialize(*x)));
  }
  if (auto* x = o.if_contains("HasBeenManuallyStopped"); x && x->is_bool()) s.manually_stopped = x->as_bool();
  if (auto* x = o.if_contains("Health"); x && x->is_object()) {
    const json::object& h = x->as_object();
    HealthState state;
    state.status = StringOf(h, "Status");
    if (auto* n = h.if_contains("FailingStreak"); n && n->is_int64()) state.failing_streak = static_cast<int>(n->as_int64());
    if (auto* l = h.if_contains("Log"); l && l->is_array()) {
      for (const auto& v : l->as_array()) {
        if (!v.is_object()) continue;
        const json::object& e = v.as_object();
        HealthLogEntry entry;
        if (auto* n = e.if_contains("Start"); n && n->is_int64()) entry.start_unix_nanos = n->as_int64();
        if (auto* n = e.if_contains("End"); n && n->is_int64()) entry.end_unix_nanos = n->as_int64();
        if (auto* n = e.if_contains("ExitCode"); n && n->is_int64()) entry.exit_code = static_cast<int>(n->as_int64());
        entry.output = StringOf(e, "Output");
        state.log.push_back(std::move(entry));
      }
    }
    if (!state.status.empty()) s.health = std::move(state);
  }
  if (auto* x = o.if_contains("OOMKilled"); x && x->is_bool()) s.oom_killed = x->as_bool();
  if (auto* x = o.if_contains("Resources"); x && x->is_object()) {
    BERTH_ASSIGN_OR_RETURN(c.resources, ParseResourceFields(x->as_object()));
  }
  return s;
}

void OverrideEnv(std::vector<std::string>* env, const std::string& kv) {
  std::string_view key = std::string_view(kv).substr(0, kv.find('='));
  for (auto& x : *env) {
    if (std::string_view(x).substr(0, x.find('=')) == key) {
      x = kv;
      return;
    }
  }
  env->push_back(kv);
}

Effective Merge(const ContainerConfig& c, const ImageProcess& img) {
  Effective e;
  std::vector<std::string> entry = c.entrypoint.value_or(std::vector<std::string>{});
  if (entry.size() == 1 && entry[0].empty()) entry.clear();  // --entrypoint "" resets
  std::vector<std::string> cmd = c.cmd.value_or(std::vector<std::string>{});
  // Docker's merge: a given (non-empty) entrypoint drops the image's Cmd;
  // otherwise an empty Cmd takes the image's, and an absent entrypoint too.
  if (entry.empty()) {
    if (cmd.empty()) cmd = img.cmd;
    if (!c.entrypoint) entry = img.entrypoint;
  }
  e.cmd = cmd;
  e.entrypoint = entry;
  e.args = entry;
  e.args.insert(e.args.end(), cmd.begin(), cmd.end());
  e.env = img.env;
  for (const auto& kv : c.env) OverrideEnv(&e.env, kv);
  e.working_dir = c.working_dir.empty() ? img.working_dir : c.working_dir;
  e.user = c.user.empty() ? img.user : c.user;
  e.labels = img.labels;
  for (const auto& [k, v] : c.labels) e.labels[k] = v;
  e.stop_signal = c.stop_signal.empty() ? img.stop_signal : c.stop_signal;
  return e;
}

Status InvalidName(const std::string& name) {
  return InvalidArgument("Invalid container name (" + name + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
}

Status NameInUse(const std::string& name, const std::string& id) {
  return AlreadyExists("Conflict. The container name \"/" + name + "\" is already in use by container \"" + id +
                       "\". You have to remove (or rename) that container to be able to reuse that name.");
}

bool ValidContainerName(std::string_view name) {
  if (!name.empty() && name[0] == '/') name.remove_prefix(1);
  if (name.size() < 2) return false;
  auto alnum = [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) != 0; };
  if (!alnum(name[0])) return false;
  for (char ch : name.substr(1)) {
    if (!alnum(ch) && ch != '_' && ch != '.' && ch != '-') return false;
  }
  return true;
}

namespace {
std::mt19937_64& Rng() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}
}  // namespace

std::string GenerateName() {
  static const char* kLeft[] = {"admiring", "brave",   "clever",  "dazzling", "eager",    "focused",
                                "gallant",  "happy",   "jolly",   "keen",     "loving",   "modest",
                                "nifty",    "optimistic", "peaceful", "quirky", "relaxed", "serene",
                                "tender",   "upbeat",  "vibrant", "wizardly", "youthful", "zealous"};
  static const char* kRight[] = {"archimedes", "babbage", "curie",   "darwin",   "euclid",  "fermat",
                                 "galileo",    "hopper",  "hypatia", "johnson",  "kepler",  "lovelace",
                                 "meitner",    "newton",  "noether", "pascal",   "ramanujan", "shannon",
                                 "tesla",      "turing",  "volta",   "wozniak",  "yalow",   "zhukovsky"};
  auto& rng = Rng();
  std::string n = std::string(kLeft[rng() % std::size(kLeft)]) + "_" + kRight[rng() % std::size(kRight)];
  return n;
}

std::string RandomId() {
  unsigned char buf[32];
  bool ok = false;
  int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ok = ::read(fd, buf, sizeof(buf)) == static_cast<ssize_t>(sizeof(buf));
    ::close(fd);
  }
  if (!ok) {
    for (auto& b : buf) b = static_cast<unsigned char>(Rng()());
  }
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : buf) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

Result<int> ParseSignal(std::string_view s) {
  static const std::map<std::string, int, std::less<>> kSignals = {
      {"ABRT", 6},  {"ALRM", 14},  {"BUS", 7},   {"CHLD", 17}, {"CONT", 18}, {"FPE", 8},   {"HUP", 1},
      {"ILL", 4},   {"INT", 2},    {"IO", 29},   {"IOT", 6},   {"KILL", 9},  {"PIPE", 13}, {"POLL", 29},
      {"PROF", 27}, {"PWR", 30},   {"QUIT", 3},  {"SEGV", 11}, {"STKFLT", 16}, {"STOP", 19}, {"SYS", 31},
      {"TERM", 15}, {"TRAP", 5},   {"TSTP", 20}, {"TTIN", 21}, {"TTOU", 22}, {"URG", 23},  {"USR1", 10},
      {"USR2", 12}, {"VTALRM", 26}, {"WINCH", 28}, {"XCPU", 24}, {"XFSZ", 25}};
  if (s.empty()) return 9;
  bool digits = true;
  for (char ch : s) digits = digits && std::isdigit(static_cast<unsigned char>(ch));
  if (digits) {
    int n = s.size() > 3 ? 0 : std::stoi(std::string(s));
    if (n <= 0 || n > 64) return InvalidArgument("Invalid signal: " + std::string(s));
    return n;
  }
  std::string up;
  for (char ch : s) up += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  std::string_view name = up;
  if (name.starts_with("SIG")) name.remove_prefix(3);
  auto it = kSignals.find(name);
  if (it == kSignals.end()) return InvalidArgument("Invalid signal: " + std::string(s));
  return it->second;
}

Result<std::string> ApplyChanges(std::string_view config_json, const std::vector<std::string>& changes) {
  json::object cfg;
  if (!Trim(config_json).empty()) {
    BERTH_ASSIGN_OR_RETURN(json::value v, Parse(config_json, "invalid image config"));
    if (v.is_object()) cfg = v.as_object();
  }
  for (const auto& raw : changes) {
    std::string_view line = Trim(raw);
    if (line.empty()) continue;
    size_t sp = line.find_first_of(" \t");
    std::string instr(line.substr(0, sp));
    for (auto& ch : instr) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    std::string_view args = sp == std::string_view::npos ? std::string_view() : Trim(line.substr(sp));
    if (instr == "CMD" || instr == "ENTRYPOINT") {
      auto form = JsonForm(args);
      std::vector<std::string> v = form ? *form : std::vector<std::string>{"/bin/sh", "-c", std::string(args)};
      cfg[instr == "CMD" ? "Cmd" : "Entrypoint"] = ToArray(v);
    } else if (instr == "ENV") {
      auto pairs = Pairs(args);
      if (pairs.empty()) return InvalidArgument("ENV requires at least one argument");
      json::array env = cfg.contains("Env") && cfg["Env"].is_array() ? cfg["Env"].as_array() : json::array{};
      for (const auto& [k, v] : pairs) SetEnv(env, k, v);
      cfg["Env"] = std::move(env);
    } else if (instr == "LABEL") {
      auto pairs = Pairs(args);
      if (pairs.empty()) return InvalidArgument("LABEL requires at least one argument");
      json::object labels =
          cfg.contains("Labels") && cfg["Labels"].is_object() ? cfg["Labels"].as_object() : json::object{};
      for (const auto& [k, v] : pairs) labels[k] = v;
      cfg["Labels"] = std::move(labels);
    } else if (instr == "USER") {
      cfg["User"] = std::string(args);
    } else if (instr == "WORKDIR") {
      cfg["WorkingDir"] = std::string(args);
    } else if (instr == "STOPSIGNAL") {
      cfg["StopSignal"] = std::string(args);
    } else if (instr == "EXPOSE") {
      json::object ports = cfg.contains("ExposedPorts") && cfg["ExposedPorts"].is_object()
                               ? cfg["ExposedPorts"].as_object()
                               : json::object{};
      for (auto p : Words(args)) {
        if (p.find('/') == std::string::npos) p += "/tcp";
        ports[p] = json::object{};
      }
      cfg["ExposedPorts"] = std::move(ports);
    } else if (instr == "VOLUME") {
      auto form = JsonForm(args);
      std::vector<std::string> vols = form ? *form : Words(args);
      json::object v = cfg.contains("Volumes") && cfg["Volumes"].is_object() ? cfg["Volumes"].as_object()
                                                                               : json::object{};
      for (const auto& p : vols) v[p] = json::object{};
      cfg["Volumes"] = std::move(v);
    } else if (instr == "HEALTHCHECK" || instr == "ONBUILD") {
      // Docker takes these; berth does not keep them (yet): refused, not dropped.
      return Unimplemented(instr + " changes are not supported by berth");
    } else {
      return InvalidArgument(instr + " is not a valid change command");
    }
  }
  return json::serialize(cfg);
}

}  // namespace berth::container
