// Logging of failures a caller must not fail on but must not hide either.
// Part of base (spdlog's default logger).
#pragma once

#include <string_view>

#include "berth/status.h"

namespace berth {

// For a write or removal of persistent state whose failure cannot change the
// caller's outcome (the operation itself already succeeded, or already
// failed with another error): logs a warning "<context>: <s.ToString()>"
// when `s` is not OK, nothing otherwise. `context` says what was being
// written, e.g. "persist container <id>". Status::IgnoreError() stays for
// what is no state write (reads, temporary files; with a comment saying why).
void LogIfError(const Status& s, std::string_view context);

}  // namespace berth
