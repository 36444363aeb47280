// Table-driven tests of archive path normalisation and link resolution.

#include "archive/paths.h"

#include <gtest/gtest.h>

namespace berth::archive {
namespace {

TEST(PathsTest, NormalizeEntryPath) {
  struct Case {
    std::string in;
    std::string out;  // "!" prefix: error containing the rest
  };
  const Case cases[] = {
      {"index.json", "index.json"},
      {"./index.json", "index.json"},
      {"blobs/sha256/", "blobs/sha256"},
      {"blobs//sha256/./x", "blobs/sha256/x"},
      {"./", ""},
      {".", ""},
      {"a/b/c", "a/b/c"},
      {"..", "!path traversal"},
      {"../x", "!path traversal"},
      {"a/../b", "!path traversal"},
      {"a/..", "!path traversal"},
      {"/etc/passwd", "!absolute"},
      {"/", "!absolute"},
      {"", "!empty name"},
      {"..a/b..", "..a/b.."},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.in);
    Result<std::string> r = NormalizeEntryPath(tc.in);
    if (tc.out.rfind("!", 0) == 0) {
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
      EXPECT_NE(r.status().message().find(tc.out.substr(1)), std::string::npos) << r.status().message();
    } else {
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_EQ(*r, tc.out);
    }
  }
}

TEST(PathsTest, ResolveSymlink) {
  struct Case {
    std::string link;
    std::string target;
    std::string out;  // "!" prefix: error containing the rest
  };
  const Case cases[] = {
      {"b/layer.tar", "../a/layer.tar", "a/layer.tar"},
      {"b/layer.tar", "../a.tar", "a.tar"},
      {"x", "y", "y"},
      {"d/x", "y", "d/y"},
      {"d/x", "./y", "d/y"},
      {"d/e/x", "../../y", "y"},
      {"d/x", "../../y", "!outside the archive"},
      {"x", "../y", "!outside the archive"},
      {"x", "/etc/passwd", "!outside the archive"},
      {"d/x", "..", "!archive root"},
      {"x", "", "!empty target"},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.link + " -> " + tc.target);
    Result<std::string> r = ResolveSymlink(tc.link, tc.target);
    if (tc.out.rfind("!", 0) == 0) {
      ASSERT_FALSE(r.ok());
      EXPECT_NE(r.status().message().find(tc.out.substr(1)), std::string::npos) << r.status().message();
    } else {
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_EQ(*r, tc.out);
    }
  }
}

TEST(PathsTest, IsBlobPath) {
  std::string hex(64, 'a');
  std::string out;
  EXPECT_TRUE(IsBlobPath("blobs/sha256/" + hex, &out));
  EXPECT_EQ(out, hex);
  EXPECT_FALSE(IsBlobPath("blobs/sha256/" + std::string(63, 'a'), nullptr));
  EXPECT_FALSE(IsBlobPath("blobs/sha256/" + std::string(64, 'A'), nullptr));
  EXPECT_FALSE(IsBlobPath("blobs/sha512/" + hex, nullptr));
  EXPECT_FALSE(IsBlobPath("x/blobs/sha256/" + hex, nullptr));
  EXPECT_FALSE(IsBlobPath("blobs/sha256/" + hex + "/x", nullptr));
}

}  // namespace
}  // namespace berth::archive
