// The networking fields of Docker's container API (api/types/container and
// api/types/network, API 1.50): the create body's ports, DNS and hosts
// settings parsed into a ContainerNetworkConfig, and inspect's and the
// listing's NetworkSettings and Ports built from a ContainerInfo. Internal
// to src/api.
#pragma once

#include <boost/json.hpp>
#include <set>
#include <string>

#include "berth/container_service.h"
#include "berth/network_service.h"

namespace berth::api {

// The Config fields ParseNetworkFields reads (the caller refuses the others).
extern const std::set<std::string, std::less<>> kNetworkConfigFields;
// The HostConfig fields it reads.
extern const std::set<std::string, std::less<>> kNetworkHostConfigFields;

// Reads Config.ExposedPorts, HostConfig.PortBindings, PublishAllPorts,
// ExtraHosts, Dns, DnsSearch, DnsOptions and the create body's
// NetworkingConfig into `cfg`. InvalidArgument for a malformed value, a bad
// port ("invalid port specification"), a host port range, an add-host or
// DNS address that is not an IP, and NetworkingConfig asking for more than
// the container's own network mode with no settings (--ip, --alias).
[[nodiscard]] Status ParseNetworkFields(const boost::json::object& config, const boost::json::object* host_config,
                                        const std::string& network_mode, ContainerNetworkConfig* cfg);

// Config.ExposedPorts: the container's exposed ports and its bindings'.
boost::json::value ExposedPortsValue(const ContainerNetworkConfig& cfg);
// Writes HostConfig's PortBindings, PublishAllPorts, Dns, DnsOptions,
// DnsSearch, ExtraHosts into `hc`.
void AddNetworkHostConfig(const ContainerNetworkConfig& cfg, boost::json::object* hc);
// NetworkSettings of inspect: the attachment's addresses and ports while the
// container is attached, the network mode's entry with empty addresses
// otherwise.
boost::json::object InspectNetworkSettings(const ContainerInfo& c);
// The listing's Ports (docker ps PORTS) and NetworkSettings.
boost::json::array SummaryPorts(const ContainerInfo& c);
boost::json::object SummaryNetworkSettings(const ContainerInfo& c);

}  // namespace berth::api
