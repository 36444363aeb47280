// OCI platforms: parsing, formatting, normalisation and matchers, with the
// semantics of containerd's `platforms` package.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "berth/status.h"

namespace berth {

struct Platform {
  std::string os;            // "linux"
  std::string architecture;  // "amd64"
  std::string variant;       // "v7", "" when absent
  std::string os_version;    // windows only
  std::vector<std::string> os_features;

  bool operator==(const Platform&) const = default;
};

// Parses a specifier "os", "os/arch", "os/arch/variant" or "arch" (containerd
// rules: a known OS alone gets the host's architecture; a known architecture
// alone gets the host OS "linux"). The result is normalised. Errors are
// InvalidArgument: "\"x/y/z/w\": invalid platform specifier", "unknown
// operating system or architecture: …".
Result<Platform> ParsePlatform(std::string_view specifier);

// Parses the JSON OCI form {"architecture":…,"os":…,"variant":…,
// "os.version":…,"os.features":[…]} with Docker's DecodePlatform errors:
//   failed to parse platform: <json error>
//   optional platform fields provided, but OS and Architecture are missing
//   both OS and Architecture must be provided
// The result is not normalised (matchers normalise).
Result<Platform> ParsePlatformJson(std::string_view json);
std::string PlatformToJson(const Platform& p);

// "os/arch[/variant]".
std::string FormatPlatform(const Platform& p);

// Normalises os/arch/variant: x86_64,x86-64→amd64 (amd64/v1→amd64);
// aarch64→arm64 (arm64/v8→arm64, no variant); arm→arm/v7; armhf→arm/v7;
// armel→arm/v6; i386→386; os lower-cased ("darwin", "macos"→"darwin").
Platform Normalize(Platform p);

// The host platform ("linux/amd64" on this machine), normalised.
Platform HostPlatform();

// Matches platforms and orders matches by preference. Thread-safe.
class PlatformMatcher {
 public:
  virtual ~PlatformMatcher() = default;
  virtual bool Match(const Platform& p) const = 0;
  // True if `a` is preferred over `b`. Only meaningful for matching platforms.
  virtual bool Less(const Platform& a, const Platform& b) const = 0;
  // The requested platform, when the matcher was made from one (for messages).
  virtual const Platform* requested() const { return nullptr; }
};

// Same os, architecture and variant after normalisation (OS version compared
// for windows only). containerd's platforms.OnlyStrict.
std::unique_ptr<PlatformMatcher> OnlyStrict(const Platform& p);
// Also accepts compatible lower variants (amd64/vN → lower amd64 and 386;
// arm/vN → lower arm variants; arm64 → arm/v8..v5 ...). containerd's
// platforms.Only; orders the exact variant first, then descending variants.
std::unique_ptr<PlatformMatcher> Only(const Platform& p);
// Every platform matches; those compatible with `preferred` sort first
// (in Only's order), the rest after, ordered by their formatted string.
std::unique_ptr<PlatformMatcher> AllWithPreference(const Platform& preferred);

}  // namespace berth
