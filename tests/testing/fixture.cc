// Test image builder: real layers, configs, manifests and indexes, built in
// memory and deterministically (fixed mtimes, no gzip timestamps, JSON in a
// fixed key order).

#include "testing/fixture.h"

#include <boost/json.hpp>

#include <algorithm>
#include <set>
#include <string>

#include "berth/reference.h"

namespace berth::testing {

namespace json = boost::json;

namespace {

constexpr const char* kBusyboxPath = "/bin/busybox";
const char* const kBusyboxApplets[] = {"sh", "echo", "sleep", "true", "cat", "ls"};

std::string StripSlash(std::string p) {
  while (!p.empty() && p.front() == '/') p.erase(0, 1);
  return p;
}

bool LooksExecutable(const std::string& path, const std::string& content) {
  for (const char* dir : {"bin/", "sbin/", "usr/bin/", "usr/sbin/", "usr/local/bin/"}) {
    if (path.rfind(dir, 0) == 0) return true;
  }
  return content.rfind("#!", 0) == 0;
}

// The uncompressed tar of one layer: parent directories first, entries in
// path order.
Result<std::string> LayerTar(const FixtureLayer& layer) {
  std::map<std::string, TarEntry> entries;  // by path, sorted
  auto add_parents = [&](const std::string& path) {
    for (size_t slash = path.find('/'); slash != std::string::npos && slash + 1 < path.size();
         slash = path.find('/', slash + 1)) {
      std::string dir = path.substr(0, slash + 1);
      entries.emplace(dir, TarEntry{dir, TarEntry::Type::kDir, "", "", 0755});
    }
  };
  if (layer.busybox) {
    Result<std::string> bin = Env::Default()->ReadFileToString(kBusyboxPath);
    if (!bin.ok()) return bin.status().Annotate("fixture busybox");
    entries["bin/"] = TarEntry{"bin/", TarEntry::Type::kDir, "", "", 0755};
    entries["bin/busybox"] = TarEntry{"bin/busybox", TarEntry::Type::kFile, std::move(*bin), "", 0755};
    for (const char* applet : kBusyboxApplets) {
      std::string p = std::string("bin/") + applet;
      entries[p] = TarEntry{p, TarEntry::Type::kSymlink, "", "busybox", 0777};
    }
  }
  for (const auto& [raw_path, content] : layer.files) {
    std::string path = StripSlash(raw_path);
    if (path.empty()) return InvalidArgument("fixture: empty file path");
    add_parents(path);
    if (path.back() == '/') {
      entries[path] = TarEntry{path, TarEntry::Type::kDir, "", "", 0755};
    } else {
      entries[path] = TarEntry{path, TarEntry::Type::kFile, content, "",
                               LooksExecutable(path, content) ? 0755 : 0644};
    }
  }
  std::vector<TarEntry> list;
  list.reserve(entries.size());
  for (auto& [path, e] : entries) list.push_back(std::move(e));
  return WriteTar(list);
}

// Docker equivalents of OCI layer types (zstd has none and stays OCI).
std::string DockerLayerType(const std::string& mt) {
  if (mt == media_type::kOciLayerGzip) return std::string(media_type::kDockerLayerGzip);
  if (mt == media_type::kOciLayer) return std::string(media_type::kDockerLayer);
  return mt;
}

json::array StringArray(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

std::string ManifestJson(std::string_view mt, const Descriptor& config, const std::vector<Descriptor>& layers) {
  std::string out = "{\"schemaVersion\":2,\"mediaType\":\"" + std::string(mt) + "\",\"config\":" +
                    DescriptorToJson(config) + ",\"layers\":[";
  for (size_t i = 0; i < layers.size(); i++) {
    if (i > 0) out += ",";
    out += DescriptorToJson(layers[i]);
  }
  return out + "]}";
}

std::string IndexJson(std::string_view mt, const std::vector<Descriptor>& manifests) {
  std::string out = "{\"schemaVersion\":2,\"mediaType\":\"" + std::string(mt) + "\",\"manifests\":[";
  for (size_t i = 0; i < manifests.size(); i++) {
    if (i > 0) out += ",";
    out += DescriptorToJson(manifests[i]);
  }
  return out + "]}";
}

class BlobSet {
 public:
  explicit BlobSet(std::vector<BuiltBlob>* blobs) : blobs_(blobs) {}
  Descriptor Add(std::string mt, std::string data) {
    Descriptor d;
    d.media_type = std::move(mt);
    d.digest = Digest::Of(data);
    d.size = static_cast<int64_t>(data.size());
    if (seen_.insert(d.digest).second) blobs_->push_back(BuiltBlob{d, std::move(data)});
    return d;
  }

 private:
  std::vector<BuiltBlob>* blobs_;
  std::set<Digest> seen_;
};

struct BuiltPlatform {
  Descriptor manifest;       // with platform set
  Descriptor attestation;    // empty digest if none
};

Result<BuiltPlatform> BuildPlatform(const FixturePlatform& fp, bool docker_types, bool attestation,
                                    BlobSet* blobs) {
  std::vector<Descriptor> layers;
  json::array diff_ids;
  json::array history;
  for (size_t i = 0; i < fp.layers.size(); i++) {
    const FixtureLayer& fl = fp.layers[i];
    BERTH_ASSIGN_OR_RETURN(std::string tar, LayerTar(fl));
    diff_ids.emplace_back(Digest::Of(tar).str());
    std::string mt = docker_types ? DockerLayerType(fl.media_type) : fl.media_type;
    BERTH_ASSIGN_OR_RETURN(std::string blob, CompressStream(tar, LayerCompression(mt)));
    layers.push_back(blobs->Add(mt, std::move(blob)));
    history.push_back(json::object{{"created", fp.created},
                                   {"created_by", "berth-fixture layer " + std::to_string(i)}});
  }
  json::object cfg;
  cfg["architecture"] = fp.platform.architecture;
  cfg["os"] = fp.platform.os;
  if (!fp.platform.variant.empty()) cfg["variant"] = fp.platform.variant;
  if (!fp.platform.os_version.empty()) cfg["os.version"] = fp.platform.os_version;
  if (!fp.created.empty()) cfg["created"] = fp.created;
  json::object inner;
  if (!fp.env.empty()) inner["Env"] = StringArray(fp.env);
  if (!fp.entrypoint.empty()) inner["Entrypoint"] = StringArray(fp.entrypoint);
  if (!fp.cmd.empty()) inner["Cmd"] = StringArray(fp.cmd);
  if (!fp.labels.empty()) {
    json::object labels;
    for (const auto& [k, v] : fp.labels) labels[k] = v;
    inner["Labels"] = std::move(labels);
  }
  cfg["config"] = std::move(inner);
  cfg["rootfs"] = json::object{{"type", "layers"}, {"diff_ids", std::move(diff_ids)}};
  cfg["history"] = std::move(history);
  Descriptor config = blobs->Add(
      std::string(docker_types ? media_type::kDockerConfig : media_type::kOciConfig), json::serialize(cfg));
  std::string_view mmt = docker_types ? media_type::kDockerManifest : media_type::kOciManifest;
  BuiltPlatform out;
  out.manifest = blobs->Add(std::string(mmt), ManifestJson(mmt, config, layers));
  out.manifest.platform = fp.platform;
  if (attestation) {
    // A BuildKit-style provenance attestation: an in-toto statement about the
    // platform manifest, wrapped in an OCI manifest for platform unknown/unknown.
    json::object statement{
        {"_type", "https://in-toto.io/Statement/v0.1"},
        {"predicateType", "https://slsa.dev/provenance/v0.2"},
        {"subject", json::array{json::object{{"name", "pkg:docker/berth-fixture"},
                                             {"digest", json::object{{"sha256", out.manifest.digest.hex()}}}}}},
        {"predicate", json::object{{"builder", json::object{{"id", "berth-fixture"}}}}}};
    Descriptor layer = blobs->Add(std::string(media_type::kInTotoJson), json::serialize(statement));
    layer.annotations["in-toto.io/predicate-type"] = "https://slsa.dev/provenance/v0.2";
    json::object acfg{{"architecture", "unknown"},
                      {"os", "unknown"},
                      {"config", json::object{}},
                      {"rootfs", json::object{{"type", "layers"}, {"diff_ids", json::array{layer.digest.str()}}}}};
    Descriptor aconfig = blobs->Add(std::string(media_type::kOciConfig), json::serialize(acfg));
    out.attestation =
        blobs->Add(std::string(media_type::kOciManifest), ManifestJson(media_type::kOciManifest, aconfig, {layer}));
    out.attestation.platform = Platform{"unknown", "unknown", "", "", {}};
    out.attestation.annotations[std::string(annotation::kDockerReferenceDigest)] = out.manifest.digest.str();
    out.attestation.annotations[std::string(annotation::kDockerReferenceType)] =
        std::string(annotation::kAttestationManifest);
  }
  return out;
}

const BuiltBlob* FindBlob(const BuiltImage& img, const Digest& d) {
  for (const auto& b : img.blobs) {
    if (b.descriptor.digest == d) return &b;
  }
  return nullptr;
}

// Normalised "domain/path:tag" of a user-supplied name.
Result<Reference> NormalizeName(const std::string& name) {
  BERTH_ASSIGN_OR_RETURN(Reference ref, ParseNormalizedNamed(name));
  return TagNameOnly(std::move(ref));
}

// The platform manifest manifest.json describes for an image: the target
// itself, or the index's linux/amd64 manifest (else its first non-attestation).
Result<const BuiltBlob*> DockerManifestBlob(const BuiltImage& img) {
  const BuiltBlob* target = FindBlob(img, img.target.digest);
  if (target == nullptr) return Internal("fixture: target blob missing");
  if (!IsIndexType(img.target.media_type)) return target;
  BERTH_ASSIGN_OR_RETURN(Index index, ParseIndex(target->data, img.target.media_type));
  const Descriptor* chosen = nullptr;
  for (const auto& d : index.manifests) {
    if (IsAttestation(d) || !IsManifestType(d.media_type)) continue;
    if (chosen == nullptr) chosen = &d;
    if (d.platform && d.platform->os == "linux" && d.platform->architecture == "amd64") {
      chosen = &d;
      break;
    }
  }
  if (chosen == nullptr) return Internal("fixture: index without platform manifests");
  const BuiltBlob* b = FindBlob(img, chosen->digest);
  if (b == nullptr) return Internal("fixture: manifest blob missing");
  return b;
}

std::string BlobPath(const Digest& d) { return "blobs/sha256/" + d.hex(); }

}  // namespace

Digest BuiltImage::ManifestFor(const Platform& p) const {
  std::unique_ptr<PlatformMatcher> m = OnlyStrict(p);
  const BuiltBlob* target = FindBlob(*this, this->target.digest);
  if (target == nullptr) return {};
  if (IsIndexType(this->target.media_type)) {
    Result<Index> index = ParseIndex(target->data, this->target.media_type);
    if (!index.ok()) return {};
    for (const auto& d : index->manifests) {
      if (!IsAttestation(d) && d.platform && m->Match(*d.platform)) return d.digest;
    }
    return {};
  }
  Result<Manifest> man = ParseManifest(target->data, this->target.media_type);
  if (!man.ok()) return {};
  const BuiltBlob* cfg = FindBlob(*this, man->config.digest);
  if (cfg == nullptr) return {};
  Result<ImageConfig> config = ParseImageConfig(cfg->data);
  if (!config.ok() || !m->Match(config->platform)) return {};
  return this->target.digest;
}

Result<BuiltImage> BuildImage(const FixtureImage& spec) {
  if (spec.platforms.empty()) return InvalidArgument("fixture: an image needs at least one platform");
  BuiltImage img;
  BlobSet blobs(&img.blobs);
  bool want_index = spec.force_index || spec.attestations || spec.platforms.size() > 1;
  std::vector<Descriptor> entries;
  std::vector<Descriptor> attestations;
  for (const FixturePlatform& fp : spec.platforms) {
    BERTH_ASSIGN_OR_RETURN(
        BuiltPlatform bp,
        BuildPlatform(fp, fp.docker_media_types || spec.docker_media_types, spec.attestations, &blobs));
    entries.push_back(bp.manifest);
    if (!bp.attestation.digest.empty()) attestations.push_back(bp.attestation);
  }
  if (!want_index) {
    img.target = entries[0];
    img.target.platform.reset();
    return img;
  }
  entries.insert(entries.end(), attestations.begin(), attestations.end());
  for (const auto& e : entries) img.manifests.push_back(e.digest);
  std::string_view imt = spec.docker_media_types ? media_type::kDockerManifestList : media_type::kOciIndex;
  img.target = blobs.Add(std::string(imt), IndexJson(imt, entries));
  return img;
}

Result<BuiltImage> SimpleImage(const std::map<std::string, std::string>& files,
                               std::map<std::string, std::string> labels) {
  FixtureImage spec;
  FixturePlatform p;
  FixtureLayer layer;
  layer.files = files;
  p.layers.push_back(std::move(layer));
  p.labels = std::move(labels);
  spec.platforms.push_back(std::move(p));
  return BuildImage(spec);
}

Result<BuiltImage> MultiPlatformImage(const std::string& seed, const std::vector<Platform>& platforms,
                                      bool attestations) {
  FixtureImage spec;
  spec.attestations = attestations;
  spec.force_index = true;
  for (const auto& p : platforms) {
    FixturePlatform fp;
    fp.platform = p;
    fp.layers.push_back(FixtureLayer{{{"base/file", "shared base"}}});
    fp.layers.push_back(FixtureLayer{{{"own/file", seed + "/" + p.architecture + p.variant}}});
    spec.platforms.push_back(std::move(fp));
  }
  return BuildImage(spec);
}

Result<std::string> WriteOciArchive(const std::vector<ArchiveImage>& images, bool docker_manifest,
                                    const std::vector<Digest>& skip_blobs) {
  std::set<Digest> skip(skip_blobs.begin(), skip_blobs.end());
  std::vector<TarEntry> tar;
  tar.push_back(TarEntry{"oci-layout", TarEntry::Type::kFile, R"({"imageLayoutVersion":"1.0.0"})", "", 0644});
  tar.push_back(TarEntry{"blobs/", TarEntry::Type::kDir, "", "", 0755});
  tar.push_back(TarEntry{"blobs/sha256/", TarEntry::Type::kDir, "", "", 0755});
  std::set<Digest> written;
  std::vector<Descriptor> index_entries;
  json::array manifest_json;
  for (const ArchiveImage& ai : images) {
    if (ai.image == nullptr) return InvalidArgument("fixture: null image");
    for (const BuiltBlob& b : ai.image->blobs) {
      if (skip.count(b.descriptor.digest) || !written.insert(b.descriptor.digest).second) continue;
      tar.push_back(TarEntry{BlobPath(b.descriptor.digest), TarEntry::Type::kFile, b.data, "", 0644});
    }
    json::array repo_tags;
    if (ai.names.empty()) {
      index_entries.push_back(ai.image->target);
    }
    for (const std::string& name : ai.names) {
      BERTH_ASSIGN_OR_RETURN(Reference ref, NormalizeName(name));
      Descriptor d = ai.image->target;
      d.annotations[std::string(annotation::kContainerdImageName)] = ref.String();
      if (ref.has_tag()) d.annotations[std::string(annotation::kRefName)] = ref.tag;
      index_entries.push_back(std::move(d));
      repo_tags.emplace_back(ref.Familiar());
    }
    if (docker_manifest) {
      BERTH_ASSIGN_OR_RETURN(const BuiltBlob* mb, DockerManifestBlob(*ai.image));
      BERTH_ASSIGN_OR_RETURN(Manifest m, ParseManifest(mb->data, mb->descriptor.media_type));
      json::array layers;
      for (const auto& l : m.layers) layers.emplace_back(BlobPath(l.digest));
      json::object entry{{"Config", BlobPath(m.config.digest)},
                         {"RepoTags", repo_tags.empty() ? json::value(nullptr) : json::value(repo_tags)},
                         {"Layers", std::move(layers)}};
      manifest_json.push_back(std::move(entry));
    }
  }
  tar.push_back(TarEntry{"index.json", TarEntry::Type::kFile,
                         IndexJson(media_type::kOciIndex, index_entries), "", 0644});
  if (docker_manifest) {
    tar.push_back(TarEntry{"manifest.json", TarEntry::Type::kFile, json::serialize(manifest_json), "", 0644});
  }
  return WriteTar(tar);
}

Result<std::string> WriteDockerArchive(const std::vector<ArchiveImage>& images) {
  std::vector<TarEntry> tar;
  std::set<std::string> written;
  json::array manifest_json;
  json::object repositories;
  for (const ArchiveImage& ai : images) {
    if (ai.image == nullptr) return InvalidArgument("fixture: null image");
    if (!IsManifestType(ai.image->target.media_type)) {
      return InvalidArgument("fixture: a Docker archive holds only manifest targets");
    }
    const BuiltBlob* mb = FindBlob(*ai.image, ai.image->target.digest);
    if (mb == nullptr) return Internal("fixture: target blob missing");
    BERTH_ASSIGN_OR_RETURN(Manifest m, ParseManifest(mb->data, mb->descriptor.media_type));
    const BuiltBlob* cb = FindBlob(*ai.image, m.config.digest);
    if (cb == nullptr) return Internal("fixture: config blob missing");
    std::string config_name = m.config.digest.hex() + ".json";
    if (written.insert(config_name).second) {
      tar.push_back(TarEntry{config_name, TarEntry::Type::kFile, cb->data, "", 0644});
    }
    json::array layers;
    std::string last_dir;
    for (const auto& l : m.layers) {
      const BuiltBlob* lb = FindBlob(*ai.image, l.digest);
      if (lb == nullptr) return Internal("fixture: layer blob missing");
      BERTH_ASSIGN_OR_RETURN(std::string tar_data, DecompressStream(lb->data));
      // Docker names the directory by a v1 layer ID; the diff ID's hex is as good.
      std::string dir = Digest::Of(tar_data).hex();
      if (written.insert(dir).second) {
        tar.push_back(TarEntry{dir + "/", TarEntry::Type::kDir, "", "", 0755});
        tar.push_back(TarEntry{dir + "/VERSION", TarEntry::Type::kFile, "1.0", "", 0644});
        tar.push_back(TarEntry{dir + "/json", TarEntry::Type::kFile, "{\"id\":\"" + dir + "\"}", "", 0644});
        tar.push_back(TarEntry{dir + "/layer.tar", TarEntry::Type::kFile, std::move(tar_data), "", 0644});
      }
      layers.emplace_back(dir + "/layer.tar");
      last_dir = dir;
    }
    json::array repo_tags;
    for (const std::string& name : ai.names) {
      BERTH_ASSIGN_OR_RETURN(Reference ref, NormalizeName(name));
      repo_tags.emplace_back(ref.Familiar());
      json::value& tags = repositories[ref.FamiliarName()];
      if (!tags.is_object()) tags.emplace_object();
      tags.as_object()[ref.tag] = last_dir;
    }
    manifest_json.push_back(json::object{{"Config", config_name},
                                         {"RepoTags", repo_tags.empty() ? json::value(nullptr) : json::value(repo_tags)},
                                         {"Layers", std::move(layers)}});
  }
  tar.push_back(TarEntry{"manifest.json", TarEntry::Type::kFile, json::serialize(manifest_json), "", 0644});
  if (!repositories.empty()) {
    tar.push_back(TarEntry{"repositories", TarEntry::Type::kFile, json::serialize(repositories), "", 0644});
  }
  return WriteTar(tar);
}

Status AddToStore(Store* store, const BuiltImage& image, const std::vector<std::string>& names,
                  std::map<std::string, std::string> record_labels) {
  // The lease keeps the blobs from a concurrent collection until the records
  // exist.
  std::unique_ptr<IngestLease> lease = store->images()->NewIngestLease();
  for (const BuiltBlob& b : image.blobs) {
    Result<Digest> d = lease->Put(b.data, b.descriptor.digest);
    if (!d.ok()) return d.status().Annotate("fixture: storing " + b.descriptor.digest.str());
  }
  std::vector<NewImage> records;
  auto make = [&](std::string name) {
    NewImage ni;
    ni.name = std::move(name);
    ni.target = image.target;
    ni.target.platform.reset();
    ni.target.annotations.clear();
    ni.manifests = image.manifests;
    ni.labels = record_labels;
    return ni;
  };
  if (names.empty()) records.push_back(make(""));
  for (const std::string& name : names) {
    BERTH_ASSIGN_OR_RETURN(Reference ref, NormalizeName(name));
    records.push_back(make(ref.String()));
  }
  return store->images()->CreateImages(records, ReplaceRule::kTag, "");
}

}  // namespace berth::testing
