// Byte-stream callbacks shared by every module that streams data (archive
// load/save, container import, the API's request bodies and streamed
// responses). Part of base; no dependencies beyond Status.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

#include "berth/status.h"

namespace berth {

// Reads up to n bytes into buf; returns the number read, 0 at end of input,
// or the failure that stopped the read.
using ReadFn = std::function<Result<size_t>(char* buf, size_t n)>;
// Consumes the next piece of output; a failure stops the producer.
using WriteFn = std::function<Status(std::string_view data)>;

}  // namespace berth
