// The client's side of attach and exec streams: detach keys and the copy of
// a hijacked connection's input to a process's stdin.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "berth/container_service.h"
#include "berth/status.h"

namespace berth::api {

// Docker's detach-key syntax (`--detach-keys`, the detachKeys query,
// DetachKeys of an exec): comma-separated keys, each one character or
// "ctrl-X" with X one of a-z, @, [, \, ], ^, _ (case-insensitive for
// letters). "" is the default ctrl-p,ctrl-q. Anything else is
// InvalidArgument "Invalid detach keys (KEYS) provided", as dockerd says.
Result<std::string> ParseDetachKeys(std::string_view keys);

// Finds the detach sequence in what a client types. Bytes that could begin
// the sequence are held back until it is clear whether they do; bytes that
// turn out not to are passed on.
class DetachKeyScanner {
 public:
  explicit DetachKeyScanner(std::string keys) : keys_(std::move(keys)) {}
  // Appends to `*forward` what `data` passes on; true once the whole
  // sequence has been typed (what follows it is dropped).
  bool Feed(std::string_view data, std::string* forward);

 private:
  std::string keys_;
  size_t matched_ = 0;
};

// `input` with the detach sequence `keys` (ParseDetachKeys's bytes) taken
// out: its read returns what the client typed before the sequence, then 0,
// and its `detached` says true from then on. Thread rules: one reader at a
// time; `interrupt` and `detached` may be called from any thread.
StdinSource DetachableInput(StdinSource input, std::string keys);

// How the copy of a client's input ended.
enum class InputEnd {
  kEndOfInput,   // the client half-closed or hung up (or the read was interrupted)
  kDetached,     // the detach keys were typed
  kWriteFailed,  // the process's stdin would take no more
};

// Copies what `input` reads to `write` until one of the ends above. An
// empty `detach_keys` means no detach sequence is watched for.
InputEnd CopyInput(const StdinSource& input, const std::string& detach_keys,
                   const std::function<Status(std::string_view)>& write);

}  // namespace berth::api
