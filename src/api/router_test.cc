#include "api/router.h"

#include <gtest/gtest.h>

namespace berth::api {
namespace {

Handler Named(const char* name) {
  return [name](RouteContext&) -> Result<Response> {
    Response r;
    r.body = name;
    return r;
  };
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add("GET", "/images/json", Named("list"));
    router_.Add("GET", "/images/{name:.*}/json", Named("inspect"));
    router_.Add("POST", "/images/{name:.*}/tag", Named("tag"));
    router_.Add("POST", "/images/{name:.*}/push", Named("push"));
    router_.Add("DELETE", "/images/{name:.*}", Named("delete"));
    router_.Add("GET", "/containers/{id}/json", Named("container"));
  }

  // "route:var" or "none".
  std::string Find(const char* method, const char* path, const char* var = "name") {
    Router::Match m = router_.Find(method, path);
    if (m.route == nullptr) return "none";
    RouteContext ctx;
    Response r = *m.route->handler(ctx);
    auto it = m.vars.find(var);
    return r.body + ":" + (it == m.vars.end() ? std::string("-") : it->second);
  }

  Router router_;
};

TEST_F(RouterTest, NamesMayHoldSlashesColonsAndAt) {
  EXPECT_EQ(Find("GET", "/images/json"), "list:-");
  EXPECT_EQ(Find("GET", "/images/busybox/json"), "inspect:busybox");
  EXPECT_EQ(Find("GET", "/images/127.0.0.1:5055/a/b:1/json"), "inspect:127.0.0.1:5055/a/b:1");
  EXPECT_EQ(Find("GET", "/images/bar@sha256:abc/json"), "inspect:bar@sha256:abc");
  // Longest match before the known suffix: an image literally named "json".
  EXPECT_EQ(Find("GET", "/images/json/json"), "inspect:json");
  EXPECT_EQ(Find("GET", "/images/a/json/json"), "inspect:a/json");
  EXPECT_EQ(Find("POST", "/images/127.0.0.1:5055/test/push"), "push:127.0.0.1:5055/test");
  EXPECT_EQ(Find("POST", "/images/a:1/tag"), "tag:a:1");
}

TEST_F(RouterTest, DeleteTakesEverything) {
  EXPECT_EQ(Find("DELETE", "/images/foo:1"), "delete:foo:1");
  EXPECT_EQ(Find("DELETE", "/images/a/b/json"), "delete:a/b/json");
  EXPECT_EQ(Find("DELETE", "/images/"), "delete:");
}

TEST_F(RouterTest, SingleSegmentVariables) {
  EXPECT_EQ(Find("GET", "/containers/abc/json", "id"), "container:abc");
  EXPECT_EQ(Find("GET", "/containers/a/b/json", "id"), "none");
}

TEST_F(RouterTest, MethodAndPathMustMatch) {
  EXPECT_EQ(Find("POST", "/images/json"), "none");
  EXPECT_EQ(Find("GET", "/images"), "none");
  EXPECT_EQ(Find("GET", "/images/foo"), "none");
  EXPECT_EQ(Find("GET", "/nothing"), "none");
  EXPECT_EQ(Find("DELETE", "/images"), "none");
}

}  // namespace
}  // namespace berth::api
