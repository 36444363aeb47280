// Docker's /events wire shape and filter semantics for berth::Event.

#include <cstdint>
#include <string>
#include <string_view>

#include "berth/events.h"

#include "berth/json_text.h"

namespace berth {

namespace {

void AppendJsonString(std::string* out, std::string_view s) { AppendGoJsonString(out, s); }

void AppendKey(std::string* out, std::string_view key) {
  AppendJsonString(out, key);
  out->push_back(':');
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// ---- filters ---------------------------------------------------------------

using Filters = std::map<std::string, std::vector<std::string>>;

const std::vector<std::string>* Values(const Filters& f, const std::string& key) {
  auto it = f.find(key);
  if (it == f.end() || it->second.empty()) return nullptr;
  return &it->second;
}

// True when `key` is unset, or `source` equals one of its values.
bool ExactMatch(const Filters& f, const std::string& key, std::string_view source) {
  const auto* vals = Values(f, key);
  if (vals == nullptr) return true;
  for (const auto& v : *vals) {
    if (v == source) return true;
  }
  return false;
}

// True when `key` is unset, or one of its values is a prefix of `source`.
bool FuzzyMatch(const Filters& f, const std::string& key, std::string_view source) {
  const auto* vals = Values(f, key);
  if (vals == nullptr) return true;
  for (const auto& v : *vals) {
    if (source.substr(0, v.size()) == v) return true;
  }
  return false;
}

std::string Attr(const Event& e, const std::string& key) {
  auto it = e.attributes.find(key);
  return it == e.attributes.end() ? std::string() : it->second;
}

bool FuzzyMatchName(const Filters& f, const Event& e, const std::string& type) {
  return FuzzyMatch(f, type, e.actor_id) || FuzzyMatch(f, type, Attr(e, "name"));
}

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// A loose check of one repository path component: lowercase alphanumerics
// separated by '.', '_', "__" or dashes.
bool ValidPathComponent(std::string_view c) {
  if (c.empty()) return false;
  auto alnum = [](char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'); };
  if (!alnum(c.front()) || !alnum(c.back())) return false;
  for (char ch : c) {
    if (!alnum(ch) && ch != '.' && ch != '_' && ch != '-') return false;
  }
  return true;
}

// Docker's stripTag: the familiar name of a reference without tag or digest
// ("docker.io/library/busybox:latest" -> "busybox"), or `image` unchanged
// when it does not parse as a reference.
std::string StripTag(std::string_view image) {
  if (image.empty()) return std::string(image);
  if (image.size() == 64 && IsLowerHex(image)) return std::string(image);
  std::string_view name = image;
  if (size_t at = name.find('@'); at != std::string_view::npos) name = name.substr(0, at);
  size_t slash = name.rfind('/');
  size_t colon = name.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    name = name.substr(0, colon);
  }
  std::string domain;
  std::string_view rest = name;
  size_t first = name.find('/');
  if (first != std::string_view::npos) {
    std::string_view head = name.substr(0, first);
    bool lower = true;
    for (char c : head) lower = lower && !(c >= 'A' && c <= 'Z');
    if (head.find_first_of(".:") != std::string_view::npos || head == "localhost" || !lower) {
      domain = std::string(head);
      rest = name.substr(first + 1);
    }
  }
  if (domain == "index.docker.io") domain = "docker.io";
  // Validate the path.
  size_t start = 0;
  while (true) {
    size_t end = rest.find('/', start);
    std::string_view comp = rest.substr(start, end == std::string_view::npos ? end : end - start);
    if (!ValidPathComponent(comp)) return std::string(image);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  if (domain.empty() || domain == "docker.io") {
    if (rest.substr(0, 8) == "library/" && rest.find('/', 8) == std::string_view::npos) {
      rest = rest.substr(8);
    }
    return std::string(rest);
  }
  return domain + "/" + std::string(rest);
}

bool MatchImage(const Filters& f, const Event& e) {
  if (Values(f, "image") == nullptr) return true;
  std::string name = Attr(e, e.type == "image" ? "name" : "image");
  return ExactMatch(f, "image", e.actor_id) || ExactMatch(f, "image", name) ||
         ExactMatch(f, "image", StripTag(e.actor_id)) || ExactMatch(f, "image", StripTag(name));
}

bool MatchEvent(const Filters& f, const Event& e) {
  if (const auto* vals = Values(f, "event")) {
    for (const auto& v : *vals) {
      if (v == "health_status" || v == "exec_create" || v == "exec_start") {
        return FuzzyMatch(f, "event", e.action);
      }
    }
  }
  return ExactMatch(f, "event", e.action);
}

// Every "label" value ("key" or "key=value") must hold against `attrs`.
bool MatchLabels(const Filters& f, const std::map<std::string, std::string>& attrs) {
  const auto* vals = Values(f, "label");
  if (vals == nullptr) return true;
  if (attrs.empty()) return false;
  for (const auto& v : *vals) {
    size_t eq = v.find('=');
    auto it = attrs.find(v.substr(0, eq));
    if (it == attrs.end()) return false;
    if (eq != std::string::npos && it->second != v.substr(eq + 1)) return false;
  }
  return true;
}

}  // namespace

std::string EventToJson(const Event& e) {
  std::string out = "{";
  bool legacy = e.type == "image" || e.type == "container";
  auto sep = [&out] {
    if (out.size() > 1) out.push_back(',');
  };
  if (legacy && !e.action.empty()) {
    sep();
    AppendKey(&out, "status");
    AppendJsonString(&out, e.action);
  }
  if (legacy && !e.actor_id.empty()) {
    sep();
    AppendKey(&out, "id");
    AppendJsonString(&out, e.actor_id);
  }
  if (e.type == "container") {
    auto it = e.attributes.find("image");
    if (it != e.attributes.end() && !it->second.empty()) {
      sep();
      AppendKey(&out, "from");
      AppendJsonString(&out, it->second);
    }
  }
  sep();
  AppendKey(&out, "Type");
  AppendJsonString(&out, e.type);
  out.push_back(',');
  AppendKey(&out, "Action");
  AppendJsonString(&out, e.action);
  out.push_back(',');
  AppendKey(&out, "Actor");
  out.push_back('{');
  AppendKey(&out, "ID");
  AppendJsonString(&out, e.actor_id);
  out.push_back(',');
  AppendKey(&out, "Attributes");
  out.push_back('{');
  bool first = true;
  for (const auto& [k, v] : e.attributes) {
    if (!first) out.push_back(',');
    first = false;
    AppendKey(&out, k);
    AppendJsonString(&out, v);
  }
  out.append("}}");
  if (!e.scope.empty()) {
    out.push_back(',');
    AppendKey(&out, "scope");
    AppendJsonString(&out, e.scope);
  }
  if (e.time_unix_nanos != 0) {
    int64_t secs = FloorDiv(e.time_unix_nanos, 1000000000);
    if (secs != 0) {
      out.push_back(',');
      AppendKey(&out, "time");
      out.append(std::to_string(secs));
    }
    out.push_back(',');
    AppendKey(&out, "timeNano");
    out.append(std::to_string(e.time_unix_nanos));
  }
  out.push_back('}');
  return out;
}

bool EventMatches(const Event& e, const Filters& f) {
  return MatchEvent(f, e) && ExactMatch(f, "type", e.type) && ExactMatch(f, "scope", e.scope) &&
         FuzzyMatchName(f, e, "daemon") && FuzzyMatchName(f, e, "container") &&
         (ExactMatch(f, "plugin", e.actor_id) || ExactMatch(f, "plugin", Attr(e, "name")) ||
          ExactMatch(f, "plugin", StripTag(Attr(e, "name")))) &&
         ExactMatch(f, "volume", e.actor_id) &&
         (ExactMatch(f, "network", e.actor_id) || ExactMatch(f, "network", Attr(e, "name"))) &&
         MatchImage(f, e) && FuzzyMatchName(f, e, "node") && FuzzyMatchName(f, e, "service") &&
         FuzzyMatchName(f, e, "secret") && FuzzyMatchName(f, e, "config") &&
         MatchLabels(f, e.attributes);
}

}  // namespace berth
