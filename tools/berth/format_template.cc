// RowFormat (docker's --format subset).
#include <algorithm>
#include <cctype>

#include "format.h"

namespace berth::cli {

namespace {

std::string Trim(std::string_view s, std::string_view chars = " ") {
  size_t b = s.find_first_not_of(chars);
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(chars);
  return std::string(s.substr(b, e - b + 1));
}

std::string ReplaceAll(std::string s, std::string_view from, std::string_view to) {
  size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
  return s;
}

bool IsIdent(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

}  // namespace

RowFormat::RowFormat(std::string format, std::map<std::string, std::string> headers)
    : format_(std::move(format)), headers_(std::move(headers)) {}

Status RowFormat::Parse() {
  std::string f = format_;
  if (f.rfind("table", 0) == 0) {
    table_ = true;
    f = f.substr(5);
  } else if (f == "json") {
    f = "{{json .}}";
  }
  f = Trim(f);
  f = ReplaceAll(ReplaceAll(f, "\\t", "\t"), "\\n", "\n");
  pieces_.clear();
  size_t pos = 0;
  while (pos < f.size()) {
    size_t open = f.find("{{", pos);
    if (open == std::string::npos) {
      pieces_.push_back({Piece::kText, f.substr(pos)});
      break;
    }
    if (open > pos) pieces_.push_back({Piece::kText, f.substr(pos, open - pos)});
    size_t close = f.find("}}", open + 2);
    if (close == std::string::npos) {
      return InvalidArgument("template parsing error: template: :1: unclosed action");
    }
    std::string action = Trim(f.substr(open + 2, close - open - 2), " \t\n");
    if (action == "json .") {
      pieces_.push_back({Piece::kJsonAll, ""});
    } else if (action.rfind("json .", 0) == 0 && IsIdent(action.substr(6))) {
      pieces_.push_back({Piece::kJsonField, action.substr(6)});
    } else if (action.size() > 1 && action[0] == '.' && IsIdent(action.substr(1))) {
      pieces_.push_back({Piece::kField, action.substr(1)});
    } else {
      return InvalidArgument("template parsing error: template: :1: unsupported action {{" + action + "}}");
    }
    const Piece& p = pieces_.back();
    if ((p.kind == Piece::kField || p.kind == Piece::kJsonField) && !headers_.count(p.text)) {
      return InvalidArgument("template parsing error: template: :1: executing \"\" at <." + p.text +
                             ">: can't evaluate field " + p.text);
    }
    pos = close + 2;
  }
  return OkStatus();
}

Result<std::string> RowFormat::Row(const std::function<std::string(const std::string&)>& get) const {
  std::string out;
  for (const Piece& p : pieces_) {
    switch (p.kind) {
      case Piece::kText:
        out += p.text;
        break;
      case Piece::kField:
        out += get(p.text);
        break;
      case Piece::kJsonField:
        out += JsonString(get(p.text), true);
        break;
      case Piece::kJsonAll: {
        // formatter.MarshalJSON: a map of every field, keys sorted, through
        // json.Marshal (HTML-escaped).
        std::string obj = "{";
        for (const auto& [name, header] : headers_) {
          if (obj.size() > 1) obj += ",";
          obj += JsonString(name, true) + ":" + JsonString(get(name), true);
        }
        out += obj + "}";
        break;
      }
    }
  }
  return out;
}

Result<std::string> RowFormat::Render(
    const std::vector<std::function<std::string(const std::string&)>>& rows) const {
  std::string body;
  for (const auto& get : rows) {
    BERTH_ASSIGN_OR_RETURN(std::string line, Row(get));
    body += line + "\n";
  }
  if (!table_) return body;
  std::string header;
  for (const Piece& p : pieces_) {
    if (p.kind == Piece::kText) {
      header += p.text;
    } else if (p.kind != Piece::kJsonAll) {
      header += headers_.at(p.text);
    }
  }
  return TabWrite(header + "\n" + body);
}

}  // namespace berth::cli
