// Internals of the builder, shared by src/builder/*.cc:
//   context.cc   ExtractTar (ADD's local archives), BuildContext (the
//                request's context: index, kept archive, lazy tree)
//   executor.cc  Build: stages, dispatch, the cache, commits (executor.h)
//   steps.cc     RUN, COPY/ADD, WORKDIR
//   copy.cc      COPY/ADD: sources planned from an index, the staged layer
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

// A source of a COPY/ADD: its path ("" is the root) and entry.
struct CopySource {
  std::string rel;
  ContextEntry entry;
};

// A COPY/ADD resolved against its sources, before anything is written.
struct CopyPlan {
  std::vector<CopySource> sources;
  std::string comment;    // the step's cache comment ("COPY file:<sha256> in /dst ")
  std::string dest;       // the destination, absolute and clean
  bool dest_dir = false;  // a directory by its spelling (trailing '/', "/")
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

// Resolves the sources of an expanded COPY/ADD in `index` (wildcards as
// filepath.Match, "." the whole root) and digests them for the cache
// comment, without reading any file. `working_dir` makes a relative
// destination absolute. Errors are Docker's (missing source, several
// sources to a non-directory, COPY from a URL); ADD from a URL is refused.
Result<CopyPlan> PlanCopy(const dockerfile::Instruction& ins, const ContextIndex& index,
                          const std::string& working_dir);

// Stages the plan's sources, read from `root` (the tree `index` of
// PlanCopy describes), at their destination under `layer_dir` (created),
// owned by `owner` (nullopt: the sources' owners, as COPY --from without
// --chown). `dest_is_dir_in_image` tells whether an absolute path is a
// directory in the image the step builds on. ADD extracts local archives
// (their symbolic links kept as they are).
Status StageCopy(const dockerfile::Instruction& ins, const CopyPlan& plan, const std::string& root,
                 const std::string& layer_dir, const std::optional<Owner>& owner,
                 const std::function<Result<bool>(const std::string&)>& dest_is_dir_in_image);

// The index of a tree on disk (COPY --from's extracted paths), as
// BuildContext::Read indexes an archive.
Result<ContextIndex> IndexTree(const std::string& root);

// Go's path.Clean of an absolute path (the result starts with '/').
std::string CleanAbsolute(const std::string& path);

}  // namespace berth::builder
