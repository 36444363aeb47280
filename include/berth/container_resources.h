// A container's resource settings: the HostConfig fields of Docker's
// Resources (memory, CPU, cpuset, pids, block I/O weight, devices, ulimits)
// plus OomScoreAdj, ShmSize and Sysctls; their JSON (Docker's keys), Docker's
// validation (verifyPlatformContainerResources, 28.2's texts) and what they
// become in the OCI spec (as Docker's daemon fills it in).
//
// Thread-safety: free functions over values; ProbeHostResources reads
// /sys/fs/cgroup and /proc.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "berth/runtime.h"
#include "berth/status.h"

namespace berth {

// HostConfig.Ulimits entry (--ulimit nofile=100:200).
struct UlimitSetting {
  std::string name;  // "nofile", "nproc", ...
  int64_t soft = 0;
  int64_t hard = 0;
  bool operator==(const UlimitSetting&) const = default;
};

// HostConfig.Devices entry (--device /dev/fuse[:/dev/fuse[:rwm]]).
struct DeviceMapping {
  std::string path_on_host;
  std::string path_in_container;
  std::string cgroup_permissions;  // "rwm" or a part of it
  bool operator==(const DeviceMapping&) const = default;
};

// The values as Docker keeps them in HostConfig (0 / "" / absent: not set).
struct ContainerResources {
  int64_t memory = 0;              // bytes
  int64_t memory_reservation = 0;  // bytes
  int64_t memory_swap = 0;         // memory + swap, bytes; -1 unlimited
  std::optional<int64_t> memory_swappiness;
  std::optional<bool> oom_kill_disable;
  int64_t nano_cpus = 0;
  int64_t cpu_shares = 0;
  int64_t cpu_period = 0;  // microseconds
  int64_t cpu_quota = 0;   // microseconds
  std::string cpuset_cpus;
  std::string cpuset_mems;
  std::optional<int64_t> pids_limit;
  int64_t blkio_weight = 0;
  int oom_score_adj = 0;
  int64_t shm_size = 0;  // bytes; 0: Docker's 64 MiB
  std::vector<UlimitSetting> ulimits;
  std::map<std::string, std::string> sysctls;
  std::vector<DeviceMapping> devices;
  std::vector<std::string> device_cgroup_rules;  // as given: "c 7:128 rwm"
  bool operator==(const ContainerResources&) const = default;
};

// Docker's reading of a --device-cgroup-rule ("TYPE MAJOR:MINOR ACCESS",
// TYPE a, b or c, MAJOR and MINOR a number or "*", ACCESS of r, w and m);
// InvalidArgument "invalid device cgroup rule format: 'RULE'" otherwise.
Result<DeviceCgroupRule> ParseDeviceCgroupRule(std::string_view rule);

// The HostConfig keys ParseResourceFields reads.
extern const std::set<std::string, std::less<>> kResourceFields;
// The ones `docker update` changes (Docker's UpdateContainer).
extern const std::set<std::string, std::less<>> kUpdatableResourceFields;

// Reads the resource keys of a HostConfig object (create or update body).
// A value of the wrong JSON type is InvalidArgument "invalid JSON:
// HostConfig.Memory must be an integer". Sets `*given` (when not null) to
// the keys present and not null.
Result<ContainerResources> ParseResourceFields(const boost::json::object& host_config,
                                               std::set<std::string>* given = nullptr);

// The resource keys as inspect shows them (and as the record stores them):
// Memory, MemorySwap, ..., PidsLimit null when unset, Ulimits, Devices,
// Sysctls (absent when empty, as Docker omits it).
boost::json::object ResourceFieldsJson(const ContainerResources& r);

// What the host offers (cgroup v1 or v2), read once by ProbeHostResources.
struct HostResources {
  int num_cpus = 1;
  std::string cpus = "0";  // the CPUs containers may use ("0-1")
  std::string mems = "0";  // the memory nodes
  bool memory_limit = true;
  bool swap_limit = true;
  bool memory_swappiness = true;
  bool oom_kill_disable = true;
  bool cpu_cfs = true;
  bool cpu_shares = true;
  bool cpuset = true;
  bool pids_limit = true;
  bool blkio_weight = false;
};
HostResources ProbeHostResources();

// Docker's checks and adjustments of a create (`update` false) or of the
// fields of an update (`update` true, the given values only): errors with
// Docker's texts (InvalidArgument: "Minimum memory limit allowed is 6MB",
// "Conflicting options: Nano CPUs and CPU Period cannot both be set",
// "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available",
// ...), warnings (a setting the kernel lacks is discarded with Docker's
// warning) appended to `warnings`. A create also gets Docker's defaults
// (MemorySwap twice Memory, ShmSize 64 MiB, OomKillDisable false, PidsLimit
// <= 0 unset, MemorySwappiness -1 unset) and its Ulimits, Sysctls
// (`network_mode` says whether net.* has a namespace of its own) and
// Devices checked.
Status ValidateResources(ContainerResources* r, const HostResources& host, bool update, const std::string& network_mode,
                         std::vector<std::string>* warnings);

// Docker's UpdateContainer: the non-zero fields of `u` (and PidsLimit when
// given) replace those of `current`. Conflict with Docker's texts ("Memory
// limit should be smaller than already set memoryswap limit, update the
// memoryswap at the same time", the Nano CPUs / CPU Period conflicts);
// `current` is unchanged then.
Status MergeResourceUpdate(const ContainerResources& u, ContainerResources* current);

// The cgroup limits Docker's daemon gives runc for `r`.
LinuxResourceLimits LinuxLimitsOf(const ContainerResources& r);

// The process's part: p->rlimits (--ulimit) and p->oom_score_adj (also
// what an exec's process gets, as Docker copies them).
void ApplyResourcesToProcess(const ContainerResources& r, ProcessSpec* p);

// Fills p->resources, rlimits, oom_score_adj, sysctls, shm_size_bytes and
// devices (each host device stat'ed now, a directory giving the devices
// under it): InvalidArgument "error gathering device information while
// adding custom device \"/dev/x\": ..." as Docker says.
Status ApplyResourcesToSpec(const ContainerResources& r, ProcessSpec* p);

}  // namespace berth
