#include "berth/digest.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <unordered_set>

namespace berth {
namespace {

constexpr char kEmptyHex[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kAbcHex[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

struct ParseCase {
  std::string input;
  bool ok;
  std::string reason;  // expected error suffix when !ok
};

TEST(DigestTest, ParseTable) {
  const std::string hex = kAbcHex;
  const std::vector<ParseCase> cases = {
      {"sha256:" + hex, true, ""},
      {"sha256:" + std::string(kEmptyHex), true, ""},
      {"", false, "invalid checksum digest format"},
      {hex, false, "invalid checksum digest format"},  // no algorithm
      {"sha256", false, "invalid checksum digest format"},
      {"sha256:", false, "invalid checksum digest format"},
      {":" + hex, false, "invalid checksum digest format"},
      {"sha256:" + hex.substr(1), false, "invalid checksum digest length"},
      {"sha256:" + hex + "0", false, "invalid checksum digest length"},
      {"sha256:abc", false, "invalid checksum digest length"},
      {"sha256:" + std::string(64, 'A'), false, "invalid checksum digest format"},  // uppercase
      {"sha256:" + std::string(63, 'a') + "g", false, "invalid checksum digest format"},
      {"sha256:" + std::string(63, 'a') + "/", false, "invalid checksum digest format"},
      {"sha256:../../x", false, "invalid checksum digest length"},
      {"sha256:" + std::string(61, 'a') + "/..", false, "invalid checksum digest format"},
      {"sha512:" + std::string(128, 'a'), false, "unsupported digest algorithm"},
      {"md5:d41d8cd98f00b204e9800998ecf8427e", false, "unsupported digest algorithm"},
      {"sha384:abc", false, "unsupported digest algorithm"},
      {"SHA256:" + hex, false, "invalid checksum digest format"},  // bad algorithm grammar
      {"foo/bar:" + hex, false, "invalid checksum digest format"},
      {"sha256+b64:abc", false, "unsupported digest algorithm"},
      {"sha256:" + hex + ":x", false, "invalid checksum digest length"},
      {" sha256:" + hex, false, "invalid checksum digest format"},
  };
  for (const ParseCase& c : cases) {
    SCOPED_TRACE(c.input);
    Result<Digest> d = Digest::Parse(c.input);
    ASSERT_EQ(d.ok(), c.ok) << d.status().ToString();
    if (c.ok) {
      EXPECT_EQ(d->str(), c.input);
      EXPECT_EQ("sha256:" + d->hex(), c.input);
      EXPECT_EQ(d->algorithm(), "sha256");
    } else {
      EXPECT_EQ(d.status().code(), Code::kInvalidArgument);
      EXPECT_EQ(d.status().message(), "invalid digest \"" + c.input + "\": " + c.reason);
    }
  }
}

TEST(DigestTest, ParseMessageExample) {
  Result<Digest> d = Digest::Parse("x");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(), "invalid digest \"x\": invalid checksum digest format");
}

TEST(DigestTest, FromHex) {
  Result<Digest> d = Digest::FromHex(kAbcHex);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->hex(), kAbcHex);
  EXPECT_EQ(d->Short(), "ba7816bf8f01");
  EXPECT_FALSE(Digest::FromHex("abc").ok());
  EXPECT_FALSE(Digest::FromHex(std::string(64, 'G')).ok());
  EXPECT_FALSE(Digest::FromHex(std::string("sha256:") + kAbcHex).ok());
  EXPECT_EQ(Digest::FromHex("").status().code(), Code::kInvalidArgument);
}

TEST(DigestTest, IsSha256Hex) {
  EXPECT_TRUE(IsSha256Hex(kEmptyHex));
  EXPECT_FALSE(IsSha256Hex(""));
  EXPECT_FALSE(IsSha256Hex(std::string(63, 'a')));
  EXPECT_FALSE(IsSha256Hex(std::string(65, 'a')));
  EXPECT_FALSE(IsSha256Hex(std::string(64, 'F')));
  EXPECT_FALSE(IsSha256Hex(std::string(63, 'a') + "-"));
  EXPECT_TRUE(IsSha256Hex(std::string(64, 'f')));
}

TEST(DigestTest, EmptyDefault) {
  Digest d;
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(d.str(), "");
  EXPECT_FALSE(Digest::Of("").empty());
}

TEST(DigestTest, KnownVectors) {
  EXPECT_EQ(Digest::Of("").hex(), kEmptyHex);
  EXPECT_EQ(Digest::Of("abc").hex(), kAbcHex);
  EXPECT_EQ(Digest::Of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").hex(),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // One million 'a' (FIPS 180-2 test vector).
  EXPECT_EQ(Digest::Of(std::string(1000000, 'a')).hex(),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(DigestTest, StreamingOddChunksEqualsOneShot) {
  std::mt19937 rng(42);
  std::string data(1 << 20 | 12345, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  const Digest one_shot = Digest::Of(data);
  for (size_t chunk : {1u, 3u, 7u, 63u, 64u, 65u, 1000u, 4097u, 65537u}) {
    SCOPED_TRACE(chunk);
    Sha256 h;
    for (size_t off = 0; off < data.size(); off += chunk) {
      h.Update(std::string_view(data).substr(off, chunk));
    }
    EXPECT_EQ(h.bytes(), data.size());
    EXPECT_EQ(h.Finish(), one_shot);
  }
  // Random chunk sizes, including empty updates.
  Sha256 h;
  size_t off = 0;
  while (off < data.size()) {
    size_t n = std::min<size_t>(rng() % 300, data.size() - off);
    h.Update(data.data() + off, n);
    off += n;
  }
  EXPECT_EQ(h.Finish(), one_shot);
}

TEST(DigestTest, FinishIsStable) {
  Sha256 h;
  h.Update("abc");
  Digest a = h.Finish();
  EXPECT_EQ(a.hex(), kAbcHex);
  EXPECT_EQ(h.Finish(), a);
  EXPECT_EQ(h.bytes(), 3u);
}

TEST(DigestTest, OrderingAndHash) {
  Digest a = Digest::Of("a"), b = Digest::Of("b");
  EXPECT_NE(a, b);
  EXPECT_EQ(a, Digest::Of("a"));
  EXPECT_TRUE((a < b) != (b < a));
  std::unordered_set<Digest> set{a, b, Digest::Of("a")};
  EXPECT_EQ(set.size(), 2u);
}

}  // namespace
}  // namespace berth
