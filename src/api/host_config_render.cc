#include "api/host_config_render.h"

#include <boost/json.hpp>

namespace berth::api {

namespace json = boost::json;

namespace {

json::array StringList(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(json::string(s));
  return a;
}

}  // namespace

json::object HostConfigDefaults(const ContainerConfig& c) {
  json::object hc;
  hc["Binds"] = nullptr;
  hc["ContainerIDFile"] = "";
  hc["LogConfig"] = json::object{{"Type", "json-file"}, {"Config", json::object{}}};
  hc["NetworkMode"] = "";
  hc["PortBindings"] = json::object{};
  hc["RestartPolicy"] = json::object{{"Name", "no"}, {"MaximumRetryCount", 0}};
  hc["AutoRemove"] = false;
  hc["VolumeDriver"] = "";
  hc["VolumesFrom"] = c.volumes_from.empty() ? json::value(nullptr) : json::value(StringList(c.volumes_from));
  hc["ConsoleSize"] = json::array{0, 0};
  hc["CapAdd"] = nullptr;
  hc["CapDrop"] = nullptr;
  hc["CgroupnsMode"] = "host";  // berth's containers get no cgroup namespace
  hc["Dns"] = json::array{};
  hc["DnsOptions"] = json::array{};
  hc["DnsSearch"] = json::array{};
  hc["ExtraHosts"] = nullptr;
  hc["GroupAdd"] = c.group_add.empty() ? json::value(nullptr) : json::value(StringList(c.group_add));
  hc["IpcMode"] = "private";
  hc["Cgroup"] = "";
  hc["Links"] = nullptr;
  hc["OomScoreAdj"] = 0;
  hc["PidMode"] = "";
  hc["Privileged"] = false;
  hc["PublishAllPorts"] = false;
  hc["ReadonlyRootfs"] = false;
  hc["SecurityOpt"] = nullptr;
  hc["UTSMode"] = "";
  hc["UsernsMode"] = "";
  hc["ShmSize"] = 64 * 1024 * 1024;  // /dev/shm's size=65536k
  hc["Runtime"] = "runc";
  hc["Isolation"] = "";
  // Resources: Docker's zero values first; the container's own settings replace them below.
  hc["CpuShares"] = 0;
  hc["Memory"] = 0;
  hc["NanoCpus"] = 0;
  hc["CgroupParent"] = "";
  hc["BlkioWeight"] = 0;
  hc["BlkioWeightDevice"] = json::array{};
  hc["BlkioDeviceReadBps"] = json::array{};
  hc["BlkioDeviceWriteBps"] = json::array{};
  hc["BlkioDeviceReadIOps"] = json::array{};
  hc["BlkioDeviceWriteIOps"] = json::array{};
  hc["CpuPeriod"] = 0;
  hc["CpuQuota"] = 0;
  hc["CpuRealtimePeriod"] = 0;
  hc["CpuRealtimeRuntime"] = 0;
  hc["CpusetCpus"] = "";
  hc["CpusetMems"] = "";
  hc["Devices"] = json::array{};
  hc["DeviceCgroupRules"] = nullptr;
  hc["DeviceRequests"] = nullptr;
  hc["MemoryReservation"] = 0;
  hc["MemorySwap"] = 0;
  hc["MemorySwappiness"] = nullptr;
  hc["OomKillDisable"] = false;
  hc["PidsLimit"] = nullptr;
  hc["Ulimits"] = json::array{};
  hc["CpuCount"] = 0;
  hc["CpuPercent"] = 0;
  hc["IOMaximumIOps"] = 0;
  hc["IOMaximumBandwidth"] = 0;
  hc["Mounts"] = json::array{};
  // Privileged: nothing masked or read-only (as Docker: null).
  hc["MaskedPaths"] = c.privileged ? json::value(nullptr) : json::value(StringList(DefaultMaskedPaths()));
  hc["ReadonlyPaths"] = c.privileged ? json::value(nullptr) : json::value(StringList(DefaultReadonlyPaths()));
  if (c.init) hc["Init"] = true;
  for (auto& [key, value] : ResourceFieldsJson(c.resources)) hc[key] = value;
  return hc;
}

}  // namespace berth::api
