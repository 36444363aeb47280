// ImageServiceImpl: the image service's roles over one store, each a small
// class of its own (as containerd splits its services). This class only
// owns them and forwards each role's calls. Internal to src/image.
//
//   documents.h      Documents     parsed indexes/manifests/configs (cached)
//   resolver.h       ResolveIn     Docker's reference resolution (pure, on a Tx)
//   lease_manager.h  LeaseManager  the one write path: transaction, leases,
//                                  collection after commit, the reaper
//   records.h        RecordStore   names → targets; image roots
//   roots.h          Roots         container roots; content-graph reads
//   views.h          Views         docker images / inspect / history
//   removal.h        Removal       docker rmi (remove.cc), prune (prune.cc)
//   why.h            Explainer     berth why
//
// Who uses whom (no cycles): Removal → RecordStore, Views, Documents,
// LeaseManager; Explainer → Removal, Views; everything writes through
// LeaseManager::UpdateAndCollect.
#pragma once

#include <memory>

#include "berth/image_service.h"
#include "image/documents.h"
#include "image/lease_manager.h"
#include "image/records.h"
#include "image/removal.h"
#include "image/roots.h"
#include "image/views.h"
#include "image/why.h"

namespace berth::image {

class ImageServiceImpl final : public ImageService {
 public:
  ImageServiceImpl(Env* env, ContentStore* content, MetadataStore* meta, EventBus* events, Metrics* metrics);
  ~ImageServiceImpl() override;  // finishes queued deletions first

  // ImageRecords
  Result<ImageRecord> Resolve(const std::string& ref) override { return records_.Resolve(ref); }
  Status Tag(const std::string& source, const std::string& target) override { return records_.Tag(source, target); }
  Status CreateImages(const std::vector<NewImage>& images, ReplaceRule rule, const std::string& event_action) override {
    return records_.CreateImages(images, rule, event_action);
  }
  Result<std::vector<ImageRecord>> Records() override { return records_.Records(); }
  Result<ImageRecord> RecordNamed(const std::string& name) override { return records_.RecordNamed(name); }
  Result<Digest> CreateStepImage(const StepImageFromContent& step) override { return records_.CreateStepImage(step); }
  Status SetParent(const Digest& image, const Digest& parent) override { return records_.SetParent(image, parent); }

  // ImageViews
  Result<std::vector<ImageSummary>> List(const ListOptions& opts) override { return views_.List(opts); }
  Result<ImageInspect> Inspect(const std::string& ref, const std::optional<Platform>& platform,
                               bool manifests) override {
    return views_.Inspect(ref, platform, manifests);
  }
  Result<std::vector<HistoryItem>> History(const std::string& ref, const std::optional<Platform>& platform) override {
    return views_.History(ref, platform);
  }
  Result<WhyReport> Why(const std::string& ref) override { return explainer_.Why(ref); }

  // ImageRemoval
  Result<std::vector<DeleteResponseItem>> Remove(const std::string& ref, const RemoveOptions& opts) override {
    return removal_.Remove(ref, opts);
  }
  Result<PruneReport> Prune(const PruneOptions& opts) override { return removal_.Prune(opts); }

  // ImageRoots
  std::unique_ptr<IngestLease> NewIngestLease() override { return leases_.NewIngestLease(); }
  Status PutContainer(const ContainerRecord& c) override { return roots_.PutContainer(c); }
  Status DeleteContainer(const std::string& id) override { return roots_.DeleteContainer(id); }
  Result<std::vector<ContainerRecord>> Containers() override { return roots_.Containers(); }
  Status PutLease(const LeaseRecord& lease, const std::vector<Digest>& digests) override {
    return leases_.PutLease(lease, digests);
  }
  Result<int> DeleteLeases(const std::function<bool(const LeaseRecord&)>& select) override {
    return leases_.DeleteLeases(select);
  }
  Result<GcReport> CollectGarbage() override { return leases_.CollectGarbage(); }
  void WaitForCollection() override { leases_.WaitForCollection(); }
  uint64_t AddCollectHook(std::function<void()> hook) override { return leases_.AddCollectHook(std::move(hook)); }
  void RemoveCollectHook(uint64_t handle) override { leases_.RemoveCollectHook(handle); }
  Result<int64_t> StoredBytes() override { return leases_.StoredBytes(); }
  Result<std::vector<Digest>> RetainedBy(const Digest& target) override { return roots_.RetainedBy(target); }
  Result<std::set<Digest>> RetainedByAnyImage() override { return roots_.RetainedByAnyImage(); }
  Result<std::vector<Digest>> ChildrenOf(const Digest& d) override { return roots_.ChildrenOf(d); }
  Result<Descriptor> DescriptorOf(const Digest& d) override { return roots_.DescriptorOf(d); }

  // For Store::Open: completes the deletions a crash interrupted.
  Status FinishPendingDeletions() { return leases_.FinishPending(); }

 private:
  // In dependency order (members are built top-down, destroyed bottom-up).
  Documents docs_;
  LeaseManager leases_;
  RecordStore records_;
  Roots roots_;
  Views views_;
  Removal removal_;
  Explainer explainer_;
};

}  // namespace berth::image
