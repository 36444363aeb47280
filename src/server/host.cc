// -H address parsing.

#include <cstdlib>
#include <string>

#include "berth/server.h"

namespace berth {

std::string HostAddress::ToString() const {
  if (kind == Kind::kUnix) return "unix://" + path;
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return "tcp://" + h + ":" + std::to_string(port);
}

Result<HostAddress> ParseHost(std::string_view host, std::string_view default_unix_path) {
  HostAddress a;
  size_t scheme_end = host.find("://");
  if (scheme_end == std::string_view::npos) {
    return InvalidArgument("invalid bind address format: " + std::string(host));
  }
  std::string_view scheme = host.substr(0, scheme_end);
  std::string_view rest = host.substr(scheme_end + 3);
  if (scheme == "unix") {
    a.kind = HostAddress::Kind::kUnix;
    a.path = rest.empty() ? std::string(default_unix_path) : std::string(rest);
    if (a.path.empty() || a.path[0] != '/') {
      return InvalidArgument("invalid bind address (" + std::string(host) + "): the socket path must be absolute");
    }
    return a;
  }
  if (scheme != "tcp") {
    return InvalidArgument("invalid bind address (" + std::string(host) + "): unsupported proto '" +
                           std::string(scheme) + "'");
  }
  a.kind = HostAddress::Kind::kTcp;
  // Drop a trailing path ("tcp://h:p/") as Docker does.
  size_t slash = rest.find('/');
  if (slash != std::string_view::npos) {
    if (rest.substr(slash) != "/") {
      return InvalidArgument("invalid bind address (" + std::string(host) + "): should not contain a path element");
    }
    rest = rest.substr(0, slash);
  }
  std::string_view port_str;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return InvalidArgument("invalid bind address: " + std::string(host));
    a.host = std::string(rest.substr(1, close - 1));
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return InvalidArgument("invalid bind address: " + std::string(host));
      port_str = after.substr(1);
    }
  } else {
    size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) {
      a.host = std::string(rest);
    } else {
      a.host = std::string(rest.substr(0, colon));
      port_str = rest.substr(colon + 1);
    }
  }
  if (a.host.empty()) a.host = "127.0.0.1";
  a.port = 2376;
  if (!port_str.empty()) {
    std::string p(port_str);
    char* end = nullptr;
    long v = std::strtol(p.c_str(), &end, 10);
    if (*end != '\0' || v < 0 || v > 65535) {
      return InvalidArgument("invalid bind address (" + std::string(host) + "): invalid port '" + p + "'");
    }
    a.port = static_cast<uint16_t>(v);
  }
  return a;
}

}  // namespace berth
