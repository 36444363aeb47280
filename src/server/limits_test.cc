// Hostile clients against a real server on a unix socket: a client that
// sends nothing or half a request line, one that idles on a keep-alive
// connection, one that subscribes to /events and stops reading, one
// connection too many. Each is
// disconnected within its bound while /_ping still answers at once; a slow
// request body and a quiet event stream are not cut.

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "server/server_test_util.h"
#include "testing/await.h"
#include "testing/fixture.h"

namespace berth {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;
using testing::Client;

// Waits up to `limit` for the server to close `fd` (the client never reads
// from it); returns the time waited, or `limit` when it stayed open.
std::chrono::steady_clock::duration WaitForServerClose(int fd, std::chrono::steady_clock::duration limit) {
  auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < limit) {
    pollfd p{fd, POLLRDHUP, 0};
    if (::poll(&p, 1, 50) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0) break;
  }
  return std::chrono::steady_clock::now() - start;
}

class ServerLimitsTest : public testing::ServerTestBase {
 protected:
  ServerLimitsTest() : ServerTestBase("berth-limits-test") {}

  // A fresh connection gets its /_ping answered.
  void ExpectPingAnswers() {
    Client c(sock_);
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(c.Send(http::verb::get, "/_ping").body(), "OK");
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  }
};

TEST_F(ServerLimitsTest, SilentClientClosedAfterHeaderTimeout) {
  opts_.header_timeout = 1s;
  StartServer();
  Client silent(sock_);
  ExpectPingAnswers();
  auto waited = WaitForServerClose(silent.socket().native_handle(), 20s);
  EXPECT_LT(waited, 20s) << "a client that sends nothing keeps its connection";
  EXPECT_GE(waited, 900ms);
  ExpectPingAnswers();
}

TEST_F(ServerLimitsTest, HalfRequestLineClosedAfterHeaderTimeout) {
  opts_.header_timeout = 1s;
  StartServer();
  Client slow(sock_);
  asio::write(slow.socket(), asio::buffer(std::string("GET /_pi")));
  ExpectPingAnswers();
  auto waited = WaitForServerClose(slow.socket().native_handle(), 20s);
  EXPECT_LT(waited, 20s) << "half a request line keeps its connection";
  EXPECT_GE(waited, 900ms);
  ExpectPingAnswers();
}

TEST_F(ServerLimitsTest, IdleKeepAliveClosedAfterIdleTimeout) {
  opts_.idle_timeout = 1s;
  StartServer();
  Client idle(sock_);
  EXPECT_EQ(idle.Send(http::verb::get, "/_ping").body(), "OK");
  auto waited = WaitForServerClose(idle.socket().native_handle(), 20s);
  EXPECT_LT(waited, 20s) << "an idle keep-alive connection stays open";
  EXPECT_GE(waited, 900ms);
  ExpectPingAnswers();
}

// Neither a request body that arrives late nor an event stream with nothing
// to say for longer than every timeout is cut.
TEST_F(ServerLimitsTest, SlowBodyAndQuietStreamAreNotTimedOut) {
  opts_.header_timeout = 300ms;
  opts_.idle_timeout = 300ms;
  opts_.write_stall_timeout = 300ms;
  StartServer();
  Result<testing::BuiltImage> img = testing::SimpleImage({{"f", "slow"}});
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  Result<std::string> archive = testing::WriteOciArchive({{&*img, {"docker.io/library/slow:1"}}});
  ASSERT_TRUE(archive.ok()) << archive.status().ToString();

  Client loader(sock_);
  std::string head =
      "POST /v1.50/images/load?quiet=1 HTTP/1.1\r\nHost: docker\r\nContent-Type: application/x-tar\r\n"
      "Content-Length: " +
      std::to_string(archive->size()) + "\r\n\r\n";
  asio::write(loader.socket(), asio::buffer(head));
  Client events(sock_);
  http::response_parser<http::buffer_body> p;
  events.Get("/v1.50/events?filters=%7B%22type%22%3A%5B%22image%22%5D%7D", &p);
  ASSERT_EQ(p.get().result_int(), 200);

  // Time passing is the point here: several times every timeout.
  std::this_thread::sleep_for(1500ms);

  asio::write(loader.socket(), asio::buffer(*archive));
  auto loaded = loader.Read();
  EXPECT_EQ(loaded.result_int(), 200);
  EXPECT_NE(loaded.body().find("Loaded image: slow:1"), std::string::npos) << loaded.body();

  // The load's event reaches the quiet stream.
  beast::error_code ec;
  std::string got = events.ReadUntilNewline(&p, &ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_NE(got.find("\"Action\":\"load\""), std::string::npos) << got;
  ExpectPingAnswers();
}

// A client subscribes to /events and never reads: once the socket buffers are
// full and no byte has gone out for write_stall_timeout, the server closes the
// connection and the producer returns (its worker is free).
TEST_F(ServerLimitsTest, EventsClientThatStopsReadingIsDisconnected) {
  opts_.write_stall_timeout = 1s;
  StartServer();
  Client reader(sock_);
  int small = 4096;
  ASSERT_EQ(::setsockopt(reader.socket().native_handle(), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
  http::response_parser<http::buffer_body> p;
  reader.Get("/v1.50/events", &p);
  ASSERT_EQ(p.get().result_int(), 200);

  // About 4 MiB of events: far more than the two socket buffers hold, and
  // fewer than a subscriber's queue bound.
  Event e;
  e.action = "tag";
  e.actor_id = "sha256:" + std::string(64, 'c');
  e.attributes["name"] = "stalled:latest";
  e.attributes["padding"] = std::string(4096, 'p');
  for (int i = 0; i < 1000; i++) bus().Publish(e);

  auto waited = WaitForServerClose(reader.socket().native_handle(), 30s);
  EXPECT_LT(waited, 30s) << "a client that stopped reading keeps its stream";
  EXPECT_TRUE(RouteRecorded("GET /events", 10s)) << metrics_.Serialize();
  ExpectPingAnswers();
}

// Past max_connections_per_listener a connection is answered 503 and closed
// at once; when a held connection closes, the next one is served.
TEST_F(ServerLimitsTest, ConnectionsPastTheCapAreRefusedAtOnce) {
  opts_.max_connections_per_listener = 2;
  StartServer();
  auto held1 = std::make_unique<Client>(sock_);
  Client held2(sock_);
  EXPECT_EQ(held1->Send(http::verb::get, "/_ping").body(), "OK");
  EXPECT_EQ(held2.Send(http::verb::get, "/_ping").body(), "OK");

  Client over(sock_);
  auto t0 = std::chrono::steady_clock::now();
  auto refused = over.Read();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(refused.result_int(), 503);
  EXPECT_EQ(refused.body(), "{\"message\":\"too many open connections to berthd\"}\n");
  EXPECT_EQ(held2.Send(http::verb::get, "/_ping").body(), "OK");  // the held ones still work

  held1.reset();  // frees a slot once the server has seen the hang-up
  EXPECT_TRUE(testing::AwaitCondition([&] {
    try {
      Client next(sock_);
      return next.Send(http::verb::get, "/_ping").result_int() == 200;
    } catch (const std::exception&) {
      return false;  // refused before the request went out: try again
    }
  }));
}

// The metrics listener reads headers only: a request with a body (announced
// as 1 GB, or chunked) is answered 413 at once without any body byte sent,
// and GET /metrics still works.
TEST_F(ServerLimitsTest, MetricsListenerTakesNoBody) {
  opts_.metrics_addr = "127.0.0.1:0";
  StartServer();
  std::vector<std::string> eps = server_->Endpoints();
  ASSERT_EQ(eps.size(), 2u);
  ASSERT_EQ(eps[1].rfind("http://127.0.0.1:", 0), 0u);
  Client::TcpPort port{testing::PortOf(eps[1])};
  for (const std::string framing : {"Content-Length: 1000000000\r\n", "Transfer-Encoding: chunked\r\n"}) {
    Client t(port);
    asio::write(t.socket(), asio::buffer("POST /metrics HTTP/1.1\r\nHost: x\r\n" + framing + "\r\n"));
    auto res = t.Read();
    EXPECT_EQ(res.result_int(), 413) << framing;
    EXPECT_EQ(res.body(), "{\"message\":\"this endpoint takes no request body\"}\n") << framing;
    EXPECT_FALSE(res.keep_alive());
  }
  Client t(port);
  EXPECT_EQ(t.Send(http::verb::get, "/metrics").result_int(), 200);
  ExpectPingAnswers();
}

// A TCP client of the TLS listener that never finishes its handshake (sends
// nothing, or a few bytes of a ClientHello) is closed after
// tls_handshake_timeout.
TEST_F(ServerLimitsTest, StalledTlsHandshakeClosedAfterTimeout) {
  std::string key = dir_.path() + "/key.pem", cert = dir_.path() + "/cert.pem";
  std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -days 1 -keyout " + key + " -out " +
                    cert + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "no openssl to make a certificate";
  opts_.hosts.push_back("tcp://127.0.0.1:0");
  opts_.tls_verify = true;
  opts_.tls_ca_file = cert;
  opts_.tls_cert_file = cert;
  opts_.tls_key_file = key;
  opts_.tls_handshake_timeout = 1s;
  StartServer();
  std::vector<std::string> eps = server_->Endpoints();
  ASSERT_EQ(eps.size(), 2u);
  ASSERT_EQ(eps[1].rfind("tcp://127.0.0.1:", 0), 0u);
  Client::TcpPort port{testing::PortOf(eps[1])};
  Client silent(port), partial(port);
  const unsigned char hello_start[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01};  // record and handshake headers
  asio::write(partial.socket(), asio::buffer(hello_start));
  ExpectPingAnswers();
  for (Client* c : {&silent, &partial}) {
    auto waited = WaitForServerClose(c->socket().native_handle(), 20s);
    EXPECT_LT(waited, 20s) << "a stalled TLS handshake keeps its connection";
  }
  ExpectPingAnswers();
}

}  // namespace
}  // namespace berth
