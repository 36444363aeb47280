// docker cp's X-Docker-Container-Path-Stat header: Go's FileMode bits and
// the base64 JSON the docker CLI and the SDK decode.
#include "api/container_archive.h"
#include "berth/base64.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json.hpp>

#include "registry/client.h"

namespace berth::api {
namespace {

TEST(PathStatHeaderTest, GoFileModeBits) {
  EXPECT_EQ(GoFileMode(S_IFREG | 0644), 0644u);
  EXPECT_EQ(GoFileMode(S_IFDIR | 0755), (1u << 31) | 0755u);
  EXPECT_EQ(GoFileMode(S_IFLNK | 0777), (1u << 27) | 0777u);
  EXPECT_EQ(GoFileMode(S_IFCHR | 0666), (1u << 26) | (1u << 21) | 0666u);
  EXPECT_EQ(GoFileMode(S_IFBLK | 0660), (1u << 26) | 0660u);
  EXPECT_EQ(GoFileMode(S_IFIFO | 0600), (1u << 25) | 0600u);
  EXPECT_EQ(GoFileMode(S_IFSOCK | 0700), (1u << 24) | 0700u);
  EXPECT_EQ(GoFileMode(S_IFREG | S_ISUID | S_ISGID | 0755), (1u << 23) | (1u << 22) | 0755u);
  EXPECT_EQ(GoFileMode(S_IFDIR | S_ISVTX | 0777), (1u << 31) | (1u << 20) | 0777u);
}

TEST(PathStatHeaderTest, Base64JsonWithDockersKeys) {
  ContainerPathStat st;
  st.name = "l";
  st.size = 4;
  st.mode = S_IFLNK | 0777;
  st.mtime_unix_nanos = 1'700'000'000'123'456'789;
  st.link_target = "/etc/passwd";
  Result<std::string> raw = Base64Decode(PathStatHeaderValue(st));
  ASSERT_TRUE(raw.ok());
  boost::json::object o = boost::json::parse(*raw).as_object();
  EXPECT_EQ(o.at("name").as_string(), "l");
  EXPECT_EQ(o.at("size").to_number<int64_t>(), 4);
  EXPECT_EQ(o.at("mode").to_number<uint32_t>(), (1u << 27) | 0777u);
  EXPECT_EQ(o.at("mtime").as_string(), "2023-11-14T22:13:20.123456789Z");
  EXPECT_EQ(o.at("linkTarget").as_string(), "/etc/passwd");
  EXPECT_EQ(o.size(), 5u);
}

}  // namespace
}  // namespace berth::api
