// The container service's part of `POST /build`: the image of one builder
// step (CommitBuildStep) and what a path is in an image (StatInImage,
// for COPY destinations and WORKDIR).
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <boost/json.hpp>
#include <filesystem>

#include "berth/slash_path.h"
#include "berth/time.h"
#include "container/internal.h"

namespace berth {

Result<Digest> ContainerService::CommitBuildStep(const BuildStepCommit&) {
  return Unimplemented("build steps are not supported by this container service");
}

Result<ImagePathInfo> ContainerService::StatInImage(const Digest&, const std::string&) {
  return Unimplemented("image paths are not supported by this container service");
}

Status ContainerService::ExtractImagePath(const Digest&, const std::string&, const std::string&) {
  return Unimplemented("image paths are not supported by this container service");
}

Result<std::string> ContainerService::ImageConfigJson(const Digest&) {
  return Unimplemented("image configs are not supported by this container service");
}

}  // namespace berth

namespace berth::container {

namespace json = boost::json;

Result<std::string> ContainerServiceImpl::ImageConfigJson(const Digest& image_id) {
  BERTH_ASSIGN_OR_RETURN(Digest manifest, HostManifestOf(image_id));
  BERTH_ASSIGN_OR_RETURN(auto mc, LoadImage(manifest));
  return mc.second.raw;
}

namespace {

bool IsWhiteout(const struct stat& st) {
  return S_ISCHR(st.st_mode) && major(st.st_rdev) == 0 && minor(st.st_rdev) == 0;
}

bool IsOpaque(const std::string& dir) {
  char v[2];
  return getxattr(dir.c_str(), "trusted.overlay.opaque", v, sizeof v) == 1 && v[0] == 'y';
}

// Whether a directory has no entries (a missing one counts as empty).
bool EmptyDir(Env* env, const std::string& dir) {
  auto entries = env->ListDir(dir);
  return !entries.ok() || entries->empty();
}

// What `components` name inside one unpacked layer directory: nullopt when
// the layer says nothing (absent), kAbsent for a whiteout (of the path or a
// parent) or a non-directory parent, with `opaque` set when a directory on
// the way hides the layers below.
std::optional<ImagePathKind> KindInLayer(const std::string& layer, const std::vector<std::string>& components,
                                         bool* opaque_stop, struct stat* found = nullptr) {
  std::string path = layer;
  for (size_t i = 0; i < components.size(); ++i) {
    path += "/" + components[i];
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) return std::nullopt;
    if (IsWhiteout(st)) return ImagePathKind::kAbsent;
    bool last = i + 1 == components.size();
    if (last && found != nullptr) *found = st;
    if (last) return S_ISDIR(st.st_mode) ? ImagePathKind::kDirectory : ImagePathKind::kOther;
    if (!S_ISDIR(st.st_mode)) return S_ISLNK(st.st_mode) ? ImagePathKind::kOther : ImagePathKind::kAbsent;
    if (IsOpaque(path)) *opaque_stop = true;
  }
  return ImagePathKind::kDirectory;
}

// The components of an absolute path; ".." is refused.
Result<std::vector<std::string>> PathComponents(const std::string& path) {
  auto components = ComponentsWithin(path);
  if (!components) return InvalidArgument("path " + path + " leaves the image's root");
  return std::move(*components);
}

Status Errno(const std::string& what, const std::string& path) {
  return Internal(what + " " + path + ": " + std::strerror(errno));
}

// Applies the tree at `from` (one layer's part) over `to`: whiteouts remove,
// an opaque directory replaces, the rest is copied with owner and mode.
Status ApplyTree(const std::string& from, const std::string& to) {
  struct stat st;
  if (lstat(from.c_str(), &st) != 0) return Errno("lstat", from);
  struct stat existing;
  bool exists = lstat(to.c_str(), &existing) == 0;
  if (IsWhiteout(st)) {
    if (exists) {
      std::error_code ec;
      std::filesystem::remove_all(to, ec);
    }
    return OkStatus();
  }
  if (S_ISDIR(st.st_mode)) {
    if (exists && (!S_ISDIR(existing.st_mode) || IsOpaque(from))) {
      std::error_code ec;
      std::filesystem::remove_all(to, ec);
      exists = false;
    }
    if (!exists && mkdir(to.c_str(), 0700) != 0) return Errno("mkdir", to);
    DIR* d = opendir(from.c_str());
    if (d == nullptr) return Errno("opendir", from);
    std::vector<std::string> names;
    while (struct dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(std::move(n));
    }
    closedir(d);
    for (const auto& n : names) BERTH_RETURN_IF_ERROR(ApplyTree(from + "/" + n, to + "/" + n));
    if (lchown(to.c_str(), st.st_uid, st.st_gid) != 0) return Errno("chown", to);
    if (chmod(to.c_str(), st.st_mode & 07777) != 0) return Errno("chmod", to);
    return OkStatus();
  }
  if (exists) {
    std::error_code ec;
    std::filesystem::remove_all(to, ec);
  }
  if (S_ISLNK(st.st_mode)) {
    std::vector<char> target(static_cast<size_t>(st.st_size) + 1);
    ssize_t n = readlink(from.c_str(), target.data(), target.size());
    if (n < 0) return Errno("readlink", from);
    if (symlink(std::string(target.data(), static_cast<size_t>(n)).c_str(), to.c_str()) != 0) {
      return Errno("symlink", to);
    }
  } else if (S_ISREG(st.st_mode)) {
    std::error_code ec;
    if (!std::filesystem::copy_file(from, to, ec)) return Internal("copy " + from + ": " + ec.message());
    if (chmod(to.c_str(), st.st_mode & 07777) != 0) return Errno("chmod", to);
  } else {
    return OkStatus();  // devices, FIFOs, sockets are not copied
  }
  if (lchown(to.c_str(), st.st_uid, st.st_gid) != 0) return Errno("chown", to);
  return OkStatus();
}

}  // namespace

Status ContainerServiceImpl::ExtractImagePath(const Digest& image_id, const std::string& path,
                                              const std::string& dest) {
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> components, PathComponents(path));
  BERTH_ASSIGN_OR_RETURN(ImagePathInfo info, StatInImage(image_id, path));
  const ImagePathKind kind = info.kind;
  if (kind == ImagePathKind::kAbsent) return NotFound(path + ": no such file or directory in the image");
  BERTH_ASSIGN_OR_RETURN(Digest manifest, HostManifestOf(image_id));
  BERTH_ASSIGN_OR_RETURN(PreparedLayers layers, PrepareImage(manifest));
  std::string rel;
  for (const auto& c : components) rel += "/" + c;
  // The layers that matter: from the topmost one that hides everything below
  // (a whiteout or opaque directory on the way, or a non-directory at the
  // path) up to the top.
  size_t first = 0;
  for (size_t i = layers.dirs.size(); i-- > 0;) {
    bool opaque_stop = false;
    std::optional<ImagePathKind> k = KindInLayer(layers.dirs[i], components, &opaque_stop);
    if (k && (*k != ImagePathKind::kDirectory || kind != ImagePathKind::kDirectory || IsOpaque(layers.dirs[i] + rel))) {
      first = i;
      break;
    }
    if (opaque_stop) {
      first = i;
      break;
    }
  }
  for (size_t i = first; i < layers.dirs.size(); ++i) {
    struct stat st;
    std::string from = layers.dirs[i] + rel;
    if (lstat(from.c_str(), &st) != 0) continue;  // this layer does not have it
    BERTH_RETURN_IF_ERROR(ApplyTree(from, dest));
  }
  return OkStatus();
}

Result<ImagePathInfo> ContainerServiceImpl::StatInImage(const Digest& image_id, const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> components, PathComponents(path));
  ImagePathInfo info;
  if (components.empty()) {
    info.kind = ImagePathKind::kDirectory;
    info.mode = S_IFDIR | 0755;
    return info;
  }
  if (image_id.empty()) return info;
  BERTH_ASSIGN_OR_RETURN(Digest manifest, HostManifestOf(image_id));
  BERTH_ASSIGN_OR_RETURN(PreparedLayers layers, PrepareImage(manifest));
  return PathInLayers(layers.dirs, components);
}

ImagePathInfo PathInLayers(const std::vector<std::string>& dirs, const std::vector<std::string>& components) {
  ImagePathInfo info;
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
    bool opaque_stop = false;
    struct stat st {};
    std::optional<ImagePathKind> kind = KindInLayer(*it, components, &opaque_stop, &st);
    if (kind) {
      info.kind = *kind;
      if (*kind != ImagePathKind::kAbsent) {
        info.mode = st.st_mode;
        info.uid = st.st_uid;
        info.gid = st.st_gid;
      }
      return info;
    }
    if (opaque_stop) return info;
  }
  return info;
}

Result<Digest> ContainerServiceImpl::CommitBuildStep(const BuildStepCommit& step) {
  json::object root;
  std::vector<Descriptor> layers;
  if (!step.parent.empty()) {
    BERTH_ASSIGN_OR_RETURN(Digest parent_manifest, HostManifestOf(step.parent));
    BERTH_ASSIGN_OR_RETURN(auto mc, LoadImage(parent_manifest));
    layers = mc.first.layers;
    try {
      json::value v = json::parse(mc.second.raw);
      if (v.is_object()) root = v.as_object();
    } catch (const std::exception& ex) {
      return InvalidArgument(std::string("invalid image config: malformed JSON: ") + ex.what());
    }
  } else {
    json::value plat = json::parse(PlatformToJson(step.platform));
    for (auto& [k, v] : plat.as_object()) root[k] = v;
    root["rootfs"] = json::object{{"type", "layers"}, {"diff_ids", json::array{}}};
  }
  std::string layer_dir = step.layer_dir;
  if (!step.container.empty()) {
    BERTH_ASSIGN_OR_RETURN(auto c, Find(step.container));
    MutexLock l(&mu_);
    if (c->rec.state == ContainerState::kRunning) {
      return FailedPrecondition("container " + c->rec.id + " is still running");
    }
    layer_dir = Dir(c->rec.id) + "/upper";
  }
  if (!step.container.empty() && !step.layer_dir.empty()) {
    BERTH_RETURN_IF_ERROR(store_->env()->CreateDirs(layer_dir, 0755));
    DIR* d = opendir(step.layer_dir.c_str());
    if (d == nullptr) return Errno("opendir", step.layer_dir);
    std::vector<std::string> names;
    while (struct dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(std::move(n));
    }
    closedir(d);
    for (const auto& n : names) BERTH_RETURN_IF_ERROR(ApplyTree(step.layer_dir + "/" + n, layer_dir + "/" + n));
  }
  auto lease = store_->images()->NewIngestLease();
  bool empty_layer = layer_dir.empty() || EmptyDir(store_->env(), layer_dir);
  json::array diff_ids;
  if (auto* r = root.if_contains("rootfs"); r && r->is_object()) {
    if (auto* d = r->as_object().if_contains("diff_ids"); d && d->is_array()) diff_ids = d->as_array();
  }
  if (!empty_layer) {
    BERTH_ASSIGN_OR_RETURN(auto writer, lease->NewWriter());
    BERTH_ASSIGN_OR_RETURN(LayerDiff diff,
                           DiffUpperDir(layer_dir, [&](std::string_view d) { return writer->Write(d); }));
    BERTH_ASSIGN_OR_RETURN(Digest blob, lease->Commit(*writer, diff.size, diff.diff_id));
    Descriptor nl;
    nl.media_type = std::string(media_type::kOciLayer);
    nl.digest = blob;
    nl.size = diff.size;
    layers.push_back(nl);
    diff_ids.emplace_back(diff.diff_id.str());
  }
  root["rootfs"] = json::object{{"type", "layers"}, {"diff_ids", std::move(diff_ids)}};
  try {
    root["config"] = json::parse(step.config_json);
    root["container_config"] = json::parse(step.container_config_json);
  } catch (const std::exception& ex) {
    return InvalidArgument(std::string("build step config: malformed JSON: ") + ex.what());
  }
  std::string now = FormatRfc3339Nanos(store_->env()->NowUnixNanos());
  json::array history;
  if (auto* x = root.if_contains("history"); x && x->is_array()) history = x->as_array();
  json::object entry{{"created", now}, {"created_by", step.created_by}};
  if (!step.author.empty()) entry["author"] = step.author;
  if (empty_layer) entry["empty_layer"] = true;
  history.push_back(std::move(entry));
  root["history"] = std::move(history);
  root["created"] = now;
  if (!step.author.empty()) {
    root["author"] = step.author;
  } else {
    root.erase("author");
  }
  root.erase("container");
  std::string config_bytes = json::serialize(root);
  BERTH_ASSIGN_OR_RETURN(Digest config_digest, lease->Put(config_bytes));
  json::array layer_values;
  for (const auto& l : layers) layer_values.push_back(json::parse(DescriptorToJson(l)));
  json::object man{{"schemaVersion", 2},
                   {"mediaType", std::string(media_type::kOciManifest)},
                   {"config", json::object{{"mediaType", std::string(media_type::kOciConfig)},
                                           {"digest", config_digest.str()},
                                           {"size", static_cast<int64_t>(config_bytes.size())}}},
                   {"layers", std::move(layer_values)}};
  std::string manifest_bytes = json::serialize(man);
  BERTH_ASSIGN_OR_RETURN(Digest manifest_digest, lease->Put(manifest_bytes));
  NewImage ni;
  ni.target.media_type = std::string(media_type::kOciManifest);
  ni.target.digest = manifest_digest;
  ni.target.size = static_cast<int64_t>(manifest_bytes.size());
  if (!step.parent.empty()) ni.labels[std::string(kParentLabel)] = step.parent.str();
  ni.labels[std::string(kBuildStepLabel)] = step.created_by;
  BERTH_RETURN_IF_ERROR(store_->images()->CreateImages({ni}, ReplaceRule::kTag, ""));
  return manifest_digest;
}

}  // namespace berth::container
