// docker cp's stat header (container_archive_routes.cc), for the routes and
// their tests.
#pragma once

#include <cstdint>
#include <string>

#include "berth/container_service.h"

namespace berth::api {

// Go's os.FileMode bits of a st_mode (what Docker's ContainerPathStat.Mode
// holds): the permission bits, setuid 1<<23, setgid 1<<22, sticky 1<<20,
// and the type: directory 1<<31, symlink 1<<27, device 1<<26 (and 1<<21
// for a character device), named pipe 1<<25, socket 1<<24.
uint32_t GoFileMode(uint32_t st_mode);

// The X-Docker-Container-Path-Stat value: standard base64 of the JSON
// {"name","size","mode" (GoFileMode),"mtime" (RFC 3339 with nanoseconds),
// "linkTarget"}.
std::string PathStatHeaderValue(const ContainerPathStat& st);

}  // namespace berth::api
