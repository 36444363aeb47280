// ExtractTar on build contexts: what it writes and what it refuses.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "builder/internal.h"
#include "testing/tar_entries.h"
#include "testing/temp_dir.h"

namespace berth::builder {
namespace {

using testing::Entry;
using testing::MakeTar;
using testing::Reader;

class ExtractTarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.Create("berth-extract"));
    dir_ = tmp_.path() + "/ctx";
    ASSERT_EQ(mkdir(dir_.c_str(), 0700), 0);
  }
  // Entries of the tree (relative paths), sorted.
  std::vector<std::string> Tree() {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(tmp_.path())) {
      out.push_back(e.path().string().substr(tmp_.path().size() + 1));
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  testing::TempDir tmp_;
  std::string dir_;
};

TEST_F(ExtractTarTest, ExtractsFilesDirectoriesAndLinksInside) {
  std::string tar = MakeTar({{"Dockerfile", AE_IFREG, "FROM x\n"},
                             {"sub/", AE_IFDIR},
                             {"sub/a.txt", AE_IFREG, "a"},
                             {"sub/link", AE_IFLNK, "", "a.txt"},
                             {"up", AE_IFLNK, "", "sub/../Dockerfile"},
                             {"hard", AE_IFREG, "", "", "sub/a.txt"}});
  ASSERT_TRUE(ExtractTar(Reader(tar), dir_).ok());
  EXPECT_EQ(Tree(), (std::vector<std::string>{"ctx", "ctx/Dockerfile", "ctx/hard", "ctx/sub", "ctx/sub/a.txt",
                                              "ctx/sub/link", "ctx/up"}));
  std::ifstream f(dir_ + "/hard");
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_EQ(ss.str(), "a");
}

TEST_F(ExtractTarTest, TakesGzipAndAnArchiveWithoutEndBlocks) {
  ASSERT_TRUE(ExtractTar(Reader(MakeTar({{"a", AE_IFREG, "gz"}}, /*gzip=*/true)), dir_).ok());
  // As the docker CLI sends `docker build -f - DIR`: the last file's data,
  // then nothing (no padding, no end blocks).
  std::string tar = MakeTar({{"b", AE_IFREG, "x"}, {"c", AE_IFREG, "last"}});
  tar.resize(512 + 512 + 512 + 4);
  ASSERT_TRUE(ExtractTar(Reader(tar), dir_).ok());
  EXPECT_EQ(Tree(), (std::vector<std::string>{"ctx", "ctx/a", "ctx/b", "ctx/c"}));
  EXPECT_EQ(std::filesystem::file_size(dir_ + "/c"), 4u);
}

TEST_F(ExtractTarTest, RefusesEscapes) {
  struct Case {
    std::vector<Entry> entries;
    std::string message;
  };
  std::vector<Case> cases = {
      {{{"../x", AE_IFREG, "x"}}, "path leaves the context"},
      {{{"a/../../x", AE_IFREG, "x"}}, "path leaves the context"},
      {{{"/etc/x", AE_IFREG, "x"}}, "absolute path"},
      {{{"l", AE_IFLNK, "", "/etc"}}, "symbolic link to an absolute path"},
      {{{"d/l", AE_IFLNK, "", "../../x"}}, "symbolic link leaving the context"},
      {{{"l", AE_IFLNK, "", "sub"}, {"l/f", AE_IFREG, "x"}}, "is a symbolic link"},
      {{{"h", AE_IFREG, "", "", "../outside"}}, "path leaves the context"},
      {{{"h", AE_IFREG, "", "", "never-seen"}}, "not a file of the context"},
      {{{"dev", AE_IFCHR}}, "devices, FIFOs and sockets are not allowed"},
      {{{"fifo", AE_IFIFO}}, "devices, FIFOs and sockets are not allowed"},
      {{{"d/", AE_IFDIR}, {"d/x", AE_IFREG, "x"}, {"d", AE_IFREG, "x"}},
       "replaces an earlier entry that is a directory"},
  };
  for (const auto& c : cases) {
    std::filesystem::remove_all(dir_);
    ASSERT_EQ(mkdir(dir_.c_str(), 0700), 0);
    Status s = ExtractTar(Reader(MakeTar(c.entries)), dir_);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << c.entries[0].path;
    EXPECT_NE(s.message().find(c.message), std::string::npos) << s.message();
    for (const auto& p : Tree()) EXPECT_TRUE(p == "ctx" || p.starts_with("ctx/")) << p;
  }
}

TEST_F(ExtractTarTest, BoundsTheData) {
  std::string tar = MakeTar({{"big", AE_IFREG, std::string(4096, 'x')}});
  Status s = ExtractTar(Reader(tar), dir_, 1000);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("more than 1000 bytes"), std::string::npos) << s.message();
  EXPECT_EQ(ExtractTar(Reader("not a tar at all, certainly not"), dir_).code(), Code::kInvalidArgument);
}

TEST(ParseChownTest, NumbersAndNamesFromTheImage) {
  int reads = 0;
  auto files = [&](const std::string& path) -> Result<std::string> {
    ++reads;
    if (path == "/etc/passwd") return std::string("root:x:0:0::/root:/bin/sh\nwww:x:33:44::/:/bin/false\n");
    if (path == "/etc/group") return std::string("root:x:0:\nwww:x:55:\nstaff:x:50:\n");
    return NotFound("open " + path + ": no such file or directory");
  };
  auto o = ParseChown("12:34", files);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->uid, 12u);
  EXPECT_EQ(o->gid, 34u);
  o = ParseChown("5", files);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->gid, 5u);
  EXPECT_EQ(reads, 0);
  o = ParseChown("www", files);  // the group of the same name, not the user's primary group
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->uid, 33u);
  EXPECT_EQ(o->gid, 55u);
  o = ParseChown("1:staff", files);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->gid, 50u);
  Result<Owner> bad = ParseChown("nobody", files);
  EXPECT_EQ(bad.status().message(),
            "unable to convert uid/gid chown string to host mapping: can't find uid for user nobody: no such user: "
            "nobody");
  EXPECT_EQ(ParseChown("1:2:3", files).status().message(), "invalid chown string format: 1:2:3");
  auto none = [](const std::string& path) -> Result<std::string> {
    return NotFound("open " + path + ": no such file or directory");
  };
  EXPECT_EQ(ParseChown("www", none).status().code(), Code::kInvalidArgument);
}

TEST(LooksLikeArchiveTest, MagicAndUstar) {
  EXPECT_TRUE(LooksLikeArchive("\x1f\x8b rest"));
  EXPECT_TRUE(LooksLikeArchive(MakeTar({{"f", AE_IFREG, "x"}}).substr(0, 512)));
  EXPECT_FALSE(LooksLikeArchive("plain text file"));
}

}  // namespace
}  // namespace berth::builder
