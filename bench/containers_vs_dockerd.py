#!/usr/bin/env python3
"""Containers and networks: berthd against dockerd 20.10 (Debian's docker.io,
started as a plain process on its own data root, exec root and socket; see
yardstick.py), driven by the same docker CLI (/usr/local/bin/docker), side by
side in one run. Both daemons run throughout and the runs alternate between
them (the first of each pair alternating too), so that other load on the
machine weighs on both. Issues 14 and 15; the goal of each figure is berthd's
median at most 0.5x dockerd's.

Part "containers" (issue 14), both daemons with `--bridge none`:
  run-volume  docker run --rm -v HOSTDIR:/data bb:1 true       (--runs, 20)
  exec        docker exec CTR true, CTR running sleep           (--exec-runs, 50)
  run-stdin   docker run --rm -i bb:1 cat, 1 MB on stdin (base64 text
              lines; --binary-stdin: random bytes), the output compared
              with the input                                    (--runs, 20)
Part "network" (issue 15), both daemons restarted with a bridge of their own
(berthd: --bridge/--bip; dockerd: a bridge this script creates, -b, iptables
on, --ip-forward=false so that it does not turn the FORWARD policy to DROP):
  publish     docker run --rm -d -p PORT:80 bb:1 busybox httpd, timed from
              the command's start to the first HTTP answer on 127.0.0.1:PORT
              (the command first, then a bounded retry loop: connect, GET,
              read the served file)                             (--runs, 20)
  user-net    docker run --rm --network NET bb:1 true, NET made by
              docker network create --subnet                    (--runs, 20)
One untimed warm-up of each operation on each daemon precedes the timed runs
(the first start of an image unpacks its layer).

All addresses are on 172.30.201-204.0/24 and nothing leaves the machine (the
containers run true, cat, sleep and httpd). At the end the script removes
what it made (containers, networks, both daemons, dockerd's bridge and the
DOCKER* iptables chains and rules dockerd leaves behind), then compares
`ip link`, `ip netns` and `iptables-save` with what they showed before and
prints a warning for anything left.

Usage: bench/containers_vs_dockerd.py [build dir] [--part all|containers|network]
           [--runs 20] [--exec-runs 50] [--berth-log-level warn] [--binary-stdin] [--keep]
Needs root, the docker CLI, dockerd (scripts/install-deps --bench), the CNI
plugins and iptables; skips (exit 0) without.
"""

import argparse
import base64
import os
import re
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
sys.path.insert(0, HERE)
import berth_e2e  # noqa: E402  (berthd starter)
import yardstick  # noqa: E402  (dockerd starter, stop)

GOAL = 0.5
IMAGE = "bb:1"
TAG = os.getpid() % 10000
BERTH_BRIDGE = "bbench%d" % TAG
DOCKERD_BRIDGE = "dbench%d" % TAG
BERTH_BIP = "172.30.201.1/24"
DOCKERD_BIP = "172.30.202.1/24"
BERTH_NET_SUBNET = "172.30.203.0/24"
DOCKERD_NET_SUBNET = "172.30.204.0/24"
OUR_SUBNETS = ("172.30.201.", "172.30.202.", "172.30.203.", "172.30.204.")
NET_NAME = "benchnet"
EXEC_CTR = "bench-exec"
STDIN_BYTES = 1 << 20
HTTPD = ("sh", "-c", "mkdir -p /www && echo served-by-httpd > /www/index.html && "
         "exec busybox httpd -f -p 80 -h /www")
ANSWER_TIMEOUT = 20.0  # seconds the publish run waits for the first answer


def sh(argv, check=True, **kw):
    p = subprocess.run(argv, capture_output=True, **kw)
    if check and p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s%s" % (" ".join(argv), p.returncode,
                                                     p.stdout.decode(errors="replace")[-2000:],
                                                     p.stderr.decode(errors="replace")[-2000:]))
    return p


class Side:
    """One daemon as the benchmark drives it: a name, the CLI's environment,
    the host directory bind-mounted by run-volume, its timings."""

    def __init__(self, name, tmp):
        self.name = name
        self.env = None
        self.hostdir = os.path.join(tmp, name + "-hostdir")
        os.makedirs(self.hostdir, exist_ok=True)
        with open(os.path.join(self.hostdir, "marker"), "w") as f:
            f.write(name)
        self.times = {}

    def docker(self, *args, input=None, timeout=120, check=True):
        return sh([yardstick.DOCKER] + list(args), check=check, env=self.env, input=input,
                  stdin=None if input is not None else subprocess.DEVNULL, timeout=timeout)


# The operations. Each does one run on `side` and returns its wall time in
# seconds; each checks that the run did what it should.

def op_run_volume(side):
    t = time.monotonic()
    side.docker("run", "--rm", "-v", side.hostdir + ":/data", IMAGE, "true")
    return time.monotonic() - t


def op_exec(side):
    t = time.monotonic()
    side.docker("exec", EXEC_CTR, "true")
    return time.monotonic() - t


def stdin_data(binary):
    """1 MB for run-stdin: random bytes, or (default) base64 text in lines of
    76 characters. berthd relays a container's output through its JSON log,
    so bytes that are not UTF-8 come back as U+FFFD, and it scans non-TTY
    input for the detach keys (ctrl-p ctrl-q ends the attach); dockerd does
    neither. --binary-stdin shows it."""
    if binary:
        return os.urandom(STDIN_BYTES)
    return base64.encodebytes(os.urandom(STDIN_BYTES))[:STDIN_BYTES - 1] + b"\n"


STDIN_DATA = stdin_data(False)


def op_run_stdin(side):
    t = time.monotonic()
    p = side.docker("run", "--rm", "-i", IMAGE, "cat", input=STDIN_DATA)
    elapsed = time.monotonic() - t
    if p.stdout != STDIN_DATA:
        raise RuntimeError("%s: cat gave back %d bytes, not the %d sent (or not the same)" %
                           (side.name, len(p.stdout), len(STDIN_DATA)))
    return elapsed


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_answer(port):
    """The body of GET /index.html from 127.0.0.1:port, or None when nothing
    answers yet (refused, reset, closed without a reply)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"GET /index.html HTTP/1.0\r\nHost: localhost\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None
    if not data.startswith(b"HTTP/1."):
        return None
    return data


def op_publish(side):
    port = free_port()
    t = time.monotonic()
    cid = side.docker("run", "--rm", "-d", "-p", "%d:80" % port, IMAGE, *HTTPD).stdout.decode().strip()
    deadline = t + ANSWER_TIMEOUT
    answer = None
    while time.monotonic() < deadline:
        answer = http_answer(port)
        if answer is not None:
            break
        time.sleep(0.002)
    elapsed = time.monotonic() - t
    if answer is None or b"served-by-httpd" not in answer:
        state = side.docker("inspect", "-f", "{{.State.Status}} exit {{.State.ExitCode}} {{.State.Error}}", cid,
                            check=False)
        logs = side.docker("logs", cid, check=False)
        side.docker("rm", "-f", cid, check=False)
        raise RuntimeError("%s: nothing served on 127.0.0.1:%d within %.0f s (last answer %r); the container: "
                           "%s%s; its output: %s%s" %
                           (side.name, port, ANSWER_TIMEOUT, answer, state.stdout.decode(errors="replace"),
                            state.stderr.decode(errors="replace"), logs.stdout.decode(errors="replace"),
                            logs.stderr.decode(errors="replace")))
    side.docker("rm", "-f", cid, check=False)
    return elapsed


def op_user_net(side):
    t = time.monotonic()
    side.docker("run", "--rm", "--network", NET_NAME, IMAGE, "true")
    return time.monotonic() - t


def p90(values):
    s = sorted(values)
    return s[max(0, -(-9 * len(s) // 10) - 1)]  # nearest rank


def measure(sides, name, op, runs):
    """One warm-up, then `runs` runs on each side, alternated run by run."""
    for side in sides:
        op(side)
    for side in sides:
        side.times[name] = []
    for i in range(runs):
        order = sides if i % 2 == 0 else sides[::-1]
        for side in order:
            side.times[name].append(op(side))


def report(sides, rows):
    berth, dockerd = sides
    print()
    print("%-11s %-46s %19s %19s %7s" % ("figure", "command", "berthd median/p90", "dockerd median/p90",
                                         "ratio"))
    missed = []
    for name, command in rows:
        b, d = berth.times[name], dockerd.times[name]
        ratio = statistics.median(b) / statistics.median(d)
        verdict = "met" if ratio <= GOAL else "MISSED"
        if ratio > GOAL:
            missed.append(name)
        print("%-11s %-46s %8.1f/%6.1f ms %8.1f/%6.1f ms %6.2fx  goal <= %.1fx: %s (n=%d)" %
              (name, command, 1000 * statistics.median(b), 1000 * p90(b), 1000 * statistics.median(d),
               1000 * p90(d), ratio, GOAL, verdict, len(b)))
    return missed


# Host network state, before and after.

def host_state():
    links = set(re.findall(r"^\d+: ([^:@]+)", sh(["ip", "-o", "link"]).stdout.decode(), re.M))
    netns = set(l.split()[0] for l in sh(["ip", "netns", "list"]).stdout.decode().splitlines() if l.strip())
    rules = set(l for l in sh(["iptables-save"]).stdout.decode().splitlines()
                if l and not l.startswith("#") and not l.startswith("*") and l != "COMMIT")
    # Chain lines carry packet counters ("[0:0]"): keep the name only.
    rules = set(re.sub(r"^(:\S+ \S+) \[\d+:\d+\]$", r"\1", l) for l in rules)
    return {"links": links, "netns": netns, "iptables": rules}


def iptables_by_table():
    """{table: [lines]} of iptables-save."""
    tables, cur = {}, None
    for l in sh(["iptables-save"]).stdout.decode().splitlines():
        if l.startswith("*"):
            cur = l[1:]
            tables[cur] = []
        elif cur and l and not l.startswith("#") and l != "COMMIT":
            tables[cur].append(l)
    return tables


def ours(line):
    return ("DOCKER" in line or BERTH_BRIDGE in line or DOCKERD_BRIDGE in line
            or any(s in line for s in OUR_SUBNETS))


def remove_dockerd_iptables(before_rules):
    """dockerd 20.10 leaves its chains (DOCKER, DOCKER-USER,
    DOCKER-ISOLATION-STAGE-1/2) and the jumps and NAT rules of its bridge
    after it exits: delete the rules this run added that name them or our
    bridges and subnets, then those chains."""
    for table, lines in iptables_by_table().items():
        for l in lines:
            if l.startswith("-A ") and l not in before_rules and ours(l):
                sh(["iptables", "-t", table, "-D"] + _split_rule(l[3:]), check=False)
        for l in lines:
            m = re.match(r"^:(DOCKER\S*) ", l)
            if m and not any(r.startswith(":%s " % m.group(1)) for r in before_rules):
                sh(["iptables", "-t", table, "-F", m.group(1)], check=False)
        for l in lines:
            m = re.match(r"^:(DOCKER\S*) ", l)
            if m and not any(r.startswith(":%s " % m.group(1)) for r in before_rules):
                sh(["iptables", "-t", table, "-X", m.group(1)], check=False)


def _split_rule(rest):
    return shlex.split(rest)


BUILTIN_CHAIN_ACCEPT = re.compile(r"^:(INPUT|FORWARD|OUTPUT|PREROUTING|POSTROUTING) ACCEPT$")


def warn_leftovers(before):
    after = host_state()
    left = []
    for kind in ("links", "netns", "iptables"):
        for item in sorted(after[kind] - before[kind]):
            if BUILTIN_CHAIN_ACCEPT.match(item):
                continue  # a table that now exists, empty: nothing of ours
            left.append((kind, item, ours(item)))
    if not left:
        print("host network state: as before the run (ip link, ip netns, iptables-save)")
        return
    print("WARNING: the host's network state differs from before the run:")
    for kind, item, mine in left:
        print("  %-8s %s%s" % (kind, item, "" if mine else "   (names nothing of this run's: maybe another process's)"))


def networking_unavailable():
    for plugin in ("bridge", "portmap", "static", "loopback"):
        if not os.path.exists(os.path.join("/usr/lib/cni", plugin)):
            return "no CNI plugin /usr/lib/cni/" + plugin
    for tool in ("iptables", "iptables-save", "ip"):
        if shutil.which(tool) is None:
            return "no " + tool
    routes = sh(["ip", "-4", "route"]).stdout.decode()
    for s in OUR_SUBNETS:
        if s in routes:
            return "a route to %s0/24 exists already: the benchmark's subnets would clash" % s
    return None


def create_dockerd_bridge():
    sh(["ip", "link", "add", DOCKERD_BRIDGE, "type", "bridge"])
    sh(["ip", "addr", "add", DOCKERD_BIP, "dev", DOCKERD_BRIDGE])
    sh(["ip", "link", "set", DOCKERD_BRIDGE, "up"])


def start_berthd(tmp, build, bridge, log_level):
    extra = ("--bridge", BERTH_BRIDGE, "--bip", BERTH_BIP) if bridge else ()
    d = berth_e2e.Daemon(tmp, extra_args=extra, data_root=os.path.join(tmp, "berth"), name="berthd",
                         berthd=os.path.join(build, "bin", "berthd"), log_level=log_level)
    return d.start()


def start_dockerd(tmp, bridge):
    if bridge:
        args = ["--bridge", DOCKERD_BRIDGE, "--iptables=true", "--ip6tables=false", "--ip-forward=false"]
    else:
        args = ["--bridge", "none", "--iptables=false", "--ip6tables=false"]
    return yardstick.start_dockerd(tmp, args)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--part", choices=("all", "containers", "network"), default="all")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--exec-runs", type=int, default=50)
    ap.add_argument("--berth-log-level", default="warn")
    ap.add_argument("--binary-stdin", action="store_true", help="run-stdin sends random bytes, not text")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (logs) at the end")
    a = ap.parse_args()
    berthd = os.path.join(a.build, "bin", "berthd")
    fixture = os.path.join(a.build, "bin", "berth-fixture")
    for name, path in (("docker", yardstick.docker_cli()), ("dockerd", shutil.which("dockerd")),
                       ("berthd", berthd), ("berth-fixture", fixture)):
        if not path or not os.path.exists(path):
            print("containers_vs_dockerd: skipped, no %s" % name)
            return 0
    if os.geteuid() != 0:
        print("containers_vs_dockerd: skipped, needs root")
        return 0
    if a.part != "containers":
        why = networking_unavailable()
        if why:
            print("containers_vs_dockerd: skipped, " + why)
            return 0

    global STDIN_DATA
    STDIN_DATA = stdin_data(a.binary_stdin)
    before = host_state()
    tmp = tempfile.mkdtemp(prefix="berth-containers-bench-")
    berth, dockerd = Side("berthd", tmp), Side("dockerd", tmp)
    sides = [berth, dockerd]
    daemons = {}  # side name -> berth_e2e.Daemon or yardstick.Dockerd
    made_bridge = False
    rows = []
    failed = False

    def start(bridge):
        daemons["berthd"] = start_berthd(tmp, a.build, bridge, a.berth_log_level)
        berth.env = daemons["berthd"].env()
        daemons["dockerd"] = start_dockerd(tmp, bridge)
        dockerd.env = daemons["dockerd"].env()

    def stop_daemons():
        yardstick.stop([d.proc for d in daemons.values()])
        daemons.clear()

    try:
        archive = os.path.join(tmp, "bb.tar")
        sh([fixture, "-o", archive, "-n", IMAGE, "--busybox"])
        start(bridge=False)
        for side in sides:
            side.docker("load", "-i", archive)

        if a.part in ("all", "containers"):
            measure(sides, "run-volume", op_run_volume, a.runs)
            for side in sides:
                side.docker("run", "-d", "--name", EXEC_CTR, IMAGE, "sleep", "100000")
            measure(sides, "exec", op_exec, a.exec_runs)
            for side in sides:
                side.docker("rm", "-f", EXEC_CTR)
            measure(sides, "run-stdin", op_run_stdin, a.runs)
            rows += [("run-volume", "run --rm -v HOSTDIR:/data IMG true"),
                     ("exec", "exec CTR true"),
                     ("run-stdin", "run --rm -i IMG cat <1MB")]

        if a.part in ("all", "network"):
            stop_daemons()
            create_dockerd_bridge()
            made_bridge = True
            start(bridge=True)
            measure(sides, "publish", op_publish, a.runs)
            berth.docker("network", "create", "--subnet", BERTH_NET_SUBNET, NET_NAME)
            dockerd.docker("network", "create", "--subnet", DOCKERD_NET_SUBNET, NET_NAME)
            measure(sides, "user-net", op_user_net, a.runs)
            for side in sides:
                side.docker("network", "rm", NET_NAME)
            rows += [("publish", "run --rm -d -p P:80 IMG httpd, to 1st answer"),
                     ("user-net", "run --rm --network NET IMG true")]

        missed = report(sides, rows)
        if missed:
            print("goal missed by: " + ", ".join(missed))
    except BaseException:
        failed = True
        for name, d in daemons.items():
            log = d.read_log()
            print("--- %s log (tail) ---\n%s" % (name, log[-3000:]), file=sys.stderr)
        raise
    finally:
        try:
            for side in sides:
                if side.env and daemons:
                    for ctr in side.docker("ps", "-aq", check=False).stdout.decode().split():
                        side.docker("rm", "-f", ctr, check=False)
                    side.docker("network", "rm", NET_NAME, check=False)
        finally:
            yardstick.stop([d.proc for d in daemons.values()])
            if made_bridge:
                sh(["ip", "link", "del", DOCKERD_BRIDGE], check=False)
            remove_dockerd_iptables(before["iptables"])
            warn_leftovers(before)
            if a.keep or failed:
                print("logs kept in " + tmp)
            else:
                shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
