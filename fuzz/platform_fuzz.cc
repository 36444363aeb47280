// Fuzz target: platform specifiers, the JSON form and the matchers
// (include/berth/platform.h).
// Input: "<specifier or JSON>\x01<second specifier or JSON>\x01<third>".
// Invariants: FormatPlatformAll of a parsed specifier parses back to the same
// platform (OS features as a set; options of printable characters); PlatformToJson of a parsed JSON platform parses
// back to it; Normalize is idempotent; each matcher matches the platform it was made from and its Less is a strict weak
// ordering (irreflexive, asymmetric, usable by std::sort over the parsed platforms).
#include <algorithm>
#include <cctype>
#include <memory>
#include <string>
#include <vector>

#include "berth/platform.h"
#include "fuzz_util.h"

namespace {

using berth::Platform;

// FormatPlatformAll writes OS features sorted, once each, empty ones
// skipped (as containerd's FormatAll); ParsePlatform keeps them as given.
Platform FeatureSet(Platform p) {
  std::sort(p.os_features.begin(), p.os_features.end());
  p.os_features.erase(std::unique(p.os_features.begin(), p.os_features.end()), p.os_features.end());
  std::erase(p.os_features, std::string());
  return p;
}

// FormatPlatformAll escapes only "%+()/" in OS options, as containerd's
// FormatAll does, so it reads back only options made of the characters the
// specifier grammar allows (a "%e0" escape decodes to a byte it does not).
bool OptionsPrintable(const Platform& p) {
  auto ok = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) ||
             std::string_view("_.-%+()/").find(c) != std::string_view::npos;
    });
  };
  return ok(p.os_version) && std::all_of(p.os_features.begin(), p.os_features.end(), ok);
}

std::vector<Platform> Parsed(std::string_view text) {
  std::vector<Platform> out;
  auto spec = berth::ParsePlatform(text);
  if (spec.ok()) {
    std::string all = berth::FormatPlatformAll(*spec);
    auto again = berth::ParsePlatform(all);
    if (OptionsPrintable(*spec)) FUZZ_CHECK_MSG(again.ok() && FeatureSet(*again) == FeatureSet(*spec), all);
    (void)berth::FormatPlatform(*spec);
    out.push_back(*spec);
  } else {
    FUZZ_CHECK_MSG(spec.status().code() == berth::Code::kInvalidArgument, spec.status().message());
  }
  auto json = berth::ParsePlatformJson(text);
  if (json.ok()) {
    std::string printed = berth::PlatformToJson(*json);
    auto again = berth::ParsePlatformJson(printed);
    FUZZ_CHECK_MSG(again.ok() && *again == *json, printed);
    out.push_back(*json);
  } else {
    FUZZ_CHECK_MSG(json.status().code() == berth::Code::kInvalidArgument, json.status().message());
  }
  return out;
}

void CheckMatcher(const berth::PlatformMatcher& m, const Platform& own, const std::vector<Platform>& all) {
  FUZZ_CHECK_MSG(m.Match(own), berth::FormatPlatformAll(own));
  for (const Platform& a : all) {
    FUZZ_CHECK(!m.Less(a, a));
    for (const Platform& b : all) FUZZ_CHECK(!(m.Less(a, b) && m.Less(b, a)));
  }
  std::vector<Platform> sorted = all;
  std::sort(sorted.begin(), sorted.end(), [&](const Platform& a, const Platform& b) { return m.Less(a, b); });
  FUZZ_CHECK(sorted.size() == all.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  berth::fuzz::Parts parts(data, size);
  std::vector<Platform> all;
  for (int i = 0; i < 3; ++i) {
    std::vector<Platform> got = Parsed(parts.Next());
    all.insert(all.end(), got.begin(), got.end());
  }
  all.push_back(berth::HostPlatform());
  for (const Platform& p : all) {
    Platform n = berth::Normalize(p);
    FUZZ_CHECK_MSG(berth::Normalize(n) == n, berth::FormatPlatformAll(p));
  }
  for (const Platform& p : all) {
    CheckMatcher(*berth::OnlyStrict(p), p, all);
    CheckMatcher(*berth::Only(p), p, all);
    CheckMatcher(*berth::AllWithPreference(p), p, all);
  }
  return 0;
}
