// Safe extraction of a build context (and of ADD's local archives): the
// snapshot module's ExtractTarInto with the context's rules (no link may
// point out of it, nothing is followed), so nothing lands outside `dir`.
#include <fcntl.h>

#include <cerrno>

#include "base/unique_fd.h"
#include "berth/builder.h"
#include "berth/dockerignore.h"
#include "berth/tree_archive.h"

namespace berth::builder {

std::string BuildsDir(const std::string& data_root) { return data_root + "/builds"; }

Status RemoveLeftoverBuilds(Env* env, const std::string& data_root) {
  const std::string dir = BuildsDir(data_root);
  if (!env->FileExists(dir)) return OkStatus();
  return env->RemoveAll(dir);
}

bool LooksLikeArchive(std::string_view head) {
  auto starts = [&](std::string_view magic) { return head.substr(0, magic.size()) == magic; };
  if (starts("\x1f\x8b") || starts("BZh") || starts(std::string_view("\xfd\x37\x7a\x58\x5a\x00", 6)) ||
      starts("\x28\xb5\x2f\xfd")) {
    return true;
  }
  return head.size() >= 262 && head.substr(257, 5) == "ustar";
}

Status ExtractTar(const ReadFn& read, const std::string& dir, int64_t max_bytes) {
  UniqueFd top(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!top.valid()) return ErrnoStatus("open " + dir, errno);
  TreeExtractOptions o;
  o.what = "invalid build context";
  o.place = "context";
  o.max_bytes = max_bytes;
  o.max_entries = kMaxContextEntries;
  return ExtractTarInto(read, top.get(), "", o);
}

}  // namespace berth::builder
