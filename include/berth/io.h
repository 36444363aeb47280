// Byte-stream callbacks shared by every module that streams data (archive
// load/save, container import, the API's request bodies and streamed
// responses). Part of base; no dependencies beyond Status.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "berth/status.h"

namespace berth {

// Reads up to n bytes into buf; returns the number read, 0 at end of input,
// or the failure that stopped the read.
using ReadFn = std::function<Result<size_t>(char* buf, size_t n)>;
// Consumes the next piece of output; a failure stops the producer.
using WriteFn = std::function<Status(std::string_view data)>;

// Bounds on decompressing untrusted input (an image layer, a compressed
// docker load archive) so that a small "bomb" cannot fill the disk: at most
// `max_bytes` of output, and, once the output is past `ratio_after_bytes`,
// at most `max_ratio` output bytes per input byte. 0 disables a bound.
// docs/architecture.md ("Untrusted input: the limits") lists the defaults.
struct DecompressionLimits {
  int64_t max_bytes = int64_t{32} << 30;          // 32 GiB
  int64_t max_ratio = 100;                        // 100:1
  int64_t ratio_after_bytes = int64_t{64} << 20;  // 64 MiB
};

// InvalidArgument "<what> is larger than the limit of N bytes when
// decompressed" or "<what> decompresses more than R:1 (N bytes from M; a
// decompression bomb?)" when `plain` bytes decoded from `compressed` input
// break `limits`.
[[nodiscard]] Status CheckDecompression(const DecompressionLimits& limits, int64_t compressed, int64_t plain,
                                        std::string_view what);

}  // namespace berth
