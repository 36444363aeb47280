// The namespace fields of Docker's HostConfig (PidMode, IpcMode, UTSMode,
// CgroupnsMode) and its Isolation and Runtime: parsed and checked at create
// with Docker's texts, rendered for inspect. Internal to src/api.
#pragma once

#include <boost/json.hpp>
#include <set>
#include <string>

#include "berth/container_service.h"

namespace berth::api {

// The HostConfig fields ParseNamespaceFields reads.
extern const std::set<std::string, std::less<>> kNamespaceHostConfigFields;

// Reads them from `host_config` (null: none given) into `cfg`, filling in
// the daemon's defaults as Docker stores them (IpcMode "private",
// CgroupnsMode "host", Runtime "runc"). InvalidArgument with Docker's texts:
// "invalid PID mode: X", "invalid IPC mode: X", "invalid UTS mode: X",
// "invalid cgroup namespace mode: X", "invalid isolation (X): linux only
// supports 'default'", "unknown or invalid runtime name: X", and
// "conflicting options: hostname and the UTS mode" for UTSMode "host" with
// a Hostname. Whether a "container:NAME" target exists and runs is checked
// at start, as Docker does.
[[nodiscard]] Status ParseNamespaceFields(const boost::json::object* host_config, ContainerConfig* cfg);

// The create body's top-level "Runtime" (the Python SDK's create_container
// puts it there; Docker reads only HostConfig.Runtime): "" or "runc", the
// runtime every berth container has, else InvalidArgument "unknown or
// invalid runtime name: X".
[[nodiscard]] Status CheckConfigRuntime(const boost::json::object& config);

// Writes PidMode, IpcMode, UTSMode, CgroupnsMode, Isolation and Runtime of
// `cfg` into inspect's HostConfig `hc`.
void AddNamespaceHostConfig(const ContainerConfig& cfg, boost::json::object* hc);

}  // namespace berth::api
