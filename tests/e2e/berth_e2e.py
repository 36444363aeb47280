"""Helpers for berth's end-to-end tests: a berthd in a temp dir, the real
docker CLI pointed at it, and berth-fixture archives."""

import io
import json
import os
import shutil
import signal
import http.client
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import unittest

BINARY_DIR = os.environ.get("BERTH_BINARY_DIR") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build")
BERTHD = os.path.join(BINARY_DIR, "bin", "berthd")
FIXTURE = os.path.join(BINARY_DIR, "bin", "berth-fixture")
DOCKER = shutil.which("docker") or "/usr/local/bin/docker"

# Every daemon a suite started, for the watchdog below.
_DAEMONS = []


def _watchdog_fire(limit):
    """A suite ran longer than `limit` seconds: print where the test and every
    live berthd are (Python stacks, berthd's threads through gdb when it is
    installed, the tail of berthd's log), stop the daemons and exit 1, so a
    hang fails fast and says where it is instead of waiting for CTest."""
    out = sys.stderr
    out.write("\n*** e2e watchdog: suite still running after %d s\n" % limit)
    import faulthandler
    faulthandler.dump_traceback(file=out, all_threads=True)
    gdb = shutil.which("gdb")
    for d in list(_DAEMONS):
        if d.proc is None or d.proc.poll() is not None:
            continue
        out.write("*** berthd pid %d (%s)\n" % (d.proc.pid, d.sock))
        if gdb:
            try:
                bt = subprocess.run([gdb, "-batch", "-p", str(d.proc.pid), "-ex", "thread apply all bt"],
                                    capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
                out.write(bt.stdout.decode(errors="replace")[-20000:])
            except (OSError, subprocess.SubprocessError) as e:
                out.write("gdb failed: %s\n" % e)
        try:
            out.write("*** berthd log tail:\n" + d.read_log()[-8000:] + "\n")
        except OSError:
            pass
        d.proc.kill()
    out.flush()
    os._exit(1)


def _start_watchdog():
    limit = int(os.environ.get("BERTH_E2E_WATCHDOG", "300"))
    if limit > 0:
        t = threading.Timer(limit, _watchdog_fire, args=(limit,))
        t.daemon = True
        t.start()


_start_watchdog()



class UnixConnection(http.client.HTTPConnection):
    """http.client over berthd's unix socket at `path`."""

    def __init__(self, path):
        super().__init__("localhost", timeout=30)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(self.path)

class Daemon:
    """A berthd with its own data root, exec root, socket and pidfile.
    `berthd` overrides the binary (default: BERTHD)."""

    def __init__(self, tmp, extra_args=(), data_root=None, name="berth", berthd=None, log_level="debug"):
        self.tmp = tmp
        self.data_root = data_root or os.path.join(tmp, "data")
        self.exec_root = os.path.join(tmp, "run-" + name)
        self.sock = os.path.join(tmp, name + ".sock")
        self.pidfile = os.path.join(tmp, name + ".pid")
        self.log_path = os.path.join(tmp, name + ".log")
        self.args = [berthd or BERTHD, "--data-root", self.data_root, "--exec-root", self.exec_root,
                     "-H", "unix://" + self.sock, "--pidfile", self.pidfile,
                     "--log-level", log_level] + list(extra_args)
        # Daemons of the suites share the host's network namespace: only a
        # suite that asks for a bridge (its own -b and --bip) gets one.
        if "-b" not in extra_args and "--bridge" not in extra_args:
            self.args += ["--bridge", "none"]
        self.proc = None

    def start(self, wait=True):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        _DAEMONS.append(self)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("berthd exited with %d:\n%s" % (self.proc.returncode, self.read_log()))
            if os.path.exists(self.sock):
                with socket.socket(socket.AF_UNIX) as s:
                    try:
                        s.connect(self.sock)
                        return
                    except OSError:
                        pass
            time.sleep(0.05)
        raise RuntimeError("berthd did not come up:\n" + self.read_log())

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc is None:
            return None
        try:
            if self.proc.poll() is not None:
                return self.proc.returncode
            self.proc.send_signal(sig)
            return self.proc.wait(timeout)
        finally:
            self.log.close()

    @property
    def host(self):
        return "unix://" + self.sock

    def env(self):
        e = dict(os.environ)
        e["DOCKER_HOST"] = self.host
        e["DOCKER_CONFIG"] = os.path.join(self.tmp, "docker-config")
        e.pop("DOCKER_CONTEXT", None)
        return e

    def docker(self, *args, input=None, check=False, timeout=120):
        p = subprocess.run([DOCKER] + list(args), env=self.env(), input=input,
                           stdin=None if input is not None else subprocess.DEVNULL,
                           capture_output=True, timeout=timeout)
        out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
        if check and p.returncode != 0:
            raise AssertionError("docker %s failed (%d): %s%s" % (" ".join(args), p.returncode, out, err))
        return p.returncode, out, err

    def docker_bytes(self, *args, input=None):
        p = subprocess.run([DOCKER] + list(args), env=self.env(), input=input,
                           stdin=None if input is not None else subprocess.DEVNULL,
                           capture_output=True, timeout=120)
        return p.returncode, p.stdout, p.stderr.decode(errors="replace")

    def request(self, method, target, body=None, headers=None):
        """A raw HTTP/1.1 request on the unix socket: (status, headers, body)."""
        c = UnixConnection(self.sock)
        c.request(method, target, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, dict(r.getheaders()), data


def read_http_response(s):
    """Reads one HTTP response (Content-Length or chunked) from socket s:
    (head, body). Raises if the peer closes before it is complete."""
    buf = bytearray()  # grows in place: a large body stays linear
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise AssertionError("connection closed before a response: %r" % bytes(buf))
        buf += chunk
    end = buf.index(b"\r\n\r\n")
    head, rest = bytes(buf[:end]), buf[end + 4:]
    if b"transfer-encoding: chunked" in head.lower():
        while not rest.endswith(b"0\r\n\r\n"):
            chunk = s.recv(65536)
            if not chunk:
                raise AssertionError("connection closed in a chunked body")
            rest += chunk
    else:
        length = int([l.split(b":")[1] for l in head.split(b"\r\n")
                      if l.lower().startswith(b"content-length:")][0])
        while len(rest) < length:
            chunk = s.recv(65536)
            if not chunk:
                raise AssertionError("connection closed in a body")
            rest += chunk
    return head, bytes(rest)


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RandomReader(io.RawIOBase):
    """A raw stream of `n` random (incompressible) bytes, made as read.
    Wrap it in io.BufferedReader to hand it to tarfile.addfile."""

    def __init__(self, n):
        self.left = n

    def readable(self):
        return True

    def readinto(self, b):
        k = min(len(b), self.left, 1 << 20)
        b[:k] = os.urandom(k)
        self.left -= k
        return k


def fixture(out, *args):
    """Runs berth-fixture; returns its JSON summary (target, manifests)."""
    p = subprocess.run([FIXTURE, "-o", out] + list(args), capture_output=True, check=True, timeout=120)
    lines = [l for l in p.stdout.decode().splitlines() if l.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def archive_blobs(path):
    """{digest: bytes} of an OCI archive's blobs."""
    out = {}
    with tarfile.open(path) as t:
        for m in t.getmembers():
            if m.isfile() and m.name.startswith("blobs/sha256/"):
                out["sha256:" + m.name.rsplit("/", 1)[1]] = t.extractfile(m).read()
    return out


def timestamp_now():
    """The wall clock as "seconds.microseconds" (rounded down), a value the
    daemon's `until` filters accept: records made before this call are older,
    records made after it newer."""
    ns = time.time_ns()
    return "%d.%06d" % (ns // 10**9, ns % 10**9 // 1000)


def await_condition(condition, timeout=30, interval=0.05):
    """Polls `condition()` until it returns a true value, which is returned,
    or `timeout` seconds pass (then the last value). For conditions no event
    announces (a file another process writes, a metric being scraped); the
    e2e suites use it instead of fixed sleeps."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


class DaemonTestCase(unittest.TestCase):
    """One daemon per test class (setUpClass), in a fresh temp dir."""

    daemon_args = ()

    @classmethod
    def setUpClass(cls):
        for path in (BERTHD, FIXTURE, DOCKER):
            if not os.path.exists(path):
                raise unittest.SkipTest("missing " + path)
        cls.tmp = tempfile.mkdtemp(prefix="berth-e2e-")
        cls.d = Daemon(cls.tmp, cls.daemon_args).start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.d.stop()
        log = cls.d.read_log()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        if rc not in (0, None):
            raise AssertionError("berthd exited with %s:\n%s" % (rc, log))

    def path(self, name):
        return os.path.join(self.tmp, name)

    def docker_ok(self, *args, **kw):
        rc, out, err = self.d.docker(*args, **kw)
        self.assertEqual(rc, 0, "docker %s: %s%s" % (" ".join(args), out, err))
        return out

    def docker_fails(self, *args, err=None, **kw):
        rc, out, e = self.d.docker(*args, **kw)
        self.assertEqual(rc, 1, "docker %s should fail: %s%s" % (" ".join(args), out, e))
        if err is not None:
            self.assertEqual(e, err)
        return out, e

    def image_ids(self):
        return self.docker_ok("images", "-q", "--no-trunc").split()

    def rmi_all(self):
        ids = sorted(set(self.docker_ok("images", "-a", "-q", "--no-trunc").split()))
        if ids:
            self.d.docker("rmi", "-f", *ids)
