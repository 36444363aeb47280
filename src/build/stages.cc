// Stage planning of Docker's classic builder (builder/dockerfile/builder.go):
// target selection, stage dependencies, "Step N/M" numbering.
#include <set>
#include <string>

#include "berth/dockerfile.h"
#include "build/lines.h"

namespace berth::dockerfile {
namespace {

// The earlier stage `ref` names (a stage name, case-insensitive, or a stage
// index), or -1 when it names an image.
int EarlierStage(const Dockerfile& df, int current, std::string_view ref) {
  if (ref.empty()) return -1;
  bool numeric = true;
  for (char c : ref) numeric = numeric && c >= '0' && c <= '9';
  if (numeric) {
    if (ref.size() > 9) return -1;
    int index = std::stoi(std::string(ref));
    return index < current ? index : -1;
  }
  std::string lower = internal::AsciiLower(ref);
  for (int i = current - 1; i >= 0; --i) {
    if (df.stages[i].name == lower) return i;
  }
  return -1;
}

}  // namespace

int FindStage(const Dockerfile& df, std::string_view name) {
  std::string lower = internal::AsciiLower(name);
  for (size_t i = 0; i < df.stages.size(); ++i) {
    if (!df.stages[i].name.empty() && df.stages[i].name == lower) return static_cast<int>(i);
  }
  return -1;
}

Result<BuildPlan> PlanBuild(const Dockerfile& df, std::string_view target, int label_count) {
  if (df.stages.empty()) return InvalidArgument("No image was generated. Is your Dockerfile empty?");
  BuildPlan plan;
  plan.last_stage = static_cast<int>(df.stages.size()) - 1;
  if (!target.empty()) {
    plan.last_stage = FindStage(df, target);
    if (plan.last_stage < 0) {
      return InvalidArgument("failed to reach build target " + std::string(target) + " in Dockerfile");
    }
  }
  std::set<std::string> names;
  plan.total_steps = static_cast<int>(df.meta_args.size()) + label_count;
  for (int i = 0; i <= plan.last_stage; ++i) {
    const Stage& stage = df.stages[i];
    if (!stage.name.empty() && !names.insert(stage.name).second) {
      return InvalidArgument(stage.name + " stage name already used");
    }
    plan.total_steps += 1 + static_cast<int>(stage.instructions.size());
  }
  std::set<int> needed;
  std::vector<int> pending = {plan.last_stage};
  while (!pending.empty()) {
    int index = pending.back();
    pending.pop_back();
    if (!needed.insert(index).second) continue;
    const Stage& stage = df.stages[index];
    if (int dep = EarlierStage(df, index, stage.base_name); dep >= 0) pending.push_back(dep);
    for (const Instruction& ins : stage.instructions) {
      if (ins.kind != Kind::kCopy) continue;
      if (int dep = EarlierStage(df, index, ins.from); dep >= 0) pending.push_back(dep);
    }
  }
  plan.needed_stages.assign(needed.begin(), needed.end());
  return plan;
}

std::string WarningLines(const Dockerfile& df) {
  std::string out;
  for (const std::string& warning : df.warnings) out += "[WARNING]: " + warning + "\n";
  if (!out.empty()) out += "[WARNING]: Empty continuation lines will become errors in a future release.\n";
  return out;
}

std::string StepLine(int step, int total, std::string_view code) {
  return "Step " + std::to_string(step) + "/" + std::to_string(total) + " : " + std::string(code);
}

}  // namespace berth::dockerfile
