// Docker's Linux rules for -v, --mount and --tmpfs (see berth/volume_service.h).

#include <set>
#include <sstream>

#include "berth/slash_path.h"
#include "berth/volume_service.h"

namespace berth {

namespace {

const std::set<std::string_view> kPropagations = {"private", "rprivate", "shared", "rshared", "slave", "rslave"};

std::vector<std::string> SplitOn(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    out.emplace_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return out;
}

// Docker's linuxValidMountMode: each kind of option at most once.
bool ValidMode(std::string_view mode) {
  if (mode.empty()) return true;
  int rw = 0, label = 0, propagation = 0, copy = 0, consistency = 0;
  for (const std::string& o : SplitOn(mode, ',')) {
    if (o == "rw" || o == "ro") {
      ++rw;
    } else if (o == "z" || o == "Z") {
      ++label;
    } else if (kPropagations.contains(o)) {
      ++propagation;
    } else if (o == "nocopy") {
      ++copy;
    } else if (o == "consistent" || o == "cached" || o == "delegated") {
      ++consistency;
    } else {
      return false;
    }
  }
  return rw <= 1 && label <= 1 && propagation <= 1 && copy <= 1 && consistency <= 1;
}

bool HasOption(std::string_view mode, std::string_view option) {
  for (const std::string& o : SplitOn(mode, ',')) {
    if (o == option) return true;
  }
  return false;
}

std::string_view TypeName(MountRequest::Type t) {
  switch (t) {
    case MountRequest::Type::kBind: return "bind";
    case MountRequest::Type::kVolume: return "volume";
    case MountRequest::Type::kTmpfs: return "tmpfs";
  }
  return "";
}

Status MountConfigError(MountRequest::Type t, std::string_view what) {
  return InvalidArgument("invalid mount config for type \"" + std::string(TypeName(t)) + "\": " + std::string(what));
}

// Target not "/" and absolute (Docker's linuxValidateNotRoot and
// linuxValidateAbsolute), as the error text without the prefix.
std::string TargetProblem(const std::string& target) {
  if (CleanSlashPath(target) == "/") return "invalid specification: destination can't be '/'";
  if (target.empty() || target[0] != '/') return "invalid mount path: '" + target + "' mount path must be absolute";
  return "";
}

Status ValidateTmpfsOption(const std::string& o) {
  static const std::set<std::string_view> kFlags = {"rw",   "ro",    "exec",    "noexec",     "suid",     "nosuid",
                                                    "dev",  "nodev", "atime",   "noatime",    "relatime", "strictatime",
                                                    "sync", "async", "dirsync", "nodiratime", "diratime"};
  static const std::set<std::string_view> kData = {"size", "mode", "uid", "gid", "nr_inodes", "nr_blocks"};
  size_t eq = o.find('=');
  if (eq == std::string::npos) {
    if (kFlags.contains(o)) return OkStatus();
  } else if (kData.contains(std::string_view(o).substr(0, eq)) && eq + 1 < o.size()) {
    return OkStatus();
  }
  return InvalidArgument("berth does not support the tmpfs option \"" + o + "\"");
}

}  // namespace

Status ValidateMount(MountRequest* m, Env* env, bool bind_source_must_exist) {
  if (m->target.empty()) return MountConfigError(m->type, "field Target must not be empty");
  if (std::string problem = TargetProblem(m->target); !problem.empty()) return MountConfigError(m->type, problem);
  switch (m->type) {
    case MountRequest::Type::kBind:
      if (m->source.empty()) return MountConfigError(m->type, "field Source must not be empty");
      if (!m->propagation.empty() && !kPropagations.contains(m->propagation)) {
        return MountConfigError(m->type, "invalid propagation mode: " + m->propagation);
      }
      if (m->source[0] != '/') {
        return MountConfigError(m->type, "invalid mount path: '" + m->source + "' mount path must be absolute");
      }
      if (bind_source_must_exist && !env->FileExists(m->source)) {
        return MountConfigError(m->type, "bind source path does not exist: " + m->source);
      }
      m->source = CleanSlashPath(m->source);
      if (m->propagation.empty()) m->propagation = "rprivate";
      break;
    case MountRequest::Type::kVolume:
      if (m->read_only && m->source.empty()) {
        return MountConfigError(m->type, "must not set ReadOnly mode when using anonymous volumes");
      }
      if (!m->subpath.empty()) {
        if (m->source.empty()) return MountConfigError(m->type, "must not set Subpath when using anonymous volumes");
        if (!IsLocalSlashPath(m->subpath)) {
          return MountConfigError(m->type, "subpath must be a relative path within the volume");
        }
      }
      break;
    case MountRequest::Type::kTmpfs:
      if (!m->source.empty()) return MountConfigError(m->type, "field Source must not be specified");
      for (const std::string& o : m->tmpfs_options) BERTH_RETURN_IF_ERROR(ValidateTmpfsOption(o));
      break;
  }
  m->target = CleanSlashPath(m->target);
  return OkStatus();
}

Result<VolumesFromSpec> ParseVolumesFrom(std::string_view spec) {
  if (spec.empty()) return InvalidArgument("volumes-from specification cannot be an empty string");
  VolumesFromSpec out;
  size_t colon = spec.find(':');
  out.container = std::string(spec.substr(0, colon));
  out.mode = colon == std::string_view::npos ? "" : std::string(spec.substr(colon + 1));
  if (out.mode.empty()) {
    out.mode = "rw";
    return out;
  }
  bool propagation = false;
  for (const std::string& o : SplitOn(out.mode, ',')) propagation = propagation || kPropagations.contains(o);
  // Propagation is the source container's; nocopy has nothing to copy.
  if (!ValidMode(out.mode) || propagation || HasOption(out.mode, "nocopy")) {
    return InvalidArgument("invalid mode: " + out.mode);
  }
  out.read_only = HasOption(out.mode, "ro");
  return out;
}

Result<MountRequest> ParseBindSpec(std::string_view raw) {
  auto invalid_spec = [&] { return InvalidArgument("invalid volume specification: '" + std::string(raw) + "'"); };
  if (raw.empty()) return invalid_spec();
  std::vector<std::string> parts = SplitOn(raw, ':');
  MountRequest m;
  m.origin = MountRequest::Origin::kBinds;
  switch (parts.size()) {
    case 1: m.target = parts[0]; break;
    case 2:
      // "/foo:rw" would be a destination with a mode: volumes take no mode.
      if (ValidMode(parts[1])) return invalid_spec();
      m.source = parts[0];
      m.target = parts[1];
      break;
    case 3:
      m.source = parts[0];
      m.target = parts[1];
      m.mode = parts[2];
      break;
    default: return invalid_spec();
  }
  if (!ValidMode(m.mode)) return InvalidArgument("invalid mode: " + m.mode);
  m.type = !m.source.empty() && m.source[0] == '/' ? MountRequest::Type::kBind : MountRequest::Type::kVolume;
  m.read_only = HasOption(m.mode, "ro");
  m.no_copy = HasOption(m.mode, "nocopy");
  for (std::string_view p : kPropagations) {
    if (HasOption(m.mode, p)) m.propagation = std::string(p);
  }
  Status s = ValidateMount(&m, nullptr, false);
  if (!s.ok()) return InvalidArgument(invalid_spec().message() + ": " + s.message());
  return m;
}

Result<MountRequest> ParseTmpfsEntry(std::string_view path, std::string_view options) {
  MountRequest m;
  m.type = MountRequest::Type::kTmpfs;
  m.origin = MountRequest::Origin::kTmpfs;
  m.target = std::string(path);
  if (!options.empty()) m.tmpfs_options = SplitOn(options, ',');
  BERTH_RETURN_IF_ERROR(ValidateMount(&m, nullptr, false));
  return m;
}

std::vector<std::string> TmpfsMountOptions(int64_t size_bytes, uint32_t mode, bool read_only) {
  std::vector<std::string> out;
  if (read_only) out.push_back("ro");
  if (mode != 0) {
    std::ostringstream o;
    o << std::oct << mode;
    out.push_back("mode=" + o.str());
  }
  if (size_bytes != 0) {
    // Docker's suffix: the largest unit that divides the size.
    std::string suffix;
    for (const char* unit : {"k", "m", "g"}) {
      if (size_bytes % 1024 != 0) break;
      size_bytes /= 1024;
      suffix = unit;
    }
    out.push_back("size=" + std::to_string(size_bytes) + suffix);
  }
  return out;
}

}  // namespace berth
