// Volume routes: /volumes, /volumes/create, /volumes/{name}, /volumes/prune
// (Docker's shapes and texts; the local driver only).

#include <boost/json.hpp>

#include "api/create_fields.h"
#include "api/field_names.h"
#include "api/render.h"
#include "api/router.h"
#include "berth/time.h"
#include "berth/volume_service.h"

namespace berth::api {

namespace json = boost::json;

namespace {

Result<VolumeService*> Volumes(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ContainerService * cs, ctx.Containers());
  if (cs->volumes() == nullptr) return Internal("no volume service attached");
  return cs->volumes();
}

Result<std::map<std::string, std::string>> StringMapField(const json::object& o, std::string_view key) {
  std::map<std::string, std::string> out;
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return out;
  if (!v->is_object()) return InvalidArgument("invalid JSON: " + std::string(key) + " must be an object");
  for (const auto& [k, e] : v->as_object()) {
    if (!e.is_string()) return InvalidArgument("invalid JSON: " + std::string(key) + " values must be strings");
    out[std::string(k)] = std::string(e.as_string());
  }
  return out;
}

Result<std::string> StringField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return std::string();
  if (!v->is_string()) return InvalidArgument("invalid JSON: " + std::string(key) + " must be a string");
  return std::string(v->as_string());
}

}  // namespace

// A volume as Docker's API shows it; with `usage`, UsageData (system df).
json::object VolumeValue(const VolumeInfo& v, VolumeService* usage) {
  json::object o;
  o["CreatedAt"] = FormatRfc3339Nanos(v.created_unix_nanos - v.created_unix_nanos % 1000000000);
  o["Driver"] = v.driver;
  o["Labels"] = StringMapValue(v.labels);
  o["Mountpoint"] = v.mountpoint;
  o["Name"] = v.name;
  o["Options"] = v.options.empty() ? json::value(nullptr) : json::value(StringMapValue(v.options));
  o["Scope"] = "local";
  if (usage != nullptr) {
    o["UsageData"] =
        json::object{{"Size", usage->DiskUsage(v.name)}, {"RefCount", static_cast<int64_t>(v.containers.size())}};
  }
  return o;
}

namespace {

// POST /volumes/create
Result<Response> CreateVolume(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(VolumeService * vs, Volumes(ctx));
  boost::system::error_code ec;
  json::value body = json::parse(ctx.req->body, ec);
  if (ec) return InvalidArgument("invalid JSON: " + ec.message());
  if (!body.is_object()) return InvalidArgument("invalid JSON: the body must be an object");
  MatchFieldNames(&body.as_object(), kVolumeCreateRequest);
  const json::object& o = body.as_object();
  BERTH_RETURN_IF_ERROR(RefuseUnsupportedFields(o, {"Name", "Driver", "DriverOpts", "Labels"}, ""));
  VolumeCreateOptions opts;
  BERTH_ASSIGN_OR_RETURN(opts.name, StringField(o, "Name"));
  BERTH_ASSIGN_OR_RETURN(opts.driver, StringField(o, "Driver"));
  BERTH_ASSIGN_OR_RETURN(opts.driver_opts, StringMapField(o, "DriverOpts"));
  BERTH_ASSIGN_OR_RETURN(opts.labels, StringMapField(o, "Labels"));
  BERTH_ASSIGN_OR_RETURN(VolumeInfo v, vs->Create(opts));
  return JsonResponse(201, json::serialize(VolumeValue(v, nullptr)));
}

// GET /volumes?filters=
Result<Response> ListVolumes(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(VolumeService * vs, Volumes(ctx));
  BERTH_ASSIGN_OR_RETURN(Filters f, Filters::FromJson(ctx.query.Get("filters")));
  BERTH_ASSIGN_OR_RETURN(std::vector<VolumeInfo> list, vs->List(f.ToMap()));
  json::array a;
  for (const auto& v : list) a.emplace_back(VolumeValue(v, nullptr));
  return JsonResponse(200, json::serialize(json::object{{"Volumes", std::move(a)}, {"Warnings", nullptr}}));
}

// GET /volumes/{name}
Result<Response> InspectVolume(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(VolumeService * vs, Volumes(ctx));
  BERTH_ASSIGN_OR_RETURN(VolumeInfo v, vs->Get(ctx.Var("name")));
  return JsonResponse(200, json::serialize(VolumeValue(v, nullptr)));
}

// DELETE /volumes/{name}?force=
Result<Response> RemoveVolume(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(VolumeService * vs, Volumes(ctx));
  BERTH_RETURN_IF_ERROR(vs->Remove(ctx.Var("name"), ctx.query.Bool("force")));
  Response r;
  r.status = 204;
  return r;
}

// POST /volumes/prune?filters=
Result<Response> PruneVolumes(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(VolumeService * vs, Volumes(ctx));
  BERTH_ASSIGN_OR_RETURN(Filters f, Filters::FromJson(ctx.query.Get("filters")));
  BERTH_ASSIGN_OR_RETURN(VolumePruneReport report, vs->Prune(f.ToMap()));
  json::value deleted = nullptr;
  if (!report.deleted.empty()) {
    json::array a;
    for (const auto& n : report.deleted) a.emplace_back(json::string(n));
    deleted = std::move(a);
  }
  return JsonResponse(200, json::serialize(json::object{{"VolumesDeleted", std::move(deleted)},
                                                        {"SpaceReclaimed", report.space_reclaimed}}));
}

// PUT /volumes/{name}: cluster volumes only.
Result<Response> UpdateVolume(RouteContext&) {
  return InvalidArgument("berth does not support updating volumes (cluster volumes)");
}

}  // namespace

void AddVolumeRoutes(Router* r) {
  r->Add("GET", "/volumes", ListVolumes);
  r->Add("POST", "/volumes/create", CreateVolume);
  r->Add("POST", "/volumes/prune", PruneVolumes);
  r->Add("GET", "/volumes/{name}", InspectVolume);
  r->Add("DELETE", "/volumes/{name}", RemoveVolume);
  r->Add("PUT", "/volumes/{name}", UpdateVolume);
}

}  // namespace berth::api
