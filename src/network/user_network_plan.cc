// PlanUserNetwork: the checks and address choices of docker network create
// (see berth/network_service.h).
#include "berth/network_service.h"

namespace berth {

Result<UserNetwork> PlanUserNetwork(const NetworkCreateRequest& req, const std::vector<Ipv4Subnet>& taken) {
  if (req.name.empty()) return InvalidArgument("network name must not be empty");
  if (req.name == "bridge" || req.name == "host" || req.name == "none") {
    return PermissionDenied(req.name + " is a pre-defined network and cannot be created");
  }
  if (!req.driver.empty() && req.driver != "bridge") {
    return InvalidArgument("berth supports only the bridge network driver, not \"" + req.driver + "\"");
  }
  if (req.internal) return InvalidArgument("berth does not support internal networks (--internal)");
  if (req.enable_ipv6) return InvalidArgument("berth does not support IPv6 networks (--ipv6)");
  if (!req.options.empty()) {
    return InvalidArgument("berth does not support the bridge driver option " + req.options.begin()->first);
  }
  UserNetwork n;
  n.name = req.name;
  n.attachable = req.attachable;
  n.labels = req.labels;
  n.options = req.options;
  Ipv4Subnet subnet;
  if (req.subnet.empty()) {
    if (!req.gateway.empty() || !req.ip_range.empty()) {
      return InvalidArgument("a gateway or an IP range needs a subnet (--subnet)");
    }
    BERTH_ASSIGN_OR_RETURN(subnet, PickNetworkSubnet(taken));
  } else {
    BERTH_ASSIGN_OR_RETURN(subnet, ParseIpv4Cidr(req.subnet));
    if (subnet.prefix_len > 30) return InvalidArgument("the subnet " + req.subnet + " is too small (at most /30)");
    for (const auto& t : taken) {
      if (SubnetsOverlap(subnet, t)) return Conflict("Pool overlaps with other one on this address space");
    }
  }
  uint32_t gateway = subnet.network + 1;
  if (!req.gateway.empty()) {
    BERTH_ASSIGN_OR_RETURN(gateway, ParseIpv4(req.gateway));
    if (!SubnetContains(subnet, gateway) || gateway == subnet.network) {
      return InvalidArgument("the gateway " + req.gateway + " is not an address of the subnet " + req.subnet);
    }
  }
  if (!req.ip_range.empty()) {
    BERTH_ASSIGN_OR_RETURN(Ipv4Subnet range, ParseIpv4Cidr(req.ip_range));
    if (!SubnetContains(subnet, range.network) || range.prefix_len < subnet.prefix_len) {
      return InvalidArgument("the IP range " + req.ip_range + " is not inside the subnet " + req.subnet);
    }
    n.ip_range = FormatIpv4Cidr(range);
  }
  n.subnet = FormatIpv4Cidr(subnet);
  n.gateway = FormatIpv4(gateway);
  return n;
}

}  // namespace berth
