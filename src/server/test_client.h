// A blocking HTTP/1.1 client on one unix-socket connection, for the server's
// tests.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <string>

namespace berth::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// A blocking HTTP/1.1 client on one unix-socket connection.
class Client {
  using local = asio::local::stream_protocol;

 public:
  explicit Client(const std::string& path) : sock_(ioc_) { sock_.connect(local::endpoint(path)); }

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

  local::socket& socket() { return sock_; }
  beast::flat_buffer& buffer() { return buf_; }

 private:
  asio::io_context ioc_;
  local::socket sock_;
  beast::flat_buffer buf_;
};

}  // namespace berth::testing
