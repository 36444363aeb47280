"""berth save: files, stdout, terminals, round trips through load."""

import json
import os
import pty
import subprocess
import tarfile

import clitest


class SaveTest(clitest.CliTestCase):
    def other_root(self):
        return os.path.join(self.tmp, "other-root")

    def test_save_to_file_and_load_elsewhere(self):
        a = self.load("round:1", "--file", "/etc/x=hello")
        out_path = os.path.join(self.tmp, "saved.tar")
        r = self.berth("save", "-o", out_path, "round:1")
        self.assertEqual((r.rc, r.out, r.err), (0, "", ""))
        self.assertEqual(os.stat(out_path).st_mode & 0o777, 0o600)
        with tarfile.open(out_path) as t:
            names = t.getnames()
        self.assertIn("index.json", names)
        self.assertIn("oci-layout", names)
        self.assertIn("manifest.json", names)
        r = self.berth("load", "-i", out_path, root=self.other_root())
        self.assertEqual((r.rc, r.out, r.err), (0, "Loaded image: round:1\n", ""))
        self.assertEqual(self.ok("images", "-q", "--no-trunc", root=self.other_root()), a + "\n")
        mine, theirs = self.inspect("round:1"), self.inspect_other("round:1")
        for doc in (mine, theirs):
            del doc["Metadata"]
        self.assertEqual(mine, theirs)

    def inspect_other(self, ref):
        return json.loads(self.ok("inspect", ref, root=self.other_root()))[0]

    def test_save_to_stdout_pipe(self):
        a = self.load("pipe:1")
        r = self.berth("save", "pipe:1", binary_out=True)
        self.assertEqual(r.rc, 0, repr(r))
        self.assertEqual(r.err, "")
        self.assertGreater(len(r.raw_out), 1024)
        r2 = self.berth("load", stdin=r.raw_out, root=self.other_root())
        self.assertEqual((r2.rc, r2.out), (0, "Loaded image: pipe:1\n"), repr(r2))
        self.assertEqual(self.ok("images", "-q", "--no-trunc", root=self.other_root()), a + "\n")

    def test_save_several_by_name_and_id(self):
        a = self.load("s1:1", "--file", "/a=1")
        b = self.load("s2:1", "--file", "/b=1")
        out_path = os.path.join(self.tmp, "two.tar")
        self.ok("save", "--output", out_path, "s1:1", b[7:19])
        r = self.berth("load", "-i", out_path, root=self.other_root())
        self.assertEqual(r.rc, 0, repr(r))
        self.assertIn("Loaded image: s1:1", r.out.splitlines())
        self.assertEqual(sorted(self.ok("images", "-q", "--no-trunc", root=self.other_root()).split()),
                         sorted([a, b]))

    def test_save_missing_writes_nothing(self):
        self.load("have:1")
        out_path = os.path.join(self.tmp, "none.tar")
        r = self.berth("save", "-o", out_path, "have:1", "missing")
        self.assertEqual((r.rc, r.out), (1, ""))
        self.assertTrue(r.err.startswith("Error: "), r.err)
        self.assertIn("missing", r.err)
        self.assertFalse(os.path.exists(out_path))
        self.assertEqual([f for f in os.listdir(self.tmp) if f.startswith(".none.tar")], [])

    def test_save_to_missing_directory(self):
        self.load("have:1")
        bad = os.path.join(self.tmp, "no", "such", "x.tar")
        r = self.berth("save", "-o", bad, "have:1")
        self.assertEqual(r.rc, 1)
        self.assertEqual(r.err, 'Error: failed to save image: invalid output path: directory "%s" does not exist\n'
                         % os.path.dirname(bad))

    def test_save_refuses_a_terminal(self):
        self.load("tty:1")
        master, slave = pty.openpty()
        try:
            proc = subprocess.run([clitest.BERTH, "--data-root", self.root, "save", "tty:1"], stdout=slave,
                                  stderr=subprocess.PIPE, env=self.env, timeout=60)
        finally:
            os.close(slave)
            os.close(master)
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(proc.stderr.decode(),
                         "Error: cowardly refusing to save to a terminal. Use the -o flag or redirect\n")

    def test_save_requires_an_image(self):
        r = self.berth("save", "-o", os.path.join(self.tmp, "x.tar"))
        self.assertEqual(r.rc, 1)
        self.assertTrue(r.err.startswith("berth: 'berth save' requires at least 1 argument\n"), r.err)


if __name__ == "__main__":
    clitest.main()
