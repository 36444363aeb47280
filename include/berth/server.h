// The daemon's HTTP/1.1 server (Boost.Beast over Asio). It only moves bytes:
// every request goes to berth::api::Api::Handle and its Response is written
// back. Unix sockets always; TCP only with mutual TLS (--tlsverify): plain
// TCP would hand the engine to anyone who can reach the port and is refused.
//
// Concurrency: a pool of I/O threads runs all socket operations, each
// connection on its own strand; handlers run on an elastic worker pool so a
// long `docker load`, `docker save` or `docker events` never blocks /_ping.
// Request bodies of streaming routes (POST /images/load) are read from the
// socket as the handler consumes them; streaming responses are sent chunked.
//
// Thread-safety: Start/Shutdown from one thread; the server is otherwise
// self-contained.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "berth/api.h"
#include "berth/metrics.h"
#include "berth/status.h"

namespace berth {

// A listen address: "unix:///path/to.sock" or "tcp://host:port".
struct HostAddress {
  enum class Kind { kUnix, kTcp };
  Kind kind = Kind::kUnix;
  std::string path;  // unix
  std::string host;  // tcp; "127.0.0.1" when empty in the address
  uint16_t port = 0;  // tcp; 2376 when absent
  std::string ToString() const;
};

// Parses a -H value. "unix://" alone gives `default_unix_path`. Errors
// (InvalidArgument): unknown scheme (fd://, npipe://, ...), bad port, empty
// path.
Result<HostAddress> ParseHost(std::string_view host, std::string_view default_unix_path);

struct ServerOptions {
  std::vector<std::string> hosts;  // -H values; at least one
  std::string default_unix_path = "/run/berth/berth.sock";
  uint32_t socket_mode = 0660;  // unix socket file mode
  int socket_gid = -1;          // group of unix socket files (chown); -1: the process's
  // TLS for tcp:// hosts (required for them).
  bool tls_verify = false;
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  // "host:port" serving GET /metrics (Prometheus text) over plain HTTP; ""
  // for none.
  std::string metrics_addr;
  Metrics* metrics = nullptr;  // request metrics and /metrics; may be null
  int io_threads = 4;
  size_t max_body_bytes = 64u << 20;  // whole bodies (non-streaming routes)

  // Limits on what a client can hold (a zero duration means no limit). A
  // connection is closed when:
  //   - its TLS handshake has not finished `tls_handshake_timeout` after the
  //     accept;
  //   - a request header has not been read whole `header_timeout` after the
  //     connection (first request) or after its first byte (later requests);
  //   - no request starts `idle_timeout` after the previous response ended;
  //   - a response write makes no progress for `write_stall_timeout` (the
  //     client stopped reading a stream: the producer's write then fails).
  // Nothing else is timed: a request body (`docker load`) and a streaming
  // response that makes progress (`docker events`, `logs -f`) last as long
  // as they need.
  std::chrono::milliseconds tls_handshake_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds header_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(120)};
  std::chrono::milliseconds write_stall_timeout{std::chrono::seconds(60)};
  // Open connections per listener (each -H address, the metrics address).
  // A connection past the cap is accepted and closed at once, after a
  // best-effort plain-HTTP 503 on unix and metrics listeners, so its client
  // fails fast with a reason instead of hanging in the listen backlog; the
  // owner's next connection is served as soon as one closes. 0: no cap.
  size_t max_connections_per_listener = 1024;
};

class Server {
 public:
  // Binds every listener (a stale unix socket file is removed; a live one,
  // i.e. another server answering on it, is FailedPrecondition), sets socket
  // file modes and starts serving. `api` must outlive the server.
  static Result<std::unique_ptr<Server>> Start(api::Api* api, const ServerOptions& opts);

  virtual ~Server() = default;

  // Stops accepting, ends open connections and running streams, waits for
  // handlers, joins threads and removes the unix socket files. Idempotent;
  // the destructor calls it.
  virtual void Shutdown() = 0;

  // The bound addresses ("unix:///run/berth/berth.sock",
  // "tcp://127.0.0.1:2376"; a tcp port 0 shows the port chosen), then the
  // metrics address as "http://host:port" if any.
  virtual std::vector<std::string> Endpoints() const = 0;
};

}  // namespace berth
