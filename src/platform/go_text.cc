// Reproductions of Go's encoding/json syntax scanner and
// string encoder, (behaviour only; written from the
// documented semantics).

#include "platform/go_text.h"

#include "berth/url_escape.h"
#include "berth/go_strconv.h"
#include "berth/json_text.h"

#include <cstdint>
#include <vector>

namespace berth {
namespace platform_internal {

namespace {

constexpr char32_t kRuneError = 0xFFFD;

std::pair<char32_t, size_t> DecodeRune(std::string_view s, size_t i) { return DecodeUtf8Rune(s, i); }

// Go's encoding/json quoteChar: the byte as a rune, single-quoted.
std::string QuoteChar(unsigned char c) {
  if (c == '\'') return "'\\''";
  if (c == '"') return "'\"'";
  std::string s = "'";
  AppendGoQuotedRune(&s, c, '"');
  s += "'";
  return s;
}

bool IsJsonSpace(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(unsigned char c) { return HexDigitValue(static_cast<char>(c)) >= 0; }

// The state machine of Go's encoding/json scanner, driven byte by byte.
class JsonScanner {
 public:
  // Feeds one byte; false once an error has been recorded.
  bool Step(unsigned char c) { return Dispatch(c); }

  // Finishes the input; false (with error()) when the value is incomplete.
  bool Eof() {
    if (!error_.empty()) return false;
    if (end_top_) return true;
    if (!Dispatch(' ')) return false;
    if (end_top_) return true;
    error_ = "unexpected end of JSON input";
    return false;
  }

  const std::string& error() const { return error_; }

 private:
  enum class State {
    kBeginValueOrEmpty, kBeginValue, kBeginStringOrEmpty, kBeginString, kEndValue,
    kEndTop, kInString, kInStringEsc, kInStringEscU, kInStringEscU1, kInStringEscU12,
    kInStringEscU123, kNeg, k1, k0, kDot, kDot0, kE, kESign, kE0, kLiteral,
  };
  enum class Parse { kObjectKey, kObjectValue, kArrayValue };
  static constexpr size_t kMaxNestingDepth = 10000;

  bool Fail(unsigned char c, std::string_view context) {
    error_ = "invalid character " + QuoteChar(c) + " " + std::string(context);
    return false;
  }

  bool Push(unsigned char c, Parse p, State next) {
    stack_.push_back(p);
    if (stack_.size() > kMaxNestingDepth) return Fail(c, "exceeded max depth");
    state_ = next;
    return true;
  }

  void Pop() {
    stack_.pop_back();
    if (stack_.empty()) {
      state_ = State::kEndTop;
      end_top_ = true;
    } else {
      state_ = State::kEndValue;
    }
  }

  bool StartLiteral(const char* name, const char* rest) {
    literal_name_ = name;
    literal_rest_ = rest;
    state_ = State::kLiteral;
    return true;
  }

  bool BeginValue(unsigned char c) {
    if (IsJsonSpace(c)) return true;
    switch (c) {
      case '{': return Push(c, Parse::kObjectKey, State::kBeginStringOrEmpty);
      case '[': return Push(c, Parse::kArrayValue, State::kBeginValueOrEmpty);
      case '"': state_ = State::kInString; return true;
      case '-': state_ = State::kNeg; return true;
      case '0': state_ = State::k0; return true;
      case 't': return StartLiteral("true", "rue");
      case 'f': return StartLiteral("false", "alse");
      case 'n': return StartLiteral("null", "ull");
      default: break;
    }
    if (c >= '1' && c <= '9') {
      state_ = State::k1;
      return true;
    }
    return Fail(c, "looking for beginning of value");
  }

  bool BeginString(unsigned char c) {
    if (IsJsonSpace(c)) return true;
    if (c == '"') {
      state_ = State::kInString;
      return true;
    }
    return Fail(c, "looking for beginning of object key string");
  }

  bool EndValue(unsigned char c) {
    if (stack_.empty()) {
      state_ = State::kEndTop;
      end_top_ = true;
      return EndTop(c);
    }
    if (IsJsonSpace(c)) {
      state_ = State::kEndValue;
      return true;
    }
    switch (stack_.back()) {
      case Parse::kObjectKey:
        if (c == ':') {
          stack_.back() = Parse::kObjectValue;
          state_ = State::kBeginValue;
          return true;
        }
        return Fail(c, "after object key");
      case Parse::kObjectValue:
        if (c == ',') {
          stack_.back() = Parse::kObjectKey;
          state_ = State::kBeginString;
          return true;
        }
        if (c == '}') {
          Pop();
          return true;
        }
        return Fail(c, "after object key:value pair");
      case Parse::kArrayValue:
        if (c == ',') {
          state_ = State::kBeginValue;
          return true;
        }
        if (c == ']') {
          Pop();
          return true;
        }
        return Fail(c, "after array element");
    }
    return Fail(c, "");
  }

  bool EndTop(unsigned char c) {
    if (!IsJsonSpace(c)) return Fail(c, "after top-level value");
    return true;
  }

  bool Zero(unsigned char c) {  // after "0" or the integer part
    if (c == '.') {
      state_ = State::kDot;
      return true;
    }
    if (c == 'e' || c == 'E') {
      state_ = State::kE;
      return true;
    }
    return EndValue(c);
  }

  bool ESign(unsigned char c) {
    if (IsDigit(c)) {
      state_ = State::kE0;
      return true;
    }
    return Fail(c, "in exponent of numeric literal");
  }

  bool Dispatch(unsigned char c) {
    if (!error_.empty()) return false;
    switch (state_) {
      case State::kBeginValueOrEmpty:
        if (IsJsonSpace(c)) return true;
        if (c == ']') return EndValue(c);
        return BeginValue(c);
      case State::kBeginValue:
        return BeginValue(c);
      case State::kBeginStringOrEmpty:
        if (IsJsonSpace(c)) return true;
        if (c == '}') {
          stack_.back() = Parse::kObjectValue;
          return EndValue(c);
        }
        return BeginString(c);
      case State::kBeginString:
        return BeginString(c);
      case State::kEndValue:
        return EndValue(c);
      case State::kEndTop:
        return EndTop(c);
      case State::kInString:
        if (c == '"') {
          state_ = State::kEndValue;
          return true;
        }
        if (c == '\\') {
          state_ = State::kInStringEsc;
          return true;
        }
        if (c < 0x20) return Fail(c, "in string literal");
        return true;
      case State::kInStringEsc:
        switch (c) {
          case 'b': case 'f': case 'n': case 'r': case 't': case '\\': case '/': case '"':
            state_ = State::kInString;
            return true;
          case 'u':
            state_ = State::kInStringEscU;
            return true;
          default:
            return Fail(c, "in string escape code");
        }
      case State::kInStringEscU:
      case State::kInStringEscU1:
      case State::kInStringEscU12:
      case State::kInStringEscU123:
        if (!IsHexDigit(c)) return Fail(c, "in \\u hexadecimal character escape");
        state_ = state_ == State::kInStringEscU    ? State::kInStringEscU1
                 : state_ == State::kInStringEscU1 ? State::kInStringEscU12
                 : state_ == State::kInStringEscU12 ? State::kInStringEscU123
                                                    : State::kInString;
        return true;
      case State::kNeg:
        if (c == '0') {
          state_ = State::k0;
          return true;
        }
        if (c >= '1' && c <= '9') {
          state_ = State::k1;
          return true;
        }
        return Fail(c, "in numeric literal");
      case State::k1:
        if (IsDigit(c)) return true;
        return Zero(c);
      case State::k0:
        return Zero(c);
      case State::kDot:
        if (IsDigit(c)) {
          state_ = State::kDot0;
          return true;
        }
        return Fail(c, "after decimal point in numeric literal");
      case State::kDot0:
        if (IsDigit(c)) return true;
        if (c == 'e' || c == 'E') {
          state_ = State::kE;
          return true;
        }
        return EndValue(c);
      case State::kE:
        if (c == '+' || c == '-') {
          state_ = State::kESign;
          return true;
        }
        return ESign(c);
      case State::kESign:
        return ESign(c);
      case State::kE0:
        if (IsDigit(c)) return true;
        return EndValue(c);
      case State::kLiteral:
        if (c != static_cast<unsigned char>(*literal_rest_)) {
          return Fail(c, std::string("in literal ") + literal_name_ + " (expecting " +
                             QuoteChar(static_cast<unsigned char>(*literal_rest_)) + ")");
        }
        ++literal_rest_;
        if (*literal_rest_ == '\0') state_ = State::kEndValue;
        return true;
    }
    return Fail(c, "");
  }

  State state_ = State::kBeginValue;
  std::vector<Parse> stack_;
  bool end_top_ = false;
  const char* literal_name_ = "";
  const char* literal_rest_ = "";
  std::string error_;
};

}  // namespace

std::optional<std::string> GoJsonSyntaxError(std::string_view text) {
  JsonScanner scanner;
  for (char c : text) {
    if (!scanner.Step(static_cast<unsigned char>(c))) return scanner.error();
  }
  if (!scanner.Eof()) return scanner.error();
  return std::nullopt;
}


std::string GoCoerceUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    auto [r, n] = DecodeRune(s, i);
    if (r == kRuneError && n == 1) {
      AppendUtf8Rune(&out, kRuneError);
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  return out;
}

}  // namespace platform_internal
}  // namespace berth
