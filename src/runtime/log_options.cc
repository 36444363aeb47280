// ParseLogConfig and LogFilesOldestFirst (see berth/runtime.h).

#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "berth/go_strconv.h"
#include "berth/runtime.h"

namespace berth {

namespace {

// A size as Docker's units.FromHumanSize reads it: a non-negative decimal
// number, an optional space, an optional unit (b, or k/m/g/t/p with an
// optional "b" or "ib", any case; powers of 1000).
Result<int64_t> ParseHumanSize(const std::string& text) {
  const std::string invalid = "invalid size: '" + text + "'";
  size_t end = text.find_last_of("0123456789. ");
  if (end == std::string::npos) return InvalidArgument(invalid);
  std::string number = text.substr(0, text[end] == ' ' ? end : end + 1);
  std::string suffix = text.substr(end + 1);
  if (number.empty()) return InvalidArgument(invalid);
  for (char ch : number) {
    if (!std::isdigit(static_cast<unsigned char>(ch)) && ch != '.') return InvalidArgument(invalid);
  }
  errno = 0;
  char* parsed_end = nullptr;
  double value = std::strtod(number.c_str(), &parsed_end);
  if (errno != 0 || parsed_end != number.c_str() + number.size() || !std::isfinite(value)) {
    return InvalidArgument(invalid);
  }
  for (char& ch : suffix) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  double multiplier = 1;
  if (!suffix.empty() && suffix != "b") {
    const std::string units = "kmgtp";
    size_t power = units.find(suffix[0]);
    bool tail_ok = suffix.size() == 1 || (suffix.size() == 2 && suffix[1] == 'b') || suffix.substr(1) == "ib";
    if (power == std::string::npos || !tail_ok || suffix.size() > 3) {
      return InvalidArgument("invalid suffix: '" + suffix + "'");
    }
    for (size_t i = 0; i <= power; ++i) multiplier *= 1000;
  }
  double bytes = value * multiplier;
  if (bytes >= 9.2e18) return InvalidArgument(invalid);
  return static_cast<int64_t>(bytes);
}

}  // namespace

Result<LogRotation> ParseLogConfig(const std::string& driver, const std::map<std::string, std::string>& options) {
  if (driver == "none") {
    if (!options.empty()) {
      return InvalidArgument("berth does not support log options with the log driver \"none\" (" +
                             options.begin()->first + ")");
    }
    LogRotation attach_only;
    attach_only.max_size_bytes = kAttachOnlyLogBytes;
    attach_only.max_files = 1;
    attach_only.readable = false;
    return attach_only;
  }
  // Docker's built-in drivers berth does not implement, named as such;
  // another name is Docker's error for a driver nobody registered.
  static const std::set<std::string_view> kDockerDrivers = {"awslogs",  "etwlogs", "fluentd",    "gcplogs", "gelf",
                                                            "journald", "local",   "logentries", "splunk",  "syslog"};
  if (!driver.empty() && driver != "json-file") {
    if (!kDockerDrivers.contains(driver)) {
      return InvalidArgument("logger: no log driver named '" + driver + "' is registered");
    }
    return InvalidArgument("berth does not support the log driver \"" + driver +
                           "\" (--log-driver); only json-file and none are supported");
  }
  for (const auto& [key, value] : options) {
    if (key == "max-size" || key == "max-file") continue;
    if (key == "compress") {
      if (value == "false") continue;
      return InvalidArgument("berth does not support the json-file log option compress=" + value +
                             " (rotated logs are kept uncompressed)");
    }
    if (key == "labels" || key == "labels-regex" || key == "env" || key == "env-regex" || key == "tag") {
      return InvalidArgument("berth does not support the json-file log option '" + key + "'");
    }
    return InvalidArgument("unknown log opt '" + key + "' for json-file log driver");
  }
  LogRotation r;
  if (auto it = options.find("max-size"); it != options.end()) {
    BERTH_ASSIGN_OR_RETURN(r.max_size_bytes, ParseHumanSize(it->second));
    if (r.max_size_bytes <= 0) return InvalidArgument("max-size must be a positive number");
  }
  if (auto it = options.find("max-file"); it != options.end()) {
    BERTH_ASSIGN_OR_RETURN(const int64_t files, GoAtoi(it->second));
    if (files < 1) return InvalidArgument("max-file cannot be less than 1");
    if (files > INT32_MAX)
      return InvalidArgument("max-file " + it->second + " is more files than berth keeps (2147483647)");
    r.max_files = static_cast<int>(files);
    // Without max-size the log never rotates, so the count has nothing to
    // bound; Docker accepts and keeps it (inspect shows it) all the same.
  }
  return r;
}

std::vector<std::string> LogFilesOldestFirst(const std::string& log_path) {
  std::vector<std::string> newest_first;
  for (int n = 1;; ++n) {
    std::string path = log_path + "." + std::to_string(n);
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) break;
    newest_first.push_back(std::move(path));
  }
  std::vector<std::string> out(newest_first.rbegin(), newest_first.rend());
  out.push_back(log_path);
  return out;
}

}  // namespace berth
