// The SQLite helpers internal to src/metadata; the statement handle is
// public (berth/metadata_sql.h) for module-owned tables.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "berth/metadata_sql.h"
#include "berth/status.h"

namespace berth::sqlite {

// Status from the connection's last error.
Status Error(sqlite3* db, std::string_view what);

// Executes a script of statements without results.
Status ExecScript(sqlite3* db, std::string_view sql);

// Opens (creating) the database file of a module-owned store: a connection
// safe to share between threads (SQLITE_OPEN_FULLMUTEX), the file mode 0600,
// a 10 s busy timeout. The caller owns the connection (sqlite3_close_v2).
Result<sqlite3*> OpenSharedDatabase(const std::string& path);

}  // namespace berth::sqlite
