// MountRequest as the container record keeps it (see berth/volume_service.h).

#include <boost/json.hpp>

#include "berth/volume_service.h"

namespace berth {

namespace json = boost::json;

namespace {

constexpr std::pair<MountRequest::Type, std::string_view> kTypes[] = {{MountRequest::Type::kBind, "bind"},
                                                                      {MountRequest::Type::kVolume, "volume"},
                                                                      {MountRequest::Type::kTmpfs, "tmpfs"}};
constexpr std::pair<MountRequest::Origin, std::string_view> kOrigins[] = {
    {MountRequest::Origin::kBinds, "binds"},
    {MountRequest::Origin::kMounts, "mounts"},
    {MountRequest::Origin::kTmpfs, "tmpfs"},
    {MountRequest::Origin::kImage, "image"},
    {MountRequest::Origin::kVolumesFrom, "volumes-from"}};

json::object MapValue(const std::map<std::string, std::string>& m) {
  json::object o;
  for (const auto& [k, v] : m) o[k] = v;
  return o;
}

std::string StringOf(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

bool BoolOf(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_bool() && v->as_bool();
}

std::map<std::string, std::string> MapOf(const json::object& o, std::string_view key) {
  std::map<std::string, std::string> out;
  const json::value* v = o.if_contains(key);
  if (v && v->is_object()) {
    for (const auto& [k, e] : v->as_object()) {
      if (e.is_string()) out[std::string(k)] = std::string(e.as_string());
    }
  }
  return out;
}

}  // namespace

json::object MountRequestToJson(const MountRequest& m) {
  json::object o;
  for (const auto& [t, name] : kTypes) {
    if (t == m.type) o["Type"] = name;
  }
  for (const auto& [t, name] : kOrigins) {
    if (t == m.origin) o["Origin"] = name;
  }
  o["Source"] = m.source;
  o["Target"] = m.target;
  o["ReadOnly"] = m.read_only;
  o["Mode"] = m.mode;
  o["Propagation"] = m.propagation;
  o["NoCopy"] = m.no_copy;
  if (!m.subpath.empty()) o["Subpath"] = m.subpath;
  o["Anonymous"] = m.anonymous;
  o["HostPath"] = m.host_path;
  o["VolumeLabels"] = MapValue(m.volume_labels);
  o["VolumeOptions"] = MapValue(m.volume_options);
  json::array tmpfs;
  for (const auto& t : m.tmpfs_options) tmpfs.emplace_back(json::string(t));
  o["TmpfsOptions"] = std::move(tmpfs);
  return o;
}

Result<MountRequest> MountRequestFromJson(const json::object& o) {
  MountRequest m;
  const std::string type = StringOf(o, "Type"), origin = StringOf(o, "Origin");
  bool known = false;
  for (const auto& [t, name] : kTypes) {
    if (name == type) m.type = t, known = true;
  }
  if (!known) return InvalidArgument("stored mount of unknown type \"" + type + "\"");
  for (const auto& [t, name] : kOrigins) {
    if (name == origin) m.origin = t;
  }
  m.source = StringOf(o, "Source");
  m.target = StringOf(o, "Target");
  m.read_only = BoolOf(o, "ReadOnly");
  m.mode = StringOf(o, "Mode");
  m.propagation = StringOf(o, "Propagation");
  m.no_copy = BoolOf(o, "NoCopy");
  m.subpath = StringOf(o, "Subpath");
  m.anonymous = BoolOf(o, "Anonymous");
  m.host_path = StringOf(o, "HostPath");
  m.volume_labels = MapOf(o, "VolumeLabels");
  m.volume_options = MapOf(o, "VolumeOptions");
  if (const json::value* t = o.if_contains("TmpfsOptions"); t && t->is_array()) {
    for (const auto& e : t->as_array()) {
      if (e.is_string()) m.tmpfs_options.emplace_back(e.as_string());
    }
  }
  return m;
}

}  // namespace berth
