// The shim's log file format, shared by berth-shim (writer) and ReadLog
// (reader): one JSON object per line,
//   {"log":"<data>","stream":"stdout"|"stderr","time":"<RFC3339Nano UTC>"}
// as Docker's json-file driver writes it (time with nine fraction digits:
// FormatRfc3339NanosFixed of berth/time.h). Like Docker's, "log" holds the
// bytes that are not UTF-8 as U+FFFD; a line whose data was not UTF-8 also
// carries the bytes themselves, base64, in a fourth key: ...,"raw":"<b64>"}
// (berth's own; readers of json-file ignore it), for attach.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "berth/runtime.h"
#include "berth/status.h"

namespace berth {
namespace runtime_internal {

// Appends one log line (with its trailing '\n') for `data`.
void AppendLogLine(std::string* out, std::string_view stream, std::string_view data,
                   int64_t unix_nanos);
// The same with the time already formatted (FormatRfc3339NanosFixed): the
// shim formats it once for all the lines of one read.
void AppendLogLineAt(std::string* out, std::string_view stream, std::string_view data,
                     std::string_view rfc3339_time);

// Parses one line (without its '\n'). DataLoss when it is not a log entry.
// Lines of exactly the shape above take ParseShimLogLine; any other goes
// through a JSON parser.
Result<LogEntry> ParseLogLine(std::string_view line);

// The fast path of ParseLogLine: `line` decoded without building a JSON
// value when it is exactly {"log":S,"stream":S,"time":S} or the same with
// ,"raw":S at its end (in that order, no whitespace, `stream`, `time` and
// `raw` without escapes, `raw` base64) and valid JSON; nullopt
// for any other line, including every one a JSON parser would refuse. Where
// it answers, it answers as ParseLogLine's JSON path does (log_format_test
// checks the two against each other on random and damaged lines).
std::optional<LogEntry> ParseShimLogLine(std::string_view line);

// The length of the longest prefix of `data` that does not end inside a
// UTF-8 sequence that later bytes could complete (at most 3 bytes are held
// back). Lets a writer split a stream into chunks without cutting characters.
size_t CompleteUtf8Prefix(std::string_view data);

// At most `max_bytes` of the file at `path` from byte `offset` on, read
// without loading what comes before (a container's log can be any size).
// Missing file: NotFound.
Result<std::string> ReadFileRange(const std::string& path, uint64_t offset, size_t max_bytes);

}  // namespace runtime_internal
}  // namespace berth
