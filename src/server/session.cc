// The session behind StartSession (session.h): one template over the three
// stream kinds, instantiated here only.
//
// Life of a request:
//   strand: read header -> (100-continue) -> read whole body, or hand the
//           body to the handler as a ReadFn -> submit to the worker pool
//   worker: Api::Handle -> write the response (whole, or chunked through the
//           producer) -> post AfterResponse
//   strand: next request (keep-alive) or close
// While a streaming response is being written, a "watch" read on the strand
// notices a client that hangs up (`docker events` killed), so the producer's
// Request::cancelled() turns true even when it has nothing to write.
// A hijacking response (Response::upgrade_raw, attach) skips HTTP framing:
// RunHijacked (hijack.h) writes the header block by hand, then raw bytes, and
// the connection closes when the producer returns. No watch read runs then
// (the client may half-close its side); PeerHungUp polls for a full hang-up
// instead (on TCP a hang-up shows only as a failing write).
//
// Deadlines (ServerOptions), all on the strand: one read timer covers the TLS
// handshake, the first request's header, the idle wait for a later request's
// first byte and that request's header; it is disarmed once a header is read
// (bodies and handlers are not timed). Every response write is watched: no
// progress for write_stall_timeout closes the socket, so the producer's write
// fails and its worker returns. A session holds a ConnectionSlot of its
// listener for its life.
#include "server/session.h"

#include <spdlog/spdlog.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <optional>
#include <sstream>

#include "berth/io.h"
#include "server/hijack.h"
#include "server/strand_bridge.h"

namespace berth::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

template <class Stream>
class Session : public SessionBase, private RawConnection, public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::lowest_layer_type<Stream>>;

  Session(ServerCore* core, Stream stream, const Handler* handler, ConnectionSlot slot)
      : core_(core),
        stream_(std::move(stream)),
        handler_(handler),
        slot_(std::move(slot)),
        read_deadline_(stream_.get_executor()),
        write_deadline_(stream_.get_executor()) {}
  ~Session() override { core_->Unregister(this); }

  void Start() {
    auto self = this->shared_from_this();
    if constexpr (kTls) {
      asio::dispatch(stream_.get_executor(), [self] {
        self->ArmReadDeadline(self->core_->options().tls_handshake_timeout);
        self->stream_.async_handshake(asio::ssl::stream_base::server, [self](beast::error_code ec) {
          if (ec) return self->DoClose();
          self->ReadHeader();
        });
      });
    } else {
      asio::dispatch(stream_.get_executor(), [self] { self->ReadHeader(); });
    }
  }

  void Close() override {
    auto self = this->shared_from_this();
    asio::post(stream_.get_executor(), [self] { self->DoClose(); });
  }

 private:
  // ---- strand side ----

  // Closes the connection `after` from now unless re-armed or disarmed
  // first. Zero: no deadline.
  void ArmReadDeadline(std::chrono::milliseconds after) {
    uint64_t generation = ++read_deadline_generation_;
    if (after.count() <= 0) {
      read_deadline_.cancel();
      return;
    }
    read_deadline_.expires_after(after);  // cancels an earlier wait
    auto self = this->shared_from_this();
    read_deadline_.async_wait([self, generation](beast::error_code ec) {
      if (ec || generation != self->read_deadline_generation_) return;
      self->DoClose();
    });
  }

  void DisarmReadDeadline() {
    ++read_deadline_generation_;
    read_deadline_.cancel();
  }

  // Waits for the next request. Between requests a keep-alive connection
  // may idle up to idle_timeout for its first byte; the header then has
  // header_timeout. The first request has header_timeout from the start.
  void ReadHeader() {
    if (closed_ || core_->stopping()) return DoClose();
    if (first_request_ || buffer_.size() > 0) {
      first_request_ = false;
      return ReadHeaderBytes();
    }
    ArmReadDeadline(core_->options().idle_timeout);
    auto self = this->shared_from_this();
    stream_.async_read_some(buffer_.prepare(4096), [self](beast::error_code ec, size_t n) {
      self->buffer_.commit(n);
      if (ec) return self->DoClose();  // EOF between requests, or the idle deadline
      self->ReadHeaderBytes();
    });
  }

  void ReadHeaderBytes() {
    if (closed_ || core_->stopping()) return DoClose();
    ArmReadDeadline(core_->options().header_timeout);
    header_parser_.emplace();
    header_parser_->header_limit(64 * 1024);
    // No body limit while reading the header: Beast would refuse a
    // Content-Length over its 1 MiB default right there. Streaming routes take
    // any size; whole bodies are checked against max_body_bytes below.
    header_parser_->body_limit(boost::none);
    body_parser_.reset();
    string_parser_.reset();
    auto self = this->shared_from_this();
    http::async_read_header(stream_, buffer_, *header_parser_,
                            [self](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    DisarmReadDeadline();      // a body or a response takes as long as it needs
    if (ec) return DoClose();  // EOF, garbage or the header deadline
    const auto& h = header_parser_->get();
    req_ = api::Request();
    req_.method = std::string(h.method_string());
    req_.target = std::string(h.target());
    for (const auto& f : h) req_.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    keep_alive_ = h.keep_alive();
    bool expect_continue = beast::iequals(h[http::field::expect], "100-continue");
    streaming_body_ = handler_->streams_body && handler_->streams_body(req_.method, req_.target);
    body_done_ = header_parser_->is_done();
    auto self = this->shared_from_this();
    // A chunked body's size is unknown: only a headers-only handler refuses
    // it before reading.
    bool over_limit = header_parser_->content_length() ? *header_parser_->content_length() > handler_->max_body_bytes
                                                       : handler_->max_body_bytes == 0;
    if (!streaming_body_ && !body_done_ && over_limit) {
      // Too large to buffer, known from the header: answer 413 at once (no
      // 100 Continue) and close, as the body is not read.
      keep_alive_ = false;
      too_large_ = true;
      body_done_ = true;
      return Dispatch();
    }
    auto next = [self] {
      if (self->streaming_body_) {
        self->body_parser_.emplace(std::move(*self->header_parser_));
        self->body_parser_->body_limit(boost::none);
        self->Dispatch();
      } else {
        self->ReadWholeBody();
      }
    };
    if (expect_continue && !body_done_) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(stream_, asio::buffer(kContinue), [self, next](beast::error_code ec, size_t) {
        if (ec) return self->DoClose();
        next();
      });
      return;
    }
    next();
  }

  void ReadWholeBody() {
    string_parser_.emplace(std::move(*header_parser_));
    string_parser_->body_limit(handler_->max_body_bytes);
    auto self = this->shared_from_this();
    http::async_read(stream_, buffer_, *string_parser_, [self](beast::error_code ec, size_t) {
      if (ec == http::error::body_limit) {
        self->keep_alive_ = false;
        self->too_large_ = true;
      } else if (ec) {
        return self->DoClose();
      } else {
        self->req_.body = std::move(self->string_parser_->get().body());
      }
      self->body_done_ = true;
      self->Dispatch();
    });
  }

  void Dispatch() {
    if (core_->stopping()) return DoClose();
    auto self = this->shared_from_this();
    core_->pool()->Submit([self] { self->Work(); });
  }

  void AfterResponse(bool keep) {
    if (watch_active_) {
      // Stop the watch; its completion continues.
      watch_stop_ = true;
      after_watch_keep_ = keep;
      beast::error_code ignored;
      beast::get_lowest_layer(stream_).cancel(ignored);
      return;
    }
    Continue(keep);
  }

  void Continue(bool keep) {
    if (keep && !client_gone_ && !core_->stopping()) return ReadHeader();
    DoClose();
  }

  void StartWatch() {
    if constexpr (kTls) {
      return;  // a TLS read cannot be cancelled cleanly; writes notice hang-ups
    } else {
      if (closed_ || watch_active_) return;
      watch_active_ = true;
      watch_stop_ = false;
      ArmWatch();
    }
  }

  void ArmWatch() {
    auto self = this->shared_from_this();
    stream_.async_read_some(buffer_.prepare(4096), [self](beast::error_code ec, size_t n) {
      self->buffer_.commit(n);
      if (ec && ec != asio::error::operation_aborted) self->client_gone_ = true;
      if (self->watch_stop_) {
        self->watch_active_ = false;
        return self->Continue(self->after_watch_keep_);
      }
      if (ec || self->buffer_.size() > (1u << 20)) {
        self->watch_active_ = false;  // gone, or a pipelining client: stop watching
        return;
      }
      self->ArmWatch();
    });
  }

  void DoClose() {
    if (closed_) return;
    closed_ = true;
    client_gone_ = true;
    DisarmReadDeadline();  // the timers' waits hold the session: free it now
    write_in_flight_ = false;
    write_deadline_.cancel();
    beast::error_code ignored;
    auto& sock = beast::get_lowest_layer(stream_);
    sock.shutdown(asio::socket_base::shutdown_both, ignored);
    sock.close(ignored);
  }

  // Writes all of `buffers` (what they point to must outlive the write),
  // then calls done(ec, n). The connection is closed when no byte goes out
  // for write_stall_timeout: a client that stops reading cannot hold the
  // producer (and its worker thread) forever.
  template <class Buffers, class Done>
  void WriteWatched(const Buffers& buffers, Done done) {
    auto self = this->shared_from_this();
    write_in_flight_ = true;
    last_write_progress_ = std::chrono::steady_clock::now();
    if (core_->options().write_stall_timeout.count() > 0) {
      ArmWriteDeadline(last_write_progress_ + core_->options().write_stall_timeout);
    }
    asio::async_write(
        stream_, buffers,
        [self](const beast::error_code& ec, size_t) -> size_t {
          // Called before each partial write: the previous one made progress.
          self->last_write_progress_ = std::chrono::steady_clock::now();
          return ec ? 0 : 65536;
        },
        [self, done = std::move(done)](beast::error_code ec, size_t n) mutable {
          self->write_in_flight_ = false;
          self->write_deadline_.cancel();
          done(ec, n);
        });
  }

  void ArmWriteDeadline(std::chrono::steady_clock::time_point when) {
    write_deadline_.expires_at(when);  // cancels an earlier wait
    auto self = this->shared_from_this();
    write_deadline_.async_wait([self](beast::error_code ec) {
      if (ec || !self->write_in_flight_) return;
      auto due = self->last_write_progress_ + self->core_->options().write_stall_timeout;
      if (std::chrono::steady_clock::now() < due) return self->ArmWriteDeadline(due);
      spdlog::debug("closing a connection whose client has read nothing for {} ms",
                    self->core_->options().write_stall_timeout.count());
      self->DoClose();
    });
  }

  // ---- worker side ----

  // Runs start(done) on the strand and waits for done(ec, n) (strand_bridge.h).
  StrandResult Await(std::function<void(StrandDone)> start) {
    return AwaitOnStrand(stream_.get_executor(), this->shared_from_this(), std::move(start),
                         [this] { return core_->io_stopped(); });
  }

  // The streaming body: up to n bytes, 0 at its end.
  Result<size_t> ReadBodySome(char* buf, size_t n) {
    while (!body_done_) {
      auto [ec, ignored] = Await([this, buf, n](StrandDone done) {
        auto& body = body_parser_->get().body();
        body.data = buf;
        body.size = n;
        http::async_read(stream_, buffer_, *body_parser_, [done](beast::error_code ec, size_t) { done(ec, 0); });
      });
      if (ec == http::error::need_buffer) ec = {};
      if (ec) {
        body_failed_ = true;
        body_done_ = true;
        return Unavailable("reading the request body: " + ec.message());
      }
      size_t got = n - body_parser_->get().body().size;
      if (body_parser_->is_done()) body_done_ = true;
      if (got > 0) return got;
    }
    return size_t{0};
  }

  // Reads and discards what the handler left of a streaming body, so the
  // response is not answered into a half-sent request.
  bool DrainBody() override {
    if (!streaming_body_) return true;
    char scratch[16384];
    while (!body_done_) {
      if (!ReadBodySome(scratch, sizeof(scratch)).ok()) return false;
    }
    return !body_failed_;
  }

  template <class Message>
  void SetHeaders(Message* m, const api::Response& r, bool keep) {
    m->version(11);
    m->result(static_cast<unsigned>(r.status));
    for (const auto& [k, v] : r.headers) m->set(k, v);
    m->keep_alive(keep);
  }

  bool WriteWhole(const api::Response& r, bool keep) {
    http::response<http::string_body> res;
    SetHeaders(&res, r, keep);
    res.body() = r.body;
    res.prepare_payload();
    if (req_.method == "HEAD") {
      // The length a GET would get, and no body (RFC 9110 9.3.2): a body
      // here would be read as the start of the next response.
      std::string length(res[http::field::content_length]);
      res.body().clear();
      if (!length.empty()) res.set(http::field::content_length, length);
    }
    std::ostringstream wire;
    wire << res;
    std::string bytes = std::move(wire).str();
    bool failed = false;
    return WriteBuffers(asio::buffer(bytes), &failed).ok();
  }

  // Writes all of `buffers` (a buffer sequence, copied into the operation;
  // what it points to must outlive the call). On a write error sets *failed
  // and returns Unavailable.
  template <class Buffers>
  Status WriteBuffers(const Buffers& buffers, bool* failed) {
    auto [ec, n] = Await([this, buffers](StrandDone done) { WriteWatched(buffers, std::move(done)); });
    if (ec) {
      *failed = true;
      return Unavailable("writing response: " + ec.message());
    }
    return OkStatus();
  }

  void Work() {
    auto started = std::chrono::steady_clock::now();
    auto self = this->shared_from_this();
    req_.cancelled = [self] {
      return self->client_gone_.load() || self->core_->stopping() ||
             (self->hijacked_.load() && PeerHungUp(beast::get_lowest_layer(self->stream_).native_handle()));
    };
    req_.read_hijacked = [this](char* buf, size_t n) { return ReadHijacked(buf, n); };
    req_.interrupt_hijacked_read = [this] { InterruptHijackedRead(); };
    if (streaming_body_) {
      req_.body_reader = [this](char* buf, size_t n) { return ReadBodySome(buf, n); };
    }
    bool keep = keep_alive_;
    api::Response resp;
    if (too_large_) {
      resp = api::ErrorResponse(
          InvalidArgument(handler_->max_body_bytes == 0
                              ? std::string("this endpoint takes no request body")
                              : "request body is larger than " + std::to_string(handler_->max_body_bytes) + " bytes"));
      resp.status = 413;
      api::AddCommonHeaders(&resp);
    } else {
      resp = handler_->handle(req_);
    }
    int status = resp.status;
    if (resp.stream && resp.upgrade_raw) {
      status = RunHijacked(resp, this);
      keep = false;  // a hijacked connection ends with the stream
    } else if (!resp.stream) {
      if (!DrainBody()) keep = false;
      if (!WriteWhole(resp, keep)) keep = false;
    } else {
      status = RunStream(resp, &keep);
    }
    req_.body_reader = nullptr;
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    core_->Observe(req_, resp.route, status, secs);
    req_.cancelled = nullptr;  // drop the self-reference
    req_.read_hijacked = nullptr;
    req_.interrupt_hijacked_read = nullptr;
    asio::post(stream_.get_executor(), [self, keep] { self->AfterResponse(keep); });
  }

  // ---- RawConnection (hijack.h), worker side ----

  void MarkHijacked() override { hijacked_ = true; }

  Status WriteRaw(std::string_view bytes) override {
    bool failed = false;
    return WriteBuffers(asio::const_buffer(bytes.data(), bytes.size()), &failed);
  }

  void WriteClosingResponse(const api::Response& r) override { WriteWhole(r, /*keep=*/false); }

  void AwaitPeerRead(int max_ms) override {
    AwaitSocketDrained(beast::get_lowest_layer(stream_).native_handle(), max_ms);
  }

  // Request::read_hijacked: what the client sent after the request (left in
  // buffer_ by the header read) first, then the socket.
  Result<size_t> ReadHijacked(char* buf, size_t n) {
    if (!hijacked_.load() || read_interrupted_.load() || n == 0) return size_t{0};
    auto [ec, got] = Await([this, buf, n](StrandDone done) {
      if (read_interrupted_.load() || closed_) return done(asio::error::operation_aborted, 0);
      if (buffer_.size() > 0) {
        size_t copied = asio::buffer_copy(asio::buffer(buf, n), buffer_.data());
        buffer_.consume(copied);
        return done({}, copied);
      }
      hijacked_read_pending_ = true;
      stream_.async_read_some(asio::buffer(buf, n), [this, done](beast::error_code ec, size_t k) {
        hijacked_read_pending_ = false;
        done(ec, k);
      });
    });
    if (ec || read_interrupted_.load()) return size_t{0};  // end of input, hang-up or interrupted
    return got;
  }

  // Request::interrupt_hijacked_read. Cancelling the socket's operations
  // also ends a write in flight: the producer interrupts once done writing.
  void InterruptHijackedRead() {
    read_interrupted_ = true;
    auto self = this->shared_from_this();
    asio::post(stream_.get_executor(), [self] {
      if (!self->hijacked_read_pending_) return;
      beast::error_code ignored;
      beast::get_lowest_layer(self->stream_).cancel(ignored);
    });
  }

  // Runs a streaming producer; returns the HTTP status sent.
  int RunStream(api::Response& resp, bool* keep) {
    bool committed = false;
    bool failed = false;
    http::response<http::empty_body> head;
    WriteFn write = [&](std::string_view data) -> Status {
      if (failed) return Unavailable("the client went away");
      if (!committed) {
        if (!DrainBody()) *keep = false;
        SetHeaders(&head, resp, *keep);
        head.chunked(true);
        std::ostringstream wire;
        wire << head.base();
        std::string header_block = std::move(wire).str();
        committed = true;
        BERTH_RETURN_IF_ERROR(WriteBuffers(asio::buffer(header_block), &failed));
        auto self = this->shared_from_this();
        asio::post(stream_.get_executor(), [self] { self->StartWatch(); });
      }
      if (data.empty()) return OkStatus();
      return WriteBuffers(http::make_chunk(asio::const_buffer(data.data(), data.size())), &failed);
    };
    Status s = resp.stream(write);
    if (!committed && !s.ok()) {
      // Nothing sent yet: a proper error response.
      api::Response err = api::ErrorResponse(s);
      api::AddCommonHeaders(&err);
      if (!DrainBody()) *keep = false;
      if (!WriteWhole(err, *keep)) *keep = false;
      return err.status;
    }
    if (s.ok() && !committed) s = write("");
    if (s.ok() && !failed) {
      if (!WriteBuffers(http::make_chunk_last(), &failed).ok()) *keep = false;
    } else {
      // The body is cut short without its last chunk: the client sees an
      // incomplete response. The connection cannot be reused.
      *keep = false;
    }
    return resp.status;
  }

  ServerCore* core_;
  Stream stream_;
  const Handler* handler_;
  ConnectionSlot slot_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> header_parser_;
  std::optional<http::request_parser<http::buffer_body>> body_parser_;
  std::optional<http::request_parser<http::string_body>> string_parser_;
  api::Request req_;
  bool keep_alive_ = false;
  bool streaming_body_ = false;
  bool body_done_ = false;
  bool body_failed_ = false;
  bool too_large_ = false;
  bool closed_ = false;
  bool first_request_ = true;
  // Deadlines (strand only): the read deadline covers the TLS handshake, a
  // request header and the idle time between requests; the write deadline
  // moves with each write's progress.
  asio::steady_timer read_deadline_;
  uint64_t read_deadline_generation_ = 0;
  asio::steady_timer write_deadline_;
  bool write_in_flight_ = false;
  std::chrono::steady_clock::time_point last_write_progress_;
  // Watch state (strand only).
  bool watch_active_ = false;
  bool watch_stop_ = false;
  bool after_watch_keep_ = false;
  std::atomic<bool> client_gone_{false};
  std::atomic<bool> hijacked_{false};  // Response::upgrade_raw headers sent
  std::atomic<bool> read_interrupted_{false};
  bool hijacked_read_pending_ = false;  // strand only
};

template <class Stream>
void Serve(ServerCore* core, Stream stream, const Handler* handler, ConnectionSlot slot) {
  auto session = std::make_shared<Session<Stream>>(core, std::move(stream), handler, std::move(slot));
  core->Register(session);
  session->Start();
}

}  // namespace

void StartSession(ServerCore* core, UnixStream stream, const Handler* handler, ConnectionSlot slot) {
  Serve(core, std::move(stream), handler, std::move(slot));
}

void StartSession(ServerCore* core, TcpStream stream, const Handler* handler, ConnectionSlot slot) {
  Serve(core, std::move(stream), handler, std::move(slot));
}

void StartSession(ServerCore* core, TlsStream stream, const Handler* handler, ConnectionSlot slot) {
  Serve(core, std::move(stream), handler, std::move(slot));
}

}  // namespace berth::server
