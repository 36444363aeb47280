"""Limits end to end (issue 12's hardening, docs/limits.md): json-file log
rotation by max-size / max-file (per container and as daemon.json defaults)
with `docker logs` reading the rotated files in order, and the refusal of
log drivers and options berth does not implement; all through a real berthd,
the real docker CLI and real runc."""

import json
import os
import shutil
import sys
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
             'berth does not support the log driver "syslog" (--log-driver); only json-file is supported'),
            (["--log-driver", "none"], 'berth does not support the log driver "none"'),
            (["--log-opt", "max-size=0"], "max-size must be a positive number"),
            (["--log-opt", "max-size=10q"], "invalid suffix: 'q'"),
            (["--log-opt", "max-size=1m", "--log-opt", "max-file=0"], "max-file cannot be less than 1"),
            (["--log-opt", "max-file=3"], "max-file cannot be set without max-size"),
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


if __name__ == "__main__":
    unittest.main()
