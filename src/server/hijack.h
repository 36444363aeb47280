// A hijacked exchange (api::Response::upgrade_raw, as attach answers): the
// connection leaves HTTP. The status line and headers are written by hand,
// then the producer's bytes go out as they are, without chunked framing, and
// the connection closes when the producer returns.
//
// The session owns the socket; this unit only decides what bytes to send and
// when, through RawConnection. Thread rules: RunHijacked runs on the worker
// thread that ran the handler, and calls RawConnection from that thread
// only; PeerHungUp may be called from any thread.
#pragma once

#include <string>
#include <string_view>

#include "berth/api.h"
#include "berth/status.h"

namespace berth::server {

// What a hijacked exchange needs from its connection. Each call blocks the
// worker until done.
class RawConnection {
 public:
  virtual ~RawConnection() = default;
  // Reads and discards what the handler left of the request body; false
  // when reading it failed.
  virtual bool DrainBody() = 0;
  // Records that the upgrade header is about to go out: from then on the
  // session checks for a hang-up with PeerHungUp (no watch read runs, since
  // the client may half-close its side).
  virtual void MarkHijacked() = 0;
  // Writes `bytes` as they are; Unavailable once the client is gone.
  [[nodiscard]] virtual Status WriteRaw(std::string_view bytes) = 0;
  // Waits, at most `max_ms`, until the client has read every byte written
  // so far (on a unix socket: nothing left in its queue; on TCP: all of it
  // acknowledged). Returns at once when that cannot be known.
  virtual void AwaitPeerRead(int max_ms) = 0;
  // Writes a whole HTTP response, the connection to close after it.
  virtual void WriteClosingResponse(const api::Response& r) = 0;
};

// The header block of a hijacking response: the status line ("101 UPGRADED",
// "200 OK", else the standard reason), `headers` as given, the blank line.
std::string HijackHeaderBlock(int status, const api::Headers& headers);

// Runs resp.stream as a hijacking producer over `conn`. The header block goes
// out before the producer's first write (or when it returns having written
// nothing), and the first bytes of the stream wait until the client has read
// it (bounded): a client that reads the header through a buffered HTTP
// reader and then switches to the raw socket, as the Python SDK does, would
// otherwise lose the stream bytes that arrived with the header (an attach
// with logs=1&stream=0 answered at once came back empty). A producer that fails before writing anything gets a proper
// error response instead. Returns the HTTP status sent.
int RunHijacked(api::Response& resp, RawConnection* conn);

// True once the peer of socket `fd` has closed the connection entirely (not
// just its sending side, which a hijacking client such as `docker run` does
// when it has no stdin to send). On TCP a hang-up shows only as a failing
// write. Callable from any thread.
bool PeerHungUp(int fd);

// Blocks until socket `fd` has nothing left in its send queue that the peer
// has not taken (SIOCOUTQ: on a unix socket, bytes the peer has not read; on
// TCP, bytes it has not acknowledged), or `max_ms` passed, or the queue
// cannot be read. Polls every 0.2 ms.
void AwaitSocketDrained(int fd, int max_ms);

}  // namespace berth::server
