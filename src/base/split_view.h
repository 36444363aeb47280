// Splitting text into views without copying: every piece between separators,
// empty ones included ("a,,b" gives "a", "", "b"; "" gives one empty piece),
// as Go's strings.Split does. The views point into the argument, which must
// outlive them.
#pragma once

#include <string_view>
#include <vector>

namespace berth {

inline std::vector<std::string_view> SplitView(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

}  // namespace berth
