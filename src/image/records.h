// RecordStore: image records (names → targets) and the image roots they
// make. Internal to src/image.
//
// An image (all records sharing one target digest) is one GC root: it keeps
// its target blob and the platform manifests it retains (each with its
// config and layers, through the blob edges). The root exists while at
// least one record names the target. The Tx helpers run inside a write
// transaction of LeaseManager::UpdateAndCollect; the rest run their own.
//
// Thread-safety: every method is thread-safe (a Tx belongs to its thread).
#pragma once

#include <string>
#include <vector>

#include "berth/env.h"
#include "berth/image_service.h"
#include "berth/metadata.h"
#include "berth/metrics.h"
#include "image/documents.h"
#include "image/lease_manager.h"

namespace berth::image {

class RecordStore {
 public:
  RecordStore(Env* env, MetadataStore* meta, Metrics* metrics, Documents* docs, LeaseManager* leases)
      : env_(env), meta_(meta), metrics_(metrics), docs_(docs), leases_(leases) {}

  // ImageRecords (see berth/image_service.h).
  Result<ImageRecord> Resolve(const std::string& ref);
  Status Tag(const std::string& source, const std::string& target);
  Status CreateImages(const std::vector<NewImage>& images, ReplaceRule rule, const std::string& event_action);
  Result<std::vector<ImageRecord>> Records();
  Result<ImageRecord> RecordNamed(const std::string& name);
  Result<Digest> CreateStepImage(const StepImageFromContent& step);  // step_image.cc
  Status SetParent(const Digest& image, const Digest& parent);       // step_image.cc

  // ---- Inside a write transaction ----
  // Registers the blobs of `target` and `manifests` and adds them as the
  // image root's references (union with what the root already keeps).
  // FailedPrecondition when a blob's file is missing.
  Status RetainContent(Tx& tx, const Descriptor& target, const std::vector<Digest>& manifests);
  // Deletes a record; drops the image root when it was the target's last.
  Status DeleteRecord(Tx& tx, const std::string& name);
  // Creates or replaces a record, treating an existing name and dangling
  // records by `rule` (see ReplaceRule). Sets the record's times.
  Status PutRecord(Tx& tx, ImageRecord record, ReplaceRule rule);
  // Keeps `img`'s target alive as moby-dangling@<digest> (no-op if present).
  Status EnsureDangling(Tx& tx, const ImageRecord& img);

 private:
  Env* const env_;
  MetadataStore* const meta_;
  Metrics* const metrics_;
  Documents* const docs_;
  LeaseManager* const leases_;
};

}  // namespace berth::image
