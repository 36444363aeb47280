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

// Extracts a tar (plain, gzip, bzip2, xz or zstd) into `dir` (an existing,
// empty, private directory), read once from `read`. Refused
// (InvalidArgument, naming the entry), leaving whatever was extracted for
// the caller to remove: absolute paths, paths with "..", a symbolic link
// whose target is absolute or leaves `dir`, a hard link to outside the
// archive's own files, a path through a symbolic link, devices, FIFOs and
// sockets, more than `max_bytes` of data or kMaxContextEntries entries.
// Regular files keep their permission bits (not setuid/setgid); owners are
// not kept (the extracting user owns everything).
Status ExtractTar(const ReadFn& read, const std::string& dir, int64_t max_bytes = kMaxContextBytes);

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
  bool remove = true;         // remove a step's container after it succeeded
  bool force_remove = false;  // also after it failed
  std::string network_mode;   // as ContainerConfig::network_mode
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
};

// Runs the Dockerfile of the extracted context `context_dir` and tags the
// result. Returns the image ID. Errors carry Docker's texts (e.g. "The
// command '/bin/sh -c false' returned a non-zero code: 1"). Scratch space
// (COPY layers) goes under `work_dir`, which the caller removes.
// What berth's builder does not do is refused naming it: COPY --from of
// "/" (or of a wildcard in its first component), ADD from a URL, RUN in a
// FROM scratch stage.
Result<Digest> Build(Store* store, ContainerService* containers, const std::string& context_dir,
                     const std::string& work_dir, const BuildOptions& opts, const BuildOutput& out);

}  // namespace berth::builder
