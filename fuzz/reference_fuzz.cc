// Fuzz target: the reference grammar (include/berth/reference.h).
// Input: "<reference text>\x01<tag>\x01<glob pattern>". Invariants: every
// parser's result, printed again, parses to the same value (normalised,
// canonical, familiar and "any" forms); errors are InvalidArgument; WithTag
// accepts exactly the tags IsValidTag accepts; PathMatch on a pattern without
// metacharacters is plain equality.
#include <string>

#include "berth/reference.h"
#include "fuzz_util.h"

namespace {

using berth::Code;
using berth::Reference;

void CheckError(const berth::Status& s) { FUZZ_CHECK_MSG(s.code() == Code::kInvalidArgument, s.message()); }

void CheckNormalized(const Reference& r) {
  std::string full = r.String();
  auto again = berth::ParseNormalizedNamed(full);
  FUZZ_CHECK_MSG(again.ok() && *again == r, full);
  auto canonical = berth::ParseNamed(full);
  FUZZ_CHECK_MSG(canonical.ok() && *canonical == r, full);
  std::string familiar = r.Familiar();
  auto from_familiar = berth::ParseNormalizedNamed(familiar);
  // As in Docker, "docker.io/a.b/c" prints as "a.b/c", which reads back
  // with domain "a.b": the familiar form round-trips unless its first
  // component looks like a domain.
  std::string first = familiar.substr(0, familiar.find('/'));
  bool looks_like_domain = familiar.find('/') != std::string::npos &&
                           (first.find_first_of(".:") != std::string::npos || first == "localhost");
  // A familiar form of 64 hex digits alone is refused as an image ID.
  if (!(r.domain == berth::kDefaultDomain && looks_like_domain) && !berth::IsSha256Hex(familiar)) {
    FUZZ_CHECK_MSG(from_familiar.ok() && *from_familiar == r, familiar);
  }
  FUZZ_CHECK_MSG(berth::FamiliarString(full) == familiar, full);
  FUZZ_CHECK(r.domain == r.Name().substr(0, r.domain.size()));
  berth::Reference tagged = berth::TagNameOnly(r);
  FUZZ_CHECK(tagged.has_tag() || tagged.has_digest());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  berth::fuzz::Parts parts(data, size);
  std::string text(parts.Next());
  std::string tag(parts.Next());
  std::string pattern(parts.Next());

  auto normalized = berth::ParseNormalizedNamed(text);
  if (normalized.ok()) {
    CheckNormalized(*normalized);
    auto with_tag = berth::WithTag(*normalized, tag);
    FUZZ_CHECK_MSG(with_tag.ok() == berth::IsValidTag(tag), tag);
    if (with_tag.ok()) {
      FUZZ_CHECK(with_tag->tag == tag && with_tag->digest == normalized->digest);
      CheckNormalized(*with_tag);
    }
    (void)berth::ReferenceMatches(pattern, *normalized);
  } else {
    CheckError(normalized.status());
  }

  auto plain = berth::ParseReference(text);
  if (plain.ok()) {
    auto again = berth::ParseReference(plain->String());
    FUZZ_CHECK_MSG(again.ok() && *again == *plain, plain->String());
  } else {
    CheckError(plain.status());
  }

  auto any = berth::ParseAnyReference(text);
  if (any.ok()) {
    auto again = berth::ParseAnyReference(any->String());
    FUZZ_CHECK_MSG(again.ok() && *again == *any, any->String());
    if (normalized.ok() && any->has_name()) FUZZ_CHECK(*any == *normalized);
  } else {
    CheckError(any.status());
  }

  (void)berth::IsShortId(text);
  if (berth::IsDanglingName(text)) FUZZ_CHECK(berth::FamiliarString(text).size() > 0);

  auto matched = berth::PathMatch(pattern, text);
  if (matched.ok()) {
    if (pattern.find_first_of("*?[\\") == std::string::npos) FUZZ_CHECK(*matched == (pattern == text));
  } else {
    CheckError(matched.status());
  }
  return 0;
}
