// Leases: roots that hold content for a while (a pull that failed keeps
// what it downloaded so a retry resumes). Persistent leases live in the
// metadata store's leases table with their root refs; in-memory holds of
// an ingest are IngestLease (collect.cc). Both go through UpdateAndCollect,
// so what a deleted lease alone held is collected like any removal.
#include <set>

#include "image/service.h"

namespace berth::image {

Status ImageServiceImpl::PutLease(const LeaseRecord& lease, const std::vector<Digest>& digests) {
  if (lease.id.empty()) return InvalidArgument("lease ID must not be empty");
  return UpdateAndCollect([&](Tx& tx, AfterCommit&) -> Status {
    BERTH_RETURN_IF_ERROR(tx.PutLease(lease));
    for (const Digest& d : std::set<Digest>(digests.begin(), digests.end())) {
      if (content_->Exists(d)) BERTH_RETURN_IF_ERROR(tx.AddRootRef(RootKind::kLease, lease.id, d));
    }
    return OkStatus();
  });
}

Result<int> ImageServiceImpl::DeleteLeases(const std::function<bool(const LeaseRecord&)>& select) {
  int deleted = 0;
  BERTH_RETURN_IF_ERROR(UpdateAndCollect([&](Tx& tx, AfterCommit&) -> Status {
    deleted = 0;
    BERTH_ASSIGN_OR_RETURN(auto leases, tx.ListLeases());
    for (const LeaseRecord& l : leases) {
      if (!select(l)) continue;
      BERTH_RETURN_IF_ERROR(tx.DeleteLease(l.id));
      ++deleted;
    }
    return OkStatus();
  }));
  return deleted;
}

}  // namespace berth::image
