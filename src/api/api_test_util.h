// Shared harness for the route tests: a real store in a temporary directory,
// images made by the test fixture (tests/testing/fixture.h), real container
// rows, and an Api over them. No sockets: requests go straight to
// Api::Handle.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/json.hpp>
#include <cctype>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "berth/api.h"
#include "berth/image_service.h"
#include "testing/fixture.h"
#include "testing/temp_dir.h"
#include "image/store_internals.h"

namespace berth::api {

inline const Platform kAmd64{"linux", "amd64", "", "", {}};
inline const Platform kAmd64V3{"linux", "amd64", "v3", "", {}};
inline const Platform kArm64{"linux", "arm64", "", "", {}};
inline const Platform kArmV7{"linux", "arm", "v7", "", {}};

// A JSON string's text ("<not a string>" otherwise), for comparisons.
inline std::string S(const boost::json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : "<not a string>";
}

class RouteTestBase : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.Create("berth-route-test"));
    root_ = tmp_.path();
    auto s = Store::Open(StoreOptions{root_ + "/data"});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    api_ = std::make_unique<Api>(store_.get(), Options());
  }
  // The options of the Api under test (called by SetUp once root_ is set).
  virtual ApiOptions Options() { return ApiOptions{"engine-id", "/var/lib/berth", false, 0}; }
  void TearDown() override {
    api_.reset();
    store_.reset();
    tmp_.Remove();
  }

  Response Do(const std::string& method, const std::string& target, std::string body = "") {
    Request req;
    req.method = method;
    req.target = target;
    req.body = std::move(body);
    return api_->Handle(req);
  }
  static boost::json::value Body(const Response& r) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(r.body, ec);
    EXPECT_FALSE(ec) << "not JSON: " << r.body;
    return v;
  }
  static std::string Message(const Response& r) {
    boost::json::value v = Body(r);
    if (!v.is_object() || !v.as_object().contains("message")) return "<no message in " + r.body + ">";
    return S(v.at("message"));
  }

  // A one-platform (linux/amd64) image whose layer holds `seed`.
  testing::BuiltImage Simple(const std::string& seed, std::map<std::string, std::string> labels = {}) {
    auto img = testing::SimpleImage({{"etc/seed", seed}}, std::move(labels));
    EXPECT_TRUE(img.ok()) << img.status().ToString();
    return img.ok() ? *img : testing::BuiltImage{};
  }
  // An image built from a full spec.
  testing::BuiltImage Build(const testing::FixtureImage& spec) {
    auto img = testing::BuildImage(spec);
    EXPECT_TRUE(img.ok()) << img.status().ToString();
    return img.ok() ? *img : testing::BuiltImage{};
  }
  // An index with one manifest per platform, two layers each.
  testing::BuiltImage Multi(const std::string& seed, const std::vector<Platform>& platforms) {
    auto img = testing::MultiPlatformImage(seed, platforms);
    EXPECT_TRUE(img.ok()) << img.status().ToString();
    return *img;
  }
  // Puts `img` in the store under `names` (dangling when empty).
  void Add(const testing::BuiltImage& img, const std::vector<std::string>& names,
           std::map<std::string, std::string> record_labels = {}) {
    Status s = testing::AddToStore(store_.get(), img, names, std::move(record_labels));
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // A real container row using `img` (its platform manifest when given).
  std::string AddContainer(const std::string& image_ref, const testing::BuiltImage& img, bool running,
                           const Digest& manifest = {}) {
    ContainerRecord c;
    int n = next_container_++;
    c.id = Digest::Of("container" + std::to_string(n)).hex();
    c.name = "c" + std::to_string(n);
    c.image_ref = image_ref;
    c.image_id = img.target.digest;
    c.image_manifest = manifest;
    c.state = running ? ContainerState::kRunning : ContainerState::kExited;
    c.created_unix_nanos = n;
    Status s = store_->images()->PutContainer(c);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return c.id;
  }

  // The image ID a reference resolves to, "" if it does not resolve.
  std::string IdOf(const std::string& ref) {
    Result<ImageRecord> r = store_->images()->Resolve(ref);
    return r.ok() ? r->target.digest.str() : "";
  }
  // Every image record name in the store, sorted.
  std::set<std::string> RecordNames() {
    std::set<std::string> names;
    Status s = image::MetadataOf(store_.get())->View([&](Tx& tx) -> Status {
      BERTH_ASSIGN_OR_RETURN(auto recs, tx.ListImages());
      for (const auto& r : recs) names.insert(r.name);
      return OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return names;
  }

  // The Ids of GET `target` (a listing), sorted.
  std::set<std::string> ListedIds(const std::string& target) {
    Response r = Do("GET", target);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    std::set<std::string> ids;
    boost::json::value v = Body(r);
    if (!v.is_array()) return ids;
    for (const auto& e : v.as_array()) ids.insert(S(e.at("Id")));
    return ids;
  }
  // The element of a listing with Id `id`, or an empty object.
  static boost::json::object Find(const boost::json::value& list, const Digest& id) {
    if (!list.is_array()) return {};
    for (const auto& e : list.as_array()) {
      if (e.is_object() && S(e.at("Id")) == id.str()) return e.as_object();
    }
    ADD_FAILURE() << "no " << id.str() << " in " << boost::json::serialize(list);
    return {};
  }

  // A streaming response run to its end.
  struct Streamed {
    Status status;
    std::string body;
    int writes = 0;
  };
  static Streamed Run(const Response& r) {
    Streamed s;
    EXPECT_TRUE(r.stream) << "not a stream: " << r.status << " " << r.body;
    if (!r.stream) return s;
    s.status = r.stream([&](std::string_view d) {
      s.writes++;
      s.body.append(d);
      return OkStatus();
    });
    return s;
  }

  testing::TempDir tmp_;
  std::string root_;  // tmp_.path()
  std::unique_ptr<Store> store_;
  std::unique_ptr<Api> api_;
  int next_container_ = 1;
};

// Percent-encodes a query value.
inline std::string Q(std::string_view v) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : v) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace berth::api
