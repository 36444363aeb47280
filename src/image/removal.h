// Removal: `docker rmi` (remove.cc, Docker's ImageDelete with berth's
// platform removal) and `docker image prune` (prune.cc). Internal to
// src/image. The contract is ImageRemoval's (berth/image_service.h); the
// rules in Docker's order open remove.cc.
//
// Each operation is one LeaseManager::UpdateAndCollect: one metadata
// transaction, events after its commit, files deleted after it (by the
// reaper for a removal, before returning for a prune, which reports what
// it freed). Under a DryRunScope both report what they would do and change
// nothing.
//
// Thread-safety: every method is thread-safe; one prune runs at a time.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "berth/env.h"
#include "berth/image_service.h"
#include "berth/metrics.h"
#include "image/documents.h"
#include "image/lease_manager.h"
#include "image/records.h"
#include "image/views.h"

namespace berth::image {

class Removal {
 public:
  Removal(Env* env, Metrics* metrics, Documents* docs, LeaseManager* leases, RecordStore* records, Views* views)
      : env_(env), metrics_(metrics), docs_(docs), leases_(leases), records_(records), views_(views) {}

  Result<std::vector<DeleteResponseItem>> Remove(const std::string& ref, const RemoveOptions& opts);
  Result<PruneReport> Prune(const PruneOptions& opts);

 private:
  friend class RemoveRun;  // one removal's state (remove.cc)

  Env* const env_;
  Metrics* const metrics_;
  Documents* const docs_;
  LeaseManager* const leases_;
  RecordStore* const records_;
  Views* const views_;
  std::atomic<bool> pruning_{false};
};

}  // namespace berth::image
