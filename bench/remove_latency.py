#!/usr/bin/env python3
"""Removal latency through berthd: `DELETE /images/{name}` of a 2-platform
image whose layers no other image shares, against the floor it cannot beat:
one fsync on the data root's file system plus one HTTP round trip.

One berthd per build, each on its own data root:
  1. loads N images (2 platforms, one 32 KiB layer of unique data each);
  2. times N round trips of GET /_ping on one keep-alive connection;
  3. times N fsyncs of a 4 KiB write in the data root;
  4. times DELETE /images/<name> of each image on the same connection;
and prints the medians and the ratio delete / (fsync + ping).

With --compare OTHER_BUILD, a second berthd of that build runs beside the
first and the two are measured alternately, in rounds of --round requests
(ping, fsync and delete alike), so a load on the machine weighs on both.

With --strace, strace -c -f counts berthd's fsync, fdatasync and pwrite64
calls (and the other syscalls of the delete path) while it serves the
deletes, and prints the counts per delete; the times are then inflated by
strace and only the counts are figures.

With --trace-tx, berthd runs with BERTH_TRACE_TX=1 (one line per write
transaction, src/metadata/metadata_store.cc) and the medians of those lines
logged while it serves the deletes are printed: the time in the removal's
function and in COMMIT, statements and pages written per transaction
(the reaper's relaxed transactions apart).

Usage: bench/remove_latency.py [build dir] [--images 200] [--compare BUILD]
                               [--round 10] [--strace] [--trace-tx]
"""

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
os.environ["BERTH_E2E_WATCHDOG"] = "0"  # a bench may run long
import berth_e2e  # noqa: E402  (the e2e tests' berthd starter and helpers)

STRACED = "fsync,fdatasync,pwrite64,pread64,write,read,unlink,unlinkat,openat,close,fstat,newfstatat,futex"


def request(sock, method, target):
    sock.sendall(("%s %s HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n" % (method, target)).encode())
    head, body = berth_e2e.read_http_response(sock)
    return int(head.split(b" ", 2)[1]), body


class Subject:
    """One build's berthd with N images loaded, and its timings."""

    def __init__(self, build, tmp, label, n):
        self.build, self.label, self.n = build, label, n
        self.tmp = os.path.join(tmp, label)
        os.makedirs(self.tmp)
        self.d = berth_e2e.Daemon(self.tmp, log_level="warn", berthd=os.path.join(build, "bin", "berthd"))
        self.times = {"ping": [], "fsync": [], "delete": []}
        self.next_delete = 0
        self.sock = None
        self.strace = None

    def start(self, blob):
        self.d.start()
        # The fixture tool of the first build makes every archive: both
        # daemons load the same kind of image.
        for i in range(self.n):
            path = os.path.join(self.tmp, "img.tar")
            berth_e2e.fixture(path, "-n", "rm/img%d:1" % i, "-p", "linux/amd64", "-p", "linux/arm64",
                              "-f", "data=%d-%s" % (i, blob))
            rc, _, err = self.d.docker("load", "-q", "-i", path)
            if rc != 0:
                raise SystemExit("%s: load failed: %s" % (self.label, err))

    def connect(self):
        # After every build has loaded: an idle connection would be closed.
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(self.d.sock)

    def ping(self, k):
        for _ in range(k):
            t = time.perf_counter()
            request(self.sock, "GET", "/_ping")
            self.times["ping"].append(time.perf_counter() - t)

    def fsync(self, k):
        probe = os.path.join(self.d.data_root, "fsync-probe")
        with open(probe, "wb") as f:
            for _ in range(k):
                f.seek(0)
                f.write(os.urandom(4096))
                t = time.perf_counter()
                f.flush()
                os.fsync(f.fileno())
                self.times["fsync"].append(time.perf_counter() - t)
        os.unlink(probe)

    def delete(self, k):
        for i in range(self.next_delete, min(self.next_delete + k, self.n)):
            t = time.perf_counter()
            status, body = request(self.sock, "DELETE", "/v1.50/images/rm/img%d:1" % i)
            self.times["delete"].append(time.perf_counter() - t)
            if status != 200:
                raise SystemExit("%s: delete failed: %d %s" % (self.label, status, body))
        self.next_delete = min(self.next_delete + k, self.n)

    def mark_log(self):
        self.log_mark = os.path.getsize(self.d.log_path)

    def tx_summary(self):
        """Medians of the BERTH_TRACE_TX lines logged since mark_log."""
        with open(self.d.log_path, "rb") as f:
            f.seek(self.log_mark)
            text = f.read().decode(errors="replace")
        pat = re.compile(r"berth tx( \(relaxed\))?: lock wait (\d+) us, function (\d+) us \(cpu (\d+) us\), "
                         r"commit (\d+) us, "
                         r"(\d+) statements, (\d+) pages")
        rows = {"": [], "relaxed": []}
        for m in pat.finditer(text):
            rows["relaxed" if m.group(1) else ""].append([int(m.group(i)) for i in range(2, 8)])
        out = []
        for kind, rs in rows.items():
            if not rs:
                continue
            med = [statistics.median(col) for col in zip(*rs)]
            commits = sorted(r[3] for r in rs)
            out.append("    %d %s transactions, medians: lock wait %.0f us, function %.0f us (cpu %.0f us), "
                       "commit %.0f us, "
                       "%.0f statements, %.0f pages" % ((len(rs), kind or "request") + tuple(med)))
            out.append("      commit p90 %.0f us, max %.0f us" %
                       (commits[int(len(commits) * 0.9)] if len(commits) > 1 else commits[-1], commits[-1]))
        return "\n".join(out)

    def start_strace(self):
        self.strace_out = os.path.join(self.tmp, "strace.txt")
        self.strace = subprocess.Popen(["strace", "-c", "-f", "-e", "trace=" + STRACED, "-o", self.strace_out,
                                        "-p", str(self.d.proc.pid)], stderr=subprocess.DEVNULL)
        time.sleep(1)  # strace has attached to every thread

    def stop_strace(self):
        time.sleep(0.5)  # the reaper finishes the last deletion
        self.strace.send_signal(signal.SIGINT)
        self.strace.wait(20)
        with open(self.strace_out) as f:
            return f.read()

    def stop(self):
        if self.sock:
            self.sock.close()
        self.d.stop()

    def medians(self):
        return {k: statistics.median(v) * 1000 for k, v in self.times.items()}

    def report(self):
        med = self.medians()
        print("[%s] %s" % (self.label, self.build))
        print("  median GET /_ping round trip: %.3f ms" % med["ping"])
        print("  median fsync (4 KiB, data root): %.3f ms" % med["fsync"])
        print("  median DELETE /images/{name}: %.3f ms (p90 %.3f ms)" %
              (med["delete"], statistics.quantiles(self.times["delete"], n=10)[-1] * 1000))
        print("  ratio delete / (fsync + ping): %.2f" % (med["delete"] / (med["fsync"] + med["ping"])))
        return med


def strace_counts(text, n):
    """The per-delete counts of strace -c's table."""
    lines = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[-1] in STRACED.split(",") and parts[3].isdigit():
            lines.append("    %-10s %6d calls  %6.2f per delete" % (parts[-1], int(parts[3]), int(parts[3]) / n))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--images", type=int, default=200)
    ap.add_argument("--compare", metavar="BUILD", help="a second build measured alternately with the first")
    ap.add_argument("--round", type=int, default=10, help="requests per turn when comparing")
    ap.add_argument("--strace", action="store_true", help="count berthd's syscalls during the deletes")
    ap.add_argument("--trace-tx", action="store_true", help="summarise berthd's BERTH_TRACE_TX lines")
    args = ap.parse_args()
    if args.trace_tx:
        os.environ["BERTH_TRACE_TX"] = "1"
    berth_e2e.FIXTURE = os.path.join(args.build, "bin", "berth-fixture")
    tmp = tempfile.mkdtemp(prefix="berth-rmlat-")
    n = args.images
    subjects = [Subject(args.build, tmp, "A", n)]
    if args.compare:
        subjects.append(Subject(args.compare, tmp, "B", n))
    try:
        blob = os.urandom(16 * 1024).hex()
        for s in subjects:
            s.start(blob)
        for s in subjects:
            s.connect()
        step = args.round if args.compare else n
        for phase in ("ping", "fsync"):
            for turn in range(0, n, step):
                order = subjects if (turn // step) % 2 == 0 else subjects[::-1]
                for s in order:
                    getattr(s, phase)(min(step, n - turn))
        for s in subjects:
            s.mark_log()
        if args.strace:
            for s in subjects:
                s.start_strace()
        for turn in range(0, n, step):
            order = subjects if (turn // step) % 2 == 0 else subjects[::-1]
            for s in order:
                s.delete(step)
        traces = [s.stop_strace() for s in subjects] if args.strace else []
        print("images: %d (2 platforms, unshared layers)%s" %
              (n, ", two builds alternating in rounds of %d" % step if args.compare else ""))
        meds = [s.report() for s in subjects]
        if args.compare:
            print("B / A: delete %.2f, ping %.2f, fsync %.2f" %
                  tuple(meds[1][k] / meds[0][k] for k in ("delete", "ping", "fsync")))
        if args.trace_tx:
            time.sleep(0.5)  # the reaper's last transaction
            for s in subjects:
                print("[%s] write transactions while serving the deletes (BERTH_TRACE_TX):" % s.label)
                print(s.tx_summary())
        for s, text in zip(subjects, traces):
            print("[%s] syscalls while serving %d deletes (strace -c -f; times above inflated by strace):" %
                  (s.label, n))
            print(strace_counts(text, n))
    finally:
        for s in subjects:
            if s.strace and s.strace.poll() is None:
                s.strace.kill()
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
