#include "berth/tree_size.h"

#include <ftw.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <utility>

namespace berth {

namespace {

// nftw's callback has no user argument: the walk in progress on this thread.
struct Walk {
  int64_t total = 0;
  std::set<std::pair<dev_t, ino_t>> linked;  // inodes with several links already counted
};
thread_local Walk* current = nullptr;

int Visit(const char*, const struct stat* st, int type, struct FTW*) {
  if (type != FTW_F || !S_ISREG(st->st_mode)) return 0;
  if (st->st_nlink > 1 && !current->linked.insert({st->st_dev, st->st_ino}).second) return 0;
  current->total += st->st_size;
  return 0;
}

}  // namespace

Result<int64_t> ApparentTreeSize(const std::string& dir) {
  struct stat st;
  if (::lstat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) return NotFound(dir + ": no such directory");
    return Internal("stat " + dir + ": " + std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) return InvalidArgument(dir + ": not a directory");
  Walk walk;
  current = &walk;
  // FTW_PHYS: links are not followed; at most 32 descriptors held at once.
  int r = ::nftw(dir.c_str(), Visit, 32, FTW_PHYS);
  int err = errno;
  current = nullptr;
  if (r != 0) return Internal("walk " + dir + ": " + std::strerror(err));
  return walk.total;
}

}  // namespace berth
