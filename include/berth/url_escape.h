// Go's net/url unescaping, as Docker's API and containerd's platform
// specifiers apply it. Pure functions, any thread.
#pragma once

#include <string>
#include <string_view>

#include "berth/status.h"

namespace berth {

// The value of one hexadecimal digit, either case; -1 for any other byte.
int HexDigitValue(char c);

// Go's url.QueryUnescape (plus_is_space: '+' decodes to ' ') or
// url.PathUnescape ('+' stays): "%XX" decodes to its byte. A '%' not
// followed by two hex digits is InvalidArgument with Go's text,
// `invalid URL escape "%zz"` (the '%' and up to two bytes after it, Go-quoted).
Result<std::string> UrlUnescape(std::string_view s, bool plus_is_space);

}  // namespace berth
