// The Dockerfile parser: lines, directives, continuations, forms, flags and
// each instruction, with Docker's error texts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "berth/dockerfile.h"

namespace berth::dockerfile {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Dockerfile MustParse(std::string_view text) {
  Result<Dockerfile> df = ParseDockerfile(text);
  EXPECT_TRUE(df.ok()) << df.status().message() << "\n" << text;
  return df.ok() ? *df : Dockerfile();
}

std::string ErrorOf(std::string_view text) {
  Result<Dockerfile> df = ParseDockerfile(text);
  EXPECT_FALSE(df.ok()) << text;
  if (df.ok()) return "";
  EXPECT_EQ(df.status().code(), Code::kInvalidArgument);
  return df.status().message();
}

// The single instruction of the first stage.
Instruction Only(std::string_view text) {
  Dockerfile df = MustParse(text);
  if (df.stages.size() != 1 || df.stages[0].instructions.size() != 1) {
    ADD_FAILURE() << "not one instruction: " << text;
    return Instruction();
  }
  return df.stages[0].instructions[0];
}

TEST(DockerfileParse, StagesAndMetaArgs) {
  Dockerfile df = MustParse(
      "ARG BASE=alpine\n"
      "FROM $BASE AS Build\n"
      "RUN make\n"
      "from scratch\n"
      "copy --from=build /out /out\n");
  ASSERT_EQ(df.meta_args.size(), 1u);
  EXPECT_EQ(df.meta_args[0].args[0].key, "BASE");
  EXPECT_EQ(df.meta_args[0].args[0].default_value, "alpine");
  ASSERT_EQ(df.stages.size(), 2u);
  EXPECT_EQ(df.stages[0].base_name, "$BASE");
  EXPECT_EQ(df.stages[0].name, "build");
  EXPECT_EQ(df.stages[0].code, "FROM $BASE AS Build");
  EXPECT_EQ(df.stages[0].start_line, 2);
  EXPECT_EQ(df.stages[1].base_name, "scratch");
  EXPECT_EQ(df.stages[1].name, "");
  ASSERT_EQ(df.stages[1].instructions.size(), 1u);
  const Instruction& copy = df.stages[1].instructions[0];
  EXPECT_EQ(copy.kind, Kind::kCopy);
  EXPECT_EQ(copy.from, "build");
  EXPECT_THAT(copy.words, ElementsAre("/out"));
  EXPECT_EQ(copy.value, "/out");
  EXPECT_EQ(copy.start_line, 5);
}

TEST(DockerfileParse, FromPlatformAndErrors) {
  Dockerfile df = MustParse("FROM --platform=linux/arm64 busybox as b\n");
  EXPECT_EQ(df.stages[0].platform, "linux/arm64");
  EXPECT_EQ(df.stages[0].name, "b");
  EXPECT_EQ(ErrorOf("FROM\n"), "dockerfile parse error on line 1: FROM requires either one or three arguments");
  EXPECT_EQ(ErrorOf("FROM a b\n"), "dockerfile parse error on line 1: FROM requires either one or three arguments");
  EXPECT_EQ(ErrorOf("FROM a AS 1x\n"),
            "dockerfile parse error on line 1: invalid name for build stage: \"1x\", name can't start with a number "
            "or contain symbols");
  EXPECT_EQ(ErrorOf("FROM --platfrom=x a\n"),
            "dockerfile parse error on line 1: unknown flag: --platfrom (did you mean platform?)");
  EXPECT_EQ(ErrorOf("FROM --os=x a\n"), "dockerfile parse error on line 1: unknown flag: --os");
  EXPECT_EQ(ErrorOf("RUN x\n"), "no build stage in current context");
}

TEST(DockerfileParse, UnknownInstruction) {
  EXPECT_EQ(ErrorOf("FROM a\n\nFOO bar\n"),
            "dockerfile parse error on line 3: unknown instruction: FOO (did you mean FROM?)");
  EXPECT_EQ(ErrorOf("FROM a\nXYZZY bar\n"), "dockerfile parse error on line 2: unknown instruction: XYZZY");
  EXPECT_EQ(ErrorOf("FROM a\nRUNN x\n"),
            "dockerfile parse error on line 2: unknown instruction: RUNN (did you mean RUN?)");
  EXPECT_EQ(ErrorOf("FROM a\ncopyy x y\n"),
            "dockerfile parse error on line 2: unknown instruction: copyy (did you mean copy?)");
}

TEST(DockerfileParse, EmptyAndCommentOnly) {
  EXPECT_EQ(ErrorOf(""), "the Dockerfile (Dockerfile) cannot be empty");
  EXPECT_EQ(ErrorOf("# nothing\n\n   \n"), "file with no instructions");
}

TEST(DockerfileParse, CommentsAndCaseInsensitiveKeywords) {
  Dockerfile df = MustParse("# c\nfRoM a\n  # indented comment\nrun echo hi # not a comment\n");
  ASSERT_EQ(df.stages[0].instructions.size(), 1u);
  EXPECT_THAT(df.stages[0].instructions[0].command, ElementsAre("echo hi # not a comment"));
  EXPECT_EQ(df.stages[0].instructions[0].start_line, 4);
}

TEST(DockerfileParse, Continuations) {
  Dockerfile df = MustParse(
      "FROM a\n"
      "RUN echo a \\\n"
      "# a comment inside\n"
      "  b \\  \n"
      "\n"
      "  c\n"
      "RUN x\n");
  const Stage& s = df.stages[0];
  ASSERT_EQ(s.instructions.size(), 2u);
  EXPECT_THAT(s.instructions[0].command, ElementsAre("echo a   b   c"));
  EXPECT_EQ(s.instructions[0].start_line, 2);
  EXPECT_EQ(s.instructions[0].end_line, 6);
  EXPECT_EQ(s.instructions[1].start_line, 7);
  ASSERT_EQ(df.warnings.size(), 1u);
  EXPECT_EQ(df.warnings[0], "Empty continuation line found in: RUN echo a   b   c");
}

TEST(DockerfileParse, DoubleEscapeDoesNotContinue) {
  Dockerfile df = MustParse("FROM a\nRUN echo \\\\\nRUN b\n");
  ASSERT_EQ(df.stages[0].instructions.size(), 2u);
  EXPECT_THAT(df.stages[0].instructions[0].command, ElementsAre("echo \\\\"));
}

TEST(DockerfileParse, ContinuationAtEndOfFile) {
  Instruction run = Only("FROM a\nRUN echo \\");
  EXPECT_THAT(run.command, ElementsAre("echo"));
}

TEST(DockerfileParse, EscapeDirective) {
  Dockerfile df = MustParse("# escape=`\nFROM a\nRUN dir c:\\ `\n  d\nCOPY a\\b c\\\n");
  EXPECT_EQ(df.escape, '`');
  ASSERT_EQ(df.stages[0].instructions.size(), 2u);
  EXPECT_THAT(df.stages[0].instructions[0].command, ElementsAre("dir c:\\   d"));
  EXPECT_EQ(df.stages[0].instructions[1].value, "c\\");
}

TEST(DockerfileParse, DirectivesOnlyAtTheTop) {
  // After an instruction (or a blank line), "# escape=`" is a comment.
  EXPECT_EQ(MustParse("FROM a\n# escape=`\nRUN a \\\n b\n").escape, '\\');
  EXPECT_EQ(MustParse("\n# escape=`\nFROM a\n").escape, '\\');
  // An unknown directive ends the directives.
  EXPECT_EQ(MustParse("# foo=bar\n# escape=`\nFROM a\n").escape, '\\');
  // syntax and check are read and ignored.
  EXPECT_EQ(MustParse("# syntax=docker/dockerfile:1\n# ESCAPE = `\nFROM a\n").escape, '`');
  EXPECT_EQ(ErrorOf("# escape=x\nFROM a\n"), "invalid escape token 'x' does not match ` or \\");
  EXPECT_EQ(ErrorOf("# escape=\\\n# escape=`\nFROM a\n"), "only one escape parser directive can be used");
}

TEST(DockerfileParse, ByteOrderMarkIsSkipped) {
  Dockerfile df = MustParse("\xEF\xBB\xBF# escape=`\nFROM a\n");
  EXPECT_EQ(df.escape, '`');
}

TEST(DockerfileParse, ExecAndShellForms) {
  Instruction exec = Only("FROM a\nCMD [\"echo\", \"a b\"]\n");
  EXPECT_THAT(exec.command, ElementsAre("echo", "a b"));
  EXPECT_FALSE(exec.shell_form);
  Instruction shell = Only("FROM a\nENTRYPOINT echo  \"a b\"\n");
  EXPECT_THAT(shell.command, ElementsAre("echo  \"a b\""));
  EXPECT_TRUE(shell.shell_form);
  // Not valid JSON: the shell form, as written.
  Instruction broken = Only("FROM a\nRUN [\"echo\", 'x']\n");
  EXPECT_THAT(broken.command, ElementsAre("[\"echo\", 'x']"));
  EXPECT_TRUE(broken.shell_form);
  Instruction empty = Only("FROM a\nENTRYPOINT []\n");
  EXPECT_TRUE(empty.command.empty());
  EXPECT_FALSE(empty.shell_form);
  EXPECT_EQ(ErrorOf("FROM a\nCMD [\"a\", 1]\n"),
            "when using JSON array syntax, arrays must be comprised of strings only");
}

TEST(DockerfileParse, EnvForms) {
  Instruction env = Only("FROM a\nENV A=1 B=\"x y\" C=z\\ w\n");
  EXPECT_THAT(env.pairs, ElementsAre(KeyValue{"A", "1"}, KeyValue{"B", "\"x y\""}, KeyValue{"C", "z\\ w"}));
  Instruction old = Only("FROM a\nENV A  one two\n");
  EXPECT_THAT(old.pairs, ElementsAre(KeyValue{"A", "one two", true}));
  EXPECT_EQ(ErrorOf("FROM a\nENV A\n"), "ENV must have two arguments");
  EXPECT_EQ(ErrorOf("FROM a\nENV\n"), "dockerfile parse error on line 2: ENV requires at least one argument");
  EXPECT_EQ(ErrorOf("FROM a\nENV A=1 B\n"), "Syntax error - can't find = in \"B\". Must be of the form: name=value");
  EXPECT_EQ(ErrorOf("FROM a\nENV =1\n"), "dockerfile parse error on line 2: ENV names can not be blank");
}

TEST(DockerfileParse, LabelArgExposeVolume) {
  Instruction label = Only("FROM a\nLABEL \"com.x\"=\"v 1\" b=2\n");
  EXPECT_THAT(label.pairs, ElementsAre(KeyValue{"\"com.x\"", "\"v 1\""}, KeyValue{"b", "2"}));
  EXPECT_EQ(ErrorOf("FROM a\nLABEL x\n"), "LABEL must have two arguments");
  Instruction arg = Only("FROM a\nARG A B=2 C=\n");
  EXPECT_THAT(arg.args, ElementsAre(ArgDecl{"A", std::nullopt}, ArgDecl{"B", "2"}, ArgDecl{"C", ""}));
  EXPECT_EQ(ErrorOf("FROM a\nARG =x\n"), "dockerfile parse error on line 2: ARG names can not be blank");
  EXPECT_EQ(ErrorOf("FROM a\nARG\n"), "dockerfile parse error on line 2: ARG requires at least one argument");
  Instruction expose = Only("FROM a\nEXPOSE 8080 443/tcp 53/udp\n");
  EXPECT_THAT(expose.words, ElementsAre("443/tcp", "53/udp", "8080"));
  Instruction volume = Only("FROM a\nVOLUME [\"/a\", \"/b c\"]\n");
  EXPECT_THAT(volume.words, ElementsAre("/a", "/b c"));
  Instruction words = Only("FROM a\nVOLUME /a /b\n");
  EXPECT_THAT(words.words, ElementsAre("/a", "/b"));
  EXPECT_EQ(ErrorOf("FROM a\nVOLUME [\" \"]\n"),
            "dockerfile parse error on line 2: VOLUME specified can not be an empty string");
  EXPECT_EQ(ErrorOf("FROM a\nEXPOSE\n"), "dockerfile parse error on line 2: EXPOSE requires at least one argument");
}

TEST(DockerfileParse, SingleArgumentInstructions) {
  EXPECT_EQ(Only("FROM a\nUSER app:app\n").value, "app:app");
  EXPECT_EQ(Only("FROM a\nWORKDIR /my dir\n").value, "/my dir");
  EXPECT_EQ(Only("FROM a\nSTOPSIGNAL SIGKILL\n").value, "SIGKILL");
  EXPECT_EQ(Only("FROM a\nMAINTAINER Jo <jo@x>\n").value, "Jo <jo@x>");
  EXPECT_EQ(ErrorOf("FROM a\nUSER\n"), "dockerfile parse error on line 2: USER requires exactly one argument");
  EXPECT_EQ(ErrorOf("FROM a\nWORKDIR\n"), "dockerfile parse error on line 2: WORKDIR requires exactly one argument");
}

TEST(DockerfileParse, CopyAndAdd) {
  Instruction copy = Only("FROM a\nCOPY --chown=1:2 [\"a b\", \"c\", \"/d/\"]\n");
  EXPECT_EQ(copy.chown, "1:2");
  EXPECT_THAT(copy.words, ElementsAre("a b", "c"));
  EXPECT_EQ(copy.value, "/d/");
  Instruction add = Only("FROM a\nADD \"--quoted\" x y\n");
  EXPECT_EQ(add.kind, Kind::kAdd);
  EXPECT_THAT(add.words, ElementsAre("\"--quoted\"", "x"));
  EXPECT_EQ(ErrorOf("FROM a\nCOPY x\n"),
            "dockerfile parse error on line 2: COPY requires at least two arguments, but only one was provided. "
            "Destination could not be determined");
  EXPECT_EQ(ErrorOf("FROM a\nADD --from=x a b\n"), "dockerfile parse error on line 2: unknown flag: --from");
  EXPECT_EQ(ErrorOf("FROM a\nCOPY --chown a b\n"),
            "dockerfile parse error on line 2: missing a value on flag: --chown");
  EXPECT_EQ(ErrorOf("FROM a\nCOPY --from=a --from=b a b\n"),
            "dockerfile parse error on line 2: duplicate flag specified: --from");
  EXPECT_EQ(ErrorOf("FROM a\nCOPY --link=maybe a b\n"),
            "dockerfile parse error on line 2: expecting boolean value for flag --link, not: maybe");
}

TEST(DockerfileParse, BuildKitOnlyOptionsAreRefused) {
  EXPECT_EQ(ErrorOf("FROM a\nCOPY --link a b\n"),
            "dockerfile parse error on line 2: the --link option requires BuildKit. Refer to "
            "https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled");
  // Docker's classic builder refuses --chmod with this text too.
  EXPECT_EQ(ErrorOf("FROM a\nADD --chmod=0755 a b\n"),
            "dockerfile parse error on line 2: the --chmod option requires BuildKit. Refer to "
            "https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled");
  EXPECT_THAT(ErrorOf("FROM a\nCOPY --chmod=644 a b\n"), HasSubstr("the --chmod option requires BuildKit"));
  EXPECT_THAT(ErrorOf("FROM a\nCOPY --chmod=false a b\n"), HasSubstr("the --chmod option requires BuildKit"));
  EXPECT_THAT(ErrorOf("FROM a\nRUN --mount=type=cache,target=/c make\n"),
              HasSubstr("line 2: the --mount option requires BuildKit"));
  EXPECT_THAT(ErrorOf("FROM a\nRUN --network=none x\n"), HasSubstr("the --network option requires BuildKit"));
  EXPECT_THAT(ErrorOf("FROM a\nCOPY --parents a b\n"), HasSubstr("the --parents option requires BuildKit"));
  EXPECT_THAT(ErrorOf("FROM a\nCOPY --exclude=*.o a b\n"), HasSubstr("the --exclude option requires BuildKit"));
  EXPECT_THAT(ErrorOf("FROM a\nADD --checksum=sha256:x a b\n"), HasSubstr("the --checksum option requires"));
  EXPECT_THAT(ErrorOf("FROM a\nADD --unpack a b\n"), HasSubstr("the --unpack option requires BuildKit"));
  // --link=false is no request for a link.
  EXPECT_EQ(Only("FROM a\nCOPY --link=false a b\n").value, "b");
}

TEST(DockerfileParse, FlagsAreQuotedAndEndAtDoubleDash) {
  Instruction copy = Only("FROM a\nCOPY --chown=\"a b\" -- --x y\n");
  EXPECT_EQ(copy.chown, "a b");
  EXPECT_THAT(copy.words, ElementsAre("--x"));
  EXPECT_EQ(ErrorOf("FROM a\nUSER --x=1 a\n"), "dockerfile parse error on line 2: unknown flag: --x");
}

TEST(DockerfileParse, Heredocs) {
  EXPECT_THAT(ErrorOf("FROM a\nRUN <<EOF\necho hi\nEOF\n"),
              HasSubstr("dockerfile parse error on line 2: heredocs are not supported by berth's builder"));
  EXPECT_THAT(ErrorOf("FROM a\nCOPY <<-\"X\" /f\nX\n"), HasSubstr("heredocs are not supported"));
  // Quoted, in the exec form, or a shift without a name: no heredoc.
  EXPECT_THAT(Only("FROM a\nRUN echo \"<<EOF\"\n").command, ElementsAre("echo \"<<EOF\""));
  EXPECT_THAT(Only("FROM a\nRUN [\"sh\", \"-c\", \"cat <<EOF\"]\n").command, ElementsAre("sh", "-c", "cat <<EOF"));
  EXPECT_THAT(Only("FROM a\nRUN echo $((1<<2))\n").command, ElementsAre("echo $((1<<2))"));
  EXPECT_EQ(Only("FROM a\nENV A=<<B\n").pairs[0].value, "<<B");
}

TEST(DockerfileParse, Healthcheck) {
  Instruction none = Only("FROM a\nHEALTHCHECK NONE\n");
  EXPECT_THAT(none.health->test, ElementsAre("NONE"));
  Instruction shell = Only(
      "FROM a\nHEALTHCHECK --interval=5s --timeout=1m --start-period=100ms --start-interval=2s --retries=3 "
      "CMD curl -f http://x/ || exit 1\n");
  EXPECT_THAT(shell.health->test, ElementsAre("CMD-SHELL", "curl -f http://x/ || exit 1"));
  EXPECT_EQ(shell.health->interval_nanos, 5000000000);
  EXPECT_EQ(shell.health->timeout_nanos, 60000000000);
  EXPECT_EQ(shell.health->start_period_nanos, 100000000);
  EXPECT_EQ(shell.health->start_interval_nanos, 2000000000);
  EXPECT_EQ(shell.health->retries, 3);
  Instruction exec = Only("FROM a\nhealthcheck cmd [\"/bin/check\", \"-q\"]\n");
  EXPECT_THAT(exec.health->test, ElementsAre("CMD", "/bin/check", "-q"));
  EXPECT_EQ(ErrorOf("FROM a\nHEALTHCHECK NONE x\n"),
            "dockerfile parse error on line 2: HEALTHCHECK NONE takes no arguments");
  EXPECT_EQ(ErrorOf("FROM a\nHEALTHCHECK CMD\n"),
            "dockerfile parse error on line 2: Missing command after HEALTHCHECK CMD");
  EXPECT_EQ(ErrorOf("FROM a\nHEALTHCHECK RUN x\n"),
            "dockerfile parse error on line 2: Unknown type \"RUN\" in HEALTHCHECK (try CMD)");
  EXPECT_EQ(ErrorOf("FROM a\nHEALTHCHECK --interval=1us CMD x\n"),
            "dockerfile parse error on line 2: Interval \"interval\" cannot be less than 1ms");
  EXPECT_EQ(ErrorOf("FROM a\nHEALTHCHECK --timeout=5 CMD x\n"),
            "dockerfile parse error on line 2: time: missing unit in duration \"5\"");
  EXPECT_EQ(ErrorOf("FROM a\nHEALTHCHECK --retries=-1 CMD x\n"),
            "dockerfile parse error on line 2: --retries cannot be negative (-1)");
  EXPECT_EQ(ErrorOf("FROM a\nHEALTHCHECK --retries=x CMD x\n"),
            "dockerfile parse error on line 2: strconv.ParseInt: parsing \"x\": invalid syntax");
  EXPECT_EQ(ErrorOf("FROM a\nHEALTHCHECK --retries=9999999999 CMD x\n"),
            "dockerfile parse error on line 2: strconv.ParseInt: parsing \"9999999999\": value out of range");
  EXPECT_EQ(ErrorOf("FROM a\nHEALTHCHECK\n"),
            "dockerfile parse error on line 2: HEALTHCHECK requires at least one argument");
}

TEST(DockerfileParse, Onbuild) {
  Instruction onbuild = Only("FROM a\nONBUILD   RUN echo hi\n");
  EXPECT_EQ(onbuild.value, "RUN echo hi");
  EXPECT_EQ(onbuild.code, "ONBUILD   RUN echo hi");
  EXPECT_EQ(ErrorOf("FROM a\nONBUILD ONBUILD RUN x\n"),
            "dockerfile parse error on line 2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  EXPECT_EQ(ErrorOf("FROM a\nONBUILD from b\n"),
            "dockerfile parse error on line 2: FROM isn't allowed as an ONBUILD trigger");
  EXPECT_EQ(ErrorOf("FROM a\nONBUILD MAINTAINER x\n"),
            "dockerfile parse error on line 2: MAINTAINER isn't allowed as an ONBUILD trigger");
  EXPECT_EQ(ErrorOf("FROM a\nONBUILD\n"), "dockerfile parse error on line 2: ONBUILD requires at least one argument");
  EXPECT_EQ(ErrorOf("FROM a\nONBUILD CMD [1]\n"),
            "when using JSON array syntax, arrays must be comprised of strings only");
  EXPECT_THAT(ErrorOf("FROM a\nONBUILD RUN <<EOF\nx\nEOF\n"), HasSubstr("heredocs are not supported"));
}

TEST(DockerfileParse, Shell) {
  Instruction shell = Only("FROM a\nSHELL [\"powershell\", \"-command\"]\n");
  EXPECT_THAT(shell.command, ElementsAre("powershell", "-command"));
  EXPECT_EQ(ErrorOf("FROM a\nSHELL bash -c\n"),
            "dockerfile parse error on line 2: SHELL requires the arguments to be in JSON form");
  EXPECT_EQ(ErrorOf("FROM a\nSHELL []\n"), "dockerfile parse error on line 2: SHELL requires at least one argument");
}

TEST(DockerfileParse, LongLines) {
  std::string ok = "FROM a\nRUN " + std::string(65531, 'x') + "\n";  // 65535 bytes before the newline
  EXPECT_TRUE(ParseDockerfile(ok).ok());
  std::string long_line = "FROM a\nRUN " + std::string(65532, 'x') + "\n";
  EXPECT_EQ(ErrorOf(long_line), "dockerfile line greater than max allowed size of 65535");
  EXPECT_EQ(ErrorOf(std::string(70000, 'x')), "file with no instructions");
}

}  // namespace
}  // namespace berth::dockerfile
