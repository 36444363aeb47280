// Tests for DescriptorToJson / DescriptorFromJson.

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "berth/oci.h"

namespace berth {
namespace {

using ::testing::HasSubstr;

constexpr char kD0[] = "sha256:5feceb66ffc86f38d952786c6d696c79c2dbc239dd4e91b46729d73a27fb57e9";

Descriptor Minimal() {
  Descriptor d;
  d.media_type = std::string(media_type::kOciManifest);
  d.digest = Digest::Parse(kD0).value();
  d.size = 1234;
  return d;
}

TEST(DescriptorJsonTest, MinimalOmitsOptionalFields) {
  EXPECT_EQ(DescriptorToJson(Minimal()),
            std::string(R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")") +
                kD0 + R"(","size":1234})");
}

TEST(DescriptorJsonTest, FullKeyOrder) {
  Descriptor d = Minimal();
  d.urls = {"https://example.com/a", "https://example.com/b"};
  d.annotations = {{"org.opencontainers.image.ref.name", "latest"},
                   {"io.containerd.image.name", "docker.io/library/alpine:latest"}};
  d.platform = Platform{"windows", "amd64", "v2", "10.0.17763.5329", {"win32k", "x"}};
  d.artifact_type = "application/vnd.example";
  const std::string want =
      std::string(R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")") +
      kD0 +
      R"(","size":1234,"urls":["https://example.com/a","https://example.com/b"],)"
      R"("annotations":{"io.containerd.image.name":"docker.io/library/alpine:latest",)"
      R"("org.opencontainers.image.ref.name":"latest"},)"
      R"("platform":{"architecture":"amd64","os":"windows","os.version":"10.0.17763.5329",)"
      R"("os.features":["win32k","x"],"variant":"v2"},)"
      R"("artifactType":"application/vnd.example"})";
  EXPECT_EQ(DescriptorToJson(d), want);
}

TEST(DescriptorJsonTest, PlatformOmitsEmptyOptionalKeysButKeepsOsAndArch) {
  Descriptor d = Minimal();
  d.platform = Platform{"linux", "arm64", "", "", {}};
  EXPECT_THAT(DescriptorToJson(d), HasSubstr(R"("platform":{"architecture":"arm64","os":"linux"}})"));
  d.platform = Platform{};
  EXPECT_THAT(DescriptorToJson(d), HasSubstr(R"("platform":{"architecture":"","os":""}})"));
}

TEST(DescriptorJsonTest, EscapesLikeGo) {
  Descriptor d = Minimal();
  d.annotations = {{"k", "a<b>&\"c\"\\\n\t\x01\x7f"},
                   {"u", "caf\xc3\xa9 \xe2\x80\xa8 \xff"}};
  const std::string json = DescriptorToJson(d);
  EXPECT_THAT(json, HasSubstr(R"("k":"a\u003cb\u003e\u0026\"c\"\\\n\t\u0001)"
                              "\x7f\""));
  EXPECT_THAT(json, HasSubstr("\"u\":\"caf\xc3\xa9 \\u2028 \\ufffd\""));
}

TEST(DescriptorJsonTest, RoundTrip) {
  std::vector<Descriptor> cases;
  cases.push_back(Minimal());
  Descriptor full = Minimal();
  full.urls = {"https://example.com/blob"};
  full.annotations = {{"vnd.docker.reference.type", "attestation-manifest"},
                      {"html", "<script>&amp;</script>"},
                      {"unicode", "\xe2\x9c\x93 \xe2\x80\xa9"}};
  full.platform = Platform{"linux", "arm", "v7", "", {}};
  full.artifact_type = "application/vnd.in-toto+json";
  cases.push_back(full);
  Descriptor win = Minimal();
  win.size = 0;
  win.platform = Platform{"windows", "amd64", "", "10.0.20348.2227", {"win32k"}};
  cases.push_back(win);

  for (const Descriptor& d : cases) {
    const std::string json = DescriptorToJson(d);
    Result<Descriptor> back = DescriptorFromJson(json);
    ASSERT_TRUE(back.ok()) << json << ": " << back.status().ToString();
    EXPECT_EQ(*back, d) << json;
    EXPECT_EQ(DescriptorToJson(*back), json);
  }
}

TEST(DescriptorJsonTest, ParsesForeignKeyOrderAndIgnoresUnknownFields) {
  const std::string raw = std::string(R"({"size":7,"data":"e30=","platform":{"variant":"v8",)") +
                          R"("os":"linux","architecture":"arm64"},"digest":")" + kD0 +
                          R"(","mediaType":"application/vnd.oci.empty.v1+json"})";
  Result<Descriptor> d = DescriptorFromJson(raw);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->media_type, media_type::kOciEmpty);
  EXPECT_EQ(d->size, 7);
  EXPECT_EQ(*d->platform, (Platform{"linux", "arm64", "v8", "", {}}));
}

TEST(DescriptorJsonTest, FieldNamesMatchLikeGo) {
  // Go's encoding/json matches struct fields case-insensitively; the last
  // matching key wins and null leaves the field alone.
  const std::string raw = std::string(R"({"MEDIATYPE":"a/b","Digest":")") + kD0 +
                          R"(","size":1,"Size":2,"size":null,"artifacttype":"x/y"})";
  Result<Descriptor> d = DescriptorFromJson(raw);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->media_type, "a/b");
  EXPECT_EQ(d->size, 2);
  EXPECT_EQ(d->artifact_type, "x/y");
}

TEST(DescriptorJsonTest, Invalid) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "invalid descriptor: malformed JSON"},
      {"{", "malformed JSON"},
      {"null", "descriptor is not a JSON object"},
      {R"({"digest":")" + std::string(kD0) + R"(","size":1})", "missing mediaType"},
      {R"({"mediaType":"","digest":")" + std::string(kD0) + R"(","size":1})", "empty mediaType"},
      {R"({"mediaType":"a/b","size":1})", "missing digest"},
      {R"({"mediaType":"a/b","digest":"sha256:xyz","size":1})", "invalid digest"},
      {R"({"mediaType":"a/b","digest":")" + std::string(kD0) + R"("})", "missing size"},
      {R"({"mediaType":"a/b","digest":")" + std::string(kD0) + R"(","size":-2})",
       "invalid size -2"},
      {R"({"mediaType":"a/b","digest":")" + std::string(kD0) + R"(","size":1e3})",
       "size must be an integer"},
      {R"({"mediaType":"a/b","digest":")" + std::string(kD0) + R"(","size":1,"artifactType":1})",
       "artifactType must be a string"},
  };
  for (const auto& [raw, message] : cases) {
    SCOPED_TRACE(raw);
    Result<Descriptor> r = DescriptorFromJson(raw);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr(message));
  }
}

}  // namespace
}  // namespace berth
