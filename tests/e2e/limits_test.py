"""Limits end to end (issue 12's hardening; docs/architecture.md, "Untrusted
input: the limits"): json-file log rotation by max-size / max-file (per
container and as daemon.json defaults) with `docker logs` reading the rotated
files in order, and the refusal of log drivers and options berth does not
implement; layer decompression bombs stopped at `docker run` leaving no
snapshot behind. All through a real berthd, the real docker CLI and real
runc."""

import gzip
import hashlib
import io
import json
import os
import platform
import shutil
import sys
import tarfile
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from berth_e2e import Daemon  # noqa: E402
from containers_test import ContainerTestCase  # noqa: E402

# About 1 MB of output: 12000 numbered lines of ~45 bytes (~95 in the log).
WRITE_1MB = 'i=0; while [ $i -lt 12000 ]; do echo "line-$i-abcdefghijklmnopqrstuvwxyz0123456789"; i=$((i+1)); done'
LAST_LINE = "line-11999-abcdefghijklmnopqrstuvwxyz0123456789"
# One log line of WRITE_1MB as the json-file driver writes it is below this.
MAX_LINE_BYTES = 200


class LogRotationTest(ContainerTestCase):
    def log_files(self, d, name):
        cid = d.docker("inspect", "--format", "{{.Id}}", name)[1].strip()
        state = os.path.join(d.data_root, "containers", cid, "state")
        return sorted(os.path.join(state, f) for f in os.listdir(state) if f.startswith("container.log"))

    def assert_rotated_and_readable(self, d, name, max_size, max_files):
        files = self.log_files(d, name)
        self.assertGreaterEqual(len(files), 2, files)
        self.assertLessEqual(len(files), max_files, files)
        for f in files:
            self.assertLessEqual(os.path.getsize(f), max_size + MAX_LINE_BYTES, f)
        rc, out, err = d.docker("logs", name)
        self.assertEqual(rc, 0, err)
        lines = out.splitlines()
        # What is kept is the newest lines, in order, without a gap.
        self.assertEqual(lines[-1], LAST_LINE)
        first = int(lines[0].split("-")[1])
        self.assertGreater(first, 0)
        self.assertEqual(lines, ["line-%d-abcdefghijklmnopqrstuvwxyz0123456789" % i
                                 for i in range(first, 12000)])
        rc, out, err = d.docker("logs", "--tail", "3", name)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.splitlines(), lines[-3:])

    def test_max_size_and_max_file_rotate_the_log(self):
        self.docker_ok("run", "--name", "rot", "--log-opt", "max-size=10k", "--log-opt", "max-file=3",
                       "bb:1", "sh", "-c", WRITE_1MB)
        self.assert_rotated_and_readable(self.d, "rot", 10000, 3)
        self.assertEqual(json.loads(self.inspect("rot", "{{json .HostConfig.LogConfig}}")),
                         {"Type": "json-file", "Config": {"max-file": "3", "max-size": "10k"}})

    def test_follow_reads_on_across_rotations(self):
        self.docker_ok("run", "-d", "--name", "follow", "--log-opt", "max-size=10k", "--log-opt", "max-file=3",
                       "bb:1", "sh", "-c",
                       'sleep 1; i=0; while [ $i -lt 600 ]; do echo "line-$i"; usleep 2000; i=$((i+1)); done')
        rc, out, err = self.d.docker("logs", "-f", "follow", timeout=120)
        self.assertEqual(rc, 0, err)
        # Started before the first line and reading faster than 3 files fill
        # (about 1 s at this pace): the follower misses nothing, although
        # the log is rotated several times and the first files are gone.
        self.assertEqual(out.splitlines(), ["line-%d" % i for i in range(600)])
        self.assertFalse(os.path.exists(self.log_files(self.d, "follow")[0] + ".3"))

    def test_unsupported_drivers_and_bad_options_are_refused(self):
        cases = [
            (["--log-driver", "syslog"],
             'berth does not support the log driver "syslog" (--log-driver); only json-file and none are supported'),
            (["--log-driver", "nosuch"], "logger: no log driver named 'nosuch' is registered"),
            (["--log-driver", "none", "--log-opt", "max-size=1m"], "invalid logging opts for driver none"),  # the CLI
            (["--log-opt", "max-size=0"], "max-size must be a positive number"),
            (["--log-opt", "max-size=10q"], "invalid suffix: 'q'"),
            (["--log-opt", "max-size=1m", "--log-opt", "max-file=0"], "max-file cannot be less than 1"),
            (["--log-opt", "max-size=1m", "--log-opt", "max-file=2", "--log-opt", "compress=true"],
             "berth does not support the json-file log option compress=true"),
            (["--log-opt", "tag=x"], "berth does not support the json-file log option 'tag'"),
            (["--log-opt", "nosuch=1"], "unknown log opt 'nosuch' for json-file log driver"),
        ]
        for args, message in cases:
            rc, _, err = self.d.docker("create", *args, "bb:1", "true")
            self.assertNotEqual(rc, 0, args)
            self.assertIn(message, err, args)
        self.assertEqual(self.docker_ok("ps", "-a", "-q"), "")
        # max-file alone is taken and kept, as Docker does (nothing rotates without max-size).
        cid = self.docker_ok("create", "--log-opt", "max-file=3", "bb:1", "true").strip()
        self.assertEqual(self.docker_ok("inspect", "--format", "{{json .HostConfig.LogConfig.Config}}", cid).strip(),
                         '{"max-file":"3"}')
        self.docker_ok("rm", cid)

    def other_daemon(self, config):
        tmp = tempfile.mkdtemp(prefix="berth-e2e-logs-")
        self.addCleanup(shutil.rmtree, tmp, True)
        config_file = os.path.join(tmp, "daemon.json")
        with open(config_file, "w") as f:
            json.dump(config, f)
        return Daemon(tmp, ["--config-file", config_file], name="logs")

    def test_daemon_json_log_opts_are_the_defaults(self):
        d = self.other_daemon({"log-driver": "json-file", "log-opts": {"max-size": "10k", "max-file": "2"}}).start()
        try:
            self.assertEqual(d.docker("load", "-i", self.path("bb.tar"))[0], 0)
            rc, _, err = d.docker("run", "--name", "dflt", "bb:1", "sh", "-c", WRITE_1MB)
            self.assertEqual(rc, 0, err)
            self.assert_rotated_and_readable(d, "dflt", 10000, 2)
            rc, out, _ = d.docker("inspect", "--format", "{{json .HostConfig.LogConfig}}", "dflt")
            self.assertEqual(json.loads(out), {"Type": "json-file", "Config": {"max-file": "2", "max-size": "10k"}})
            # A container's own option wins; the others come from the daemon.
            rc, _, err = d.docker("create", "--name", "own", "--log-opt", "max-size=1m", "bb:1", "true")
            self.assertEqual(rc, 0, err)
            rc, out, _ = d.docker("inspect", "--format", "{{json .HostConfig.LogConfig}}", "own")
            self.assertEqual(json.loads(out), {"Type": "json-file", "Config": {"max-file": "2", "max-size": "1m"}})
            d.docker("rm", "-f", "dflt", "own")
        finally:
            self.assertEqual(d.stop(), 0)

    def test_daemon_refuses_to_start_with_bad_log_defaults(self):
        for config, message in [({"log-opts": {"max-size": "-5"}}, "invalid size: '-5'"),
                                ({"log-driver": "journald"}, 'berth does not support the log driver "journald"')]:
            d = self.other_daemon(config).start(wait=False)
            self.assertEqual(d.proc.wait(20), 1)
            d.stop()
            self.assertIn("invalid default log configuration: " + message, d.read_log())



class DeepTreeRemovalTest(ContainerTestCase):
    def test_rm_removes_a_container_with_a_very_deep_tree(self):
        # About 25000 directories deep in the container's layer: more levels
        # than berthd may hold descriptors (ulimit -n here), paths of 50 000
        # bytes. No path given to a tool is longer than PATH_MAX: the tree
        # grows by moving it under the bottom of a fresh 1000-level chain.
        script = ('L=d; i=1; while [ $i -lt 1000 ]; do L=$L/d; i=$((i+1)); done; '
                  'busybox mkdir -p t/$L || exit 1; '
                  'i=0; while [ $i -lt 24 ]; do '
                  'busybox mkdir -p n/$L && busybox mv t n/$L/ && busybox mv n t || exit 1; i=$((i+1)); done')
        self.docker_ok("run", "--name", "deep", "bb:1", "sh", "-c", script, timeout=300)
        cid = self.inspect("deep", "{{.Id}}")
        cdir = os.path.join(self.d.data_root, "containers", cid)
        self.assertTrue(os.path.isdir(os.path.join(cdir, "upper", "t", "d", "d")))
        self.docker_ok("rm", "deep", timeout=300)
        self.assertFalse(os.path.exists(cdir))
        self.assertEqual(self.docker_ok("ps", "-a", "-q"), "")
        self.assertEqual(self.d.docker("version", "--format", "{{.Server.Os}}")[1], "linux\n")


class _Zeros(io.RawIOBase):
    def __init__(self, n):
        self.left = n

    def readable(self):
        return True

    def readinto(self, b):
        n = min(len(b), self.left)
        b[:n] = bytes(n)
        self.left -= n
        return n


def write_zeros_image(path, name, zero_bytes, compress):
    """An OCI archive of image `name` whose one layer holds a file of
    `zero_bytes` zeros, gzip-compressed (a decompression bomb) or not."""
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w", format=tarfile.PAX_FORMAT) as t:
        info = tarfile.TarInfo("zeros")
        info.size = zero_bytes
        t.addfile(info, io.BufferedReader(_Zeros(zero_bytes)))
    plain = layer.getvalue()
    blob = gzip.compress(plain, mtime=0) if compress else plain
    media = "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if compress else "")
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    config = json.dumps({"architecture": arch, "os": "linux", "config": {"Cmd": ["/zeros"]},
                         "rootfs": {"type": "layers",
                                    "diff_ids": ["sha256:" + hashlib.sha256(plain).hexdigest()]}}).encode()

    def desc(media_type, data):
        return {"mediaType": media_type, "digest": "sha256:" + hashlib.sha256(data).hexdigest(), "size": len(data)}

    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": desc("application/vnd.oci.image.config.v1+json", config),
                           "layers": [desc(media, blob)]}).encode()
    mdesc = desc("application/vnd.oci.image.manifest.v1+json", manifest)
    mdesc["annotations"] = {"io.containerd.image.name": "docker.io/library/" + name}
    index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                        "manifests": [mdesc]}).encode()
    with tarfile.open(path, "w") as t:
        for member, data in [("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'), ("index.json", index)] + [
                ("blobs/sha256/" + hashlib.sha256(d).hexdigest(), d) for d in (config, manifest, blob)]:
            info = tarfile.TarInfo(member)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))


class LayerBombTest(ContainerTestCase):
    # Lowered limits: 16 MiB per layer, 100:1 from 1 MiB on.
    daemon_args = ("--layer-max-bytes", str(16 << 20), "--layer-max-ratio", "100",
                   "--layer-ratio-after-bytes", str(1 << 20))

    def assert_nothing_left(self):
        snapshots = os.path.join(self.d.data_root, "snapshots")
        self.assertEqual(os.listdir(os.path.join(snapshots, "tmp")), [])
        # Only the busybox layer of bb:1 (run by no test here) may be there.
        for entry in os.listdir(snapshots):
            self.assertTrue(entry == "tmp" or os.path.exists(os.path.join(snapshots, entry, ".done")), entry)
        self.assertEqual(self.d.docker("version", "--format", "{{.Server.Os}}")[1], "linux\n")

    def run_refused(self, archive, name, message):
        self.docker_ok("load", "-i", archive)
        before = sorted(os.listdir(os.path.join(self.d.data_root, "snapshots")))
        rc, _, err = self.d.docker("run", "--name", name, name + ":1")
        self.assertNotEqual(rc, 0)
        self.assertIn(message, err)
        self.assertEqual(sorted(os.listdir(os.path.join(self.d.data_root, "snapshots"))), before)
        self.assert_nothing_left()
        # A second try fails the same way (nothing half-done is reused).
        rc, _, err = self.d.docker("start", name)
        self.assertNotEqual(rc, 0)
        self.assertIn(message, err)
        self.assert_nothing_left()

    def test_gzip_bomb_layer_is_stopped_at_the_ratio(self):
        archive = self.path("gzbomb.tar")
        write_zeros_image(archive, "gzbomb:1", 64 << 20, compress=True)
        self.assertLess(os.path.getsize(archive), 1 << 20)
        self.run_refused(archive, "gzbomb", "decompresses more than 100:1")

    def test_layer_over_the_size_limit_is_stopped(self):
        archive = self.path("large.tar")
        write_zeros_image(archive, "large:1", 20 << 20, compress=False)
        self.run_refused(archive, "large", "is larger than the limit of 16777216 bytes when decompressed")

    def test_compressed_load_archive_bomb_is_refused(self):
        plain = self.path("zeros-archive.tar")
        write_zeros_image(plain, "zarchive:1", 32 << 20, compress=False)
        archive = self.path("zeros-archive.tar.gz")
        with open(plain, "rb") as src, gzip.open(archive, "wb") as dst:
            shutil.copyfileobj(src, dst)
        self.assertLess(os.path.getsize(archive), 1 << 20)
        images = self.image_ids()
        rc, out, err = self.d.docker("load", "-i", archive)
        self.assertNotEqual(rc, 0, out)
        self.assertIn("the archive decompresses more than 100:1", err + out)
        self.assertEqual(self.image_ids(), images)
        # The same archive uncompressed is an ordinary load.
        self.docker_ok("load", "-i", plain)

    def test_layers_within_the_limits_run(self):
        self.docker_ok("run", "--rm", "bb:1", "true")


if __name__ == "__main__":
    unittest.main()
