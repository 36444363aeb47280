#!/usr/bin/env python3
"""Classic builder: berthd against dockerd 20.10 (Debian's docker.io, classic
builder, started as a plain process on its own data root), driven by the same
docker CLI, side by side in one run.

A 10-step Dockerfile (FROM a busybox fixture image, COPY of a 50 MB context
of random files, five RUN steps, ENV, WORKDIR, LABEL, CMD) is built
  1. cold: a fresh data root holding only the base image (--no-cache is not
     used: nothing is cached yet), and
  2. fully cached: the same build again (every step " ---> Using cache"),
     nine times, alternating between the two daemons (both running); the
     medians are compared.
Both builds use --network none. Prints the times and the ratios
berthd / dockerd (goal: cold <= 1.0, cached <= 0.5).

Usage: bench/build_bench.py [build dir] [--mb 50]
Needs the docker CLI, dockerd (apt-get install docker.io) and root; skips
(exit 0) without.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import berth_e2e  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import yardstick  # noqa: E402

DOCKERFILE = """FROM bb:1
COPY data /data
ENV STEP=1
RUN echo one > /one
RUN cat /data/f0 /data/f1 /data/f2 /data/f3 /data/f4 > /dev/null
WORKDIR /app
RUN echo two > two
LABEL bench=build
RUN ls -l /data > /listing
RUN echo done > /done
"""


CACHED_RUNS = 9


def run(args, env, timeout=1800):
    p = subprocess.run(args, env=env, capture_output=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError("%s: %s%s" % (" ".join(args), p.stdout.decode(), p.stderr.decode()))
    return p.stdout.decode()


def timed_build(docker, env, ctx):
    t = time.time()
    out = run([docker, "build", "--network", "none", "-t", "bench:1", ctx], env)
    return time.time() - t, out


def write_context(ctx, mb):
    os.makedirs(os.path.join(ctx, "data"))
    with open(os.path.join(ctx, "Dockerfile"), "w") as f:
        f.write(DOCKERFILE)
    per = mb * 1000 * 1000 // 5
    for i in range(5):
        with open(os.path.join(ctx, "data", "f%d" % i), "wb") as f:
            f.write(os.urandom(per))


def cold_build(name, docker, env, base_tar, ctx):
    run([docker, "load", "-i", base_tar], env)
    cold, out = timed_build(docker, env, ctx)
    if "Using cache" in out:
        raise RuntimeError(name + ": the cold build used the cache:\n" + out)
    return cold


def cached_build(name, docker, env, ctx):
    t, out = timed_build(docker, env, ctx)
    if out.count("Using cache") != 9:
        raise RuntimeError(name + ": a cached build was not fully cached:\n" + out)
    return t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--mb", type=int, default=50)
    a = ap.parse_args()
    docker = yardstick.docker_cli()
    dockerd = shutil.which("dockerd")
    berthd = os.path.join(a.build, "bin", "berthd")
    fixture = os.path.join(a.build, "bin", "berth-fixture")
    for name, path in (("docker", docker), ("dockerd", dockerd), ("berthd", berthd), ("berth-fixture", fixture)):
        if not path or not os.path.exists(path):
            print("build_bench: skipped, no %s" % name)
            return 0
    if os.geteuid() != 0:
        print("build_bench: skipped, needs root")
        return 0
    tmp = tempfile.mkdtemp(prefix="berth-build-bench-")
    procs = []
    try:
        base_tar = os.path.join(tmp, "bb.tar")
        subprocess.run([fixture, "-o", base_tar, "-n", "bb:1", "--busybox"], check=True, capture_output=True)
        ctx = os.path.join(tmp, "ctx")
        write_context(ctx, a.mb)

        d = berth_e2e.Daemon(tmp, data_root=os.path.join(tmp, "berth"), name="berthd", berthd=berthd,
                             log_level="warn")
        d.start()
        procs.append(d.proc)
        berth_env = d.env()
        berth_cold = cold_build("berthd", docker, berth_env, base_tar, ctx)

        dockerd_daemon = yardstick.start_dockerd(tmp, ["--bridge", "none", "--iptables=false", "--ip6tables=false"],
                                                 binary=dockerd)
        procs.append(dockerd_daemon.proc)
        env = dockerd_daemon.env(DOCKER_BUILDKIT="0")
        dockerd_cold = cold_build("dockerd", docker, env, base_tar, ctx)
        # The cached builds alternate between the two daemons, so that what
        # else runs on the machine weighs on both alike.
        berth_runs, dockerd_runs = [], []
        for _ in range(CACHED_RUNS):
            berth_runs.append(cached_build("berthd", docker, berth_env, ctx))
            dockerd_runs.append(cached_build("dockerd", docker, env, ctx))
        for name, cold, runs in (("berthd", berth_cold, berth_runs), ("dockerd", dockerd_cold, dockerd_runs)):
            print("%-8s cold %7.2f s   cached %6.3f s (median of %d: %s)" %
                  (name, cold, statistics.median(runs), CACHED_RUNS, " ".join("%.3f" % r for r in runs)))
        berth_cached, dockerd_cached = statistics.median(berth_runs), statistics.median(dockerd_runs)
        print("ratio berthd / dockerd: cold %.2f (goal <= 1.0), cached %.2f (goal <= 0.5)" %
              (berth_cold / dockerd_cold, berth_cached / dockerd_cached))
        print("berthd cached is %.1fx faster than dockerd cached" % (dockerd_cached / berth_cached))
    finally:
        yardstick.stop(procs)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
