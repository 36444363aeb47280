// Docker API JSON shapes.

#include "api/render.h"

#include "api/query.h"

namespace berth::api {

namespace json = boost::json;

json::array Strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

json::object StringMapValue(const std::map<std::string, std::string>& m) {
  json::object o;
  for (const auto& [k, v] : m) o[k] = v;
  return o;
}

namespace {

// Parses JSON produced by a library formatter; null when it is malformed (a
// bug elsewhere, not worth failing a whole listing for).
json::value ParseOrNull(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return nullptr;
  return v;
}

}  // namespace

json::value DescriptorValue(const Descriptor& d) { return ParseOrNull(DescriptorToJson(d)); }

json::value PlatformValue(const Platform& p) { return ParseOrNull(PlatformToJson(p)); }

json::object ManifestSummaryValue(const ManifestSummary& m) {
  json::object o;
  o["ID"] = m.id.str();
  o["Descriptor"] = DescriptorValue(m.descriptor);
  o["Available"] = m.available;
  o["Size"] = json::object{{"Total", m.total_size}, {"Content", m.content_size}};
  o["Kind"] = m.kind;
  if (m.kind == "image") {
    json::object data;
    data["Platform"] = PlatformValue(m.platform);
    data["Containers"] = Strings(m.containers);
    data["Size"] = json::object{{"Unpacked", m.unpacked_size}};
    o["ImageData"] = std::move(data);
  } else if (m.kind == "attestation") {
    o["AttestationData"] = json::object{{"For", m.attestation_for.str()}};
  }
  return o;
}

json::object ImageSummaryValue(const ImageSummary& s, std::string_view version, bool manifests) {
  json::object o;
  o["Containers"] = s.containers;
  o["Created"] = s.created;
  o["Id"] = s.id.str();
  if (s.labels_null) {
    o["Labels"] = nullptr;
  } else {
    json::object labels;
    for (const auto& [k, v] : s.labels) labels[k] = v;
    o["Labels"] = std::move(labels);
  }
  o["ParentId"] = s.parent_id;
  if (CompareVersions(version, "1.48") >= 0 && !s.descriptor.digest.empty()) {
    o["Descriptor"] = DescriptorValue(s.descriptor);
  }
  if (manifests && CompareVersions(version, "1.47") >= 0) {
    json::array list;
    for (const auto& m : s.manifests) list.emplace_back(ManifestSummaryValue(m));
    o["Manifests"] = std::move(list);
  }
  json::array tags = Strings(s.repo_tags);
  json::array digests = Strings(s.repo_digests);
  if (CompareVersions(version, "1.43") < 0) {
    // Before API 1.43 untagged images were shown with placeholders.
    if (tags.empty()) tags.emplace_back("<none>:<none>");
    if (digests.empty()) digests.emplace_back("<none>@<none>");
  }
  o["RepoDigests"] = std::move(digests);
  o["RepoTags"] = std::move(tags);
  o["SharedSize"] = s.shared_size;
  o["Size"] = s.size;
  if (CompareVersions(version, "1.44") < 0) o["VirtualSize"] = s.size;
  return o;
}

json::object ImageInspectValue(const ImageInspect& i, std::string_view version, bool manifests) {
  json::object o;
  o["Id"] = i.id.str();
  o["RepoTags"] = Strings(i.repo_tags);
  o["RepoDigests"] = Strings(i.repo_digests);
  o["Parent"] = i.parent;
  o["Comment"] = i.comment;
  if (!i.created.empty()) o["Created"] = i.created;
  o["DockerVersion"] = "";
  o["Author"] = i.author;
  if (!i.config_json.empty() && i.config_json != "null") {
    json::value cfg = ParseOrNull(i.config_json);
    if (!cfg.is_null()) o["Config"] = std::move(cfg);
  }
  o["Architecture"] = i.platform.architecture;
  if (!i.platform.variant.empty()) o["Variant"] = i.platform.variant;
  o["Os"] = i.platform.os;
  if (!i.platform.os_version.empty()) o["OsVersion"] = i.platform.os_version;
  o["Size"] = i.size;
  if (CompareVersions(version, "1.44") < 0) o["VirtualSize"] = i.size;
  o["GraphDriver"] = json::object{{"Data", nullptr}, {"Name", "overlayfs"}};
  json::object rootfs;
  rootfs["Type"] = "layers";
  if (!i.diff_ids.empty()) {
    json::array layers;
    for (const auto& d : i.diff_ids) layers.emplace_back(d.str());
    rootfs["Layers"] = std::move(layers);
  }
  o["RootFS"] = std::move(rootfs);
  o["Metadata"] = json::object{{"LastTagTime", i.last_tag_time.empty() ? "0001-01-01T00:00:00Z" : i.last_tag_time}};
  if (CompareVersions(version, "1.48") >= 0 && !i.descriptor.digest.empty()) {
    o["Descriptor"] = DescriptorValue(i.descriptor);
  }
  if (manifests && CompareVersions(version, "1.48") >= 0) {
    json::array list;
    for (const auto& m : i.manifests) list.emplace_back(ManifestSummaryValue(m));
    o["Manifests"] = std::move(list);
  }
  return o;
}

json::array HistoryValue(const std::vector<HistoryItem>& items) {
  json::array a;
  for (const auto& h : items) {
    json::object o;
    o["Comment"] = h.comment;
    o["Created"] = h.created;
    o["CreatedBy"] = h.created_by;
    o["Id"] = h.id;
    o["Size"] = h.size;
    // Docker leaves Tags nil (null) on every entry but the newest tagged one.
    if (h.tags.empty()) {
      o["Tags"] = nullptr;
    } else {
      o["Tags"] = Strings(h.tags);
    }
    a.emplace_back(std::move(o));
  }
  return a;
}

json::array DeleteItemsValue(const std::vector<DeleteResponseItem>& items) {
  json::array a;
  for (const auto& it : items) {
    json::object o;
    if (!it.untagged.empty()) o["Untagged"] = it.untagged;
    if (!it.deleted.empty()) o["Deleted"] = it.deleted;
    a.emplace_back(std::move(o));
  }
  return a;
}

std::string StreamLine(std::string_view text) {
  json::object o;
  o["stream"] = text;
  return json::serialize(o) + "\n";
}

}  // namespace berth::api
