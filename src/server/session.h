// One HTTP/1.1 connection of a listener: the session moves bytes between the
// socket and a Handler, whose routes are plain functions (api::Api).
//
// Contract: StartSession takes an accepted stream (unix socket, TCP socket,
// or TLS over TCP), registers the session with the ServerCore and serves
// requests on it, one at a time (keep-alive), until the client leaves, a
// deadline passes (ServerOptions) or the server stops. Request bodies are
// read whole up to Handler::max_body_bytes (413 past it) or handed to the
// handler as a ReadFn (Handler::streams_body); replies are written whole,
// chunked (api::Response::stream) or hijacked (api::Response::upgrade_raw,
// see hijack.h).
//
// Thread rules: socket operations run on the connection's strand (the
// stream's executor); the handler runs on a WorkerPool thread and reaches
// the socket only through AwaitOnStrand (strand_bridge.h). SessionBase::Close
// may be called from any thread. The ServerCore outlives its sessions' use of
// it: ~Session calls Unregister.
#pragma once

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "berth/api.h"
#include "berth/server.h"
#include "server/worker_pool.h"

namespace berth::server {

namespace asio = boost::asio;

// What a listener does with requests.
struct Handler {
  std::function<api::Response(api::Request&)> handle;
  std::function<bool(std::string_view method, std::string_view target)> streams_body;
  // Largest body read whole; a larger one is answered 413 without being
  // read and the connection closes. 0: headers only (no body accepted).
  size_t max_body_bytes = 0;
};

// One of a listener's connection slots, held by a session for its life.
class ConnectionSlot {
 public:
  ConnectionSlot() = default;
  explicit ConnectionSlot(std::shared_ptr<std::atomic<size_t>> open) : open_(std::move(open)) {}
  ConnectionSlot(ConnectionSlot&&) = default;
  ConnectionSlot& operator=(ConnectionSlot&&) = delete;
  ~ConnectionSlot() {
    if (open_) open_->fetch_sub(1);
  }

 private:
  std::shared_ptr<std::atomic<size_t>> open_;
};

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Ends the connection soon (from any thread).
  virtual void Close() = 0;
};

// What sessions need from the server. Called from I/O and worker threads.
class ServerCore {
 public:
  virtual ~ServerCore() = default;
  virtual bool stopping() const = 0;
  virtual bool io_stopped() const = 0;
  virtual WorkerPool* pool() = 0;
  virtual void Register(const std::shared_ptr<SessionBase>& s) = 0;
  virtual void Unregister(SessionBase* s) = 0;
  // Records a finished request (metrics, debug log).
  virtual void Observe(const api::Request& req, const std::string& route, int status, double seconds) = 0;
  // Timeouts (ServerOptions).
  virtual const ServerOptions& options() const = 0;
};

using UnixStream = asio::local::stream_protocol::socket;
using TcpStream = asio::ip::tcp::socket;
using TlsStream = asio::ssl::stream<asio::ip::tcp::socket>;

// Starts serving one accepted connection (see the contract above). The
// stream's executor must be a strand of its own. `handler` outlives the
// session. Throws what the stream's setup throws (the caller logs it).
void StartSession(ServerCore* core, UnixStream stream, const Handler* handler, ConnectionSlot slot);
void StartSession(ServerCore* core, TcpStream stream, const Handler* handler, ConnectionSlot slot);
void StartSession(ServerCore* core, TlsStream stream, const Handler* handler, ConnectionSlot slot);

}  // namespace berth::server
