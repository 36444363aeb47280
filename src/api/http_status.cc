// The one mapping from berth::Code to HTTP status, the error body, and the
// small Request/Response helpers.
//
// Docker maps its errdefs classes (api/server/httpstatus): InvalidParameter
// 400, NotFound 404, Conflict 409, Forbidden 403, Unavailable 503,
// NotImplemented 501, everything else 500. berth's codes map onto those
// classes:
//
//   kInvalidArgument     400  bad parameter, bad reference, bad platform
//   kFailedPrecondition  400  the request cannot apply to the current state
//                              (a client error, as grpc-gateway maps it)
//   kOutOfRange          400  a value outside its range (timestamps)
//   kNotFound            404
//   kConflict            409  Docker's conflict class (image in use, ...)
//   kAlreadyExists       409  Docker words these as conflicts too
//   kAborted             409  a concurrent change; retrying may succeed
//   kPermissionDenied    403  Docker's Forbidden class
//   kUnimplemented       501
//   kUnavailable         503
//   kCancelled, kUnknown, kInternal, kDataLoss, anything else: 500

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>

#include "berth/api.h"
#include "berth/json_text.h"

namespace berth::api {

namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

int HttpStatusFromCode(Code code) {
  switch (code) {
    case Code::kOk: return 200;
    case Code::kInvalidArgument:
    case Code::kFailedPrecondition:
    case Code::kOutOfRange: return 400;
    case Code::kNotFound: return 404;
    case Code::kConflict:
    case Code::kAlreadyExists:
    case Code::kAborted: return 409;
    case Code::kPermissionDenied: return 403;
    case Code::kUnimplemented: return 501;
    case Code::kUnavailable: return 503;
    case Code::kCancelled:
    case Code::kUnknown:
    case Code::kInternal:
    case Code::kDataLoss: return 500;
  }
  return 500;
}

Response ErrorResponse(const Status& s) {
  Response r;
  r.status = HttpStatusFromCode(s.code());
  if (r.status == 200) r.status = 500;  // an OK status is no error: a bug
  // Written as Go's json.Encoder writes Docker's error: messages may echo
  // client input, so invalid UTF-8 becomes U+FFFD (the body stays valid
  // JSON for every client) and <, >, & are \u escapes.
  r.body = "{\"message\":";
  AppendGoJsonString(&r.body, s.message());
  r.body += "}\n";
  r.SetHeader("Content-Type", "application/json");
  return r;
}

void AddCommonHeaders(Response* r) {
  r->SetHeader("Api-Version", std::string(kApiVersion));
  r->SetHeader("Docker-Experimental", "false");
  r->SetHeader("Ostype", "linux");
  r->SetHeader("Server", "Docker/" + std::string(kEngineVersion) + " (linux) berth/" + std::string(kBerthVersion));
}

std::string Request::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return {};
}

void Response::SetHeader(std::string_view name, std::string value) {
  for (auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) {
      v = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::string(name), std::move(value));
}

std::string Response::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return {};
}

}  // namespace berth::api
