// DELETE /images/{name}, POST /images/prune and GET /images/{name}/history
// against a real store: conflicts come from real container rows and
// multi-tag images, options are checked by what they remove.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>

#include "api/api_test_util.h"

namespace berth::api {
namespace {

namespace json = boost::json;
using testing::BuiltImage;

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Short(const Digest& d) { return d.hex().substr(0, 12); }

using RemoveRoutesTest = RouteTestBase;

TEST_F(RemoveRoutesTest, UntagThenDelete) {
  BuiltImage img = Simple("foo");
  Add(img, {"foo:1", "foo:2"});
  const std::string id = img.target.digest.str();
  Response r = Do("DELETE", "/v1.50/images/foo:1?noprune=1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "[{\"Untagged\":\"foo:1\"}]\n");
  EXPECT_EQ(IdOf("foo:1"), "");
  EXPECT_EQ(IdOf("foo:2"), id);
  Response last = Do("DELETE", "/v1.50/images/foo:2?noprune=false");
  ASSERT_EQ(last.status, 200) << last.body;
  EXPECT_EQ(last.body, "[{\"Untagged\":\"foo:2\"},{\"Deleted\":\"" + id + "\"}]\n");
  EXPECT_TRUE(RecordNames().empty());
  store_->images()->WaitForCollection();  // the reaper deletes after the reply
  EXPECT_FALSE(store_->blobs()->Exists(img.target.digest));

  // By name@digest, with the Python SDK's capitalised booleans.
  BuiltImage bar = Simple("bar");
  Add(bar, {"bar:latest"});
  Response by_digest = Do("DELETE", "/v1.50/images/bar@" + bar.target.digest.str() + "?force=True&noprune=False");
  ASSERT_EQ(by_digest.status, 200) << by_digest.body;
  EXPECT_NE(by_digest.body.find("{\"Deleted\":\"" + bar.target.digest.str() + "\"}"), std::string::npos)
      << by_digest.body;
  EXPECT_EQ(IdOf("bar:latest"), "");

  Response nf = Do("DELETE", "/v1.50/images/foo?force=1");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(nf.body, "{\"message\":\"No such image: foo:latest\"}\n");
}

TEST_F(RemoveRoutesTest, ConflictsAndForce) {
  // An image in two repositories, removed by ID: force is needed.
  BuiltImage multi = Simple("two-repos");
  Add(multi, {"a:1", "b:1"});
  const std::string short_id = Short(multi.target.digest);
  Response c = Do("DELETE", "/v1.50/images/" + short_id);
  EXPECT_EQ(c.status, 409);
  EXPECT_EQ(Message(c), "conflict: unable to delete " + short_id +
                            " (must be forced) - image is referenced in multiple repositories");
  EXPECT_EQ(IdOf("a:1"), multi.target.digest.str());
  Response forced = Do("DELETE", "/v1.50/images/" + short_id + "?force=True");
  ASSERT_EQ(forced.status, 200) << forced.body;
  EXPECT_EQ(IdOf("a:1"), "");
  EXPECT_EQ(IdOf("b:1"), "");

  // A stopped container: a soft conflict.
  BuiltImage used = Simple("used");
  Add(used, {"used:1"});
  std::string stopped = AddContainer("used:1", used, /*running=*/false, used.target.digest);
  Response soft = Do("DELETE", "/v1.50/images/" + Short(used.target.digest));
  EXPECT_EQ(soft.status, 409);
  EXPECT_EQ(Message(soft), "conflict: unable to delete " + Short(used.target.digest) +
                               " (must be forced) - image is being used by stopped container " +
                               stopped.substr(0, 12));
  // A running container: force does not help.
  BuiltImage running = Simple("running");
  Add(running, {"running:1"});
  std::string live = AddContainer("running:1", running, /*running=*/true, running.target.digest);
  Response hard = Do("DELETE", "/v1.50/images/" + Short(running.target.digest) + "?force=1");
  EXPECT_EQ(hard.status, 409);
  EXPECT_EQ(Message(hard), "conflict: unable to delete " + Short(running.target.digest) +
                               " (cannot be forced) - image is being used by running container " +
                               live.substr(0, 12));
  EXPECT_EQ(IdOf("running:1"), running.target.digest.str());
}

TEST_F(RemoveRoutesTest, PlatformsParameter) {
  BuiltImage img = Multi("p", {kAmd64, kArm64, kAmd64V3});
  Add(img, {"multi:1"});
  const std::string arm64 = Q(R"({"architecture":"arm64","os":"linux"})");
  const std::string v3 = Q(R"({"architecture":"amd64","os":"linux","variant":"v3"})");
  std::set<std::string> names = RecordNames();

  // Bad values fail before anything changes; so do blank names.
  Response badp = Do("DELETE", "/v1.50/images/multi:1?force=1&platforms=%7Bx");
  EXPECT_EQ(badp.status, 400);
  EXPECT_EQ(Message(badp).rfind("failed to parse platform: ", 0), 0u) << Message(badp);
  Response opt = Do("DELETE", "/v1.50/images/multi:1?platforms=" + Q(R"({"variant":"v8"})"));
  EXPECT_EQ(opt.status, 400);
  EXPECT_EQ(Message(opt), "optional platform fields provided, but OS and Architecture are missing");
  for (const char* blank : {"/v1.50/images/", "/v1.50/images/%20%20", "/images/%09"}) {
    Response b = Do("DELETE", blank);
    EXPECT_EQ(b.status, 400) << blank;
    EXPECT_EQ(Message(b), "image name cannot be blank");
  }
  // A platform the image lacks, without force: not found.
  Response missing = Do("DELETE", "/v1.50/images/multi:1?platforms=" + Q(R"({"architecture":"s390x","os":"linux"})"));
  EXPECT_EQ(missing.status, 404) << missing.body;
  EXPECT_EQ(RecordNames(), names);

  // Two platforms at once, without force (berth differs from Docker here):
  // their manifests go, the image stays.
  Response r = Do("DELETE", "/v1.50/images/multi:1?platforms=" + arm64 + "&platforms=" + v3);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "[{\"Deleted\":\"" + img.ManifestFor(kArm64).str() + "\"},{\"Deleted\":\"" +
                        img.ManifestFor(kAmd64V3).str() + "\"}]\n");
  EXPECT_EQ(IdOf("multi:1"), img.target.digest.str());
  EXPECT_EQ(Do("GET", "/v1.50/images/multi:1/json?platform=" + arm64).status, 404);
  EXPECT_EQ(Do("GET", "/v1.50/images/multi:1/json?platform=" + Q(R"({"architecture":"amd64","os":"linux"})")).status,
            200);

  // Before API 1.50 the parameter is ignored: the whole image goes.
  Response old = Do("DELETE", "/v1.49/images/multi:1?platforms=" + Q(R"({"architecture":"amd64","os":"linux"})"));
  ASSERT_EQ(old.status, 200) << old.body;
  EXPECT_EQ(old.body, "[{\"Untagged\":\"multi:1\"},{\"Deleted\":\"" + img.target.digest.str() + "\"}]\n");
  EXPECT_TRUE(RecordNames().empty());
}

// After a platform removal the manifests listing keeps every manifest of the
// index, as Docker does for content that is not all present: the removed
// platform and its attestation with Available false and nothing counted.
TEST_F(RemoveRoutesTest, RemovedPlatformIsListedUnavailable) {
  testing::FixtureImage spec;
  spec.attestations = true;
  for (const Platform& p : {kAmd64, kArm64}) {
    testing::FixturePlatform fp;
    fp.platform = p;
    fp.layers.push_back(testing::FixtureLayer{{{"base/file", "shared base"}}});
    fp.layers.push_back(testing::FixtureLayer{{{"own/file", p.architecture}}});
    spec.platforms.push_back(fp);
  }
  BuiltImage img = Build(spec);
  Add(img, {"multi:1"});
  const Digest amd = img.ManifestFor(kAmd64);
  const Digest arm = img.ManifestFor(kArm64);
  const int64_t size_before = Find(Body(Do("GET", "/v1.50/images/json")), img.target.digest).at("Size").to_number<int64_t>();
  Response r = Do("DELETE", "/v1.50/images/multi:1?platforms=" + Q(R"({"architecture":"arm64","os":"linux"})"));
  ASSERT_EQ(r.status, 200) << r.body;
  // The platform's manifest, then its attestation manifest.
  const json::array listed = Find(Body(Do("GET", "/v1.50/images/json?manifests=1")), img.target.digest).at("Manifests").as_array();
  ASSERT_EQ(listed.size(), 4u);
  EXPECT_EQ(r.body, "[{\"Deleted\":\"" + arm.str() + "\"},{\"Deleted\":\"" + S(listed[3].at("ID")) + "\"}]\n");

  auto check = [&](const json::array& ms, const std::string& where) {
    ASSERT_EQ(ms.size(), 4u) << where;
    // Index order: the two platforms, then their attestations.
    const json::object& a = ms[0].as_object();
    EXPECT_EQ(S(a.at("ID")), amd.str()) << where;
    EXPECT_EQ(a.at("Available"), true) << where;
    EXPECT_EQ(a.at("Kind"), "image") << where;
    EXPECT_EQ(a.at("ImageData").at("Platform").at("architecture"), "amd64") << where;
    EXPECT_GT(a.at("Size").at("Content").to_number<int64_t>(), 0) << where;
    const json::object& b = ms[1].as_object();
    EXPECT_EQ(S(b.at("ID")), arm.str()) << where;
    EXPECT_EQ(S(b.at("Descriptor").at("digest")), arm.str()) << where;
    EXPECT_EQ(b.at("Descriptor").at("platform").at("architecture"), "arm64") << where;
    EXPECT_EQ(b.at("Available"), false) << where;
    EXPECT_EQ(b.at("Kind"), "image") << where;
    EXPECT_EQ(b.at("ImageData").at("Platform").at("architecture"), "arm64") << where;
    EXPECT_EQ(b.at("ImageData").at("Platform").at("os"), "linux") << where;
    EXPECT_EQ(b.at("ImageData").at("Containers"), json::array()) << where;
    EXPECT_EQ(b.at("Size"), (json::object{{"Total", 0}, {"Content", 0}})) << where;
    const json::object& c = ms[2].as_object();
    EXPECT_EQ(c.at("Available"), true) << where;
    EXPECT_EQ(c.at("Kind"), "attestation") << where;
    EXPECT_EQ(S(c.at("AttestationData").at("For")), amd.str()) << where;
    const json::object& d = ms[3].as_object();
    EXPECT_EQ(d.at("Available"), false) << where;
    EXPECT_EQ(d.at("Kind"), "attestation") << where;
    EXPECT_EQ(S(d.at("AttestationData").at("For")), arm.str()) << where;
    EXPECT_FALSE(d.contains("ImageData")) << where;
    EXPECT_EQ(d.at("Size").at("Content").to_number<int64_t>(), 0) << where;
  };
  Response in = Do("GET", "/v1.50/images/multi:1/json?manifests=1");
  ASSERT_EQ(in.status, 200) << in.body;
  check(Body(in).at("Manifests").as_array(), "inspect");
  json::object row = Find(Body(Do("GET", "/v1.50/images/json?manifests=1")), img.target.digest);
  check(row.at("Manifests").as_array(), "list");
  // The image's own fields still describe what it keeps.
  EXPECT_LT(row.at("Size").to_number<int64_t>(), size_before);
  EXPECT_EQ(row.at("Size"), Find(Body(Do("GET", "/v1.50/images/json")), img.target.digest).at("Size"));
  EXPECT_EQ(Body(in).at("Architecture"), "amd64");
}

TEST_F(RemoveRoutesTest, Prune) {
  Response empty = Do("POST", "/v1.50/images/prune");
  ASSERT_EQ(empty.status, 200);
  EXPECT_EQ(empty.body, "{\"ImagesDeleted\":null,\"SpaceReclaimed\":0}\n");

  BuiltImage keep = Simple("keep");
  BuiltImage lab1 = Simple("lab1", {{"x", "y"}});
  BuiltImage lab2 = Simple("lab2", {{"x", "y"}});
  BuiltImage dangling = Simple("dangling");
  Add(keep, {"keep:1"});
  Add(lab1, {"lab:1"});
  Add(lab2, {"lab:2"});
  Add(dangling, {});
  const std::set<std::string> all = RecordNames();
  const std::string null_report = "{\"ImagesDeleted\":null,\"SpaceReclaimed\":0}\n";

  // docker image prune -a --filter until=24h --filter label=x=y: every
  // record is younger than a day, so nothing goes.
  std::string f = Q(R"({"dangling":{"false":true},"label":{"x=y":true},"until":{"24h":true}})");
  EXPECT_EQ(Do("POST", "/v1.50/images/prune?filters=" + f).body, null_report);
  // An RFC 3339 until in the past: nothing either.
  f = Q(R"({"dangling":["false"],"until":["2024-01-01T00:00:00Z"]})");
  EXPECT_EQ(Do("POST", "/v1.50/images/prune?filters=" + f).body, null_report);
  EXPECT_EQ(RecordNames(), all);

  // until in the future with the label: exactly the labelled images go.
  f = Q(R"({"dangling":["false"],"label":["x=y"],"until":[")" + std::to_string(NowSeconds() + 3600) + R"("]})");
  Response labelled = Do("POST", "/v1.50/images/prune?filters=" + f);
  ASSERT_EQ(labelled.status, 200) << labelled.body;
  json::object o = Body(labelled).as_object();
  // Each record, then every blob its removal freed: manifest, config, layer
  // (Docker 28.2); SpaceReclaimed sums their sizes.
  json::array want;
  int64_t reclaimed = 0;
  for (const auto* img : {&lab1, &lab2}) {
    want.push_back(json::object{{"Untagged", img == &lab1 ? "lab:1" : "lab:2"}});
    std::string raw;
    for (const auto& b : img->blobs) {
      if (b.descriptor.digest == img->target.digest) raw = b.data;
    }
    auto manifest = ParseManifest(raw);
    ASSERT_TRUE(manifest.ok());
    std::vector<Descriptor> walk{img->target, manifest->config};
    walk.insert(walk.end(), manifest->layers.begin(), manifest->layers.end());
    for (const auto& d : walk) {
      want.push_back(json::object{{"Deleted", d.digest.str()}});
      reclaimed += d.size;
    }
  }
  EXPECT_EQ(o.at("ImagesDeleted"), want);
  EXPECT_EQ(o.at("SpaceReclaimed").to_number<int64_t>(), reclaimed);
  EXPECT_EQ(IdOf("lab:1"), "");
  EXPECT_EQ(IdOf("keep:1"), keep.target.digest.str());

  // No filters: dangling images only.
  Response dangling_only = Do("POST", "/v1.50/images/prune");
  ASSERT_EQ(dangling_only.status, 200);
  EXPECT_EQ(Body(dangling_only).at("ImagesDeleted").as_array().at(0),
            (json::object{{"Untagged", dangling.target.digest.str()}}));
  EXPECT_EQ(IdOf(dangling.target.digest.str()), "");
  EXPECT_EQ(IdOf("keep:1"), keep.target.digest.str());

  // The Python SDK's legacy list form, '+' for the space: unused named
  // images go, one a container uses stays.
  BuiltImage gone = Simple("gone");
  Add(gone, {"gone:1"});
  AddContainer("keep:1", keep, /*running=*/false, keep.target.digest);
  Response legacy = Do("POST", "/v1.50/images/prune?filters=%7B%22dangling%22%3A+%5B%22false%22%5D%7D");
  ASSERT_EQ(legacy.status, 200) << legacy.body;
  EXPECT_EQ(Body(legacy).at("ImagesDeleted").as_array().at(0), (json::object{{"Untagged", "gone:1"}}));
  EXPECT_EQ(RecordNames(), std::set<std::string>{"docker.io/library/keep:1"});

  struct Case {
    std::string filters;
    std::string message;
  } errors[] = {
      {R"({"reference":["x"]})", "invalid filter 'reference'"},
      {R"({"until":["1h","junk"]})", "failed to parse value as time or duration: \"junk\""},
      {R"({"label":"x"})", "invalid filter"},
      {R"({"dangling":["maybe"]})", "invalid filter 'dangling=[maybe]'"},
      {R"({"until":["junk"]})", "failed to parse value as time or duration: \"junk\""},
  };
  for (const auto& c : errors) {
    Response bad = Do("POST", "/v1.50/images/prune?filters=" + Q(c.filters));
    EXPECT_EQ(bad.status, 400) << c.filters;
    EXPECT_EQ(Message(bad), c.message) << c.filters;
  }
  EXPECT_EQ(RecordNames(), std::set<std::string>{"docker.io/library/keep:1"});
}

TEST_F(RemoveRoutesTest, History) {
  testing::FixtureImage spec;
  testing::FixturePlatform p;
  p.layers.push_back(testing::FixtureLayer{{{"a", "first"}}});
  p.layers.push_back(testing::FixtureLayer{{{"b", "second"}}});
  spec.platforms.push_back(p);
  BuiltImage img = Build(spec);
  Add(img, {"busybox:latest"});
  Response r = Do("GET", "/v1.50/images/busybox/history");
  ASSERT_EQ(r.status, 200) << r.body;
  json::array a = Body(r).as_array();
  ASSERT_EQ(a.size(), 2u);
  // Newest first; the image ID and tags on the newest only.
  EXPECT_EQ(S(a[0].at("Id")), img.target.digest.str());
  EXPECT_EQ(a[0].at("Tags"), (json::array{"busybox:latest"}));
  EXPECT_EQ(a[0].at("CreatedBy"), "berth-fixture layer 1");
  EXPECT_EQ(a[0].at("Created").to_number<int64_t>(), 1704067200);
  EXPECT_EQ(a[1].at("Id"), "<missing>");
  EXPECT_TRUE(a[1].at("Tags").is_null());
  EXPECT_EQ(a[1].at("CreatedBy"), "berth-fixture layer 0");
  EXPECT_GT(a[1].at("Size").to_number<int64_t>(), 0);
  EXPECT_EQ(a[1].at("Comment"), "");

  // platform (API 1.48) picks the manifest of an index.
  BuiltImage multi = Multi("h", {kAmd64, kArm64});
  Add(multi, {"multi:1"});
  const std::string s390x = Q(R"({"architecture":"s390x","os":"linux"})");
  Response arm = Do("GET", "/v1.50/images/multi:1/history?platform=" + Q(R"({"architecture":"arm64","os":"linux"})"));
  ASSERT_EQ(arm.status, 200) << arm.body;
  EXPECT_EQ(Body(arm).as_array().size(), 2u);
  EXPECT_EQ(Do("GET", "/v1.50/images/multi:1/history?platform=" + s390x).status, 404);
  EXPECT_EQ(Do("GET", "/v1.47/images/multi:1/history?platform=" + s390x).status, 200);
  Response bad = Do("GET", "/v1.50/images/multi:1/history?platform=%7Bx");
  EXPECT_EQ(bad.status, 400);
  Response nf = Do("GET", "/v1.50/images/nothere/history");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(Message(nf), "No such image: nothere:latest");
}

}  // namespace
}  // namespace berth::api
