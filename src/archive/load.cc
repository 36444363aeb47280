// docker load: one streaming pass over the archive (reader.cc), then the
// images are worked out from index.json (OCI layout) and/or manifest.json
// (Docker archive), validated completely, and created in one transaction.
//
// Decisions:
//   * index.json wins. manifest.json then only names index entries that
//     carry no name (matched by config and layer digests); without index.json
//     every manifest.json entry is an image whose Docker schema-2 manifest is
//     synthesised here (uncompressed layers, sizes and digests of the files).
//   * A child of an image index that is itself an index is not followed
//     (neither kept nor required): nested indexes are not flattened.
//   * Without a platform filter an index keeps every platform manifest that
//     is present; one that came in this archive must be complete, one found
//     only in the store is kept if complete. With a filter only the strict
//     match is kept and it must be complete; the rest need not be present.
//   * Attestation manifests are kept when present and their subject is kept.
//   * Blobs the images rely on that were already in the store are held by the
//     ingest lease too, so no collection removes them before the records exist.

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>

#include "archive/paths.h"
#include "archive/reader.h"
#include "berth/archive.h"
#include "berth/io.h"
#include "berth/reference.h"

namespace berth {

namespace {

namespace json = boost::json;
using archive::ArchiveFile;
using archive::ArchiveFiles;

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

// A tag alone ("latest", "v1.2"): what the OCI spec means by ref.name.
bool IsTagOnly(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  if (!word(s[0])) return false;
  for (char c : s) {
    if (!word(c) && c != '.' && c != '-') return false;
  }
  return true;
}

Result<std::string> NormalizedName(std::string_view s) {
  BERTH_ASSIGN_OR_RETURN(Reference ref, ParseNormalizedNamed(s));
  return TagNameOnly(std::move(ref)).String();
}

// One entry of a Docker manifest.json.
struct DockerEntry {
  std::string config;
  std::vector<std::string> repo_tags;  // as written
  std::vector<std::string> layers;
};

Result<std::vector<DockerEntry>> ParseDockerManifest(const std::string& doc) {
  auto bad = [](std::string what) { return InvalidArgument("manifest.json: " + what); };
  boost::system::error_code ec;
  json::value v = json::parse(doc, ec);
  if (ec) return bad("malformed JSON: " + ec.message());
  if (!v.is_array()) return bad("not a JSON array");
  std::vector<DockerEntry> out;
  for (const json::value& ev : v.get_array()) {
    if (!ev.is_object()) return bad("entry is not a JSON object");
    const json::object& o = ev.get_object();
    DockerEntry e;
    const json::value* c = o.if_contains("Config");
    if (c == nullptr || !c->is_string() || c->get_string().empty()) return bad("entry without a Config path");
    e.config = std::string(c->get_string());
    if (const json::value* t = o.if_contains("RepoTags"); t != nullptr && !t->is_null()) {
      if (!t->is_array()) return bad("RepoTags is not an array");
      for (const json::value& s : t->get_array()) {
        if (!s.is_string()) return bad("RepoTags holds a non-string");
        e.repo_tags.emplace_back(s.get_string());
      }
    }
    const json::value* l = o.if_contains("Layers");
    if (l == nullptr || !l->is_array()) return bad("entry without a Layers array");
    for (const json::value& s : l->get_array()) {
      if (!s.is_string()) return bad("Layers holds a non-string");
      e.layers.emplace_back(s.get_string());
    }
    out.push_back(std::move(e));
  }
  return out;
}

// The blobs a platform manifest names, for matching manifest.json entries.
struct ManifestContent {
  Digest config;
  std::vector<Digest> layers;
  bool operator==(const ManifestContent&) const = default;
};

struct TargetPlan {
  Descriptor target;
  std::vector<Digest> manifests;          // kept (index targets only)
  std::vector<ManifestContent> contents;  // of the kept platform manifests
};

struct Entry {
  Descriptor descriptor;
  std::vector<std::string> names;  // normalised; empty: unnamed
};

class Loader {
 public:
  Loader(Store* store, const LoadOptions& opts, IngestLease* lease, const ArchiveFiles* files)
      : store_(store), content_(store->blobs()), lease_(lease), files_(files) {
    if (opts.platform) {
      platform_ = *opts.platform;
      matcher_ = OnlyStrict(*opts.platform);
    }
  }

  Result<std::vector<LoadedImage>> Run() {
    auto doc = [&](const char* name) -> const std::string* {
      auto it = files_->documents.find(name);
      return it == files_->documents.end() ? nullptr : &it->second;
    };
    if (const std::string* layout = doc("oci-layout")) {
      boost::system::error_code ec;
      json::value v = json::parse(*layout, ec);
      if (ec || !v.is_object()) return InvalidArgument("oci-layout: malformed JSON");
    }
    const std::string* index_json = doc("index.json");
    const std::string* manifest_json = doc("manifest.json");
    std::vector<DockerEntry> docker;
    if (manifest_json != nullptr) {
      BERTH_ASSIGN_OR_RETURN(docker, ParseDockerManifest(*manifest_json));
    }
    std::vector<Entry> entries;
    if (index_json != nullptr) {
      BERTH_ASSIGN_OR_RETURN(entries, FromIndex(*index_json, docker));
    } else if (manifest_json != nullptr) {
      BERTH_ASSIGN_OR_RETURN(entries, FromDockerManifest(docker));
    } else {
      return InvalidArgument("invalid archive: it holds neither index.json nor manifest.json");
    }
    return Create(entries);
  }

 private:
  // True if the blob is present (committed now or before) with the
  // descriptor's size; false if absent.
  Result<bool> Present(const Descriptor& d, std::string_view what) {
    if (!files_->ingested.count(d.digest)) lease_->Add(d.digest);
    Result<BlobInfo> info = content_->Info(d.digest);
    if (!info.ok()) {
      if (info.status().code() == Code::kNotFound) return false;
      return info.status();
    }
    if (info->size != d.size) {
      return InvalidArgument(std::string(what) + " " + d.digest.str() + ": size mismatch: descriptor says " +
                             std::to_string(d.size) + " bytes, the blob has " + std::to_string(info->size));
    }
    return true;
  }

  // Checks a manifest and everything it names. With `required`, anything
  // missing is an error; otherwise an incomplete manifest gives nullopt.
  Result<std::optional<ManifestContent>> CheckManifest(const Descriptor& d, bool required, Platform* platform) {
    auto missing = [&](std::string_view what, const Digest& digest) -> Status {
      std::string m = std::string(what) + " " + digest.str();
      if (digest != d.digest) m += " of manifest " + d.digest.str();
      return InvalidArgument(m + " is missing from the archive");
    };
    BERTH_RETURN_IF_ERROR(CheckDocumentSize(d, kMaxManifestBytes, "manifest"));
    BERTH_ASSIGN_OR_RETURN(bool have, Present(d, "manifest"));
    if (!have) {
      if (required) return missing("manifest", d.digest);
      return std::optional<ManifestContent>();
    }
    BERTH_ASSIGN_OR_RETURN(std::string raw, content_->ReadAll(d.digest, kMaxManifestBytes));
    Result<Manifest> m = ParseManifest(std::move(raw), d.media_type);
    if (!m.ok()) {
      if (m.status().code() != Code::kInvalidArgument) return m.status();
      return m.status().Annotate("manifest " + d.digest.str());
    }
    ManifestContent out;
    out.config = m->config.digest;
    BERTH_RETURN_IF_ERROR(CheckDocumentSize(m->config, kMaxConfigBytes, "config"));
    BERTH_ASSIGN_OR_RETURN(have, Present(m->config, "config"));
    if (!have) {
      if (required) return missing("config", m->config.digest);
      return std::optional<ManifestContent>();
    }
    if (!IsAttestation(d)) {
      BERTH_ASSIGN_OR_RETURN(std::string cfg_raw, content_->ReadAll(m->config.digest, kMaxConfigBytes));
      Result<ImageConfig> cfg = ParseImageConfig(std::move(cfg_raw));
      if (!cfg.ok()) return cfg.status().Annotate("config " + m->config.digest.str());
      if (platform != nullptr) *platform = cfg->platform;
    }
    for (const Descriptor& l : m->layers) {
      BERTH_ASSIGN_OR_RETURN(have, Present(l, "layer"));
      if (!have) {
        if (required) return missing("layer", l.digest);
        return std::optional<ManifestContent>();
      }
      out.layers.push_back(l.digest);
    }
    return std::optional<ManifestContent>(std::move(out));
  }

  Status NoMatch(const std::string& label) {
    return NotFound("no matching manifest for " + FormatPlatform(platform_) + " in the image " + label);
  }

  Result<TargetPlan> PlanTarget(const Descriptor& desc, const std::string& label) {
    TargetPlan plan;
    plan.target = desc;
    plan.target.platform.reset();
    plan.target.annotations.erase(std::string(annotation::kContainerdImageName));
    plan.target.annotations.erase(std::string(annotation::kRefName));
    if (IsSchema1Type(desc.media_type)) return ParseManifest("", desc.media_type).status();
    if (IsManifestType(desc.media_type)) {
      Platform p;
      BERTH_ASSIGN_OR_RETURN(auto content, CheckManifest(desc, true, &p));
      if (matcher_ && !matcher_->Match(p)) return NoMatch(label);
      plan.contents.push_back(std::move(*content));
      return plan;
    }
    if (!IsIndexType(desc.media_type)) {
      return InvalidArgument("image " + label + ": unsupported media type " + Quote(desc.media_type));
    }
    BERTH_RETURN_IF_ERROR(CheckDocumentSize(desc, kMaxManifestBytes, "index"));
    BERTH_ASSIGN_OR_RETURN(bool have, Present(desc, "index"));
    if (!have) return InvalidArgument("index " + desc.digest.str() + " is missing from the archive");
    BERTH_ASSIGN_OR_RETURN(std::string raw, content_->ReadAll(desc.digest, kMaxManifestBytes));
    Result<Index> index = ParseIndex(std::move(raw), desc.media_type);
    if (!index.ok()) return index.status().Annotate("index " + desc.digest.str());
    std::set<Digest> kept;
    std::vector<const Descriptor*> attestations;
    for (const Descriptor& child : index->manifests) {
      if (!IsManifestType(child.media_type)) continue;  // nested indexes, schema 1, artifacts
      if (IsAttestation(child)) {
        attestations.push_back(&child);
        continue;
      }
      bool in_archive = files_->ingested.count(child.digest) > 0;
      std::optional<ManifestContent> content;
      if (matcher_) {
        Platform p;
        if (child.platform) {
          if (!matcher_->Match(*child.platform)) continue;
        } else {
          BERTH_ASSIGN_OR_RETURN(content, CheckManifest(child, false, &p));
          if (!content || !matcher_->Match(p)) continue;
        }
        BERTH_ASSIGN_OR_RETURN(content, CheckManifest(child, true, nullptr));
      } else {
        BERTH_ASSIGN_OR_RETURN(content, CheckManifest(child, in_archive, nullptr));
        if (!content) continue;
      }
      if (kept.insert(child.digest).second) {
        plan.manifests.push_back(child.digest);
        plan.contents.push_back(std::move(*content));
      }
    }
    if (kept.empty()) {
      if (matcher_) return NoMatch(label);
      return InvalidArgument("image " + label + ": none of the platform manifests of index " + desc.digest.str() +
                             " is in the archive");
    }
    for (const Descriptor* a : attestations) {
      auto subject = a->annotations.find(std::string(annotation::kDockerReferenceDigest));
      if (subject == a->annotations.end()) continue;
      Result<Digest> sd = Digest::Parse(subject->second);
      if (!sd.ok() || !kept.count(*sd)) continue;
      bool in_archive = files_->ingested.count(a->digest) > 0;
      BERTH_ASSIGN_OR_RETURN(auto content, CheckManifest(*a, in_archive, nullptr));
      if (content && kept.insert(a->digest).second) plan.manifests.push_back(a->digest);
    }
    return plan;
  }

  // The name an index.json entry gives its image, if any.
  Result<std::optional<std::string>> IndexEntryName(const Descriptor& d) {
    auto it = d.annotations.find(std::string(annotation::kContainerdImageName));
    if (it != d.annotations.end() && !it->second.empty()) {
      Result<std::string> name = NormalizedName(it->second);
      if (!name.ok()) {
        return InvalidArgument("index.json: invalid image name " + Quote(it->second) + ": " + name.status().message());
      }
      return std::optional<std::string>(*name);
    }
    it = d.annotations.find(std::string(annotation::kRefName));
    if (it != d.annotations.end() && !IsTagOnly(it->second)) {
      Result<std::string> name = NormalizedName(it->second);
      if (name.ok()) return std::optional<std::string>(*name);
    }
    return std::optional<std::string>();
  }

  // The content an archive path names: a blob in the store (documents are
  // stored on demand).
  Result<ArchiveFile> FileFor(const std::string& raw_path, std::string_view what) {
    BERTH_ASSIGN_OR_RETURN(std::string path, archive::NormalizeEntryPath(raw_path));
    const ArchiveFile* f = files_->Find(path);
    if (f == nullptr) {
      return InvalidArgument("manifest.json: " + std::string(what) + " " + Quote(raw_path) + " is not in the archive");
    }
    ArchiveFile out = *f;
    if (out.in_memory) {
      BERTH_ASSIGN_OR_RETURN(out.digest, lease_->Put(files_->documents.at(path), out.digest));
      out.in_memory = false;
    }
    return out;
  }

  Result<std::vector<Entry>> FromIndex(const std::string& doc, const std::vector<DockerEntry>& docker) {
    Result<Index> layout = ParseIndex(doc, "");
    if (!layout.ok()) {
      if (layout.status().code() != Code::kInvalidArgument) return layout.status();
      return layout.status().Annotate("index.json");
    }
    std::vector<Entry> entries;
    for (const Descriptor& d : layout->manifests) {
      BERTH_ASSIGN_OR_RETURN(std::optional<std::string> name, IndexEntryName(d));
      Entry e{d, {}};
      if (name) e.names.push_back(*name);
      entries.push_back(std::move(e));
    }
    for (Entry& e : entries) {
      std::string label = e.names.empty() ? e.descriptor.digest.str() : FamiliarString(e.names[0]);
      BERTH_RETURN_IF_ERROR(Plan(e.descriptor, label).status());
    }
    // manifest.json names the unnamed entries whose content it describes.
    for (const DockerEntry& de : docker) {
      if (de.repo_tags.empty()) continue;
      ManifestContent mc;
      bool resolved = true;
      auto lookup = [&](const std::string& p, Digest* out) {
        Result<std::string> path = archive::NormalizeEntryPath(p);
        const ArchiveFile* f = path.ok() ? files_->Find(*path) : nullptr;
        if (f == nullptr) {
          resolved = false;
        } else {
          *out = f->digest;
        }
      };
      lookup(de.config, &mc.config);
      for (const std::string& l : de.layers) lookup(l, &mc.layers.emplace_back());
      if (!resolved) continue;
      for (Entry& e : entries) {
        if (!e.names.empty()) continue;
        const TargetPlan& plan = plans_.at(e.descriptor.digest);
        if (std::find(plan.contents.begin(), plan.contents.end(), mc) == plan.contents.end()) continue;
        for (const std::string& tag : de.repo_tags) {
          Result<std::string> name = NormalizedName(tag);
          if (!name.ok()) {
            return InvalidArgument("manifest.json: invalid repo tag " + Quote(tag) + ": " + name.status().message());
          }
          e.names.push_back(*name);
        }
        break;
      }
    }
    return entries;
  }

  Result<const TargetPlan*> Plan(const Descriptor& d, const std::string& label) {
    auto it = plans_.find(d.digest);
    if (it == plans_.end()) {
      BERTH_ASSIGN_OR_RETURN(TargetPlan plan, PlanTarget(d, label));
      it = plans_.emplace(d.digest, std::move(plan)).first;
    }
    return &it->second;
  }

  // Media type of a Docker archive layer, from its first bytes.
  Result<std::string> SniffLayer(const Digest& d) {
    BERTH_ASSIGN_OR_RETURN(auto f, content_->OpenRead(d));
    char magic[4] = {0, 0, 0, 0};
    size_t got = 0;
    while (got < sizeof magic) {
      BERTH_ASSIGN_OR_RETURN(size_t n, f->Read(magic + got, sizeof magic - got));
      if (n == 0) break;
      got += n;
    }
    auto b = [&](int i) { return static_cast<unsigned char>(magic[i]); };
    if (got >= 2 && b(0) == 0x1f && b(1) == 0x8b) return std::string(media_type::kDockerLayerGzip);
    if (got == 4 && b(0) == 0x28 && b(1) == 0xb5 && b(2) == 0x2f && b(3) == 0xfd) {
      return std::string(media_type::kOciLayerZstd);
    }
    return std::string(media_type::kDockerLayer);
  }

  Result<std::vector<Entry>> FromDockerManifest(const std::vector<DockerEntry>& docker) {
    std::vector<Entry> entries;
    for (const DockerEntry& de : docker) {
      Entry e;
      for (const std::string& tag : de.repo_tags) {
        Result<std::string> name = NormalizedName(tag);
        if (!name.ok()) {
          return InvalidArgument("manifest.json: invalid repo tag " + Quote(tag) + ": " + name.status().message());
        }
        e.names.push_back(*name);
      }
      std::string label = de.repo_tags.empty() ? de.config : de.repo_tags[0];
      BERTH_ASSIGN_OR_RETURN(ArchiveFile cfg_file, FileFor(de.config, "config"));
      BERTH_ASSIGN_OR_RETURN(std::string cfg_raw, content_->ReadAll(cfg_file.digest, kMaxConfigBytes));
      Result<ImageConfig> cfg = ParseImageConfig(std::move(cfg_raw));
      if (!cfg.ok()) return cfg.status().Annotate("manifest.json: config " + Quote(de.config));
      if (matcher_ && !matcher_->Match(cfg->platform)) return NoMatch(label);
      if (cfg->diff_ids.size() != de.layers.size()) {
        return InvalidArgument("manifest.json: image " + label + " lists " + std::to_string(de.layers.size()) +
                               " layers but its config has " + std::to_string(cfg->diff_ids.size()) +
                               " diff IDs");
      }
      Descriptor config{std::string(media_type::kDockerConfig), cfg_file.digest, cfg_file.size, {}, {}, {}, {}};
      std::string manifest = "{\"schemaVersion\":2,\"mediaType\":\"" + std::string(media_type::kDockerManifest) +
                             "\",\"config\":" + DescriptorToJson(config) + ",\"layers\":[";
      for (size_t i = 0; i < de.layers.size(); i++) {
        BERTH_ASSIGN_OR_RETURN(ArchiveFile lf, FileFor(de.layers[i], "layer"));
        BERTH_ASSIGN_OR_RETURN(std::string mt, SniffLayer(lf.digest));
        if (mt == media_type::kDockerLayer && lf.digest != cfg->diff_ids[i]) {
          return InvalidArgument("manifest.json: layer " + Quote(de.layers[i]) + " (" + lf.digest.str() +
                                 ") does not match diff ID " + cfg->diff_ids[i].str() + " of image " + label);
        }
        if (i > 0) manifest += ",";
        manifest += DescriptorToJson(Descriptor{mt, lf.digest, lf.size, {}, {}, {}, {}});
      }
      manifest += "]}";
      BERTH_ASSIGN_OR_RETURN(Digest md, lease_->Put(manifest));
      e.descriptor = Descriptor{std::string(media_type::kDockerManifest), md,
                                static_cast<int64_t>(manifest.size()), {}, {}, {}, {}};
      TargetPlan plan;
      plan.target = e.descriptor;
      plans_[md] = std::move(plan);
      entries.push_back(std::move(e));
    }
    return entries;
  }

  Result<std::vector<LoadedImage>> Create(const std::vector<Entry>& entries) {
    std::set<Digest> named;
    for (const Entry& e : entries) {
      if (!e.names.empty()) named.insert(e.descriptor.digest);
    }
    std::vector<NewImage> images;
    std::vector<LoadedImage> loaded;
    std::set<std::pair<std::string, Digest>> seen;
    for (const Entry& e : entries) {
      const TargetPlan& plan = plans_.at(e.descriptor.digest);
      std::vector<std::string> names = e.names;
      if (names.empty()) {
        if (named.count(e.descriptor.digest)) continue;  // a named entry creates the record
        names.push_back("");
      }
      for (const std::string& name : names) {
        if (!seen.insert({name, plan.target.digest}).second) continue;
        images.push_back(NewImage{name, plan.target, plan.manifests, {}});
        loaded.push_back(LoadedImage{name.empty() ? std::string() : FamiliarString(name), plan.target.digest});
      }
    }
    BERTH_RETURN_IF_ERROR(store_->images()->CreateImages(images, ReplaceRule::kLoad, "load"));
    return loaded;
  }

  Store* store_;
  BlobReader* content_;
  IngestLease* lease_;
  const ArchiveFiles* files_;
  Platform platform_;
  std::unique_ptr<PlatformMatcher> matcher_;
  std::map<Digest, TargetPlan> plans_;
};

}  // namespace

Result<std::vector<LoadedImage>> LoadArchive(Store* store, const ReadFn& read, const LoadOptions& opts) {
  // The lease keeps what this load commits from collection until the records
  // exist; when it ends, blobs no record took up (a failed load) are removed.
  std::unique_ptr<IngestLease> lease = store->images()->NewIngestLease();
  ArchiveFiles files;
  BERTH_RETURN_IF_ERROR(archive::ReadArchive(read, lease.get(), &files, opts.limits));
  Loader loader(store, opts, lease.get(), &files);
  return loader.Run();
}

}  // namespace berth
