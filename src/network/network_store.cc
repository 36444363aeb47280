// NetworkStore (see network_store.h).
#include "network/network_store.h"

#include <sys/stat.h>

#include <boost/json.hpp>
#include <filesystem>

#include "base/string_map_json.h"
#include "metadata/sqlite.h"
#include "network/schema.h"

namespace berth::network_internal {

namespace {

namespace json = boost::json;

}  // namespace

Result<std::unique_ptr<NetworkStore>> NetworkStore::Open(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Internal("create " + dir + ": " + ec.message());
  const std::string path = dir + "/networks.db";
  BERTH_ASSIGN_OR_RETURN(sqlite3 * db, sqlite::OpenSharedDatabase(path));
  std::unique_ptr<NetworkStore> store(new NetworkStore(db));
  BERTH_RETURN_IF_ERROR(store->Migrate());
  return store;
}

NetworkStore::~NetworkStore() { sqlite3_close_v2(db_); }

Status NetworkStore::Migrate() {
  return sqlite::MigrateInTransaction(db_, "network", network_schema::kMigrations).status();
}

Status NetworkStore::Insert(const UserNetwork& n) {
  sqlite::Stmt ins(db_,
                   "INSERT INTO networks(id, name, subnet, gateway, ip_range, attachable, labels, options, created_at, "
                   "internal, aux_addresses) VALUES(?,?,?,?,?,?,?,?,?,?,?)");
  ins.Bind(1, n.id).Bind(2, n.name).Bind(3, n.subnet).Bind(4, n.gateway).Bind(5, n.ip_range);
  ins.Bind(6, int64_t{n.attachable ? 1 : 0}).Bind(7, StringMapToJson(n.labels)).Bind(8, StringMapToJson(n.options));
  ins.Bind(9, n.created_unix_nanos).Bind(10, int64_t{n.internal ? 1 : 0}).Bind(11, StringMapToJson(n.aux_addresses));
  return ins.ok() ? ins.Exec() : ins.status();
}

Status NetworkStore::Delete(const std::string& id) {
  sqlite::Stmt del(db_, "DELETE FROM networks WHERE id = ?");
  del.Bind(1, id);
  return del.ok() ? del.Exec() : del.status();
}

Result<std::vector<UserNetwork>> NetworkStore::All() {
  sqlite::Stmt q(
      db_,
      "SELECT id, name, subnet, gateway, ip_range, attachable, labels, options, created_at, internal, aux_addresses "
      "FROM networks "
      "ORDER BY created_at, id");
  std::vector<UserNetwork> out;
  while (q.Step()) {
    UserNetwork n;
    n.id = q.Text(0);
    n.name = q.Text(1);
    n.subnet = q.Text(2);
    n.gateway = q.Text(3);
    n.ip_range = q.Text(4);
    n.attachable = q.Int(5) != 0;
    n.labels = StringMapFromJson(q.Text(6));
    n.options = StringMapFromJson(q.Text(7));
    n.created_unix_nanos = q.Int(8);
    n.internal = q.Int(9) != 0;
    n.aux_addresses = StringMapFromJson(q.Text(10));
    // Options were checked at create; a refusal here (a newer berth's
    // option) keeps the defaults rather than losing the network.
    if (Status s = ApplyBridgeOptions(&n); !s.ok()) n.bridge = UserNetworkBridgeName(n.id);
    out.push_back(std::move(n));
  }
  BERTH_RETURN_IF_ERROR(q.status());
  return out;
}

}  // namespace berth::network_internal
