// A prepared SQL statement on the metadata database (a thin RAII layer over
// the SQLite C API). It is the handle `Tx::Prepare` gives a module that owns
// tables in the metadata database (see Tx's "tables owned by other modules"),
// and the metadata layer's own way of running SQL.
//
// Thread-safety: a Stmt belongs to the transaction (and thread) that made it.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "berth/status.h"

namespace berth::sqlite {

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

  // Binds parameter `i` (1-based).
  Stmt& Bind(int i, std::string_view v);
  Stmt& Bind(int i, int64_t v);
  // One step: true when a row is available, false when done. Errors go to
  // status(); a constraint violation is AlreadyExists.
  bool Step();
  // Runs to completion (for statements without rows).
  [[nodiscard]] Status Exec();
  void Reset();

  // Column `col` (0-based) of the current row.
  std::string Text(int col) const;
  int64_t Int(int col) const;
  // Rows changed by the last statement run on the connection.
  int Changes() const { return sqlite3_changes(db_); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  bool owned_ = true;
  Status status_;
};

}  // namespace berth::sqlite
