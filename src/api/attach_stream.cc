#include "api/attach_stream.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <memory>
#include <vector>

namespace berth::api {

Result<std::string> ParseDetachKeys(std::string_view keys) {
  if (keys.empty()) return std::string("\x10\x11");  // ctrl-p, ctrl-q
  const Status invalid = InvalidArgument("Invalid detach keys (" + std::string(keys) + ") provided");
  std::string out;
  size_t start = 0;
  while (start <= keys.size()) {
    size_t comma = keys.find(',', start);
    std::string_view key = keys.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    start = comma == std::string_view::npos ? keys.size() + 1 : comma + 1;
    if (key.size() == 1) {
      out += key[0];
      continue;
    }
    if (key.size() != 6 || (key.substr(0, 5) != "ctrl-" && key.substr(0, 5) != "CTRL-")) return invalid;
    char c = key[5];
    if (std::isalpha(static_cast<unsigned char>(c))) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)) - 'a' + 1);
    } else if (c == '@' || c == '[' || c == '\\' || c == ']' || c == '^' || c == '_') {
      out += static_cast<char>(c - '@');  // '@' is 0, '_' is 31
    } else {
      return invalid;
    }
  }
  return out;
}

bool DetachKeyScanner::Feed(std::string_view data, std::string* forward) {
  if (keys_.empty()) {
    forward->append(data);
    return false;
  }
  for (char c : data) {
    if (c == keys_[matched_]) {
      if (++matched_ == keys_.size()) return true;
      continue;
    }
    // The held bytes were not the sequence after all; the current byte may
    // start it again.
    forward->append(keys_, 0, matched_);
    matched_ = 0;
    if (c == keys_[0]) {
      matched_ = 1;
      if (keys_.size() == 1) return true;
    } else {
      forward->push_back(c);
    }
  }
  return false;
}

namespace {

struct DetachableState {
  explicit DetachableState(std::string keys) : scanner(std::move(keys)) {}
  DetachKeyScanner scanner;           // used by the one reader only
  std::string pending;                // passed on, not read yet (the reader's)
  bool seen = false;                  // the reader's: the sequence was typed
  std::atomic<bool> detached{false};  // `seen` once `pending` is drained
};

}  // namespace

StdinSource DetachableInput(StdinSource input, std::string keys) {
  auto state = std::make_shared<DetachableState>(std::move(keys));
  StdinSource out;
  out.interrupt = input.interrupt;
  out.detached = [state] { return state->detached.load(); };
  out.read = [state, read = std::move(input.read)](char* buf, size_t n) -> Result<size_t> {
    while (state->pending.empty()) {
      if (state->seen) {
        state->detached = true;
        return size_t{0};
      }
      Result<size_t> got = read(buf, n);
      if (!got.ok() || *got == 0) return got;
      state->seen = state->scanner.Feed(std::string_view(buf, *got), &state->pending);
    }
    size_t take = std::min(n, state->pending.size());
    std::memcpy(buf, state->pending.data(), take);
    state->pending.erase(0, take);
    return take;
  };
  return out;
}

InputEnd CopyInput(const StdinSource& input, const std::string& detach_keys,
                   const std::function<Status(std::string_view)>& write) {
  DetachKeyScanner scanner(detach_keys);
  std::vector<char> buffer(64 * 1024);  // the size of a pipe: the fifo takes it in one write
  char* buf = buffer.data();
  std::string forward;
  while (true) {
    Result<size_t> n = input.read(buf, buffer.size());
    if (!n.ok() || *n == 0) return InputEnd::kEndOfInput;
    forward.clear();
    bool detached = scanner.Feed(std::string_view(buf, *n), &forward);
    if (!forward.empty() && !write(forward).ok()) return InputEnd::kWriteFailed;
    if (detached) return InputEnd::kDetached;
  }
}

}  // namespace berth::api
