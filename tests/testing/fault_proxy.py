"""A small HTTP/1.1 TCP proxy in front of a registry that injects faults into
blob downloads, for the registry e2e tests.

Faults (each applies to GET /v2/<repo>/blobs/<digest> responses):
  drop_digest:    the first response for this blob (or for any blob when
                  "*") is cut after half of its body: the proxy closes both
                  connections, once. Later requests pass untouched.
  corrupt_digest: every response for this blob has one body byte flipped
                  (same length), so the client sees a digest mismatch.
  blob_delay:     seconds to hold every blob response back (to make
                  parallel downloads overlap); max_inflight records the most
                  blob GETs in progress at once.

Connections are handled one request/response at a time (clients like
libcurl do not pipeline). Request bodies (Content-Length or chunked) pass
through, so pushes work through the proxy too.

Use as a module (FaultProxy(upstream_port).start(); .port; .stop()) or run
`fault_proxy.py UPSTREAM_PORT [--drop DIGEST] [--corrupt DIGEST]`.
"""

import argparse
import re
import socket
import threading
import time

BLOB_RE = re.compile(rb"^GET /v2/.+/blobs/(sha256:[0-9a-f]{64})")


class _Conn:
    """A socket with a read buffer."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError
        self.buf += data

    def read_until(self, marker):
        while marker not in self.buf:
            self.fill()
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def read_exact(self, n):
        while len(self.buf) < n:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_all(self):
        chunks = [self.buf]
        self.buf = b""
        while True:
            data = self.sock.recv(65536)
            if not data:
                return b"".join(chunks)
            chunks.append(data)


def _headers(head):
    out = {}
    for line in head.split(b"\r\n")[1:]:
        if b":" in line:
            k, v = line.split(b":", 1)
            out[k.strip().lower()] = v.strip()
    return out


def _read_chunked(conn):
    """The raw bytes of a chunked body (as sent) and its decoded payload."""
    raw, payload = b"", b""
    while True:
        line = conn.read_until(b"\r\n")
        raw += line
        size = int(line.split(b";")[0].strip(), 16)
        if size == 0:
            while True:
                trailer = conn.read_until(b"\r\n")
                raw += trailer
                if trailer == b"\r\n":
                    return raw, payload
        data = conn.read_exact(size + 2)
        raw += data
        payload += data[:-2]


class FaultProxy:
    def __init__(self, upstream_port, upstream_host="127.0.0.1", drop_digest=None, corrupt_digest=None,
                 blob_delay=0.0):
        self.upstream = (upstream_host, upstream_port)
        self.drop_digest = drop_digest
        self.corrupt_digest = corrupt_digest
        self.blob_delay = blob_delay
        self.inflight = 0
        self.max_inflight = 0
        self.dropped = 0      # responses cut so far
        self.corrupted = 0    # responses corrupted so far
        self.blob_gets = []   # (digest, Range header or None) of every blob GET
        self._lock = threading.Lock()
        self._srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._srv.bind(("127.0.0.1", 0))
        self._srv.listen(64)
        self.port = self._srv.getsockname()[1]
        self._stopped = False

    def start(self):
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self):
        self._stopped = True
        try:
            self._srv.close()
        except OSError:
            pass

    def _accept(self):
        while not self._stopped:
            try:
                client, _ = self._srv.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client_sock):
        up_sock = None
        try:
            up_sock = socket.create_connection(self.upstream)
            client, up = _Conn(client_sock), _Conn(up_sock)
            while True:
                if not self._one_exchange(client, up):
                    return
        except (EOFError, OSError, ValueError):
            return
        finally:
            for s in (client_sock, up_sock):
                if s is not None:
                    try:
                        s.close()
                    except OSError:
                        pass

    def _one_exchange(self, client, up):
        """Relays one request and its response; False to close."""
        head = client.read_until(b"\r\n\r\n")
        method = head.split(b" ", 1)[0]
        h = _headers(head)
        body = b""
        if b"content-length" in h:
            body = client.read_exact(int(h[b"content-length"]))
        elif h.get(b"transfer-encoding", b"").lower() == b"chunked":
            body, _ = _read_chunked(client)
        up.sock.sendall(head + body)
        m = BLOB_RE.match(head)
        digest = m.group(1).decode() if m else None
        if digest:
            with self._lock:
                rng = h.get(b"range")
                self.blob_gets.append((digest, rng.decode() if rng else None))
                self.inflight += 1
                self.max_inflight = max(self.max_inflight, self.inflight)
            try:
                if self.blob_delay:
                    time.sleep(self.blob_delay)
                return self._respond(client, up, method, digest)
            finally:
                with self._lock:
                    self.inflight -= 1
        return self._respond(client, up, method, digest)

    def _respond(self, client, up, method, digest):

        rhead = up.read_until(b"\r\n\r\n")
        status = int(rhead.split(b" ", 2)[1])
        rh = _headers(rhead)
        keep = True
        if method == b"HEAD" or status in (204, 304) or 100 <= status < 200:
            rbody, chunked = b"", False
        elif b"content-length" in rh:
            rbody, chunked = up.read_exact(int(rh[b"content-length"])), False
        elif rh.get(b"transfer-encoding", b"").lower() == b"chunked":
            raw, payload = _read_chunked(up)
            rbody, chunked = payload, True
        else:
            rbody, chunked, keep = up.read_all(), False, False

        if digest and status in (200, 206) and rbody:
            if self.corrupt_digest in (digest, "*"):
                with self._lock:
                    self.corrupted += 1
                i = len(rbody) // 2
                rbody = rbody[:i] + bytes([rbody[i] ^ 0xFF]) + rbody[i + 1:]
            drop = False
            with self._lock:
                if self.dropped == 0 and self.drop_digest in (digest, "*"):
                    self.dropped += 1
                    drop = True
            if drop:
                # The head promises the whole body; send half and hang up.
                client.sock.sendall(rhead + (b"" if chunked else rbody[: len(rbody) // 2]))
                return False
        if chunked:
            client.sock.sendall(rhead + raw if not (digest and self.corrupt_digest) else
                                rhead + b"%x\r\n" % len(rbody) + rbody + b"\r\n0\r\n\r\n")
        else:
            client.sock.sendall(rhead + rbody)
        return keep and rh.get(b"connection", b"").lower() != b"close"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("upstream_port", type=int)
    ap.add_argument("--drop", help="blob digest (or '*') whose first download is cut halfway")
    ap.add_argument("--corrupt", help="blob digest (or '*') whose downloads get one byte flipped")
    args = ap.parse_args()
    p = FaultProxy(args.upstream_port, drop_digest=args.drop, corrupt_digest=args.corrupt).start()
    print(p.port, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
