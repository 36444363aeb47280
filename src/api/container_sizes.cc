#include "api/container_sizes.h"

#include "berth/image_service.h"

namespace berth::api {

int64_t ContainerSizer::Rw(const std::string& id) {
  Result<int64_t> size = containers_->WritableLayerSize(id);
  return size.ok() ? *size : 0;
}

int64_t ContainerSizer::ImageSize(const ContainerRecord& r) {
  const std::string id = r.image_id.str();
  if (auto it = image_sizes_.find(id); it != image_sizes_.end()) return it->second;
  int64_t size = 0;
  if (store_ != nullptr && store_->images() != nullptr && !r.image_id.empty()) {
    Result<ImageInspect> img = store_->images()->Inspect(id, r.image_platform, /*manifests=*/false);
    if (img.ok()) size = img->size;
  }
  image_sizes_[id] = size;
  return size;
}

void ContainerSizer::AddTo(const ContainerRecord& r, boost::json::object* o) {
  int64_t rw = Rw(r.id);
  (*o)["SizeRw"] = rw;
  (*o)["SizeRootFs"] = rw + ImageSize(r);
}

}  // namespace berth::api
