// Query strings, booleans, filters, API versions and platform parameters.

#include "api/query.h"

#include "berth/url_escape.h"
#include "berth/go_strconv.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cstdlib>

namespace berth::api {

namespace json = boost::json;

namespace {

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

bool BoolValue(std::string_view v) {
  std::string s = ToLower(Trim(v));
  return !(s.empty() || s == "0" || s == "no" || s == "false" || s == "none");
}

// ---- Query ----

Result<Query> Query::Parse(std::string_view raw) {
  Query q;
  size_t pos = 0;
  while (pos <= raw.size() && !raw.empty()) {
    size_t amp = raw.find('&', pos);
    std::string_view part = raw.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
    if (!part.empty()) {
      size_t eq = part.find('=');
      std::string_view k = part.substr(0, eq);
      std::string_view v = eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
      BERTH_ASSIGN_OR_RETURN(std::string key, UrlUnescape(k, true));
      BERTH_ASSIGN_OR_RETURN(std::string value, UrlUnescape(v, true));
      q.pairs_.emplace_back(std::move(key), std::move(value));
    }
    if (amp == std::string_view::npos) break;
    pos = amp + 1;
  }
  return q;
}

bool Query::Has(std::string_view key) const {
  for (const auto& [k, v] : pairs_) {
    if (k == key) return true;
  }
  return false;
}

std::string Query::Get(std::string_view key) const {
  for (const auto& [k, v] : pairs_) {
    if (k == key) return v;
  }
  return {};
}

std::vector<std::string> Query::GetAll(std::string_view key) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : pairs_) {
    if (k == key) out.push_back(v);
  }
  return out;
}

bool Query::Bool(std::string_view key) const { return BoolValue(Get(key)); }

bool Query::BoolOr(std::string_view key, bool def) const { return Has(key) ? Bool(key) : def; }

Result<int> ResizeDimension(const Query& q, std::string_view key) {
  const std::string value = q.Get(key);
  auto fail = [&](std::string_view why) {
    return InvalidArgument("invalid resize " + std::string(key == "h" ? "height" : "width") + " " + GoQuote(value) +
                           ": " + std::string(why));
  };
  // Docker strips one '-' first: ParseUint would call a negative number's
  // sign a syntax error, and Docker reports it as out of range.
  std::string_view digits = value;
  const bool negative = digits.starts_with('-');
  if (negative) digits.remove_prefix(1);
  if (digits.empty() || digits.front() == '+') return fail("invalid syntax");
  Result<uint64_t> n = GoParseUint(digits, 32);
  if (!n.ok()) return fail(n.status().code() == Code::kOutOfRange ? "value out of range" : "invalid syntax");
  if (negative) return fail("value out of range");
  if (*n > 65535) {
    return InvalidArgument("resize " + std::string(key == "h" ? "height" : "width") + " " + value +
                           " is more than a terminal has (65535)");
  }
  return static_cast<int>(*n);
}

// ---- Filters ----

Result<Filters> Filters::FromJson(std::string_view text) {
  Filters f;
  if (text.empty()) return f;
  // Docker's filters.FromJSON: the map form, else the legacy list form; any
  // other document is the bare "invalid filter" (400), whatever is wrong.
  const Status invalid = InvalidArgument("invalid filter");
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return invalid;
  if (v.is_null()) return f;
  if (!v.is_object()) return invalid;
  const json::object& obj = v.as_object();
  // The map form {"k":{"v":true}}: every value an object (or null) of
  // booleans (null leaves Go's bool false).
  bool map_form = true;
  for (const auto& kv : obj) {
    if (kv.value().is_null()) continue;
    if (!kv.value().is_object()) {
      map_form = false;
      break;
    }
    for (const auto& inner : kv.value().as_object()) {
      if (!inner.value().is_bool() && !inner.value().is_null()) return invalid;
    }
  }
  for (const auto& kv : obj) {
    std::string key(kv.key());
    const json::value& val = kv.value();
    auto& field = f.fields_[key];
    if (val.is_null()) continue;
    if (map_form) {
      for (const auto& inner : val.as_object()) {
        field[std::string(inner.key())] = inner.value().is_bool() && inner.value().as_bool();
      }
      continue;
    }
    // The legacy form {"k":["v"]}: arrays (or null) of strings (a null
    // element is Go's empty string).
    if (!val.is_array()) return invalid;
    for (const auto& item : val.as_array()) {
      if (item.is_null()) {
        field[""] = true;
        continue;
      }
      if (!item.is_string()) return invalid;
      field[std::string(item.as_string())] = true;
    }
  }
  return f;
}

std::vector<std::string> Filters::Get(std::string_view key) const {
  std::vector<std::string> out;
  auto it = fields_.find(std::string(key));
  if (it == fields_.end()) return out;
  for (const auto& [v, b] : it->second) out.push_back(v);
  return out;
}

Status Filters::Validate(const std::set<std::string>& accepted) const {
  for (const auto& [name, values] : fields_) {
    if (!accepted.count(name)) return InvalidArgument("invalid filter '" + name + "'");
  }
  return OkStatus();
}

Result<bool> Filters::GetBoolOrDefault(std::string_view key, bool def) const {
  auto it = fields_.find(std::string(key));
  if (it == fields_.end()) return def;
  const auto& values = it->second;
  auto truthy = [&](const char* s) {
    auto v = values.find(s);
    return v != values.end() && v->second;
  };
  bool is_false = truthy("0") || truthy("false");
  bool is_true = truthy("1") || truthy("true");
  if (values.empty() || is_false == is_true) {
    std::string msg = "invalid filter '" + std::string(key);
    if (!values.empty()) {
      msg += "=[";
      bool first = true;
      for (const auto& [v, b] : values) {
        if (!first) msg += " ";
        msg += v;
        first = false;
      }
      msg += "]";
    }
    msg += "'";
    return InvalidArgument(msg);
  }
  return is_true;
}

std::map<std::string, std::vector<std::string>> Filters::ToMap() const {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [k, vals] : fields_) {
    auto& list = out[k];
    for (const auto& [v, b] : vals) list.push_back(v);
  }
  return out;
}

// ---- Versions ----

int CompareVersions(std::string_view a, std::string_view b) {
  auto next = [](std::string_view* s) -> long {
    size_t dot = s->find('.');
    std::string part(s->substr(0, dot));
    *s = dot == std::string_view::npos ? std::string_view() : s->substr(dot + 1);
    char* end = nullptr;
    long v = std::strtol(part.c_str(), &end, 10);
    if (part.empty() || *end != '\0') return 0;  // Go's Atoi failure counts as 0
    return v;
  };
  while (!a.empty() || !b.empty()) {
    long x = a.empty() ? 0 : next(&a);
    long y = b.empty() ? 0 : next(&b);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

std::pair<std::string, std::string> SplitVersionPrefix(std::string_view path) {
  if (path.size() > 2 && path[0] == '/' && path[1] == 'v') {
    size_t i = 2;
    while (i < path.size() && (std::isdigit(static_cast<unsigned char>(path[i])) || path[i] == '.')) i++;
    if (i > 2 && (i == path.size() || path[i] == '/')) {
      std::string rest(path.substr(i));
      if (rest.empty()) rest = "/";
      return {std::string(path.substr(2, i - 2)), rest};
    }
  }
  return {"", std::string(path)};
}

Status CheckApiVersion(std::string_view requested, std::string_view min, std::string_view max) {
  if (CompareVersions(requested, min) < 0) {
    return InvalidArgument("client version " + std::string(requested) +
                           " is too old. Minimum supported API version is " + std::string(min) +
                           ", please upgrade your client to a newer version");
  }
  if (CompareVersions(requested, max) > 0) {
    return InvalidArgument("client version " + std::string(requested) +
                           " is too new. Maximum supported API version is " + std::string(max));
  }
  return OkStatus();
}

// ---- Platforms ----

Result<Platform> DecodePlatformParam(std::string_view value) { return ParsePlatformJson(value); }

Result<Platform> DecodePlatformOrSpecifier(std::string_view value) {
  std::string_view t = Trim(value);
  if (!t.empty() && t.front() == '{') return ParsePlatformJson(value);
  return ParsePlatform(t);
}

Result<std::optional<Platform>> SinglePlatformParam(const Query& q, PlatformSyntax syntax) {
  std::vector<std::string> values = q.GetAll("platform");
  if (values.size() > 1) return InvalidArgument("multiple platform parameters not supported");
  if (values.empty() || values[0].empty()) return std::optional<Platform>();
  BERTH_ASSIGN_OR_RETURN(Platform p, syntax == PlatformSyntax::kJson ? DecodePlatformParam(values[0])
                                                                     : DecodePlatformOrSpecifier(values[0]));
  return std::optional<Platform>(std::move(p));
}

}  // namespace berth::api
