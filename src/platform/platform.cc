// Platform specifiers: parsing, formatting, normalisation and the host
// platform, following containerd's platforms package.

#include "berth/url_escape.h"
#include "berth/platform.h"

#include <sys/utsname.h>

#include <algorithm>

#include "berth/go_strconv.h"
#include "platform/go_text.h"

namespace berth {

namespace {


// containerd's regular expressions, quoted into error messages verbatim.
constexpr std::string_view kSpecifierRe = "^[A-Za-z0-9_.-]+$";
constexpr std::string_view kOsRe =
    R"(^([A-Za-z0-9_-]+)(?:\(([A-Za-z0-9_.%-]*)((?:\+[A-Za-z0-9_.%-]+)*)\))?$)";

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
// [A-Za-z0-9_-]
bool IsOsNameChar(char c) { return IsAlnum(c) || c == '_' || c == '-'; }
// [A-Za-z0-9_.-]
bool IsSpecifierChar(char c) { return IsAlnum(c) || c == '_' || c == '.' || c == '-'; }
// [A-Za-z0-9_.%-]
bool IsOsOptionChar(char c) { return IsSpecifierChar(c) || c == '%'; }

bool AllOf(std::string_view s, bool (*pred)(char)) {
  return std::all_of(s.begin(), s.end(), pred);
}

bool IsKnownOs(std::string_view os) {
  static constexpr std::string_view kKnown[] = {
      "aix",   "android", "darwin", "dragonfly", "freebsd", "hurd",    "illumos", "ios",     "js",
      "linux", "nacl",    "netbsd", "openbsd",   "plan9",   "solaris", "windows", "zos"};
  return std::find(std::begin(kKnown), std::end(kKnown), os) != std::end(kKnown);
}

bool IsKnownArch(std::string_view arch) {
  static constexpr std::string_view kKnown[] = {
      "386",     "amd64",    "amd64p32", "arm",       "armbe",       "arm64",   "arm64be",
      "ppc64",   "ppc64le",  "loong64",  "mips",      "mipsle",      "mips64",  "mips64le",
      "mips64p32", "mips64p32le", "ppc", "riscv",    "riscv64",     "s390",    "s390x",
      "sparc",   "sparc64",  "wasm"};
  return std::find(std::begin(kKnown), std::end(kKnown), arch) != std::end(kKnown);
}

// The host's OS and architecture from uname(2), in Go's GOOS/GOARCH terms
// (variant carries the arm revision where the machine name gives one).
struct HostInfo {
  std::string os = "linux";
  std::string arch = "amd64";
  std::string variant;
};

HostInfo DetectHost() {
  HostInfo h;
  struct utsname u;
  if (uname(&u) != 0) return h;
  std::string sys = ToLower(u.sysname);
  if (!sys.empty()) h.os = sys;
  const std::string machine = ToLower(u.machine);
  if (machine == "x86_64" || machine == "amd64") {
    h.arch = "amd64";
  } else if (machine == "aarch64" || machine == "arm64") {
    h.arch = "arm64";
  } else if (machine.rfind("armv", 0) == 0 && machine.size() > 4 && machine[4] >= '5' &&
             machine[4] <= '8') {
    h.arch = "arm";  // armv5tel, armv6l, armv7l, armv8l
    h.variant = std::string("v") + machine[4];
  } else if (machine == "i386" || machine == "i486" || machine == "i586" || machine == "i686") {
    h.arch = "386";
  } else if (machine == "loongarch64") {
    h.arch = "loong64";
  } else if (!machine.empty()) {
    h.arch = machine;  // ppc64le, s390x, riscv64, ... are spelt as in Go
  }
  return h;
}

const HostInfo& Host() {
  static const HostInfo host = DetectHost();
  return host;
}

std::string NormalizeOs(std::string_view os) {
  if (os.empty()) return Host().os;
  std::string out = ToLower(os);
  if (out == "macos") out = "darwin";
  return out;
}

void NormalizeArch(std::string* arch, std::string* variant) {
  *arch = ToLower(*arch);
  *variant = ToLower(*variant);
  const std::string& a = *arch;
  std::string& v = *variant;
  if (a == "i386") {
    *arch = "386";
    v.clear();
  } else if (a == "x86_64" || a == "x86-64" || a == "amd64") {
    *arch = "amd64";
    if (v == "v1") v.clear();
  } else if (a == "aarch64" || a == "arm64") {
    *arch = "arm64";
    if (v == "8" || v == "v8" || v == "v8.0") {
      v.clear();
    } else if (v == "9" || v == "9.0" || v == "v9.0") {
      v = "v9";
    }
  } else if (a == "armhf") {
    *arch = "arm";
    v = "v7";
  } else if (a == "armel") {
    *arch = "arm";
    v = "v6";
  } else if (a == "arm") {
    if (v.empty() || v == "7") {
      v = "v7";
    } else if (v == "5" || v == "6" || v == "8") {
      v = "v" + v;
    }
  }
}

Status InvalidSpecifier(std::string message) {
  return InvalidArgument(std::move(message) + ": invalid argument");
}

// Parses the first specifier component, <os>[(<version>[+<feature>]*)],
// into p (os normalised, options percent-decoded).
Status ParseOsComponent(std::string_view part, std::string_view specifier, Platform* p) {
  auto invalid = [&] {
    return InvalidSpecifier(GoQuote(part) + " is an invalid OS component of " + GoQuote(specifier) +
                            ": OSAndVersion specifier component must match " + GoQuote(kOsRe));
  };
  size_t name_end = 0;
  while (name_end < part.size() && IsOsNameChar(part[name_end])) ++name_end;
  if (name_end == 0) return invalid();
  std::string_view name = part.substr(0, name_end);
  std::string_view rest = part.substr(name_end);
  std::string_view version;
  std::vector<std::string_view> raw_features;
  if (!rest.empty()) {
    if (rest.front() != '(' || rest.back() != ')' || rest.size() < 2) return invalid();
    std::string_view options = rest.substr(1, rest.size() - 2);
    size_t plus = options.find('+');
    version = options.substr(0, plus);
    if (!AllOf(version, IsOsOptionChar)) return invalid();
    while (plus != std::string_view::npos) {
      size_t next = options.find('+', plus + 1);
      std::string_view feature = options.substr(
          plus + 1, next == std::string_view::npos ? std::string_view::npos : next - plus - 1);
      if (feature.empty() || !AllOf(feature, IsOsOptionChar)) return invalid();
      raw_features.push_back(feature);
      plus = next;
    }
  }
  p->os = NormalizeOs(name);
  if (version.find('%') != std::string_view::npos) {
    Result<std::string> decoded = UrlUnescape(version, false);
    if (!decoded.ok()) {
      return InvalidArgument(GoQuote(specifier) + " has an invalid OS version " + GoQuote(version) + ": " +
                             decoded.status().message());
    }
    p->os_version = std::move(*decoded);
  } else {
    p->os_version = std::string(version);
  }
  for (std::string_view f : raw_features) {
    if (f.find('%') == std::string_view::npos) {
      p->os_features.emplace_back(f);
      continue;
    }
    Result<std::string> decoded = UrlUnescape(f, false);
    if (!decoded.ok()) {
      return InvalidArgument(GoQuote(specifier) + " has an invalid OS feature " + GoQuote(f) + ": " +
                             decoded.status().message());
    }
    p->os_features.push_back(std::move(*decoded));
  }
  return OkStatus();
}

// containerd's encoding of OS options: % first, then + ( ) /.
std::string EncodeOsOption(std::string_view v) {
  std::string out;
  for (char c : v) {
    switch (c) {
      case '%': out += "%25"; break;
      case '+': out += "%2B"; break;
      case '(': out += "%28"; break;
      case ')': out += "%29"; break;
      case '/': out += "%2F"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string JoinNonEmpty(std::string_view a, std::string_view b, std::string_view c) {
  std::string out;
  for (std::string_view part : {a, b, c}) {
    if (part.empty()) continue;
    if (!out.empty()) out.push_back('/');
    out.append(part);
  }
  return out;
}

}  // namespace

Result<Platform> ParsePlatform(std::string_view specifier) {
  if (specifier.find('*') != std::string_view::npos) {
    return InvalidSpecifier(GoQuote(specifier) + ": wildcards not yet supported");
  }
  // At most four parts: the fourth keeps any further slashes.
  std::vector<std::string_view> parts;
  std::string_view rest = specifier;
  while (parts.size() < 3) {
    size_t slash = rest.find('/');
    if (slash == std::string_view::npos) break;
    parts.push_back(rest.substr(0, slash));
    rest = rest.substr(slash + 1);
  }
  parts.push_back(rest);

  Platform p;
  BERTH_RETURN_IF_ERROR(ParseOsComponent(parts[0], specifier, &p));
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].empty() || !AllOf(parts[i], IsSpecifierChar)) {
      return InvalidSpecifier(GoQuote(parts[i]) + " is an invalid component of " +
                              GoQuote(specifier) +
                              ": platform specifier component must match " + GoQuote(kSpecifierRe));
    }
  }

  switch (parts.size()) {
    case 1: {
      if (IsKnownOs(p.os)) {
        // The host's architecture; an arm host's variant unless it is v7.
        p.architecture = Host().arch;
        if (p.architecture == "arm" && Host().variant != "v7") p.variant = Host().variant;
        return p;
      }
      p.architecture = std::string(parts[0]);
      p.variant.clear();
      NormalizeArch(&p.architecture, &p.variant);
      if (p.architecture == "arm" && p.variant == "v7") p.variant.clear();
      if (IsKnownArch(p.architecture)) {
        p.os = Host().os;
        return p;
      }
      return InvalidSpecifier(GoQuote(specifier) + ": unknown operating system or architecture");
    }
    case 2:
      p.architecture = std::string(parts[1]);
      NormalizeArch(&p.architecture, &p.variant);
      if (p.architecture == "arm" && p.variant == "v7") p.variant.clear();
      return p;
    case 3:
      p.architecture = std::string(parts[1]);
      p.variant = std::string(parts[2]);
      NormalizeArch(&p.architecture, &p.variant);
      if (p.architecture == "arm64" && p.variant.empty()) p.variant = "v8";
      return p;
    default:
      break;
  }
  return InvalidSpecifier(GoQuote(specifier) + ": cannot parse platform specifier");
}

std::string FormatPlatform(const Platform& p) {
  if (p.os.empty()) return "unknown";
  return JoinNonEmpty(p.os, p.architecture, p.variant);
}

std::string FormatPlatformAll(const Platform& p) {
  if (p.os.empty()) return "unknown";
  std::string options = EncodeOsOption(p.os_version);
  std::vector<std::string> features = p.os_features;
  std::sort(features.begin(), features.end());
  for (const std::string& f : features) {
    if (f.empty()) continue;
    options += "+" + EncodeOsOption(f);
  }
  if (options.empty()) return JoinNonEmpty(p.os, p.architecture, p.variant);
  return JoinNonEmpty(p.os + "(" + options + ")", p.architecture, p.variant);
}

Platform Normalize(Platform p) {
  p.os = NormalizeOs(p.os);
  NormalizeArch(&p.architecture, &p.variant);
  if (!p.os_features.empty()) {
    std::sort(p.os_features.begin(), p.os_features.end());
    p.os_features.erase(std::unique(p.os_features.begin(), p.os_features.end()),
                        p.os_features.end());
  }
  return p;
}

Platform HostPlatform() {
  Platform p;
  p.os = Host().os;
  p.architecture = Host().arch;
  p.variant = Host().variant;
  return Normalize(std::move(p));
}

}  // namespace berth
