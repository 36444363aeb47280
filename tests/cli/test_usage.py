"""berth: argument checks, unknown commands and flags, global options."""

import os
import subprocess

import clitest


class UsageTest(clitest.CliTestCase):
    def test_requires_at_least_one_argument(self):
        r = self.berth("rmi")
        self.assertEqual(r.rc, 1)
        self.assertEqual(r.out, "")
        self.assertEqual(
            r.err,
            "berth: 'berth rmi' requires at least 1 argument\n\n"
            "Usage:  berth rmi [OPTIONS] IMAGE [IMAGE...]\n\n"
            "See 'berth rmi --help' for more information\n")

    def test_requires_exactly_two_arguments(self):
        r = self.berth("tag", "a")
        self.assertEqual(r.rc, 1)
        self.assertEqual(
            r.err,
            "berth: 'berth tag' requires 2 arguments\n\n"
            "Usage:  berth tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n\n"
            "Run 'berth tag --help' for more information\n")

    def test_accepts_no_arguments(self):
        r = self.berth("load", "x")
        self.assertEqual(r.rc, 1)
        self.assertEqual(
            r.err,
            "berth: 'berth load' accepts no arguments\n\n"
            "Usage:  berth load [OPTIONS]\n\n"
            "Run 'berth load --help' for more information\n")

    def test_at_most_one_argument_under_image(self):
        r = self.berth("image", "ls", "a", "b")
        self.assertEqual(r.rc, 1)
        self.assertEqual(
            r.err,
            "berth: 'berth image ls' requires at most 1 argument\n\n"
            "Usage:  berth image ls [OPTIONS] [REPOSITORY[:TAG]]\n\n"
            "Run 'berth image ls --help' for more information\n")

    def test_unknown_command(self):
        r = self.berth("bogus")
        self.assertEqual(r.rc, 1)
        self.assertEqual(r.err, "berth: 'bogus' is not a berth command.\nSee 'berth --help'\n")

    def test_unknown_flag_exits_125(self):
        r = self.berth("images", "--bogus")
        self.assertEqual(r.rc, 125, repr(r))
        self.assertIn("--bogus", r.err)

    def test_bad_log_level(self):
        r = self.berth("--log-level", "loud", "images")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertEqual(r.err, "Unable to parse logging level: loud\n")

    def test_help_exits_zero(self):
        r = self.berth("--help")
        self.assertEqual(r.rc, 0)
        self.assertIn("images", r.out)
        r = self.berth("rmi", "--help")
        self.assertEqual(r.rc, 0)
        self.assertIn("--no-prune", r.out)

    def test_global_flags_after_the_command(self):
        other = os.path.join(self.tmp, "other")
        r = self.berth("images", "-q", root=other)
        self.assertEqual(r.rc, 0, repr(r))
        # --data-root given after the subcommand is honoured too.
        path, summary = self.fixture("late:1")
        proc = subprocess.run([clitest.BERTH, "load", "-i", path, "--data-root", other], capture_output=True,
                              env=self.env, timeout=60)
        self.assertEqual((proc.returncode, proc.stdout, proc.stderr), (0, b"Loaded image: late:1\n", b""))
        self.assertEqual(self.ok("images", "-q", root=other), summary["target"][7:19] + "\n")
        self.assertEqual(self.ok("images", "-q"), "")
        # Repeated, the last one wins.
        proc = subprocess.run([clitest.BERTH, "--data-root", self.root, "images", "-q", "--data-root", other],
                              capture_output=True, env=self.env, timeout=60)
        self.assertEqual(proc.stdout.decode(), summary["target"][7:19] + "\n")

    def test_image_subcommand_aliases(self):
        self.load("alias:1")
        self.assertEqual(self.ok("image", "ls"), self.ok("images"))
        self.assertEqual(self.ok("image", "list", "-q"), self.ok("images", "-q"))
        self.assertEqual(self.ok("image", "inspect", "alias:1"), self.ok("inspect", "alias:1"))
        self.assertEqual(self.ok("image", "rm", "alias:1").splitlines()[0], "Untagged: alias:1")


if __name__ == "__main__":
    clitest.main()
