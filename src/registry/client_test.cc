// Pure helpers of the registry client: auth header decoding, challenges,
// insecure-registry rules, registry error texts.
#include "registry/client.h"

#include <gtest/gtest.h>

#include "berth/registry.h"

namespace berth::registry {
namespace {

TEST(DecodeRegistryAuthTest, Table) {
  struct Case {
    std::string header;
    bool ok;
    std::string user, password, server, identity, token;
  };
  // {"username":"u","password":"p?>"} has '+' and '/' in standard base64
  // ("?>" encodes to "Pz4"): the same JSON is given in both alphabets.
  std::string json = R"({"username":"u","password":"p?>~","serveraddress":"r.example"})";
  std::string std64 = Base64Encode(json);
  std::string url64 = std64;
  for (char& c : url64) c = c == '+' ? '-' : c == '/' ? '_' : c;
  std::string unpadded = url64;
  while (!unpadded.empty() && unpadded.back() == '=') unpadded.pop_back();
  const Case cases[] = {
      {"", true, "", "", "", "", ""},
      {"e30=", true, "", "", "", "", ""},
      {"e30", true, "", "", "", "", ""},
      {std64, true, "u", "p?>~", "r.example", "", ""},
      {url64, true, "u", "p?>~", "r.example", "", ""},
      {unpadded, true, "u", "p?>~", "r.example", "", ""},
      {Base64Encode(R"({"auth":")" + Base64Encode("alice:pa:ss") + R"("})"), true, "alice", "pa:ss", "", "", ""},
      {Base64Encode(R"({"Username":"x","IdentityToken":"it","registrytoken":"rt"})"), true, "x", "", "", "it", "rt"},
      {Base64Encode(R"({"username":null})"), true, "", "", "", "", ""},
      {"not base64!", false, "", "", "", "", ""},
      {Base64Encode("not json"), false, "", "", "", "", ""},
      {Base64Encode("[1]"), false, "", "", "", "", ""},
      {Base64Encode(R"({"username":5})"), false, "", "", "", "", ""},
      {Base64Encode(R"({"auth":"bm9jb2xvbg=="})"), false, "", "", "", "", ""},  // "nocolon"
  };
  for (const Case& c : cases) {
    auto r = DecodeRegistryAuth(c.header);
    ASSERT_EQ(r.ok(), c.ok) << c.header << " " << r.status().ToString();
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
      continue;
    }
    EXPECT_EQ(r->username, c.user) << c.header;
    EXPECT_EQ(r->password, c.password) << c.header;
    EXPECT_EQ(r->server_address, c.server) << c.header;
    EXPECT_EQ(r->identity_token, c.identity) << c.header;
    EXPECT_EQ(r->registry_token, c.token) << c.header;
  }
}

TEST(ClientTest, Base64RoundTrip) {
  for (std::string s : {"", "a", "ab", "abc", "abcd", "\xff\xfe\x00z"}) {
    auto d = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(*d, s);
  }
  EXPECT_EQ(Base64Encode("user:pass"), "dXNlcjpwYXNz");
  EXPECT_FALSE(Base64Decode("a").ok());  // 6 bits cannot end a byte string
}

TEST(ClientTest, ParseChallenge) {
  auto c = ParseChallenge(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull,push")");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->scheme, "bearer");
  EXPECT_EQ(c->params["realm"], "https://auth.docker.io/token");
  EXPECT_EQ(c->params["service"], "registry.docker.io");
  EXPECT_EQ(c->params["scope"], "repository:library/busybox:pull,push");
  c = ParseChallenge(R"(Basic realm="Registry Realm")");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->scheme, "basic");
  EXPECT_EQ(c->params["realm"], "Registry Realm");
  c = ParseChallenge("Bearer realm=plain, service = s");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->params["realm"], "plain");
  EXPECT_EQ(c->params["service"], "s");
  EXPECT_FALSE(ParseChallenge(""));
}

TEST(ClientTest, TokenRealmMustBeHttpsForAnHttpsRegistry) {
  EXPECT_TRUE(CheckTokenRealm("https://auth.example/token", true).ok());
  EXPECT_TRUE(CheckTokenRealm("http://127.0.0.1:5000/token", false).ok());
  EXPECT_TRUE(CheckTokenRealm("https://auth.example/token", false).ok());
  Status s = CheckTokenRealm("http://auth.example/token", true);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "token realm http://auth.example/token is plain HTTP for an HTTPS registry: credentials would travel in "
            "clear");
  EXPECT_EQ(CheckTokenRealm("file:///etc/passwd", false).message(),
            "token realm file:///etc/passwd is not an http(s) URL");
  EXPECT_FALSE(CheckTokenRealm("ftp://auth.example/token", true).ok());
}

TEST(ClientTest, InsecureRegistries) {
  RegistryConfig cfg;
  cfg.insecure_registries = {"myreg:5000", "plainhost", "10.0.0.0/8", "fd00::/8"};
  struct Case {
    std::string host;
    bool insecure;
  } cases[] = {
      {"127.0.0.1:5000", true}, {"127.5.6.7", true},   {"localhost:5000", true}, {"[::1]:5000", true},
      {"myreg:5000", true},     {"myreg:5001", false}, {"plainhost:443", true},  {"10.1.2.3:5000", true},
      {"11.1.2.3:5000", false}, {"[fd00::1]:80", true}, {"registry-1.docker.io", false},
  };
  for (const Case& c : cases) EXPECT_EQ(IsInsecureRegistry(cfg, c.host), c.insecure) << c.host;
  EXPECT_FALSE(IsInsecureRegistry(RegistryConfig(), "myreg:5000"));
  EXPECT_EQ(RegistryHost("docker.io"), "registry-1.docker.io");
  EXPECT_EQ(RegistryHost("ghcr.io"), "ghcr.io");
}

TEST(ClientTest, RegistryErrorText) {
  EXPECT_EQ(RegistryErrorText(R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})"),
            "manifest unknown: manifest unknown");
  EXPECT_EQ(RegistryErrorText(R"({"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]})"),
            "denied: requested access to the resource is denied");
  EXPECT_EQ(RegistryErrorText("<html>"), "");
  EXPECT_EQ(RegistryErrorText(R"({"errors":[]})"), "");
}

}  // namespace
}  // namespace berth::registry
