// The container service: records, lifecycle (create, start, stop, kill,
// wait, remove) and the watchers that notice a process's end.
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "berth/log.h"
#include "berth/reference.h"
#include "container/internal.h"

namespace berth {

using container::ContainerServiceImpl;

Result<std::unique_ptr<ContainerService>> ContainerService::Open(Store* store, const ContainerServiceOptions& opts) {
  Env* env = store->env();
  const std::string root = store->root();
  BERTH_RETURN_IF_ERROR(env->CreateDirs(root + "/containers", 0710));
  BERTH_RETURN_IF_ERROR(env->CreateDirs(root + "/runc", 0700));
  BERTH_ASSIGN_OR_RETURN(auto snaps, Snapshotter::Open(root + "/snapshots", store->blobs(), opts.unpack_limits));
  RuntimeOptions ro = opts.runtime;
  if (ro.runc_root.empty()) ro.runc_root = root + "/runc";
  if (ro.shim.empty()) {
    // Default: berth-shim beside the running executable.
    std::error_code ec;
    auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) ro.shim = (self.parent_path() / "berth-shim").string();
  }
  if (ro.exec_helper.empty()) {
    // Default: berth-exec beside the running executable, when it is there.
    std::error_code ec;
    auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec && ::access((self.parent_path() / "berth-exec").c_str(), X_OK) == 0) {
      ro.exec_helper = (self.parent_path() / "berth-exec").string();
    }
  }
  BERTH_ASSIGN_OR_RETURN(auto runtime, Runtime::Create(ro));
  Result<LogRotation> default_log = ParseLogConfig(opts.default_log_driver, opts.default_log_options);
  if (!default_log.ok()) {
    return Status(default_log.status().code(), "invalid default log configuration: " + default_log.status().message());
  }
  auto impl =
      std::make_unique<ContainerServiceImpl>(store, std::move(snaps), std::move(runtime), root + "/containers", opts);
  BERTH_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<ContainerService>(std::move(impl));
}

namespace container {

namespace {
int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
bool Contains(const std::string& s, std::string_view what) {
  std::string lower;
  for (char ch : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return lower.find(what) != std::string::npos;
}
}  // namespace

ContainerServiceImpl::ContainerServiceImpl(Store* store, std::unique_ptr<Snapshotter> snaps,
                                           std::unique_ptr<Runtime> runtime, std::string dir,
                                           ContainerServiceOptions opts)
    : store_(store),
      snaps_(std::move(snaps)),
      runtime_(std::move(runtime)),
      dir_(std::move(dir)),
      opts_(std::move(opts)) {}

ContainerServiceImpl::~ContainerServiceImpl() { Shutdown(); }

Status ContainerServiceImpl::Init() {
  // Directories of containers removed just before a crash or a stop.
  LogIfError(store_->env()->RemoveAll(dir_ + "/.removing"), "remove the directories of removed containers");
  BERTH_ASSIGN_OR_RETURN(volumes_, VolumeService::Open(store_->env(), store_->root(), store_->events()));
  BERTH_ASSIGN_OR_RETURN(std::vector<ContainerRecord> recs, store_->images()->Containers());
  std::vector<std::string> to_watch, to_remove;
  for (auto& r : recs) {
    auto c = std::make_shared<Ctr>();
    c->rec = r;
    auto stored = StoredConfigFromJson(r.config_json);
    if (stored.ok()) c->stored = *stored;
    c->health = c->stored.health;
    if (r.running()) {
      auto st = runtime_->State(r.id, Dir(r.id) + "/state");
      if (st.ok() && !st->exited && st->kind == RuntimeState::kRunning) {
        c->rec.pid = st->pid ? st->pid : c->rec.pid;
        c->rec.state = st->paused ? ContainerState::kPaused : ContainerState::kRunning;
        to_watch.push_back(r.id);
      } else {
        // Ended while nobody watched: the exit file tells how, else 255.
        bool exited = st.ok() && st->exited;
        c->rec.state = ContainerState::kExited;
        c->rec.exit_code = exited ? st->exit_code : 255;
        c->rec.finished_unix_nanos =
            exited && st->finished_unix_nanos ? st->finished_unix_nanos : store_->env()->NowUnixNanos();
        c->rec.pid = 0;
        UnmountAll(r.id);
        c->stored.oom_killed = OomKilledInCgroup(r.id);
        LogIfError(runtime_->Delete(r.id), "delete the runtime state of container " + r.id);
        ReleaseNetwork(r.id);
        BERTH_RETURN_IF_ERROR(Persist(*c));
        if (c->stored.config.auto_remove) to_remove.push_back(r.id);
      }
    }
    MutexLock l(&mu_);
    ctrs_[r.id] = c;
  }
  for (const auto& id : to_watch) {
    StartWatcher(id);
    StartHealthMonitor(id, /*resume=*/true);
  }
  for (const auto& id : to_remove) LogIfError(RemoveInternal(id, false, true, true), "auto-remove container " + id);
  RestartAtDaemonStart();
  // Snapshots no image or container keeps go when the image service's
  // reaper has deleted content (a removal, a prune): a direct call.
  sweep_hook_ = store_->images()->AddCollectHook(
      [this] { LogIfError(SweepSnapshots().status(), "remove unused container snapshots"); });
  return OkStatus();
}

void ContainerServiceImpl::Shutdown() {
  stopping_ = true;
  if (sweep_hook_ != 0) {
    store_->images()->RemoveCollectHook(sweep_hook_);
    sweep_hook_ = 0;
  }
  {
    MutexLock l(&mu_);
    cv_.NotifyAll();
  }
  std::vector<Thread> threads;
  {
    MutexLock l(&threads_mu_);
    threads.swap(threads_);
  }
  for (auto& t : threads) {
    if (t.t.joinable()) t.t.join();
  }
}

void ContainerServiceImpl::Observe(const std::string& action, int64_t start_nanos) {
  store_->metrics()->ObserveImageAction("container_" + action, (SteadyNanos() - start_nanos) / 1e9);
}

void ContainerServiceImpl::Emit(const Ctr& c, const std::string& action, std::map<std::string, std::string> extra) {
  Event e;
  e.type = "container";
  e.action = action;
  e.actor_id = c.rec.id;
  auto proc = ImageProcessOf(c.rec.image_manifest);
  if (proc.ok()) e.attributes = proc->labels;
  for (const auto& [k, v] : c.stored.config.labels) e.attributes[k] = v;
  e.attributes["name"] = c.rec.name;
  e.attributes["image"] = c.rec.image_ref;
  for (auto& [k, v] : extra) e.attributes[k] = std::move(v);
  store_->events()->Publish(std::move(e));
}

Status ContainerServiceImpl::Persist(const Ctr& c) {
  ContainerRecord r = c.rec;
  StoredConfig stored = c.stored;
  stored.health = c.health;
  r.config_json = StoredConfigToJson(stored);
  return store_->images()->PutContainer(r);
}

Status ContainerServiceImpl::PersistStoredChange(Ctr& c, const std::function<void(StoredConfig&)>& change) {
  StoredConfig before = c.stored;
  change(c.stored);
  Status s = Persist(c);
  if (!s.ok()) c.stored = std::move(before);
  return s;
}

Result<std::string> ContainerServiceImpl::ResolveLocked(const std::string& ref) {
  std::string_view r = ref;
  if (r.empty()) return NotFound("No such container: " + ref);
  if (ctrs_.count(std::string(r))) return std::string(r);
  if (const Ctr* named = ByNameLocked(r.starts_with("/") ? r.substr(1) : r)) return named->rec.id;
  std::string found;
  for (auto it = ctrs_.lower_bound(std::string(r)); it != ctrs_.end() && it->first.starts_with(r); ++it) {
    if (!found.empty()) return InvalidArgument("multiple IDs found with provided prefix: " + ref);
    found = it->first;
  }
  if (found.empty()) return NotFound("No such container: " + ref);
  return found;
}

const Ctr* ContainerServiceImpl::ByNameLocked(std::string_view name) {
  for (const auto& [id, c] : ctrs_) {
    if (c->rec.name == name) return c.get();
  }
  return nullptr;
}

Result<std::shared_ptr<Ctr>> ContainerServiceImpl::Find(const std::string& ref) {
  MutexLock l(&mu_);
  BERTH_ASSIGN_OR_RETURN(std::string id, ResolveLocked(ref));
  return ctrs_[id];
}

Result<ContainerCreateResult> ContainerServiceImpl::Create(const std::string& name_in, const ContainerConfig& cfg) {
  int64_t t0 = SteadyNanos();
  if (!name_in.empty() && !ValidContainerName(name_in)) return InvalidName(name_in);
  std::string name = name_in.starts_with("/") ? name_in.substr(1) : name_in;
  ContainerCreateResult out;
  BERTH_ASSIGN_OR_RETURN(ImageRecord img, store_->images()->Resolve(cfg.image));
  BERTH_ASSIGN_OR_RETURN(Descriptor manifest, PickManifest(img, cfg.image, cfg.platform));
  BERTH_ASSIGN_OR_RETURN(auto mc, LoadImage(manifest.digest));
  BERTH_ASSIGN_OR_RETURN(ImageProcess proc, ImageProcessOf(manifest.digest));
  if (Merge(cfg, proc).args.empty()) return InvalidArgument("no command specified");
  Platform plat = Normalize(mc.second.platform);
  if (!cfg.platform && !Only(HostPlatform())->Match(plat)) {
    out.warnings.push_back("The requested image's platform (" + FormatPlatform(plat) +
                           ") does not match the detected host platform (" + FormatPlatform(HostPlatform()) +
                           ") and no specific platform was requested");
  }
  auto c = std::make_shared<Ctr>();
  for (const auto& m : cfg.image_mounts) {
    if (m.target.empty() || m.target[0] != '/') {
      return InvalidArgument("invalid mount config for type \"image\": invalid mount path: '" + m.target +
                             "' mount path must be absolute");
    }
    BERTH_ASSIGN_OR_RETURN(ImageRecord mi, store_->images()->Resolve(m.source));
    c->rec.image_mounts.push_back(mi.id());
  }
  c->rec.id = RandomId();
  c->rec.image_ref = cfg.image;
  c->rec.image_id = img.id();
  c->rec.image_manifest = manifest.digest;
  c->rec.image_platform = plat;
  c->rec.state = ContainerState::kCreated;
  c->rec.created_unix_nanos = store_->env()->NowUnixNanos();
  c->stored.config = cfg;
  BERTH_RETURN_IF_ERROR(
      ValidateResources(&c->stored.config.resources, host_resources_, false, cfg.network_mode, &out.warnings));
  BERTH_RETURN_IF_ERROR(ValidateRestartPolicy(cfg.restart_policy));
  if (cfg.healthcheck) BERTH_RETURN_IF_ERROR(ValidateHealthConfig(*cfg.healthcheck));
  if (cfg.auto_remove && HasRestartPolicy(cfg.restart_policy)) {
    return InvalidArgument("can't create 'AutoRemove' container with restart policy");
  }
  BERTH_RETURN_IF_ERROR(MergeLogDefaults(&c->stored.config));
  if (!c->stored.config.network.legacy_links.empty()) {
    MutexLock l(&mu_);
    BERTH_RETURN_IF_ERROR(ResolveLegacyLinksLocked(&c->stored.config.network));
  }
  BERTH_RETURN_IF_ERROR(PrepareMounts(c->rec.id, img.id(), mc.second.raw, &c->stored.config));
  if (Status s = store_->env()->CreateDirs(Dir(c->rec.id) + "/state", 0710); !s.ok()) {
    LogIfError(volumes_->Release(c->rec.id, true), "release the volumes of container " + c->rec.id);
    return s;
  }
  {
    MutexLock l(&mu_);
    if (name.empty()) {
      do name = GenerateName();
      while (ByNameLocked(name));
    } else if (const Ctr* other = ByNameLocked(name)) {
      LogIfError(store_->env()->RemoveAll(Dir(c->rec.id)), "remove the directory of container " + c->rec.id);
      LogIfError(volumes_->Release(c->rec.id, true), "release the volumes of container " + c->rec.id);
      return NameInUse(name, other->rec.id);
    }
    c->rec.name = name;
    Status s = Persist(*c);
    if (!s.ok()) {
      LogIfError(store_->env()->RemoveAll(Dir(c->rec.id)), "remove the directory of container " + c->rec.id);
      LogIfError(volumes_->Release(c->rec.id, true), "release the volumes of container " + c->rec.id);
      return s;
    }
    ctrs_[c->rec.id] = c;
    Emit(*c, "create");
  }
  out.id = c->rec.id;
  Observe("create", t0);
  return out;
}

void ContainerServiceImpl::DiscardDir(const std::string& id) {
  Env* env = store_->env();
  const std::string trash = dir_ + "/.removing";
  const std::string to = trash + "/" + id;
  Status s = env->CreateDirs(trash, 0700);
  if (s.ok()) s = env->RenameFile(Dir(id), to);
  if (!s.ok()) {
    if (s.code() != Code::kNotFound) LogIfError(env->RemoveAll(Dir(id)), "remove the directory of container " + id);
    return;
  }
  StartTracked([env, to] { LogIfError(env->RemoveAll(to), "remove the directory of a removed container " + to); });
}

void ContainerServiceImpl::UnmountAll(const std::string& id) {
  const std::string dir = Dir(id);
  std::error_code ec;
  // Unmounting changes no stored state, and a mount point that is not
  // mounted (already undone, or never made) fails harmlessly.
  for (const auto& e : std::filesystem::directory_iterator(dir + "/imagemounts", ec)) {
    UnmountOverlay(e.path().string()).IgnoreError();
  }
  for (const auto& e : std::filesystem::directory_iterator(dir + "/subpaths", ec)) {
    DetachMount(e.path().string()).IgnoreError();  // volume subpaths (volumes.cc)
  }
  UnmountOverlay(dir + "/rootfs").IgnoreError();
  UnmountOverlay(dir + "/shm").IgnoreError();  // a shareable ipc namespace's /dev/shm
}

Status ContainerServiceImpl::MergeLogDefaults(ContainerConfig* cfg) const {
  if (cfg->log_driver.empty()) cfg->log_driver = opts_.default_log_driver;
  if (cfg->log_driver == opts_.default_log_driver) {
    for (const auto& [key, value] : opts_.default_log_options) cfg->log_options.emplace(key, value);
  }
  return ParseLogConfig(cfg->log_driver, cfg->log_options).status();
}

Status ContainerServiceImpl::Start(const std::string& ref) {
  std::string id;
  bool auto_remove = false;
  Status s = StartOnce(ref, &id, &auto_remove);
  if (!s.ok() && auto_remove) {
    // As dockerd: a failed start of an AutoRemove container removes it
    // (`docker run --rm` waits for condition=removed after the error).
    LogIfError(Remove(id, true), "auto-remove container " + id + " after a failed start");
  }
  return s;
}

std::vector<std::string> ProcessEnv(const std::string& hostname, const std::vector<std::string>& merged_env) {
  // Docker's order: a default PATH and HOSTNAME, then the merged Env
  // replacing by key.
  std::vector<std::string> env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                  "HOSTNAME=" + hostname};
  for (const auto& kv : merged_env) OverrideEnv(&env, kv);
  return env;
}

Status ApplySecurity(const ContainerConfig& cfg, ProcessSpec* p) {
  p->no_new_privileges = cfg.no_new_privileges;
  BERTH_ASSIGN_OR_RETURN(auto caps, ApplyCapabilityChanges(cfg.cap_add, cfg.cap_drop, AvailableCapabilityMask()));
  p->capabilities = cfg.privileged ? CapabilitiesIn(AvailableCapabilityMask()) : std::move(caps);
  p->privileged = cfg.privileged;
  // Privileged: no filter unless a profile was given (Docker's rule).
  if (!cfg.privileged || (!cfg.seccomp_profile.empty() && cfg.seccomp_profile != "unconfined")) {
    BERTH_ASSIGN_OR_RETURN(p->seccomp, SeccompFilterFor(cfg.seccomp_profile, p->capabilities, CurrentSeccompHost()));
  }
  return OkStatus();
}

Status ContainerServiceImpl::StartOnce(const std::string& ref, std::string* id, bool* auto_remove, StartCause cause,
                                       uint64_t restart_generation) {
  int64_t t0 = SteadyNanos();
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  MutexLock op(c->op_mu.get());
  ContainerRecord rec;
  ContainerConfig cfg;
  {
    MutexLock l(&mu_);
    if (c->removed) return NotFound("No such container: " + ref);
    if (cause == StartCause::kRestartPolicy) {
      // Only the restart it was scheduled for (not cancelled meanwhile).
      if (c->rec.state != ContainerState::kRestarting || c->restart_generation != restart_generation) {
        return OkStatus();
      }
    } else if (c->rec.running()) {
      return OkStatus();
    }
    rec = c->rec;
    cfg = c->stored.config;
  }
  *id = rec.id;
  *auto_remove = cfg.auto_remove;
  const std::string dir = Dir(rec.id);
  Env* env = store_->env();
  // A failed start leaves the record created, with the error. Like Docker,
  // a command that cannot be found (127) or run (126) is the caller's error.
  auto fail = [&](Status s, bool from_runtime = false) {
    UnmountAll(rec.id);
    ReleaseNetwork(rec.id);
    MutexLock l(&mu_);
    c->stored.error = s.message();
    if (from_runtime) {
      // The runtime classifies the failure (Runtime::Start); the caller's
      // command is the caller's error (400).
      if (s.code() == Code::kNotFound) {
        c->rec.exit_code = 127;
        s = InvalidArgument(s.message());
      } else if (s.code() == Code::kPermissionDenied) {
        c->rec.exit_code = 126;
        s = InvalidArgument(s.message());
      }
    }
    LogIfError(Persist(*c), "persist container " + c->rec.id);
    return s;
  };
  auto proc = ImageProcessOf(rec.image_manifest);
  if (!proc.ok()) return fail(proc.status());
  Effective e = Merge(cfg, *proc);
  if (e.args.empty()) return fail(InvalidArgument("no command specified"));
  auto layers = PrepareImage(rec.image_manifest);
  if (!layers.ok()) return fail(layers.status());
  for (const char* sub : {"/upper", "/work", "/rootfs", "/state", "/bundle"}) {
    Status s = env->CreateDirs(dir + sub, 0755);
    if (!s.ok()) return fail(s);
  }
  Status s = MountOverlay(layers->dirs, dir + "/upper", dir + "/work", dir + "/rootfs");
  if (!s.ok()) return fail(s);

  ProcessSpec p;
  p.args = e.args;
  if (cfg.init) {
    // Docker's --init: its init as pid 1, the process its child.
    if (!env->FileExists(opts_.init_path)) {
      return fail(FailedPrecondition("--init: the init binary " + opts_.init_path + " is not installed"));
    }
    p.args.insert(p.args.begin(), {std::string(kInitPathInContainer), "--"});
    p.bind_mounts.push_back({opts_.init_path, std::string(kInitPathInContainer), true});
  }
  p.hostname = cfg.hostname.empty() ? rec.id.substr(0, 12) : cfg.hostname;
  // Legacy links: each linked container's variables (and, below, its
  // /etc/hosts entry).
  Result<std::vector<LinkedChild>> linked = LinkedChildren(rec.name, cfg.network);
  if (!linked.ok()) return fail(linked.status());
  // Docker's order: a default PATH and HOSTNAME, the links' variables, then
  // the merged Env replacing by key.
  p.env = ProcessEnv(p.hostname, WithLegacyLinkEnv(*linked, e.env));
  p.cwd = e.working_dir.empty() ? "/" : e.working_dir;
  p.host_network = cfg.network_mode == "host";
  p.read_only_rootfs = cfg.read_only_rootfs;
  p.terminal = cfg.tty;
  p.console_rows = cfg.console_rows;
  p.console_cols = cfg.console_cols;
  s = PrepareNamespaces(rec.id, cfg, &p);
  if (!s.ok()) return fail(s);
  s = PrepareNetwork(rec, cfg, *proc, *linked, &p);
  if (!s.ok()) return fail(s);
  s = ApplySecurity(cfg, &p);
  if (!s.ok()) return fail(s);
  s = ResolveUser(dir + "/rootfs", e.user, &p, cfg.group_add);
  if (!s.ok()) return fail(s);
  for (size_t i = 0; i < cfg.image_mounts.size() && i < rec.image_mounts.size(); ++i) {
    auto m = HostManifestOf(rec.image_mounts[i]);
    if (!m.ok()) return fail(m.status());
    auto ml = PrepareImage(*m);
    if (!ml.ok()) return fail(ml.status());
    std::string source;
    if (ml->dirs.size() == 1) {
      source = ml->dirs[0];  // one layer: bind it directly (read-only)
    } else {
      source = dir + "/imagemounts/" + std::to_string(i);
      s = env->CreateDirs(source, 0755);
      if (!s.ok()) return fail(s);
      if (ml->dirs.size() >= 2) {
        s = MountReadOnlyOverlay(ml->dirs, source);
        if (!s.ok()) return fail(Status(s.code(), "mount image " + cfg.image_mounts[i].source + ": " + s.message()));
      }
    }
    p.bind_mounts.push_back({source, cfg.image_mounts[i].target, true});
  }
  s = AddMountsToSpec(rec.id, cfg, &p);
  if (!s.ok()) return fail(s);
  s = ApplyResourcesToSpec(cfg.resources, &p);
  if (!s.ok()) return fail(s);
  s = WriteBundleConfig(dir + "/bundle", dir + "/rootfs", p);
  if (!s.ok()) return fail(s);
  auto log_rotation = ParseLogConfig(cfg.log_driver, cfg.log_options);
  if (!log_rotation.ok()) return fail(log_rotation.status());
  auto pid =
      runtime_->Start(rec.id, dir + "/bundle", dir + "/state", StartOptions{*log_rotation, cfg.open_stdin, cfg.tty});
  if (!pid.ok()) return fail(pid.status(), true);
  {
    MutexLock l(&mu_);
    c->rec.state = ContainerState::kRunning;
    c->rec.pid = *pid;
    c->rec.exit_code = 0;
    c->rec.started_unix_nanos = env->NowUnixNanos();
    c->stored.error.clear();
    c->stored.oom_killed = false;
    if (cause == StartCause::kUser) {
      // Docker's start by the user: a fresh restart manager.
      c->stored.restart_count = 0;
      c->stored.manually_stopped = false;
      c->backoff.Reset();
    }
    if (cause != StartCause::kRestartPolicy) c->exit_on_next = false;
    s = Persist(*c);
    Emit(*c, "start");
    cv_.NotifyAll();  // AwaitStarted
  }
  StartWatcher(rec.id);
  StartHealthMonitor(rec.id);
  Observe("start", t0);
  return s;
}

void ContainerServiceImpl::StartTracked(std::function<void()> fn) {
  MutexLock l(&threads_mu_);
  if (stopping_) return;
  for (auto it = threads_.begin(); it != threads_.end();) {
    if (*it->done) {
      it->t.join();
      it = threads_.erase(it);
    } else {
      ++it;
    }
  }
  auto done = std::make_shared<std::atomic<bool>>(false);
  std::thread t([fn = std::move(fn), done] {
    fn();
    *done = true;
  });
  threads_.push_back(Thread{std::move(t), done});
}

void ContainerServiceImpl::StartWatcher(const std::string& id) {
  StartTracked([this, id] {
    const std::string state = Dir(id) + "/state";
    int gone = 0;
    while (!stopping_) {
      const int64_t waited_from = SteadyNanos();
      auto st = runtime_->Wait(id, state, 10'000, [this] { return stopping_.load(); });
      if (stopping_) break;
      {
        MutexLock l(&mu_);
        auto it = ctrs_.find(id);
        if (it == ctrs_.end() || it->second->removed || !it->second->rec.running()) break;
      }
      if (st.ok() && st->exited) {
        OnExit(id, *st);
        break;
      }
      // No exit file and runc no longer runs it: the shim died; give it a
      // moment, then record 255.
      if (!st.ok() || st->kind != RuntimeState::kRunning) {
        if (++gone >= 5) {
          RuntimeState dead;
          dead.exited = true;
          dead.exit_code = 255;
          OnExit(id, dead);
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      } else {
        gone = 0;
        // Wait gives up at once when the shim is gone but runc still runs
        // the process: poll gently until runc reports it stopped.
        if (SteadyNanos() - waited_from < 500'000'000) std::this_thread::sleep_for(std::chrono::seconds(1));
      }
    }
  });
}

void ContainerServiceImpl::OnExit(const std::string& id, const RuntimeState& st) {
  // Unmount before the record says exited, so that a Start that follows
  // never sees its fresh mount undone.
  UnmountAll(id);
  // Read while runc's cgroup of the container still exists.
  const bool oom_killed = OomKilledInCgroup(id);
  runtime_->DeleteLater(id);  // off the exit's path: a Start of the same container waits for it
  volumes_->Unmount(id);
  ReleaseNetwork(id);
  bool auto_remove = false;
  std::optional<int64_t> restart_delay;
  uint64_t restart_generation = 0;
  {
    MutexLock l(&mu_);
    auto it = ctrs_.find(id);
    if (it == ctrs_.end() || it->second->removed || !it->second->rec.running()) return;
    Ctr& c = *it->second;
    c.rec.exit_code = st.exit_code;
    c.stored.oom_killed = oom_killed;
    c.rec.finished_unix_nanos = st.finished_unix_nanos ? st.finished_unix_nanos : store_->env()->NowUnixNanos();
    c.rec.pid = 0;
    c.exits++;
    c.health_generation++;  // its health monitor ends
    if (!c.exit_on_next && !stopping_) {
      restart_delay = c.backoff.NextDelay(c.stored.config.restart_policy, st.exit_code, c.stored.manually_stopped,
                                          c.rec.finished_unix_nanos - c.rec.started_unix_nanos, c.stored.restart_count);
    }
    c.rec.state = restart_delay ? ContainerState::kRestarting : ContainerState::kExited;
    if (restart_delay) {
      c.stored.restart_count++;
      restart_generation = ++c.restart_generation;
    }
    auto_remove = c.stored.config.auto_remove && !restart_delay;
    // A container about to be removed is not written: a crash before its
    // removal finds the record running and the exit file there, records the
    // exit then and removes it (Init), so one fsync leaves the exit's path.
    if (!auto_remove) LogIfError(Persist(c), "persist container " + id);
    Emit(c, "die", {{"exitCode", std::to_string(st.exit_code)}});
    cv_.NotifyAll();
  }
  if (restart_delay) ScheduleRestart(id, restart_generation, *restart_delay);
  if (auto_remove) {
    AwaitOutputRead(id);
    LogIfError(RemoveInternal(id, false, true, true), "auto-remove container " + id);
  }
}

void ContainerServiceImpl::AwaitOutputRead(const std::string& id) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  MutexLock l(&mu_);
  auto it = ctrs_.find(id);
  if (it == ctrs_.end()) return;
  std::shared_ptr<Ctr> c = it->second;
  while (c->output_holds > 0 && !stopping_ && std::chrono::steady_clock::now() < deadline) {
    cv_.WaitUntil(&mu_, deadline);
  }
}

bool ContainerServiceImpl::WaitExit(Ctr& c, uint64_t exits_before, int64_t ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (c.exits == exits_before && c.rec.running() && !c.removed) {
    if (stopping_) return false;
    if (ms >= 0 && std::chrono::steady_clock::now() >= deadline) return false;
    cv_.WaitFor(&mu_, std::chrono::milliseconds(100));
  }
  return true;
}

int ContainerServiceImpl::StopSignalLocked(const Ctr& c) {
  std::string name = c.stored.config.stop_signal;
  if (auto proc = ImageProcessOf(c.rec.image_manifest); name.empty() && proc.ok()) name = proc->stop_signal;
  if (!name.empty()) {
    if (auto parsed = ParseSignal(name); parsed.ok()) return *parsed;
  }
  return 15;
}

Status ContainerServiceImpl::KillLocked(Ctr& c, int sig) {
  Status s = runtime_->Kill(c.rec.id, sig);
  if (s.code() == Code::kFailedPrecondition) return Conflict("container " + c.rec.id + " is not running");
  BERTH_RETURN_IF_ERROR(s);
  MutexLock l(&mu_);
  Emit(c, "kill", {{"signal", std::to_string(sig)}});
  if (c.rec.state == ContainerState::kPaused) {
    // As Docker: a paused container gets the signal, then is thawed to act on it.
    LogIfError(runtime_->Resume(c.rec.id), "resume container " + c.rec.id + " after a signal");
    c.rec.state = ContainerState::kRunning;
    LogIfError(Persist(c), "persist container " + c.rec.id);
  }
  return OkStatus();
}

Status ContainerServiceImpl::Kill(const std::string& ref, const std::string& signal) {
  int64_t t0 = SteadyNanos();
  BERTH_ASSIGN_OR_RETURN(int sig, ParseSignal(signal));
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  MutexLock op(c->op_mu.get());
  uint64_t before;
  {
    MutexLock l(&mu_);
    if (!c->rec.running()) return Conflict("container " + c->rec.id + " is not running");
    // As Docker: a kill is a manual stop; SIGKILL or the stop signal also
    // ends restarting (a restarting container just stays exited).
    c->stored.manually_stopped = true;
    if (sig == 9 || sig == StopSignalLocked(*c)) {
      if (CancelRestartLocked(*c)) return OkStatus();
    } else if (c->rec.state == ContainerState::kRestarting) {
      LogIfError(Persist(*c), "persist container " + c->rec.id);
      return Conflict("container " + c->rec.id + " is not running");
    }
    LogIfError(Persist(*c), "persist container " + c->rec.id);
    before = c->exits;
  }
  BERTH_RETURN_IF_ERROR(KillLocked(*c, sig));
  if (sig == 9) {
    // Docker answers a SIGKILL once the container has stopped.
    MutexLock l(&mu_);
    if (!WaitExit(*c, before, 10'000)) return Internal("container " + c->rec.id + " did not stop after SIGKILL");
  }
  Observe("kill", t0);
  return OkStatus();
}

Status ContainerServiceImpl::Stop(const std::string& ref, int timeout_s) {
  int64_t t0 = SteadyNanos();
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  MutexLock op(c->op_mu.get());
  uint64_t before;
  int sig;
  int timeout;
  {
    MutexLock l(&mu_);
    if (!c->rec.running()) return OkStatus();
    c->stored.manually_stopped = true;
    if (CancelRestartLocked(*c)) {
      Emit(*c, "stop");
      return OkStatus();
    }
    LogIfError(Persist(*c), "persist container " + c->rec.id);
    before = c->exits;
    sig = StopSignalLocked(*c);
    timeout = timeout_s >= 0 ? timeout_s : c->stored.config.stop_timeout.value_or(10);
  }
  Status s = KillLocked(*c, sig);
  MutexLock lk(&mu_);
  if (!s.ok() || !WaitExit(*c, before, static_cast<int64_t>(timeout) * 1000)) {
    lk.Unlock();
    Status k = KillLocked(*c, 9);
    lk.Lock();
    if (!WaitExit(*c, before, 30'000)) {
      return k.ok() ? Internal("container " + c->rec.id + " did not stop") : k;
    }
  }
  Emit(*c, "stop");
  lk.Unlock();
  Observe("stop", t0);
  return OkStatus();
}

Status ContainerServiceImpl::Restart(const std::string& ref, int timeout_s) {
  int64_t t0 = SteadyNanos();
  BERTH_RETURN_IF_ERROR(Stop(ref, timeout_s));
  BERTH_RETURN_IF_ERROR(Start(ref));
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  {
    MutexLock l(&mu_);
    Emit(*c, "restart");
  }
  Observe("restart", t0);
  return OkStatus();
}

Result<int> ContainerServiceImpl::Wait(const std::string& ref, const std::string& condition,
                                       const std::function<bool()>& cancelled) {
  if (!condition.empty() && condition != "not-running" && condition != "next-exit" && condition != "removed") {
    return InvalidArgument("invalid condition: \"" + condition + "\"");
  }
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  MutexLock lk(&mu_);
  uint64_t before = c->exits;
  auto satisfied = [&] {
    if (condition == "removed") return c->removed;
    if (condition == "next-exit") return c->exits != before || c->removed;
    // As Docker, a waiter for not-running is also released when the
    // container exits into restarting.
    return !c->rec.running() || c->removed || c->exits != before;
  };
  BERTH_RETURN_IF_ERROR(AwaitLocked(satisfied, cancelled));
  return c->rec.exit_code;
}

Status ContainerServiceImpl::AwaitLocked(const std::function<bool()>& satisfied,
                                         const std::function<bool()>& cancelled) {
  // Whatever changes a record notifies cv_; the timeout only bounds how
  // late `cancelled` is seen.
  while (!satisfied()) {
    if (stopping_) return Cancelled("container service is shutting down");
    if (cancelled && cancelled()) return Cancelled("wait cancelled");
    cv_.WaitFor(&mu_, std::chrono::milliseconds(100));
  }
  return OkStatus();
}

Result<ContainerState> ContainerServiceImpl::AwaitStarted(const std::string& ref,
                                                          const std::function<bool()>& cancelled) {
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  MutexLock lk(&mu_);
  // Start, a failed start and removal notify cv_.
  BERTH_RETURN_IF_ERROR(AwaitLocked([&] { return c->removed || c->rec.state != ContainerState::kCreated; }, cancelled));
  if (c->removed) return NotFound("No such container: " + c->rec.id);
  return c->rec.state;
}

Status ContainerServiceImpl::Remove(const std::string& ref, bool force) {
  int64_t t0 = SteadyNanos();
  std::string id;
  {
    MutexLock l(&mu_);
    BERTH_ASSIGN_OR_RETURN(id, ResolveLocked(ref));
  }
  BERTH_RETURN_IF_ERROR(RemoveInternal(id, force, false));
  Observe("delete", t0);
  return OkStatus();
}

Status ContainerServiceImpl::RemoveInternal(const std::string& id, bool force, bool from_watcher, bool remove_volumes) {
  std::shared_ptr<Ctr> c;
  {
    MutexLock l(&mu_);
    auto it = ctrs_.find(id);
    if (it == ctrs_.end()) return from_watcher ? OkStatus() : NotFound("No such container: " + id);
    c = it->second;
  }
  MutexLock op(c->op_mu.get());
  uint64_t before;
  bool running;
  {
    MutexLock l(&mu_);
    if (c->removed) return from_watcher ? OkStatus() : NotFound("No such container: " + id);
    running = c->rec.running();
    if (running && force && CancelRestartLocked(*c)) running = false;
    if (running && !force) {
      return Conflict("cannot remove container \"/" + c->rec.name +
                      "\": container is running: stop the container before removing or force remove");
    }
    before = c->exits;
  }
  if (running) {
    KillLocked(*c, 9).IgnoreError();
    MutexLock lk(&mu_);
    if (!WaitExit(*c, before, 30'000)) return Internal("container " + id + " did not stop");
  }
  UnmountAll(id);
  LogIfError(runtime_->Delete(id), "delete the runtime state of container " + id);
  ReleaseNetwork(id);
  BERTH_RETURN_IF_ERROR(store_->images()->DeleteContainer(id));
  LogIfError(volumes_->Release(id, remove_volumes), "release the volumes of container " + id);
  DiscardDir(id);
  {
    MutexLock l(&mu_);
    c->removed = true;
    ctrs_.erase(id);
    std::erase_if(execs_, [&id](const auto& entry) { return entry.second->container_id == id; });
    Emit(*c, "destroy");
    cv_.NotifyAll();
  }
  LogIfError(SweepSnapshots().status(), "remove unused container snapshots");
  return OkStatus();
}

}  // namespace container
}  // namespace berth
