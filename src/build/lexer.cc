// The Dockerfile word lexer, after buildkit's frontend/dockerfile/shell
// (lex.go): quotes, escapes and ${} substitution over runes.
#include <string>

#include "berth/dockerfile_expand.h"
#include "berth/go_strconv.h"
#include "berth/json_text.h"
#include "build/shell_pattern.h"

namespace berth::dockerfile {
namespace {

constexpr char32_t kEof = 0xFFFFFFFF;

bool IsNameChar(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
bool IsDigit(char32_t c) { return c >= '0' && c <= '9'; }
bool IsSpecialParam(char32_t c) {
  return c == '@' || c == '*' || c == '#' || c == '?' || c == '-' || c == '$' || c == '!' || c == '0';
}

// Words being collected by ProcessWords.
struct WordsBuilder {
  std::string buf;
  std::vector<std::string> words;
  bool in_word = false;

  void AddChar(char32_t ch) {
    if (IsGoSpace(ch)) {
      if (in_word && !buf.empty()) {
        words.push_back(std::move(buf));
        buf.clear();
        in_word = false;
      }
      return;
    }
    AddRawChar(ch);
  }
  void AddRawChar(char32_t ch) {
    AppendUtf8Rune(&buf, ch);
    in_word = true;
  }
  void AddString(std::string_view s) {
    for (size_t i = 0; i < s.size();) {
      auto [rune, width] = DecodeUtf8Rune(s, i);
      AddChar(rune);
      i += width;
    }
  }
  void AddRawString(std::string_view s) {
    buf.append(s);
    in_word = true;
  }
  std::vector<std::string> Finish() {
    if (!buf.empty()) words.push_back(std::move(buf));
    buf.clear();
    return std::move(words);
  }
};

struct Processed {
  std::string result;
  std::vector<std::string> words;
};

class ShellWord {
 public:
  ShellWord(std::string_view text, char escape, const Variables& vars) : escape_(escape), vars_(vars) {
    for (size_t i = 0; i < text.size();) {
      auto [rune, width] = DecodeUtf8Rune(text, i);
      runes_.push_back(rune);
      i += width;
    }
  }

  // Reads up to `stop` (consumed) or the end. With `raw_escapes` (pattern
  // words) escape characters are kept in the result.
  Result<Processed> ProcessStopOn(char32_t stop, bool raw_escapes) {
    bool saved_raw = raw_escapes_;
    raw_escapes_ = raw_escapes;
    Result<Processed> out = ProcessStopOnRaw(stop);
    raw_escapes_ = saved_raw;
    return out;
  }

 private:
  Result<Processed> ProcessStopOnRaw(char32_t stop) {
    Processed out;
    WordsBuilder words;
    while (Peek() != kEof) {
      char32_t ch = Peek();
      if (stop != kEof && ch == stop) {
        Next();
        out.words = words.Finish();
        return out;
      }
      if (ch == '$' || ch == '<' || ch == '\'' || ch == '"') {
        Result<std::string> part = ch == '$'    ? Dollar()
                                   : ch == '<'  ? PossibleHeredoc()
                                   : ch == '\'' ? SingleQuote()
                                                : DoubleQuote();
        if (!part.ok()) return part.status();
        out.result += *part;
        if (ch == '$') {
          words.AddString(*part);
        } else {
          words.AddRawString(*part);
        }
        continue;
      }
      ch = Next();
      if (ch == static_cast<unsigned char>(escape_)) {
        if (raw_escapes_) {
          words.AddRawChar(ch);
          AppendUtf8Rune(&out.result, ch);
        }
        ch = Next();
        if (ch == kEof) break;
        words.AddRawChar(ch);
      } else {
        words.AddChar(ch);
      }
      AppendUtf8Rune(&out.result, ch);
    }
    if (stop != kEof) {
      std::string s;
      AppendUtf8Rune(&s, stop);
      return InvalidArgument("unexpected end of statement while looking for matching " + s);
    }
    out.words = words.Finish();
    return out;
  }

  char32_t Peek() const { return pos_ < runes_.size() ? runes_[pos_] : kEof; }
  char32_t Next() { return pos_ < runes_.size() ? runes_[pos_++] : kEof; }

  Result<std::string> SingleQuote() {
    Next();
    std::string out;
    for (;;) {
      char32_t ch = Next();
      if (ch == kEof) return InvalidArgument("unexpected end of statement while looking for matching single-quote");
      if (ch == '\'') return out;
      AppendUtf8Rune(&out, ch);
    }
  }

  Result<std::string> DoubleQuote() {
    Next();
    std::string out;
    for (;;) {
      char32_t peek = Peek();
      if (peek == kEof) return InvalidArgument("unexpected end of statement while looking for matching double-quote");
      if (peek == '"') {
        Next();
        return out;
      }
      if (peek == '$') {
        BERTH_ASSIGN_OR_RETURN(std::string value, Dollar());
        out += value;
        continue;
      }
      char32_t ch = Next();
      if (ch == static_cast<unsigned char>(escape_)) {
        if (raw_escapes_) AppendUtf8Rune(&out, ch);
        char32_t after = Peek();
        if (after == kEof) continue;
        if (after == '"' || after == '$' || after == static_cast<unsigned char>(escape_)) ch = Next();
      }
      AppendUtf8Rune(&out, ch);
    }
  }

  Result<std::string> PossibleHeredoc() {
    Next();
    if (Peek() != '<') return std::string("<");
    Next();
    std::string out = "<<";
    while (Peek() == '\t' || Peek() == '\r' || Peek() == ' ') AppendUtf8Rune(&out, Next());
    return out;
  }

  std::string Name() {
    std::string name;
    while (Peek() != kEof) {
      char32_t ch = Peek();
      if (name.empty() && IsDigit(ch)) {
        while (IsDigit(Peek())) AppendUtf8Rune(&name, Next());
        return name;
      }
      if (name.empty() && IsSpecialParam(ch)) {
        AppendUtf8Rune(&name, Next());
        return name;
      }
      if (!IsNameChar(ch)) break;
      AppendUtf8Rune(&name, Next());
    }
    return name;
  }

  std::optional<std::string> Get(const std::string& name) const {
    auto it = vars_.find(name);
    if (it == vars_.end()) return std::nullopt;
    return it->second;
  }

  Result<std::string> Dollar() {
    Next();
    if (Peek() != '{') {
      std::string name = Name();
      if (name.empty()) return std::string("$");
      return Get(name).value_or("");
    }
    Next();
    char32_t first = Peek();
    if (first == kEof) return InvalidArgument("syntax error: missing '}'");
    if (first == '{' || first == '}' || first == ':') return InvalidArgument("syntax error: bad substitution");
    std::string name = Name();
    char32_t ch = Next();
    std::string modifier;
    AppendUtf8Rune(&modifier, ch == kEof ? U'\uFFFD' : ch);
    if (ch == '}') return Get(name).value_or("");
    bool null_is_unset = false;
    if (ch == ':') {
      null_is_unset = true;
      ch = Next();
      AppendUtf8Rune(&modifier, ch == kEof ? U'\uFFFD' : ch);
    } else if (ch == '/') {
      return Replace(name);
    } else if (ch != '+' && ch != '-' && ch != '?' && ch != '#' && ch != '%') {
      return InvalidArgument("unsupported modifier (" + modifier + ") in substitution");
    }
    if (null_is_unset && (ch == '#' || ch == '%')) {
      return InvalidArgument("unsupported modifier (" + modifier + ") in substitution");
    }
    Result<Processed> word = ProcessStopOn('}', ch == '#' || ch == '%');
    if (!word.ok()) {
      if (Peek() == kEof) return InvalidArgument("syntax error: missing '}'");
      return word.status();
    }
    std::optional<std::string> value = Get(name);
    bool unset = !value.has_value() || (null_is_unset && value->empty());
    switch (ch) {
      case '-': return unset ? word->result : *value;
      case '+': return unset ? std::string() : word->result;
      case '?':
        if (!value.has_value()) {
          return InvalidArgument(name + ": " + (word->result.empty() ? "is not allowed to be unset" : word->result));
        }
        if (unset) {
          return InvalidArgument(name + ": " + (word->result.empty() ? "is not allowed to be empty" : word->result));
        }
        return *value;
      case '#':
      case '%': {
        std::string_view pattern = word->result;
        bool greedy = !pattern.empty() && pattern[0] == static_cast<char>(ch);
        if (greedy) pattern.remove_prefix(1);
        return internal::TrimPattern(pattern, value.value_or(""), ch == '%', greedy);
      }
      default: return InvalidArgument("unsupported modifier (" + modifier + ") in substitution");
    }
  }

  // ${name/pattern/replacement}, ${name//pattern/replacement}, after the
  // first '/'.
  Result<std::string> Replace(const std::string& name) {
    bool all = Peek() == '/';
    if (all) Next();
    Result<Processed> pattern = ProcessStopOn('/', true);
    if (!pattern.ok()) {
      if (Peek() == kEof) return InvalidArgument("syntax error: missing '/' in ${}");
      return pattern.status();
    }
    Result<Processed> replacement = ProcessStopOn('}', true);
    if (!replacement.ok()) {
      if (Peek() == kEof) return InvalidArgument("syntax error: missing '}'");
      return replacement.status();
    }
    return internal::ReplacePattern(pattern->result, Get(name).value_or(""), replacement->result, all);
  }

  std::vector<char32_t> runes_;
  size_t pos_ = 0;
  bool raw_escapes_ = false;
  char escape_;
  const Variables& vars_;
};

Result<Processed> Process(std::string_view text, char escape, const Variables& vars) {
  ShellWord word(text, escape, vars);
  Result<Processed> out = word.ProcessStopOn(kEof, false);
  if (!out.ok()) {
    return InvalidArgument("failed to process " + GoQuote(text) + ": " + out.status().message());
  }
  return out;
}

}  // namespace

Result<std::string> Lexer::Word(std::string_view word, const Variables& vars) const {
  BERTH_ASSIGN_OR_RETURN(Processed out, Process(word, escape_, vars));
  return std::move(out.result);
}

Result<std::vector<std::string>> Lexer::Words(std::string_view text, const Variables& vars) const {
  BERTH_ASSIGN_OR_RETURN(Processed out, Process(text, escape_, vars));
  return std::move(out.words);
}

}  // namespace berth::dockerfile
