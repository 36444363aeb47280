// Content digests: "sha256:<64 lowercase hex>", and streaming SHA-256.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "berth/status.h"

namespace berth {

// A validated sha256 digest. Only sha256 is supported (as Docker does for
// content it creates); other algorithms are InvalidArgument.
class Digest {
 public:
  Digest() = default;  // empty, invalid; only for containers/default members

  // Parses "sha256:<64 lowercase hex>". Errors (InvalidArgument) say what is
  // wrong: "invalid digest \"x\": unsupported digest algorithm",
  // "... invalid checksum digest length", "... invalid checksum digest format".
  static Result<Digest> Parse(std::string_view s);
  // From 64 lowercase hex characters alone.
  static Result<Digest> FromHex(std::string_view hex);
  // SHA-256 of `data`.
  static Digest Of(std::string_view data);

  bool empty() const { return hex_.empty(); }
  const std::string& hex() const { return hex_; }
  std::string algorithm() const { return "sha256"; }
  std::string str() const { return empty() ? std::string() : "sha256:" + hex_; }
  // First 12 hex characters (Docker's stringid.TruncateID).
  std::string Short() const { return hex_.substr(0, 12); }

  auto operator<=>(const Digest&) const = default;

 private:
  std::string hex_;
};

// True if `s` is 64 lowercase hex characters.
bool IsSha256Hex(std::string_view s);

// Streaming SHA-256 (OpenSSL EVP). Not thread-safe; one per stream.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t size);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  // Finishes the hash; the object must not be updated afterwards. Calling
  // Finish again returns the same digest.
  Digest Finish();
  uint64_t bytes() const { return bytes_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint64_t bytes_ = 0;
};

}  // namespace berth

template <>
struct std::hash<berth::Digest> {
  size_t operator()(const berth::Digest& d) const noexcept { return std::hash<std::string>()(d.hex()); }
};
