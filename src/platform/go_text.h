// Text helpers that reproduce the exact output of a few Go standard-library
// routines, so that platform error messages and JSON match what Docker and
// containerd produce byte for byte.
//
// Internal to the platform module; not part of the public API.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace berth {
namespace platform_internal {

// (Go's strconv.Quote is berth/go_strconv.h's GoQuote.)

// The message of the *SyntaxError Go's encoding/json reports for `text`
// (its checkValid scan), e.g. "unexpected end of JSON input" or
// "invalid character 'l' looking for beginning of value"; nullopt when the
// text is one syntactically valid JSON value.
std::optional<std::string> GoJsonSyntaxError(std::string_view text);

// Replaces each byte that does not start a valid UTF-8 sequence with U+FFFD,
// as Go does when it decodes a JSON string.
std::string GoCoerceUtf8(std::string_view s);

// (Go's url.PathUnescape is berth/url_escape.h's UrlUnescape.)

}  // namespace platform_internal
}  // namespace berth
