// /images/... routes (Docker's api/server/router/image, c8d backend
// semantics come from the image service).

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>

#include "api/progress.h"
#include "api/query.h"
#include "api/render.h"
#include "api/router.h"
#include "berth/archive.h"
#include "berth/container_service.h"
#include "berth/image_filters.h"
#include "berth/io.h"
#include "berth/json_text.h"
#include "berth/reference.h"
#include "berth/time.h"

namespace berth::api {

namespace json = boost::json;

namespace {

// A ReadFn over a buffered body (when the server did not stream it).
ReadFn StringReader(std::shared_ptr<const std::string> data) {
  auto pos = std::make_shared<size_t>(0);
  return [data, pos](char* buf, size_t n) -> Result<size_t> {
    size_t left = data->size() - *pos;
    size_t k = std::min(n, left);
    std::memcpy(buf, data->data() + *pos, k);
    *pos += k;
    return k;
  };
}

// Docker's httputils.RepoTagReference: `repo` with `tag` (or "latest");
// nullopt when repo is empty.
Result<std::optional<Reference>> RepoTagReference(const std::string& repo, const std::string& tag) {
  if (repo.empty()) return std::optional<Reference>();
  BERTH_ASSIGN_OR_RETURN(Reference ref, ParseNormalizedNamed(repo));
  if (ref.has_digest()) return InvalidArgument("cannot import digest reference");
  if (!tag.empty()) {
    BERTH_ASSIGN_OR_RETURN(ref, WithTag(std::move(ref), tag));
  } else {
    ref = TagNameOnly(std::move(ref));
  }
  return std::optional<Reference>(std::move(ref));
}

// GET /images/json
Result<Response> ListImages(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ImageService * images, ctx.Images());
  const Query& q = ctx.query;
  BERTH_ASSIGN_OR_RETURN(Filters f, Filters::FromJson(q.Get("filters")));
  // API < 1.41 had a separate "filter" parameter: a reference pattern.
  if (!ctx.AtLeast("1.41") && !q.Get("filter").empty()) f.Add("reference", q.Get("filter"));
  BERTH_RETURN_IF_ERROR(f.Validate({"dangling", "label", "label!", "before", "since", "reference", "until"}));
  ListOptions o;
  o.all = q.Bool("all");
  if (f.Contains("dangling")) {
    BERTH_ASSIGN_OR_RETURN(bool dangling, f.GetBoolOrDefault("dangling", false));
    o.dangling = dangling;
  }
  BERTH_ASSIGN_OR_RETURN(o.labels, LabelFiltersFrom(f.ToMap()));
  o.before = f.Get("before");
  o.since = f.Get("since");
  o.reference = f.Get("reference");
  BERTH_ASSIGN_OR_RETURN(o.until_unix_nanos, EarliestUntil(f.ToMap(), WallClockNanos()));
  o.shared_size = ctx.AtLeast("1.42") && q.Bool("shared-size");
  o.manifests = ctx.AtLeast("1.47") && q.Bool("manifests");
  BERTH_ASSIGN_OR_RETURN(std::vector<ImageSummary> list, images->List(o));
  json::array out;
  // Containers stays -1: Docker 28.2 counts them for system df only (API
  // 1.51 would count them here too).
  for (auto& s : list) out.emplace_back(ImageSummaryValue(s, ctx.version, o.manifests));
  return JsonResponse(200, json::serialize(out));
}

// GET /images/{name}/json
Result<Response> InspectImage(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ImageService * images, ctx.Images());
  bool manifests = ctx.AtLeast("1.48") && ctx.query.Bool("manifests");
  // Docker reads only the first "platform" value here (no "multiple" check).
  std::optional<Platform> platform;
  if (ctx.AtLeast("1.49") && !ctx.query.Get("platform").empty()) {
    BERTH_ASSIGN_OR_RETURN(platform, DecodePlatformParam(ctx.query.Get("platform")));
  }
  if (manifests && platform) {
    return InvalidArgument("conflicting options: manifests and platform options cannot both be set");
  }
  BERTH_ASSIGN_OR_RETURN(ImageInspect info, images->Inspect(ctx.Var("name"), platform, manifests));
  return JsonResponse(200, json::serialize(ImageInspectValue(info, ctx.version, manifests)));
}

// POST /images/{name}/tag?repo=&tag=
Result<Response> TagImage(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ImageService * images, ctx.Images());
  std::string repo = ctx.query.Get("repo");
  BERTH_ASSIGN_OR_RETURN(std::optional<Reference> named, RepoTagReference(repo, ctx.query.Get("tag")));
  if (!named) return ParseNormalizedNamed(repo).status();  // no repo: the parser's error
  Reference ref = std::move(*named);
  if (ref.FamiliarName() == "sha256") {
    return InvalidArgument("refusing to create an ambiguous tag using digest algorithm as name");
  }
  BERTH_RETURN_IF_ERROR(images->Tag(ctx.Var("name"), ref.String()));
  Response r;
  r.status = 201;
  return r;
}

// DELETE /images/{name}
Result<Response> RemoveImage(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ImageService * images, ctx.Images());
  std::string name = ctx.Var("name");
  if (IsGoBlank(name)) return InvalidArgument("image name cannot be blank");
  RemoveOptions o;
  o.force = ctx.query.Bool("force");
  o.prune = !ctx.query.Bool("noprune");
  // Before API 1.50 Docker ignores "platforms" (and deletes the whole image).
  if (ctx.AtLeast("1.50")) {
    for (const auto& v : ctx.query.GetAll("platforms")) {
      BERTH_ASSIGN_OR_RETURN(Platform p, DecodePlatformParam(v));
      o.platforms.push_back(std::move(p));
    }
  }
  // Unlike Docker, no force is needed for platforms: berth only drops the
  // platform from this image and never deletes content others still use.
  BERTH_ASSIGN_OR_RETURN(std::vector<DeleteResponseItem> items, images->Remove(name, o));
  return JsonResponse(200, json::serialize(DeleteItemsValue(items)));
}

// POST /images/prune[?dryrun=1] (dryrun: berth's extension, which Docker
// clients never send: the same report, nothing removed, no events)
Result<Response> PruneImages(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ImageService * images, ctx.Images());
  BERTH_ASSIGN_OR_RETURN(Filters f, Filters::FromJson(ctx.query.Get("filters")));
  BERTH_ASSIGN_OR_RETURN(PruneOptions o,
                         PruneOptionsFromFilters(
                             f.ToMap(), [&f] { return f.GetBoolOrDefault("dangling", true); }, WallClockNanos()));
  // berth's extension: the report of the prune, with nothing removed.
  o.dry_run = ctx.query.Bool("dryrun");
  BERTH_ASSIGN_OR_RETURN(PruneReport report, images->Prune(o));
  json::object out;
  if (report.deleted.empty()) {
    out["ImagesDeleted"] = nullptr;
  } else {
    out["ImagesDeleted"] = DeleteItemsValue(report.deleted);
  }
  out["SpaceReclaimed"] = report.space_reclaimed;
  return JsonResponse(200, json::serialize(out));
}

// POST /images/load: the body (a tar) streams into LoadArchive; the answer is
// a JSON message stream. As in dockerd 28.2 (containerd image store), only a
// bad query (platform) is a plain HTTP error: once the archive is read the
// status is 200 and a failed load ends the stream with an errorDetail line,
// which `docker load` prints (exit 1) and the SDK raises as ImageLoadError.
// `quiet` (default true) changes nothing there either: dockerd 28.2's
// containerd LoadImage writes no progress bars, quiet or not.
Result<Response> LoadImages(RouteContext& ctx) {
  BERTH_RETURN_IF_ERROR(ctx.Images().status());
  LoadOptions o;
  if (ctx.opts != nullptr) o.limits = ctx.opts->load_limits;
  if (ctx.AtLeast("1.48")) {
    BERTH_ASSIGN_OR_RETURN(o.platform, SinglePlatformParam(ctx.query));
  }
  ReadFn reader = ctx.req->body_reader;
  if (!reader) reader = StringReader(std::make_shared<const std::string>(std::move(ctx.req->body)));
  Store* store = ctx.store;
  Response r;
  r.SetHeader("Content-Type", "application/json");
  r.stream = [store, reader, o](const WriteFn& write) -> Status {
    Result<std::vector<LoadedImage>> loaded = LoadArchive(store, reader, o);
    if (!loaded.ok()) return write(RenderProgressError(loaded.status().message()));
    if (loaded->empty()) return write("");
    for (const auto& img : *loaded) {
      std::string text = img.name.empty() ? "Loaded image ID: " + img.id.str() + "\n"
                                          : "Loaded image: " + img.name + "\n";
      BERTH_RETURN_IF_ERROR(write(StreamLine(text)));
    }
    return OkStatus();
  };
  return r;
}

}  // namespace

// POST /images/create?fromSrc=-&repo=&tag=&message=&changes=&platform= (docker
// import): the body is the tarball. As in dockerd 28.2 nothing is written
// until the image exists, so every error is a plain HTTP error; success is
// one {"status":"sha256:<image ID>"} line. fromSrc other than "-" would make
// dockerd download the archive; berth does not fetch URLs and refuses it.
Result<Response> ImportImage(RouteContext& ctx) {
  const Query& q = ctx.query;
  ImportOptions o;
  if (ctx.AtLeast("1.32") && !q.Get("platform").empty()) {
    BERTH_ASSIGN_OR_RETURN(Platform p, ParsePlatform(q.Get("platform")));
    o.platform = std::move(p);
  }
  std::string src = q.Get("fromSrc");
  BERTH_ASSIGN_OR_RETURN(std::optional<Reference> ref, RepoTagReference(q.Get("repo"), q.Get("tag")));
  if (ref) o.reference = ref->String();
  o.message = q.Get("message");
  if (o.message.empty()) o.message = "Imported from " + src;
  o.changes = q.GetAll("changes");
  if (src != "-") {
    return Unimplemented("importing from a URL is not supported by berth (fromSrc=" + src +
                         "): download the archive and import it from standard input (fromSrc=-)");
  }
  BERTH_ASSIGN_OR_RETURN(ContainerService * containers, ctx.Containers());
  ReadFn reader = ctx.req->body_reader;
  if (!reader) reader = StringReader(std::make_shared<const std::string>(std::move(ctx.req->body)));
  Response r;
  r.SetHeader("Content-Type", "application/json");
  r.stream = [containers, reader, o](const WriteFn& write) -> Status {
    BERTH_ASSIGN_OR_RETURN(Digest id, containers->Import(reader, o));
    ProgressMessage m;
    m.status = id.str();
    return write(RenderProgress(m));
  };
  return r;
}

namespace {

// GET /images/get?names=… and GET /images/{name}/get: a tar stream.
Result<Response> SaveImages(RouteContext& ctx, std::vector<std::string> names) {
  BERTH_RETURN_IF_ERROR(ctx.Images().status());
  SaveOptions o;
  if (ctx.AtLeast("1.48")) {
    BERTH_ASSIGN_OR_RETURN(o.platform, SinglePlatformParam(ctx.query));
  }
  Store* store = ctx.store;
  Response r;
  r.SetHeader("Content-Type", "application/x-tar");
  r.stream = [store, names = std::move(names), o](const WriteFn& write) -> Status {
    return SaveArchive(store, names, o, write);
  };
  return r;
}

// GET /images/{name}/history
Result<Response> ImageHistory(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ImageService * images, ctx.Images());
  std::optional<Platform> platform;
  if (ctx.AtLeast("1.48")) {
    BERTH_ASSIGN_OR_RETURN(platform, SinglePlatformParam(ctx.query));
  }
  BERTH_ASSIGN_OR_RETURN(std::vector<HistoryItem> items, images->History(ctx.Var("name"), platform));
  return JsonResponse(200, json::serialize(HistoryValue(items)));
}

}  // namespace

void AddImageRoutes(Router* r) {
  r->Add("GET", "/images/json", ListImages);
  r->Add("POST", "/images/prune", PruneImages);
  r->Add("POST", "/images/load", LoadImages, /*streams_body=*/true);
  r->Add("GET", "/images/get", [](RouteContext& ctx) { return SaveImages(ctx, ctx.query.GetAll("names")); });
  r->Add("GET", "/images/{name:.*}/get", [](RouteContext& ctx) { return SaveImages(ctx, {ctx.Var("name")}); });
  r->Add("GET", "/images/{name:.*}/history", ImageHistory);
  r->Add("GET", "/images/{name:.*}/json", InspectImage);
  r->Add("POST", "/images/{name:.*}/tag", TagImage);
  r->Add("DELETE", "/images/{name:.*}", RemoveImage);
}

}  // namespace berth::api
