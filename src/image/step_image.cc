// RecordStore::CreateStepImage: a build step's image made from content the
// store already has (docker build --cache-from re-creates the intermediate
// images of a cache-from image so, as Docker's image cache does), and
// RecordStore::SetParent, which links a cache-from image to the step it
// completes.
#include <boost/json.hpp>

#include "image/records.h"
#include "image/resolver.h"

namespace berth::image {
namespace {

namespace json = boost::json;

// The host-platform manifest of the image `id`, read in `tx`.
Result<ManifestInfo> HostManifestIn(Tx& tx, Documents* docs, const Digest& id) {
  BERTH_ASSIGN_OR_RETURN(ImageRecord rec, ResolveIn(tx, id.str()));
  BERTH_ASSIGN_OR_RETURN(std::vector<ManifestInfo> manifests, docs->RetainedManifests(tx, rec.target));
  const ManifestInfo* best = BestManifest(manifests, *AllWithPreference(HostPlatform()));
  if (best == nullptr) return NotFound("image " + id.str() + " has no manifest for " + FormatPlatform(HostPlatform()));
  return *best;
}

}  // namespace

Result<Digest> RecordStore::CreateStepImage(const StepImageFromContent& step) {
  std::vector<Descriptor> layers;
  BERTH_RETURN_IF_ERROR(meta_->View([&](Tx& tx) -> Status {
    if (!step.parent.empty()) {
      BERTH_ASSIGN_OR_RETURN(ManifestInfo parent, HostManifestIn(tx, docs_, step.parent));
      layers = parent.layers;
    }
    if (step.layer_index) {
      BERTH_ASSIGN_OR_RETURN(ManifestInfo source, HostManifestIn(tx, docs_, step.layer_source));
      if (*step.layer_index >= source.layers.size()) {
        return InvalidArgument("image " + step.layer_source.str() + " has no layer " +
                               std::to_string(*step.layer_index));
      }
      layers.push_back(source.layers[*step.layer_index]);
    }
    return OkStatus();
  }));
  BERTH_ASSIGN_OR_RETURN(ImageConfig config, ParseImageConfig(step.config_json));
  if (config.diff_ids.size() != layers.size()) {
    return InvalidArgument("step image config lists " + std::to_string(config.diff_ids.size()) + " diff IDs for " +
                           std::to_string(layers.size()) + " layers");
  }
  auto lease = leases_->NewIngestLease();
  for (const auto& l : layers) lease->Add(l.digest);
  BERTH_ASSIGN_OR_RETURN(Digest config_digest, lease->Put(step.config_json));
  json::array layer_values;
  for (const auto& l : layers) layer_values.push_back(json::parse(DescriptorToJson(l)));
  json::object manifest{{"schemaVersion", 2},
                        {"mediaType", std::string(media_type::kOciManifest)},
                        {"config", json::object{{"mediaType", std::string(media_type::kOciConfig)},
                                                {"digest", config_digest.str()},
                                                {"size", static_cast<int64_t>(step.config_json.size())}}},
                        {"layers", std::move(layer_values)}};
  const std::string manifest_bytes = json::serialize(manifest);
  BERTH_ASSIGN_OR_RETURN(Digest manifest_digest, lease->Put(manifest_bytes));
  NewImage image;
  image.target.media_type = std::string(media_type::kOciManifest);
  image.target.digest = manifest_digest;
  image.target.size = static_cast<int64_t>(manifest_bytes.size());
  if (!step.parent.empty()) image.labels[std::string(kParentLabel)] = step.parent.str();
  image.labels[std::string(kBuildStepLabel)] = step.created_by;
  BERTH_RETURN_IF_ERROR(CreateImages({image}, ReplaceRule::kTag, ""));
  return manifest_digest;
}

Status RecordStore::SetParent(const Digest& image, const Digest& parent) {
  return leases_->UpdateAndCollect([&](Tx& tx, AfterCommit&) -> Status {
    BERTH_ASSIGN_OR_RETURN(std::vector<ImageRecord> records, tx.ListImagesByTarget(image));
    if (records.empty()) return NotFound("No such image: " + image.str());
    for (ImageRecord& r : records) {
      r.labels[std::string(kParentLabel)] = parent.str();
      r.updated_unix_nanos = env_->NowUnixNanos();
      BERTH_RETURN_IF_ERROR(tx.PutImage(r));
    }
    return OkStatus();
  });
}

}  // namespace berth::image
