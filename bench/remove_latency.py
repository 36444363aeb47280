#!/usr/bin/env python3
"""Removal latency through berthd: `DELETE /images/{name}` of a 2-platform
image whose layers no other image shares, against the floor it cannot beat:
one fsync on the data root's file system plus one HTTP round trip.

One run, one berthd on its own data root:
  1. loads N images (2 platforms each, 32 KiB of unique data per layer);
  2. times N round trips of GET /_ping on one keep-alive connection;
  3. times N fsyncs of a 4 KiB write in the data root;
  4. times DELETE /images/<name> of each image on the same connection;
and prints the medians and the ratio delete / (fsync + ping).

Usage: bench/remove_latency.py [build dir] [--images 200]
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
os.environ["BERTH_E2E_WATCHDOG"] = "0"  # a bench may run long
import berth_e2e  # noqa: E402  (the e2e tests' berthd starter and helpers)


def request(sock, method, target):
    sock.sendall(("%s %s HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n" % (method, target)).encode())
    head, body = berth_e2e.read_http_response(sock)
    return int(head.split(b" ", 2)[1]), body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--images", type=int, default=200)
    args = ap.parse_args()
    berth_e2e.BERTHD = os.path.join(args.build, "bin", "berthd")
    berth_e2e.FIXTURE = os.path.join(args.build, "bin", "berth-fixture")
    tmp = tempfile.mkdtemp(prefix="berth-rmlat-")
    d = berth_e2e.Daemon(tmp, log_level="warn").start()
    try:
        n = args.images
        blob = os.urandom(16 * 1024).hex()
        for i in range(n):
            path = os.path.join(tmp, "img.tar")
            berth_e2e.fixture(path, "-n", "rm/img%d:1" % i, "-p", "linux/amd64", "-p", "linux/arm64",
                              "-f", "data=%d-%s" % (i, blob))
            rc, _, err = d.docker("load", "-q", "-i", path)
            if rc != 0:
                raise SystemExit("load failed: " + err)
        s = socket.socket(socket.AF_UNIX)
        s.connect(d.sock)
        ping = []
        for _ in range(n):
            t = time.perf_counter()
            request(s, "GET", "/_ping")
            ping.append(time.perf_counter() - t)
        fsync = []
        probe = os.path.join(d.data_root, "fsync-probe")
        with open(probe, "wb") as f:
            for _ in range(n):
                f.seek(0)
                f.write(os.urandom(4096))
                t = time.perf_counter()
                f.flush()
                os.fsync(f.fileno())
                fsync.append(time.perf_counter() - t)
        os.unlink(probe)
        delete = []
        for i in range(n):
            t = time.perf_counter()
            status, body = request(s, "DELETE", "/v1.50/images/rm/img%d:1" % i)
            delete.append(time.perf_counter() - t)
            if status != 200:
                raise SystemExit("delete failed: %d %s" % (status, body))
        s.close()
        med = {k: statistics.median(v) * 1000 for k, v in (("ping", ping), ("fsync", fsync), ("delete", delete))}
        print("images: %d (2 platforms, unshared layers)" % n)
        print("median GET /_ping round trip: %.3f ms" % med["ping"])
        print("median fsync (4 KiB, data root): %.3f ms" % med["fsync"])
        print("median DELETE /images/{name}: %.3f ms (p90 %.3f ms)" %
              (med["delete"], statistics.quantiles(delete, n=10)[-1] * 1000))
        print("ratio delete / (fsync + ping): %.2f" % (med["delete"] / (med["fsync"] + med["ping"])))
    finally:
        d.stop()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
