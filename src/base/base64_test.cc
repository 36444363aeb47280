// Base64 against RFC 4648's vectors, both alphabets, and damaged input.
#include "berth/base64.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace berth {
namespace {

TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded) << plain;
    EXPECT_EQ(*Base64Decode(encoded), plain) << encoded;
    // Without padding too.
    std::string bare = encoded.substr(0, encoded.find('='));
    EXPECT_EQ(*Base64Decode(bare), plain) << bare;
  }
  std::string out = "prefix:";
  AppendBase64(&out, "foobar");
  EXPECT_EQ(out, "prefix:Zm9vYmFy");
}

TEST(Base64Test, BothAlphabetsDecode) {
  const std::string bytes("\xfb\xff\xbf", 3);
  EXPECT_EQ(Base64Encode(bytes), "+/+/");
  EXPECT_EQ(*Base64Decode("+/+/"), bytes);
  EXPECT_EQ(*Base64Decode("-_-_"), bytes);
}

TEST(Base64Test, EveryLengthAndByteRoundTrips) {
  std::mt19937 rng(7);
  for (size_t n = 0; n < 300; ++n) {
    std::string bytes(n, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    Result<std::string> back = Base64Decode(Base64Encode(bytes));
    ASSERT_TRUE(back.ok()) << n;
    EXPECT_EQ(*back, bytes) << n;
  }
}

TEST(Base64Test, DamagedInputIsRefused) {
  for (const char* bad : {"Zm9v!", "Zm=9v", "Z", "Zm9vY", "Zm9vYg=", "Zm8==", "Zm 9v", "====", "Zg==="}) {
    Result<std::string> r = Base64Decode(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().message(), "illegal base64 data") << bad;
  }
}

}  // namespace
}  // namespace berth
