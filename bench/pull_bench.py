#!/usr/bin/env python3
"""Pull throughput: berthd's `docker pull` against `skopeo copy` of the same
image from the same local registry.

The image (default 500 MB in 5 layers of random, incompressible data; each
layer an uncompressed tar holding one file) is written as an OCI layout,
pushed with skopeo to a docker-registry on 127.0.0.1, then, in one run:
  1. skopeo copy docker://127.0.0.1:P/bench:1 oci:DIR      (timed)
  2. docker pull 127.0.0.1:P/bench:1 against a fresh berthd (timed)
and prints both times, the throughput and the ratio berthd / skopeo.

Usage: bench/pull_bench.py [build dir] [--mb 500] [--layers 5] [--rounds 1]
Needs docker-registry, skopeo and the docker CLI; skips (exit 0) without.
"""

import argparse
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import berth_e2e  # noqa: E402  (the e2e tests' berthd starter and helpers)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import yardstick  # noqa: E402  (the stop of the processes a benchmark started)

LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"


def write_blob(layout, data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(layout, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return "sha256:" + d


def write_layer(layout, index, size):
    """An uncompressed tar with one file of `size` random bytes, streamed to
    disk while hashing. Returns (digest, size)."""
    tmp = os.path.join(layout, "layer.tmp")
    h = hashlib.sha256()

    class Hashing(io.RawIOBase):
        def __init__(self, f):
            self.f = f

        def writable(self):
            return True

        def write(self, b):
            h.update(b)
            return self.f.write(b)

    with open(tmp, "wb") as raw:
        with tarfile.open(fileobj=Hashing(raw), mode="w|", format=tarfile.PAX_FORMAT) as t:
            info = tarfile.TarInfo("data/layer%d.bin" % index)
            info.size = size
            info.mtime = 0
            t.addfile(info, io.BufferedReader(berth_e2e.RandomReader(size), 1 << 20))
    digest = "sha256:" + h.hexdigest()
    os.rename(tmp, os.path.join(layout, "blobs", "sha256", digest[7:]))
    return digest, os.path.getsize(os.path.join(layout, "blobs", "sha256", digest[7:]))


def build_layout(layout, total_mb, layers):
    os.makedirs(os.path.join(layout, "blobs", "sha256"))
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    per = total_mb * 1000 * 1000 // layers
    descs = []
    for i in range(layers):
        d, n = write_layer(layout, i, per)
        descs.append({"mediaType": LAYER_TAR, "digest": d, "size": n})
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z",
        "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": [x["digest"] for x in descs]},
        "history": [{"created": "2026-01-01T00:00:00Z", "created_by": "pull_bench layer %d" % i}
                    for i in range(layers)],
    }, separators=(",", ":")).encode()
    cdesc = {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": write_blob(layout, config),
             "size": len(config)}
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": cdesc, "layers": descs}, separators=(",", ":")).encode()
    mdesc = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": write_blob(layout, manifest),
             "size": len(manifest), "platform": {"architecture": "amd64", "os": "linux"},
             "annotations": {"org.opencontainers.image.ref.name": "1"}}
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [mdesc]}, f)
    return mdesc["digest"], sum(x["size"] for x in descs)


def run(args, **kw):
    p = subprocess.run(args, capture_output=True, **kw)
    if p.returncode != 0:
        raise SystemExit("%s failed (%d): %s%s" % (args[0], p.returncode, p.stdout.decode(errors="replace"),
                                                     p.stderr.decode(errors="replace")))
    return p


def wait_http(url, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("nothing answers at " + url)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--mb", type=int, default=int(os.environ.get("BERTH_PULL_BENCH_MB", "500")))
    ap.add_argument("--layers", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=1)
    a = ap.parse_args()
    registry = shutil.which("docker-registry")
    skopeo = shutil.which("skopeo")
    docker = yardstick.docker_cli()
    berthd = os.path.join(a.build, "bin", "berthd")
    for name, path in (("docker-registry", registry), ("skopeo", skopeo), ("docker", docker), ("berthd", berthd)):
        if not path or not os.path.exists(path):
            print("pull_bench: skipped, no %s" % name)
            return 0
    tmp = tempfile.mkdtemp(prefix="berth-pull-bench-")
    procs = []
    try:
        t0 = time.time()
        layout = os.path.join(tmp, "layout")
        manifest, size = build_layout(layout, a.mb, a.layers)
        print("image: %d layers, %.1f MB, manifest %s (built in %.1f s)" % (a.layers, size / 1e6, manifest,
                                                                             time.time() - t0))
        port = berth_e2e.free_port()
        cfg = os.path.join(tmp, "registry.yml")
        with open(cfg, "w") as f:
            f.write("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\n"
                    "http:\n  addr: 127.0.0.1:%d\n" % (os.path.join(tmp, "registry"), port))
        reg_log = open(os.path.join(tmp, "registry.log"), "wb")
        procs.append(subprocess.Popen([registry, "serve", cfg], stdout=reg_log, stderr=subprocess.STDOUT))
        wait_http("http://127.0.0.1:%d/v2/" % port)
        ref = "127.0.0.1:%d/bench:1" % port
        # --preserve-digests: the layers stay uncompressed tars (skopeo would
        # gzip them otherwise), in the registry and in skopeo's copy below.
        run([skopeo, "copy", "--preserve-digests", "--dest-tls-verify=false", "oci:%s:1" % layout, "docker://" + ref])
        shutil.rmtree(layout)

        skopeo_times, berth_times = [], []
        for r in range(a.rounds):
            dest = os.path.join(tmp, "skopeo-%d" % r)
            t = time.time()
            run([skopeo, "copy", "--preserve-digests", "--src-tls-verify=false", "docker://" + ref, "oci:%s:1" % dest])
            skopeo_times.append(time.time() - t)
            shutil.rmtree(dest)

            d = berth_e2e.Daemon(tmp, data_root=os.path.join(tmp, "berth-%d" % r), name="berthd-%d" % r,
                                 berthd=berthd, log_level="warn")
            d.start(wait=False)
            procs.append(d.proc)
            d.wait_ready()
            t = time.time()
            run([docker, "pull", ref], env=d.env(), timeout=3600)
            berth_times.append(time.time() - t)
            d.stop(timeout=30)
            procs.remove(d.proc)
            shutil.rmtree(d.data_root, ignore_errors=True)

        s, b = min(skopeo_times), min(berth_times)
        print("skopeo copy docker:// -> oci:   %6.2f s  %7.1f MB/s" % (s, size / 1e6 / s))
        print("berthd docker pull (fresh root): %6.2f s  %7.1f MB/s" % (b, size / 1e6 / b))
        print("ratio berthd / skopeo time:      %6.2f" % (b / s))
    finally:
        yardstick.stop(procs, timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
