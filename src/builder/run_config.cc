// The run config's fields and Docker's texts for them (run_config.h).
#include "builder/run_config.h"

#include <algorithm>

namespace berth::builder {

namespace json = boost::json;

std::vector<std::string> Strings(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  if (auto* v = o.if_contains(key); v && v->is_array()) {
    for (const auto& x : v->as_array()) {
      if (x.is_string()) out.emplace_back(x.as_string());
    }
  }
  return out;
}

json::value StringsValue(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += sep;
    out += v[i];
  }
  return out;
}

// Go's %q of a []string: ["a" "b"].
std::string GoQuoted(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += " ";
    out += json::serialize(json::value(v[i]));
  }
  return out + "]";
}

// Go's time.Duration String() for whole milliseconds and up.
std::string GoDuration(int64_t ns) {
  if (ns == 0) return "0s";
  if (ns < 1'000'000'000) return std::to_string(ns / 1'000'000) + "ms";
  int64_t s = ns / 1'000'000'000, ms = (ns / 1'000'000) % 1000;
  std::string secs = std::to_string(s % 60);
  if (ms) {
    std::string frac = std::to_string(ms + 1000).substr(1);
    while (frac.ends_with("0")) frac.pop_back();
    secs += "." + frac;
  }
  std::string out;
  if (s >= 3600) out += std::to_string(s / 3600) + "h";
  if (s >= 60) out += std::to_string((s / 60) % 60) + "m";
  return out + secs + "s";
}

Result<std::vector<std::string>> ExposedPorts(const std::string& word) {
  std::string spec = word, proto = "tcp";
  if (size_t slash = spec.find('/'); slash != std::string::npos) {
    proto = spec.substr(slash + 1);
    spec = spec.substr(0, slash);
  }
  if (proto != "tcp" && proto != "udp" && proto != "sctp") return InvalidArgument("invalid proto: " + proto);
  auto number = [&](const std::string& s) -> Result<int> {
    if (s.empty() || s.size() > 5 || !std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
      return InvalidArgument("invalid containerPort: " + word);
    }
    int n = std::stoi(s);
    if (n > 65535) return InvalidArgument("invalid containerPort: " + word);
    return n;
  };
  size_t dash = spec.find('-');
  BERTH_ASSIGN_OR_RETURN(int first, number(spec.substr(0, dash)));
  int last = first;
  if (dash != std::string::npos) {
    BERTH_ASSIGN_OR_RETURN(last, number(spec.substr(dash + 1)));
    if (last < first) return InvalidArgument("invalid range specified for containerPort: " + word);
  }
  std::vector<std::string> out;
  for (int p = first; p <= last; ++p) out.push_back(std::to_string(p) + "/" + proto);
  return out;
}

std::vector<std::string> Shell(const json::object& config) {
  std::vector<std::string> sh = Strings(config, "Shell");
  if (sh.empty()) sh = {"/bin/sh", "-c"};
  return sh;
}

// The environment's key of a "KEY=value" entry.
std::string EnvKey(const std::string& kv) { return kv.substr(0, kv.find('=')); }

void SetEnv(json::object* config, const std::string& key, const std::string& value) {
  std::vector<std::string> env = Strings(*config, "Env");
  bool found = false;
  for (auto& e : env) {
    if (EnvKey(e) == key) {
      e = key + "=" + value;
      found = true;
      break;
    }
  }
  if (!found) env.push_back(key + "=" + value);
  (*config)["Env"] = StringsValue(env);
}

}  // namespace berth::builder
