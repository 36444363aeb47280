// Table-driven tests of the reference grammar, normalisation, familiar forms
// and the path.Match-based reference filter. Expected values follow Docker's
// distribution/reference and Go's path.Match behaviour.

#include "berth/reference.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace berth {
namespace {

const std::string kHex = "e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582";
const std::string kDigest = "sha256:" + kHex;

std::string Repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out.append(s);
  return out;
}

std::string Upper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

std::string DigestString(const Reference& r) { return r.digest ? r.digest->str() : std::string(); }

// ---------------------------------------------------------------------------
// ParseNormalizedNamed: valid inputs.

struct ValidCase {
  std::string input;
  std::string domain;
  std::string path;
  std::string tag;
  std::string digest;
  std::string familiar;  // Reference::Familiar()
};

TEST(ParseNormalizedNamed, ValidInputs) {
  const std::string long_tag = Repeat("t", 128);
  const std::vector<ValidCase> cases = {
      {"busybox", "docker.io", "library/busybox", "", "", "busybox"},
      {"library/busybox", "docker.io", "library/busybox", "", "", "busybox"},
      {"docker.io/busybox", "docker.io", "library/busybox", "", "", "busybox"},
      {"docker.io/library/busybox", "docker.io", "library/busybox", "", "", "busybox"},
      {"index.docker.io/library/busybox", "docker.io", "library/busybox", "", "", "busybox"},
      {"index.docker.io/busybox", "docker.io", "library/busybox", "", "", "busybox"},
      {"busybox:latest", "docker.io", "library/busybox", "latest", "", "busybox:latest"},
      {"busybox:1.36.1-glibc", "docker.io", "library/busybox", "1.36.1-glibc", "",
       "busybox:1.36.1-glibc"},
      {"busybox:_under", "docker.io", "library/busybox", "_under", "", "busybox:_under"},
      {"busybox:Latest_V1.0", "docker.io", "library/busybox", "Latest_V1.0", "",
       "busybox:Latest_V1.0"},
      {"busybox:" + long_tag, "docker.io", "library/busybox", long_tag, "", "busybox:" + long_tag},
      {"user/app", "docker.io", "user/app", "", "", "user/app"},
      {"user/app:v1", "docker.io", "user/app", "v1", "", "user/app:v1"},
      {"index.docker.io/user/app:v2", "docker.io", "user/app", "v2", "", "user/app:v2"},
      {"docker.io/library/a/b", "docker.io", "library/a/b", "", "", "library/a/b"},
      {"other/library", "docker.io", "other/library", "", "", "other/library"},
      {"localhost/app", "localhost", "app", "", "", "localhost/app"},
      {"localhost:5000/a/b:tag", "localhost:5000", "a/b", "tag", "", "localhost:5000/a/b:tag"},
      {"127.0.0.1:5055/test:1", "127.0.0.1:5055", "test", "1", "", "127.0.0.1:5055/test:1"},
      {"[::1]:5000/x", "[::1]:5000", "x", "", "", "[::1]:5000/x"},
      {"[2001:db8::1]/repo:tag", "[2001:db8::1]", "repo", "tag", "", "[2001:db8::1]/repo:tag"},
      {"[fc00:1:2:3:4:5:6:7]:5000/library/debian", "[fc00:1:2:3:4:5:6:7]:5000", "library/debian",
       "", "", "[fc00:1:2:3:4:5:6:7]:5000/library/debian"},
      {"example.com/foo/bar/baz", "example.com", "foo/bar/baz", "", "", "example.com/foo/bar/baz"},
      {"quay.io/library/x", "quay.io", "library/x", "", "", "quay.io/library/x"},
      {"sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux",
       "some-long-tag", "", "sub-dom1.foo.com/bar/baz/quux:some-long-tag"},
      {"xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo", "", "", "xn--n3h.com:18080/foo"},
      {"test-com:8080/foo", "test-com:8080", "foo", "", "", "test-com:8080/foo"},
      // Upper case in the first component makes it a domain, which may be
      // upper case.
      {"Example.com/foo", "Example.com", "foo", "", "", "Example.com/foo"},
      {"Foo/bar", "Foo", "bar", "", "", "Foo/bar"},
      {"FOO/bar", "FOO", "bar", "", "", "FOO/bar"},
      // Looks like a domain (has a '.') but is not a valid one: the grammar
      // then reads the whole name as a path, with no domain at all.
      {"foo_bar.com/x", "", "foo_bar.com/x", "", "", "foo_bar.com/x"},
      {"test_com/foo", "docker.io", "test_com/foo", "", "", "test_com/foo"},
      {"foo__bar", "docker.io", "library/foo__bar", "", "", "foo__bar"},
      {"foo-----bar/a.b_c", "docker.io", "foo-----bar/a.b_c", "", "", "foo-----bar/a.b_c"},
      {"docker---rules/docker", "docker.io", "docker---rules/docker", "", "", "docker---rules/docker"},
      {"d/docker", "docker.io", "d/docker", "", "", "d/docker"},
      {"foo.bar", "docker.io", "library/foo.bar", "", "", "foo.bar"},
      // A single component is never a domain: the ":5000" is a tag.
      {"localhost", "docker.io", "library/localhost", "", "", "localhost"},
      {"localhost:5000", "docker.io", "library/localhost", "5000", "", "localhost:5000"},
      {"example.com:5000", "docker.io", "library/example.com", "5000", "", "example.com:5000"},
      {"192.168.0.1", "docker.io", "library/192.168.0.1", "", "", "192.168.0.1"},
      // Hex names are fine when not exactly 64 characters, or with a domain.
      {"docker.io/" + kHex, "docker.io", "library/" + kHex, "", "", kHex},
      {kHex.substr(1), "docker.io", "library/" + kHex.substr(1), "", "", kHex.substr(1)},
      {"name@" + kDigest, "docker.io", "library/name", "", kDigest, "name@" + kDigest},
      {"name:tag@" + kDigest, "docker.io", "library/name", "tag", kDigest, "name:tag@" + kDigest},
      {"gcr.io/proj/img@" + kDigest, "gcr.io", "proj/img", "", kDigest, "gcr.io/proj/img@" + kDigest},
      // The 255-character limit applies to the path alone.
      {Repeat("a", 247), "docker.io", "library/" + Repeat("a", 247), "", "", Repeat("a", 247)},
      {"example.com/" + Repeat("a", 255), "example.com", Repeat("a", 255), "", "",
       "example.com/" + Repeat("a", 255)},
  };
  for (const ValidCase& c : cases) {
    SCOPED_TRACE("input: " + c.input);
    Result<Reference> r = ParseNormalizedNamed(c.input);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->domain, c.domain);
    EXPECT_EQ(r->path, c.path);
    EXPECT_EQ(r->tag, c.tag);
    EXPECT_EQ(DigestString(*r), c.digest);
    EXPECT_TRUE(r->has_name());
    std::string name = c.domain.empty() ? c.path : c.domain + "/" + c.path;
    EXPECT_EQ(r->Name(), name);
    std::string full = name;
    if (!c.tag.empty()) full += ":" + c.tag;
    if (!c.digest.empty()) full += "@" + c.digest;
    EXPECT_EQ(r->String(), full);
    EXPECT_EQ(r->Familiar(), c.familiar);
    // The normalised string is canonical and parses back to the same value.
    Result<Reference> again = ParseNamed(r->String());
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ(*again, *r);
  }
}

// ---------------------------------------------------------------------------
// ParseNormalizedNamed: invalid inputs and Docker's exact messages.

struct ErrorCase {
  std::string input;
  std::string message;
};

constexpr char kInvalid[] = "invalid reference format";
constexpr char kTooLong[] = "repository name must not be more than 255 characters";

TEST(ParseNormalizedNamed, InvalidInputs) {
  const std::vector<ErrorCase> cases = {
      {"", kInvalid},
      {"-", kInvalid},
      {"-docker", kInvalid},
      {"-docker/docker", kInvalid},
      {"docker-/docker", kInvalid},
      {"-docker.io/docker/docker", kInvalid},
      {"_docker/_docker", kInvalid},
      {"____/____", kInvalid},
      {"dock..er/docker", kInvalid},
      {"dock_.er/docker", kInvalid},
      {"dock-.er/docker", kInvalid},
      {"foo___bar", kInvalid},
      {"foo/", kInvalid},
      {"foo//bar", kInvalid},
      {"/foo", kInvalid},
      {"docker///docker", kInvalid},
      {"docker.io/docker///docker", kInvalid},
      {"a:b:c", kInvalid},
      {"a/b:c/d", kInvalid},
      {":justtag", kInvalid},
      {"busybox:", kInvalid},
      {"busybox@", kInvalid},
      {"@" + kDigest, kInvalid},
      {"busybox:.tag", kInvalid},
      {"busybox:-tag", kInvalid},
      {"busybox:" + Repeat("t", 129), kInvalid},
      {"busybox:tag:tag", kInvalid},
      {"foo bar", kInvalid},
      {"aa/asdf$$^/aa", kInvalid},
      {"https://github.com/docker/docker", kInvalid},
      {"[fc00::1]", kInvalid},
      {"[fc00::1]:5000", kInvalid},
      {"fc00::1:5000/debian", kInvalid},
      {"[fe80::1%eth0]:5000/debian", kInvalid},
      {"[2001:db8:3:4::192.0.2.33]:5000/debian", kInvalid},
      {"[]:5000/x", kInvalid},
      {"localhost:abc/x", kInvalid},
      {"example.com:/x", kInvalid},
      {"-example.com/x", kInvalid},
      {"busyb\xc3\xb3x", kInvalid},  // lower-case but not ASCII
      {"name@sha256:short", kInvalid},
      {"name@sha256:" + kHex.substr(0, 31), kInvalid},
      // Upper case in the repository part, reported with the remote name.
      {"Foo", "invalid reference format: repository name (library/Foo) must be lowercase"},
      {"UPPER", "invalid reference format: repository name (library/UPPER) must be lowercase"},
      {"Uppercase:tag",
       "invalid reference format: repository name (library/Uppercase) must be lowercase"},
      {"user/Repo", "invalid reference format: repository name (user/Repo) must be lowercase"},
      {"docker.io/docker/Docker",
       "invalid reference format: repository name (docker/Docker) must be lowercase"},
      {"test:5000/Uppercase/lowercase:tag",
       "invalid reference format: repository name (Uppercase/lowercase) must be lowercase"},
      // The remote name is cut at the first ':', which here is the digest's.
      {"name@SHA256:" + kHex,
       "invalid reference format: repository name (library/name@SHA256) must be lowercase"},
      {"\xc3\x89" "box",
       "invalid reference format: repository name (library/\xc3\x89" "box) must be lowercase"},
      {"bad\xff", "invalid reference format: repository name (library/bad\xff) must be lowercase"},
      // An upper-case "domain" that is not a valid one.
      {"Foo_Bar/x", "repository name must be lowercase"},
      {kHex, "invalid repository name (" + kHex + "), cannot specify 64-byte hexadecimal strings"},
      {"name@sha256:" + kHex.substr(0, 32), "invalid checksum digest length"},
      {"name@sha256:" + kHex + "00", "invalid checksum digest length"},
      {"name@sha256:" + Upper(kHex), "invalid checksum digest format"},
      {"name@md5:" + kHex.substr(0, 32), "unsupported digest algorithm"},
      {"validname@invaliddigest:" + Repeat("f", 64), "unsupported digest algorithm"},
      {Repeat("a", 248), kTooLong},
      {Repeat("a", 256), kTooLong},
      {"example.com/" + Repeat("a", 256), kTooLong},
      {Repeat("a", 250) + "/docker", kTooLong},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE("input: " + c.input);
    Result<Reference> r = ParseNormalizedNamed(c.input);
    ASSERT_FALSE(r.ok()) << r->String();
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(r.status().message(), c.message);
  }
}

// ---------------------------------------------------------------------------
// ParseReference (Go's reference.Parse): no normalisation.

TEST(ParseReference, GrammarWithoutNormalisation) {
  const std::vector<ValidCase> valid = {
      {"test_com", "", "test_com", "", "", "test_com"},
      {"test.com:tag", "", "test.com", "tag", "", "test.com:tag"},
      {"test.com:5000", "", "test.com", "5000", "", "test.com:5000"},
      {"test_com/foo", "", "test_com/foo", "", "", "test_com/foo"},
      // Leftmost-first: a valid first component is the domain.
      {"foo/foo_bar.com:8080", "foo", "foo_bar.com", "8080", "", "foo/foo_bar.com:8080"},
      {"test:5000/repo:tag@" + kDigest, "test:5000", "repo", "tag", kDigest,
       "test:5000/repo:tag@" + kDigest},
      {"192.168.1.1:5000/repo:5050", "192.168.1.1:5000", "repo", "5050", "",
       "192.168.1.1:5000/repo:5050"},
      {"lowercase:Uppercase", "", "lowercase", "Uppercase", "", "lowercase:Uppercase"},
      {Repeat("a/", 127) + "a:tag", "a", Repeat("a/", 126) + "a", "tag", "",
       Repeat("a/", 127) + "a:tag"},
  };
  for (const ValidCase& c : valid) {
    SCOPED_TRACE("input: " + c.input);
    Result<Reference> r = ParseReference(c.input);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->domain, c.domain);
    EXPECT_EQ(r->path, c.path);
    EXPECT_EQ(r->tag, c.tag);
    EXPECT_EQ(DigestString(*r), c.digest);
    EXPECT_EQ(r->String(), c.input);
  }
  const std::vector<ErrorCase> invalid = {
      {"", "repository name must have at least one component"},
      {"Uppercase:tag", "repository name must be lowercase"},
      {"test:5000/Uppercase/lowercase:tag", "repository name must be lowercase"},
      // KELVIN SIGN lower-cases to ASCII 'k' in Go.
      {"\xe2\x84\xaa" "ube", "repository name must be lowercase"},
      {"domain/" + Repeat("a", 256) + ":tag", kTooLong},
      {"aa/asdf$$^/aa", kInvalid},
      {"[2001:db8::1]", kInvalid},
      {"[2001:db8::1]:5000", kInvalid},
      {"[2001:db8::1]:tag", kInvalid},
      {"repo@sha256:" + Repeat("f", 34), "invalid checksum digest length"},
  };
  for (const ErrorCase& c : invalid) {
    SCOPED_TRACE("input: " + c.input);
    Result<Reference> r = ParseReference(c.input);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(r.status().message(), c.message);
  }
}

// ---------------------------------------------------------------------------
// ParseNamed: canonical names only.

TEST(ParseNamed, AcceptsOnlyCanonicalNames) {
  for (const std::string& s : std::vector<std::string>{"docker.io/library/busybox", "docker.io/library/busybox:latest",
                        "docker.io/user/app@" + kDigest, "localhost:5000/x", "test.com/foo",
                        "test:8080/foo", "foo_bar.com/x"}) {
    SCOPED_TRACE(s);
    Result<Reference> r = ParseNamed(s);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->String(), s);
  }
  for (const std::string& s : std::vector<std::string>{"busybox", "library/busybox", "docker.io/busybox",
                        "index.docker.io/library/busybox", "test_com/foo", "test.com",
                        "busybox:latest", "moby-dangling@" + kDigest}) {
    SCOPED_TRACE(s);
    Result<Reference> r = ParseNamed(s);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(r.status().message(), "repository name must be canonical");
  }
  Result<Reference> upper = ParseNamed("Foo");
  ASSERT_FALSE(upper.ok());
  EXPECT_EQ(upper.status().message(),
            "invalid reference format: repository name (library/Foo) must be lowercase");
}

// ---------------------------------------------------------------------------
// ParseAnyReference.

TEST(ParseAnyReference, DigestsIdsAndNames) {
  struct Case {
    std::string input;
    bool named;
    std::string string;
  };
  const std::vector<Case> cases = {
      {kHex, false, kDigest},
      {kDigest, false, kDigest},
      {"redis", true, "docker.io/library/redis"},
      {"redis:latest", true, "docker.io/library/redis:latest"},
      {"dmcgowan/myapp@" + kDigest, true, "docker.io/dmcgowan/myapp@" + kDigest},
      {kHex.substr(1), true, "docker.io/library/" + kHex.substr(1)},
      {"dbcc1", true, "docker.io/library/dbcc1"},
      // Not a valid digest, so it is a name with a tag.
      {"sha256:" + kHex.substr(1), true, "docker.io/library/sha256:" + kHex.substr(1)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.input);
    Result<Reference> r = ParseAnyReference(c.input);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->has_name(), c.named);
    EXPECT_EQ(r->String(), c.string);
    if (!c.named) {
      EXPECT_TRUE(r->has_digest());
      EXPECT_EQ(r->Name(), "");
      EXPECT_EQ(r->FamiliarName(), "");
      EXPECT_EQ(r->Familiar(), kDigest);
      EXPECT_EQ(r->domain, "");
      EXPECT_EQ(r->path, "");
    }
  }
  Result<Reference> bad = ParseAnyReference("");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), kInvalid);
}

// ---------------------------------------------------------------------------
// Familiar forms.

TEST(FamiliarString, StripsDefaultDomainAndLibrary) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"docker.io/library/busybox:latest", "busybox:latest"},
      {"docker.io/library/busybox", "busybox"},
      {"docker.io/user/app:v1", "user/app:v1"},
      {"docker.io/library/a/b:t", "library/a/b:t"},
      {"docker.io/library/busybox:latest@" + kDigest, "busybox:latest@" + kDigest},
      {"docker.io/library/busybox@" + kDigest, "busybox@" + kDigest},
      {"localhost:5000/x:y", "localhost:5000/x:y"},
      {"quay.io/library/x", "quay.io/library/x"},
      {"moby-dangling@" + kDigest, "moby-dangling@" + kDigest},
      {"not a name", "not a name"},
      {"", ""},
  };
  for (const auto& [in, want] : cases) {
    SCOPED_TRACE(in);
    EXPECT_EQ(FamiliarString(in), want);
  }
}

TEST(Reference, FamiliarNameDropsTagAndDigest) {
  Result<Reference> r = ParseNormalizedNamed("busybox:1@" + kDigest);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->FamiliarName(), "busybox");
  EXPECT_EQ(r->Familiar(), "busybox:1@" + kDigest);
  EXPECT_EQ(r->Name(), "docker.io/library/busybox");
  EXPECT_EQ(r->String(), "docker.io/library/busybox:1@" + kDigest);
  EXPECT_EQ(Reference().String(), "");
}

// ---------------------------------------------------------------------------
// TagNameOnly and WithTag.

TEST(TagNameOnly, AddsLatestOnlyToBareNames) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"busybox", "docker.io/library/busybox:latest"},
      {"library/busybox", "docker.io/library/busybox:latest"},
      {"gcr.io/library/busybox", "gcr.io/library/busybox:latest"},
      {"busybox:1", "docker.io/library/busybox:1"},
      {"busybox@" + kDigest, "docker.io/library/busybox@" + kDigest},
      {kHex, kDigest},
  };
  for (const auto& [in, want] : cases) {
    SCOPED_TRACE(in);
    Result<Reference> r = ParseAnyReference(in);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(TagNameOnly(*r).String(), want);
  }
}

TEST(WithTag, ValidatesTag) {
  Result<Reference> r = ParseNormalizedNamed("busybox@" + kDigest);
  ASSERT_TRUE(r.ok());
  Result<Reference> tagged = WithTag(*r, "v1");
  ASSERT_TRUE(tagged.ok());
  EXPECT_EQ(tagged->String(), "docker.io/library/busybox:v1@" + kDigest);
  for (const std::string& bad : std::vector<std::string>{"", "-foo", ".foo", "a/b", "a:b", Repeat("x", 129)}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(IsValidTag(bad));
    Result<Reference> t = WithTag(*r, bad);
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.status().message(), "invalid tag format");
  }
  for (const std::string& good : std::vector<std::string>{"a", "_", "V1.0-rc_1", Repeat("x", 128)}) {
    EXPECT_TRUE(IsValidTag(good)) << good;
  }
  Result<Reference> digest_only = ParseAnyReference(kHex);
  ASSERT_TRUE(digest_only.ok());
  EXPECT_FALSE(WithTag(*digest_only, "v1").ok());
}

// ---------------------------------------------------------------------------
// Short IDs and dangling names.

TEST(IsShortId, FourToSixtyFourLowerHex) {
  const std::vector<std::pair<std::string, bool>> cases = {
      {"abcd", true},
      {"sha256:abcd", true},
      {"0123456789ab", true},
      {kHex, true},
      {kDigest, true},
      {"abc", false},
      {"sha256:abc", false},
      {kHex + "0", false},
      {"sha256:" + kHex + "0", false},
      {"ABCD", false},
      {"abcg", false},
      {"", false},
      {"sha256:", false},
      {"sha512:abcd", false},
      {" abcd", false},
      {"busybox", false},
  };
  for (const auto& [in, want] : cases) {
    EXPECT_EQ(IsShortId(in), want) << in;
  }
}

TEST(Dangling, NameRoundTrip) {
  Result<Digest> d = Digest::Parse(kDigest);
  ASSERT_TRUE(d.ok());
  std::string name = DanglingName(*d);
  EXPECT_EQ(name, "moby-dangling@" + kDigest);
  EXPECT_TRUE(IsDanglingName(name));
  EXPECT_FALSE(IsDanglingName("busybox"));
  EXPECT_FALSE(IsDanglingName("docker.io/library/busybox:latest"));
  EXPECT_FALSE(IsDanglingName("docker.io/library/moby-dangling@" + kDigest));
  EXPECT_FALSE(IsDanglingName(""));
}

// ---------------------------------------------------------------------------
// ReferenceMatches (Docker's FamiliarMatch).

TEST(ReferenceMatches, GlobsOverFamiliarForms) {
  struct Case {
    std::string pattern;
    std::string ref;
    bool want;
  };
  const std::vector<Case> cases = {
      {"foo/**/ba[rz]", "foo", false},
      {"foo/**/ba[rz]", "foo/any/bat", false},
      {"foo/**/ba[rz]", "foo/a/bar", true},
      {"foo/**/ba[rz]", "foo/b/baz", true},
      {"foo/**/ba[rz]", "foo/c/baz:tag", true},  // via the name without tag
      {"foo/*/baz:tag", "foo/c/baz:tag", true},
      {"foo/c/baz:tag", "foo/c/baz:tag", true},
      {"*/foo/c/baz", "example.com/foo/c/baz:tag", true},
      {"example.com/foo/c/baz", "example.com/foo/c/baz:tag", true},
      {"busybox", "busybox:latest", true},
      {"busybox:*", "busybox:latest", true},
      {"busybox:latest", "busybox:latest", true},
      {"busybox:1*", "busybox:latest", false},
      {"busy*", "busybox:latest", true},
      {"busy*", "docker.io/library/busybox", true},
      {"*", "user/app:v1", false},
      {"*/*", "user/app:v1", true},
      {"user/*", "user/app:v1", true},
      {"docker.io/library/busybox", "busybox", false},
      {"library/busybox", "busybox", false},
      {"busybox:1.?", "busybox:1.3", true},
      {"busybox:1.?", "busybox:1.36", false},
      {"[a-c]usybox", "busybox", true},
      {"[^b]usybox", "busybox", false},
      {"b\\usybox", "busybox", true},
      {"[-x]", "foo", false},  // malformed pattern never matches
      {"busybox@sha256:*", "busybox@" + kDigest, true},
      {"busybox", "busybox@" + kDigest, true},
      {"localhost:5000/*", "localhost:5000/app:1", true},
      {"localhost:5000/*:1", "localhost:5000/app:1", true},
      {"localhost:5000/*:2", "localhost:5000/app:1", false},
      {"sha256:*", kHex, true},
      {"*", kHex, true},  // "sha256:<hex>" has no '/'
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.pattern + " vs " + c.ref);
    Result<Reference> r = ParseAnyReference(c.ref);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(ReferenceMatches(c.pattern, *r), c.want);
  }
}

// ---------------------------------------------------------------------------
// PathMatch (Go's path.Match).

TEST(PathMatch, GoSemantics) {
  struct Case {
    std::string pattern;
    std::string name;
    bool want;
    bool bad;  // malformed pattern
  };
  const std::vector<Case> cases = {
      {"abc", "abc", true, false},
      {"*", "abc", true, false},
      {"*c", "abc", true, false},
      {"a*", "a", true, false},
      {"a*", "abc", true, false},
      {"a*", "ab/c", false, false},
      {"a*/b", "abc/b", true, false},
      {"a*/b", "a/c/b", false, false},
      {"a*b*c*d*e*/f", "axbxcxdxe/f", true, false},
      {"a*b*c*d*e*/f", "axbxcxdxexxx/f", true, false},
      {"a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false, false},
      {"a*b*c*d*e*/f", "axbxcxdxexxx/fff", false, false},
      {"a*b?c*x", "abxbbxdbxebxczzx", true, false},
      {"a*b?c*x", "abxbbxdbxebxczzy", false, false},
      {"ab[c]", "abc", true, false},
      {"ab[b-d]", "abc", true, false},
      {"ab[e-g]", "abc", false, false},
      {"ab[^c]", "abc", false, false},
      {"ab[^b-d]", "abc", false, false},
      {"ab[^e-g]", "abc", true, false},
      {"a\\*b", "a*b", true, false},
      {"a\\*b", "ab", false, false},
      {"a?b", "a\xe2\x98\xba" "b", true, false},
      {"a[^a]b", "a\xe2\x98\xba" "b", true, false},
      {"a???b", "a\xe2\x98\xba" "b", false, false},
      {"a[^a][^a][^a]b", "a\xe2\x98\xba" "b", false, false},
      {"[a-\xce\xb6]*", "\xce\xb1", true, false},
      {"*[a-\xce\xb6]", "A", false, false},
      {"a?b", "a/b", false, false},
      {"a*b", "a/b", false, false},
      {"[\\]a]", "]", true, false},
      {"[\\-]", "-", true, false},
      {"[x\\-]", "x", true, false},
      {"[x\\-]", "-", true, false},
      {"[x\\-]", "z", false, false},
      {"[\\-x]", "x", true, false},
      {"[\\-x]", "-", true, false},
      {"[\\-x]", "a", false, false},
      {"*x", "xxx", true, false},
      {"", "", true, false},
      {"", "a", false, false},
      {"a]", "a]", true, false},
      {"[]a]", "]", false, true},
      {"[-]", "-", false, true},
      {"[x-]", "x", false, true},
      {"[x-]", "-", false, true},
      {"[-x]", "x", false, true},
      {"\\", "a", false, true},
      {"[a-b-c]", "a", false, true},
      {"[", "a", false, true},
      {"[^", "a", false, true},
      {"[^bc", "a", false, true},
      {"a[", "a", false, true},
      {"a[", "ab", false, true},
      {"a[", "x", false, true},
      {"a/b[", "x", false, true},
      {"*[", "abc", false, true},
      {"a*b[", "ab", false, true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("pattern " + c.pattern + " name " + c.name);
    Result<bool> m = PathMatch(c.pattern, c.name);
    if (c.bad) {
      ASSERT_FALSE(m.ok());
      EXPECT_EQ(m.status().code(), Code::kInvalidArgument);
      EXPECT_EQ(m.status().message(), "syntax error in pattern");
    } else {
      ASSERT_TRUE(m.ok()) << m.status().ToString();
      EXPECT_EQ(*m, c.want);
    }
  }
}

}  // namespace
}  // namespace berth
