// Shared plumbing of the `berth` admin CLI: global options, opening the data
// root offline, docker-style error and usage messages, and the registration
// functions of every command (one per tools/berth/cmd_*.cc file).
//
// Every command opens the data root itself (Store::Open); when a daemon or
// another berth process holds <root>/berth.lock the open fails and the
// command prints "Error: <message>" and exits 1.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "berth/image_service.h"
#include "berth/platform.h"
#include "berth/status.h"

namespace berth::cli {

struct Context {
  std::string data_root;
  std::string log_level = "info";
  int exit_code = 0;  // set by the command that ran
};

// Opens ctx.data_root (DefaultDataRoot() when empty), taking its lock.
Result<std::unique_ptr<Store>> OpenStore(const Context& ctx);

// Writes "Error: <message>\n" to stderr and returns 1.
int PrintError(const std::string& message);
inline int PrintError(const Status& s) { return PrintError(s.message()); }

// Writes `data` to stdout (unbuffered, all of it).
Status WriteStdout(std::string_view data);

// A bad flag value: "<message>\nSee '<command path> --help'." on stderr;
// returns 125 (docker's exit status for flag errors).
int FlagError(const CLI::App* cmd, const std::string& message);

// "berth image ls" for a subcommand.
std::string CommandPath(const CLI::App* cmd);

// docker's positional-argument checks (cli/required.go). On a violation
// prints the usage error to stderr, sets ctx->exit_code = 1 and returns false.
// `use` is the usage line after the command path, e.g. "[OPTIONS] IMAGE [IMAGE...]".
bool CheckArgs(const CLI::App* cmd, Context* ctx, size_t n, size_t min, size_t max, const std::string& use);
inline constexpr size_t kUnlimited = static_cast<size_t>(-1);

// Parses comma-separated, repeatable --platform values with ParsePlatform.
Result<std::vector<Platform>> ParsePlatforms(const std::vector<std::string>& values);

// A single optional --platform value: nullopt when empty, else ParsePlatform's
// result; its error is InvalidArgument "invalid platform: <reason>".
Result<std::optional<Platform>> ParsePlatformFlag(const std::string& value);

// docker's FilterOpt: "name=value" terms (name lower-cased and trimmed,
// value trimmed); a term without "=" is refused like a bad flag value.
struct FilterArgs {
  std::map<std::string, std::vector<std::string>> fields;  // values sorted, unique
  bool Contains(const std::string& k) const { return fields.count(k) > 0; }
  // "name" of the first field (sorted) not in `accepted`, if any.
  std::optional<std::string> FirstInvalid(const std::vector<std::string>& accepted) const;
  // filters.GetBoolOrDefault: "true"/"1" or "false"/"0";
  // InvalidArgument "invalid filter 'k=[v…]'" otherwise.
  Result<bool> GetBool(const std::string& k, bool def) const;
};
Result<FilterArgs> ParseFilterFlags(const std::vector<std::string>& terms, const std::string& flag);
// The label, until and prune filters: berth/image_filters.h on `fields`.

// Command registration. Each creates `name` under `parent` (so that the same
// command exists as `berth images` and `berth image ls`).
void AddImagesCommand(CLI::App* parent, const std::string& name, Context* ctx);
void AddLoadCommand(CLI::App* parent, const std::string& name, Context* ctx);
void AddSaveCommand(CLI::App* parent, const std::string& name, Context* ctx);
void AddTagCommand(CLI::App* parent, const std::string& name, Context* ctx);
void AddRemoveCommand(CLI::App* parent, const std::string& name, Context* ctx);
void AddPruneCommand(CLI::App* parent, const std::string& name, Context* ctx);
void AddInspectCommand(CLI::App* parent, const std::string& name, Context* ctx);
void AddHistoryCommand(CLI::App* parent, const std::string& name, Context* ctx);
void AddGcCommand(CLI::App* parent, const std::string& name, Context* ctx);
// `berth why IMAGE|DIGEST` (cmd_why.cc).
void AddWhyCommand(CLI::App* parent, const std::string& name, Context* ctx);
// `berth registry rm-platform` (cmd_registry.cc); opens no store.
void AddRegistryCommand(CLI::App* parent, const std::string& name, Context* ctx);

}  // namespace berth::cli
