// Views: what `docker images`, `docker image inspect` and `docker history`
// show, with the caches that make listing cheap. Internal to src/image.
//
// Listing reads every record, the image roots' references and the
// containers in one read transaction, then computes each image's facts from
// content that never changes (parsed documents are cached by Documents; an
// image's facts are cached by target while its retained set is unchanged),
// so a warm listing of tens of thousands of images touches no blob file.
// The listing snapshot is cached per LeaseManager generation, so any
// committed write invalidates it.
//
// Thread-safety: every method is thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "berth/image_service.h"
#include "berth/metadata.h"
#include "berth/mutex.h"
#include "image/documents.h"
#include "image/lease_manager.h"

namespace berth::image {

// One manifest descriptor of an image's index (or its manifest target), as
// listed with manifests=1: `retained` indexes ImageFacts::manifests, or is -1
// for a manifest the image does not keep (a platform never pulled, or one
// removed), which Docker lists with Available false.
struct ListedManifest {
  Descriptor descriptor;
  int retained = -1;
};

// What listing needs to know of an image, computed from its target and the
// manifests it retains (immutable content, so cached by target while the
// retained set is unchanged).
struct ImageFacts {
  std::vector<Digest> retained;                   // sorted root refs, for cache validation
  std::vector<ManifestInfo> manifests;            // retained, index order
  std::vector<ListedManifest> listed;             // every manifest descriptor, index order
  const ManifestInfo* best = nullptr;             // host-preferred platform manifest
  std::optional<ImageConfig> config;              // best's config
  int64_t size = 0;                               // unique bytes of all retained content
  std::vector<std::pair<Digest, int64_t>> blobs;  // unique blobs with sizes
};

// One image of a listing snapshot.
struct ListRow {
  std::vector<ImageRecord> records;  // sorted by name
  std::shared_ptr<const ImageFacts> facts;
  int64_t created = 0;  // config creation time, unix seconds
  int64_t containers = 0;
  // As listed, without the per-request fields: RepoTags, RepoDigests,
  // shared size, manifests (and Containers unless counted).
  ImageSummary summary;
};

// Everything a listing reads, as of one metadata generation.
struct ListSnapshot {
  uint64_t generation = 0;
  std::vector<ListRow> rows;                // in name order of each image's first record
  std::unordered_set<std::string> parents;  // values of parent labels
  std::vector<ContainerRecord> containers;
};

class Views {
 public:
  Views(MetadataStore* meta, Documents* docs, LeaseManager* leases) : meta_(meta), docs_(docs), leases_(leases) {}

  Result<std::vector<ImageSummary>> List(const ListOptions& opts);
  Result<ImageInspect> Inspect(const std::string& ref, const std::optional<Platform>& platform, bool manifests);
  Result<std::vector<HistoryItem>> History(const std::string& ref, const std::optional<Platform>& platform);

  // Facts about an image given its retained root refs (cached).
  Result<std::shared_ptr<const ImageFacts>> Facts(const Descriptor& target, std::vector<Digest> retained) EXCLUDES(mu_);
  // The same, reading the image root's references in `tx`.
  Result<std::shared_ptr<const ImageFacts>> FactsIn(Tx& tx, const Descriptor& target);

 private:
  // The listing snapshot for the current generation (cached).
  Result<std::shared_ptr<const ListSnapshot>> Snapshot() EXCLUDES(mu_);

  MetadataStore* const meta_;
  Documents* const docs_;
  LeaseManager* const leases_;
  Mutex mu_;
  std::unordered_map<Digest, std::shared_ptr<const ImageFacts>> facts_ GUARDED_BY(mu_);
  std::shared_ptr<const ListSnapshot> list_ GUARDED_BY(mu_);
};

}  // namespace berth::image
