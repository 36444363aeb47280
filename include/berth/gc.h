// Garbage collection as a pure mark-and-sweep (after containerd's gc
// package): the caller supplies roots and a way to list a node's children;
// nothing here touches the disk or the database.
#pragma once

#include <functional>
#include <unordered_set>
#include <vector>

#include "berth/digest.h"

namespace berth::gc {

using ChildrenFn = std::function<std::vector<Digest>(const Digest&)>;

// Every digest reachable from `roots` (roots included). Iterative; handles
// shared subgraphs and cycles.
std::unordered_set<Digest> Mark(const std::vector<Digest>& roots, const ChildrenFn& children);

// The members of `all` that are not in `marked`, in `all`'s order.
std::vector<Digest> Sweep(const std::unordered_set<Digest>& marked, const std::vector<Digest>& all);

}  // namespace berth::gc
