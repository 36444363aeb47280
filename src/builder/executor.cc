// The classic builder's dispatch loop (Docker 28.2 builder/dockerfile:
// builder.go, dispatchers.go, internals.go) over berth's container and
// image services. Each step that changes the image commits one image
// whose parent label is the previous step's image and whose
// "container_config" holds the step's run config with the build command
// as Cmd: that is what the cache compares.
#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <set>

#include <sys/stat.h>
#include <unistd.h>

#include "berth/dockerfile_expand.h"
#include "berth/dockerignore.h"
#include "berth/oci.h"
#include "berth/reference.h"
#include "builder/cache_from.h"
#include "builder/executor.h"
#include "builder/internal.h"
#include "builder/run_config.h"

namespace berth::builder {

namespace {

constexpr std::string_view kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string ShortId(const Digest& d) { return d.empty() ? std::string() : d.hex().substr(0, 12); }

}  // namespace

Result<std::optional<Digest>> Executor::Probe(const Digest& parent, const json::object& probe) {
  if (opts_.no_cache) return std::optional<Digest>();
  BERTH_ASSIGN_OR_RETURN(std::optional<Digest> local, ProbeLocal(parent, probe));
  if (!cache_from_) return local;
  return cache_from_->Probe(parent, probe, local);
}

Result<std::optional<Digest>> Executor::ProbeLocal(const Digest& parent, const json::object& probe) {
  if (parent.empty()) return std::optional<Digest>();
  BERTH_ASSIGN_OR_RETURN(std::vector<ImageRecord> records, roles_.records->Records());
  const std::string want = json::serialize(probe);
  std::set<Digest> seen;
  for (const auto& r : records) {
    if (ParentOf(r) != parent.str() || !seen.insert(r.id()).second) continue;
    Result<std::string> raw = containers_->ImageConfigJson(r.id());
    if (!raw.ok()) continue;
    try {
      json::value v = json::parse(*raw);
      if (!v.is_object()) continue;
      auto* cc = v.as_object().if_contains("container_config");
      if (cc && json::serialize(*cc) == want) return std::optional<Digest>(r.id());
    } catch (const std::exception&) {
      continue;
    }
  }
  return std::optional<Digest>();
}

Result<bool> Executor::ProbeAndSay(StageState* st, const json::object& probe) {
  BERTH_ASSIGN_OR_RETURN(std::optional<Digest> hit, Probe(st->image, probe));
  if (!hit) return false;
  BERTH_RETURN_IF_ERROR(Say(" ---> Using cache\n"));
  st->image = *hit;
  return true;
}

Status Executor::CommitStep(StageState* st, const std::string& comment, const std::string& layer_dir, bool comment_word,
                            bool in_container, const StageLayer& stage) {
  json::object probe = st->config;
  std::vector<std::string> cmd = Shell(st->config);
  if (comment_word) {
    cmd.push_back("#(nop) " + comment);
  } else {
    cmd.push_back("#(nop) ");
    cmd.push_back(comment);
  }
  probe["Cmd"] = StringsValue(cmd);
  BERTH_ASSIGN_OR_RETURN(bool hit, ProbeAndSay(st, probe));
  if (hit) return OkStatus();
  if (stage) BERTH_RETURN_IF_ERROR(stage());
  BuildStepCommit step = StepCommit(*st, probe, cmd);
  step.layer_dir = layer_dir;
  if (!in_container || st->image.empty()) {
    BERTH_ASSIGN_OR_RETURN(st->image, containers_->CommitBuildStep(step));
    return OkStatus();
  }
  // As Docker's commit(): a container (not started) of the step's run
  // config, committed, then removed with the other step containers.
  ContainerConfig cfg;
  cfg.image = st->image.str();
  cfg.cmd = cmd;
  cfg.entrypoint = std::vector<std::string>{""};
  cfg.platform = st->platform;
  BERTH_ASSIGN_OR_RETURN(std::string id, CreateStepContainer(cfg));
  return CommitStepContainer(st, std::move(step), id);
}

BuildStepCommit Executor::StepCommit(const StageState& st, const json::object& probe,
                                     const std::vector<std::string>& created_by) const {
  BuildStepCommit step;
  step.parent = st.image;
  step.config_json = json::serialize(st.config);
  step.container_config_json = json::serialize(probe);
  step.created_by = Join(created_by);
  step.author = st.author;
  step.platform = st.platform;
  return step;
}

Result<std::string> Executor::CreateStepContainer(const ContainerConfig& cfg) {
  BERTH_ASSIGN_OR_RETURN(ContainerCreateResult created, containers_->Create("", cfg));
  for (const auto& w : created.warnings) BERTH_RETURN_IF_ERROR(Say(" ---> [Warning] " + w + "\n"));
  BERTH_RETURN_IF_ERROR(Say(" ---> Running in " + created.id.substr(0, 12) + "\n"));
  return created.id;
}

Status Executor::CommitStepContainer(StageState* st, BuildStepCommit step, const std::string& id) {
  step.container = id;
  Result<Digest> committed = containers_->CommitBuildStep(step);
  if (committed.ok()) st->image = *committed;
  return FinishStepContainer(id, committed.status());
}

Status Executor::FinishStepContainer(const std::string& id, Status result) {
  if (opts_.force_remove || (result.ok() && opts_.remove)) {
    Status s = containers_->RemoveWithVolumes(id, /*force=*/true);
    Status said = s.ok() ? Say(" ---> Removed intermediate container " + id.substr(0, 12) + "\n")
                         : Say("Removing intermediate container " + id.substr(0, 12) + ": " + s.message() + "\n");
    if (result.ok()) return said;
  }
  return result;
}

Status Executor::Dispatch(df::Instruction ins, StageState* st, bool expand) {
  if (expand) {
    df::Variables vars = df::StageVariables(Strings(st->config, "Env"), st->args);
    BERTH_RETURN_IF_ERROR(df::ExpandInstruction(&ins, lexer_, vars));
  }
  json::object& c = st->config;
  switch (ins.kind) {
    case df::Kind::kFrom: return Internal("FROM inside a stage");
    case df::Kind::kRun: return Run(ins, st);
    case df::Kind::kCopy:
    case df::Kind::kAdd: return Copy(ins, st);
    case df::Kind::kWorkdir: return Workdir(ins, st);
    case df::Kind::kEnv: {
      std::string comment = "ENV";
      for (const auto& kv : ins.pairs) {
        SetEnv(&c, kv.key, kv.value);
        comment += " " + kv.key + "=" + kv.value;
      }
      return CommitStep(st, comment);
    }
    case df::Kind::kArg: {
      std::string comment = "ARG ";
      for (size_t i = 0; i < ins.args.size(); ++i) {
        const auto& a = ins.args[i];
        if (i) comment += " ";
        comment += a.key;
        if (a.default_value) comment += "=" + *a.default_value;
        st->args.AddArg(a.key, a.default_value);
      }
      return CommitStep(st, comment);
    }
    case df::Kind::kLabel: {
      json::object labels;
      if (auto* l = c.if_contains("Labels"); l && l->is_object()) labels = l->as_object();
      std::string comment = "LABEL";
      for (const auto& kv : ins.pairs) {
        labels[kv.key] = kv.value;
        comment += " " + kv.key + "=" + kv.value;
      }
      c["Labels"] = std::move(labels);
      return CommitStep(st, comment);
    }
    case df::Kind::kCmd: {
      std::vector<std::string> cmd = ins.command;
      if (ins.shell_form) {
        std::vector<std::string> sh = Shell(c);
        sh.insert(sh.end(), cmd.begin(), cmd.end());
        cmd = std::move(sh);
      }
      c["Cmd"] = StringsValue(cmd);
      if (!ins.command.empty()) st->cmd_set = true;
      return CommitStep(st, "CMD " + GoQuoted(cmd));
    }
    case df::Kind::kEntrypoint: {
      std::vector<std::string> entry = ins.command;
      if (ins.shell_form) {
        std::vector<std::string> sh = Shell(c);
        sh.insert(sh.end(), entry.begin(), entry.end());
        entry = std::move(sh);
      }
      c["Entrypoint"] = entry.empty() ? json::value(nullptr) : StringsValue(entry);
      if (!st->cmd_set) c["Cmd"] = nullptr;
      return CommitStep(st, "ENTRYPOINT " + GoQuoted(entry));
    }
    case df::Kind::kUser: c["User"] = ins.value; return CommitStep(st, "USER " + ins.value);
    case df::Kind::kExpose: {
      json::object ports;
      if (auto* p = c.if_contains("ExposedPorts"); p && p->is_object()) ports = p->as_object();
      for (const auto& w : ins.words) {
        BERTH_ASSIGN_OR_RETURN(std::vector<std::string> expanded, ExposedPorts(w));
        for (const auto& port : expanded) ports[port] = json::object{};
      }
      c["ExposedPorts"] = std::move(ports);
      return CommitStep(st, "EXPOSE " + Join(ins.words));
    }
    case df::Kind::kVolume: {
      json::object vols;
      if (auto* v = c.if_contains("Volumes"); v && v->is_object()) vols = v->as_object();
      for (const auto& w : ins.words) {
        if (w.empty()) return InvalidArgument("VOLUME specified can not be an empty string");
        vols[w] = json::object{};
      }
      c["Volumes"] = std::move(vols);
      return CommitStep(st, "VOLUME [" + Join(ins.words) + "]");
    }
    case df::Kind::kStopSignal: c["StopSignal"] = ins.value; return CommitStep(st, "STOPSIGNAL " + ins.value);
    case df::Kind::kShell:
      c["Shell"] = StringsValue(ins.command);
      return CommitStep(st, "SHELL [" + Join(ins.command) + "]");
    case df::Kind::kMaintainer: st->author = ins.value; return CommitStep(st, "MAINTAINER " + ins.value);
    case df::Kind::kOnbuild: {
      std::vector<std::string> triggers = Strings(c, "OnBuild");
      triggers.push_back(ins.value);
      c["OnBuild"] = StringsValue(triggers);
      return CommitStep(st, "ONBUILD " + ins.value);
    }
    case df::Kind::kHealthcheck: {
      const HealthConfig& h = *ins.health;
      c["Healthcheck"] = json::parse(HealthConfigJson(h));
      char retries[8];
      if (h.retries >= 32 && h.retries < 127) {
        std::snprintf(retries, sizeof retries, "'%c'", h.retries);
      } else {
        std::snprintf(retries, sizeof retries, "'\\x%02x'", h.retries & 0xff);
      }
      return CommitStep(st, "HEALTHCHECK &{" + GoQuoted(h.test) + " \"" + GoDuration(h.interval_nanos) + "\" \"" +
                                GoDuration(h.timeout_nanos) + "\" \"" + GoDuration(h.start_period_nanos) + "\" \"" +
                                GoDuration(h.start_interval_nanos) + "\" " + retries + "}");
    }
  }
  return Internal("unknown instruction");
}

Status Executor::RunTriggers(StageState* st) {
  std::vector<std::string> triggers = Strings(st->config, "OnBuild");
  if (triggers.empty()) return OkStatus();
  st->config["OnBuild"] = nullptr;
  BERTH_RETURN_IF_ERROR(Say("# Executing " + std::to_string(triggers.size()) + " build trigger" +
                            (triggers.size() > 1 ? "s" : "") + "\n"));
  for (const auto& t : triggers) {
    BERTH_ASSIGN_OR_RETURN(df::Dockerfile parsed, df::ParseDockerfile("FROM scratch\n" + t));
    if (parsed.stages.size() != 1 || parsed.stages[0].instructions.size() != 1) {
      return InvalidArgument("invalid build trigger: " + t);
    }
    df::Instruction ins = parsed.stages[0].instructions[0];
    if (ins.kind == df::Kind::kOnbuild) return InvalidArgument("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
    if (ins.kind == df::Kind::kMaintainer) return InvalidArgument("MAINTAINER isn't allowed as an ONBUILD trigger");
    BERTH_RETURN_IF_ERROR(Dispatch(std::move(ins), st, true));
  }
  return OkStatus();
}

Status Executor::InitStage(const df::Stage& stage, StageState* st) {
  std::string base = stage.base_name;
  if (!stage.platform.empty()) {
    BERTH_ASSIGN_OR_RETURN(Platform p, ParsePlatform(stage.platform));
    if (!Only(HostPlatform())->Match(Normalize(p))) {
      return InvalidArgument("FROM --platform=" + stage.platform + ": berth builds for the host's platform only (" +
                             FormatPlatform(HostPlatform()) + ")");
    }
  }
  st->platform = HostPlatform();
  std::string lower = base;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (auto it = stage_images_.find(lower); it != stage_images_.end()) {
    st->image = it->second;
  } else if (lower == "scratch") {
    st->image = Digest();
  } else {
    if (opts_.pull) BERTH_RETURN_IF_ERROR(opts_.pull(base));
    Result<ImageRecord> rec = roles_.records->Resolve(base);
    if (!rec.ok()) {
      if (rec.status().code() == Code::kNotFound) {
        return NotFound("No such image: " + base + " (berth's builder pulls base images only with --pull)");
      }
      return rec.status();
    }
    st->image = rec->id();
  }
  st->config = json::object{};
  if (!st->image.empty()) {
    BERTH_ASSIGN_OR_RETURN(std::string raw, containers_->ImageConfigJson(st->image));
    try {
      json::value v = json::parse(raw);
      if (auto* c = v.as_object().if_contains("config"); c && c->is_object()) st->config = c->as_object();
      if (auto* a = v.as_object().if_contains("author"); a && a->is_string()) st->author = a->as_string();
    } catch (const std::exception& ex) {
      return InvalidArgument(std::string("invalid image config: ") + ex.what());
    }
  }
  bool has_path = false;
  for (const auto& e : Strings(st->config, "Env")) has_path = has_path || EnvKey(e) == "PATH";
  if (!has_path) SetEnv(&st->config, "PATH", std::string(kDefaultPath));
  st->config.erase("OpenStdin");
  st->config.erase("StdinOnce");
  return RunTriggers(st);
}

Status Executor::RemoveIgnoredBuildFiles() {
  Result<std::string> ignore = ReadContextFile(".dockerignore");
  if (!ignore.ok()) return OkStatus();  // none (or not a file): nothing to remove
  Result<DockerignoreMatcher> matcher = DockerignoreMatcher::FromPatterns(ReadDockerignore(*ignore));
  if (!matcher.ok()) return OkStatus();  // dockerd ignores bad patterns here too
  for (const std::string& file : {std::string(".dockerignore"), CleanSlashPath(opts_.dockerfile)}) {
    if (matcher->Excluded(file)) BERTH_RETURN_IF_ERROR(context_->Remove(file));
  }
  return OkStatus();
}

Result<std::string> Executor::ReadContextFile(const std::string& path) {
  if (Result<std::string> kept = context_->KeptFile(path); kept.ok()) return kept;
  // Not kept (a link, say): read from the tree, when the context has it.
  auto it = context_->index().find(CleanSlashPath(path));
  if (it == context_->index().end()) return NotFound("open " + path + ": no such file in the build context");
  BERTH_ASSIGN_OR_RETURN(std::string tree, context_->Tree());
  return roles_.env->ReadFileToString(tree + "/" + CleanSlashPath(path));
}

Result<Digest> Executor::Run() {
  if (CleanSlashPath(opts_.dockerfile).starts_with("..")) {
    return InvalidArgument("the Dockerfile (" + opts_.dockerfile + ") must be within the build context");
  }
  Result<std::string> text = ReadContextFile(opts_.dockerfile);
  if (!text.ok()) {
    return InvalidArgument("Cannot locate specified Dockerfile: " + opts_.dockerfile);
  }
  if (text->size() > (int64_t{16} << 20)) return InvalidArgument("the Dockerfile is larger than 16 MiB");
  BERTH_RETURN_IF_ERROR(RemoveIgnoredBuildFiles());
  BERTH_ASSIGN_OR_RETURN(df::Dockerfile parsed, df::ParseDockerfile(*text, opts_.dockerfile));
  BERTH_ASSIGN_OR_RETURN(df::BuildPlan plan,
                         df::PlanBuild(parsed, opts_.target, static_cast<int>(opts_.labels.size())));
  lexer_ = df::Lexer(parsed.escape);
  build_args_ = df::BuildArgs(opts_.build_args);
  // The --label options: one LABEL step each (keys sorted) on the target.
  std::vector<df::Instruction> label_steps;
  for (const auto& [k, v] : opts_.labels) {
    df::Instruction ins;
    ins.kind = df::Kind::kLabel;
    ins.code = "LABEL " + k + "=" + v;
    ins.pairs.push_back(df::KeyValue{k, v});
    label_steps.push_back(std::move(ins));
  }
  BERTH_RETURN_IF_ERROR(Say(df::WarningLines(parsed)));
  if (!opts_.cache_from.empty() && !opts_.no_cache) {
    BERTH_ASSIGN_OR_RETURN(cache_from_, CacheFrom::Open(roles_.records, containers_, opts_.cache_from));
  }
  int step = 1;
  for (const auto& meta : parsed.meta_args) {
    BERTH_RETURN_IF_ERROR(Say(df::StepLine(step++, plan.total_steps, meta.code) + "\n"));
    BERTH_RETURN_IF_ERROR(build_args_.AddMetaArgs(meta, lexer_));
  }
  StageState st;
  for (int i = 0; i <= plan.last_stage; ++i) {
    df::Stage stage = parsed.stages[i];
    BERTH_RETURN_IF_ERROR(Say(df::StepLine(step++, plan.total_steps, stage.code) + "\n"));
    BERTH_RETURN_IF_ERROR(df::ExpandFrom(&stage, lexer_, build_args_));
    st = StageState{};
    st.args = build_args_.ForStage();
    BERTH_RETURN_IF_ERROR(InitStage(stage, &st));
    BERTH_RETURN_IF_ERROR(Say(" ---> " + ShortId(st.image) + "\n"));
    std::vector<std::pair<df::Instruction, bool>> steps;
    for (const auto& ins : stage.instructions) steps.emplace_back(ins, true);
    if (i == plan.last_stage) {
      for (const auto& ins : label_steps) steps.emplace_back(ins, false);
    }
    for (auto& [ins, expand] : steps) {
      if (Cancelled()) return Status(Code::kCancelled, "Build cancelled");
      BERTH_RETURN_IF_ERROR(Say(df::StepLine(step++, plan.total_steps, ins.code) + "\n"));
      BERTH_RETURN_IF_ERROR(Dispatch(ins, &st, expand));
      BERTH_RETURN_IF_ERROR(Say(" ---> " + ShortId(st.image) + "\n"));
    }
    if (!st.image.empty() && out_.aux) BERTH_RETURN_IF_ERROR(out_.aux(st.image));
    build_args_.MergeReferenced(st.args);
    stage_images_[std::to_string(i)] = st.image;
    if (!stage.name.empty()) stage_images_[stage.name] = st.image;
  }
  BERTH_RETURN_IF_ERROR(Say(build_args_.UnusedWarning()));
  if (st.image.empty()) return InvalidArgument("No image was generated. Is your Dockerfile empty?");
  BERTH_RETURN_IF_ERROR(Say("Successfully built " + ShortId(st.image) + "\n"));
  for (const auto& tag : opts_.tags) {
    BERTH_RETURN_IF_ERROR(roles_.records->Tag(st.image.str(), tag));
    BERTH_RETURN_IF_ERROR(Say("Successfully tagged " + FamiliarString(tag) + "\n"));
  }
  return st.image;
}

Result<Digest> Build(const BuildRoles& roles, ContainerService* containers, BuildContext* context,
                     const std::string& work_dir, const BuildOptions& opts, const BuildOutput& out) {
  Executor ex(roles, containers, context, work_dir, opts, out);
  return ex.Run();
}

}  // namespace berth::builder