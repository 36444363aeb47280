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

}  // namespace berth::sqlite
