// sqlite::ApplyMigrations / MigrateInTransaction, the schema-migration runner
// of every berth SQLite file, against real database files.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <array>
#include <span>
#include <string>
#include <string_view>

#include "metadata/sqlite.h"
#include "testing/temp_dir.h"

namespace berth {
namespace {

class MigrationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.Create("berth-migrations-test"));
    ASSERT_EQ(sqlite3_open((tmp_.path() + "/test.db").c_str(), &db_), SQLITE_OK);
  }
  void TearDown() override {
    sqlite3_close(db_);
    tmp_.Remove();
  }
  std::string Version() {
    sqlite::Stmt get(db_, "SELECT value FROM meta WHERE key = 'schema_version'");
    return get.Step() ? get.Text(0) : "none";
  }
  bool HasTable(std::string_view name) {
    sqlite::Stmt q(db_, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
    q.Bind(1, name);
    return q.Step();
  }

  berth::testing::TempDir tmp_;
  sqlite3* db_ = nullptr;
};

constexpr std::array<std::string_view, 2> kTwoSteps = {
    "CREATE TABLE a(x INTEGER);",
    "CREATE TABLE b(y INTEGER);",
};

TEST_F(MigrationsTest, RunsTheMissingStepsOnceAndStoresTheVersion) {
  std::span<const std::string_view> first(kTwoSteps.data(), 1);
  ASSERT_EQ(*sqlite::MigrateInTransaction(db_, "test", first), 1);
  EXPECT_EQ(Version(), "1");
  EXPECT_TRUE(HasTable("a"));
  EXPECT_FALSE(HasTable("b"));
  // Step 0 ran already: running it again would fail ("table a already exists").
  ASSERT_EQ(*sqlite::MigrateInTransaction(db_, "test", kTwoSteps), 2);
  EXPECT_EQ(Version(), "2");
  EXPECT_TRUE(HasTable("b"));
  ASSERT_EQ(*sqlite::MigrateInTransaction(db_, "test", kTwoSteps), 2);
}

TEST_F(MigrationsTest, ANewerFileIsRefusedNamingTheSchema) {
  ASSERT_TRUE(sqlite::MigrateInTransaction(db_, "test", kTwoSteps).ok());
  std::span<const std::string_view> older(kTwoSteps.data(), 1);
  Result<int> v = sqlite::MigrateInTransaction(db_, "volume", older);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(v.status().message(), "volume schema version 2 is newer than this berth supports (1)");
  EXPECT_EQ(Version(), "2");
}

TEST_F(MigrationsTest, AFailingStepLeavesTheFileAsItWas) {
  std::span<const std::string_view> first(kTwoSteps.data(), 1);
  ASSERT_TRUE(sqlite::MigrateInTransaction(db_, "test", first).ok());
  constexpr std::array<std::string_view, 3> broken = {kTwoSteps[0], kTwoSteps[1], "CREATE TABLE oops(;"};
  EXPECT_FALSE(sqlite::MigrateInTransaction(db_, "test", broken).ok());
  EXPECT_EQ(Version(), "1");
  EXPECT_FALSE(HasTable("b"));
}

}  // namespace
}  // namespace berth
