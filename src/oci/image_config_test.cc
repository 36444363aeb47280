// Tests for ParseImageConfig.

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "berth/oci.h"

namespace berth {
namespace {

using ::testing::HasSubstr;

constexpr char kDiff0[] = "sha256:5feceb66ffc86f38d952786c6d696c79c2dbc239dd4e91b46729d73a27fb57e9";
constexpr char kDiff1[] = "sha256:6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b";

// Shaped like a BuildKit-built image config.
const std::string kConfig = std::string(R"({
  "architecture": "arm",
  "variant": "v7",
  "os": "linux",
  "created": "2024-01-02T03:04:05.123456789Z",
  "author": "Jane Doe <jane@example.com>",
  "config": {
    "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    "Cmd": ["/bin/sh"],
    "WorkingDir": "/",
    "Labels": {
      "org.opencontainers.image.source": "https://github.com/example/app",
      "maintainer": "jane"
    }
  },
  "rootfs": {
    "type": "layers",
    "diff_ids": [")") + kDiff0 + R"(", ")" + kDiff1 + R"("]
  },
  "history": [
    {
      "created": "2023-12-08T01:20:49.933580069Z",
      "created_by": "/bin/sh -c #(nop) ADD file:1f4eb46669b5b6275af19eb7471a6f0ab4d1e9 in / "
    },
    {
      "created": "2023-12-08T01:20:50.062728214Z",
      "created_by": "/bin/sh -c #(nop)  CMD [\"/bin/sh\"]",
      "empty_layer": true
    },
    {
      "created": "2024-01-02T03:04:05.123456789Z",
      "created_by": "RUN /bin/sh -c apk add --no-cache curl # buildkit",
      "comment": "buildkit.dockerfile.v0",
      "author": "jane"
    }
  ]
})";

TEST(ImageConfigTest, FullConfig) {
  Result<ImageConfig> r = ParseImageConfig(kConfig);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const ImageConfig& c = *r;
  EXPECT_EQ(c.raw, kConfig);
  EXPECT_EQ(c.platform, (Platform{"linux", "arm", "v7", "", {}}));
  EXPECT_EQ(c.created, "2024-01-02T03:04:05.123456789Z");
  EXPECT_EQ(c.created_unix, 1704164645);
  EXPECT_EQ(c.author, "Jane Doe <jane@example.com>");
  ASSERT_EQ(c.labels.size(), 2u);
  EXPECT_EQ(c.labels.at("maintainer"), "jane");
  EXPECT_EQ(c.labels.at("org.opencontainers.image.source"), "https://github.com/example/app");
  ASSERT_EQ(c.diff_ids.size(), 2u);
  EXPECT_EQ(c.diff_ids[0].str(), kDiff0);
  EXPECT_EQ(c.diff_ids[1].str(), kDiff1);
  ASSERT_EQ(c.history.size(), 3u);
  EXPECT_EQ(c.history[0].created, "2023-12-08T01:20:49.933580069Z");
  EXPECT_THAT(c.history[0].created_by, HasSubstr("ADD file:"));
  EXPECT_FALSE(c.history[0].empty_layer);
  EXPECT_TRUE(c.history[1].empty_layer);
  EXPECT_EQ(c.history[1].created_by, "/bin/sh -c #(nop)  CMD [\"/bin/sh\"]");
  EXPECT_EQ(c.history[2].comment, "buildkit.dockerfile.v0");
  EXPECT_EQ(c.history[2].author, "jane");
}

TEST(ImageConfigTest, MinimalConfigWithoutConfigOrLabels) {
  Result<ImageConfig> r = ParseImageConfig(
      R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->platform.architecture, "amd64");
  EXPECT_TRUE(r->created.empty());
  EXPECT_EQ(r->created_unix, 0);
  EXPECT_TRUE(r->labels.empty());
  EXPECT_TRUE(r->diff_ids.empty());
  EXPECT_TRUE(r->history.empty());

  Result<ImageConfig> r2 = ParseImageConfig(
      R"({"architecture":"amd64","os":"linux","config":{"Labels":null},"history":null})");
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_TRUE(r2->labels.empty());
}

TEST(ImageConfigTest, WindowsPlatformFields) {
  Result<ImageConfig> r = ParseImageConfig(
      R"({"architecture":"amd64","os":"windows","os.version":"10.0.20348.2227",)"
      R"("os.features":["win32k"],"created":"0001-01-01T00:00:00Z"})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->platform, (Platform{"windows", "amd64", "", "10.0.20348.2227", {"win32k"}}));
  EXPECT_EQ(r->created_unix, -62135596800);
}

TEST(ImageConfigTest, UnparsableCreatedIsZero) {
  Result<ImageConfig> r = ParseImageConfig(R"({"os":"linux","created":"yesterday"})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->created, "yesterday");
  EXPECT_EQ(r->created_unix, 0);
}

TEST(ImageConfigTest, InvalidConfigs) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{", "invalid image config: malformed JSON"},
      {"[]", "invalid image config: document is not a JSON object"},
      {R"({"os":1})", "os must be a string"},
      {R"({"created":20240102})", "created must be a string"},
      {R"({"config":[]})", "config must be an object"},
      {R"({"config":{"Labels":["a=b"]}})", "config: Labels must be an object of strings"},
      {R"({"config":{"Labels":{"a":true}}})", "config: Labels[\"a\"] must be a string"},
      {R"({"rootfs":"layers"})", "rootfs must be an object"},
      {R"({"rootfs":{"diff_ids":{}}})", "rootfs: diff_ids must be an array"},
      {R"({"rootfs":{"diff_ids":[")" + std::string(kDiff0) + R"(","sha256:00"]}})",
       "rootfs.diff_ids[1]: invalid digest"},
      {R"({"rootfs":{"diff_ids":[1]}})", "rootfs.diff_ids[0]: must be a string"},
      {R"({"history":{}})", "history must be an array"},
      {R"({"history":[{},"x"]})", "history[1]: not a JSON object"},
      {R"({"history":[{"empty_layer":"true"}]})", "history[0]: empty_layer must be a boolean"},
      {R"({"history":[{"created_by":["sh"]}]})", "history[0]: created_by must be a string"},
  };
  for (const auto& [raw, message] : cases) {
    SCOPED_TRACE(raw);
    Result<ImageConfig> r = ParseImageConfig(raw);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr(message));
    EXPECT_EQ(r.status().message().rfind("invalid image config: ", 0), 0u);
  }
}

}  // namespace
}  // namespace berth
