// docker cp's path rules (src/container/archive.cc) and its stat header
// (src/api/container_archive_routes.cc).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "container/internal.h"

namespace berth::container {
namespace {

TEST(CpPathRulesTest, AbsolutePathKeepsTheTrailingDotOrSlash) {
  EXPECT_EQ(AbsolutePath("etc"), "/etc");
  EXPECT_EQ(AbsolutePath("/etc/"), "/etc/");
  EXPECT_EQ(AbsolutePath("/etc/."), "/etc/.");
  EXPECT_EQ(AbsolutePath("etc//./passwd"), "/etc/passwd");
  EXPECT_EQ(AbsolutePath("a/../../b/"), "/b/");
  EXPECT_EQ(AbsolutePath("../../.."), "/");
  EXPECT_EQ(AbsolutePath("/"), "/");
  EXPECT_EQ(AbsolutePath("."), "/.");
  EXPECT_EQ(AbsolutePath(""), "/");
}

TEST(CpPathRulesTest, BaseNameIsGos) {
  EXPECT_EQ(BaseName("/etc/passwd"), "passwd");
  EXPECT_EQ(BaseName("/etc/"), "etc");
  EXPECT_EQ(BaseName("/etc/."), ".");
  EXPECT_EQ(BaseName("/"), "/");
  EXPECT_EQ(BaseName("//"), "/");
}

}  // namespace
}  // namespace berth::container
