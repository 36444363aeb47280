// The mount fields of POST /containers/create (Config.Volumes,
// HostConfig.Binds, HostConfig.Mounts, HostConfig.Tmpfs) and their shapes in
// container inspect and list.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "berth/container_service.h"
#include "berth/status.h"

namespace berth::api {

// Reads the mount fields of the create body's Config `config` and
// HostConfig `host_config` into c->mounts (Binds, then Mounts, then Tmpfs,
// then Config.Volumes as anonymous volumes), c->image_mounts (Mounts of type
// image), c->binds, c->tmpfs and c->volumes_from (checked by
// ParseVolumesFrom; Create copies the mounts), with Docker's rules and errors (see
// berth/volume_service.h); a --mount bind source must exist on this host.
// A Mounts field berth does not act on (BindOptions.NonRecursive,
// VolumeOptions.Subpath, TmpfsOptions.Options, a Consistency...) is
// InvalidArgument naming it.
Status ParseMountFields(const boost::json::object& config, const boost::json::object* host_config, ContainerConfig* c);

// HostConfig.Mounts as inspect echoes them.
boost::json::array HostConfigMountsValue(const ContainerConfig& c);
// HostConfig.Binds (null when none) and HostConfig.Tmpfs (absent: null).
boost::json::value HostConfigBindsValue(const ContainerConfig& c);
boost::json::value HostConfigTmpfsValue(const ContainerConfig& c);
// Config.Volumes: the anonymous volumes of Config.Volumes and the image.
boost::json::value ConfigVolumesValue(const ContainerConfig& c);
// The MountPoint list of inspect's and list's "Mounts".
boost::json::array MountPointsValue(const ContainerConfig& c);

}  // namespace berth::api
