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
// AttachStdin, AttachStdout, AttachStderr, Tty, Privileged booleans;
// ConsoleSize [rows, cols]; DetachKeys checked (ParseDetachKeys); Detach and
// Container are ignored, as dockerd ignores them at create. Other fields
// are refused when set, naming them
// (RefuseUnsupportedFields). Malformed JSON or a wrong type: InvalidArgument.
Result<ExecConfig> ParseExecCreateBody(std::string_view body);

// The body of POST /exec/{id}/start (an empty body means {}): Detach, Tty
// (the output is sent raw rather than in frames, as dockerd does; whether
// the process has a terminal is the exec's own Tty), and ConsoleSize
// [rows, cols] for a TTY exec.
struct ExecStartOptions {
  bool detach = false;
  bool tty = false;
  int console_rows = 0;
  int console_cols = 0;
};
Result<ExecStartOptions> ParseExecStartBody(std::string_view body);

// ExecInspect (GET /exec/{id}/json): ID, Running, ExitCode (null until the
// process has ended), ProcessConfig {tty, entrypoint, arguments, privileged,
// user}, OpenStdin/OpenStderr/OpenStdout, CanRemove, ContainerID,
// DetachKeys, Pid.
boost::json::object ExecInspectValue(const ExecInfo& info);

}  // namespace berth::api
