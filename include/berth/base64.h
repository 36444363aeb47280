// Base64 (RFC 4648) for the few places Docker's protocol carries it: the
// X-Registry-Auth and X-Registry-Config headers, the path-stat header of the
// archive routes, registry Basic credentials, and the log's "raw" bytes.
// Pure functions, any thread.
#pragma once

#include <string>
#include <string_view>

#include "berth/status.h"

namespace berth {

// The standard alphabet, padded with '='.
std::string Base64Encode(std::string_view bytes);
// Appends Base64Encode(bytes) to *out.
void AppendBase64(std::string* out, std::string_view bytes);

// Decodes the standard or the URL-safe alphabet ('-' '_' for '+' '/'),
// padded or not, as Docker's clients send either. Anything else (a stray
// byte, '=' before the end, a lone final character) is InvalidArgument
// "illegal base64 data".
Result<std::string> Base64Decode(std::string_view text);

}  // namespace berth
