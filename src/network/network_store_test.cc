// The user-defined networks' store against a real SQLite file: what a network
// keeps across a reopen, and the migration of a version-2 file.
#include "network/network_store.h"

#include <gtest/gtest.h>

#include <span>

#include "metadata/sqlite.h"
#include "network/schema.h"
#include "testing/temp_dir.h"

namespace berth::network_internal {
namespace {

class NetworkStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(tmp_.Create("berth-netstore")); }
  testing::TempDir tmp_;
};

UserNetwork Sample(const std::string& name) {
  UserNetwork n;
  n.id = std::string(64, name[0]);
  n.name = name;
  n.subnet = "172.28.0.0/16";
  n.gateway = "172.28.5.254";
  n.ip_range = "172.28.5.0/24";
  n.created_unix_nanos = 42;
  return n;
}

TEST_F(NetworkStoreTest, AuxiliaryAddressesOutliveAReopen) {
  UserNetwork n = Sample("aux");
  n.aux_addresses = {{"a", "172.28.1.5"}, {"b", "172.28.1.6"}};
  {
    auto store = NetworkStore::Open(tmp_.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->Insert(n).ok());
  }
  auto store = NetworkStore::Open(tmp_.path());
  ASSERT_TRUE(store.ok());
  auto all = (*store)->All();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].aux_addresses, n.aux_addresses);
  EXPECT_EQ((*all)[0].ip_range, "172.28.5.0/24");
}

TEST_F(NetworkStoreTest, AVersionTwoFileMigratesWithItsNetworksIntact) {
  const std::string path = tmp_.path() + "/networks.db";
  {
    auto db = sqlite::OpenSharedDatabase(path);
    ASSERT_TRUE(db.ok());
    std::span<const std::string_view> two(network_schema::kMigrations.data(), 2);
    ASSERT_TRUE(sqlite::ExecScript(*db, "BEGIN").ok());
    auto version = sqlite::ApplyMigrations(*db, "network", two);
    ASSERT_TRUE(version.ok()) << version.status().ToString();
    ASSERT_EQ(*version, 2);
    ASSERT_TRUE(sqlite::ExecScript(*db,
                                   "INSERT INTO networks(id, name, subnet, gateway, created_at, internal) "
                                   "VALUES('" +
                                       std::string(64, 'o') + "', 'old', '10.9.0.0/24', '10.9.0.1', 7, 1)")
                    .ok());
    ASSERT_TRUE(sqlite::ExecScript(*db, "COMMIT").ok());
    sqlite3_close_v2(*db);
  }
  auto store = NetworkStore::Open(tmp_.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto all = (*store)->All();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].name, "old");
  EXPECT_TRUE((*all)[0].internal);
  EXPECT_TRUE((*all)[0].aux_addresses.empty());
  // And it takes a network with auxiliary addresses now.
  UserNetwork n = Sample("new");
  n.aux_addresses = {{"router", "172.28.0.2"}};
  ASSERT_TRUE((*store)->Insert(n).ok());
  EXPECT_EQ((*store)->All()->back().aux_addresses.at("router"), "172.28.0.2");
}

}  // namespace
}  // namespace berth::network_internal
