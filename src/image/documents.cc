// Documents: parsed indexes, manifests and configs, cached by digest.
#include "image/documents.h"

#include <algorithm>
#include <unordered_set>

namespace berth::image {

Result<ManifestInfo> Documents::LoadManifest(const Descriptor& d) {
  {
    MutexLock lock(&mu_);
    auto it = manifests_.find(d.digest);
    if (it != manifests_.end()) {
      ManifestInfo m = it->second;
      m.descriptor = d;
      if (d.platform) m.platform = Normalize(*d.platform);
      return m;
    }
  }
  BERTH_ASSIGN_OR_RETURN(std::string raw, content_->ReadAll(d.digest, kMaxManifestBytes));
  BERTH_ASSIGN_OR_RETURN(Manifest parsed, ParseManifest(std::move(raw), d.media_type));
  ManifestInfo m;
  m.digest = d.digest;
  m.descriptor = d;
  m.config = parsed.config;
  m.layers = parsed.layers;
  m.content_size = d.size + parsed.config.size;
  for (const auto& l : parsed.layers) m.content_size += l.size;
  m.attestation = IsAttestation(d);
  if (m.attestation) {
    auto it = d.annotations.find(std::string(annotation::kDockerReferenceDigest));
    if (it != d.annotations.end()) {
      auto ad = Digest::Parse(it->second);
      if (ad.ok()) m.attestation_for = *ad;
    }
    m.platform = Platform{"unknown", "unknown", "", "", {}};
  } else if (d.platform) {
    m.platform = Normalize(*d.platform);
  } else {
    auto cfg = LoadConfig(parsed.config.digest);
    if (cfg.ok()) m.platform = Normalize(cfg->platform);
  }
  MutexLock lock(&mu_);
  manifests_[d.digest] = m;
  return m;
}

Result<ImageConfig> Documents::LoadConfig(const Digest& d) {
  {
    MutexLock lock(&mu_);
    auto it = configs_.find(d);
    if (it != configs_.end()) return it->second;
  }
  BERTH_ASSIGN_OR_RETURN(std::string raw, content_->ReadAll(d, kMaxConfigBytes));
  BERTH_ASSIGN_OR_RETURN(ImageConfig cfg, ParseImageConfig(std::move(raw)));
  MutexLock lock(&mu_);
  configs_[d] = cfg;
  return cfg;
}

Result<Index> Documents::LoadIndex(const Descriptor& d) {
  {
    MutexLock lock(&mu_);
    auto it = indexes_.find(d.digest);
    if (it != indexes_.end()) return it->second;
  }
  BERTH_ASSIGN_OR_RETURN(std::string raw, content_->ReadAll(d.digest, kMaxManifestBytes));
  BERTH_ASSIGN_OR_RETURN(Index index, ParseIndex(std::move(raw), d.media_type));
  index.raw.clear();
  index.raw.shrink_to_fit();
  MutexLock lock(&mu_);
  indexes_[d.digest] = index;
  return index;
}

Result<std::vector<ManifestInfo>> Documents::RetainedManifests(Tx& tx, const Descriptor& target) {
  BERTH_ASSIGN_OR_RETURN(auto refs, tx.RootRefs(RootKind::kImage, target.digest.str()));
  return ManifestsFromRefs(target, refs);
}

Result<std::vector<ManifestInfo>> Documents::ManifestsFromRefs(const Descriptor& target,
                                                               const std::vector<Digest>& refs) {
  std::vector<ManifestInfo> out;
  if (IsManifestType(target.media_type)) {
    // A single-platform image keeps its manifest unless the platform was
    // removed (then the record stays, with nothing retained).
    if (std::find(refs.begin(), refs.end(), target.digest) == refs.end()) return out;
    BERTH_ASSIGN_OR_RETURN(auto m, LoadManifest(target));
    out.push_back(std::move(m));
    return out;
  }
  if (!IsIndexType(target.media_type)) {
    return Unimplemented("unsupported image target media type " + target.media_type);
  }
  std::unordered_set<Digest> retained(refs.begin(), refs.end());
  BERTH_ASSIGN_OR_RETURN(Index index, LoadIndex(target));
  for (const auto& d : index.manifests) {
    if (!retained.contains(d.digest) || !IsManifestType(d.media_type)) continue;
    BERTH_ASSIGN_OR_RETURN(auto m, LoadManifest(d));
    out.push_back(std::move(m));
  }
  return out;
}

std::map<std::string, std::string> Documents::ConfigLabels(Tx& tx, const Descriptor& target) {
  auto manifests = RetainedManifests(tx, target);
  if (!manifests.ok()) return {};
  for (const auto& m : *manifests) {
    if (m.attestation) continue;
    auto cfg = LoadConfig(m.config.digest);
    if (cfg.ok()) return cfg->labels;
  }
  return {};
}

std::vector<Descriptor> Documents::PresentBlobs(const Descriptor& target) {
  std::vector<Descriptor> out;
  WalkPresent(target, &out);
  return out;
}

void Documents::WalkPresent(const Descriptor& d, std::vector<Descriptor>* out) {
  if (!content_->Exists(d.digest)) return;
  out->push_back(d);
  if (IsIndexType(d.media_type)) {
    auto index = LoadIndex(d);
    if (!index.ok()) return;
    for (const auto& m : index->manifests) WalkPresent(m, out);
  } else if (IsManifestType(d.media_type)) {
    auto m = LoadManifest(d);
    if (!m.ok()) return;
    WalkPresent(m->config, out);
    for (const auto& l : m->layers) WalkPresent(l, out);
  }
}

bool Documents::LabelsMatch(const std::vector<ManifestInfo>& manifests, const std::vector<LabelFilter>& checks) {
  if (checks.empty()) return true;
  for (const auto& m : manifests) {
    if (m.attestation) continue;
    auto cfg = LoadConfig(m.config.digest);
    if (!cfg.ok()) continue;
    bool all = true;
    for (const auto& f : checks) all = all && f.Matches(cfg->labels);
    if (all) return true;
  }
  return false;
}

const ManifestInfo* BestManifest(const std::vector<ManifestInfo>& ms, const PlatformMatcher& matcher) {
  const ManifestInfo* best = nullptr;
  for (const auto& m : ms) {
    if (m.attestation || !matcher.Match(m.platform)) continue;
    if (!best || matcher.Less(m.platform, best->platform)) best = &m;
  }
  return best;
}

}  // namespace berth::image
