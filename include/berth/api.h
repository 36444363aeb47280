// The Docker Engine API as plain functions: a Request goes in, a Response
// comes out. No sockets here (src/server moves the bytes), so every route is
// unit-testable. Behaviour follows Docker 28.2 (API 1.50, minimum 1.24); the
// route table is in src/api/api.cc.
//
// Thread-safety: Api is thread-safe; Handle() may run concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "berth/container_service.h"
#include "berth/image_service.h"
#include "berth/io.h"
#include "berth/registry.h"
#include "berth/status.h"

namespace berth::api {

inline constexpr std::string_view kApiVersion = "1.50";     // current (and maximum)
inline constexpr std::string_view kMinApiVersion = "1.24";  // oldest accepted
inline constexpr std::string_view kEngineVersion = "28.2.2";  // Docker release we mirror
inline constexpr std::string_view kBerthVersion = "0.1.0";

// Header name/value pairs in order. Names compare case-insensitively.
using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;  // "GET", "HEAD", "POST", "DELETE", ...
  std::string target;  // raw request-target, e.g. "/v1.50/images/json?all=1"
  Headers headers;
  // The whole body, when body_reader is empty.
  std::string body;
  // The body as a stream, for routes where Api::StreamsRequestBody() is true
  // (docker load). Returns 0 at the end of the body.
  ReadFn body_reader;
  // True once the client has gone away or the server is stopping; long
  // streams (events) poll it. May be empty (never cancelled).
  std::function<bool()> cancelled;
  // Set by the server for the producer of a hijacking response
  // (Response::upgrade_raw): reads up to n bytes the client sends on the
  // hijacked connection (attach and exec stdin), blocking until some come;
  // 0 once the client has half-closed its side or hung up, or the read was
  // interrupted. Call it from a thread of the producer's own (it must not
  // be the producer's thread while that one writes), one call at a time;
  // only once the producer has written (the hijack is committed).
  std::function<Result<size_t>(char* buf, size_t n)> read_hijacked;
  // Makes a blocked read_hijacked return 0, and later calls return 0 at
  // once. Callable from any thread; the producer calls it before it returns
  // when a reader thread may still be blocked.
  std::function<void()> interrupt_hijacked_read;

  // Value of the first header named `name` (case-insensitive), "" if none.
  std::string Header(std::string_view name) const;
  bool IsCancelled() const { return cancelled && cancelled(); }
};

// A streaming producer: writes the body in pieces through `write`. The first
// call to `write` commits the status and headers; an empty piece commits them
// without sending data (so a client sees the headers at once). If the
// producer returns an error before its first write, the server sends the
// error response for that status instead (ErrorResponse); after the first
// write an error ends the connection without a proper end of body. A
// producer runs after Handle() has returned and must not refer to the
// Request; the server keeps the Request's body_reader and cancelled
// functions usable until the producer returns.
using StreamFn = std::function<Status(const WriteFn& write)>;

struct Response {
  int status = 200;
  Headers headers;
  std::string body;  // ignored when `stream` is set
  StreamFn stream;
  // Hijack (POST /containers/{id}/attach): with `stream` set, the server
  // writes "HTTP/1.1 <status> <reason>" and `headers` itself (no chunking,
  // no Content-Length; 101 is worded "UPGRADED" as Docker does), then
  // everything `stream` writes goes to the socket as raw bytes; when the
  // producer returns, the connection is closed. The client's half-close of
  // its sending side does not cancel the request (Request::cancelled turns
  // true only once the peer has hung up entirely, or the server stops).
  bool upgrade_raw = false;
  // The route pattern, for metrics ("GET /images/{name}/json"); "unknown"
  // for requests no route matched.
  std::string route = "unknown";

  // Replaces (or adds) a header.
  void SetHeader(std::string_view name, std::string value);
  std::string Header(std::string_view name) const;
};

// The one mapping from Status codes to HTTP status codes (see
// src/api/http_status.cc for the table and the reasons).
int HttpStatusFromCode(Code code);

// {"message": "..."} with the mapped HTTP status and application/json.
Response ErrorResponse(const Status& s);

// Adds the headers Docker puts on every response: Api-Version, Ostype,
// Server, Docker-Experimental.
void AddCommonHeaders(Response* r);

struct ApiOptions {
  std::string daemon_id;  // /info ID (berthd keeps it in <data-root>/engine-id)
  std::string data_root;  // shown by /info as DockerRootDir
  bool debug = false;     // /info Debug
  int64_t start_unix_nanos = 0;
  // Container routes answer 500 when null (not owned).
  ContainerService* containers = nullptr;
  // GET /networks answers 500 when null (not owned).
  NetworkService* network = nullptr;
  // Pull, push and the /berth/v1/registry routes use this.
  RegistryConfig registry;
  // What a compressed docker load archive may decompress to (LoadOptions).
  DecompressionLimits load_limits = LoadOptions{}.limits;
};

class Api {
 public:
  // `store` is not owned and may be null (then only /_ping, /version and
  // unknown-route answers work; image routes answer 500).
  Api(Store* store, ApiOptions opts);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  // Routes a request; never throws. Unknown paths give 404
  // {"message":"page not found"}. The common headers are always added.
  Response Handle(Request& req) const;

  // True if the request's body should be streamed (Request::body_reader)
  // rather than read whole (POST /images/load).
  bool StreamsRequestBody(std::string_view method, std::string_view target) const;

  Store* store() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::api
