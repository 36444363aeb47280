// /images/... routes against a real store: listing filters and shapes,
// inspect, tag, remove, prune and history. Every query parameter is checked
// by its effect on real images, not by what reached the image service.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>

#include "api/api_test_util.h"

namespace berth::api {
namespace {

namespace json = boost::json;
using testing::BuiltImage;
using testing::FixtureImage;
using testing::FixturePlatform;

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

using ImageRoutesTest = RouteTestBase;

// A one-platform image with its own layer, labels and config creation time.
BuiltImage Dated(RouteTestBase* t, const std::string& seed, const std::string& created,
                 std::map<std::string, std::string> labels) {
  FixtureImage spec;
  FixturePlatform p;
  p.layers.push_back(testing::FixtureLayer{{{"seed", seed}}});
  p.labels = std::move(labels);
  p.created = created;
  spec.platforms.push_back(p);
  auto img = testing::BuildImage(spec);
  EXPECT_TRUE(img.ok()) << img.status().ToString();
  return *img;
}

TEST_F(ImageRoutesTest, ListFiltersSelectRealImages) {
  BuiltImage old = Dated(this, "old", "2023-01-01T00:00:00Z", {{"a", "b"}});
  BuiltImage mid = Dated(this, "mid", "2024-01-01T00:00:00Z", {{"a", "b"}, {"c", "x"}});
  BuiltImage dangle = Dated(this, "dangle", "2025-01-01T00:00:00Z", {{"a", "b"}});
  Add(old, {"foo:1"});
  Add(mid, {"bar:1"});
  Add(dangle, {});
  const std::string o = old.target.digest.str(), m = mid.target.digest.str(), d = dangle.target.digest.str();
  const std::string future = std::to_string(NowSeconds() + 3600);
  struct Case {
    std::string filters;  // JSON, unencoded
    std::set<std::string> want;
  } cases[] = {
      {"", {o, m, d}},
      {R"({"dangling":["true"]})", {d}},
      {R"({"dangling":{"false":true}})", {o, m}},
      {R"({"dangling":["1"]})", {d}},
      {R"({"reference":["foo"]})", {o}},
      {R"({"reference":["foo:1","bar"]})", {o, m}},
      {R"({"reference":["f*"]})", {o}},
      {R"({"label":["a=b"]})", {o, m, d}},
      {R"({"label":["c"]})", {m}},
      {R"({"label":["a=nope"]})", {}},
      {R"({"label!":["c"]})", {o, d}},
      {R"({"before":["bar:1"]})", {o}},
      {R"({"since":["foo:1"]})", {m, d}},
      {R"({"since":["foo:1"],"before":[")" + d + R"("]})", {m}},
      {R"({"until":["1700000000"]})", {}},  // every record was made just now
      {R"({"until":[")" + future + R"("]})", {o, m, d}},
      // Everything at once: one image passes.
      {R"({"dangling":{"false":true},"reference":{"foo":true},"label":{"a=b":true},"label!":{"c":true},)"
       R"("before":{"bar:1":true},"until":{")" + future + R"(":true}})",
       {o}},
  };
  for (const auto& c : cases) {
    std::string target = "/v1.50/images/json";
    if (!c.filters.empty()) target += "?filters=" + Q(c.filters);
    EXPECT_EQ(ListedIds(target), c.want) << c.filters;
  }
  // Unknown image in before/since: the lookup error comes through.
  Response nf = Do("GET", "/v1.50/images/json?filters=" + Q(R"({"before":["nothere"]})"));
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(Message(nf), "No such image: nothere:latest");
  // The Python SDK sends only_ids=0&all=0: nothing is filtered.
  EXPECT_EQ(ListedIds("/v1.50/images/json?only_ids=0&all=0"), (std::set<std::string>{o, m, d}));
  // The legacy "filter" parameter (a reference pattern) before API 1.41;
  // ignored from 1.41 on.
  EXPECT_EQ(ListedIds("/v1.40/images/json?filter=foo"), std::set<std::string>{o});
  EXPECT_EQ(ListedIds("/v1.41/images/json?filter=foo"), (std::set<std::string>{o, m, d}));
}

TEST_F(ImageRoutesTest, ListAllShowsDanglingParents) {
  BuiltImage parent = Simple("parent");
  BuiltImage child = Simple("child");
  Add(parent, {});
  Add(child, {"child:1"}, {{"org.mobyproject.image.parent", parent.target.digest.str()}});
  const std::string p = parent.target.digest.str(), c = child.target.digest.str();
  EXPECT_EQ(ListedIds("/v1.50/images/json"), std::set<std::string>{c});
  EXPECT_EQ(ListedIds("/v1.50/images/json?all=0"), std::set<std::string>{c});
  EXPECT_EQ(ListedIds("/v1.50/images/json?all=1"), (std::set<std::string>{p, c}));
  EXPECT_EQ(ListedIds("/v1.50/images/json?all=true"), (std::set<std::string>{p, c}));
  json::object listed = Find(Body(Do("GET", "/v1.50/images/json")), child.target.digest);
  EXPECT_EQ(S(listed.at("ParentId")), p);
}

TEST_F(ImageRoutesTest, ListFilterErrors) {
  struct Case {
    std::string filters;
    std::string message;  // empty: any
  } cases[] = {
      {R"({"bogus":{"x":true}})", "invalid filter 'bogus'"},
      {R"({"dangling":{"x":true}})", "invalid filter 'dangling=[x]'"},
      {"{nope", "invalid filter"},
      {R"({"until":["junk"]})", "failed to parse value as time or duration: \"junk\""},
      {R"({"label":["=v"]})", ""},
  };
  for (const auto& c : cases) {
    Response r = Do("GET", "/v1.50/images/json?filters=" + Q(c.filters));
    EXPECT_EQ(r.status, 400) << c.filters << ": " << r.body;
    if (!c.message.empty()) {
      EXPECT_EQ(Message(r), c.message) << c.filters;
    }
  }
  Response bad_escape = Do("GET", "/images/json?all=%zz");
  EXPECT_EQ(bad_escape.status, 400);
}

TEST_F(ImageRoutesTest, SummaryShape) {
  BuiltImage named = Simple("shared", {{"k", "v"}});
  BuiltImage other = Simple("shared", {{"k", "other"}});  // same layer, other config
  BuiltImage dangling = Simple("dangling");
  Add(named, {"busybox:latest"});
  Add(other, {"other:1"});
  Add(dangling, {});
  const Digest& id = named.target.digest;

  json::value list = Body(Do("GET", "/v1.50/images/json"));
  ASSERT_EQ(list.as_array().size(), 3u);
  json::object s = Find(list, id);
  EXPECT_EQ(s.at("ParentId"), "");
  EXPECT_EQ(s.at("RepoTags"), (json::array{"busybox:latest"}));
  EXPECT_EQ(s.at("RepoDigests"), (json::array{json::string("busybox@" + id.str())}));
  EXPECT_EQ(s.at("Created").to_number<int64_t>(), 1704067200);  // the config's 2024-01-01T00:00:00Z
  EXPECT_GT(s.at("Size").to_number<int64_t>(), 0);
  EXPECT_EQ(s.at("SharedSize").to_number<int64_t>(), -1);
  EXPECT_EQ(s.at("Containers").to_number<int64_t>(), -1);  // Docker 28.2 counts for system df only
  EXPECT_EQ(s.at("Labels"), (json::object{{"k", "v"}}));
  EXPECT_EQ(S(s.at("Descriptor").at("digest")), id.str());
  EXPECT_EQ(S(s.at("Descriptor").at("mediaType")), named.target.media_type);
  EXPECT_FALSE(s.contains("Manifests"));  // only with manifests=1
  EXPECT_FALSE(s.contains("VirtualSize"));
  json::object d = Find(list, dangling.target.digest);
  EXPECT_TRUE(d.at("Labels").is_null());
  EXPECT_EQ(d.at("Containers").to_number<int64_t>(), -1);
  EXPECT_TRUE(d.at("RepoTags").as_array().empty());
  EXPECT_TRUE(d.at("RepoDigests").as_array().empty());

  // Containers stays -1 in the list; system df counts them.
  std::string c1 = AddContainer("busybox", named, /*running=*/true, id);
  std::string c2 = AddContainer("busybox", named, /*running=*/false, id);
  list = Body(Do("GET", "/v1.50/images/json"));
  EXPECT_EQ(Find(list, id).at("Containers").to_number<int64_t>(), -1);
  json::value df = Body(Do("GET", "/v1.50/system/df"));
  EXPECT_EQ(Find(df.at("Images"), id).at("Containers").to_number<int64_t>(), 2);
  EXPECT_EQ(Find(df.at("Images"), dangling.target.digest).at("Containers").to_number<int64_t>(), 0);

  // shared-size=1 (API 1.42): the layer both images use counts.
  json::value shared = Body(Do("GET", "/v1.50/images/json?shared-size=1"));
  EXPECT_GT(Find(shared, id).at("SharedSize").to_number<int64_t>(), 0);
  EXPECT_EQ(Find(shared, id).at("SharedSize"), Find(shared, other.target.digest).at("SharedSize"));
  EXPECT_EQ(Find(shared, dangling.target.digest).at("SharedSize").to_number<int64_t>(), 0);
  json::value gated = Body(Do("GET", "/v1.41/images/json?shared-size=1"));
  EXPECT_EQ(Find(gated, id).at("SharedSize").to_number<int64_t>(), -1);

  // manifests=1 (API 1.47).
  json::value with = Body(Do("GET", "/v1.50/images/json?manifests=1"));
  json::object with_manifests = Find(with, id);
  const json::array& ms = with_manifests.at("Manifests").as_array();
  ASSERT_EQ(ms.size(), 1u);
  const json::object& m = ms[0].as_object();
  EXPECT_EQ(S(m.at("ID")), id.str());
  EXPECT_EQ(m.at("Kind"), "image");
  EXPECT_EQ(m.at("Available"), true);
  EXPECT_EQ(m.at("ImageData").at("Platform").at("architecture"), "amd64");
  EXPECT_EQ(m.at("ImageData").at("Containers"), (json::array{json::string(c1), json::string(c2)}));
  EXPECT_GT(m.at("Size").at("Content").to_number<int64_t>(), 0);
  EXPECT_FALSE(Find(Body(Do("GET", "/v1.46/images/json?manifests=1")), id).contains("Manifests"));

  // Old API versions: no Descriptor before 1.48, VirtualSize before 1.44,
  // placeholders for untagged images before 1.43.
  EXPECT_FALSE(Find(Body(Do("GET", "/v1.47/images/json")), id).contains("Descriptor"));
  json::value old = Body(Do("GET", "/v1.40/images/json"));
  json::object os = Find(old, id);
  EXPECT_FALSE(os.contains("Descriptor"));
  EXPECT_EQ(os.at("VirtualSize"), os.at("Size"));
  json::object od = Find(old, dangling.target.digest);
  EXPECT_EQ(od.at("RepoTags"), (json::array{"<none>:<none>"}));
  EXPECT_EQ(od.at("RepoDigests"), (json::array{"<none>@<none>"}));
}

TEST_F(ImageRoutesTest, InspectShapeAndOptions) {
  FixtureImage spec;
  FixturePlatform p;
  p.platform = kArmV7;
  p.layers.push_back(testing::FixtureLayer{{{"bin/x", "x"}}});
  p.cmd = {"sh"};
  p.env = {"PATH=/bin"};
  spec.platforms.push_back(p);
  BuiltImage arm = Build(spec);
  Add(arm, {"busybox:latest"});
  // The diff ID the config records for the one layer.
  std::string diff_id;
  for (const auto& b : arm.blobs) {
    if (b.descriptor.media_type == media_type::kOciConfig) {
      diff_id = S(json::parse(b.data).at("rootfs").at("diff_ids").at(0));
    }
  }
  ASSERT_FALSE(diff_id.empty());

  Response r = Do("GET", "/v1.50/images/docker.io/library/busybox:latest/json");
  ASSERT_EQ(r.status, 200) << r.body;
  json::object o = Body(r).as_object();
  EXPECT_EQ(S(o.at("Id")), arm.target.digest.str());
  EXPECT_EQ(o.at("RepoTags"), (json::array{"busybox:latest"}));
  EXPECT_EQ(o.at("Created"), "2024-01-01T00:00:00Z");
  EXPECT_EQ(o.at("Architecture"), "arm");
  EXPECT_EQ(o.at("Variant"), "v7");
  EXPECT_EQ(o.at("Os"), "linux");
  EXPECT_EQ(o.at("DockerVersion"), "");
  EXPECT_GT(o.at("Size").to_number<int64_t>(), 0);
  EXPECT_EQ(o.at("Config").at("Cmd"), (json::array{"sh"}));
  EXPECT_EQ(o.at("Config").at("Env"), (json::array{"PATH=/bin"}));
  EXPECT_EQ(o.at("GraphDriver").at("Name"), "overlayfs");
  EXPECT_TRUE(o.at("GraphDriver").at("Data").is_null());
  EXPECT_EQ(o.at("RootFS").at("Type"), "layers");
  EXPECT_EQ(o.at("RootFS").at("Layers"), (json::array{json::string(diff_id)}));
  EXPECT_TRUE(o.at("Metadata").at("LastTagTime").is_string());
  EXPECT_EQ(S(o.at("Descriptor").at("digest")), arm.target.digest.str());
  EXPECT_EQ(o.at("Descriptor").at("size").to_number<int64_t>(), arm.target.size);
  EXPECT_FALSE(o.contains("Manifests"));
  EXPECT_FALSE(o.contains("VirtualSize"));
  // By short ID too; no Variant for a platform without one.
  EXPECT_EQ(Do("GET", "/images/" + arm.target.digest.hex().substr(0, 12) + "/json").status, 200);
  BuiltImage amd = Simple("amd");
  Add(amd, {"amd:1"});
  EXPECT_FALSE(Body(Do("GET", "/images/amd:1/json")).as_object().contains("Variant"));

  // platform (API 1.49) picks a manifest of an index.
  BuiltImage multi = Multi("m", {kAmd64, kArm64});
  Add(multi, {"multi:1"});
  const std::string arm64 = Q(R"({"architecture":"arm64","os":"linux"})");
  const std::string s390x = Q(R"({"architecture":"s390x","os":"linux"})");
  Response pick = Do("GET", "/v1.50/images/multi:1/json?platform=" + arm64);
  ASSERT_EQ(pick.status, 200) << pick.body;
  EXPECT_EQ(Body(pick).at("Architecture"), "arm64");
  // With a platform the ID is that platform's manifest, as in Docker.
  EXPECT_EQ(S(Body(pick).at("Id")), multi.ManifestFor(kArm64).str());
  Response absent = Do("GET", "/v1.50/images/multi:1/json?platform=" + s390x);
  EXPECT_EQ(absent.status, 404) << absent.body;
  // Before 1.49 the parameter is ignored.
  EXPECT_EQ(Do("GET", "/v1.48/images/multi:1/json?platform=" + s390x).status, 200);
  // manifests (API 1.48) lists every platform.
  json::value all = Body(Do("GET", "/v1.50/images/multi:1/json?manifests=1"));
  EXPECT_EQ(all.at("Manifests").as_array().size(), 2u);
  EXPECT_FALSE(Body(Do("GET", "/v1.47/images/multi:1/json?manifests=1")).as_object().contains("Manifests"));

  Response both = Do("GET", "/v1.50/images/multi:1/json?manifests=1&platform=" + Q(R"({"architecture":"arm64","os":"linux"})"));
  EXPECT_EQ(Message(Do("GET", "/v1.50/images/multi:1/json?platform=linux%2Farm64")),
            "failed to parse platform: invalid character 'l' looking for beginning of value");
  EXPECT_EQ(both.status, 400);
  EXPECT_EQ(Message(both), "conflicting options: manifests and platform options cannot both be set");
  Response badp = Do("GET", "/v1.50/images/multi:1/json?platform=" + Q(R"({"os":"linux"})"));
  EXPECT_EQ(badp.status, 400);
  EXPECT_EQ(Message(badp), "both OS and Architecture must be provided");
  Response nf = Do("GET", "/v1.50/images/nothere/json");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(Message(nf), "No such image: nothere:latest");
}

TEST_F(ImageRoutesTest, TagCreatesNormalisedNames) {
  BuiltImage img = Simple("tag");
  Add(img, {"a:latest", "a:1"});
  const std::string id = img.target.digest.str();
  Response r = Do("POST", "/v1.50/images/a/tag?repo=docker.io%2Flibrary%2Fb&tag=latest");
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(IdOf("b:latest"), id);
  // The Python SDK: force=0, an un-normalised repo.
  ASSERT_EQ(Do("POST", "/v1.50/images/a:1/tag?tag=t&repo=b&force=0").status, 201);
  EXPECT_EQ(IdOf("docker.io/library/b:t"), id);
  ASSERT_EQ(Do("POST", "/v1.50/images/a/tag?repo=127.0.0.1%3A5055%2Fb").status, 201);
  EXPECT_EQ(IdOf("127.0.0.1:5055/b:latest"), id);
  ASSERT_EQ(Do("POST", "/v1.50/images/a/tag?repo=c%3A2").status, 201);
  EXPECT_EQ(IdOf("c:2"), id);
  json::value tags = Body(Do("GET", "/v1.50/images/a/json")).at("RepoTags");
  EXPECT_EQ(tags.as_array().size(), 6u) << json::serialize(tags);

  std::set<std::string> before = RecordNames();
  struct Case {
    std::string query;
    std::string message;  // empty: any
  } cases[] = {
      {"repo=b%40sha256%3A" + std::string(64, 'a'), "cannot import digest reference"},
      {"repo=sha256&tag=x", "refusing to create an ambiguous tag using digest algorithm as name"},
      {"repo=UPPER", ""},
      {"repo=b&tag=-x", ""},
      {"repo=", ""},
  };
  for (const auto& c : cases) {
    Response bad = Do("POST", "/v1.50/images/a/tag?" + c.query);
    EXPECT_EQ(bad.status, 400) << c.query << ": " << bad.body;
    if (!c.message.empty()) {
      EXPECT_EQ(Message(bad), c.message) << c.query;
    }
  }
  EXPECT_EQ(RecordNames(), before);  // nothing was tagged

  Response nf = Do("POST", "/v1.50/images/nothere/tag?repo=b");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(Message(nf), "No such image: nothere:latest");
  EXPECT_EQ(IdOf("b"), id);
}

}  // namespace
}  // namespace berth::api
