// The socket layer: real unix sockets over a real store in a temp dir.

#include "berth/server.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "berth/image_service.h"
#include "server/server_test_util.h"
#include "testing/await.h"
#include "testing/fixture.h"

namespace berth {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using local = asio::local::stream_protocol;
using testing::Client;

class ServerTest : public testing::ServerTestBase {
 protected:
  ServerTest() : ServerTestBase("berth-server-test") {}
};

TEST(ParseHost, Forms) {
  Result<HostAddress> u = ParseHost("unix:///run/x.sock", "/d.sock");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->kind, HostAddress::Kind::kUnix);
  EXPECT_EQ(u->path, "/run/x.sock");
  EXPECT_EQ(ParseHost("unix://", "/d.sock")->path, "/d.sock");
  Result<HostAddress> t = ParseHost("tcp://0.0.0.0:2376", "");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->kind, HostAddress::Kind::kTcp);
  EXPECT_EQ(t->host, "0.0.0.0");
  EXPECT_EQ(t->port, 2376);
  EXPECT_EQ(ParseHost("tcp://:1234", "")->host, "127.0.0.1");
  EXPECT_EQ(ParseHost("tcp://[::1]:99", "")->host, "::1");
  EXPECT_EQ(ParseHost("tcp://h", "")->port, 2376);
  EXPECT_EQ(ParseHost("fd://", "").status().message(), "invalid bind address (fd://): unsupported proto 'fd'");
  EXPECT_FALSE(ParseHost("/just/a/path", "").ok());
  EXPECT_FALSE(ParseHost("tcp://h:99999", "").ok());
  EXPECT_FALSE(ParseHost("unix://relative", "").ok());
}

TEST_F(ServerTest, PingGetHeadAndKeepAlive) {
  StartServer();
  struct stat st;
  ASSERT_EQ(::stat(sock_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  EXPECT_EQ(server_->Endpoints(), std::vector<std::string>{"unix://" + sock_});

  Client c(sock_);
  // HEAD first, then GETs on the same connection: a stray HEAD body would
  // corrupt the next response.
  auto head = c.Send(http::verb::head, "/_ping");
  EXPECT_EQ(head.result_int(), 200);
  EXPECT_EQ(head[http::field::content_length], "0");
  EXPECT_EQ(head["Api-Version"], "1.50");
  auto get = c.Send(http::verb::get, "/v1.50/_ping");
  EXPECT_EQ(get.result_int(), 200);
  EXPECT_EQ(get.body(), "OK");
  EXPECT_EQ(get["Ostype"], "linux");
  auto version = c.Send(http::verb::get, "/version");
  EXPECT_EQ(version.result_int(), 200);
  EXPECT_NE(version.body().find("\"ApiVersion\":\"1.50\""), std::string::npos);
  auto missing = c.Send(http::verb::get, "/v1.50/nothing");
  EXPECT_EQ(missing.result_int(), 404);
  EXPECT_EQ(missing.body(), "{\"message\":\"page not found\"}\n");
  // A HEAD whose answer has a body (an error here) gets the length alone:
  // the body's bytes would be read as the start of the next response.
  auto head_missing = c.Send(http::verb::head, "/v1.50/nothing");
  EXPECT_EQ(head_missing.result_int(), 404);
  EXPECT_EQ(head_missing[http::field::content_length], std::to_string(missing.body().size()));
  auto after_head = c.Send(http::verb::get, "/_ping");
  EXPECT_EQ(after_head.result_int(), 200);
  EXPECT_EQ(after_head.body(), "OK");
  Result<testing::BuiltImage> img = testing::SimpleImage({{"f", "server"}});
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  ASSERT_TRUE(testing::AddToStore(store_.get(), *img, {"a"}).ok());
  auto tag = c.Send(http::verb::post, "/v1.50/images/a/tag?repo=b&tag=t", "", /*chunked=*/true);
  EXPECT_EQ(tag.result_int(), 201) << tag.body();
  Result<ImageRecord> tagged = store_->images()->Resolve("docker.io/library/b:t");
  ASSERT_TRUE(tagged.ok()) << tagged.status().ToString();
  EXPECT_EQ(tagged->target.digest, img->target.digest);
  Client c2(sock_);
  auto list = c2.Send(http::verb::get, "/v1.50/images/json");
  EXPECT_EQ(list.result_int(), 200);
  EXPECT_NE(list.body().find("\"b:t\""), std::string::npos) << list.body();
  EXPECT_TRUE(RouteRecorded("POST /images/{name:.*}/tag", std::chrono::seconds(2)));
}

TEST_F(ServerTest, StaleSocketRemovedLiveSocketRefused) {
  // A stale socket file (nobody listening) is replaced.
  {
    asio::io_context ioc;
    local::acceptor a(ioc, local::endpoint(sock_));
  }
  ASSERT_EQ(::access(sock_.c_str(), F_OK), 0);
  StartServer();
  Client c(sock_);
  EXPECT_EQ(c.Send(http::verb::get, "/_ping").result_int(), 200);
  // A second server on the same path is refused while the first lives.
  Result<std::unique_ptr<Server>> second = Server::Start(api_.get(), opts_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("already listening"), std::string::npos);
  EXPECT_EQ(c.Send(http::verb::get, "/_ping").result_int(), 200);
  server_->Shutdown();
  EXPECT_NE(::access(sock_.c_str(), F_OK), 0);  // removed at shutdown
}

TEST_F(ServerTest, PlainTcpRefused) {
  ServerOptions o;
  o.hosts = {"tcp://127.0.0.1:0"};
  Result<std::unique_ptr<Server>> s = Server::Start(api_.get(), o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("--tlsverify"), std::string::npos);
  o.hosts = {"fd://"};
  EXPECT_EQ(Server::Start(api_.get(), o).status().code(), Code::kInvalidArgument);
  o.hosts = {};
  EXPECT_FALSE(Server::Start(api_.get(), o).ok());
}

TEST_F(ServerTest, EventsStreamLiveWhilePingAnswers) {
  StartServer();
  Client events(sock_);
  http::response_parser<http::buffer_body> p;
  events.Get("/v1.50/events?filters=%7B%22type%22%3A%5B%22image%22%5D%7D", &p);
  EXPECT_EQ(p.get().result_int(), 200);
  EXPECT_TRUE(p.get().chunked());
  EXPECT_EQ(p.get()[http::field::content_type], "application/json");

  // Other requests are served while the stream is open.
  Client other(sock_);
  EXPECT_EQ(other.Send(http::verb::get, "/_ping").body(), "OK");

  Event skipped;
  skipped.type = "container";
  skipped.action = "start";
  skipped.actor_id = "c1";
  bus().Publish(skipped);
  Event e;
  e.action = "tag";
  e.actor_id = "sha256:" + std::string(64, 'a');
  e.attributes["name"] = "busybox:latest";
  bus().Publish(e);

  beast::error_code ec;
  std::string got = events.ReadUntilNewline(&p, &ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(got.rfind("{\"status\":\"tag\",\"id\":\"sha256:aaaa", 0), 0u) << got;
  EXPECT_NE(got.find("\"Type\":\"image\""), std::string::npos);
  EXPECT_EQ(got.find("container"), std::string::npos);
}

TEST_F(ServerTest, ShutdownEndsOpenStreamsAndIdleConnections) {
  StartServer();
  Client idle(sock_);
  EXPECT_EQ(idle.Send(http::verb::get, "/_ping").result_int(), 200);
  Client events(sock_);
  http::response_parser<http::buffer_body> p;
  events.Get("/events", &p);
  ASSERT_EQ(p.get().result_int(), 200);
  auto t0 = std::chrono::steady_clock::now();
  server_->Shutdown();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  // The stream ends: cut off (an error) or with its last chunk, whichever
  // the shutdown's timing gives; either way the reads stop.
  beast::error_code ec;
  char buf[64];
  for (int reads = 0; !ec && !p.is_done() && reads < 10000; reads++) {
    p.get().body().data = buf;
    p.get().body().size = sizeof(buf);
    http::read_some(events.socket(), events.buffer(), p, ec);
    if (ec == http::error::need_buffer) ec = {};
  }
  EXPECT_TRUE(ec || p.is_done());
}

TEST_F(ServerTest, ClientHangupEndsEventStream) {
  StartServer();
  {
    Client events(sock_);
    http::response_parser<http::buffer_body> p;
    events.Get("/events", &p);
    ASSERT_EQ(p.get().result_int(), 200);
  }  // hang up
  // The handler notices without any event being published: its request is
  // then recorded in the metrics.
  EXPECT_TRUE(RouteRecorded("GET /events", std::chrono::seconds(5)));
}

TEST_F(ServerTest, ReplayWithUntilEndsTheStream) {
  Event old;
  old.action = "load";
  old.actor_id = "sha256:" + std::string(64, 'b');
  old.time_unix_nanos = int64_t{1000} * 1000000000;
  bus().Publish(old);
  StartServer();
  Client c(sock_);
  auto r = c.Send(http::verb::get, "/v1.50/events?since=0&until=2000");
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_NE(r.body().find("\"Action\":\"load\""), std::string::npos);
  EXPECT_EQ(r.body().back(), '\n');
  auto none = c.Send(http::verb::get, "/v1.50/events?since=0&until=1");
  EXPECT_EQ(none.body(), "");
  auto bad = c.Send(http::verb::get, "/v1.50/events?since=5&until=1");
  EXPECT_EQ(bad.result_int(), 400);
  EXPECT_EQ(bad.body(), "{\"message\":\"`since` time (5) cannot be after `until` time (1)\"}\n");
}

TEST_F(ServerTest, MetricsEndpoint) {
  opts_.metrics_addr = "127.0.0.1:0";
  StartServer();
  std::vector<std::string> eps = server_->Endpoints();
  ASSERT_EQ(eps.size(), 2u);
  ASSERT_EQ(eps[1].rfind("http://127.0.0.1:", 0), 0u);
  Client c(sock_);
  c.Send(http::verb::get, "/_ping");
  Client t(Client::TcpPort{testing::PortOf(eps[1])});
  http::response<http::string_body> res;
  // The ping is recorded just after its response.
  EXPECT_TRUE(testing::AwaitCondition([&] {
    res = t.Send(http::verb::get, "/metrics");
    return res.body().find("berth_http_requests_total") != std::string::npos;
  }));
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(res.body().find("berth_http_requests_total{endpoint=\"GET /_ping\",status=\"200\"} 1"), std::string::npos)
      << res.body();
  EXPECT_EQ(t.Send(http::verb::get, "/_ping").result_int(), 404);
}

// A load archive over 1 MiB (a layer of incompressible bytes).
std::string LargeArchive(const std::string& name, Digest* target) {
  std::string noise;
  uint32_t x = 2463534242u;
  for (size_t i = 0; i < (3u << 20) / 4; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    noise.append(reinterpret_cast<const char*>(&x), 4);
  }
  Result<testing::BuiltImage> img = testing::SimpleImage({{"noise", noise}});
  if (!img.ok()) return "";
  *target = img->target.digest;
  Result<std::string> tar = testing::WriteOciArchive({{&*img, {name}}});
  return tar.ok() ? *tar : "";
}

// Every framing HTTP/1.1 allows for a request body, at a size over Beast's
// 1 MiB default: Content-Length, Content-Length with Expect: 100-continue
// (the 100 interim reply comes first), chunked. The connection serves the
// next request afterwards.
TEST_F(ServerTest, LargeBodiesInEveryFraming) {
  StartServer();
  Client c(sock_);
  Digest a, b, d;
  std::string plain = LargeArchive("docker.io/library/plain:1", &a);
  std::string expect = LargeArchive("docker.io/library/expect:1", &b);
  std::string chunked = LargeArchive("docker.io/library/chunked:1", &d);
  ASSERT_GT(plain.size(), 2u << 20);

  auto r1 = c.Send(http::verb::post, "/v1.50/images/load?quiet=1", plain);
  EXPECT_EQ(r1.result_int(), 200);
  EXPECT_NE(r1.body().find("Loaded image: plain:1"), std::string::npos) << r1.body();
  EXPECT_EQ(c.Send(http::verb::get, "/_ping").body(), "OK");

  std::string head = "POST /v1.50/images/load HTTP/1.1\r\nHost: docker\r\nContent-Type: application/x-tar\r\n"
                     "Expect: 100-continue\r\nContent-Length: " +
                     std::to_string(expect.size()) + "\r\n\r\n";
  asio::write(c.socket(), asio::buffer(head));
  std::string interim;
  char ch;
  while (interim.find("\r\n\r\n") == std::string::npos) {
    ASSERT_EQ(asio::read(c.socket(), asio::buffer(&ch, 1)), 1u);
    interim += ch;
  }
  EXPECT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n");
  asio::write(c.socket(), asio::buffer(expect));
  auto r2 = c.Read();
  EXPECT_EQ(r2.result_int(), 200);
  EXPECT_NE(r2.body().find("Loaded image: expect:1"), std::string::npos) << r2.body();

  auto r3 = c.Send(http::verb::post, "/v1.50/images/load", chunked, /*chunked=*/true);
  EXPECT_EQ(r3.result_int(), 200);
  EXPECT_NE(r3.body().find("Loaded image: chunked:1"), std::string::npos) << r3.body();
  EXPECT_EQ(c.Send(http::verb::get, "/_ping").body(), "OK");

  EXPECT_EQ(store_->images()->Resolve("plain:1")->target.digest, a);
  EXPECT_EQ(store_->images()->Resolve("expect:1")->target.digest, b);
  EXPECT_EQ(store_->images()->Resolve("chunked:1")->target.digest, d);
}

// A route that reads its body whole takes a Content-Length body over 1 MiB
// (up to max_body_bytes); a Content-Length over max_body_bytes is 413 before
// any byte of the body is read (no 100 Continue).
TEST_F(ServerTest, WholeBodyLimits) {
  opts_.max_body_bytes = 4u << 20;
  StartServer();
  Result<testing::BuiltImage> img = testing::SimpleImage({{"f", "whole"}});
  ASSERT_TRUE(img.ok());
  ASSERT_TRUE(testing::AddToStore(store_.get(), *img, {"a"}).ok());

  Client c(sock_);
  auto tag = c.Send(http::verb::post, "/v1.50/images/a/tag?repo=big&tag=1", std::string(2u << 20, ' '));
  EXPECT_EQ(tag.result_int(), 201) << tag.body();
  EXPECT_TRUE(store_->images()->Resolve("big:1").ok());
  EXPECT_EQ(c.Send(http::verb::get, "/_ping").body(), "OK");

  Client over(sock_);
  std::string head = "POST /v1.50/images/a/tag?repo=big&tag=2 HTTP/1.1\r\nHost: docker\r\n"
                     "Expect: 100-continue\r\nContent-Length: " +
                     std::to_string(5u << 20) + "\r\n\r\n";
  asio::write(over.socket(), asio::buffer(head));
  auto refused = over.Read();
  EXPECT_EQ(refused.result_int(), 413);
  EXPECT_EQ(refused.body(), "{\"message\":\"request body is larger than 4194304 bytes\"}\n");
  EXPECT_FALSE(store_->images()->Resolve("big:2").ok());

  Client after(sock_);
  EXPECT_EQ(after.Send(http::verb::get, "/_ping").body(), "OK");
}

}  // namespace
}  // namespace berth
