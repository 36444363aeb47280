#include "berth/slash_path.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(SlashPathTest, CleanSlashPathIsGosPathClean) {
  // Cases from Go's path.Clean documentation and its edge cases.
  EXPECT_EQ(CleanSlashPath(""), ".");
  EXPECT_EQ(CleanSlashPath("/"), "/");
  EXPECT_EQ(CleanSlashPath("//a//b/"), "/a/b");
  EXPECT_EQ(CleanSlashPath("a/./b/."), "a/b");
  EXPECT_EQ(CleanSlashPath("a/b/../c"), "a/c");
  EXPECT_EQ(CleanSlashPath("/../a"), "/a");         // ".." at the root is dropped
  EXPECT_EQ(CleanSlashPath("../../a"), "../../a");  // a relative path keeps leading ".."
  EXPECT_EQ(CleanSlashPath("a/../.."), "..");
  EXPECT_EQ(CleanSlashPath("a/.."), ".");
  EXPECT_EQ(CleanSlashPath("./"), ".");
  EXPECT_EQ(CleanSlashPath("a//b/./c/"), "a/b/c");
  EXPECT_EQ(CleanSlashPath("a/../../b"), "../b");
  EXPECT_EQ(CleanSlashPath("/../a/.."), "/");
}

TEST(SlashPathTest, IsLocalSlashPathIsGosFilepathIsLocal) {
  for (const char* local : {"a", "a/b", "a/../b", ".", "./a", "a/", "a//b", "..a", "a/.."}) {
    EXPECT_TRUE(IsLocalSlashPath(local)) << local;
  }
  for (const char* not_local : {"", "/", "/a", "..", "../a", "a/../..", "a/../../b", "./.."}) {
    EXPECT_FALSE(IsLocalSlashPath(not_local)) << not_local;
  }
}

TEST(SlashPathTest, ComponentsWithinRefusesDotDot) {
  auto c = ComponentsWithin("/a//b/./c/");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(*c, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(ComponentsWithin("")->size(), 0u);
  EXPECT_EQ(ComponentsWithin("/")->size(), 0u);
  EXPECT_FALSE(ComponentsWithin("..").has_value());
  EXPECT_FALSE(ComponentsWithin("a/../b").has_value());  // refused even when it would stay inside
  EXPECT_FALSE(ComponentsWithin("a/b/..").has_value());
  EXPECT_TRUE(ComponentsWithin("a/..b/c..").has_value());  // only the exact component
}

}  // namespace
}  // namespace berth
