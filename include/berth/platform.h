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

// Parses a specifier "os", "os/arch", "os/arch/variant" or "arch" with
// containerd's rules (platforms.Parse). The OS part may carry options,
// "os(version)" or "os(version+feature+feature)", percent-encoded ("%2B").
// A known OS alone gets the host's architecture; a known architecture alone
// gets the host OS ("linux"). OS, architecture and variant are normalised,
// except that, as in containerd, arm/v7 given as "arm" or "os/arm" keeps an
// empty variant and "os/arm64/v8" keeps variant "v8". Errors are
// InvalidArgument with containerd's texts, e.g.
//   "a/b/c/d": cannot parse platform specifier: invalid argument
//   "foo": unknown operating system or architecture: invalid argument
//   "" is an invalid component of "linux/arm/": platform specifier component
//     must match "^[A-Za-z0-9_.-]+$": invalid argument
//   "*": wildcards not yet supported: invalid argument
Result<Platform> ParsePlatform(std::string_view specifier);

// Parses the JSON OCI form {"architecture":…,"os":…,"variant":…,
// "os.version":…,"os.features":[…]} with Docker's DecodePlatform errors
// (InvalidArgument):
//   failed to parse platform: <Go encoding/json error text>
//   optional platform fields provided, but OS and Architecture are missing
//   both OS and Architecture must be provided
// Keys match case-insensitively (ASCII), unknown keys are ignored, null
// leaves a field empty, as Go's json.Unmarshal does.
// The result is not normalised (matchers normalise).
Result<Platform> ParsePlatformJson(std::string_view json);
// The JSON OCI form as Go marshals ocispec.Platform: "architecture", "os",
// then "os.version", "os.features", "variant" only when non-empty.
std::string PlatformToJson(const Platform& p);

// "os/arch[/variant]" (empty parts skipped); "unknown" when os is empty.
// containerd's platforms.Format.
std::string FormatPlatform(const Platform& p);
// Like FormatPlatform, with OS options: "os(version+f1+f2)/arch[/variant]"
// (features sorted, empty ones skipped, "%+()/" percent-encoded).
// containerd's platforms.FormatAll; ParsePlatform reads it back.
std::string FormatPlatformAll(const Platform& p);

// Normalises os/arch/variant: x86_64,x86-64→amd64 (amd64/v1→amd64);
// aarch64→arm64 (arm64/v8, /8, /v8.0 → no variant; /9, /9.0, /v9.0 → v9);
// arm→arm/v7 (arm/5,6,7,8 → v5..v8); armhf→arm/v7; armel→arm/v6;
// i386→386; os lower-cased, "macos"→"darwin", empty os → host OS;
// os_features sorted and de-duplicated.
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
// for windows only, with Windows host/container build compatibility; the
// candidate's os_features must be a subset of p's). containerd's
// platforms.OnlyStrict. requested() is `p` as given.
std::unique_ptr<PlatformMatcher> OnlyStrict(const Platform& p);
// Also accepts compatible lower variants, in this preference order
// (containerd's platforms.Only / platformVector):
//   amd64/vN → amd64/vN, vN-1, …, v1 (= amd64), then 386;
//   arm/vN   → arm/vN, vN-1, …, v5;
//   arm64/v8.N → arm64/v8.N, …, v8.1, v8 (= arm64), then arm/v8, v7, v6, v5;
//   arm64/v9.N → arm64/v9.N, …, v9, then v8.(N+5), …, v8, then arm/v8 … v5.
// Less(a, b) is true when a's first matching entry comes before b's
// (non-matching platforms sort last); it is a strict weak ordering.
std::unique_ptr<PlatformMatcher> Only(const Platform& p);
// Every platform matches; those compatible with `preferred` sort first
// (in Only's order), the rest after, ordered by the FormatPlatform string of
// their normalised form. requested() is `preferred` as given.
std::unique_ptr<PlatformMatcher> AllWithPreference(const Platform& preferred);

}  // namespace berth
