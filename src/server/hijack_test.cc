// The hijacked connection of POST /containers/{id}/attach over a real unix
// socket: the hand-written 101 header, raw multiplexed frames, a client that
// half-closes its side (as `docker run` does) is not taken for gone, and the
// connection is closed when the stream ends.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "berth/api.h"
#include "berth/image_service.h"
#include "berth/metrics.h"
#include "berth/mutex.h"
#include "berth/server.h"
#include "server/hijack.h"
#include "testing/await.h"
#include "testing/temp_dir.h"

namespace berth {
namespace {

namespace asio = boost::asio;
using local = asio::local::stream_protocol;

// One running container whose log yields "one\n" at once and "two\n" once
// `release` is set (or stops early when the request is cancelled).
class OneContainer : public ContainerService {
 public:
  std::atomic<bool> release{false};
  std::atomic<bool> saw_cancel{false};
  std::atomic<bool> streaming{false};  // the attach has emitted "one"
  std::atomic<int> cancel_checks{0};   // times the log producer asked `cancelled`
  // What attached clients sent to the container's stdin (OpenStdin).
  Mutex stdin_mu;
  std::string stdin_data GUARDED_BY(stdin_mu);

  Result<ContainerInfo> Get(const std::string& ref) override {
    if (ref != "box") return NotFound("No such container: " + ref);
    ContainerInfo c;
    c.record.id = "box";
    c.record.name = "box";
    c.record.state = ContainerState::kRunning;
    c.config.open_stdin = true;
    return c;
  }
  Status WriteStdin(const std::string&, std::string_view data) override {
    MutexLock l(&stdin_mu);
    stdin_data.append(data);
    return OkStatus();
  }
  std::string StdinData() {
    MutexLock l(&stdin_mu);
    return stdin_data;
  }
  Status Logs(const std::string&, LogReadOptions opts, const std::function<Status(const LogEntry&)>& emit) override {
    BERTH_RETURN_IF_ERROR(emit(LogEntry{"stdout", "one\n", 1}));
    streaming = true;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!release && std::chrono::steady_clock::now() < deadline) {
      ++cancel_checks;
      if (opts.cancelled && opts.cancelled()) {
        saw_cancel = true;
        return OkStatus();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return emit(LogEntry{"stderr", "two\n", 2});
  }
  Result<ContainerCreateResult> Create(const std::string&, const ContainerConfig&) override {
    return Unimplemented("x");
  }
  Status Start(const std::string&) override { return Unimplemented("x"); }
  Status Stop(const std::string&, int) override { return Unimplemented("x"); }
  Status Kill(const std::string&, const std::string&) override { return Unimplemented("x"); }
  Status Restart(const std::string&, int) override { return Unimplemented("x"); }
  Result<int> Wait(const std::string&, const std::string&, const std::function<bool()>&) override {
    return Unimplemented("x");
  }
  Status Remove(const std::string&, bool) override { return Unimplemented("x"); }
  Result<std::vector<ContainerInfo>> List(const ContainerListOptions&) override { return Unimplemented("x"); }
  Result<Digest> Commit(const CommitOptions&) override { return Unimplemented("x"); }
  Result<Digest> Import(const ReadFn&, const ImportOptions&) override { return Unimplemented("x"); }
  Result<int> SweepSnapshots() override { return 0; }
  void Shutdown() override {}
};

class HijackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.Create("berth-hijack-test"));
    dir_ = tmp_.path();
    api::ApiOptions o;
    o.containers = &ctr_;
    api_ = std::make_unique<api::Api>(nullptr, o);
    ServerOptions so;
    so.hosts = {"unix://" + dir_ + "/s.sock"};
    so.metrics = &metrics_;
    Result<std::unique_ptr<Server>> s = Server::Start(api_.get(), so);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
    sock_.connect(local::endpoint(dir_ + "/s.sock"));
  }
  void TearDown() override {
    ctr_.release = true;
    server_.reset();
    api_.reset();
    tmp_.Remove();
  }

  // Everything until EOF (or 10 s).
  std::string ReadAll() {
    std::string out;
    char buf[4096];
    boost::system::error_code ec;
    while (true) {
      size_t n = sock_.read_some(asio::buffer(buf), ec);
      out.append(buf, n);
      if (ec) break;
    }
    return out;
  }

  testing::TempDir tmp_;
  std::string dir_;  // tmp_.path()
  OneContainer ctr_;
  Metrics metrics_;
  std::unique_ptr<api::Api> api_;
  std::unique_ptr<Server> server_;
  asio::io_context ioc_;
  local::socket sock_{ioc_};
};

const char kAttach[] =
    "POST /v1.50/containers/box/attach?stderr=1&stdout=1&stream=1 HTTP/1.1\r\n"
    "Host: api.moby.localhost\r\nContent-Length: 0\r\nConnection: Upgrade\r\nContent-Type: text/plain\r\n"
    "Upgrade: tcp\r\n\r\n";

TEST_F(HijackTest, InputAfterTheRequestReachesStdinAndItsEndEndsTheAttach) {
  // The bytes come in the same write as the request: the server has them
  // buffered with the header, and must hand them on all the same.
  std::string request = kAttach;
  request.replace(request.find("stream=1"), 8, "stream=1&stdin=1");
  asio::write(sock_, asio::buffer(request + "typed\n"));
  sock_.shutdown(local::socket::shutdown_send);
  // Without StdinOnce, the end of the client's input ends the attach before
  // the log's second entry comes.
  std::string got = ReadAll();
  EXPECT_EQ(got.find("HTTP/1.1 101 UPGRADED\r\n"), 0u) << got;
  EXPECT_EQ(got.find("two"), std::string::npos) << got;
  EXPECT_TRUE(ctr_.saw_cancel);
  EXPECT_EQ(ctr_.StdinData(), "typed\n");
}

TEST_F(HijackTest, UpgradeThenRawFramesSurviveAHalfClose) {
  asio::write(sock_, asio::buffer(std::string(kAttach)));
  // The client has nothing to send: it closes its side, as the CLI does,
  // once the attach streams.
  ASSERT_TRUE(testing::AwaitCondition([&] { return ctr_.streaming.load(); }));
  ::shutdown(sock_.native_handle(), SHUT_WR);
  // A half-close must not cancel: the producer keeps asking until released,
  // so a wrong cancel shows within its next checks (each 5 ms apart).
  const int checks = ctr_.cancel_checks.load();
  ASSERT_TRUE(testing::AwaitCondition([&] { return ctr_.saw_cancel.load() || ctr_.cancel_checks.load() >= checks + 40; }));
  EXPECT_FALSE(ctr_.saw_cancel);
  ctr_.release = true;
  std::string got = ReadAll();
  size_t end = got.find("\r\n\r\n");
  ASSERT_NE(end, std::string::npos) << got;
  std::string head = got.substr(0, end + 2);
  EXPECT_EQ(head.rfind("HTTP/1.1 101 UPGRADED\r\n", 0), 0u) << head;
  EXPECT_NE(head.find("Content-Type: application/vnd.docker.multiplexed-stream\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("Upgrade: tcp\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("Connection: Upgrade\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.find("Transfer-Encoding"), std::string::npos) << head;
  EXPECT_EQ(got.substr(end + 4), std::string("\x01\0\0\0\0\0\0\x04one\n", 12) + std::string("\x02\0\0\0\0\0\0\x04two\n", 12));
  EXPECT_FALSE(ctr_.saw_cancel);
}

TEST_F(HijackTest, ClientHangupCancels) {
  asio::write(sock_, asio::buffer(std::string(kAttach)));
  ASSERT_TRUE(testing::AwaitCondition([&] { return ctr_.streaming.load(); }));
  sock_.close();
  EXPECT_TRUE(testing::AwaitCondition([&] { return ctr_.saw_cancel.load(); }, std::chrono::seconds(5)));
}

TEST_F(HijackTest, UnknownContainerIsAPlainError) {
  std::string req(kAttach);
  req.replace(req.find("/box/"), 5, "/nosuch/");
  asio::write(sock_, asio::buffer(req));
  ::shutdown(sock_.native_handle(), SHUT_WR);  // the server closes after answering
  std::string got = ReadAll();
  EXPECT_EQ(got.rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u) << got;
  EXPECT_NE(got.find("No such container: nosuch"), std::string::npos) << got;
}

// RunHijacked against a recording connection: the order of what goes out.
class RecordingConnection : public server::RawConnection {
 public:
  std::vector<std::string> log;  // "drain", "hijacked", "raw:<bytes>", "response:<status>"
  int fail_after_writes = -1;    // WriteRaw fails from this write on (-1: never)

  bool DrainBody() override {
    log.push_back("drain");
    return true;
  }
  void MarkHijacked() override { log.push_back("hijacked"); }
  void AwaitPeerRead(int) override { log.push_back("awaited"); }
  Status WriteRaw(std::string_view bytes) override {
    if (fail_after_writes >= 0 && writes_++ >= fail_after_writes) return Unavailable("broken pipe");
    log.push_back("raw:" + std::string(bytes));
    return OkStatus();
  }
  void WriteClosingResponse(const api::Response& r) override {
    log.push_back("response:" + std::to_string(r.status) + ":" + r.body);
  }

 private:
  int writes_ = 0;
};

TEST(HijackHeaderBlock, StatusLineAndHeadersAsGiven) {
  EXPECT_EQ(server::HijackHeaderBlock(101, {{"Upgrade", "tcp"}, {"Connection", "Upgrade"}}),
            "HTTP/1.1 101 UPGRADED\r\nUpgrade: tcp\r\nConnection: Upgrade\r\n\r\n");
  EXPECT_EQ(server::HijackHeaderBlock(200, {}), "HTTP/1.1 200 OK\r\n\r\n");
  EXPECT_EQ(server::HijackHeaderBlock(409, {}), "HTTP/1.1 409 Conflict\r\n\r\n");
}

TEST(RunHijacked, HeaderBlockGoesOutBeforeTheFirstBytes) {
  RecordingConnection conn;
  api::Response resp;
  resp.status = 101;
  resp.upgrade_raw = true;
  resp.stream = [](const WriteFn& write) -> Status {
    BERTH_RETURN_IF_ERROR(write("a"));
    return write("bc");
  };
  EXPECT_EQ(server::RunHijacked(resp, &conn), 101);
  // The first bytes wait for the client to have read the header; later ones do not.
  EXPECT_EQ(conn.log, (std::vector<std::string>{"drain", "hijacked", "raw:HTTP/1.1 101 UPGRADED\r\n\r\n", "awaited",
                                                "raw:a", "raw:bc"}));
}

TEST(RunHijacked, ProducerThatWritesNothingStillSendsTheHeader) {
  RecordingConnection conn;
  api::Response resp;
  resp.status = 200;
  resp.stream = [](const WriteFn&) { return OkStatus(); };
  EXPECT_EQ(server::RunHijacked(resp, &conn), 200);
  EXPECT_EQ(conn.log, (std::vector<std::string>{"drain", "hijacked", "raw:HTTP/1.1 200 OK\r\n\r\n"}));
}

TEST(RunHijacked, FailureBeforeAnyByteIsAPlainErrorResponse) {
  RecordingConnection conn;
  api::Response resp;
  resp.status = 101;
  resp.stream = [](const WriteFn&) { return NotFound("No such container: x"); };
  EXPECT_EQ(server::RunHijacked(resp, &conn), 404);
  EXPECT_EQ(conn.log, (std::vector<std::string>{"drain", "response:404:{\"message\":\"No such container: x\"}\n"}));
}

TEST(RunHijacked, WritesStopAfterAFailedOne) {
  RecordingConnection conn;
  conn.fail_after_writes = 1;  // the header goes out, the first data does not
  api::Response resp;
  resp.status = 101;
  std::vector<std::string> results;
  resp.stream = [&](const WriteFn& write) -> Status {
    results.push_back(write("a").ToString());
    results.push_back(write("b").ToString());
    return OkStatus();
  };
  EXPECT_EQ(server::RunHijacked(resp, &conn), 101);
  EXPECT_EQ(conn.log,
            (std::vector<std::string>{"drain", "hijacked", "raw:HTTP/1.1 101 UPGRADED\r\n\r\n", "awaited"}));
  ASSERT_EQ(results.size(), 2u);
  EXPECT_NE(results[0].find("broken pipe"), std::string::npos) << results[0];
  EXPECT_NE(results[1].find("the client went away"), std::string::npos) << results[1];
}

}  // namespace
}  // namespace berth
