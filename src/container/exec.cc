// docker exec: exec instances of running containers, run with `runc exec`
// (see ContainerService::CreateExec / StartExec / InspectExec).

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "base/unique_fd.h"
#include "berth/runtime.h"

#include "berth/log.h"
#include "container/internal.h"

namespace berth {

Result<std::string> ContainerService::CreateExec(const std::string& container_ref, const ExecConfig&) {
  return Unimplemented("exec is not supported here: " + container_ref);
}

Result<ExecInfo> ContainerService::InspectExec(const std::string& exec_id) {
  return Unimplemented("exec is not supported here: " + exec_id);
}

Status ContainerService::StartExec(const std::string& exec_id, bool, const std::function<void(int, std::string_view)>&,
                                   const StdinSource&) {
  return Unimplemented("exec is not supported here: " + exec_id);
}

Status ContainerService::ResizeExec(const std::string& exec_id, int, int) {
  return Unimplemented("exec is not supported here: " + exec_id);
}

Status ContainerService::SetExecConsoleSize(const std::string& exec_id, int, int) {
  return Unimplemented("exec is not supported here: " + exec_id);
}

Result<ContainerState> ContainerService::AwaitStarted(const std::string& ref, const std::function<bool()>& cancelled) {
  while (true) {
    BERTH_ASSIGN_OR_RETURN(ContainerInfo info, Get(ref));
    if (info.record.state != ContainerState::kCreated) return info.record.state;
    if (cancelled && cancelled()) return Cancelled("wait cancelled");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::shared_ptr<void> ContainerService::HoldOutput(const std::string&) { return nullptr; }

Status ContainerService::WriteStdin(const std::string& ref, std::string_view) {
  return Unimplemented("stdin is not supported here: " + ref);
}

Status ContainerService::CloseStdin(const std::string& ref) {
  return Unimplemented("stdin is not supported here: " + ref);
}

Status ContainerService::ResizeTty(const std::string& ref, int, int) {
  return Unimplemented("TTYs are not supported here: " + ref);
}

namespace container {

namespace {

// Writes all of `data` to `fd`; false once it fails (the reader has gone).
bool WriteAllFd(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

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
                                       const std::function<void(int stream, std::string_view data)>& on_output,
                                       const StdinSource& input) {
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
  if (!detach) return RunAttachedExec(ex, process_json, on_output, input);
  StartTracked([this, ex, process_json] { RunExec(ex, process_json, nullptr); });
  l.Lock();
  while (ex->running && ex->pid == 0 && !stopping_) cv_.Wait(&mu_);
  return OkStatus();
}

Status ContainerServiceImpl::RunAttachedExec(const std::shared_ptr<ExecInstance>& ex, const std::string& process_json,
                                             const std::function<void(int stream, std::string_view data)>& on_output,
                                             const StdinSource& input) {
  // The process runs on a thread of its own, so that this request can end
  // before it (the client detaching) while its output is still drained.
  auto att = std::make_shared<ExecAttachment>();
  att->wants_input = ex->config.attach_stdin && input.read != nullptr;
  {
    MutexLock o(&att->out_mu);
    att->on_output = on_output;
  }
  StartTracked([this, ex, process_json, att] { RunExec(ex, process_json, att); });
  // The waits below give up when berthd stops before the thread could begin.
  UniqueFd target;
  {
    MutexLock l(&att->mu);
    while (!att->input_ready && !att->ended && !(stopping_ && !att->ran)) {
      att->changed.WaitFor(&att->mu, std::chrono::milliseconds(100));
    }
    target = std::move(att->input);
  }
  std::thread feeder;
  if (target.valid()) {
    feeder = std::thread([&input, &target, att] {
      char buf[16 * 1024];
      while (true) {
        Result<size_t> n = input.read(buf, sizeof(buf));
        if (!n.ok() || *n == 0) break;
        if (!WriteAllFd(target.get(), std::string_view(buf, *n))) break;
      }
      // Closing it ends the stdin of a process without a terminal.
      target = UniqueFd();
      const bool detached = input.detached && input.detached();
      MutexLock l(&att->mu);
      att->detached = detached;
      att->input_ended = true;
      att->changed.NotifyAll();
    });
  }
  // As dockerd, the end of a TTY process's input ends the attach too (a
  // terminal has no end of input to pass on); the process goes on.
  const bool tty = ex->config.tty;
  bool detached = false;
  {
    MutexLock l(&att->mu);
    while (!att->ended && !att->detached && !(tty && att->input_ended) && !(stopping_ && !att->ran)) {
      att->changed.WaitFor(&att->mu, std::chrono::milliseconds(100));
    }
    detached = att->detached && !att->ended;
  }
  {
    MutexLock o(&att->out_mu);
    att->on_output = nullptr;  // no more output for this client
  }
  if (feeder.joinable()) {
    if (!detached && input.interrupt) input.interrupt();
    feeder.join();
  }
  if (detached) {
    MutexLock l(&mu_);
    auto ct = ctrs_.find(ex->container_id);
    if (ct != ctrs_.end() && !ct->second->removed) Emit(*ct->second, "exec_detach", {{"execID", ex->id}});
  }
  return OkStatus();
}

Status ContainerServiceImpl::PrepareExec(const ContainerRecord& rec, const ContainerConfig& cfg, const ExecConfig& x,
                                         const std::string& process_json) {
  // The container's process as it was started, with the exec's overrides.
  BERTH_ASSIGN_OR_RETURN(ImageProcess img, ImageProcessOf(rec.image_manifest));
  Effective e = Merge(cfg, img);
  ProcessSpec p;
  p.args = x.cmd;
  p.terminal = x.tty;
  // As Docker's exec: the legacy links' variables too (their containers
  // must run), then the container's Env, then the exec's.
  BERTH_ASSIGN_OR_RETURN(std::vector<LinkedChild> linked, LinkedChildren(rec.name, cfg.network));
  p.env = ProcessEnv(cfg.hostname.empty() ? rec.id.substr(0, 12) : cfg.hostname, WithLegacyLinkEnv(linked, e.env));
  for (const auto& kv : x.env) OverrideEnv(&p.env, kv);
  p.cwd = !x.working_dir.empty() ? x.working_dir : (e.working_dir.empty() ? "/" : e.working_dir);
  BERTH_RETURN_IF_ERROR(ApplySecurity(cfg, &p));
  ApplyResourcesToProcess(cfg.resources, &p);  // --ulimit, --oom-score-adj
  if (x.privileged) p.capabilities = CapabilitiesIn(AvailableCapabilityMask());
  BERTH_RETURN_IF_ERROR(ResolveUser(Dir(rec.id) + "/rootfs", x.user.empty() ? e.user : x.user, &p, cfg.group_add));
  return WriteProcessJson(process_json, p);
}

Status ContainerServiceImpl::ResizeExec(const std::string& exec_id, int rows, int cols) {
  MutexLock l(&mu_);
  auto it = execs_.find(exec_id);
  if (it == execs_.end()) return NotFound("No such exec instance: " + exec_id);
  ExecInstance& ex = *it->second;
  if (!ex.config.tty) return FailedPrecondition("exec " + exec_id + " has no TTY");
  if (!ex.running) return Conflict("exec " + exec_id + " is not running");
  // Kept for a process that has not started yet (it starts at this size).
  ex.config.console_rows = rows;
  ex.config.console_cols = cols;
  if (ex.tty_master >= 0) BERTH_RETURN_IF_ERROR(SetTerminalSize(ex.tty_master, rows, cols));
  // runc passes our terminal's size on asynchronously: the process's own
  // terminal is set here as well, so that it has the size once we answer.
  if (ex.pid > 0) LogIfError(SetProcessTerminalSize(ex.pid, rows, cols), "resize exec " + exec_id);
  return OkStatus();
}

Status ContainerServiceImpl::SetExecConsoleSize(const std::string& exec_id, int rows, int cols) {
  MutexLock l(&mu_);
  auto it = execs_.find(exec_id);
  if (it == execs_.end()) return NotFound("No such exec instance: " + exec_id);
  it->second->config.console_rows = rows;
  it->second->config.console_cols = cols;
  return OkStatus();
}

void ContainerServiceImpl::RunExec(const std::shared_ptr<ExecInstance>& ex, const std::string& process_json,
                                   const std::shared_ptr<ExecAttachment>& att) {
  auto on_output = [&att](int stream, std::string_view data) {
    if (att) att->Output(stream, data);
  };
  // Tells the attached client the process has ended (or could not start).
  struct EndNotice {
    const std::shared_ptr<ExecAttachment>& att;
    ~EndNotice() {
      if (!att) return;
      MutexLock l(&att->mu);
      att->input_ready = true;
      att->ended = true;
      att->changed.NotifyAll();
    }
  } end_notice{att};
  if (att) {
    MutexLock l(&att->mu);
    att->ran = true;
  }
  const bool with_input = att && att->wants_input;
  const std::string pid_file = process_json.substr(0, process_json.size() - 5) + ".pid";
  ExecStdio stdio;
  UniqueFd stdin_read, tty_master, input_target;
  if (ex->config.tty) {
    Result<Pty> pty = OpenPty();
    if (!pty.ok()) return FinishExec(ex, pty.status(), on_output);
    tty_master = UniqueFd(pty->master);
    stdio.tty = *pty;
    if (with_input) {
      input_target = UniqueFd(::fcntl(pty->master, F_DUPFD_CLOEXEC, 0));
      if (!input_target.valid()) return FinishExec(ex, ErrnoStatus("dup", errno), on_output);
    }
    // The size asked for so far (at create, start or by a resize since).
    MutexLock l(&mu_);
    if (ex->config.console_rows > 0 && ex->config.console_cols > 0) {
      LogIfError(SetTerminalSize(pty->master, ex->config.console_rows, ex->config.console_cols), "exec console size");
    }
    ex->tty_master = pty->master;
  } else if (with_input && ex->config.attach_stdin) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return FinishExec(ex, ErrnoStatus("pipe", errno), on_output);
    stdin_read = UniqueFd(fds[0]);
    input_target = UniqueFd(fds[1]);  // the only write end: the process reads the end of its stdin when it closes
    stdio.stdin_fd = fds[0];
  }
  if (att) {
    MutexLock l(&att->mu);
    att->input = std::move(input_target);
    att->input_ready = true;
    att->changed.NotifyAll();
  }
  Result<int> code = runtime_->Exec(
      ex->container_id, Dir(ex->container_id) + "/bundle", process_json, pid_file, stdio,
      [this, &ex](int pid) {
        MutexLock l(&mu_);
        ex->pid = pid;
        if (ex->config.tty && ex->config.console_rows > 0 && ex->config.console_cols > 0) {
          LogIfError(SetProcessTerminalSize(pid, ex->config.console_rows, ex->config.console_cols),
                     "size the terminal of exec " + ex->id);
        }
        cv_.NotifyAll();
      },
      on_output, [this] { return stopping_.load(); });
  stdin_read = UniqueFd();
  Env* env = store_->env();
  for (const auto& path : {process_json, pid_file}) {
    if (env->FileExists(path)) LogIfError(env->RemoveFile(path), "remove " + path);
  }
  {
    MutexLock l(&mu_);
    ex->tty_master = -1;
  }
  tty_master = UniqueFd();
  FinishExec(ex, code, on_output);
}

void ContainerServiceImpl::FinishExec(const std::shared_ptr<ExecInstance>& ex, const Result<int>& code,
                                      const std::function<void(int stream, std::string_view data)>& on_output) {
  if (!code.ok()) on_output(2, code.status().message() + "\n");
  MutexLock l(&mu_);
  ex->running = false;
  ex->tty_master = -1;
  ex->exit_code = code.ok() ? *code : 126;
  cv_.NotifyAll();
  auto ct = ctrs_.find(ex->container_id);
  if (ct != ctrs_.end() && !ct->second->removed) {
    Emit(*ct->second, "exec_die", {{"execID", ex->id}, {"exitCode", std::to_string(*ex->exit_code)}});
  }
}

}  // namespace container
}  // namespace berth
