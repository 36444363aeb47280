// docker cp (GET/HEAD/PUT /containers/{id}/archive) and docker export over a
// container's root filesystem, by Docker's path rules (moby's
// container.ResolvePath / StatPath): a path is absolute in the container,
// its directory resolved inside the root (links followed, never out of it),
// its last element taken as it is unless the path ends in "/" or "/.".
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "base/read_in_root.h"
#include "base/unique_fd.h"
#include "berth/log.h"
#include "berth/tree_archive.h"
#include "container/internal.h"

namespace berth {

Result<ContainerPathStat> ContainerService::StatPath(const std::string&, const std::string&) {
  return Unimplemented("docker cp is not supported by this container service");
}
Status ContainerService::ArchivePath(const std::string&, const std::string&, const WriteFn&) {
  return Unimplemented("docker cp is not supported by this container service");
}
Status ContainerService::ExtractToPath(const std::string&, const std::string&, const ReadFn&,
                                       const ArchiveExtractOptions&) {
  return Unimplemented("docker cp is not supported by this container service");
}
Status ContainerService::Export(const std::string&, const WriteFn&) {
  return Unimplemented("docker export is not supported by this container service");
}

namespace container {

namespace {

// Data of file entries a PUT may extract, as a build context.
constexpr int64_t kMaxExtractBytes = int64_t{4} << 30;

}  // namespace

std::string AbsolutePath(const std::string& path) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string::npos) end = path.size();
    std::string c = path.substr(pos, end - pos);
    if (c == "..") {
      if (!out.empty()) out.pop_back();
    } else if (!c.empty() && c != ".") {
      out.push_back(std::move(c));
    }
    pos = end + 1;
  }
  std::string abs;
  for (const auto& c : out) abs += "/" + c;
  if (abs.empty()) abs = "/";
  bool dot = path == "." || path.ends_with("/.");
  if (dot) {
    abs += abs == "/" ? "." : "/.";
  } else if (path.ends_with("/") && abs != "/") {
    abs += "/";
  }
  return abs;
}

std::string BaseName(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  if (p == "/") return "/";
  size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

namespace {

// A path of the container split as Docker's ResolvePath does: the directory
// (resolved, following links inside the root) and the last element ("" or
// "." name the directory itself).
struct Located {
  std::string abs;  // AbsolutePath of the request
  UniqueFd dir;     // O_PATH descriptor of the resolved directory
  std::string base;
  struct stat st = {};  // of the path itself (lstat)
};

Status NotFoundIn(const std::string& path, const std::string& ref) {
  return NotFound("Could not find the file " + path + " in container " + ref);
}

// `shown` is the path as the client gave it, for messages (`path` may be
// relative to a mount's source).
Result<Located> Locate(int root_fd, const std::string& path, const std::string& ref, const std::string& shown) {
  Located l;
  l.abs = AbsolutePath(path);
  size_t slash = l.abs.rfind('/');
  std::string dir = l.abs.substr(0, slash + 1);
  l.base = l.abs.substr(slash + 1);
  int fd = internal::OpenInRoot(root_fd, dir, O_PATH | O_DIRECTORY);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return NotFoundIn(shown, ref);
    return ErrnoStatus("resolve " + dir + " in container " + ref, errno);
  }
  l.dir = UniqueFd(fd);
  const char* name = l.base.empty() ? "." : l.base.c_str();
  if (::fstatat(l.dir.get(), name, &l.st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return NotFoundIn(shown, ref);
    return ErrnoStatus("stat " + l.abs + " in container " + ref, errno);
  }
  return l;
}

// The path (absolute in the container) that the descriptor `fd` of a file
// below `root_fd` is at, from /proc/self/fd.
Result<std::string> PathInRoot(int root_fd, int fd) {
  auto link = [](int f) -> Result<std::string> {
    char buf[PATH_MAX];
    std::string proc = "/proc/self/fd/" + std::to_string(f);
    ssize_t n = ::readlink(proc.c_str(), buf, sizeof(buf));
    if (n < 0) return ErrnoStatus("readlink " + proc, errno);
    return std::string(buf, static_cast<size_t>(n));
  };
  BERTH_ASSIGN_OR_RETURN(std::string root, link(root_fd));
  BERTH_ASSIGN_OR_RETURN(std::string at, link(fd));
  if (at == root) return std::string("/");
  if (!at.starts_with(root + "/")) return Internal("the link target is outside the container's root");
  return at.substr(root.size());
}

// Where the symbolic link at `l` leads, absolute in the container: every
// link on the way followed inside the root; a dangling link lexically.
std::string LinkTarget(int root_fd, const Located& l) {
  UniqueFd to(internal::OpenInRoot(root_fd, l.abs, O_PATH));
  if (to.valid()) {
    Result<std::string> p = PathInRoot(root_fd, to.get());
    if (p.ok()) return *p;
  }
  char buf[PATH_MAX];
  ssize_t n = ::readlinkat(l.dir.get(), l.base.c_str(), buf, sizeof(buf));
  std::string target = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  std::string dir = l.abs.substr(0, l.abs.rfind('/') + 1);
  std::string joined = target.starts_with("/") ? target : dir + target;
  std::string clean = AbsolutePath(joined);
  while (clean.size() > 1 && (clean.ends_with("/") || clean.ends_with("/."))) {
    clean.pop_back();
    if (clean.ends_with("/")) clean.pop_back();
  }
  return clean.empty() ? "/" : clean;
}

}  // namespace

Status ContainerServiceImpl::WithRootfs(const std::string& ref, const std::string& event,
                                        const std::function<Status(int root_fd, const Ctr& c)>& fn) {
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  MutexLock op(c->op_mu.get());
  ContainerRecord rec;
  {
    MutexLock l(&mu_);
    if (c->removed) return NotFound("No such container: " + ref);
    rec = c->rec;
  }
  const std::string dir = Dir(rec.id);
  const std::string rootfs = dir + "/rootfs";
  bool mounted_here = false;
  if (!rec.running()) {
    BERTH_ASSIGN_OR_RETURN(PreparedLayers layers, PrepareImage(rec.image_manifest));
    for (const char* sub : {"/upper", "/work", "/rootfs"}) {
      BERTH_RETURN_IF_ERROR(store_->env()->CreateDirs(dir + sub, 0755));
    }
    BERTH_RETURN_IF_ERROR(MountOverlay(layers.dirs, dir + "/upper", dir + "/work", rootfs));
    mounted_here = true;
  }
  Status s;
  UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) {
    s = ErrnoStatus("open the root filesystem of container " + rec.id, errno);
  } else {
    s = fn(root.get(), *c);
  }
  root = UniqueFd();
  if (mounted_here) LogIfError(UnmountOverlay(rootfs), "unmount the root filesystem of container " + rec.id);
  if (s.ok() && !event.empty()) {
    MutexLock l(&mu_);
    Emit(*c, event);
  }
  return s;
}

Status ContainerServiceImpl::WithPathRoot(const std::string& ref, const std::string& event, const std::string& path,
                                          const PathRootFn& fn) {
  return WithRootfs(ref, event, [&](int root_fd, const Ctr& c) -> Status {
    ContainerRecord rec;
    ContainerConfig cfg;
    {
      MutexLock l(&mu_);
      rec = c.rec;
      cfg = c.stored.config;
    }
    if (rec.running() && rec.pid > 0) {
      // The container's own view: its root with every mount on it.
      std::string proc_root = "/proc/" + std::to_string(rec.pid) + "/root";
      UniqueFd root(::open(proc_root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (root.valid()) return fn(root.get(), path, c, false);
      // It ended meanwhile: its root filesystem is still mounted here.
    }
    // Stopped: the bind or volume mount the path is under (the longest
    // target that is a prefix of it, as mounts stack), else the rootfs.
    const std::string abs = AbsolutePath(path);
    const MountRequest* under = nullptr;
    for (const MountRequest& m : cfg.mounts) {
      if (m.type == MountRequest::Type::kTmpfs) continue;  // nothing in it while stopped
      const std::string& t = m.target;
      bool inside = t == "/" || abs == t || abs.starts_with(t + "/");
      if (inside && (under == nullptr || t.size() > under->target.size())) under = &m;
    }
    const std::string source =
        under == nullptr ? "" : (under->type == MountRequest::Type::kBind ? under->source : under->host_path);
    if (source.empty()) return fn(root_fd, path, c, false);
    UniqueFd src(::open(source.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!src.valid()) return ErrnoStatus("open the source of mount " + under->target + " of container " + ref, errno);
    if (!under->subpath.empty()) {
      // The part of the volume the container sees, reached as its start
      // reaches it (beneath the volume, no symlink followed).
      UniqueFd sub(internal::OpenBeneathNoSymlinks(src.get(), under->subpath));
      struct stat st;
      if (!sub.valid() || ::fstat(sub.get(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        return FailedPrecondition("berth copies into and out of a stopped container's volume subpath " +
                                  under->subpath + " only when it is a directory reached without a symlink");
      }
      src = std::move(sub);
    }
    std::string rest = under->target == "/" ? abs : abs.substr(under->target.size());
    if (rest.empty() || rest[0] != '/') rest.insert(0, "/");
    return fn(src.get(), rest, c, under->read_only);
  });
}

Result<ContainerPathStat> ContainerServiceImpl::StatPath(const std::string& ref, const std::string& path) {
  ContainerPathStat out;
  BERTH_RETURN_IF_ERROR(
      WithPathRoot(ref, "", path, [&](int root_fd, const std::string& at, const Ctr&, bool) -> Status {
        BERTH_ASSIGN_OR_RETURN(Located l, Locate(root_fd, at, ref, path));
        out.name = BaseName(l.abs);
        out.size = l.st.st_size;
        out.mode = l.st.st_mode;
        out.mtime_unix_nanos = int64_t{l.st.st_mtim.tv_sec} * 1'000'000'000 + l.st.st_mtim.tv_nsec;
        if (S_ISLNK(l.st.st_mode)) out.link_target = LinkTarget(root_fd, l);
        return OkStatus();
      }));
  return out;
}

Status ContainerServiceImpl::ArchivePath(const std::string& ref, const std::string& path, const WriteFn& write) {
  return WithPathRoot(ref, "archive-path", path, [&](int root_fd, const std::string& at, const Ctr&, bool) -> Status {
    BERTH_ASSIGN_OR_RETURN(Located l, Locate(root_fd, at, ref, path));
    // The entry is named after the path asked for (a link followed by a
    // trailing "/" keeps the link's name); the root and "/." as ".".
    std::string name = BaseName(l.abs);
    if (name == "/") name = ".";
    return WriteTreeTar(l.dir.get(), l.base.empty() ? "." : l.base, name, l.abs, write);
  });
}

Status ContainerServiceImpl::ExtractToPath(const std::string& ref, const std::string& path, const ReadFn& tar,
                                           const ArchiveExtractOptions& opts) {
  return WithPathRoot(ref, "extract-to-dir", path,
                      [&](int root_fd, const std::string& at, const Ctr& c, bool read_only_mount) -> Status {
                        if (read_only_mount) return PermissionDenied("mounted volume is marked read-only");
                        std::string abs = AbsolutePath(at);
                        UniqueFd dest(internal::OpenInRoot(root_fd, abs, O_PATH));
                        if (!dest.valid()) {
                          if (errno == ENOENT || errno == ENOTDIR) return NotFoundIn(path, ref);
                          return ErrnoStatus("resolve " + abs + " in container " + ref, errno);
                        }
                        struct stat st;
                        if (::fstat(dest.get(), &st) != 0)
                          return ErrnoStatus("stat " + abs + " in container " + ref, errno);
                        if (!S_ISDIR(st.st_mode)) return InvalidArgument("extraction point is not a directory");
                        ContainerConfig cfg;
                        {
                          MutexLock l(&mu_);
                          cfg = c.stored.config;
                        }
                        if (cfg.read_only_rootfs) return PermissionDenied("container rootfs is marked read-only");
                        TreeExtractOptions o;
                        o.what = "invalid archive for " + abs;
                        o.max_bytes = kMaxExtractBytes;
                        o.resolve_in_root = true;
                        o.any_symlink_target = true;
                        o.keep_modes_and_times = true;
                        o.no_overwrite_dir_non_dir = opts.no_overwrite_dir_non_dir;
                        if (opts.copy_uid_gid) {
                          // The container's user, as its processes run.
                          BERTH_ASSIGN_OR_RETURN(ImageProcess proc, ImageProcessOf(c.rec.image_manifest));
                          ProcessSpec p;
                          BERTH_RETURN_IF_ERROR(ResolveUser(Dir(c.rec.id) + "/rootfs", Merge(cfg, proc).user, &p));
                          o.fixed_owner = true;
                          o.uid = p.uid;
                          o.gid = p.gid;
                        } else {
                          o.keep_owners = true;
                        }
                        return ExtractTarInto(tar, root_fd, abs, o);
                      });
}

Status ContainerServiceImpl::Export(const std::string& ref, const WriteFn& write) {
  return WithRootfs(ref, "export", [&](int root_fd, const Ctr&) { return WriteTreeTar(root_fd, ".", "", "/", write); });
}

}  // namespace container
}  // namespace berth
