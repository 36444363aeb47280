// A small client for the OCI distribution API over libcurl: one easy handle
// per transfer, token/basic authentication, retries with backoff, and blob
// downloads that resume with a Range request after a broken connection.
//
// Scheme choice: registries that are not insecure are reached over HTTPS
// only. Loopback registries (127.0.0.0/8, ::1, "localhost") go straight to
// plain HTTP. Other insecure registries (RegistryConfig::insecure_registries:
// "host[:port]" entries or CIDRs of IP literals; host names are not resolved
// for the CIDR check) are tried over HTTPS without verification first and
// fall back to plain HTTP when the HTTPS connection fails, as dockerd does.
//
// Retries: up to max_attempts per request, with exponential backoff from
// backoff_initial_ms (capped at 5 s), on 5xx, 429 and connection errors;
// never on other 4xx.
//
// Limits: every request but a blob's body ends after
// RegistryConfig::request_timeout_ms; any transfer moving under 1 byte/s for
// low_speed_time_s ends. Bodies kept in memory are capped: 8 MiB for a
// manifest, 1 MiB for a token, 64 KiB for an error (InvalidArgument "the
// [error ]response to GET <url> is larger than ..."). The Authorization
// header is sent to the URL asked for and never to a redirect target on
// another origin.
//
// Thread-safety: a Client may be used from several threads at once (the
// token cache is locked); every transfer uses its own easy handle.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "berth/base64.h"
#include "berth/digest.h"
#include "berth/mutex.h"
#include "berth/registry.h"
#include "berth/status.h"

namespace berth::registry {

// The host a reference's domain is served from ("docker.io" →
// "registry-1.docker.io").
std::string RegistryHost(const std::string& domain);
// True for loopback hosts and hosts listed (or inside a listed CIDR) in
// cfg.insecure_registries. `host` is "host[:port]" (IPv6 in brackets).
bool IsInsecureRegistry(const RegistryConfig& cfg, const std::string& host);
bool IsLoopbackHost(const std::string& host);

// Small string helpers: ASCII lower case, whitespace trim, URL
// query-component encoding.
std::string Lower(std::string s);
std::string Trim(std::string_view s);
std::string UrlEncode(std::string_view s);

// (Base64: berth/base64.h.)

// A parsed WWW-Authenticate challenge: scheme ("bearer", "basic", lower
// case) and parameters (realm, service, scope, …).
struct Challenge {
  std::string scheme;
  std::map<std::string, std::string> params;
};
std::optional<Challenge> ParseChallenge(std::string_view header);

// Whether a bearer challenge's realm may receive the registry's credentials:
// an http(s) URL, and HTTPS when the registry itself is reached over HTTPS
// (InvalidArgument naming the realm otherwise).
Status CheckTokenRealm(std::string_view realm, bool registry_is_https);

struct Response {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                            // error bodies, manifests (not streamed blobs)
  std::string Header(const std::string& lower_name) const;
};

// "code_in_lower_case: message" of the first error of a distribution error
// body ({"errors":[{"code","message"}]}), or "" if there is none.
std::string RegistryErrorText(const std::string& body);

class Client {
 public:
  // `domain` as in a normalised reference ("docker.io", "127.0.0.1:5000"),
  // `repo` the repository path ("library/busybox"; empty for requests that
  // concern no repository, like a login check of /v2/). `push` asks for
  // push scope in token requests.
  Client(const RegistryConfig& cfg, const AuthConfig& auth, const std::string& domain, const std::string& repo,
         bool push, std::function<bool()> cancelled);

  const std::string& host() const { return host_; }
  // Asks for `scope` too in token requests (e.g. "repository:other:pull"
  // for cross-repository mounts). Call before the first request.
  void AddScope(const std::string& scope) { extra_scopes_.push_back(scope); }

  // GET (or HEAD) /v2/<repo>/manifests/<reference> with Accept of the four
  // manifest and index types. Any HTTP status comes back as a Response;
  // transport failures after retries are Unavailable.
  Result<Response> GetManifest(const std::string& reference, bool head = false);
  Result<Response> PutManifest(const std::string& reference, const std::string& media_type, const std::string& body);
  // HEAD /v2/<repo>/blobs/<digest>: true on 200, false on 404.
  Result<bool> BlobExists(const Digest& d);
  // Streams the blob to `write`. After a broken connection it asks for the
  // rest with "Range: bytes=N-"; if the server answers 200 instead of 206,
  // `restart` is called and the data starts again from byte 0.
  // `progress` gets the bytes received so far.
  Status FetchBlob(const Digest& d, const std::function<Status(std::string_view)>& write,
                   const std::function<Status()>& restart, const std::function<void(int64_t)>& progress);
  // Cross-repository mount (POST uploads/?mount=<digest>&from=<repo>):
  // true when the registry answered 201 (mounted); false when it did not
  // mount (the upload session it opened instead is cancelled).
  Result<bool> MountBlob(const Digest& d, const std::string& from_repo);
  // Monolithic upload of the file at `path` (POST uploads/, then PUT
  // <location>&digest=…). `progress` gets bytes sent.
  Status UploadBlob(const Digest& d, const std::string& path, int64_t size,
                    const std::function<void(int64_t)>& progress);

  // One request with authentication and retries; `url_or_path` is a full URL
  // or a path below the registry's base URL.
  struct Request {
    std::string method = "GET";
    std::string url_or_path;
    std::vector<std::string> headers;
    const std::string* body = nullptr;  // PUT/POST body in memory
    std::string upload_path;            // or a file (PUT)
    int64_t upload_size = 0;
    std::function<void(int64_t)> upload_progress;
  };
  Result<Response> Do(const Request& req);

  // Internal: one libcurl transfer (public for the C callbacks).
  struct Transfer;
  struct Outcome;

 private:
  Outcome Perform(Transfer& t);
  Result<std::string> BaseUrl();
  std::string AuthHeader();
  // Handles a 401: obtains credentials for the challenge. False if there is
  // nothing more to try.
  Result<bool> Authenticate(const Response& resp);
  void Backoff(int attempt);
  bool Cancelled() const { return cancelled_ && cancelled_(); }

  RegistryConfig cfg_;
  AuthConfig auth_;
  std::string host_;
  std::string repo_;
  bool push_;
  bool insecure_;
  std::function<bool()> cancelled_;
  std::vector<std::string> extra_scopes_;

  Mutex mu_;
  std::string base_url_ GUARDED_BY(mu_);     // decided on first use
  std::string auth_header_ GUARDED_BY(mu_);  // "Authorization: …" or empty
};

}  // namespace berth::registry
