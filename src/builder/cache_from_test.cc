// The --cache-from matching rule (MatchCacheFrom) and the config of a
// re-created intermediate image (RestoredConfig).
#include "builder/cache_from.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace berth::builder {
namespace {

namespace json = boost::json;

struct Step {
  std::string created_by;
  bool empty_layer = false;
};

std::string Layer(char c) { return "sha256:" + std::string(64, c); }

// An image config whose history is `steps` (created times "2026-01-0<i>")
// and whose layers are named by `layers` ('a', 'b', ...).
ImageConfig Config(const std::vector<Step>& steps, const std::string& layers) {
  json::array history;
  for (size_t i = 0; i < steps.size(); ++i) {
    json::object h{{"created", "2026-01-0" + std::to_string(i + 1) + "T00:00:00Z"},
                   {"created_by", steps[i].created_by}};
    if (steps[i].empty_layer) h["empty_layer"] = true;
    history.push_back(std::move(h));
  }
  json::array diff_ids;
  for (char c : layers) diff_ids.emplace_back(Layer(c));
  json::object config{{"architecture", "amd64"},
                      {"os", "linux"},
                      {"rootfs", json::object{{"type", "layers"}, {"diff_ids", std::move(diff_ids)}}},
                      {"history", std::move(history)}};
  Result<ImageConfig> parsed = ParseImageConfig(json::serialize(config));
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return *parsed;
}

CacheFromImage Source(char id, ImageConfig config) {
  return CacheFromImage{*Digest::Parse("sha256:" + std::string(64, id)), std::move(config)};
}

const std::vector<Step> kApp = {{"ADD base / "}, {"ENV A=1", true}, {"RUN make"}, {"CMD [\"app\"]", true}};

TEST(MatchCacheFrom, FollowsTheHistoryAfterTheParentsAndFindsTheLayer) {
  std::vector<CacheFromImage> sources = {Source('1', Config(kApp, "ab"))};
  ImageConfig base = Config({kApp[0]}, "a");
  auto env = MatchCacheFrom(sources, &base, "ENV A=1");
  ASSERT_TRUE(env);
  EXPECT_EQ(env->history_index, 1u);
  EXPECT_FALSE(env->last);
  EXPECT_FALSE(env->layer_index);  // an empty layer
  ImageConfig after_env = Config({kApp[0], kApp[1]}, "a");
  auto run = MatchCacheFrom(sources, &after_env, "RUN make");
  ASSERT_TRUE(run);
  EXPECT_EQ(run->layer_index, std::optional<size_t>(1));
  ImageConfig after_run = Config({kApp[0], kApp[1], kApp[2]}, "ab");
  auto cmd = MatchCacheFrom(sources, &after_run, "CMD [\"app\"]");
  ASSERT_TRUE(cmd);
  EXPECT_TRUE(cmd->last);
}

TEST(MatchCacheFrom, AnotherCommandOrParentMisses) {
  std::vector<CacheFromImage> sources = {Source('1', Config(kApp, "ab"))};
  ImageConfig base = Config({kApp[0]}, "a");
  EXPECT_FALSE(MatchCacheFrom(sources, &base, "ENV A=2"));
  // The parent's layer differs from the image's.
  ImageConfig other_layer = Config({kApp[0]}, "e");
  EXPECT_FALSE(MatchCacheFrom(sources, &other_layer, "ENV A=1"));
  // The parent's history entry differs (another creation time).
  ImageConfig other_time = Config({{"X"}, kApp[0]}, "a");
  EXPECT_FALSE(MatchCacheFrom(sources, &other_time, "ADD base / "));
  // A parent as long as the image: nothing left to match.
  EXPECT_FALSE(MatchCacheFrom(sources, &sources[0].config, "CMD [\"app\"]"));
}

TEST(MatchCacheFrom, NoParentMatchesTheFirstEntryAndTheFirstFittingSourceWins) {
  std::vector<CacheFromImage> sources = {Source('1', Config({{"ADD other / "}}, "f")), Source('2', Config(kApp, "ab")),
                                         Source('3', Config(kApp, "ab"))};
  auto m = MatchCacheFrom(sources, nullptr, "ADD base / ");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->source, 1u);
  EXPECT_EQ(m->layer_index, std::optional<size_t>(0));
}

TEST(MatchCacheFrom, AHistoryNamingAMissingLayerNeverMatches) {
  std::vector<CacheFromImage> sources = {Source('1', Config(kApp, "a"))};  // RUN's layer missing
  ImageConfig after_env = Config({kApp[0], kApp[1]}, "a");
  EXPECT_FALSE(MatchCacheFrom(sources, &after_env, "RUN make"));
}

TEST(RestoredConfig, ParentsRootfsAndHistoryPlusTheEntry) {
  CacheFromImage source = Source('1', Config(kApp, "ab"));
  ImageConfig after_env = Config({kApp[0], kApp[1]}, "a");
  auto m = MatchCacheFrom({source}, &after_env, "RUN make");
  ASSERT_TRUE(m);
  json::object run_config{{"Cmd", json::array{"/bin/sh", "-c", "make"}}};
  Result<std::string> raw = RestoredConfig(&after_env, source, *m, run_config);
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  Result<ImageConfig> restored = ParseImageConfig(*raw);
  ASSERT_TRUE(restored.ok());
  EXPECT_EQ(restored->diff_ids, source.config.diff_ids);
  ASSERT_EQ(restored->history.size(), 3u);
  EXPECT_EQ(restored->history[2].created_by, "RUN make");
  EXPECT_EQ(restored->created, "2026-01-03T00:00:00Z");
  EXPECT_EQ(restored->platform.architecture, "amd64");
  json::value v = json::parse(*raw);
  EXPECT_EQ(v.at("config"), json::value(run_config));
  EXPECT_FALSE(v.as_object().contains("container_config"));
}

}  // namespace
}  // namespace berth::builder
