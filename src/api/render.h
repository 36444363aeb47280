// JSON shapes of Docker's API types (api/types/image, Docker 28.2), built
// from berth's image service results. `version` is the request's API version:
// fields appear and disappear with it as in Docker.
#pragma once

#include <boost/json.hpp>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "berth/image_service.h"
#include "berth/oci.h"
#include "berth/platform.h"

namespace berth::api {

// A JSON array of strings.
boost::json::array Strings(const std::vector<std::string>& v);
// A JSON object of string members (labels, options).
boost::json::object StringMapValue(const std::map<std::string, std::string>& m);

// An OCI descriptor / platform as Go marshals ocispec types.
boost::json::value DescriptorValue(const Descriptor& d);
boost::json::value PlatformValue(const Platform& p);

// ImageSummary (GET /images/json, /system/df). `manifests`: include the
// Manifests list (API >= 1.47 and asked for).
boost::json::object ImageSummaryValue(const ImageSummary& s, std::string_view version, bool manifests);
boost::json::object ManifestSummaryValue(const ManifestSummary& m);

// ImageInspect (GET /images/{name}/json).
boost::json::object ImageInspectValue(const ImageInspect& i, std::string_view version, bool manifests);

// HistoryResponseItem list (GET /images/{name}/history).
boost::json::array HistoryValue(const std::vector<HistoryItem>& items);

// [{"Untagged": …}, {"Deleted": …}] (DELETE /images/{name}, prune).
boost::json::array DeleteItemsValue(const std::vector<DeleteResponseItem>& items);

// berth's why report (GET /berth/v1/images/{name}/why; the shape is
// documented there, in src/api/why_routes.cc). why_render.cc.
boost::json::object WhyReportValue(const WhyReport& r);

// A JSON-message stream line ({"stream": text}) followed by "\n".
std::string StreamLine(std::string_view text);

}  // namespace berth::api
