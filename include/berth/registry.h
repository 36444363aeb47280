// Registries: pull and push over the OCI distribution API (libcurl), and
// berth's remote platform removal. The HTTP client lives in src/registry.
//
// Thread-safety: the functions are thread-safe; each call uses its own
// connections. Progress callbacks may come from several threads at once
// (parallel layer transfers) and must be thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "berth/digest.h"
#include "berth/image_service.h"
#include "berth/platform.h"
#include "berth/status.h"

namespace berth {

struct RegistryConfig {
  // Registries reached over plain HTTP (and HTTPS without verification):
  // "host:port" / "host" entries, or CIDRs ("10.0.0.0/8"). 127.0.0.0/8 and
  // ::1/128 are always insecure, as in dockerd.
  std::vector<std::string> insecure_registries;
  int max_concurrent_downloads = 3;
  int max_concurrent_uploads = 5;
  int max_attempts = 5;             // per request, with backoff, on 5xx and broken connections
  int64_t backoff_initial_ms = 200;
  // CA file for HTTPS (empty: system default).
  std::string ca_file;
  // How long a pull's lease protects partial content (24 h like containerd).
  int64_t lease_expiry_seconds = 24 * 3600;
  // Every request but a blob's body (manifests, tokens, HEADs, upload
  // sessions) ends after this long, connection and redirects included (0:
  // no deadline). Blob bodies have none as long as they make progress.
  int64_t request_timeout_ms = 300000;
  // Any transfer that moves less than 1 byte/s for this long is ended.
  int low_speed_time_s = 120;
};

// Credentials, as the X-Registry-Auth header carries them (base64url JSON
// {"username","password","auth","email","serveraddress","identitytoken",
// "registrytoken"}).
struct AuthConfig {
  std::string username;
  std::string password;
  std::string identity_token;  // OAuth refresh token
  std::string registry_token;  // bearer token to use as is
  std::string server_address;
};
// Decodes an X-Registry-Auth value (base64url or standard base64, padded or
// not; empty or "e30=" = no credentials). Malformed: InvalidArgument.
Result<AuthConfig> DecodeRegistryAuth(const std::string& header_value);

// One progress message, as Docker's JSON progress stream carries it.
struct ProgressMessage {
  std::string id;      // short layer ID (12 hex), tag, or empty
  std::string status;  // "Pulling fs layer", "Downloading", "Download complete", "Pull complete",
                       // "Waiting", "Already exists", "Preparing", "Pushing", "Pushed",
                       // "Layer already exists", "Mounted from X", "Digest: …", "Status: …", …
  int64_t current = -1;  // progressDetail.current (-1: none)
  int64_t total = -1;    // progressDetail.total
  std::string error;     // a terminal error ("errorDetail"); ends the stream
  // Push's final {"aux":{"Tag":..,"Digest":..,"Size":..}}; empty otherwise.
  std::string aux_tag;
  Digest aux_digest;
  int64_t aux_size = 0;
};
using ProgressFn = std::function<void(const ProgressMessage&)>;

struct PullOptions {
  // Docker's fromImage with tag or digest already joined ("127.0.0.1:5000/a/b:1",
  // "host/x@sha256:…"); no tag means "latest".
  std::string reference;
  std::optional<Platform> platform;  // empty: the host platform
  AuthConfig auth;
  std::function<bool()> cancelled;
};

struct PullResult {
  std::string name;     // normalised reference the image record got
  Digest target;        // index or manifest digest (the image ID)
  Digest platform_manifest;  // manifest fetched for the platform
  bool updated = false;  // false: "Image is up to date"
};

// Pulls like `docker pull`: resolves the reference, fetches the index (kept
// whole) and the manifest, config and layers of the requested platform
// (compatible-variant matching as Docker's pull), verifying every blob
// against its digest, with up to max_concurrent_downloads layers at once and
// resuming a broken blob download with a Range request. Content is held by a
// lease (expiring after lease_expiry_seconds) until the image record exists;
// an interrupted pull leaves the lease, so a repeated pull reuses what was
// fetched. A pull of another platform of an existing image adds that
// platform to the same image record. A tag that moves leaves the old image
// dangling. Emits the "pull" event.
// Errors: NotFound "manifest for NAME:TAG not found: manifest unknown: …",
// NotFound "pull access denied for NAME, repository does not exist or may
// require 'docker login'" (401/403, as dockerd reports it), NotFound "no
// matching manifest for PLATFORM in the manifest list entries: …",
// InvalidArgument on a digest mismatch, Unavailable for connection failures
// (curl's message) and exhausted retries, Cancelled.
Result<PullResult> Pull(Store* store, const RegistryConfig& cfg, const PullOptions& opts,
                        const ProgressFn& progress);

struct PushOptions {
  std::string name;  // local image reference (name or name:tag)
  std::string tag;   // empty: name's tag, else every tag of the name? (Docker: latest)
  std::optional<Platform> platform;  // push only this platform's manifest
  AuthConfig auth;
  std::function<bool()> cancelled;
};

struct PushResult {
  Digest digest;  // what the tag now points at in the registry
  int64_t size = 0;
  std::vector<Platform> skipped_platforms;  // in the index but not present locally
};

// Pushes like `docker push`: layers and configs first (skipping blobs the
// registry has, mounting blobs from other repositories of the same registry
// when the store knows they are there), then the platform manifests, then
// the index. When platforms are missing locally, pushes an index of the
// present ones only and says so in the progress stream. Emits "push".
// Errors: NotFound "An image does not exist locally with the tag: NAME",
// PermissionDenied "unauthorized: authentication required" (or the
// registry's error text) on 401/403, Unavailable, Cancelled.
Result<PushResult> Push(Store* store, const RegistryConfig& cfg, const PushOptions& opts,
                        const ProgressFn& progress);

// GET /distribution/{name}/json (docker-py's inspect_distribution): what the
// registry serves for a reference, as dockerd 28.2 reports it.
struct DistributionInfo {
  Descriptor descriptor;  // media type, digest and size of the manifest or index
  // An index: the platform of every entry (attestations included, an entry
  // without one gives an empty platform). A Docker schema-2 manifest: its
  // config's platform. An OCI manifest: none, and platforms_known is false
  // (dockerd answers "Platforms": null there, and for a config it cannot read).
  std::vector<Platform> platforms;
  bool platforms_known = false;
};
// `name` as the route gets it (name, name:tag, name@digest; "latest" added).
// Errors: InvalidArgument for a malformed name; Internal "no manifest found
// for full image ID" for a bare image ID; NotFound with the registry's error
// as dockerd passes it on ("manifest unknown: manifest unknown" for an
// unknown tag, "name unknown: repository name not known to registry" for
// an unknown repository); PermissionDenied
// with the registry's text on 401/403; Unavailable when unreachable;
// InvalidArgument for schema 1 (Docker's deprecation text).
Result<DistributionInfo> InspectDistribution(const RegistryConfig& cfg, const std::string& name,
                                             const AuthConfig& auth);

// berth's extension: rewrites the remote index `reference` (name:tag; a
// digest reference is InvalidArgument: "cannot remove platforms from a
// digest reference: the tag would be left pointing at the old index") without
// the given platforms, pushes it under the same tag and returns its new
// digest. A platform not in the index is NotFound; removing every platform
// is InvalidArgument.
struct RemovePlatformsResult {
  Digest old_digest;
  Digest new_digest;
  std::vector<Digest> removed_manifests;
};
Result<RemovePlatformsResult> RemoveRemotePlatforms(const RegistryConfig& cfg, const std::string& reference,
                                                    const std::vector<Platform>& platforms,
                                                    const AuthConfig& auth);

}  // namespace berth
