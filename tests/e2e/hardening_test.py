"""Hardening end to end: hostile containers and a local user against a real
berthd, the real docker CLI and real runc. A container that replaces its own
/etc/passwd (symlinks out of its rootfs, a FIFO, /dev/zero, a device node, an
oversized file) makes the next start fail with Docker's unknown-user error,
quickly, without reading the host and with the daemon responsive."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from berth_e2e import fixture  # noqa: E402
from containers_test import ContainerTestCase  # noqa: E402

UNKNOWN_ROOT = "Error response from daemon: unable to find user root: no matching entries in passwd file"
# A start that has to read a hostile file must answer well within this.
START_TIMEOUT = 30


def vm_hwm_kib(pid):
    """Peak resident set size of process `pid`, in KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM for pid %d" % pid)


class HostileRootfsTest(ContainerTestCase):
    """Each attack runs as root in a container created with `-u root`: the
    first run replaces /etc/passwd, the next `docker start` looks `root` up
    in what the container left."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = fixture(cls.path_of("users.tar"), "-n", "users:1", "--busybox",
                            "-f", "etc/passwd=root:x:0:0:root:/root:/bin/sh\n",
                            "-f", "etc/group=root:x:0:\n")
        # A host file berthd can read, holding users a container must never
        # get through berthd.
        cls.host_passwd = cls.path_of("host-passwd")
        with open(cls.host_passwd, "w") as f:
            f.write("root:x:4242:4242::/:/bin/sh\nhostuser:x:4243:4243::/:/bin/sh\n")

    def setUp(self):
        super().setUp()
        self.docker_ok("load", "-i", self.path("users.tar"))

    def tamper_then_start(self, name, script):
        """Runs `script` as the container's first run, then starts it again:
        returns the second start's (rc, stderr, seconds)."""
        rc, out, err = self.d.docker("run", "-u", "root", "--name", name, "users:1", "sh", "-c",
                                     "busybox rm /etc/passwd && " + script)
        self.assertEqual(rc, 0, "tampering failed: %s%s" % (out, err))
        started = time.time()
        rc, _, err = self.d.docker("start", name, timeout=START_TIMEOUT)
        return rc, err, time.time() - started

    def assert_unknown_user_and_responsive(self, name, script):
        rc, err, _ = self.tamper_then_start(name, script)
        self.assertEqual(rc, 1, err)
        self.assertIn(UNKNOWN_ROOT, err)
        self.assertEqual(self.inspect(name, "{{.State.Status}}"), "exited")
        rc, out, err = self.d.docker("version", "--format", "{{.Server.Os}}", timeout=START_TIMEOUT)
        self.assertEqual((rc, out), (0, "linux\n"), err)

    def test_untampered_root_starts_again(self):
        # The control: the same image and user start twice.
        self.docker_ok("run", "-u", "root", "--name", "plain", "users:1", "true")
        self.assertEqual(self.docker_ok("start", "plain"), "plain\n")

    def test_absolute_symlink_to_a_host_file(self):
        self.assert_unknown_user_and_responsive("abs", "busybox ln -s %s /etc/passwd" % self.host_passwd)

    def test_dotdot_symlink_to_a_host_file(self):
        self.assert_unknown_user_and_responsive(
            "dotdot", "busybox ln -s ../../../../../../../../../../../../..%s /etc/passwd" % self.host_passwd)

    def test_symlinked_etc_directory(self):
        self.assert_unknown_user_and_responsive(
            "etcdir", "busybox rm -r /etc && busybox ln -s %s /etc" % os.path.dirname(self.host_passwd))

    def test_fifo(self):
        self.assert_unknown_user_and_responsive("fifo", "busybox mkfifo /etc/passwd")

    def test_symlink_to_dev_zero(self):
        self.assert_unknown_user_and_responsive("zero", "busybox ln -s /dev/zero /etc/passwd")

    def test_character_device_node(self):
        # /dev/zero's numbers, made in the rootfs itself (CAP_MKNOD is one of
        # Docker's default capabilities).
        self.assert_unknown_user_and_responsive("mknod", "busybox mknod /etc/passwd c 1 5")

    def test_oversized_passwd(self):
        # The root entry first, then 2 MiB: over the 1 MiB cap.
        self.assert_unknown_user_and_responsive(
            "big", "echo root:x:0:0:root:/root:/bin/sh > /etc/passwd && "
                   "busybox dd if=/dev/zero bs=1048576 count=2 2>/dev/null >> /etc/passwd")

    def test_committed_symlink_does_not_reach_the_host(self):
        # The host file names "hostuser"; the image only links to it.
        self.docker_ok("run", "--name", "linker", "users:1", "sh", "-c",
                       "busybox rm /etc/passwd && busybox ln -s %s /etc/passwd" % self.host_passwd)
        self.docker_ok("commit", "linker", "linked:1")
        rc, out, err = self.d.docker("run", "--rm", "-u", "hostuser", "linked:1", "true", timeout=START_TIMEOUT)
        self.assertEqual(rc, 125, out + err)  # the CLI's code for a refused start
        self.assertIn("unable to find user hostuser: no matching entries in passwd file", err)
        self.docker_ok("rmi", "linked:1")

    def test_daemon_memory_stays_small(self):
        # A device node and a 64 MiB file as /etc/passwd: nothing past the
        # 1 MiB cap is read, so the daemon's peak RSS (this class's daemon,
        # whatever ran before) stays small.
        self.assert_unknown_user_and_responsive("mem1", "busybox mknod /etc/passwd c 1 5")
        self.assert_unknown_user_and_responsive(
            "mem2", "busybox dd if=/dev/zero bs=1048576 count=64 2>/dev/null > /etc/passwd")
        self.assertLess(vm_hwm_kib(self.d.proc.pid), 256 * 1024)

if __name__ == "__main__":
    unittest.main()
