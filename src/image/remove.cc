// Image removal: Docker's ImageDelete semantics (containerd image store,
// Docker 28.2) to the letter, except platform removal, where berth differs on
// purpose (see DeletePlatforms).
//
// Everything one Remove() changes happens in one metadata transaction; the
// blobs that lost their last reference are deleted after it commits, in one
// batch (UpdateAndCollect), and the events are published after that.
//
// Conflicts:
//   hard  a running container created from the image (never overridable on
//         the full-delete path)
//   soft  a stopped container; more than one record for the target ("active
//         reference"); overridden by force
#include <chrono>

#include "image/service.h"

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
    if (!rec.dangling()) {
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

class Remover {
 public:
  Remover(ImageServiceImpl* svc, Tx& tx, AfterCommit& after, const RemoveOptions& opts,
          std::vector<DeleteResponseItem>& records)
      : svc_(svc), tx_(tx), after_(after), opts_(opts), records_(records) {}

  Status Run(const std::string& ref) {
    unsigned mask = opts_.force ? 0u : static_cast<unsigned>(kSoft);
    BERTH_ASSIGN_OR_RETURN(Resolution res, svc_->ResolveAllIn(tx_, ref));
    const std::vector<ImageRecord>& all = res.all;
    Digest id;
    if (!res.named) {
      // By ID, ID prefix, name@digest, or an explicit dangling name.
      id = all.front().target.digest;
      std::optional<Reference> named;
      if (!IsImageIdPrefix(id.str(), ref)) {
        auto nn = ParseNormalizedNamed(ref);
        if (nn.ok()) named = *nn;
      }
      auto same = SameReferences(named, all);
      if (same.empty() && named) {
        return NotFound("No such image: " + (named->has_name() ? TagNameOnly(*named) : *named).Familiar());
      }
      if (same.size() == all.size() && !opts_.force) mask &= ~static_cast<unsigned>(kActiveReference);
      if (named && !same.empty() && same.size() != all.size()) {
        if (!opts_.platforms.empty()) return DeletePlatforms(id, all, mask, ref);
        return UntagReferences(same);
      }
    } else {
      const ImageRecord& img = *res.named;
      id = img.target.digest;
      bool explicit_dangling = std::string_view(ref).starts_with(kDanglingPrefix) && img.dangling();
      if (IsImageIdPrefix(id.str(), ref) || explicit_dangling) {
        if (!opts_.platforms.empty()) return DeletePlatforms(id, all, mask, ref);
        return DeleteAll(id, all, mask);
      }
      BERTH_ASSIGN_OR_RETURN(Reference parsed, ParseNormalizedNamed(img.name));
      auto same = SameReferences(parsed, all);
      if (same.size() != all.size()) {
        if (!opts_.platforms.empty()) return DeletePlatforms(id, all, mask, ref);
        return UntagReferences(same);
      }
      if (all.size() > 1 && !opts_.force) mask &= ~static_cast<unsigned>(kActiveReference);

      BERTH_ASSIGN_OR_RETURN(auto users, tx_.ContainersUsingImage(id));
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
        if (!opts_.platforms.empty()) return DeletePlatforms(id, all, mask, ref);
        // Soft delete: untag only; the image stays as a dangling record.
        if (all.size() == 1) BERTH_RETURN_IF_ERROR(svc_->EnsureDangling(tx_, img));
        BERTH_RETURN_IF_ERROR(svc_->DeleteRecord(tx_, img.name, after_));
        after_.events.push_back(svc_->ImageEvent("untag", id.str(), familiar));
        records_.push_back(DeleteResponseItem::Untagged(familiar));
        return OkStatus();
      }
    }
    if (!opts_.platforms.empty()) return DeletePlatforms(id, all, mask, ref);
    return DeleteAll(id, all, mask);
  }

 private:
  // Docker's "using" check on the by-name path: created from the image (and,
  // with platforms, from one of them), or mounting it.
  bool UsesImage(const ContainerRecord& c, const Digest& id) const {
    if (c.image_id == id) {
      if (opts_.platforms.empty()) return true;
      for (const auto& p : opts_.platforms) {
        if (c.image_platform && OnlyStrict(p)->Match(*c.image_platform)) return true;
      }
    }
    for (const auto& m : c.image_mounts) {
      if (m == id) return true;
    }
    return false;
  }

  Status CheckConflicts(const Digest& id, const std::vector<ImageRecord>& all, unsigned mask) {
    BERTH_ASSIGN_OR_RETURN(auto users, tx_.ContainersUsingImage(id));
    if (mask & kRunningContainer) {
      for (const auto& c : users) {
        if (c.image_id == id && c.running()) {
          return DeleteConflict(Trunc(id.str()), true, "image is being used by running container " + Trunc(c.id));
        }
      }
    }
    if (mask & kStoppedContainer) {
      for (const auto& c : users) {
        if (c.image_id == id && !c.running()) {
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
    if (!img.dangling() && all.size() == 1 && (extra & kActiveReference)) {
      // The last name of an image with children: keep it as a dangling record.
      BERTH_ASSIGN_OR_RETURN(auto children, tx_.ListImagesByParent(id));
      if (!children.empty()) {
        auto s = svc_->EnsureDangling(tx_, img);
        if (!s.ok()) return Internal("failed to create dangling image: " + s.message());
      }
    }
    BERTH_RETURN_IF_ERROR(svc_->DeleteRecord(tx_, img.name, after_));
    if (!img.dangling()) {
      after_.events.push_back(svc_->ImageEvent("untag", id.str(), untagged.Familiar()));
      records_.push_back(DeleteResponseItem::Untagged(untagged.Familiar()));
    }
    return OkStatus();
  }

  // The parent chain (nearest first) along the parent label.
  Result<std::vector<ImageRecord>> Parents(const Digest& id) {
    std::vector<ImageRecord> chain;
    std::unordered_set<Digest> seen{id};
    Digest current = id;
    while (true) {
      BERTH_ASSIGN_OR_RETURN(auto recs, tx_.ListImagesByTarget(current));
      if (recs.empty()) break;
      auto parent = Digest::Parse(recs.front().parent());
      if (!parent.ok() || !seen.insert(*parent).second) break;
      BERTH_ASSIGN_OR_RETURN(auto precs, tx_.ListImagesByTarget(*parent));
      if (precs.empty()) break;
      chain.push_back(precs.front());
      current = *parent;
    }
    return chain;
  }

  Status DeleteAll(const Digest& id, const std::vector<ImageRecord>& all, unsigned mask) {
    std::vector<ImageRecord> parents;
    if (opts_.prune) {
      auto p = Parents(id);
      if (p.ok()) parents = std::move(*p);
    }
    for (const auto& img : all) BERTH_RETURN_IF_ERROR(DeleteHelper(img, all, mask));
    after_.events.push_back(svc_->ImageEvent("delete", id.str(), id.str()));
    records_.push_back(DeleteResponseItem::Deleted(id.str()));
    for (const auto& parent : parents) {
      if (!parent.dangling()) break;
      // As Docker does, the parent is checked against the child's record
      // list; the first conflict ends pruning silently.
      if (!DeleteHelper(parent, all, kSoft).ok()) break;
      const std::string pid = parent.target.digest.str();
      after_.events.push_back(svc_->ImageEvent("delete", pid, pid));
      records_.push_back(DeleteResponseItem::Deleted(pid));
    }
    return OkStatus();
  }

  Status UntagReferences(const std::vector<ImageRecord>& refs) {
    for (const auto& rec : refs) {
      BERTH_RETURN_IF_ERROR(svc_->DeleteRecord(tx_, rec.name, after_));
      auto nn = ParseNormalizedNamed(rec.name);
      if (nn.ok()) {
        after_.events.push_back(svc_->ImageEvent("untag", rec.target.digest.str(), nn->Familiar()));
        records_.push_back(DeleteResponseItem::Untagged(nn->Familiar()));
      }
    }
    return OkStatus();
  }

  // Platform removal, where berth differs from Docker on purpose: the
  // image stops retaining the platform's manifest (and its attestations);
  // garbage collection then frees only what nothing else still reaches, so
  // no other image loses content. Force is not required; a container
  // created from that platform of the image is a soft conflict. Every
  // platform must be found (without force) and pass the checks before
  // anything changes. Removing the last platform removes the image.
  Status DeletePlatforms(const Digest& id, const std::vector<ImageRecord>& all, unsigned mask,
                         const std::string& ref) {
    const Descriptor& target = all.front().target;
    BERTH_ASSIGN_OR_RETURN(auto retained, svc_->RetainedManifests(tx_, target));
    std::string display = ref;
    for (const auto& r : all) {
      if (!r.dangling()) {
        display = FamiliarString(r.name);
        break;
      }
    }
    BERTH_ASSIGN_OR_RETURN(auto users, tx_.ContainersUsingImage(id));
    std::vector<const ManifestInfo*> chosen;
    std::vector<std::string> chosen_platform;
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
      if (!opts_.force) {
        for (const auto& c : users) {
          if (c.image_id != id) continue;
          bool on_platform = c.image_manifest == best->digest ||
                             (c.image_platform && matcher->Match(*c.image_platform));
          if (on_platform) {
            return DeleteConflict(Trunc(id.str()), false,
                                  "platform " + FormatPlatform(Normalize(p)) + " is being used by " +
                                      (c.running() ? "running" : "stopped") + " container " + Trunc(c.id));
          }
        }
      }
      bool dup = false;
      for (const auto* c : chosen) dup |= c == best;
      if (!dup) {
        chosen.push_back(best);
        chosen_platform.push_back(FormatPlatform(best->platform));
      }
    }
    if (chosen.empty()) return OkStatus();  // force and nothing to remove
    size_t platforms_left = 0;
    for (const auto& m : retained) {
      if (m.attestation) continue;
      bool removing = false;
      for (const auto* c : chosen) removing |= c == &m;
      if (!removing) ++platforms_left;
    }
    for (size_t i = 0; i < chosen.size(); ++i) {
      records_.push_back(DeleteResponseItem::Deleted(chosen[i]->digest.str()));
    }
    if (platforms_left == 0 || IsManifestType(target.media_type)) {
      // Nothing would be left: remove the image under the usual rules.
      return DeleteAll(id, all, mask);
    }
    const std::string root = id.str();
    for (size_t i = 0; i < chosen.size(); ++i) {
      const ManifestInfo* m = chosen[i];
      BERTH_RETURN_IF_ERROR(tx_.RemoveRootRef(RootKind::kImage, root, m->digest));
      for (const auto& a : retained) {
        if (a.attestation && a.attestation_for == m->digest) {
          BERTH_RETURN_IF_ERROR(tx_.RemoveRootRef(RootKind::kImage, root, a.digest));
        }
      }
      Event e = svc_->ImageEvent("delete", root, display);
      e.attributes["platform"] = chosen_platform[i];
      e.attributes["manifest"] = m->digest.str();
      after_.events.push_back(std::move(e));
    }
    return OkStatus();
  }

  ImageServiceImpl* svc_;
  Tx& tx_;
  AfterCommit& after_;
  const RemoveOptions& opts_;
  std::vector<DeleteResponseItem>& records_;
};

bool Blank(const std::string& s) {
  return s.find_first_not_of(" \t\r\n\v\f") == std::string::npos;
}

}  // namespace

Result<std::vector<DeleteResponseItem>> ImageServiceImpl::Remove(const std::string& ref, const RemoveOptions& opts) {
  auto start = std::chrono::steady_clock::now();
  if (Blank(ref)) return InvalidArgument("image name cannot be blank");
  std::vector<DeleteResponseItem> records;
  BERTH_RETURN_IF_ERROR(UpdateAndCollect([&](Tx& tx, AfterCommit& after) -> Status {
    records.clear();
    return Remover(this, tx, after, opts, records).Run(ref);
  }));
  ObserveAction("delete", start);
  return records;
}

}  // namespace berth::image
