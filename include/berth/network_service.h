// Container networking on one host, as Docker's default `bridge` network:
// a network namespace per container (created by berthd, bind-mounted at
// <exec-root>/netns/<container id>), its loopback up, a veth pair whose host
// end joins a bridge berthd manages (default name "berth0"), an address
// from the bridge's subnet, outbound NAT, and published ports reachable on
// the host (127.0.0.1 included).
//
// The plumbing is the CNI reference plugins (CNI_PATH, default
// /usr/lib/cni), run as plain CNI: `tuning` (a MAC address), and `bridge`
// only to undo an endpoint it made or a failed one; the bridge plugin's ADD
// (isGateway, hairpin, static addresses) is done by berthd over rtnetlink
// (PlumbVeth), the same links and settings without two Go processes.
// Published ports are berthd's own nat rules as the `portmap` plugin makes
// them (DNAT in PREROUTING/OUTPUT, with route_localnet on the bridge for
// 127.0.0.1), in a chain per container, one iptables-restore each way.
// berthd does its own IPAM (AllocateAddress) so that addresses are its
// choice, kept across daemon restarts. Outbound NAT is one rule per network
// as Docker's (nat POSTROUTING `-s SUBNET ! -o BRIDGE -j MASQUERADE`), not
// per endpoint: a user network's from its creation to its removal (made
// again at Open), the bridge network's from its bridge's first endpoint to
// the bridge's deletion.
//
// Containers on a user-defined network resolve each other through the
// embedded DNS server (berth/dns.h) that the service owns: StartResolver,
// closed by Detach, reopened at Open for the attachments that had it. Its
// event-loop thread calls back into the service (the current attachments)
// at each query, never while the service's lock is held by a caller of
// EmbeddedDns::Open/Close.
//
// Files under <exec-root>/netns/ (kept across berthd restarts):
//   <id>        the container's network namespace (a bind mount of nsfs)
//   <id>.json   the attachment (AttachmentToJson): what Detach undoes and
//               what inspect shows
//
// Thread-safety: NetworkService is thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "berth/status.h"

namespace berth {

// ---- pure helpers (no I/O) ----

// An IPv4 subnet: `network` (host order, host bits zero) and prefix length.
struct Ipv4Subnet {
  uint32_t network = 0;
  int prefix_len = 0;
};

// "a.b.c.d" → host-order address. InvalidArgument for anything else.
Result<uint32_t> ParseIpv4(std::string_view text);
std::string FormatIpv4(uint32_t address);
// "a.b.c.d/n" (0 <= n <= 32); the host bits are cleared. InvalidArgument
// "invalid CIDR address: X" otherwise.
Result<Ipv4Subnet> ParseIpv4Cidr(std::string_view text);
bool SubnetContains(const Ipv4Subnet& subnet, uint32_t address);
bool SubnetsOverlap(const Ipv4Subnet& a, const Ipv4Subnet& b);

// The lowest address of `subnet` that is neither its network address, its
// broadcast address, `gateway`, nor in `in_use`. None left: Unavailable
// "no available addresses in SUBNET".
Result<uint32_t> AllocateAddress(const Ipv4Subnet& subnet, uint32_t gateway, const std::set<uint32_t>& in_use);

// The first /16 of 172.17.0.0/16 ... 172.31.0.0/16 (Docker's default pool
// order) that overlaps none of `taken` (the host's routes). NotFound when
// all do.
Result<Ipv4Subnet> PickDefaultSubnet(const std::vector<Ipv4Subnet>& taken);

// The subnet for a new user-defined network when none is given: the first
// of Docker's default local pools (172.17.0.0/16 ... 172.31.0.0/16, then the
// /20s of 192.168.0.0/16) that overlaps none of `taken` (the host's routes,
// the bridge network's and the other networks' subnets). NotFound with
// Docker's text "all predefined address pools have been fully subnetted"
// when none is left.
Result<Ipv4Subnet> PickNetworkSubnet(const std::vector<Ipv4Subnet>& taken);

// A pool networks take their subnets from (daemon.json
// "default-address-pools", berthd --default-address-pool): the /`size`
// subnets of `base`, in address order.
struct AddressPool {
  Ipv4Subnet base;
  int size = 0;
};
// "base=10.10.0.0/16,size=24" → the pool. InvalidArgument naming what is
// wrong (a size shorter than the base's prefix, over 32, a bad CIDR, an
// unknown key).
Result<AddressPool> ParseAddressPool(std::string_view text);
// As PickNetworkSubnet, from `pools` in order (empty: Docker's defaults):
// the first subnet of the first pool that overlaps none of `taken`; none
// left: NotFound "all predefined address pools have been fully subnetted".
Result<Ipv4Subnet> PickPoolSubnet(const std::vector<AddressPool>& pools, const std::vector<Ipv4Subnet>& taken);
std::string FormatIpv4Cidr(const Ipv4Subnet& subnet);
// "xx:xx:xx:xx:xx:xx" (or with "-"): the 6-byte form of Docker's
// net.ParseMAC check ("invalid MAC address X").
bool IsMacAddress(std::string_view text);
// An endpoint's DriverOpts (--driver-opt of network connect, the
// EndpointSettings of create): options the network's driver may read. The
// bridge driver reads none a user sets, save the com.docker.network.*
// options Docker itself acts on (an endpoint's sysctls, its interface name);
// berth keeps and shows the others, as Docker does, and refuses those by
// name.
[[nodiscard]] Status ValidateEndpointDriverOpts(const std::map<std::string, std::string>& opts);
// An endpoint's IPAMConfig.LinkLocalIPs (--link-local-ip): IPv4 addresses,
// added to the container's interface as /16s (Docker takes any address; an
// IPv6 one is refused by name, berth has no IPv6). Not an address: Docker's
// "invalid link-local IP address: [A B]".
[[nodiscard]] Status ValidateLinkLocalIps(const std::vector<std::string>& ips);
// An endpoint link "name:alias" (or "name", its own alias; or the
// "/name:/container/alias" form inspect shows) as Docker's ParseLink reads
// it: {name, alias}. Errors are Docker's: "empty string specified for
// links", "bad format for links: X".
Result<std::pair<std::string, std::string>> ParseEndpointLink(std::string_view link);

// Replaces the content of the existing file `path` with `text`, keeping its
// inode (a container's /etc/hosts is a bind mount of it). Not a symlink.
[[nodiscard]] Status RewriteFileInPlace(const std::string& path, const std::string& text);

// A port published by a container (HostConfig.PortBindings, -p).
struct PortMapping {
  int container_port = 0;
  std::string protocol = "tcp";  // "tcp" or "udp"
  std::string host_ip;           // "" = every address (0.0.0.0)
  int host_port = 0;             // 0: an ephemeral port chosen at start
};

// The networking parts of a container's config (Config and HostConfig).
struct ContainerNetworkConfig {
  // "80/tcp" keys of Config.ExposedPorts (also the image's EXPOSE for -P).
  std::vector<std::string> exposed_ports;
  std::vector<PortMapping> port_bindings;  // HostConfig.PortBindings
  bool publish_all_ports = false;          // HostConfig.PublishAllPorts (-P)
  std::vector<std::string> extra_hosts;    // "name:ip" (--add-host)
  std::vector<std::string> dns;            // --dns
  std::vector<std::string> dns_search;     // --dns-search
  std::vector<std::string> dns_options;    // --dns-option
  // The endpoint on a user-defined network (NetworkingConfig): --ip and
  // --network-alias.
  std::string ipv4_address;
  std::vector<std::string> aliases;
  // --mac-address / EndpointSettings.MacAddress of that endpoint; "" = the
  // kernel's random one.
  std::string mac_address;
  // EndpointSettings.DriverOpts of that endpoint (ValidateEndpointDriverOpts).
  std::map<std::string, std::string> driver_opts;
  // IPAMConfig.LinkLocalIPs of that endpoint (ValidateLinkLocalIps).
  std::vector<std::string> link_local_ips;
  // EndpointSettings.Links of that endpoint (ParseEndpointLink).
  std::vector<std::string> links;
  // HostConfig.Links (--link) on the default bridge network: Docker's legacy
  // links, "NAME:ALIAS" as the API reads them; the container service keeps
  // "CONTAINER_ID:ALIAS" (the link follows the container, not its name).
  std::vector<std::string> legacy_links;
  // `docker network connect` / `disconnect` (stored, applied at start):
  // the container left its network mode's network (it joins only
  // `connected` at start), and the other networks it joined, by network ID
  // (EndpointRequest::network), each with its --ip, aliases and MAC.
  bool mode_network_disconnected = false;
  struct ConnectedNetwork {
    std::string network_id;
    std::string network_name;  // as it was at connect (inspect of a stopped container)
    std::string ipv4_address;
    std::vector<std::string> aliases;
    std::string mac_address;
    std::map<std::string, std::string> driver_opts;
    std::vector<std::string> link_local_ips;
    std::vector<std::string> links;
  };
  std::vector<ConnectedNetwork> connected;
};

// The stored form of a ContainerNetworkConfig (a JSON object's text) and
// back; a malformed text: DataLoss.
std::string NetworkConfigToJson(const ContainerNetworkConfig& cfg);
Result<ContainerNetworkConfig> NetworkConfigFromJson(std::string_view json);

// "80/tcp", "53/udp", "80" (tcp) → (port, protocol). InvalidArgument
// "invalid port specification: X" / "invalid proto: X" otherwise.
Result<std::pair<int, std::string>> ParsePortProto(std::string_view text);

// The container's /etc/hosts as Docker writes it on a bridge network:
// localhost and the IPv6 names, then `extra_hosts` ("name:ip", in order),
// then "IP\tHOSTNAME" for the container's own address (none when `ip` is
// empty).
std::string BuildHostsFile(const std::string& ip, const std::string& hostname,
                           const std::vector<std::string>& extra_hosts);
// The "IP\tNAME" lines of `extra_hosts` ("name:ip", in order), as
// BuildHostsFile writes them.
std::string ExtraHostsLines(const std::vector<std::string>& extra_hosts);
// The container's /etc/resolv.conf as Docker writes it from the host's
// `host_resolv_conf` text: nameservers (`dns`, else the host's without
// loopback ones, else Google's 8.8.8.8 and 8.8.4.4), "search" (`dns_search`,
// else the host's), "options" (`dns_options`, else the host's).
std::string BuildResolvConf(const std::string& host_resolv_conf, const std::vector<std::string>& dns,
                            const std::vector<std::string>& dns_search, const std::vector<std::string>& dns_options);
// The /etc/resolv.conf of a container on a user-defined network, as
// Docker writes it for its internal resolver, from the host's file
// (`host_resolv_conf`, read from `source_path`): Docker's header, only
// "nameserver 127.0.0.11", the search domains (`dns_search`, "." dropped,
// else the host's), the options (`dns_options`, else the host's) with
// ndots:0 added when there is no valid ndots, the host's other lines, then
// Docker's trailer ("# Based on host file: ...", "# ExtServers: [...]",
// "# Overrides: [...]", "# Option ndots from: ..."). `upstreams`: where the
// embedded DNS sends other names: `dns`, else every nameserver of the host's
// file (loopback ones too: berthd asks them from the host's namespace).
struct InternalResolvConf {
  std::string text;
  std::vector<std::string> upstreams;
};
InternalResolvConf BuildInternalResolvConf(const std::string& host_resolv_conf, const std::string& source_path,
                                           const std::vector<std::string>& dns,
                                           const std::vector<std::string>& dns_search,
                                           const std::vector<std::string>& dns_options);
// Checks --add-host values ("name:ip" or "name=ip"; Docker's text
// "invalid IP address in add-host: \"X\"") and --dns addresses.
[[nodiscard]] Status ValidateNetworkConfig(const ContainerNetworkConfig& cfg);

// ---- the service ----

// The Linux bridge of user network `id`: "berth-" and the ID's first 9
// digits (a link name holds at most 15 characters).
std::string UserNetworkBridgeName(std::string_view id);

// A user-defined network (docker network create), always driver "bridge",
// with its own Linux bridge (UserNetworkBridgeName).
struct UserNetwork {
  std::string id;  // 64 hex
  std::string name;
  std::string subnet;    // "172.18.0.0/16"
  std::string gateway;   // "172.18.0.1"
  std::string ip_range;  // a CIDR inside subnet that addresses come from; "" = all of it
  // IPAM AuxiliaryAddresses (--aux-address name=ip): addresses of the subnet
  // kept for others, never given to a container.
  std::map<std::string, std::string> aux_addresses;
  bool attachable = false;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> options;  // the bridge driver options given
  int64_t created_unix_nanos = 0;
  // Set from `options` by ApplyBridgeOptions:
  std::string bridge;         // the Linux bridge's name (com.docker.network.bridge.name)
  bool ip_masquerade = true;  // outbound NAT (com.docker.network.bridge.enable_ip_masquerade)
  int mtu = 0;                // the interfaces' MTU (com.docker.network.driver.mtu); 0: the kernel's
  // --internal: no outbound NAT, no default route in its containers, and
  // netfilter rules dropping what its bridge would forward elsewhere.
  bool internal = false;
};

// Reads the bridge driver options berth applies from n->options into
// bridge, ip_masquerade and mtu (the bridge's name defaults to
// UserNetworkBridgeName of n->id). Any other option: InvalidArgument
// "berth does not support the bridge driver option KEY"; a bad value:
// Docker's "failed to parse KEY value: VALUE (...)".
[[nodiscard]] Status ApplyBridgeOptions(UserNetwork* n);

// POST /networks/create's fields berth acts on.
struct NetworkCreateRequest {
  std::string name;
  std::string driver;  // "" or "bridge"
  std::string subnet, gateway, ip_range;
  std::map<std::string, std::string> aux_addresses;
  bool internal = false;
  bool attachable = false;
  bool enable_ipv6 = false;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> options;
};

// A new network's fields from `req` (all but id and created time; the
// bridge's name is the option's or set once the ID is known), no I/O.
// Refused with InvalidArgument, naming it: an empty name, a driver but
// "bridge", EnableIPv6, a driver option ApplyBridgeOptions refuses, a
// gateway or IP range without a subnet or outside it, a subnet smaller than
// /30. A built-in name: PermissionDenied "NAME is a pre-defined network and
// cannot be created". A given subnet overlapping `taken`: Conflict "Pool
// overlaps with other one on this address space"; none given:
// PickPoolSubnet over `pools` and `taken`. The gateway defaults to the
// subnet's first address.
Result<UserNetwork> PlanUserNetwork(const NetworkCreateRequest& req, const std::vector<Ipv4Subnet>& taken,
                                    const std::vector<AddressPool>& pools = {});

// What a container asks of its endpoint on a network.
struct EndpointRequest {
  std::string network;                             // a user network's name or ID; "" = the bridge network
  std::string ip;                                  // --ip; "" = the next free address
  std::vector<std::string> aliases;                // --network-alias
  std::string mac;                                 // --mac-address; "" = a random one
  std::map<std::string, std::string> driver_opts;  // --driver-opt (ValidateEndpointDriverOpts)
  std::vector<std::string> link_local_ips;         // --link-local-ip (ValidateLinkLocalIps)
  std::vector<std::string> links;                  // --link on a user network, "name:alias" (ParseEndpointLink)
};

// What a network joined by `docker network connect` asks of its endpoint.
EndpointRequest EndpointRequestOf(const ContainerNetworkConfig::ConnectedNetwork& joined);
// What the container asks of its endpoint on its network mode's network
// (`network`: a user network's name or ID, "" for the bridge network, where
// create refuses --ip, aliases and links).
EndpointRequest ModeEndpointRequestOf(const ContainerNetworkConfig& cfg, const std::string& network);

// A container's place on a network, as inspect shows it.
struct NetworkAttachment {
  std::string container_id;
  std::string network_name;  // "bridge" or the user network's name
  std::string network_id;
  std::string endpoint_id;
  std::string ip_address;  // "172.30.0.2"
  int ip_prefix_len = 0;
  std::string gateway;
  std::string mac_address;
  std::string netns_path;
  std::string host_interface;        // the veth's host end
  std::vector<PortMapping> ports;    // host ports resolved (never 0)
  std::vector<std::string> exposed;  // "80/tcp" ports shown with no binding
  std::string bridge;                // the Linux bridge the veth joins
  std::vector<std::string> aliases;  // --network-alias (user networks)
  std::string container_name;        // without the leading "/"
  // StartResolver was called: the embedded DNS serves the container, and
  // forwards to `dns_upstreams`.
  bool dns_resolver = false;
  std::vector<std::string> dns_upstreams;
  // The interface inside the container ("eth0", "eth1", ... in the order
  // the container joined its networks).
  std::string interface_name = "eth0";
  // The MAC the container asked for (--mac-address); "" = the kernel's.
  std::string requested_mac;
  // --link-local-ip: more IPv4 addresses of the interface, each as a /16
  // (Docker's link-local mask).
  std::vector<std::string> link_local_ips;
  // --link on a user network, as given ("name:alias"): the container alone
  // resolves ALIAS to the container NAME on this network (whenever NAME
  // is there).
  std::vector<std::string> links;
  // The network's plumbing (UserNetwork's): NAT, MTU, no default route.
  bool ip_masquerade = true;
  int mtu = 0;
  bool internal = false;
  // The endpoint's netfilter rules were made by the CNI plugins (the
  // bridge plugin's ipMasq chain, portmap's chains): records written before
  // berthd made outbound NAT once per network itself. Such an endpoint's
  // DEL asks the plugins to remove them.
  bool cni_netfilter = false;
};

std::string AttachmentToJson(const NetworkAttachment& a);
Result<NetworkAttachment> AttachmentFromJson(std::string_view json);

struct NetworkServiceOptions {
  std::string exec_root;  // netns/ goes under it
  std::string cni_path = "/usr/lib/cni";
  // The bridge device berthd manages; "none": no bridge network (containers
  // asking for it are refused, the default network mode is "none").
  std::string bridge_name = "berth0";
  // The bridge's address and prefix (--bip, daemon.json "bip"), e.g.
  // "172.30.0.1/16"; empty: a free /16 of Docker's default pool
  // (PickDefaultSubnet over the host's routes), gateway its .1.
  std::string bip;
  std::string host_resolv_conf = "/etc/resolv.conf";
  // Where the user networks are kept (networks.db, SQLite); created if
  // absent. Empty: <exec_root>/netns.
  std::string state_dir;
  // The embedded DNS server of user-defined networks (StartResolver).
  bool embedded_dns = true;
  // Where new networks' subnets come from (and the bridge's without bip);
  // empty: Docker's default pools.
  std::vector<AddressPool> default_address_pools;
};

class NetworkService {
 public:
  // Reads the attachments left by a previous berthd (their addresses stay
  // taken) and picks the bridge's subnet. Creates nothing yet: the bridge
  // appears with the first attachment. A bad `bip`: InvalidArgument.
  static Result<std::unique_ptr<NetworkService>> Open(const NetworkServiceOptions& opts);
  virtual ~NetworkService() = default;

  // False with bridge_name "none".
  virtual bool BridgeEnabled() const = 0;
  // The bridge network's ID (64 hex, stable for the daemon's exec root).
  virtual std::string BridgeNetworkId() const = 0;

  // Puts container `container_id` on the bridge network: a new network
  // namespace, loopback, veth, address, and `publish` (host port 0: an
  // ephemeral port). A host port another container holds or the host
  // uses: Internal (500, as Docker) with Docker's text ("driver failed
  // programming external connectivity on endpoint NAME (ID): Bind for
  // IP:PORT failed: port is already allocated"). Everything made is undone
  // on failure.
  // Already attached: the existing attachment.
  virtual Result<NetworkAttachment> Attach(const std::string& container_id, const std::string& container_name,
                                           const std::vector<PortMapping>& publish,
                                           const std::vector<std::string>& exposed,
                                           const EndpointRequest& endpoint = {}) = 0;
  // Starts the embedded DNS server for container `container_id` on a
  // user-defined network (berth/dns.h): listeners at 127.0.0.11:53 inside
  // its namespace, answering with the containers that share a network with
  // it (looked up at each query) and forwarding other names to `upstreams`
  // (from BuildInternalResolvConf). Kept in the attachment, so a restarted
  // berthd opens them again; Detach closes them. Not attached: NotFound; on
  // the default bridge network: FailedPrecondition (no embedded DNS there,
  // as in Docker); with `embedded_dns` off: Unimplemented.
  [[nodiscard]] virtual Status StartResolver(const std::string& container_id,
                                             const std::vector<std::string>& upstreams) = 0;

  // ---- user-defined networks ----
  // Validates `req` (refusing what berth does not do, naming it), picks a
  // subnet when none is given, and keeps the network. A name in use:
  // Conflict "network with name NAME already exists".
  virtual Result<UserNetwork> CreateNetwork(const NetworkCreateRequest& req) = 0;
  virtual std::vector<UserNetwork> UserNetworks() = 0;
  // By name, full ID, or unique ID prefix; NotFound "network REF not found".
  virtual Result<UserNetwork> FindNetwork(const std::string& ref) = 0;
  // Removes the network and its bridge. Containers attached:
  // PermissionDenied (403) "error while removing network: network NAME id
  // ID has active endpoints".
  [[nodiscard]] virtual Status RemoveNetwork(const std::string& id) = 0;
  // The bridge device's name, its subnet ("172.30.0.0/16") and gateway
  // (empty strings when the bridge is disabled).
  virtual std::string BridgeName() const = 0;
  virtual std::string BridgeSubnet() const = 0;
  virtual std::string BridgeGateway() const = 0;
  // Every current endpoint (a container on two networks has two), by
  // container ID then interface. This is the network membership others
  // (name resolution) read at query time.
  virtual std::vector<NetworkAttachment> Attachments() = 0;
  // Undoes Attach and every Connect of the container: port rules, veths,
  // addresses, and its namespace. Not attached: OK.
  virtual Status Detach(const std::string& container_id) = 0;
  // The container's first endpoint (the one with its published ports), if
  // any.
  virtual std::optional<NetworkAttachment> AttachmentOf(const std::string& container_id) = 0;
  // All the container's endpoints, in interface order.
  virtual std::vector<NetworkAttachment> AttachmentsOf(const std::string& container_id) = 0;

  // ---- docker network connect / disconnect of a running container ----
  // The container's network namespace, made now when it has none (a
  // container whose network mode's network is not there, e.g. the bridge
  // with --bridge none, still gets one, so that it can join networks
  // later). Returns its path.
  virtual Result<std::string> EnsureSandbox(const std::string& container_id) = 0;
  // Adds an endpoint on `endpoint.network` (a user network's name or ID, or
  // "bridge") in the container's namespace (made by Attach or
  // EnsureSandbox; none: FailedPrecondition): the next free ethN, its
  // address, the other containers' /etc/hosts and its own.
  // Already on that network: PermissionDenied (403, Docker's) "endpoint
  // with name NAME already exists in network NETWORK". Undone on failure.
  virtual Result<NetworkAttachment> Connect(const std::string& container_id, const std::string& container_name,
                                            const EndpointRequest& endpoint) = 0;
  // Removes the container's endpoint on network `network_id` (its
  // interface, address and port rules); the namespace stays. Not on it:
  // NotFound.
  [[nodiscard]] virtual Status Disconnect(const std::string& container_id, const std::string& network_id) = 0;
};

}  // namespace berth
