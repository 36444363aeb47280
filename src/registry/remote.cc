// Distribution inspect, RemoveRemotePlatforms (berth's extension) and
// X-Registry-Auth decoding.
#include <boost/json.hpp>

#include <set>

#include "berth/reference.h"
#include "berth/registry.h"
#include "registry/client.h"
#include "registry/util.h"

namespace berth {

namespace {

// A manifest or index as the registry serves it for a tag or digest.
struct RemoteManifest {
  Descriptor descriptor;  // media type (Content-Type, else detected), digest and size of the body
  std::string body;
};

// GET /v2/<repo>/manifests/<tag or digest> of `ref`, verified against the
// digest asked for or the Docker-Content-Digest header. Errors carry the
// registry's own text ("manifest unknown: manifest unknown", "name unknown:
// repository name not known to registry"): 404 NotFound, 401/403
// PermissionDenied.
Result<RemoteManifest> FetchRemoteManifest(registry::Client& client, const Reference& ref) {
  BERTH_ASSIGN_OR_RETURN(registry::Response r,
                         client.GetManifest(ref.has_digest() ? ref.digest->str() : ref.tag));
  std::string text = registry::RegistryErrorText(r.body);
  if (r.status == 404) return NotFound(text.empty() ? "manifest unknown: manifest unknown" : text);
  if (r.status == 401 || r.status == 403) {
    return PermissionDenied(text.empty() ? "unauthorized: authentication required" : text);
  }
  if (r.status != 200) return Unavailable("GET manifest " + ref.Familiar() + ": HTTP " + std::to_string(r.status));
  RemoteManifest m;
  m.descriptor.digest = Digest::Of(r.body);
  m.descriptor.size = static_cast<int64_t>(r.body.size());
  if (ref.has_digest() && *ref.digest != m.descriptor.digest) {
    return InvalidArgument("manifest verification failed for digest " + ref.digest->str());
  }
  std::string header = r.Header("docker-content-digest");
  if (!header.empty() && header != m.descriptor.digest.str()) {
    return InvalidArgument("manifest digest mismatch for " + ref.Familiar() + ": the registry says " + header +
                           ", the content hashes to " + m.descriptor.digest.str());
  }
  std::string mt = r.Header("content-type");
  if (size_t semi = mt.find(';'); semi != std::string::npos) mt = mt.substr(0, semi);
  while (!mt.empty() && mt.back() == ' ') mt.pop_back();
  if (!IsIndexType(mt) && !IsManifestType(mt) && !IsSchema1Type(mt)) mt = DetectMediaType(r.body);
  m.descriptor.media_type = mt;
  m.body = std::move(r.body);
  return m;
}

}  // namespace

Result<DistributionInfo> InspectDistribution(const RegistryConfig& cfg, const std::string& name,
                                             const AuthConfig& auth) {
  Result<Reference> parsed = ParseAnyReference(name);
  if (!parsed.ok()) return InvalidArgument(parsed.status().message());
  Reference ref = std::move(parsed).value();
  if (!ref.has_name()) return Internal("no manifest found for full image ID");
  if (!ref.has_digest()) ref = TagNameOnly(std::move(ref));
  registry::Client client(cfg, auth, ref.domain, ref.path, false, nullptr);
  BERTH_ASSIGN_OR_RETURN(RemoteManifest m, FetchRemoteManifest(client, ref));
  DistributionInfo out;
  out.descriptor = m.descriptor;
  const std::string& mt = m.descriptor.media_type;
  if (IsSchema1Type(mt)) {
    return InvalidArgument("Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been "
                           "removed. Suggest the author of " + ref.String() + " to upgrade the image to the OCI "
                           "Format or Docker Image manifest v2, schema 2. More information at "
                           "https://docs.docker.com/go/deprecated-image-specs/");
  }
  if (IsIndexType(mt)) {
    BERTH_ASSIGN_OR_RETURN(Index index, ParseIndex(std::move(m.body), mt));
    // Every entry, attestations included, as dockerd lists them.
    for (const Descriptor& d : index.manifests) out.platforms.push_back(d.platform ? *d.platform : Platform{});
    out.platforms_known = true;
  } else if (mt == media_type::kDockerManifest) {
    // dockerd reads the platform of a Docker schema-2 manifest from its
    // config (and lists none if that fails); an OCI manifest gets none.
    BERTH_ASSIGN_OR_RETURN(Manifest manifest, ParseManifest(std::move(m.body), mt));
    std::string config;
    Status fetched = client.FetchBlob(
        manifest.config.digest,
        [&](std::string_view piece) -> Status {
          if (config.size() + piece.size() > (16u << 20)) return InvalidArgument("image config too large");
          config.append(piece);
          return OkStatus();
        },
        [&]() -> Status {
          config.clear();
          return OkStatus();
        },
        nullptr);
    if (fetched.ok()) {
      Result<ImageConfig> c = ParseImageConfig(std::move(config));
      if (c.ok() && (!c->platform.os.empty() || !c->platform.architecture.empty())) {
        out.platforms.push_back(c->platform);
        out.platforms_known = true;
      }
    }
  }
  return out;
}

Result<RemovePlatformsResult> RemoveRemotePlatforms(const RegistryConfig& cfg, const std::string& reference,
                                                    const std::vector<Platform>& platforms,
                                                    const AuthConfig& auth) {
  BERTH_ASSIGN_OR_RETURN(Reference ref, ParseNormalizedNamed(reference));
  if (ref.has_digest()) {
    return InvalidArgument(
        "cannot remove platforms from a digest reference: the tag would be left pointing at the old index");
  }
  ref = TagNameOnly(std::move(ref));
  if (platforms.empty()) return InvalidArgument("no platform to remove");
  registry::Client client(cfg, auth, ref.domain, ref.path, true, nullptr);
  Result<RemoteManifest> fetched = FetchRemoteManifest(client, ref);
  if (!fetched.ok()) {
    if (fetched.status().code() != Code::kNotFound) return fetched.status();
    return NotFound("manifest for " + ref.Familiar() + " not found: " + fetched.status().message());
  }
  RemoteManifest m = std::move(fetched).value();
  RemovePlatformsResult out;
  out.old_digest = m.descriptor.digest;
  const std::string& mt = m.descriptor.media_type;
  if (!IsIndexType(mt)) return InvalidArgument(ref.Familiar() + " is not a multi-platform image (no image index)");
  BERTH_ASSIGN_OR_RETURN(Index index, ParseIndex(m.body, mt));
  std::set<Digest> removed;
  for (const Platform& p : platforms) {
    auto matcher = OnlyStrict(p);
    bool found = false;
    for (const Descriptor& c : index.manifests) {
      if (IsAttestation(c) || !c.platform || !matcher->Match(*c.platform)) continue;
      found = true;
      removed.insert(c.digest);
    }
    if (!found) return NotFound("platform " + FormatPlatform(p) + " not found in " + ref.Familiar());
  }
  // Attestations of removed manifests go with them.
  for (const Descriptor& c : index.manifests) {
    if (!IsAttestation(c)) continue;
    auto it = c.annotations.find(std::string(annotation::kDockerReferenceDigest));
    if (it == c.annotations.end()) continue;
    Result<Digest> subject = Digest::Parse(it->second);
    if (subject.ok() && removed.count(*subject)) removed.insert(c.digest);
  }
  std::vector<Digest> keep;
  bool any_platform = false;
  for (const Descriptor& c : index.manifests) {
    if (removed.count(c.digest)) {
      if (std::find(out.removed_manifests.begin(), out.removed_manifests.end(), c.digest) ==
          out.removed_manifests.end()) {
        out.removed_manifests.push_back(c.digest);
      }
      continue;
    }
    keep.push_back(c.digest);
    if (!IsAttestation(c)) any_platform = true;
  }
  if (!any_platform) {
    return InvalidArgument("cannot remove every platform of " + ref.Familiar() + ": the index would be empty");
  }
  BERTH_ASSIGN_OR_RETURN(std::string body, registry::FilterIndex(m.body, keep));
  out.new_digest = Digest::Of(body);
  BERTH_ASSIGN_OR_RETURN(registry::Response put, client.PutManifest(ref.tag, mt, body));
  if (put.status != 201 && put.status != 200) {
    std::string t = registry::RegistryErrorText(put.body);
    if (put.status == 401 || put.status == 403) {
      return PermissionDenied(t.empty() ? "unauthorized: authentication required" : t);
    }
    return Unavailable("PUT manifest " + ref.Familiar() + ": HTTP " + std::to_string(put.status) +
                       (t.empty() ? "" : ": " + t));
  }
  return out;
}

Result<AuthConfig> DecodeRegistryAuth(const std::string& header_value) {
  namespace json = boost::json;
  AuthConfig out;
  if (header_value.empty()) return out;
  Result<std::string> raw = Base64Decode(header_value);
  if (!raw.ok()) return InvalidArgument("invalid X-Registry-Auth header: " + raw.status().message());
  boost::system::error_code ec;
  json::value v = json::parse(*raw, ec);
  if (ec || !v.is_object()) return InvalidArgument("invalid X-Registry-Auth header: malformed JSON");
  std::string auth;
  for (const auto& kv : v.get_object()) {
    std::string key(kv.key());
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (kv.value().is_null()) continue;
    if (!kv.value().is_string()) {
      return InvalidArgument("invalid X-Registry-Auth header: field " + std::string(kv.key()) + " is not a string");
    }
    std::string val(kv.value().get_string());
    if (key == "username") out.username = val;
    else if (key == "password") out.password = val;
    else if (key == "auth") auth = val;
    else if (key == "serveraddress") out.server_address = val;
    else if (key == "identitytoken") out.identity_token = val;
    else if (key == "registrytoken") out.registry_token = val;
  }
  if (!auth.empty() && out.username.empty() && out.password.empty()) {
    Result<std::string> up = Base64Decode(auth);
    if (!up.ok()) return InvalidArgument("invalid X-Registry-Auth header: auth: " + up.status().message());
    size_t colon = up->find(':');
    if (colon == std::string::npos) return InvalidArgument("invalid X-Registry-Auth header: auth is not user:password");
    out.username = up->substr(0, colon);
    out.password = up->substr(colon + 1);
  }
  return out;
}

}  // namespace berth
