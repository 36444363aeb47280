// Pure helpers of the registry client: hosts and insecure registries,
// WWW-Authenticate challenges, distribution error bodies.
#include <arpa/inet.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>

#include "registry/client.h"

namespace berth::registry {

namespace json = boost::json;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) b++;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) e--;
  return std::string(s.substr(b, e - b));
}

std::string UrlEncode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}


namespace {

// Splits "host[:port]" into the host part (brackets removed).
std::string HostOnly(const std::string& host) {
  if (!host.empty() && host[0] == '[') {
    size_t e = host.find(']');
    return e == std::string::npos ? host : host.substr(1, e - 1);
  }
  size_t c = host.find(':');
  if (c != std::string::npos && host.find(':', c + 1) == std::string::npos) return host.substr(0, c);
  return host;
}

bool InCidr(const std::string& ip, const std::string& cidr) {
  size_t slash = cidr.find('/');
  if (slash == std::string::npos) return false;
  std::string net = cidr.substr(0, slash);
  int bits = std::atoi(cidr.c_str() + slash + 1);
  unsigned char a[16], b[16];
  int len = 0;
  if (inet_pton(AF_INET, ip.c_str(), a) == 1 && inet_pton(AF_INET, net.c_str(), b) == 1) {
    len = 4;
  } else if (inet_pton(AF_INET6, ip.c_str(), a) == 1 && inet_pton(AF_INET6, net.c_str(), b) == 1) {
    len = 16;
  } else {
    return false;
  }
  if (bits < 0 || bits > len * 8) return false;
  for (int i = 0; i < len; i++) {
    int take = std::min(8, std::max(0, bits - i * 8));
    unsigned char mask = take == 0 ? 0 : static_cast<unsigned char>(0xff << (8 - take));
    if ((a[i] & mask) != (b[i] & mask)) return false;
  }
  return true;
}

}  // namespace

std::string RegistryHost(const std::string& domain) {
  if (domain == "docker.io" || domain == "index.docker.io") return "registry-1.docker.io";
  return domain;
}

bool IsLoopbackHost(const std::string& host) {
  std::string h = HostOnly(host);
  if (h == "localhost" || h == "::1") return true;
  return InCidr(h, "127.0.0.0/8");
}

bool IsInsecureRegistry(const RegistryConfig& cfg, const std::string& host) {
  if (IsLoopbackHost(host)) return true;
  std::string h = HostOnly(host);
  for (const std::string& e : cfg.insecure_registries) {
    if (e == host || e == h) return true;
    if (e.find('/') != std::string::npos && InCidr(h, e)) return true;
  }
  return false;
}

std::optional<Challenge> ParseChallenge(std::string_view h) {
  std::string s = Trim(h);
  size_t sp = s.find(' ');
  Challenge c;
  c.scheme = Lower(s.substr(0, sp));
  if (c.scheme.empty()) return std::nullopt;
  if (sp == std::string::npos) return c;
  size_t i = sp + 1;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == ',')) i++;
    size_t eq = s.find('=', i);
    if (eq == std::string::npos) break;
    std::string key = Lower(Trim(s.substr(i, eq - i)));
    i = eq + 1;
    std::string value;
    if (i < s.size() && s[i] == '"') {
      i++;
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < s.size()) i++;
        value += s[i++];
      }
      i++;
    } else {
      while (i < s.size() && s[i] != ',') value += s[i++];
      value = Trim(value);
    }
    c.params[key] = value;
  }
  return c;
}

std::string Response::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

std::string RegistryErrorText(const std::string& body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return "";
  const json::value* errs = v.get_object().if_contains("errors");
  if (errs == nullptr || !errs->is_array() || errs->get_array().empty()) return "";
  const json::value& e = errs->get_array()[0];
  if (!e.is_object()) return "";
  std::string code, message;
  if (auto* c = e.get_object().if_contains("code"); c && c->is_string()) code = std::string(c->get_string());
  if (auto* m = e.get_object().if_contains("message"); m && m->is_string()) message = std::string(m->get_string());
  std::replace(code.begin(), code.end(), '_', ' ');
  code = Lower(code);
  if (code.empty()) return message;
  return message.empty() ? code : code + ": " + message;
}
}  // namespace berth::registry
