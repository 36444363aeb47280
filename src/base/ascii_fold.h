// ASCII case folding for JSON key matching: Go's encoding/json matches a
// struct field's name case-insensitively, and Docker's and OCI's documents
// are Go structs. Internal to berth's modules.
#pragma once

#include <string_view>

namespace berth {

// a and b equal when ASCII letters are folded to lower case (other bytes as they are).
inline bool EqualFoldAscii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace berth
