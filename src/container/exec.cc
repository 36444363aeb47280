// docker exec: exec instances of running containers, run with `runc exec`
// (see ContainerService::CreateExec / StartExec / InspectExec).

#include <chrono>

#include "berth/log.h"
#include "container/internal.h"

namespace berth {

Result<std::string> ContainerService::CreateExec(const std::string& container_ref, const ExecConfig&) {
  return Unimplemented("exec is not supported here: " + container_ref);
}

Result<ExecInfo> ContainerService::InspectExec(const std::string& exec_id) {
  return Unimplemented("exec is not supported here: " + exec_id);
}

Status ContainerService::StartExec(const std::string& exec_id, bool,
                                   const std::function<void(int, std::string_view)>&) {
  return Unimplemented("exec is not supported here: " + exec_id);
}

namespace container {

namespace {

// The command as Docker names it in exec_create / exec_start actions.
std::string CommandText(const std::vector<std::string>& cmd) {
  std::string out;
  for (const auto& part : cmd) {
    if (!out.empty()) out += ' ';
    out += part;
  }
  return out;
}

Status NotRunning(const ContainerRecord& rec) {
  if (rec.state == ContainerState::kPaused) {
    return Conflict("container " + rec.id + " is paused, unpause the container before exec");
  }
  return Conflict("container " + rec.id + " is not running");
}

}  // namespace

Result<std::string> ContainerServiceImpl::CreateExec(const std::string& container_ref, const ExecConfig& cfg) {
  if (cfg.cmd.empty()) return InvalidArgument("No exec command specified");
  BERTH_ASSIGN_OR_RETURN(auto c, Find(container_ref));
  MutexLock l(&mu_);
  if (c->removed) return NotFound("No such container: " + container_ref);
  if (c->rec.state != ContainerState::kRunning) return NotRunning(c->rec);
  auto ex = std::make_shared<ExecInstance>();
  ex->id = RandomId();
  ex->container_id = c->rec.id;
  ex->config = cfg;
  execs_[ex->id] = ex;
  Emit(*c, "exec_create: " + CommandText(cfg.cmd), {{"execID", ex->id}});
  return ex->id;
}

Result<ExecInfo> ContainerServiceImpl::InspectExec(const std::string& exec_id) {
  MutexLock l(&mu_);
  auto it = execs_.find(exec_id);
  if (it == execs_.end()) return NotFound("No such exec instance: " + exec_id);
  const ExecInstance& ex = *it->second;
  ExecInfo info;
  info.id = ex.id;
  info.container_id = ex.container_id;
  info.config = ex.config;
  info.running = ex.running;
  info.pid = ex.pid;
  info.exit_code = ex.exit_code;
  return info;
}

Status ContainerServiceImpl::StartExec(const std::string& exec_id, bool detach,
                                       const std::function<void(int stream, std::string_view data)>& on_output) {
  std::shared_ptr<ExecInstance> ex;
  std::shared_ptr<Ctr> c;
  ContainerRecord rec;
  ContainerConfig cfg;
  {
    MutexLock l(&mu_);
    auto it = execs_.find(exec_id);
    if (it == execs_.end()) return NotFound("No such exec instance: " + exec_id);
    ex = it->second;
    if (ex->running) return Conflict("Error: Exec command " + exec_id + " is already running");
    if (ex->started) return Conflict("exec command " + exec_id + " has already run");
    auto ct = ctrs_.find(ex->container_id);
    if (ct == ctrs_.end() || ct->second->removed) return NotFound("No such container: " + ex->container_id);
    c = ct->second;
    if (c->rec.state != ContainerState::kRunning) return NotRunning(c->rec);
    rec = c->rec;
    cfg = c->stored.config;
  }
  {
    MutexLock l(&mu_);
    if (ex->started) return Conflict("exec command " + exec_id + " has already run");
    ex->started = true;
    ex->running = true;
  }
  const std::string process_json = Dir(rec.id) + "/state/exec-" + exec_id + ".json";
  Status prepared = PrepareExec(rec, cfg, ex->config, process_json);
  MutexLock l(&mu_);
  if (!prepared.ok()) {
    // As dockerd: an exec that could not be started ended with 126.
    ex->running = false;
    ex->exit_code = 126;
    cv_.NotifyAll();
    return prepared;
  }
  Emit(*c, "exec_start: " + CommandText(ex->config.cmd), {{"execID", exec_id}});
  l.Unlock();
  if (!detach) {
    RunExec(ex, process_json, on_output);
    return OkStatus();
  }
  StartTracked([this, ex, process_json] { RunExec(ex, process_json, [](int, std::string_view) {}); });
  l.Lock();
  while (ex->running && ex->pid == 0 && !stopping_) cv_.Wait(&mu_);
  return OkStatus();
}

Status ContainerServiceImpl::PrepareExec(const ContainerRecord& rec, const ContainerConfig& cfg, const ExecConfig& x,
                                         const std::string& process_json) {
  // The container's process as it was started, with the exec's overrides.
  BERTH_ASSIGN_OR_RETURN(ImageProcess img, ImageProcessOf(rec.image_manifest));
  Effective e = Merge(cfg, img);
  ProcessSpec p;
  p.args = x.cmd;
  p.env = ProcessEnv(cfg.hostname.empty() ? rec.id.substr(0, 12) : cfg.hostname, e.env);
  for (const auto& kv : x.env) OverrideEnv(&p.env, kv);
  p.cwd = !x.working_dir.empty() ? x.working_dir : (e.working_dir.empty() ? "/" : e.working_dir);
  BERTH_RETURN_IF_ERROR(ApplySecurity(cfg, &p));
  if (x.privileged) p.capabilities = CapabilitiesIn(AvailableCapabilityMask());
  BERTH_RETURN_IF_ERROR(ResolveUser(Dir(rec.id) + "/rootfs", x.user.empty() ? e.user : x.user, &p, cfg.group_add));
  return WriteProcessJson(process_json, p);
}

void ContainerServiceImpl::RunExec(const std::shared_ptr<ExecInstance>& ex, const std::string& process_json,
                                   const std::function<void(int stream, std::string_view data)>& on_output) {
  const std::string pid_file = process_json.substr(0, process_json.size() - 5) + ".pid";
  Result<int> code = runtime_->Exec(
      ex->container_id, process_json, pid_file,
      [this, &ex](int pid) {
        MutexLock l(&mu_);
        ex->pid = pid;
        cv_.NotifyAll();
      },
      on_output, [this] { return stopping_.load(); });
  if (!code.ok()) on_output(2, code.status().message() + "\n");
  Env* env = store_->env();
  for (const auto& path : {process_json, pid_file}) {
    if (env->FileExists(path)) LogIfError(env->RemoveFile(path), "remove " + path);
  }
  MutexLock l(&mu_);
  ex->running = false;
  ex->exit_code = code.ok() ? *code : 126;
  cv_.NotifyAll();
  auto ct = ctrs_.find(ex->container_id);
  if (ct != ctrs_.end() && !ct->second->removed) {
    Emit(*ct->second, "exec_die", {{"execID", ex->id}, {"exitCode", std::to_string(*ex->exit_code)}});
  }
}

}  // namespace container
}  // namespace berth
