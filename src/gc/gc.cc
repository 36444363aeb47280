#include "berth/gc.h"

namespace berth::gc {

std::unordered_set<Digest> Mark(const std::vector<Digest>& roots, const ChildrenFn& children) {
  std::unordered_set<Digest> marked;
  std::vector<Digest> stack;
  for (const auto& r : roots) {
    if (marked.insert(r).second) stack.push_back(r);
  }
  while (!stack.empty()) {
    Digest d = std::move(stack.back());
    stack.pop_back();
    for (auto& c : children(d)) {
      if (marked.insert(c).second) stack.push_back(std::move(c));
    }
  }
  return marked;
}

std::vector<Digest> Sweep(const std::unordered_set<Digest>& marked, const std::vector<Digest>& all) {
  std::vector<Digest> garbage;
  for (const auto& d : all) {
    if (!marked.contains(d)) garbage.push_back(d);
  }
  return garbage;
}

}  // namespace berth::gc
