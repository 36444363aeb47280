// The fields of POST /containers/create that berth does not implement.
//
// Clients send every field, set or not (the docker CLI sends ~80 HostConfig
// fields, all at their zero values, on a plain `docker run`). berth acts on
// a few; for the rest the rule is: a field left at its zero value is fine, a
// field set to anything else is refused with 400 naming it, never accepted
// and ignored.
#pragma once

#include <boost/json/object.hpp>
#include <set>
#include <string>
#include <string_view>

#include "berth/status.h"

namespace berth::api {

// InvalidArgument naming the first field of `o` (sorted by name) that is not
// in `handled` and is set: "berth does not support HostConfig.ReadonlyRootfs
// (--read-only)". `where` prefixes the name ("", "HostConfig."). A field is
// unset when it is null, false, 0, "", an array whose elements are all
// unset, a struct-like object whose members are all unset, or an empty
// map-like object (ExposedPorts, Volumes, Tmpfs, Sysctls...); RestartPolicy "no" (a default
// the docker CLI sends) counts as unset too, and MemorySwappiness is unset only at null or -1 (0 is a setting).
Status RefuseUnsupportedFields(const boost::json::object& o, const std::set<std::string, std::less<>>& handled,
                               std::string_view where);

// The ConsoleSize field of `o` (HostConfig of a create, or an exec's body):
// absent, null or [rows, cols] of integers in 0..65535 (0: not given).
// Anything else is InvalidArgument naming it.
Status ParseConsoleSize(const boost::json::object& o, int* rows, int* cols);

}  // namespace berth::api
