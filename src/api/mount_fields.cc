// The mount fields of container create and inspect (see mount_fields.h).

#include "api/mount_fields.h"

#include "api/create_fields.h"

namespace berth::api {

namespace json = boost::json;

namespace {

using Type = MountRequest::Type;
using Origin = MountRequest::Origin;

// Reads the member `key` of `o` when present and not null: `kind` names
// the JSON type for the error.
template <typename Fn>
Status Member(const json::object& o, std::string_view key, std::string_view where, json::kind kind,
              std::string_view kind_name, Fn&& fn) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return OkStatus();
  bool ok = v->kind() == kind || (kind == json::kind::int64 && v->is_uint64());
  if (!ok) {
    return InvalidArgument("invalid JSON: " + std::string(where) + std::string(key) + " must be " +
                           std::string(kind_name));
  }
  return fn(*v);
}

Status StringMap(const json::value& v, std::string_view what, std::map<std::string, std::string>* out) {
  for (const auto& [k, e] : v.as_object()) {
    if (!e.is_string()) return InvalidArgument("invalid JSON: " + std::string(what) + " values must be strings");
    (*out)[std::string(k)] = std::string(e.as_string());
  }
  return OkStatus();
}

// One HostConfig.Mounts entry.
Status ParseMount(const json::object& mo, ContainerConfig* c) {
  std::string type, source, target;
  bool read_only = false;
  auto str = [](std::string* out) {
    return [out](const json::value& v) {
      *out = std::string(v.as_string());
      return OkStatus();
    };
  };
  BERTH_RETURN_IF_ERROR(Member(mo, "Type", "Mounts.", json::kind::string, "a string", str(&type)));
  BERTH_RETURN_IF_ERROR(Member(mo, "Source", "Mounts.", json::kind::string, "a string", str(&source)));
  BERTH_RETURN_IF_ERROR(Member(mo, "Target", "Mounts.", json::kind::string, "a string", str(&target)));
  if (type == "image") {
    ImageMountSpec spec;
    spec.source = source;
    spec.target = target;
    spec.read_only = true;
    if (const json::value* ro = mo.if_contains("ReadOnly"); ro && ro->is_bool()) spec.read_only = ro->as_bool();
    if (spec.source.empty())
      return InvalidArgument("invalid mount config for type \"image\": field Source must not be empty");
    if (spec.target.empty())
      return InvalidArgument("invalid mount config for type \"image\": field Target must not be empty");
    if (spec.target[0] != '/') {
      return InvalidArgument("invalid mount config for type \"image\": invalid mount path: '" + spec.target +
                             "' mount path must be absolute");
    }
    c->image_mounts.push_back(std::move(spec));
    return OkStatus();
  }
  MountRequest m;
  m.origin = Origin::kMounts;
  if (type == "bind") {
    m.type = Type::kBind;
  } else if (type == "volume") {
    m.type = Type::kVolume;
  } else if (type == "tmpfs") {
    m.type = Type::kTmpfs;
  } else if (type.empty()) {
    return InvalidArgument("invalid mount config for type \"\": mount type unknown");
  } else {
    return InvalidArgument("berth does not support mounts of type \"" + type + "\"");
  }
  m.source = source;
  m.target = target;
  BERTH_RETURN_IF_ERROR(Member(mo, "ReadOnly", "Mounts.", json::kind::bool_, "a boolean", [&](const json::value& v) {
    m.read_only = v.as_bool();
    return OkStatus();
  }));
  if (const json::value* cons = mo.if_contains("Consistency");
      cons && cons->is_string() && !cons->as_string().empty() && cons->as_string() != "default") {
    return InvalidArgument("berth does not support Mounts.Consistency");
  }
  BERTH_RETURN_IF_ERROR(RefuseUnsupportedFields(
      mo, {"Type", "Source", "Target", "ReadOnly", "Consistency", "BindOptions", "VolumeOptions", "TmpfsOptions"},
      "Mounts."));
  auto extra = [&](std::string_view field) {
    return InvalidArgument("invalid mount config for type \"" + type + "\": field " + std::string(field) +
                           " must not be specified");
  };
  const json::value* bo = mo.if_contains("BindOptions");
  const json::value* vo = mo.if_contains("VolumeOptions");
  const json::value* to = mo.if_contains("TmpfsOptions");
  bool has_bo = bo && !bo->is_null(), has_vo = vo && !vo->is_null(), has_to = to && !to->is_null();
  if (has_bo && m.type != Type::kBind) return extra("BindOptions");
  if (has_vo && m.type != Type::kVolume) return extra("VolumeOptions");
  if (has_to && m.type != Type::kTmpfs) return extra("TmpfsOptions");
  if (has_bo) {
    if (!bo->is_object()) return InvalidArgument("invalid JSON: Mounts.BindOptions must be an object");
    const json::object& o = bo->as_object();
    BERTH_RETURN_IF_ERROR(RefuseUnsupportedFields(o, {"Propagation"}, "Mounts.BindOptions."));
    BERTH_RETURN_IF_ERROR(
        Member(o, "Propagation", "Mounts.BindOptions.", json::kind::string, "a string", str(&m.propagation)));
  }
  if (has_vo) {
    if (!vo->is_object()) return InvalidArgument("invalid JSON: Mounts.VolumeOptions must be an object");
    const json::object& o = vo->as_object();
    BERTH_RETURN_IF_ERROR(
        RefuseUnsupportedFields(o, {"NoCopy", "Labels", "DriverConfig", "Subpath"}, "Mounts.VolumeOptions."));
    BERTH_RETURN_IF_ERROR(
        Member(o, "Subpath", "Mounts.VolumeOptions.", json::kind::string, "a string", str(&m.subpath)));
    BERTH_RETURN_IF_ERROR(
        Member(o, "NoCopy", "Mounts.VolumeOptions.", json::kind::bool_, "a boolean", [&](const json::value& v) {
          m.no_copy = v.as_bool();
          return OkStatus();
        }));
    BERTH_RETURN_IF_ERROR(
        Member(o, "Labels", "Mounts.VolumeOptions.", json::kind::object, "an object",
               [&](const json::value& v) { return StringMap(v, "volume labels", &m.volume_labels); }));
    BERTH_RETURN_IF_ERROR(
        Member(o, "DriverConfig", "Mounts.VolumeOptions.", json::kind::object, "an object", [&](const json::value& v) {
          const json::object& d = v.as_object();
          std::string name;
          BERTH_RETURN_IF_ERROR(Member(d, "Name", "DriverConfig.", json::kind::string, "a string", str(&name)));
          if (!name.empty() && name != "local") {
            return NotFound("error looking up volume plugin " + name + ": plugin \"" + name + "\" not found");
          }
          return Member(d, "Options", "DriverConfig.", json::kind::object, "an object",
                        [&](const json::value& ov) { return StringMap(ov, "volume options", &m.volume_options); });
        }));
  }
  if (has_to) {
    if (!to->is_object()) return InvalidArgument("invalid JSON: Mounts.TmpfsOptions must be an object");
    const json::object& o = to->as_object();
    BERTH_RETURN_IF_ERROR(RefuseUnsupportedFields(o, {"SizeBytes", "Mode"}, "Mounts.TmpfsOptions."));
    int64_t size = 0, mode = 0;
    auto num = [](int64_t* out) {
      return [out](const json::value& v) {
        *out = v.is_int64() ? v.as_int64() : static_cast<int64_t>(v.as_uint64());
        return OkStatus();
      };
    };
    BERTH_RETURN_IF_ERROR(Member(o, "SizeBytes", "Mounts.TmpfsOptions.", json::kind::int64, "a number", num(&size)));
    BERTH_RETURN_IF_ERROR(Member(o, "Mode", "Mounts.TmpfsOptions.", json::kind::int64, "a number", num(&mode)));
    if (size < 0)
      return InvalidArgument("invalid mount config for type \"tmpfs\": invalid tmpfs size " + std::to_string(size));
    m.tmpfs_options = TmpfsMountOptions(size, static_cast<uint32_t>(mode), m.read_only);
  } else if (m.type == Type::kTmpfs && m.read_only) {
    m.tmpfs_options = {"ro"};
  }
  BERTH_RETURN_IF_ERROR(ValidateMount(&m, Env::Default(), true));
  c->mounts.push_back(std::move(m));
  return OkStatus();
}

}  // namespace

Status ParseMountFields(const json::object& config, const json::object* host_config, ContainerConfig* c) {
  if (host_config != nullptr) {
    const json::object& ho = *host_config;
    BERTH_RETURN_IF_ERROR(
        Member(ho, "Binds", "HostConfig.", json::kind::array, "a list of strings", [&](const json::value& v) -> Status {
          for (const auto& e : v.as_array()) {
            if (!e.is_string()) {
              return InvalidArgument("invalid JSON: HostConfig.Binds must hold strings");
            }
            BERTH_ASSIGN_OR_RETURN(MountRequest m, ParseBindSpec(e.as_string()));
            c->binds.emplace_back(e.as_string());
            c->mounts.push_back(std::move(m));
          }
          return OkStatus();
        }));
    BERTH_RETURN_IF_ERROR(
        Member(ho, "Mounts", "HostConfig.", json::kind::array, "a list", [&](const json::value& v) -> Status {
          for (const auto& e : v.as_array()) {
            if (!e.is_object()) return InvalidArgument("invalid JSON: a mount must be an object");
            BERTH_RETURN_IF_ERROR(ParseMount(e.as_object(), c));
          }
          return OkStatus();
        }));
    BERTH_RETURN_IF_ERROR(Member(
        ho, "VolumesFrom", "HostConfig.", json::kind::array, "a list of strings", [&](const json::value& v) -> Status {
          for (const auto& e : v.as_array()) {
            if (!e.is_string()) return InvalidArgument("invalid JSON: HostConfig.VolumesFrom must hold strings");
            BERTH_RETURN_IF_ERROR(ParseVolumesFrom(e.as_string()).status());  // the container is looked up by Create
            c->volumes_from.emplace_back(e.as_string());
          }
          return OkStatus();
        }));
    BERTH_RETURN_IF_ERROR(
        Member(ho, "Tmpfs", "HostConfig.", json::kind::object, "an object", [&](const json::value& v) -> Status {
          BERTH_RETURN_IF_ERROR(StringMap(v, "HostConfig.Tmpfs", &c->tmpfs));
          for (const auto& [path, options] : c->tmpfs) {
            BERTH_ASSIGN_OR_RETURN(MountRequest m, ParseTmpfsEntry(path, options));
            c->mounts.push_back(std::move(m));
          }
          return OkStatus();
        }));
  }
  return Member(config, "Volumes", "", json::kind::object, "an object", [&](const json::value& v) -> Status {
    for (const auto& [path, unused] : v.as_object()) {
      MountRequest m;
      m.type = Type::kVolume;
      m.origin = Origin::kImage;
      m.target = std::string(path);
      BERTH_RETURN_IF_ERROR(ValidateMount(&m, nullptr, false));
      c->mounts.push_back(std::move(m));
    }
    return OkStatus();
  });
}

json::array HostConfigMountsValue(const ContainerConfig& c) {
  json::array a;
  for (const auto& m : c.image_mounts) {
    json::object o;
    o["Type"] = "image";
    o["Source"] = m.source;
    o["Target"] = m.target;
    if (m.read_only) o["ReadOnly"] = true;
    a.emplace_back(std::move(o));
  }
  for (const auto& m : c.mounts) {
    if (m.origin != Origin::kMounts) continue;
    json::object o;
    o["Type"] = m.type == Type::kBind ? "bind" : m.type == Type::kVolume ? "volume" : "tmpfs";
    if (!m.anonymous && m.type != Type::kTmpfs) o["Source"] = m.source;
    o["Target"] = m.target;
    if (m.read_only) o["ReadOnly"] = true;
    if (m.type == Type::kBind && m.propagation != "rprivate") {
      o["BindOptions"] = json::object{{"Propagation", m.propagation}};
    }
    if (m.type == Type::kVolume && (m.no_copy || !m.volume_labels.empty() || !m.volume_options.empty())) {
      json::object vo;
      if (m.no_copy) vo["NoCopy"] = true;
      if (!m.volume_labels.empty()) {
        json::object labels;
        for (const auto& [k, v] : m.volume_labels) labels[k] = v;
        vo["Labels"] = std::move(labels);
      }
      if (!m.volume_options.empty()) {
        json::object options;
        for (const auto& [k, v] : m.volume_options) options[k] = v;
        vo["DriverConfig"] = json::object{{"Name", "local"}, {"Options", std::move(options)}};
      }
      o["VolumeOptions"] = std::move(vo);
    }
    a.emplace_back(std::move(o));
  }
  return a;
}

json::value HostConfigBindsValue(const ContainerConfig& c) {
  if (c.binds.empty()) return nullptr;
  json::array a;
  for (const auto& b : c.binds) a.emplace_back(json::string(b));
  return a;
}

json::value HostConfigTmpfsValue(const ContainerConfig& c) {
  if (c.tmpfs.empty()) return nullptr;
  json::object o;
  for (const auto& [path, options] : c.tmpfs) o[path] = options;
  return o;
}

json::value ConfigVolumesValue(const ContainerConfig& c) {
  json::object o;
  for (const auto& m : c.mounts) {
    if (m.origin == Origin::kImage) o[m.target] = json::object{};
  }
  if (o.empty()) return nullptr;
  return o;
}

json::array MountPointsValue(const ContainerConfig& c) {
  json::array a;
  for (const auto& m : c.image_mounts) {
    json::object o;
    o["Type"] = "image";
    o["Source"] = m.source;
    o["Destination"] = m.target;
    o["Mode"] = "";
    o["RW"] = !m.read_only;
    o["Propagation"] = "";
    a.emplace_back(std::move(o));
  }
  for (const auto& m : c.mounts) {
    // HostConfig.Tmpfs entries are not mount points (Docker lists them
    // only there).
    if (m.origin == Origin::kTmpfs) continue;
    json::object o;
    switch (m.type) {
      case Type::kBind:
        o["Type"] = "bind";
        o["Source"] = m.source;
        break;
      case Type::kVolume:
        o["Type"] = "volume";
        o["Name"] = m.source;
        o["Source"] = m.host_path;
        break;
      case Type::kTmpfs:
        o["Type"] = "tmpfs";
        o["Source"] = "";
        break;
    }
    o["Destination"] = m.target;
    if (m.type == Type::kVolume) o["Driver"] = "local";
    // Docker gives a -v volume without a mode the label mode "z".
    o["Mode"] = m.type == Type::kVolume && m.origin == Origin::kBinds && m.mode.empty() ? std::string("z") : m.mode;
    o["RW"] = !m.read_only;
    o["Propagation"] = m.type == Type::kBind ? m.propagation : std::string();
    a.emplace_back(std::move(o));
  }
  return a;
}

}  // namespace berth::api
