// Tests for the OCI document model: media types, descriptors, indexes,
// manifests and image configs, with documents shaped like real registry
// content.

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "berth/oci.h"

namespace berth {
namespace {

using ::testing::HasSubstr;

constexpr char kD0[] = "sha256:5feceb66ffc86f38d952786c6d696c79c2dbc239dd4e91b46729d73a27fb57e9";
constexpr char kD1[] = "sha256:6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b";
constexpr char kD2[] = "sha256:d4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f90da3a666eec13ab35";
constexpr char kD3[] = "sha256:4e07408562bedb8b60ce05c1decfe3ad16b72230967de01f640b7e4729b49fce";

Digest D(const char* s) { return Digest::Parse(s).value(); }

// ---------------------------------------------------------------- media types

TEST(MediaTypeTest, Predicates) {
  struct Case {
    std::string_view mt;
    bool index, manifest, schema1, config, layer, nondist;
    Compression compression;
  };
  using C = Compression;
  const std::vector<Case> cases = {
      {media_type::kOciIndex, true, false, false, false, false, false, C::kUnknown},
      {media_type::kDockerManifestList, true, false, false, false, false, false, C::kUnknown},
      {media_type::kOciManifest, false, true, false, false, false, false, C::kUnknown},
      {media_type::kDockerManifest, false, true, false, false, false, false, C::kUnknown},
      {media_type::kDockerManifestV1, false, false, true, false, false, false, C::kUnknown},
      {media_type::kDockerManifestV1Signed, false, false, true, false, false, false, C::kUnknown},
      {media_type::kOciConfig, false, false, false, true, false, false, C::kUnknown},
      {media_type::kDockerConfig, false, false, false, true, false, false, C::kUnknown},
      {media_type::kOciLayer, false, false, false, false, true, false, C::kNone},
      {media_type::kOciLayerGzip, false, false, false, false, true, false, C::kGzip},
      {media_type::kOciLayerZstd, false, false, false, false, true, false, C::kZstd},
      {media_type::kOciLayerNonDist, false, false, false, false, true, true, C::kNone},
      {media_type::kOciLayerNonDistGzip, false, false, false, false, true, true, C::kGzip},
      {media_type::kOciLayerNonDistZstd, false, false, false, false, true, true, C::kZstd},
      {media_type::kDockerLayer, false, false, false, false, true, false, C::kNone},
      {media_type::kDockerLayerGzip, false, false, false, false, true, false, C::kGzip},
      {media_type::kDockerLayerForeignGzip, false, false, false, false, true, true, C::kGzip},
      {media_type::kOciEmpty, false, false, false, false, false, false, C::kUnknown},
      {media_type::kInTotoJson, false, false, false, false, false, false, C::kUnknown},
      {"application/json", false, false, false, false, false, false, C::kUnknown},
      {"", false, false, false, false, false, false, C::kUnknown},
      // Near misses are not recognised.
      {"application/vnd.oci.image.index.v1+json ", false, false, false, false, false, false,
       C::kUnknown},
      {"application/vnd.oci.image.layer.v1.tar+bzip2", false, false, false, false, false, false,
       C::kUnknown},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.mt));
    EXPECT_EQ(IsIndexType(c.mt), c.index);
    EXPECT_EQ(IsManifestType(c.mt), c.manifest);
    EXPECT_EQ(IsSchema1Type(c.mt), c.schema1);
    EXPECT_EQ(IsConfigType(c.mt), c.config);
    EXPECT_EQ(IsLayerType(c.mt), c.layer);
    EXPECT_EQ(IsNonDistributableLayer(c.mt), c.nondist);
    EXPECT_EQ(LayerCompression(c.mt), c.compression);
  }
}

// ------------------------------------------------------------------ indexes

// Shaped like docker.io/library/alpine's manifest list.
const std::string kDockerManifestList = std::string(R"({
   "manifests": [
      {
         "digest": ")") + kD0 + R"(",
         "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "platform": {
            "architecture": "amd64",
            "os": "linux"
         },
         "size": 528
      },
      {
         "digest": ")" + kD1 + R"(",
         "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "platform": {
            "architecture": "arm",
            "os": "linux",
            "variant": "v7"
         },
         "size": 528
      },
      {
         "digest": ")" + kD2 + R"(",
         "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "platform": {
            "architecture": "amd64",
            "os": "windows",
            "os.version": "10.0.17763.5329",
            "os.features": ["win32k"]
         },
         "size": 1161
      }
   ],
   "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
   "schemaVersion": 2
})";

TEST(IndexTest, DockerManifestList) {
  Result<Index> r = ParseIndex(kDockerManifestList, media_type::kDockerManifestList);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Index& idx = *r;
  EXPECT_EQ(idx.raw, kDockerManifestList);
  EXPECT_EQ(idx.media_type, media_type::kDockerManifestList);
  ASSERT_EQ(idx.manifests.size(), 3u);
  EXPECT_EQ(idx.manifests[0].media_type, media_type::kDockerManifest);
  EXPECT_EQ(idx.manifests[0].digest.str(), kD0);
  EXPECT_EQ(idx.manifests[0].size, 528);
  ASSERT_TRUE(idx.manifests[0].platform.has_value());
  EXPECT_EQ(*idx.manifests[0].platform, (Platform{"linux", "amd64", "", "", {}}));
  EXPECT_EQ(*idx.manifests[1].platform, (Platform{"linux", "arm", "v7", "", {}}));
  EXPECT_EQ(*idx.manifests[2].platform,
            (Platform{"windows", "amd64", "", "10.0.17763.5329", {"win32k"}}));
  EXPECT_EQ(idx.manifests[2].size, 1161);
  EXPECT_TRUE(idx.annotations.empty());
  for (const Descriptor& d : idx.manifests) EXPECT_FALSE(IsAttestation(d));

  // Without a media type argument the document's own field decides.
  Result<Index> r2 = ParseIndex(kDockerManifestList);
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_EQ(r2->media_type, media_type::kDockerManifestList);
}

// Shaped like what buildx pushes: image manifests plus attestation manifests.
const std::string kOciIndexWithAttestations = std::string(R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.index.v1+json",
  "manifests": [
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": ")") + kD0 + R"(",
      "size": 673,
      "platform": {"architecture": "amd64", "os": "linux"}
    },
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": ")" + kD1 + R"(",
      "size": 673,
      "platform": {"architecture": "arm64", "os": "linux"}
    },
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": ")" + kD2 + R"(",
      "size": 566,
      "annotations": {
        "vnd.docker.reference.digest": ")" + kD0 + R"(",
        "vnd.docker.reference.type": "attestation-manifest"
      },
      "platform": {"architecture": "unknown", "os": "unknown"}
    }
  ],
  "annotations": {"org.opencontainers.image.ref.name": "latest"}
})";

TEST(IndexTest, OciIndexWithAttestations) {
  Result<Index> r = ParseIndex(kOciIndexWithAttestations, media_type::kOciIndex);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->manifests.size(), 3u);
  EXPECT_FALSE(IsAttestation(r->manifests[0]));
  EXPECT_FALSE(IsAttestation(r->manifests[1]));
  EXPECT_TRUE(IsAttestation(r->manifests[2]));
  EXPECT_EQ(r->manifests[2].annotations.at(std::string(annotation::kDockerReferenceDigest)), kD0);
  EXPECT_EQ(r->manifests[2].platform->os, "unknown");
  EXPECT_EQ(r->annotations.at(std::string(annotation::kRefName)), "latest");
}

TEST(IndexTest, AttestationNeedsTheExactAnnotationValue) {
  Descriptor d;
  EXPECT_FALSE(IsAttestation(d));
  d.annotations[std::string(annotation::kDockerReferenceType)] = "sbom";
  EXPECT_FALSE(IsAttestation(d));
  d.annotations[std::string(annotation::kDockerReferenceType)] = "attestation-manifest";
  EXPECT_TRUE(IsAttestation(d));
}

TEST(IndexTest, MinimalOciIndexWithoutMediaTypeDefaultsToOci) {
  std::string raw = R"({"schemaVersion":2,"manifests":[]})";
  Result<Index> r = ParseIndex(raw);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->media_type, media_type::kOciIndex);
  EXPECT_TRUE(r->manifests.empty());
}

// ---------------------------------------------------------------- manifests

const std::string kDockerV2Manifest = std::string(R"({
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {
      "mediaType": "application/vnd.docker.container.image.v1+json",
      "size": 1472,
      "digest": ")") + kD0 + R"("
   },
   "layers": [
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 3408729,
         "digest": ")" + kD1 + R"("
      },
      {
         "mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
         "size": 1718265279,
         "digest": ")" + kD2 + R"(",
         "urls": ["https://mcr.microsoft.com/v2/windows/servercore/blobs/)" + kD2 + R"("]
      }
   ]
})";

TEST(ManifestTest, DockerV2) {
  Result<Manifest> r = ParseManifest(kDockerV2Manifest, media_type::kDockerManifest);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Manifest& m = *r;
  EXPECT_EQ(m.raw, kDockerV2Manifest);
  EXPECT_EQ(m.media_type, media_type::kDockerManifest);
  EXPECT_EQ(m.config.media_type, media_type::kDockerConfig);
  EXPECT_EQ(m.config.digest, D(kD0));
  EXPECT_EQ(m.config.size, 1472);
  ASSERT_EQ(m.layers.size(), 2u);
  EXPECT_EQ(m.layers[0].size, 3408729);
  EXPECT_EQ(LayerCompression(m.layers[0].media_type), Compression::kGzip);
  EXPECT_EQ(m.layers[1].size, 1718265279);
  ASSERT_EQ(m.layers[1].urls.size(), 1u);
  EXPECT_THAT(m.layers[1].urls[0], HasSubstr("mcr.microsoft.com"));
  EXPECT_TRUE(IsNonDistributableLayer(m.layers[1].media_type));
  EXPECT_FALSE(m.subject.has_value());
}

const std::string kOciZstdManifest = std::string(R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "config": {
    "mediaType": "application/vnd.oci.image.config.v1+json",
    "digest": ")") + kD0 + R"(",
    "size": 7023
  },
  "layers": [
    {
      "mediaType": "application/vnd.oci.image.layer.v1.tar+zstd",
      "digest": ")" + kD1 + R"(",
      "size": 32654,
      "annotations": {"containerd.io/snapshot/stargz/toc.digest": "x"}
    },
    {
      "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
      "digest": ")" + kD2 + R"(",
      "size": 16724
    }
  ],
  "subject": {
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": ")" + kD3 + R"(",
    "size": 1234
  },
  "annotations": {
    "org.opencontainers.image.created": "2024-01-02T03:04:05Z",
    "org.opencontainers.image.base.name": "docker.io/library/alpine:3.19"
  }
})";

TEST(ManifestTest, OciWithZstdLayerAndSubject) {
  Result<Manifest> r = ParseManifest(kOciZstdManifest);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Manifest& m = *r;
  EXPECT_EQ(m.media_type, media_type::kOciManifest);
  EXPECT_EQ(m.config.media_type, media_type::kOciConfig);
  ASSERT_EQ(m.layers.size(), 2u);
  EXPECT_EQ(m.layers[0].media_type, media_type::kOciLayerZstd);
  EXPECT_EQ(LayerCompression(m.layers[0].media_type), Compression::kZstd);
  EXPECT_EQ(m.layers[0].annotations.size(), 1u);
  EXPECT_EQ(LayerCompression(m.layers[1].media_type), Compression::kGzip);
  ASSERT_TRUE(m.subject.has_value());
  EXPECT_EQ(m.subject->digest, D(kD3));
  EXPECT_EQ(m.subject->size, 1234);
  EXPECT_EQ(m.annotations.size(), 2u);
  EXPECT_EQ(m.annotations.at("org.opencontainers.image.created"), "2024-01-02T03:04:05Z");
}

TEST(ManifestTest, ArtifactManifestWithEmptyConfig) {
  std::string raw = std::string(R"({"schemaVersion":2,)") +
                    R"("mediaType":"application/vnd.oci.image.manifest.v1+json",)" +
                    R"("artifactType":"application/vnd.example+type",)" +
                    R"("config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":")" +
                    kD0 + R"(","size":2,"data":"e30="},"layers":[]})";
  Result<Manifest> r = ParseManifest(raw);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->config.media_type, media_type::kOciEmpty);
  EXPECT_TRUE(r->layers.empty());
}

// -------------------------------------------------------------- refusals

TEST(SchemaOneTest, Refused) {
  const std::string signed_v1 = R"({
   "schemaVersion": 1,
   "name": "library/hello-world",
   "tag": "latest",
   "architecture": "amd64",
   "fsLayers": [{"blobSum": "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4"}],
   "history": [{"v1Compatibility": "{}"}],
   "signatures": [{"header": {"alg": "ES256"}, "signature": "x", "protected": "y"}]
})";
  Result<Manifest> by_arg = ParseManifest(signed_v1, media_type::kDockerManifestV1Signed);
  ASSERT_FALSE(by_arg.ok());
  EXPECT_EQ(by_arg.status().code(), Code::kUnimplemented);
  EXPECT_EQ(by_arg.status().message(),
            "schema 1 manifests are not supported: "
            "application/vnd.docker.distribution.manifest.v1+prettyjws");

  Result<Manifest> by_version = ParseManifest(signed_v1);
  ASSERT_FALSE(by_version.ok());
  EXPECT_EQ(by_version.status().code(), Code::kUnimplemented);
  EXPECT_EQ(by_version.status().message(),
            "schema 1 manifests are not supported: schemaVersion 1");

  const std::string typed =
      R"({"schemaVersion":1,"mediaType":"application/vnd.docker.distribution.manifest.v1+json"})";
  Result<Manifest> by_field = ParseManifest(typed);
  ASSERT_FALSE(by_field.ok());
  EXPECT_EQ(by_field.status().code(), Code::kUnimplemented);
  EXPECT_EQ(by_field.status().message(),
            "schema 1 manifests are not supported: "
            "application/vnd.docker.distribution.manifest.v1+json");

  Result<Index> as_index = ParseIndex(signed_v1, media_type::kDockerManifestV1);
  EXPECT_EQ(as_index.status().code(), Code::kUnimplemented);
  EXPECT_EQ(DetectMediaType(signed_v1), media_type::kDockerManifestV1Signed);
}

struct BadDoc {
  const char* name;
  std::string raw;
  std::string_view media_type;
  std::string message;  // expected substring of the InvalidArgument message
};

std::string Desc(std::string_view media_type, std::string_view digest, std::string_view size) {
  return std::string(R"({"mediaType":")") + std::string(media_type) + R"(","digest":")" +
         std::string(digest) + R"(","size":)" + std::string(size) + "}";
}

std::string ManifestWith(const std::string& config, const std::string& layers) {
  return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
         R"("config":)" + config + R"(,"layers":)" + layers + "}";
}

std::string IndexWith(const std::string& manifests) {
  return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)"
         R"("manifests":)" + manifests + "}";
}

TEST(ManifestTest, InvalidDocuments) {
  const std::string cfg = Desc(media_type::kOciConfig, kD0, "100");
  const std::string layer = Desc(media_type::kOciLayerGzip, kD1, "200");
  const std::vector<BadDoc> cases = {
      {"truncated", R"({"schemaVersion":2,"config":)", {}, "invalid manifest: malformed JSON: "},
      {"trailing garbage", ManifestWith(cfg, "[]") + "x", {}, "malformed JSON"},
      {"empty", "", {}, "malformed JSON"},
      {"comment", "/*c*/" + ManifestWith(cfg, "[]"), {}, "malformed JSON"},
      {"array", "[]", {}, "invalid manifest: document is not a JSON object"},
      {"string", R"("manifest")", {}, "document is not a JSON object"},
      {"no schemaVersion", R"({"config":)" + cfg + R"(,"layers":[]})", {}, "missing schemaVersion"},
      {"string schemaVersion", R"({"schemaVersion":"2","config":)" + cfg + R"(,"layers":[]})", {},
       "schemaVersion must be an integer"},
      {"schemaVersion 3", R"({"schemaVersion":3,"config":)" + cfg + R"(,"layers":[]})", {},
       "unsupported schemaVersion 3"},
      {"no config", R"({"schemaVersion":2,"layers":[]})", {},
       "invalid manifest: missing config descriptor"},
      {"no layers", R"({"schemaVersion":2,"config":)" + cfg + "}", {},
       "invalid manifest: missing layers array"},
      {"layers object", ManifestWith(cfg, "{}"), {}, "layers must be an array"},
      {"config string", ManifestWith(R"("x")", "[]"), {}, "config: descriptor is not a JSON object"},
      {"layer not object", ManifestWith(cfg, "[" + layer + ",3]"), {},
       "layers[1]: descriptor is not a JSON object"},
      {"negative size", ManifestWith(cfg, "[" + Desc(media_type::kOciLayerGzip, kD1, "-1") + "]"),
       {}, "invalid manifest: layers[0]: invalid size -1"},
      {"huge size",
       ManifestWith(cfg, "[" + Desc(media_type::kOciLayerGzip, kD1, "18446744073709551615") + "]"),
       {}, "layers[0]: size 18446744073709551615 out of range"},
      {"string size", ManifestWith(cfg, "[" + Desc(media_type::kOciLayerGzip, kD1, "\"1\"") + "]"),
       {}, "layers[0]: size must be an integer"},
      {"float size", ManifestWith(cfg, "[" + Desc(media_type::kOciLayerGzip, kD1, "1.5") + "]"), {},
       "layers[0]: size must be an integer"},
      {"missing size", ManifestWith(R"({"mediaType":"a/b","digest":")" + std::string(kD0) + "\"}",
                                    "[]"),
       {}, "config: missing size"},
      {"missing mediaType", ManifestWith(R"({"digest":")" + std::string(kD0) + R"(","size":1})",
                                         "[]"),
       {}, "config: missing mediaType"},
      {"numeric mediaType", ManifestWith(R"({"mediaType":7,"digest":")" + std::string(kD0) +
                                             R"(","size":1})",
                                         "[]"),
       {}, "config: mediaType must be a string"},
      {"missing digest", ManifestWith(R"({"mediaType":"a/b","size":1})", "[]"), {},
       "config: missing digest"},
      {"short digest", ManifestWith(cfg, "[" + Desc(media_type::kOciLayerGzip, "sha256:abc", "1") +
                                             "]"),
       {}, "layers[0]: invalid digest"},
      {"sha512 digest",
       ManifestWith(cfg, "[" + Desc(media_type::kOciLayerGzip, "sha512:" + std::string(128, 'a'),
                                    "1") + "]"),
       {}, "layers[0]: invalid digest"},
      {"uppercase digest",
       ManifestWith(Desc(media_type::kOciConfig,
                         "sha256:5FECEB66FFC86F38D952786C6D696C79C2DBC239DD4E91B46729D73A27FB57E9",
                         "1"),
                    "[]"),
       {}, "config: invalid digest"},
      {"numeric digest", ManifestWith(R"({"mediaType":"a/b","digest":5,"size":1})", "[]"), {},
       "config: digest must be a string"},
      {"annotations with number",
       R"({"schemaVersion":2,"config":)" + cfg + R"(,"layers":[],"annotations":{"a":1}})", {},
       "annotations[\"a\"] must be a string"},
      {"urls not array",
       ManifestWith(cfg, R"([{"mediaType":"a/b","digest":")" + std::string(kD1) +
                             R"(","size":1,"urls":"http://x"}])"),
       {}, "layers[0]: urls must be an array of strings"},
      {"mismatch", kDockerV2Manifest, media_type::kOciManifest,
       "media type mismatch: expected application/vnd.oci.image.manifest.v1+json, "
       "document has application/vnd.docker.distribution.manifest.v2+json"},
      {"index type given", ManifestWith(cfg, "[]"), media_type::kOciIndex, "media type mismatch"},
      {"index document", kOciIndexWithAttestations, {},
       "unexpected media type application/vnd.oci.image.index.v1+json"},
  };
  for (const BadDoc& c : cases) {
    SCOPED_TRACE(c.name);
    Result<Manifest> r = ParseManifest(c.raw, c.media_type);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << r.status().ToString();
    EXPECT_THAT(r.status().message(), HasSubstr(c.message));
    EXPECT_EQ(r.status().message().rfind("invalid manifest: ", 0), 0u) << r.status().message();
  }
}

TEST(IndexTest, InvalidDocuments) {
  const std::string good = Desc(media_type::kOciManifest, kD0, "10");
  const std::vector<BadDoc> cases = {
      {"truncated", kOciIndexWithAttestations.substr(0, 100), {},
       "invalid index: malformed JSON"},
      {"missing manifests", R"({"schemaVersion":2})", {}, "invalid index: missing manifests array"},
      {"manifests object", IndexWith("{}"), {}, "manifests must be an array"},
      {"bad digest third",
       IndexWith("[" + good + "," + good + "," +
                 Desc(media_type::kOciManifest, "sha256:not-hex", "5") + "]"),
       {}, "invalid index: manifests[2]: invalid digest"},
      {"negative size", IndexWith("[" + Desc(media_type::kOciManifest, kD0, "-5") + "]"), {},
       "manifests[0]: invalid size -5"},
      {"platform string",
       IndexWith(R"([{"mediaType":"a/b","digest":")" + std::string(kD0) +
                 R"(","size":1,"platform":"linux/amd64"}])"),
       {}, "manifests[0]: platform must be an object"},
      {"platform arch number",
       IndexWith(R"([{"mediaType":"a/b","digest":")" + std::string(kD0) +
                 R"(","size":1,"platform":{"os":"linux","architecture":64}}])"),
       {}, "manifests[0].platform: architecture must be a string"},
      {"os.features strings",
       IndexWith(R"([{"mediaType":"a/b","digest":")" + std::string(kD0) +
                 R"(","size":1,"platform":{"os":"windows","architecture":"amd64","os.features":[1]}}])"),
       {}, "os.features must be an array of strings"},
      {"mismatch", kDockerManifestList, media_type::kOciIndex, "media type mismatch"},
      {"manifest given", IndexWith("[]"), media_type::kDockerManifest, "media type mismatch"},
      {"manifest type no field", R"({"schemaVersion":2,"manifests":[]})",
       media_type::kDockerManifest, "unexpected media type"},
      {"manifest document", kDockerV2Manifest, {},
       "unexpected media type application/vnd.docker.distribution.manifest.v2+json"},
  };
  for (const BadDoc& c : cases) {
    SCOPED_TRACE(c.name);
    Result<Index> r = ParseIndex(c.raw, c.media_type);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << r.status().ToString();
    EXPECT_THAT(r.status().message(), HasSubstr(c.message));
    EXPECT_EQ(r.status().message().rfind("invalid index: ", 0), 0u) << r.status().message();
  }
}

TEST(IndexTest, NullOptionalFieldsAreAbsent) {
  std::string raw = IndexWith(R"([{"mediaType":"a/b","digest":")" + std::string(kD0) +
                              R"(","size":0,"platform":null,"annotations":null,"urls":null}])");
  Result<Index> r = ParseIndex(raw);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->manifests[0].platform.has_value());
  EXPECT_EQ(r->manifests[0].size, 0);
}

// ------------------------------------------------------------ detection

TEST(DetectMediaTypeTest, Table) {
  const std::string cfg = Desc(media_type::kOciConfig, kD0, "1");
  const std::vector<std::pair<std::string, std::string_view>> cases = {
      {kDockerManifestList, media_type::kDockerManifestList},
      {kOciIndexWithAttestations, media_type::kOciIndex},
      {kDockerV2Manifest, media_type::kDockerManifest},
      {R"({"schemaVersion":2,"manifests":[]})", media_type::kOciIndex},
      {R"({"schemaVersion":2,"config":)" + cfg + R"(,"layers":[]})", media_type::kOciManifest},
      {R"({"mediaType":"application/vnd.custom"})", "application/vnd.custom"},
      {R"({"schemaVersion":1,"fsLayers":[]})", media_type::kDockerManifestV1},
      {R"({"architecture":"amd64","os":"linux","rootfs":{}})", ""},
      {R"({"config":{}})", ""},
      {"[1,2]", ""},
      {"not json", ""},
      {"", ""},
  };
  for (const auto& [raw, want] : cases) {
    EXPECT_EQ(DetectMediaType(raw), want) << raw;
  }
}

}  // namespace
}  // namespace berth

namespace berth {
namespace {

TEST(DocumentLimitTest, OversizedDocumentsAreRefusedBeforeParsing) {
  // Valid JSON of each kind, padded past its limit with whitespace.
  std::string index = R"({"schemaVersion":2,"manifests":[]})" + std::string(kMaxManifestBytes, ' ');
  auto i = ParseIndex(index, media_type::kOciIndex);
  ASSERT_FALSE(i.ok());
  EXPECT_EQ(i.status().message(), "invalid index: document is " + std::to_string(index.size()) +
                                      " bytes, more than the limit of 4 MiB");
  std::string manifest = std::string(kMaxManifestBytes, ' ') + "{}";
  EXPECT_THAT(ParseManifest(manifest).status().message(), testing::HasSubstr("more than the limit of 4 MiB"));
  std::string config = R"({"architecture":"amd64","os":"linux"})";
  ASSERT_TRUE(ParseImageConfig(config + std::string(kMaxConfigBytes - config.size(), ' ')).ok());
  auto c = ParseImageConfig(config + std::string(kMaxConfigBytes - config.size() + 1, ' '));
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), testing::HasSubstr("invalid image config: document is 8388609 bytes"));
}

TEST(DocumentLimitTest, DescriptorSizeIsCheckedAgainstTheLimit) {
  Descriptor d;
  d.media_type = media_type::kOciConfig;
  d.digest = Digest::Of("x");
  d.size = kMaxConfigBytes;
  EXPECT_TRUE(CheckDocumentSize(d, MaxDocumentBytes(d.media_type), "config").ok());
  d.size = kMaxConfigBytes + 1;
  EXPECT_EQ(CheckDocumentSize(d, MaxDocumentBytes(d.media_type), "config").message(),
            "config " + d.digest.str() + " is 8388609 bytes, more than the limit of 8 MiB");
  d.media_type = media_type::kOciManifest;
  d.size = kMaxManifestBytes + 1;
  EXPECT_EQ(CheckDocumentSize(d, MaxDocumentBytes(d.media_type), "manifest").code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace berth
