// docker cp and docker export (Docker's api/server/router/container
// copy.go): GET /containers/{id}/archive (a tar of the path and its stat
// header), HEAD (the header only), PUT (extract a tar into a directory) and
// GET /containers/{id}/export.

#include <sys/stat.h>

#include <algorithm>
#include <memory>

#include <boost/json.hpp>

#include "api/container_archive.h"
#include "api/router.h"
#include "berth/base64.h"
#include "berth/time.h"
#include "registry/client.h"

namespace berth::api {

namespace json = boost::json;

namespace {

constexpr std::string_view kPathStatHeader = "X-Docker-Container-Path-Stat";

Result<std::string> PathParam(const RouteContext& ctx) {
  std::string path = ctx.query.Get("path");
  if (path.empty()) return InvalidArgument("bad parameter: path cannot be empty");
  return path;
}

// HEAD /containers/{id}/archive?path=: 200 with the stat header, no body.
Result<Response> StatArchivePath(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ContainerService * cs, ctx.Containers());
  BERTH_ASSIGN_OR_RETURN(std::string path, PathParam(ctx));
  BERTH_ASSIGN_OR_RETURN(ContainerPathStat st, cs->StatPath(ctx.Var("id"), path));
  Response r;
  r.SetHeader(kPathStatHeader, PathStatHeaderValue(st));
  return r;
}

// GET /containers/{id}/archive?path=: the tar, with the stat header.
Result<Response> GetArchivePath(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ContainerService * cs, ctx.Containers());
  BERTH_ASSIGN_OR_RETURN(std::string path, PathParam(ctx));
  std::string ref = ctx.Var("id");
  BERTH_ASSIGN_OR_RETURN(ContainerPathStat st, cs->StatPath(ref, path));
  Response r;
  r.SetHeader(kPathStatHeader, PathStatHeaderValue(st));
  r.SetHeader("Content-Type", "application/x-tar");
  r.stream = [cs, ref, path](const WriteFn& write) { return cs->ArchivePath(ref, path, write); };
  return r;
}

// PUT /containers/{id}/archive?path=&noOverwriteDirNonDir=&copyUIDGID=
Result<Response> PutArchivePath(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ContainerService * cs, ctx.Containers());
  BERTH_ASSIGN_OR_RETURN(std::string path, PathParam(ctx));
  ArchiveExtractOptions o;
  o.no_overwrite_dir_non_dir = ctx.query.Bool("noOverwriteDirNonDir");
  o.copy_uid_gid = ctx.query.Bool("copyUIDGID");
  ReadFn body = ctx.req->body_reader;
  if (!body) {
    auto offset = std::make_shared<size_t>(0);
    const std::string* whole = &ctx.req->body;
    body = [whole, offset](char* buf, size_t n) -> Result<size_t> {
      size_t k = std::min(n, whole->size() - *offset);
      std::copy_n(whole->data() + *offset, k, buf);
      *offset += k;
      return k;
    };
  }
  BERTH_RETURN_IF_ERROR(cs->ExtractToPath(ctx.Var("id"), path, body, o));
  Response r;
  r.status = 200;
  return r;
}

// GET /containers/{id}/export: the root filesystem as a tar.
Result<Response> ExportContainer(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ContainerService * cs, ctx.Containers());
  BERTH_ASSIGN_OR_RETURN(ContainerInfo info, cs->Get(ctx.Var("id")));
  std::string id = info.record.id;
  Response r;
  r.SetHeader("Content-Type", "application/x-tar");
  r.stream = [cs, id](const WriteFn& write) { return cs->Export(id, write); };
  return r;
}

}  // namespace

uint32_t GoFileMode(uint32_t st_mode) {
  uint32_t m = st_mode & 0777;
  if (st_mode & S_ISUID) m |= 1u << 23;
  if (st_mode & S_ISGID) m |= 1u << 22;
  if (st_mode & S_ISVTX) m |= 1u << 20;
  switch (st_mode & S_IFMT) {
    case S_IFDIR: m |= 1u << 31; break;
    case S_IFLNK: m |= 1u << 27; break;
    case S_IFBLK: m |= 1u << 26; break;
    case S_IFCHR: m |= (1u << 26) | (1u << 21); break;
    case S_IFIFO: m |= 1u << 25; break;
    case S_IFSOCK: m |= 1u << 24; break;
    default: break;
  }
  return m;
}

std::string PathStatHeaderValue(const ContainerPathStat& st) {
  json::object o;
  o["name"] = st.name;
  o["size"] = st.size;
  o["mode"] = GoFileMode(st.mode);
  o["mtime"] = FormatRfc3339Nanos(st.mtime_unix_nanos);
  o["linkTarget"] = st.link_target;
  return Base64Encode(json::serialize(o));
}

void AddContainerArchiveRoutes(Router* r) {
  r->Add("HEAD", "/containers/{id}/archive", StatArchivePath);
  r->Add("GET", "/containers/{id}/archive", GetArchivePath);
  r->Add("PUT", "/containers/{id}/archive", PutArchivePath, /*streams_body=*/true);
  r->Add("GET", "/containers/{id}/export", ExportContainer);
}

}  // namespace berth::api
