// The image filters shared by the Engine API and the berth CLI (see
// berth/image_filters.h).

#include <string_view>

#include "berth/image_filters.h"
#include "berth/time.h"

namespace berth {

Result<std::vector<LabelFilter>> LabelFiltersFrom(const FilterValues& filters) {
  std::vector<LabelFilter> out;
  for (const char* key : {"label", "label!"}) {
    auto it = filters.find(key);
    if (it == filters.end()) continue;
    for (const std::string& term : it->second) {
      BERTH_ASSIGN_OR_RETURN(LabelFilter check, LabelFilter::Parse(term, std::string_view(key) == "label!"));
      out.push_back(std::move(check));
    }
  }
  return out;
}

Result<std::optional<int64_t>> EarliestUntil(const FilterValues& filters, int64_t now_nanos) {
  std::optional<int64_t> until;
  auto it = filters.find("until");
  if (it == filters.end()) return until;
  for (const std::string& value : it->second) {
    BERTH_ASSIGN_OR_RETURN(int64_t t, ParseTimeValue(value, now_nanos));
    if (!until || t < *until) until = t;
  }
  return until;
}

Result<PruneOptions> PruneOptionsFromFilters(const FilterValues& filters,
                                             const std::function<Result<bool>()>& read_dangling,
                                             int64_t now_nanos) {
  static const char* const kAccepted[] = {"dangling", "label", "label!", "until"};
  for (const auto& [name, values] : filters) {
    bool known = false;
    for (const char* accepted : kAccepted) known = known || name == accepted;
    if (!known) return InvalidArgument("invalid filter '" + name + "'");
  }
  PruneOptions opts;
  BERTH_ASSIGN_OR_RETURN(opts.dangling_only, read_dangling());
  BERTH_ASSIGN_OR_RETURN(opts.until_unix_nanos, EarliestUntil(filters, now_nanos));
  BERTH_ASSIGN_OR_RETURN(opts.labels, LabelFiltersFrom(filters));
  return opts;
}

}  // namespace berth
