// The schema of <state-dir>/networks.db (the user-defined networks), in one
// place. Bump kSchemaVersion and append a migration to kMigrations for every
// change; never edit a released step.
//
//   networks   id ─► name (unique), subnet, gateway, ip_range, attachable,
//              labels, options (JSON objects), created_at (unix nanos),
//              internal (0/1, version 2), aux_addresses (JSON object
//              name ─► IPv4 address, version 3: never given to a container)
//   meta       key ─► value ('schema_version')
//
// Which containers are on a network is not kept here: the attachments
// (<exec-root>/netns/<id>.json) name their network.
#pragma once

#include <array>
#include <string_view>

namespace berth::network_schema {

inline constexpr int kSchemaVersion = 3;

// kMigrations[i] upgrades version i to i+1.
inline constexpr std::array<std::string_view, kSchemaVersion> kMigrations = {
    // 0 -> 1
    R"sql(
CREATE TABLE networks (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  subnet     TEXT NOT NULL,
  gateway    TEXT NOT NULL,
  ip_range   TEXT NOT NULL DEFAULT '',
  attachable INTEGER NOT NULL DEFAULT 0,
  labels     TEXT NOT NULL DEFAULT '{}',
  options    TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL
);
)sql",
    // 1 -> 2: docker network create --internal
    R"sql(
ALTER TABLE networks ADD COLUMN internal INTEGER NOT NULL DEFAULT 0;
)sql",
    // 2 -> 3: IPAM auxiliary addresses (docker network create --aux-address)
    R"sql(
ALTER TABLE networks ADD COLUMN aux_addresses TEXT NOT NULL DEFAULT '{}';
)sql",
};

}  // namespace berth::network_schema
