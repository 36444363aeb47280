// The Dockerfile front end of the classic builder (`POST /build`): parsing a
// Dockerfile into stages of typed instructions with the rules of moby/buildkit's
// frontend/dockerfile `parser` and `instructions` packages as vendored by
// Docker 28.2, and the stage planning of Docker's classic builder
// (`--target`, "Step N/M").
//
// Variable substitution and build arguments: berth/dockerfile_expand.h.
// .dockerignore: berth/dockerignore.h.
//
// Thread-safety: pure functions over values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/health_config.h"
#include "berth/status.h"

namespace berth::dockerfile {

enum class Kind {
  kFrom,
  kRun,
  kCmd,
  kEntrypoint,
  kEnv,
  kArg,
  kLabel,
  kExpose,
  kVolume,
  kUser,
  kWorkdir,
  kCopy,
  kAdd,
  kShell,
  kStopSignal,
  kHealthcheck,
  kOnbuild,
  kMaintainer,
};

// The instruction's name in upper case ("RUN").
std::string_view KindName(Kind kind);

// One `key=value` of ENV or LABEL. `no_delim` is the old form `ENV key value`.
struct KeyValue {
  std::string key;
  std::string value;
  bool no_delim = false;
  bool operator==(const KeyValue&) const = default;
};

// One name of ARG, with its default when written `name=default`.
struct ArgDecl {
  std::string key;
  std::optional<std::string> default_value;
  bool operator==(const ArgDecl&) const = default;
};

// One instruction after a FROM (or an ARG before the first FROM). Only the
// fields of its kind are set; words are as written, before substitution.
struct Instruction {
  Kind kind = Kind::kRun;
  // The logical line as written (continuations joined, trimmed): what the
  // classic builder prints after "Step N/M : ".
  std::string code;
  int start_line = 0;  // 1-based lines in the Dockerfile
  int end_line = 0;

  // RUN, CMD, ENTRYPOINT, SHELL: the exec-form words, or (shell form) the
  // command line as one word. `shell_form` is true for the shell form (the
  // stage's SHELL is prepended when run). ENTRYPOINT [] leaves it empty.
  std::vector<std::string> command;
  bool shell_form = false;
  std::vector<KeyValue> pairs;  // ENV, LABEL
  std::vector<ArgDecl> args;    // ARG
  // EXPOSE ports (sorted as Docker sorts them), VOLUME paths, COPY/ADD sources.
  std::vector<std::string> words;
  // USER, WORKDIR, STOPSIGNAL, MAINTAINER; COPY/ADD destination; ONBUILD: the
  // trigger as written without "ONBUILD".
  std::string value;
  std::string from;   // COPY --from
  std::string chown;  // COPY/ADD --chown
  // HEALTHCHECK: `test` is {"NONE"}, {"CMD", exec words...} or
  // {"CMD-SHELL", command}; a duration not given is 0.
  std::optional<HealthConfig> health;
};

// A FROM and the instructions up to the next FROM.
struct Stage {
  std::string base_name;  // image or earlier stage, before substitution
  std::string name;       // `AS name`, lower-cased; "" when unnamed
  std::string platform;   // --platform, before substitution
  std::string code;       // the FROM line as written (trimmed)
  int start_line = 0;
  std::vector<Instruction> instructions;
};

struct Dockerfile {
  std::vector<Instruction> meta_args;  // ARGs before the first FROM
  std::vector<Stage> stages;
  char escape = '\\';  // from `# escape=`
  // Parser warnings as Docker prints them after "[WARNING]: " (empty
  // continuation lines), in order.
  std::vector<std::string> warnings;
};

// Parses a Dockerfile. Errors (InvalidArgument) carry Docker's texts:
// instruction errors "dockerfile parse error on line N: <reason>" (N the
// instruction's first line), e.g.
//   dockerfile parse error on line 3: unknown instruction: FOO
//   dockerfile parse error on line 1: FROM requires either one or three arguments
//   dockerfile parse error on line 2: unknown flag: --bogus
// and the reader's own errors bare, as Docker returns them:
//   file with no instructions
//   invalid escape token 'x' does not match ` or \ (backslash)
//   only one escape parser directive can be used
//   when using JSON array syntax, arrays must be comprised of strings only
//   dockerfile line greater than max allowed size of 65535
// An empty input is "the Dockerfile (<name>) cannot be empty".
// What Docker's classic builder does not do, and berth refuses likewise
// (errors naming the option, same prefix): RUN --mount/--network/--security/
// --device ("the --mount option requires BuildKit. Refer to
// https://docs.docker.com/go/buildkit/ to learn how to build images with
// BuildKit enabled"), COPY/ADD --chmod (Docker's own classic-builder error),
// --link, --parents, --exclude, ADD --checksum, --keep-git-dir, --unpack. Heredocs (`RUN <<EOF`) are refused with
// "heredocs are not supported by berth's builder". `# syntax=` is read and
// ignored, as the classic builder does.
Result<Dockerfile> ParseDockerfile(std::string_view text, std::string_view name = "Dockerfile");

// --- Stages --------------------------------------------------------------

// The index of the stage named `name` (case-insensitive), or -1.
int FindStage(const Dockerfile& df, std::string_view name);

// What the classic builder runs for a target: the stages up to and including
// the target (every one of them, needed or not, as Docker 28's classic
// builder does), and the "Step N/M" count.
struct BuildPlan {
  int last_stage = 0;   // index of the target (the last stage when no target)
  int total_steps = 0;  // meta ARGs + one per FROM + the stages' instructions
  // Indices of the stages the target depends on (FROM <stage>, COPY --from=
  // <stage name or index>), the target included, ascending. Names are
  // compared as written (before substitution).
  std::vector<int> needed_stages;
};
// `target` "" builds the last stage. `label_count` is the number of
// `--label`s given: the classic builder appends one LABEL step each to the
// target stage. Errors (InvalidArgument), Docker's texts:
//   failed to reach build target <target> in Dockerfile
//   <name> stage name already used
//   No image was generated. Is your Dockerfile empty?   (only ARGs, no FROM)
Result<BuildPlan> PlanBuild(const Dockerfile& df, std::string_view target, int label_count = 0);

// The parser's warnings as the classic builder prints them before the first
// step: "[WARNING]: <warning>\n" each, then "[WARNING]: Empty continuation
// lines will become errors in a future release.\n"; "" when there are none.
std::string WarningLines(const Dockerfile& df);

// The "Step N/M : <code>" line the classic builder prints.
std::string StepLine(int step, int total, std::string_view code);

}  // namespace berth::dockerfile
