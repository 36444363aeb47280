// JSON parsing of OCI documents: descriptors, indexes, manifests and image
// configs. This is the only translation unit of the module that uses
// Boost.JSON.
//
// Validation follows what Go's encoding/json would accept into the OCI
// structs, plus the checks containerd/Docker apply: a JSON object,
// schemaVersion 2, required fields present, every descriptor with a media
// type, a valid sha256 digest and a non-negative integer size. A JSON null
// counts as an absent field, as in Go. Unknown fields are ignored.

#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>

#include <exception>
#include <string>
#include <string_view>

#include "berth/oci.h"
#include "berth/time.h"
#include "base/ascii_fold.h"

namespace berth {

namespace json = boost::json;

namespace {

// InvalidArgument "<where>: <what>" (or just <what> at the top level).
Status Err(std::string_view where, std::string_view what) {
  std::string m;
  if (!where.empty()) {
    m.append(where);
    m.append(": ");
  }
  m.append(what);
  return InvalidArgument(std::move(m));
}

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string Sub(std::string_view where, std::string_view key) {
  if (where.empty()) return std::string(key);
  return std::string(where) + "." + std::string(key);
}

std::string At(std::string_view where, size_t i) {
  return std::string(where) + "[" + std::to_string(i) + "]";
}

Status ParseJson(std::string_view raw, json::value* out) {
  try {
    json::parse_options opts;
    opts.max_depth = 64;
    json::parser p(json::storage_ptr(), opts);
    boost::system::error_code ec;
    size_t consumed = p.write(raw.data(), raw.size(), ec);
    if (ec) {
      return InvalidArgument("malformed JSON: " + ec.message() + " at offset " +
                             std::to_string(consumed));
    }
    *out = p.release();
    return OkStatus();
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("malformed JSON: ") + e.what());
  }
}

// The field `key` of `o`, or nullptr when absent or null. As Go's
// encoding/json does for struct fields, keys match case-insensitively
// (ASCII) and the last non-null matching key wins.
const json::value* Field(const json::object& o, std::string_view key) {
  const json::value* v = nullptr;
  for (const auto& kv : o) {
    if (!kv.value().is_null() && EqualFoldAscii(kv.key(), key)) v = &kv.value();
  }
  return v;
}

Status ReadString(const json::object& o, std::string_view key, std::string_view where,
                  std::string* out) {
  const json::value* v = Field(o, key);
  if (v == nullptr) return OkStatus();
  if (!v->is_string()) return Err(where, std::string(key) + " must be a string");
  *out = std::string(v->get_string());
  return OkStatus();
}

Status ReadStringArray(const json::object& o, std::string_view key, std::string_view where,
                       std::vector<std::string>* out) {
  const json::value* v = Field(o, key);
  if (v == nullptr) return OkStatus();
  if (!v->is_array()) return Err(where, std::string(key) + " must be an array of strings");
  out->clear();
  for (const json::value& e : v->get_array()) {
    if (!e.is_string()) return Err(where, std::string(key) + " must be an array of strings");
    out->emplace_back(e.get_string());
  }
  return OkStatus();
}

// An object of strings; null values read as "" (Go's behaviour).
Status ReadStringMap(const json::object& o, std::string_view key, std::string_view where,
                     std::map<std::string, std::string>* out) {
  const json::value* v = Field(o, key);
  if (v == nullptr) return OkStatus();
  if (!v->is_object()) return Err(where, std::string(key) + " must be an object of strings");
  out->clear();
  for (const auto& kv : v->get_object()) {
    std::string k(kv.key());
    if (kv.value().is_null()) {
      (*out)[k] = "";
    } else if (kv.value().is_string()) {
      (*out)[k] = std::string(kv.value().get_string());
    } else {
      return Err(where, std::string(key) + "[" + Quote(k) + "] must be a string");
    }
  }
  return OkStatus();
}

Status ReadBool(const json::object& o, std::string_view key, std::string_view where, bool* out) {
  const json::value* v = Field(o, key);
  if (v == nullptr) return OkStatus();
  if (!v->is_bool()) return Err(where, std::string(key) + " must be a boolean");
  *out = v->get_bool();
  return OkStatus();
}

// Reads the platform fields of `o` (a descriptor's "platform" object or an
// image config, which carry the same keys).
Status ReadPlatformFields(const json::object& o, std::string_view where, Platform* p) {
  BERTH_RETURN_IF_ERROR(ReadString(o, "architecture", where, &p->architecture));
  BERTH_RETURN_IF_ERROR(ReadString(o, "os", where, &p->os));
  BERTH_RETURN_IF_ERROR(ReadString(o, "variant", where, &p->variant));
  BERTH_RETURN_IF_ERROR(ReadString(o, "os.version", where, &p->os_version));
  return ReadStringArray(o, "os.features", where, &p->os_features);
}

Status ParseDescriptorValue(const json::value& v, std::string_view where, Descriptor* d) {
  if (!v.is_object()) return Err(where, "descriptor is not a JSON object");
  const json::object& o = v.get_object();

  if (Field(o, "mediaType") == nullptr) return Err(where, "missing mediaType");
  BERTH_RETURN_IF_ERROR(ReadString(o, "mediaType", where, &d->media_type));
  if (d->media_type.empty()) return Err(where, "empty mediaType");

  const json::value* dv = Field(o, "digest");
  if (dv == nullptr) return Err(where, "missing digest");
  if (!dv->is_string()) return Err(where, "digest must be a string");
  Result<Digest> digest = Digest::Parse(std::string_view(dv->get_string()));
  if (!digest.ok()) return Err(where, digest.status().message());
  d->digest = *digest;

  const json::value* sv = Field(o, "size");
  if (sv == nullptr) return Err(where, "missing size");
  if (sv->is_int64()) {
    d->size = sv->get_int64();
    if (d->size < 0) return Err(where, "invalid size " + std::to_string(d->size));
  } else if (sv->is_uint64()) {
    return Err(where, "size " + std::to_string(sv->get_uint64()) + " out of range");
  } else {
    return Err(where, "size must be an integer");
  }

  BERTH_RETURN_IF_ERROR(ReadStringArray(o, "urls", where, &d->urls));
  BERTH_RETURN_IF_ERROR(ReadStringMap(o, "annotations", where, &d->annotations));
  BERTH_RETURN_IF_ERROR(ReadString(o, "artifactType", where, &d->artifact_type));
  if (const json::value* pv = Field(o, "platform")) {
    if (!pv->is_object()) return Err(where, "platform must be an object");
    Platform p;
    BERTH_RETURN_IF_ERROR(ReadPlatformFields(pv->get_object(), Sub(where, "platform"), &p));
    d->platform = std::move(p);
  }
  return OkStatus();
}

// Checks shared by indexes and manifests. On success `*obj` is the document
// and `*effective` its media type (argument, else mediaType field, else
// `fallback`). Schema 1 is Unimplemented; other errors InvalidArgument
// without the document-kind prefix.
Status CheckHeader(const json::value& doc, std::string_view arg_type, std::string_view fallback,
                   bool (*accept)(std::string_view), const json::object** obj,
                   std::string* effective) {
  if (!doc.is_object()) return Err("", "document is not a JSON object");
  const json::object& o = doc.get_object();
  std::string own_type;
  BERTH_RETURN_IF_ERROR(ReadString(o, "mediaType", "", &own_type));
  if (IsSchema1Type(own_type)) {
    return Unimplemented("schema 1 manifests are not supported: " + own_type);
  }
  const json::value* sv = Field(o, "schemaVersion");
  if (sv == nullptr) return Err("", "missing schemaVersion");
  if (!sv->is_int64()) return Err("", "schemaVersion must be an integer");
  if (sv->get_int64() == 1) {
    return Unimplemented("schema 1 manifests are not supported: schemaVersion 1");
  }
  if (sv->get_int64() != 2) {
    return Err("", "unsupported schemaVersion " + std::to_string(sv->get_int64()));
  }
  if (!arg_type.empty() && !own_type.empty() && arg_type != own_type) {
    return Err("", "media type mismatch: expected " + std::string(arg_type) + ", document has " +
                       own_type);
  }
  *effective = !arg_type.empty() ? std::string(arg_type)
               : !own_type.empty() ? own_type
                                   : std::string(fallback);
  if (!accept(*effective)) return Err("", "unexpected media type " + *effective);
  *obj = &o;
  return OkStatus();
}

// Prefixes InvalidArgument errors with the document kind; other codes
// (Unimplemented for schema 1) keep their exact message.
Status Prefix(const Status& s, std::string_view kind) {
  return s.code() == Code::kInvalidArgument ? s.Annotate(kind) : s;
}

Status ParseIndexInto(Index* index, std::string_view media_type) {
  json::value doc;
  BERTH_RETURN_IF_ERROR(ParseJson(index->raw, &doc));
  const json::object* o = nullptr;
  BERTH_RETURN_IF_ERROR(
      CheckHeader(doc, media_type, media_type::kOciIndex, IsIndexType, &o, &index->media_type));
  const json::value* mv = Field(*o, "manifests");
  if (mv == nullptr) return Err("", "missing manifests array");
  if (!mv->is_array()) return Err("", "manifests must be an array");
  const json::array& arr = mv->get_array();
  index->manifests.resize(arr.size());
  for (size_t i = 0; i < arr.size(); i++) {
    BERTH_RETURN_IF_ERROR(ParseDescriptorValue(arr[i], At("manifests", i), &index->manifests[i]));
  }
  return ReadStringMap(*o, "annotations", "", &index->annotations);
}

Status ParseManifestInto(Manifest* m, std::string_view media_type) {
  json::value doc;
  BERTH_RETURN_IF_ERROR(ParseJson(m->raw, &doc));
  const json::object* o = nullptr;
  BERTH_RETURN_IF_ERROR(
      CheckHeader(doc, media_type, media_type::kOciManifest, IsManifestType, &o, &m->media_type));
  const json::value* cv = Field(*o, "config");
  if (cv == nullptr) return Err("", "missing config descriptor");
  BERTH_RETURN_IF_ERROR(ParseDescriptorValue(*cv, "config", &m->config));
  const json::value* lv = Field(*o, "layers");
  if (lv == nullptr) return Err("", "missing layers array");
  if (!lv->is_array()) return Err("", "layers must be an array");
  const json::array& arr = lv->get_array();
  m->layers.resize(arr.size());
  for (size_t i = 0; i < arr.size(); i++) {
    BERTH_RETURN_IF_ERROR(ParseDescriptorValue(arr[i], At("layers", i), &m->layers[i]));
  }
  if (const json::value* sv = Field(*o, "subject")) {
    Descriptor subject;
    BERTH_RETURN_IF_ERROR(ParseDescriptorValue(*sv, "subject", &subject));
    m->subject = std::move(subject);
  }
  return ReadStringMap(*o, "annotations", "", &m->annotations);
}

Status ParseImageConfigInto(ImageConfig* c) {
  json::value doc;
  BERTH_RETURN_IF_ERROR(ParseJson(c->raw, &doc));
  if (!doc.is_object()) return Err("", "document is not a JSON object");
  const json::object& o = doc.get_object();
  BERTH_RETURN_IF_ERROR(ReadPlatformFields(o, "", &c->platform));
  BERTH_RETURN_IF_ERROR(ReadString(o, "created", "", &c->created));
  if (!c->created.empty()) c->created_unix = ParseRfc3339(c->created).value_or(0);
  BERTH_RETURN_IF_ERROR(ReadString(o, "author", "", &c->author));

  if (const json::value* cv = Field(o, "config")) {
    if (!cv->is_object()) return Err("", "config must be an object");
    BERTH_RETURN_IF_ERROR(ReadStringMap(cv->get_object(), "Labels", "config", &c->labels));
  }

  if (const json::value* rv = Field(o, "rootfs")) {
    if (!rv->is_object()) return Err("", "rootfs must be an object");
    if (const json::value* dv = Field(rv->get_object(), "diff_ids")) {
      if (!dv->is_array()) return Err("rootfs", "diff_ids must be an array");
      const json::array& arr = dv->get_array();
      for (size_t i = 0; i < arr.size(); i++) {
        std::string where = At("rootfs.diff_ids", i);
        if (!arr[i].is_string()) return Err(where, "must be a string");
        Result<Digest> d = Digest::Parse(std::string_view(arr[i].get_string()));
        if (!d.ok()) return Err(where, d.status().message());
        c->diff_ids.push_back(*d);
      }
    }
  }

  if (const json::value* hv = Field(o, "history")) {
    if (!hv->is_array()) return Err("", "history must be an array");
    const json::array& arr = hv->get_array();
    c->history.resize(arr.size());
    for (size_t i = 0; i < arr.size(); i++) {
      std::string where = At("history", i);
      if (!arr[i].is_object()) return Err(where, "not a JSON object");
      const json::object& h = arr[i].get_object();
      HistoryEntry& e = c->history[i];
      BERTH_RETURN_IF_ERROR(ReadString(h, "created", where, &e.created));
      BERTH_RETURN_IF_ERROR(ReadString(h, "created_by", where, &e.created_by));
      BERTH_RETURN_IF_ERROR(ReadString(h, "comment", where, &e.comment));
      BERTH_RETURN_IF_ERROR(ReadString(h, "author", where, &e.author));
      BERTH_RETURN_IF_ERROR(ReadBool(h, "empty_layer", where, &e.empty_layer));
    }
  }
  return OkStatus();
}

std::string MiB(int64_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }  // limits are whole MiB

Status TooLarge(std::string_view kind, size_t size, int64_t max_bytes) {
  return InvalidArgument(std::string(kind) + " is " + std::to_string(size) + " bytes, more than the limit of " +
                         MiB(max_bytes));
}

}  // namespace

int64_t MaxDocumentBytes(std::string_view media_type) {
  return IsConfigType(media_type) ? kMaxConfigBytes : kMaxManifestBytes;
}

Status CheckDocumentSize(const Descriptor& d, int64_t max_bytes, std::string_view kind) {
  if (d.size <= max_bytes) return OkStatus();
  return InvalidArgument(std::string(kind) + " " + d.digest.str() + " is " + std::to_string(d.size) +
                         " bytes, more than the limit of " + MiB(max_bytes));
}

Result<Descriptor> DescriptorFromJson(std::string_view raw) {
  json::value doc;
  Descriptor d;
  Status s = ParseJson(raw, &doc);
  if (s.ok()) s = ParseDescriptorValue(doc, "", &d);
  if (!s.ok()) return s.Annotate("invalid descriptor");
  return d;
}

Result<Index> ParseIndex(std::string raw, std::string_view media_type) {
  if (IsSchema1Type(media_type)) {
    return Unimplemented("schema 1 manifests are not supported: " + std::string(media_type));
  }
  if (static_cast<int64_t>(raw.size()) > kMaxManifestBytes) {
    return Prefix(TooLarge("document", raw.size(), kMaxManifestBytes), "invalid index");
  }
  Index index;
  index.raw = std::move(raw);
  Status s = ParseIndexInto(&index, media_type);
  if (!s.ok()) return Prefix(s, "invalid index");
  return index;
}

Result<Manifest> ParseManifest(std::string raw, std::string_view media_type) {
  if (IsSchema1Type(media_type)) {
    return Unimplemented("schema 1 manifests are not supported: " + std::string(media_type));
  }
  if (static_cast<int64_t>(raw.size()) > kMaxManifestBytes) {
    return Prefix(TooLarge("document", raw.size(), kMaxManifestBytes), "invalid manifest");
  }
  Manifest m;
  m.raw = std::move(raw);
  Status s = ParseManifestInto(&m, media_type);
  if (!s.ok()) return Prefix(s, "invalid manifest");
  return m;
}

Result<ImageConfig> ParseImageConfig(std::string raw) {
  if (static_cast<int64_t>(raw.size()) > kMaxConfigBytes) {
    return TooLarge("document", raw.size(), kMaxConfigBytes).Annotate("invalid image config");
  }
  ImageConfig c;
  c.raw = std::move(raw);
  Status s = ParseImageConfigInto(&c);
  if (!s.ok()) return s.Annotate("invalid image config");
  return c;
}

std::string DetectMediaType(std::string_view raw) {
  json::value doc;
  if (!ParseJson(raw, &doc).ok() || !doc.is_object()) return {};
  const json::object& o = doc.get_object();
  const json::value* mt = Field(o, "mediaType");
  if (mt != nullptr && mt->is_string() && !mt->get_string().empty()) {
    return std::string(mt->get_string());
  }
  const json::value* sv = Field(o, "schemaVersion");
  if ((sv != nullptr && sv->is_int64() && sv->get_int64() == 1) || Field(o, "fsLayers")) {
    return std::string(Field(o, "signatures") ? media_type::kDockerManifestV1Signed
                                              : media_type::kDockerManifestV1);
  }
  if (const json::value* m = Field(o, "manifests"); m != nullptr && m->is_array()) {
    return std::string(media_type::kOciIndex);
  }
  if (Field(o, "config") != nullptr && Field(o, "layers") != nullptr) {
    return std::string(media_type::kOciManifest);
  }
  return {};
}

}  // namespace berth
