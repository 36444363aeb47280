// The whole metadata schema, in one place. Bump kSchemaVersion and append a
// migration to kMigrations for every change; never edit a released step.
// One database, one version: a module that keeps rows here (through
// Tx::Prepare) has its tables migrated here too. Owners:
//
//   metadata layer (src/metadata, berth/metadata.h)
//     images            name ─► target descriptor (+ labels, times); the
//                       indexed_label column holds the value of the one
//                       label the opener names (meta 'indexed_label_key';
//                       the image module: Docker's parent label), for
//                       lookups by it
//     leases
//     root_refs (kind, root_id, digest)      a root keeps a blob directly
//          kind 'image':     root_id = image ID; digests = target + retained
//                            platform manifests (+ their attestations)
//          kind 'container': root_id = container ID; digests = its manifest
//                            and what its image mounts retain (all GC needs
//                            of a container)
//          kind 'lease':     root_id = lease ID
//     blobs (id, digest, media_type, size, refs)
//                       refs = #root_refs naming it + #edges from blobs with
//                       refs > 0; rows are numbered (id) in the order they
//                       are first named, so the blobs one load brings share
//                       pages and a removal's reference updates dirty one or
//                       two pages, not one per blob (digests are random);
//                       lookups go through the unique index on digest
//     blob_edges (parent, child)             manifest ─► config, layers
//     gc_pending (digest)                    refs fell to 0; delete after commit
//
//   container module (src/container/records.cc, berth/container_record.h)
//     containers ── image_id ──────► images.target_digest (image ID)
//     container_image_mounts ── image_id ─► images.target_digest
#pragma once

#include <array>
#include <string_view>

namespace berth::schema {

inline constexpr int kSchemaVersion = 3;

// kMigrations[i] upgrades version i to i+1.
inline constexpr std::array<std::string_view, kSchemaVersion> kMigrations = {
    // 0 -> 1
    R"sql(
CREATE TABLE images (
  name              TEXT PRIMARY KEY,
  target_digest     TEXT NOT NULL,
  target_media_type TEXT NOT NULL,
  target_size       INTEGER NOT NULL,
  target_json       TEXT NOT NULL,
  labels            TEXT NOT NULL DEFAULT '{}',
  parent            TEXT NOT NULL DEFAULT '',
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
);
CREATE INDEX images_by_target ON images(target_digest);
CREATE INDEX images_by_parent ON images(parent) WHERE parent != '';  -- query with "AND parent != ''"

CREATE TABLE containers (
  id             TEXT PRIMARY KEY,
  name           TEXT NOT NULL UNIQUE,
  image_ref      TEXT NOT NULL,
  image_id       TEXT NOT NULL,
  image_manifest TEXT NOT NULL DEFAULT '',
  image_platform TEXT NOT NULL DEFAULT '',
  state          TEXT NOT NULL,
  exit_code      INTEGER NOT NULL DEFAULT 0,
  pid            INTEGER NOT NULL DEFAULT 0,
  created_at     INTEGER NOT NULL,
  started_at     INTEGER NOT NULL DEFAULT 0,
  finished_at    INTEGER NOT NULL DEFAULT 0,
  config         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX containers_by_image ON containers(image_id);
CREATE TABLE container_image_mounts (
  container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
  image_id     TEXT NOT NULL,
  PRIMARY KEY (container_id, image_id)
) WITHOUT ROWID;
CREATE INDEX mounts_by_image ON container_image_mounts(image_id);

CREATE TABLE leases (
  id         TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL DEFAULT 0,
  labels     TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE blobs (
  digest         TEXT PRIMARY KEY,
  media_type     TEXT NOT NULL DEFAULT '',
  size           INTEGER NOT NULL DEFAULT 0,
  refs           INTEGER NOT NULL DEFAULT 0,
  children_known INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE blob_edges (
  parent TEXT NOT NULL,
  child  TEXT NOT NULL,
  PRIMARY KEY (parent, child)
) WITHOUT ROWID;
CREATE INDEX blob_edges_by_child ON blob_edges(child);
CREATE TABLE root_refs (
  kind    TEXT NOT NULL,
  root_id TEXT NOT NULL,
  digest  TEXT NOT NULL,
  PRIMARY KEY (kind, root_id, digest)
) WITHOUT ROWID;
CREATE TABLE gc_pending (
  digest TEXT PRIMARY KEY
) WITHOUT ROWID;
)sql",
    // 1 -> 2: the metadata layer indexes a label its opener names, not
    // Docker's parent label by name (the values stay: the image module
    // names that label, and Open re-fills the column when the key differs).
    R"sql(
DROP INDEX images_by_parent;
ALTER TABLE images RENAME COLUMN parent TO indexed_label;
CREATE INDEX images_by_indexed_label ON images(indexed_label) WHERE indexed_label != '';  -- query with "AND indexed_label != ''"
)sql",
    // 2 -> 3: blob rows in the order they are first named (an integer key),
    // found by digest through a unique index. Existing rows are numbered in
    // digest order.
    R"sql(
CREATE TABLE blobs_by_id (
  id             INTEGER PRIMARY KEY,
  digest         TEXT NOT NULL UNIQUE,
  media_type     TEXT NOT NULL DEFAULT '',
  size           INTEGER NOT NULL DEFAULT 0,
  refs           INTEGER NOT NULL DEFAULT 0,
  children_known INTEGER NOT NULL DEFAULT 0
);
INSERT INTO blobs_by_id(digest, media_type, size, refs, children_known)
  SELECT digest, media_type, size, refs, children_known FROM blobs ORDER BY digest;
DROP TABLE blobs;
ALTER TABLE blobs_by_id RENAME TO blobs;
)sql",
};

}  // namespace berth::schema
