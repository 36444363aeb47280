// Request bodies' field names matched as Go's encoding/json matches them to
// Docker's structs: a key spelled exactly as a field is that field; failing
// that, a key equal to a field's name ignoring case is that field
// ("detachKeys" is DetachKeys). berth's parsers look fields up by their exact
// names, so MatchFieldNames rewrites a body's keys to Docker's spelling
// first. Keys that name no field of the struct are left as they are (the
// parsers refuse or ignore them as before); keys of map-like objects
// (Labels, Volumes, EndpointsConfig's network names...) are data and never
// touched.
//
// When a body has both the exact spelling and another case of one field,
// the exact one is kept and the other dropped; among several non-exact
// spellings of a field (and no exact one) the last wins, as in Go. Case is
// compared in ASCII (Go also folds a few non-ASCII letters such as the
// Kelvin sign; no Docker field name needs them).
//
// Thread rules: the schemas are immutable constants; MatchFieldNames only
// touches the object it is given.
#pragma once

#include <boost/json/object.hpp>
#include <span>
#include <string_view>

namespace berth::api {

struct JsonStruct;

// One field of a Docker struct, and what its value holds.
struct JsonField {
  enum class Shape {
    kValue,           // a scalar, an array of scalars, or a map whose keys are data
    kStruct,          // an object with `nested`'s fields
    kStructArray,     // an array of such objects
    kStructMap,       // an object whose keys are data and whose values are `nested` objects
    kStructArrayMap,  // an object whose keys are data and whose values are arrays of `nested` objects
  };
  std::string_view name;
  Shape shape = Shape::kValue;
  const JsonStruct* nested = nullptr;
};

struct JsonStruct {
  std::span<const JsonField> fields;
};

// Rewrites `o`'s keys (and those of the nested structs `schema` describes)
// to the spelling of the struct's fields, as described above.
void MatchFieldNames(boost::json::object* o, const JsonStruct& schema);

// Docker 28.2's request structs.
extern const JsonStruct kContainerCreateRequest;  // POST /containers/create: Config + HostConfig + NetworkingConfig
extern const JsonStruct kContainerUpdateRequest;  // POST /containers/{id}/update: UpdateConfig
extern const JsonStruct kExecCreateRequest;       // POST /containers/{id}/exec: ExecOptions
extern const JsonStruct kExecStartRequest;        // POST /exec/{id}/start: ExecStartOptions
extern const JsonStruct kNetworkCreateRequest;    // POST /networks/create: network.CreateRequest
extern const JsonStruct kVolumeCreateRequest;     // POST /volumes/create: volume.CreateOptions

}  // namespace berth::api
