// Build arguments and the substitution of instructions' words, after Docker
// 28.2's classic builder (builder/dockerfile/buildargs.go, builder.go,
// evaluator.go, dispatchers.go).
#include <string>

#include "berth/dockerfile_expand.h"

namespace berth::dockerfile {
namespace {

constexpr const char* kProxyArgs[] = {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy",
                                      "FTP_PROXY",  "ftp_proxy",  "NO_PROXY",    "no_proxy"};

Status ExpandInPlace(std::string* word, const Lexer& lexer, const Variables& vars) {
  BERTH_ASSIGN_OR_RETURN(*word, lexer.Word(*word, vars));
  return OkStatus();
}

Status ExpandAll(std::vector<std::string>* words, const Lexer& lexer, const Variables& vars) {
  for (std::string& w : *words) BERTH_RETURN_IF_ERROR(ExpandInPlace(&w, lexer, vars));
  return OkStatus();
}

Status ExpandArgs(std::vector<ArgDecl>* args, const Lexer& lexer, const Variables& vars) {
  for (ArgDecl& arg : *args) {
    BERTH_RETURN_IF_ERROR(ExpandInPlace(&arg.key, lexer, vars));
    if (arg.default_value.has_value()) BERTH_RETURN_IF_ERROR(ExpandInPlace(&*arg.default_value, lexer, vars));
  }
  return OkStatus();
}

}  // namespace

bool IsProxyBuildArg(std::string_view name) {
  for (const char* proxy : kProxyArgs) {
    if (name == proxy) return true;
  }
  return false;
}

BuildArgs::BuildArgs(std::map<std::string, std::optional<std::string>> from_options)
    : from_options_(std::move(from_options)) {}

Status BuildArgs::AddMetaArgs(const Instruction& arg, const Lexer& lexer) {
  std::vector<ArgDecl> args = arg.args;
  BERTH_RETURN_IF_ERROR(ExpandArgs(&args, lexer, AllAllowed()));
  for (const ArgDecl& a : args) {
    AddArg(a.key, a.default_value);
    meta_[a.key] = a.default_value;
  }
  return OkStatus();
}

BuildArgs BuildArgs::ForStage() const {
  BuildArgs stage(*this);
  stage.allowed_.clear();
  return stage;
}

void BuildArgs::AddArg(const std::string& key, const std::optional<std::string>& default_value) {
  allowed_[key] = default_value;
  referenced_.insert(key);
}

std::optional<std::string> BuildArgs::Value(const std::string& key,
                                            const std::map<std::string, std::optional<std::string>>& mapping) const {
  if (auto given = from_options_.find(key); given != from_options_.end() && given->second.has_value()) {
    return given->second;
  }
  auto declared = mapping.find(key);
  if (declared == mapping.end() || !declared->second.has_value()) {
    if (auto meta = meta_.find(key); meta != meta_.end() && meta->second.has_value()) return meta->second;
    return std::nullopt;
  }
  return declared->second;
}

Variables BuildArgs::AllFrom(const std::map<std::string, std::optional<std::string>>& mapping) const {
  Variables out;
  auto add = [&](const std::string& key) {
    if (std::optional<std::string> v = Value(key, mapping)) out[key] = *v;
  };
  for (const auto& [key, value] : mapping) add(key);
  for (const char* proxy : kProxyArgs) add(proxy);
  return out;
}

Variables BuildArgs::AllAllowed() const { return AllFrom(allowed_); }
Variables BuildArgs::AllMeta() const { return AllFrom(meta_); }

void BuildArgs::MergeReferenced(const BuildArgs& stage) {
  referenced_.insert(stage.referenced_.begin(), stage.referenced_.end());
}

std::string BuildArgs::UnusedWarning() const {
  std::string names;
  for (const auto& [key, value] : from_options_) {
    if (IsProxyBuildArg(key) || referenced_.count(key) != 0) continue;
    names += (names.empty() ? "" : " ") + key;
  }
  if (names.empty()) return "";
  return "[Warning] One or more build-args [" + names + "] were not consumed\n";
}

Variables StageVariables(const std::vector<std::string>& env, const BuildArgs& args) {
  Variables vars;
  for (const std::string& entry : env) {
    size_t eq = entry.find('=');
    vars[entry.substr(0, eq)] = eq == std::string::npos ? std::string() : entry.substr(eq + 1);
  }
  for (const auto& [key, value] : args.AllAllowed()) vars.emplace(key, value);  // the environment wins
  return vars;
}

Status ExpandInstruction(Instruction* ins, const Lexer& lexer, const Variables& vars) {
  switch (ins->kind) {
    case Kind::kEnv:
    case Kind::kLabel:
      for (KeyValue& kv : ins->pairs) {
        BERTH_RETURN_IF_ERROR(ExpandInPlace(&kv.key, lexer, vars));
        BERTH_RETURN_IF_ERROR(ExpandInPlace(&kv.value, lexer, vars));
      }
      return OkStatus();
    case Kind::kArg: return ExpandArgs(&ins->args, lexer, vars);
    case Kind::kCopy:
    case Kind::kAdd:
      BERTH_RETURN_IF_ERROR(ExpandInPlace(&ins->chown, lexer, vars));
      BERTH_RETURN_IF_ERROR(ExpandAll(&ins->words, lexer, vars));
      return ExpandInPlace(&ins->value, lexer, vars);
    case Kind::kWorkdir:
    case Kind::kUser:
    case Kind::kStopSignal: return ExpandInPlace(&ins->value, lexer, vars);
    case Kind::kVolume: return ExpandAll(&ins->words, lexer, vars);
    case Kind::kExpose: {
      std::vector<std::string> ports;
      for (const std::string& word : ins->words) {
        BERTH_ASSIGN_OR_RETURN(std::vector<std::string> split, lexer.Words(word, vars));
        ports.insert(ports.end(), split.begin(), split.end());
      }
      ins->words = std::move(ports);
      return OkStatus();
    }
    default: return OkStatus();
  }
}

Status ExpandFrom(Stage* stage, const Lexer& lexer, const BuildArgs& args) {
  Variables meta = args.AllMeta();
  BERTH_RETURN_IF_ERROR(ExpandInPlace(&stage->base_name, lexer, meta));
  return ExpandInPlace(&stage->platform, lexer, meta);
}

}  // namespace berth::dockerfile
