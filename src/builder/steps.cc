// The steps of the classic builder that write or run something: RUN in a
// container of the stage's image, COPY/ADD (from the context or --from an
// image), WORKDIR (builder/dockerfile dispatchers.go, internals.go).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <set>

#include "berth/reference.h"
#include "builder/executor.h"
#include "builder/internal.h"
#include "builder/run_config.h"

namespace berth::builder {

Status Executor::Run(const df::Instruction& ins, StageState* st) {
  std::vector<std::string> cmd = ins.command;
  if (ins.shell_form) {
    std::vector<std::string> sh = Shell(st->config);
    sh.insert(sh.end(), cmd.begin(), cmd.end());
    cmd = std::move(sh);
  }
  // Build arguments the environment does not set go to the process, and
  // (except the proxy variables) into the command the cache compares.
  std::vector<std::string> env = Strings(st->config, "Env");
  std::set<std::string> env_keys;
  for (const auto& e : env) env_keys.insert(EnvKey(e));
  std::vector<std::string> arg_env, saved_args;
  for (const auto& [k, v] : st->args.AllAllowed()) {
    if (env_keys.contains(k)) continue;
    arg_env.push_back(k + "=" + v);
    if (!df::IsProxyBuildArg(k)) saved_args.push_back(k + "=" + v);
  }
  std::vector<std::string> save_cmd = cmd;
  if (!saved_args.empty()) {
    save_cmd = {"|" + std::to_string(saved_args.size())};
    save_cmd.insert(save_cmd.end(), saved_args.begin(), saved_args.end());
    save_cmd.insert(save_cmd.end(), cmd.begin(), cmd.end());
  }
  json::object probe = st->config;
  probe["Cmd"] = StringsValue(save_cmd);
  if (!save_cmd.empty()) probe["Entrypoint"] = nullptr;
  BERTH_ASSIGN_OR_RETURN(bool hit, ProbeAndSay(st, probe));
  if (hit) return OkStatus();
  // In a stage FROM scratch the step's container has an empty root
  // filesystem, as Docker's: that of an image without layers made for it
  // and removed after the step.
  const Digest base_image = st->image;
  Digest run_image = base_image;
  if (run_image.empty()) {
    BuildStepCommit empty;
    empty.config_json = json::serialize(st->config);
    empty.container_config_json = "{}";
    empty.created_by = "berth: the empty root filesystem of a RUN FROM scratch";
    empty.platform = st->platform;
    BERTH_ASSIGN_OR_RETURN(run_image, containers_->CommitBuildStep(empty));
  }
  Status result = RunInContainer(run_image, cmd, env, arg_env, probe, save_cmd, st);
  if (run_image != base_image) {
    // Also while a failed step's container (kept, as Docker keeps it) has
    // it: Docker's has no image at all.
    RemoveOptions ro;
    ro.prune = false;
    ro.force = true;
    Status removed = roles_.removal->Remove(run_image.str(), ro).status();
    if (result.ok()) return removed;
  }
  return result;
}

Status Executor::RunInContainer(const Digest& run_image, const std::vector<std::string>& cmd,
                                const std::vector<std::string>& env, const std::vector<std::string>& arg_env,
                                const json::object& probe, const std::vector<std::string>& save_cmd, StageState* st) {
  ContainerConfig cfg;
  cfg.image = run_image.str();
  cfg.cmd = cmd;
  cfg.entrypoint = std::vector<std::string>{""};
  cfg.env = env;
  cfg.env.insert(cfg.env.end(), arg_env.begin(), arg_env.end());
  if (auto* w = st->config.if_contains("WorkingDir"); w && w->is_string()) cfg.working_dir = w->as_string();
  if (auto* u = st->config.if_contains("User"); u && u->is_string()) cfg.user = u->as_string();
  cfg.network_mode = opts_.network_mode;
  cfg.resources.shm_size = opts_.shm_size;
  cfg.network.extra_hosts = opts_.extra_hosts;
  cfg.platform = st->platform;
  BERTH_ASSIGN_OR_RETURN(const std::string id, CreateStepContainer(cfg));
  auto finish_failed = [&](Status s) { return FinishStepContainer(id, std::move(s)); };
  Status started = containers_->Start(id);
  if (!started.ok()) return finish_failed(started);
  LogReadOptions lo;
  lo.follow = true;
  lo.cancelled = [this] { return Cancelled(); };
  // Docker's classic builder shows what a step prints on stderr in red: each
  // write between the ANSI codes for bright red and reset.
  Status streamed = containers_->Logs(
      id, lo, [&](const LogEntry& e) { return Say(e.stream == "stderr" ? "\x1b[91m" + e.data + "\x1b[0m" : e.data); });
  if (Cancelled()) {
    (void)containers_->RemoveWithVolumes(id, /*force=*/true);
    return Status(Code::kCancelled, "Build cancelled");
  }
  if (!streamed.ok()) return finish_failed(streamed);
  Result<int> code = containers_->Wait(id, "not-running", [this] { return Cancelled(); });
  if (!code.ok()) return finish_failed(code.status());
  if (*code != 0) {
    if (out_.run_failed) out_.run_failed(*code);
    return finish_failed(
        Status(Code::kUnknown, "The command '" + Join(cmd) + "' returned a non-zero code: " + std::to_string(*code)));
  }
  return CommitStepContainer(st, StepCommit(*st, probe, save_cmd), id);
}

Status Executor::Copy(const df::Instruction& ins, StageState* st) {
  BERTH_ASSIGN_OR_RETURN(Owner chown, ParseChown(ins.chown, [&](const std::string& path) -> Result<std::string> {
                           return ReadImageFile(st->image, path);
                         }));
  std::optional<Owner> owner = chown;
  std::string working_dir;
  if (auto* w = st->config.if_contains("WorkingDir"); w && w->is_string()) working_dir = w->as_string();
  const std::string layer = work_dir_ + "/layer-" + std::to_string(++staged_);
  const Digest image = st->image;
  auto dest_is_dir = [&](const std::string& path) -> Result<bool> {
    BERTH_ASSIGN_OR_RETURN(ImagePathInfo info, containers_->StatInImage(image, path));
    return info.kind == ImagePathKind::kDirectory;
  };
  auto stage_from = [&](const CopyPlan& plan, const std::string& root) -> Status {
    BERTH_RETURN_IF_ERROR(StageCopy(ins, plan, root, layer, owner, dest_is_dir));
    return AlignWithImage(image, layer, plan.dest);
  };
  Status s;
  std::string source_root;
  if (ins.from.empty()) {
    // From the context: the sources are digested from its index, and its
    // tree is written only when the cache misses.
    Result<CopyPlan> plan = PlanCopy(ins, context_->index(), working_dir);
    s = plan.status();
    if (s.ok()) {
      s = CommitStep(st, plan->comment, layer, /*comment_word=*/true, /*in_container=*/false, [&]() -> Status {
        BERTH_ASSIGN_OR_RETURN(std::string tree, context_->Tree());
        return stage_from(*plan, tree);
      });
    }
  } else {
    // COPY --from=<stage name or index | image>: the sources are paths in
    // that image, extracted first; without --chown they keep their owners.
    if (ins.chown.empty()) owner.reset();
    BERTH_ASSIGN_OR_RETURN(source_root, ExtractFromImage(ins));
    Result<ContextIndex> index = IndexTree(source_root);
    Result<CopyPlan> plan = index.ok() ? PlanCopy(ins, *index, working_dir) : Result<CopyPlan>(index.status());
    s = plan.status();
    if (s.ok()) {
      s = CommitStep(st, plan->comment, layer, /*comment_word=*/true, /*in_container=*/false,
                     [&] { return stage_from(*plan, source_root); });
    }
  }
  Status removed = roles_.env->FileExists(layer) ? roles_.env->RemoveAll(layer) : OkStatus();
  if (!source_root.empty()) {
    Status r = roles_.env->RemoveAll(source_root);
    if (removed.ok()) removed = r;
  }
  BERTH_RETURN_IF_ERROR(s);
  return removed;
}

Result<std::string> Executor::ExtractFromImage(const df::Instruction& ins) {
  BERTH_ASSIGN_OR_RETURN(Digest from, FromImage(ins.from));
  std::string source_root = work_dir_ + "/from-" + std::to_string(++staged_);
  BERTH_RETURN_IF_ERROR(roles_.env->CreateDirs(source_root, 0700));
  std::set<std::string> extracted;
  for (const auto& word : ins.words) {
    std::string path = CleanAbsolute(word);
    // A wildcard matches inside the directory before its first wildcard
    // component: that directory is extracted, and matched as the context is.
    if (size_t wild = path.find_first_of("*?["); wild != std::string::npos) {
      path = path.substr(0, path.rfind('/', wild));
    }
    if (path.empty() || path == "/") {
      return Unimplemented("COPY --from of the whole filesystem (" + word +
                           ") is not supported by berth's builder: name a directory");
    }
    if (!extracted.insert(path).second) continue;
    std::string dest = source_root + path;
    BERTH_RETURN_IF_ERROR(roles_.env->CreateDirs(dest.substr(0, dest.rfind('/')), 0700));
    Status got = from.empty() ? NotFound(path + ": no such file or directory in the image")
                              : containers_->ExtractImagePath(from, path, dest);
    if (got.code() == Code::kNotFound) {
      return InvalidArgument("COPY failed: stat " + path + ": file does not exist");
    }
    BERTH_RETURN_IF_ERROR(got);
  }
  return source_root;
}

Status Executor::AlignWithImage(const Digest& image, const std::string& layer, const std::string& dest) {
  std::string prefix;
  for (size_t pos = 1; pos <= dest.size();) {
    size_t end = dest.find('/', pos);
    if (end == std::string::npos) end = dest.size();
    prefix = dest.substr(0, end);
    pos = end + 1;
    struct stat st;
    const std::string staged = layer + prefix;
    if (prefix.empty() || lstat(staged.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    BERTH_ASSIGN_OR_RETURN(ImagePathInfo info, containers_->StatInImage(image, prefix));
    if (info.kind != ImagePathKind::kDirectory) continue;
    if (chmod(staged.c_str(), info.mode & 07777) != 0 || lchown(staged.c_str(), info.uid, info.gid) != 0) {
      return Internal("set the mode and owner of " + staged + ": " + std::strerror(errno));
    }
  }
  return OkStatus();
}

Result<std::string> Executor::ReadImageFile(const Digest& image, const std::string& path) {
  if (image.empty()) return NotFound("open " + path + ": no such file or directory");
  std::string dest = work_dir_ + "/file-" + std::to_string(++staged_);
  Status got = containers_->ExtractImagePath(image, path, dest);
  if (got.code() == Code::kNotFound) return NotFound("open " + path + ": no such file or directory");
  BERTH_RETURN_IF_ERROR(got);
  Result<std::string> text = roles_.env->ReadFileToString(dest);
  Status removed = roles_.env->RemoveAll(dest);
  BERTH_RETURN_IF_ERROR(text.status());
  BERTH_RETURN_IF_ERROR(removed);
  if (text->size() > (size_t{8} << 20)) return InvalidArgument(path + " is larger than 8 MiB");
  return text;
}

Result<Digest> Executor::FromImage(const std::string& from) {
  std::string lower = from;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (auto it = stage_images_.find(lower); it != stage_images_.end()) return it->second;
  Result<ImageRecord> rec = roles_.records->Resolve(from);
  if (!rec.ok()) {
    if (rec.status().code() == Code::kNotFound) {
      return InvalidArgument("invalid from flag value " + from + ": No such image: " + from +
                             " (berth's builder does not pull images: pull it first)");
    }
    return rec.status();
  }
  return rec->id();
}

Status Executor::Workdir(const df::Instruction& ins, StageState* st) {
  std::string current;
  if (auto* w = st->config.if_contains("WorkingDir"); w && w->is_string()) current = w->as_string();
  std::string path = ins.value;
  if (!path.starts_with("/")) path = (current.empty() ? "/" : current) + "/" + path;
  path = CleanAbsolute(path);
  st->config["WorkingDir"] = path;
  const std::string comment = "WORKDIR " + path;
  BERTH_ASSIGN_OR_RETURN(ImagePathInfo info, containers_->StatInImage(st->image, path));
  if (info.kind == ImagePathKind::kDirectory) return CommitStep(st, comment, {}, /*comment_word=*/true);
  // The directory is created in the image: a layer holding it.
  std::string layer = work_dir_ + "/layer-" + std::to_string(++staged_);
  const Digest image = st->image;
  Status s = CommitStep(st, comment, layer, /*comment_word=*/true, /*in_container=*/true, [&]() -> Status {
    BERTH_RETURN_IF_ERROR(roles_.env->CreateDirs(layer + path, 0755));
    return AlignWithImage(image, layer, path);
  });
  Status removed = roles_.env->FileExists(layer) ? roles_.env->RemoveAll(layer) : OkStatus();
  BERTH_RETURN_IF_ERROR(s);
  return removed;
}
}  // namespace berth::builder
