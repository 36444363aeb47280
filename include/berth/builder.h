// The classic builder behind `POST /build` (Docker 28.2's builder/dockerfile
// on berth's services): the build context is extracted into a private
// directory, the Dockerfile front end (berth/dockerfile.h) plans the steps,
// and each step runs in a real container (RUN) or is written directly
// (metadata steps, COPY/ADD) as one image whose parent label is the
// previous step's image, so the classic build cache and `docker rmi`'s
// parent pruning work on the chain.
//
// Thread-safety: one Build call per build; builds may run concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/container_service.h"
#include "berth/env.h"
#include "berth/image_service.h"
#include "berth/io.h"
#include "berth/status.h"

namespace berth::builder {

// <data-root>/builds: one private directory (0700) per running build, its
// context and scratch space, removed when the build ends.
std::string BuildsDir(const std::string& data_root);
// Removes what builds of an earlier run of the daemon left (a crash in the
// middle of one). Called at start, before any build can run.
Status RemoveLeftoverBuilds(Env* env, const std::string& data_root);

// Bounds of a build context: bytes of file data and number of entries.
inline constexpr int64_t kMaxContextBytes = int64_t{4} << 30;
inline constexpr int64_t kMaxContextEntries = 1'000'000;

// Which symbolic links ExtractTar takes: a build context's only when they
// point inside it; ADD's local archives any (stored as they are, resolved
// only inside the container, as Docker does).
enum class TarLinks { kInside, kAsIs };

// Extracts a tar (plain, gzip, bzip2, xz or zstd) into `dir` (an existing,
// empty, private directory), read once from `read`. Refused
// (InvalidArgument, naming the entry), leaving whatever was extracted for
// the caller to remove: absolute paths, paths with "..", with
// TarLinks::kInside a symbolic link whose target is absolute or leaves
// `dir`, a hard link to outside the archive's own files, a path through a
// symbolic link (nothing is ever written through one), devices, FIFOs and
// sockets, more than `max_bytes` of data or kMaxContextEntries entries.
// Regular files keep their permission bits (not setuid/setgid); owners are
// not kept (the extracting user owns everything).
Status ExtractTar(const ReadFn& read, const std::string& dir, int64_t max_bytes = kMaxContextBytes,
                  TarLinks links = TarLinks::kInside);

// One path of a build context as the builder sees it (what ExtractTar
// would write for it).
struct ContextEntry {
  enum class Kind { kFile, kDirectory, kSymlink };
  Kind kind = Kind::kFile;
  uint32_t mode = 0;     // permission bits as extracted
  int64_t size = 0;      // kFile: bytes
  std::string link;      // kSymlink: the target
  std::string content;   // kFile: hex SHA-256 of the bytes
  bool archive = false;  // kFile: its head LooksLikeArchive
};
// By clean relative path ("a/b"); the context's root is not in it.
using ContextIndex = std::map<std::string, ContextEntry>;

// A build context read once from the request body: every entry checked as
// ExtractTar checks it (the same refusals), indexed with the digest of its
// bytes, and the archive itself kept (in memory up to
// kContextSpoolMemoryBytes, beyond that in a file under `dir`), so that a
// fully cached build never writes the tree: Tree() extracts it (into
// `dir`/context) the first time a step needs the files.
// Thread-safety: used by one build at a time.
class BuildContext {
 public:
  static constexpr int64_t kContextSpoolMemoryBytes = int64_t{128} << 20;
  static constexpr int64_t kKeptFileBytes = int64_t{16} << 20;

  // Reads and checks the archive. `dir` is an existing private directory
  // the caller removes. The bytes of the regular files named in `kept`
  // (clean relative paths, up to kKeptFileBytes each) are kept in memory.
  // `spool_memory_bytes` bounds the archive kept in memory.
  static Result<std::unique_ptr<BuildContext>> Read(const ReadFn& read, const std::string& dir,
                                                    const std::vector<std::string>& kept,
                                                    int64_t max_bytes = kMaxContextBytes,
                                                    int64_t spool_memory_bytes = kContextSpoolMemoryBytes);
  ~BuildContext();
  BuildContext(const BuildContext&) = delete;
  BuildContext& operator=(const BuildContext&) = delete;

  const ContextIndex& index() const { return index_; }
  // The bytes of a file named in `kept` (NotFound: not a regular file of
  // the context, or not kept).
  Result<std::string> KeptFile(const std::string& path) const;
  // Takes `path` (and what is under it) out of the context.
  Status Remove(const std::string& path);
  // The extracted tree, written on the first call.
  [[nodiscard]] Result<std::string> Tree();
  bool extracted() const { return extracted_; }
  // Whether the kept archive outgrew memory (and went to a file).
  bool spooled_to_file() const;

 private:
  BuildContext() = default;
  struct Spool;
  std::string dir_;
  ContextIndex index_;
  std::map<std::string, std::string> kept_;
  std::vector<std::string> removed_;
  std::unique_ptr<Spool> spool_;
  bool extracted_ = false;
};

// Whether the first bytes of a file are a (possibly compressed) tar archive
// as ADD extracts it: gzip, bzip2, xz or zstd magic, or "ustar" at 257.
bool LooksLikeArchive(std::string_view head);

struct BuildOptions {
  std::string dockerfile = "Dockerfile";  // path in the context
  std::vector<std::string> tags;          // normalized references (name:tag)
  std::map<std::string, std::optional<std::string>> build_args;
  std::map<std::string, std::string> labels;  // --label: one LABEL step each on the target
  std::string target;
  bool no_cache = false;
  // --cache-from: image references whose history the cache also matches
  // (Docker 28.2's image cache; see src/builder/cache_from.h). Images that
  // cannot be found are skipped (a warning in the daemon's log); with
  // cache-from, a local cache hit counts only when it is an ancestor of a
  // cache-from image.
  std::vector<std::string> cache_from;
  bool remove = true;                    // remove a step's container after it succeeded
  bool force_remove = false;             // also after it failed
  std::string network_mode;              // as ContainerConfig::network_mode (a user network's name or ID too)
  int64_t shm_size = 0;                  // /dev/shm of RUN steps, bytes (0: Docker's 64 MiB)
  std::vector<std::string> extra_hosts;  // "name:ip" lines of RUN steps' /etc/hosts (--add-host)
  // pull=1 (`docker build --pull`): called with each FROM image (as
  // written, after expansion; not "scratch", not an earlier stage) before
  // the stage uses it, to pull it (its progress goes to the build's
  // output); an error fails the build. Empty: images are taken as the
  // store has them.
  std::function<Status(const std::string& image)> pull;
  // True once the client went away: the build stops ("Build cancelled"),
  // killing and removing a running step's container. May be empty.
  std::function<bool()> cancelled;
};

// Where the build's output goes: `stream` gets the text dockerd writes as
// {"stream":...} lines (Step N/M, ---> ids, RUN output, Successfully ...),
// `aux` the image ID of each finished stage ({"aux":{"ID":...}}).
struct BuildOutput {
  std::function<Status(std::string_view text)> stream;
  std::function<Status(const Digest& image_id)> aux;
  // Optional: a RUN step's command exited with this non-zero code; the
  // build then fails with Docker's text (dockerd's errorDetail carries the
  // code beside it).
  std::function<void(int exit_code)> run_failed;
};

// The roles of the image service a build uses, and the OS: records to
// resolve FROM and COPY --from images, tag the result, walk the cache's
// parent links and re-create --cache-from steps; removal for the empty
// image a FROM scratch RUN starts from. A build reads image content only
// through the container service (ImageConfigJson, StatInImage, ...).
// Every pointer must outlive the build.
struct BuildRoles {
  ImageRecords* records = nullptr;
  ImageRemoval* removal = nullptr;
  Env* env = nullptr;
  // The roles of a whole store.
  static BuildRoles Of(Store* store) { return {store->images(), store->images(), store->env()}; }
};

// Runs the Dockerfile of `context` and tags the result. Returns the image
// ID. Errors carry Docker's texts (e.g. "The
// command '/bin/sh -c false' returned a non-zero code: 1"). Scratch space
// (COPY layers) goes under `work_dir`, which the caller removes.
// What berth's builder does not do is refused naming it: COPY --from of
// "/" (or of a wildcard in its first component), ADD from a URL. RUN in a
// FROM scratch stage runs on an empty root filesystem, as Docker's.
Result<Digest> Build(const BuildRoles& roles, ContainerService* containers, BuildContext* context,
                     const std::string& work_dir, const BuildOptions& opts, const BuildOutput& out);

}  // namespace berth::builder
