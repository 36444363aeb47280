// The resolver: Docker's reference resolution over the image records of
// one metadata transaction (resolveImage, resolveAllReferences). Pure
// functions of the transaction's state. Internal to src/image.
//
// Inputs: a full ID or digest, an ID prefix (4-64 hex, optional "sha256:"),
// name, name:tag, name@digest, name:tag@digest. Not-found errors carry
// Docker's text: "No such image: <familiar ref>" with ":latest" added to a
// bare name; a prefix matching several images is "ambiguous reference" (404).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "berth/metadata.h"
#include "berth/status.h"

namespace berth::image {

// The record `ref` names (resolveImage): an exact name wins over an ID
// prefix; a digest reference with a name needs a record of that repository.
Result<ImageRecord> ResolveIn(Tx& tx, const std::string& ref);

// Records resolved for one reference (resolveAllReferences), as removal
// needs them: `named` is the record whose name matched (if any); `all`
// every record with the same target, sorted by name. For an ID prefix that
// is also a name, `all` holds both kinds (and an ambiguity is NotFound).
struct Resolution {
  std::optional<ImageRecord> named;
  std::vector<ImageRecord> all;
};
Result<Resolution> ResolveAllIn(Tx& tx, const std::string& ref);

// The familiar string of a record's name ("busybox:latest"); a dangling
// record gives "".
std::string FamiliarName(const ImageRecord& r);

}  // namespace berth::image
