"""Hardening end to end: hostile containers and a local user against a real
berthd, the real docker CLI and real runc. A container that replaces its own
/etc/passwd (symlinks out of its rootfs, a FIFO, /dev/zero, a device node, an
oversized file) makes the next start fail with Docker's unknown-user error,
quickly, without reading the host and with the daemon responsive. `docker
commit` freezes the container while it reads its changes (pause=true, the
default) and not with pause=false. The data root, its database, content and
snapshots, the exec root and the socket are private."""

import grp
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from berth_e2e import BERTHD, Daemon, DaemonTestCase, fixture  # noqa: E402
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


def freezer_state(pid):
    """The cgroup freezer state (THAWED, FREEZING, FROZEN) of process `pid`,
    cgroup v1 or v2 ("FROZEN"/"THAWED" from cgroup.events)."""
    with open("/proc/%d/cgroup" % pid) as f:
        lines = [l.rstrip("\n").split(":", 2) for l in f]
    for _, controllers, path in lines:
        if "freezer" in controllers.split(","):
            with open("/sys/fs/cgroup/freezer%s/freezer.state" % path) as f:
                return f.read().strip()
    for _, controllers, path in lines:
        if controllers == "":
            for root in ("/sys/fs/cgroup/unified", "/sys/fs/cgroup"):
                events = root + path + "/cgroup.events"
                if os.path.exists(events):
                    with open(events) as f:
                        frozen = dict(l.split() for l in f).get("frozen") == "1"
                    return "FROZEN" if frozen else "THAWED"
    raise AssertionError("no freezer cgroup for pid %d" % pid)


class CommitPauseTest(ContainerTestCase):
    """The freezer state of a running container's cgroup, sampled while a
    commit reads a large upper directory."""

    def commit_observing_freezer(self, name, pause):
        self.docker_ok("run", "-d", "--name", name, "bb:1", "sh", "-c",
                       "busybox dd if=/dev/zero of=/big bs=1048576 count=128 2>/dev/null && echo ready && "
                       "sleep 1000")
        self.wait_for(lambda: self.logs(name)[0] == "ready\n", "the container's file")
        pid = int(self.inspect(name, "{{.State.Pid}}"))
        self.assertEqual(freezer_state(pid), "THAWED")
        result = {}

        def commit():
            result["out"] = self.d.docker("commit", "--pause=%s" % str(pause).lower(), name, name + ":1")

        t = threading.Thread(target=commit)
        t.start()
        seen = set()
        while t.is_alive():
            seen.add(freezer_state(pid))
        t.join()
        rc, out, err = result["out"]
        self.assertEqual(rc, 0, out + err)
        self.assertRegex(out.strip(), r"^sha256:[0-9a-f]{64}$")
        # Running again (or still) afterwards, and the layer has the file.
        self.assertEqual(freezer_state(pid), "THAWED")
        self.assertEqual(self.inspect(name, "{{.State.Running}}"), "true")
        self.assertEqual(self.docker_ok("run", "--rm", name + ":1", "busybox", "stat", "-c", "%s", "/big"),
                         "134217728\n")
        self.docker_ok("rm", "-f", name)
        self.docker_ok("rmi", name + ":1")
        return seen

    def test_commit_pauses_by_default(self):
        self.assertIn("FROZEN", self.commit_observing_freezer("paused", True))

    def test_commit_without_pause_leaves_it_running(self):
        self.assertNotIn("FROZEN", self.commit_observing_freezer("unpaused", False))


def mode_of(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


class PrivateDataRootTest(DaemonTestCase):
    """Modes of what berthd creates, and the socket's group (-G/--group)."""

    def assert_private(self, d):
        root = d.data_root
        self.assertEqual(mode_of(root), 0o710)
        for name in ("metadata.db", "metadata.db-wal", "metadata.db-shm"):
            self.assertEqual(mode_of(os.path.join(root, name)), 0o600, name)
        for name in ("content", "snapshots", "runc"):
            self.assertEqual(mode_of(os.path.join(root, name)), 0o700, name)
        self.assertEqual(mode_of(d.exec_root), 0o700)
        st = os.lstat(d.sock)
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o660)
        return st

    def test_fresh_data_root_is_private(self):
        st = self.assert_private(self.d)
        # No -G: the "docker" group when it exists, else berthd's own.
        try:
            want = grp.getgrnam("docker").gr_gid
        except KeyError:
            want = os.getgid()
        self.assertEqual(st.st_gid, want)

    def other_daemon(self, name, *args, prepare=None):
        tmp = tempfile.mkdtemp(prefix="berth-e2e-priv-")
        self.addCleanup(shutil.rmtree, tmp, True)
        d = Daemon(tmp, args, name=name)
        if prepare:
            prepare(d)
        return d

    def test_looser_existing_dirs_are_tightened(self):
        if os.geteuid() != 0:
            self.skipTest("tightening is done when berthd runs as root")

        def loosen(d):
            os.makedirs(d.data_root, 0o755)
            os.chmod(d.data_root, 0o777)
            os.makedirs(d.exec_root, 0o755)
            os.chmod(d.exec_root, 0o755)
            os.makedirs(os.path.join(d.data_root, "content"), 0o755)
            os.makedirs(os.path.join(d.data_root, "snapshots"), 0o755)
            with open(os.path.join(d.data_root, "metadata.db"), "w"):
                pass
            os.chmod(os.path.join(d.data_root, "metadata.db"), 0o644)

        d = self.other_daemon("loose", prepare=loosen).start()
        try:
            self.assert_private(d)
            self.assertEqual(d.docker("version", "--format", "{{.Server.Os}}")[1], "linux\n")
        finally:
            self.assertEqual(d.stop(), 0)

    def test_group_flag_sets_the_socket_group(self):
        # A number is taken as a GID even when no group has it (dockerd's rule).
        d = self.other_daemon("numeric", "-G", "4321").start()
        try:
            self.assertEqual(os.lstat(d.sock).st_gid, 4321)
            self.assertEqual(d.docker("version", "--format", "{{.Server.Os}}")[1], "linux\n")
        finally:
            self.assertEqual(d.stop(), 0)
        # "" keeps berthd's own group.
        d = self.other_daemon("nogroup", "--group", "").start()
        try:
            self.assertEqual(os.lstat(d.sock).st_gid, os.getgid())
        finally:
            self.assertEqual(d.stop(), 0)

    def test_named_group(self):
        groupadd, groupdel = shutil.which("groupadd"), shutil.which("groupdel")
        if os.geteuid() != 0 or not groupadd or not groupdel:
            self.skipTest("needs root and groupadd")
        name = "berthe2e%d" % os.getpid()
        subprocess.run([groupadd, name], check=True)
        self.addCleanup(subprocess.run, [groupdel, name])
        d = self.other_daemon("named", "--group", name).start()
        try:
            self.assertEqual(os.lstat(d.sock).st_gid, grp.getgrnam(name).gr_gid)
        finally:
            self.assertEqual(d.stop(), 0)

    def test_unknown_group_is_an_error(self):
        d = self.other_daemon("unknown", "-G", "no-such-group-berth")
        d.start(wait=False)
        self.assertEqual(d.proc.wait(20), 1)
        d.log.close()
        self.assertIn("berthd: group no-such-group-berth not found", d.read_log())
        self.assertFalse(os.path.exists(d.sock))



NOBODY = 65534


@unittest.skipUnless(os.geteuid() == 0 and shutil.which("setpriv"), "needs root (to become another user) and setpriv")
class NonRootDefaultDirsTest(unittest.TestCase):
    """berthd run as an unprivileged user (nobody) with its default data root
    ($HOME/.local/share/berth) and exec root ($XDG_RUNTIME_DIR/berth): one that
    someone else made beforehand, or that others can write, is refused."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="berth-e2e-nonroot-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        os.chmod(self.tmp, 0o755)
        self.home = os.path.join(self.tmp, "home")
        self.xdg = os.path.join(self.tmp, "xdg")
        for d in (self.home, self.xdg):
            os.makedirs(d, 0o700)
            os.chown(d, NOBODY, NOBODY)
        self.data_root = os.path.join(self.home, ".local", "share", "berth")
        self.exec_root = os.path.join(self.xdg, "berth")

    def run_berthd(self):
        """Runs berthd as nobody; returns (exit code or None if it came up,
        its output). One that comes up is stopped."""
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home, "XDG_RUNTIME_DIR": self.xdg}
        proc = subprocess.Popen(["setpriv", "--reuid", str(NOBODY), "--regid", str(NOBODY), "--clear-groups",
                                 BERTHD, "-G", ""], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        sock = os.path.join(self.exec_root, "berth.sock")
        deadline = time.time() + 20
        while time.time() < deadline and proc.poll() is None and not os.path.exists(sock):
            time.sleep(0.05)
        if proc.poll() is None:
            came_up = os.path.exists(sock)
            proc.terminate()
            out = proc.communicate(timeout=20)[0].decode(errors="replace")
            self.assertTrue(came_up, out)
            return None, out
        return proc.returncode, proc.communicate()[0].decode(errors="replace")

    def make(self, path, uid, mode):
        os.makedirs(path)
        os.chown(path, uid, uid)
        os.chmod(path, mode)
        os.chown(os.path.dirname(path), NOBODY, NOBODY)

    def assert_refused(self, message):
        rc, out = self.run_berthd()
        self.assertEqual(rc, 1, out)
        self.assertIn(message, out)

    def test_own_private_defaults_are_used(self):
        rc, out = self.run_berthd()
        self.assertIsNone(rc, out)
        for d in (self.data_root, self.exec_root):
            self.assertEqual(os.stat(d).st_uid, NOBODY)
            self.assertEqual(os.stat(d).st_mode & 0o022, 0, d)

    def test_data_root_made_by_another_user_is_refused(self):
        os.makedirs(os.path.dirname(self.data_root))
        self.make(self.data_root, 0, 0o755)
        self.assert_refused("refusing the default data root %s: it is owned by uid 0, not by berthd's uid %d"
                            % (self.data_root, NOBODY))
        self.assertEqual(os.listdir(self.data_root), [])

    def test_data_root_writable_by_others_is_refused(self):
        os.makedirs(os.path.dirname(self.data_root))
        self.make(self.data_root, NOBODY, 0o777)
        self.assert_refused("refusing the default data root %s: it is writable by group or others (mode 0777)"
                            % self.data_root)

    def test_exec_root_made_by_another_user_or_group_writable_is_refused(self):
        self.make(self.exec_root, 0, 0o700)
        self.assert_refused("refusing the default exec root %s: it is owned by uid 0" % self.exec_root)
        os.chown(self.exec_root, NOBODY, NOBODY)
        os.chmod(self.exec_root, 0o770)
        self.assert_refused("refusing the default exec root %s: it is writable by group or others (mode 0770)"
                            % self.exec_root)

    def test_symlinked_default_is_refused(self):
        elsewhere = os.path.join(self.tmp, "elsewhere")
        self.make(elsewhere, NOBODY, 0o700)
        os.symlink(elsewhere, self.exec_root)
        self.assert_refused("refusing the default exec root %s: it is a symbolic link" % self.exec_root)


if __name__ == "__main__":
    unittest.main()
