// Instruction flags (`--from=x`, `--link`) with buildkit's BFlags rules and
// error texts, and the "(did you mean X?)" suggestions buildkit appends.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "berth/status.h"

namespace berth::dockerfile::internal {

class Flags {
 public:
  explicit Flags(std::vector<std::string> args) : args_(std::move(args)) {}

  // Declares a flag before Parse.
  void AddBool(const std::string& name) { defs_[name] = Type::kBool; }
  void AddString(const std::string& name) { defs_[name] = Type::kString; }
  void AddStrings(const std::string& name) { defs_[name] = Type::kStrings; }

  // Reads the arguments. Errors (InvalidArgument), buildkit's texts:
  //   unknown flag: --bogus [(did you mean from?)]
  //   duplicate flag specified: --from
  //   missing a value on flag: --from
  //   expecting boolean value for flag --link, not: maybe
  //   arg should start with -- : x
  Status Parse();

  bool Used(const std::string& name) const { return values_.count(name) != 0; }
  // Given, and for a boolean flag true (`--link=false` asks for nothing).
  bool Requested(const std::string& name) const;
  // A string flag's value ("" when not given), a bool flag's truth, a
  // repeated flag's values.
  std::string String(const std::string& name) const;
  bool Bool(const std::string& name) const { return String(name) == "true"; }
  std::vector<std::string> Strings(const std::string& name) const;

 private:
  enum class Type { kBool, kString, kStrings };
  std::vector<std::string> args_;
  std::map<std::string, Type> defs_;
  std::map<std::string, std::vector<std::string>> values_;
};

// `err` + " (did you mean <option>?)" when an option is within Levenshtein
// distance 2 of `value` (buildkit's suggest.WrapError; options scanned in
// the order given, the first closest wins).
std::string WithSuggestion(std::string err, std::string_view value, const std::vector<std::string>& options,
                           bool case_sensitive);

}  // namespace berth::dockerfile::internal
