// System routes and request handling against a real store: status
// mapping, ping, version, version prefixes, unknown routes, info, df,
// events, and load/save streaming. Image routes are in
// image_routes_test.cc and image_remove_test.cc.

#include "berth/api.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <atomic>
#include <mutex>
#include <thread>

#include "api/api_test_util.h"
#include "testing/await.h"

namespace berth::api {
namespace {

namespace json = boost::json;
using testing::BuiltImage;

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

using SystemRoutesTest = RouteTestBase;

TEST(HttpStatus, OneMapping) {
  struct Case {
    Code code;
    int http;
  } cases[] = {
      {Code::kInvalidArgument, 400}, {Code::kFailedPrecondition, 400}, {Code::kOutOfRange, 400},
      {Code::kNotFound, 404},        {Code::kConflict, 409},           {Code::kAlreadyExists, 409},
      {Code::kAborted, 409},         {Code::kPermissionDenied, 403},   {Code::kUnimplemented, 501},
      {Code::kUnavailable, 503},     {Code::kInternal, 500},           {Code::kDataLoss, 500},
      {Code::kUnknown, 500},         {Code::kCancelled, 500},         {Code::kOk, 200},
  };
  for (const auto& c : cases) EXPECT_EQ(HttpStatusFromCode(c.code), c.http) << CodeName(c.code);
  Response r = ErrorResponse(Conflict("conflict: unable to delete x"));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.body, "{\"message\":\"conflict: unable to delete x\"}\n");
}

// Messages may echo what a client sent (a path with a bad escape, a name):
// the body is valid JSON whatever the bytes, written as Go's encoder writes it.
TEST(HttpStatus, ErrorBodyIsValidJsonForAnyMessage) {
  Response r = ErrorResponse(InvalidArgument("invalid URL escape \"%7\xff\" <a&b>"));
  EXPECT_EQ(r.body, "{\"message\":\"invalid URL escape \\\"%7\\ufffd\\\" \\u003ca\\u0026b\\u003e\"}\n");
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(r.body, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(v.at("message").as_string(), "invalid URL escape \"%7\xef\xbf\xbd\" <a&b>");
}

TEST_F(SystemRoutesTest, PingGetAndHead) {
  for (const char* target : {"/_ping", "/v1.50/_ping", "/v1.24/_ping"}) {
    Response get = Do("GET", target);
    EXPECT_EQ(get.status, 200) << target;
    EXPECT_EQ(get.body, "OK");
    EXPECT_EQ(get.Header("Api-Version"), "1.50");
    EXPECT_EQ(get.Header("Ostype"), "linux");
    EXPECT_EQ(get.Header("Docker-Experimental"), "false");
    EXPECT_EQ(get.Header("Swarm"), "inactive");
    EXPECT_EQ(get.Header("Cache-Control"), "no-cache, no-store, must-revalidate");
    EXPECT_EQ(get.Header("Pragma"), "no-cache");
    EXPECT_EQ(get.Header("Server").rfind("Docker/28.2.2 (linux)", 0), 0u);
    EXPECT_FALSE(get.stream);
  }
  Response head = Do("HEAD", "/_ping");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(head.Header("Api-Version"), "1.50");
  EXPECT_EQ(head.Header("Content-Type"), "text/plain; charset=utf-8");
}

TEST_F(SystemRoutesTest, VersionShape) {
  for (const char* target : {"/version", "/v1.50/version"}) {
    Response r = Do("GET", target);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.Header("Content-Type"), "application/json");
    json::object v = Body(r).as_object();
    EXPECT_EQ(v.at("ApiVersion"), "1.50");
    EXPECT_EQ(v.at("MinAPIVersion"), "1.24");
    EXPECT_EQ(v.at("Version"), "28.2.2");
    EXPECT_EQ(v.at("Os"), "linux");
    EXPECT_TRUE(v.at("Platform").as_object().contains("Name"));
    const json::object& engine = v.at("Components").as_array().at(0).as_object();
    EXPECT_EQ(engine.at("Name"), "Engine");
    EXPECT_EQ(engine.at("Details").as_object().at("MinAPIVersion"), "1.24");
    EXPECT_EQ(r.route, "GET /version");
  }
}

TEST_F(SystemRoutesTest, VersionPrefixLimits) {
  Response hi = Do("GET", "/v1.51/version");
  EXPECT_EQ(hi.status, 400);
  EXPECT_EQ(Message(hi), "client version 1.51 is too new. Maximum supported API version is 1.50");
  EXPECT_EQ(hi.Header("Api-Version"), "1.50");
  Response lo = Do("GET", "/v1.12/images/json");
  EXPECT_EQ(lo.status, 400);
  EXPECT_EQ(Message(lo),
            "client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a "
            "newer version");
  // A refused version runs nothing: the image is still there.
  BuiltImage img = Simple("kept");
  Add(img, {"kept:1"});
  Response del = Do("DELETE", "/v1.51/images/kept:1");
  EXPECT_EQ(del.status, 400);
  Response bad = Do("DELETE", "/vx.y/images/kept:1");
  EXPECT_EQ(bad.status, 404) << bad.body;  // not a version prefix: no route
  EXPECT_EQ(IdOf("kept:1"), img.target.digest.str());
}

TEST_F(SystemRoutesTest, UnknownEndpoints) {
  for (auto [m, t] : std::vector<std::pair<const char*, const char*>>{{"GET", "/nothing"},
                                                                      {"GET", "/v1.50/images"},
                                                                      {"POST", "/v1.50/images/json"},
                                                                      {"PUT", "/_ping"},
                                                                      {"GET", "/v1.51/unknown"},
                                                                      {"POST", "/v1.50/session"}}) {
    Response r = Do(m, t);
    EXPECT_EQ(r.status, 404) << m << " " << t;
    EXPECT_EQ(Message(r), "page not found");
    EXPECT_EQ(r.route, "unknown");
  }
  Response bad = Do("GET", "/images/json?all=%zz");
  EXPECT_EQ(bad.status, 400);
  // Container routes need a ContainerService (none here): 500.
  EXPECT_EQ(Do("GET", "/containers/json").status, 500);
}

TEST_F(SystemRoutesTest, InfoAndDiskUsageCountRealRows) {
  BuiltImage used = Simple("used");
  BuiltImage unused = Simple("unused");
  Add(used, {"used:1"});
  Add(unused, {"unused:1"});
  Response info = Do("GET", "/v1.50/info");
  ASSERT_EQ(info.status, 200) << info.body;
  json::object o = Body(info).as_object();
  EXPECT_EQ(o.at("Images").to_number<int64_t>(), 2);
  EXPECT_EQ(o.at("Containers").to_number<int64_t>(), 0);
  EXPECT_EQ(o.at("Driver"), "overlayfs");
  EXPECT_EQ(o.at("DockerRootDir"), "/var/lib/berth");
  EXPECT_EQ(o.at("ID"), "engine-id");
  EXPECT_EQ(o.at("OSType"), "linux");
  EXPECT_EQ(o.at("ServerVersion"), "28.2.2");
  EXPECT_GE(o.at("NCPU").to_number<int64_t>(), 1);

  AddContainer("used:1", used, /*running=*/true, used.target.digest);
  AddContainer("used:1", used, /*running=*/false, used.target.digest);
  o = Body(Do("GET", "/v1.50/info")).as_object();
  EXPECT_EQ(o.at("Containers").to_number<int64_t>(), 2);
  EXPECT_EQ(o.at("ContainersRunning").to_number<int64_t>(), 1);
  EXPECT_EQ(o.at("ContainersStopped").to_number<int64_t>(), 1);
  EXPECT_EQ(o.at("ContainersPaused").to_number<int64_t>(), 0);

  Response df = Do("GET", "/v1.50/system/df");
  ASSERT_EQ(df.status, 200) << df.body;
  json::value d = Body(df);
  ASSERT_EQ(d.at("Images").as_array().size(), 2u);
  EXPECT_EQ(Find(d.at("Images"), used.target.digest).at("Containers").to_number<int64_t>(), 2);
  EXPECT_EQ(Find(d.at("Images"), unused.target.digest).at("Containers").to_number<int64_t>(), 0);
  EXPECT_GE(Find(d.at("Images"), unused.target.digest).at("SharedSize").to_number<int64_t>(), 0);  // computed
  EXPECT_TRUE(d.at("Containers").as_array().empty());
  EXPECT_TRUE(d.at("Volumes").as_array().empty());
  EXPECT_TRUE(d.at("BuildCache").as_array().empty());
  EXPECT_GT(d.at("LayersSize").to_number<int64_t>(), 0);
  // type= selects sections; the others are null.
  json::value only = Body(Do("GET", "/v1.50/system/df?type=volume"));
  EXPECT_TRUE(only.at("Images").is_null());
  EXPECT_TRUE(only.at("Containers").is_null());
  EXPECT_TRUE(only.at("Volumes").as_array().empty());
  Response bad = Do("GET", "/v1.50/system/df?type=bogus");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Message(bad), "unknown object type: bogus");
}

// Splits an events stream into its lines' Actions.
std::vector<std::string> Actions(const std::string& body) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t nl = body.find('\n', pos);
    if (nl == std::string::npos) {
      ADD_FAILURE() << "unterminated line in " << body;
      break;
    }
    out.push_back(S(json::parse(body.substr(pos, nl - pos)).at("Action")));
    pos = nl + 1;
  }
  return out;
}

TEST_F(SystemRoutesTest, EventsReplayFiltersAndLiveStream) {
  int64_t since = NowSeconds() - 1;
  BuiltImage img = Simple("ev");
  Add(img, {"ev:1"});
  ASSERT_EQ(Do("POST", "/v1.50/images/ev:1/tag?repo=ev&tag=2").status, 201);
  ASSERT_EQ(Do("DELETE", "/v1.50/images/ev:2").status, 200);
  Event other;
  other.type = "container";
  other.action = "start";
  other.actor_id = "c1";
  store_->events()->Publish(other);
  std::string window = "since=" + std::to_string(since) + "&until=" + std::to_string(NowSeconds() + 1);

  // Replay of a closed window: the stream ends by itself.
  Response all = Do("GET", "/v1.50/events?" + window);
  ASSERT_EQ(all.status, 200);
  EXPECT_EQ(all.Header("Content-Type"), "application/json");
  Streamed s = Run(all);
  ASSERT_TRUE(s.status.ok()) << s.status.ToString();
  EXPECT_EQ(Actions(s.body), (std::vector<std::string>{"tag", "untag", "start"}));
  Streamed images = Run(Do("GET", "/v1.50/events?" + window + "&filters=" + Q(R"({"type":["image"]})")));
  EXPECT_EQ(Actions(images.body), (std::vector<std::string>{"tag", "untag"}));
  Streamed untag = Run(Do("GET", "/v1.50/events?" + window + "&filters=" + Q(R"({"event":["untag"]})")));
  EXPECT_EQ(Actions(untag.body), std::vector<std::string>{"untag"});

  Response bad = Do("GET", "/v1.50/events?since=5&until=1");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Message(bad), "`since` time (5) cannot be after `until` time (1)");
  EXPECT_EQ(Do("GET", "/v1.50/events?since=junk").status, 400);
  EXPECT_EQ(Do("GET", "/v1.50/events?filters=%7Bx").status, 400);

  // Live: headers first (an empty write), then events as they happen, until
  // the client goes away.
  std::atomic<bool> cancelled{false};
  Request req;
  req.method = "GET";
  req.target = "/v1.50/events?filters=" + Q(R"({"type":["image"]})");
  req.cancelled = [&] { return cancelled.load(); };
  Response live = api_->Handle(req);
  ASSERT_TRUE(live.stream);
  std::mutex mu;
  std::vector<std::string> pieces;
  std::thread reader([&] {
    Status st = live.stream([&](std::string_view d) {
      std::lock_guard<std::mutex> lock(mu);
      pieces.emplace_back(d);
      return OkStatus();
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
  });
  auto wait_for = [&](size_t n) {
    return testing::AwaitCondition([&] {
      std::lock_guard<std::mutex> lock(mu);
      return pieces.size() >= n;
    });
  };
  ASSERT_TRUE(wait_for(1));
  EXPECT_EQ(pieces[0], "");
  store_->events()->Publish(other);  // filtered out
  ASSERT_EQ(Do("POST", "/v1.50/images/ev:1/tag?repo=live").status, 201);
  EXPECT_TRUE(wait_for(2));
  cancelled = true;
  reader.join();
  ASSERT_EQ(pieces.size(), 2u);
  json::value e = json::parse(pieces[1]);
  EXPECT_EQ(e.at("Action"), "tag");
  EXPECT_EQ(S(e.at("Actor").at("Attributes").at("name")), "live:latest");
}

TEST_F(SystemRoutesTest, LoadStreamsTheRequestBody) {
  BuiltImage img = Simple("load");
  Result<std::string> tar = testing::WriteOciArchive({testing::ArchiveImage{&img, {"docker.io/library/loaded:1"}}});
  ASSERT_TRUE(tar.ok()) << tar.status().ToString();
  EXPECT_TRUE(api_->StreamsRequestBody("POST", "/v1.50/images/load?quiet=1"));
  EXPECT_TRUE(api_->StreamsRequestBody("POST", "/images/load"));
  EXPECT_FALSE(api_->StreamsRequestBody("POST", "/v1.50/images/prune"));
  EXPECT_FALSE(api_->StreamsRequestBody("GET", "/images/load"));
  EXPECT_FALSE(api_->StreamsRequestBody("POST", "/images/%zz"));

  // The body comes through body_reader in small pieces, as the server hands it.
  Request req;
  req.method = "POST";
  req.target = "/v1.50/images/load?quiet=1";
  int reads = 0;
  ReadFn inner = testing::StringReader(*tar, 512);
  req.body_reader = [&](char* buf, size_t n) {
    reads++;
    return inner(buf, n);
  };
  Response r = api_->Handle(req);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(reads, 0);  // nothing is read before the producer runs
  Streamed s = Run(r);
  ASSERT_TRUE(s.status.ok()) << s.status.ToString();
  EXPECT_GT(reads, 2);
  EXPECT_EQ(s.body, "{\"stream\":\"Loaded image: loaded:1\\n\"}\n");
  EXPECT_EQ(IdOf("loaded:1"), img.target.digest.str());

  Response multi = Do("POST", "/v1.50/images/load?platform=linux%2Famd64&platform=linux%2Farm64", *tar);
  EXPECT_EQ(multi.status, 400);
  EXPECT_EQ(Message(multi), "multiple platform parameters not supported");
  EXPECT_FALSE(multi.stream);
}

TEST_F(SystemRoutesTest, SaveStreamsTar) {
  BuiltImage img = Simple("save");
  Add(img, {"saved:1"});
  Response bad = Do("GET", "/v1.50/images/get?names=saved%3A1&platform=%7Bx");
  EXPECT_EQ(bad.status, 400);
  EXPECT_FALSE(bad.stream);

  Response ok = Do("GET", "/v1.50/images/get?names=saved%3A1");
  ASSERT_EQ(ok.status, 200);
  EXPECT_EQ(ok.Header("Content-Type"), "application/x-tar");
  Streamed s = Run(ok);
  ASSERT_TRUE(s.status.ok()) << s.status.ToString();
  EXPECT_GE(s.writes, 1);
  EXPECT_NE(s.body.find("index.json"), std::string::npos);
  EXPECT_NE(s.body.find(img.target.digest.hex()), std::string::npos);

  // A missing name fails before any output (the server then sends a 404).
  Streamed missing = Run(Do("GET", "/v1.50/images/get?names=nothere"));
  EXPECT_EQ(missing.status.code(), Code::kNotFound) << missing.status.ToString();
  EXPECT_EQ(missing.writes, 0);
}

TEST(NoStore, OnlyStorelessRoutesAnswer) {
  Api bare(nullptr, ApiOptions{});
  Request ping{"GET", "/_ping"};
  EXPECT_EQ(bare.Handle(ping).status, 200);
  Request list{"GET", "/images/json"};
  EXPECT_EQ(bare.Handle(list).status, 500);
  Request events{"GET", "/events"};
  EXPECT_EQ(bare.Handle(events).status, 500);
}

}  // namespace
}  // namespace berth::api
