// CheckDecompression (see berth/io.h).

#include <string>

#include "berth/io.h"

namespace berth {

Status CheckDecompression(const DecompressionLimits& limits, int64_t compressed, int64_t plain, std::string_view what) {
  if (limits.max_bytes > 0 && plain > limits.max_bytes) {
    return InvalidArgument(std::string(what) + " is larger than the limit of " + std::to_string(limits.max_bytes) +
                           " bytes when decompressed");
  }
  if (limits.max_ratio > 0 && plain > limits.ratio_after_bytes && compressed >= 0 &&
      plain / limits.max_ratio > compressed) {
    return InvalidArgument(std::string(what) + " decompresses more than " + std::to_string(limits.max_ratio) + ":1 (" +
                           std::to_string(plain) + " bytes from " + std::to_string(compressed) +
                           "; a decompression bomb?)");
  }
  return OkStatus();
}

}  // namespace berth
