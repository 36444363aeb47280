// A container's privileges as Docker sets them: its capability set (Docker's
// defaults changed by --cap-add / --cap-drop) and its seccomp filter (Docker's
// default profile, or a profile in Docker's JSON format given with
// --security-opt seccomp=...), resolved into what the OCI runtime spec's
// process.capabilities and linux.seccomp hold. runc applies both.
//
// Thread-safety: the functions are thread-safe; the types are values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/status.h"

namespace berth {

// ---- capabilities ----

// Docker's default capability set ("CAP_CHOWN", ...), in Docker's order.
const std::vector<std::string>& DefaultCapabilities();

// Every capability Linux knows ("CAP_CHOWN" = 0 ... "CAP_CHECKPOINT_RESTORE"
// = 40), indexed by number.
const std::vector<std::string>& KnownCapabilities();

// The capabilities this process holds (the effective set in
// /proc/self/status) as a bit mask; all known ones when it cannot be read.
uint64_t AvailableCapabilityMask();

// Every known capability set in `available` (a privileged container's set).
std::vector<std::string> CapabilitiesIn(uint64_t available);

// Docker's rules for --cap-add / --cap-drop: names are case-insensitive,
// "CAP_" optional, "ALL" means every available capability. Without changes
// the result is DefaultCapabilities(); with "ALL" added it is every available
// capability minus the drops; with "ALL" dropped it is exactly the adds;
// otherwise the defaults minus the drops plus the adds. `available` is a mask
// as AvailableCapabilityMask gives. An unknown name is InvalidArgument
// `invalid CapAdd: unknown capability: "CAP_X"` (CapDrop for a drop); a known
// but unavailable one `invalid CapAdd: capability not supported by your
// kernel or not available in the current environment: "CAP_X"`, as dockerd
// says.
Result<std::vector<std::string>> ApplyCapabilityChanges(const std::vector<std::string>& add,
                                                        const std::vector<std::string>& drop, uint64_t available);

// ---- seccomp ----

// One argument comparison of an OCI seccomp rule ("SCMP_CMP_EQ", ...).
struct SeccompArg {
  uint32_t index = 0;  // 0..5
  uint64_t value = 0;
  uint64_t value_two = 0;
  std::string op;
};

// An OCI linux.seccomp.syscalls entry.
struct SeccompRule {
  std::vector<std::string> names;
  std::string action;                 // "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", ...
  std::optional<uint32_t> errno_ret;  // with SCMP_ACT_ERRNO / SCMP_ACT_TRACE only
  std::vector<SeccompArg> args;
};

// OCI linux.seccomp: what runc loads.
struct SeccompFilter {
  std::string default_action;
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures;  // "SCMP_ARCH_X86_64", ...
  std::vector<std::string> flags;          // "SECCOMP_FILTER_FLAG_LOG", ...
  std::vector<SeccompRule> syscalls;
};

// When a profile rule applies. Empty lists and no kernel mean "no condition".
struct SeccompCondition {
  std::vector<std::string> caps;                            // "CAP_SYS_ADMIN"
  std::vector<std::string> arches;                          // Docker's arch names: "amd64", "x86", "arm64", ...
  std::optional<std::pair<uint32_t, uint32_t>> min_kernel;  // {major, minor}
};

// A rule of a Docker profile: included when every `includes` condition holds
// (all its caps in the bounding set, the host arch among its arches, the
// kernel at least min_kernel) and no `excludes` condition holds (any of its
// caps present, the host arch among its arches, the kernel at least
// min_kernel).
struct SeccompProfileRule {
  SeccompRule rule;
  SeccompCondition includes;
  SeccompCondition excludes;
};

struct SeccompArchMapEntry {
  std::string architecture;                    // "SCMP_ARCH_X86_64"
  std::vector<std::string> sub_architectures;  // "SCMP_ARCH_X86", "SCMP_ARCH_X32"
};

// A seccomp profile in Docker's format, before its conditions are resolved.
struct SeccompProfile {
  std::string default_action;  // empty with no rules: no filter at all
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures;  // given explicitly (not with arch_map)
  std::vector<SeccompArchMapEntry> arch_map;
  std::vector<std::string> flags;
  std::vector<SeccompProfileRule> rules;
};

// Docker 28.2's default profile (moby profiles/seccomp): default action
// errno EPERM, an allowlist, groups allowed only with a capability
// (CAP_SYS_ADMIN: mount, unshare, setns, ...; CAP_SYS_PTRACE; CAP_SYS_BOOT;
// ...) or on an arch, argument filters (clone without namespace flags,
// personality values, socket families but AF_VSOCK), clone3 failing with
// ENOSYS without CAP_SYS_ADMIN.
const SeccompProfile& DefaultSeccompProfile();

// Largest profile text ParseSeccompProfile accepts.
inline constexpr size_t kSeccompProfileMaxBytes = 1 << 20;

// Parses a profile in Docker's JSON format: defaultAction, defaultErrnoRet,
// architectures or archMap (not both), flags, syscalls (each with names or
// name (not both), action, errnoRet, args {index, value, valueTwo, op},
// includes/excludes {caps, arches, minKernel "X.Y"}, comment). Every action,
// op, arch and flag must be one runc knows; an unknown field, a wrong type,
// listenerPath / SCMP_ACT_NOTIFY (berth runs no seccomp agent) or a text over
// kSeccompProfileMaxBytes is InvalidArgument whose message starts
// "Decoding seccomp profile failed: " and names the problem.
Result<SeccompProfile> ParseSeccompProfile(std::string_view json_text);

// The host facts a profile's conditions are resolved against.
struct SeccompHost {
  std::string arch;  // Docker's name for the native arch: "amd64", "arm64", ...
  uint32_t kernel_major = 0;
  uint32_t kernel_minor = 0;
};
// This machine's (uname).
SeccompHost CurrentSeccompHost();

// Resolves `profile` for a container whose bounding capability set is `caps`
// on `host`, as Docker does: the archMap entry of the host arch gives the
// architectures (the native one and its sub-arches), the rules whose
// conditions hold are kept in order. A profile with neither a default action
// nor rules resolves to no filter (nullopt).
std::optional<SeccompFilter> ResolveSeccompProfile(const SeccompProfile& profile, const std::vector<std::string>& caps,
                                                   const SeccompHost& host);

// The filter of a container whose --security-opt seccomp= value is
// `profile`: "" or "builtin" Docker's default profile, "unconfined" none,
// anything else a profile's JSON text (ParseSeccompProfile's errors),
// resolved for `caps` on `host`.
Result<std::optional<SeccompFilter>> SeccompFilterFor(std::string_view profile, const std::vector<std::string>& caps,
                                                      const SeccompHost& host);

}  // namespace berth
