// Image removal: Docker's ImageDelete semantics (containerd image store,
// Docker 28.2) to the letter, except platform removal, where berth differs on
// purpose (see RemovePlatforms).
//
// Everything one Remove() changes happens in one metadata transaction
// (UpdateAndCollect); the events are published after it commits and the
// blobs that lost their last reference are deleted by the reaper. The
// contract is stated on ImageService::Remove (include/berth/image_service.h).
//
// Conflicts:
//   hard  a running container created from the image (never overridable on
//         the full-delete path)
//   soft  a stopped container; more than one record for the target ("active
//         reference"); overridden by force
#include <algorithm>
#include <chrono>

#include "berth/json_text.h"

#include "berth/reference.h"
#include "image/removal.h"
#include "image/resolver.h"

namespace berth::image {
namespace {

enum ConflictMask : unsigned {
  kRunningContainer = 1u << 0,
  kActiveReference = 1u << 1,
  kStoppedContainer = 1u << 2,
  kHard = kRunningContainer,
  kSoft = kActiveReference | kStoppedContainer,
};

std::string Trunc(const std::string& id) {
  std::string_view s = id;
  if (auto colon = s.find(':'); colon != std::string_view::npos) s.remove_prefix(colon + 1);
  return std::string(s.substr(0, 12));
}

Status DeleteConflict(const std::string& ref, bool hard, const std::string& message) {
  return Conflict("conflict: unable to delete " + ref + (hard ? " (cannot be forced) - " : " (must be forced) - ") +
                  message);
}

// Docker's isImageIDPrefix.
bool IsImageIdPrefix(const std::string& image_id, std::string_view prefix) {
  if (std::string_view(image_id).starts_with(prefix)) return true;
  auto colon = image_id.find(':');
  return colon != std::string::npos && std::string_view(image_id).substr(colon + 1).starts_with(prefix);
}

// Docker's getSameReferences: the records that are "the same reference" as
// `named` (or, when null, as the first named record).
std::vector<ImageRecord> SameReferences(std::optional<Reference> named, const std::vector<ImageRecord>& imgs) {
  std::string tag;
  bool all_tags = false;
  std::vector<ImageRecord> same;
  std::optional<std::vector<ImageRecord>> digest_refs(std::in_place);
  if (named) {
    if (named->has_tag()) {
      tag = named->tag;
    } else if (named->has_digest()) {
      all_tags = true;  // a digest matches every tag of the repository
    }
  }
  for (const auto& rec : imgs) {
    if (!IsDangling(rec)) {
      auto repo = ParseNamed(rec.name);
      if (repo.ok()) {
        if (!named) {
          named = *repo;
          if (repo->has_tag()) tag = repo->tag;
        } else if (named->Name() != repo->Name()) {
          continue;
        } else if (!all_tags) {
          if (repo->has_tag()) {
            if (tag.empty()) {
              tag = repo->tag;
            } else if (tag != repo->tag) {
              digest_refs.reset();  // another tag of the repository: no digest names
              continue;
            }
          } else {
            if (digest_refs) digest_refs->push_back(rec);
            continue;
          }
        }
      }
      // Unparsable names are kept, as Docker does.
    }
    same.push_back(rec);
  }
  if (digest_refs) same.insert(same.end(), digest_refs->begin(), digest_refs->end());
  return same;
}

}  // namespace

// One removal, inside its transaction.
class RemoveRun {
 public:
  RemoveRun(Removal* removal, Tx& tx, AfterCommit& after, const RemoveOptions& opts,
            std::vector<DeleteResponseItem>& records)
      : removal_(removal), tx_(tx), after_(after), opts_(opts), records_(records) {}

  Status Run(const std::string& ref) {
    unsigned mask = opts_.force ? 0u : static_cast<unsigned>(kSoft);
    BERTH_ASSIGN_OR_RETURN(Resolution res, ResolveAllIn(tx_, ref));
    if (!opts_.platforms.empty()) return RemovePlatforms(ref, res);
    const std::vector<ImageRecord>& all = res.all;
    Digest id;
    if (!res.named) {
      // By ID, ID prefix, name@digest, or an explicit dangling name.
      id = all.front().target.digest;
      BERTH_ASSIGN_OR_RETURN(std::optional<Reference> named, NameGivenFor(ref, all));
      auto same = SameReferences(named, all);
      if (same.size() == all.size() && !opts_.force) mask &= ~static_cast<unsigned>(kActiveReference);
      if (named && !same.empty() && same.size() != all.size()) return UntagReferences(same);
    } else {
      const ImageRecord& img = *res.named;
      id = img.target.digest;
      if (GivenAsId(ref, img)) return DeleteAll(id, all, mask);
      BERTH_ASSIGN_OR_RETURN(Reference parsed, ParseNormalizedNamed(img.name));
      auto same = SameReferences(parsed, all);
      if (same.size() != all.size()) return UntagReferences(same);
      if (all.size() > 1 && !opts_.force) mask &= ~static_cast<unsigned>(kActiveReference);

      BERTH_ASSIGN_OR_RETURN(auto users, container_table::UsingImage(tx_, id));
      const ContainerRecord* user = nullptr;
      for (const auto& c : users) {
        if (UsesImage(c, id)) {
          user = &c;
          break;
        }
      }
      if (user) {
        std::string familiar = parsed.Familiar();
        if (!opts_.force) {
          // Removing the name would leave the image dangling under a
          // container: the user must say so.
          return DeleteConflict(familiar, false,
                                "container " + Trunc(user->id) + " is using its referenced image " + Trunc(id.str()));
        }
        // Soft delete: untag only; the image stays as a dangling record.
        if (all.size() == 1) BERTH_RETURN_IF_ERROR(removal_->records_->EnsureDangling(tx_, img));
        BERTH_RETURN_IF_ERROR(removal_->records_->DeleteRecord(tx_, img.name));
        after_.events.push_back(ImageEvent(removal_->env_, "untag", id.str(), familiar));
        records_.push_back(DeleteResponseItem::Untagged(familiar));
        return OkStatus();
      }
    }
    return DeleteAll(id, all, mask);
  }

 private:
  // The input names the image by its ID (or ID prefix), or is the explicit
  // dangling name of a dangling record: Docker goes straight to deletion.
  static bool GivenAsId(const std::string& ref, const ImageRecord& img) {
    bool explicit_dangling = std::string_view(ref).starts_with(kDanglingPrefix) && IsDangling(img);
    return IsImageIdPrefix(img.target.digest.str(), ref) || explicit_dangling;
  }

  // When no record has the given name (an ID, ID prefix or name@digest):
  // the name the input carries, if it is not an ID prefix. A name whose
  // repository names none of the image's records is "No such image".
  static Result<std::optional<Reference>> NameGivenFor(const std::string& ref, const std::vector<ImageRecord>& all) {
    std::optional<Reference> named;
    if (!IsImageIdPrefix(all.front().target.digest.str(), ref)) {
      auto nn = ParseNormalizedNamed(ref);
      if (nn.ok()) named = *nn;
    }
    if (named && SameReferences(named, all).empty()) {
      return NotFound("No such image: " + (named->has_name() ? TagNameOnly(*named) : *named).Familiar());
    }
    return named;
  }

  // Docker's "using" check on the by-name path: created from the image, or
  // mounting it.
  static bool UsesImage(const ContainerRecord& c, const Digest& id) {
    if (c.image_id == id) return true;
    for (const auto& m : c.image_mounts) {
      if (m == id) return true;
    }
    return false;
  }

  // An event about the image `id` (delete, remove-platform). As Docker's
  // LogImageEvent does, it carries the image's config labels when the image
  // still exists at that point of the removal (a record still names it).
  // Untag events carry the name only (Docker's logImageEvent).
  Status PushEvent(const std::string& action, const Digest& id, const std::string& name,
                   std::map<std::string, std::string> extra = {}) {
    std::map<std::string, std::string> labels;
    BERTH_ASSIGN_OR_RETURN(auto rest, tx_.ListImagesByTarget(id));
    if (!rest.empty()) {
      auto facts = removal_->views_->FactsIn(tx_, rest.front().target);
      if (facts.ok() && (*facts)->config) labels = (*facts)->config->labels;
    }
    for (auto& [k, v] : extra) labels[k] = std::move(v);
    after_.events.push_back(ImageEvent(removal_->env_, action, id.str(), name, labels));
    return OkStatus();
  }

  // Docker's checkImageDeleteConflict, with one addition: a container
  // mounting the image (--mount type=image) uses it as much as one created
  // from it (Docker lets such an image be deleted by ID under a running
  // container).
  Status CheckConflicts(const Digest& id, const std::vector<ImageRecord>& all, unsigned mask) {
    BERTH_ASSIGN_OR_RETURN(auto users, container_table::UsingImage(tx_, id));
    if (mask & kRunningContainer) {
      for (const auto& c : users) {
        if (UsesImage(c, id) && c.running()) {
          return DeleteConflict(Trunc(id.str()), true, "image is being used by running container " + Trunc(c.id));
        }
      }
    }
    if (mask & kStoppedContainer) {
      for (const auto& c : users) {
        if (UsesImage(c, id) && !c.running()) {
          return DeleteConflict(Trunc(id.str()), false, "image is being used by stopped container " + Trunc(c.id));
        }
      }
    }
    if ((mask & kActiveReference) && all.size() > 1) {
      return DeleteConflict(Trunc(id.str()), false, "image is referenced in multiple repositories");
    }
    return OkStatus();
  }

  // Docker's imageDeleteHelper: conflicts first, then the record goes.
  Status DeleteHelper(const ImageRecord& img, const std::vector<ImageRecord>& all, unsigned extra) {
    const Digest& id = img.target.digest;
    BERTH_RETURN_IF_ERROR(CheckConflicts(id, all, kHard | extra));
    BERTH_ASSIGN_OR_RETURN(Reference untagged, ParseAnyReference(img.name));
    if (!IsDangling(img) && all.size() == 1 && (extra & kActiveReference)) {
      // The last name of an image with children: keep it as a dangling record.
      BERTH_ASSIGN_OR_RETURN(auto children, tx_.ListImagesByIndexedLabel(id.str()));
      if (!children.empty()) {
        auto s = removal_->records_->EnsureDangling(tx_, img);
        if (!s.ok()) return Internal("failed to create dangling image: " + s.message());
      }
    }
    BERTH_RETURN_IF_ERROR(removal_->records_->DeleteRecord(tx_, img.name));
    if (!IsDangling(img)) {
      after_.events.push_back(ImageEvent(removal_->env_, "untag", id.str(), untagged.Familiar()));
      records_.push_back(DeleteResponseItem::Untagged(untagged.Familiar()));
    }
    return OkStatus();
  }

  // Docker's parents(): the chain of images above `id` (nearest first)
  // along the parent label. Any ancestor that cannot be resolved (an
  // unparsable label, or no record for the parent ID) is an error, and then
  // no parent is pruned at all. A label cycle ends the chain.
  Result<std::vector<ImageRecord>> Parents(const Digest& id) {
    std::vector<ImageRecord> chain;
    std::unordered_set<Digest> seen{id};
    BERTH_ASSIGN_OR_RETURN(auto recs, tx_.ListImagesByTarget(id));
    if (recs.empty()) return NotFound("failed to get child image: No such image: " + id.str());
    ImageRecord current = recs.front();
    while (true) {
      const std::string label = ParentOf(current);
      if (label.empty()) break;
      BERTH_ASSIGN_OR_RETURN(Digest parent, Digest::Parse(label));
      if (!seen.insert(parent).second) break;
      BERTH_ASSIGN_OR_RETURN(auto precs, tx_.ListImagesByTarget(parent));
      if (precs.empty()) return NotFound("No such image: " + parent.str());
      chain.push_back(precs.front());
      current = precs.front();
    }
    return chain;
  }

  Status DeleteAll(const Digest& id, const std::vector<ImageRecord>& all, unsigned mask) {
    std::vector<ImageRecord> parents;
    if (opts_.prune) {
      auto p = Parents(id);
      if (p.ok()) parents = std::move(*p);  // else: Docker logs it and prunes nothing
    }
    for (const auto& img : all) BERTH_RETURN_IF_ERROR(DeleteHelper(img, all, mask));
    BERTH_RETURN_IF_ERROR(PushEvent("delete", id, id.str()));
    records_.push_back(DeleteResponseItem::Deleted(id.str()));
    for (const auto& parent : parents) {
      if (!IsDangling(parent)) break;
      // As Docker does, the parent is checked against the child's record
      // list; the first conflict ends pruning silently.
      if (!DeleteHelper(parent, all, kSoft).ok()) break;
      const Digest& pid = parent.target.digest;
      BERTH_RETURN_IF_ERROR(PushEvent("delete", pid, pid.str()));
      records_.push_back(DeleteResponseItem::Deleted(pid.str()));
    }
    return OkStatus();
  }

  Status UntagReferences(const std::vector<ImageRecord>& refs) {
    for (const auto& rec : refs) {
      BERTH_RETURN_IF_ERROR(removal_->records_->DeleteRecord(tx_, rec.name));
      auto nn = ParseNormalizedNamed(rec.name);
      if (nn.ok()) {
        after_.events.push_back(ImageEvent(removal_->env_, "untag", rec.target.digest.str(), nn->Familiar()));
        records_.push_back(DeleteResponseItem::Untagged(nn->Familiar()));
      }
    }
    return OkStatus();
  }

  // ---- Platform removal: where berth differs from Docker on purpose ----
  //
  // It acts on the image's content only, as Docker's platform deletion does:
  // no record or name is removed, added or changed. Removing the last
  // platform leaves the image listed with nothing available.
  //  - Each requested platform picks the best retained platform manifest
  //    (OnlyStrict). The image stops retaining it and its attestation
  //    manifests; reference counting then frees only what nothing else
  //    reaches, so no other image or container loses content.
  //  - Reply: `Deleted: <manifest>` per removed manifest, then its
  //    attestations; each digest once.
  //  - By name and by ID alike: a container created on that platform of the
  //    image, or mounting the image (a mount uses the host-preferred
  //    platform), is a soft conflict. With force the container keeps its
  //    content (its own GC root).
  //  - A platform the image does not have: 404 naming the reference given
  //    (the full ID when given an ID or ID prefix); with force, nothing.
  //  - One `remove-platform` event per removed platform: Actor.ID the image
  //    ID, attributes name and platform. No `delete`: the image stays.
  //  - All requested platforms succeed or fail together (one transaction).
  Status RemovePlatforms(const std::string& ref, const Resolution& res) {
    const std::vector<ImageRecord>& all = res.all;
    const Descriptor& target = all.front().target;
    const Digest& id = target.digest;
    std::string display;  // the reference given, as Docker names it
    if (!res.named) {
      BERTH_ASSIGN_OR_RETURN(std::optional<Reference> named, NameGivenFor(ref, all));
      bool explicit_dangling = std::string_view(ref).starts_with(kDanglingPrefix);
      display = named && !explicit_dangling ? named->Familiar() : id.str();
    } else {
      display = GivenAsId(ref, *res.named) || IsDangling(*res.named) ? id.str() : FamiliarString(res.named->name);
    }
    BERTH_ASSIGN_OR_RETURN(auto retained, removal_->docs_->RetainedManifests(tx_, target));
    BERTH_ASSIGN_OR_RETURN(auto users, container_table::UsingImage(tx_, id));
    const ManifestInfo* mounted = nullptr;  // what an image mount of this image uses
    auto host = AllWithPreference(HostPlatform());
    for (const auto& m : retained) {
      if (m.attestation || !host->Match(m.platform)) continue;
      if (!mounted || host->Less(m.platform, mounted->platform)) mounted = &m;
    }
    std::vector<const ManifestInfo*> chosen;
    for (const auto& p : opts_.platforms) {
      auto matcher = OnlyStrict(p);
      const ManifestInfo* best = nullptr;
      for (const auto& m : retained) {
        if (m.attestation || !matcher->Match(m.platform)) continue;
        if (!best || matcher->Less(m.platform, best->platform)) best = &m;
      }
      if (!best) {
        if (opts_.force) continue;
        return NotFound("failed to delete platform " + FormatPlatform(p) + " for image " + id.str() +
                        ": image with reference " + display + " was found but does not provide any platform");
      }
      if (std::find(chosen.begin(), chosen.end(), best) != chosen.end()) continue;
      if (!opts_.force) BERTH_RETURN_IF_ERROR(CheckPlatformUsers(id, *best, best == mounted, users));
      chosen.push_back(best);
    }
    for (const ManifestInfo* m : chosen) {
      BERTH_RETURN_IF_ERROR(tx_.RemoveRootRef(RootKind::kImage, id.str(), m->digest));
      records_.push_back(DeleteResponseItem::Deleted(m->digest.str()));
      for (const auto& a : retained) {
        if (!a.attestation || a.attestation_for != m->digest) continue;
        BERTH_RETURN_IF_ERROR(tx_.RemoveRootRef(RootKind::kImage, id.str(), a.digest));
        records_.push_back(DeleteResponseItem::Deleted(a.digest.str()));
      }
      BERTH_RETURN_IF_ERROR(PushEvent("remove-platform", id, display, {{"platform", FormatPlatform(m->platform)}}));
    }
    return OkStatus();
  }

  // The soft conflict of platform removal: a container created on that
  // platform manifest of the image, or one mounting the image when the
  // mount uses that manifest.
  Status CheckPlatformUsers(const Digest& id, const ManifestInfo& m, bool used_by_mounts,
                            const std::vector<ContainerRecord>& users) {
    for (const auto& c : users) {
      bool created_on = c.image_id == id &&
                        (c.image_manifest == m.digest ||
                         (c.image_manifest.empty() && c.image_platform && OnlyStrict(m.platform)->Match(*c.image_platform)));
      bool mounts = used_by_mounts && std::find(c.image_mounts.begin(), c.image_mounts.end(), id) != c.image_mounts.end();
      if (!created_on && !mounts) continue;
      return DeleteConflict(Trunc(id.str()), false,
                            "platform " + FormatPlatform(m.platform) + " is being used by " +
                                (c.running() ? "running" : "stopped") + " container " + Trunc(c.id));
    }
    return OkStatus();
  }

  Removal* removal_;
  Tx& tx_;
  AfterCommit& after_;
  const RemoveOptions& opts_;
  std::vector<DeleteResponseItem>& records_;
};

Result<std::vector<DeleteResponseItem>> Removal::Remove(const std::string& ref, const RemoveOptions& opts) {
  auto start = std::chrono::steady_clock::now();
  if (IsGoBlank(ref)) return InvalidArgument("image name cannot be blank");
  std::vector<DeleteResponseItem> records;
  BERTH_RETURN_IF_ERROR(leases_->UpdateAndCollect([&](Tx& tx, AfterCommit& after) -> Status {
    records.clear();
    return RemoveRun(this, tx, after, opts, records).Run(ref);
  }));
  ObserveAction(metrics_, "delete", start);
  return records;
}

}  // namespace berth::image
