// JSON shapes of Docker's container API types (api/types/container, Docker
// 28.2 / API 1.50) built from the container service's ContainerInfo, and the
// request side: the create body parsed into a ContainerConfig. Internal to
// src/api.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "berth/container_service.h"
#include "berth/oci.h"

namespace berth::api {

struct RouteContext;

// Parses the body of POST /containers/create (Config with an embedded
// HostConfig) into `cfg` (image, cmd, entrypoint, env, ...; the HostConfig
// fields berth acts on). Refused with InvalidArgument: an empty body ("config
// cannot be empty in order to create a container"), malformed JSON, fields
// berth does not act on (named). A user network's name is not looked up
// here: starting the container fails when it does not exist.
Result<ContainerConfig> ParseCreateBody(std::string_view body);

// HostConfig.RestartPolicy as create and update take it: {Name,
// MaximumRetryCount}; anything else in it, or a wrong type, InvalidArgument.
// The policy's rules are the container service's (ValidateRestartPolicy).
Result<RestartPolicy> ParseRestartPolicy(const boost::json::value& v);

// The "Up 5 seconds" / "Exited (0) 2 minutes ago" / "Created" text of
// `docker ps` (Docker's State.String) at `now_unix_nanos`.
std::string ContainerStatusText(const ContainerRecord& r, int64_t now_unix_nanos);

// go-units HumanDuration of a duration in nanoseconds ("Less than a second",
// "1 second", "About a minute", "3 hours", ...).
std::string HumanDuration(int64_t nanos);

// RFC 3339 time with nanoseconds; Go's zero time "0001-01-01T00:00:00Z" for 0.
std::string ContainerTime(int64_t unix_nanos);

// Config.Labels as Docker shows them: the image's labels, then the
// container's on top.
std::map<std::string, std::string> MergedLabels(const ContainerInfo& c);

// ContainerSummary (GET /containers/json). `image_shown`: the Image column
// (the reference as given, or the image ID when that no longer resolves to
// the container's image). `manifest`: the ImageManifestDescriptor (1.48+).
boost::json::object ContainerSummaryValue(const ContainerInfo& c, const std::string& image_shown,
                                          const std::optional<Descriptor>& manifest, std::string_view version,
                                          int64_t now_unix_nanos);

// ContainerJSON (GET /containers/{id}/json).
boost::json::object ContainerInspectValue(const ContainerInfo& c, const std::optional<Descriptor>& manifest,
                                          std::string_view version);

// One frame of Docker's multiplexed stream: [stream, 0, 0, 0, big-endian
// u32 length] + data. `stream` 1 = stdout, 2 = stderr.
std::string MuxFrame(int stream, std::string_view data);

// The Content-Type of an attach/logs/exec stream: multiplexed from API 1.42,
// raw before.
std::string StreamContentType(const RouteContext& ctx);

}  // namespace berth::api
