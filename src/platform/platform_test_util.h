// Helpers shared by the platform tests.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "berth/platform.h"

namespace berth::platform_test {

// A Platform from its fields, in the order of the struct.
inline Platform P(std::string os, std::string arch, std::string variant = "", std::string os_version = "",
                  std::vector<std::string> features = {}) {
  Platform p;
  p.os = std::move(os);
  p.architecture = std::move(arch);
  p.variant = std::move(variant);
  p.os_version = std::move(os_version);
  p.os_features = std::move(features);
  return p;
}

// Every field of `p`, for comparisons and failure messages:
// "{os,arch,variant,os_version,[f1;f2;]}".
inline std::string Describe(const Platform& p) {
  std::string s = "{" + p.os + "," + p.architecture + "," + p.variant + "," + p.os_version + ",[";
  for (const auto& f : p.os_features) s += f + ";";
  return s + "]}";
}

}  // namespace berth::platform_test
