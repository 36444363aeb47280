"""berth load: inputs, output lines, errors."""

import os

import clitest


class LoadTest(clitest.CliTestCase):
    def test_load_named_from_file(self):
        path, summary = self.fixture("foo:1")
        r = self.berth("load", "-i", path)
        self.assertEqual((r.rc, r.out, r.err), (0, "Loaded image: foo:1\n", ""))
        self.assertEqual(self.ok("images", "-q", "--no-trunc"), summary["target"] + "\n")

    def test_load_quiet_prints_the_same_lines(self):
        path, _ = self.fixture("foo:1")
        r = self.berth("load", "-q", "--input", path)
        self.assertEqual((r.rc, r.out, r.err), (0, "Loaded image: foo:1\n", ""))

    def test_load_normalises_names_to_familiar_form(self):
        path, _ = self.fixture(["docker.io/library/bar:2", "localhost:5000/team/app:v1"])
        r = self.berth("load", "-i", path)
        self.assertEqual(r.rc, 0, repr(r))
        self.assertEqual(sorted(r.out.splitlines()),
                         ["Loaded image: bar:2", "Loaded image: localhost:5000/team/app:v1"])

    def test_load_unnamed_prints_the_id(self):
        path, summary = self.fixture(None)
        r = self.berth("load", "-i", path)
        self.assertEqual((r.rc, r.out, r.err), (0, f"Loaded image ID: {summary['target']}\n", ""))

    def test_load_from_stdin(self):
        path, _ = self.fixture("stdin:1")
        with open(path, "rb") as f:
            data = f.read()
        r = self.berth("load", stdin=data)
        self.assertEqual((r.rc, r.out, r.err), (0, "Loaded image: stdin:1\n", ""))
        r = self.berth("load", "-i", "-", stdin=data)
        self.assertEqual((r.rc, r.out, r.err), (0, "Loaded image: stdin:1\n", ""))

    def test_load_compressed(self):
        for flag in ("--gzip", "--zstd"):
            path, _ = self.fixture("comp:" + flag[2:], flag)
            r = self.berth("load", "-i", path)
            self.assertEqual((r.rc, r.out), (0, f"Loaded image: comp:{flag[2:]}\n"), repr(r))

    def test_load_missing_file(self):
        missing = os.path.join(self.tmp, "nope.tar")
        r = self.berth("load", "-i", missing)
        self.assertEqual((r.rc, r.out), (1, ""))
        self.assertEqual(r.err, f"Error: open {missing}: no such file or directory\n")

    def test_load_garbage_fails_without_records(self):
        bad = os.path.join(self.tmp, "bad.tar")
        with open(bad, "wb") as f:
            f.write(b"this is not a tar archive" * 100)
        r = self.berth("load", "-i", bad)
        self.assertEqual(r.rc, 1, repr(r))
        self.assertEqual(r.out, "")
        self.assertTrue(r.err.startswith("Error: "), r.err)
        self.assertEqual(r.err.count("\n"), 1, r.err)
        self.assertEqual(self.ok("images", "-q"), "")

    def test_load_bad_platform(self):
        path, _ = self.fixture("foo:1")
        r = self.berth("load", "-i", path, "--platform", "a/b/c/d")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertTrue(r.err.startswith("Error: invalid platform: "), r.err)
        self.assertEqual(self.ok("images", "-q"), "")

    def test_load_one_platform_of_a_multi_platform_image(self):
        path, summary = self.fixture("multi:1", "--platform", "linux/amd64", "--platform", "linux/arm64")
        r = self.berth("load", "-i", path, "--platform", "linux/arm64")
        self.assertEqual((r.rc, r.out, r.err), (0, "Loaded image: multi:1\n", ""))
        info = self.inspect("multi:1")
        self.assertEqual(info["Id"], summary["target"])
        r = self.berth("inspect", "--platform", "linux/arm64", "multi:1")
        self.assertEqual(r.rc, 0, repr(r))


if __name__ == "__main__":
    clitest.main()
