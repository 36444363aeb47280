// ExtractTarInto and WriteTreeTar: confinement to the tree (attacks by
// hostile archives and by links already in the tree), Docker's overwrite
// rules, and the names WriteTreeTar gives.
#include "berth/tree_archive.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/unique_fd.h"
#include "testing/tar_entries.h"
#include "testing/temp_dir.h"

namespace berth {
namespace {

using testing::Entry;
using testing::MakeTar;
using testing::Reader;

class TreeArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.Create("berth-tree"));
    root_ = tmp_.path() + "/root";
    outside_ = tmp_.path() + "/outside";
    std::filesystem::create_directories(root_ + "/etc");
    std::filesystem::create_directories(outside_);
    Write(outside_ + "/secret", "host");
    root_fd_ = UniqueFd(::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(root_fd_.valid());
  }

  static void Write(const std::string& path, const std::string& data) { std::ofstream(path) << data; }
  static std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  // docker cp's options: links of the tree followed inside the root.
  static TreeExtractOptions CpOptions() {
    TreeExtractOptions o;
    o.resolve_in_root = true;
    o.any_symlink_target = true;
    o.keep_modes_and_times = true;
    return o;
  }

  Status Extract(const std::vector<Entry>& entries, const std::string& dest = "/",
                 const TreeExtractOptions& o = CpOptions()) {
    return ExtractTarInto(Reader(MakeTar(entries)), root_fd_.get(), dest, o);
  }

  // Every path under the temporary directory outside the root.
  std::vector<std::string> Outside() {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(outside_)) out.push_back(e.path().string());
    return out;
  }

  testing::TempDir tmp_;
  std::string root_, outside_;
  UniqueFd root_fd_;
};

TEST_F(TreeArchiveTest, FollowsTheTreesOwnLinksInsideTheRoot) {
  // An absolute link of the container leads to the container's /etc, never
  // the host's; so does a link climbing above the root.
  std::filesystem::create_symlink("/etc", root_ + "/abs");
  std::filesystem::create_symlink("../../../../../../etc", root_ + "/climb");
  ASSERT_TRUE(Extract({{"abs/a", AE_IFREG, "1"}, {"climb/b", AE_IFREG, "2"}}).ok());
  EXPECT_EQ(Read(root_ + "/etc/a"), "1");
  EXPECT_EQ(Read(root_ + "/etc/b"), "2");
  // The destination itself resolves the same way.
  ASSERT_TRUE(Extract({{"c", AE_IFREG, "3"}}, "/abs").ok());
  EXPECT_EQ(Read(root_ + "/etc/c"), "3");
  EXPECT_FALSE(std::filesystem::exists("/etc/c") && Read("/etc/c") == "3");
}

TEST_F(TreeArchiveTest, ReplacesALinkOfTheTreeInsteadOfWritingThroughIt) {
  std::filesystem::create_symlink(outside_ + "/secret", root_ + "/victim");
  ASSERT_TRUE(Extract({{"victim", AE_IFREG, "container"}}).ok());
  EXPECT_EQ(Read(outside_ + "/secret"), "host");
  EXPECT_TRUE(std::filesystem::is_regular_file(std::filesystem::symlink_status(root_ + "/victim")));
  EXPECT_EQ(Read(root_ + "/victim"), "container");
}

TEST_F(TreeArchiveTest, RefusesHostileArchives) {
  struct Case {
    std::vector<Entry> entries;
    std::string message;
  };
  std::string out = outside_;
  std::vector<Case> cases = {
      {{{"../x", AE_IFREG, "x"}}, "path leaves the archive"},
      {{{"a/../../x", AE_IFREG, "x"}}, "path leaves the archive"},
      {{{"/x", AE_IFREG, "x"}}, "absolute path"},
      // An absolute link, then a write through it.
      {{{"l", AE_IFLNK, "", out}, {"l/x", AE_IFREG, "x"}}, "a parent is a symbolic link of the archive"},
      {{{"l", AE_IFLNK, "", "/"}, {"l/etc/x", AE_IFREG, "x"}}, "a parent is a symbolic link of the archive"},
      {{{"d/", AE_IFDIR}, {"d/l", AE_IFLNK, "", "../../.."}, {"d/l/x", AE_IFREG, "x"}},
       "a parent is a symbolic link of the archive"},
      {{{"h", AE_IFREG, "", "", out + "/secret"}}, "absolute path"},
      {{{"h", AE_IFREG, "", "", "../outside/secret"}}, "path leaves the archive"},
      {{{"h", AE_IFREG, "", "", "etc"}}, "not a file of the archive"},
      {{{"dev", AE_IFCHR}}, "devices, FIFOs and sockets are not allowed"},
      {{{"blk", AE_IFBLK}}, "devices, FIFOs and sockets are not allowed"},
      {{{"fifo", AE_IFIFO}}, "devices, FIFOs and sockets are not allowed"},
  };
  for (const auto& c : cases) {
    Status s = Extract(c.entries);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << c.entries.back().path << ": " << s.message();
    EXPECT_NE(s.message().find(c.message), std::string::npos) << s.message();
    EXPECT_EQ(Outside(), std::vector<std::string>{outside_ + "/secret"});
    EXPECT_EQ(Read(outside_ + "/secret"), "host");
    EXPECT_FALSE(std::filesystem::exists(root_ + "/x"));
  }
}

TEST_F(TreeArchiveTest, BoundsTheDataAndTheEntries) {
  TreeExtractOptions o = CpOptions();
  o.max_bytes = 1000;
  Status s = Extract({{"big", AE_IFREG, std::string(4096, 'x')}}, "/", o);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("more than 1000 bytes"), std::string::npos) << s.message();
  o = CpOptions();
  o.max_entries = 2;
  s = Extract({{"a"}, {"b"}, {"c"}}, "/", o);
  EXPECT_NE(s.message().find("more than 2 entries"), std::string::npos) << s.message();
  EXPECT_EQ(Extract({}, "/").code(), Code::kOk);
}

TEST_F(TreeArchiveTest, NoOverwriteDirNonDirAsDocker) {
  std::filesystem::create_directories(root_ + "/d");
  Write(root_ + "/f", "file");
  TreeExtractOptions o = CpOptions();
  o.no_overwrite_dir_non_dir = true;
  Status s = Extract({{"d", AE_IFREG, "x"}}, "/", o);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("cannot overwrite directory \"d\" with non-directory"), std::string::npos) << s.message();
  s = Extract({{"f/", AE_IFDIR}}, "/", o);
  EXPECT_NE(s.message().find("cannot overwrite non-directory \"f/\" with directory"), std::string::npos) << s.message();
  EXPECT_TRUE(std::filesystem::is_directory(root_ + "/d"));
  EXPECT_EQ(Read(root_ + "/f"), "file");
  // Without the option a file replaces a file, and a directory an empty
  // directory is merged.
  ASSERT_TRUE(Extract({{"f", AE_IFREG, "new"}, {"d/", AE_IFDIR}}).ok());
  EXPECT_EQ(Read(root_ + "/f"), "new");
}

TEST_F(TreeArchiveTest, KeepsOwnersModesAndTimesWhenAsked) {
  if (::geteuid() != 0) GTEST_SKIP() << "chown needs root";
  TreeExtractOptions o = CpOptions();
  o.fixed_owner = true;
  o.uid = 1234;
  o.gid = 5678;
  ASSERT_TRUE(Extract({{"owned", AE_IFREG, "x"}}, "/", o).ok());
  struct stat st;
  ASSERT_EQ(::stat((root_ + "/owned").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 5678u);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
}

// The entries of a tar as "name type [target]" lines.
std::vector<std::string> Listing(const std::string& tar) {
  std::vector<std::string> out;
  struct archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  EXPECT_EQ(archive_read_open_memory(a, tar.data(), tar.size()), ARCHIVE_OK);
  struct archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    std::string line = archive_entry_pathname(e);
    mode_t t = archive_entry_filetype(e);
    line += t == AE_IFDIR ? " dir" : t == AE_IFLNK ? " link " + std::string(archive_entry_symlink(e)) : " file";
    out.push_back(line);
  }
  archive_read_free(a);
  return out;
}

TEST_F(TreeArchiveTest, WriteTreeTarNamesTheTopEntryAndFollowsNothing) {
  std::filesystem::create_directories(root_ + "/d/sub");
  Write(root_ + "/d/sub/f", "data");
  std::filesystem::create_symlink(outside_, root_ + "/d/out");
  auto tar_of = [&](const std::string& name, const std::string& archive_name) {
    std::string tar;
    Status s = WriteTreeTar(root_fd_.get(), name, archive_name, "/test", [&](std::string_view d) {
      tar.append(d);
      return OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s.message();
    return tar;
  };
  EXPECT_EQ(Listing(tar_of("d", "renamed")), (std::vector<std::string>{"renamed/ dir", "renamed/out link " + outside_,
                                                                       "renamed/sub/ dir", "renamed/sub/f file"}));
  EXPECT_EQ(Listing(tar_of("d", "")), (std::vector<std::string>{"out link " + outside_, "sub/ dir", "sub/f file"}));
  EXPECT_EQ(Listing(tar_of("d/out", "out")), (std::vector<std::string>{"out link " + outside_}));
  Status s = WriteTreeTar(root_fd_.get(), "missing", "m", "/test", [](std::string_view) { return OkStatus(); });
  EXPECT_EQ(s.code(), Code::kNotFound);
}

}  // namespace
}  // namespace berth
