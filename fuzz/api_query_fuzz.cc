// Fuzz target: Engine API query and filter parsing (src/api/query.h,
// include/berth/image_filters.h, LabelFilter in berth/image_service.h).
// Input: "<raw query string>\x01<filters JSON>\x01<version a>\x01<version b>".
// Invariants: percent-encoding a decoded value and decoding it again gives
// it back; a query re-encoded from its parsed pairs parses to the same
// values; Filters::Get is sorted; CompareVersions is antisymmetric and
// reflexive; every error is InvalidArgument (OutOfRange for times).
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "api/query.h"
#include "berth/image_filters.h"
#include "berth/url_escape.h"
#include "fuzz_util.h"

namespace {

using berth::Code;
namespace api = berth::api;

constexpr int64_t kNow = 1'700'000'000'000'000'000;

// Bad values are InvalidArgument; times beyond what nanoseconds since 1970
// hold in an int64 are OutOfRange (both answer 400).
void CheckError(const berth::Status& s) {
  FUZZ_CHECK_MSG(s.code() == Code::kInvalidArgument || s.code() == Code::kOutOfRange, s.ToString());
}

void CheckFilters(const api::Filters& f) {
  auto map = f.ToMap();
  for (const auto& [key, values] : map) {
    std::vector<std::string> got = f.Get(key);
    FUZZ_CHECK(std::is_sorted(got.begin(), got.end()));
    FUZZ_CHECK(f.Contains(key));
    auto b = f.GetBoolOrDefault(key, true);
    if (!b.ok()) CheckError(b.status());
  }
  berth::Status valid = f.Validate({"dangling", "label", "label!", "until", "reference", "before", "since"});
  if (!valid.ok()) CheckError(valid);
  auto labels = berth::LabelFiltersFrom(map);
  if (labels.ok()) {
    for (const berth::LabelFilter& l : *labels) (void)l.Matches({{"a", "b"}, {"", ""}, {l.key, "x"}});
  } else {
    CheckError(labels.status());
  }
  auto until = berth::EarliestUntil(map, kNow);
  if (!until.ok()) CheckError(until.status());
  auto prune = berth::PruneOptionsFromFilters(
      map, [&] { return f.GetBoolOrDefault("dangling", true); }, kNow);
  if (!prune.ok()) CheckError(prune.status());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  berth::fuzz::Parts parts(data, size);
  std::string_view raw_query = parts.Next();
  std::string_view filters_json = parts.Next();
  std::string_view version_a = parts.Next();
  std::string_view version_b = parts.Next();

  auto decoded = berth::UrlUnescape(raw_query, true);
  if (decoded.ok()) {
    auto again = berth::UrlUnescape(berth::fuzz::PercentEncodeAll(*decoded), false);
    FUZZ_CHECK(again.ok() && *again == *decoded);
  } else {
    CheckError(decoded.status());
  }

  auto query = api::Query::Parse(raw_query);
  if (query.ok()) {
    for (const char* key : {"filters", "platform", "all", "force"}) {
      std::vector<std::string> values = query->GetAll(key);
      std::string rebuilt;
      for (const std::string& v : values)
        rebuilt += std::string(rebuilt.empty() ? "" : "&") + key + "=" + berth::fuzz::PercentEncodeAll(v);
      auto reparsed = api::Query::Parse(rebuilt);
      FUZZ_CHECK_MSG(reparsed.ok() && reparsed->GetAll(key) == values, rebuilt);
      (void)query->Bool(key);
    }
    auto f = api::Filters::FromJson(query->Get("filters"));
    if (f.ok()) CheckFilters(*f);
    for (auto syntax : {api::PlatformSyntax::kJson, api::PlatformSyntax::kJsonOrSpecifier}) {
      auto p = api::SinglePlatformParam(*query, syntax);
      if (!p.ok()) CheckError(p.status());
    }
  } else {
    CheckError(query.status());
  }

  auto filters = api::Filters::FromJson(filters_json);
  if (filters.ok()) {
    CheckFilters(*filters);
  } else {
    FUZZ_CHECK_MSG(filters.status().code() == Code::kInvalidArgument, filters.status().message());
  }
  for (std::string_view label_term : {filters_json, version_a}) {
    for (bool negated : {false, true}) {
      auto term = berth::LabelFilter::Parse(label_term, negated);
      if (!term.ok()) CheckError(term.status());
    }
  }

  auto platform = api::DecodePlatformParam(filters_json);
  if (!platform.ok()) CheckError(platform.status());
  auto platform_or_spec = api::DecodePlatformOrSpecifier(filters_json);
  if (!platform_or_spec.ok()) CheckError(platform_or_spec.status());

  int ab = api::CompareVersions(version_a, version_b);
  FUZZ_CHECK(ab >= -1 && ab <= 1);
  FUZZ_CHECK(ab == -api::CompareVersions(version_b, version_a));
  FUZZ_CHECK(api::CompareVersions(version_a, version_a) == 0);
  auto [version, rest] = api::SplitVersionPrefix(version_a);
  FUZZ_CHECK(rest.size() <= version_a.size());
  berth::Status check = api::CheckApiVersion(version_a, "1.24", "1.50");
  if (!check.ok()) CheckError(check);
  (void)api::BoolValue(version_b);
  return 0;
}
