// CleanSlashPath and ComponentsWithin (see berth/slash_path.h).

#include "berth/slash_path.h"

namespace berth {

namespace {

// Calls `fn` for each component of `path` between slashes (empty ones too);
// stops early when `fn` returns false.
template <typename Fn>
void ForEachComponent(std::string_view path, Fn&& fn) {
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    size_t end = slash == std::string_view::npos ? path.size() : slash;
    if (!fn(path.substr(start, end - start))) return;
    if (slash == std::string_view::npos) return;
    start = slash + 1;
  }
}

}  // namespace

std::string CleanSlashPath(std::string_view path) {
  if (path.empty()) return ".";
  const bool rooted = path[0] == '/';
  std::vector<std::string_view> parts;
  ForEachComponent(path, [&](std::string_view part) {
    if (part.empty() || part == ".") return true;
    if (part != "..") {
      parts.push_back(part);
    } else if (!parts.empty() && parts.back() != "..") {
      parts.pop_back();
    } else if (!rooted) {
      parts.push_back(part);
    }
    return true;
  });
  std::string out = rooted ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += '/';
    out += parts[i];
  }
  return out.empty() ? "." : out;
}

std::optional<std::vector<std::string>> ComponentsWithin(std::string_view path) {
  std::vector<std::string> out;
  bool escapes = false;
  ForEachComponent(path, [&](std::string_view part) {
    if (part == "..") {
      escapes = true;
      return false;
    }
    if (!part.empty() && part != ".") out.emplace_back(part);
    return true;
  });
  if (escapes) return std::nullopt;
  return out;
}

bool IsLocalSlashPath(std::string_view path) {
  if (path.empty() || path.front() == '/') return false;
  const std::string clean = CleanSlashPath(path);
  return clean != ".." && !clean.starts_with("../");
}

}  // namespace berth
