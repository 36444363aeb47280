// Listeners, threads and shutdown.

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/beast/core/error.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <map>
#include <thread>

#include "berth/metrics.h"
#include "berth/server.h"
#include "server/session.h"

namespace berth {

namespace server {
namespace {

namespace beast = boost::beast;
using local = asio::local::stream_protocol;
using tcp = asio::ip::tcp;

class ListenerBase {
 public:
  virtual ~ListenerBase() = default;
  virtual void Accept() = 0;
  virtual void Close() = 0;
};

// Accepts connections on `acceptor`, wraps each socket into a Stream and
// starts a Session on a fresh strand.
template <class Protocol, class Stream>
class Listener : public ListenerBase {
 public:
  using Wrap = std::function<Stream(typename Protocol::socket)>;
  Listener(asio::io_context* ioc, ServerCore* core, typename Protocol::acceptor acceptor, Wrap wrap,
           const Handler* handler)
      : ioc_(ioc), core_(core), acceptor_(std::move(acceptor)), wrap_(std::move(wrap)), handler_(handler) {}

  void Accept() override {
    acceptor_.async_accept(asio::make_strand(*ioc_), [this](beast::error_code ec, typename Protocol::socket s) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open() || core_->stopping()) return;
      if (!ec && core_->options().max_connections_per_listener > 0 &&
          open_->fetch_add(1) >= core_->options().max_connections_per_listener) {
        open_->fetch_sub(1);
        RefuseOverCap(&s);
      } else if (!ec) {
        ConnectionSlot slot(core_->options().max_connections_per_listener > 0 ? open_ : nullptr);
        try {
          StartSession(core_, wrap_(std::move(s)), handler_, std::move(slot));
        } catch (const std::exception& e) {
          spdlog::warn("accepting a connection: {}", e.what());
        }
      } else {
        spdlog::warn("accept: {}", ec.message());
        // Out of descriptors and the like: do not spin.
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      Accept();
    });
  }

  // A connection past the cap: a best-effort 503 where the stream is plain
  // (a TLS client would need a handshake first), then closed. Never blocks.
  void RefuseOverCap(typename Protocol::socket* s) {
    if (!refused_logged_.exchange(true)) {
      spdlog::warn("refusing connections past the cap of {} open connections on a listener",
                   core_->options().max_connections_per_listener);
    }
    if constexpr (std::is_same_v<Stream, typename Protocol::socket>) {
      static const std::string kBusy = [] {
        std::string body = "{\"message\":\"too many open connections to berthd\"}\n";
        return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
               "Content-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body;
      }();
      ::send(s->native_handle(), kBusy.data(), kBusy.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    }
    beast::error_code ignored;
    s->shutdown(asio::socket_base::shutdown_both, ignored);
    s->close(ignored);
  }

  void Close() override {
    asio::post(acceptor_.get_executor(), [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
    });
  }

 private:
  asio::io_context* ioc_;
  ServerCore* core_;
  typename Protocol::acceptor acceptor_;
  Wrap wrap_;
  const Handler* handler_;
  std::shared_ptr<std::atomic<size_t>> open_ = std::make_shared<std::atomic<size_t>>(0);
  std::atomic<bool> refused_logged_{false};
};

class ServerImpl : public Server, public ServerCore {
 public:
  ServerImpl(api::Api* api, const ServerOptions& opts) : api_(api), opts_(opts) {
    api_handler_.handle = [this](api::Request& r) { return api_->Handle(r); };
    api_handler_.streams_body = [this](std::string_view m, std::string_view t) {
      return api_->StreamsRequestBody(m, t);
    };
    api_handler_.max_body_bytes = opts_.max_body_bytes;
    metrics_handler_.handle = [this](api::Request& r) { return MetricsResponse(r); };
    metrics_handler_.max_body_bytes = 0;  // headers only: nothing there takes a body
  }

  ~ServerImpl() override { Shutdown(); }

  Status Init() {
    if (opts_.hosts.empty()) return InvalidArgument("no host to listen on");
    std::vector<HostAddress> addrs;
    for (const auto& h : opts_.hosts) {
      BERTH_ASSIGN_OR_RETURN(HostAddress a, ParseHost(h, opts_.default_unix_path));
      if (a.kind == HostAddress::Kind::kTcp && !opts_.tls_verify) {
        return FailedPrecondition("refusing to listen on " + a.ToString() +
                                  " without TLS: anyone who can reach the port would control the daemon; use "
                                  "--tlsverify with --tlscacert, --tlscert and --tlskey, or a unix socket");
      }
      addrs.push_back(std::move(a));
    }
    try {
      for (const auto& a : addrs) {
        if (a.kind == HostAddress::Kind::kUnix) {
          BERTH_RETURN_IF_ERROR(ListenUnix(a.path));
        } else {
          BERTH_RETURN_IF_ERROR(ListenTls(a));
        }
      }
      if (!opts_.metrics_addr.empty()) BERTH_RETURN_IF_ERROR(ListenMetrics(opts_.metrics_addr));
    } catch (const std::exception& e) {
      return Internal(std::string("starting the server: ") + e.what());
    }
    work_.emplace(asio::make_work_guard(ioc_));
    for (auto& l : listeners_) l->Accept();
    int n = std::max(1, opts_.io_threads);
    for (int i = 0; i < n; i++) {
      io_threads_.emplace_back([this] {
        while (true) {
          try {
            ioc_.run();
            return;
          } catch (const std::exception& e) {
            spdlog::error("I/O thread: {}", e.what());
          }
        }
      });
    }
    return OkStatus();
  }

  void Shutdown() override {
    if (shut_down_) return;
    shut_down_ = true;
    stopping_ = true;
    for (auto& l : listeners_) l->Close();
    {
      // Close (and drop) the sessions outside mu_: the last reference to a
      // session may be the one taken here, and ~Session calls Unregister.
      std::vector<std::shared_ptr<SessionBase>> live;
      {
        MutexLock l(&mu_);
        for (auto& [ptr, weak] : sessions_) {
          if (auto s = weak.lock()) live.push_back(std::move(s));
        }
      }
      for (auto& s : live) s->Close();
    }
    pool_.Shutdown();  // handlers see cancellation or failed writes and end
    work_.reset();
    ioc_.stop();
    io_stopped_ = true;
    for (auto& t : io_threads_) {
      if (t.joinable()) t.join();
    }
    pool_.Shutdown();  // anything submitted in the meantime
    for (const auto& path : unix_paths_) ::unlink(path.c_str());
    listeners_.clear();
  }

  std::vector<std::string> Endpoints() const override {
    std::vector<std::string> out = endpoints_;
    if (!metrics_endpoint_.empty()) out.push_back(metrics_endpoint_);
    return out;
  }

  // ServerCore
  bool stopping() const override { return stopping_; }
  bool io_stopped() const override { return io_stopped_; }
  WorkerPool* pool() override { return &pool_; }
  const ServerOptions& options() const override { return opts_; }
  void Register(const std::shared_ptr<SessionBase>& s) override {
    MutexLock l(&mu_);
    sessions_[s.get()] = s;
  }
  void Unregister(SessionBase* s) override {
    MutexLock l(&mu_);
    sessions_.erase(s);
  }
  void Observe(const api::Request& req, const std::string& route, int status, double seconds) override {
    if (opts_.metrics != nullptr && route != "metrics") opts_.metrics->ObserveRequest(route, status, seconds);
    spdlog::debug("{} {} -> {} ({:.1f} ms)", req.method, req.target, status, seconds * 1000);
  }

 private:
  Status ListenUnix(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode)) return FailedPrecondition(path + " exists and is not a socket");
      // A live server answers a connect; a stale file does not.
      local::socket probe(ioc_);
      beast::error_code ec;
      probe.connect(local::endpoint(path), ec);
      if (!ec) return FailedPrecondition("another daemon is already listening on " + path);
      ::unlink(path.c_str());
    }
    local::acceptor acceptor(asio::make_strand(ioc_));
    beast::error_code ec;
    acceptor.open(local::endpoint(path).protocol(), ec);
    if (!ec) acceptor.bind(local::endpoint(path), ec);
    if (ec) return Internal("listening on unix://" + path + ": " + ec.message());
    unix_paths_.push_back(path);
    if (::chmod(path.c_str(), opts_.socket_mode) != 0) return ErrnoStatus("chmod " + path, errno);
    if (opts_.socket_gid >= 0 &&
        ::chown(path.c_str(), static_cast<uid_t>(-1), static_cast<gid_t>(opts_.socket_gid)) != 0) {
      return ErrnoStatus("chown " + path, errno);
    }
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Internal("listening on unix://" + path + ": " + ec.message());
    listeners_.push_back(std::make_unique<Listener<local, local::socket>>(
        &ioc_, this, std::move(acceptor), [](local::socket s) { return s; }, &api_handler_));
    endpoints_.push_back("unix://" + path);
    return OkStatus();
  }

  Result<tcp::acceptor> BindTcp(const std::string& host, uint16_t port) {
    beast::error_code ec;
    tcp::resolver resolver(ioc_);
    auto results = resolver.resolve(host, std::to_string(port), tcp::resolver::passive, ec);
    if (ec || results.empty()) return InvalidArgument("cannot resolve " + host + ": " + ec.message());
    tcp::endpoint ep = results.begin()->endpoint();
    tcp::acceptor acceptor(asio::make_strand(ioc_));
    acceptor.open(ep.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(ep, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Internal("listening on " + host + ":" + std::to_string(port) + ": " + ec.message());
    return acceptor;
  }

  static std::string TcpName(const tcp::acceptor& a) {
    tcp::endpoint ep = a.local_endpoint();
    std::string addr = ep.address().to_string();
    if (ep.address().is_v6()) addr = "[" + addr + "]";
    return addr + ":" + std::to_string(ep.port());
  }

  Status ListenTls(const HostAddress& a) {
    if (opts_.tls_ca_file.empty() || opts_.tls_cert_file.empty() || opts_.tls_key_file.empty()) {
      return InvalidArgument("--tlsverify needs --tlscacert, --tlscert and --tlskey");
    }
    if (!ssl_) {
      ssl_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
      beast::error_code ec;
      ssl_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
      ssl_->use_certificate_chain_file(opts_.tls_cert_file, ec);
      if (ec) return InvalidArgument("loading " + opts_.tls_cert_file + ": " + ec.message());
      ssl_->use_private_key_file(opts_.tls_key_file, asio::ssl::context::pem, ec);
      if (ec) return InvalidArgument("loading " + opts_.tls_key_file + ": " + ec.message());
      ssl_->load_verify_file(opts_.tls_ca_file, ec);
      if (ec) return InvalidArgument("loading " + opts_.tls_ca_file + ": " + ec.message());
      ssl_->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
    }
    BERTH_ASSIGN_OR_RETURN(tcp::acceptor acceptor, BindTcp(a.host, a.port));
    endpoints_.push_back("tcp://" + TcpName(acceptor));
    asio::ssl::context* ctx = ssl_.get();
    listeners_.push_back(std::make_unique<Listener<tcp, TlsStream>>(
        &ioc_, this, std::move(acceptor), [ctx](tcp::socket s) { return TlsStream(std::move(s), *ctx); },
        &api_handler_));
    return OkStatus();
  }

  Status ListenMetrics(const std::string& addr) {
    size_t colon = addr.rfind(':');
    if (colon == std::string::npos) return InvalidArgument("--metrics-addr must be HOST:PORT, got " + addr);
    std::string host = addr.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host.empty()) host = "127.0.0.1";
    char* end = nullptr;
    long port = std::strtol(addr.c_str() + colon + 1, &end, 10);
    if (*end != '\0' || port < 0 || port > 65535) return InvalidArgument("--metrics-addr: bad port in " + addr);
    BERTH_ASSIGN_OR_RETURN(tcp::acceptor acceptor, BindTcp(host, static_cast<uint16_t>(port)));
    metrics_endpoint_ = "http://" + TcpName(acceptor);
    listeners_.push_back(std::make_unique<Listener<tcp, tcp::socket>>(
        &ioc_, this, std::move(acceptor), [](tcp::socket s) { return s; }, &metrics_handler_));
    return OkStatus();
  }

  api::Response MetricsResponse(const api::Request& r) {
    api::Response resp;
    resp.route = "metrics";
    std::string path = r.target.substr(0, r.target.find('?'));
    if ((r.method != "GET" && r.method != "HEAD") || path != "/metrics") {
      resp.status = 404;
      resp.body = "404 page not found\n";
      resp.SetHeader("Content-Type", "text/plain; charset=utf-8");
      return resp;
    }
    resp.SetHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    if (r.method == "GET" && opts_.metrics != nullptr) resp.body = opts_.metrics->Serialize();
    return resp;
  }

 private:
  // Declaration order matters for destruction: sessions still queued in the
  // io_context unregister themselves when it is destroyed, so the session map
  // must outlive ioc_; listeners hold acceptors of ioc_ and go first.
  api::Api* api_;
  ServerOptions opts_;
  Handler api_handler_;
  Handler metrics_handler_;
  Mutex mu_;
  std::map<SessionBase*, std::weak_ptr<SessionBase>> sessions_ GUARDED_BY(mu_);
  std::unique_ptr<asio::ssl::context> ssl_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> io_stopped_{false};
  bool shut_down_ = false;
  std::vector<std::string> unix_paths_;
  std::vector<std::string> endpoints_;
  std::string metrics_endpoint_;
  WorkerPool pool_;
  asio::io_context ioc_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> io_threads_;
  std::vector<std::unique_ptr<ListenerBase>> listeners_;
};

}  // namespace
}  // namespace server

Result<std::unique_ptr<Server>> Server::Start(api::Api* api, const ServerOptions& opts) {
  auto s = std::make_unique<server::ServerImpl>(api, opts);
  Status st = s->Init();
  if (!st.ok()) {
    s->Shutdown();
    return st;
  }
  return std::unique_ptr<Server>(std::move(s));
}

}  // namespace berth
