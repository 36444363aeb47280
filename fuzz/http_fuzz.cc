// Fuzz target: the HTTP request path. berthd parses requests inside a Beast
// session (src/server/session.h: async_read_header, then the body), builds
// an api::Request from the parsed header and hands it to api::Api::Handle,
// which splits the target, routes it, checks the API version and parses the
// query before the route's handler runs. This target does the same
// synchronously: Beast's request_parser (the session's header limit) over
// the raw bytes, up to four pipelined requests, each handled by an Api
// with the real route table and no store, so routes answer from what they
// parse (image and container routes end with 500 "no store" once their
// arguments are read; nothing is written anywhere). Registry routes would
// reach the network: every proxy variable points libcurl at a closed local
// port and the registry client makes one attempt.
// Invariants: every response has a status in [100, 599] and Docker's common
// headers; an error response without a stream has a JSON body with a
// "message"; a request no route matches is 404 "page not found" with route
// "unknown". Streaming producers run with a cancelled request and a writer
// that stops after 1 MiB.
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <cstdlib>
#include <string>

#include "berth/api.h"
#include "fuzz_util.h"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace api = berth::api;

constexpr size_t kHeaderLimit = 64 * 1024;  // as the server's session
constexpr size_t kBodyLimit = 1 << 20;
constexpr size_t kStreamLimit = 1 << 20;

const api::Api& TheApi() {
  static const api::Api* a = [] {
    for (const char* var : {"http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"}) {
      ::setenv(var, "http://127.0.0.1:9", 1);
    }
    ::unsetenv("no_proxy");
    ::unsetenv("NO_PROXY");
    api::ApiOptions opts;
    opts.daemon_id = "fuzz";
    opts.data_root = "/nonexistent";
    opts.registry.max_attempts = 1;
    opts.registry.backoff_initial_ms = 0;
    return new api::Api(nullptr, opts);
  }();
  return *a;
}

void CheckResponse(const api::Request& req, api::Response& resp) {
  FUZZ_CHECK(resp.status >= 100 && resp.status <= 599);
  FUZZ_CHECK(!resp.Header("Api-Version").empty());
  if (resp.stream) {
    size_t written = 0;
    berth::Status s = resp.stream([&](std::string_view piece) -> berth::Status {
      written += piece.size();
      if (written > kStreamLimit) return berth::Cancelled("fuzz: stream limit");
      return berth::OkStatus();
    });
    (void)s;
    return;
  }
  if (resp.status >= 400) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(resp.body, ec);
    FUZZ_CHECK_MSG(!ec && v.is_object() && v.as_object().contains("message"), resp.body);
  }
  if (resp.route == "unknown") FUZZ_CHECK_MSG(resp.status == 404 || resp.status == 400, req.target);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  TheApi();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const api::Api& a = TheApi();
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  for (int n = 0; n < 4 && !rest.empty(); ++n) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(kBodyLimit);
    parser.eager(true);
    beast::error_code ec;
    size_t used = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
    rest.remove_prefix(used);
    if (ec == http::error::need_more) parser.put_eof(ec);
    if (ec || !parser.is_done()) return 0;  // the session closes the connection
    const auto& msg = parser.get();
    api::Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    for (const auto& f : msg) req.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    std::string body = msg.body();
    if (a.StreamsRequestBody(req.method, req.target)) {
      size_t offset = 0;
      req.body_reader = [&body, offset](char* buf, size_t cap) mutable -> berth::Result<size_t> {
        size_t take = std::min(cap, body.size() - offset);
        std::memcpy(buf, body.data() + offset, take);
        offset += take;
        return take;
      };
    } else {
      req.body = body;
    }
    req.cancelled = [] { return true; };
    api::Response resp = a.Handle(req);
    CheckResponse(req, resp);
    if (!msg.keep_alive()) break;
  }
  return 0;
}
