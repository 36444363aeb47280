// PlanUserNetwork: the checks and address choices of docker network create
// (see berth/network_service.h).
#include <cctype>
#include <charconv>
#include <optional>
#include <set>

#include "berth/go_strconv.h"
#include "berth/network_service.h"

namespace berth {

namespace {

Status ParseError(const std::string& key, const std::string& value, const std::string& why) {
  return InvalidArgument("failed to parse " + key + " value: " + value + " (" + why + ")");
}

bool IsLinkName(const std::string& name) {
  if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
  for (char ch : name) {
    if (ch == '/' || ch == ':' || std::isspace(static_cast<unsigned char>(ch))) return false;
  }
  return true;
}

}  // namespace

Status ApplyBridgeOptions(UserNetwork* n) {
  n->bridge = n->id.empty() ? "" : UserNetworkBridgeName(n->id);
  n->ip_masquerade = true;
  n->mtu = 0;
  for (const auto& [key, value] : n->options) {
    if (key == "com.docker.network.bridge.name") {
      if (!IsLinkName(value)) {
        return InvalidArgument("invalid bridge name \"" + value + "\": at most 15 characters, no '/', ':' or spaces");
      }
      n->bridge = value;
    } else if (key == "com.docker.network.bridge.enable_ip_masquerade") {
      Result<bool> on = GoParseBool(value);
      if (!on.ok()) return ParseError(key, value, on.status().message());
      n->ip_masquerade = *on;
    } else if (key == "com.docker.network.driver.mtu") {
      Result<int64_t> mtu = GoAtoi(value);
      if (!mtu.ok()) return ParseError(key, value, mtu.status().message());
      if (*mtu < 0) return InvalidArgument("invalid MTU number: " + value);
      if (*mtu != 0 && (*mtu < 68 || *mtu > 65535)) {
        return InvalidArgument("invalid MTU number: " + value + " (berth takes 68 to 65535)");
      }
      n->mtu = static_cast<int>(*mtu);
    } else {
      return InvalidArgument("berth does not support the bridge driver option " + key);
    }
  }
  if (n->internal) n->ip_masquerade = false;
  return OkStatus();
}

Result<UserNetwork> PlanUserNetwork(const NetworkCreateRequest& req, const std::vector<Ipv4Subnet>& taken,
                                    const std::vector<AddressPool>& pools) {
  if (req.name.empty()) return InvalidArgument("network name must not be empty");
  if (req.name == "bridge" || req.name == "host" || req.name == "none") {
    return PermissionDenied(req.name + " is a pre-defined network and cannot be created");
  }
  if (!req.driver.empty() && req.driver != "bridge") {
    return InvalidArgument("berth supports only the bridge network driver, not \"" + req.driver + "\"");
  }
  if (req.enable_ipv6) return InvalidArgument("berth does not support IPv6 networks (--ipv6)");
  UserNetwork n;
  n.name = req.name;
  n.attachable = req.attachable;
  n.internal = req.internal;
  n.labels = req.labels;
  n.options = req.options;
  BERTH_RETURN_IF_ERROR(ApplyBridgeOptions(&n));
  Ipv4Subnet subnet;
  if (req.subnet.empty()) {
    if (!req.aux_addresses.empty()) {
      return InvalidArgument("invalid network config:\ninvalid subnet : invalid CIDR block notation");
    }
    if (!req.gateway.empty() || !req.ip_range.empty()) {
      return InvalidArgument("a gateway or an IP range needs a subnet (--subnet)");
    }
    BERTH_ASSIGN_OR_RETURN(subnet, PickPoolSubnet(pools, taken));
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
  // Docker's ValidateIPAM texts, then libnetwork's reservation: an address
  // given twice, or the gateway's, cannot be reserved.
  std::set<uint32_t> reserved{gateway};
  for (const auto& [name, address] : req.aux_addresses) {
    auto ip = ParseIpv4(address);
    if (!ip.ok()) {
      return InvalidArgument("invalid network config:\ninvalid auxiliary address " + name + ": invalid address");
    }
    if (!SubnetContains(subnet, *ip)) {
      return InvalidArgument("invalid network config:\ninvalid auxiliary address " + name + ": parent subnet " +
                             n.subnet + " doesn't contain this address");
    }
    if (!reserved.insert(*ip).second) {
      return InvalidArgument("failed to allocate secondary ip address (" + name + ":" + address +
                             "): Address already in use");
    }
  }
  n.aux_addresses = req.aux_addresses;
  return n;
}

}  // namespace berth
