// Roots: the container rows and the read-only views of the content graph
// that the modules above the image service need (the ImageRoots role, with
// the leases and collection of LeaseManager). Internal to src/image.
//
// A container is a GC root for the platform manifest it runs and for the
// manifests of the images it mounts; a new container's row and root are
// written only while those images are still in the store, in the same
// transaction, so no removal can come between the check and the root.
//
// Thread-safety: every method is thread-safe.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "berth/metadata.h"
#include "image/lease_manager.h"

namespace berth::image {

class Roots {
 public:
  Roots(MetadataStore* meta, LeaseManager* leases) : meta_(meta), leases_(leases) {}

  Status PutContainer(const ContainerRecord& c);
  Status DeleteContainer(const std::string& id);
  Result<std::vector<ContainerRecord>> Containers();

  Result<std::vector<Digest>> RetainedBy(const Digest& target);
  Result<std::set<Digest>> RetainedByAnyImage();
  Result<std::vector<Digest>> ChildrenOf(const Digest& d);
  Result<Descriptor> DescriptorOf(const Digest& d);

 private:
  // For a container being created: its image, platform manifest and
  // mounted images are still in the store (NotFound naming what is gone).
  static Status CheckStillThere(Tx& tx, const ContainerRecord& c);

  MetadataStore* const meta_;
  LeaseManager* const leases_;
};

}  // namespace berth::image
