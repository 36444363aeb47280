// The SQLite helpers internal to src/metadata; the statement handle is
// public (berth/metadata_sql.h) for module-owned tables.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "berth/metadata_sql.h"
#include "berth/status.h"

namespace berth::sqlite {

// Status from the connection's last error.
Status Error(sqlite3* db, std::string_view what);

// Executes a script of statements without results.
Status ExecScript(sqlite3* db, std::string_view sql);

// The one schema-migration runner of berth's SQLite files (metadata.db,
// volumes/metadata.db, networks.db). Each file keeps its version in
// meta('schema_version'); `migrations[i]` upgrades version i to i+1, so the
// current version is migrations.size() (the rule every schema.h states:
// append a step, never edit a released one). ApplyMigrations runs inside
// the caller's write transaction: creates the meta table when missing,
// refuses a newer file (FailedPrecondition "<what> schema version N is
// newer than this berth supports (M)"), runs the missing steps and stores
// the new version. Returns the version the file is at.
Result<int> ApplyMigrations(sqlite3* db, std::string_view what, std::span<const std::string_view> migrations);
// ApplyMigrations in a transaction of its own (BEGIN IMMEDIATE, COMMIT;
// rolled back on failure, leaving the file as it was).
Result<int> MigrateInTransaction(sqlite3* db, std::string_view what, std::span<const std::string_view> migrations);

// Opens (creating) the database file of a module-owned store: a connection
// safe to share between threads (SQLITE_OPEN_FULLMUTEX), the file mode 0600,
// a 10 s busy timeout. The caller owns the connection (sqlite3_close_v2).
Result<sqlite3*> OpenSharedDatabase(const std::string& path);

}  // namespace berth::sqlite
