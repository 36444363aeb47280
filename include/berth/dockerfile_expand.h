// Variable substitution in Dockerfile instructions (buildkit's
// frontend/dockerfile/shell lexer) and the build-argument scoping of Docker
// 28.2's classic builder (builder/dockerfile/buildargs.go, dispatchers.go).
//
// Thread-safety: Lexer is immutable and may be shared; BuildArgs is a value
// owned by one build.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "berth/dockerfile.h"
#include "berth/status.h"

namespace berth::dockerfile {

// Variables visible to a substitution, by name.
using Variables = std::map<std::string, std::string>;

// The shell-like lexer of Dockerfile words:
//   $name ${name}           the value, "" when unset
//   ${name:-word} ${name-word}   word when unset (":" also when empty)
//   ${name:+word} ${name+word}   word when set (":" and not empty), else ""
//   ${name:?msg}  ${name?msg}    error "name: msg" when unset (":" or empty);
//                                 default msg "is not allowed to be unset"
//                                 / "is not allowed to be empty"
//   ${name#pat} ${name##pat}     the value without the shortest / longest
//   ${name%pat} ${name%%pat}     prefix / suffix matching pat (* any run, ?
//                                 one character, \* \? \\ literal)
//   ${name/pat/r} ${name//pat/r} the first / every (longest) match of pat
//                                 replaced by r (the every-match form
//                                 expands $0 in r to the match, as Docker)
//   $1 (digits), $@ $* $# $? $- $$ $! (one character) are names too.
//   'single quotes' keep everything literally, "double quotes" substitute
//   and take the escape before " $ and the escape; outside quotes the escape
//   character keeps the next one literally (a trailing escape is dropped).
// Errors (InvalidArgument) are Docker's, wrapped as `failed to process
// "<word>": <reason>`, e.g. "syntax error: bad substitution", "syntax error:
// missing '}'", "unexpected end of statement while looking for matching
// double-quote", "unsupported modifier (x) in substitution", "invalid
// pattern (\x) in substitution: invalid escape '\x'".
// Names are ASCII letters, digits and '_' (Docker also takes other Unicode
// letters).
class Lexer {
 public:
  explicit Lexer(char escape = '\\') : escape_(escape) {}

  // One word, quotes removed and variables substituted (ProcessWord).
  Result<std::string> Word(std::string_view word, const Variables& vars) const;
  // The words of `text`: split at unquoted spaces, also inside substituted
  // values (ProcessWords; used for EXPOSE).
  Result<std::vector<std::string>> Words(std::string_view text, const Variables& vars) const;

 private:
  char escape_;
};

// The proxy variables every build accepts without an ARG (they are not
// reported unused and not written to the image's history).
bool IsProxyBuildArg(std::string_view name);

// Build arguments of one build (the classic builder's buildArgs).
class BuildArgs {
 public:
  // `from_options`: the API's buildargs; a null value (JSON null) means
  // "take the value from the environment" and counts as not given.
  explicit BuildArgs(std::map<std::string, std::optional<std::string>> from_options = {});

  // An ARG before the first FROM: its words are expanded with the arguments
  // declared so far, then each name is allowed (in later meta ARGs) and
  // becomes a meta argument (FROM lines; a default for a stage ARG that
  // re-declares it without a value).
  Status AddMetaArgs(const Instruction& arg, const Lexer& lexer);

  // The arguments of a new stage: the meta arguments, none allowed yet.
  BuildArgs ForStage() const;
  // An ARG inside a stage, after Expand: allows the name with its default.
  void AddArg(const std::string& key, const std::optional<std::string>& default_value);

  // The allowed arguments' values: the build's value when given, else the
  // default, else (no default) the meta argument's; the proxy variables
  // when the build gives them. Arguments without any value are absent.
  Variables AllAllowed() const;
  // The same over the meta arguments: what FROM lines expand with.
  Variables AllMeta() const;

  // Records the names `stage` declared (at the end of a stage).
  void MergeReferenced(const BuildArgs& stage);
  // Docker's warning for build arguments no ARG declared (proxy variables
  // excepted), names sorted: "[Warning] One or more build-args [a b] were
  // not consumed\n"; "" when all were.
  std::string UnusedWarning() const;

 private:
  std::optional<std::string> Value(const std::string& key,
                                   const std::map<std::string, std::optional<std::string>>& mapping) const;
  Variables AllFrom(const std::map<std::string, std::optional<std::string>>& mapping) const;

  std::map<std::string, std::optional<std::string>> from_options_;
  std::map<std::string, std::optional<std::string>> allowed_;
  std::map<std::string, std::optional<std::string>> meta_;
  std::set<std::string> referenced_;
};

// What an instruction of a stage expands with: the stage's environment
// ("KEY=value" entries of the image's config and the ENVs so far; a later
// entry wins), then the allowed build arguments the environment does not set.
Variables StageVariables(const std::vector<std::string>& env, const BuildArgs& args);

// Substitutes the words Docker substitutes, in place: ENV and LABEL keys and
// values, ARG names and defaults, COPY/ADD sources, destination and --chown,
// WORKDIR, USER, VOLUME paths, STOPSIGNAL, and EXPOSE (each port may
// become several words). RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK, ONBUILD,
// MAINTAINER and COPY --from are left as written, as Docker leaves them.
// FROM is expanded by ExpandFrom.
Status ExpandInstruction(Instruction* ins, const Lexer& lexer, const Variables& vars);

// A stage's base name and --platform expanded with the meta arguments.
Status ExpandFrom(Stage* stage, const Lexer& lexer, const BuildArgs& args);

}  // namespace berth::dockerfile
