// Platform matchers with containerd's semantics (platforms.NewMatcher,
// Ordered, Only, OnlyStrict), plus AllWithPreference.

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "berth/go_strconv.h"
#include "berth/platform.h"

namespace berth {

namespace {

// A Windows version "major.minor.build[.revision]"; all zero when the text
// has fewer than two dots or a part does not parse.
struct WindowsVersion {
  uint8_t major = 0;
  uint8_t minor = 0;
  uint16_t build = 0;

  bool empty() const { return major == 0 && minor == 0 && build == 0; }
};

// Go's strconv.ParseUint(s, 10, bits of T).
template <typename T>
bool ParseUnsigned(std::string_view s, T* out) {
  Result<uint64_t> v = GoParseUint(s, std::numeric_limits<T>::digits);
  if (!v.ok()) return false;
  *out = static_cast<T>(*v);
  return true;
}

WindowsVersion ParseWindowsVersion(std::string_view s) {
  if (std::count(s.begin(), s.end(), '.') < 2) return {};
  size_t d1 = s.find('.');
  size_t d2 = s.find('.', d1 + 1);
  size_t d3 = s.find('.', d2 + 1);
  std::string_view build =
      s.substr(d2 + 1, d3 == std::string_view::npos ? std::string_view::npos : d3 - d2 - 1);
  WindowsVersion v;
  if (!ParseUnsigned(s.substr(0, d1), &v.major) ||
      !ParseUnsigned(s.substr(d1 + 1, d2 - d1 - 1), &v.minor) || !ParseUnsigned(build, &v.build)) {
    return {};
  }
  return v;
}

// Windows host/container compatibility: same major.minor; before Windows
// Server 2022 (build 20348) the build must be equal; from it on, any build
// from the newest stable-ABI LTSC release (20348) up to the host's.
bool WindowsCompatible(const WindowsVersion& host, const WindowsVersion& ctr) {
  constexpr uint16_t kLtsc2022 = 20348;
  if (host.major != ctr.major || host.minor != ctr.minor) return false;
  if (host.build < kLtsc2022) return host.build == ctr.build;
  return ctr.build >= kLtsc2022 && ctr.build <= host.build;
}

// Go's strconv.Atoi, for the small variant numbers seen here (an int's
// 32 bits: a larger one is no variant).
bool Atoi(std::string_view s, int* out) {
  Result<int64_t> v = GoParseInt(s, 32);
  if (!v.ok()) return false;
  *out = static_cast<int>(*v);
  return true;
}

std::string_view TrimV(std::string_view s) {
  if (!s.empty() && s.front() == 'v') s.remove_prefix(1);
  return s;
}

// One platform, compared after normalisation (containerd's NewMatcher).
class SingleMatcher {
 public:
  explicit SingleMatcher(const Platform& p)
      : want_(Normalize(p)),
        check_windows_version_(p.os == "windows"),
        windows_version_(ParseWindowsVersion(p.os_version)) {}

  bool Match(const Platform& candidate) const {
    Platform n = Normalize(candidate);
    if (n.os != want_.os || n.architecture != want_.architecture || n.variant != want_.variant) {
      return false;
    }
    if (check_windows_version_ && !windows_version_.empty() && !candidate.os_version.empty() &&
        !WindowsCompatible(windows_version_, ParseWindowsVersion(candidate.os_version))) {
      return false;
    }
    // The candidate's OS features must all be offered by the wanted platform
    // (both lists are sorted and de-duplicated by Normalize).
    return std::includes(want_.os_features.begin(), want_.os_features.end(),
                         n.os_features.begin(), n.os_features.end());
  }

 private:
  Platform want_;
  bool check_windows_version_;
  WindowsVersion windows_version_;
};

// One step of a preference list: a platform, or a ladder of variants
// "v<high>", "v<high-1>", ..., "v<low>" of one architecture (amd64/vN and
// arm/vN run every lower variant). A ladder is not spelled out: a request
// for "linux/amd64/v1000000000" must not make a billion entries.
struct Step {
  Platform platform;  // the platform; for a ladder, its OS part
  bool ladder = false;
  std::string architecture;  // ladder only
  int high = 0;
  int low = 0;

  size_t size() const { return ladder ? static_cast<size_t>(high - low) + 1 : 1; }
};

Platform WithVariant(const Platform& base, std::string arch, std::string variant) {
  Platform p;
  p.os = base.os;
  p.os_version = base.os_version;
  p.os_features = base.os_features;
  p.architecture = std::move(arch);
  p.variant = std::move(variant);
  return p;
}

// Matches any of a list of platforms, preferring earlier ones
// (containerd's Ordered).
class OrderedMatcher : public PlatformMatcher {
 public:
  OrderedMatcher(Platform requested, std::vector<Step> steps) : requested_(std::move(requested)) {
    for (Step& s : steps) {
      std::optional<SingleMatcher> single;
      if (!s.ladder) single.emplace(s.platform);
      entries_.push_back({std::move(s), std::move(single)});
    }
  }

  // Index of the first matching entry of the list the steps spell out;
  // npos when none matches.
  size_t Rank(const Platform& p) const {
    size_t offset = 0;
    for (const Entry& e : entries_) {
      if (!e.step.ladder) {
        if (e.single->Match(p)) return offset;
      } else if (size_t at = LadderRank(e.step, p); at != std::string::npos) {
        return offset + at;
      }
      offset += e.step.size();
    }
    return std::string::npos;
  }

  bool Match(const Platform& p) const override { return Rank(p) != std::string::npos; }
  bool Less(const Platform& a, const Platform& b) const override { return Rank(a) < Rank(b); }
  const Platform* requested() const override { return &requested_; }

 private:
  struct Entry {
    Step step;
    std::optional<SingleMatcher> single;
  };

  // The position in the ladder of the first rung matching `p`. A rung
  // matches only when its normalised variant is p's, so the candidates are
  // the rung p's variant names and the lowest rung (amd64/v1 normalises to
  // no variant); each is checked as its own entry would be.
  static size_t LadderRank(const Step& ladder, const Platform& p) {
    size_t best = std::string::npos;
    int named = 0;
    std::vector<int> rungs = {ladder.low};
    if (Atoi(TrimV(Normalize(p).variant), &named)) rungs.push_back(named);
    for (int k : rungs) {
      if (k < ladder.low || k > ladder.high) continue;
      if (SingleMatcher(WithVariant(ladder.platform, ladder.architecture, "v" + std::to_string(k))).Match(p)) {
        best = std::min(best, static_cast<size_t>(ladder.high - k));
      }
    }
    return best;
  }

  Platform requested_;
  std::vector<Entry> entries_;
};

class AllWithPreferenceMatcher : public PlatformMatcher {
 public:
  AllWithPreferenceMatcher(Platform requested, std::unique_ptr<OrderedMatcher> only)
      : requested_(std::move(requested)), only_(std::move(only)) {}

  bool Match(const Platform&) const override { return true; }

  bool Less(const Platform& a, const Platform& b) const override {
    const size_t ra = only_->Rank(a);
    const size_t rb = only_->Rank(b);
    if (ra != rb) return ra < rb;
    if (ra != std::string::npos) return false;
    return FormatPlatform(Normalize(a)) < FormatPlatform(Normalize(b));
  }

  const Platform* requested() const override { return &requested_; }

 private:
  Platform requested_;
  std::unique_ptr<OrderedMatcher> only_;
};

// The platforms Only(p) accepts, most preferred first (containerd's
// platformVector); `p` is normalised.
std::vector<Step> CompatibleVector(const Platform& p) {
  std::vector<Step> vector = {{p}};
  auto ladder = [&](std::string arch, int high, int low) {
    vector.push_back({WithVariant(p, "", ""), true, std::move(arch), high, low});
  };
  int version = 0;
  if (p.architecture == "amd64") {
    // amd64/vN runs vN-1 .. v1, and every amd64 runs 386.
    if (Atoi(TrimV(p.variant), &version) && version > 1) ladder("amd64", version - 1, 1);
    vector.push_back({WithVariant(p, "386", "")});
  } else if (p.architecture == "arm") {
    // arm/vN runs vN-1 .. v5.
    if (Atoi(TrimV(p.variant), &version) && version > 5) ladder("arm", version - 1, 5);
  } else if (p.architecture == "arm64") {
    std::string variant = p.variant.empty() ? "v8" : p.variant;
    const size_t dot = variant.find('.');
    std::string_view major_text = std::string_view(variant).substr(0, dot);
    int major = 0;
    if (Atoi(TrimV(major_text), &major) && major >= 8) {
      int minor = 0;
      int parsed = 0;
      // Only a one-digit minor ("v8.N") is read, as in containerd.
      if (variant.size() == 4 && dot != std::string::npos &&
          Atoi(std::string_view(variant).substr(dot + 1), &parsed)) {
        minor = parsed;
      }
      auto name = [](int maj, int min) {
        return min == 0 ? "v" + std::to_string(maj)
                        : "v" + std::to_string(maj) + "." + std::to_string(min);
      };
      if (major == 9) {
        // v9.x runs v9.{x-1..0}, then v8.{x+5..0}: v9.0 forked from v8.5.
        for (int m = minor - 1; m >= 0; --m) vector.push_back({WithVariant(p, "arm64", name(9, m))});
        minor += 5;
        major = 8;
        vector.push_back({WithVariant(p, "arm64", "v8." + std::to_string(minor))});
      }
      for (int m = minor - 1; m >= 0; --m) {
        vector.push_back({WithVariant(p, "arm64", name(major, m))});
      }
    }
    // Then 32-bit arm: arm/v8 .. v5 (or the arm ladder of the major).
    if (variant.rfind("v8.", 0) == 0 || variant.rfind("v9.", 0) == 0) variant = "v8";
    std::vector<Step> arm = CompatibleVector(WithVariant(p, "arm", variant));
    vector.insert(vector.end(), arm.begin(), arm.end());
  }
  return vector;
}

}  // namespace

std::unique_ptr<PlatformMatcher> OnlyStrict(const Platform& p) {
  return std::make_unique<OrderedMatcher>(p, std::vector<Step>{{Normalize(p)}});
}

std::unique_ptr<PlatformMatcher> Only(const Platform& p) {
  return std::make_unique<OrderedMatcher>(p, CompatibleVector(Normalize(p)));
}

std::unique_ptr<PlatformMatcher> AllWithPreference(const Platform& preferred) {
  return std::make_unique<AllWithPreferenceMatcher>(
      preferred, std::make_unique<OrderedMatcher>(preferred, CompatibleVector(Normalize(preferred))));
}

}  // namespace berth
