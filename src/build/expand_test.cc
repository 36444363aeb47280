// Variable substitution (the shell lexer), build-argument scoping and which
// words each instruction substitutes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "berth/dockerfile.h"
#include "berth/dockerfile_expand.h"

namespace berth::dockerfile {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

const Variables kVars = {{"PWD", "/home"}, {"SHELL", "bash"}, {"NULL", ""}, {"space", "abc  def"}, {"lead", "  ab c"}};

std::string Word(std::string_view word, char escape = '\\') {
  Result<std::string> out = Lexer(escape).Word(word, kVars);
  EXPECT_TRUE(out.ok()) << word << ": " << out.status().message();
  return out.ok() ? *out : "<error>";
}

std::string WordError(std::string_view word) {
  Result<std::string> out = Lexer().Word(word, kVars);
  EXPECT_FALSE(out.ok()) << word << " gave " << (out.ok() ? *out : "");
  return out.ok() ? "" : out.status().message();
}

TEST(LexerWord, QuotesAndEscapes) {
  EXPECT_EQ(Word("hello"), "hello");
  EXPECT_EQ(Word("he'll'o"), "hello");
  EXPECT_EQ(Word("he\\'llo"), "he'llo");
  EXPECT_EQ(Word("abc\\tdef"), "abctdef");
  EXPECT_EQ(Word("\"abc\\tdef\""), "abc\\tdef");
  EXPECT_EQ(Word("\"abc\\\\tdef\""), "abc\\tdef");
  EXPECT_EQ(Word("'abc\\tdef'"), "abc\\tdef");
  EXPECT_EQ(Word("hello\\"), "hello");
  EXPECT_EQ(Word("hello\\\\"), "hello\\");
  EXPECT_EQ(Word("\"hel'lo\""), "hel'lo");
  EXPECT_EQ(Word("'hello\\'"), "hello\\");
  EXPECT_EQ(Word("\"''\""), "''");
  EXPECT_EQ(Word("'\"hello\"'"), "\"hello\"");
  EXPECT_EQ(Word("안'녕'하세요"), "안녕하세요");
  EXPECT_EQ(Word("a`$PWD", '`'), "a$PWD");
  EXPECT_EQ(Word("a\\$PWD", '`'), "a\\/home");
}

TEST(LexerWord, Variables) {
  EXPECT_EQ(Word("$."), "$.");
  EXPECT_EQ(Word("he$1x"), "hex");
  EXPECT_EQ(Word("he$pwd."), "he.");
  EXPECT_EQ(Word("he$PWD"), "he/home");
  EXPECT_EQ(Word("he\\$PWD"), "he$PWD");
  EXPECT_EQ(Word("he\\\\$PWD"), "he\\/home");
  EXPECT_EQ(Word("\"he\\$PWD\""), "he$PWD");
  EXPECT_EQ(Word("\\${}aaa"), "${}aaa");
  EXPECT_EQ(Word("he${hi}xx"), "hexx");
  EXPECT_EQ(Word("he${PWD}"), "he/home");
  EXPECT_EQ(Word("'he${PWD}'"), "he${PWD}");
  EXPECT_EQ(Word("\"he'$PWD'\""), "he'/home'");
  EXPECT_EQ(Word("$$ $? $@"), "  ");
}

TEST(LexerWord, Modifiers) {
  EXPECT_EQ(Word("he${XXX:-000}xx"), "he000xx");
  EXPECT_EQ(Word("he${PWD:-000}xx"), "he/homexx");
  EXPECT_EQ(Word("he${XXX:-${PWD:-yyy}}xx"), "he/homexx");
  EXPECT_EQ(Word("he${XXX:-${YYY:-yyy}}xx"), "heyyyxx");
  EXPECT_EQ(Word("${NULL:-empty}"), "empty");
  EXPECT_EQ(Word("${NULL-unset}"), "");
  EXPECT_EQ(Word("${XXX-unset}"), "unset");
  EXPECT_EQ(Word("he${XXX:+000}xx"), "hexx");
  EXPECT_EQ(Word("he${PWD:+000}xx"), "he000xx");
  EXPECT_EQ(Word("he${PWD:+${SHELL}}xx"), "hebashxx");
  EXPECT_EQ(Word("${NULL:+set}"), "");
  EXPECT_EQ(Word("${NULL+set}"), "set");
  EXPECT_EQ(Word("he${PWD?}"), "he/home");
  EXPECT_EQ(Word("he${NULL?}"), "he");
  EXPECT_EQ(Word("he${PWD:+${PWD}:}xx"), "he/home:xx");
  EXPECT_EQ(Word("he${XXX:-\\$PWD:}xx"), "he$PWD:xx");
  EXPECT_EQ(Word("he${XXX:-\\${PWD}z}xx"), "he${PWDz}xx");
}

TEST(LexerWord, Errors) {
  EXPECT_EQ(WordError("he'llo"),
            "failed to process \"he'llo\": unexpected end of statement while looking for matching single-quote");
  EXPECT_EQ(WordError("\"hello\\\""),
            "failed to process \"\\\"hello\\\\\\\"\": unexpected end of statement while looking for matching "
            "double-quote");
  EXPECT_EQ(WordError("he${}xx"), "failed to process \"he${}xx\": syntax error: bad substitution");
  EXPECT_EQ(WordError("he${:-x}"), "failed to process \"he${:-x}\": syntax error: bad substitution");
  EXPECT_EQ(WordError("he${"), "failed to process \"he${\": syntax error: missing '}'");
  EXPECT_EQ(WordError("he${XXX:-x"), "failed to process \"he${XXX:-x\": syntax error: missing '}'");
  EXPECT_EQ(WordError("he${.}"), "failed to process \"he${.}\": unsupported modifier (.) in substitution");
  EXPECT_EQ(WordError("he${XXX:YYY}"), "failed to process \"he${XXX:YYY}\": unsupported modifier (:Y) in substitution");
  EXPECT_EQ(WordError("he${PWD:=000}xx"),
            "failed to process \"he${PWD:=000}xx\": unsupported modifier (:=) in substitution");
  EXPECT_EQ(WordError("he${PWD"), "failed to process \"he${PWD\": unsupported modifier (\xEF\xBF\xBD) in substitution");
  EXPECT_EQ(WordError("he${XXX?}"), "failed to process \"he${XXX?}\": XXX: is not allowed to be unset");
  EXPECT_EQ(WordError("he${NULL:?}"), "failed to process \"he${NULL:?}\": NULL: is not allowed to be empty");
  EXPECT_EQ(WordError("${XXX:?must be set}"), "failed to process \"${XXX:?must be set}\": XXX: must be set");
  EXPECT_EQ(WordError("${PWD:#x}"), "failed to process \"${PWD:#x}\": unsupported modifier (:#) in substitution");
  EXPECT_EQ(WordError("${PWD#\\x}"),
            "failed to process \"${PWD#\\\\x}\": invalid pattern (\\x) in substitution: invalid escape '\\x'");
  EXPECT_EQ(WordError("${PWD/x"), "failed to process \"${PWD/x\": syntax error: missing '/' in ${}");
  EXPECT_EQ(WordError("${PWD/x/y"), "failed to process \"${PWD/x/y\": syntax error: missing '}'");
}

std::string WordWith(std::string_view word, const Variables& vars) {
  Result<std::string> out = Lexer().Word(word, vars);
  EXPECT_TRUE(out.ok()) << word << ": " << out.status().message();
  return out.ok() ? *out : "<error>";
}

TEST(LexerWord, PatternRemoval) {
  EXPECT_EQ(WordWith("${F#()[]{\\}^$.\\*\\?|\\\\}", {{"F", "()[]{}^$.*?|\\x"}}), "x");
  EXPECT_EQ(WordWith("${F%%\\**}", {{"F", "xx**"}}), "xx");
  EXPECT_EQ(WordWith("${F#*x*y}", {{"F", "xxyy"}}), "y");
  EXPECT_EQ(WordWith("${F#*}", {{"F", "xxyy"}}), "xxyy");
  EXPECT_EQ(WordWith("${F##*x}", {{"F", "xxyy"}}), "yy");
  EXPECT_EQ(WordWith("${F#$B}", {{"F", "xxyy"}, {"B", "x"}}), "xyy");
  EXPECT_EQ(WordWith("${F#}", {{"F", "xxyy"}}), "xxyy");
  EXPECT_EQ(WordWith("${F#?\\?}", {{"F", "???y"}}), "?y");
  EXPECT_EQ(WordWith("${F%x}", {{"F", "xxyy"}}), "xxyy");
  EXPECT_EQ(WordWith("${F%y*}", {{"F", "xyxy"}}), "xyx");
  EXPECT_EQ(WordWith("${F%%y*}", {{"F", "xyxy"}}), "x");
  EXPECT_EQ(WordWith("${F%%\\**\\*}", {{"F", "a***yy*"}}), "a");
  EXPECT_EQ(WordWith("${F%.tar.gz}", {{"F", "app-1.0.tar.gz"}}), "app-1.0");
  EXPECT_EQ(WordWith("${U#x}", {}), "");
}

TEST(LexerWord, PatternReplacement) {
  Variables vars = {{"F", "/foo*/*/*.txt"}, {"N", "\\*/"}};
  EXPECT_EQ(WordWith("${F/$N/.} - ${F//$N/.}", vars), "/foo.*/*.txt - /foo..*.txt");
  EXPECT_EQ(WordWith("${F/$N/} - ${F//$N/}", {{"F", "/tmp/tmp/bar.txt"}, {"N", "/tmp"}}), "/tmp/bar.txt - /bar.txt");
  EXPECT_EQ(WordWith("${F/$N/$R} - ${F//$N/$R}", {{"F", "/a/foo/b/c.txt"}, {"N", "/?/"}, {"R", "/"}}),
            "/foo/b/c.txt - /foo/c.txt");
  EXPECT_EQ(WordWith("${F//\\//\\/}", {{"F", "/tmp/foo.txt"}}), "\\/tmp\\/foo.txt");
  EXPECT_EQ(WordWith("${F/$B/ww}", {{"F", "xxyy"}, {"B", ""}}), "wwxxyy");
  EXPECT_EQ(WordWith("${F///}", {{"F", "xxyy"}}), "xxyy");
  EXPECT_EQ(WordWith("${F///}", {}), "");
  // The every-match form expands $0 (the match) and $$, as Go's ReplaceAllString.
  EXPECT_EQ(WordWith("${F//o/$R}", {{"F", "foo"}, {"R", "<$0$$>"}}), "f<o$><o$>");
  EXPECT_EQ(WordWith("${F/o/$R}", {{"F", "foo"}, {"R", "<$0>"}}), "f<$0>o");  // the first-match form: literal
  EXPECT_EQ(WordWith("${F//o/<\\$0>}", {{"F", "foo"}}), "f<\\o><\\o>");       // the escape stays, raw
  EXPECT_EQ(WordWith("${F//x*/-}", {{"F", "axbxc"}}), "a-");
  EXPECT_EQ(WordWith("${F//*/-}", {{"F", "ab"}}), "-");
}

TEST(LexerWords, SplitsAtUnquotedSpaces) {
  auto words = [](std::string_view text) {
    Result<std::vector<std::string>> out = Lexer().Words(text, kVars);
    EXPECT_TRUE(out.ok()) << out.status().message();
    return out.ok() ? *out : std::vector<std::string>();
  };
  EXPECT_THAT(words("hello${space}bye"), ElementsAre("helloabc", "defbye"));
  EXPECT_THAT(words("hello\"${space}\"bye"), ElementsAre("helloabc  defbye"));
  EXPECT_THAT(words("hello${lead}def"), ElementsAre("hello", "ab", "cdef"));
  EXPECT_THAT(words("hello\\ there"), ElementsAre("hello there"));
  EXPECT_THAT(words("hello\\\" there"), ElementsAre("hello\"", "there"));
  EXPECT_THAT(words("a '' b"), ElementsAre("a", "b"));
  EXPECT_THAT(words("80 ${NULL} 443/udp"), ElementsAre("80", "443/udp"));
}

TEST(BuildArgs, MetaArgsScopeAndDefaults) {
  Result<Dockerfile> df = ParseDockerfile(
      "ARG TAG=3 IMG=alpine\n"
      "ARG REF=${IMG}:${TAG}\n"
      "FROM $REF\n"
      "ARG TAG\n"
      "ARG OTHER=x\n"
      "RUN true\n");
  ASSERT_TRUE(df.ok()) << df.status().message();
  Lexer lexer(df->escape);
  BuildArgs global({{"TAG", "edge"}, {"UNUSED", "1"}, {"HTTP_PROXY", "http://p"}, {"NULLED", std::nullopt}});
  for (const Instruction& meta : df->meta_args) ASSERT_TRUE(global.AddMetaArgs(meta, lexer).ok());
  // FROM sees the meta arguments, with the build's values.
  Stage stage = df->stages[0];
  ASSERT_TRUE(ExpandFrom(&stage, lexer, global).ok());
  EXPECT_EQ(stage.base_name, "alpine:edge");
  // A stage starts with no argument allowed but the proxy variables given.
  BuildArgs args = global.ForStage();
  EXPECT_THAT(args.AllAllowed(), UnorderedElementsAre(Pair("HTTP_PROXY", "http://p")));
  // Re-declared without a default: the build's value (else the meta value).
  for (const Instruction& ins : df->stages[0].instructions) {
    if (ins.kind != Kind::kArg) continue;
    Instruction expanded = ins;
    ASSERT_TRUE(ExpandInstruction(&expanded, lexer, StageVariables({}, args)).ok());
    for (const ArgDecl& a : expanded.args) args.AddArg(a.key, a.default_value);
  }
  EXPECT_THAT(args.AllAllowed(),
              UnorderedElementsAre(Pair("TAG", "edge"), Pair("OTHER", "x"), Pair("HTTP_PROXY", "http://p")));
  // IMG and REF were declared before FROM only: not visible in the stage.
  EXPECT_EQ(args.AllAllowed().count("IMG"), 0u);
  global.MergeReferenced(args);
  EXPECT_EQ(global.UnusedWarning(), "[Warning] One or more build-args [NULLED UNUSED] were not consumed\n");
}

TEST(BuildArgs, RedeclaredMetaArgKeepsItsDefault) {
  BuildArgs global;
  Instruction meta;
  meta.kind = Kind::kArg;
  meta.args = {{"V", "1.0"}};
  ASSERT_TRUE(global.AddMetaArgs(meta, Lexer()).ok());
  BuildArgs stage = global.ForStage();
  EXPECT_TRUE(stage.AllAllowed().empty());
  stage.AddArg("V", std::nullopt);
  EXPECT_THAT(stage.AllAllowed(), UnorderedElementsAre(Pair("V", "1.0")));
  stage.AddArg("V", "2.0");
  EXPECT_THAT(stage.AllAllowed(), UnorderedElementsAre(Pair("V", "2.0")));
  EXPECT_EQ(global.UnusedWarning(), "");
}

TEST(BuildArgs, EnvironmentWinsOverArguments) {
  BuildArgs args(std::map<std::string, std::optional<std::string>>{{"A", "from-build"}});
  args.AddArg("A", std::nullopt);
  args.AddArg("B", "b");
  Variables vars = StageVariables({"A=from-env", "PATH=/bin", "EMPTY"}, args);
  EXPECT_THAT(vars,
              UnorderedElementsAre(Pair("A", "from-env"), Pair("PATH", "/bin"), Pair("EMPTY", ""), Pair("B", "b")));
}

Instruction ExpandedOnly(std::string_view line, const Variables& vars) {
  Result<Dockerfile> df = ParseDockerfile("FROM a\n" + std::string(line) + "\n");
  EXPECT_TRUE(df.ok()) << df.status().message();
  if (!df.ok()) return Instruction();
  Instruction ins = df->stages[0].instructions[0];
  Status s = ExpandInstruction(&ins, Lexer(df->escape), vars);
  EXPECT_TRUE(s.ok()) << s.message();
  return ins;
}

TEST(ExpandInstruction, WhichWordsAreSubstituted) {
  Variables vars = {{"D", "/data"}, {"U", "app"}, {"P", "80 443"}, {"X", "x"}};
  EXPECT_THAT(ExpandedOnly("ENV A=$D B=\"$U and ${X}\" C='$D'", vars).pairs,
              ElementsAre(KeyValue{"A", "/data"}, KeyValue{"B", "app and x"}, KeyValue{"C", "$D"}));
  EXPECT_THAT(ExpandedOnly("ENV OLD \"quoted $X\"", vars).pairs, ElementsAre(KeyValue{"OLD", "quoted x", true}));
  EXPECT_THAT(ExpandedOnly("LABEL \"k$X\"=v$X", vars).pairs, ElementsAre(KeyValue{"kx", "vx"}));
  Instruction copy = ExpandedOnly("COPY --chown=$U:$U --from=$X $D/a ${D}/b", vars);
  EXPECT_EQ(copy.chown, "app:app");
  EXPECT_EQ(copy.from, "$X");  // not substituted, as in Docker's classic builder
  EXPECT_THAT(copy.words, ElementsAre("/data/a"));
  EXPECT_EQ(copy.value, "/data/b");
  EXPECT_EQ(ExpandedOnly("WORKDIR $D/w", vars).value, "/data/w");
  EXPECT_EQ(ExpandedOnly("USER $U", vars).value, "app");
  EXPECT_EQ(ExpandedOnly("STOPSIGNAL SIG$X", vars).value, "SIGx");
  EXPECT_THAT(ExpandedOnly("VOLUME $D /v", vars).words, ElementsAre("/data", "/v"));
  EXPECT_THAT(ExpandedOnly("EXPOSE $P 53/udp", vars).words, ElementsAre("80", "443", "53/udp"));
  // Left to the shell (or never substituted).
  EXPECT_THAT(ExpandedOnly("RUN echo $D", vars).command, ElementsAre("echo $D"));
  EXPECT_THAT(ExpandedOnly("CMD [\"$D\"]", vars).command, ElementsAre("$D"));
  EXPECT_EQ(ExpandedOnly("ONBUILD RUN $D", vars).value, "RUN $D");
  EXPECT_EQ(ExpandedOnly("MAINTAINER $U", vars).value, "$U");
}

TEST(ExpandInstruction, ErrorsAreDockers) {
  Result<Dockerfile> df = ParseDockerfile("FROM a\nWORKDIR ${D:?no dir}\n");
  ASSERT_TRUE(df.ok());
  Instruction ins = df->stages[0].instructions[0];
  Status s = ExpandInstruction(&ins, Lexer(), {});
  EXPECT_EQ(s.message(), "failed to process \"${D:?no dir}\": D: no dir");
}

}  // namespace
}  // namespace berth::dockerfile
