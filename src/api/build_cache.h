// The classic builder's cache as the Engine API shows it (build_cache_routes.cc).
// Build cache = the unnamed records of step images (ImageRecord::build_cache).
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "api/query.h"
#include "berth/image_service.h"
#include "berth/metadata.h"

namespace berth::api {

// The PruneOptions of POST /build/prune: `all` (also the cache of builds
// whose result still has a name), the "until" filter. InvalidArgument naming
// what berth does not do: a non-zero keep-storage, reserved-space,
// max-used-space or min-free-space; the filters BuildKit has and the
// classic cache lacks (id, parent, type, description, inuse, shared,
// private, unused-for); "invalid filter" for any other name.
[[nodiscard]] Result<PruneOptions> BuildCachePruneOptions(const Query& q, int64_t now_nanos);

// One build cache record, as system df lists it.
struct BuildCacheItem {
  std::string id;           // the step image's ID
  std::string parent;       // its parent label (the previous step's image)
  std::string description;  // the step's command
  int64_t size = 0;         // the bytes the step added: its image size minus its parent's
  bool in_use = false;      // a container uses the image
  int64_t created_unix_nanos = 0;
};

// The build cache among `records` (each image once), sized and marked in
// use from `images` (ImageService::List with all and container_count).
std::vector<BuildCacheItem> BuildCacheItems(const std::vector<ImageRecord>& records,
                                            const std::vector<ImageSummary>& images);

// Docker's []build.CacheRecord JSON (Type "regular", never Shared;
// LastUsedAt is the creation time: berth does not record cache hits).
boost::json::array BuildCacheValue(const std::vector<BuildCacheItem>& items);

}  // namespace berth::api
