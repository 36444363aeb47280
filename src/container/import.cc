// docker import: a filesystem tarball becomes a one-layer image, as dockerd
// 28.2's containerd image service makes it (daemon/containerd/image_import.go):
// a gzip or zstd tarball is stored as it came, a plain, bzip2 or xz one is
// stored gzip-compressed; an OCI config (the host or requested platform,
// the `--change` instructions, one diff ID, one history entry whose comment
// is the message and which has no created_by) and an OCI manifest; the
// image named repo:tag, or dangling. Before any record is written the layer
// is unpacked into its snapshot, so a tarball the snapshotter refuses
// (paths escaping the layer, a non-directory root, no tar at all) fails the
// import and leaves the store as it was.

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include <boost/json.hpp>
#include <memory>
#include <vector>

#include "base/libarchive_filters.h"
#include "berth/io.h"
#include "berth/log.h"
#include "berth/reference.h"
#include "berth/time.h"
#include "container/internal.h"

namespace berth::container {

namespace json = boost::json;

namespace {

constexpr size_t kChunk = 1 << 20;

enum class InputCompression { kNone, kGzip, kZstd, kBzip2, kXz };

InputCompression Detect(std::string_view head) {
  auto starts = [&](std::string_view magic) { return head.substr(0, magic.size()) == magic; };
  if (starts("\x1f\x8b")) return InputCompression::kGzip;
  if (starts("\x28\xb5\x2f\xfd")) return InputCompression::kZstd;
  if (starts("BZh")) return InputCompression::kBzip2;
  if (starts(std::string_view("\xfd\x37\x7a\x58\x5a\x00", 6))) return InputCompression::kXz;
  return InputCompression::kNone;
}

// Gzip (deflate with a gzip header, no name, mtime 0) into a ContentWriter.
class GzipSink {
 public:
  explicit GzipSink(ContentWriter* out) : out_(out) {
    z_ = {};
    ok_ = deflateInit2(&z_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
    buf_.resize(kChunk);
  }
  ~GzipSink() {
    if (ok_) deflateEnd(&z_);
  }
  Status Write(std::string_view data) { return Deflate(data, Z_NO_FLUSH); }
  Status Finish() { return Deflate({}, Z_FINISH); }

 private:
  Status Deflate(std::string_view data, int flush) {
    if (!ok_) return Internal("zlib: deflateInit2 failed");
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z_.avail_in = static_cast<uInt>(data.size());
    for (;;) {
      z_.next_out = reinterpret_cast<Bytef*>(buf_.data());
      z_.avail_out = static_cast<uInt>(buf_.size());
      int r = deflate(&z_, flush);
      if (r == Z_STREAM_ERROR) return Internal("zlib: deflate failed");
      size_t n = buf_.size() - z_.avail_out;
      if (n > 0) BERTH_RETURN_IF_ERROR(out_->Write(std::string_view(buf_.data(), n)));
      if (flush == Z_FINISH ? r == Z_STREAM_END : (z_.avail_in == 0 && z_.avail_out != 0)) return OkStatus();
    }
  }

  ContentWriter* out_;
  z_stream z_;
  bool ok_ = false;
  std::vector<char> buf_;
};

// The request body as libarchive's input: the first bytes (read ahead to
// detect the compression) first, then the rest; with `tee`, every byte read
// is also written there (an already compressed tarball is stored as is).
struct Source {
  const ReadFn* read = nullptr;
  std::string head;
  bool head_given = false;
  std::vector<char> buf;
  ContentWriter* tee = nullptr;
  Status error;

  Result<size_t> Next() {
    BERTH_ASSIGN_OR_RETURN(size_t n, (*read)(buf.data(), buf.size()));
    if (n > 0 && tee != nullptr) BERTH_RETURN_IF_ERROR(tee->Write(std::string_view(buf.data(), n)));
    return n;
  }
};

la_ssize_t SourceRead(struct archive* a, void* client, const void** out) {
  auto* s = static_cast<Source*>(client);
  if (!s->head_given) {
    s->head_given = true;
    if (s->tee != nullptr) {
      Status w = s->tee->Write(s->head);
      if (!w.ok()) {
        s->error = w;
        archive_set_error(a, EIO, "%s", w.message().c_str());
        return -1;
      }
    }
    *out = s->head.data();
    return static_cast<la_ssize_t>(s->head.size());
  }
  Result<size_t> n = s->Next();
  if (!n.ok()) {
    s->error = n.status();
    archive_set_error(a, EIO, "%s", n.status().message().c_str());
    return -1;
  }
  *out = s->buf.data();
  return static_cast<la_ssize_t>(*n);
}

struct ReadDeleter {
  void operator()(struct archive* a) const { archive_read_free(a); }
};

struct IngestedLayer {
  std::string media_type;
  Digest diff_id;
  int64_t size = 0;  // of the stored blob
};

// Reads the tarball from `read` into `out` (as is, or gzip-compressed) and
// hashes its uncompressed stream.
Result<IngestedLayer> IngestLayer(const ReadFn& read, ContentWriter* out) {
  Source src;
  src.read = &read;
  src.buf.resize(kChunk);
  while (src.head.size() < 6) {
    char b[6];
    BERTH_ASSIGN_OR_RETURN(size_t n, read(b, sizeof b - src.head.size()));
    if (n == 0) break;
    src.head.append(b, n);
  }
  if (src.head.empty()) return InvalidArgument("the archive to import is empty");
  InputCompression comp = Detect(src.head);
  IngestedLayer layer;
  std::unique_ptr<GzipSink> gzip;
  if (comp == InputCompression::kGzip || comp == InputCompression::kZstd) {
    layer.media_type = std::string(comp == InputCompression::kGzip ? media_type::kOciLayerGzip
                                                                    : media_type::kOciLayerZstd);
    src.tee = out;
  } else {
    layer.media_type = std::string(media_type::kOciLayerGzip);
    gzip = std::make_unique<GzipSink>(out);
  }
  std::unique_ptr<struct archive, ReadDeleter> a(archive_read_new());
  if (!a) return Internal("libarchive: out of memory");
  BERTH_RETURN_IF_ERROR(EnableBuiltinDecompression(a.get()));
  archive_read_support_format_raw(a.get());
  auto fail = [&](std::string_view what) -> Status {
    if (!src.error.ok()) return src.error;
    const char* msg = archive_error_string(a.get());
    return InvalidArgument(std::string(what) + ": " + (msg ? msg : "unknown libarchive error"));
  };
  if (archive_read_open(a.get(), &src, nullptr, SourceRead, nullptr) != ARCHIVE_OK) {
    return fail("reading the archive to import");
  }
  struct archive_entry* entry = nullptr;
  int r = archive_read_next_header(a.get(), &entry);
  if (r != ARCHIVE_OK && r != ARCHIVE_EOF) return fail("reading the archive to import");
  Sha256 sha;
  std::vector<char> plain(kChunk);
  while (r == ARCHIVE_OK) {
    la_ssize_t n = archive_read_data(a.get(), plain.data(), plain.size());
    if (n < 0) return fail("decompressing the archive to import");
    if (n == 0) break;
    std::string_view piece(plain.data(), static_cast<size_t>(n));
    sha.Update(piece);
    if (gzip) BERTH_RETURN_IF_ERROR(gzip->Write(piece));
  }
  // Whatever follows the compressed stream is part of the stored blob too,
  // and the body must be read to its end.
  for (;;) {
    BERTH_ASSIGN_OR_RETURN(size_t n, src.Next());
    if (n == 0) break;
  }
  if (gzip) BERTH_RETURN_IF_ERROR(gzip->Finish());
  layer.diff_id = sha.Finish();
  layer.size = out->written();
  return layer;
}

}  // namespace

Result<Digest> ContainerServiceImpl::Import(const ReadFn& tar, const ImportOptions& opts) {
  std::string name;
  if (!opts.reference.empty()) {
    BERTH_ASSIGN_OR_RETURN(Reference ref, ParseNormalizedNamed(opts.reference));
    if (ref.has_digest()) return InvalidArgument("cannot import digest reference");
    name = TagNameOnly(std::move(ref)).String();
  }
  // The changes are checked before the body is read, as dockerd does.
  BERTH_ASSIGN_OR_RETURN(std::string changed, ApplyChanges("", opts.changes));
  Platform platform = opts.platform ? *opts.platform : HostPlatform();

  auto lease = store_->images()->NewIngestLease();
  BERTH_ASSIGN_OR_RETURN(auto writer, lease->NewWriter());
  BERTH_ASSIGN_OR_RETURN(IngestedLayer layer, IngestLayer(tar, writer.get()));
  BERTH_ASSIGN_OR_RETURN(Digest blob, lease->Commit(*writer, layer.size, {}));
  Descriptor layer_desc;
  layer_desc.media_type = layer.media_type;
  layer_desc.digest = blob;
  layer_desc.size = layer.size;

  // Unpacking now is the check that the snapshotter takes this layer (and
  // leaves it ready for `docker run`).
  Result<PreparedLayers> prepared = snaps_->Prepare({LayerSpec{layer_desc, layer.diff_id}});
  if (!prepared.ok()) {
    const Status& s = prepared.status();
    if (s.code() == Code::kInvalidArgument || s.code() == Code::kDataLoss) {
      return InvalidArgument("invalid archive to import: " + s.message());
    }
    return s;
  }
  const Digest chain = ChainId({layer.diff_id});
  auto drop_snapshot = [&] {
    if (prepared->unpacked > 0) LogIfError(snaps_->Remove(chain), "remove snapshot " + chain.str() + " of a failed import");
  };

  std::string now = FormatRfc3339Nanos(store_->env()->NowUnixNanos());
  json::object history{{"created", now}};
  if (!opts.message.empty()) history["comment"] = opts.message;
  json::object config{{"created", now}};
  json::value plat = json::parse(PlatformToJson(platform));
  for (auto& [k, v] : plat.as_object()) config[k] = v;
  config["config"] = json::parse(changed);
  config["rootfs"] = json::object{{"type", "layers"}, {"diff_ids", json::array{json::value(layer.diff_id.str())}}};
  config["history"] = json::array{std::move(history)};
  std::string config_bytes = json::serialize(config);
  Result<Digest> config_digest = lease->Put(config_bytes);
  if (!config_digest.ok()) {
    drop_snapshot();
    return config_digest.status();
  }
  json::object manifest{{"schemaVersion", 2},
                        {"mediaType", std::string(media_type::kOciManifest)},
                        {"config", json::object{{"mediaType", std::string(media_type::kOciConfig)},
                                                {"digest", config_digest->str()},
                                                {"size", static_cast<int64_t>(config_bytes.size())}}},
                        {"layers", json::array{json::parse(DescriptorToJson(layer_desc))}}};
  std::string manifest_bytes = json::serialize(manifest);
  Result<Digest> manifest_digest = lease->Put(manifest_bytes);
  if (!manifest_digest.ok()) {
    drop_snapshot();
    return manifest_digest.status();
  }
  NewImage ni;
  ni.name = name;
  ni.target.media_type = std::string(media_type::kOciManifest);
  ni.target.digest = *manifest_digest;
  ni.target.size = static_cast<int64_t>(manifest_bytes.size());
  Status created = store_->images()->CreateImages({ni}, ReplaceRule::kTag, "import");  // createOrReplaceImage
  if (!created.ok()) {
    drop_snapshot();
    return created;
  }
  return *manifest_digest;
}

}  // namespace berth::container
