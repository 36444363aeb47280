#include "server/hijack.h"

#include <linux/sockios.h>
#include <poll.h>
#include <sys/ioctl.h>

#include <chrono>
#include <thread>

#include <boost/beast/http/status.hpp>

namespace berth::server {

namespace http = boost::beast::http;

std::string HijackHeaderBlock(int status, const api::Headers& headers) {
  std::string reason = status == 101 ? "UPGRADED"
                       : status == 200
                           ? "OK"
                           : std::string(http::obsolete_reason(http::int_to_status(static_cast<unsigned>(status))));
  std::string head = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n";
  for (const auto& [name, value] : headers) head += name + ": " + value + "\r\n";
  head += "\r\n";
  return head;
}

// How long the first stream bytes wait for the client to read the header.
constexpr int kHeaderReadWaitMs = 200;

int RunHijacked(api::Response& resp, RawConnection* conn) {
  bool committed = false;
  bool failed = false;
  auto write_raw = [&](std::string_view bytes) -> Status {
    Status s = conn->WriteRaw(bytes);
    if (!s.ok()) failed = true;
    return s;
  };
  bool header_read = false;  // the client has read the header block (or we stopped waiting)
  WriteFn write = [&](std::string_view data) -> Status {
    if (failed) return Unavailable("the client went away");
    if (!committed) {
      conn->DrainBody();
      committed = true;
      conn->MarkHijacked();
      BERTH_RETURN_IF_ERROR(write_raw(HijackHeaderBlock(resp.status, resp.headers)));
    }
    if (data.empty()) return OkStatus();
    if (!header_read) {
      conn->AwaitPeerRead(kHeaderReadWaitMs);
      header_read = true;
    }
    return write_raw(data);
  };
  Status s = resp.stream(write);
  if (!committed && !s.ok()) {
    api::Response err = api::ErrorResponse(s);
    api::AddCommonHeaders(&err);
    conn->DrainBody();
    conn->WriteClosingResponse(err);
    return err.status;
  }
  if (!committed) write("").IgnoreError();
  return resp.status;
}

void AwaitSocketDrained(int fd, int max_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(max_ms);
  while (true) {
    int queued = 0;
    if (::ioctl(fd, SIOCOUTQ, &queued) != 0 || queued <= 0) return;
    if (std::chrono::steady_clock::now() >= deadline) return;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

bool PeerHungUp(int fd) {
  pollfd p{fd, POLLOUT, 0};
  if (::poll(&p, 1, 0) < 0) return false;
  return (p.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0;
}

}  // namespace berth::server
