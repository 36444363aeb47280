// The image filters both surfaces share (berth/image_filters.h).

#include "berth/image_filters.h"

#include <gtest/gtest.h>

#include <string>

#include "berth/time.h"

namespace berth {
namespace {

constexpr int64_t kNow = int64_t{1700000000} * kNanosPerSecond;

Result<bool> DanglingTrue() { return true; }

TEST(PruneFilters, UnknownNameIsRefusedBeforeAnythingElseIsRead) {
  bool dangling_read = false;
  auto read = [&]() -> Result<bool> {
    dangling_read = true;
    return true;
  };
  Result<PruneOptions> r = PruneOptionsFromFilters({{"reference", {"x"}}, {"until", {"junk"}}}, read, kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "invalid filter 'reference'");
  EXPECT_FALSE(dangling_read);
}

TEST(PruneFilters, DanglingErrorComesFromTheSurfaceBeforeUntil) {
  auto read = []() -> Result<bool> { return InvalidArgument("invalid filter 'dangling=[maybe]'"); };
  Result<PruneOptions> r = PruneOptionsFromFilters({{"dangling", {"maybe"}}, {"until", {"junk"}}}, read, kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "invalid filter 'dangling=[maybe]'");
}

TEST(PruneFilters, EarliestUntilLabelsAndDangling) {
  Result<PruneOptions> r = PruneOptionsFromFilters(
      {{"until", {"1h", "2023-11-14T00:00:00Z"}}, {"label", {"a=1"}}, {"label!", {"b"}}},
      [] { return Result<bool>(false); }, kNow);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->dangling_only);
  ASSERT_TRUE(r->until_unix_nanos.has_value());
  EXPECT_EQ(*r->until_unix_nanos, int64_t{1699920000} * kNanosPerSecond);
  ASSERT_EQ(r->labels.size(), 2u);
  EXPECT_EQ(r->labels[0].key, "a");
  EXPECT_EQ(r->labels[0].value, "1");
  EXPECT_FALSE(r->labels[0].negate);
  EXPECT_EQ(r->labels[1].key, "b");
  EXPECT_TRUE(r->labels[1].negate);
}

TEST(PruneFilters, NoFiltersIsTheDefaultPrune) {
  Result<PruneOptions> r = PruneOptionsFromFilters({}, DanglingTrue, kNow);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->dangling_only);
  EXPECT_FALSE(r->until_unix_nanos.has_value());
  EXPECT_TRUE(r->labels.empty());
}

TEST(ImageFilters, BadTermsKeepTheirErrors) {
  Result<std::optional<int64_t>> until = EarliestUntil({{"until", {"junk"}}}, kNow);
  ASSERT_FALSE(until.ok());
  EXPECT_EQ(until.status().message(), "failed to parse value as time or duration: \"junk\"");
  EXPECT_FALSE(LabelFiltersFrom({{"label", {"=v"}}}).ok());
  Result<std::optional<int64_t>> none = EarliestUntil({{"label", {"a"}}}, kNow);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

}  // namespace
}  // namespace berth
