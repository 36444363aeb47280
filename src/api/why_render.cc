// JSON of ImageService::Why (GET /berth/v1/images/{name}/why, `berth why
// --format json`); the shape is documented in src/api/why_routes.cc.

#include "api/render.h"
#include "berth/metadata.h"

namespace berth::api {

namespace json = boost::json;

namespace {

json::array DigestArray(const std::vector<Digest>& v) {
  json::array a;
  for (const auto& d : v) a.emplace_back(d.str());
  return a;
}

json::object ContainerValue(const WhyContainer& c, bool with_platform) {
  json::object o;
  o["Id"] = c.id;
  o["Name"] = c.name;
  o["Image"] = c.image_ref;
  o["State"] = c.state;
  if (with_platform) {
    o["Platform"] = c.platform ? PlatformValue(*c.platform) : json::value(nullptr);
    o["Manifest"] = c.manifest.str();
  }
  return o;
}

json::object PreviewValue(const RemovalPreview& p) {
  json::object o;
  o["Refused"] = p.refused;
  o["Error"] = p.error;
  o["Items"] = DeleteItemsValue(p.items);
  json::array freed;
  for (const auto& b : p.freed) {
    freed.emplace_back(json::object{{"Digest", b.digest.str()}, {"MediaType", b.media_type}, {"Size", b.size}});
  }
  o["Freed"] = std::move(freed);
  o["FreedBytes"] = p.freed_bytes;
  return o;
}

json::object ImageWhyValue(const ImageWhy& w) {
  json::object o;
  o["Id"] = w.id.str();
  o["Names"] = Strings(w.names);
  o["Dangling"] = w.dangling;
  o["Parent"] = w.parent;
  json::array children;
  for (const auto& c : w.children) {
    children.emplace_back(json::object{{"Id", c.id.str()}, {"Names", Strings(c.names)}});
  }
  o["Children"] = std::move(children);
  json::array containers, mounted_by, leases;
  for (const auto& c : w.containers) containers.emplace_back(ContainerValue(c, true));
  for (const auto& c : w.mounted_by) mounted_by.emplace_back(ContainerValue(c, false));
  for (const auto& l : w.leases) {
    json::object labels;
    for (const auto& [k, v] : l.labels) labels[k] = v;
    leases.emplace_back(json::object{{"Id", l.id},
                                     {"Expires", l.expires_unix_nanos},
                                     {"Labels", std::move(labels)},
                                     {"Blobs", DigestArray(l.blobs)}});
  }
  o["Containers"] = std::move(containers);
  o["MountedBy"] = std::move(mounted_by);
  o["Leases"] = std::move(leases);
  o["IngestHeld"] = DigestArray(w.ingest_held);
  o["Size"] = w.size;
  o["Blobs"] = w.blobs;
  o["Removal"] = json::object{{"Reference", w.reference},
                              {"Remove", PreviewValue(w.remove)},
                              {"ForceRemove", PreviewValue(w.force_remove)}};
  return o;
}

json::object BlobWhyValue(const BlobWhy& w) {
  json::object o;
  o["Digest"] = w.digest.str();
  o["MediaType"] = w.media_type;
  o["Size"] = w.size;
  o["Refs"] = w.refs;
  o["Registered"] = w.registered;
  o["Present"] = w.present;
  o["IngestHeld"] = w.ingest_held;
  json::array holders;
  for (const auto& h : w.holders) {
    json::array via;
    for (const auto& d : h.via) via.emplace_back(DescriptorValue(d));
    holders.emplace_back(json::object{{"Kind", std::string(RootKindName(h.kind))},
                                      {"Id", h.id},
                                      {"Names", Strings(h.names)},
                                      {"Via", std::move(via)}});
  }
  o["Holders"] = std::move(holders);
  return o;
}

}  // namespace

json::object WhyReportValue(const WhyReport& r) {
  json::object o;
  if (r.image) {
    o["Kind"] = "image";
    o["Image"] = ImageWhyValue(*r.image);
  } else if (r.blob) {
    o["Kind"] = "blob";
    o["Blob"] = BlobWhyValue(*r.blob);
  }
  return o;
}

}  // namespace berth::api
