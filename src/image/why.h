// Explainer: ImageViews::Why, what keeps an image or a blob. Internal to
// src/image.
//
// Facts (names, containers, leases, parent links, holders of a blob) are
// read in one read transaction. What a removal would free is not computed
// here: each preview runs the real Removal::Remove under a DryRunScope, so
// the removal's own transaction, rolled back, tells through the reference
// counts which blobs would die (see LeaseManager::UpdateAndCollect). The
// previews are separate transactions from the facts: a write committed in
// between shows in the previews only.
//
// Thread-safety: every method is thread-safe.
#pragma once

#include <string>

#include "berth/image_service.h"
#include "berth/metadata.h"
#include "image/documents.h"
#include "image/lease_manager.h"
#include "image/removal.h"
#include "image/views.h"

namespace berth::image {

class Explainer {
 public:
  Explainer(MetadataStore* meta, Documents* docs, LeaseManager* leases, Views* views, Removal* removal)
      : meta_(meta), docs_(docs), leases_(leases), views_(views), removal_(removal) {}

  Result<WhyReport> Why(const std::string& ref);

 private:
  friend class WhyBuilder;  // one question's state (why.cc)
  MetadataStore* const meta_;
  Documents* const docs_;
  LeaseManager* const leases_;
  Views* const views_;
  Removal* const removal_;
};

}  // namespace berth::image
