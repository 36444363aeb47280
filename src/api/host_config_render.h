// The HostConfig object of container inspect, as dockerd 28.2 returns it at
// API 1.50: every field, with berth's value where berth acts on it and
// Docker's default (what the docker CLI sends and dockerd fills in) where
// berth refuses anything else at create.
#pragma once

#include <boost/json/object.hpp>

#include "berth/container_service.h"

namespace berth::api {

// Every HostConfig field dockerd returns, in its order, for a container
// created with `c`: the ones ContainerInspectValue fills from the config
// are placeholders it overwrites; the rest say what berth does (runc,
// /dev/shm of 64 MiB, no cgroup namespace, private IPC, the masked and
// read-only paths unless privileged, Init null unless set).
boost::json::object HostConfigDefaults(const ContainerConfig& c);

}  // namespace berth::api
