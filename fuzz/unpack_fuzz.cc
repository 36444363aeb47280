// Fuzz target: unpacking a layer blob (src/snapshot/unpack.h) into a fresh
// directory per input, inside a scratch tree (fuzz_util.h ScratchParent):
//   <scratch>/a/b/c/layer   the unpack directory
// Input: one byte choosing the read size (1..256 x 64 bytes a read), then the
// blob (tar, gzip, zstd, ...).
// Invariants: nothing is created outside the layer directory (a, b and c
// hold exactly their one child afterwards; a path climbing further than
// three levels would land beside the scratch tree, which the relative
// symlinks a fuzzer finds first do not reach); a successful unpack's digest
// is the SHA-256 of the uncompressed stream, which for a plain tar is the
// input itself; errors are InvalidArgument, DataLoss or Internal (a write
// refused by the filesystem), never a crash.
// The process gives up CAP_MKNOD first (when running as root): a fuzzed
// layer may hold device nodes, and a device node the fuzzer's own input
// points at (a block device of this machine) must not become writable by a
// later entry. Whiteouts (char 0/0) need no capability on Linux >= 5.8.
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "berth/digest.h"
#include "berth/env.h"
#include "fuzz_util.h"
#include "snapshot/unpack.h"
#include "testing/temp_dir.h"

namespace {
// berthd's decompression limits, with the total lowered so a run stays small.
const berth::DecompressionLimits kFuzzLimits{.max_bytes = int64_t{256} << 20};
}  // namespace

namespace {

void DropMknod() {
  if (::geteuid() != 0) return;
  FUZZ_CHECK(::prctl(PR_CAPBSET_DROP, CAP_MKNOD, 0, 0, 0) == 0);
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct caps[2] = {};
  FUZZ_CHECK(::syscall(SYS_capget, &header, caps) == 0);
  for (auto& c : caps) {
    c.effective &= ~(1u << CAP_MKNOD);
    c.permitted &= ~(1u << CAP_MKNOD);
    c.inheritable &= ~(1u << CAP_MKNOD);
  }
  FUZZ_CHECK(::syscall(SYS_capset, &header, caps) == 0);
}

struct Scratch {
  berth::testing::TempDir dir;
  std::string layer;
};

Scratch* TheScratch() {
  static Scratch* s = [] {
    DropMknod();
    auto* s = new Scratch;
    FUZZ_CHECK(s->dir.Create("berth-fuzz-unpack", berth::fuzz::ScratchParent()));
    s->layer = s->dir.path() + "/a/b/c/layer";
    std::atexit([] { TheScratch()->dir.Remove(); });
    return s;
  }();
  return s;
}

void CheckOnlyChild(berth::Env* env, const std::string& dir, const std::string& child) {
  auto names = env->ListDir(dir);
  FUZZ_CHECK_MSG(names.ok(), dir);
  std::string listing;
  for (const std::string& n : *names) listing += n + " ";
  FUZZ_CHECK_MSG(names->size() == 1 && (*names)[0] == child, "written outside the layer, in " + dir + ": " + listing);
}

// A tar no decompression filter claims: "ustar" at offset 257 (POSIX and GNU
// headers) and a name starting with a character no filter's magic starts
// with (all of them are binary, "BZh", "LZIP", "LRZI" or "begin").
bool IsPlainTar(std::string_view data) {
  constexpr std::string_view kSafeFirst = "acdefghijklmnopqrstuvwxyz0123456789._";
  return data.size() >= 262 && data.substr(257, 5) == "ustar" && kSafeFirst.find(data[0]) != std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  TheScratch();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  berth::fuzz::Parts parts(data, size);
  size_t chunk = (static_cast<size_t>(parts.Byte()) + 1) * 64;
  std::string_view blob = parts.rest();
  Scratch* scratch = TheScratch();
  berth::Env* env = berth::Env::Default();
  FUZZ_CHECK(env->CreateDirs(scratch->layer).ok());

  berth::fuzz::MemoryFile file(blob, chunk);
  auto digest = berth::snapshot::UnpackLayer(&file, scratch->layer, "fuzz", kFuzzLimits);
  if (digest.ok()) {
    if (IsPlainTar(blob)) FUZZ_CHECK(*digest == berth::Digest::Of(blob));
  } else {
    berth::Code c = digest.status().code();
    FUZZ_CHECK_MSG(c == berth::Code::kInvalidArgument || c == berth::Code::kDataLoss || c == berth::Code::kInternal,
                   digest.status().ToString());
  }
  const std::string& root = scratch->dir.path();
  CheckOnlyChild(env, root, "a");
  CheckOnlyChild(env, root + "/a", "b");
  CheckOnlyChild(env, root + "/a/b", "c");
  CheckOnlyChild(env, root + "/a/b/c", "layer");
  FUZZ_CHECK(env->RemoveAll(scratch->layer).ok());
  return 0;
}
