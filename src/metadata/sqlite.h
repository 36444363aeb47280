// A thin RAII layer over the SQLite C API. Internal to src/metadata.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "berth/status.h"

namespace berth::sqlite {

// Status from the connection's last error.
Status Error(sqlite3* db, std::string_view what);

class Stmt {
 public:
  Stmt(sqlite3* db, std::string_view sql);  // check ok() after
  // Wraps a cached prepared statement: reset, not finalized, on destruction.
  Stmt(sqlite3* db, sqlite3_stmt* cached);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  bool ok() const { return stmt_ != nullptr; }
  const Status& status() const { return status_; }

  Stmt& Bind(int i, std::string_view v);
  Stmt& Bind(int i, int64_t v);
  // One step: true when a row is available, false when done. Errors go to
  // status().
  bool Step();
  // Runs to completion (for statements without rows).
  Status Exec();
  void Reset();

  std::string Text(int col) const;
  int64_t Int(int col) const;
  int Changes() const { return sqlite3_changes(db_); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  bool owned_ = true;
  Status status_;
};

// Executes a script of statements without results.
Status ExecScript(sqlite3* db, std::string_view sql);

}  // namespace berth::sqlite
