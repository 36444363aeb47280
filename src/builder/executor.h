// The classic builder's executor (executor.cc: the dispatch loop, the
// cache, commits; steps.cc: RUN, COPY/ADD, WORKDIR). Internal to
// src/builder.
#pragma once

#include <boost/json.hpp>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "berth/builder.h"
#include "berth/dockerfile.h"
#include "berth/dockerfile_expand.h"
#include "builder/cache_from.h"

namespace berth::builder {

namespace df = berth::dockerfile;
namespace json = boost::json;

// What a stage has built so far.
struct StageState {
  Digest image;         // empty: scratch
  json::object config;  // the run config
  std::string author;   // MAINTAINER
  Platform platform;
  df::BuildArgs args;
  bool cmd_set = false;  // a CMD in this stage (ENTRYPOINT then keeps it)
};

// One build: runs the stages of the Dockerfile of `context` (one Executor
// per Build call).
class Executor {
 public:
  Executor(const BuildRoles& roles, ContainerService* containers, BuildContext* context, std::string work_dir,
           const BuildOptions& opts, const BuildOutput& out)
      : roles_(roles),
        containers_(containers),
        context_(context),
        work_dir_(std::move(work_dir)),
        opts_(opts),
        out_(out) {}

  Result<Digest> Run();

 private:
  Status Say(std::string_view text) { return out_.stream(text); }
  bool Cancelled() const { return opts_.cancelled && opts_.cancelled(); }
  Status InitStage(const df::Stage& stage, StageState* st);
  Status Dispatch(df::Instruction ins, StageState* st, bool expand);
  // Writes a step's layer; called only when the cache misses.
  using StageLayer = std::function<Status()>;
  // Commits a step without a new layer (or with the tree under
  // `layer_dir`, written by `stage`), unless the cache has it.
  // `comment_word`: the comment is one word after "#(nop) " (COPY, ADD,
  // WORKDIR), else two ("#(nop) ", comment), as Docker's two helpers.
  // `in_container`: the commit goes through a created container (Docker's
  // commit(): "Running in", "Removed intermediate container"), the staged
  // tree written into its upper directory; COPY/ADD commit without one.
  Status CommitStep(StageState* st, const std::string& comment, const std::string& layer_dir = {},
                    bool comment_word = false, bool in_container = true, const StageLayer& stage = {});
  // The cache: the local cache's hit, or with --cache-from what
  // CacheFrom::Probe makes of it.
  Result<std::optional<Digest>> Probe(const Digest& parent, const json::object& probe);
  // The local cache: a child of `parent` whose container_config is `probe`.
  Result<std::optional<Digest>> ProbeLocal(const Digest& parent, const json::object& probe);
  Result<bool> ProbeAndSay(StageState* st, const json::object& probe);
  Status Run(const df::Instruction& ins, StageState* st);
  // RUN's container of `run_image`: started, its output streamed, its
  // exit checked, committed on the stage's image.
  Status RunInContainer(const Digest& run_image, const std::vector<std::string>& cmd,
                        const std::vector<std::string>& env, const std::vector<std::string>& arg_env,
                        const json::object& probe, const std::vector<std::string>& save_cmd, StageState* st);
  Status Copy(const df::Instruction& ins, StageState* st);
  Status Workdir(const df::Instruction& ins, StageState* st);
  // The staged directories on the way to `dest` (and `dest` itself) that
  // the image already has take the image's mode and owner, so a step does
  // not change, say, /tmp's 1777 by copying into it.
  Status AlignWithImage(const Digest& image, const std::string& layer, const std::string& dest);
  // A small file of an image (/etc/passwd for --chown), extracted under
  // the work directory and read.
  Result<std::string> ReadImageFile(const Digest& image, const std::string& path);
  // Extracts the source paths of a COPY --from into a new directory under
  // the work directory (returned; the caller removes it).
  Result<std::string> ExtractFromImage(const df::Instruction& ins);
  // The image of COPY --from: an earlier stage (name or index) or an image.
  Result<Digest> FromImage(const std::string& from);
  Status RunTriggers(StageState* st);
  // Once the Dockerfile is read: the context's .dockerignore and
  // Dockerfile are removed from it when .dockerignore excludes them, as
  // dockerd's remotecontext does (so `COPY . /` does not copy them).
  Status RemoveIgnoredBuildFiles();
  // A file of the context (the Dockerfile, .dockerignore): kept in memory
  // when it was read, else from the extracted tree.
  Result<std::string> ReadContextFile(const std::string& path);
  // After a step container's commit (`result`): removes it when the build
  // says so (rm after success, forcerm always), saying so as Docker does.
  // Returns `result`, or the output's error.
  Status FinishStepContainer(const std::string& id, Status result);
  // The commit of a step on the stage's image: the stage's config and
  // author, `probe` as the container config, `created_by` its history line.
  BuildStepCommit StepCommit(const StageState& st, const json::object& probe,
                             const std::vector<std::string>& created_by) const;
  // Creates a step's container (not started), saying its warnings and
  // " ---> Running in <id>" as Docker does. Returns its ID.
  Result<std::string> CreateStepContainer(const ContainerConfig& cfg);
  // Commits `step` from the step container `id`, moves the stage to the new
  // image, then FinishStepContainer.
  Status CommitStepContainer(StageState* st, BuildStepCommit step, const std::string& id);

  BuildRoles roles_;
  ContainerService* containers_;
  BuildContext* context_;
  std::string work_dir_;
  const BuildOptions& opts_;
  const BuildOutput& out_;
  df::Lexer lexer_;
  df::BuildArgs build_args_;
  std::optional<CacheFrom> cache_from_;         // with --cache-from
  std::map<std::string, Digest> stage_images_;  // by lower-cased name and by index
  int staged_ = 0;
};

}  // namespace berth::builder
