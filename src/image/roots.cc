// Read-only views of image records, their roots and the container rows,
// for the modules above the image service (registry, container, api): they
// ask these questions here instead of opening metadata transactions.
#include "image/service.h"

namespace berth::image {

Result<std::vector<ImageRecord>> ImageServiceImpl::Records() {
  std::vector<ImageRecord> out;
  BERTH_RETURN_IF_ERROR(meta_->View([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(out, tx.ListImages());
    return OkStatus();
  }));
  return out;
}

Result<ImageRecord> ImageServiceImpl::RecordNamed(const std::string& name) {
  ImageRecord out;
  BERTH_RETURN_IF_ERROR(meta_->View([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(out, tx.GetImage(name));
    return OkStatus();
  }));
  return out;
}

Result<std::vector<Digest>> ImageServiceImpl::RetainedBy(const Digest& target) {
  std::vector<Digest> out;
  BERTH_RETURN_IF_ERROR(meta_->View([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(out, tx.RootRefs(RootKind::kImage, target.str()));
    return OkStatus();
  }));
  return out;
}

Result<std::set<Digest>> ImageServiceImpl::RetainedByAnyImage() {
  std::set<Digest> out;
  BERTH_RETURN_IF_ERROR(meta_->View([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(auto roots, tx.AllRootRefs());
    for (const auto& r : roots) {
      if (r.kind == RootKind::kImage) out.insert(r.digest);
    }
    return OkStatus();
  }));
  return out;
}

Result<std::vector<Digest>> ImageServiceImpl::ChildrenOf(const Digest& d) {
  std::vector<Digest> out;
  BERTH_RETURN_IF_ERROR(meta_->View([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(out, tx.BlobChildren(d));
    return OkStatus();
  }));
  return out;
}

Result<Descriptor> ImageServiceImpl::DescriptorOf(const Digest& d) {
  Descriptor out;
  BERTH_RETURN_IF_ERROR(meta_->View([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(BlobRecord b, tx.GetBlob(d));
    out.media_type = b.media_type;
    out.digest = b.digest;
    out.size = b.size;
    return OkStatus();
  }));
  return out;
}

Result<std::vector<ContainerRecord>> ImageServiceImpl::Containers() {
  std::vector<ContainerRecord> out;
  BERTH_RETURN_IF_ERROR(meta_->View([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(out, tx.ListContainers());
    return OkStatus();
  }));
  return out;
}

}  // namespace berth::image
