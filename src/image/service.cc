// ImageServiceImpl: wires the roles together (see service.h).
#include "image/service.h"

namespace berth::image {

ImageServiceImpl::ImageServiceImpl(Env* env, ContentStore* content, MetadataStore* meta, EventBus* events,
                                   Metrics* metrics)
    : docs_(content),
      leases_(content, meta, events, metrics),
      records_(env, meta, metrics, &docs_, &leases_),
      roots_(meta, &leases_),
      views_(meta, &docs_, &leases_),
      removal_(env, metrics, &docs_, &leases_, &records_, &views_),
      explainer_(meta, &docs_, &leases_, &views_, &removal_) {}

ImageServiceImpl::~ImageServiceImpl() = default;

}  // namespace berth::image
