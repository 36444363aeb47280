// Container roots and read-only views of the content graph (see roots.h).
#include "image/roots.h"

#include <set>

namespace berth::image {

Status Roots::PutContainer(const ContainerRecord& c) {
  return leases_->UpdateAndCollect([&](Tx& tx, AfterCommit&) -> Status {
    // A new container's images must still exist when its row is written:
    // a removal that committed since the caller resolved them may already be
    // deleting their files. In this transaction (the write lock), the check
    // and the root the container adds are one step: no removal comes between.
    Result<ContainerRecord> existing = container_table::Get(tx, c.id);
    if (!existing.ok() && existing.status().code() != Code::kNotFound) return existing.status();
    if (!existing.ok()) BERTH_RETURN_IF_ERROR(CheckStillThere(tx, c));
    BERTH_RETURN_IF_ERROR(container_table::Put(tx, c));
    // What the container held before stays held: a mounted image removed
    // by force no longer names its manifests, but the mount still uses them.
    BERTH_ASSIGN_OR_RETURN(std::vector<Digest> before, tx.RootRefs(RootKind::kContainer, c.id));
    std::set<Digest> held(before.begin(), before.end());
    BERTH_RETURN_IF_ERROR(tx.RemoveRoot(RootKind::kContainer, c.id));
    if (!c.image_manifest.empty()) {
      BERTH_ASSIGN_OR_RETURN(auto blob, tx.GetBlob(c.image_manifest));
      (void)blob;  // the manifest must be known: its edges keep config and layers
      held.insert(c.image_manifest);
    }
    // An image mount holds what the mounted image retains (the mount uses
    // one of those manifests), so a forced removal of that image cannot
    // take content from under the container.
    for (const Digest& mounted : c.image_mounts) {
      BERTH_ASSIGN_OR_RETURN(auto manifests, tx.RootRefs(RootKind::kImage, mounted.str()));
      held.insert(manifests.begin(), manifests.end());
    }
    for (const Digest& d : held) BERTH_RETURN_IF_ERROR(tx.AddRootRef(RootKind::kContainer, c.id, d));
    return OkStatus();
  });
}

Status Roots::CheckStillThere(Tx& tx, const ContainerRecord& c) {
  auto gone = [](const Digest& id) { return NotFound("No such image: " + id.str() + " (removed while in use)"); };
  BERTH_ASSIGN_OR_RETURN(auto records, tx.ListImagesByTarget(c.image_id));
  if (!c.image_id.empty() && records.empty()) return gone(c.image_id);
  if (!c.image_manifest.empty()) {
    Result<BlobRecord> blob = tx.GetBlob(c.image_manifest);
    if (!blob.ok() || blob->refs == 0) {
      return NotFound("the image's platform manifest " + c.image_manifest.str() + " is no longer in the store");
    }
  }
  for (const Digest& mounted : c.image_mounts) {
    BERTH_ASSIGN_OR_RETURN(auto mounted_records, tx.ListImagesByTarget(mounted));
    if (mounted_records.empty()) return gone(mounted);
  }
  return OkStatus();
}

Status Roots::DeleteContainer(const std::string& id) {
  return leases_->UpdateAndCollect([&](Tx& tx, AfterCommit&) -> Status {
    BERTH_RETURN_IF_ERROR(tx.RemoveRoot(RootKind::kContainer, id));
    return container_table::Delete(tx, id);
  });
}

Result<std::vector<Digest>> Roots::RetainedBy(const Digest& target) {
  std::vector<Digest> out;
  BERTH_RETURN_IF_ERROR(meta_->View([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(out, tx.RootRefs(RootKind::kImage, target.str()));
    return OkStatus();
  }));
  return out;
}

Result<std::set<Digest>> Roots::RetainedByAnyImage() {
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

Result<std::vector<Digest>> Roots::ChildrenOf(const Digest& d) {
  std::vector<Digest> out;
  BERTH_RETURN_IF_ERROR(meta_->View([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(out, tx.BlobChildren(d));
    return OkStatus();
  }));
  return out;
}

Result<Descriptor> Roots::DescriptorOf(const Digest& d) {
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

Result<std::vector<ContainerRecord>> Roots::Containers() {
  std::vector<ContainerRecord> out;
  BERTH_RETURN_IF_ERROR(meta_->View([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(out, container_table::List(tx));
    return OkStatus();
  }));
  return out;
}

}  // namespace berth::image
