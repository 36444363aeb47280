// A container's record and the container module's table access: the rows of
// `containers` and `container_image_mounts` (src/metadata/schema.h), which
// the container module owns. They are read and written through the metadata
// transaction's statement runner (Tx::Prepare), so a container row commits
// or rolls back with the root references that the image module's roots
// write in the same transaction.
//
// The metadata layer knows no container lifecycle; GC needs only the
// container's roots (root_refs of kind 'container'). The image module reads
// these rows for Docker's removal conflicts and its views, as Docker's image
// service consults the container store.
//
// Thread-safety: the functions use only the Tx they are given, which must be
// used inside the metadata callback that received it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/digest.h"
#include "berth/metadata.h"
#include "berth/platform.h"
#include "berth/status.h"

namespace berth {

enum class ContainerState { kCreated, kRunning, kPaused, kRestarting, kExited, kDead };
// Docker's name of a state ("created", "running", ...).
std::string_view ContainerStateName(ContainerState s);
// InvalidArgument for a name that is not one of ContainerStateName's.
Result<ContainerState> ParseContainerState(std::string_view s);

struct ContainerRecord {
  std::string id;         // 64 hex
  std::string name;       // without leading "/"
  std::string image_ref;  // the image reference as the user gave it
  Digest image_id;        // the image's target digest
  Digest image_manifest;  // the platform manifest used (may be empty)
  std::optional<Platform> image_platform;
  ContainerState state = ContainerState::kCreated;
  int exit_code = 0;
  int pid = 0;
  int64_t created_unix_nanos = 0;
  int64_t started_unix_nanos = 0;
  int64_t finished_unix_nanos = 0;
  std::vector<Digest> image_mounts;  // sources of Mounts[{Type:"image"}]
  std::string config_json;           // the create request's config, opaque here

  // Running, paused or restarting: Docker's "running" for conflicts and
  // listings.
  bool running() const {
    return state == ContainerState::kRunning || state == ContainerState::kPaused ||
           state == ContainerState::kRestarting;
  }
};

// The container table, over one metadata transaction.
namespace container_table {

// NotFound "No such container: <id>" when absent.
[[nodiscard]] Result<ContainerRecord> Get(Tx& tx, std::string_view id);
// Every row, by created time (then ID).
[[nodiscard]] Result<std::vector<ContainerRecord>> List(Tx& tx);
// Rows whose image_id is `image` or that mount it as an image mount, by
// created time (then ID).
[[nodiscard]] Result<std::vector<ContainerRecord>> UsingImage(Tx& tx, const Digest& image);
// Inserts or replaces the row and its image mounts. AlreadyExists when
// another container has the name. Does not touch the reference index.
[[nodiscard]] Status Put(Tx& tx, const ContainerRecord& c);
// Drops the row and its image mounts. NotFound when absent.
[[nodiscard]] Status Delete(Tx& tx, std::string_view id);

}  // namespace container_table
}  // namespace berth
