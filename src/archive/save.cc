// docker save: resolves every reference and works out every blob first (so
// that an unknown reference or a missing platform fails before a byte is
// written), then streams one tar: oci-layout, blobs/sha256/<hex> (each blob
// once, streamed from the content store), index.json (one entry per name,
// or one unnamed entry for an image saved by ID) and a Docker manifest.json
// (one entry per image, for its host-preferred platform manifest).
//
// An index target is written as its original blob, so digests never change;
// only the platform manifests the image retains (with opts.platform: the
// strict match alone) are written, with their configs and layers. The other
// manifests the index names are absent from the archive, which OCI-layout
// readers accept as long as nobody asks for them. An ingest lease holds every
// blob from planning to the end of the write, so a concurrent collection
// cannot remove one half-way.

#include <archive.h>
#include <archive_entry.h>

#include <boost/json.hpp>

#include <map>
#include <memory>
#include <set>

#include "berth/archive.h"
#include "berth/io.h"
#include "berth/reference.h"

namespace berth {

namespace {

namespace json = boost::json;

constexpr size_t kChunk = 1 << 20;

struct SaveImage {
  Descriptor target;
  std::string ref;                 // as the user gave it, for messages
  std::vector<std::string> names;  // normalised record names
  std::vector<Digest> manifests;   // platform and attestation manifests to write (index targets)
  Digest config;                   // manifest.json: the preferred platform's config
  std::vector<Digest> layers;      //   and layers
};

struct BlobRef {
  Digest digest;
  int64_t size = 0;
};

class Saver {
 public:
  Saver(Store* store, const SaveOptions& opts)
      : store_(store), content_(store->blobs()), lease_(store->images()->NewIngestLease()) {
    if (opts.platform) {
      platform_ = *opts.platform;
      strict_ = OnlyStrict(*opts.platform);
    }
    prefer_ = AllWithPreference(opts.platform ? *opts.platform : HostPlatform());
  }

  Status Plan(const std::vector<std::string>& refs) {
    for (const std::string& ref : refs) {
      BERTH_ASSIGN_OR_RETURN(ImageRecord rec, store_->images()->Resolve(ref));
      Result<Reference> parsed = ParseAnyReference(ref);
      // Named in the archive only when the reference named this record (not
      // an ID, short ID or digest reference).
      bool by_name = parsed.ok() && parsed->has_name() && !parsed->has_digest() && !IsDangling(rec) &&
                     TagNameOnly(*parsed).String() == rec.name;
      auto it = by_target_.find(rec.target.digest);
      if (it == by_target_.end()) {
        SaveImage img;
        img.target = rec.target;
        img.target.platform.reset();
        img.target.annotations.clear();
        img.ref = ref;
        images_.push_back(std::move(img));
        it = by_target_.emplace(rec.target.digest, images_.size() - 1).first;
      }
      SaveImage& img = images_[it->second];
      if (by_name &&
          std::find(img.names.begin(), img.names.end(), rec.name) == img.names.end()) {
        img.names.push_back(rec.name);
      }
    }
    for (SaveImage& img : images_) BERTH_RETURN_IF_ERROR(PlanImage(img));
    return OkStatus();
  }

  Status Write(const WriteFn& write) {
    write_ = &write;
    a_.reset(archive_write_new());
    if (!a_) return Internal("libarchive: out of memory");
    if (archive_write_set_format_pax_restricted(a_.get()) != ARCHIVE_OK ||
        archive_write_open(a_.get(), this, nullptr, WriteCallback, nullptr) != ARCHIVE_OK) {
      return LibError();
    }
    BERTH_RETURN_IF_ERROR(File("oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
    BERTH_RETURN_IF_ERROR(Dir("blobs/"));
    BERTH_RETURN_IF_ERROR(Dir("blobs/sha256/"));
    for (const BlobRef& b : blobs_) BERTH_RETURN_IF_ERROR(Blob(b));
    BERTH_RETURN_IF_ERROR(File("index.json", IndexJson()));
    BERTH_RETURN_IF_ERROR(File("manifest.json", DockerManifestJson()));
    if (archive_write_close(a_.get()) != ARCHIVE_OK) return LibError();
    return OkStatus();
  }

  void PublishEvents() {
    for (const SaveImage& img : images_) {
      Event e;
      e.type = "image";
      e.action = "save";
      e.actor_id = img.target.digest.str();
      e.attributes["name"] = img.target.digest.str();
      store_->events()->Publish(std::move(e));
    }
  }

 private:
  struct ArchiveDeleter {
    void operator()(struct archive* a) const { archive_write_free(a); }
  };
  struct EntryDeleter {
    void operator()(struct archive_entry* e) const { archive_entry_free(e); }
  };

  static la_ssize_t WriteCallback(struct archive* a, void* client, const void* buf, size_t n) {
    auto* self = static_cast<Saver*>(client);
    Status s = (*self->write_)(std::string_view(static_cast<const char*>(buf), n));
    if (!s.ok()) {
      if (self->write_error_.ok()) self->write_error_ = s;
      archive_set_error(a, EIO, "%s", s.message().c_str());
      return -1;
    }
    return static_cast<la_ssize_t>(n);
  }

  Status LibError() {
    if (!write_error_.ok()) return write_error_;
    const char* msg = archive_error_string(a_.get());
    return Internal(std::string("writing archive: ") + (msg ? msg : "libarchive error"));
  }

  Status Header(const std::string& path, bool dir, int64_t size) {
    std::unique_ptr<struct archive_entry, EntryDeleter> e(archive_entry_new());
    archive_entry_set_pathname(e.get(), path.c_str());
    archive_entry_set_filetype(e.get(), dir ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(e.get(), dir ? 0755 : 0644);
    archive_entry_set_size(e.get(), size);
    archive_entry_set_mtime(e.get(), 0, 0);
    if (archive_write_header(a_.get(), e.get()) != ARCHIVE_OK) return LibError();
    return OkStatus();
  }

  Status Data(std::string_view data) {
    while (!data.empty()) {
      la_ssize_t n = archive_write_data(a_.get(), data.data(), data.size());
      if (n <= 0) return LibError();
      data.remove_prefix(static_cast<size_t>(n));
    }
    return OkStatus();
  }

  Status Dir(const std::string& path) { return Header(path, true, 0); }

  Status File(const std::string& path, std::string_view data) {
    BERTH_RETURN_IF_ERROR(Header(path, false, static_cast<int64_t>(data.size())));
    return Data(data);
  }

  Status Blob(const BlobRef& b) {
    BERTH_ASSIGN_OR_RETURN(std::unique_ptr<SequentialFile> f, content_->OpenRead(b.digest));
    BERTH_RETURN_IF_ERROR(Header("blobs/sha256/" + b.digest.hex(), false, b.size));
    std::vector<char> buf(kChunk);
    int64_t total = 0;
    for (;;) {
      BERTH_ASSIGN_OR_RETURN(size_t n, f->Read(buf.data(), buf.size()));
      if (n == 0) break;
      total += static_cast<int64_t>(n);
      if (total > b.size) break;
      BERTH_RETURN_IF_ERROR(Data(std::string_view(buf.data(), n)));
    }
    if (total != b.size) {
      return DataLoss("blob " + b.digest.str() + " changed size while being saved");
    }
    return OkStatus();
  }

  // Records a blob to write (once) after checking it is present.
  Status Need(const Digest& d, const std::string& ref) {
    if (written_.count(d)) return OkStatus();
    lease_->Add(d);  // no collection removes it before it is written
    Result<BlobInfo> info = content_->Info(d);
    if (!info.ok()) {
      if (info.status().code() == Code::kNotFound) {
        return NotFound("content " + d.str() + " of image " + ref + " is not available");
      }
      return info.status();
    }
    written_.insert(d);
    blobs_.push_back(BlobRef{d, info->size});
    return OkStatus();
  }

  struct Chosen {
    Digest digest;
    Manifest manifest;
    Platform platform;
    bool attestation = false;
  };

  Result<Chosen> LoadManifest(const Descriptor& d) {
    Chosen c;
    c.digest = d.digest;
    BERTH_ASSIGN_OR_RETURN(std::string raw, content_->ReadAll(d.digest, kMaxManifestBytes));
    BERTH_ASSIGN_OR_RETURN(c.manifest, ParseManifest(std::move(raw), d.media_type));
    c.attestation = IsAttestation(d);
    if (c.attestation) return c;
    if (d.platform) {
      c.platform = *d.platform;
    } else {
      BERTH_ASSIGN_OR_RETURN(std::string cfg_raw, content_->ReadAll(c.manifest.config.digest, kMaxConfigBytes));
      BERTH_ASSIGN_OR_RETURN(ImageConfig cfg, ParseImageConfig(std::move(cfg_raw)));
      c.platform = cfg.platform;
    }
    return c;
  }

  Status NoPlatform(const SaveImage& img) {
    return NotFound("image " + img.ref + " was found but does not provide the specified platform (" +
                    FormatPlatform(platform_) + ")");
  }

  Status PlanImage(SaveImage& img) {
    std::vector<Chosen> chosen;
    if (IsManifestType(img.target.media_type)) {
      BERTH_ASSIGN_OR_RETURN(Chosen c, LoadManifest(img.target));
      if (strict_ && !strict_->Match(c.platform)) return NoPlatform(img);
      chosen.push_back(std::move(c));
    } else if (IsIndexType(img.target.media_type)) {
      BERTH_ASSIGN_OR_RETURN(std::vector<Digest> refs, store_->images()->RetainedBy(img.target.digest));
      std::set<Digest> retained(refs.begin(), refs.end());
      retained.erase(img.target.digest);
      BERTH_ASSIGN_OR_RETURN(std::string raw, content_->ReadAll(img.target.digest, kMaxManifestBytes));
      BERTH_ASSIGN_OR_RETURN(Index index, ParseIndex(std::move(raw), img.target.media_type));
      std::vector<Chosen> all;
      for (const Descriptor& d : index.manifests) {
        if (!IsManifestType(d.media_type) || !retained.count(d.digest) || !content_->Exists(d.digest)) continue;
        BERTH_ASSIGN_OR_RETURN(Chosen c, LoadManifest(d));
        all.push_back(std::move(c));
      }
      if (strict_) {
        for (Chosen& c : all) {
          if (!c.attestation && strict_->Match(c.platform)) {
            chosen.push_back(std::move(c));
            break;
          }
        }
        if (chosen.empty()) return NoPlatform(img);
      } else {
        chosen = std::move(all);
      }
    } else {
      return InvalidArgument("image " + img.ref + " has an unsupported media type " + img.target.media_type);
    }
    const Chosen* best = nullptr;
    for (const Chosen& c : chosen) {
      if (c.attestation || !prefer_->Match(c.platform)) continue;
      if (best == nullptr || prefer_->Less(c.platform, best->platform)) best = &c;
    }
    for (const Chosen& c : chosen) {
      for (const Descriptor& l : c.manifest.layers) BERTH_RETURN_IF_ERROR(Need(l.digest, img.ref));
      BERTH_RETURN_IF_ERROR(Need(c.manifest.config.digest, img.ref));
      BERTH_RETURN_IF_ERROR(Need(c.digest, img.ref));
      if (c.digest != img.target.digest) img.manifests.push_back(c.digest);
    }
    if (best != nullptr) {
      img.config = best->manifest.config.digest;
      for (const Descriptor& l : best->manifest.layers) img.layers.push_back(l.digest);
    }
    return Need(img.target.digest, img.ref);
  }

  std::string IndexJson() const {
    std::string out = "{\"schemaVersion\":2,\"mediaType\":\"" + std::string(media_type::kOciIndex) +
                      "\",\"manifests\":[";
    bool first = true;
    auto add = [&](const Descriptor& d) {
      if (!first) out += ",";
      first = false;
      out += DescriptorToJson(d);
    };
    for (const SaveImage& img : images_) {
      if (img.names.empty()) add(img.target);
      for (const std::string& name : img.names) {
        Descriptor d = img.target;
        d.annotations[std::string(annotation::kContainerdImageName)] = name;
        Result<Reference> ref = ParseNamed(name);
        if (ref.ok() && ref->has_tag()) d.annotations[std::string(annotation::kRefName)] = ref->tag;
        add(d);
      }
    }
    return out + "]}";
  }

  std::string DockerManifestJson() const {
    json::array out;
    for (const SaveImage& img : images_) {
      if (img.config.empty()) continue;  // no platform manifest to describe
      json::object e;
      e["Config"] = "blobs/sha256/" + img.config.hex();
      if (img.names.empty()) {
        e["RepoTags"] = nullptr;
      } else {
        json::array tags;
        for (const std::string& n : img.names) tags.emplace_back(FamiliarString(n));
        e["RepoTags"] = std::move(tags);
      }
      json::array layers;
      for (const Digest& l : img.layers) layers.emplace_back("blobs/sha256/" + l.hex());
      e["Layers"] = std::move(layers);
      out.push_back(std::move(e));
    }
    return json::serialize(out);
  }

  Store* store_;
  BlobReader* content_;
  std::unique_ptr<IngestLease> lease_;
  Platform platform_;
  std::unique_ptr<PlatformMatcher> strict_;
  std::unique_ptr<PlatformMatcher> prefer_;
  std::vector<SaveImage> images_;
  std::map<Digest, size_t> by_target_;
  std::vector<BlobRef> blobs_;
  std::set<Digest> written_;
  const WriteFn* write_ = nullptr;
  Status write_error_;
  std::unique_ptr<struct archive, ArchiveDeleter> a_;
};

}  // namespace

Status SaveArchive(Store* store, const std::vector<std::string>& refs, const SaveOptions& opts,
                   const WriteFn& write) {
  Saver saver(store, opts);
  BERTH_RETURN_IF_ERROR(saver.Plan(refs));
  BERTH_RETURN_IF_ERROR(saver.Write(write));
  saver.PublishEvents();
  return OkStatus();
}

}  // namespace berth
