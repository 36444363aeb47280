// What the public Store interface does not hand out, for libberth's own
// tests: the metadata store under an open Store (tests read and plant rows
// with it; modules above the image service use its roles instead).
#pragma once

#include "berth/image_service.h"
#include "berth/metadata.h"

namespace berth::image {

// The metadata store of a Store opened by Store::Open.
MetadataStore* MetadataOf(Store* store);

}  // namespace berth::image
