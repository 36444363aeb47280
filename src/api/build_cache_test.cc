#include "api/build_cache.h"

#include <gtest/gtest.h>

#include "berth/oci.h"

namespace berth::api {
namespace {

Query Q(std::string_view raw) {
  Result<Query> q = Query::Parse(raw);
  EXPECT_TRUE(q.ok());
  return *q;
}

Digest D(char c) { return *Digest::Parse("sha256:" + std::string(64, c)); }

ImageRecord Step(char id, char parent, const std::string& command) {
  ImageRecord r;
  r.target.digest = D(id);
  r.name = "moby-dangling@" + D(id).str();
  r.labels[std::string(kParentLabel)] = D(parent).str();
  r.labels[std::string(kBuildStepLabel)] = command;
  r.created_unix_nanos = 1000;
  return r;
}

ImageSummary Summary(char id, int64_t size, int64_t containers) {
  ImageSummary s;
  s.id = D(id);
  s.size = size;
  s.containers = containers;
  return s;
}

TEST(BuildCachePruneOptions, AllAndUntil) {
  Result<PruneOptions> o =
      BuildCachePruneOptions(Q("all=1&filters=%7B%22until%22%3A%7B%2210s%22%3Atrue%7D%7D"), int64_t{100} * 1000000000);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_TRUE(o->build_cache_only);
  EXPECT_TRUE(o->build_cache_all);
  ASSERT_TRUE(o->until_unix_nanos.has_value());
  EXPECT_EQ(*o->until_unix_nanos, int64_t{90} * 1000000000);
  Result<PruneOptions> plain = BuildCachePruneOptions(Q("keep-storage=0"), 0);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->build_cache_all);
  EXPECT_FALSE(plain->until_unix_nanos.has_value());
}

TEST(BuildCachePruneOptions, RefusesWhatItDoesNotDoByName) {
  for (const char* name : {"keep-storage", "reserved-space", "max-used-space", "min-free-space"}) {
    Result<PruneOptions> o = BuildCachePruneOptions(Q(std::string(name) + "=1000"), 0);
    ASSERT_FALSE(o.ok()) << name;
    EXPECT_NE(o.status().message().find('"' + std::string(name) + '"'), std::string::npos) << o.status().ToString();
  }
  for (const char* name : {"id", "parent", "type", "description", "inuse", "shared", "private", "unused-for"}) {
    Result<PruneOptions> o =
        BuildCachePruneOptions(Q("filters=%7B%22" + std::string(name) + "%22%3A%7B%22x%22%3Atrue%7D%7D"), 0);
    ASSERT_FALSE(o.ok()) << name;
    EXPECT_NE(o.status().message().find('"' + std::string(name) + '"'), std::string::npos) << o.status().ToString();
  }
  Result<PruneOptions> o = BuildCachePruneOptions(Q("filters=%7B%22what%22%3A%7B%22x%22%3Atrue%7D%7D"), 0);
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("invalid filter 'what'"), std::string::npos) << o.status().ToString();
}

TEST(BuildCacheItems, OnlyUnnamedStepImagesSizedOverTheirParent) {
  ImageRecord env = Step('a', 'b', "/bin/sh -c #(nop)  ENV A=1");
  ImageRecord copy = Step('c', 'a', "/bin/sh -c #(nop) COPY file:x in /f ");
  ImageRecord named = copy;  // a name for the same image: not a cache record, and `copy` listed once
  named.name = "docker.io/library/x:1";
  ImageRecord plain;  // an unnamed image no build made
  plain.target.digest = D('d');
  plain.name = "moby-dangling@" + D('d').str();
  std::vector<BuildCacheItem> items =
      BuildCacheItems({env, copy, named, plain, copy},
                      {Summary('b', 1000, 0), Summary('a', 1200, 0), Summary('c', 5200, 1), Summary('d', 10, 0)});
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].id, D('a').str());
  EXPECT_EQ(items[0].parent, D('b').str());
  EXPECT_EQ(items[0].description, "/bin/sh -c #(nop)  ENV A=1");
  EXPECT_EQ(items[0].size, 200);
  EXPECT_FALSE(items[0].in_use);
  EXPECT_EQ(items[1].id, D('c').str());
  EXPECT_EQ(items[1].size, 4000);
  EXPECT_TRUE(items[1].in_use);
  boost::json::array value = BuildCacheValue(items);
  ASSERT_EQ(value.size(), 2u);
  EXPECT_EQ(value[1].at("Type").as_string(), "regular");
  EXPECT_EQ(value[1].at("Size").as_int64(), 4000);
  EXPECT_EQ(value[1].at("Parents").as_array()[0].as_string(), D('a').str());
}

}  // namespace
}  // namespace berth::api
