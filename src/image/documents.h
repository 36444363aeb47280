// Documents: the image documents (indexes, manifests, configs) of the
// content store, parsed once and cached by digest. Content is immutable, so
// a cached entry never goes stale; an entry for a blob that was deleted is
// only ever looked up through a record or root that still names it.
// Internal to src/image.
//
// Thread-safety: every method is thread-safe.
#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "berth/content_store.h"
#include "berth/image_service.h"
#include "berth/metadata.h"
#include "berth/mutex.h"
#include "berth/oci.h"
#include "berth/platform.h"

namespace berth::image {

// What one platform manifest of an image holds (parsed once; immutable).
struct ManifestInfo {
  Digest digest;
  Descriptor descriptor;  // as named by the index (or the target)
  Platform platform;
  bool attestation = false;
  Digest attestation_for;
  Descriptor config;
  std::vector<Descriptor> layers;
  int64_t content_size = 0;  // manifest + config + layers
};

// The manifest of `ms` (attestations aside) that `matcher` prefers; null
// when none matches.
const ManifestInfo* BestManifest(const std::vector<ManifestInfo>& ms, const PlatformMatcher& matcher);

class Documents {
 public:
  explicit Documents(ContentStore* content) : content_(content) {}

  // The manifest `d` names, with the platform of `d` (or of its config
  // when `d` has none; "unknown/unknown" for an attestation).
  Result<ManifestInfo> LoadManifest(const Descriptor& d) EXCLUDES(mu_);
  Result<Index> LoadIndex(const Descriptor& d) EXCLUDES(mu_);
  Result<ImageConfig> LoadConfig(const Digest& d) EXCLUDES(mu_);

  // The platform manifests an image keeps, given its root's references
  // `refs`, in index order; for a manifest target, the target itself
  // (nothing once its platform was removed).
  Result<std::vector<ManifestInfo>> ManifestsFromRefs(const Descriptor& target, const std::vector<Digest>& refs);
  // The same, reading the image root's references in `tx`.
  Result<std::vector<ManifestInfo>> RetainedManifests(Tx& tx, const Descriptor& target);
  // The config labels of the image's first platform (attestations aside),
  // for event attributes; empty when unreadable.
  std::map<std::string, std::string> ConfigLabels(Tx& tx, const Descriptor& target);
  // Whether one platform config of the image (attestations aside) passes
  // every label check (Docker's setupLabelFilter). True when `checks` is
  // empty.
  bool LabelsMatch(const std::vector<ManifestInfo>& manifests, const std::vector<LabelFilter>& checks);
  // The blobs under `target` whose files exist, in containerd's walk order
  // (Docker's walkPresentChildren): each descriptor, then its children (an
  // index's manifests; a manifest's config, then its layers), depth first.
  // A blob named twice is listed twice. Children of an unreadable blob are
  // skipped.
  std::vector<Descriptor> PresentBlobs(const Descriptor& target);

  ContentStore* content() const { return content_; }

 private:
  void WalkPresent(const Descriptor& d, std::vector<Descriptor>* out);

  ContentStore* const content_;
  Mutex mu_;
  std::unordered_map<Digest, ManifestInfo> manifests_ GUARDED_BY(mu_);
  std::unordered_map<Digest, ImageConfig> configs_ GUARDED_BY(mu_);
  std::unordered_map<Digest, Index> indexes_ GUARDED_BY(mu_);
};

}  // namespace berth::image
