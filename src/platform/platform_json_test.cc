// Table-driven tests for the JSON OCI platform form: Docker's DecodePlatform
// errors (Go encoding/json texts) and Go's marshalling of ocispec.Platform.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "berth/platform.h"
#include "platform/platform_test_util.h"

namespace berth {
namespace {

using platform_test::Describe;
using platform_test::P;

TEST(ParsePlatformJsonTest, Errors) {
  struct Case {
    std::string in;
    std::string want;
  };
  const std::string both = "both OS and Architecture must be provided";
  const std::string optional = "optional platform fields provided, but OS and Architecture are missing";
  const Case cases[] = {
      {"", "failed to parse platform: unexpected end of JSON input"},
      {"linux/ams64", "failed to parse platform: invalid character 'l' looking for beginning of value"},
      {R"({"architecture")", "failed to parse platform: unexpected end of JSON input"},
      {R"({"os":"linux",})",
       "failed to parse platform: invalid character '}' looking for beginning of object key string"},
      {R"({"os" "linux"})", "failed to parse platform: invalid character '\"' after object key"},
      {R"({"os":"linux" "architecture":"amd64"})",
       "failed to parse platform: invalid character '\"' after object key:value pair"},
      {R"({"os":"linux"} x)", "failed to parse platform: invalid character 'x' after top-level value"},
      {R"({"os":tru})", "failed to parse platform: invalid character '}' in literal true (expecting 'e')"},
      {R"({"os":[1 2]})", "failed to parse platform: invalid character '2' after array element"},
      {R"({"os":"\q"})", "failed to parse platform: invalid character 'q' in string escape code"},
      {R"({"architecture":"amd64","os":""})", both},
      {R"({"architecture":"","os":"linux"})", both},
      {R"({"architecture":"amd64"})", both},
      {R"({"os":"linux","variant":"v7"})", both},
      {R"({})", both},
      {"null", both},
      {R"({"os.features":[]})", both},
      {R"({"os":null,"architecture":null})", both},
      {R"({"architecture":"","os":"","variant":"v7"})", optional},
      {R"({"architecture":"","os":"","os.version":"12.0"})", optional},
      {R"({"architecture":"","os":"","os.features":["a","b"]})", optional},
      {R"({"os.features":[null]})", optional},
      {R"({"Variant":"v8"})", optional},
      {R"({"os":1,"architecture":"amd64"})",
       "failed to parse platform: json: cannot unmarshal number into Go struct field Platform.os of "
       "type string"},
      {R"({"os":"linux","architecture":true})",
       "failed to parse platform: json: cannot unmarshal bool into Go struct field "
       "Platform.architecture of type string"},
      {R"({"os":"linux","architecture":"amd64","variant":{}})",
       "failed to parse platform: json: cannot unmarshal object into Go struct field Platform.variant "
       "of type string"},
      {R"({"os":"linux","architecture":"amd64","os.features":"gpu"})",
       "failed to parse platform: json: cannot unmarshal string into Go struct field "
       "Platform.os.features of type []string"},
      {R"({"os":"linux","architecture":"amd64","os.features":["a",1]})",
       "failed to parse platform: json: cannot unmarshal number into Go struct field "
       "Platform.os.features of type string"},
      {R"({"os.version":[],"os":2})",
       "failed to parse platform: json: cannot unmarshal array into Go struct field "
       "Platform.os.version of type string"},
      {"[]", "failed to parse platform: json: cannot unmarshal array into Go value of type v1.Platform"},
      {R"("linux/amd64")",
       "failed to parse platform: json: cannot unmarshal string into Go value of type v1.Platform"},
      {"42", "failed to parse platform: json: cannot unmarshal number into Go value of type v1.Platform"},
  };
  for (const Case& c : cases) {
    auto got = ParsePlatformJson(c.in);
    ASSERT_FALSE(got.ok()) << c.in << " parsed as " << Describe(*got);
    EXPECT_EQ(got.status().code(), Code::kInvalidArgument) << c.in;
    EXPECT_EQ(got.status().message(), c.want) << c.in;
  }
}

TEST(ParsePlatformJsonTest, Valid) {
  struct Case {
    std::string in;
    Platform want;
  };
  const Case cases[] = {
      {R"({"architecture":"arm64","os":"linux"})", P("linux", "arm64")},
      {R"({"architecture":"arm64","os":"linux","os.version":"12.0", "os.features":["a","b"], "variant": "v7"})",
       P("linux", "arm64", "v7", "12.0", {"a", "b"})},
      // Not normalised.
      {R"({"architecture":"x86_64","os":"Linux","variant":"v1"})", P("Linux", "x86_64", "v1")},
      // Keys match case-insensitively; unknown keys and nulls are ignored.
      {R"({"OS":"linux","Architecture":"amd64","VARIANT":"v2"})", P("linux", "amd64", "v2")},
      {R"({"os":"linux","architecture":"amd64","extra":{"x":[1,2]},"variant":null})",
       P("linux", "amd64")},
      {R"({"os":"windows","os":"linux","architecture":"amd64"})", P("linux", "amd64")},
      {R"({"os":"linux","OS":null,"architecture":"amd64"})", P("linux", "amd64")},
      {R"({"os":"linux","architecture":"amd64","os.features":null})", P("linux", "amd64")},
      {R"({"os":"linux","architecture":"amd64","os.features":["a",null]})",
       P("linux", "amd64", "", "", {"a", ""})},
      {" \n{\"os\":\"linux\",\"architecture\":\"arm\"}\t", P("linux", "arm")},
      {R"({"os":"li\u006Eux","architecture":"amd\/64"})", P("linux", "amd/64")},
      {"{\"os\":\"li\xffnux\",\"architecture\":\"amd64\"}", P("li\xef\xbf\xbdnux", "amd64")},
  };
  for (const Case& c : cases) {
    auto got = ParsePlatformJson(c.in);
    ASSERT_TRUE(got.ok()) << c.in << ": " << got.status().ToString();
    EXPECT_EQ(*got, c.want) << c.in << " gave " << Describe(*got);
  }
}

TEST(PlatformToJsonTest, Vectors) {
  struct Case {
    Platform in;
    std::string want;
  };
  const Case cases[] = {
      {P("linux", "arm64"), R"({"architecture":"arm64","os":"linux"})"},
      {P("linux", "arm", "v7"), R"({"architecture":"arm","os":"linux","variant":"v7"})"},
      {P("windows", "amd64", "", "10.0.17763"),
       R"({"architecture":"amd64","os":"windows","os.version":"10.0.17763"})"},
      {P("linux", "arm64", "v7", "12.0", {"a", "b"}),
       R"({"architecture":"arm64","os":"linux","os.version":"12.0","os.features":["a","b"],"variant":"v7"})"},
      {Platform{}, R"({"architecture":"","os":""})"},
      {P("a<b>&\"\\", "x\ny"), R"({"architecture":"x\ny","os":"a\u003cb\u003e\u0026\"\\"})"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(PlatformToJson(c.in), c.want) << Describe(c.in);
    if (!c.in.os.empty()) {
      auto back = ParsePlatformJson(PlatformToJson(c.in));
      ASSERT_TRUE(back.ok()) << back.status().ToString();
      EXPECT_EQ(*back, c.in);
    }
  }
}

}  // namespace
}  // namespace berth
