// The container table (berth/container_record.h) over a real metadata
// store: rows and image mounts round-trip, lookups by image, the name is
// unique, and the rows commit or roll back with the metadata transaction.
#include "berth/container_record.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "testing/temp_dir.h"

namespace berth {
namespace {

Digest D(const std::string& s) { return Digest::Of(s); }

class ContainerTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.Create("berth-ctable-test"));
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    tmp_.Remove();
  }
  void Reopen() {
    store_.reset();
    auto s = MetadataStore::Open(Env::Default(), tmp_.path() + "/metadata.db");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  static ContainerRecord Web() {
    ContainerRecord c;
    c.id = std::string(64, 'a');
    c.name = "web";
    c.image_ref = "busybox";
    c.image_id = D("img");
    c.image_manifest = D("man");
    c.image_platform = Platform{"linux", "amd64", "", "", {}};
    c.state = ContainerState::kRunning;
    c.image_mounts = {D("mounted")};
    c.config_json = R"({"Cmd":["true"]})";
    return c;
  }
  bool Exists(const std::string& id) {
    bool found = false;
    EXPECT_TRUE(store_
                    ->View([&](Tx& tx) -> Status {
                      found = container_table::Get(tx, id).ok();
                      return OkStatus();
                    })
                    .ok());
    return found;
  }

  berth::testing::TempDir tmp_;
  std::unique_ptr<MetadataStore> store_;
};

TEST_F(ContainerTableTest, RowsAndImageMountsSurviveReopen) {
  ContainerRecord c = Web();
  ASSERT_TRUE(store_->Update([&](Tx& tx) { return container_table::Put(tx, c); }).ok());
  Reopen();
  ASSERT_TRUE(store_
                  ->View([&](Tx& tx) -> Status {
                    BERTH_ASSIGN_OR_RETURN(auto got, container_table::Get(tx, c.id));
                    EXPECT_EQ(got.name, "web");
                    EXPECT_TRUE(got.running());
                    EXPECT_EQ(got.image_platform->architecture, "amd64");
                    EXPECT_EQ(got.image_mounts, c.image_mounts);
                    EXPECT_EQ(got.config_json, c.config_json);
                    EXPECT_EQ(container_table::UsingImage(tx, D("img"))->size(), 1u);
                    EXPECT_EQ(container_table::UsingImage(tx, D("mounted"))->size(), 1u);
                    EXPECT_TRUE(container_table::UsingImage(tx, D("other"))->empty());
                    EXPECT_EQ(container_table::List(tx)->size(), 1u);
                    return OkStatus();
                  })
                  .ok());
  // A second container with the same name is refused.
  ContainerRecord dup = c;
  dup.id = std::string(64, 'b');
  EXPECT_EQ(store_->Update([&](Tx& tx) { return container_table::Put(tx, dup); }).code(), Code::kAlreadyExists);
}

TEST_F(ContainerTableTest, RowsRollBackWithTheTransaction) {
  ContainerRecord c = Web();
  Status s = store_->Update([&](Tx& tx) -> Status {
    BERTH_RETURN_IF_ERROR(container_table::Put(tx, c));
    BERTH_RETURN_IF_ERROR(tx.AddRootRef(RootKind::kContainer, c.id, c.image_manifest));
    return Internal("fails after the row was written");
  });
  EXPECT_EQ(s.code(), Code::kInternal);
  EXPECT_FALSE(Exists(c.id));
  ASSERT_TRUE(store_
                  ->View([&](Tx& tx) -> Status {
                    BERTH_ASSIGN_OR_RETURN(auto refs, tx.RootRefs(RootKind::kContainer, c.id));
                    EXPECT_TRUE(refs.empty());
                    return OkStatus();
                  })
                  .ok());
}

TEST_F(ContainerTableTest, DeleteDropsTheRowAndItsMounts) {
  ContainerRecord c = Web();
  ASSERT_TRUE(store_->Update([&](Tx& tx) { return container_table::Put(tx, c); }).ok());
  ASSERT_TRUE(store_->Update([&](Tx& tx) { return container_table::Delete(tx, c.id); }).ok());
  EXPECT_FALSE(Exists(c.id));
  ASSERT_TRUE(store_
                  ->View([&](Tx& tx) -> Status {
                    EXPECT_TRUE(container_table::UsingImage(tx, D("mounted"))->empty());
                    return OkStatus();
                  })
                  .ok());
  EXPECT_EQ(store_->Update([&](Tx& tx) { return container_table::Delete(tx, c.id); }).code(), Code::kNotFound);
}

TEST(ContainerStateTest, NamesRoundTrip) {
  for (auto st : {ContainerState::kCreated, ContainerState::kRunning, ContainerState::kPaused,
                  ContainerState::kRestarting, ContainerState::kExited, ContainerState::kDead}) {
    auto parsed = ParseContainerState(ContainerStateName(st));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, st);
  }
  EXPECT_EQ(ParseContainerState("removing").status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace berth
