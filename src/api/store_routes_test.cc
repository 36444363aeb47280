// Routes against a real store in a temp dir, images made by the test
// fixture: load and save streams, events, listings, removal, prune, df.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/json.hpp>
#include <chrono>

#include "berth/api.h"
#include "berth/image_service.h"
#include "api/api_test_util.h"
#include "testing/fixture.h"

namespace berth::api {
namespace {

namespace json = boost::json;
using berth::testing::AddToStore;
using berth::testing::ArchiveImage;
using berth::testing::BuiltImage;
using berth::testing::SimpleImage;
using berth::testing::WriteOciArchive;

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The route harness's store and Api, with this file's Api options.
class StoreRoutesTest : public RouteTestBase {
 protected:
  ApiOptions Options() override { return ApiOptions{"id", root_ + "/data", false, 0}; }

  BuiltImage Image(const std::string& content, std::map<std::string, std::string> labels = {}) {
    Result<BuiltImage> b = SimpleImage({{"file", content}}, std::move(labels));
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    return std::move(b).value();
  }
};

TEST_F(StoreRoutesTest, ListInspectHistory) {
  BuiltImage img = Image("a", {{"team", "a"}});
  ASSERT_TRUE(AddToStore(store_.get(), img, {"busybox:latest"}).ok());
  Response r = Do("GET", "/v1.50/images/json");
  ASSERT_EQ(r.status, 200) << r.body;
  json::array list = json::parse(r.body).as_array();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].at("Id").as_string(), img.target.digest.str());
  EXPECT_EQ(list[0].at("RepoTags").as_array().at(0).as_string(), "busybox:latest");
  EXPECT_EQ(list[0].at("Containers").to_number<int64_t>(), -1);

  Response i = Do("GET", "/v1.50/images/" + img.target.digest.Short() + "/json");
  ASSERT_EQ(i.status, 200) << i.body;
  json::object o = json::parse(i.body).as_object();
  EXPECT_EQ(o.at("Id").as_string(), img.target.digest.str());
  EXPECT_EQ(o.at("Config").at("Labels").at("team").as_string(), "a");

  Response h = Do("GET", "/v1.50/images/busybox/history");
  ASSERT_EQ(h.status, 200) << h.body;
  EXPECT_EQ(json::parse(h.body).as_array().at(0).at("Id").as_string(), img.target.digest.str());

  Response nf = Do("GET", "/v1.50/images/nothere/json");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(nf.body, "{\"message\":\"No such image: nothere:latest\"}\n");
}

TEST_F(StoreRoutesTest, LoadStreamsMessagesAndErrorsInTheStream) {
  BuiltImage named = Image("n");
  BuiltImage unnamed = Image("u");
  Result<std::string> tar =
      WriteOciArchive({ArchiveImage{&named, {"docker.io/library/feastest:1"}}, ArchiveImage{&unnamed, {}}});
  ASSERT_TRUE(tar.ok()) << tar.status().ToString();
  Response r = Do("POST", "/v1.50/images/load?quiet=1", *tar);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  Streamed s = Run(r);
  ASSERT_TRUE(s.status.ok()) << s.status.ToString();
  EXPECT_EQ(s.body, "{\"stream\":\"Loaded image: feastest:1\\n\"}\n{\"stream\":\"Loaded image ID: " +
                        unnamed.target.digest.str() + "\\n\"}\n");

  // A broken archive is reported as dockerd 28.2 does: 200 and one
  // errorDetail line, quiet or not; the store is unchanged.
  auto before = store_->images()->List(ListOptions{});
  ASSERT_TRUE(before.ok());
  for (std::string quiet : {"0", "1"}) {
    Response br = Do("POST", "/v1.50/images/load?quiet=" + quiet, tar->substr(0, 1500));
    ASSERT_EQ(br.status, 200);
    Streamed bad = Run(br);
    ASSERT_TRUE(bad.status.ok()) << bad.status.ToString();
    json::value line = json::parse(bad.body);
    std::string message(line.at("error").as_string());
    EXPECT_FALSE(message.empty());
    EXPECT_EQ(line.at("errorDetail").at("message").as_string(), message);
    EXPECT_EQ(bad.body.back(), '\n');
  }
  auto after = store_->images()->List(ListOptions{});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->size(), before->size());
}

TEST_F(StoreRoutesTest, SaveThenLoadRoundTrip) {
  BuiltImage img = Image("s");
  ASSERT_TRUE(AddToStore(store_.get(), img, {"saveme:1"}).ok());
  Response r = Do("GET", "/v1.50/images/get?names=saveme%3A1");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Type"), "application/x-tar");
  Streamed s = Run(r);
  ASSERT_TRUE(s.status.ok()) << s.status.ToString();
  EXPECT_GT(s.body.size(), 1024u);

  Streamed missing = Run(Do("GET", "/v1.50/images/nothere/get"));
  EXPECT_EQ(missing.status.code(), Code::kNotFound);
  EXPECT_EQ(missing.writes, 0);

  ASSERT_EQ(Do("DELETE", "/v1.50/images/saveme:1").status, 200);
  Streamed loaded = Run(Do("POST", "/v1.50/images/load", s.body));
  ASSERT_TRUE(loaded.status.ok()) << loaded.status.ToString();
  EXPECT_EQ(loaded.body, "{\"stream\":\"Loaded image: saveme:1\\n\"}\n");
  Response i = Do("GET", "/v1.50/images/saveme:1/json");
  EXPECT_EQ(json::parse(i.body).at("Id").as_string(), img.target.digest.str());
}

TEST_F(StoreRoutesTest, TagRemoveAndEventsReplay) {
  int64_t since = NowSeconds() - 1;
  BuiltImage img = Image("t");
  ASSERT_TRUE(AddToStore(store_.get(), img, {"orig:1"}).ok());
  ASSERT_EQ(Do("POST", "/v1.50/images/orig:1/tag?repo=copy&tag=2").status, 201);
  Response del = Do("DELETE", "/v1.50/images/copy:2");
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(del.body, "[{\"Untagged\":\"copy:2\"}]\n");
  Response full = Do("DELETE", "/v1.50/images/orig:1");
  EXPECT_EQ(full.body, "[{\"Untagged\":\"orig:1\"},{\"Deleted\":\"" + img.target.digest.str() + "\"}]\n");

  std::string until = std::to_string(NowSeconds() + 1);
  Response ev = Do("GET", "/v1.50/events?since=" + std::to_string(since) + "&until=" + until +
                              "&filters=%7B%22type%22%3A%5B%22image%22%5D%7D");
  ASSERT_EQ(ev.status, 200);
  // `until` is a second ahead: the stream waits for it, then ends.
  Streamed s = Run(ev);
  ASSERT_TRUE(s.status.ok());
  std::vector<std::string> actions;
  size_t pos = 0;
  while (pos < s.body.size()) {
    size_t nl = s.body.find('\n', pos);
    ASSERT_NE(nl, std::string::npos);
    json::value e = json::parse(s.body.substr(pos, nl - pos));
    actions.push_back(std::string(e.at("Action").as_string()));
    EXPECT_EQ(e.at("scope").as_string(), "local");
    EXPECT_EQ(e.at("Type").as_string(), "image");
    pos = nl + 1;
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"tag", "untag", "untag", "delete"}));
}

TEST_F(StoreRoutesTest, PruneInfoAndDiskUsage) {
  BuiltImage keep = Image("k");
  BuiltImage dangling = Image("d");
  ASSERT_TRUE(AddToStore(store_.get(), keep, {"keep:1"}).ok());
  ASSERT_TRUE(AddToStore(store_.get(), dangling, {}).ok());
  json::object info = json::parse(Do("GET", "/v1.50/info").body).as_object();
  EXPECT_EQ(info.at("Images").to_number<int64_t>(), 2);

  json::object df = json::parse(Do("GET", "/v1.50/system/df").body).as_object();
  EXPECT_GT(df.at("LayersSize").to_number<int64_t>(), 0);
  EXPECT_EQ(df.at("Images").as_array().size(), 2u);
  EXPECT_EQ(df.at("Images").as_array()[0].at("Containers").to_number<int64_t>(), 0);

  Response p = Do("POST", "/v1.50/images/prune");
  ASSERT_EQ(p.status, 200) << p.body;
  json::object report = json::parse(p.body).as_object();
  json::array deleted = report.at("ImagesDeleted").as_array();
  ASSERT_FALSE(deleted.empty());
  EXPECT_EQ(deleted[0].at("Untagged").as_string(), dangling.target.digest.str());
  EXPECT_GT(report.at("SpaceReclaimed").to_number<uint64_t>(), 0u);
  json::array left = json::parse(Do("GET", "/v1.50/images/json").body).as_array();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].at("Id").as_string(), keep.target.digest.str());
  EXPECT_EQ(Do("POST", "/v1.50/images/prune").body, "{\"ImagesDeleted\":null,\"SpaceReclaimed\":0}\n");
}

}  // namespace
}  // namespace berth::api
