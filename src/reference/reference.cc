// Docker image references: a hand-written recogniser for the grammar of the
// distribution/reference package, plus Docker's normalisation rules.
//
// The grammar (reference := name [":" tag] ["@" digest]) is recognised
// without regular expressions. Where the Go regular expression is ambiguous
// the results here equal Go's leftmost-first submatches: a name's first
// component is taken as the domain whenever it is a valid domain[:port] and
// the rest is a valid path ("foo/bar" parses with domain "foo").

#include "berth/reference.h"

#include <string>
#include <utility>

#include "reference/utf8.h"

namespace berth {

namespace {

using reference_internal::DecodeRune;
using reference_internal::kRuneError;

constexpr size_t kRepositoryNameMaxLength = 255;
constexpr size_t kTagMaxLength = 128;
constexpr std::string_view kLegacyDefaultDomain = "index.docker.io";
constexpr std::string_view kLocalhost = "localhost";
constexpr std::string_view kSha256Prefix = "sha256:";

// Docker's error texts.
constexpr char kErrInvalidFormat[] = "invalid reference format";
constexpr char kErrTagInvalidFormat[] = "invalid tag format";
constexpr char kErrNameContainsUppercase[] = "repository name must be lowercase";
constexpr char kErrNameEmpty[] = "repository name must have at least one component";
constexpr char kErrNameTooLong[] = "repository name must not be more than 255 characters";
constexpr char kErrNameNotCanonical[] = "repository name must be canonical";
// go-digest's error texts.
constexpr char kErrDigestFormat[] = "invalid checksum digest format";
constexpr char kErrDigestLength[] = "invalid checksum digest length";
constexpr char kErrDigestUnsupported[] = "unsupported digest algorithm";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLowerAlpha(char c) { return c >= 'a' && c <= 'z'; }
bool IsUpperAlpha(char c) { return c >= 'A' && c <= 'Z'; }
bool IsAlpha(char c) { return IsLowerAlpha(c) || IsUpperAlpha(c); }
bool IsLowerAlnum(char c) { return IsLowerAlpha(c) || IsDigit(c); }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
bool IsWordChar(char c) { return IsAlnum(c) || c == '_'; }
bool IsHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsLowerHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); }

// path-component := [a-z0-9]+ ( separator [a-z0-9]+ )*
// separator      := "." | "_" | "__" | "-"+
bool IsPathComponent(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  for (;;) {
    size_t run = i;
    while (i < n && IsLowerAlnum(s[i])) ++i;
    if (i == run) return false;  // an alphanumeric run is required here
    if (i == n) return true;
    if (s[i] == '.') {
      ++i;
    } else if (s[i] == '_') {
      ++i;
      if (i < n && s[i] == '_') ++i;
    } else if (s[i] == '-') {
      while (i < n && s[i] == '-') ++i;
    } else {
      return false;
    }
  }
}

// remote-name := path-component ( "/" path-component )*
bool IsRemoteName(std::string_view s) {
  for (;;) {
    size_t slash = s.find('/');
    if (!IsPathComponent(s.substr(0, slash))) return false;
    if (slash == std::string_view::npos) return true;
    s.remove_prefix(slash + 1);
  }
}

// domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool IsDomainComponent(std::string_view s) {
  if (s.empty() || s.front() == '-' || s.back() == '-') return false;
  for (char c : s) {
    if (!IsAlnum(c) && c != '-') return false;
  }
  return true;
}

// domain-name := domain-component ( "." domain-component )*
bool IsDomainName(std::string_view s) {
  for (;;) {
    size_t dot = s.find('.');
    if (!IsDomainComponent(s.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    s.remove_prefix(dot + 1);
  }
}

// domain := ( domain-name | "[" [a-fA-F0-9:]+ "]" ) [ ":" [0-9]+ ]
bool IsDomainAndPort(std::string_view s) {
  std::string_view port;
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    for (char c : s.substr(1, close - 1)) {
      if (!IsHexDigit(c) && c != ':') return false;
    }
    port = s.substr(close + 1);
  } else {
    size_t colon = s.find(':');
    if (!IsDomainName(s.substr(0, colon))) return false;
    if (colon != std::string_view::npos) port = s.substr(colon);
  }
  if (port.empty()) return true;
  if (port.front() != ':' || port.size() < 2) return false;
  for (char c : port.substr(1)) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

// digest := algorithm ":" hex{32,}; algorithm := comp ( [-_+.] comp )*,
// comp := [A-Za-z][A-Za-z0-9]*. This is the reference grammar's digest, which
// is looser than what go-digest then accepts.
bool IsDigestGrammar(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view alg = s.substr(0, colon);
  std::string_view hex = s.substr(colon + 1);
  bool need_alpha = true;  // at the start of each algorithm component
  for (char c : alg) {
    if (need_alpha) {
      if (!IsAlpha(c)) return false;
      need_alpha = false;
    } else if (c == '-' || c == '_' || c == '+' || c == '.') {
      need_alpha = true;
    } else if (!IsAlnum(c)) {
      return false;
    }
  }
  if (need_alpha) return false;  // empty algorithm or trailing separator
  if (hex.size() < 32) return false;
  for (char c : hex) {
    if (!IsHexDigit(c)) return false;
  }
  return true;
}

// The pieces of a string matching the reference grammar.
struct Parts {
  std::string_view domain;
  std::string_view path;
  std::string_view tag;
  std::string_view digest;
};

// name := [ domain "/" ] remote-name, preferring a domain when one fits.
bool SplitName(std::string_view name, Parts* parts) {
  size_t slash = name.find('/');
  if (slash != std::string_view::npos && IsDomainAndPort(name.substr(0, slash)) &&
      IsRemoteName(name.substr(slash + 1))) {
    parts->domain = name.substr(0, slash);
    parts->path = name.substr(slash + 1);
    return true;
  }
  if (IsRemoteName(name)) {
    parts->domain = {};
    parts->path = name;
    return true;
  }
  return false;
}

// True if `s` matches name [":" tag] ["@" digest]; fills `parts`.
bool MatchGrammar(std::string_view s, Parts* parts) {
  *parts = Parts();
  std::string_view rest = s;
  size_t at = s.find('@');
  if (at != std::string_view::npos) {
    parts->digest = s.substr(at + 1);
    if (!IsDigestGrammar(parts->digest)) return false;
    rest = s.substr(0, at);
  }
  // A tag contains neither ':' nor '/', and a ':' inside the name can only
  // belong to the domain's port, which a '/' follows. So the last ':' after
  // the last '/' (if any) introduces the tag.
  size_t colon = rest.rfind(':');
  size_t slash = rest.rfind('/');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    parts->tag = rest.substr(colon + 1);
    if (!IsValidTag(parts->tag)) return false;
    rest = rest.substr(0, colon);
  }
  return SplitName(rest, parts);
}

// Lower-cases like Go's strings.ToLower as far as the outcome matters for
// matching the (ASCII-only) grammar: ASCII letters, plus the two non-ASCII
// runes whose lower case is ASCII (KELVIN SIGN -> 'k', I WITH DOT -> 'i').
std::string LowerForGrammar(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (static_cast<unsigned char>(c) < 0x80) {
      out += IsUpperAlpha(c) ? static_cast<char>(c - 'A' + 'a') : c;
      ++i;
      continue;
    }
    auto [rune, size] = DecodeRune(s.substr(i));
    if (rune == 0x212A) {
      out += 'k';
    } else if (rune == 0x0130) {
      out += 'i';
    } else {
      out.append(s.substr(i, size));
    }
    i += size;
  }
  return out;
}

// True if the rune has a distinct lower-case form. Covers ASCII and the
// common cased blocks (Latin-1, Latin Extended-A, Greek, Cyrillic, Armenian,
// Latin Extended Additional, fullwidth, letterlike symbols); rarer scripts
// are treated as caseless.
bool RuneHasLowerCase(char32_t r) {
  if (r < 0x80) return r >= 'A' && r <= 'Z';
  if (r >= 0xC0 && r <= 0xDE) return r != 0xD7;
  if (r >= 0x100 && r <= 0x137) return r % 2 == 0;
  if (r >= 0x139 && r <= 0x148) return r % 2 == 1;
  if (r >= 0x14A && r <= 0x177) return r % 2 == 0;
  if (r == 0x178 || r == 0x179 || r == 0x17B || r == 0x17D) return true;
  if (r == 0x386 || (r >= 0x388 && r <= 0x38A) || r == 0x38C || r == 0x38E || r == 0x38F) return true;
  if (r >= 0x391 && r <= 0x3AB) return r != 0x3A2;
  if (r >= 0x400 && r <= 0x42F) return true;
  if ((r >= 0x460 && r <= 0x481) || (r >= 0x48A && r <= 0x4BF)) return r % 2 == 0;
  if (r >= 0x531 && r <= 0x556) return true;
  if ((r >= 0x1E00 && r <= 0x1E95) || (r >= 0x1EA0 && r <= 0x1EFF)) return r % 2 == 0;
  if (r == 0x2126 || r == 0x212A || r == 0x212B) return true;
  if (r >= 0x2160 && r <= 0x216F) return true;
  if (r >= 0x24B6 && r <= 0x24CF) return true;
  if (r >= 0xFF21 && r <= 0xFF3A) return true;
  if (r >= 0x10400 && r <= 0x10427) return true;
  return false;
}

// True if Go's strings.ToLower(s) != s. Invalid UTF-8 counts as a change,
// since Go replaces each invalid byte with U+FFFD.
bool GoLowerChanges(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (IsUpperAlpha(static_cast<char>(c))) return true;
      ++i;
      continue;
    }
    auto [rune, size] = DecodeRune(s.substr(i));
    if (rune == kRuneError && size == 1) return true;
    if (RuneHasLowerCase(rune)) return true;
    i += size;
  }
  return false;
}

// Parses the digest part of a reference as go-digest does (with sha256 as
// the only available algorithm), using its error texts.
Result<Digest> ParseReferenceDigest(std::string_view s) {
  size_t colon = s.find(':');
  std::string_view alg = s.substr(0, colon);
  std::string_view hex = s.substr(colon + 1);
  if (alg != "sha256") {
    // go-digest's own algorithm grammar is lower case only.
    for (char c : alg) {
      if (IsUpperAlpha(c)) return InvalidArgument(kErrDigestFormat);
    }
    return InvalidArgument(kErrDigestUnsupported);
  }
  if (hex.size() != 64) return InvalidArgument(kErrDigestLength);
  for (char c : hex) {
    if (!IsLowerHexDigit(c)) return InvalidArgument(kErrDigestFormat);
  }
  return Digest::Parse(s);
}

// Docker's splitDockerDomain: picks the domain of a user-supplied name and
// returns {domain, remainder} (remainder may still carry tag and digest).
std::pair<std::string, std::string> SplitDockerDomain(std::string_view name) {
  size_t slash = name.find('/');
  if (slash == std::string_view::npos) {
    return {std::string(kDefaultDomain), std::string(kOfficialRepoPrefix) + std::string(name)};
  }
  std::string_view maybe_domain = name.substr(0, slash);
  std::string_view maybe_remote = name.substr(slash + 1);
  std::string domain;
  std::string remote;
  if (maybe_domain == kLegacyDefaultDomain) {
    domain = kDefaultDomain;
    remote = maybe_remote;
  } else if (maybe_domain == kLocalhost ||
             maybe_domain.find_first_of(".:") != std::string_view::npos ||
             GoLowerChanges(maybe_domain)) {
    // "localhost", anything with '.' or ':' (a host name, IP or port), and
    // anything with upper case (not allowed in a path) is a domain.
    domain = maybe_domain;
    remote = maybe_remote;
  } else {
    domain = kDefaultDomain;
    remote = name;
  }
  if (domain == kDefaultDomain && remote.find('/') == std::string::npos) {
    remote.insert(0, kOfficialRepoPrefix);
  }
  return {std::move(domain), std::move(remote)};
}

}  // namespace

// ---------------------------------------------------------------------------
// Reference

std::string Reference::Name() const {
  if (path.empty()) return std::string();
  if (domain.empty()) return path;
  return domain + "/" + path;
}

std::string Reference::String() const {
  if (path.empty()) return digest ? digest->str() : std::string();
  std::string s = Name();
  if (!tag.empty()) s += ":" + tag;
  if (digest) s += "@" + digest->str();
  return s;
}

std::string Reference::FamiliarName() const {
  if (path.empty()) return std::string();
  if (domain != kDefaultDomain) return Name();
  std::string_view p = path;
  if (p.starts_with(kOfficialRepoPrefix)) {
    std::string_view rest = p.substr(kOfficialRepoPrefix.size());
    if (rest.find('/') == std::string_view::npos) p = rest;
  }
  return std::string(p);
}

std::string Reference::Familiar() const {
  if (path.empty()) return digest ? digest->str() : std::string();
  std::string s = FamiliarName();
  if (!tag.empty()) s += ":" + tag;
  if (digest) s += "@" + digest->str();
  return s;
}

// ---------------------------------------------------------------------------
// Parsing

bool IsValidTag(std::string_view tag) {
  if (tag.empty() || tag.size() > kTagMaxLength || !IsWordChar(tag.front())) return false;
  for (char c : tag.substr(1)) {
    if (!IsWordChar(c) && c != '.' && c != '-') return false;
  }
  return true;
}

Result<Reference> ParseReference(std::string_view s) {
  if (s.empty()) return InvalidArgument(kErrNameEmpty);
  Parts parts;
  if (!MatchGrammar(s, &parts)) {
    std::string lower = LowerForGrammar(s);
    Parts ignored;
    if (lower != s && MatchGrammar(lower, &ignored)) {
      return InvalidArgument(kErrNameContainsUppercase);
    }
    return InvalidArgument(kErrInvalidFormat);
  }
  if (parts.path.size() > kRepositoryNameMaxLength) return InvalidArgument(kErrNameTooLong);
  Reference ref;
  ref.domain = parts.domain;
  ref.path = parts.path;
  ref.tag = parts.tag;
  if (!parts.digest.empty()) {
    BERTH_ASSIGN_OR_RETURN(ref.digest, ParseReferenceDigest(parts.digest));
  }
  return ref;
}

Result<Reference> ParseNormalizedNamed(std::string_view s) {
  if (IsSha256Hex(s)) {
    return InvalidArgument("invalid repository name (" + std::string(s) +
                           "), cannot specify 64-byte hexadecimal strings");
  }
  auto [domain, remainder] = SplitDockerDomain(s);
  std::string_view remote = remainder;
  remote = remote.substr(0, remote.find(':'));
  if (GoLowerChanges(remote)) {
    return InvalidArgument(std::string(kErrInvalidFormat) + ": repository name (" +
                           std::string(remote) + ") must be lowercase");
  }
  BERTH_ASSIGN_OR_RETURN(Reference ref, ParseReference(domain + "/" + remainder));
  if (!ref.has_name()) {
    return InvalidArgument("reference " + ref.String() + " has no name");
  }
  return ref;
}

Result<Reference> ParseNamed(std::string_view s) {
  BERTH_ASSIGN_OR_RETURN(Reference ref, ParseNormalizedNamed(s));
  if (ref.String() != s) return InvalidArgument(kErrNameNotCanonical);
  return ref;
}

Result<Reference> ParseAnyReference(std::string_view s) {
  if (IsSha256Hex(s)) {
    BERTH_ASSIGN_OR_RETURN(Digest d, Digest::FromHex(s));
    Reference ref;
    ref.digest = std::move(d);
    return ref;
  }
  if (Result<Digest> d = Digest::Parse(s); d.ok()) {
    Reference ref;
    ref.digest = std::move(d).value();
    return ref;
  }
  return ParseNormalizedNamed(s);
}

Reference TagNameOnly(Reference ref) {
  if (ref.has_name() && !ref.has_tag() && !ref.has_digest()) ref.tag = kDefaultTag;
  return ref;
}

Result<Reference> WithTag(Reference ref, std::string_view tag) {
  if (!IsValidTag(tag)) return InvalidArgument(kErrTagInvalidFormat);
  if (!ref.has_name()) return InvalidArgument(kErrInvalidFormat);
  ref.tag = tag;
  return ref;
}

// ---------------------------------------------------------------------------
// IDs, dangling records, familiar strings, matching

bool IsShortId(std::string_view s) {
  if (s.starts_with(kSha256Prefix)) s.remove_prefix(kSha256Prefix.size());
  if (s.size() < 4 || s.size() > 64) return false;
  for (char c : s) {
    if (!IsLowerHexDigit(c)) return false;
  }
  return true;
}

bool IsDanglingName(std::string_view name) { return name.starts_with(kDanglingPrefix); }

std::string DanglingName(const Digest& target) {
  return std::string(kDanglingPrefix) + target.str();
}

std::string FamiliarString(std::string_view normalized_name) {
  Result<Reference> ref = ParseNormalizedNamed(normalized_name);
  if (!ref.ok()) return std::string(normalized_name);
  return ref->Familiar();
}

bool ReferenceMatches(std::string_view pattern, const Reference& ref) {
  Result<bool> full = PathMatch(pattern, ref.Familiar());
  if (!full.ok()) return false;
  if (*full) return true;
  if (!ref.has_name()) return false;
  Result<bool> name_only = PathMatch(pattern, ref.FamiliarName());
  return name_only.ok() && *name_only;
}

}  // namespace berth
