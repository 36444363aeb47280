#include "build/flags.h"

#include <algorithm>

#include "build/lines.h"

namespace berth::dockerfile::internal {
namespace {

size_t Levenshtein(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string WithSuggestion(std::string err, std::string_view value, const std::vector<std::string>& options,
                           bool case_sensitive) {
  std::string val = case_sensitive ? std::string(value) : AsciiLower(value);
  std::string match;
  size_t best = 3;
  for (const std::string& option : options) {
    std::string opt = case_sensitive ? option : AsciiLower(option);
    if (val == opt) return err;
    size_t d = Levenshtein(val, opt);
    if (d < best) {
      best = d;
      match = opt;
      if (!case_sensitive) {
        if (value == AsciiLower(value)) {
          match = AsciiLower(opt);
        } else if (value == AsciiUpper(value)) {
          match = AsciiUpper(opt);
        }  // mixed case: the option lower-cased, as buildkit's matchCase
      }
    }
  }
  if (match.empty()) return err;
  return err + " (did you mean " + match + "?)";
}

Status Flags::Parse() {
  for (const std::string& a : args_) {
    if (a == "--") return OkStatus();
    if (a.rfind("--", 0) != 0) return InvalidArgument("arg should start with -- : " + a);
    size_t eq = a.find('=');
    bool has_value = eq != std::string::npos;
    std::string flag_name = a.substr(0, eq);
    std::string value = has_value ? a.substr(eq + 1) : std::string();
    std::string name = flag_name.substr(2);
    auto def = defs_.find(name);
    if (def == defs_.end()) {
      std::vector<std::string> names;
      for (const auto& [n, type] : defs_) names.push_back(n);
      return InvalidArgument(WithSuggestion("unknown flag: " + flag_name, name, names, true));
    }
    if (values_.count(name) != 0 && def->second != Type::kStrings) {
      return InvalidArgument("duplicate flag specified: " + flag_name);
    }
    switch (def->second) {
      case Type::kBool: {
        if (has_value && value.empty()) return InvalidArgument("missing a value on flag: " + flag_name);
        std::string lower = AsciiLower(value);
        if (lower == "true" || lower.empty()) {
          values_[name] = {"true"};
        } else if (lower == "false") {
          values_[name] = {"false"};
        } else {
          return InvalidArgument("expecting boolean value for flag " + flag_name + ", not: " + value);
        }
        break;
      }
      case Type::kString:
        if (!has_value) return InvalidArgument("missing a value on flag: " + flag_name);
        values_[name] = {value};
        break;
      case Type::kStrings:
        if (!has_value) return InvalidArgument("missing a value on flag: " + flag_name);
        values_[name].push_back(value);
        break;
    }
  }
  return OkStatus();
}

bool Flags::Requested(const std::string& name) const {
  if (!Used(name)) return false;
  auto def = defs_.find(name);
  return def == defs_.end() || def->second != Type::kBool || Bool(name);
}

std::string Flags::String(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() || it->second.empty() ? std::string() : it->second.back();
}

std::vector<std::string> Flags::Strings(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>() : it->second;
}

}  // namespace berth::dockerfile::internal
