#!/usr/bin/env python3
"""Two builds of berthd side by side through the unix socket, for telling
whether a change to the server made requests slower.

Starts one berthd from each build dir, each on its own data root, loads the
same two archives into both (one image of 4 x 64 MiB layers, then N small
images; make_archive.py), then sends the same requests to both, alternating
which goes first, so that whatever else runs on the machine weighs on both
alike:
  GET /_ping                      20,000 times (request/response round trip)
  GET /images/json                300 times over N+1 images (a whole body)
  GET /images/{big}/get           6 times (a 268 MB chunked reply)
Prints per build the median wall time and berthd's CPU time per request
(utime + stime from /proc), and the time each took to load the big archive
(a streamed request body).

Usage: bench/socket_ab.py BASELINE_BUILD CANDIDATE_BUILD [--images 1000]
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
os.environ["BERTH_E2E_WATCHDOG"] = "0"  # a bench may run long
import berth_e2e  # noqa: E402  (the e2e tests' berthd starter and helpers)


def request(sock, method, target, body_path=None):
    """One request on a keep-alive connection; a body is streamed from a file."""
    head = "%s %s HTTP/1.1\r\nHost: docker\r\n" % (method, target)
    if body_path is None:
        sock.sendall((head + "Content-Length: 0\r\n\r\n").encode())
    else:
        head += "Content-Type: application/x-tar\r\nContent-Length: %d\r\n\r\n" % os.path.getsize(body_path)
        sock.sendall(head.encode())
        with open(body_path, "rb") as f:
            while True:
                piece = f.read(1 << 16)
                if not piece:
                    break
                sock.sendall(piece)
    status_head, _ = berth_e2e.read_http_response(sock)
    return int(status_head.split(b" ", 2)[1])


def cpu_seconds(pid):
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("baseline")
    ap.add_argument("candidate")
    ap.add_argument("--images", type=int, default=1000)
    args = ap.parse_args()
    builds = {"baseline": args.baseline, "candidate": args.candidate}
    work = tempfile.mkdtemp(prefix="berth-socket-ab-")
    daemons, socks = {}, {}
    try:
        big, many = os.path.join(work, "big.tar"), os.path.join(work, "many.tar")
        make = [sys.executable, os.path.join(HERE, "make_archive.py")]
        subprocess.run(make + [big, "--images", "1", "--layers", "4", "--layer-bytes", str(64 << 20),
                               "--prefix", "bench/big"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(make + [many, "--images", str(args.images), "--layers", "1", "--layer-bytes", "512",
                               "--prefix", "bench/many"], check=True, stdout=subprocess.DEVNULL)
        load_seconds = {}
        for name, build in builds.items():
            d = berth_e2e.Daemon(os.path.join(work, name), log_level="warn",
                                 berthd=os.path.join(build, "bin", "berthd"))
            os.makedirs(d.tmp, exist_ok=True)
            daemons[name] = d.start()
            socks[name] = socket.socket(socket.AF_UNIX)
            socks[name].connect(d.sock)
            t = time.perf_counter()
            if request(socks[name], "POST", "/v1.50/images/load?quiet=1", big) != 200:
                raise SystemExit(name + ": loading the big archive failed")
            load_seconds[name] = time.perf_counter() - t
            if request(socks[name], "POST", "/v1.50/images/load?quiet=1", many) != 200:
                raise SystemExit(name + ": loading the small images failed")
        print("load of a 268 MB archive (streamed body), one each: " +
              ", ".join("%s %.2f s" % (k, v) for k, v in load_seconds.items()))
        cases = (("GET /_ping", "/_ping", 20000),
                 ("GET /images/json (%d images)" % (args.images + 1), "/v1.50/images/json", 300),
                 ("GET /images/{name}/get (268 MB, chunked)", "/v1.50/images/bench/big-0:latest/get", 6))
        for title, target, n in cases:
            wall = {k: [] for k in builds}
            cpu_before = {k: cpu_seconds(daemons[k].proc.pid) for k in builds}
            order = list(builds)
            for i in range(n):
                for k in (order if i % 2 == 0 else order[::-1]):
                    t = time.perf_counter()
                    if request(socks[k], "GET", target) != 200:
                        raise SystemExit("%s: %s failed" % (k, target))
                    wall[k].append(time.perf_counter() - t)
            print(title + ":")
            for k in builds:
                cpu = (cpu_seconds(daemons[k].proc.pid) - cpu_before[k]) / n
                print("  %-9s wall median %.3f ms, berthd CPU %.3f ms/request" %
                      (k, statistics.median(wall[k]) * 1000, cpu * 1000))
    finally:
        for s in socks.values():
            s.close()
        for d in daemons.values():
            d.stop()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
