// The pure parts of the docker exec routes (exec_routes.cc): request bodies
// and the inspect document.
#pragma once

#include <boost/json/object.hpp>
#include <string_view>

#include "berth/container_service.h"
#include "berth/status.h"

namespace berth::api {

// The body of POST /containers/{id}/exec (Docker's ExecOptions). Cmd must
// be a non-empty array of strings ("No exec command specified" otherwise);
// Env an array of strings; User, WorkingDir, DetachKeys strings;
// AttachStdout, AttachStderr, Privileged booleans; Detach and Container
// are ignored, as dockerd ignores them at create. Fields berth does not do
// (Tty, AttachStdin, ConsoleSize, ...) are refused when set, naming them
// (RefuseUnsupportedFields). Malformed JSON or a wrong type: InvalidArgument.
Result<ExecConfig> ParseExecCreateBody(std::string_view body);

// The body of POST /exec/{id}/start: returns Detach. Tty (and ConsoleSize)
// set are refused, naming them; an empty body means {}.
Result<bool> ParseExecStartBody(std::string_view body);

// ExecInspect (GET /exec/{id}/json): ID, Running, ExitCode (null until the
// process has ended), ProcessConfig {tty, entrypoint, arguments, privileged,
// user}, OpenStdin/OpenStderr/OpenStdout, CanRemove, ContainerID,
// DetachKeys, Pid.
boost::json::object ExecInspectValue(const ExecInfo& info);

}  // namespace berth::api
