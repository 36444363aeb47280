// COPY and ADD from the build context, as Docker 28.2's classic builder
// does them (builder/dockerfile/copy.go): sources are paths in the context
// (wildcards as filepath.Match), a directory source copies its contents, a
// destination ending in '/' or an existing directory receives files by
// their base names, several sources need a directory destination, ADD
// extracts local archives. The cache comment names the sources by a
// digest of their contents ("file:<hex>", "dir:<hex>", "multi:<hex>").
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <optional>

#include "berth/digest.h"
#include "berth/dockerignore.h"
#include "builder/internal.h"

namespace berth::builder {

namespace {

namespace df = berth::dockerfile;

bool HasWildcard(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

bool IsUrl(std::string_view s) { return s.starts_with("http://") || s.starts_with("https://"); }

Status Errno(const std::string& what, const std::string& path) {
  return Internal(what + " " + path + ": " + std::strerror(errno));
}

// Every path under `dir` (relative, '/'-separated), depth first, sorted.
void Walk(const std::string& root, const std::string& rel, std::vector<std::string>* out) {
  std::string dir = rel.empty() ? root : root + "/" + rel;
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (struct dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    std::string r = rel.empty() ? n : rel + "/" + n;
    out->push_back(r);
    struct stat st;
    if (lstat((root + "/" + r).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) Walk(root, r, out);
  }
}

// Reads a regular file (not through a link) in pieces, handing each to `piece`.
Status ReadPieces(const std::string& path, const std::function<Status(std::string_view)>& piece) {
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Errno("open", path);
  std::vector<char> buf(1 << 16);
  for (;;) {
    ssize_t n = read(fd, buf.data(), buf.size());
    if (n < 0) {
      close(fd);
      return Errno("read", path);
    }
    if (n == 0) break;
    Status s = piece(std::string_view(buf.data(), static_cast<size_t>(n)));
    if (!s.ok()) {
      close(fd);
      return s;
    }
  }
  close(fd);
  return OkStatus();
}

// What the cache digest of a source takes of one entry: kind, mode, size,
// link target and the digest of its bytes.
void HashEntry(Sha256* sha, const std::string& rel, const ContextEntry& e) {
  sha->Update(rel + "\n" + std::to_string(static_cast<int>(e.kind)) + "\n" + std::to_string(e.mode) + "\n" +
              std::to_string(e.size) + "\n" + e.link + "\n" + e.content + "\n");
}

// The digest of a source's contents ("file:<hex>" or "dir:<hex>").
std::string HashSource(const ContextIndex& index, const std::string& rel, const ContextEntry& entry) {
  Sha256 sha;
  if (entry.kind != ContextEntry::Kind::kDirectory) {
    HashEntry(&sha, "", entry);
    return "file:" + sha.Finish().hex();
  }
  const std::string prefix = rel.empty() ? "" : rel + "/";
  for (auto it = index.lower_bound(prefix); it != index.end() && it->first.starts_with(prefix); ++it) {
    HashEntry(&sha, it->first.substr(prefix.size()), it->second);
  }
  return "dir:" + sha.Finish().hex();
}

// Creates `path` and its missing parents as directories (0755, root).
Status MakeDirs(const std::string& path) {
  std::string cur;
  size_t pos = 1;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string::npos) end = path.size();
    cur = path.substr(0, end);
    if (!cur.empty() && mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST) return Errno("mkdir", cur);
    pos = end + 1;
  }
  return OkStatus();
}

// Copies one file, link or directory tree from the context to `to`.
Status CopyTree(const std::string& from, const std::string& to, const std::optional<Owner>& owner) {
  struct stat st;
  if (lstat(from.c_str(), &st) != 0) return Errno("lstat", from);
  const Owner own = owner ? *owner : Owner{st.st_uid, st.st_gid};
  if (S_ISDIR(st.st_mode)) {
    if (mkdir(to.c_str(), st.st_mode & 07777) != 0 && errno != EEXIST) return Errno("mkdir", to);
    chmod(to.c_str(), st.st_mode & 07777);
    if (lchown(to.c_str(), own.uid, own.gid) != 0) return Errno("chown", to);
    std::vector<std::string> names;
    if (DIR* d = opendir(from.c_str())) {
      while (struct dirent* e = readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(n);
      }
      closedir(d);
    }
    for (const auto& n : names) BERTH_RETURN_IF_ERROR(CopyTree(from + "/" + n, to + "/" + n, owner));
    return OkStatus();
  }
  unlink(to.c_str());
  if (S_ISLNK(st.st_mode)) {
    char t[4096];
    ssize_t n = readlink(from.c_str(), t, sizeof t - 1);
    if (n < 0) return Errno("readlink", from);
    t[n] = 0;
    if (symlink(t, to.c_str()) != 0) return Errno("symlink", to);
  } else if (S_ISREG(st.st_mode)) {
    int fd = open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return Errno("create", to);
    Status copied = ReadPieces(from, [&](std::string_view d) -> Status {
      for (size_t off = 0; off < d.size();) {
        ssize_t w = write(fd, d.data() + off, d.size() - off);
        if (w < 0) return Errno("write", to);
        off += static_cast<size_t>(w);
      }
      return OkStatus();
    });
    fchmod(fd, st.st_mode & 0777);
    close(fd);
    BERTH_RETURN_IF_ERROR(copied);
  } else {
    return InvalidArgument("COPY failed: " + from + " is not a regular file, directory or symbolic link");
  }
  if (lchown(to.c_str(), own.uid, own.gid) != 0) return Errno("chown", to);
  return OkStatus();
}

bool AllDigits(const std::string& s) {
  return !s.empty() && s.size() <= 10 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The ID of `name` in an /etc/passwd or /etc/group text (third field).
std::optional<uint32_t> IdInFile(const std::string& text, const std::string& name) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    std::vector<std::string> fields;
    for (size_t f = 0; fields.size() < 4;) {
      size_t colon = line.find(':', f);
      fields.push_back(line.substr(f, colon == std::string::npos ? std::string::npos : colon - f));
      if (colon == std::string::npos) break;
      f = colon + 1;
    }
    if (fields.size() >= 3 && fields[0] == name && AllDigits(fields[2])) {
      return static_cast<uint32_t>(std::stoul(fields[2]));
    }
  }
  return std::nullopt;
}

}  // namespace

std::string CleanAbsolute(const std::string& path) { return CleanSlashPath("/" + path); }

Result<ContextIndex> IndexTree(const std::string& root) {
  std::vector<std::string> all;
  Walk(root, "", &all);
  ContextIndex index;
  for (const auto& rel : all) {
    const std::string full = root + "/" + rel;
    struct stat st;
    if (lstat(full.c_str(), &st) != 0) return Errno("lstat", full);
    ContextEntry e;
    e.mode = st.st_mode & 07777;
    if (S_ISDIR(st.st_mode)) {
      e.kind = ContextEntry::Kind::kDirectory;
    } else if (S_ISLNK(st.st_mode)) {
      e.kind = ContextEntry::Kind::kSymlink;
      char t[4096];
      ssize_t n = readlink(full.c_str(), t, sizeof t);
      if (n < 0) return Errno("readlink", full);
      e.link.assign(t, static_cast<size_t>(n));
    } else {
      e.kind = ContextEntry::Kind::kFile;
      e.size = st.st_size;
      Sha256 sha;
      std::string head;
      BERTH_RETURN_IF_ERROR(ReadPieces(full, [&](std::string_view d) {
        sha.Update(d);
        if (head.size() < 512) head.append(d.substr(0, 512 - head.size()));
        return OkStatus();
      }));
      e.content = sha.Finish().hex();
      e.archive = LooksLikeArchive(head);
    }
    index.emplace(rel, std::move(e));
  }
  return index;
}

Result<Owner> ParseChown(const std::string& chown,
                         const std::function<Result<std::string>(const std::string&)>& read_image_file) {
  Owner o;
  if (chown.empty()) return o;
  const std::string prefix = "unable to convert uid/gid chown string to host mapping: ";
  size_t colon = chown.find(':');
  if (colon != std::string::npos && chown.find(':', colon + 1) != std::string::npos) {
    return InvalidArgument("invalid chown string format: " + chown);
  }
  std::string user = chown.substr(0, colon);
  std::string group = colon == std::string::npos ? user : chown.substr(colon + 1);
  auto lookup = [&](const std::string& name, const char* file, const char* kind) -> Result<uint32_t> {
    if (AllDigits(name)) return static_cast<uint32_t>(std::stoul(name));
    Result<std::string> text = read_image_file(file);
    if (!text.ok()) {
      return InvalidArgument(prefix + "can't find " + (kind[0] == 'u' ? "uid for user " : "gid for group ") + name +
                             ": " + text.status().message());
    }
    std::optional<uint32_t> id = IdInFile(*text, name);
    if (!id) {
      return InvalidArgument(prefix + "can't find " + (kind[0] == 'u' ? "uid for user " : "gid for group ") + name +
                             ": no such " + kind + ": " + name);
    }
    return *id;
  };
  BERTH_ASSIGN_OR_RETURN(o.uid, lookup(user, "/etc/passwd", "user"));
  BERTH_ASSIGN_OR_RETURN(o.gid, lookup(group, "/etc/group", "group"));
  return o;
}

Result<CopyPlan> PlanCopy(const df::Instruction& ins, const ContextIndex& index, const std::string& working_dir) {
  const bool is_add = ins.kind == df::Kind::kAdd;
  const std::string name = is_add ? "ADD" : "COPY";
  CopyPlan plan;
  for (const auto& word : ins.words) {
    if (IsUrl(word)) {
      if (!is_add) return InvalidArgument("source can't be a URL for COPY");
      return Unimplemented("ADD from a URL is not supported by berth's builder (" + word +
                           "): download the file into the build context and ADD or COPY it from there");
    }
    std::string clean = CleanSlashPath(word.starts_with("/") ? word.substr(1) : word);
    if (clean == ".." || clean.starts_with("../")) {
      return InvalidArgument("forbidden path outside the build context: " + word + " ()");
    }
    if (clean == ".") clean = "";
    size_t before = plan.sources.size();
    if (clean.empty()) {
      plan.sources.push_back(CopySource{"", ContextEntry{ContextEntry::Kind::kDirectory, 0755}});
    } else if (HasWildcard(clean)) {
      for (const auto& [path, entry] : index) {
        if (fnmatch(clean.c_str(), path.c_str(), FNM_PATHNAME) == 0) plan.sources.push_back(CopySource{path, entry});
      }
    } else if (auto it = index.find(clean); it != index.end()) {
      plan.sources.push_back(CopySource{clean, it->second});
    }
    if (plan.sources.size() == before) {
      return InvalidArgument(name + " failed: file not found in build context or excluded by .dockerignore: stat " +
                             word + ": file does not exist");
    }
  }
  // The destination, absolute (a trailing '/' means a directory).
  std::string dest = ins.value;
  plan.dest_dir = dest.ends_with("/") || dest.ends_with("/.") || dest == ".";
  if (!dest.starts_with("/")) dest = (working_dir.empty() ? "/" : working_dir) + "/" + dest;
  plan.dest = CleanAbsolute(dest);
  if (plan.sources.size() > 1 && !plan.dest_dir) {
    return InvalidArgument("When using " + name +
                           " with more than one source file, the destination must be a directory and end with a /");
  }
  if (plan.dest == "/") plan.dest_dir = true;
  std::vector<std::string> hashes;
  for (const auto& src : plan.sources) hashes.push_back(HashSource(index, src.rel, src.entry));
  std::string src_hash;
  if (hashes.size() == 1) {
    src_hash = hashes[0];
  } else {
    std::string joined;
    for (size_t i = 0; i < hashes.size(); ++i) joined += (i ? "," : "") + hashes[i];
    Sha256 sha;
    sha.Update(joined);
    src_hash = "multi:" + sha.Finish().hex();
  }
  std::string chown = ins.chown.empty() ? "" : "--chown=" + ins.chown + " ";
  plan.comment = name + " " + chown + src_hash + " in " + ins.value + " ";
  return plan;
}

Status StageCopy(const df::Instruction& ins, const CopyPlan& plan, const std::string& root,
                 const std::string& layer_dir, const std::optional<Owner>& owner,
                 const std::function<Result<bool>(const std::string&)>& dest_is_dir_in_image) {
  const bool is_add = ins.kind == df::Kind::kAdd;
  const std::string& dest = plan.dest;
  bool dest_dir = plan.dest_dir;
  if (!dest_dir) {
    BERTH_ASSIGN_OR_RETURN(bool exists_as_dir, dest_is_dir_in_image(dest));
    dest_dir = exists_as_dir;
  }
  if (mkdir(layer_dir.c_str(), 0755) != 0 && errno != EEXIST) return Errno("mkdir", layer_dir);
  const std::string to_dest = layer_dir + (dest == "/" ? "" : dest);
  for (const auto& src : plan.sources) {
    std::string full = src.rel.empty() ? root : root + "/" + src.rel;
    if (src.entry.kind == ContextEntry::Kind::kDirectory) {
      BERTH_RETURN_IF_ERROR(MakeDirs(to_dest));
      std::vector<std::string> names;
      if (DIR* d = opendir(full.c_str())) {
        while (struct dirent* e = readdir(d)) {
          std::string n = e->d_name;
          if (n != "." && n != "..") names.push_back(n);
        }
        closedir(d);
      }
      for (const auto& n : names) BERTH_RETURN_IF_ERROR(CopyTree(full + "/" + n, to_dest + "/" + n, owner));
      continue;
    }
    if (is_add && src.entry.kind == ContextEntry::Kind::kFile && src.entry.archive) {
      BERTH_RETURN_IF_ERROR(MakeDirs(to_dest));
      int fd = open(full.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) return Errno("open", full);
      ReadFn reader = [fd](char* buf, size_t n) -> Result<size_t> {
        ssize_t r = read(fd, buf, n);
        if (r < 0) return Internal(std::string("read: ") + std::strerror(errno));
        return static_cast<size_t>(r);
      };
      // The archive's links are kept as they are (Docker resolves them only
      // in the container); the extraction never writes through one.
      Status extracted = ExtractTar(reader, to_dest, kMaxContextBytes, TarLinks::kAsIs);
      close(fd);
      if (!extracted.ok()) return InvalidArgument("ADD " + src.rel + ": " + extracted.message());
      continue;
    }
    std::string base = src.rel.substr(src.rel.rfind('/') == std::string::npos ? 0 : src.rel.rfind('/') + 1);
    std::string target = dest_dir ? (dest == "/" ? "/" + base : dest + "/" + base) : dest;
    std::string parent = target.substr(0, target.rfind('/'));
    BERTH_RETURN_IF_ERROR(MakeDirs(layer_dir + parent));
    BERTH_RETURN_IF_ERROR(CopyTree(full, layer_dir + target, owner));
  }
  return OkStatus();
}

}  // namespace berth::builder
