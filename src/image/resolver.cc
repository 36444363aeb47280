// Docker's reference resolution (see resolver.h).
#include <algorithm>

#include "berth/image_service.h"
#include "berth/reference.h"
#include "image/resolver.h"


namespace berth::image {
namespace {

Status NoSuchImage(const Reference& parsed) {
  Reference r = parsed.has_name() ? TagNameOnly(parsed) : parsed;
  return NotFound("No such image: " + r.Familiar());
}

std::string_view StripAlgorithm(std::string_view s) {
  if (s.starts_with("sha256:")) s.remove_prefix(7);
  return s;
}

// Records named `name` (the input as a normalised name, since a name may
// look like an ID) or whose target starts with the ID prefix `ref`.
Result<std::vector<ImageRecord>> ListByShortId(Tx& tx, const std::string& ref, const std::string& name) {
  BERTH_ASSIGN_OR_RETURN(auto by_prefix, tx.ListImagesByTargetPrefix(StripAlgorithm(ref)));
  auto literal = tx.GetImage(name);
  if (literal.ok()) {
    bool present = false;
    for (const auto& r : by_prefix) present |= r.name == literal->name;
    if (!present) {
      by_prefix.push_back(*literal);
      std::sort(by_prefix.begin(), by_prefix.end(),
                [](const ImageRecord& a, const ImageRecord& b) { return a.name < b.name; });
    }
  }
  return by_prefix;
}

}  // namespace

std::string FamiliarName(const ImageRecord& r) {
  if (IsDangling(r)) return "";
  return FamiliarString(r.name);
}

Result<ImageRecord> ResolveIn(Tx& tx, const std::string& ref) {
  BERTH_ASSIGN_OR_RETURN(Reference parsed, ParseAnyReference(ref));
  if (parsed.has_digest()) {
    BERTH_ASSIGN_OR_RETURN(auto imgs, tx.ListImagesByTarget(*parsed.digest));
    for (const auto& img : imgs) {
      if (!parsed.has_name()) return img;
      // Only a record of the same repository qualifies.
      if (IsDangling(img)) continue;
      auto n = ParseNamed(img.name);
      if (n.ok() && n->Name() == parsed.Name()) return img;
    }
    return NoSuchImage(parsed);
  }
  const std::string name = TagNameOnly(parsed).String();
  auto img = tx.GetImage(name);
  if (img.ok()) return img;
  if (img.status().code() != Code::kNotFound) return img.status();
  if (!IsShortId(ref)) return NoSuchImage(parsed);
  BERTH_ASSIGN_OR_RETURN(auto imgs, ListByShortId(tx, ref, name));
  if (imgs.empty()) return NoSuchImage(parsed);
  for (const auto& i : imgs) {
    if (i.name == name) return i;  // an exact name wins
  }
  for (const auto& i : imgs) {
    if (i.target.digest != imgs.front().target.digest) return NotFound("ambiguous reference");
  }
  return imgs.front();
}

Result<Resolution> ResolveAllIn(Tx& tx, const std::string& ref) {
  BERTH_ASSIGN_OR_RETURN(Reference parsed, ParseAnyReference(ref));
  Resolution res;
  Digest target;
  if (IsShortId(ref) && parsed.has_digest()) {
    // A full ID: no record is named like a digest, so look for its records.
    target = *parsed.digest;
  } else if (IsShortId(ref)) {
    // An ID prefix, or a name that looks like one: both are looked up, and
    // records of two different images are ambiguous (even with an exact
    // name among them, as Docker's delete path has it).
    const std::string name = TagNameOnly(parsed).String();
    BERTH_ASSIGN_OR_RETURN(auto imgs, ListByShortId(tx, ref, name));
    if (imgs.empty()) return NoSuchImage(parsed);
    for (const auto& i : imgs) {
      if (i.name == name) res.named = i;
      if (!target.empty()) {
        if (i.target.digest != target) return NotFound("ambiguous reference");
      } else {
        target = i.target.digest;
      }
    }
    if (!res.named || imgs.size() > 1) {
      res.all = std::move(imgs);
      return res;
    }
  } else if (!parsed.has_name()) {
    target = *parsed.digest;
  } else {
    auto img = tx.GetImage(TagNameOnly(parsed).String());
    if (img.ok()) {
      target = img->target.digest;
      res.named = std::move(*img);
    } else if (img.status().code() != Code::kNotFound) {
      return img.status();
    } else if (parsed.has_digest()) {
      target = *parsed.digest;
    } else {
      return NoSuchImage(parsed);
    }
  }
  BERTH_ASSIGN_OR_RETURN(res.all, tx.ListImagesByTarget(target));
  if (res.all.empty()) return NoSuchImage(parsed);
  return res;
}

}  // namespace berth::image
