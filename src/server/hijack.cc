#include "server/hijack.h"

#include <poll.h>

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

int RunHijacked(api::Response& resp, RawConnection* conn) {
  bool committed = false;
  bool failed = false;
  auto write_raw = [&](std::string_view bytes) -> Status {
    Status s = conn->WriteRaw(bytes);
    if (!s.ok()) failed = true;
    return s;
  };
  WriteFn write = [&](std::string_view data) -> Status {
    if (failed) return Unavailable("the client went away");
    if (!committed) {
      conn->DrainBody();
      committed = true;
      conn->MarkHijacked();
      BERTH_RETURN_IF_ERROR(write_raw(HijackHeaderBlock(resp.status, resp.headers)));
    }
    if (data.empty()) return OkStatus();
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

bool PeerHungUp(int fd) {
  pollfd p{fd, POLLOUT, 0};
  if (::poll(&p, 1, 0) < 0) return false;
  return (p.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0;
}

}  // namespace berth::server
