// Digest parsing and streaming SHA-256 over OpenSSL's EVP interface.

#include "berth/digest.h"

#include <openssl/evp.h>

#include <cassert>
#include <cstdlib>

namespace berth {

namespace {

constexpr size_t kSha256HexLen = 64;
constexpr char kHexDigits[] = "0123456789abcdef";

bool IsLowerHexChar(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool IsAlgChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlgSeparator(char c) { return c == '.' || c == '+' || c == '_' || c == '-'; }

// The OCI algorithm grammar: [a-z0-9]+([+._-][a-z0-9]+)*
bool IsAlgorithmGrammar(std::string_view a) {
  if (a.empty()) return false;
  bool prev_sep = true;  // a separator may not lead, trail or repeat
  for (char c : a) {
    if (IsAlgChar(c)) {
      prev_sep = false;
    } else if (IsAlgSeparator(c)) {
      if (prev_sep) return false;
      prev_sep = true;
    } else {
      return false;
    }
  }
  return !prev_sep;
}

// The OCI encoded-part grammar: [a-zA-Z0-9=_-]+
bool IsEncodedGrammar(std::string_view e) {
  if (e.empty()) return false;
  for (char c : e) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '=' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Status DigestError(std::string_view s, std::string_view reason) {
  std::string m = "invalid digest \"";
  m.append(s);
  m += "\": ";
  m.append(reason);
  return InvalidArgument(std::move(m));
}

std::string HexEncode(const unsigned char* p, size_t n) {
  std::string out(n * 2, '\0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kHexDigits[p[i] >> 4];
    out[2 * i + 1] = kHexDigits[p[i] & 0xf];
  }
  return out;
}

}  // namespace

bool IsSha256Hex(std::string_view s) {
  if (s.size() != kSha256HexLen) return false;
  for (char c : s) {
    if (!IsLowerHexChar(c)) return false;
  }
  return true;
}

Result<Digest> Digest::Parse(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == s.size()) {
    return DigestError(s, "invalid checksum digest format");
  }
  std::string_view alg = s.substr(0, colon);
  std::string_view enc = s.substr(colon + 1);
  if (alg != "sha256") {
    // Well-formed but unknown algorithms are "unsupported"; garbage is a
    // format error (as go-digest distinguishes them).
    if (!IsAlgorithmGrammar(alg) || !IsEncodedGrammar(enc)) {
      return DigestError(s, "invalid checksum digest format");
    }
    return DigestError(s, "unsupported digest algorithm");
  }
  if (enc.size() != kSha256HexLen) return DigestError(s, "invalid checksum digest length");
  if (!IsSha256Hex(enc)) return DigestError(s, "invalid checksum digest format");
  Digest d;
  d.hex_.assign(enc);
  return d;
}

Result<Digest> Digest::FromHex(std::string_view hex) {
  if (hex.size() != kSha256HexLen) {
    return DigestError(std::string("sha256:").append(hex), "invalid checksum digest length");
  }
  if (!IsSha256Hex(hex)) {
    return DigestError(std::string("sha256:").append(hex), "invalid checksum digest format");
  }
  Digest d;
  d.hex_.assign(hex);
  return d;
}

Digest Digest::Of(std::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.Finish();
}

// ---------------------------------------------------------------------------
// Sha256

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
  bool finished = false;
  Digest result;
};

namespace {

// OpenSSL failing to initialise SHA-256 means the library is unusable (no
// provider, out of memory); there is no sensible recovery.
[[noreturn]] void Sha256Fatal(const char* what) {
  (void)what;
  std::abort();
}

}  // namespace

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  if (impl_->ctx == nullptr) Sha256Fatal("EVP_MD_CTX_new");
  if (EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr) != 1) Sha256Fatal("EVP_DigestInit_ex");
}

Sha256::~Sha256() {
  if (impl_ && impl_->ctx) EVP_MD_CTX_free(impl_->ctx);
}

void Sha256::Update(const void* data, size_t size) {
  assert(!impl_->finished && "Sha256::Update after Finish");
  if (size == 0 || impl_->finished) return;
  // EVP_DigestUpdate buffers at most one 64-byte block inside the context; no
  // allocation happens here.
  if (EVP_DigestUpdate(impl_->ctx, data, size) != 1) Sha256Fatal("EVP_DigestUpdate");
  bytes_ += size;
}

Digest Sha256::Finish() {
  if (impl_->finished) return impl_->result;  // idempotent
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(impl_->ctx, md, &len) != 1 || len != 32) Sha256Fatal("EVP_DigestFinal_ex");
  impl_->finished = true;
  Result<Digest> d = Digest::FromHex(HexEncode(md, len));  // always valid
  impl_->result = std::move(d).value();
  return impl_->result;
}

}  // namespace berth
