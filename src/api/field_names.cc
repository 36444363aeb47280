#include "api/field_names.h"
#include "base/ascii_fold.h"

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <vector>

namespace berth::api {

namespace json = boost::json;

namespace {

using S = JsonField::Shape;

const JsonField* ExactField(const JsonStruct& s, std::string_view key) {
  for (const JsonField& f : s.fields) {
    if (f.name == key) return &f;
  }
  return nullptr;
}

const JsonField* FoldedField(const JsonStruct& s, std::string_view key) {
  for (const JsonField& f : s.fields) {
    if (EqualFoldAscii(f.name, key)) return &f;
  }
  return nullptr;
}

void MatchValue(json::value* v, const JsonField& f) {
  if (f.nested == nullptr || f.shape == S::kValue) return;
  const JsonStruct& n = *f.nested;
  auto each_in_array = [&](json::value* a) {
    if (!a->is_array()) return;
    for (json::value& e : a->as_array()) {
      if (e.is_object()) MatchFieldNames(&e.as_object(), n);
    }
  };
  switch (f.shape) {
    case S::kValue: return;
    case S::kStruct:
      if (v->is_object()) MatchFieldNames(&v->as_object(), n);
      return;
    case S::kStructArray: each_in_array(v); return;
    case S::kStructMap:
      if (!v->is_object()) return;
      for (auto& [k, e] : v->as_object()) {
        if (e.is_object()) MatchFieldNames(&e.as_object(), n);
      }
      return;
    case S::kStructArrayMap:
      if (!v->is_object()) return;
      for (auto& [k, e] : v->as_object()) each_in_array(&e);
      return;
  }
}

// --- Docker 28.2's structs (api/types/...), field names as they appear in JSON.

constexpr JsonField kHealthConfigFields[] = {
    {"Test"}, {"Interval"}, {"Timeout"}, {"StartPeriod"}, {"StartInterval"}, {"Retries"},
};
constexpr JsonStruct kHealthConfig{kHealthConfigFields};

constexpr JsonField kRestartPolicyFields[] = {{"Name"}, {"MaximumRetryCount"}};
constexpr JsonStruct kRestartPolicy{kRestartPolicyFields};

constexpr JsonField kLogConfigFields[] = {{"Type"}, {"Config"}};
constexpr JsonStruct kLogConfig{kLogConfigFields};

constexpr JsonField kPortBindingFields[] = {{"HostIp"}, {"HostPort"}};
constexpr JsonStruct kPortBinding{kPortBindingFields};

constexpr JsonField kWeightDeviceFields[] = {{"Path"}, {"Weight"}};
constexpr JsonStruct kWeightDevice{kWeightDeviceFields};
constexpr JsonField kThrottleDeviceFields[] = {{"Path"}, {"Rate"}};
constexpr JsonStruct kThrottleDevice{kThrottleDeviceFields};
constexpr JsonField kDeviceMappingFields[] = {{"PathOnHost"}, {"PathInContainer"}, {"CgroupPermissions"}};
constexpr JsonStruct kDeviceMapping{kDeviceMappingFields};
constexpr JsonField kDeviceRequestFields[] = {
    {"Driver"}, {"Count"}, {"DeviceIDs"}, {"Capabilities"}, {"Options"},
};
constexpr JsonStruct kDeviceRequest{kDeviceRequestFields};
constexpr JsonField kUlimitFields[] = {{"Name"}, {"Hard"}, {"Soft"}};
constexpr JsonStruct kUlimit{kUlimitFields};

constexpr JsonField kMountDriverFields[] = {{"Name"}, {"Options"}};
constexpr JsonStruct kMountDriver{kMountDriverFields};
constexpr JsonField kBindOptionsFields[] = {
    {"Propagation"}, {"NonRecursive"}, {"CreateMountpoint"}, {"ReadOnlyNonRecursive"}, {"ReadOnlyForceRecursive"},
};
constexpr JsonStruct kBindOptions{kBindOptionsFields};
constexpr JsonField kVolumeOptionsFields[] = {
    {"NoCopy"},
    {"Labels"},
    {"Subpath"},
    {"DriverConfig", S::kStruct, &kMountDriver},
};
constexpr JsonStruct kVolumeOptions{kVolumeOptionsFields};
constexpr JsonField kImageOptionsFields[] = {{"Subpath"}};
constexpr JsonStruct kImageOptions{kImageOptionsFields};
constexpr JsonField kTmpfsOptionsFields[] = {{"SizeBytes"}, {"Mode"}, {"Options"}};
constexpr JsonStruct kTmpfsOptions{kTmpfsOptionsFields};
constexpr JsonField kMountFields[] = {
    {"Type"},
    {"Source"},
    {"Target"},
    {"ReadOnly"},
    {"Consistency"},
    {"BindOptions", S::kStruct, &kBindOptions},
    {"VolumeOptions", S::kStruct, &kVolumeOptions},
    {"ImageOptions", S::kStruct, &kImageOptions},
    {"TmpfsOptions", S::kStruct, &kTmpfsOptions},
    {"ClusterOptions"},
};
constexpr JsonStruct kMount{kMountFields};

// container.Resources, embedded in HostConfig and UpdateConfig.
#define BERTH_RESOURCES_FIELDS                                                                                         \
  {"CpuShares"}, {"Memory"}, {"NanoCpus"}, {"CgroupParent"}, {"BlkioWeight"},                                          \
      {"BlkioWeightDevice", S::kStructArray, &kWeightDevice},                                                          \
      {"BlkioDeviceReadBps", S::kStructArray, &kThrottleDevice},                                                       \
      {"BlkioDeviceWriteBps", S::kStructArray, &kThrottleDevice},                                                      \
      {"BlkioDeviceReadIOps", S::kStructArray, &kThrottleDevice},                                                      \
      {"BlkioDeviceWriteIOps", S::kStructArray, &kThrottleDevice}, {"CpuPeriod"}, {"CpuQuota"}, {"CpuRealtimePeriod"}, \
      {"CpuRealtimeRuntime"}, {"CpusetCpus"}, {"CpusetMems"}, {"Devices", S::kStructArray, &kDeviceMapping},           \
      {"DeviceCgroupRules"}, {"DeviceRequests", S::kStructArray, &kDeviceRequest}, {"KernelMemory"},                   \
      {"KernelMemoryTCP"}, {"MemoryReservation"}, {"MemorySwap"}, {"MemorySwappiness"}, {"OomKillDisable"},            \
      {"PidsLimit"}, {"Ulimits", S::kStructArray, &kUlimit}, {"CpuCount"}, {"CpuPercent"}, {"IOMaximumIOps"}, {        \
    "IOMaximumBandwidth"                                                                                               \
  }

constexpr JsonField kHostConfigFields[] = {
    {"Binds"},
    {"ContainerIDFile"},
    {"LogConfig", S::kStruct, &kLogConfig},
    {"NetworkMode"},
    {"PortBindings", S::kStructArrayMap, &kPortBinding},
    {"RestartPolicy", S::kStruct, &kRestartPolicy},
    {"AutoRemove"},
    {"VolumeDriver"},
    {"VolumesFrom"},
    {"ConsoleSize"},
    {"Annotations"},
    {"CapAdd"},
    {"CapDrop"},
    {"CgroupnsMode"},
    {"Dns"},
    {"DnsOptions"},
    {"DnsSearch"},
    {"ExtraHosts"},
    {"GroupAdd"},
    {"IpcMode"},
    {"Cgroup"},
    {"Links"},
    {"OomScoreAdj"},
    {"PidMode"},
    {"Privileged"},
    {"PublishAllPorts"},
    {"ReadonlyRootfs"},
    {"SecurityOpt"},
    {"StorageOpt"},
    {"Tmpfs"},
    {"UTSMode"},
    {"UsernsMode"},
    {"ShmSize"},
    {"Sysctls"},
    {"Runtime"},
    {"Isolation"},
    BERTH_RESOURCES_FIELDS,
    {"Mounts", S::kStructArray, &kMount},
    {"MaskedPaths"},
    {"ReadonlyPaths"},
    {"Init"},
};
constexpr JsonStruct kHostConfig{kHostConfigFields};

constexpr JsonField kEndpointIpamConfigFields[] = {{"IPv4Address"}, {"IPv6Address"}, {"LinkLocalIPs"}};
constexpr JsonStruct kEndpointIpamConfig{kEndpointIpamConfigFields};
constexpr JsonField kEndpointSettingsFields[] = {
    {"IPAMConfig", S::kStruct, &kEndpointIpamConfig},
    {"Links"},
    {"Aliases"},
    {"MacAddress"},
    {"DriverOpts"},
    {"GwPriority"},
    {"NetworkID"},
    {"EndpointID"},
    {"Gateway"},
    {"IPAddress"},
    {"IPPrefixLen"},
    {"IPv6Gateway"},
    {"GlobalIPv6Address"},
    {"GlobalIPv6PrefixLen"},
    {"DNSNames"},
};
constexpr JsonStruct kEndpointSettings{kEndpointSettingsFields};
constexpr JsonField kNetworkingConfigFields[] = {{"EndpointsConfig", S::kStructMap, &kEndpointSettings}};
constexpr JsonStruct kNetworkingConfig{kNetworkingConfigFields};

constexpr JsonField kCreateRequestFields[] = {
    // container.Config
    {"Hostname"},
    {"Domainname"},
    {"User"},
    {"AttachStdin"},
    {"AttachStdout"},
    {"AttachStderr"},
    {"ExposedPorts"},
    {"Tty"},
    {"OpenStdin"},
    {"StdinOnce"},
    {"Env"},
    {"Cmd"},
    {"Healthcheck", S::kStruct, &kHealthConfig},
    {"ArgsEscaped"},
    {"Image"},
    {"Volumes"},
    {"WorkingDir"},
    {"Entrypoint"},
    {"NetworkDisabled"},
    {"MacAddress"},
    {"OnBuild"},
    {"Labels"},
    {"StopSignal"},
    {"StopTimeout"},
    {"Shell"},
    // container.CreateRequest
    {"HostConfig", S::kStruct, &kHostConfig},
    {"NetworkingConfig", S::kStruct, &kNetworkingConfig},
};

constexpr JsonField kUpdateRequestFields[] = {
    BERTH_RESOURCES_FIELDS,
    {"RestartPolicy", S::kStruct, &kRestartPolicy},
};

#undef BERTH_RESOURCES_FIELDS

constexpr JsonField kExecCreateFields[] = {
    {"User"},         {"Privileged"}, {"Tty"},        {"ConsoleSize"}, {"AttachStdin"}, {"AttachStderr"},
    {"AttachStdout"}, {"Detach"},     {"DetachKeys"}, {"Env"},         {"WorkingDir"},  {"Cmd"},
};
constexpr JsonField kExecStartFields[] = {{"Detach"}, {"Tty"}, {"ConsoleSize"}};

constexpr JsonField kIpamConfigFields[] = {{"Subnet"}, {"IPRange"}, {"Gateway"}, {"AuxiliaryAddresses"}};
constexpr JsonStruct kIpamConfig{kIpamConfigFields};
constexpr JsonField kIpamFields[] = {{"Driver"}, {"Options"}, {"Config", S::kStructArray, &kIpamConfig}};
constexpr JsonStruct kIpam{kIpamFields};
constexpr JsonField kConfigReferenceFields[] = {{"Network"}};
constexpr JsonStruct kConfigReference{kConfigReferenceFields};
constexpr JsonField kNetworkCreateFields[] = {
    {"Driver"},   {"Scope"},      {"EnableIPv4"}, {"EnableIPv6"},     {"IPAM", S::kStruct, &kIpam},
    {"Internal"}, {"Attachable"}, {"Ingress"},    {"ConfigOnly"},     {"ConfigFrom", S::kStruct, &kConfigReference},
    {"Options"},  {"Labels"},     {"Name"},       {"CheckDuplicate"},
};

constexpr JsonField kVolumeCreateFields[] = {
    {"ClusterVolumeSpec"}, {"Driver"}, {"DriverOpts"}, {"Labels"}, {"Name"},
};

}  // namespace

const JsonStruct kContainerCreateRequest{kCreateRequestFields};
const JsonStruct kContainerUpdateRequest{kUpdateRequestFields};
const JsonStruct kExecCreateRequest{kExecCreateFields};
const JsonStruct kExecStartRequest{kExecStartFields};
const JsonStruct kNetworkCreateRequest{kNetworkCreateFields};
const JsonStruct kVolumeCreateRequest{kVolumeCreateFields};

void MatchFieldNames(json::object* o, const JsonStruct& schema) {
  // Fast path: every key is already spelled as a field or names none.
  bool rename = false;
  for (const auto& [k, v] : *o) {
    if (ExactField(schema, k) == nullptr && FoldedField(schema, k) != nullptr) rename = true;
  }
  if (rename) {
    json::object out(o->storage());
    out.reserve(o->size());
    for (auto& [k, v] : *o) {
      const JsonField* f = ExactField(schema, k);
      if (f != nullptr) {
        out[f->name] = std::move(v);  // an earlier other-case spelling is replaced
        continue;
      }
      f = FoldedField(schema, k);
      if (f == nullptr) {
        out[k] = std::move(v);
      } else if (!o->contains(f->name)) {
        out[f->name] = std::move(v);  // the last of several other-case spellings wins
      }
    }
    *o = std::move(out);
  }
  for (auto& [k, v] : *o) {
    if (const JsonField* f = ExactField(schema, k); f != nullptr) MatchValue(&v, *f);
  }
}

}  // namespace berth::api
