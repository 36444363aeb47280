// Docker's container sizes: SizeRw (the writable layer, see
// ContainerService::WritableLayerSize) and SizeRootFs (that plus the
// container's image), as the listing and inspect report them with size=1,
// `docker system df` lists them and container prune sums the freed SizeRw.
// Internal to src/api.
#pragma once

#include <boost/json.hpp>
#include <map>
#include <string>

#include "api/router.h"
#include "berth/container_service.h"

namespace berth::api {

// Sizes several containers, reading each image's size once. Not
// thread-safe; one per request.
class ContainerSizer {
 public:
  ContainerSizer(ContainerService* containers, Store* store) : containers_(containers), store_(store) {}

  // SizeRw of container `id`; 0 when it cannot be read (removed meanwhile).
  int64_t Rw(const std::string& id);
  // Sets o["SizeRw"] and o["SizeRootFs"] for `r`.
  void AddTo(const ContainerRecord& r, boost::json::object* o);

 private:
  int64_t ImageSize(const ContainerRecord& r);

  ContainerService* containers_;
  Store* store_;
  std::map<std::string, int64_t> image_sizes_;  // image ID -> Size
};

// The listing's entries (GET /containers/json) for `opts`, with SizeRw and
// SizeRootFs when `sizes`. Used by the listing and by GET /system/df.
Result<boost::json::array> ContainerSummaries(RouteContext& ctx, ContainerService* cs, const ContainerListOptions& opts,
                                              bool sizes);

}  // namespace berth::api
