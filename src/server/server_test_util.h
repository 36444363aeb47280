// What the server's tests share: a blocking HTTP/1.1 client on one
// connection (unix socket or TCP), and a fixture running a real Server over
// a real store in a temp dir.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "berth/api.h"
#include "berth/image_service.h"
#include "berth/metrics.h"
#include "berth/server.h"
#include "testing/temp_dir.h"

namespace berth::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// A blocking HTTP/1.1 client on one connection.
class Client {
  using local = asio::local::stream_protocol;
  using tcp = asio::ip::tcp;

 public:
  // A TCP port on 127.0.0.1.
  struct TcpPort {
    unsigned short port;
  };

  // Connects to the unix socket at `path`.
  explicit Client(const std::string& path) : sock_(ioc_) {
    sock_.connect(asio::generic::stream_protocol::endpoint(local::endpoint(path)));
  }
  explicit Client(TcpPort to) : sock_(ioc_) {
    sock_.connect(
        asio::generic::stream_protocol::endpoint(tcp::endpoint(asio::ip::make_address("127.0.0.1"), to.port)));
  }

  http::response<http::string_body> Send(http::verb method, const std::string& target, std::string body = "",
                                         bool chunked = false) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "docker");
    req.body() = std::move(body);
    if (chunked) {
      req.chunked(true);
    } else {
      req.prepare_payload();
    }
    http::write(sock_, req);
    return Read(method == http::verb::head);
  }

  http::response<http::string_body> Read(bool head = false) {
    http::response_parser<http::string_body> p;
    p.body_limit(boost::none);
    if (head) p.skip(true);
    http::read(sock_, buf_, p);
    return p.release();
  }

  // Sends GET `target` and reads only the response header into `p`; the
  // (streamed) body is then read through `p`.
  void Get(const std::string& target, http::response_parser<http::buffer_body>* p) {
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "docker");
    http::write(sock_, req);
    http::read_header(sock_, buf_, *p);
  }

  // Reads the streamed body behind `p` (see Get) until what was read holds
  // a newline; returns it, or sets *ec and returns what came before the error.
  std::string ReadUntilNewline(http::response_parser<http::buffer_body>* p, beast::error_code* ec) {
    std::string got;
    char buf[4096];
    while (got.find('\n') == std::string::npos) {
      p->get().body().data = buf;
      p->get().body().size = sizeof(buf);
      http::read_some(sock_, buf_, *p, *ec);
      if (*ec == http::error::need_buffer) *ec = {};
      if (*ec) break;
      got.append(buf, sizeof(buf) - p->get().body().size);
    }
    return got;
  }

  asio::generic::stream_protocol::socket& socket() { return sock_; }
  beast::flat_buffer& buffer() { return buf_; }

 private:
  asio::io_context ioc_;
  asio::generic::stream_protocol::socket sock_;
  beast::flat_buffer buf_;
};

// The port of an endpoint such as "http://127.0.0.1:4242" (Server::Endpoints).
inline unsigned short PortOf(const std::string& endpoint) {
  return static_cast<unsigned short>(std::atoi(endpoint.c_str() + endpoint.rfind(':') + 1));
}

// A real Server on a unix socket in a temp dir, over a real store. Tests set
// what they exercise in opts_, then call StartServer().
class ServerTestBase : public ::testing::Test {
 protected:
  explicit ServerTestBase(std::string dir_prefix) : dir_prefix_(std::move(dir_prefix)) {}

  void SetUp() override {
    ASSERT_TRUE(dir_.Create(dir_prefix_));
    Result<std::unique_ptr<Store>> s = Store::Open(StoreOptions{dir_.path() + "/data"});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    api_ = std::make_unique<api::Api>(store_.get(), api::ApiOptions{});
    sock_ = dir_.path() + "/berth.sock";
    // Generous timeouts (the defaults); a test shortens what it exercises.
    opts_.hosts = {"unix://" + sock_};
    opts_.metrics = &metrics_;
    opts_.io_threads = 2;
  }
  void TearDown() override {
    server_.reset();
    api_.reset();
    store_.reset();
  }

  EventBus& bus() { return *store_->events(); }

  void StartServer() {
    Result<std::unique_ptr<Server>> s = Server::Start(api_.get(), opts_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
  }

  // True once a request of `route` has been recorded in the metrics (which
  // happens just after its handler returned and its response was written),
  // polled for up to `limit`.
  bool RouteRecorded(const std::string& route, std::chrono::steady_clock::duration limit) {
    auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < limit) {
      if (metrics_.Serialize().find(route) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  std::string dir_prefix_;
  TempDir dir_;
  std::string sock_;
  Metrics metrics_;
  ServerOptions opts_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<api::Api> api_;
  std::unique_ptr<Server> server_;
};

}  // namespace berth::testing
