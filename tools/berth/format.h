// Output helpers for the `berth` CLI that reproduce what the docker CLI
// prints: go-units sizes and durations, Go's text/tabwriter layout, Go's JSON
// string escaping and json.Indent, Go's time formats, docker's --format
// templates (the subset the CLI needs). Time filters: berth/time.h.
// Pure functions; tested through the binary (tests/cli).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/status.h"

namespace berth::cli {

// go-units HumanDuration: "Less than a second", "1 second", "About a minute",
// "3 hours", "2 weeks", "2 years", ... for a duration in nanoseconds.
std::string HumanDuration(int64_t nanos);
// go-units HumanSizeWithPrecision: decimal units ("7.8MB", "1.23kB", "0B").
std::string HumanSizeWithPrecision(double size, int precision);
// go-units HumanSize (precision 4).
inline std::string HumanSize(double size) { return HumanSizeWithPrecision(size, 4); }

// docker's stringid.TruncateID: drops "algo:" and keeps 12 characters.
std::string TruncateId(std::string_view id);
// docker's formatter.Ellipsis for display widths counted in runes: keeps
// `max_width - 1` runes and appends "…" when `s` is longer.
std::string Ellipsis(std::string_view s, int max_width);
// Number of UTF-8 code points (what Go's tabwriter measures).
size_t RuneCount(std::string_view s);

// Go's text/tabwriter as docker configures it (minwidth 10, tabwidth 1,
// padding 3, pad ' ', no flags) applied to `text`: cells are terminated by
// '\t', lines by '\n'; every tab-terminated cell of a column block is padded
// to max(minwidth, widest cell + padding); the last cell of a line is copied
// as is.
std::string TabWrite(std::string_view text, int minwidth = 10, int padding = 3);

// A JSON string literal as Go's encoding/json writes it; `escape_html`
// escapes <, > and & as \u003c, \u003e, \u0026 (json.Marshal's default).
std::string JsonString(std::string_view s, bool escape_html);
// Go's json.Indent(dst, src, "", indent) of compact JSON text.
std::string JsonIndent(std::string_view compact, std::string_view indent);

// time.Unix(sec, 0).String() in the local zone: "2006-01-02 15:04:05 -0700 MST".
std::string GoTimeString(int64_t unix_seconds);
// time.Unix(sec, 0).Format(time.RFC3339) in the local zone.
std::string GoRfc3339(int64_t unix_seconds);

// docker's --format: "table", "json", "" or a Go-template-like string in
// which {{.Field}}, {{ .Field }}, {{json .}} and {{json .Field}} are
// expanded; a leading "table" adds a header row and tabwriter alignment;
// the escapes \t and \n are honoured.
class RowFormat {
 public:
  // `fields` maps a field name to its header text, in JSON key order
  // (sorted, as Go marshals a map).
  RowFormat(std::string format, std::map<std::string, std::string> headers);

  bool is_table() const { return table_; }
  // Validates the template; errors name the offending action.
  Status Parse();
  // Renders one row; `get` returns a field's value.
  Result<std::string> Row(const std::function<std::string(const std::string&)>& get) const;
  // Renders every row (and the header for a table) into the final text.
  Result<std::string> Render(const std::vector<std::function<std::string(const std::string&)>>& rows) const;

 private:
  struct Piece {
    enum Kind { kText, kField, kJsonAll, kJsonField } kind;
    std::string text;  // literal text or field name
  };
  std::string format_;
  bool table_ = false;
  std::map<std::string, std::string> headers_;
  std::vector<Piece> pieces_;
};

}  // namespace berth::cli
