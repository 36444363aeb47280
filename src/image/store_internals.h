// What the public Store interface does not hand out, for libberth's own
// tests and benchmarks only: the metadata store under an open Store (tests
// read and plant rows with it) and the writable content store (tests plant
// and list blobs behind the image service's back). Modules above the image
// service use its roles and Store::blobs() instead; no file of src/ outside
// src/image includes this header except a *_test.cc or a test helper.
#pragma once

#include "berth/image_service.h"
#include "berth/metadata.h"

namespace berth::image {

// The metadata store of a Store opened by Store::Open.
MetadataStore* MetadataOf(Store* store);

// The content store of a Store opened by Store::Open, with Put, Walk and
// Delete. A blob put here is held by nothing: the next collection may
// delete it unless a record or lease refers to it.
ContentStore* ContentOf(Store* store);

}  // namespace berth::image
