// The schema of <data-root>/volumes/metadata.db, in one place. Bump
// kSchemaVersion and append a migration to kMigrations for every change;
// never edit a released step.
//
//   volumes       name ─► driver, labels, options (JSON), anonymous, created_at
//     │ name
//   volume_refs   (volume, container_id): the container uses the volume;
//                 a volume with refs cannot be removed
//   meta          key ─► value ('schema_version')
#pragma once

#include <array>
#include <string_view>

namespace berth::volume_schema {

inline constexpr int kSchemaVersion = 1;

// kMigrations[i] upgrades version i to i+1.
inline constexpr std::array<std::string_view, kSchemaVersion> kMigrations = {
    // 0 -> 1
    R"sql(
CREATE TABLE volumes (
  name       TEXT PRIMARY KEY,
  driver     TEXT NOT NULL DEFAULT 'local',
  labels     TEXT NOT NULL DEFAULT '{}',
  options    TEXT NOT NULL DEFAULT '{}',
  anonymous  INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE TABLE volume_refs (
  volume       TEXT NOT NULL REFERENCES volumes(name) ON DELETE CASCADE,
  container_id TEXT NOT NULL,
  PRIMARY KEY (volume, container_id)
) WITHOUT ROWID;
CREATE INDEX volume_refs_by_container ON volume_refs(container_id);
)sql",
};

}  // namespace berth::volume_schema
