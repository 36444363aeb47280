// JSON progress lines (see progress.h).

#include "api/progress.h"

#include <boost/json.hpp>
#include <cstdio>

namespace berth::api {

namespace json = boost::json;

std::string ProgressHumanSize(int64_t bytes) {
  static const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  double size = static_cast<double>(bytes);
  int i = 0;
  while (size >= 1000.0 && i < 8) {
    size /= 1000.0;
    ++i;
  }
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.4g%s", size, kUnits[i]);
  return buf;
}

namespace {

// fmt's "%8v": right-aligned in 8 columns.
std::string Pad8(const std::string& s) {
  return s.size() >= 8 ? s : std::string(8 - s.size(), ' ') + s;
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

}  // namespace

std::string ProgressBar(int64_t current, int64_t total) {
  if (current <= 0 && total <= 0) return "";
  if (total <= 0) return Pad8(ProgressHumanSize(current));
  int64_t percentage = static_cast<int64_t>(static_cast<double>(current) / static_cast<double>(total) * 100) / 2;
  if (percentage > 50) percentage = 50;
  if (percentage < 0) percentage = 0;
  std::string bar = "[" + std::string(static_cast<size_t>(percentage), '=') + ">" +
                    std::string(static_cast<size_t>(50 - percentage), ' ') + "] ";
  if (current > total) return bar + Pad8(ProgressHumanSize(current));
  return bar + Pad8(ProgressHumanSize(current)) + "/" + ProgressHumanSize(total);
}

std::string GoHtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); i++) {
    char c = text[i];
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '\xE2' && i + 2 < text.size() && text[i + 1] == '\x80' &&
               (text[i + 2] == '\xA8' || text[i + 2] == '\xA9')) {
      out += text[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string RenderProgressError(std::string_view message) { return RenderProgressError(message, 0); }

std::string RenderProgressError(std::string_view message, int code) {
  json::object detail;
  if (code != 0) detail["code"] = code;
  detail["message"] = message;
  json::object o;
  o["errorDetail"] = std::move(detail);
  o["error"] = message;
  return GoHtmlEscape(json::serialize(o)) + "\n";
}

std::string RenderProgress(const ProgressMessage& m) {
  if (!m.error.empty()) return RenderProgressError(m.error);
  json::object o;
  if (!m.aux_tag.empty() || !m.aux_digest.empty()) {
    if (!m.status.empty()) o["status"] = m.status;
    o["progressDetail"] = json::object();
    if (!m.id.empty()) o["id"] = m.id;
    json::object aux;
    aux["Tag"] = m.aux_tag;
    aux["Digest"] = m.aux_digest.str();
    aux["Size"] = m.aux_size;
    o["aux"] = std::move(aux);
    return GoHtmlEscape(json::serialize(o)) + "\n";
  }
  bool counts = m.current > 0 || m.total > 0;
  bool plain = !counts && m.current < 0 && m.total < 0 && (m.id.empty() || StartsWith(m.status, "Pulling from "));
  if (!m.status.empty()) o["status"] = m.status;
  if (!plain) {
    json::object detail;
    if (m.current > 0) detail["current"] = m.current;
    if (m.total > 0) detail["total"] = m.total;
    o["progressDetail"] = std::move(detail);
    std::string bar = ProgressBar(m.current, m.total);
    if (!bar.empty()) o["progress"] = bar;
  }
  if (!m.id.empty()) o["id"] = m.id;
  return GoHtmlEscape(json::serialize(o)) + "\n";
}

}  // namespace berth::api
