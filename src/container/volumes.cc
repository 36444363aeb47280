// A container's binds, volumes and tmpfs mounts: named and anonymous volumes
// at create (with the image's content copied in), the runtime's mounts at
// start.

#include <fcntl.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "base/read_in_root.h"
#include "berth/log.h"
#include "container/internal.h"

namespace berth::container {

namespace json = boost::json;

namespace {

// The paths of the image config's config.Volumes, sorted.
std::vector<std::string> ImageVolumes(std::string_view config_raw) {
  std::vector<std::string> out;
  boost::system::error_code ec;
  json::value v = json::parse(config_raw, ec);
  if (ec || !v.is_object()) return out;
  const json::value* cfg = v.as_object().if_contains("config");
  if (cfg == nullptr || !cfg->is_object()) return out;
  const json::value* vols = cfg->as_object().if_contains("Volumes");
  if (vols == nullptr || !vols->is_object()) return out;
  for (const auto& [path, unused] : vols->as_object()) out.emplace_back(path);
  return out;
}

size_t Depth(const std::string& path) { return static_cast<size_t>(std::count(path.begin(), path.end(), '/')); }

// Go's text of an errno (syscall.Errno.Error: the C library's, lower case).
std::string GoErrnoText(int err) {
  std::string text = std::strerror(err);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

// Mounts `subpath` of the volume at `volume_path` on `mount_point` (created
// as a directory or an empty file, like what it names). The subpath is opened
// beneath the volume without following any symlink, and the bind is made from
// that descriptor (/proc/self/fd/N), so the container gets exactly what was
// checked: a subpath that a container turned into a symlink (to the host's /,
// say) is refused, never followed, even if it is swapped after the check.
// Docker's texts: "cannot access path P: <errno text>", "path concatenation
// escapes the base directory, base: B, subpath: S".
Status MountVolumeSubpath(Env* env, const std::string& volume_path, const std::string& subpath,
                          const std::string& mount_point) {
  const std::string joined = volume_path + "/" + subpath;
  UniqueFd base(::open(volume_path.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!base.valid()) return NotFound("cannot access path " + volume_path + ": " + GoErrnoText(errno));
  UniqueFd target(internal::OpenBeneathNoSymlinks(base.get(), subpath));
  if (!target.valid()) {
    if (errno == EXDEV) {
      return InvalidArgument("path concatenation escapes the base directory, base: " + volume_path +
                             ", subpath: " + subpath);
    }
    return NotFound("cannot access path " + joined + ": " + GoErrnoText(errno));
  }
  struct stat st;
  if (::fstat(target.get(), &st) != 0) return ErrnoStatus("stat " + joined, errno);
  // A mount point left by an earlier start (already unmounted) may be of the
  // other kind.
  LogIfError(DetachMount(mount_point), "unmount " + mount_point);
  LogIfError(env->RemoveAll(mount_point), "remove " + mount_point);
  if (S_ISDIR(st.st_mode)) {
    BERTH_RETURN_IF_ERROR(env->CreateDirs(mount_point, 0755));
  } else {
    BERTH_RETURN_IF_ERROR(env->CreateDirs(std::filesystem::path(mount_point).parent_path().string(), 0755));
    BERTH_RETURN_IF_ERROR(WriteFileAtomic(env, mount_point, ""));
  }
  Status s = BindMount("/proc/self/fd/" + std::to_string(target.get()), mount_point);
  if (!s.ok()) return Status(s.code(), "mount subpath " + subpath + " of " + volume_path + ": " + s.message());
  return OkStatus();
}

}  // namespace

bool EmptyDirectory(const std::string& dir) {
  std::error_code ec;
  return std::filesystem::is_empty(dir, ec) && !ec;
}

Result<std::vector<MountRequest>> ContainerServiceImpl::VolumesFromMounts(const std::vector<std::string>& specs) {
  // Docker's registerMountPoints: each container's mount points, a later
  // one replacing an earlier one at the same destination.
  std::map<std::string, MountRequest> by_target;
  for (const std::string& spec : specs) {
    BERTH_ASSIGN_OR_RETURN(VolumesFromSpec from, ParseVolumesFrom(spec));
    MutexLock l(&mu_);
    Result<std::string> id = ResolveLocked(from.container);
    if (!id.ok()) return InvalidArgument(id.status().message());  // 400, as dockerd
    for (const MountRequest& m : ctrs_.at(*id)->stored.config.mounts) {
      if (m.type == MountRequest::Type::kTmpfs) continue;
      MountRequest copy = m;
      copy.origin = MountRequest::Origin::kVolumesFrom;
      copy.read_only = m.read_only || from.read_only;
      copy.mode.clear();       // as dockerd, the copy has no mode of its own
      copy.anonymous = false;  // not the copier's to remove with docker rm -v
      by_target[copy.target] = std::move(copy);
    }
  }
  std::vector<MountRequest> out;
  for (auto& [target, m] : by_target) out.push_back(std::move(m));
  return out;
}

Status ContainerServiceImpl::PrepareMounts(const std::string& id, const Digest& image_id,
                                           std::string_view image_config_raw, ContainerConfig* cfg) {
  // Binds, Mounts and Tmpfs must not share a target; the mounts of
  // VolumesFrom's containers are taken where none of them mounts, and an
  // anonymous volume of Config.Volumes or of the image's VOLUMEs only where
  // none of these (and no earlier one) mounts.
  BERTH_ASSIGN_OR_RETURN(std::vector<MountRequest> from_others, VolumesFromMounts(cfg->volumes_from));
  std::set<std::string> targets;
  std::vector<MountRequest> explicit_mounts, anonymous;
  for (auto& m : cfg->mounts) {
    if (m.origin == MountRequest::Origin::kImage) {
      anonymous.push_back(std::move(m));
      continue;
    }
    if (!targets.insert(m.target).second) return InvalidArgument("Duplicate mount point: " + m.target);
    explicit_mounts.push_back(std::move(m));
  }
  for (auto& m : from_others) {
    if (targets.insert(m.target).second) explicit_mounts.push_back(std::move(m));
  }
  for (const std::string& path : ImageVolumes(image_config_raw)) {
    MountRequest m;
    m.type = MountRequest::Type::kVolume;
    m.origin = MountRequest::Origin::kImage;
    m.target = path;
    if (ValidateMount(&m, store_->env(), false).ok()) anonymous.push_back(std::move(m));
  }
  cfg->mounts = std::move(explicit_mounts);
  for (auto& m : anonymous) {
    if (targets.insert(m.target).second) cfg->mounts.push_back(std::move(m));
  }
  auto undo = [&](Status s) {
    LogIfError(volumes_->Release(id, true), "release the volumes of container " + id);
    return s;
  };
  for (auto& m : cfg->mounts) {
    if (m.type == MountRequest::Type::kBind && m.origin == MountRequest::Origin::kBinds &&
        !store_->env()->FileExists(m.source)) {
      // As Docker: a missing -v source is created as a directory.
      Status s = store_->env()->CreateDirs(m.source, 0755);
      if (!s.ok()) return undo(s);
    }
    if (m.type != MountRequest::Type::kVolume) continue;
    if (m.origin == MountRequest::Origin::kVolumesFrom) {
      // Another container's volume: used by this one too.
      Result<VolumeInfo> v = volumes_->Get(m.source);
      Status s = v.ok() ? volumes_->AddReference(m.source, id) : v.status();
      if (!s.ok()) return undo(s);
      m.host_path = v->mountpoint;
      continue;
    }
    VolumeCreateOptions vo;
    vo.name = m.source;
    vo.anonymous = m.source.empty();
    vo.labels = m.volume_labels;
    vo.driver_opts = m.volume_options;
    Result<VolumeInfo> v = volumes_->Create(vo);
    if (!v.ok()) return undo(v.status());
    m.anonymous = vo.anonymous;
    m.source = v->name;
    m.host_path = v->mountpoint;
    Status s = volumes_->AddReference(v->name, id);
    if (!s.ok()) return undo(s);
    // Docker's copy-up: an empty volume takes what the image has there.
    if (m.no_copy || !v->options.empty() || !EmptyDirectory(v->mountpoint)) continue;
    Result<ImagePathInfo> at = StatInImage(image_id, m.target);
    if (!at.ok()) return undo(at.status());
    if (at->kind != ImagePathKind::kDirectory) continue;
    s = store_->env()->RemoveAll(v->mountpoint);
    if (s.ok()) s = ExtractImagePath(image_id, m.target, v->mountpoint);
    if (!s.ok()) {
      LogIfError(store_->env()->CreateDirs(v->mountpoint, 0755), "recreate " + v->mountpoint);
      return undo(Status(s.code(), "copy the image's " + m.target + " into volume " + v->name + ": " + s.message()));
    }
  }
  return OkStatus();
}

Status ContainerServiceImpl::AddMountsToSpec(const std::string& id, const ContainerConfig& cfg, ProcessSpec* p) {
  for (size_t i = 0; i < cfg.mounts.size(); ++i) {
    const MountRequest& m = cfg.mounts[i];
    ProcessSpec::BindMount b;
    b.destination = m.target;
    b.read_only = m.read_only;
    switch (m.type) {
      case MountRequest::Type::kBind:
        b.source = m.source;
        b.propagation = m.propagation;
        break;
      case MountRequest::Type::kVolume: {
        BERTH_ASSIGN_OR_RETURN(b.source, volumes_->Mount(m.source, id, m.target, !m.read_only));
        if (!m.subpath.empty()) {
          const std::string mount_point = Dir(id) + "/subpaths/" + std::to_string(i);
          BERTH_RETURN_IF_ERROR(MountVolumeSubpath(store_->env(), b.source, m.subpath, mount_point));
          b.source = mount_point;
        }
        break;
      }
      case MountRequest::Type::kTmpfs:
        b.tmpfs = true;
        b.tmpfs_options = m.tmpfs_options;
        break;
    }
    p->bind_mounts.push_back(std::move(b));
  }
  // Parents before what is mounted inside them, as Docker orders them.
  std::stable_sort(p->bind_mounts.begin(), p->bind_mounts.end(),
                   [](const auto& a, const auto& b) { return Depth(a.destination) < Depth(b.destination); });
  return OkStatus();
}

Status ContainerServiceImpl::RemoveWithVolumes(const std::string& ref, bool force) {
  std::string id;
  {
    MutexLock l(&mu_);
    BERTH_ASSIGN_OR_RETURN(id, ResolveLocked(ref));
  }
  return RemoveInternal(id, force, false, true);
}

}  // namespace berth::container

namespace berth {

Status ContainerService::RemoveWithVolumes(const std::string&, bool) {
  return Unimplemented("removing a container's volumes is not supported by this container service");
}

}  // namespace berth
