// GET /berth/v1/images/{name}/why (the JSON shape of ImageService::Why) and
// POST /images/prune?dryrun=1.
#include "api/api_test_util.h"

namespace berth::api {
namespace {

namespace json = boost::json;

class WhyRoutesTest : public RouteTestBase {};

TEST_F(WhyRoutesTest, ImageShape) {
  testing::BuiltImage img = Simple("why");
  testing::BuiltImage child = Simple("child");
  Add(img, {"why:1"});
  Add(child, {"child:1"}, {{std::string(kParentLabel), img.target.digest.str()}});
  std::string c = AddContainer("why:1", img, false, img.target.digest);
  Response r = Do("GET", "/v1.50/berth/v1/images/why:1/why");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  json::value v = Body(r);
  EXPECT_EQ(S(v.at("Kind")), "image");
  const json::object& w = v.at("Image").as_object();
  EXPECT_EQ(S(w.at("Id")), img.target.digest.str());
  EXPECT_EQ(w.at("Names"), (json::array{"why:1"}));
  EXPECT_EQ(w.at("Dangling"), false);
  EXPECT_EQ(S(w.at("Parent")), "");
  EXPECT_EQ(S(w.at("Children").at(0).at("Id")), child.target.digest.str());
  EXPECT_EQ(S(w.at("Containers").at(0).at("Id")), c);
  EXPECT_EQ(S(w.at("Containers").at(0).at("Manifest")), img.target.digest.str());
  EXPECT_TRUE(w.at("Containers").at(0).at("Platform").is_null());
  EXPECT_EQ(w.at("MountedBy"), json::array{});
  EXPECT_EQ(w.at("Leases"), json::array{});
  EXPECT_EQ(w.at("Blobs"), 3);
  const json::object& removal = w.at("Removal").as_object();
  EXPECT_EQ(S(removal.at("Reference")), "why:1");
  EXPECT_EQ(removal.at("Remove").at("Refused"), true);
  EXPECT_EQ(S(removal.at("Remove").at("Error")), "conflict: unable to delete why:1 (must be forced) - container " +
                                                     c.substr(0, 12) + " is using its referenced image " +
                                                     img.target.digest.hex().substr(0, 12));
  const json::object& forced = removal.at("ForceRemove").as_object();
  EXPECT_EQ(forced.at("Refused"), false);
  EXPECT_EQ(forced.at("Items"), (json::array{json::object{{"Untagged", "why:1"}}}));
  EXPECT_EQ(forced.at("Freed"), json::array{});
  EXPECT_EQ(forced.at("FreedBytes"), 0);
  // The preview changed nothing.
  EXPECT_EQ(RecordNames(), (std::set<std::string>{"docker.io/library/child:1", "docker.io/library/why:1"}));
}

TEST_F(WhyRoutesTest, BlobShapeAndErrors) {
  testing::BuiltImage img = Simple("blob");
  Add(img, {"blob:1"});
  Digest layer = img.blobs.back().descriptor.digest;
  for (const auto& b : img.blobs) {
    if (b.descriptor.media_type.find("layer") != std::string::npos) layer = b.descriptor.digest;
  }
  Response r = Do("GET", "/berth/v1/images/" + layer.str() + "/why");
  ASSERT_EQ(r.status, 200) << r.body;
  json::value v = Body(r);
  EXPECT_EQ(S(v.at("Kind")), "blob");
  const json::object& b = v.at("Blob").as_object();
  EXPECT_EQ(S(b.at("Digest")), layer.str());
  EXPECT_EQ(b.at("Present"), true);
  EXPECT_EQ(b.at("Registered"), true);
  EXPECT_EQ(b.at("Refs"), 1);
  const json::array& holders = b.at("Holders").as_array();
  ASSERT_EQ(holders.size(), 1u);
  EXPECT_EQ(S(holders[0].at("Kind")), "image");
  EXPECT_EQ(S(holders[0].at("Id")), img.target.digest.str());
  EXPECT_EQ(holders[0].at("Names"), (json::array{"blob:1"}));
  EXPECT_EQ(S(holders[0].at("Via").at(0).at("digest")), img.target.digest.str());

  Response unknown = Do("GET", "/berth/v1/images/" + Digest::Of("x").str() + "/why");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(Message(unknown), "No such image or blob: " + Digest::Of("x").str());
  Response no_image = Do("GET", "/berth/v1/images/nosuch/why");
  EXPECT_EQ(no_image.status, 404);
  EXPECT_EQ(Message(no_image), "No such image: nosuch:latest");
  Response with_query = Do("GET", "/berth/v1/images/blob:1/why?force=1");
  EXPECT_EQ(with_query.status, 400);
  EXPECT_EQ(Message(with_query), "the why route takes no query parameters");
}

TEST_F(WhyRoutesTest, PruneDryRunAnswersThePruneAndRemovesNothing) {
  testing::BuiltImage dangling = Simple("dangling");
  Add(dangling, {});
  Response dry = Do("POST", "/v1.50/images/prune?dryrun=1");
  ASSERT_EQ(dry.status, 200) << dry.body;
  EXPECT_EQ(RecordNames().size(), 1u);
  EXPECT_TRUE(store_->blobs()->Exists(dangling.target.digest));
  Response real = Do("POST", "/v1.50/images/prune");
  ASSERT_EQ(real.status, 200) << real.body;
  EXPECT_EQ(dry.body, real.body);
  EXPECT_TRUE(RecordNames().empty());
  EXPECT_NE(Body(real).at("SpaceReclaimed"), 0);
  // dryrun=0 is a real prune (of nothing now).
  EXPECT_EQ(Do("POST", "/v1.50/images/prune?dryrun=0").body, "{\"ImagesDeleted\":null,\"SpaceReclaimed\":0}\n");
}

}  // namespace
}  // namespace berth::api
