// berthd's IPAM, port specifications, and the /etc/hosts and
// /etc/resolv.conf writers.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "berth/network_service.h"

namespace berth {
namespace {

uint32_t Ip(const char* text) { return *ParseIpv4(text); }

TEST(Ipv4, ParsesAndFormats) {
  EXPECT_EQ(FormatIpv4(Ip("172.30.0.1")), "172.30.0.1");
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "a.b.c.d", "1..2.3"}) {
    EXPECT_FALSE(ParseIpv4(bad).ok()) << bad;
  }
  auto subnet = ParseIpv4Cidr("172.30.5.9/16");
  ASSERT_TRUE(subnet.ok());
  EXPECT_EQ(FormatIpv4(subnet->network), "172.30.0.0");
  EXPECT_EQ(subnet->prefix_len, 16);
  EXPECT_EQ(ParseIpv4Cidr("172.30.0.0/33").status().message(), "invalid CIDR address: 172.30.0.0/33");
  EXPECT_FALSE(ParseIpv4Cidr("172.30.0.0").ok());
}

TEST(Ipv4, OverlapAndContainment) {
  Ipv4Subnet a = *ParseIpv4Cidr("10.0.0.0/8");
  Ipv4Subnet b = *ParseIpv4Cidr("10.20.0.0/16");
  Ipv4Subnet c = *ParseIpv4Cidr("172.17.0.0/16");
  EXPECT_TRUE(SubnetsOverlap(a, b));
  EXPECT_TRUE(SubnetsOverlap(b, a));
  EXPECT_FALSE(SubnetsOverlap(a, c));
  EXPECT_TRUE(SubnetContains(b, Ip("10.20.255.255")));
  EXPECT_FALSE(SubnetContains(b, Ip("10.21.0.0")));
}

TEST(Ipam, SkipsNetworkGatewayTakenAndBroadcast) {
  Ipv4Subnet subnet = *ParseIpv4Cidr("192.168.7.0/30");  // .1 and .2 usable
  uint32_t gateway = Ip("192.168.7.1");
  auto first = AllocateAddress(subnet, gateway, {});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(FormatIpv4(*first), "192.168.7.2");
  auto none = AllocateAddress(subnet, gateway, {*first});
  EXPECT_EQ(none.status().code(), Code::kUnavailable);
  EXPECT_EQ(none.status().message(), "no available addresses in 192.168.7.0/30");
}

TEST(Ipam, ReusesAReleasedAddress) {
  Ipv4Subnet subnet = *ParseIpv4Cidr("172.30.0.0/16");
  uint32_t gateway = Ip("172.30.0.1");
  std::set<uint32_t> in_use = {Ip("172.30.0.2"), Ip("172.30.0.3"), Ip("172.30.0.4")};
  EXPECT_EQ(FormatIpv4(*AllocateAddress(subnet, gateway, in_use)), "172.30.0.5");
  in_use.erase(Ip("172.30.0.3"));
  EXPECT_EQ(FormatIpv4(*AllocateAddress(subnet, gateway, in_use)), "172.30.0.3");
}

TEST(Ipam, DefaultSubnetAvoidsHostRoutes) {
  EXPECT_EQ(FormatIpv4(PickDefaultSubnet({})->network), "172.17.0.0");
  std::vector<Ipv4Subnet> taken = {*ParseIpv4Cidr("172.17.0.0/16"), *ParseIpv4Cidr("172.18.3.0/24")};
  EXPECT_EQ(FormatIpv4(PickDefaultSubnet(taken)->network), "172.19.0.0");
  EXPECT_FALSE(PickDefaultSubnet({*ParseIpv4Cidr("172.16.0.0/12")}).ok());
}

TEST(Ipam, NetworkSubnetTakesTheFirstFreePool) {
  auto first = PickNetworkSubnet({});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(FormatIpv4Cidr(*first), "172.17.0.0/16");
  // The bridge network's and other networks' subnets, and host routes
  // inside a pool, all make it taken.
  auto next = PickNetworkSubnet({*ParseIpv4Cidr("172.17.0.0/16"), *ParseIpv4Cidr("172.18.3.0/24")});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(FormatIpv4Cidr(*next), "172.19.0.0/16");
  // 172.16.0.0/12 all taken: the /20s of 192.168.0.0/16, skipping a taken one.
  auto in_192 = PickNetworkSubnet({*ParseIpv4Cidr("172.16.0.0/12"), *ParseIpv4Cidr("192.168.1.0/24")});
  ASSERT_TRUE(in_192.ok());
  EXPECT_EQ(FormatIpv4Cidr(*in_192), "192.168.16.0/20");
  auto none = PickNetworkSubnet({*ParseIpv4Cidr("172.16.0.0/12"), *ParseIpv4Cidr("192.168.0.0/16")});
  EXPECT_EQ(none.status().code(), Code::kNotFound);
  EXPECT_EQ(none.status().message(), "all predefined address pools have been fully subnetted");
}

TEST(UserNetworkPlan, AddressesAndRefusals) {
  NetworkCreateRequest req;
  req.name = "apps";
  req.subnet = "10.9.0.0/24";
  req.ip_range = "10.9.0.128/25";
  auto n = PlanUserNetwork(req, {*ParseIpv4Cidr("172.17.0.0/16")});
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(n->subnet, "10.9.0.0/24");
  EXPECT_EQ(n->gateway, "10.9.0.1");
  EXPECT_EQ(n->ip_range, "10.9.0.128/25");
  // No subnet: the first free pool.
  auto chosen = PlanUserNetwork(NetworkCreateRequest{.name = "auto"}, {*ParseIpv4Cidr("172.17.0.0/16")});
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(chosen->subnet, "172.18.0.0/16");
  EXPECT_EQ(chosen->gateway, "172.18.0.1");
  EXPECT_EQ(PlanUserNetwork(req, {*ParseIpv4Cidr("10.9.0.0/16")}).status().message(),
            "Pool overlaps with other one on this address space");
  EXPECT_EQ(PlanUserNetwork(NetworkCreateRequest{.name = "host"}, {}).status().code(), Code::kPermissionDenied);
  auto refused = [&](auto change) {
    NetworkCreateRequest r = req;
    change(r);
    return PlanUserNetwork(r, {}).status().message();
  };
  EXPECT_EQ(refused([](auto& r) { r.gateway = "10.9.1.1"; }),
            "the gateway 10.9.1.1 is not an address of the subnet 10.9.0.0/24");
  EXPECT_EQ(refused([](auto& r) { r.ip_range = "10.8.0.0/25"; }),
            "the IP range 10.8.0.0/25 is not inside the subnet 10.9.0.0/24");
  EXPECT_EQ(refused([](auto& r) { r.driver = "macvlan"; }),
            "berth supports only the bridge network driver, not \"macvlan\"");
  EXPECT_EQ(refused([](auto& r) { r.options["com.docker.network.bridge.enable_icc"] = "false"; }),
            "berth does not support the bridge driver option com.docker.network.bridge.enable_icc");
  EXPECT_EQ(refused([](auto& r) { r.options["com.docker.network.driver.mtu"] = "big"; }),
            "failed to parse com.docker.network.driver.mtu value: big (strconv.Atoi: parsing \"big\": invalid syntax)");
  EXPECT_EQ(refused([](auto& r) { r.options["com.docker.network.bridge.enable_ip_masquerade"] = "maybe"; }),
            "failed to parse com.docker.network.bridge.enable_ip_masquerade value: maybe (strconv.ParseBool: "
            "parsing \"maybe\": invalid syntax)");
  EXPECT_NE(refused([](auto& r) { r.options["com.docker.network.bridge.name"] = "a-name-over-15-chars"; }), "");
  EXPECT_EQ(refused([](auto& r) { r.subnet = "10.9.0.0/31"; }), "the subnet 10.9.0.0/31 is too small (at most /30)");
}

TEST(UserNetworkPlan, AuxiliaryAddressesAreCheckedAsDockerChecksThem) {
  NetworkCreateRequest req;
  req.name = "aux";
  req.subnet = "172.28.0.0/16";
  req.ip_range = "172.28.5.0/24";
  req.gateway = "172.28.5.254";
  req.aux_addresses = {{"a", "172.28.1.5"}, {"b", "172.28.1.6"}};
  auto n = PlanUserNetwork(req, {});
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(n->aux_addresses, req.aux_addresses);
  auto refused = [&](std::map<std::string, std::string> aux, bool with_subnet = true) {
    NetworkCreateRequest r = req;
    r.aux_addresses = std::move(aux);
    if (!with_subnet) r.subnet = r.ip_range = r.gateway = "";
    return PlanUserNetwork(r, {}).status().message();
  };
  EXPECT_EQ(refused({{"far", "10.0.0.1"}}),
            "invalid network config:\ninvalid auxiliary address far: parent subnet 172.28.0.0/16 doesn't contain "
            "this address");
  EXPECT_EQ(refused({{"bad", "172.28.1"}}), "invalid network config:\ninvalid auxiliary address bad: invalid address");
  EXPECT_EQ(refused({{"gw", "172.28.5.254"}}),
            "failed to allocate secondary ip address (gw:172.28.5.254): Address already in use");
  EXPECT_EQ(refused({{"a", "172.28.1.5"}, {"b", "172.28.1.5"}}),
            "failed to allocate secondary ip address (b:172.28.1.5): Address already in use");
  EXPECT_EQ(refused({{"a", "172.28.1.5"}}, false),
            "invalid network config:\ninvalid subnet : invalid CIDR block notation");
}

TEST(InternalResolvConf, DockersShapeFromTheHostsFile) {
  InternalResolvConf rc = BuildInternalResolvConf(
      "# from DHCP\nnameserver 10.0.0.2\nnameserver 127.0.0.53\nnameserver bogus\nsearch example.com corp\n"
      "options edns0\nsortlist 10.0.0.0\n",
      "/etc/resolv.conf", {}, {}, {});
  EXPECT_EQ(rc.text,
            "# Generated by Docker Engine.\n"
            "# This file can be edited; Docker Engine will not make further changes once it\n"
            "# has been modified.\n"
            "\n"
            "nameserver 127.0.0.11\n"
            "search example.com corp\n"
            "options edns0 ndots:0\n"
            "sortlist 10.0.0.0\n"
            "\n"
            "# Based on host file: '/etc/resolv.conf' (internal resolver)\n"
            "# ExtServers: [host(10.0.0.2) host(127.0.0.53)]\n"
            "# Invalid nameservers: [bogus]\n"
            "# Overrides: []\n"
            "# Option ndots from: internal\n");
  // Loopback resolvers are kept: berthd asks them from the host's namespace.
  EXPECT_EQ(rc.upstreams, (std::vector<std::string>{"10.0.0.2", "127.0.0.53"}));
}

TEST(InternalResolvConf, OverridesAndNdots) {
  InternalResolvConf rc =
      BuildInternalResolvConf("nameserver 10.0.0.2\noptions ndots:3\n", "/etc/resolv.conf", {"1.1.1.1"}, {"."}, {});
  EXPECT_EQ(rc.upstreams, std::vector<std::string>{"1.1.1.1"});
  EXPECT_NE(rc.text.find("\nnameserver 127.0.0.11\noptions ndots:3\n\n"), std::string::npos) << rc.text;
  EXPECT_NE(rc.text.find("# ExtServers: [1.1.1.1]\n# Overrides: [nameservers search]\n# Option ndots from: host\n"),
            std::string::npos)
      << rc.text;
  rc = BuildInternalResolvConf("nameserver 10.0.0.2\n", "/etc/resolv.conf", {}, {}, {"ndots:x", "attempts:2"});
  EXPECT_NE(rc.text.find("options attempts:2 ndots:0\n"), std::string::npos) << rc.text;
  EXPECT_NE(rc.text.find("# Overrides: [options]\n# Option ndots from: internal\n"), std::string::npos) << rc.text;
  rc = BuildInternalResolvConf("", "/etc/resolv.conf", {}, {}, {"ndots:2"});
  EXPECT_TRUE(rc.upstreams.empty());
  EXPECT_NE(rc.text.find("# NO EXTERNAL NAMESERVERS DEFINED\n# Overrides: [options]\n# Option ndots from: override\n"),
            std::string::npos)
      << rc.text;
}

TEST(UserNetworkPlan, BridgeOptionsAndInternal) {
  NetworkCreateRequest req;
  req.name = "opts";
  req.subnet = "10.9.0.0/24";
  req.options = {{"com.docker.network.bridge.name", "br-opts"},
                 {"com.docker.network.bridge.enable_ip_masquerade", "false"},
                 {"com.docker.network.driver.mtu", "1400"}};
  auto n = PlanUserNetwork(req, {});
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(n->bridge, "br-opts");
  EXPECT_FALSE(n->ip_masquerade);
  EXPECT_EQ(n->mtu, 1400);
  EXPECT_EQ(n->options, req.options);  // shown by inspect as given
  // Without options: NAT on, the kernel's MTU, the bridge named after the
  // ID once it is known.
  UserNetwork plain{.id = "0123456789abcdef"};
  ASSERT_TRUE(ApplyBridgeOptions(&plain).ok());
  EXPECT_EQ(plain.bridge, "berth-012345678");
  EXPECT_TRUE(plain.ip_masquerade);
  EXPECT_EQ(plain.mtu, 0);
  // Internal: no NAT whatever the option says.
  req.internal = true;
  req.options = {{"com.docker.network.bridge.enable_ip_masquerade", "true"}};
  auto internal = PlanUserNetwork(req, {});
  ASSERT_TRUE(internal.ok());
  EXPECT_TRUE(internal->internal);
  EXPECT_FALSE(internal->ip_masquerade);
}

TEST(AddressPools, ParsedAndSubnettedInOrder) {
  auto pool = ParseAddressPool("base=10.123.0.0/16,size=24");
  ASSERT_TRUE(pool.ok()) << pool.status().ToString();
  EXPECT_EQ(FormatIpv4Cidr(pool->base), "10.123.0.0/16");
  EXPECT_EQ(pool->size, 24);
  for (const char* bad : {"", "base=10.0.0.0/16", "size=24", "base=10.0.0.0/16,size=8", "base=10.0.0.0/16,size=x",
                          "base=nope,size=24", "base=10.0.0.0/16,size=24,color=red", "base=10.0.0.0/16,size=31"}) {
    EXPECT_EQ(ParseAddressPool(bad).status().code(), Code::kInvalidArgument) << bad;
  }
  std::vector<AddressPool> pools = {*ParseAddressPool("base=10.123.0.0/23,size=24"),
                                    *ParseAddressPool("base=10.124.0.0/16,size=20")};
  EXPECT_EQ(FormatIpv4Cidr(*PickPoolSubnet(pools, {})), "10.123.0.0/24");
  EXPECT_EQ(FormatIpv4Cidr(*PickPoolSubnet(pools, {*ParseIpv4Cidr("10.123.0.0/24")})), "10.123.1.0/24");
  EXPECT_EQ(FormatIpv4Cidr(*PickPoolSubnet(pools, {*ParseIpv4Cidr("10.123.0.0/23"), *ParseIpv4Cidr("10.124.0.5/32")})),
            "10.124.16.0/20");
  auto full = PickPoolSubnet(pools, {*ParseIpv4Cidr("10.0.0.0/8")});
  EXPECT_EQ(full.status().code(), Code::kNotFound);
  EXPECT_EQ(full.status().message(), "all predefined address pools have been fully subnetted");
  // No pools: Docker's defaults.
  EXPECT_EQ(FormatIpv4Cidr(*PickPoolSubnet({}, {})), "172.17.0.0/16");
  NetworkCreateRequest req{.name = "pooled"};
  EXPECT_EQ(PlanUserNetwork(req, {}, pools)->subnet, "10.123.0.0/24");
}

TEST(MacAddress, SixBytesWithColonsOrDashes) {
  EXPECT_TRUE(IsMacAddress("02:42:ac:11:00:02"));
  EXPECT_TRUE(IsMacAddress("02-42-AC-11-00-02"));
  for (const char* bad : {"", "02:42:ac:11:00", "02:42:ac:11:00:0g", "0242ac110002", "02:42:ac:11:00:02:03"}) {
    EXPECT_FALSE(IsMacAddress(bad)) << bad;
  }
}

TEST(HostsFile, RewrittenInPlaceKeepsTheInode) {
  const std::string path = ::testing::TempDir() + "/hosts_in_place";
  {
    std::ofstream out(path, std::ios::trunc);
    out << "a long first text that is longer than the second\n";
  }
  struct stat before = {}, after = {};
  ASSERT_EQ(::stat(path.c_str(), &before), 0);
  ASSERT_TRUE(RewriteFileInPlace(path, "short\n").ok());
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "short\n");
  EXPECT_EQ(RewriteFileInPlace(path + ".absent", "x").code(), Code::kNotFound);
  ::unlink(path.c_str());
}

TEST(Ports, ParsesPortAndProtocol) {
  EXPECT_EQ(*ParsePortProto("80"), std::make_pair(80, std::string("tcp")));
  EXPECT_EQ(*ParsePortProto("53/udp"), std::make_pair(53, std::string("udp")));
  EXPECT_EQ(ParsePortProto("0/tcp").status().message(), "invalid port specification: \"0\"");
  EXPECT_EQ(ParsePortProto("70000").status().message(), "invalid port specification: \"70000\"");
  EXPECT_EQ(ParsePortProto("80/icmp").status().message(), "invalid proto: icmp");
}

TEST(HostsFile, LocalhostExtraHostsThenTheContainer) {
  EXPECT_EQ(BuildHostsFile("172.30.0.2", "web", {"db:10.0.0.5", "v6=[::1]"}),
            "127.0.0.1\tlocalhost\n"
            "::1\tlocalhost ip6-localhost ip6-loopback\n"
            "fe00::\tip6-localnet\n"
            "ff00::\tip6-mcastprefix\n"
            "ff02::1\tip6-allnodes\n"
            "ff02::2\tip6-allrouters\n"
            "10.0.0.5\tdb\n"
            "::1\tv6\n"
            "172.30.0.2\tweb\n");
}

TEST(ResolvConf, TheHostsResolversWithoutLoopbackOnes) {
  const std::string host =
      "# comment\nnameserver 127.0.0.53\nnameserver 10.1.1.1\nsearch corp.example\noptions ndots:2\n";
  EXPECT_EQ(BuildResolvConf(host, {}, {}, {}), "nameserver 10.1.1.1\nsearch corp.example\noptions ndots:2\n");
  EXPECT_EQ(BuildResolvConf("nameserver 127.0.0.53\n", {}, {}, {}), "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
  EXPECT_EQ(BuildResolvConf(host, {"9.9.9.9"}, {"a.example", "b.example"}, {"timeout:1"}),
            "nameserver 9.9.9.9\nsearch a.example b.example\noptions timeout:1\n");
  EXPECT_EQ(BuildResolvConf(host, {}, {"."}, {}), "nameserver 10.1.1.1\noptions ndots:2\n");
}

TEST(NetworkConfig, ValidatesAddHostAndDns) {
  ContainerNetworkConfig cfg;
  cfg.extra_hosts = {"db:10.0.0.5", "gw:host-gateway"};
  cfg.dns = {"1.1.1.1"};
  EXPECT_TRUE(ValidateNetworkConfig(cfg).ok());
  cfg.extra_hosts = {"db:notanip"};
  EXPECT_EQ(ValidateNetworkConfig(cfg).message(), "invalid IP address in add-host: \"notanip\"");
  cfg.extra_hosts = {};
  cfg.dns = {"resolver"};
  EXPECT_EQ(ValidateNetworkConfig(cfg).message(), "resolver is not an ip address");
}

TEST(NetworkConfig, RoundTripsThroughItsStoredForm) {
  ContainerNetworkConfig cfg;
  cfg.exposed_ports = {"80/tcp"};
  cfg.port_bindings = {PortMapping{80, "tcp", "127.0.0.1", 8080}, PortMapping{53, "udp", "", 0}};
  cfg.publish_all_ports = true;
  cfg.extra_hosts = {"db:10.0.0.5"};
  cfg.dns = {"9.9.9.9"};
  cfg.dns_search = {"example.com"};
  cfg.dns_options = {"ndots:1"};
  cfg.ipv4_address = "10.5.0.9";
  cfg.aliases = {"db", "cache"};
  cfg.mac_address = "02:42:ac:11:00:09";
  cfg.driver_opts = {{"com.example.tier", "gold"}};
  cfg.link_local_ips = {"169.254.8.8"};
  cfg.links = {"db:store"};
  cfg.mode_network_disconnected = true;
  cfg.connected = {
      {"id1", "later", "10.6.0.7", {"sleepy"}, "02:42:ac:11:00:0a", {{"k", "v"}}, {"169.254.1.1"}, {"cache"}}};
  auto back = NetworkConfigFromJson(NetworkConfigToJson(cfg));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->ipv4_address, "10.5.0.9");
  EXPECT_EQ(back->aliases, (std::vector<std::string>{"db", "cache"}));
  EXPECT_EQ(NetworkConfigToJson(*back), NetworkConfigToJson(cfg));
  EXPECT_EQ(back->port_bindings[0].host_port, 8080);
  EXPECT_EQ(back->port_bindings[1].protocol, "udp");
  EXPECT_TRUE(back->mode_network_disconnected);
  ASSERT_EQ(back->connected.size(), 1u);
  EXPECT_EQ(back->connected[0].network_name, "later");
  EXPECT_EQ(back->connected[0].aliases, std::vector<std::string>{"sleepy"});
  EXPECT_EQ(back->driver_opts.at("com.example.tier"), "gold");
  EXPECT_EQ(back->connected[0].driver_opts.at("k"), "v");
  EXPECT_EQ(back->link_local_ips, std::vector<std::string>{"169.254.8.8"});
  EXPECT_EQ(back->connected[0].link_local_ips, std::vector<std::string>{"169.254.1.1"});
  EXPECT_EQ(back->links, std::vector<std::string>{"db:store"});
  EXPECT_EQ(EndpointRequestOf(back->connected[0]).links, std::vector<std::string>{"cache"});
  // A config stored before connect existed reads as on its mode's network.
  auto old = NetworkConfigFromJson(R"({"IPv4Address":"10.5.0.9"})");
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(old->mode_network_disconnected);
  EXPECT_TRUE(old->connected.empty());
}

TEST(NetworkConfig, EndpointDriverOptsDockerActsOnAreRefusedByName) {
  EXPECT_TRUE(ValidateEndpointDriverOpts({}).ok());
  EXPECT_TRUE(ValidateEndpointDriverOpts({{"com.docker-py.setting", "on"}, {"key1", "a"}}).ok());
  for (const char* key : {"com.docker.network.endpoint.sysctls", "com.docker.network.endpoint.ifname",
                          "com.docker.network.endpoint.macaddress"}) {
    Status s = ValidateEndpointDriverOpts({{key, "x"}});
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << key;
    EXPECT_EQ(s.message(), std::string("berth does not support the endpoint driver option ") + key);
  }
}

TEST(NetworkConfig, LinkLocalIpsAreIpv4Addresses) {
  EXPECT_TRUE(ValidateLinkLocalIps({}).ok());
  EXPECT_TRUE(ValidateLinkLocalIps({"169.254.8.8", "10.1.2.3"}).ok());  // Docker takes any address
  EXPECT_EQ(ValidateLinkLocalIps({"169.254.8.8", "nope"}).message(),
            "invalid link-local IP address: [169.254.8.8 nope]");
  EXPECT_EQ(ValidateLinkLocalIps({"fe80::1"}).message(), "berth does not support IPv6 link-local addresses (fe80::1)");
}

TEST(NetworkConfig, EndpointLinksReadAsDockersParseLink) {
  using Link = std::pair<std::string, std::string>;
  EXPECT_EQ(*ParseEndpointLink("upstream:bar"), (Link{"upstream", "bar"}));
  EXPECT_EQ(*ParseEndpointLink("upstream"), (Link{"upstream", "upstream"}));
  EXPECT_EQ(*ParseEndpointLink("/upstream:/app/bar"), (Link{"upstream", "bar"}));
  EXPECT_EQ(ParseEndpointLink("").status().message(), "empty string specified for links");
  EXPECT_EQ(ParseEndpointLink("a:b:c").status().message(), "bad format for links: a:b:c");
}

TEST(Attachment, RoundTripsThroughItsRecord) {
  NetworkAttachment a;
  a.container_id = "c1";
  a.network_name = "bridge";
  a.ip_address = "172.30.0.2";
  a.ip_prefix_len = 16;
  a.ports = {PortMapping{80, "tcp", "", 32768}};
  a.exposed = {"443/tcp"};
  a.bridge = "berth-0123456789ab";
  a.aliases = {"web"};
  a.container_name = "front";
  a.dns_resolver = true;
  a.dns_upstreams = {"10.0.0.2", "127.0.0.53"};
  a.interface_name = "eth2";
  a.requested_mac = "02:42:ac:11:00:09";
  a.link_local_ips = {"169.254.8.8"};
  a.links = {"upstream:bar"};
  a.ip_masquerade = false;
  a.mtu = 1400;
  a.internal = true;
  auto back = AttachmentFromJson(AttachmentToJson(a));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->link_local_ips, a.link_local_ips);
  EXPECT_EQ(back->links, a.links);
  EXPECT_EQ(back->bridge, "berth-0123456789ab");
  EXPECT_EQ(back->aliases, std::vector<std::string>{"web"});
  EXPECT_TRUE(back->dns_resolver);
  EXPECT_EQ(back->dns_upstreams, a.dns_upstreams);
  EXPECT_EQ(back->interface_name, "eth2");
  EXPECT_TRUE(back->internal);
  EXPECT_FALSE(back->cni_netfilter);
  EXPECT_EQ(AttachmentToJson(*back), AttachmentToJson(a));
  EXPECT_EQ(AttachmentFromJson("{}").status().code(), Code::kDataLoss);
  // A record from before containers joined several networks: eth0, NAT.
  auto old = AttachmentFromJson(R"({"ContainerID":"c1","IPAddress":"172.30.0.2"})");
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->interface_name, "eth0");
  EXPECT_TRUE(old->ip_masquerade);
  // ... and from before berthd made the netfilter rules itself: the CNI
  // plugins' DEL removes theirs.
  EXPECT_TRUE(old->cni_netfilter);
}

}  // namespace
}  // namespace berth
