// A string map (labels, options) kept as one JSON object in a SQLite text
// column, as the volume and network stores keep them. Header-only; users
// link Boost::json.
#pragma once

#include <boost/json.hpp>
#include <map>
#include <string>

namespace berth {

inline std::string StringMapToJson(const std::map<std::string, std::string>& m) {
  boost::json::object o;
  for (const auto& [k, v] : m) o[k] = v;
  return boost::json::serialize(o);
}

// The string members of a JSON object; anything else (not an object, not
// JSON, members that are not strings) reads as absent: the stores wrote the
// text themselves.
inline std::map<std::string, std::string> StringMapFromJson(const std::string& text) {
  std::map<std::string, std::string> out;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return out;
  for (const auto& [k, e] : v.as_object()) {
    if (e.is_string()) out[std::string(k)] = std::string(e.as_string());
  }
  return out;
}

}  // namespace berth
