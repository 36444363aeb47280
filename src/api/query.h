// Request parsing with the Docker engine's rules: URL query strings, boolean
// form values, filter JSON, API versions and the platform parameters. (Time
// values: berth/time.h.) Pure functions; no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "berth/platform.h"
#include "berth/status.h"

namespace berth::api {

// (Percent-decoding: berth/url_escape.h.)

// Docker's httputils.BoolValue: the value is trimmed and lower-cased; "",
// "0", "no", "false" and "none" are false, anything else is true.
bool BoolValue(std::string_view v);

// A parsed query string: keys in order of appearance, repeated keys kept.
class Query {
 public:
  Query() = default;
  // Parses "a=1&b=x+y&a=2" (both '&' and ';'-free Go semantics: '&' only).
  // Keys and values are percent-decoded with '+' as space. A pair without
  // '=' has an empty value. Malformed escapes are InvalidArgument.
  static Result<Query> Parse(std::string_view raw);

  bool empty() const { return pairs_.empty(); }
  bool Has(std::string_view key) const;
  // First value of `key`, "" when absent.
  std::string Get(std::string_view key) const;
  std::vector<std::string> GetAll(std::string_view key) const;
  // BoolValue of the first value; false when absent.
  bool Bool(std::string_view key) const;
  // BoolValue when present, else `def`.
  bool BoolOr(std::string_view key, bool def) const;
  void Add(std::string key, std::string value) { pairs_.emplace_back(std::move(key), std::move(value)); }

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;
};

// A dimension of a container's or exec's TTY resize, "h" or "w", as Docker's
// routes read it (httputils.Uint32Value): an unsigned 32-bit decimal, else
// InvalidArgument `invalid resize height "<value>": invalid syntax` (or
// "width"; `value out of range` past 32 bits and for a negative number).
// Absent or empty is a syntax error too, as in Docker. A terminal's size is
// 16 bits: above 65535 berth refuses with its own text.
Result<int> ResizeDimension(const Query& q, std::string_view key);

// Docker's filters.Args: name -> set of values.
class Filters {
 public:
  // Parses the map form {"k":{"v":true}} or the legacy list form
  // {"k":["v"]}; "" and "null" give an empty set. Anything else (malformed
  // JSON, another shape) is InvalidArgument "invalid filter", Docker's text.
  static Result<Filters> FromJson(std::string_view json);

  bool empty() const { return fields_.empty(); }
  bool Contains(std::string_view key) const { return fields_.count(std::string(key)) > 0; }
  // Values of `key`, sorted; empty when absent.
  std::vector<std::string> Get(std::string_view key) const;
  // InvalidArgument "invalid filter '<name>'" for the first key not in
  // `accepted` (keys are visited in sorted order).
  Status Validate(const std::set<std::string>& accepted) const;
  // Docker's GetBoolOrDefault: absent gives `def`; exactly one of the truthy
  // ("1", "true") or falsy ("0", "false") spellings must be present, else
  // InvalidArgument "invalid filter 'key=[v1 v2]'".
  Result<bool> GetBoolOrDefault(std::string_view key, bool def) const;
  // As a plain map, for EventMatches.
  std::map<std::string, std::vector<std::string>> ToMap() const;
  void Add(const std::string& key, const std::string& value) { fields_[key][value] = true; }

 private:
  // name -> value -> flag (the map form's booleans; Get() ignores them,
  // GetBoolOrDefault() honours them, as Docker does).
  std::map<std::string, std::map<std::string, bool>> fields_;
};

// API versions "1.50": numeric component-wise comparison (-1, 0, 1).
int CompareVersions(std::string_view a, std::string_view b);

// Splits an optional "/v<digits and dots>" prefix off a request path:
// "/v1.50/images/json" -> {"1.50", "/images/json"}; "/_ping" -> {"", "/_ping"}.
std::pair<std::string, std::string> SplitVersionPrefix(std::string_view path);

// Checks a requested API version against [min, max]; InvalidArgument with
// Docker's "client version X is too new/old ..." texts.
Status CheckApiVersion(std::string_view requested, std::string_view min, std::string_view max);

// Docker's httputils.DecodePlatform: the value must be the JSON of an OCI
// platform (ParsePlatformJson). Any other text, "linux/arm64" or "" too, is
// InvalidArgument "failed to parse platform: <Go encoding/json error>", e.g.
// "invalid character 'l' looking for beginning of value" or "unexpected end
// of JSON input". Used for image removal's `platforms` and the `platform` of
// inspect, load, save, history and push.
Result<Platform> DecodePlatformParam(std::string_view value);

// A platform given as JSON (when it starts with '{') or as an
// "os/arch[/variant]" specifier (ParsePlatform, containerd's
// platforms.Parse): pull and container create, which Docker parses as
// specifiers, and berth's own rm-platform route.
Result<Platform> DecodePlatformOrSpecifier(std::string_view value);

enum class PlatformSyntax { kJson, kJsonOrSpecifier };

// The single `platform` parameter (load, save, history, push: kJson;
// container create: kJsonOrSpecifier): absent or empty gives nullopt;
// repeated gives InvalidArgument "multiple platform parameters not
// supported".
Result<std::optional<Platform>> SinglePlatformParam(const Query& q, PlatformSyntax syntax = PlatformSyntax::kJson);

}  // namespace berth::api
