// The classic builder's cache over the Engine API: POST /build/prune and the
// BuildCache list of GET /system/df. The cache is the step images builds
// leave without a name (ImageRecord::build_cache); it is removed through
// ImageRemoval::Prune, so a cache prune is one metadata transaction with
// `delete` events and the reaper deleting the freed files.
#include <boost/json.hpp>
#include <map>
#include <set>

#include "api/build_cache.h"
#include "api/query.h"
#include "api/router.h"
#include "berth/image_filters.h"
#include "berth/time.h"

namespace berth::api {

namespace json = boost::json;

namespace {

// Docker's build cache prune filters berth does not implement for the
// classic builder's cache (BuildKit's record fields berth's cache lacks).
const std::set<std::string> kRefusedFilters = {"description", "id",     "inuse", "parent",
                                               "private",     "shared", "type",  "unused-for"};

}  // namespace

Result<PruneOptions> BuildCachePruneOptions(const Query& q, int64_t now_nanos) {
  for (const char* name : {"keep-storage", "reserved-space", "max-used-space", "min-free-space"}) {
    std::string v = q.Get(name);
    if (!v.empty() && v != "0") {
      return InvalidArgument("build cache prune parameter \"" + std::string(name) +
                             "\" is not supported by berth (use the until filter)");
    }
  }
  BERTH_ASSIGN_OR_RETURN(Filters f, Filters::FromJson(q.Get("filters")));
  std::set<std::string> accepted = kRefusedFilters;
  accepted.insert("until");
  BERTH_RETURN_IF_ERROR(f.Validate(accepted));
  for (const auto& name : kRefusedFilters) {
    if (f.Contains(name)) {
      return InvalidArgument("build cache prune filter \"" + name + "\" is not supported by berth's build cache");
    }
  }
  PruneOptions o;
  o.build_cache_only = true;
  o.build_cache_all = q.Bool("all");
  BERTH_ASSIGN_OR_RETURN(o.until_unix_nanos, EarliestUntil(f.ToMap(), now_nanos));
  return o;
}

std::vector<BuildCacheItem> BuildCacheItems(const std::vector<ImageRecord>& records,
                                            const std::vector<ImageSummary>& images) {
  std::map<std::string, const ImageSummary*> by_id;
  for (const auto& s : images) by_id[s.id.str()] = &s;
  std::vector<BuildCacheItem> items;
  std::set<std::string> seen;
  for (const auto& r : records) {
    if (!IsBuildCache(r) || !seen.insert(r.id().str()).second) continue;
    BuildCacheItem item;
    item.id = r.id().str();
    item.parent = ParentOf(r);
    item.description = BuildStepOf(r);
    item.created_unix_nanos = r.created_unix_nanos;
    auto self = by_id.find(item.id);
    if (self != by_id.end()) {
      item.size = self->second->size;
      item.in_use = self->second->containers > 0;
      auto parent = by_id.find(item.parent);
      // The bytes this step added: its layers beyond its parent's.
      if (parent != by_id.end()) item.size = std::max<int64_t>(0, item.size - parent->second->size);
    }
    items.push_back(std::move(item));
  }
  return items;
}

json::array BuildCacheValue(const std::vector<BuildCacheItem>& items) {
  json::array arr;
  for (const auto& item : items) {
    const std::string at = FormatRfc3339Nanos(item.created_unix_nanos);
    json::object o;
    o["ID"] = item.id;
    o["Parents"] = item.parent.empty() ? json::array{} : json::array{json::value(item.parent)};
    o["Type"] = "regular";
    o["Description"] = item.description;
    o["InUse"] = item.in_use;
    o["Shared"] = false;
    o["Size"] = item.size;
    o["CreatedAt"] = at;
    o["LastUsedAt"] = at;  // berth does not track cache hits: the creation time
    o["UsageCount"] = 0;
    arr.push_back(std::move(o));
  }
  return arr;
}

namespace {

// POST /build/prune[?all=1&filters=...]
Result<Response> PruneBuildCache(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ImageService * images, ctx.Images());
  BERTH_ASSIGN_OR_RETURN(PruneOptions o, BuildCachePruneOptions(ctx.query, WallClockNanos()));
  BERTH_ASSIGN_OR_RETURN(PruneReport report, images->Prune(o));
  json::array ids;
  for (const auto& item : report.deleted) {
    if (!item.untagged.empty()) ids.push_back(json::value(item.untagged));  // the cache image's ID
  }
  json::object out;
  out["CachesDeleted"] = ids.empty() ? json::value(nullptr) : json::value(std::move(ids));
  out["SpaceReclaimed"] = report.space_reclaimed;
  return JsonResponse(200, json::serialize(out));
}

}  // namespace

void AddBuildCacheRoutes(Router* r) { r->Add("POST", "/build/prune", PruneBuildCache); }

}  // namespace berth::api
