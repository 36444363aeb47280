// IPv4 parsing, berthd's IPAM (AllocateAddress, PickDefaultSubnet) and
// port specifications (see berth/network_service.h).
#include <algorithm>
#include <cctype>
#include <charconv>

#include "berth/network_service.h"

namespace berth {

namespace {

uint32_t MaskOf(int prefix_len) { return prefix_len == 0 ? 0 : ~uint32_t{0} << (32 - prefix_len); }

Result<int> ParseDecimal(std::string_view text, int max) {
  int value = 0;
  if (text.empty() || text.size() > 5) return InvalidArgument("not a number");
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0 || value > max) {
    return InvalidArgument("not a number");
  }
  return value;
}

}  // namespace

Result<uint32_t> ParseIpv4(std::string_view text) {
  uint32_t address = 0;
  std::string_view rest = text;
  for (int i = 0; i < 4; ++i) {
    size_t dot = rest.find('.');
    if ((i < 3) != (dot != std::string_view::npos)) return InvalidArgument("invalid IP address: " + std::string(text));
    std::string_view part = rest.substr(0, dot);
    if (part.size() > 1 && part[0] == '0') return InvalidArgument("invalid IP address: " + std::string(text));
    auto octet = ParseDecimal(part, 255);
    if (!octet.ok()) return InvalidArgument("invalid IP address: " + std::string(text));
    address = (address << 8) | static_cast<uint32_t>(*octet);
    rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
  }
  return address;
}

std::string FormatIpv4(uint32_t address) {
  return std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 0xff) + "." +
         std::to_string((address >> 8) & 0xff) + "." + std::to_string(address & 0xff);
}

Result<Ipv4Subnet> ParseIpv4Cidr(std::string_view text) {
  size_t slash = text.find('/');
  auto bad = [&] { return InvalidArgument("invalid CIDR address: " + std::string(text)); };
  if (slash == std::string_view::npos) return bad();
  auto address = ParseIpv4(text.substr(0, slash));
  auto prefix = ParseDecimal(text.substr(slash + 1), 32);
  if (!address.ok() || !prefix.ok()) return bad();
  return Ipv4Subnet{*address & MaskOf(*prefix), *prefix};
}

bool SubnetContains(const Ipv4Subnet& subnet, uint32_t address) {
  return (address & MaskOf(subnet.prefix_len)) == subnet.network;
}

bool SubnetsOverlap(const Ipv4Subnet& a, const Ipv4Subnet& b) {
  const int shorter = std::min(a.prefix_len, b.prefix_len);
  return (a.network & MaskOf(shorter)) == (b.network & MaskOf(shorter));
}

Result<uint32_t> AllocateAddress(const Ipv4Subnet& subnet, uint32_t gateway, const std::set<uint32_t>& in_use) {
  const uint64_t size = uint64_t{1} << (32 - subnet.prefix_len);
  // A /31 or /32 has no room for a gateway and a container.
  for (uint64_t offset = 1; offset + 1 < size; ++offset) {
    const uint32_t candidate = subnet.network + static_cast<uint32_t>(offset);
    if (candidate != gateway && !in_use.contains(candidate)) return candidate;
  }
  return Unavailable("no available addresses in " + FormatIpv4(subnet.network) + "/" +
                     std::to_string(subnet.prefix_len));
}

Result<Ipv4Subnet> PickDefaultSubnet(const std::vector<Ipv4Subnet>& taken) {
  for (uint32_t second = 17; second <= 31; ++second) {
    Ipv4Subnet candidate{(172u << 24) | (second << 16), 16};
    bool free = true;
    for (const auto& t : taken) free = free && !SubnetsOverlap(candidate, t);
    if (free) return candidate;
  }
  return NotFound("no free /16 in 172.17.0.0/16 ... 172.31.0.0/16 for the bridge network; set --bip");
}

std::string UserNetworkBridgeName(std::string_view id) { return "berth-" + std::string(id.substr(0, 9)); }

std::string FormatIpv4Cidr(const Ipv4Subnet& subnet) {
  return FormatIpv4(subnet.network) + "/" + std::to_string(subnet.prefix_len);
}

std::vector<AddressPool> DockerDefaultPools() {
  std::vector<AddressPool> pools;
  for (uint32_t second = 17; second <= 31; ++second) pools.push_back({{(172u << 24) | (second << 16), 16}, 16});
  pools.push_back({{(192u << 24) | (168u << 16), 16}, 20});
  return pools;
}

Result<Ipv4Subnet> PickPoolSubnet(const std::vector<AddressPool>& given, const std::vector<Ipv4Subnet>& taken) {
  const std::vector<AddressPool> pools = given.empty() ? DockerDefaultPools() : given;
  for (const auto& pool : pools) {
    const uint64_t count = uint64_t{1} << (pool.size - pool.base.prefix_len);
    const uint64_t step = uint64_t{1} << (32 - pool.size);
    for (uint64_t i = 0; i < count; ++i) {
      Ipv4Subnet candidate{static_cast<uint32_t>(pool.base.network + i * step), pool.size};
      bool free = true;
      for (const auto& t : taken) free = free && !SubnetsOverlap(candidate, t);
      if (free) return candidate;
    }
  }
  return NotFound("all predefined address pools have been fully subnetted");
}

Result<Ipv4Subnet> PickNetworkSubnet(const std::vector<Ipv4Subnet>& taken) { return PickPoolSubnet({}, taken); }

Result<AddressPool> ParseAddressPool(std::string_view text) {
  AddressPool pool;
  bool have_base = false, have_size = false;
  std::string_view rest = text;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view field = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const size_t eq = field.find('=');
    if (eq == std::string_view::npos) {
      return InvalidArgument("invalid default address pool \"" + std::string(text) + "\": expected base=CIDR,size=N");
    }
    const std::string_view key = field.substr(0, eq), value = field.substr(eq + 1);
    if (key == "base") {
      BERTH_ASSIGN_OR_RETURN(pool.base, ParseIpv4Cidr(value));
      have_base = true;
    } else if (key == "size") {
      auto size = ParseDecimal(value, 32);
      if (!size.ok()) return InvalidArgument("invalid size in default address pool \"" + std::string(text) + "\"");
      pool.size = *size;
      have_size = true;
    } else {
      return InvalidArgument("unknown key " + std::string(key) + " in default address pool \"" + std::string(text) +
                             "\" (berth takes base and size)");
    }
  }
  if (!have_base || !have_size) {
    return InvalidArgument("default address pool \"" + std::string(text) + "\" needs base and size");
  }
  if (pool.size < pool.base.prefix_len) {
    return InvalidArgument("invalid pools configuration: size " + std::to_string(pool.size) +
                           " is shorter than the prefix of base " + FormatIpv4Cidr(pool.base));
  }
  if (pool.size > 30)
    return InvalidArgument("the subnet size of default address pool \"" + std::string(text) + "\" is over /30");
  return pool;
}

Result<std::pair<int, std::string>> ParsePortProto(std::string_view text) {
  std::string_view port = text;
  std::string proto = "tcp";
  if (size_t slash = text.find('/'); slash != std::string_view::npos) {
    port = text.substr(0, slash);
    proto = std::string(text.substr(slash + 1));
    if (proto != "tcp" && proto != "udp") {
      if (proto == "sctp") return InvalidArgument("berth does not support sctp ports (" + std::string(text) + ")");
      return InvalidArgument("invalid proto: " + proto);
    }
  }
  auto number = ParseDecimal(port, 65535);
  if (!number.ok() || *number == 0) return InvalidArgument("invalid port specification: \"" + std::string(port) + "\"");
  return std::make_pair(*number, proto);
}

bool IsMacAddress(std::string_view text) {
  if (text.size() != 17) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i % 3 == 2) {
      if (text[i] != ':' && text[i] != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(text[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace berth
