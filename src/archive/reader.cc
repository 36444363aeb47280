// The streaming read of an archive (see reader.h): libarchive over a ReadFn,
// every blob straight into a content writer, never a layer in memory.

#include "archive/reader.h"

#include <archive.h>
#include <archive_entry.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "archive/paths.h"
#include "base/libarchive_filters.h"
#include "berth/io.h"

namespace berth::archive {

namespace {

constexpr size_t kBufferSize = 1 << 20;

struct ReadContext {
  const ReadFn* read = nullptr;
  std::vector<char> buffer;
  Status error;  // the ReadFn's failure, if any
};

la_ssize_t ReadCallback(struct archive* a, void* client, const void** out) {
  auto* ctx = static_cast<ReadContext*>(client);
  Result<size_t> n = (*ctx->read)(ctx->buffer.data(), ctx->buffer.size());
  if (!n.ok()) {
    ctx->error = n.status();
    archive_set_error(a, EIO, "%s", n.status().message().c_str());
    return -1;
  }
  *out = ctx->buffer.data();
  return static_cast<la_ssize_t>(*n);
}

struct ArchiveDeleter {
  void operator()(struct archive* a) const { archive_read_free(a); }
};

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Top-level JSON documents, kept in memory.
bool IsDocument(const std::string& path) {
  if (path.find('/') != std::string::npos) return false;
  return EndsWith(path, ".json") || path == "oci-layout" || path == "repositories";
}

// A legacy Docker archive's per-layer "<id>/json" and "<id>/VERSION".
bool IsLegacyLayerMetadata(const std::string& path) {
  size_t slash = path.find('/');
  if (slash == std::string::npos || path.find('/', slash + 1) != std::string::npos) return false;
  std::string_view base = std::string_view(path).substr(slash + 1);
  return base == "json" || base == "VERSION";
}

class Reader {
 public:
  Reader(const ReadFn& read, IngestLease* lease, ArchiveFiles* out,
         const DecompressionLimits& limits)
      : lease_(lease), out_(out), limits_(limits) {
    ctx_.read = &read;
    ctx_.buffer.resize(kBufferSize);
    data_.resize(kBufferSize);
  }

  Status Run() {
    a_.reset(archive_read_new());
    if (!a_) return Internal("libarchive: out of memory");
    BERTH_RETURN_IF_ERROR(EnableBuiltinDecompression(a_.get()));
    archive_read_support_format_tar(a_.get());
    if (archive_read_open(a_.get(), &ctx_, nullptr, ReadCallback, nullptr) != ARCHIVE_OK) return LibError();
    for (;;) {
      struct archive_entry* entry = nullptr;
      int r = archive_read_next_header(a_.get(), &entry);
      if (r == ARCHIVE_EOF) break;
      if (r == ARCHIVE_RETRY) continue;
      if (r < ARCHIVE_WARN) return LibError();
      BERTH_RETURN_IF_ERROR(CheckLimits());
      BERTH_RETURN_IF_ERROR(Entry(entry));
    }
    BERTH_RETURN_IF_ERROR(CheckLimits());
    return ResolveLinks();
  }

 private:
  Status LibError() {
    if (!ctx_.error.ok()) return ctx_.error;
    const char* msg = archive_error_string(a_.get());
    return InvalidArgument(std::string("invalid archive: ") + (msg ? msg : "unreadable input"));
  }

  // A compressed archive is held to the decompression limits (a plain tar
  // is as large as what was sent).
  Status CheckLimits() {
    if (archive_filter_count(a_.get()) <= 1) return OkStatus();
    return CheckDecompression(limits_, archive_filter_bytes(a_.get(), -1), archive_filter_bytes(a_.get(), 0),
                              "the archive");
  }

  Status Entry(struct archive_entry* entry) {
    const char* name = archive_entry_pathname(entry);
    if (name == nullptr) return InvalidArgument("invalid archive: entry without a name");
    BERTH_ASSIGN_OR_RETURN(std::string path, NormalizeEntryPath(name));
    if (const char* hl = archive_entry_hardlink(entry); hl != nullptr) {
      Result<std::string> target = NormalizeEntryPath(hl);
      if (!target.ok()) return target.status().Annotate("hardlink " + Quote(path));
      return AddLink(path, *target);
    }
    if (path.empty()) return OkStatus();  // the archive root "./"
    switch (archive_entry_filetype(entry)) {
      case AE_IFDIR:
        return OkStatus();
      case AE_IFLNK: {
        const char* target = archive_entry_symlink(entry);
        BERTH_ASSIGN_OR_RETURN(std::string resolved, ResolveSymlink(path, target ? target : ""));
        return AddLink(path, resolved);
      }
      case AE_IFREG:
        return RegularFile(path, entry);
      default:
        return InvalidArgument("archive entry " + Quote(path) +
                               " is not a regular file, directory or link (unsupported type)");
    }
  }

  Status AddLink(const std::string& path, const std::string& target) {
    if (path == target) return InvalidArgument("link " + Quote(path) + " points to itself");
    out_->files.erase(path);
    out_->documents.erase(path);
    links_[path] = target;
    return OkStatus();
  }

  Status RegularFile(const std::string& path, struct archive_entry* entry) {
    links_.erase(path);
    std::string hex;
    if (IsBlobPath(path, &hex)) {
      BERTH_ASSIGN_OR_RETURN(Digest expected, Digest::FromHex(hex));
      return Ingest(path, expected);
    }
    if (path == "blobs" || path.rfind("blobs/", 0) == 0) {
      return InvalidArgument("archive entry " + Quote(path) +
                             ": unsupported blob path (expected blobs/sha256/<64 hex digits>)");
    }
    if (IsDocument(path)) return Document(path, entry);
    if (IsLegacyLayerMetadata(path)) return Skip();
    return Ingest(path, Digest());
  }

  Status Skip() {
    if (archive_read_data_skip(a_.get()) != ARCHIVE_OK) return LibError();
    return OkStatus();
  }

  // Streams the entry's data into the content store.
  Status Ingest(const std::string& path, const Digest& expected) {
    BERTH_ASSIGN_OR_RETURN(std::unique_ptr<ContentWriter> writer, lease_->NewWriter());
    for (;;) {
      la_ssize_t n = archive_read_data(a_.get(), data_.data(), data_.size());
      if (n < 0) return LibError();
      if (n == 0) break;
      BERTH_RETURN_IF_ERROR(CheckLimits());
      BERTH_RETURN_IF_ERROR(writer->Write(std::string_view(data_.data(), static_cast<size_t>(n))));
    }
    int64_t size = writer->written();
    Result<Digest> d = lease_->Commit(*writer, -1, expected);
    if (!d.ok()) {
      if (!expected.empty() && d.status().code() == Code::kInvalidArgument) {
        return InvalidArgument("archive entry " + Quote(path) + " does not match its digest: " +
                               d.status().message());
      }
      return d.status().Annotate("archive entry " + Quote(path));
    }
    out_->files[path] = ArchiveFile{*d, size, false};
    out_->ingested.insert(*d);
    return OkStatus();
  }

  Status Document(const std::string& path, struct archive_entry* entry) {
    auto too_large = [&]() {
      return InvalidArgument("archive entry " + Quote(path) + " is too large for a metadata document (limit " +
                             std::to_string(kMaxDocumentSize >> 20) + " MiB)");
    };
    if (archive_entry_size_is_set(entry) && archive_entry_size(entry) > kMaxDocumentSize) return too_large();
    std::string doc;
    for (;;) {
      la_ssize_t n = archive_read_data(a_.get(), data_.data(), data_.size());
      if (n < 0) return LibError();
      if (n == 0) break;
      BERTH_RETURN_IF_ERROR(CheckLimits());
      doc.append(data_.data(), static_cast<size_t>(n));
      if (static_cast<int64_t>(doc.size()) > kMaxDocumentSize) return too_large();
    }
    BERTH_RETURN_IF_ERROR(CountDocument(static_cast<int64_t>(doc.size())));
    out_->files[path] = ArchiveFile{Digest::Of(doc), static_cast<int64_t>(doc.size()), true};
    out_->documents[path] = std::move(doc);
    return OkStatus();
  }

  // Adds a document kept in memory (read, or copied for a link) to the total.
  Status CountDocument(int64_t size) {
    documents_total_ += size;
    if (documents_total_ > kMaxDocumentsTotal) {
      return InvalidArgument("archive holds more than " + std::to_string(kMaxDocumentsTotal >> 20) +
                             " MiB of metadata documents");
    }
    return OkStatus();
  }

  // Gives every link the content of the regular file it (finally) names. A
  // link to a document gets its own copy, which counts towards the limit on
  // all documents (many links to one large document must not multiply it).
  Status ResolveLinks() {
    for (const auto& [path, first] : links_) {
      std::string cur = first;
      for (int hops = 0;; hops++) {
        auto f = out_->files.find(cur);
        if (f != out_->files.end()) {
          ArchiveFile file = f->second;
          if (file.in_memory) {
            BERTH_RETURN_IF_ERROR(CountDocument(file.size));
            out_->documents[path] = out_->documents[cur];
          }
          out_->files[path] = file;
          break;
        }
        auto l = links_.find(cur);
        if (l == links_.end() || hops >= 32) {
          return InvalidArgument("link " + Quote(path) + " -> " + Quote(first) +
                                 " does not name a regular file in the archive");
        }
        cur = l->second;
      }
      std::string hex;
      if (IsBlobPath(path, &hex) && out_->files[path].digest.hex() != hex) {
        return InvalidArgument("archive entry " + Quote(path) + " is a link to " + Quote(first) +
                               ", whose content does not match the blob's digest");
      }
    }
    return OkStatus();
  }

  IngestLease* lease_;
  ArchiveFiles* out_;
  const DecompressionLimits limits_;
  ReadContext ctx_;
  std::vector<char> data_;
  std::unique_ptr<struct archive, ArchiveDeleter> a_;
  std::map<std::string, std::string> links_;  // link path -> normalised target path
  int64_t documents_total_ = 0;
};

}  // namespace

Status ReadArchive(const ReadFn& read, IngestLease* lease, ArchiveFiles* out,
                   const DecompressionLimits& limits) {
  Reader reader(read, lease, out, limits);
  return reader.Run();
}

}  // namespace berth::archive
