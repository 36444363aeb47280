// The OCI runtime spec berth writes for runc (WriteBundleConfig) and the
// resolution of Docker's `User` against a root filesystem (ResolveUser).

#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <charconv>
#include <climits>
#include <string>
#include <string_view>
#include <vector>

#include "base/split_view.h"
#include "berth/env.h"
#include "berth/runtime.h"

namespace berth {

namespace {

namespace json = boost::json;

// Paths Docker hides (maskedPaths) and makes read-only (readonlyPaths).
constexpr const char* kMaskedPaths[] = {
    "/proc/asound",   "/proc/acpi",        "/proc/kcore",       "/proc/keys",
    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
    "/proc/scsi",     "/sys/firmware",     "/sys/devices/virtual/powercap",
};
constexpr const char* kReadonlyPaths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

json::array StringArray(std::initializer_list<const char*> items) {
  json::array a;
  for (const char* s : items) a.emplace_back(s);
  return a;
}

template <size_t N>
json::array StringArray(const char* const (&items)[N]) {
  json::array a;
  for (const char* s : items) a.emplace_back(s);
  return a;
}

json::array StringArray(const std::vector<std::string>& items) {
  json::array a;
  for (const std::string& s : items) a.emplace_back(s);
  return a;
}

// OCI linux.seccomp.
json::object SeccompJson(const SeccompFilter& f) {
  json::object o;
  o["defaultAction"] = f.default_action;
  if (f.default_errno_ret) o["defaultErrnoRet"] = *f.default_errno_ret;
  if (!f.architectures.empty()) o["architectures"] = StringArray(f.architectures);
  if (!f.flags.empty()) o["flags"] = StringArray(f.flags);
  json::array syscalls;
  for (const SeccompRule& r : f.syscalls) {
    json::object rule;
    rule["names"] = StringArray(r.names);
    rule["action"] = r.action;
    if (r.errno_ret) rule["errnoRet"] = *r.errno_ret;
    if (!r.args.empty()) {
      json::array args;
      for (const SeccompArg& a : r.args) {
        args.emplace_back(json::object{{"index", a.index}, {"value", a.value}, {"valueTwo", a.value_two}, {"op", a.op}});
      }
      rule["args"] = std::move(args);
    }
    syscalls.emplace_back(std::move(rule));
  }
  o["syscalls"] = std::move(syscalls);
  return o;
}

json::object Mount(const char* dest, const char* type, const char* source,
                   std::initializer_list<const char*> options) {
  json::object m;
  m["destination"] = dest;
  m["type"] = type;
  m["source"] = source;
  if (options.size() > 0) m["options"] = StringArray(options);
  return m;
}

// A device cgroup rule; major/minor < 0 means "any" (omitted).
json::object DeviceRule(bool allow, const char* type, int64_t major, int64_t minor,
                        const char* access) {
  json::object d;
  d["allow"] = allow;
  if (type != nullptr) d["type"] = type;
  if (major >= 0) d["major"] = major;
  if (minor >= 0) d["minor"] = minor;
  d["access"] = access;
  return d;
}

// Docker's default device rules: deny everything, then allow mknod of any
// device and use of the usual character devices.
json::array DefaultDeviceRules() {
  json::array rules;
  rules.emplace_back(DeviceRule(false, nullptr, -1, -1, "rwm"));
  rules.emplace_back(DeviceRule(true, "c", -1, -1, "m"));
  rules.emplace_back(DeviceRule(true, "b", -1, -1, "m"));
  const int64_t chars[][2] = {{1, 3}, {1, 8}, {1, 7}, {5, 0}, {1, 5}, {1, 9},
                              {5, 1}, {136, -1}, {5, 2}, {10, 200}};
  for (const auto& c : chars) rules.emplace_back(DeviceRule(true, "c", c[0], c[1], "rwm"));
  return rules;
}

// Docker's host devices for a privileged container: every character and
// block device under `dir` (not following symlinks), without the console and
// the pts, shm, fd, mqueue, .lxc, .lxd-mounts and .udev directories.
Status AppendHostDevices(const std::string& dir, json::array* devices) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return ErrnoStatus("list " + dir, errno);
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d)) {
    std::string_view name(e->d_name);
    if (name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    std::string path = dir + "/" + name;
    struct stat st{};
    if (::lstat(path.c_str(), &st) != 0) continue;  // gone meanwhile
    if (S_ISDIR(st.st_mode)) {
      if (name == "pts" || name == "shm" || name == "fd" || name == "mqueue" || name == ".lxc" ||
          name == ".lxd-mounts" || name == ".udev") {
        continue;
      }
      BERTH_RETURN_IF_ERROR(AppendHostDevices(path, devices));
      continue;
    }
    if (name == "console" || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) continue;
    json::object dev;
    dev["path"] = path;
    dev["type"] = S_ISCHR(st.st_mode) ? "c" : "b";
    dev["major"] = static_cast<int64_t>(major(st.st_rdev));
    dev["minor"] = static_cast<int64_t>(minor(st.st_rdev));
    dev["fileMode"] = static_cast<int64_t>(st.st_mode & 07777);
    dev["uid"] = static_cast<int64_t>(st.st_uid);
    dev["gid"] = static_cast<int64_t>(st.st_gid);
    devices->emplace_back(std::move(dev));
  }
  return OkStatus();
}

std::string Basename(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string Dirname(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string DefaultHostname(const std::string& bundle, bool host_network) {
  if (host_network) {
    char buf[HOST_NAME_MAX + 1] = {};
    if (::gethostname(buf, sizeof(buf) - 1) == 0 && buf[0] != '\0') return buf;
  }
  // berth's layout: <data-root>/containers/<id>/bundle.
  std::string id = Basename(Dirname(bundle));
  return id.substr(0, 12);
}

}  // namespace

// The spec's "process" object for `p`.
static json::object ProcessObject(const ProcessSpec& p) {
  json::object user;
  user["uid"] = p.uid;
  user["gid"] = p.gid;
  if (!p.additional_gids.empty()) {
    json::array gids;
    for (uint32_t g : p.additional_gids) gids.emplace_back(g);
    user["additionalGids"] = std::move(gids);
  }
  json::array args, env;
  for (const auto& a : p.args) args.emplace_back(a);
  for (const auto& e : p.env) env.emplace_back(e);
  json::object caps;
  for (const char* set : {"bounding", "effective", "permitted"}) caps[set] = StringArray(p.capabilities);

  json::object process;
  process["terminal"] = p.terminal;
  if (p.terminal && p.console_rows > 0 && p.console_cols > 0) {
    process["consoleSize"] = json::object{{"height", p.console_rows}, {"width", p.console_cols}};
  }
  process["user"] = std::move(user);
  process["args"] = std::move(args);
  process["env"] = std::move(env);
  process["cwd"] = p.cwd.empty() ? "/" : p.cwd;
  process["capabilities"] = std::move(caps);
  process["noNewPrivileges"] = p.no_new_privileges;
  if (!p.rlimits.empty()) {
    json::array rlimits;
    for (const Rlimit& r : p.rlimits) {
      rlimits.emplace_back(json::object{{"type", r.type}, {"hard", r.hard}, {"soft", r.soft}});
    }
    process["rlimits"] = std::move(rlimits);
  }
  if (p.oom_score_adj) process["oomScoreAdj"] = *p.oom_score_adj;
  return process;
}

std::vector<std::string> DefaultMaskedPaths() { return {std::begin(kMaskedPaths), std::end(kMaskedPaths)}; }
std::vector<std::string> DefaultReadonlyPaths() { return {std::begin(kReadonlyPaths), std::end(kReadonlyPaths)}; }

Status WriteBundleConfig(const std::string& bundle, const std::string& rootfs, const ProcessSpec& p) {
  if (p.args.empty()) return InvalidArgument("no command specified");
  if (rootfs.empty() || rootfs[0] != '/') return InvalidArgument("rootfs must be absolute: " + rootfs);
  json::object process = ProcessObject(p);

  json::object root;
  root["path"] = rootfs;
  root["readonly"] = p.read_only_rootfs;

  json::array mounts;
  mounts.emplace_back(Mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}));
  mounts.emplace_back(Mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
  mounts.emplace_back(Mount("/dev/pts", "devpts", "devpts",
                            {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}));
  if (p.privileged) {
    mounts.emplace_back(Mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev"}));
    mounts.emplace_back(Mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev"}));
  } else {
    mounts.emplace_back(Mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}));
    mounts.emplace_back(Mount("/sys/fs/cgroup", "cgroup", "cgroup", {"ro", "nosuid", "noexec", "nodev"}));
  }
  mounts.emplace_back(Mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
  if (!p.dev_shm_source.empty()) {
    json::object shm;
    shm["destination"] = "/dev/shm";
    shm["type"] = "bind";
    shm["source"] = p.dev_shm_source;
    shm["options"] = StringArray(std::vector<std::string>{"rbind", "rprivate", "rw"});
    mounts.emplace_back(std::move(shm));
  } else if (!p.no_dev_shm) {
    json::object shm = Mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777"});
    shm["options"].as_array().emplace_back(json::string("size=" + std::to_string(p.shm_size_bytes)));
    mounts.emplace_back(std::move(shm));
  }
  for (const auto& b : p.bind_mounts) {
    if (b.destination.empty() || b.destination[0] != '/') {
      return InvalidArgument("mount destination must be absolute: " + b.destination);
    }
    json::object m;
    m["destination"] = b.destination;
    if (b.tmpfs) {
      // Docker's defaults, then the mount's own (a later "exec" wins).
      std::vector<std::string> options = {"nosuid", "nodev", "noexec"};
      options.insert(options.end(), b.tmpfs_options.begin(), b.tmpfs_options.end());
      m["type"] = "tmpfs";
      m["source"] = "tmpfs";
      m["options"] = StringArray(options);
    } else {
      m["type"] = "bind";
      m["source"] = b.source;
      m["options"] = StringArray(std::vector<std::string>{
          "rbind", b.propagation.empty() ? std::string("rprivate") : b.propagation, b.read_only ? "ro" : "rw"});
    }
    mounts.emplace_back(std::move(m));
  }

  json::array namespaces;
  // (type, path to join; "host": none in the spec, the host's is shared)
  std::vector<std::pair<const char*, std::string>> ns_types = {
      {"pid", p.pid_namespace}, {"ipc", p.ipc_namespace}, {"uts", p.host_uts ? "host" : ""}, {"mount", ""}};
  if (!p.host_network) ns_types.emplace_back("network", p.network_namespace_path);
  if (p.cgroup_namespace) ns_types.emplace_back("cgroup", "");
  for (const auto& [type, path] : ns_types) {
    if (path == "host") continue;
    json::object ns;
    ns["type"] = type;
    if (!path.empty()) ns["path"] = path;
    namespaces.emplace_back(std::move(ns));
  }
  json::object resources = json::parse(LinuxResourcesJson(p.resources)).as_object();
  json::object linux_;
  if (p.privileged) {
    json::array host_devices;
    BERTH_RETURN_IF_ERROR(AppendHostDevices("/dev", &host_devices));
    linux_["devices"] = std::move(host_devices);
    resources["devices"] = json::array{DeviceRule(true, nullptr, -1, -1, "rwm")};
  } else {
    json::array rules = DefaultDeviceRules();
    json::array devices;
    for (const DeviceNode& d : p.devices) {
      devices.emplace_back(json::object{{"path", d.path},
                                        {"type", d.type},
                                        {"major", d.major},
                                        {"minor", d.minor},
                                        {"fileMode", d.file_mode},
                                        {"uid", d.uid},
                                        {"gid", d.gid}});
      rules.emplace_back(DeviceRule(true, d.type.c_str(), d.major, d.minor, d.access.c_str()));
    }
    for (const DeviceCgroupRule& r : p.device_rules) {
      rules.emplace_back(DeviceRule(true, r.type.c_str(), r.major, r.minor, r.access.c_str()));
    }
    if (!devices.empty()) linux_["devices"] = std::move(devices);
    resources["devices"] = std::move(rules);
    linux_["maskedPaths"] = StringArray(kMaskedPaths);
    linux_["readonlyPaths"] = StringArray(kReadonlyPaths);
  }
  linux_["resources"] = std::move(resources);
  linux_["namespaces"] = std::move(namespaces);
  if (p.seccomp) linux_["seccomp"] = SeccompJson(*p.seccomp);
  if (!p.sysctls.empty()) {
    json::object sysctl;
    for (const auto& [k, v] : p.sysctls) sysctl[k] = v;
    linux_["sysctl"] = std::move(sysctl);
  }

  json::object spec;
  spec["ociVersion"] = "1.0.2-dev";
  spec["process"] = std::move(process);
  spec["root"] = std::move(root);
  // runc sets no hostname without a UTS namespace of the container's own.
  if (!p.host_uts) spec["hostname"] = p.hostname.empty() ? DefaultHostname(bundle, p.host_network) : p.hostname;
  spec["mounts"] = std::move(mounts);
  spec["linux"] = std::move(linux_);

  Env* env_ = Env::Default();
  BERTH_RETURN_IF_ERROR(env_->CreateDirs(bundle, 0711));
  // Written again at every start, and read by runc at once: no fsync.
  return WriteFileReplacing(env_, bundle + "/config.json", json::serialize(spec));
}

// Written without fsync: `runc exec` reads the file at once and nothing
// reads it after a crash (the exec ends with the daemon's record of it), and
// the two fsyncs of an atomic write cost an exec tens of milliseconds, over
// a hundred on a busy disk. A file already at `path` is replaced.
Status WriteProcessJson(const std::string& path, const ProcessSpec& p) {
  if (p.args.empty()) return InvalidArgument("no command specified");
  Env* env = Env::Default();
  Status removed = env->RemoveFile(path);
  if (!removed.ok() && removed.code() != Code::kNotFound) return removed;
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, env->NewWritableFile(path));
  Status s = f->Append(json::serialize(ProcessObject(p)));
  Status closed = f->Close();
  return s.ok() ? closed : s;
}

// ---- ResolveUser ----

namespace {

struct PasswdEntry {
  std::string name;
  uint32_t uid = 0;
  uint32_t gid = 0;
};

struct GroupEntry {
  std::string name;
  uint32_t gid = 0;
  std::vector<std::string> members;
};

// A decimal id in [0, 2^31-1] (the range Docker accepts).
bool ParseId(std::string_view s, uint32_t* out) {
  if (s.empty()) return false;
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v > INT32_MAX) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

// Lines of an /etc file, without comments and blank lines. A missing file
// has no lines.
std::vector<std::string_view> FileLines(const std::string& content) {
  std::vector<std::string_view> lines;
  for (std::string_view line : SplitView(content, '\n')) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    lines.push_back(line);
  }
  return lines;
}

std::vector<PasswdEntry> ParsePasswd(const std::string& content) {
  std::vector<PasswdEntry> out;
  for (std::string_view line : FileLines(content)) {
    auto f = SplitView(line, ':');
    PasswdEntry e;
    e.name = std::string(f[0]);
    if (f.size() < 4 || !ParseId(f[2], &e.uid) || !ParseId(f[3], &e.gid)) continue;
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<GroupEntry> ParseGroup(const std::string& content) {
  std::vector<GroupEntry> out;
  for (std::string_view line : FileLines(content)) {
    auto f = SplitView(line, ':');
    GroupEntry e;
    e.name = std::string(f[0]);
    if (f.size() < 3 || !ParseId(f[2], &e.gid)) continue;
    if (f.size() >= 4 && !f[3].empty()) {
      for (std::string_view m : SplitView(f[3], ',')) {
        if (!m.empty()) e.members.emplace_back(m);
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

// Cap on /etc/passwd and /etc/group: far above any real user database.
constexpr uint64_t kUserDatabaseMaxBytes = 1 << 20;

// The rootfs's `path` (e.g. "/etc/passwd"), resolved inside `rootfs`, or ""
// when it is missing or unusable: a symlink leading nowhere inside the rootfs,
// a FIFO, a device, a directory or an oversized file reads as an empty
// database, so a named user is unknown (Docker's error), never a host file,
// a hang or an unbounded read.
std::string UserDatabaseOrEmpty(const std::string& rootfs, const std::string& path) {
  auto content = Env::Default()->ReadFileInRoot(rootfs, path, kUserDatabaseMaxBytes);
  if (content.ok()) return *content;
  if (content.status().code() != Code::kNotFound) {
    spdlog::warn("user lookup ignores {}: {}", path, content.status().ToString());
  }
  return std::string();
}

// The gid of a group given by name or number: the /etc/group entry it names,
// else the number itself; an unknown name is Docker's error.
Result<uint32_t> GroupId(const std::vector<GroupEntry>& groups, const std::string& group) {
  uint32_t number = 0;
  const bool numeric = ParseId(group, &number);
  for (const auto& g : groups) {
    if (numeric ? g.gid == number : g.name == group) return g.gid;
  }
  if (numeric) return number;
  return InvalidArgument("unable to find group " + group + ": no matching entries in group file");
}

}  // namespace

Status ResolveUser(const std::string& rootfs, const std::string& user, ProcessSpec* p,
                   const std::vector<std::string>& group_add) {
  std::string user_arg = user, group_arg;
  if (size_t colon = user.find(':'); colon != std::string::npos) {
    user_arg = user.substr(0, colon);
    group_arg = user.substr(colon + 1);
  }
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> sgids;
  std::string matched_name;

  auto passwd = ParsePasswd(UserDatabaseOrEmpty(rootfs, "/etc/passwd"));
  uint32_t uid_arg = 0;
  bool uid_numeric = ParseId(user_arg, &uid_arg);
  if (user_arg.empty()) {
    // Docker's default user is root, looked up for its group memberships.
    for (const auto& e : passwd) {
      if (e.uid == 0) {
        matched_name = e.name;
        gid = e.gid;
        break;
      }
    }
  } else {
    const PasswdEntry* found = nullptr;
    for (const auto& e : passwd) {
      if (uid_numeric ? e.uid == uid_arg : e.name == user_arg) {
        found = &e;
        break;
      }
    }
    if (found != nullptr) {
      uid = found->uid;
      gid = found->gid;
      matched_name = found->name;
    } else if (uid_numeric) {
      uid = uid_arg;
    } else {
      return InvalidArgument("unable to find user " + user_arg + ": no matching entries in passwd file");
    }
  }

  auto groups = ParseGroup(UserDatabaseOrEmpty(rootfs, "/etc/group"));
  if (!group_arg.empty()) {
    BERTH_ASSIGN_OR_RETURN(gid, GroupId(groups, group_arg));
  } else if (!matched_name.empty()) {
    // Supplementary groups only in the implicit form, as Docker does.
    for (const auto& g : groups) {
      for (const auto& m : g.members) {
        if (m == matched_name) {
          sgids.push_back(g.gid);
          break;
        }
      }
    }
  }
  for (const std::string& wanted : group_add) {
    BERTH_ASSIGN_OR_RETURN(uint32_t wanted_gid, GroupId(groups, wanted));
    if (std::find(sgids.begin(), sgids.end(), wanted_gid) == sgids.end()) sgids.push_back(wanted_gid);
  }
  p->uid = uid;
  p->gid = gid;
  p->additional_gids = std::move(sgids);
  return OkStatus();
}

}  // namespace berth
