"""Shared helpers for the berth CLI tests.

Each test drives the real build/bin/berth binary against its own temporary
data root and makes archives with build/bin/berth-fixture. BERTH_BIN names
the directory holding both (set by tests/cli/CMakeLists.txt). Exit status 77
(a CTest skip) when the binaries are missing.
"""

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

BIN = os.environ.get("BERTH_BIN", os.path.join(os.path.dirname(__file__), "..", "..", "build", "bin"))
BERTH = os.path.join(BIN, "berth")
FIXTURE = os.path.join(BIN, "berth-fixture")


def require_binaries():
    for b in (BERTH, FIXTURE):
        if not os.access(b, os.X_OK):
            print(f"skipping: {b} is not built", file=sys.stderr)
            sys.exit(77)


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout.decode("utf-8", "replace") if isinstance(proc.stdout, bytes) else proc.stdout
        self.err = proc.stderr.decode("utf-8", "replace") if isinstance(proc.stderr, bytes) else proc.stderr
        self.raw_out = proc.stdout

    def __repr__(self):
        return f"rc={self.rc}\n--- stdout ---\n{self.out}--- stderr ---\n{self.err}"


class CliTestCase(unittest.TestCase):
    """A test case with a fresh data root and scratch directory per test."""

    maxDiff = None

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="berth-cli-")
        self.root = os.path.join(self.tmp, "root")
        self.env = dict(os.environ, TZ="UTC")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- running ----

    def berth(self, *args, stdin=None, root=None, binary_out=False):
        cmd = [BERTH, "--data-root", root or self.root, *args]
        proc = subprocess.run(cmd, input=stdin, capture_output=True, env=self.env, timeout=60)
        if not binary_out:
            return Result(proc)
        r = Result(proc)
        r.raw_out = proc.stdout
        return r

    def ok(self, *args, **kw):
        r = self.berth(*args, **kw)
        self.assertEqual(r.rc, 0, repr(r))
        self.assertEqual(r.err, "", repr(r))
        return r.out

    def fixture(self, name=None, *extra, path=None):
        """Builds an archive; returns (path, summary dict with 'target')."""
        path = path or os.path.join(self.tmp, f"img-{len(os.listdir(self.tmp))}.tar")
        cmd = [FIXTURE, "--out", path]
        if name is not None:
            names = name if isinstance(name, (list, tuple)) else [name]
            for n in names:
                cmd += ["--name", n]
        cmd += list(extra)
        proc = subprocess.run(cmd, capture_output=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        return path, json.loads(proc.stdout.decode())

    def load(self, name=None, *extra):
        """Builds and loads an image; returns its image ID (sha256:…)."""
        path, summary = self.fixture(name, *extra)
        out = self.ok("load", "-i", path)
        self.assertTrue(out.startswith("Loaded image"), out)
        return summary["target"]

    def inspect(self, ref):
        r = self.berth("inspect", ref)
        self.assertEqual(r.rc, 0, repr(r))
        return json.loads(r.out)[0]


# ---- docker's formatting rules, for building expected output ----

def human_duration(seconds):
    """go-units HumanDuration for a whole number of seconds."""
    if seconds < 1:
        return "Less than a second"
    if seconds == 1:
        return "1 second"
    if seconds < 60:
        return f"{seconds} seconds"
    minutes = seconds // 60
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(math.floor(seconds / 3600 + 0.5))
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{seconds // 3600 // 24 // 365} years"


def created_since(unix):
    return human_duration(int(time.time()) - unix) + " ago"


def human_size(size, precision=3):
    units = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
    i = 0
    size = float(size)
    while size >= 1000 and i < len(units) - 1:
        size /= 1000
        i += 1
    return ("%.*g" % (precision, size)) + units[i]


def table(rows, minwidth=10, padding=3):
    """Go's tabwriter (docker's settings) over rows of cells."""
    ncols = max(len(r) for r in rows)
    widths = []
    for c in range(ncols - 1):
        w = minwidth
        for r in rows:
            if c < len(r) - 1:
                w = max(w, len(r[c]) + padding)
        widths.append(w)
    lines = []
    for r in rows:
        line = "".join(cell.ljust(widths[i]) for i, cell in enumerate(r[:-1])) + r[-1]
        lines.append(line)
    return "\n".join(lines) + "\n"


def main():
    require_binaries()
    unittest.main(verbosity=2)
