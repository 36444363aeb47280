// EmbeddedDns (see berth/dns.h): listeners opened in containers' network
// namespaces, served by one Boost.Asio event-loop thread.
//
// Thread rules: every socket, timer, Listener, TcpSession and Forwarder is
// touched only on the event-loop thread; Open/Close/OpenContainers hand
// their work to it (asio::post) and wait for it.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <cerrno>
#include <functional>
#include <future>
#include <map>
#include <set>
#include <thread>

#include "base/unique_fd.h"
#include "berth/dns.h"
#include "berth/log.h"
#include "runtime/subprocess.h"

namespace berth::dns {

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

constexpr char kResolverAddress[] = "127.0.0.11";
constexpr size_t kUdpQueryBuffer = 4096;
constexpr size_t kUpstreamBuffer = 65535;

uint16_t QueryId(const std::vector<uint8_t>& query) {
  return query.size() >= 2 ? static_cast<uint16_t>((query[0] << 8) | query[1]) : 0;
}

struct NetnsSockets {
  UniqueFd udp, tcp;
  uint16_t udp_port = 0, tcp_port = 0;
};

Result<uint16_t> BindResolverAddress(int fd) {
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  ::inet_pton(AF_INET, kResolverAddress, &addr.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return ErrnoStatus(std::string("bind ") + kResolverAddress, errno);
  }
  socklen_t len = sizeof(addr);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return ErrnoStatus("getsockname", errno);
  return ntohs(addr.sin_port);
}

// Runs `body` on a helper thread that has entered the network namespace at
// `netns_path` (nothing else of berthd moves; sockets made there and
// children spawned from there keep it). Returns why the namespace could not
// be entered, else OK: `body` reports through what it captures.
Status OnThreadInNetns(const std::string& netns_path, const std::function<void()>& body) {
  Status entered;
  std::thread helper([&] {
    UniqueFd ns(::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns.valid()) {
      entered = ErrnoStatus("open " + netns_path, errno);
      return;
    }
    if (::setns(ns.get(), CLONE_NEWNET) != 0) {
      entered = ErrnoStatus("enter the network namespace " + netns_path, errno);
      return;
    }
    body();
  });
  helper.join();
  return entered;
}

// A UDP and a listening TCP socket on 127.0.0.11 at random ports inside the
// network namespace at `netns_path`.
Result<NetnsSockets> OpenSocketsInNetns(const std::string& netns_path) {
  Result<NetnsSockets> result = Internal("not run");
  BERTH_RETURN_IF_ERROR(OnThreadInNetns(netns_path, [&] {
    NetnsSockets s;
    s.udp = UniqueFd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    s.tcp = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!s.udp.valid() || !s.tcp.valid()) {
      result = ErrnoStatus("socket", errno);
      return;
    }
    auto udp_port = BindResolverAddress(s.udp.get());
    auto tcp_port = BindResolverAddress(s.tcp.get());
    if (!udp_port.ok() || !tcp_port.ok()) {
      result = udp_port.ok() ? tcp_port.status() : udp_port.status();
      return;
    }
    if (::listen(s.tcp.get(), 64) != 0) {
      result = ErrnoStatus("listen", errno);
      return;
    }
    s.udp_port = *udp_port;
    s.tcp_port = *tcp_port;
    result = std::move(s);
  }));
  return result;
}

// Runs argv in the network namespace at `netns_path`, spawned from a thread
// inside it, so no nsenter runs first.
Status RunInNetns(const std::string& netns_path, const std::vector<std::string>& argv, const std::string& input = "") {
  Status result;
  BERTH_RETURN_IF_ERROR(OnThreadInNetns(netns_path, [&] {
    runtime_internal::CommandInput in;
    in.stdin_data = input;
    auto r = runtime_internal::RunCommandWithInput(argv, in);
    if (!r.ok()) {
      result = r.status();
    } else if (r->exit_code != 0) {
      result = Internal(argv[0] + " in " + netns_path + " failed: " + r->err);
    }
  }));
  return result;
}

// 127.0.0.11:53 → the listeners, inside the container's namespace (its
// own nat table; nothing of the host's changes). The chains are replaced
// whole, so a re-open (berthd restarted) leaves no stale port behind.
// `new_namespace`: the jumps to them are made in the same iptables-restore
// (one process); else each is checked first, so that it is there once.
Status InstallRules(const std::string& netns_path, uint16_t udp_port, uint16_t tcp_port, bool new_namespace) {
  const std::vector<std::vector<std::string>> jumps = {
      {"OUTPUT", "-d", "127.0.0.11/32", "-j", "BERTH_DNS_OUTPUT"},
      {"POSTROUTING", "-s", "127.0.0.11/32", "-j", "BERTH_DNS_POSTROUTING"}};
  const std::string to = std::string(kResolverAddress) + ":";
  std::string rules =
      "*nat\n"
      ":BERTH_DNS_OUTPUT - [0:0]\n"
      ":BERTH_DNS_POSTROUTING - [0:0]\n"
      "-A BERTH_DNS_OUTPUT -d 127.0.0.11/32 -p udp --dport 53 -j DNAT --to-destination " +
      to + std::to_string(udp_port) +
      "\n"
      "-A BERTH_DNS_OUTPUT -d 127.0.0.11/32 -p tcp --dport 53 -j DNAT --to-destination " +
      to + std::to_string(tcp_port) +
      "\n"
      "-A BERTH_DNS_POSTROUTING -s 127.0.0.11/32 -p udp --sport " +
      std::to_string(udp_port) +
      " -j SNAT --to-source :53\n"
      "-A BERTH_DNS_POSTROUTING -s 127.0.0.11/32 -p tcp --sport " +
      std::to_string(tcp_port) + " -j SNAT --to-source :53\n";
  if (new_namespace) {
    for (const auto& jump : jumps) {
      rules += "-A";
      for (const auto& word : jump) rules += " " + word;
      rules += "\n";
    }
  }
  rules += "COMMIT\n";
  BERTH_RETURN_IF_ERROR(RunInNetns(netns_path, {"iptables-restore", "--noflush"}, rules));
  if (new_namespace) return OkStatus();
  for (const auto& jump : jumps) {
    std::vector<std::string> check = {"iptables", "-w", "-t", "nat", "-C"};
    check.insert(check.end(), jump.begin(), jump.end());
    if (RunInNetns(netns_path, check).ok()) continue;
    std::vector<std::string> add = {"iptables", "-w", "-t", "nat", "-A"};
    add.insert(add.end(), jump.begin(), jump.end());
    BERTH_RETURN_IF_ERROR(RunInNetns(netns_path, add));
  }
  return OkStatus();
}

class TcpSession;

// One container's listeners.
struct Listener {
  Listener(asio::io_context& io, std::string id) : container_id(std::move(id)), udp_socket(io), acceptor(io) {}
  std::string container_id;
  std::vector<udp::endpoint> upstreams;
  udp::socket udp_socket;
  tcp::acceptor acceptor;
  std::vector<uint8_t> buffer = std::vector<uint8_t>(kUdpQueryBuffer);
  udp::endpoint sender;
  std::set<std::shared_ptr<TcpSession>> sessions;
  bool closed = false;
};

using Done = std::function<void(std::vector<uint8_t>)>;

// One query forwarded: each upstream in turn, `timeout` each, from a fresh
// socket each time (a late answer of an earlier one is never taken).
class Forwarder : public std::enable_shared_from_this<Forwarder> {
 public:
  Forwarder(asio::io_context& io, std::vector<uint8_t> query, std::vector<udp::endpoint> upstreams,
            std::chrono::milliseconds timeout, Done done)
      : io_(io),
        query_(std::move(query)),
        upstreams_(std::move(upstreams)),
        timeout_(timeout),
        done_(std::move(done)),
        timer_(io) {}

  void Start() { Try(0); }

 private:
  void Try(size_t index) {
    if (index >= upstreams_.size()) {
      Finish(ServerFailure(query_));
      return;
    }
    index_ = index;
    socket_ = std::make_unique<udp::socket>(io_);
    boost::system::error_code ec;
    socket_->open(udp::v4(), ec);
    if (!ec) socket_->send_to(asio::buffer(query_), upstreams_[index], 0, ec);
    if (ec) {
      Try(index + 1);
      return;
    }
    timer_.expires_after(timeout_);
    timer_.async_wait([self = shared_from_this(), index](const boost::system::error_code& e) {
      if (e || self->finished_ || self->index_ != index) return;
      self->socket_->close();
      self->Try(index + 1);
    });
    Receive(index);
  }

  void Receive(size_t index) {
    socket_->async_receive_from(
        asio::buffer(buffer_), from_, [self = shared_from_this(), index](const boost::system::error_code& e, size_t n) {
          if (e || self->finished_ || self->index_ != index) return;
          std::vector<uint8_t> response(self->buffer_.begin(), self->buffer_.begin() + static_cast<long>(n));
          if (self->from_ != self->upstreams_[index] || !IsResponseTo(response, QueryId(self->query_))) {
            self->Receive(index);  // not our answer: keep waiting until the deadline
            return;
          }
          self->Finish(std::move(response));
        });
  }

  void Finish(std::vector<uint8_t> response) {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    if (socket_) socket_->close();
    done_(std::move(response));
  }

  asio::io_context& io_;
  const std::vector<uint8_t> query_;
  const std::vector<udp::endpoint> upstreams_;
  const std::chrono::milliseconds timeout_;
  Done done_;
  asio::steady_timer timer_;
  std::unique_ptr<udp::socket> socket_;
  std::vector<uint8_t> buffer_ = std::vector<uint8_t>(kUpstreamBuffer);
  udp::endpoint from_;
  size_t index_ = 0;
  bool finished_ = false;
};

class EmbeddedDnsImpl;

// One TCP client: length-prefixed queries one after the other; closed when
// idle (no progress reading or writing) for the idle timeout, on a query
// over the size limit, or on one that is dropped.
class TcpSession : public std::enable_shared_from_this<TcpSession> {
 public:
  TcpSession(EmbeddedDnsImpl* dns, std::shared_ptr<Listener> listener, tcp::socket socket)
      : dns_(dns), listener_(std::move(listener)), socket_(std::move(socket)), timer_(socket_.get_executor()) {}
  void Start() { ReadHeader(); }
  void Stop();

 private:
  void ArmIdle();
  void ReadHeader();
  void Handle();
  void Write(std::vector<uint8_t> reply);

  EmbeddedDnsImpl* dns_;
  std::weak_ptr<Listener> listener_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  uint8_t header_[2] = {0, 0};
  std::vector<uint8_t> body_;
  std::vector<uint8_t> out_;
  bool stopped_ = false;
};

class EmbeddedDnsImpl : public EmbeddedDns {
 public:
  EmbeddedDnsImpl(PeerLookup lookup, const EmbeddedDnsOptions& opts)
      : lookup_(std::move(lookup)), opts_(opts), work_(asio::make_work_guard(io_)) {
    thread_ = std::thread([this] { io_.run(); });
  }

  ~EmbeddedDnsImpl() override {
    OnLoop([this] {
      for (auto& [id, l] : listeners_) CloseListener(l);
      listeners_.clear();
      return 0;
    });
    work_.reset();
    io_.stop();
    thread_.join();
  }

  Status Open(const std::string& id, const std::string& netns_path, const std::vector<std::string>& upstreams,
              bool new_namespace) override {
    std::vector<udp::endpoint> endpoints;
    for (const auto& u : upstreams) {
      boost::system::error_code ec;
      auto address = asio::ip::make_address_v4(u, ec);
      if (ec) {  // the resolv.conf keeps it; berthd forwards over IPv4 only
        LogIfError(Unimplemented("upstream resolver " + u + " is not an IPv4 address"),
                   "dns: forward the queries of container " + id);
        continue;
      }
      endpoints.emplace_back(address, 53);
    }
    BERTH_ASSIGN_OR_RETURN(NetnsSockets s, OpenSocketsInNetns(netns_path));
    bool listened = OnLoop([&] { return listeners_.contains(id); });
    BERTH_RETURN_IF_ERROR(InstallRules(netns_path, s.udp_port, s.tcp_port, new_namespace && !listened));
    return OnLoop([&]() -> Status {
      if (auto it = listeners_.find(id); it != listeners_.end()) {
        CloseListener(it->second);
        listeners_.erase(it);
      }
      auto l = std::make_shared<Listener>(io_, id);
      l->upstreams = endpoints;
      boost::system::error_code ec;
      // The socket objects own copies; `s` closes the originals.
      const int udp_fd = ::fcntl(s.udp.get(), F_DUPFD_CLOEXEC, 0);
      const int tcp_fd = ::fcntl(s.tcp.get(), F_DUPFD_CLOEXEC, 0);
      if (udp_fd < 0 || tcp_fd < 0) {
        if (udp_fd >= 0) ::close(udp_fd);
        if (tcp_fd >= 0) ::close(tcp_fd);
        return ErrnoStatus("dns: dup a listener", errno);
      }
      l->udp_socket.assign(udp::v4(), udp_fd, ec);
      if (ec) {
        ::close(udp_fd);
        ::close(tcp_fd);
        return Internal("dns: adopt the UDP socket: " + ec.message());
      }
      l->acceptor.assign(tcp::v4(), tcp_fd, ec);
      if (ec) {
        ::close(tcp_fd);
        return Internal("dns: adopt the TCP socket: " + ec.message());
      }
      listeners_[id] = l;
      ReceiveUdp(l);
      Accept(l);
      return OkStatus();
    });
  }

  void Close(const std::string& id) override {
    OnLoop([&] {
      if (auto it = listeners_.find(id); it != listeners_.end()) {
        CloseListener(it->second);
        listeners_.erase(it);
      }
      return 0;
    });
  }

  std::vector<std::string> OpenContainers() override {
    return OnLoop([&] {
      std::vector<std::string> out;
      for (const auto& [id, l] : listeners_) out.push_back(id);
      return out;
    });
  }

  // ---- event-loop thread only ----

  std::vector<Peer> PeersOf(const std::string& id) { return lookup_(id); }

  // Forwards `query` for `l`'s container; `done` gets the answer, or
  // SERVFAIL (also at once past the in-flight cap or without upstreams).
  void Forward(const std::shared_ptr<Listener>& l, std::vector<uint8_t> query, Done done) {
    if (l->upstreams.empty() || forwards_in_flight_ >= opts_.max_forwards_in_flight) {
      done(ServerFailure(query));
      return;
    }
    ++forwards_in_flight_;
    auto f = std::make_shared<Forwarder>(io_, std::move(query), l->upstreams, opts_.upstream_timeout,
                                         [this, done = std::move(done)](std::vector<uint8_t> r) {
                                           --forwards_in_flight_;
                                           done(std::move(r));
                                         });
    f->Start();
  }

  const EmbeddedDnsOptions& options() const { return opts_; }

 private:
  template <class F>
  auto OnLoop(F f) -> decltype(f()) {
    std::promise<decltype(f())> result;
    auto future = result.get_future();
    asio::post(io_, [&] { result.set_value(f()); });
    return future.get();
  }

  void CloseListener(const std::shared_ptr<Listener>& l) {
    l->closed = true;
    boost::system::error_code ec;
    l->udp_socket.close(ec);
    l->acceptor.close(ec);
    auto sessions = l->sessions;  // Stop erases from the set
    for (const auto& s : sessions) s->Stop();
  }

  void ReceiveUdp(const std::shared_ptr<Listener>& l) {
    l->udp_socket.async_receive_from(
        asio::buffer(l->buffer), l->sender, [this, l](const boost::system::error_code& ec, size_t n) {
          if (l->closed || ec == asio::error::operation_aborted) return;
          if (!ec) HandleUdp(l, std::vector<uint8_t>(l->buffer.begin(), l->buffer.begin() + static_cast<long>(n)));
          ReceiveUdp(l);
        });
  }

  void HandleUdp(const std::shared_ptr<Listener>& l, std::vector<uint8_t> query) {
    QueryOutcome outcome = AnswerQuery(query, PeersOf(l->container_id), kUdpReplyLimit);
    const udp::endpoint to = l->sender;
    switch (outcome.disposition) {
      case Disposition::kDrop: return;
      case Disposition::kReply: SendUdp(l, to, std::move(outcome.reply)); return;
      case Disposition::kForward:
        Forward(l, std::move(query), [this, l, to](std::vector<uint8_t> reply) { SendUdp(l, to, std::move(reply)); });
        return;
    }
  }

  void SendUdp(const std::shared_ptr<Listener>& l, const udp::endpoint& to, std::vector<uint8_t> reply) {
    if (l->closed || reply.empty()) return;
    auto data = std::make_shared<std::vector<uint8_t>>(std::move(reply));
    l->udp_socket.async_send_to(asio::buffer(*data), to, [data](const boost::system::error_code&, size_t) {});
  }

  void Accept(const std::shared_ptr<Listener>& l) {
    l->acceptor.async_accept([this, l](const boost::system::error_code& ec, tcp::socket socket) {
      if (l->closed || ec == asio::error::operation_aborted) return;
      if (ec) {
        // Out of descriptors or the like: try again a little later rather
        // than spin on the failing accept.
        auto pause = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(100));
        pause->async_wait([this, l, pause](const boost::system::error_code& e) {
          if (!e && !l->closed) Accept(l);
        });
        return;
      }
      if (l->sessions.size() >= opts_.max_tcp_connections_per_container) {
        boost::system::error_code ignored;
        socket.close(ignored);  // over the cap: the client sees the connection end at once
      } else {
        auto session = std::make_shared<TcpSession>(this, l, std::move(socket));
        l->sessions.insert(session);
        session->Start();
      }
      Accept(l);
    });
  }

  const PeerLookup lookup_;
  const EmbeddedDnsOptions opts_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
  std::map<std::string, std::shared_ptr<Listener>> listeners_;  // event-loop thread only
  size_t forwards_in_flight_ = 0;                               // event-loop thread only
};

void TcpSession::Stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ec;
  socket_.close(ec);
  timer_.cancel();
  if (auto l = listener_.lock()) l->sessions.erase(shared_from_this());
}

void TcpSession::ArmIdle() {
  timer_.expires_after(dns_->options().tcp_idle_timeout);
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->Stop();
  });
}

void TcpSession::ReadHeader() {
  if (stopped_) return;
  ArmIdle();
  asio::async_read(
      socket_, asio::buffer(header_), [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
        if (ec || self->stopped_) {
          self->Stop();
          return;
        }
        const size_t size = (static_cast<size_t>(self->header_[0]) << 8) | self->header_[1];
        if (size == 0 || size > self->dns_->options().max_tcp_message_bytes) {
          self->Stop();
          return;
        }
        self->body_.resize(size);
        asio::async_read(self->socket_, asio::buffer(self->body_), [self](const boost::system::error_code& e, size_t) {
          if (e || self->stopped_) {
            self->Stop();
            return;
          }
          self->Handle();
        });
      });
}

void TcpSession::Handle() {
  auto l = listener_.lock();
  if (!l || l->closed) {
    Stop();
    return;
  }
  QueryOutcome outcome = AnswerQuery(body_, dns_->PeersOf(l->container_id), 65535);
  switch (outcome.disposition) {
    case Disposition::kDrop: Stop(); return;
    case Disposition::kReply: Write(std::move(outcome.reply)); return;
    case Disposition::kForward:
      timer_.cancel();  // the forward has its own deadline
      dns_->Forward(l, body_, [self = shared_from_this()](std::vector<uint8_t> reply) {
        if (reply.empty() || reply.size() > 65535) {
          self->Stop();
          return;
        }
        self->Write(std::move(reply));
      });
      return;
  }
}

void TcpSession::Write(std::vector<uint8_t> reply) {
  if (stopped_) return;
  out_.clear();
  out_.push_back(static_cast<uint8_t>(reply.size() >> 8));
  out_.push_back(static_cast<uint8_t>(reply.size() & 0xff));
  out_.insert(out_.end(), reply.begin(), reply.end());
  ArmIdle();
  asio::async_write(socket_, asio::buffer(out_),
                    [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                      if (ec) {
                        self->Stop();
                        return;
                      }
                      self->ReadHeader();
                    });
}

}  // namespace

Result<std::unique_ptr<EmbeddedDns>> EmbeddedDns::Start(PeerLookup lookup, const EmbeddedDnsOptions& opts) {
  return std::unique_ptr<EmbeddedDns>(std::make_unique<EmbeddedDnsImpl>(std::move(lookup), opts));
}

}  // namespace berth::dns
