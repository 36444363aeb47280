// Docker image references (the distribution/reference grammar).
//
//   reference := name [ ":" tag ] [ "@" digest ]
//   name      := [domain "/"] path-component ["/" path-component]*
//
// Normalised names are fully qualified: "busybox" is
// "docker.io/library/busybox", and the familiar form drops "docker.io/" and
// "library/" again. Error messages are Docker's, to the letter, e.g.
//   invalid reference format
//   invalid reference format: repository name (library/UPPER) must be lowercase
//   repository name must have at least one component
//   repository name must not be more than 255 characters
//   invalid tag format / invalid digest format (via "invalid reference format")
// All errors are InvalidArgument.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "berth/digest.h"
#include "berth/status.h"

namespace berth {

inline constexpr std::string_view kDefaultDomain = "docker.io";
inline constexpr std::string_view kOfficialRepoPrefix = "library/";
inline constexpr std::string_view kDefaultTag = "latest";
// Docker's prefix for the record that keeps an untagged image alive.
inline constexpr std::string_view kDanglingPrefix = "moby-dangling@";

// A parsed reference. `domain` and `path` are empty for a digest-only
// reference (from ParseAnyReference of a bare digest or 64-hex ID).
struct Reference {
  std::string domain;  // "docker.io", "localhost:5000", ""
  std::string path;    // "library/busybox"
  std::string tag;     // "" when absent
  std::optional<Digest> digest;

  bool has_name() const { return !path.empty(); }
  bool has_tag() const { return !tag.empty(); }
  bool has_digest() const { return digest.has_value(); }

  // "domain/path" ("docker.io/library/busybox"), or "" for digest-only.
  std::string Name() const;
  // Full string: Name() [":" tag] ["@" digest]; digest-only gives the digest.
  std::string String() const;
  // Familiar form: "busybox:latest", "user/app@sha256:…", "localhost:5000/x:y";
  // digest-only gives the digest string.
  std::string Familiar() const;
  // Familiar name alone, without tag or digest ("busybox").
  std::string FamiliarName() const;

  bool operator==(const Reference&) const = default;
};

// Parses a user-supplied name and normalises it (adds docker.io, library/).
// Does not add a tag. A 64-hex string alone is refused with Docker's message
// "invalid repository name (<hex>), cannot specify 64-byte hexadecimal strings".
Result<Reference> ParseNormalizedNamed(std::string_view s);

// Parses an already-normalised name (e.g. an image record's name); refuses a
// non-canonical one (like "busybox") with InvalidArgument.
Result<Reference> ParseNamed(std::string_view s);

// Like ParseNormalizedNamed, but a bare 64-hex string or "sha256:<hex>"
// parses as a digest-only reference.
Result<Reference> ParseAnyReference(std::string_view s);

// Adds ":latest" when the reference has neither tag nor digest.
Reference TagNameOnly(Reference ref);

// True for 4..64 lowercase hex characters, optionally prefixed "sha256:"
// (Docker's truncated-ID check).
bool IsShortId(std::string_view s);

// True if the name is a dangling record's name "moby-dangling@sha256:…".
bool IsDanglingName(std::string_view name);
std::string DanglingName(const Digest& target);

// Familiar string of a stored, normalised record name; for unparsable names
// returns the name unchanged.
std::string FamiliarString(std::string_view normalized_name);

// Docker's glob match of `pattern` against a familiar reference, as used by
// the `reference` filter of image listing (path.Match semantics over the
// familiar name, with and without tag).
bool ReferenceMatches(std::string_view pattern, const Reference& ref);

// --- Additions beyond the original contract ---------------------------------

// Go's reference.Parse: the grammar alone, without normalisation ("busybox"
// keeps an empty domain; "foo/bar" gets domain "foo"). "" gives
// "repository name must have at least one component"; a name that would match
// once lower-cased gives "repository name must be lowercase".
Result<Reference> ParseReference(std::string_view s);

// True if `tag` matches [\w][\w.-]{0,127}.
bool IsValidTag(std::string_view tag);

// Returns `ref` with its tag replaced by `tag` (digest kept); an invalid tag
// gives InvalidArgument "invalid tag format".
Result<Reference> WithTag(Reference ref, std::string_view tag);

// Go's path.Match: `*` any run of non-'/' characters, `?` one non-'/'
// character, `[...]`/`[^...]` classes with ranges, `\` escapes. The whole of
// `name` must match. A malformed pattern gives InvalidArgument
// "syntax error in pattern".
Result<bool> PathMatch(std::string_view pattern, std::string_view name);

}  // namespace berth
