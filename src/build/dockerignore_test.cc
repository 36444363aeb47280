// .dockerignore reading and matching.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "berth/dockerignore.h"

namespace berth {
namespace {

using ::testing::ElementsAre;

DockerignoreMatcher Matcher(const std::vector<std::string>& patterns) {
  Result<DockerignoreMatcher> m = DockerignoreMatcher::FromPatterns(patterns);
  EXPECT_TRUE(m.ok()) << m.status().message();
  return m.ok() ? *m : DockerignoreMatcher();
}

bool Excluded(const std::vector<std::string>& patterns, std::string_view path) {
  return Matcher(patterns).Excluded(path);
}

TEST(ReadDockerignore, CommentsBlankLinesCleaningAndExceptions) {
  EXPECT_THAT(ReadDockerignore("\xEF\xBB\xBF# comment\n"
                               "  node_modules  \r\n"
                               "\n"
                               " # not a comment\n"
                               "/abs/./x/\n"
                               "! keep.txt\n"
                               "!/root/../y\n"
                               "/\n"
                               "a/../..\n"),
              ElementsAre("node_modules", "# not a comment", "abs/x", "!keep.txt", "!y", "/", ".."));
}

TEST(DockerignoreMatcher, ExactAndParents) {
  EXPECT_TRUE(Excluded({"foo"}, "foo"));
  EXPECT_TRUE(Excluded({"foo"}, "foo/bar/baz"));  // a parent matches
  EXPECT_FALSE(Excluded({"foo"}, "foobar"));
  EXPECT_FALSE(Excluded({"foo"}, "a/foo"));  // patterns are anchored at the context root
  EXPECT_TRUE(Excluded({"a/b"}, "a/b/c"));
  EXPECT_TRUE(Excluded({"./foo/"}, "foo/x"));
  EXPECT_FALSE(Excluded({"foo"}, "."));
}

TEST(DockerignoreMatcher, Wildcards) {
  EXPECT_TRUE(Excluded({"*.md"}, "README.md"));
  EXPECT_FALSE(Excluded({"*.md"}, "docs/README.md"));
  EXPECT_TRUE(Excluded({"*/*.md"}, "docs/README.md"));
  EXPECT_TRUE(Excluded({"fo?"}, "foo"));
  EXPECT_FALSE(Excluded({"fo?"}, "fo/"));
  EXPECT_TRUE(Excluded({"f?o"}, "f\xC3\xA9o"));  // ? is one character, not one byte
  EXPECT_TRUE(Excluded({"[a-c]x"}, "bx"));
  EXPECT_FALSE(Excluded({"[^a-c]x"}, "bx"));
  EXPECT_TRUE(Excluded({"[^a-c]x"}, "dx"));
  EXPECT_TRUE(Excluded({"a\\*b"}, "a*b"));
  EXPECT_FALSE(Excluded({"a\\*b"}, "axb"));
  EXPECT_TRUE(Excluded({"a.(b)+"}, "a.(b)+"));  // regexp characters are literal
  EXPECT_FALSE(Excluded({"a.b"}, "axb"));
}

TEST(DockerignoreMatcher, DoubleStar) {
  EXPECT_TRUE(Excluded({"**"}, "anything/at/all"));
  EXPECT_TRUE(Excluded({"**/foo"}, "foo"));
  EXPECT_TRUE(Excluded({"**/foo"}, "a/b/foo"));
  EXPECT_TRUE(Excluded({"**/foo"}, "a/foo/x"));
  EXPECT_FALSE(Excluded({"**/foo"}, "a/xfoo"));
  EXPECT_TRUE(Excluded({"**/*.go"}, "a/b/c.go"));
  EXPECT_TRUE(Excluded({"**/*.go"}, "c.go"));
  EXPECT_TRUE(Excluded({"a/**/b"}, "a/b"));
  EXPECT_TRUE(Excluded({"a/**/b"}, "a/x/y/b"));
  EXPECT_FALSE(Excluded({"a/**/b"}, "a/xb"));
  EXPECT_TRUE(Excluded({"a/**"}, "a/x/y"));
  EXPECT_TRUE(Excluded({"a**"}, "abc"));  // a prefix, as in Docker
  EXPECT_TRUE(Excluded({"*/**"}, "x/y"));
}

TEST(DockerignoreMatcher, ExceptionsLastMatchWins) {
  std::vector<std::string> patterns = {"*.md", "!README.md", "docs", "!docs/keep.md", "**/secret*"};
  DockerignoreMatcher m = Matcher(patterns);
  EXPECT_TRUE(m.HasExceptions());
  EXPECT_TRUE(m.Excluded("CHANGES.md"));
  EXPECT_FALSE(m.Excluded("README.md"));
  EXPECT_TRUE(m.Excluded("docs/a.txt"));
  EXPECT_FALSE(m.Excluded("docs/keep.md"));
  EXPECT_TRUE(m.Excluded("src/secret.key"));
  EXPECT_FALSE(m.Excluded("src/main.cc"));
  // An exception before the exclusion it would undo does nothing.
  EXPECT_TRUE(Excluded({"!a.txt", "*.txt"}, "a.txt"));
}

TEST(DockerignoreMatcher, Errors) {
  EXPECT_EQ(DockerignoreMatcher::FromPatterns({"!"}).status().message(), "illegal exclusion pattern: \"!\"");
  for (const char* bad : {"[", "a[", "[a-", "[]", "[]]", "a\\", "[\\", "[z-]"}) {
    Result<DockerignoreMatcher> m = DockerignoreMatcher::FromPatterns({"ok", bad});
    ASSERT_FALSE(m.ok()) << bad;
    EXPECT_EQ(m.status().message(), "syntax error in pattern") << bad;
  }
  EXPECT_TRUE(DockerignoreMatcher::FromPatterns({"", "  ", "[\\]]", "[!]]"}).ok());
}

TEST(KeepBuildFiles, DockerfileAndDockerignoreAlwaysSent) {
  std::vector<std::string> patterns = KeepBuildFiles({"*", "!src"}, "Dockerfile");
  EXPECT_THAT(patterns, ElementsAre("*", "!src", "!.dockerignore", "!Dockerfile"));
  DockerignoreMatcher m = Matcher(patterns);
  EXPECT_FALSE(m.Excluded("Dockerfile"));
  EXPECT_FALSE(m.Excluded(".dockerignore"));
  EXPECT_TRUE(m.Excluded("other"));
  EXPECT_THAT(KeepBuildFiles({"build"}, "build/Dockerfile.dev"), ElementsAre("build", "!build/Dockerfile.dev"));
  EXPECT_FALSE(Matcher(KeepBuildFiles({"build"}, "build/Dockerfile.dev")).Excluded("build/Dockerfile.dev"));
  EXPECT_THAT(KeepBuildFiles({"*.tmp"}, "Dockerfile"), ElementsAre("*.tmp"));
}

}  // namespace
}  // namespace berth
