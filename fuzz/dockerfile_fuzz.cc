// Fuzz target: the Dockerfile front end (berth/dockerfile.h,
// berth/dockerfile_expand.h, berth/dockerignore.h).
// Input: "<Dockerfile>\x01<word>\x01<.dockerignore>\x01<path>".
// Invariants:
//   - ParseDockerfile errors are InvalidArgument; instructions' lines are
//     increasing and within the file; codes are trimmed and non-empty;
//   - the instructions' codes, one a line under the same escape directive,
//     parse back to the same instructions;
//   - substitution (meta ARGs, FROM, every instruction with a stage's
//     variables) errors only with InvalidArgument; PlanBuild's counts add up
//     and the needed stages end at the target;
//   - the lexer keeps a word without special characters as it is, and reads
//     a word single-quoted or double-quoted (with escapes) back to itself;
//   - .dockerignore: errors InvalidArgument; "./" before a path changes
//     nothing; with KeepBuildFiles the Dockerfile and .dockerignore are never
//     excluded; a plain pattern excludes its own path.
#include <string>

#include "berth/dockerfile.h"
#include "berth/dockerfile_expand.h"
#include "berth/dockerignore.h"
#include "berth/json_text.h"
#include "fuzz_util.h"

namespace {

using berth::Code;
using namespace berth::dockerfile;

void CheckError(const berth::Status& s) { FUZZ_CHECK_MSG(s.code() == Code::kInvalidArgument, s.message()); }

bool IsTrimmed(const std::string& s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; };
  return !s.empty() && !space(s.front()) && !space(s.back());
}

std::string TrimRight(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.pop_back();
  return s;
}

bool SameInstruction(const Instruction& a, const Instruction& b) {
  bool same_value = a.kind == Kind::kOnbuild ? TrimRight(a.value) == TrimRight(b.value) : a.value == b.value;
  return a.kind == b.kind && a.code == b.code && a.command == b.command && a.shell_form == b.shell_form &&
         a.pairs == b.pairs && a.args == b.args && a.words == b.words && same_value && a.from == b.from &&
         a.chown == b.chown && a.health == b.health;
}

void CheckLines(const Dockerfile& df, size_t text_lines) {
  int last = 0;
  auto check = [&](int start, int end, const std::string& code) {
    FUZZ_CHECK_MSG(start > last && start <= end && static_cast<size_t>(end) <= text_lines, code);
    FUZZ_CHECK_MSG(IsTrimmed(code), code);
    last = end;
  };
  for (const Instruction& ins : df.meta_args) check(ins.start_line, ins.end_line, ins.code);
  for (const Stage& stage : df.stages) {
    check(stage.start_line, stage.start_line, stage.code);
    for (const Instruction& ins : stage.instructions) check(ins.start_line, ins.end_line, ins.code);
  }
}

// The codes, one a line, parse to the same instructions.
void CheckReparse(const Dockerfile& df) {
  std::string text = std::string("# escape=") + df.escape + "\n";
  for (const Instruction& ins : df.meta_args) text += ins.code + "\n";
  for (const Stage& stage : df.stages) {
    text += stage.code + "\n";
    for (const Instruction& ins : stage.instructions) text += ins.code + "\n";
  }
  if (text.size() > 60000) return;
  auto again = ParseDockerfile(text);
  FUZZ_CHECK_MSG(again.ok(), again.status().message() + "\n" + text);
  FUZZ_CHECK_MSG(again->meta_args.size() == df.meta_args.size() && again->stages.size() == df.stages.size(), text);
  for (size_t i = 0; i < df.meta_args.size(); ++i)
    FUZZ_CHECK_MSG(SameInstruction(df.meta_args[i], again->meta_args[i]), text);
  for (size_t s = 0; s < df.stages.size(); ++s) {
    const Stage& a = df.stages[s];
    const Stage& b = again->stages[s];
    FUZZ_CHECK_MSG(a.base_name == b.base_name && a.name == b.name && a.platform == b.platform && a.code == b.code,
                   text);
    FUZZ_CHECK_MSG(a.instructions.size() == b.instructions.size(), text);
    for (size_t i = 0; i < a.instructions.size(); ++i) {
      FUZZ_CHECK_MSG(SameInstruction(a.instructions[i], b.instructions[i]), a.instructions[i].code);
    }
  }
}

void CheckExpansion(const Dockerfile& df) {
  Lexer lexer(df.escape);
  BuildArgs global(std::map<std::string, std::optional<std::string>>{{"A", "a b"}, {"HTTP_PROXY", "p"}});
  for (const Instruction& meta : df.meta_args) {
    berth::Status s = global.AddMetaArgs(meta, lexer);
    if (!s.ok()) return CheckError(s);
  }
  for (const Stage& original : df.stages) {
    Stage stage = original;
    berth::Status from = ExpandFrom(&stage, lexer, global);
    if (!from.ok()) CheckError(from);
    BuildArgs args = global.ForStage();
    std::vector<std::string> env = {"PATH=/bin"};
    for (const Instruction& ins : stage.instructions) {
      Instruction expanded = ins;
      berth::Status s = ExpandInstruction(&expanded, lexer, StageVariables(env, args));
      if (!s.ok()) {
        CheckError(s);
        continue;
      }
      if (expanded.kind == Kind::kArg) {
        for (const ArgDecl& a : expanded.args) args.AddArg(a.key, a.default_value);
      }
      if (expanded.kind == Kind::kEnv) {
        for (const KeyValue& kv : expanded.pairs) env.push_back(kv.key + "=" + kv.value);
      }
    }
    global.MergeReferenced(args);
  }
  (void)global.UnusedWarning();
}

void CheckPlan(const Dockerfile& df) {
  for (const std::string& target : {std::string(), std::string("a"), std::string("b")}) {
    auto plan = PlanBuild(df, target, 1);
    if (!plan.ok()) {
      CheckError(plan.status());
      continue;
    }
    int steps = static_cast<int>(df.meta_args.size()) + 1;
    for (int i = 0; i <= plan->last_stage; ++i) steps += 1 + static_cast<int>(df.stages[i].instructions.size());
    FUZZ_CHECK(plan->total_steps == steps);
    FUZZ_CHECK(!plan->needed_stages.empty() && plan->needed_stages.back() == plan->last_stage);
    for (size_t i = 1; i < plan->needed_stages.size(); ++i) {
      FUZZ_CHECK(plan->needed_stages[i - 1] < plan->needed_stages[i]);
    }
  }
}

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    auto [rune, width] = berth::DecodeUtf8Rune(s, i);
    if (rune == 0xFFFD && width == 1) return false;
    i += width;
  }
  return true;
}

void CheckLexer(std::string_view word, char escape) {
  Lexer lexer(escape);
  berth::dockerfile::Variables vars = {{"X", "x y"}};
  auto direct = lexer.Word(word, vars);
  if (!direct.ok()) CheckError(direct.status());
  auto words = lexer.Words(word, vars);
  if (!words.ok()) CheckError(words.status());
  if (!IsValidUtf8(word)) return;  // invalid bytes come back as U+FFFD, as in Go
  bool plain = word.find_first_of(std::string("$'\"<") + escape) == std::string_view::npos;
  if (plain) FUZZ_CHECK_MSG(direct.ok() && *direct == word, std::string(word));
  if (word.find('\'') == std::string_view::npos) {
    auto single = lexer.Word("'" + std::string(word) + "'", vars);
    FUZZ_CHECK_MSG(single.ok() && *single == word, std::string(word));
  }
  std::string quoted = "\"";
  for (char c : word) {
    if (c == '"' || c == '$' || c == escape) quoted += escape;
    quoted += c;
  }
  quoted += "\"";
  auto doubled = lexer.Word(quoted, vars);
  FUZZ_CHECK_MSG(doubled.ok() && *doubled == word, quoted);
}

void CheckDockerignore(std::string_view text, std::string_view path) {
  std::vector<std::string> patterns = berth::ReadDockerignore(text);
  auto matcher = berth::DockerignoreMatcher::FromPatterns(patterns);
  if (!matcher.ok()) return CheckError(matcher.status());
  bool excluded = matcher->Excluded(path);
  FUZZ_CHECK_MSG(matcher->Excluded("./" + std::string(path)) == excluded || path.empty() || path[0] == '/',
                 std::string(path));
  auto kept = berth::DockerignoreMatcher::FromPatterns(berth::KeepBuildFiles(patterns, "Dockerfile"));
  FUZZ_CHECK(kept.ok());
  FUZZ_CHECK(!kept->Excluded("Dockerfile") && !kept->Excluded(".dockerignore"));
  if (!matcher->HasExceptions()) {
    for (const std::string& p : patterns) {
      // (Cleaning can leave a space before a removed '/': the matcher trims.)
      if (p.find_first_of("*?[]\\^") == std::string::npos && p != "." && p != ".." && p.rfind("../", 0) != 0 &&
          IsTrimmed(p)) {
        FUZZ_CHECK_MSG(matcher->Excluded(p), p);
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  berth::fuzz::Parts parts(data, size);
  std::string text(parts.Next());
  std::string word(parts.Next());
  std::string ignore(parts.Next());
  std::string path(parts.Next());

  auto df = ParseDockerfile(text);
  if (!df.ok()) {
    CheckError(df.status());
  } else {
    size_t lines = 0;
    for (char c : text) lines += c == '\n';
    if (!text.empty() && text.back() != '\n') ++lines;
    CheckLines(*df, lines);
    CheckReparse(*df);
    CheckExpansion(*df);
    CheckPlan(*df);
  }
  CheckLexer(word, '\\');
  CheckLexer(word, '`');
  CheckDockerignore(ignore, path);
  return 0;
}
