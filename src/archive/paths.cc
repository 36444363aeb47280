#include "archive/paths.h"

#include <vector>

#include "berth/digest.h"

namespace berth::archive {

namespace {

std::vector<std::string_view> Split(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t slash = s.find('/', start);
    if (slash == std::string_view::npos) slash = s.size();
    std::string_view part = s.substr(start, slash - start);
    if (!part.empty() && part != ".") out.push_back(part);
    start = slash + 1;
  }
  return out;
}

std::string Join(const std::vector<std::string_view>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); i++) {
    if (i > 0) out.push_back('/');
    out.append(parts[i]);
  }
  return out;
}

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

Result<std::string> NormalizeEntryPath(std::string_view path) {
  if (path.empty()) return InvalidArgument("archive entry with an empty name");
  if (path.front() == '/') {
    return InvalidArgument("archive entry " + Quote(path) + ": absolute paths are not allowed");
  }
  std::vector<std::string_view> parts = Split(path);
  for (std::string_view p : parts) {
    if (p == "..") {
      return InvalidArgument("archive entry " + Quote(path) + ": path traversal (\"..\") is not allowed");
    }
  }
  return Join(parts);
}

Result<std::string> ResolveSymlink(std::string_view link_path, std::string_view target) {
  if (target.empty()) return InvalidArgument("symlink " + Quote(link_path) + " has an empty target");
  if (target.front() == '/') {
    return InvalidArgument("symlink " + Quote(link_path) + " -> " + Quote(target) +
                           " points outside the archive (absolute target)");
  }
  std::vector<std::string_view> parts = Split(link_path);
  if (!parts.empty()) parts.pop_back();  // the link's directory
  for (std::string_view p : Split(target)) {
    if (p == "..") {
      if (parts.empty()) {
        return InvalidArgument("symlink " + Quote(link_path) + " -> " + Quote(target) +
                               " points outside the archive");
      }
      parts.pop_back();
    } else {
      parts.push_back(p);
    }
  }
  if (parts.empty()) {
    return InvalidArgument("symlink " + Quote(link_path) + " -> " + Quote(target) + " names the archive root");
  }
  return Join(parts);
}

bool IsBlobPath(std::string_view path, std::string* hex) {
  constexpr std::string_view kPrefix = "blobs/sha256/";
  if (path.substr(0, kPrefix.size()) != kPrefix) return false;
  std::string_view rest = path.substr(kPrefix.size());
  if (!IsSha256Hex(rest)) return false;
  if (hex != nullptr) *hex = std::string(rest);
  return true;
}

}  // namespace berth::archive
