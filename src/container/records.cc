// The container module's table access (berth/container_record.h): SQL over
// the metadata transaction's statement runner.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "berth/container_record.h"

namespace berth {

std::string_view ContainerStateName(ContainerState s) {
  switch (s) {
    case ContainerState::kCreated: return "created";
    case ContainerState::kRunning: return "running";
    case ContainerState::kPaused: return "paused";
    case ContainerState::kRestarting: return "restarting";
    case ContainerState::kExited: return "exited";
    case ContainerState::kDead: return "dead";
  }
  return "dead";
}

Result<ContainerState> ParseContainerState(std::string_view s) {
  for (auto st : {ContainerState::kCreated, ContainerState::kRunning, ContainerState::kPaused,
                  ContainerState::kRestarting, ContainerState::kExited, ContainerState::kDead}) {
    if (ContainerStateName(st) == s) return st;
  }
  return InvalidArgument("unknown container state: " + std::string(s));
}

namespace container_table {
namespace {

Result<Digest> ParseStoredDigest(const std::string& s) {
  if (s.empty()) return Digest();
  return Digest::Parse(s);
}

// The columns ReadRow reads, in its order (a literal, for the statement cache).
#define kSelectContainers                                                                                     \
  "SELECT id, name, image_ref, image_id, image_manifest, image_platform, state, exit_code, pid, created_at, " \
  "started_at, finished_at, config FROM containers "

Result<ContainerRecord> ReadRow(Tx& tx, sqlite::Stmt& st) {
  ContainerRecord c;
  c.id = st.Text(0);
  c.name = st.Text(1);
  c.image_ref = st.Text(2);
  BERTH_ASSIGN_OR_RETURN(c.image_id, ParseStoredDigest(st.Text(3)));
  BERTH_ASSIGN_OR_RETURN(c.image_manifest, ParseStoredDigest(st.Text(4)));
  std::string plat = st.Text(5);
  if (!plat.empty()) {
    auto p = ParsePlatformJson(plat);
    if (p.ok()) c.image_platform = *p;
  }
  BERTH_ASSIGN_OR_RETURN(c.state, ParseContainerState(st.Text(6)));
  c.exit_code = static_cast<int>(st.Int(7));
  c.pid = static_cast<int>(st.Int(8));
  c.created_unix_nanos = st.Int(9);
  c.started_unix_nanos = st.Int(10);
  c.finished_unix_nanos = st.Int(11);
  c.config_json = st.Text(12);
  auto m = tx.Prepare("SELECT image_id FROM container_image_mounts WHERE container_id = ? ORDER BY image_id");
  m.Bind(1, c.id);
  while (m.Step()) {
    BERTH_ASSIGN_OR_RETURN(auto d, Digest::Parse(m.Text(0)));
    c.image_mounts.push_back(d);
  }
  BERTH_RETURN_IF_ERROR(m.status());
  return c;
}

// The rows whose IDs are column 0 of `st`'s rows, in that order.
Result<std::vector<ContainerRecord>> ReadRowsById(Tx& tx, sqlite::Stmt& st) {
  std::vector<std::string> ids;
  while (st.Step()) ids.push_back(st.Text(0));
  BERTH_RETURN_IF_ERROR(st.status());
  st.Reset();
  std::vector<ContainerRecord> rows;
  for (const auto& id : ids) {
    BERTH_ASSIGN_OR_RETURN(auto c, Get(tx, id));
    rows.push_back(std::move(c));
  }
  return rows;
}

}  // namespace

Result<ContainerRecord> Get(Tx& tx, std::string_view id) {
  auto st = tx.Prepare(kSelectContainers "WHERE id = ?");
  st.Bind(1, id);
  if (!st.Step()) {
    BERTH_RETURN_IF_ERROR(st.status());
    return NotFound("No such container: " + std::string(id));
  }
  return ReadRow(tx, st);
}

Result<std::vector<ContainerRecord>> List(Tx& tx) {
  auto st = tx.Prepare("SELECT id FROM containers ORDER BY created_at, id");
  return ReadRowsById(tx, st);
}

Result<std::vector<ContainerRecord>> UsingImage(Tx& tx, const Digest& image) {
  auto st = tx.Prepare(
      "SELECT id FROM containers WHERE image_id = ?1 UNION "
      "SELECT container_id FROM container_image_mounts WHERE image_id = ?1");
  st.Bind(1, image.str());
  BERTH_ASSIGN_OR_RETURN(auto rows, ReadRowsById(tx, st));
  std::sort(rows.begin(), rows.end(), [](const ContainerRecord& a, const ContainerRecord& b) {
    return a.created_unix_nanos != b.created_unix_nanos ? a.created_unix_nanos < b.created_unix_nanos : a.id < b.id;
  });
  return rows;
}

Status Put(Tx& tx, const ContainerRecord& c) {
  auto st = tx.Prepare(
      "INSERT INTO containers(id, name, image_ref, image_id, image_manifest, image_platform, state, exit_code, "
      "pid, created_at, started_at, finished_at, config) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?) "
      "ON CONFLICT(id) DO UPDATE SET name=excluded.name, image_ref=excluded.image_ref, "
      "image_id=excluded.image_id, image_manifest=excluded.image_manifest, "
      "image_platform=excluded.image_platform, state=excluded.state, exit_code=excluded.exit_code, "
      "pid=excluded.pid, created_at=excluded.created_at, started_at=excluded.started_at, "
      "finished_at=excluded.finished_at, config=excluded.config");
  st.Bind(1, c.id)
      .Bind(2, c.name)
      .Bind(3, c.image_ref)
      .Bind(4, c.image_id.str())
      .Bind(5, c.image_manifest.str())
      .Bind(6, c.image_platform ? PlatformToJson(*c.image_platform) : std::string())
      .Bind(7, ContainerStateName(c.state))
      .Bind(8, int64_t{c.exit_code})
      .Bind(9, int64_t{c.pid})
      .Bind(10, c.created_unix_nanos)
      .Bind(11, c.started_unix_nanos)
      .Bind(12, c.finished_unix_nanos)
      .Bind(13, c.config_json);
  BERTH_RETURN_IF_ERROR(st.Exec());
  auto del = tx.Prepare("DELETE FROM container_image_mounts WHERE container_id = ?");
  del.Bind(1, c.id);
  BERTH_RETURN_IF_ERROR(del.Exec());
  for (const auto& m : c.image_mounts) {
    auto ins = tx.Prepare("INSERT OR IGNORE INTO container_image_mounts(container_id, image_id) VALUES(?,?)");
    ins.Bind(1, c.id).Bind(2, m.str());
    BERTH_RETURN_IF_ERROR(ins.Exec());
  }
  return OkStatus();
}
Status Delete(Tx& tx, std::string_view id) {
  auto st = tx.Prepare("DELETE FROM containers WHERE id = ?");
  st.Bind(1, id);
  BERTH_RETURN_IF_ERROR(st.Exec());
  if (st.Changes() == 0) return NotFound("No such container: " + std::string(id));
  return OkStatus();
}

}  // namespace container_table
}  // namespace berth
