// GET /berth/v1/images/{name}/why: berth's explanation of what keeps an
// image or a blob (ImageService::Why). {name} is an image reference (name,
// name:tag, name@digest, full or short ID) or "sha256:<hex>" of a blob that
// is not an image ID. Errors: 404 "No such image: …" / "No such image or
// blob: sha256:…"; 400 for a blank name or any query parameter (it takes
// none).
//
// 200 application/json, one of:
//
//   {"Kind": "image", "Image": {
//      "Id": "sha256:…",
//      "Names": ["busybox:latest", …],        familiar, sorted; [] if none
//      "Dangling": bool,                       a moby-dangling@ record exists
//      "Parent": "sha256:…" | "",              its parent label
//      "Children": [{"Id": "sha256:…", "Names": […]}],   parent label = Id
//      "Containers": [{"Id", "Name", "Image" (ref as created), "State",
//                      "Platform": {OCI platform} | null,
//                      "Manifest": "sha256:…" | ""}],    created from it
//      "MountedBy": [{"Id", "Name", "Image", "State"}],  image mounts
//      "Leases": [{"Id", "Expires" (unix ns, 0 never), "Labels": {},
//                  "Blobs": ["sha256:…"]}],   its blobs each lease reaches
//      "IngestHeld": ["sha256:…"],            its blobs an ingest holds now
//      "Size": bytes, "Blobs": count,          the content it retains
//      "Removal": {"Reference": the {name} given,
//                  "Remove": Preview,          docker rmi {name}
//                  "ForceRemove": Preview}}}   docker rmi -f {name}
//   Preview: {"Refused": bool, "Error": Docker's conflict message or "",
//             "Items": [{"Untagged": …} | {"Deleted": …}] (as DELETE /images),
//             "Freed": [{"Digest", "MediaType", "Size"}], blobs it deletes
//             "FreedBytes": bytes of their files}
//   A preview is the real removal run on a transaction that is rolled back:
//   nothing changes, no event is sent.
//
//   {"Kind": "blob", "Blob": {
//      "Digest", "MediaType" ("" if unregistered), "Size", "Refs",
//      "Registered": bool, "Present": bool (its file exists),
//      "IngestHeld": bool,
//      "Holders": [{"Kind": "image" | "container" | "lease", "Id",
//                   "Names": [image names | the container's name],
//                   "Via": [OCI descriptors from the root down to the blob,
//                           the blob excluded: index, then manifest]}]}}
//   A root reaching the blob along several manifests appears once per route.

#include <boost/json.hpp>

#include "api/render.h"
#include "api/router.h"

namespace berth::api {

namespace {

Result<Response> Why(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ImageService * images, ctx.Images());
  if (!ctx.query.empty()) return InvalidArgument("the why route takes no query parameters");
  BERTH_ASSIGN_OR_RETURN(WhyReport report, images->Why(ctx.Var("name")));
  return JsonResponse(200, boost::json::serialize(WhyReportValue(report)));
}

}  // namespace

void AddWhyRoutes(Router* r) { r->Add("GET", "/berth/v1/images/{name:.*}/why", Why); }

}  // namespace berth::api
