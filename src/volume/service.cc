// The local volume driver and the volume records (see berth/volume_service.h).

#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <filesystem>
#include <random>
#include <regex>

#include "base/string_map_json.h"
#include "berth/mutex.h"
#include "berth/snapshot.h"
#include "berth/tree_size.h"
#include "berth/volume_service.h"
#include "metadata/sqlite.h"
#include "volume/schema.h"

namespace berth {

namespace {

namespace json = boost::json;

std::string RandomName() {
  std::random_device rd;
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    uint32_t word = rd();
    for (int j = 0; j < 4; ++j) out += kHex[(word >> (j * 4)) & 0xf];
  }
  return out;
}

Status ValidateName(const std::string& name) {
  static const std::regex kName("^[a-zA-Z0-9][a-zA-Z0-9_.-]+$");
  if (name.size() == 1) {
    return InvalidArgument("create " + name +
                           ": volume name is too short, names should be at least two alphanumeric characters");
  }
  if (!std::regex_match(name, kName)) {
    return InvalidArgument("create " + name + ": \"" + name +
                           "\" includes invalid characters for a local volume name, only "
                           "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, "
                           "use absolute path");
  }
  return OkStatus();
}

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t at = s.find(',', start);
    if (at == std::string::npos) at = s.size();
    if (at > start) out.push_back(s.substr(start, at - start));
    start = at + 1;
  }
  return out;
}

// The local driver's options as berth has them: type tmpfs (o: tmpfs
// options), or type none with o bind and an absolute device that exists.
Status ValidateDriverOpts(const std::string& name, const std::map<std::string, std::string>& opts, Env* env) {
  for (const auto& [k, v] : opts) {
    if (k == "size")
      return InvalidArgument("create " + name + ": berth does not support the local volume option \"size\"");
    if (k != "type" && k != "device" && k != "o")
      return InvalidArgument("create " + name + ": invalid option: \"" + k + "\"");
  }
  if (opts.empty()) return OkStatus();
  auto get = [&](const char* k) {
    auto it = opts.find(k);
    return it == opts.end() ? std::string() : it->second;
  };
  const std::string type = get("type"), device = get("device"), o = get("o");
  if (type == "tmpfs") {
    return ParseTmpfsEntry("/data", o).status().ok()
               ? OkStatus()
               : InvalidArgument("create " + name + ": " + ParseTmpfsEntry("/data", o).status().message());
  }
  if (type == "none" || (type.empty() && !device.empty())) {
    std::vector<std::string> flags = SplitComma(o);
    if (std::find(flags.begin(), flags.end(), "bind") == flags.end() &&
        std::find(flags.begin(), flags.end(), "rbind") == flags.end()) {
      return InvalidArgument("create " + name +
                             ": berth does not support local volumes of type \"none\" without o=bind");
    }
    for (const std::string& f : flags) {
      if (f != "bind" && f != "rbind")
        return InvalidArgument("create " + name + ": berth does not support the bind option \"" + f + "\"");
    }
    if (device.empty() || device[0] != '/') {
      return InvalidArgument("create " + name + ": a local bind volume needs an absolute device path");
    }
    if (!env->FileExists(device))
      return InvalidArgument("create " + name + ": device " + device + ": no such file or directory");
    return OkStatus();
  }
  if (type.empty()) return InvalidArgument("create " + name + ": missing required option: \"type\"");
  return InvalidArgument("create " + name + ": berth does not support local volumes of type \"" + type + "\"");
}

bool IsMountPoint(const std::string& path) {
  struct stat self, parent;
  if (::stat(path.c_str(), &self) != 0) return false;
  if (::stat((path + "/..").c_str(), &parent) != 0) return false;
  return self.st_dev != parent.st_dev;
}

// Mounts a tmpfs with the options `o` (flags and data) at `dir`.
Status MountVolumeTmpfs(const std::string& o, const std::string& dir) {
  static const std::map<std::string, unsigned long> kFlags = {
      {"ro", MS_RDONLY},        {"nosuid", MS_NOSUID},   {"nodev", MS_NODEV},           {"noexec", MS_NOEXEC},
      {"sync", MS_SYNCHRONOUS}, {"noatime", MS_NOATIME}, {"nodiratime", MS_NODIRATIME}, {"dirsync", MS_DIRSYNC}};
  unsigned long flags = 0;
  std::string data;
  for (const std::string& opt : SplitComma(o)) {
    if (auto it = kFlags.find(opt); it != kFlags.end()) {
      flags |= it->second;
    } else if (opt.find('=') != std::string::npos) {
      if (!data.empty()) data += ',';
      data += opt;
    }
  }
  Status s = MountTmpfsExactly(dir, flags, data);
  return s.ok() ? s : Internal(s.message());
}

class VolumeServiceImpl : public VolumeService {
 public:
  VolumeServiceImpl(Env* env, std::string dir, sqlite3* db, EventBus* events)
      : env_(env), dir_(std::move(dir)), events_(events), db_(db) {}
  ~VolumeServiceImpl() override { sqlite3_close_v2(db_); }

  Status Migrate() EXCLUDES(mu_) {
    MutexLock l(&mu_);
    return sqlite::MigrateInTransaction(db_, "volume", volume_schema::kMigrations).status();
  }

  Result<VolumeInfo> Create(const VolumeCreateOptions& opts) override EXCLUDES(mu_) {
    std::string name = opts.name.empty() ? RandomName() : opts.name;
    BERTH_RETURN_IF_ERROR(ValidateName(name));
    if (!opts.driver.empty() && opts.driver != "local") {
      return NotFound("error looking up volume plugin " + opts.driver + ": plugin \"" + opts.driver + "\" not found");
    }
    BERTH_RETURN_IF_ERROR(ValidateDriverOpts(name, opts.driver_opts, env_));
    VolumeInfo v;
    {
      MutexLock l(&mu_);
      BERTH_ASSIGN_OR_RETURN(auto existing, LoadLocked(name));
      if (existing) return *existing;
      v.name = name;
      v.labels = opts.labels;
      // As Docker 28: a volume created without a name carries the anonymous
      // label, so a default `volume prune` removes it once no container
      // uses it; `rm -v` removes only what a container made for itself.
      if (opts.anonymous || opts.name.empty()) v.labels[std::string(kAnonymousVolumeLabel)] = "";
      v.anonymous = opts.anonymous;
      v.options = opts.driver_opts;
      v.created_unix_nanos = env_->NowUnixNanos();
      v.mountpoint = DataDir(name);
      BERTH_RETURN_IF_ERROR(env_->CreateDirs(dir_ + "/" + name, 0701));
      Status s = env_->CreateDirs(v.mountpoint, 0755);
      if (s.ok()) {
        sqlite::Stmt ins(db_,
                         "INSERT INTO volumes(name, driver, labels, options, anonymous, created_at) "
                         "VALUES(?,?,?,?,?,?)");
        ins.Bind(1, name).Bind(2, "local").Bind(3, StringMapToJson(v.labels)).Bind(4, StringMapToJson(v.options));
        ins.Bind(5, int64_t{opts.anonymous ? 1 : 0}).Bind(6, v.created_unix_nanos);
        s = ins.ok() ? ins.Exec() : ins.status();
      }
      if (!s.ok()) {
        env_->RemoveAll(dir_ + "/" + name).IgnoreError();
        return s;
      }
    }
    Publish("create", name, {});
    return v;
  }

  Result<VolumeInfo> Get(const std::string& name) override EXCLUDES(mu_) {
    MutexLock l(&mu_);
    BERTH_ASSIGN_OR_RETURN(auto v, LoadLocked(name));
    if (!v) return NotFound("get " + name + ": no such volume");
    return *v;
  }

  Result<std::vector<VolumeInfo>> List(const VolumeFilters& filters) override EXCLUDES(mu_) {
    for (const auto& [k, vals] : filters) {
      if (k != "name" && k != "label" && k != "dangling" && k != "driver") {
        return InvalidArgument("invalid filter '" + k + "'");
      }
      if (k == "dangling") {
        for (const auto& v : vals) {
          if (v != "true" && v != "false" && v != "1" && v != "0") {
            return InvalidArgument("invalid filter 'dangling=" + v + "'");
          }
        }
      }
    }
    BERTH_ASSIGN_OR_RETURN(std::vector<VolumeInfo> all, All());
    std::vector<VolumeInfo> out;
    for (auto& v : all) {
      if (Matches(v, filters)) out.push_back(std::move(v));
    }
    return out;
  }

  Status Remove(const std::string& name, bool force) override EXCLUDES(mu_) {
    {
      MutexLock l(&mu_);
      BERTH_ASSIGN_OR_RETURN(auto v, LoadLocked(name));
      if (!v) return force ? OkStatus() : NotFound("get " + name + ": no such volume");
      BERTH_RETURN_IF_ERROR(RemoveLocked(*v));
    }
    Publish("destroy", name, {});
    return OkStatus();
  }

  Result<VolumePruneReport> Prune(const VolumeFilters& filters) override EXCLUDES(mu_) {
    bool all = false;
    VolumeFilters label_filters;
    for (const auto& [k, vals] : filters) {
      if (k == "all") {
        for (const auto& v : vals) {
          if (v != "true" && v != "false" && v != "1" && v != "0") {
            return InvalidArgument("invalid filter 'all=" + v + "'");
          }
          all = v == "true" || v == "1";
        }
      } else if (k == "label" || k == "label!") {
        label_filters[k] = vals;
      } else {
        return InvalidArgument("invalid filter '" + k + "'");
      }
    }
    BERTH_ASSIGN_OR_RETURN(std::vector<VolumeInfo> vols, All());
    VolumePruneReport report;
    for (const auto& v : vols) {
      // Without all=true only volumes with Docker's anonymous label (made
      // for a container, or created without a name), as Docker 28 filters.
      const bool anonymous = v.labels.count(std::string(kAnonymousVolumeLabel)) != 0;
      if (!v.containers.empty() || (!all && !anonymous) || !Matches(v, label_filters)) continue;
      int64_t size = DiskUsage(v.name);
      {
        MutexLock l(&mu_);
        BERTH_ASSIGN_OR_RETURN(auto now, LoadLocked(v.name));
        if (!now || !now->containers.empty()) continue;  // taken since
        BERTH_RETURN_IF_ERROR(RemoveLocked(*now));
      }
      Publish("destroy", v.name, {});
      report.deleted.push_back(v.name);
      if (size > 0) report.space_reclaimed += static_cast<uint64_t>(size);
    }
    return report;
  }

  int64_t DiskUsage(const std::string& name) override {
    Result<int64_t> size = ApparentTreeSize(DataDir(name));
    return size.ok() ? *size : -1;
  }

  Status AddReference(const std::string& name, const std::string& container_id) override EXCLUDES(mu_) {
    MutexLock l(&mu_);
    sqlite::Stmt ins(db_, "INSERT OR IGNORE INTO volume_refs(volume, container_id) VALUES(?,?)");
    ins.Bind(1, name).Bind(2, container_id);
    return ins.ok() ? ins.Exec() : ins.status();
  }

  Status Release(const std::string& container_id, bool remove_anonymous) override EXCLUDES(mu_) {
    std::vector<std::string> destroyed;
    {
      MutexLock l(&mu_);
      std::vector<std::string> used;
      {
        sqlite::Stmt q(db_, "SELECT volume FROM volume_refs WHERE container_id = ?");
        q.Bind(1, container_id);
        while (q.Step()) used.push_back(q.Text(0));
        BERTH_RETURN_IF_ERROR(q.status());
      }
      sqlite::Stmt del(db_, "DELETE FROM volume_refs WHERE container_id = ?");
      del.Bind(1, container_id);
      BERTH_RETURN_IF_ERROR(del.ok() ? del.Exec() : del.status());
      if (remove_anonymous) {
        for (const auto& name : used) {
          BERTH_ASSIGN_OR_RETURN(auto v, LoadLocked(name));
          if (!v || !v->anonymous || !v->containers.empty()) continue;
          BERTH_RETURN_IF_ERROR(RemoveLocked(*v));
          destroyed.push_back(name);
        }
      }
    }
    for (const auto& name : destroyed) Publish("destroy", name, {});
    return OkStatus();
  }

  Result<std::string> Mount(const std::string& name, const std::string& container_id, const std::string& destination,
                            bool read_write) override EXCLUDES(mu_) {
    std::string host_path;
    {
      MutexLock l(&mu_);
      BERTH_ASSIGN_OR_RETURN(auto v, LoadLocked(name));
      if (!v) return NotFound("get " + name + ": no such volume");
      auto type = v->options.find("type");
      auto device = v->options.find("device");
      if (type != v->options.end() && type->second == "tmpfs") {
        host_path = v->mountpoint;
        if (!IsMountPoint(host_path)) BERTH_RETURN_IF_ERROR(MountVolumeTmpfs(v->options["o"], host_path));
      } else if (device != v->options.end()) {
        host_path = device->second;
      } else {
        host_path = v->mountpoint;
      }
    }
    Publish("mount", name,
            {{"container", container_id},
             {"destination", destination},
             {"propagation", ""},
             {"read/write", read_write ? "true" : "false"}});
    return host_path;
  }

  void Unmount(const std::string& container_id) override EXCLUDES(mu_) {
    std::vector<std::string> used;
    {
      MutexLock l(&mu_);
      sqlite::Stmt q(db_, "SELECT volume FROM volume_refs WHERE container_id = ? ORDER BY volume");
      q.Bind(1, container_id);
      while (q.Step()) used.push_back(q.Text(0));
    }
    for (const auto& name : used) Publish("unmount", name, {{"container", container_id}});
  }

 private:
  std::string DataDir(const std::string& name) const { return dir_ + "/" + name + "/_data"; }

  // Ends the transaction `s` ran in: COMMIT when ok, else ROLLBACK.
  Status Finish(Status s) REQUIRES(mu_) {
    if (s.ok()) {
      s = sqlite::ExecScript(db_, "COMMIT");
      if (s.ok()) return s;
    }
    sqlite::ExecScript(db_, "ROLLBACK").IgnoreError();
    return s;
  }

  Result<std::optional<VolumeInfo>> LoadLocked(const std::string& name) REQUIRES(mu_) {
    sqlite::Stmt q(db_, "SELECT driver, labels, options, anonymous, created_at FROM volumes WHERE name = ?");
    q.Bind(1, name);
    if (!q.Step()) {
      BERTH_RETURN_IF_ERROR(q.status());
      return std::optional<VolumeInfo>();
    }
    VolumeInfo v;
    v.name = name;
    v.driver = q.Text(0);
    v.labels = StringMapFromJson(q.Text(1));
    v.options = StringMapFromJson(q.Text(2));
    v.anonymous = q.Int(3) != 0;
    v.created_unix_nanos = q.Int(4);
    v.mountpoint = DataDir(name);
    sqlite::Stmt refs(db_, "SELECT container_id FROM volume_refs WHERE volume = ? ORDER BY container_id");
    refs.Bind(1, name);
    while (refs.Step()) v.containers.push_back(refs.Text(0));
    BERTH_RETURN_IF_ERROR(refs.status());
    return std::optional<VolumeInfo>(std::move(v));
  }

  Result<std::vector<VolumeInfo>> All() EXCLUDES(mu_) {
    MutexLock l(&mu_);
    std::vector<std::string> names;
    sqlite::Stmt q(db_, "SELECT name FROM volumes ORDER BY name");
    while (q.Step()) names.push_back(q.Text(0));
    BERTH_RETURN_IF_ERROR(q.status());
    std::vector<VolumeInfo> out;
    for (const auto& n : names) {
      BERTH_ASSIGN_OR_RETURN(auto v, LoadLocked(n));
      if (v) out.push_back(std::move(*v));
    }
    return out;
  }

  // Conflict when used; else the data (unmounting a tmpfs) and the record go.
  Status RemoveLocked(const VolumeInfo& v) REQUIRES(mu_) {
    if (!v.containers.empty()) {
      std::string refs;
      for (const auto& id : v.containers) refs += (refs.empty() ? "" : ", ") + id;
      return Conflict("remove " + v.name + ": volume is in use - [" + refs + "]");
    }
    if (IsMountPoint(v.mountpoint)) {
      Status s = DetachMount(v.mountpoint);
      if (!s.ok()) return Internal(s.message());
    }
    BERTH_RETURN_IF_ERROR(env_->RemoveAll(dir_ + "/" + v.name));
    sqlite::Stmt del(db_, "DELETE FROM volumes WHERE name = ?");
    del.Bind(1, v.name);
    return del.ok() ? del.Exec() : del.status();
  }

  static bool LabelMatches(const VolumeInfo& v, const std::string& want) {
    size_t eq = want.find('=');
    auto it = v.labels.find(want.substr(0, eq));
    if (it == v.labels.end()) return false;
    return eq == std::string::npos || it->second == want.substr(eq + 1);
  }

  // Every label and label! filter must hold; of the other filters' values,
  // one is enough.
  static bool Matches(const VolumeInfo& v, const VolumeFilters& filters) {
    for (const auto& [k, vals] : filters) {
      if (vals.empty()) continue;
      if (k == "label" || k == "label!") {
        for (const auto& want : vals) {
          if (LabelMatches(v, want) != (k == "label")) return false;
        }
        continue;
      }
      bool any = false;
      for (const auto& want : vals) {
        if (k == "name") any |= v.name.find(want) != std::string::npos;
        if (k == "driver") any |= v.driver == want;
        if (k == "dangling") any |= v.containers.empty() == (want == "true" || want == "1");
      }
      if (!any) return false;
    }
    return true;
  }

  void Publish(const std::string& action, const std::string& name, std::map<std::string, std::string> attrs) {
    if (events_ == nullptr) return;
    Event e;
    e.type = "volume";
    e.action = action;
    e.actor_id = name;
    e.attributes = std::move(attrs);
    e.attributes["driver"] = "local";
    e.time_unix_nanos = env_->NowUnixNanos();
    events_->Publish(std::move(e));
  }

  Env* env_;
  const std::string dir_;
  EventBus* events_;
  Mutex mu_;
  sqlite3* db_ GUARDED_BY(mu_);
};

}  // namespace

Result<std::unique_ptr<VolumeService>> VolumeService::Open(Env* env, const std::string& root, EventBus* events) {
  const std::string dir = root + "/volumes";
  BERTH_RETURN_IF_ERROR(env->CreateDirs(dir, 0701));
  const std::string path = dir + "/metadata.db";
  BERTH_ASSIGN_OR_RETURN(sqlite3 * db, sqlite::OpenSharedDatabase(path));
  auto impl = std::make_unique<VolumeServiceImpl>(env, dir, db, events);
  BERTH_RETURN_IF_ERROR(
      sqlite::ExecScript(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
  BERTH_RETURN_IF_ERROR(impl->Migrate());
  return std::unique_ptr<VolumeService>(std::move(impl));
}

}  // namespace berth
