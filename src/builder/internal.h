// Internals of the builder, shared by src/builder/*.cc:
//   context.cc   ExtractTar (build contexts, ADD's local archives)
//   executor.cc  Build: stages, steps, the cache, commits, RUN
//   copy.cc      COPY/ADD: sources in the context, the staged layer
//   run_config.cc  the run config's fields (run_config.h)
// Internal to src/builder.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "berth/builder.h"
#include "berth/dockerfile.h"

namespace berth::builder {

// What a COPY/ADD staged: the layer's tree is under `layer_dir`; `comment`
// is the step's cache comment ("COPY file:<sha256> in /dst ").
struct StagedCopy {
  std::string comment;
  std::string dest;  // the destination, absolute and clean
};

// Owner of copied files (--chown; 0:0 when not given).
struct Owner {
  uint32_t uid = 0;
  uint32_t gid = 0;
};

// --chown's "user[:group]" as Docker's parseChownFlag reads it: numbers
// are IDs; names are looked up in the image's /etc/passwd and /etc/group
// (read through `read_image_file`, called only for names); a user alone
// is also the group's name. Errors (InvalidArgument) are Docker's:
// "unable to convert uid/gid chown string to host mapping: can't find uid
// for user X: no such user: X".
Result<Owner> ParseChown(const std::string& chown,
                         const std::function<Result<std::string>(const std::string&)>& read_image_file);

// Resolves the sources of an expanded COPY/ADD in the context, stages the
// files at their destination under `layer_dir` (created), owned by
// `owner` (nullopt: the sources' owners, as COPY --from without --chown). `working_dir` makes a relative destination
// absolute. `dest_is_dir_in_image` tells whether an absolute path is a directory in the image the step builds on. ADD
// extracts local archives.
Result<StagedCopy> StageCopy(const dockerfile::Instruction& ins, const std::string& context_dir,
                             const std::string& working_dir, const std::string& layer_dir,
                             const std::optional<Owner>& owner,
                             const std::function<Result<bool>(const std::string&)>& dest_is_dir_in_image);

// Go's path.Clean of an absolute path (the result starts with '/').
std::string CleanAbsolute(const std::string& path);

}  // namespace berth::builder
