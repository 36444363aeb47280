// The second pass of the Dockerfile parser: logical lines into typed
// instructions and stages, after buildkit's frontend/dockerfile/instructions
// (parse.go, bflag.go), with the errors Docker 28.2 returns.
#include <algorithm>
#include <cstdint>
#include <string>

#include "berth/dockerfile.h"
#include "berth/go_strconv.h"
#include "berth/time.h"
#include "build/flags.h"
#include "build/lines.h"

namespace berth::dockerfile {
namespace {

using internal::AsciiLower;
using internal::AsciiUpper;
using internal::Flags;
using internal::Node;

struct KindEntry {
  const char* lower;
  Kind kind;
};
// buildkit's command.Commands, alphabetical (suggestions scan in this order).
constexpr KindEntry kKinds[] = {
    {"add", Kind::kAdd},
    {"arg", Kind::kArg},
    {"cmd", Kind::kCmd},
    {"copy", Kind::kCopy},
    {"entrypoint", Kind::kEntrypoint},
    {"env", Kind::kEnv},
    {"expose", Kind::kExpose},
    {"from", Kind::kFrom},
    {"healthcheck", Kind::kHealthcheck},
    {"label", Kind::kLabel},
    {"maintainer", Kind::kMaintainer},
    {"onbuild", Kind::kOnbuild},
    {"run", Kind::kRun},
    {"shell", Kind::kShell},
    {"stopsignal", Kind::kStopSignal},
    {"user", Kind::kUser},
    {"volume", Kind::kVolume},
    {"workdir", Kind::kWorkdir},
};

std::string AtLeastOne(std::string_view what) { return std::string(what) + " requires at least one argument"; }
std::string ExactlyOne(std::string_view what) { return std::string(what) + " requires exactly one argument"; }
std::string NoDestination(std::string_view what) {
  return std::string(what) +
         " requires at least two arguments, but only one was provided. Destination could not be determined";
}
std::string NeedsBuildKit(std::string_view option) {
  return "the " + std::string(option) +
         " option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images "
         "with BuildKit enabled";
}

// Refuses the flags Docker's classic builder does not implement (a boolean
// one only when true).
Status RefuseBuildKitFlags(const Flags& flags, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (flags.Requested(name)) return InvalidArgument(NeedsBuildKit(std::string("--") + name));
  }
  return OkStatus();
}

Result<std::vector<KeyValue>> ParsePairs(const std::vector<std::string>& args, std::string_view what) {
  if (args.empty()) return InvalidArgument(AtLeastOne(what));
  if (args.size() % 3 != 0) return InvalidArgument("Bad input to " + std::string(what) + ", too many arguments");
  std::vector<KeyValue> pairs;
  for (size_t i = 0; i < args.size(); i += 3) {
    if (args[i].empty()) return InvalidArgument(std::string(what) + " names can not be blank");
    pairs.push_back({args[i], args[i + 1], args[i + 2].empty()});
  }
  return pairs;
}

// handleJSONArgs: exec words as they are, shell words joined into one.
std::vector<std::string> CommandLine(const std::vector<std::string>& args, bool json) {
  if (args.empty()) return {};
  if (json) return args;
  std::string joined;
  for (size_t i = 0; i < args.size(); ++i) joined += (i == 0 ? "" : " ") + args[i];
  return {joined};
}

Result<int64_t> ParseInterval(const Flags& flags, const std::string& name) {
  std::string value = flags.String(name);
  if (value.empty()) return int64_t{0};
  BERTH_ASSIGN_OR_RETURN(int64_t d, ParseGoDuration(value));
  if (d == 0) return int64_t{0};
  if (d < 1000000) return InvalidArgument("Interval " + GoQuote(name) + " cannot be less than 1ms");
  return d;
}

Status ParseHealthcheck(const Node& node, Flags& flags, Instruction* out) {
  if (node.args.empty()) return InvalidArgument(AtLeastOne("HEALTHCHECK"));
  std::string type = AsciiUpper(node.args[0]);
  std::vector<std::string> rest(node.args.begin() + 1, node.args.end());
  HealthConfig health;
  if (type == "NONE") {
    if (!rest.empty()) return InvalidArgument("HEALTHCHECK NONE takes no arguments");
    health.test = {"NONE"};
    out->health = health;
    return OkStatus();
  }
  for (const char* name : {"interval", "timeout", "start-period", "start-interval", "retries"}) flags.AddString(name);
  BERTH_RETURN_IF_ERROR(flags.Parse());
  if (type != "CMD") return InvalidArgument("Unknown type " + GoQuote(type) + " in HEALTHCHECK (try CMD)");
  std::vector<std::string> command = CommandLine(rest, node.json);
  if (command.empty()) return InvalidArgument("Missing command after HEALTHCHECK CMD");
  health.test = {node.json ? "CMD" : "CMD-SHELL"};
  health.test.insert(health.test.end(), command.begin(), command.end());
  BERTH_ASSIGN_OR_RETURN(health.interval_nanos, ParseInterval(flags, "interval"));
  BERTH_ASSIGN_OR_RETURN(health.timeout_nanos, ParseInterval(flags, "timeout"));
  BERTH_ASSIGN_OR_RETURN(health.start_period_nanos, ParseInterval(flags, "start-period"));
  BERTH_ASSIGN_OR_RETURN(health.start_interval_nanos, ParseInterval(flags, "start-interval"));
  if (std::string retries = flags.String("retries"); !retries.empty()) {
    BERTH_ASSIGN_OR_RETURN(int64_t n, GoParseInt(retries, 32));
    if (n < 0) return InvalidArgument("--retries cannot be negative (" + std::to_string(n) + ")");
    health.retries = static_cast<int>(n);
  }
  out->health = health;
  return OkStatus();
}

Status ParseCopyOrAdd(const Node& node, Flags& flags, Instruction* out) {
  bool copy = out->kind == Kind::kCopy;
  if (node.args.size() < 2) return InvalidArgument(NoDestination(copy ? "COPY" : "ADD"));
  flags.AddString("chown");
  flags.AddString("chmod");
  flags.AddBool("link");
  flags.AddStrings("exclude");
  if (copy) {
    flags.AddString("from");
    flags.AddBool("parents");
  } else {
    flags.AddBool("keep-git-dir");
    flags.AddString("checksum");
    flags.AddBool("unpack");
  }
  BERTH_RETURN_IF_ERROR(flags.Parse());
  BERTH_RETURN_IF_ERROR(
      RefuseBuildKitFlags(flags, {"chmod", "link", "exclude", "parents", "keep-git-dir", "checksum", "unpack"}));
  out->words.assign(node.args.begin(), node.args.end() - 1);
  out->value = node.args.back();
  out->from = flags.String("from");
  out->chown = flags.String("chown");
  return OkStatus();
}

Result<std::string> StageName(const std::vector<std::string>& args) {
  if (args.size() == 3 && AsciiLower(args[1]) == "as") {
    std::string name = AsciiLower(args[2]);
    bool valid = !name.empty() && name[0] >= 'a' && name[0] <= 'z';
    for (char c : name) {
      valid = valid && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.');
    }
    if (!valid) {
      return InvalidArgument("invalid name for build stage: " + GoQuote(args[2]) +
                             ", name can't start with a number or contain symbols");
    }
    return name;
  }
  if (args.size() != 1) return InvalidArgument("FROM requires either one or three arguments");
  return std::string();
}

// `ONBUILD <trigger>` without its keyword: (?i)^\s*ONBUILD\s* removed.
std::string OnbuildExpression(std::string_view original) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; };
  size_t i = 0;
  while (i < original.size() && is_space(original[i])) ++i;
  if (AsciiLower(original.substr(i, 7)) != "onbuild") return std::string(original);
  i += 7;
  while (i < original.size() && is_space(original[i])) ++i;
  return std::string(original.substr(i));
}

// One instruction (FROM included, as a stage header in `stage`).
Status ParseInstruction(const Node& node, Kind kind, Instruction* out, Stage* stage) {
  Flags flags(node.flags);
  const std::vector<std::string>& args = node.args;
  std::string_view name = KindName(kind);
  switch (kind) {
    case Kind::kEnv:
    case Kind::kLabel: {
      BERTH_RETURN_IF_ERROR(flags.Parse());
      BERTH_ASSIGN_OR_RETURN(out->pairs, ParsePairs(args, name));
      return OkStatus();
    }
    case Kind::kMaintainer:
    case Kind::kWorkdir:
    case Kind::kUser:
    case Kind::kStopSignal:
      if (args.size() != 1) return InvalidArgument(ExactlyOne(name));
      if (kind != Kind::kStopSignal) BERTH_RETURN_IF_ERROR(flags.Parse());  // STOPSIGNAL reads none
      out->value = args[0];
      return OkStatus();
    case Kind::kAdd:
    case Kind::kCopy: return ParseCopyOrAdd(node, flags, out);
    case Kind::kFrom: {
      BERTH_ASSIGN_OR_RETURN(stage->name, StageName(args));
      flags.AddString("platform");
      BERTH_RETURN_IF_ERROR(flags.Parse());
      stage->base_name = args[0];
      stage->platform = flags.String("platform");
      return OkStatus();
    }
    case Kind::kOnbuild: {
      if (args.empty()) return InvalidArgument(AtLeastOne("ONBUILD"));
      BERTH_RETURN_IF_ERROR(flags.Parse());
      std::string trigger = AsciiUpper(internal::TrimGoSpace(args[0]));
      if (trigger == "ONBUILD") return InvalidArgument("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
      if (trigger == "MAINTAINER" || trigger == "FROM") {
        return InvalidArgument(trigger + " isn't allowed as an ONBUILD trigger");
      }
      out->value = OnbuildExpression(node.original);
      return OkStatus();
    }
    case Kind::kRun:
      flags.AddStrings("mount");
      flags.AddString("network");
      flags.AddString("security");
      flags.AddStrings("device");
      BERTH_RETURN_IF_ERROR(flags.Parse());
      BERTH_RETURN_IF_ERROR(RefuseBuildKitFlags(flags, {"mount", "network", "security", "device"}));
      [[fallthrough]];
    case Kind::kCmd:
    case Kind::kEntrypoint:
      if (kind != Kind::kRun) BERTH_RETURN_IF_ERROR(flags.Parse());
      out->command = CommandLine(args, node.json);
      out->shell_form = !node.json;
      return OkStatus();
    case Kind::kHealthcheck: return ParseHealthcheck(node, flags, out);
    case Kind::kExpose:
      if (args.empty()) return InvalidArgument(AtLeastOne("EXPOSE"));
      BERTH_RETURN_IF_ERROR(flags.Parse());
      out->words = args;
      std::sort(out->words.begin(), out->words.end());
      return OkStatus();
    case Kind::kVolume:
      if (args.empty()) return InvalidArgument(AtLeastOne("VOLUME"));
      BERTH_RETURN_IF_ERROR(flags.Parse());
      for (const std::string& v : args) {
        std::string_view trimmed = internal::TrimGoSpace(v);
        if (trimmed.empty()) return InvalidArgument("VOLUME specified can not be an empty string");
        out->words.emplace_back(trimmed);
      }
      return OkStatus();
    case Kind::kArg:
      if (args.empty()) return InvalidArgument(AtLeastOne("ARG"));
      for (const std::string& arg : args) {  // ARG reads no flags
        size_t eq = arg.find('=');
        if (eq == std::string::npos) {
          out->args.push_back({arg, std::nullopt});
          continue;
        }
        if (eq == 0) return InvalidArgument("ARG names can not be blank");
        out->args.push_back({arg.substr(0, eq), arg.substr(eq + 1)});
      }
      return OkStatus();
    case Kind::kShell: {
      BERTH_RETURN_IF_ERROR(flags.Parse());
      out->command = CommandLine(args, node.json);
      if (out->command.empty()) return InvalidArgument(AtLeastOne("SHELL"));
      if (!node.json) return InvalidArgument("SHELL requires the arguments to be in JSON form");
      return OkStatus();
    }
  }
  return OkStatus();
}

std::string LineError(int line, const Status& status) {
  return "dockerfile parse error on line " + std::to_string(line) + ": " + status.message();
}

}  // namespace

std::string_view KindName(Kind kind) {
  static constexpr const char* kNames[] = {"FROM",  "RUN",    "CMD",        "ENTRYPOINT",  "ENV",     "ARG",
                                           "LABEL", "EXPOSE", "VOLUME",     "USER",        "WORKDIR", "COPY",
                                           "ADD",   "SHELL",  "STOPSIGNAL", "HEALTHCHECK", "ONBUILD", "MAINTAINER"};
  return kNames[static_cast<int>(kind)];
}

Result<Dockerfile> ParseDockerfile(std::string_view text, std::string_view name) {
  if (text.empty()) return InvalidArgument("the Dockerfile (" + std::string(name) + ") cannot be empty");
  BERTH_ASSIGN_OR_RETURN(internal::Lines lines, internal::ReadLines(text));
  Dockerfile df;
  df.escape = lines.escape;
  df.warnings = std::move(lines.warnings);
  for (const Node& node : lines.nodes) {
    std::string lower = AsciiLower(node.keyword);
    const KindEntry* entry = nullptr;
    for (const KindEntry& k : kKinds) {
      if (lower == k.lower) entry = &k;
    }
    if (entry == nullptr) {
      std::vector<std::string> names;
      for (const KindEntry& k : kKinds) names.push_back(AsciiUpper(k.lower));
      return InvalidArgument(
          LineError(node.start_line, InvalidArgument(internal::WithSuggestion("unknown instruction: " + node.keyword,
                                                                              node.keyword, names, false))));
    }
    Instruction ins;
    ins.kind = entry->kind;
    ins.code = std::string(internal::TrimGoSpace(node.original));
    ins.start_line = node.start_line;
    ins.end_line = node.end_line;
    Stage stage;
    Status s = ParseInstruction(node, entry->kind, &ins, &stage);
    if (!s.ok()) return InvalidArgument(LineError(node.start_line, s));
    if (entry->kind == Kind::kFrom) {
      stage.code = ins.code;
      stage.start_line = node.start_line;
      df.stages.push_back(std::move(stage));
    } else if (df.stages.empty() && entry->kind == Kind::kArg) {
      df.meta_args.push_back(std::move(ins));
    } else if (df.stages.empty()) {
      return InvalidArgument("no build stage in current context");
    } else {
      df.stages.back().instructions.push_back(std::move(ins));
    }
  }
  return df;
}

}  // namespace berth::dockerfile
