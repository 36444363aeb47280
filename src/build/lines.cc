// The Dockerfile line reader, after buildkit's frontend/dockerfile/parser
// (parser.go, directives.go, split_command.go, line_parsers.go).
#include "build/lines.h"

#include <boost/json.hpp>

#include <optional>
#include <string>

#include "berth/json_text.h"

namespace berth::dockerfile::internal {
namespace {

namespace json = boost::json;

constexpr size_t kMaxLine = 65536;  // Go's bufio.MaxScanTokenSize

bool IsRegexSpace(char c) { return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '; }
bool IsSplitSpace(char c) { return c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == ' '; }
bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
// unicode.IsSpace of a byte read as a rune (what split_command.go and
// parseHealthConfig do: bytes >= 0x80 are Latin-1 runes there).
bool IsByteSpace(char c) { return IsGoSpace(static_cast<unsigned char>(c)); }

std::string_view TrimNewline(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool IsComment(std::string_view line) {
  line = TrimLeftGoSpace(line);
  return !line.empty() && line[0] == '#';
}

// Parser directives at the top of the file (`# escape=`, `# syntax=`,
// `# check=`), one call per physical line read.
class Directives {
 public:
  char escape() const { return escape_; }

  // Reads `line` (newline and, for a first line, leading space trimmed).
  Status Read(std::string_view line) {
    if (done_) return OkStatus();
    if (line.empty() || line[0] != '#') {
      done_ = true;
      return OkStatus();
    }
    line = TrimLeftGoSpace(line.substr(1));
    size_t i = 0;
    if (i >= line.size() || !IsAsciiAlpha(line[i])) return Done();
    while (i < line.size() && (IsAsciiAlpha(line[i]) || IsAsciiDigit(line[i]))) ++i;
    std::string key = AsciiLower(line.substr(0, i));
    while (i < line.size() && IsRegexSpace(line[i])) ++i;
    if (i >= line.size() || line[i] != '=') return Done();
    std::string_view rest = line.substr(i + 1);
    size_t lead = 0;
    while (lead < rest.size() && IsRegexSpace(rest[lead])) ++lead;
    std::string_view value;
    if (lead == rest.size()) {
      if (lead == 0) return Done();
      value = rest.substr(lead - 1, 1);  // the regex's lazy `.+?` takes the last space
    } else {
      value = rest.substr(lead);
      while (IsRegexSpace(value.back())) value.remove_suffix(1);
    }
    if (key != "syntax" && key != "escape" && key != "check") return Done();
    for (const std::string& seen : seen_) {
      if (seen == key) return InvalidArgument("only one " + key + " parser directive can be used");
    }
    seen_.push_back(key);
    if (key == "escape") {
      if (value != "`" && value != "\\") {
        return InvalidArgument("invalid escape token '" + std::string(value) + "' does not match ` or \\");
      }
      escape_ = value[0];
    }
    return OkStatus();
  }

 private:
  Status Done() {
    done_ = true;
    return OkStatus();
  }
  bool done_ = false;
  char escape_ = '\\';
  std::vector<std::string> seen_;
};

// Removes a trailing escape (and the spaces and tabs after it) that
// continues the line; false when the line ends there.
bool TrimContinuation(std::string_view* line, char escape) {
  std::string_view s = *line;
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (s.empty() || s.back() != escape) return false;
  if (s.size() >= 2 && s[s.size() - 2] == escape) return false;
  s.remove_suffix(1);
  *line = s;
  return true;
}

// extractBuilderFlags: leading `--flag[=value]` words, quotes and escapes
// resolved; `--` alone ends the flags.
std::string_view ExtractFlags(std::string_view line, char escape, std::vector<std::string>* flags) {
  enum { kSpaces, kWord, kQuote } phase = kSpaces;
  std::string word;
  char quote = 0;
  bool blank_ok = false;
  for (size_t pos = 0; pos <= line.size(); ++pos) {
    char ch = pos < line.size() ? line[pos] : 0;
    if (phase == kSpaces) {
      if (pos == line.size()) break;
      if (IsByteSpace(ch)) continue;
      if (ch != '-' || pos + 1 == line.size() || line[pos + 1] != '-') return line.substr(pos);
      phase = kWord;
    }
    if (pos == line.size()) {
      if (word != "--" && (blank_ok || !word.empty())) flags->push_back(word);
      break;
    }
    if (phase == kWord) {
      if (IsByteSpace(ch)) {
        phase = kSpaces;
        if (word == "--") return line.substr(pos);
        if (blank_ok || !word.empty()) flags->push_back(word);
        word.clear();
        blank_ok = false;
        continue;
      }
      if (ch == '\'' || ch == '"') {
        quote = ch;
        blank_ok = true;
        phase = kQuote;
        continue;
      }
      if (ch == escape) {
        if (pos + 1 == line.size()) continue;
        ch = line[++pos];
      }
      word += ch;
      continue;
    }
    // kQuote
    if (ch == quote) {
      phase = kWord;
      continue;
    }
    if (ch == escape) {
      if (pos + 1 == line.size()) {
        phase = kWord;
        continue;
      }
      ch = line[++pos];
    }
    word += ch;
  }
  return {};
}

// parseWords: words split at spaces outside quotes; quotes and escapes kept.
std::vector<std::string> ParseWords(std::string_view rest, char escape) {
  enum { kSpaces, kWord, kQuote } phase = kSpaces;
  std::vector<std::string> words;
  std::string word;
  char32_t quote = 0;
  bool blank_ok = false;
  size_t width = 0;
  char32_t ch = 0;
  auto append = [&](size_t at, size_t n) { word.append(rest.substr(at, n)); };
  for (size_t pos = 0; pos <= rest.size(); pos += width) {
    if (pos != rest.size()) std::tie(ch, width) = DecodeUtf8Rune(rest, pos);
    if (phase == kSpaces) {
      if (pos == rest.size()) break;
      if (IsGoSpace(ch)) continue;
      phase = kWord;
    }
    if (pos == rest.size()) {
      if (blank_ok || !word.empty()) words.push_back(word);
      break;
    }
    if (phase == kWord) {
      if (IsGoSpace(ch)) {
        phase = kSpaces;
        if (blank_ok || !word.empty()) words.push_back(word);
        word.clear();
        blank_ok = false;
        continue;
      }
      if (ch == U'\'' || ch == U'"') {
        quote = ch;
        blank_ok = true;
        phase = kQuote;
      }
      if (ch == static_cast<unsigned char>(escape)) {
        if (pos + width == rest.size()) continue;
        append(pos, width);
        pos += width;
        std::tie(ch, width) = DecodeUtf8Rune(rest, pos);
      }
      append(pos, width);
      continue;
    }
    if (ch == quote) phase = kWord;
    if (ch == static_cast<unsigned char>(escape) && quote != U'\'') {
      if (pos + width == rest.size()) {
        phase = kWord;
        continue;
      }
      append(pos, width);
      pos += width;
      std::tie(ch, width) = DecodeUtf8Rune(rest, pos);
    }
    append(pos, width);
  }
  return words;
}

const Status& NotStringArray() {
  static const Status kStatus =
      InvalidArgument("when using JSON array syntax, arrays must be comprised of strings only");
  return kStatus;
}

// parseJSON: nullopt when `rest` is not a JSON array (shell form follows).
Result<std::optional<std::vector<std::string>>> ParseJsonArray(std::string_view rest) {
  rest = TrimLeftGoSpace(rest);
  if (rest.empty() || rest[0] != '[') return std::optional<std::vector<std::string>>();
  json::parse_options options;
  options.max_depth = 10000;
  boost::system::error_code ec;
  json::value v = json::parse(rest, ec, {}, options);
  if (ec || !v.is_array()) return std::optional<std::vector<std::string>>();
  std::vector<std::string> out;
  for (const json::value& e : v.as_array()) {
    if (!e.is_string()) return NotStringArray();
    out.emplace_back(e.as_string());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

Status ParseMaybeJson(std::string_view rest, bool to_list, Node* node) {
  if (rest.empty()) return OkStatus();
  BERTH_ASSIGN_OR_RETURN(auto array, ParseJsonArray(rest));
  if (array.has_value()) {
    node->args = std::move(*array);
    node->json = true;
  } else if (to_list) {
    node->args = SplitWhitespace(rest);
  } else {
    node->args = {std::string(rest)};
  }
  return OkStatus();
}

Status ParseNameValue(std::string_view rest, std::string_view what, char escape, Node* node) {
  std::vector<std::string> words = ParseWords(rest, escape);
  if (words.empty()) return OkStatus();
  if (words[0].find('=') == std::string::npos) {
    std::vector<std::string> parts = SplitWhitespace(rest, 2);
    if (parts.size() < 2) return InvalidArgument(std::string(what) + " must have two arguments");
    node->args = {parts[0], parts[1], ""};
    return OkStatus();
  }
  for (const std::string& word : words) {
    size_t eq = word.find('=');
    if (eq == std::string::npos) {
      std::string quoted;
      AppendGoJsonString(&quoted, word);
      return InvalidArgument("Syntax error - can't find = in " + quoted + ". Must be of the form: name=value");
    }
    node->args.push_back(word.substr(0, eq));
    node->args.push_back(word.substr(eq + 1));
    node->args.push_back("=");
  }
  return OkStatus();
}

Result<Node> NodeFromLine(std::string_view line, char escape);

Status ParseArguments(std::string_view keyword, std::string_view rest, char escape, Node* node) {
  std::string lower = AsciiLower(keyword);
  if (lower == "add" || lower == "copy" || lower == "volume") return ParseMaybeJson(rest, true, node);
  if (lower == "cmd" || lower == "entrypoint" || lower == "run" || lower == "shell") {
    return ParseMaybeJson(rest, false, node);
  }
  if (lower == "env") return ParseNameValue(rest, "ENV", escape, node);
  if (lower == "label") return ParseNameValue(rest, "LABEL", escape, node);
  if (lower == "arg") {
    node->args = ParseWords(rest, escape);
    return OkStatus();
  }
  if (lower == "expose" || lower == "from") {
    node->args = SplitWhitespace(rest);
    return OkStatus();
  }
  if (lower == "maintainer" || lower == "stopsignal" || lower == "user" || lower == "workdir") {
    if (!rest.empty()) node->args = {std::string(rest)};
    return OkStatus();
  }
  if (lower == "healthcheck") {
    size_t sep = 0;
    while (sep < rest.size() && !IsByteSpace(rest[sep])) ++sep;
    size_t next = sep;
    while (next < rest.size() && IsByteSpace(rest[next])) ++next;
    if (sep == 0) return OkStatus();
    Node cmd;
    BERTH_RETURN_IF_ERROR(ParseMaybeJson(rest.substr(next), false, &cmd));
    node->args.push_back(std::string(rest.substr(0, sep)));
    node->args.insert(node->args.end(), cmd.args.begin(), cmd.args.end());
    node->json = cmd.json;
    return OkStatus();
  }
  if (lower == "onbuild") {
    if (rest.empty()) return OkStatus();
    BERTH_ASSIGN_OR_RETURN(Node child, NodeFromLine(rest, escape));
    node->args.push_back(child.keyword);
    node->args.insert(node->args.end(), child.args.begin(), child.args.end());
    node->json = child.json;
    return OkStatus();
  }
  return OkStatus();  // unknown: refused by the instruction pass
}

Result<Node> NodeFromLine(std::string_view line, char escape) {
  Node node;
  node.original = std::string(line);
  std::vector<std::string> split = SplitWhitespace(TrimGoSpace(line), 2);
  node.keyword = split.empty() ? std::string() : split[0];
  std::string_view rest;
  if (split.size() == 2) rest = TrimGoSpace(ExtractFlags(split[1], escape, &node.flags));
  BERTH_RETURN_IF_ERROR(ParseArguments(node.keyword, rest, escape, &node));
  return node;
}

// Whether a shell-form RUN/COPY/ADD line holds a heredoc (`<<NAME`,
// `<<-NAME`, `2<<NAME`, `<< "NAME"`) outside quotes, as buildkit would read
// it.
bool HasHeredoc(std::string_view line, char escape) {
  char quote = 0;
  bool word_start = true;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote != 0) {
      if (c == escape && quote == '"' && i + 1 < line.size()) {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    if (c == escape) {
      ++i;
      word_start = false;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      word_start = false;
      continue;
    }
    if (IsByteSpace(c)) {
      word_start = true;
      continue;
    }
    if (!word_start) continue;
    size_t j = i;
    while (j < line.size() && IsAsciiDigit(line[j])) ++j;
    if (line.substr(j, 2) == "<<") {
      j += 2;
      if (j < line.size() && line[j] == '-') ++j;
      while (j < line.size() && IsByteSpace(line[j])) ++j;
      if (j < line.size() && line[j] != '<') return true;
    }
    word_start = false;
  }
  return false;
}

bool MayHoldHeredoc(const Node& node) {
  std::string lower = AsciiLower(node.keyword);
  if (lower == "onbuild" && !node.args.empty()) lower = AsciiLower(node.args[0]);
  if (lower != "run" && lower != "copy" && lower != "add") return false;
  return !node.json;
}

}  // namespace

std::string_view TrimLeftGoSpace(std::string_view s) {
  while (!s.empty()) {
    auto [rune, width] = DecodeUtf8Rune(s, 0);
    if (!IsGoSpace(rune) || (rune == 0xFFFD && width == 1)) break;
    s.remove_prefix(width);
  }
  return s;
}

std::string_view TrimGoSpace(std::string_view s) {
  s = TrimLeftGoSpace(s);
  // Trailing spaces: find the end of the last non-space rune.
  size_t end = 0;
  for (size_t i = 0; i < s.size();) {
    auto [rune, width] = DecodeUtf8Rune(s, i);
    i += width;
    if (!IsGoSpace(rune)) end = i;
  }
  return s.substr(0, end);
}

std::vector<std::string> SplitWhitespace(std::string_view s, size_t limit) {
  std::vector<std::string> parts;
  if (s.empty()) return parts;
  size_t start = 0;
  for (size_t i = 0; i < s.size();) {
    if (!IsSplitSpace(s[i]) || (limit != 0 && parts.size() + 1 == limit)) {
      ++i;
      continue;
    }
    parts.emplace_back(s.substr(start, i - start));
    while (i < s.size() && IsSplitSpace(s[i])) ++i;
    start = i;
  }
  parts.emplace_back(s.substr(start));
  return parts;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string AsciiUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

Result<Lines> ReadLines(std::string_view text) {
  // Physical lines with their newline; a line of 64 KiB or more ends the
  // input as Go's bufio.Scanner does.
  std::vector<std::string_view> physical;
  bool too_long = false;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    std::string_view line = text.substr(pos, end - pos);
    if (TrimNewline(line).size() >= kMaxLine || (nl == std::string_view::npos && line.size() >= kMaxLine)) {
      too_long = true;
      break;
    }
    physical.push_back(line);
    pos = end;
  }

  Lines out;
  Directives directives;
  int current_line = 0;
  size_t next = 0;
  // processLine: newline (and for a first line leading space) trimmed, read
  // as a possible directive, a comment emptied.
  auto process = [&](std::string_view raw, bool strip_left) -> Result<std::string_view> {
    std::string_view line = TrimNewline(raw);
    if (strip_left) line = TrimLeftGoSpace(line);
    BERTH_RETURN_IF_ERROR(directives.Read(line));
    return IsComment(line) ? std::string_view() : line;
  };
  while (next < physical.size()) {
    std::string_view raw = physical[next++];
    if (current_line == 0 && raw.substr(0, 3) == "\xEF\xBB\xBF") raw.remove_prefix(3);
    BERTH_ASSIGN_OR_RETURN(std::string_view first, process(raw, true));
    ++current_line;
    int start_line = current_line;
    bool continues = TrimContinuation(&first, directives.escape());
    if (!continues && first.empty()) continue;
    std::string joined(first);
    bool empty_continuation = false;
    while (continues && next < physical.size()) {
      std::string_view more_raw = physical[next++];
      BERTH_ASSIGN_OR_RETURN(std::string_view more, process(more_raw, false));
      ++current_line;
      if (IsComment(more_raw)) continue;
      if (TrimLeftGoSpace(more).empty()) {
        empty_continuation = true;
        continue;
      }
      continues = TrimContinuation(&more, directives.escape());
      joined.append(more);
    }
    if (empty_continuation) out.warnings.push_back("Empty continuation line found in: " + joined);
    BERTH_ASSIGN_OR_RETURN(Node node, NodeFromLine(joined, directives.escape()));
    if (MayHoldHeredoc(node) && joined.find("<<") != std::string::npos && HasHeredoc(joined, directives.escape())) {
      return InvalidArgument("dockerfile parse error on line " + std::to_string(start_line) +
                             ": heredocs are not supported by berth's builder (" + AsciiUpper(node.keyword) +
                             " <<...)");
    }
    node.start_line = start_line;
    node.end_line = current_line;
    out.nodes.push_back(std::move(node));
  }
  if (out.nodes.empty()) return InvalidArgument("file with no instructions");
  if (too_long) return InvalidArgument("dockerfile line greater than max allowed size of 65535");
  out.escape = directives.escape();
  return out;
}

}  // namespace berth::dockerfile::internal
