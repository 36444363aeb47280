// The plumbing under NetworkService: network namespaces, the CNI reference
// plugins (bridge, tuning; portmap for endpoints of an older berthd) run as
// plain CNI for one endpoint, berthd's own netfilter rules, and
// the host's routes. Internal to src/network.
//
// Thread-safety: the functions keep no state; each call runs its own
// processes (namespaces are made on a helper thread).
#pragma once

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "berth/network_service.h"
#include "berth/status.h"

namespace berth::network_internal {

// The IPv4 destinations of the host's routes (/proc/net/route), but the
// default route.
std::vector<Ipv4Subnet> HostRoutes();

// Creates a network namespace bind-mounted at `path` with its loopback up.
// `path` existing: AlreadyExists.
[[nodiscard]] Status CreateNetns(const std::string& path);
// Unmounts and removes `path`; absent: nothing.
void RemoveNetns(const std::string& path);

// Deletes the network link `name` of berthd's namespace (a bridge, or a
// veth pair by either end) over rtnetlink, without spawning `ip`. No such
// link: NotFound.
[[nodiscard]] Status DeleteLink(const std::string& name);

// What the CNI bridge plugin's ADD does for berthd's endpoints (isGateway,
// hairpin, static addresses, no ipMasq), over rtnetlink from berthd itself
// instead of two Go processes (bridge, static): the bridge a->bridge made
// when missing (MTU a->mtu) with a->gateway/a->ip_prefix_len, up, IPv4
// forwarding on; a veth pair, its host end ("veth" and 8 random hex
// digits) on the bridge in hairpin mode and up, the other made in
// a->netns_path as a->interface_name (MTU a->mtu) with a->ip_address, up,
// and the default route via the gateway when `default_route` and not
// a->internal. Fills in a->host_interface and a->mac_address. On failure
// the pair is deleted.
[[nodiscard]] Status PlumbVeth(NetworkAttachment* a, bool default_route);

// Runs argv; a non-zero exit: Internal with its stderr.
[[nodiscard]] Status RunQuiet(const std::vector<std::string>& argv);

// The portmap plugin's shared chains (CNI-HOSTPORT-*) and their jumps,
// removed once no port rule of any CNI user is left in them (endpoints of
// an older berthd, cni_netfilter, used portmap).
void RemoveIdlePortmapChains();

// The published ports of `a` (a.ports: host port → a.ip_address), as
// portmap with snat makes them but in a chain of the container's own, all
// in one iptables-restore: nat chain BERTH-PORTS-<first 12 of the ID> with,
// per port, a DNAT rule and MARK rules for connections from the
// container's subnet (hairpin) and from 127.0.0.1 (route_localnet is set
// on a.bridge); jumps to it from PREROUTING and OUTPUT for local
// destinations; in POSTROUTING, MASQUERADE of the marked connections to
// a.ip_address. No ports: nothing.
[[nodiscard]] Status AddPortRules(const NetworkAttachment& a);
// Removes what AddPortRules made (one iptables-restore; when some of it is
// absent, each part on its own).
void RemovePortRules(const NetworkAttachment& a);

// The netfilter rules of an internal network's bridge (FORWARD: DROP what
// comes in from it bound elsewhere, and what goes out to it from
// elsewhere): added once (`present`), or every copy removed.
[[nodiscard]] Status SetIsolationRules(const std::string& bridge, bool present);

// Outbound NAT of a bridge network, one rule for its whole subnet as
// Docker makes it (nat POSTROUTING `-s SUBNET ! -o BRIDGE -j MASQUERADE`):
// added (`present`; `check_first`: only when no copy is there), or every
// copy removed. `subnet` is "10.1.2.0/24".
[[nodiscard]] Status SetMasquerade(const std::string& subnet, const std::string& bridge, bool present,
                                   bool check_first = true);

// How one endpoint is plumbed.
struct EndpointPlumbing {
  std::string cni_path;
  // The endpoint gets the container's default route (its first network).
  bool default_route = true;
};

// ADD: the veth on the bridge (PlumbVeth, as the bridge plugin with static
// IPAM for a.ip_address; outbound NAT is the network's, SetMasquerade),
// a->requested_mac (the tuning plugin: the bridge plugin of
// containernetworking-plugins 1.1.1 cannot set one), the published ports
// (AddPortRules). Fills in a->mac_address and a->host_interface. Undone on
// failure.
[[nodiscard]] Status AddEndpoint(NetworkAttachment* a, const EndpointPlumbing& how);
// DEL of the same plugins and RemovePortRules (portmap's DEL for an
// endpoint with cni_netfilter), best effort (each runs even when one before
// it failed); the namespace stays. The bridge plugin's DEL (static IPAM
// keeps nothing; without ipMasq it only deletes the veth) is done by
// deleting the veth's host end (DeleteLink), unless the plugin has a NAT
// chain of the endpoint to remove or the host end is not known.
void RemoveEndpoint(const NetworkAttachment& a, const std::string& cni_path);

}  // namespace berth::network_internal
