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
#include "testing/temp_dir.h"

namespace berth::builder {
namespace {

struct Entry {
  std::string path;
  mode_t type = AE_IFREG;
  std::string data;      // regular files
  std::string link;      // symlink target
  std::string hardlink;  // hard link target
};

std::string MakeTar(const std::vector<Entry>& entries, bool gzip = false) {
  std::vector<char> buf(1 << 20);
  size_t used = 0;
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (gzip) archive_write_add_filter_gzip(a);
  archive_write_open_memory(a, buf.data(), buf.size(), &used);
  for (const auto& e : entries) {
    struct archive_entry* ae = archive_entry_new();
    archive_entry_set_pathname(ae, e.path.c_str());
    if (!e.hardlink.empty()) {
      archive_entry_set_hardlink(ae, e.hardlink.c_str());
    } else {
      archive_entry_set_filetype(ae, e.type);
      archive_entry_set_perm(ae, e.type == AE_IFDIR ? 0755 : 0644);
      if (e.type == AE_IFLNK) archive_entry_set_symlink(ae, e.link.c_str());
      if (e.type == AE_IFREG) archive_entry_set_size(ae, static_cast<la_int64_t>(e.data.size()));
    }
    archive_write_header(a, ae);
    if (e.type == AE_IFREG && e.hardlink.empty()) archive_write_data(a, e.data.data(), e.data.size());
    archive_entry_free(ae);
  }
  archive_write_close(a);
  archive_write_free(a);
  return std::string(buf.data(), used);
}

ReadFn Reader(std::string data) {
  auto d = std::make_shared<std::string>(std::move(data));
  auto pos = std::make_shared<size_t>(0);
  return [d, pos](char* out, size_t n) -> Result<size_t> {
    size_t k = std::min(n, d->size() - *pos);
    std::memcpy(out, d->data() + *pos, k);
    *pos += k;
    return k;
  };
}

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
