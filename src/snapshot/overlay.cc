// overlayfs mounts for container root filesystems.
//
// mount(2) takes the options as one page of data, so many layers overflow
// it; past that size the new mount API is used (fsopen + one "lowerdir+"
// fsconfig call per layer, Linux 6.8+), and an older kernel gets an error.

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <string>
#include <vector>

#include "berth/env.h"
#include "berth/snapshot.h"

namespace berth {

namespace {

// The largest option string mount(2) accepts (a page, NUL included).
constexpr size_t kMaxMountData = 4095;

// True if an overlay module parameter (a Y/N file) is on.
bool OverlayParamOn(const char* name) {
  std::ifstream in(std::string("/sys/module/overlay/parameters/") + name);
  std::string v;
  return (in >> v) && (v == "Y" || v == "y" || v == "on");
}

// Options that keep every upper-dir change self-contained (what
// DiffUpperDir needs): no metadata-only copy-ups, no directory redirects.
// Only set when the kernel enables the feature by default, so older
// kernels that lack the option still mount.
std::string ExtraOptions() {
  std::string o;
  if (OverlayParamOn("metacopy")) o += ",metacopy=off";
  if (OverlayParamOn("redirect_dir")) o += ",redirect_dir=off";
  return o;
}

Status CheckPath(const std::string& p) {
  if (p.empty() || p.find_first_of(":,\\") != std::string::npos) {
    return InvalidArgument("overlay: unsupported directory path \"" + p + "\"");
  }
  return OkStatus();
}

// The new mount API for lower directory lists longer than a page.
Status MountWithFsconfig(const std::vector<std::string>& top_first, const std::string& upper,
                         const std::string& work, const std::string& target) {
  int fs = static_cast<int>(::fsopen("overlay", FSOPEN_CLOEXEC));
  if (fs < 0) return ErrnoStatus("overlay: fsopen (too many layers for mount(2))", errno);
  auto set = [&](const char* key, const std::string& value) -> Status {
    if (::fsconfig(fs, FSCONFIG_SET_STRING, key, value.c_str(), 0) < 0) {
      return ErrnoStatus(std::string("overlay: fsconfig ") + key + "=" + value, errno);
    }
    return OkStatus();
  };
  Status s;
  for (const std::string& dir : top_first) {
    s = set("lowerdir+", dir);
    if (!s.ok()) break;
  }
  if (s.ok()) s = set("upperdir", upper);
  if (s.ok()) s = set("workdir", work);
  if (s.ok() && OverlayParamOn("metacopy")) s = set("metacopy", "off");
  if (s.ok() && OverlayParamOn("redirect_dir")) s = set("redirect_dir", "off");
  if (s.ok() && ::fsconfig(fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0) {
    s = ErrnoStatus("overlay: creating the filesystem", errno);
  }
  int mnt = -1;
  if (s.ok()) {
    mnt = static_cast<int>(::fsmount(fs, FSMOUNT_CLOEXEC, 0));
    if (mnt < 0) s = ErrnoStatus("overlay: fsmount", errno);
  }
  if (s.ok() && ::move_mount(mnt, "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) < 0) {
    s = ErrnoStatus("overlay: mounting on " + target, errno);
  }
  if (mnt >= 0) ::close(mnt);
  ::close(fs);
  return s;
}

}  // namespace

Status MountOverlay(const std::vector<std::string>& lower_dirs, const std::string& upper,
                    const std::string& work, const std::string& target) {
  Env* env = Env::Default();
  std::vector<std::string> top_first(lower_dirs.rbegin(), lower_dirs.rend());
  if (top_first.empty()) {
    // overlayfs needs a lower directory: an empty one beside the work dir.
    std::string empty = work + ".empty";
    BERTH_RETURN_IF_ERROR(env->CreateDirs(empty, 0755));
    top_first.push_back(empty);
  }
  for (const std::string& d : top_first) BERTH_RETURN_IF_ERROR(CheckPath(d));
  BERTH_RETURN_IF_ERROR(CheckPath(upper));
  BERTH_RETURN_IF_ERROR(CheckPath(work));
  BERTH_RETURN_IF_ERROR(env->CreateDirs(upper, 0755));
  BERTH_RETURN_IF_ERROR(env->CreateDirs(work, 0700));
  BERTH_RETURN_IF_ERROR(env->CreateDirs(target, 0755));

  std::string lower;
  for (const std::string& d : top_first) {
    if (!lower.empty()) lower += ':';
    lower += d;
  }
  std::string data = "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work + ExtraOptions();
  if (data.size() > kMaxMountData) return MountWithFsconfig(top_first, upper, work, target);
  if (::mount("overlay", target.c_str(), "overlay", 0, data.c_str()) < 0) {
    return ErrnoStatus("overlay: mounting on " + target, errno);
  }
  return OkStatus();
}

Status MountReadOnlyOverlay(const std::vector<std::string>& lower_dirs, const std::string& target) {
  if (lower_dirs.size() < 2) return InvalidArgument("overlay: a read-only overlay needs at least two layers");
  std::string lower;
  for (auto it = lower_dirs.rbegin(); it != lower_dirs.rend(); ++it) {  // top first
    BERTH_RETURN_IF_ERROR(CheckPath(*it));
    if (!lower.empty()) lower += ':';
    lower += *it;
  }
  const std::string data = "lowerdir=" + lower;
  if (data.size() > kMaxMountData) {
    return InvalidArgument("overlay: too many layers for a read-only mount on " + target);
  }
  BERTH_RETURN_IF_ERROR(Env::Default()->CreateDirs(target, 0755));
  if (::mount("overlay", target.c_str(), "overlay", MS_RDONLY, data.c_str()) < 0) {
    return ErrnoStatus("overlay: mounting read-only on " + target, errno);
  }
  return OkStatus();
}

Status MountTmpfs(const std::string& target, const std::string& options) {
  BERTH_RETURN_IF_ERROR(Env::Default()->CreateDirs(target, 0755));
  if (::mount("tmpfs", target.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
              options.empty() ? nullptr : options.c_str()) < 0) {
    return ErrnoStatus("tmpfs: mounting on " + target, errno);
  }
  return OkStatus();
}

Status MountTmpfsExactly(const std::string& target, unsigned long flags, const std::string& data) {
  if (::mount("tmpfs", target.c_str(), "tmpfs", flags, data.empty() ? nullptr : data.c_str()) != 0) {
    return ErrnoStatus("mount tmpfs at " + target, errno);
  }
  return OkStatus();
}

Status BindMount(const std::string& source, const std::string& target) {
  if (::mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    return ErrnoStatus("bind " + source + " at " + target, errno);
  }
  return OkStatus();
}

Status DetachMount(const std::string& target) {
  if (::umount2(target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0) return OkStatus();
  if (errno == EINVAL || errno == ENOENT) return OkStatus();
  return ErrnoStatus("unmount " + target, errno);
}

Status UnmountOverlay(const std::string& target) {
  if (::umount2(target.c_str(), UMOUNT_NOFOLLOW) == 0) return OkStatus();
  int err = errno;
  if (err == EINVAL || err == ENOENT) return OkStatus();  // not a mount point / gone
  if (err == EBUSY) {
    if (::umount2(target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0) return OkStatus();
    err = errno;
  }
  return ErrnoStatus("unmounting " + target, err);
}

}  // namespace berth
