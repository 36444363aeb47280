#include "berth/log.h"

#include <spdlog/spdlog.h>

namespace berth {

void LogIfError(const Status& s, std::string_view context) {
  if (!s.ok()) spdlog::warn("{}: {}", context, s.ToString());
}

}  // namespace berth
