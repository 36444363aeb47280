#include "api/query.h"

#include <gtest/gtest.h>

namespace berth::api {
namespace {

TEST(BoolValue, DockerSemantics) {
  struct Case {
    const char* in;
    bool want;
  } cases[] = {
      {"", false},     {"0", false},   {"no", false},    {"false", false}, {"none", false},
      {"False", false}, {"NONE", false}, {" false ", false}, {"1", true},   {"true", true},
      {"True", true},   {"yes", true},  {"anything", true}, {"2", true},
  };
  for (const auto& c : cases) EXPECT_EQ(BoolValue(c.in), c.want) << "value '" << c.in << "'";
}

TEST(Query, ParsesRepeatedKeysAndPlus) {
  Result<Query> q = Query::Parse("force=True&noprune=False&platforms=%7B%22os%22%7D&platforms=x&tag=a+b&flag");
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(q->Bool("force"));
  EXPECT_FALSE(q->Bool("noprune"));
  EXPECT_EQ(q->GetAll("platforms"), (std::vector<std::string>{"{\"os\"}", "x"}));
  EXPECT_EQ(q->Get("platforms"), "{\"os\"}");
  EXPECT_EQ(q->Get("tag"), "a b");
  EXPECT_TRUE(q->Has("flag"));
  EXPECT_EQ(q->Get("flag"), "");
  EXPECT_FALSE(q->Has("missing"));
  EXPECT_FALSE(q->Bool("missing"));
  EXPECT_TRUE(q->BoolOr("missing", true));
  EXPECT_FALSE(q->BoolOr("noprune", true));
}

TEST(Query, EmptyAndBad) {
  Result<Query> q = Query::Parse("");
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE(q->Has(""));
  EXPECT_FALSE(Query::Parse("a=%G1").ok());
}

TEST(ResizeDimension, DockersUint32ValueAndItsMessages) {
  auto dim = [](std::string_view raw, std::string_view key) -> std::string {
    Result<Query> q = Query::Parse(raw);
    if (!q.ok()) return q.status().message();
    Result<int> n = ResizeDimension(*q, key);
    return n.ok() ? std::to_string(*n) : n.status().message();
  };
  EXPECT_EQ(dim("h=41&w=120", "h"), "41");
  EXPECT_EQ(dim("h=41&w=120", "w"), "120");
  EXPECT_EQ(dim("h=0", "h"), "0");
  EXPECT_EQ(dim("h=x", "h"), "invalid resize height \"x\": invalid syntax");
  EXPECT_EQ(dim("w=", "w"), "invalid resize width \"\": invalid syntax");
  EXPECT_EQ(dim("", "h"), "invalid resize height \"\": invalid syntax");
  EXPECT_EQ(dim("h=%2B5", "h"), "invalid resize height \"+5\": invalid syntax");
  EXPECT_EQ(dim("h=-5", "h"), "invalid resize height \"-5\": value out of range");
  EXPECT_EQ(dim("h=--5", "h"), "invalid resize height \"--5\": invalid syntax");
  EXPECT_EQ(dim("h=-x", "h"), "invalid resize height \"-x\": invalid syntax");
  EXPECT_EQ(dim("w=4294967296", "w"), "invalid resize width \"4294967296\": value out of range");
  EXPECT_EQ(dim("w=70000", "w"), "resize width 70000 is more than a terminal has (65535)");
}

TEST(Filters, MapForm) {
  Result<Filters> f = Filters::FromJson(R"({"dangling":{"false":true},"label":{"x=y":true,"a":true}})");
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->Contains("dangling"));
  EXPECT_EQ(f->Get("label"), (std::vector<std::string>{"a", "x=y"}));
  EXPECT_EQ(*f->GetBoolOrDefault("dangling", true), false);
  EXPECT_EQ(*f->GetBoolOrDefault("absent", true), true);
}

TEST(Filters, LegacyListForm) {
  // The Python SDK's prune(filters={'dangling': False}) after '+' decoding.
  Result<Query> q = Query::Parse("filters=%7B%22dangling%22%3A+%5B%22false%22%5D%7D");
  ASSERT_TRUE(q.ok());
  Result<Filters> f = Filters::FromJson(q->Get("filters"));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->Get("dangling"), (std::vector<std::string>{"false"}));
  EXPECT_EQ(*f->GetBoolOrDefault("dangling", true), false);
}

TEST(Filters, Errors) {
  EXPECT_TRUE(Filters::FromJson("")->empty());
  EXPECT_TRUE(Filters::FromJson("null")->empty());
  // Whatever is wrong, Docker's filters.FromJSON answers "invalid filter".
  for (const char* bad : {"{not json", "[1,2]", R"("x")", R"({"a":[1]})", R"({"a":{"b":"c"}})", R"({"a":"b"})",
                          R"({"a":{"b":true},"c":["d"]})"}) {
    Result<Filters> r = Filters::FromJson(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << bad;
    EXPECT_EQ(r.status().message(), "invalid filter") << bad;
  }
  // Go leaves a null bool false and a null string "".
  Filters nulls = *Filters::FromJson(R"({"a":{"x":null},"b":null})");
  EXPECT_EQ(nulls.Get("a"), (std::vector<std::string>{"x"}));
  EXPECT_TRUE(nulls.Contains("b"));
  EXPECT_EQ(Filters::FromJson(R"({"a":["x",null]})")->Get("a"), (std::vector<std::string>{"", "x"}));

  Filters f = *Filters::FromJson(R"({"dangling":{"x":true},"bogus":{"1":true}})");
  Status v = f.Validate({"dangling"});
  EXPECT_EQ(v.code(), Code::kInvalidArgument);
  EXPECT_EQ(v.message(), "invalid filter 'bogus'");
  Result<bool> b = f.GetBoolOrDefault("dangling", false);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().message(), "invalid filter 'dangling=[x]'");
  // Both spellings at once is a conflict too.
  Filters both = *Filters::FromJson(R"({"dangling":["true","0"]})");
  EXPECT_EQ(both.GetBoolOrDefault("dangling", false).status().message(), "invalid filter 'dangling=[0 true]'");
  // A map-form value set to false does not count.
  Filters off = *Filters::FromJson(R"({"dangling":{"true":false}})");
  EXPECT_FALSE(off.GetBoolOrDefault("dangling", false).ok());
  EXPECT_TRUE(*Filters::FromJson(R"({"dangling":["1"]})")->GetBoolOrDefault("dangling", false));
}

TEST(Versions, CompareAndPrefix) {
  EXPECT_EQ(CompareVersions("1.50", "1.50"), 0);
  EXPECT_EQ(CompareVersions("1.9", "1.10"), -1);
  EXPECT_EQ(CompareVersions("1.51", "1.50"), 1);
  EXPECT_EQ(CompareVersions("1.50.0", "1.50"), 0);
  EXPECT_EQ(SplitVersionPrefix("/v1.50/images/json"), (std::pair<std::string, std::string>{"1.50", "/images/json"}));
  EXPECT_EQ(SplitVersionPrefix("/_ping"), (std::pair<std::string, std::string>{"", "/_ping"}));
  EXPECT_EQ(SplitVersionPrefix("/version"), (std::pair<std::string, std::string>{"", "/version"}));
  EXPECT_EQ(SplitVersionPrefix("/v1.24"), (std::pair<std::string, std::string>{"1.24", "/"}));
  EXPECT_EQ(SplitVersionPrefix("/vx/a"), (std::pair<std::string, std::string>{"", "/vx/a"}));
}

TEST(Versions, CheckMessages) {
  EXPECT_TRUE(CheckApiVersion("1.50", "1.24", "1.50").ok());
  EXPECT_TRUE(CheckApiVersion("1.24", "1.24", "1.50").ok());
  Status hi = CheckApiVersion("1.51", "1.24", "1.50");
  EXPECT_EQ(hi.code(), Code::kInvalidArgument);
  EXPECT_EQ(hi.message(), "client version 1.51 is too new. Maximum supported API version is 1.50");
  Status lo = CheckApiVersion("1.12", "1.24", "1.50");
  EXPECT_EQ(lo.message(),
            "client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a "
            "newer version");
}

TEST(PlatformParam, JsonOnlyWithGoErrorsAndMultiple) {
  Result<Platform> j = DecodePlatformParam(R"({"architecture":"arm64","os":"linux"})");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ(j->os, "linux");
  EXPECT_EQ(j->architecture, "arm64");
  // Docker's DecodePlatform is JSON only: a specifier or an empty value is
  // a JSON syntax error, with Go's encoding/json text.
  Result<Platform> s = DecodePlatformParam("linux/arm64");
  EXPECT_EQ(s.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(s.status().message(), "failed to parse platform: invalid character 'l' looking for beginning of value");
  EXPECT_EQ(DecodePlatformParam("").status().message(), "failed to parse platform: unexpected end of JSON input");
  Result<Platform> missing = DecodePlatformParam(R"({"variant":"v8"})");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "optional platform fields provided, but OS and Architecture are missing");
  Result<Platform> half = DecodePlatformParam(R"({"os":"linux"})");
  EXPECT_EQ(half.status().message(), "both OS and Architecture must be provided");
  Result<Platform> broken = DecodePlatformParam("{bad");
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.status().message(), "failed to parse platform: invalid character 'b' looking for beginning of object key string");

  // Pull and container create keep the specifier form too.
  Result<Platform> spec = DecodePlatformOrSpecifier("linux/arm64");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->architecture, "arm64");
  EXPECT_EQ(DecodePlatformOrSpecifier(R"({"architecture":"arm64","os":"linux"})")->architecture, "arm64");
  Query specifier = *Query::Parse("platform=linux%2Farm64");
  EXPECT_EQ(SinglePlatformParam(specifier).status().message(),
            "failed to parse platform: invalid character 'l' looking for beginning of value");
  EXPECT_EQ((*SinglePlatformParam(specifier, PlatformSyntax::kJsonOrSpecifier))->architecture, "arm64");

  Query two = *Query::Parse("platform=%7B%7D&platform=x");
  Result<std::optional<Platform>> multi = SinglePlatformParam(two);
  ASSERT_FALSE(multi.ok());
  EXPECT_EQ(multi.status().message(), "multiple platform parameters not supported");
  Query none = *Query::Parse("platform=");
  EXPECT_FALSE(SinglePlatformParam(none)->has_value());
  EXPECT_FALSE(SinglePlatformParam(Query())->has_value());
}

}  // namespace
}  // namespace berth::api
