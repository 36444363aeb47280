"""The yardstick daemons of the side-by-side benchmarks: dockerd 20.10
(Debian's docker.io) started as a plain process on its own data root, exec
root, pidfile and socket, never the host's service, and the stop of every
process a benchmark started.

    d = start_dockerd(tmp, ["--bridge", "none", "--iptables=false"])
    subprocess.run([DOCKER, "ps"], env=d.env())
    stop([d.proc, ...])

The docker CLI the benchmarks drive is /usr/local/bin/docker (28.2.2), the
same for both daemons; Debian's docker.io brings its own /usr/bin/docker,
which is never used here. dockerd 20.10 speaks the API up to 1.41, so its
environment pins DOCKER_API_VERSION.
"""

import os
import shutil
import socket
import subprocess
import time

DOCKER = "/usr/local/bin/docker"
DOCKERD_API_VERSION = "1.41"


def docker_cli():
    """The docker CLI both daemons are driven by, or None when missing."""
    if os.access(DOCKER, os.X_OK):
        return DOCKER
    return shutil.which("docker")


def wait_socket(sock, proc, log, timeout=60):
    """Waits until something accepts on the unix socket `sock`; raises with
    the tail of `log` if `proc` exits first or `timeout` seconds pass."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("daemon exited with %d:\n%s" % (proc.returncode, _tail(log)))
        if os.path.exists(sock):
            with socket.socket(socket.AF_UNIX) as s:
                try:
                    s.connect(sock)
                    return
                except OSError:
                    pass
        time.sleep(0.05)
    raise RuntimeError("daemon did not come up:\n" + _tail(log))


def _tail(log):
    with open(log, "rb") as f:
        return f.read().decode(errors="replace")[-4000:]


class Dockerd:
    """One dockerd under `tmp`: data root tmp/dockerd, exec root
    tmp/dockerd-run, socket tmp/dockerd.sock, log tmp/dockerd.log."""

    def __init__(self, tmp, args, binary):
        self.tmp = tmp
        self.data_root = os.path.join(tmp, "dockerd")
        self.exec_root = os.path.join(tmp, "dockerd-run")
        self.sock = os.path.join(tmp, "dockerd.sock")
        self.log_path = os.path.join(tmp, "dockerd.log")
        self.argv = [binary, "--data-root", self.data_root, "--exec-root", self.exec_root,
                     "--pidfile", os.path.join(tmp, "dockerd.pid"), "-H", "unix://" + self.sock] + list(args)
        self.proc = None

    def start(self, timeout=60):
        with open(self.log_path, "ab") as lf:
            self.proc = subprocess.Popen(self.argv, stdout=lf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            wait_socket(self.sock, self.proc, self.log_path, timeout)
        except BaseException:
            stop([self.proc])
            raise
        return self

    def env(self, **extra):
        e = dict(os.environ, DOCKER_HOST="unix://" + self.sock, DOCKER_API_VERSION=DOCKERD_API_VERSION,
                 DOCKER_CONFIG=os.path.join(self.tmp, "docker-config-dockerd"))
        e.pop("DOCKER_CONTEXT", None)
        e.update(extra)
        return e

    def read_log(self):
        return _tail(self.log_path)


def start_dockerd(tmp, args, binary=None):
    """Starts dockerd with `args` after the root, socket and pidfile flags and
    waits for its socket. Raises (with the log's tail) if it does not come
    up; the caller stops it with stop([d.proc])."""
    binary = binary or shutil.which("dockerd")
    if not binary:
        raise RuntimeError("no dockerd (apt-get install docker.io)")
    return Dockerd(tmp, args, binary).start()


def stop(procs, timeout=60):
    """SIGTERM to each process still running, then waits up to `timeout`
    seconds for each; SIGKILL to one that does not exit."""
    for p in procs:
        if p is not None and p.poll() is None:
            p.terminate()
    for p in procs:
        if p is None:
            continue
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
