// Stage planning: --target, stage dependencies, "Step N/M".
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "berth/dockerfile.h"

namespace berth::dockerfile {
namespace {

using ::testing::ElementsAre;

Dockerfile MustParse(std::string_view text) {
  Result<Dockerfile> df = ParseDockerfile(text);
  EXPECT_TRUE(df.ok()) << df.status().message();
  return df.ok() ? *df : Dockerfile();
}

constexpr std::string_view kMultiStage =
    "ARG V=1\n"
    "FROM alpine AS base\n"  // 0
    "RUN apk add make\n"
    "FROM base AS Build\n"  // 1
    "RUN make\n"
    "FROM busybox AS docs\n"  // 2
    "RUN echo docs\n"
    "FROM scratch AS final\n"  // 3
    "COPY --from=build /out /out\n"
    "COPY --from=0 /etc/os-release /\n"
    "COPY --from=nginx:latest /etc/nginx /nginx\n"
    "LABEL v=$V\n";

TEST(PlanBuild, LastStageByDefault) {
  Dockerfile df = MustParse(kMultiStage);
  Result<BuildPlan> plan = PlanBuild(df, "");
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(plan->last_stage, 3);
  // 1 meta ARG + 4 FROMs + 7 instructions.
  EXPECT_EQ(plan->total_steps, 12);
  // docs (2) is not needed; base (0) is, through build and --from=0.
  EXPECT_THAT(plan->needed_stages, ElementsAre(0, 1, 3));
}

TEST(PlanBuild, TargetIsCaseInsensitiveAndCutsLaterStages) {
  Dockerfile df = MustParse(kMultiStage);
  Result<BuildPlan> plan = PlanBuild(df, "BUILD");
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(plan->last_stage, 1);
  EXPECT_EQ(plan->total_steps, 5);  // ARG, FROM, RUN, FROM, RUN
  EXPECT_THAT(plan->needed_stages, ElementsAre(0, 1));
  Result<BuildPlan> docs = PlanBuild(df, "docs", 2);
  ASSERT_TRUE(docs.ok());
  EXPECT_EQ(docs->total_steps, 9);  // + two --label steps
  EXPECT_THAT(docs->needed_stages, ElementsAre(2));
}

TEST(PlanBuild, Errors) {
  Dockerfile df = MustParse(kMultiStage);
  EXPECT_EQ(PlanBuild(df, "nope").status().message(), "failed to reach build target nope in Dockerfile");
  Dockerfile dup = MustParse("FROM a AS x\nFROM b AS X\nFROM c\n");
  EXPECT_EQ(PlanBuild(dup, "").status().message(), "x stage name already used");
  // The duplicate after the target is never reached.
  EXPECT_TRUE(PlanBuild(MustParse("FROM a AS x\nFROM b AS y\nFROM c AS x\n"), "y").ok());
  // Only ARGs parse, as in Docker, and build nothing.
  Dockerfile args_only = MustParse("ARG A=1\n");
  EXPECT_EQ(args_only.meta_args.size(), 1u);
  EXPECT_EQ(PlanBuild(args_only, "").status().message(), "No image was generated. Is your Dockerfile empty?");
}

TEST(PlanBuild, LaterOrUnknownStagesAreImages) {
  // A stage can only use earlier stages: "later" here is an image name, and
  // --from=5 names no earlier stage.
  Dockerfile df = MustParse("FROM later AS first\nCOPY --from=5 / /\nFROM alpine AS later\n");
  Result<BuildPlan> plan = PlanBuild(df, "first");
  ASSERT_TRUE(plan.ok());
  EXPECT_THAT(plan->needed_stages, ElementsAre(0));
}

TEST(PlanBuild, FindStage) {
  Dockerfile df = MustParse(kMultiStage);
  EXPECT_EQ(FindStage(df, "Final"), 3);
  EXPECT_EQ(FindStage(df, "missing"), -1);
  EXPECT_EQ(FindStage(df, ""), -1);
}

TEST(WarningLines, EmptyContinuationLines) {
  EXPECT_EQ(WarningLines(MustParse("FROM a\nRUN b\n")), "");
  Dockerfile df = MustParse("FROM a\nRUN a \\\n\n b\nRUN c \\\n  \n d\n");
  EXPECT_EQ(WarningLines(df),
            "[WARNING]: Empty continuation line found in: RUN a  b\n"
            "[WARNING]: Empty continuation line found in: RUN c  d\n"
            "[WARNING]: Empty continuation lines will become errors in a future release.\n");
}

TEST(StepLine, ClassicBuilderFormat) {
  Dockerfile df = MustParse("FROM alpine\nRUN   echo  hi  \n");
  EXPECT_EQ(StepLine(1, 2, df.stages[0].code), "Step 1/2 : FROM alpine");
  EXPECT_EQ(StepLine(2, 2, df.stages[0].instructions[0].code), "Step 2/2 : RUN   echo  hi");
}

}  // namespace
}  // namespace berth::dockerfile
