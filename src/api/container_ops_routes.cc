// docker rename, pause, unpause, top, diff and update (Docker's
// api/server/router/container) over the ContainerService.

#include <algorithm>
#include <boost/json.hpp>

#include "api/container_render.h"
#include "api/field_names.h"
#include "api/router.h"

namespace berth::api {

namespace json = boost::json;

namespace {

Response NoContent() {
  Response r;
  r.status = 204;
  return r;
}

// POST /containers/{id}/rename?name=
Result<Response> RenameContainer(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ContainerService * cs, ctx.Containers());
  BERTH_RETURN_IF_ERROR(cs->Rename(ctx.Var("id"), ctx.query.Get("name")));
  return NoContent();
}

// POST /containers/{id}/pause
Result<Response> PauseContainer(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ContainerService * cs, ctx.Containers());
  BERTH_RETURN_IF_ERROR(cs->Pause(ctx.Var("id")));
  return NoContent();
}

// POST /containers/{id}/unpause
Result<Response> UnpauseContainer(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ContainerService * cs, ctx.Containers());
  BERTH_RETURN_IF_ERROR(cs->Unpause(ctx.Var("id")));
  return NoContent();
}

// GET /containers/{id}/top?ps_args= → {"Titles":[...],"Processes":[[...]]}
Result<Response> TopContainer(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ContainerService * cs, ctx.Containers());
  BERTH_ASSIGN_OR_RETURN(ContainerTop top, cs->Top(ctx.Var("id"), ctx.query.Get("ps_args")));
  json::array titles, procs;
  for (const auto& t : top.titles) titles.emplace_back(json::string(t));
  for (const auto& p : top.processes) {
    json::array row;
    for (const auto& f : p) row.emplace_back(json::string(f));
    procs.emplace_back(std::move(row));
  }
  json::object o{{"Titles", std::move(titles)}, {"Processes", std::move(procs)}};
  return JsonResponse(200, json::serialize(o));
}

// GET /containers/{id}/changes → [{"Path","Kind"}], null when none (as
// Docker's nil slice).
Result<Response> ContainerChanges(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ContainerService * cs, ctx.Containers());
  BERTH_ASSIGN_OR_RETURN(std::vector<ContainerChange> changes, cs->Changes(ctx.Var("id")));
  if (changes.empty()) return JsonResponse(200, "null");
  json::array out;
  for (const auto& c : changes) out.emplace_back(json::object{{"Path", c.path}, {"Kind", c.kind}});
  return JsonResponse(200, json::serialize(out));
}

// Whether a JSON value is Go's zero value (what the docker CLI sends for a
// field it does not set).
bool IsZero(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return true;
    case json::kind::bool_: return !v.as_bool();
    case json::kind::int64: return v.as_int64() == 0;
    case json::kind::uint64: return v.as_uint64() == 0;
    case json::kind::double_: return v.as_double() == 0;
    case json::kind::string: return v.as_string().empty();
    case json::kind::array: return v.as_array().empty();
    case json::kind::object:
      for (const auto& [k, f] : v.as_object()) {
        if (!IsZero(f)) return false;
      }
      return true;
  }
  return true;
}

// POST /containers/{id}/update: the resource fields Docker's update changes
// (Memory, MemorySwap, MemoryReservation, NanoCpus, CpuShares, CpuPeriod,
// CpuQuota, CpusetCpus, CpusetMems, PidsLimit, BlkioWeight) go to
// ContainerService::UpdateResources, and the restart policy is replaced when
// the body names one (Docker applies a RestartPolicy only with a Name); any
// other field that is set is refused by name (400) and nothing changes.
Result<Response> UpdateContainer(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ContainerService * cs, ctx.Containers());
  BERTH_ASSIGN_OR_RETURN(ContainerInfo info, cs->Get(ctx.Var("id")));
  boost::system::error_code ec;
  json::value body = ctx.req->body.empty() ? json::value(json::object{}) : json::parse(ctx.req->body, ec);
  if (ec) return InvalidArgument("invalid JSON: " + ec.message());
  if (!body.is_object()) return InvalidArgument("invalid JSON: the body must be an object");
  MatchFieldNames(&body.as_object(), kContainerUpdateRequest);
  std::optional<RestartPolicy> policy;
  for (const auto& [key, value] : body.as_object()) {
    if (key == "RestartPolicy" && !value.is_null()) {
      BERTH_ASSIGN_OR_RETURN(RestartPolicy p, ParseRestartPolicy(value));
      if (!p.name.empty()) policy = std::move(p);
      continue;
    }
    if (kUpdatableResourceFields.contains(std::string_view(key))) continue;
    if (!IsZero(value)) return InvalidArgument("berth does not support updating " + std::string(key));
  }
  BERTH_ASSIGN_OR_RETURN(ContainerResources resources, ParseResourceFields(body.as_object()));
  // Something to change: a field set, or PidsLimit given (0 is "unlimited").
  const json::object& fields = body.as_object();
  const bool changes = std::any_of(fields.begin(), fields.end(), [](const json::key_value_pair& kv) {
    if (!kUpdatableResourceFields.contains(kv.key())) return false;
    return kv.key() == "PidsLimit" ? !kv.value().is_null() : !IsZero(kv.value());
  });
  json::array warnings;
  if (changes) {
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> w, cs->UpdateResources(info.record.id, resources));
    for (const auto& s : w) warnings.emplace_back(json::string(s));
  }
  if (policy) BERTH_RETURN_IF_ERROR(cs->UpdateRestartPolicy(info.record.id, *policy));
  return JsonResponse(200, json::serialize(json::object{{"Warnings", std::move(warnings)}}));
}

}  // namespace

void AddContainerOpsRoutes(Router* r) {
  r->Add("POST", "/containers/{id}/rename", RenameContainer);
  r->Add("POST", "/containers/{id}/pause", PauseContainer);
  r->Add("POST", "/containers/{id}/unpause", UnpauseContainer);
  r->Add("GET", "/containers/{id}/top", TopContainer);
  r->Add("GET", "/containers/{id}/changes", ContainerChanges);
  r->Add("POST", "/containers/{id}/update", UpdateContainer);
}

}  // namespace berth::api
