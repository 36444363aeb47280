// The JSON progress renderer (table-driven, against lines dockerd writes) and
// the registry routes' request handling: parameter errors, the 404 before a
// push stream, errors before the first progress message as HTTP errors, and
// the /berth/v1/registry/rm-platform argument checks. Pulls and pushes
// against a real registry are covered by tests/e2e/registry_test.py.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/progress.h"
#include "api/api_test_util.h"

namespace berth::api {
namespace {

ProgressMessage Msg(std::string status, std::string id = "", int64_t current = -1, int64_t total = -1) {
  ProgressMessage m;
  m.status = std::move(status);
  m.id = std::move(id);
  m.current = current;
  m.total = total;
  return m;
}

std::string Spaces(int n) { return std::string(static_cast<size_t>(n), ' '); }

TEST(ProgressTest, HumanSize) {
  struct Case {
    int64_t bytes;
    const char* want;
  } cases[] = {
      {0, "0B"},           {528, "528B"},        {999, "999B"},           {1000, "1kB"},
      {527607, "527.6kB"}, {2155000, "2.155MB"}, {152137719, "152.1MB"}, {76097157, "76.1MB"},
      {999999, "1000kB"},  {5000000000, "5GB"},
  };
  for (const auto& c : cases) EXPECT_EQ(ProgressHumanSize(c.bytes), c.want) << c.bytes;
}

TEST(ProgressTest, Bar) {
  struct Case {
    int64_t current, total;
    std::string want;
  } cases[] = {
      {-1, -1, ""},
      {0, 0, ""},
      {527607, 152137719, "[>" + Spaces(50) + "]  527.6kB/152.1MB"},
      {8034738, 76097157, "[=====>" + Spaces(45) + "]  8.035MB/76.1MB"},
      {2155000, 2155000, "[" + std::string(50, '=') + ">]  2.155MB/2.155MB"},
      {3000, 2000, "[" + std::string(50, '=') + ">]      3kB"},  // current > total: no total
      {1234, -1, " 1.234kB"},                                     // no total: the size alone
      {0, 4000, "[>" + Spaces(50) + "]       0B/4kB"},
  };
  for (const auto& c : cases) EXPECT_EQ(ProgressBar(c.current, c.total), c.want) << c.current << "/" << c.total;
}

TEST(ProgressTest, Lines) {
  ProgressMessage aux;
  aux.aux_tag = "1";
  aux.aux_digest = Digest::Of("manifest");
  aux.aux_size = 528;
  ProgressMessage err;
  err.error = "manifest for x:1 not found: <unknown> & gone";
  struct Case {
    ProgressMessage m;
    std::string want;
  } cases[] = {
      {Msg("Pulling from library/busybox", "latest"), R"({"status":"Pulling from library/busybox","id":"latest"})"},
      {Msg("Pulling fs layer", "30babffc8f09"), R"({"status":"Pulling fs layer","progressDetail":{},"id":"30babffc8f09"})"},
      {Msg("Waiting", "30babffc8f09"), R"({"status":"Waiting","progressDetail":{},"id":"30babffc8f09"})"},
      {Msg("Downloading", "30babffc8f09", 527607, 152137719),
       R"({"status":"Downloading","progressDetail":{"current":527607,"total":152137719},"progress":"[\u003e)" +
           Spaces(50) + R"(]  527.6kB/152.1MB","id":"30babffc8f09"})"},
      {Msg("Downloading", "abc", 0, 4000),
       R"({"status":"Downloading","progressDetail":{"total":4000},"progress":"[\u003e)" + Spaces(50) +
           R"(]       0B/4kB","id":"abc"})"},
      {Msg("Pull complete", "30babffc8f09"), R"({"status":"Pull complete","progressDetail":{},"id":"30babffc8f09"})"},
      {Msg("Digest: " + Digest::Of("x").str()), R"({"status":"Digest: )" + Digest::Of("x").str() + R"("})"},
      {Msg("Status: Image is up to date for busybox:latest"),
       R"({"status":"Status: Image is up to date for busybox:latest"})"},
      {Msg("The push refers to repository [127.0.0.1:5000/x]"),
       R"({"status":"The push refers to repository [127.0.0.1:5000/x]"})"},
      {Msg("Layer already exists", "0123456789ab"),
       R"({"status":"Layer already exists","progressDetail":{},"id":"0123456789ab"})"},
      {aux, R"({"progressDetail":{},"aux":{"Tag":"1","Digest":")" + Digest::Of("manifest").str() +
                R"(","Size":528}})"},
      {err, R"({"errorDetail":{"message":"manifest for x:1 not found: \u003cunknown\u003e \u0026 gone"},)"
            R"("error":"manifest for x:1 not found: \u003cunknown\u003e \u0026 gone"})"},
  };
  for (const auto& c : cases) EXPECT_EQ(RenderProgress(c.m), c.want + "\n");
}

TEST(ProgressTest, GoHtmlEscape) {
  EXPECT_EQ(GoHtmlEscape(R"({"a":"<b> & c"})"), R"({"a":"\u003cb\u003e \u0026 c"})");
  EXPECT_EQ(GoHtmlEscape("\"x\xE2\x80\xA8y\xE2\x80\xA9\xE2\x82\xAC\""), "\"x\\u2028y\\u2029\xE2\x82\xAC\"");
}

class RegistryRoutesTest : public RouteTestBase {};

TEST_F(RegistryRoutesTest, CreateParameterErrors) {
  struct Case {
    std::string target;
    int status;
    std::string message_part;
  } cases[] = {
      {"/v1.50/images/create?fromSrc=http%3A%2F%2Fexample.com%2Fx.tar", 501,
       "importing from a URL is not supported by berth (fromSrc=http://example.com/x.tar)"},
      {"/v1.50/images/create?fromSrc=-&repo=x%40sha256%3A" + std::string(64, 'a'), 400,
       "cannot import digest reference"},
      {"/v1.50/images/create?fromSrc=-&platform=a%2Fb%2Fc%2Fd", 400, "cannot parse platform specifier"},
      {"/v1.50/images/create", 400, "fromImage or fromSrc is required"},

      {"/v1.50/images/create?fromImage=x%2FUPPER&tag=1", 400, "must be lowercase"},
      {"/v1.50/images/create?fromImage=127.0.0.1%3A1%2Fx&tag=bad%2Btag", 400, "invalid tag format"},
      {"/v1.50/images/create?fromImage=127.0.0.1%3A1%2Fx&tag=1&platform=a%2Fb%2Fc%2Fd", 400,
       "cannot parse platform specifier"},
      {"/v1.50/images/create?fromImage=127.0.0.1%3A1%2Fx&tag=1&platform=%7B%22os%22%3A%22linux%22%7D", 400,
       "both OS and Architecture must be provided"},
  };
  for (const auto& c : cases) {
    Response r = Do("POST", c.target);
    EXPECT_FALSE(r.stream) << c.target;
    EXPECT_EQ(r.status, c.status) << c.target << ": " << r.body;
    EXPECT_NE(Message(r).find(c.message_part), std::string::npos) << c.target << ": " << r.body;
  }
  // Distribution inspect: names that never reach a registry.
  Response id = Do("GET", "/v1.50/distribution/" + std::string(64, 'a') + "/json");
  EXPECT_EQ(id.status, 500);
  EXPECT_EQ(Message(id), "no manifest found for full image ID");
  EXPECT_EQ(Do("GET", "/v1.50/distribution/Bad%3AName/json").status, 400);
}

// Nothing listens on 127.0.0.1:1: the pull fails before any progress
// message, so the client gets a plain HTTP error (the stream writes
// nothing), and the store is unchanged.
TEST_F(RegistryRoutesTest, PullErrorBeforeFirstMessageIsHttpError) {
  Response r = Do("POST", "/v1.50/images/create?fromImage=127.0.0.1%3A1%2Fx&tag=1&platform=linux%2Farm64");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  Streamed s = Run(r);
  EXPECT_FALSE(s.status.ok());
  if (s.writes == 0) {
    EXPECT_EQ(s.body, "");
  } else {
    // Should the pull have reported something first, the error must be the
    // stream's last line.
    EXPECT_NE(s.body.rfind("{\"errorDetail\":"), std::string::npos) << s.body;
  }
  EXPECT_TRUE(RecordNames().empty());
}

TEST_F(RegistryRoutesTest, PushOfAbsentImageIs404BeforeStreaming) {
  Response r = Do("POST", "/v1.50/images/127.0.0.1:5000/x/push?tag=1");
  EXPECT_FALSE(r.stream);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Message(r), "No such image: 127.0.0.1:5000/x:1");
  // The same image under another tag does not count.
  Add(Simple("push-absent"), {"127.0.0.1:5000/x:2"});
  r = Do("POST", "/v1.50/images/127.0.0.1:5000/x/push?tag=1");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Message(r), "No such image: 127.0.0.1:5000/x:1");
  r = Do("POST", "/v1.50/images/busybox/push?tag=latest");
  EXPECT_EQ(Message(r), "No such image: busybox:latest");
}

TEST_F(RegistryRoutesTest, PushParameterErrors) {
  Add(Simple("push-params"), {"127.0.0.1:1/x:1"});
  Response r = Do("POST", "/v1.50/images/127.0.0.1:1/x/push?tag=1&platform=%7B%22os%22%3A%22linux%22%7D");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(Message(r), "both OS and Architecture must be provided");
  r = Do("POST", "/v1.50/images/127.0.0.1:1/x/push?tag=1&platform=%7B%7D&platform=%7B%7D");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(Message(r), "multiple platform parameters not supported");
  r = Do("POST", "/v1.50/images/127.0.0.1:1/x/push?tag=bad%2Btag");
  EXPECT_EQ(r.status, 400) << r.body;
  // Before API 1.46 the platform is ignored, as in Docker: no 400.
  r = Do("POST", "/v1.45/images/127.0.0.1:1/x/push?tag=1&platform=%7B%22os%22%3A%22linux%22%7D");
  EXPECT_TRUE(r.stream) << r.status << " " << r.body;
}

// A present image pushed to a registry nobody serves: the error comes from
// the stream, before any message (an HTTP error), or as its last line.
TEST_F(RegistryRoutesTest, PushToUnreachableRegistryFails) {
  Add(Simple("push-unreachable"), {"127.0.0.1:1/x:1"});
  Response r = Do("POST", "/v1.50/images/127.0.0.1:1/x/push?tag=1");
  ASSERT_TRUE(r.stream) << r.status << " " << r.body;
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  Streamed s = Run(r);
  if (s.writes == 0) {
    EXPECT_FALSE(s.status.ok());
  } else {
    EXPECT_NE(s.body.rfind("{\"errorDetail\":"), std::string::npos) << s.body;
  }
}

TEST_F(RegistryRoutesTest, RemovePlatformArgumentErrors) {
  std::string digest = Digest::Of("index").str();
  struct Case {
    std::string query;
    std::string message_part;
  } cases[] = {
      {"platform=linux%2Farm64", "reference is required"},
      {"reference=127.0.0.1%3A1%2Fx%3A1", "at least one platform is required"},
      {"reference=127.0.0.1%3A1%2Fx%3A1&platform=", "at least one platform is required"},
      {"reference=127.0.0.1%3A1%2Fx%3A1&platform=a%2Fb%2Fc%2Fd", "cannot parse platform specifier"},
      {"reference=127.0.0.1%3A1%2Fx%40" + Q(digest) + "&platform=linux%2Farm64",
       "cannot remove platforms from a digest reference"},
  };
  for (const auto& c : cases) {
    Response r = Do("POST", "/berth/v1/registry/rm-platform?" + c.query);
    EXPECT_EQ(r.status, 400) << c.query << ": " << r.body;
    EXPECT_NE(Message(r).find(c.message_part), std::string::npos) << c.query << ": " << r.body;
  }
  // Only POST is routed.
  EXPECT_EQ(Do("GET", "/berth/v1/registry/rm-platform?reference=x").status, 404);
}

TEST_F(RegistryRoutesTest, LoginErrors) {
  Response r = Do("POST", "/v1.50/auth", "not json");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(Message(r), "invalid JSON in login request");
  // Nothing listens on 127.0.0.1:1: an error, never "Login Succeeded".
  r = Do("POST", "/v1.50/auth", R"({"username":"u","password":"p","serveraddress":"http://127.0.0.1:1/v1/"})");
  EXPECT_NE(r.status, 200) << r.body;
  EXPECT_EQ(r.body.find("Login Succeeded"), std::string::npos) << r.body;
}

TEST(RegistryRoutesNoStoreTest, RemovePlatformNeedsNoStore) {
  Api api(nullptr, ApiOptions{});
  Request req;
  req.method = "POST";
  req.target = "/berth/v1/registry/rm-platform?reference=127.0.0.1%3A1%2Fx%3A1";
  Response r = api.Handle(req);
  // A 400 about the arguments, not the 500 of a route that needs a store.
  EXPECT_EQ(r.status, 400) << r.body;
  req.target = "/v1.50/images/create?fromImage=x&tag=1";
  EXPECT_EQ(api.Handle(req).status, 500);
}

}  // namespace
}  // namespace berth::api
