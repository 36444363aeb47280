// docker build --cache-from: Docker 28.2's image cache (moby image/cache,
// which its containerd image store uses through daemon/containerd/cache.go)
// over berth's image service. Internal to src/builder.
//
// The rule: a step's local cache hit (a child of the step's parent whose
// container_config matches) counts only when it is an ancestor of a
// cache-from image. Otherwise the step is matched against each cache-from
// image's history: the image must start with the parent's history and
// diff IDs, and its next history entry's created_by must be the step's
// command. On a match the step's image is that cache-from image (when the
// entry is its last) or an intermediate image re-created from the parent,
// that history entry and its layer, which then is the only cache-from
// image the build follows.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "berth/container_service.h"
#include "berth/image_service.h"
#include "berth/oci.h"

namespace berth::builder {

// A cache-from image: its ID and config.
struct CacheFromImage {
  Digest id;
  ImageConfig config;
};

// Which cache-from image a step matches, and how.
struct CacheFromMatch {
  size_t source = 0;                  // index in the sources
  size_t history_index = 0;           // the matched history entry
  bool last = false;                  // the entry is the image's last
  std::optional<size_t> layer_index;  // the entry's layer (none: an empty layer)
};

// Docker's matching: the first of `sources` whose history and diff IDs
// start with `parent`'s (null: the step has no parent image, or the parent
// has neither history nor layers) and whose next history entry was created
// by `created_by`. An entry whose layer the image lacks never matches.
std::optional<CacheFromMatch> MatchCacheFrom(const std::vector<CacheFromImage>& sources, const ImageConfig* parent,
                                             const std::string& created_by);

// The config of the intermediate image re-created for `match` on `parent`
// (null: none), as Docker's restoreCachedImage writes it: the step's
// `run_config` as its config, the source's platform and author, the
// parent's rootfs and history plus the matched entry (and its layer), and
// that entry's creation time.
Result<std::string> RestoredConfig(const ImageConfig* parent, const CacheFromImage& source, const CacheFromMatch& match,
                                   const boost::json::object& run_config);

// The cache of one build with --cache-from.
// Thread-safety: used by one build at a time.
class CacheFrom {
 public:
  // Resolves `refs`; an image that cannot be found is skipped with a
  // warning in the daemon's log, as Docker does (the build then has no
  // cache from it; with no cache-from image left, no step hits).
  static Result<CacheFrom> Open(ImageRecords* records, ContainerService* containers,
                                const std::vector<std::string>& refs);

  // The step's image, if the cache has it: `local` (the local cache's hit,
  // if any) when it is an ancestor of a cache-from image, else a match in
  // the cache-from images' histories (a match of a cache-from image's last
  // entry makes `parent` its parent). `probe` is the step's run config
  // (its Cmd the step's command).
  Result<std::optional<Digest>> Probe(const Digest& parent, const boost::json::object& probe,
                                      const std::optional<Digest>& local);

 private:
  CacheFrom(ImageRecords* records, ContainerService* containers) : records_(records), containers_(containers) {}
  Result<bool> IsAncestorOfSource(const Digest& image);

  ImageRecords* records_;
  ContainerService* containers_;
  std::vector<CacheFromImage> sources_;
};

}  // namespace berth::builder
