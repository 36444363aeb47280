// Tests for ParseImageConfig and the RFC 3339 helpers.

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

// ---------------------------------------------------------------- RFC 3339

TEST(Rfc3339Test, ValidVectors) {
  const std::vector<std::pair<std::string, int64_t>> cases = {
      {"2024-01-02T03:04:05Z", 1704164645},
      {"2024-01-02T03:04:05.123456789Z", 1704164645},
      {"2024-01-02T03:04:05.999Z", 1704164645},
      {"2024-01-02T03:04:05.5Z", 1704164645},
      {"2024-01-02T03:04:05.1234567891234Z", 1704164645},  // more than 9 digits
      {"2024-01-02T05:04:05+02:00", 1704164645},
      {"2024-01-02T03:04:05-07:00", 1704189845},
      {"2023-12-31T20:04:05-07:00", 1704078245},
      {"2024-01-02T03:34:05+00:30", 1704164645},
      {"2024-01-02T03:04:05+00:00", 1704164645},
      {"2024-01-02T03:04:05", 1704164645},  // no zone: UTC
      {"2024-01-02t03:04:05z", 1704164645},
      {"1970-01-01T00:00:00Z", 0},
      {"1969-12-31T23:59:59Z", -1},
      {"1969-12-31T23:59:59.5Z", -1},
      {"2000-02-29T23:59:59Z", 951868799},
      {"0001-01-01T00:00:00Z", -62135596800},
      {"9999-12-31T23:59:59Z", 253402300799},
  };
  for (const auto& [s, want] : cases) {
    Result<int64_t> r = ParseRfc3339(s);
    ASSERT_TRUE(r.ok()) << s << ": " << r.status().ToString();
    EXPECT_EQ(*r, want) << s;
  }
}

TEST(Rfc3339Test, InvalidVectors) {
  const std::vector<std::string> cases = {
      "",
      "2024",
      "2024-01-02",
      "2024-01-02 03:04:05Z",
      "2024-1-02T03:04:05Z",
      "2024-01-02T3:04:05Z",
      "2024-13-02T03:04:05Z",
      "2024-00-02T03:04:05Z",
      "2023-02-29T03:04:05Z",  // not a leap year
      "1900-02-29T03:04:05Z",  // not a leap year either
      "2024-04-31T03:04:05Z",
      "2024-01-02T24:00:00Z",
      "2024-01-02T03:60:05Z",
      "2024-01-02T03:04:60Z",
      "2024-01-02T03:04:05.Z",
      "2024-01-02T03:04:05+0200",
      "2024-01-02T03:04:05+2",
      "2024-01-02T03:04:05+24:00",
      "2024-01-02T03:04:05+02:60",
      "2024-01-02T03:04:05ZZ",
      "2024-01-02T03:04:05Z ",
      " 2024-01-02T03:04:05Z",
      "2024-01-02T03:04:05 UTC",
      "+2024-01-02T03:04:05Z",
  };
  for (const std::string& s : cases) {
    Result<int64_t> r = ParseRfc3339(s);
    ASSERT_FALSE(r.ok()) << s;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << s;
    EXPECT_THAT(r.status().message(), HasSubstr("\"" + s + "\"")) << s;
  }
}

TEST(Rfc3339Test, Nanos) {
  EXPECT_EQ(ParseRfc3339Nanos("2024-01-02T03:04:05.123456789Z").value(),
            1704164645123456789LL);
  EXPECT_EQ(ParseRfc3339Nanos("2024-01-02T03:04:05.5+01:00").value(),
            (1704164645LL - 3600) * 1000000000LL + 500000000LL);
  EXPECT_EQ(ParseRfc3339Nanos("1969-12-31T23:59:59.75Z").value(), -250000000LL);
  EXPECT_EQ(ParseRfc3339Nanos("2262-04-11T23:47:16.854775807Z").value(), INT64_MAX);
  Result<int64_t> over = ParseRfc3339Nanos("2262-04-11T23:47:16.854775808Z");
  EXPECT_EQ(over.status().code(), Code::kOutOfRange);
  EXPECT_EQ(ParseRfc3339Nanos("0001-01-01T00:00:00Z").status().code(), Code::kOutOfRange);
  EXPECT_EQ(ParseRfc3339Nanos("nope").status().code(), Code::kInvalidArgument);
}

TEST(Rfc3339Test, FormatNanos) {
  const std::vector<std::pair<int64_t, std::string>> cases = {
      {0, "1970-01-01T00:00:00Z"},
      {1704164645LL * 1000000000LL, "2024-01-02T03:04:05Z"},
      {1704164645123456789LL, "2024-01-02T03:04:05.123456789Z"},
      {1704164645120000000LL, "2024-01-02T03:04:05.12Z"},
      {1704164645000000100LL, "2024-01-02T03:04:05.0000001Z"},
      {1704164645500000000LL, "2024-01-02T03:04:05.5Z"},
      {-1, "1969-12-31T23:59:59.999999999Z"},
      {-1000000000LL, "1969-12-31T23:59:59Z"},
      {-250000000LL, "1969-12-31T23:59:59.75Z"},
      {951868799LL * 1000000000LL, "2000-02-29T23:59:59Z"},
      {INT64_MAX, "2262-04-11T23:47:16.854775807Z"},
      {INT64_MIN, "1677-09-21T00:12:43.145224192Z"},
  };
  for (const auto& [nanos, want] : cases) {
    EXPECT_EQ(FormatRfc3339Nanos(nanos), want) << nanos;
    // Round trip through the parser.
    Result<int64_t> back = ParseRfc3339Nanos(want);
    ASSERT_TRUE(back.ok()) << want << ": " << back.status().ToString();
    EXPECT_EQ(*back, nanos) << want;
  }
}

}  // namespace
}  // namespace berth
