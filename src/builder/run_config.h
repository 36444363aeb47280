// The classic builder's run config (Docker's container.Config as JSON):
// reading and editing its fields, and the texts Docker's dispatchers print
// for them. Internal to src/builder.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "berth/status.h"

namespace berth::builder {

// The string array at `key` ([] when absent or not an array).
std::vector<std::string> Strings(const boost::json::object& o, std::string_view key);
boost::json::value StringsValue(const std::vector<std::string>& v);
std::string Join(const std::vector<std::string>& v, std::string_view sep = " ");

// Go's %q of a []string: ["a" "b"].
std::string GoQuoted(const std::vector<std::string>& v);
// Go's time.Duration String() for whole milliseconds and up ("0s", "1m30s").
std::string GoDuration(int64_t ns);

// One EXPOSE word as nat.ParsePortSpecs reads it: "port[-end][/proto]"
// (proto tcp when not given) → "port/proto" for each port of the range.
// InvalidArgument "invalid containerPort: X", "invalid proto: X".
Result<std::vector<std::string>> ExposedPorts(const std::string& word);

// The config's Shell, or Docker's default ["/bin/sh", "-c"].
std::vector<std::string> Shell(const boost::json::object& config);
// The key of a "KEY=value" environment entry.
std::string EnvKey(const std::string& kv);
// Sets KEY=value in the config's Env: replaces the entry with that key, or
// appends one.
void SetEnv(boost::json::object* config, const std::string& key, const std::string& value);

}  // namespace berth::builder
