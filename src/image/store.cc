// Store::Open: the data root's lock, its content store and metadata, and the
// image service over them.
//
// Layout of a data root:
//   <root>/berth.lock     flock(2)-held by the owning process; holds its pid
//   <root>/metadata.db    SQLite (WAL) metadata, see src/metadata/schema.h
//   <root>/content/       the content store (blobs/sha256/<hex>, ingest/)
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "berth/metrics.h"
#include "image/service.h"
#include "image/store_internals.h"

namespace berth {
namespace {

class StoreImpl : public Store {
 public:
  const std::string& root() const override { return root_; }
  Env* env() override { return env_; }
  BlobReader* blobs() override { return content_.get(); }
  EventBus* events() override { return &events_; }
  Metrics* metrics() override { return &metrics_; }
  ImageService* images() override { return images_.get(); }

  ~StoreImpl() override { events_.Close(); }

  std::string root_;
  Env* env_ = nullptr;
  std::unique_ptr<FileLock> lock_;
  std::unique_ptr<ContentStore> content_;
  std::unique_ptr<MetadataStore> meta_;
  EventBus events_;
  Metrics metrics_;
  std::unique_ptr<image::ImageServiceImpl> images_;
};

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& opts) {
  if (opts.root.empty()) return InvalidArgument("data root must not be empty");
  auto store = std::make_unique<StoreImpl>();
  store->env_ = opts.env ? opts.env : Env::Default();
  store->root_ = opts.root;
  while (store->root_.size() > 1 && store->root_.back() == '/') store->root_.pop_back();
  // Private like /var/lib/docker: only root (and its group, to traverse).
  BERTH_RETURN_IF_ERROR(store->env_->CreateDirs(store->root_, kDataRootMode));
  if (::geteuid() == 0) BERTH_RETURN_IF_ERROR(RestrictPermissions(store->env_, store->root_, kDataRootMode));
  if (opts.take_lock) {
    auto lock = store->env_->LockFile(store->root_ + "/berth.lock");
    if (!lock.ok() && lock.status().code() == Code::kFailedPrecondition) {
      return FailedPrecondition("data root " + store->root_ + " is in use by another berth process (pid " +
                                lock.status().message() + ")");
    }
    BERTH_ASSIGN_OR_RETURN(store->lock_, std::move(lock));
  }
  BERTH_ASSIGN_OR_RETURN(store->content_, ContentStore::Open(store->env_, store->root_ + "/content"));
  BERTH_ASSIGN_OR_RETURN(store->meta_, MetadataStore::Open(store->env_, store->root_ + "/metadata.db", opts.durable,
                                                           std::string(kParentLabel)));
  store->images_ = std::make_unique<image::ImageServiceImpl>(store->env_, store->content_.get(), store->meta_.get(),
                                                             &store->events_, &store->metrics_);
  // Finish what a crash may have interrupted: blobs whose last reference
  // went away in a committed transaction but whose files were not deleted.
  BERTH_RETURN_IF_ERROR(store->images_->FinishPendingDeletions());
  return std::unique_ptr<Store>(std::move(store));
}

namespace image {

MetadataStore* MetadataOf(Store* store) { return static_cast<StoreImpl*>(store)->meta_.get(); }

ContentStore* ContentOf(Store* store) { return static_cast<StoreImpl*>(store)->content_.get(); }

}  // namespace image

std::string DefaultDataRoot() {
  if (::geteuid() == 0) return "/var/lib/berth";
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return std::string(xdg) + "/berth";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.local/share/berth";
  return "/tmp/berth-" + std::to_string(::geteuid());
}

}  // namespace berth
