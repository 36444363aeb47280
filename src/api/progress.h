// Docker's JSON progress stream (pkg/jsonmessage + streamformatter): one
// ProgressMessage becomes one line of JSON, exactly as dockerd writes it
// during pull and push. Pure functions; no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "berth/registry.h"

namespace berth::api {

// units.HumanSize: four significant digits, decimal units ("527.6kB",
// "2.207MB", "528B").
std::string ProgressHumanSize(int64_t bytes);

// JSONProgress.String() as the daemon renders it (a 200-column "terminal",
// no start time): "[==>   …] " (50 slots) followed by "%8v/%v" of the
// human sizes; only the size when there is no total or current > total;
// "" when neither is positive.
std::string ProgressBar(int64_t current, int64_t total);

// One JSON line, "\n"-terminated, with Go's HTML escaping ('<', '>', '&' as
// \u003c, \u003e, \u0026). Shapes:
//   error:        {"errorDetail":{"message":E},"error":E}
//   aux (push):   {"progressDetail":{},"aux":{"Tag":T,"Digest":D,"Size":N}}
//   plain status: {"status":S[,"id":I]} when there are no counts and the
//                 message is not about a layer (empty id, or "Pulling from …")
//   layer update: {"status":S,"progressDetail":{["current":C,]["total":T]}
//                  [,"progress":BAR],"id":I}
// Counts of zero or less are omitted, as Go's omitempty does.
std::string RenderProgress(const ProgressMessage& m);

// The error line alone (FormatError).
std::string RenderProgressError(std::string_view message);
// The same with Docker's errorDetail code (a build's failed RUN: its exit
// code); 0 leaves it out, as Go's omitempty.
std::string RenderProgressError(std::string_view message, int code);

// Go's json.Marshal escaping of an already serialised JSON text: '<', '>',
// '&', U+2028 and U+2029 as \u escapes (they only occur inside strings).
std::string GoHtmlEscape(std::string_view json_text);

}  // namespace berth::api
