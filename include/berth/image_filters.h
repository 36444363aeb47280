// The image filters as Docker reads them, shared by the Engine API and the
// berth CLI so that both accept the same terms with the same errors:
// "label"/"label!" terms, "until" times and the names an image prune takes.
// Each surface parses its own filter syntax (the API's filters JSON, the
// CLI's --filter k=v) into FilterValues and reads boolean filters with its
// own rules.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "berth/image_service.h"
#include "berth/status.h"

namespace berth {

// Filter name -> its values, as Docker's filters.Args holds them.
using FilterValues = std::map<std::string, std::vector<std::string>>;

// Every "label" and "label!" term as a LabelFilter check ("label" terms
// first); LabelFilter::Parse's errors.
Result<std::vector<LabelFilter>> LabelFiltersFrom(const FilterValues& filters);

// The earliest "until" value (every one must hold) as unix nanoseconds,
// nullopt when there is none. Values are ParseTimeValue forms relative to
// `now_nanos`, with its errors.
Result<std::optional<int64_t>> EarliestUntil(const FilterValues& filters, int64_t now_nanos);

// Docker's image prune filters: "dangling", "label", "label!", "until".
// Checked in Docker's order: a name outside those is InvalidArgument
// "invalid filter '<name>'" (the first in sorted order); then
// `read_dangling` gives dangling_only (the surface's boolean rules and
// texts; default true); then until, then labels.
Result<PruneOptions> PruneOptionsFromFilters(const FilterValues& filters,
                                             const std::function<Result<bool>()>& read_dangling,
                                             int64_t now_nanos);

}  // namespace berth
