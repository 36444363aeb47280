#include "metadata/sqlite.h"

#include <sys/stat.h>

namespace berth::sqlite {

Status Error(sqlite3* db, std::string_view what) {
  std::string m(what);
  m += ": ";
  m += db ? sqlite3_errmsg(db) : "no database";
  int code = db ? sqlite3_errcode(db) : SQLITE_ERROR;
  if (code == SQLITE_CONSTRAINT) return AlreadyExists(std::move(m));
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED) return Unavailable(std::move(m));
  return Internal(std::move(m));
}

Stmt::Stmt(sqlite3* db, std::string_view sql) : db_(db) {
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) != SQLITE_OK) {
    status_ = Error(db, "prepare");
    stmt_ = nullptr;
  }
}

Stmt::Stmt(sqlite3* db, sqlite3_stmt* cached) : db_(db), stmt_(cached), owned_(false) {
  if (!stmt_) status_ = Error(db, "prepare");
}

Stmt::~Stmt() {
  if (owned_) {
    sqlite3_finalize(stmt_);
  } else if (stmt_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Stmt& Stmt::Bind(int i, std::string_view v) {
  if (stmt_) sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

Stmt& Stmt::Bind(int i, int64_t v) {
  if (stmt_) sqlite3_bind_int64(stmt_, i, v);
  return *this;
}

bool Stmt::Step() {
  if (!stmt_) return false;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE && status_.ok()) status_ = Error(db_, "step");
  return false;
}

Status Stmt::Exec() {
  if (!stmt_) return status_;
  while (Step()) {
  }
  return status_;
}

void Stmt::Reset() {
  if (stmt_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

std::string Stmt::Text(int col) const {
  const unsigned char* t = sqlite3_column_text(stmt_, col);
  if (!t) return {};
  return std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(stmt_, col));
}

int64_t Stmt::Int(int col) const { return sqlite3_column_int64(stmt_, col); }

Result<int> ApplyMigrations(sqlite3* db, std::string_view what, std::span<const std::string_view> migrations) {
  BERTH_RETURN_IF_ERROR(ExecScript(db, "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"));
  const int latest = static_cast<int>(migrations.size());
  int version = 0;
  {
    Stmt get(db, "SELECT value FROM meta WHERE key = 'schema_version'");
    if (get.Step()) version = std::stoi(get.Text(0));
    BERTH_RETURN_IF_ERROR(get.status());
  }
  if (version > latest) {
    return FailedPrecondition(std::string(what) + " schema version " + std::to_string(version) +
                              " is newer than this berth supports (" + std::to_string(latest) + ")");
  }
  for (int v = version; v < latest; ++v) BERTH_RETURN_IF_ERROR(ExecScript(db, migrations[v]));
  Stmt put(db,
           "INSERT INTO meta(key, value) VALUES('schema_version', ?) "
           "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  put.Bind(1, std::to_string(latest));
  BERTH_RETURN_IF_ERROR(put.Exec());
  return latest;
}

Result<int> MigrateInTransaction(sqlite3* db, std::string_view what, std::span<const std::string_view> migrations) {
  BERTH_RETURN_IF_ERROR(ExecScript(db, "BEGIN IMMEDIATE"));
  Result<int> version = ApplyMigrations(db, what, migrations);
  Status s = version.status();
  if (s.ok()) s = ExecScript(db, "COMMIT");
  if (s.ok()) return version;
  ExecScript(db, "ROLLBACK").IgnoreError();
  return s;
}

Result<sqlite3*> OpenSharedDatabase(const std::string& path) {
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status s = Error(db, "open " + path);
    sqlite3_close_v2(db);
    return s;
  }
  ::chmod(path.c_str(), 0600);
  sqlite3_busy_timeout(db, 10000);
  return db;
}

Status ExecScript(sqlite3* db, std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  if (sqlite3_exec(db, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : "unknown error";
    sqlite3_free(err);
    return Internal("sqlite: " + m);
  }
  return OkStatus();
}

}  // namespace berth::sqlite
