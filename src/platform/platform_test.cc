// Table-driven tests for platform parsing, formatting, normalisation, JSON
// and matchers. Expected values follow containerd's platforms package and
// Docker's DecodePlatform.

#include "berth/platform.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "platform/platform_test_util.h"

namespace berth {
namespace {

using platform_test::Describe;
using platform_test::P;

// Parses a specifier that the test knows is valid.
Platform MustParse(const std::string& s) {
  auto r = ParsePlatform(s);
  EXPECT_TRUE(r.ok()) << s << ": " << r.status().ToString();
  return r.ok() ? *r : Platform{};
}

// ---------------------------------------------------------------- ParsePlatform

TEST(ParsePlatformTest, ValidSpecifiers) {
  const Platform host = HostPlatform();
  // A known OS alone takes the host architecture (arm hosts keep a non-v7 variant).
  const std::string host_arch = host.architecture;
  const std::string host_variant =
      host.architecture == "arm" && host.variant != "v7" ? host.variant : "";
  struct Case {
    std::string in;
    Platform want;
  };
  const Case cases[] = {
      {"linux/arm64", P("linux", "arm64")},
      {"linux/arm64/v8", P("linux", "arm64", "v8")},
      {"linux/aarch64/8", P("linux", "arm64", "v8")},
      {"linux/arm64/v8.0", P("linux", "arm64", "v8")},
      {"linux/arm64/v8.2", P("linux", "arm64", "v8.2")},
      {"linux/arm64/v9.0", P("linux", "arm64", "v9")},
      {"linux/arm64/9", P("linux", "arm64", "v9")},
      {"linux/arm", P("linux", "arm")},
      {"linux/arm/v6", P("linux", "arm", "v6")},
      {"linux/arm/v7", P("linux", "arm", "v7")},
      {"linux/arm/7", P("linux", "arm", "v7")},
      {"linux/arm/5", P("linux", "arm", "v5")},
      {"linux/armhf", P("linux", "arm")},
      {"linux/armel", P("linux", "arm", "v6")},
      {"linux/amd64", P("linux", "amd64")},
      {"linux/amd64/v1", P("linux", "amd64")},
      {"linux/amd64/v3", P("linux", "amd64", "v3")},
      {"LINUX/X86_64/V2", P("linux", "amd64", "v2")},
      {"Linux/x86_64", P("linux", "amd64")},
      {"linux/x86-64", P("linux", "amd64")},
      {"linux/i386", P("linux", "386")},
      {"linux/s390x", P("linux", "s390x")},
      {"linux/ppc64le", P("linux", "ppc64le")},
      {"freebsd/riscv64", P("freebsd", "riscv64")},
      {"darwin/arm64/v8", P("darwin", "arm64", "v8")},
      {"foo/bar", P("foo", "bar")},        // two parts: nothing is checked
      {"arm64/v8", P("arm64", "v8")},      // ... so this is os "arm64"
      {"linux/arm/v4", P("linux", "arm", "v4")},
      {"linux/mips64le/r6", P("linux", "mips64le", "r6")},
      {"arm", P("linux", "arm")},
      {"armel", P("linux", "arm", "v6")},
      {"armhf", P("linux", "arm")},
      {"Aarch64", P("linux", "arm64")},
      {"x86_64", P("linux", "amd64")},
      {"x86-64", P("linux", "amd64")},
      {"amd64", P("linux", "amd64")},
      {"i386", P("linux", "386")},
      {"s390x", P("linux", "s390x")},
      {"riscv64", P("linux", "riscv64")},
      {"wasm", P("linux", "wasm")},
      {"linux", P("linux", host_arch, host_variant)},
      {"Linux", P("linux", host_arch, host_variant)},
      {"macOS", P("darwin", host_arch, host_variant)},
      {"windows", P("windows", host_arch, host_variant)},
      {"plan9", P("plan9", host_arch, host_variant)},
      {"windows()", P("windows", host_arch, host_variant)},
      {"windows(10.0.17763)", P("windows", host_arch, host_variant, "10.0.17763")},
      {"windows(10.0.17763+win32k)",
       P("windows", host_arch, host_variant, "10.0.17763", {"win32k"})},
      {"linux(+gpu)", P("linux", host_arch, host_variant, "", {"gpu"})},
      {"linux(+gpu+simd)", P("linux", host_arch, host_variant, "", {"gpu", "simd"})},
      {"linux(+unsorted+erofs)", P("linux", host_arch, host_variant, "", {"unsorted", "erofs"})},
      {"windows(10.0.17763%2Bbuild.42)", P("windows", host_arch, host_variant, "10.0.17763+build.42")},
      {"windows(10.0.17763%2Bbuild.42+win32k)",
       P("windows", host_arch, host_variant, "10.0.17763+build.42", {"win32k"})},
      {"windows(50%25done)", P("windows", host_arch, host_variant, "50%done")},
      {"windows(10.0.20348)/amd64", P("windows", "amd64", "", "10.0.20348")},
      {"Windows(10.0.20348.1)/AMD64", P("windows", "amd64", "", "10.0.20348.1")},
      {"linux(+feat%2Bv2)/arm64/v8", P("linux", "arm64", "v8", "", {"feat+v2"})},
  };
  for (const Case& c : cases) {
    auto got = ParsePlatform(c.in);
    ASSERT_TRUE(got.ok()) << c.in << ": " << got.status().ToString();
    EXPECT_EQ(*got, c.want) << c.in << " gave " << Describe(*got);
  }
}

TEST(ParsePlatformTest, InvalidSpecifiers) {
  const std::string os_re =
      R"("^([A-Za-z0-9_-]+)(?:\\(([A-Za-z0-9_.%-]*)((?:\\+[A-Za-z0-9_.%-]+)*)\\))?$")";
  const std::string spec_re = R"("^[A-Za-z0-9_.-]+$")";
  auto bad_os = [&](const std::string& part, const std::string& spec) {
    return part + " is an invalid OS component of " + spec +
           ": OSAndVersion specifier component must match " + os_re + ": invalid argument";
  };
  auto bad_part = [&](const std::string& part, const std::string& spec) {
    return part + " is an invalid component of " + spec +
           ": platform specifier component must match " + spec_re + ": invalid argument";
  };
  struct Case {
    std::string in;
    std::string want;
  };
  const Case cases[] = {
      {"", bad_os(R"("")", R"("")")},
      {"/linux/arm", bad_os(R"("")", R"("/linux/arm")")},
      {"linux /arm", bad_os(R"("linux ")", R"("linux /arm")")},
      {"linux(1.0", bad_os(R"("linux(1.0")", R"("linux(1.0")")},
      {"linux(++)", bad_os(R"j("linux(++)")j", R"j("linux(++)")j")},
      {"linux(a+)", bad_os(R"j("linux(a+)")j", R"j("linux(a+)")j")},
      {"linux(a b)", bad_os(R"j("linux(a b)")j", R"j("linux(a b)")j")},
      {"linux(1)x/amd64", bad_os(R"("linux(1)x")", R"("linux(1)x/amd64")")},
      {"lin.ux/amd64", bad_os(R"("lin.ux")", R"("lin.ux/amd64")")},
      {"linux\n", bad_os(R"("linux\n")", R"("linux\n")")},
      {"linux/arm/", bad_part(R"("")", R"("linux/arm/")")},
      {"linux//v7", bad_part(R"("")", R"("linux//v7")")},
      {"linux/&arm", bad_part(R"("&arm")", R"("linux/&arm")")},
      {"linux/arm(7)", bad_part(R"j("arm(7)")j", R"j("linux/arm(7)")j")},
      {"a/b/c/d/e", bad_part(R"("d/e")", R"("a/b/c/d/e")")},
      {"linux/arm/foo/bar", R"("linux/arm/foo/bar": cannot parse platform specifier: invalid argument)"},
      {"linux/amd64/v2/x", R"("linux/amd64/v2/x": cannot parse platform specifier: invalid argument)"},
      {"*", R"("*": wildcards not yet supported: invalid argument)"},
      {"linux/*", R"("linux/*": wildcards not yet supported: invalid argument)"},
      {"*/arm64", R"("*/arm64": wildcards not yet supported: invalid argument)"},
      {"foo", R"("foo": unknown operating system or architecture: invalid argument)"},
      {"v7", R"("v7": unknown operating system or architecture: invalid argument)"},
      {"amd64(1.0)", R"j("amd64(1.0)": unknown operating system or architecture: invalid argument)j"},
      {"windows(50%zz)",
       R"j("windows(50%zz)" has an invalid OS version "50%zz": invalid URL escape "%zz")j"},
      {"linux(+gpu%2)/amd64",
       R"("linux(+gpu%2)/amd64" has an invalid OS feature "gpu%2": invalid URL escape "%2")"},
  };
  for (const Case& c : cases) {
    auto got = ParsePlatform(c.in);
    ASSERT_FALSE(got.ok()) << c.in << " parsed as " << Describe(*got);
    EXPECT_EQ(got.status().code(), Code::kInvalidArgument) << c.in;
    EXPECT_EQ(got.status().message(), c.want) << c.in;
  }
}

// ------------------------------------------------------- Format / FormatAll

TEST(FormatPlatformTest, Vectors) {
  struct Case {
    Platform in;
    std::string want;
  };
  const Case cases[] = {
      {P("", "amd64"), "unknown"},
      {Platform{}, "unknown"},
      {P("linux", "amd64"), "linux/amd64"},
      {P("linux", "arm", "v7"), "linux/arm/v7"},
      {P("linux", "arm64", "v8"), "linux/arm64/v8"},
      {P("linux", "", "v7"), "linux/v7"},
      {P("linux", ""), "linux"},
      {P("windows", "amd64", "", "10.0.17763", {"win32k"}), "windows/amd64"},
  };
  for (const Case& c : cases) EXPECT_EQ(FormatPlatform(c.in), c.want) << Describe(c.in);
}

TEST(FormatPlatformAllTest, VectorsRoundTrip) {
  struct Case {
    Platform in;
    std::string want;
  };
  const Case cases[] = {
      {P("windows", "amd64", "", "10.0.17763+build.42"), "windows(10.0.17763%2Bbuild.42)/amd64"},
      {P("windows", "amd64", "", "10.0.17763+build.42", {"win32k"}),
       "windows(10.0.17763%2Bbuild.42+win32k)/amd64"},
      {P("windows", "amd64", "", "50%done"), "windows(50%25done)/amd64"},
      {P("windows", "amd64", "", "1.0(beta)"), "windows(1.0%28beta%29)/amd64"},
      {P("windows", "amd64", "", "a/b"), "windows(a%2Fb)/amd64"},
      {P("windows", "amd64", "", "10.0.17763"), "windows(10.0.17763)/amd64"},
      {P("linux", "amd64", "", "", {"feat+v2"}), "linux(+feat%2Bv2)/amd64"},
      {P("linux", "amd64", "", "", {"100%gpu"}), "linux(+100%25gpu)/amd64"},
      {P("windows", "amd64", "", "10.0+build", {"feat+1"}), "windows(10.0%2Bbuild+feat%2B1)/amd64"},
      {P("linux", "arm64", "v8", "", {"simd", "gpu"}), "linux(+gpu+simd)/arm64/v8"},
      {P("linux", "amd64"), "linux/amd64"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(FormatPlatformAll(c.in), c.want) << Describe(c.in);
    Platform back = MustParse(c.want);
    EXPECT_EQ(back.os_version, c.in.os_version) << c.want;
    std::vector<std::string> want_features = c.in.os_features;
    std::sort(want_features.begin(), want_features.end());
    EXPECT_EQ(back.os_features, want_features) << c.want;
    EXPECT_EQ(FormatPlatformAll(back), c.want);
  }
  EXPECT_EQ(FormatPlatformAll(P("linux", "amd64", "", "", {"", "gpu", "", "simd"})),
            "linux(+gpu+simd)/amd64");
  EXPECT_EQ(FormatPlatformAll(P("linux", "amd64", "", "", {""})), "linux/amd64");
  EXPECT_EQ(FormatPlatformAll(P("", "amd64", "", "1.0")), "unknown");
}

TEST(FormatPlatformTest, ParseFormatIsStable) {
  const char* specs[] = {"linux/arm64", "linux/arm64/v8", "linux/arm", "linux/arm/v6",
                         "linux/arm/v7", "linux/amd64/v3", "linux/386", "windows/amd64",
                         "x86_64", "armel", "aarch64"};
  for (const char* s : specs) {
    const std::string formatted = FormatPlatform(MustParse(s));
    EXPECT_EQ(FormatPlatform(MustParse(formatted)), formatted) << s;
  }
}

// ----------------------------------------------------------------- Normalize

TEST(NormalizeTest, Vectors) {
  struct Case {
    Platform in;
    Platform want;
  };
  const std::string host_os = HostPlatform().os;
  const Case cases[] = {
      {P("Linux", "X86_64"), P("linux", "amd64")},
      {P("linux", "x86-64", "v1"), P("linux", "amd64")},
      {P("linux", "amd64", "V1"), P("linux", "amd64")},
      {P("linux", "amd64", "V2"), P("linux", "amd64", "v2")},
      {P("linux", "aarch64"), P("linux", "arm64")},
      {P("linux", "arm64", "v8"), P("linux", "arm64")},
      {P("linux", "arm64", "8"), P("linux", "arm64")},
      {P("linux", "arm64", "v8.0"), P("linux", "arm64")},
      {P("linux", "arm64", "v8.1"), P("linux", "arm64", "v8.1")},
      {P("linux", "arm64", "9"), P("linux", "arm64", "v9")},
      {P("linux", "arm64", "9.0"), P("linux", "arm64", "v9")},
      {P("linux", "arm64", "v9.0"), P("linux", "arm64", "v9")},
      {P("linux", "arm64", "v9.2"), P("linux", "arm64", "v9.2")},
      {P("linux", "armhf"), P("linux", "arm", "v7")},
      {P("linux", "armhf", "v6"), P("linux", "arm", "v7")},
      {P("linux", "armel"), P("linux", "arm", "v6")},
      {P("linux", "arm"), P("linux", "arm", "v7")},
      {P("linux", "arm", "7"), P("linux", "arm", "v7")},
      {P("linux", "arm", "5"), P("linux", "arm", "v5")},
      {P("linux", "arm", "6"), P("linux", "arm", "v6")},
      {P("linux", "arm", "8"), P("linux", "arm", "v8")},
      {P("linux", "arm", "V6"), P("linux", "arm", "v6")},
      {P("linux", "arm", "4"), P("linux", "arm", "4")},
      {P("linux", "arm", "v4"), P("linux", "arm", "v4")},
      {P("linux", "i386", "v1"), P("linux", "386")},
      {P("linux", "386", "v1"), P("linux", "386", "v1")},
      {P("macOS", "arm64"), P("darwin", "arm64")},
      {P("MACOS", "x86_64"), P("darwin", "amd64")},
      {P("", "amd64"), P(host_os, "amd64")},
      {P("linux", "s390x", "X"), P("linux", "s390x", "x")},
      {P("windows", "amd64", "", "10.0.17763", {"b", "a", "b"}),
       P("windows", "amd64", "", "10.0.17763", {"a", "b"})},
  };
  for (const Case& c : cases) {
    Platform got = Normalize(c.in);
    EXPECT_EQ(got, c.want) << Describe(c.in) << " gave " << Describe(got);
    EXPECT_EQ(Normalize(got), got) << "idempotent: " << Describe(c.in);
  }
}

TEST(HostPlatformTest, IsNormalisedLinux) {
  Platform host = HostPlatform();
  EXPECT_EQ(Normalize(host), host);
  EXPECT_EQ(host.os, "linux");
  EXPECT_FALSE(host.architecture.empty());
#if defined(__x86_64__)
  EXPECT_EQ(FormatPlatform(host), "linux/amd64");
  EXPECT_EQ(PlatformToJson(host), R"({"architecture":"amd64","os":"linux"})");
#elif defined(__aarch64__)
  EXPECT_EQ(FormatPlatform(host), "linux/arm64");
#endif
  EXPECT_TRUE(OnlyStrict(host)->Match(MustParse("linux")));
}

// ------------------------------------------------------------------ Matchers

struct MatchCase {
  std::string platform;
  std::vector<std::string> match;
  std::vector<std::string> no_match;
};

void CheckMatches(const char* name, std::unique_ptr<PlatformMatcher> (*make)(const Platform&),
                  const std::vector<MatchCase>& cases) {
  for (const MatchCase& c : cases) {
    auto m = make(MustParse(c.platform));
    for (const auto& s : c.match) {
      EXPECT_TRUE(m->Match(MustParse(s))) << name << "(" << c.platform << ") should match " << s;
    }
    for (const auto& s : c.no_match) {
      EXPECT_FALSE(m->Match(MustParse(s))) << name << "(" << c.platform << ") should not match " << s;
    }
  }
}

TEST(OnlyStrictTest, Matches) {
  CheckMatches(
      "OnlyStrict", OnlyStrict,
      {
          {"linux/amd64", {"linux/amd64", "linux/amd64/v1", "Linux/x86_64"},
           {"linux/386", "linux/amd64/v2", "linux/arm/v7", "linux/arm64", "windows/amd64", "windows/arm"}},
          {"linux/amd64/v3", {"linux/amd64/v3"}, {"linux/amd64", "linux/amd64/v2", "linux/amd64/v4"}},
          {"linux/386", {"linux/386", "i386"}, {"linux/amd64", "linux/arm/v7", "windows/amd64"}},
          {"windows/amd64", {"windows/amd64", "windows(10.0.17763)/amd64"},
           {"linux/amd64", "linux/arm/v7", "linux/arm64", "windows/arm"}},
          {"windows(10.0.17763)/amd64", {"windows/amd64", "windows(10.0.17763)/amd64"},
           {"windows(10.0.20348)/amd64", "windows(10.0.17134)/amd64", "windows(6.3.17763)/amd64",
            "windows(bogus)/amd64", "linux/amd64", "windows/arm"}},
          {"windows(10.0.22621)/amd64",
           {"windows(10.0.20348)/amd64", "windows(10.0.22621)/amd64", "windows(10.0.20348.2113)/amd64"},
           {"windows(10.0.17763)/amd64", "windows(10.0.22631)/amd64"}},
          {"linux(5.10)/amd64", {"linux(6.1)/amd64", "linux/amd64"}, {}},
          {"linux(+gpu+simd)/amd64",
           {"linux/amd64", "linux(+gpu)/amd64", "linux(+simd+gpu)/amd64", "linux(+gpu+gpu)/amd64"},
           {"linux(+erofs)/amd64", "linux(+gpu+erofs)/amd64"}},
          {"linux/amd64", {}, {"linux(+gpu)/amd64"}},
          {"linux/arm/v8", {"linux/arm/v8", "linux/arm/8"},
           {"linux/arm", "linux/arm/v5", "linux/arm/v6", "linux/arm/v7", "linux/amd64", "linux/arm/v4",
            "linux/arm64", "windows/amd64", "windows/arm"}},
          {"linux/arm/v7", {"linux/arm", "linux/arm/v7", "linux/armhf", "linux/arm/7"},
           {"linux/arm/v5", "linux/arm/v6", "linux/amd64", "linux/arm/v4", "linux/arm/v8", "linux/arm64"}},
          {"linux/arm/v6", {"linux/arm/v6", "linux/armel"},
           {"linux/arm/v5", "linux/arm", "linux/arm/v4", "linux/arm/v7", "linux/arm/v8", "linux/arm64"}},
          {"linux/arm/v5", {"linux/arm/v5"}, {"linux/arm", "linux/arm/v4", "linux/arm/v6"}},
          {"linux/arm/v4", {"linux/arm/v4"}, {"linux/arm", "linux/arm/v5"}},
          {"linux/arm64/v9", {"linux/arm64/v9", "linux/arm64/v9.0"},
           {"linux/arm", "linux/arm/v8", "linux/arm/v9", "linux/arm64/v8", "linux/arm64/v8.1"}},
          {"linux/arm64/v8.1", {"linux/arm64/v8.1"},
           {"linux/arm", "linux/arm/v8", "linux/arm64/v8", "linux/arm64/v9"}},
          {"linux/arm64", {"linux/arm64", "linux/arm64/v8", "linux/aarch64", "linux/aarch64/8"},
           {"linux/arm", "linux/arm/v5", "linux/arm/v8", "linux/amd64", "linux/arm64/v9"}},
      });
}

// A client may ask for any variant number: the ladder of lower variants is
// never spelled out (a billion entries would take the daemon's memory), and
// ranks and matches stay those of the spelled-out list. Found by fuzzing.
TEST(OnlyTest, HugeVariantNumbersAreCheap) {
  auto amd64 = Only(P("linux", "amd64", "v1000000000"));
  for (const Platform& p : {P("linux", "amd64", "v1000000000"), P("linux", "amd64", "v999999999"),
                            P("linux", "amd64", "v3"), P("linux", "amd64"), P("linux", "amd64", "v1"),
                            P("linux", "386")}) {
    EXPECT_TRUE(amd64->Match(p)) << FormatPlatform(p);
  }
  EXPECT_FALSE(amd64->Match(P("linux", "amd64", "v1000000001")));
  EXPECT_FALSE(amd64->Match(P("linux", "arm64")));
  EXPECT_TRUE(amd64->Less(P("linux", "amd64", "v999999999"), P("linux", "amd64", "v4")));
  EXPECT_TRUE(amd64->Less(P("linux", "amd64", "v4"), P("linux", "amd64", "v3")));
  EXPECT_TRUE(amd64->Less(P("linux", "amd64", "v2"), P("linux", "amd64")));
  EXPECT_TRUE(amd64->Less(P("linux", "amd64"), P("linux", "386")));
  EXPECT_FALSE(amd64->Less(P("linux", "amd64"), P("linux", "amd64", "v1")));

  auto arm64 = Only(P("linux", "arm64", "v2000000000"));
  EXPECT_TRUE(arm64->Match(P("linux", "arm", "v1999999999")));
  EXPECT_TRUE(arm64->Match(P("linux", "arm", "7")));
  EXPECT_TRUE(arm64->Match(P("linux", "arm", "v5")));
  EXPECT_FALSE(arm64->Match(P("linux", "arm", "v4")));
  EXPECT_TRUE(arm64->Less(P("linux", "arm", "v8"), P("linux", "arm", "v7")));

  auto preference = AllWithPreference(P("linux", "arm", "v2000000000"));
  EXPECT_TRUE(preference->Less(P("linux", "arm", "v6"), P("linux", "amd64")));
  EXPECT_TRUE(preference->Less(P("linux", "arm", "v6"), P("linux", "arm", "v5")));
}

TEST(OnlyTest, Matches) {
  CheckMatches(
      "Only", Only,
      {
          {"linux/amd64", {"linux/amd64", "linux/386", "linux/amd64/v1"},
           {"linux/amd64/v2", "linux/arm/v7", "linux/arm64", "windows/amd64", "windows/arm", "windows/386"}},
          {"linux/amd64/v2", {"linux/amd64", "linux/amd64/v1", "linux/amd64/v2", "linux/386"},
           {"linux/amd64/v3", "linux/amd64/v4", "linux/arm/v7", "linux/arm64", "windows/amd64"}},
          {"linux/386", {"linux/386"}, {"linux/amd64", "linux/arm/v7", "linux/arm64", "windows/amd64"}},
          {"windows/amd64", {"windows/amd64", "windows(10.0.17763)/amd64", "windows/386"},
           {"linux/amd64", "linux/arm/v7", "linux/arm64", "windows/arm"}},
          {"linux/arm/v8", {"linux/arm", "linux/arm/v5", "linux/arm/v6", "linux/arm/v7", "linux/arm/v8"},
           {"linux/amd64", "linux/arm/v4", "linux/arm64", "windows/amd64", "windows/arm"}},
          {"linux/arm/v7", {"linux/arm", "linux/arm/v5", "linux/arm/v6", "linux/arm/v7"},
           {"linux/amd64", "linux/arm/v4", "linux/arm/v8", "linux/arm64", "windows/arm"}},
          {"linux/arm/v6", {"linux/arm/v5", "linux/arm/v6"},
           {"linux/amd64", "linux/arm", "linux/arm/v4", "linux/arm/v7", "linux/arm/v8", "linux/arm64"}},
          {"linux/arm/v5", {"linux/arm/v5"}, {"linux/arm", "linux/arm/v4", "linux/arm/v6", "linux/arm64"}},
          {"linux/arm/v4", {"linux/arm/v4"}, {"linux/arm", "linux/arm/v5", "linux/arm/v6"}},
          {"linux/arm64/v9",
           {"linux/arm", "linux/arm/v5", "linux/arm/v6", "linux/arm/v7", "linux/arm/v8", "linux/arm64",
            "linux/arm64/v8", "linux/arm64/v8.1", "linux/arm64/v8.2", "linux/arm64/v8.3",
            "linux/arm64/v8.4", "linux/arm64/v8.5", "linux/arm64/v9", "linux/arm64/v9.0"},
           {"linux/amd64", "linux/arm/v4", "windows/amd64", "windows/arm", "linux/arm64/v8.6",
            "linux/arm64/v9.1"}},
          {"linux/arm64/v9.2",
           {"linux/arm64/v9.2", "linux/arm64/v9.1", "linux/arm64/v9", "linux/arm64/v8.7",
            "linux/arm64/v8.1", "linux/arm64", "linux/arm/v7"},
           {"linux/arm64/v9.3", "linux/arm64/v8.8"}},
          {"linux/arm64/v8.1",
           {"linux/arm", "linux/arm/v5", "linux/arm/v6", "linux/arm/v7", "linux/arm/v8", "linux/arm64",
            "linux/arm64/v8", "linux/arm64/v8.1"},
           {"linux/amd64", "linux/arm/v4", "linux/arm/v9", "linux/arm64/v8.2", "linux/arm64/v9",
            "windows/amd64", "windows/arm"}},
          {"linux/arm64",
           {"linux/arm", "linux/arm/v5", "linux/arm/v6", "linux/arm/v7", "linux/arm/v8", "linux/arm64",
            "linux/arm64/v8", "linux/aarch64"},
           {"linux/amd64", "linux/arm/v4", "linux/arm/v9", "linux/arm64/v8.1", "linux/arm64/v9",
            "windows/amd64", "windows/arm"}},
          {"linux(+gpu)/amd64", {"linux/386", "linux(+gpu)/386", "linux(+gpu)/amd64"},
           {"linux(+simd)/386"}},
      });
}

// Sorts the matching candidates by m.Less and formats them.
std::vector<std::string> Ranked(const PlatformMatcher& m, const std::vector<std::string>& candidates) {
  std::vector<Platform> ps;
  for (const auto& c : candidates) {
    Platform p = MustParse(c);
    if (m.Match(p)) ps.push_back(p);
  }
  std::stable_sort(ps.begin(), ps.end(),
                   [&](const Platform& a, const Platform& b) { return m.Less(a, b); });
  std::vector<std::string> out;
  for (const auto& p : ps) out.push_back(FormatPlatform(p));
  return out;
}

TEST(OnlyTest, OrdersExactFirstThenDescending) {
  struct Case {
    std::string platform;
    std::vector<std::string> candidates;
    std::vector<std::string> want;
  };
  const Case cases[] = {
      {"linux/amd64/v3",
       {"linux/386", "linux/arm64", "linux/amd64", "linux/amd64/v2", "linux/amd64/v3", "linux/amd64/v4"},
       {"linux/amd64/v3", "linux/amd64/v2", "linux/amd64", "linux/386"}},
      {"linux/amd64", {"linux/386", "windows/amd64", "linux/amd64"}, {"linux/amd64", "linux/386"}},
      {"linux/arm64",
       {"linux/arm/v5", "linux/arm/v7", "linux/amd64", "linux/arm/v6", "linux/arm64/v8", "linux/arm/v8"},
       {"linux/arm64/v8", "linux/arm/v8", "linux/arm/v7", "linux/arm/v6", "linux/arm/v5"}},
      {"linux/arm/v7", {"linux/arm/v5", "linux/arm/v6", "linux/arm", "linux/arm/v8"},
       {"linux/arm", "linux/arm/v6", "linux/arm/v5"}},
      {"linux/arm64/v9.1",
       {"linux/arm/v7", "linux/arm64/v8", "linux/arm64/v8.6", "linux/arm64/v9", "linux/arm64/v8.5",
        "linux/arm64/v9.1", "linux/arm64/v8.1", "linux/arm/v8"},
       {"linux/arm64/v9.1", "linux/arm64/v9", "linux/arm64/v8.6", "linux/arm64/v8.5",
        "linux/arm64/v8.1", "linux/arm64/v8", "linux/arm/v8", "linux/arm/v7"}},
  };
  for (const Case& c : cases) {
    auto m = Only(MustParse(c.platform));
    EXPECT_EQ(Ranked(*m, c.candidates), c.want) << c.platform;
  }
}

TEST(OnlyTest, LessIsAStrictWeakOrder) {
  auto m = Only(MustParse("linux/amd64/v2"));
  const Platform v2 = MustParse("linux/amd64/v2"), v1 = MustParse("linux/amd64"),
                 i386 = MustParse("linux/386"), arm = MustParse("linux/arm64"),
                 win = MustParse("windows/amd64");
  EXPECT_TRUE(m->Less(v2, v1));
  EXPECT_TRUE(m->Less(v1, i386));
  EXPECT_TRUE(m->Less(v2, i386));
  EXPECT_FALSE(m->Less(v1, v2));
  EXPECT_FALSE(m->Less(v2, v2));
  EXPECT_TRUE(m->Less(i386, arm));   // a match is preferred over a non-match
  EXPECT_FALSE(m->Less(arm, i386));
  EXPECT_FALSE(m->Less(arm, win));   // two non-matches are equivalent
  EXPECT_FALSE(m->Less(win, arm));
  EXPECT_TRUE(m->Less(MustParse("linux/amd64/v1"), i386));
  EXPECT_FALSE(m->Less(MustParse("linux/amd64/v1"), v1));  // equivalent spellings
}

TEST(MatcherTest, RequestedIsThePlatformAsGiven) {
  const Platform p = P("Linux", "aarch64", "8");
  EXPECT_EQ(*OnlyStrict(p)->requested(), p);
  EXPECT_EQ(*Only(p)->requested(), p);
  EXPECT_EQ(*AllWithPreference(p)->requested(), p);
  EXPECT_TRUE(OnlyStrict(p)->Match(P("linux", "arm64")));
}

TEST(AllWithPreferenceTest, MatchesEverythingPreferredFirst) {
  struct Case {
    std::string preferred;
    std::vector<std::string> candidates;
    std::vector<std::string> want;
  };
  const Case cases[] = {
      {"linux/amd64",
       {"windows/amd64", "linux/arm64", "linux/386", "linux/amd64", "linux/arm/v7", "linux/s390x",
        "linux/amd64/v2"},
       {"linux/amd64", "linux/386", "linux/amd64/v2", "linux/arm/v7", "linux/arm64", "linux/s390x",
        "windows/amd64"}},
      {"linux/arm64",
       {"linux/amd64", "linux/arm/v6", "linux/arm64/v8", "linux/ppc64le", "linux/arm/v7", "linux/386"},
       {"linux/arm64/v8", "linux/arm/v7", "linux/arm/v6", "linux/386", "linux/amd64", "linux/ppc64le"}},
      {"linux/riscv64", {"linux/s390x", "linux/amd64", "linux/riscv64", "darwin/arm64"},
       {"linux/riscv64", "darwin/arm64", "linux/amd64", "linux/s390x"}},
  };
  for (const Case& c : cases) {
    auto m = AllWithPreference(MustParse(c.preferred));
    for (const auto& s : c.candidates) EXPECT_TRUE(m->Match(MustParse(s))) << s;
    EXPECT_EQ(Ranked(*m, c.candidates), c.want) << c.preferred;
  }
  auto m = AllWithPreference(MustParse("linux/amd64"));
  // Non-preferred platforms compare by their normalised formatted form.
  EXPECT_FALSE(m->Less(P("linux", "arm"), P("linux", "arm", "v7")));
  EXPECT_FALSE(m->Less(P("linux", "arm", "v7"), P("linux", "arm")));
  EXPECT_TRUE(m->Less(P("linux", "arm", "v6"), P("linux", "arm")));
  EXPECT_TRUE(m->Match(Platform{}));
}

TEST(MatcherTest, ConcurrentUse) {
  auto m = Only(MustParse("linux/arm64"));
  const Platform yes = MustParse("linux/arm/v7"), no = MustParse("linux/amd64");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        if (!m->Match(yes) || m->Match(no) || !m->Less(yes, no)) failures.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace berth
