#include "berth/tree_size.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "testing/temp_dir.h"

namespace berth {
namespace {

void Write(const std::string& path, size_t bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0) << path;
  std::string data(bytes, 'x');
  ASSERT_EQ(::write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  ::close(fd);
}

TEST(TreeSizeTest, SumsRegularFilesOnceAndFollowsNoLink) {
  testing::TempDir tmp;
  ASSERT_TRUE(tmp.Create("berth-tree-size"));
  const std::string d = tmp.path() + "/tree";
  ASSERT_EQ(::mkdir(d.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((d + "/sub").c_str(), 0755), 0);
  Write(d + "/a", 1000);
  Write(d + "/sub/b", 234);
  ASSERT_EQ(::link((d + "/a").c_str(), (d + "/sub/a-again").c_str()), 0);  // counted once
  const std::string outside = tmp.path() + "/outside";
  ASSERT_EQ(::mkdir(outside.c_str(), 0755), 0);
  Write(outside + "/big", 50000);
  ASSERT_EQ(::symlink(outside.c_str(), (d + "/link").c_str()), 0);  // not followed
  auto size = ApparentTreeSize(d);
  ASSERT_TRUE(size.ok()) << size.status().ToString();
  EXPECT_EQ(*size, 1234);
  auto empty = ApparentTreeSize(outside + "/..");
  ASSERT_TRUE(empty.ok());
  EXPECT_GE(*empty, 1234 + 50000);
  EXPECT_EQ(ApparentTreeSize(tmp.path() + "/missing").status().code(), Code::kNotFound);
  tmp.Remove();
}

}  // namespace
}  // namespace berth
