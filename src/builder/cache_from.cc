// docker build --cache-from (see cache_from.h): the matching rule of
// Docker 28.2's image/cache and its use by the build's cache probe.
#include "builder/cache_from.h"

#include <map>

#include "berth/log.h"
#include "builder/run_config.h"

namespace berth::builder {

namespace json = boost::json;

namespace {

bool SameEntry(const HistoryEntry& a, const HistoryEntry& b) {
  return a.created == b.created && a.created_by == b.created_by && a.comment == b.comment && a.author == b.author &&
         a.empty_layer == b.empty_layer;
}

// Docker's isValidParent: `image` continues `parent`.
bool Continues(const ImageConfig& image, const ImageConfig* parent) {
  if (image.history.empty()) return false;
  if (parent == nullptr || (parent->history.empty() && parent->diff_ids.empty())) return true;
  if (parent->history.size() >= image.history.size()) return false;
  if (parent->diff_ids.size() > image.diff_ids.size()) return false;
  for (size_t i = 0; i < parent->history.size(); ++i) {
    if (!SameEntry(parent->history[i], image.history[i])) return false;
  }
  for (size_t i = 0; i < parent->diff_ids.size(); ++i) {
    if (parent->diff_ids[i] != image.diff_ids[i]) return false;
  }
  return true;
}

// The array `key` of a raw image config (empty when absent).
json::array ConfigArray(const std::string& raw, std::string_view key) {
  try {
    json::value v = json::parse(raw);
    if (auto* a = v.is_object() ? v.as_object().if_contains(key) : nullptr; a && a->is_array()) return a->as_array();
  } catch (const std::exception&) {
  }
  return {};
}

}  // namespace

std::optional<CacheFromMatch> MatchCacheFrom(const std::vector<CacheFromImage>& sources, const ImageConfig* parent,
                                             const std::string& created_by) {
  const size_t at = parent == nullptr ? 0 : parent->history.size();
  for (size_t s = 0; s < sources.size(); ++s) {
    const ImageConfig& image = sources[s].config;
    if (!Continues(image, parent) || at >= image.history.size()) continue;
    if (image.history[at].created_by != created_by) continue;
    CacheFromMatch m;
    m.source = s;
    m.history_index = at;
    m.last = at + 1 == image.history.size();
    if (!image.history[at].empty_layer) {
      size_t layer = 0;
      for (size_t i = 0; i < at; ++i) layer += image.history[i].empty_layer ? 0 : 1;
      if (layer >= image.diff_ids.size()) continue;  // the history names a layer the image lacks
      m.layer_index = layer;
    }
    return m;
  }
  return std::nullopt;
}

Result<std::string> RestoredConfig(const ImageConfig* parent, const CacheFromImage& source, const CacheFromMatch& match,
                                   const json::object& run_config) {
  json::array history, diff_ids;
  if (parent != nullptr) {
    history = ConfigArray(parent->raw, "history");
    for (const auto& d : parent->diff_ids) diff_ids.emplace_back(d.str());
  }
  json::array source_history = ConfigArray(source.config.raw, "history");
  if (match.history_index >= source_history.size()) return InvalidArgument("cache-from image history changed");
  history.push_back(source_history[match.history_index]);
  if (match.layer_index) diff_ids.emplace_back(source.config.diff_ids.at(*match.layer_index).str());
  const Platform& p = source.config.platform;
  json::object config{{"architecture", p.architecture}, {"os", p.os}};
  if (!p.variant.empty()) config["variant"] = p.variant;
  if (!source.config.author.empty()) config["author"] = source.config.author;
  const std::string& created = source.config.history[match.history_index].created;
  if (!created.empty()) config["created"] = created;
  config["config"] = run_config;
  config["rootfs"] = json::object{{"type", "layers"}, {"diff_ids", std::move(diff_ids)}};
  config["history"] = std::move(history);
  return json::serialize(config);
}

Result<CacheFrom> CacheFrom::Open(ImageRecords* records, ContainerService* containers,
                                  const std::vector<std::string>& refs) {
  CacheFrom cache(records, containers);
  for (const auto& ref : refs) {
    Result<ImageRecord> rec = records->Resolve(ref);
    Result<std::string> raw = rec.ok() ? containers->ImageConfigJson(rec->id()) : Result<std::string>(rec.status());
    Result<ImageConfig> config = raw.ok() ? ParseImageConfig(*raw) : Result<ImageConfig>(raw.status());
    if (!config.ok()) {
      LogIfError(config.status(), "Could not look up " + ref + " for cache resolution, skipping");
      continue;
    }
    cache.sources_.push_back(CacheFromImage{rec->id(), std::move(*config)});
  }
  return cache;
}

Result<bool> CacheFrom::IsAncestorOfSource(const Digest& image) {
  BERTH_ASSIGN_OR_RETURN(std::vector<ImageRecord> records, records_->Records());
  std::map<Digest, std::string> parent_of;
  for (const auto& r : records) {
    if (std::string p = ParentOf(r); !p.empty()) parent_of[r.id()] = std::move(p);
  }
  for (const auto& s : sources_) {
    Digest at = s.id;
    // A parent chain is finite; the bound only guards against a loop.
    for (size_t hops = 0; hops <= records.size(); ++hops) {
      auto it = parent_of.find(at);
      if (it == parent_of.end()) break;
      Result<Digest> next = Digest::Parse(it->second);
      if (!next.ok()) break;
      if (*next == image) return true;
      at = *next;
    }
  }
  return false;
}

Result<std::optional<Digest>> CacheFrom::Probe(const Digest& parent, const json::object& probe,
                                               const std::optional<Digest>& local) {
  if (local) {
    BERTH_ASSIGN_OR_RETURN(bool ancestor, IsAncestorOfSource(*local));
    if (ancestor) return local;
  }
  std::optional<ImageConfig> parent_config;
  if (!parent.empty()) {
    BERTH_ASSIGN_OR_RETURN(std::string raw, containers_->ImageConfigJson(parent));
    BERTH_ASSIGN_OR_RETURN(parent_config, ParseImageConfig(std::move(raw)));
  }
  const ImageConfig* parent_ptr = parent_config ? &*parent_config : nullptr;
  std::optional<CacheFromMatch> match = MatchCacheFrom(sources_, parent_ptr, Join(Strings(probe, "Cmd")));
  if (!match) return std::optional<Digest>();
  const CacheFromImage source = sources_[match->source];
  if (match->last) {
    // As Docker: the cache-from image becomes the child of the step's parent.
    if (!parent.empty()) BERTH_RETURN_IF_ERROR(records_->SetParent(source.id, parent));
    return std::optional<Digest>(source.id);
  }
  BERTH_ASSIGN_OR_RETURN(std::string config, RestoredConfig(parent_ptr, source, *match, probe));
  StepImageFromContent step;
  step.parent = parent;
  step.layer_source = source.id;
  step.layer_index = match->layer_index;
  step.config_json = std::move(config);
  step.created_by = source.config.history[match->history_index].created_by;
  BERTH_ASSIGN_OR_RETURN(Digest restored, records_->CreateStepImage(step));
  sources_ = {source};  // as Docker: the build follows this image from here on
  return std::optional<Digest>(restored);
}

}  // namespace berth::builder
