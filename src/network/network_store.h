// The user-defined networks' records: SQLite at <state-dir>/networks.db
// (schema in schema.h), migrated on open.
//
// Thread-safety: NetworkStore is thread-safe (SQLite in serialized mode,
// each method one statement).
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <vector>

#include "berth/network_service.h"
#include "berth/status.h"

namespace berth::network_internal {

class NetworkStore {
 public:
  static Result<std::unique_ptr<NetworkStore>> Open(const std::string& dir);
  ~NetworkStore();
  NetworkStore(const NetworkStore&) = delete;
  NetworkStore& operator=(const NetworkStore&) = delete;

  // A name in use: AlreadyExists.
  [[nodiscard]] Status Insert(const UserNetwork& n);
  [[nodiscard]] Status Delete(const std::string& id);
  // Every network, oldest first.
  Result<std::vector<UserNetwork>> All();

 private:
  explicit NetworkStore(sqlite3* db) : db_(db) {}
  Status Migrate();
  sqlite3* db_;
};

}  // namespace berth::network_internal
