// ExtractTar and BuildContext on build contexts: what they write, index and
// refuse; PlanCopy's cache digests from an index.
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

#include "berth/digest.h"
#include "berth/dockerfile.h"
#include "builder/internal.h"
#include "testing/tar_entries.h"
#include "testing/temp_dir.h"

namespace berth::builder {
namespace {

using testing::Entry;
using testing::MakeTar;
using testing::Reader;

std::string HexSha256(std::string_view data) {
  Sha256 sha;
  sha.Update(data);
  return sha.Finish().hex();
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
    // The index of a build context refuses the same, writing nothing.
    std::filesystem::remove_all(dir_);
    ASSERT_EQ(mkdir(dir_.c_str(), 0700), 0);
    Result<std::unique_ptr<BuildContext>> ctx = BuildContext::Read(Reader(MakeTar(c.entries)), dir_, {});
    EXPECT_EQ(ctx.status().code(), Code::kInvalidArgument) << c.entries[0].path;
    EXPECT_NE(ctx.status().message().find(c.message), std::string::npos) << ctx.status().message();
    EXPECT_EQ(Tree(), std::vector<std::string>{"ctx"});
  }
}

TEST_F(ExtractTarTest, BoundsTheData) {
  std::string tar = MakeTar({{"big", AE_IFREG, std::string(4096, 'x')}});
  Status s = ExtractTar(Reader(tar), dir_, 1000);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("more than 1000 bytes"), std::string::npos) << s.message();
  EXPECT_EQ(ExtractTar(Reader("not a tar at all, certainly not"), dir_).code(), Code::kInvalidArgument);
}

TEST_F(ExtractTarTest, AdmitsAnyLinkAsIsButNeverWritesThroughOne) {
  // ADD's archives: links are stored as they are.
  ASSERT_TRUE(ExtractTar(Reader(MakeTar({{"abs", AE_IFLNK, "", "/etc/passwd"}, {"d/up", AE_IFLNK, "", "../../x"}})),
                         dir_, kMaxContextBytes, TarLinks::kAsIs)
                  .ok());
  EXPECT_EQ(std::filesystem::read_symlink(dir_ + "/abs"), "/etc/passwd");
  EXPECT_EQ(std::filesystem::read_symlink(dir_ + "/d/up"), "../../x");
  // A later entry through the link is refused; nothing lands outside.
  std::filesystem::remove_all(dir_);
  ASSERT_EQ(mkdir(dir_.c_str(), 0700), 0);
  const std::string outside = tmp_.path() + "/outside";
  ASSERT_EQ(mkdir(outside.c_str(), 0700), 0);
  Status s = ExtractTar(Reader(MakeTar({{"esc", AE_IFLNK, "", outside}, {"esc/pwned", AE_IFREG, "x"}})), dir_,
                        kMaxContextBytes, TarLinks::kAsIs);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("is a symbolic link"), std::string::npos) << s.message();
  EXPECT_TRUE(std::filesystem::is_empty(outside));
  // Over an existing link the entry replaces the link, never its target.
  std::filesystem::remove_all(dir_);
  ASSERT_EQ(mkdir(dir_.c_str(), 0700), 0);
  ASSERT_TRUE(ExtractTar(Reader(MakeTar({{"f", AE_IFLNK, "", outside + "/target"}, {"f", AE_IFREG, "mine"}})), dir_,
                         kMaxContextBytes, TarLinks::kAsIs)
                  .ok());
  EXPECT_TRUE(std::filesystem::is_regular_file(std::filesystem::symlink_status(dir_ + "/f")));
  EXPECT_TRUE(std::filesystem::is_empty(outside));
}

class BuildContextTest : public ExtractTarTest {};

TEST_F(BuildContextTest, IndexesWithoutWritingUntilTheTreeIsNeeded) {
  std::string tar = MakeTar({{"Dockerfile", AE_IFREG, "FROM x\n"},
                             {"sub/", AE_IFDIR},
                             {"sub/a.txt", AE_IFREG, "a"},
                             {"sub/link", AE_IFLNK, "", "a.txt"},
                             {"implicit/deep/f", AE_IFREG, "deep"},
                             {"hard", AE_IFREG, "", "", "sub/a.txt"}});
  Result<std::unique_ptr<BuildContext>> ctx = BuildContext::Read(Reader(tar), dir_, {"./Dockerfile", "absent"});
  ASSERT_TRUE(ctx.ok()) << ctx.status().message();
  BuildContext& c = **ctx;
  EXPECT_EQ(Tree(), std::vector<std::string>{"ctx"});  // nothing written
  EXPECT_FALSE(c.spooled_to_file());
  using Kind = ContextEntry::Kind;
  std::vector<std::string> paths;
  for (const auto& [p, e] : c.index()) paths.push_back(p);
  EXPECT_EQ(paths, (std::vector<std::string>{"Dockerfile", "hard", "implicit", "implicit/deep", "implicit/deep/f",
                                             "sub", "sub/a.txt", "sub/link"}));
  EXPECT_EQ(c.index().at("implicit/deep").kind, Kind::kDirectory);
  EXPECT_EQ(c.index().at("sub/link").kind, Kind::kSymlink);
  EXPECT_EQ(c.index().at("sub/link").link, "a.txt");
  EXPECT_EQ(c.index().at("sub/a.txt").content, HexSha256("a"));
  EXPECT_EQ(c.index().at("hard").content, HexSha256("a"));
  EXPECT_EQ(c.index().at("sub/a.txt").mode, 0644u);
  EXPECT_EQ(c.KeptFile("Dockerfile").value(), "FROM x\n");
  EXPECT_EQ(c.KeptFile("hard").status().code(), Code::kNotFound);       // its target was not kept
  EXPECT_EQ(c.KeptFile("sub/a.txt").status().code(), Code::kNotFound);  // not asked for
  EXPECT_EQ(c.KeptFile("absent").status().code(), Code::kNotFound);
  ASSERT_TRUE(c.Remove("Dockerfile").ok());
  EXPECT_FALSE(c.index().contains("Dockerfile"));
  Result<std::string> tree = c.Tree();
  ASSERT_TRUE(tree.ok()) << tree.status().message();
  EXPECT_TRUE(c.extracted());
  EXPECT_EQ(Tree(), (std::vector<std::string>{"ctx", "ctx/context", "ctx/context/hard", "ctx/context/implicit",
                                              "ctx/context/implicit/deep", "ctx/context/implicit/deep/f",
                                              "ctx/context/sub", "ctx/context/sub/a.txt", "ctx/context/sub/link"}));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/context.tar"));
  EXPECT_FALSE(std::filesystem::exists(*tree + "/Dockerfile"));  // removed before extraction stays removed
  ASSERT_TRUE(c.Remove("sub").ok());                             // and after, from the tree too
  EXPECT_FALSE(std::filesystem::exists(*tree + "/sub"));
  EXPECT_FALSE(c.index().contains("sub/a.txt"));
  EXPECT_EQ(c.Tree().value(), *tree);  // written once
  EXPECT_EQ(c.Remove("../x").code(), Code::kInvalidArgument);
}

TEST_F(BuildContextTest, KeepsAFileThroughAHardLinkAndForgetsAReplacedOne) {
  std::string tar = MakeTar({{"Dockerfile", AE_IFREG, "FROM a\n"},
                             {"df", AE_IFREG, "", "", "Dockerfile"},
                             {".dockerignore", AE_IFREG, "x\n"},
                             {".dockerignore", AE_IFLNK, "", "Dockerfile"}});
  auto ctx = BuildContext::Read(Reader(tar), dir_, {"Dockerfile", "df", ".dockerignore"});
  ASSERT_TRUE(ctx.ok()) << ctx.status().message();
  EXPECT_EQ((*ctx)->KeptFile("df").value(), "FROM a\n");
  EXPECT_EQ((*ctx)->KeptFile(".dockerignore").status().code(), Code::kNotFound);  // now a link
  EXPECT_EQ((*ctx)->index().at(".dockerignore").kind, ContextEntry::Kind::kSymlink);
}

TEST_F(BuildContextTest, ALargeContextGoesToAFileAndExtractsTheSame) {
  std::string big(300 << 10, 'b');
  for (size_t i = 0; i < big.size(); i += 7) big[i] = static_cast<char>('a' + i % 26);
  std::string tar = MakeTar({{"big", AE_IFREG, big}, {"small", AE_IFREG, "s"}}, /*gzip=*/true);
  Result<std::unique_ptr<BuildContext>> ctx =
      BuildContext::Read(Reader(tar), dir_, {}, kMaxContextBytes, /*spool_memory_bytes=*/64 << 10);
  ASSERT_TRUE(ctx.ok()) << ctx.status().message();
  EXPECT_TRUE((*ctx)->spooled_to_file());
  EXPECT_EQ((*ctx)->index().at("big").content, HexSha256(big));
  EXPECT_EQ((*ctx)->index().at("big").size, static_cast<int64_t>(big.size()));
  Result<std::string> tree = (*ctx)->Tree();
  ASSERT_TRUE(tree.ok()) << tree.status().message();
  std::ifstream f(*tree + "/big", std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_TRUE(ss.str() == big);
  // Bounds hold as for ExtractTar.
  std::filesystem::remove_all(dir_);
  ASSERT_EQ(mkdir(dir_.c_str(), 0700), 0);
  EXPECT_NE(BuildContext::Read(Reader(tar), dir_, {}, 1000).status().message().find("more than 1000 bytes"),
            std::string::npos);
}

TEST_F(BuildContextTest, CopyDigestsFollowTheSourcesContents) {
  auto comment = [&](const std::vector<Entry>& entries, const std::string& src) -> std::string {
    std::filesystem::remove_all(dir_);
    EXPECT_EQ(mkdir(dir_.c_str(), 0700), 0);
    auto ctx = BuildContext::Read(Reader(MakeTar(entries)), dir_, {});
    EXPECT_TRUE(ctx.ok()) << ctx.status().message();
    dockerfile::Instruction ins;
    ins.kind = dockerfile::Kind::kCopy;
    ins.words = {src};
    ins.value = "/dst/";
    Result<CopyPlan> plan = PlanCopy(ins, (*ctx)->index(), "");
    EXPECT_TRUE(plan.ok()) << plan.status().message();
    EXPECT_FALSE((*ctx)->extracted());
    return plan.ok() ? plan->comment : "";
  };
  std::vector<Entry> base = {{"d/", AE_IFDIR}, {"d/a", AE_IFREG, "one"}, {"d/b", AE_IFREG, "two"}};
  const std::string dir_digest = comment(base, "d");
  EXPECT_TRUE(dir_digest.starts_with("COPY dir:")) << dir_digest;
  EXPECT_TRUE(dir_digest.ends_with(" in /dst/ ")) << dir_digest;
  EXPECT_EQ(comment(base, "d"), dir_digest);
  EXPECT_NE(comment({{"d/", AE_IFDIR}, {"d/a", AE_IFREG, "one"}, {"d/b", AE_IFREG, "twO"}}, "d"), dir_digest);
  EXPECT_NE(comment({{"d/", AE_IFDIR}, {"d/a", AE_IFREG, "one"}, {"d/c", AE_IFREG, "two"}}, "d"), dir_digest);
  EXPECT_NE(comment({{"d/", AE_IFDIR}, {"d/a", AE_IFREG, "one"}}, "d"), dir_digest);
  // A file elsewhere in the context does not change the directory's digest.
  std::vector<Entry> more = base;
  more.push_back({"other", AE_IFREG, "x"});
  EXPECT_EQ(comment(more, "d"), dir_digest);
  const std::string file_digest = comment(base, "d/a");
  EXPECT_TRUE(file_digest.starts_with("COPY file:")) << file_digest;
  EXPECT_EQ(comment({{"x/", AE_IFDIR}, {"x/a", AE_IFREG, "one"}}, "x/a"), file_digest);  // content, not name
  EXPECT_TRUE(comment(base, "d/*").starts_with("COPY multi:"));
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
