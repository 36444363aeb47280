// The shim's JSON-lines log format (see log_format.h).

#include "runtime/log_format.h"

#include "berth/env.h"

#include <boost/json.hpp>

#include "berth/json_text.h"
#include "berth/time.h"

namespace berth {
namespace runtime_internal {

void AppendLogLineAt(std::string* out, std::string_view stream, std::string_view data,
                     std::string_view rfc3339_time) {
  out->append("{\"log\":");
  AppendGoJsonString(out, data);
  out->append(",\"stream\":");
  AppendGoJsonString(out, stream);
  out->append(",\"time\":\"");
  out->append(rfc3339_time);
  out->append("\"}\n");
}

void AppendLogLine(std::string* out, std::string_view stream, std::string_view data,
                   int64_t unix_nanos) {
  AppendLogLineAt(out, stream, data, FormatRfc3339NanosFixed(unix_nanos));
}

Result<LogEntry> ParseLogLine(std::string_view line) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(line, ec);
  if (ec || !v.is_object()) return DataLoss("malformed log line");
  const auto& obj = v.get_object();
  LogEntry e;
  if (const auto* log = obj.if_contains("log"); log && log->is_string()) {
    e.data.assign(log->get_string().data(), log->get_string().size());
  } else {
    return DataLoss("log line without \"log\"");
  }
  if (const auto* stream = obj.if_contains("stream"); stream && stream->is_string()) {
    e.stream.assign(stream->get_string().data(), stream->get_string().size());
  }
  if (const auto* t = obj.if_contains("time"); t && t->is_string()) {
    auto parsed = ParseRfc3339Nanos(std::string_view(t->get_string().data(), t->get_string().size()),
                                    Rfc3339Zone::kRequired);
    if (parsed.ok()) e.time_unix_nanos = *parsed;
  }
  return e;
}

size_t CompleteUtf8Prefix(std::string_view data) {
  size_t n = data.size();
  // Walk back over at most three continuation bytes to the sequence's lead.
  for (size_t back = 1; back <= 4 && back <= n; ++back) {
    auto b = static_cast<unsigned char>(data[n - back]);
    if ((b & 0xC0) == 0x80) continue;  // continuation byte
    size_t want = 1;
    if (b >= 0xC2 && b <= 0xDF) {
      want = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      want = 3;
    } else if (b >= 0xF0 && b <= 0xF4) {
      want = 4;
    }
    return back < want ? n - back : n;
  }
  return n;
}

Result<std::string> ReadFileRange(const std::string& path, uint64_t offset, size_t max_bytes) {
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<SequentialFile> f, Env::Default()->NewSequentialFile(path));
  if (offset > 0) BERTH_RETURN_IF_ERROR(f->Skip(offset));
  std::string out(max_bytes, '\0');
  size_t got = 0;
  while (got < max_bytes) {
    BERTH_ASSIGN_OR_RETURN(size_t n, f->Read(out.data() + got, max_bytes - got));
    if (n == 0) break;
    got += n;
  }
  out.resize(got);
  return out;
}

}  // namespace runtime_internal
}  // namespace berth
