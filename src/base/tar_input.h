// A tar stream read by libarchive from a ReadFn, as the builder (the build
// context) and the snapshot module (ExtractTarInto) read one. Header-only:
// the caller links libarchive.
//
// The docker CLI's `-f -` context ends right after the last file's data (no
// padding to 512 bytes, no end blocks), which Go's tar reader takes as the
// end of the archive: at the input's end the stream is completed with zeros
// to the next 512-byte boundary and two zero blocks, so libarchive reads the
// same archive.
//
// Thread-safety: one thread at a time (libarchive's reader is not
// thread-safe). The ReadFn, and a sink, must outlive the TarInput.
#pragma once

#include <archive.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/libarchive_filters.h"
#include "berth/io.h"
#include "berth/status.h"

namespace berth {

// Where the input's bytes land when the caller keeps them (the builder
// spools its context): Tail() hands out the buffer the next read fills,
// Commit(n) says its first n bytes were filled.
class TarInputSink {
 public:
  virtual ~TarInputSink() = default;
  virtual Result<std::pair<char*, size_t>> Tail() = 0;
  virtual Status Commit(size_t n) = 0;
};

class TarInput {
 public:
  // `sink` may be null: the bytes then go through a buffer of the input's.
  explicit TarInput(const ReadFn& read, TarInputSink* sink = nullptr) : read_(&read), sink_(sink) {}
  TarInput(const TarInput&) = delete;
  TarInput& operator=(const TarInput&) = delete;

  // Creates the reader (tar and GNU tar; the decompression filters of
  // EnableBuiltinDecompression) and opens it on the input. Setup errors are
  // Internal; a stream libarchive refuses at once is Failure(prefix,
  // "reading the archive").
  [[nodiscard]] Status Open(std::string_view prefix) {
    a_.reset(archive_read_new());
    if (!a_) return Internal("libarchive: out of memory");
    BERTH_RETURN_IF_ERROR(EnableBuiltinDecompression(a_.get()));
    archive_read_support_format_tar(a_.get());
    archive_read_support_format_gnutar(a_.get());
    if (archive_read_open(a_.get(), this, nullptr, &TarInput::ReadCallback, nullptr) != ARCHIVE_OK) {
      return Failure(prefix, "reading the archive");
    }
    return OkStatus();
  }

  // The reader, once Open succeeded.
  struct archive* archive() const {
    return a_.get();
  }

  // The error of a failed libarchive call: the read's own error when the
  // input failed, else InvalidArgument "<prefix>: <what>: <libarchive's
  // message>".
  [[nodiscard]] Status Failure(std::string_view prefix, std::string_view what) const {
    if (!read_error_.ok()) return read_error_;
    const char* msg = a_ ? archive_error_string(a_.get()) : nullptr;
    return InvalidArgument(std::string(prefix) + ": " + std::string(what) + ": " +
                           (msg ? msg : "unknown libarchive error"));
  }

 private:
  struct Free {
    void operator()(struct archive* a) const { archive_read_free(a); }
  };

  static la_ssize_t ReadCallback(struct archive* a, void* client, const void** out) {
    auto* in = static_cast<TarInput*>(client);
    auto failed = [&](const Status& st) -> la_ssize_t {
      in->read_error_ = st;
      archive_set_error(a, EIO, "%s", st.message().c_str());
      return -1;
    };
    std::pair<char*, size_t> into(in->buf_.data(), in->buf_.size());
    if (in->sink_) {
      Result<std::pair<char*, size_t>> tail = in->sink_->Tail();
      if (!tail.ok()) return failed(tail.status());
      into = *tail;
    }
    Result<size_t> n = (*in->read_)(into.first, into.second);
    if (!n.ok()) return failed(n.status());
    if (*n == 0 && !in->padded_) {
      in->padded_ = true;
      size_t pad = static_cast<size_t>((512 - in->total_ % 512) % 512) + 1024;
      std::fill(in->buf_.begin(), in->buf_.begin() + static_cast<std::ptrdiff_t>(pad), 0);
      *out = in->buf_.data();
      return static_cast<la_ssize_t>(pad);
    }
    if (in->sink_) {
      if (Status st = in->sink_->Commit(*n); !st.ok()) return failed(st);
    }
    in->total_ += *n;
    *out = into.first;
    return static_cast<la_ssize_t>(*n);
  }

  const ReadFn* read_;
  TarInputSink* sink_;
  uint64_t total_ = 0;   // bytes of the input
  bool padded_ = false;  // the zeros were given
  std::vector<char> buf_ = std::vector<char>(1 << 20);
  Status read_error_;
  std::unique_ptr<struct archive, Free> a_;
};

}  // namespace berth
