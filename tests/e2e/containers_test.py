"""Containers end to end: the real docker CLI (28.2.2) runs busybox images
(built by berth-fixture --busybox) in berthd: run, ps, stop, kill, rm, logs,
commit chains, image removal and prune with containers, platforms, and a
daemon restart in the middle."""

import json
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from berth_e2e import DOCKER, Daemon, DaemonTestCase, fixture  # noqa: E402

HEX64 = re.compile(r"^[0-9a-f]{64}$")


def can_run_containers():
    return os.geteuid() == 0 and any(os.access(os.path.join(d, "runc"), os.X_OK)
                                     for d in os.environ.get("PATH", "/usr/sbin").split(":") + ["/usr/sbin"])


@unittest.skipUnless(can_run_containers(), "needs root and runc")
class ContainerTestCase(DaemonTestCase):
    """A daemon with busybox images loaded."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bb = fixture(cls.path_of("bb.tar"), "-n", "bb:1", "--busybox")

    @classmethod
    def tearDownClass(cls):
        # Containers outlive the daemon: end them before it stops.
        try:
            rc, out, _ = cls.d.docker("ps", "-a", "-q", "--no-trunc")
            if rc == 0 and out.split():
                cls.d.docker("rm", "-f", *out.split())
        finally:
            super().tearDownClass()

    @classmethod
    def path_of(cls, name):
        return os.path.join(cls.tmp, name)

    def setUp(self):
        self.rm_all()
        self.docker_ok("load", "-i", self.path("bb.tar"))

    def rm_all(self):
        ids = self.docker_ok("ps", "-a", "-q", "--no-trunc").split()
        if ids:
            self.d.docker("rm", "-f", *ids)

    def inspect(self, name, fmt):
        return self.docker_ok("inspect", "--format", fmt, name).strip()

    def wait_for(self, pred, what, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            v = pred()
            if v:
                return v
            time.sleep(0.1)
        self.fail("timed out waiting for " + what)

    def logs(self, *args):
        rc, out, err = self.d.docker("logs", *args)
        self.assertEqual(rc, 0, err)
        return out, err


class SdkContainerTestCase(ContainerTestCase):
    """ContainerTestCase with a Python SDK client on the daemon (cls.client);
    subclasses skip themselves when the SDK is missing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        import docker
        cls.client = docker.DockerClient(base_url=cls.d.host)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        super().tearDownClass()


class RunTest(ContainerTestCase):
    def test_run_detached_ps_stop(self):
        cid = self.docker_ok("run", "-d", "--name", "sleeper", "bb:1", "sleep", "1000").strip()
        self.assertRegex(cid, HEX64)
        self.assertEqual(self.inspect("sleeper", "{{.State.Status}} {{.State.Running}} {{.Name}} {{.Id}}"),
                         "running true /sleeper " + cid)
        self.assertEqual(self.inspect("sleeper", "{{.Image}}"), self.bb["target"])
        self.assertEqual(self.inspect("sleeper", "{{.Config.Image}} {{.Path}} {{.Args}}"), "bb:1 sleep [1000]")
        lines = self.docker_ok("ps").splitlines()
        self.assertEqual(lines[0].split(), ["CONTAINER", "ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS",
                                            "NAMES"])
        self.assertEqual(len(lines), 2, lines)
        self.assertEqual(lines[1].split()[:4], [cid[:12], "bb:1", '"sleep', '1000"'], lines[1])
        self.assertIn(" Up ", lines[1])
        self.assertTrue(lines[1].endswith(" sleeper"), lines[1])
        self.assertEqual(self.docker_ok("ps", "-q", "--no-trunc"), cid + "\n")
        # sleep as PID 1 ignores SIGTERM: the timeout's SIGKILL ends it.
        started = time.time()
        self.assertEqual(self.docker_ok("stop", "-t", "1", "sleeper"), "sleeper\n")
        self.assertLess(time.time() - started, 10)
        self.assertEqual(self.inspect("sleeper", "{{.State.Status}} {{.State.ExitCode}}"), "exited 137")
        self.assertEqual(self.docker_ok("ps", "-q"), "")
        out = self.docker_ok("ps", "-a", "--format", "{{.Names}}|{{.Status}}")
        self.assertRegex(out, r"^sleeper\|Exited \(137\) .* ago\n$")
        # Stopping a stopped container is fine (304); starting it again works.
        self.assertEqual(self.docker_ok("stop", "sleeper"), "sleeper\n")
        self.assertEqual(self.docker_ok("start", "sleeper"), "sleeper\n")
        self.assertEqual(self.inspect("sleeper", "{{.State.Running}}"), "true")
        self.assertEqual(self.docker_ok("kill", "sleeper"), "sleeper\n")
        self.assertEqual(self.docker_ok("wait", "sleeper"), "137\n")

    def test_run_attached_exit_codes(self):
        rc, out, err = self.d.docker("run", "--rm", "bb:1", "echo", "hi")
        self.assertEqual((rc, out), (0, "hi\n"), err)
        rc, out, err = self.d.docker("run", "--rm", "bb:1", "sh", "-c", "exit 3")
        self.assertEqual((rc, out), (3, ""), err)
        rc, out, err = self.d.docker("run", "--rm", "bb:1", "sh", "-c", "echo out; echo err >&2; exit 4")
        self.assertEqual((rc, out, err), (4, "out\n", "err\n"))
        self.assertEqual(self.docker_ok("ps", "-a", "-q"), "")  # --rm removed them
        # Without --rm the container stays, exited.
        rc, out, _ = self.d.docker("run", "--name", "keeper", "bb:1", "sh", "-c", "echo kept; exit 2")
        self.assertEqual((rc, out), (2, "kept\n"))
        self.assertEqual(self.inspect("keeper", "{{.State.Status}} {{.State.ExitCode}}"), "exited 2")
        self.assertEqual(self.logs("keeper"), ("kept\n", ""))

    def test_run_rm_of_a_quick_process_keeps_its_output(self):
        # The auto-removal after the exit waits until the attached CLI has read
        # the output (it once removed the log first: docker run --rm printed
        # nothing). Repeated, as it was a race.
        for i in range(15):
            rc, out, err = self.d.docker("run", "--rm", "bb:1", "echo", "quick%d" % i)
            self.assertEqual((rc, out), (0, "quick%d\n" % i), err)
        self.assertEqual(self.docker_ok("ps", "-a", "-q"), "")

    def test_run_errors(self):
        rc, out, err = self.d.docker("run", "--rm", "bb:1", "/nosuch")
        self.assertEqual(rc, 127)  # the CLI's code for a missing executable
        self.assertIn("/nosuch", err)
        self.assertEqual(self.docker_ok("ps", "-a", "-q"), "")  # --rm removed it after the failed start
        self.docker_ok("create", "--name", "dup", "bb:1", "true")
        rc, _, err = self.d.docker("create", "--name", "dup", "bb:1", "true")
        self.assertEqual(rc, 1)
        self.assertIn('The container name "/dup" is already in use by container', err)
        rc, _, err = self.d.docker("rm", "nosuch")
        self.assertEqual((rc, err), (1, "Error response from daemon: No such container: nosuch\n"))

    def test_restrictions_berth_does_not_apply_are_refused(self):
        # Each flag asks for something berth does not do yet: refused, naming
        # it, before anything is created; never accepted and ignored.
        cases = [
            (["--device-write-iops", "/dev/null:10"], "HostConfig.BlkioDeviceWriteIOps"),
            (["--security-opt", "apparmor=unconfined"], 'berth does not support --security-opt "apparmor"'),
            (["--ip", "10.1.2.3"], "user specified IP address is supported on user defined networks only"),
            (["--volume-driver", "nfs"], "HostConfig.VolumeDriver (--volume-driver)"),
        ]
        for flags, message in cases:
            rc, out, err = self.d.docker("create", *flags, "bb:1", "true")
            self.assertEqual(rc, 1, (flags, out, err))
            self.assertIn(message, err, flags)
        self.assertEqual(self.docker_ok("ps", "-a", "-q"), "")
        # The defaults every plain `docker create`/`run` sends are accepted.
        cid = self.docker_ok("create", "bb:1", "true").strip()
        self.docker_ok("rm", cid)

    def test_add_host_applies_without_a_network(self):
        # This daemon has no bridge: containers have loopback only, and with
        # --network none too. --add-host still reaches /etc/hosts, after
        # localhost's lines, as Docker writes it for --network none; with
        # --network host, after the host's.
        for flags in ([], ["--network", "none"]):
            out = self.docker_ok("run", "--rm", *flags, "--add-host", "db:10.9.8.7", "--add-host", "x.test:127.0.0.2",
                                 "bb:1", "cat", "/etc/hosts")
            lines = out.splitlines()
            self.assertEqual(lines[0], "127.0.0.1\tlocalhost", flags)
            self.assertEqual(lines[-2:], ["10.9.8.7\tdb", "127.0.0.2\tx.test"], flags)
        # On the host's network: the host's /etc/hosts, then the added lines.
        with open("/etc/hosts") as f:
            host_lines = f.read().splitlines()
        out = self.docker_ok("run", "--rm", "--network", "host", "--add-host", "db:10.9.8.7", "bb:1", "cat", "/etc/hosts")
        self.assertEqual(out.splitlines(), host_lines + ["10.9.8.7\tdb"])
        rc, _, err = self.d.docker("run", "--rm", "--add-host", "gw:host-gateway", "bb:1", "true")
        self.assertEqual(rc, 125, err)
        self.assertIn("host-gateway needs the bridge network", err)

    def test_read_only_rootfs_and_no_new_privileges_are_applied(self):
        rc, out, err = self.d.docker("run", "--rm", "--read-only", "bb:1", "sh", "-c",
                                     "touch /x 2>&1; grep NoNewPrivs /proc/self/status")
        self.assertEqual(rc, 0, err)
        self.assertIn("Read-only file system", out)
        self.assertIn("NoNewPrivs:\t0", out)
        out = self.docker_ok("run", "--rm", "--security-opt", "no-new-privileges", "bb:1", "sh", "-c",
                             "touch /x && echo wrote; grep NoNewPrivs /proc/self/status")
        self.assertEqual(out, "wrote\nNoNewPrivs:\t1\n")
        cid = self.docker_ok("create", "--read-only", "--security-opt", "no-new-privileges", "bb:1", "true").strip()
        fmt = "{{.HostConfig.ReadonlyRootfs}} {{.HostConfig.SecurityOpt}}"
        self.assertEqual(self.docker_ok("inspect", "-f", fmt, cid), "true [no-new-privileges]\n")
        self.docker_ok("rm", cid)

    def test_kill_rm_logs(self):
        self.docker_ok("run", "-d", "--name", "talker", "bb:1", "sh", "-c",
                       "echo one; echo two >&2; sleep 0.3; echo three; sleep 1000")
        self.wait_for(lambda: self.logs("talker")[0] == "one\nthree\n", "the log")
        self.assertEqual(self.logs("talker"), ("one\nthree\n", "two\n"))
        self.assertEqual(self.logs("--tail", "1", "talker"), ("three\n", ""))
        out, err = self.logs("-t", "talker")
        self.assertRegex(out, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z one\n\S+ three\n$")
        self.assertRegex(err, r"^\S+Z two\n$")
        rc, _, err = self.d.docker("rm", "talker")
        self.assertEqual(rc, 1)
        self.assertIn("container is running: stop the container before removing or force remove", err)
        self.assertEqual(self.docker_ok("kill", "talker"), "talker\n")
        self.assertEqual(self.docker_ok("wait", "talker"), "137\n")
        self.assertEqual(self.inspect("talker", "{{.State.Status}} {{.State.ExitCode}}"), "exited 137")
        rc, _, err = self.d.docker("kill", "talker")
        self.assertEqual(rc, 1)
        self.assertIn("is not running", err)
        self.assertEqual(self.docker_ok("rm", "talker"), "talker\n")
        self.docker_ok("run", "-d", "--name", "forced", "bb:1", "sleep", "1000")
        self.assertEqual(self.docker_ok("rm", "-f", "forced"), "forced\n")
        self.assertEqual(self.docker_ok("ps", "-a", "-q"), "")

    def test_restart_stop_signal_follow(self):
        self.docker_ok("run", "-d", "--name", "looper", "bb:1", "sh", "-c",
                       "trap 'echo got-usr1; exit 9' USR1; echo up; while true; do sleep 0.1; done")
        self.wait_for(lambda: self.logs("looper")[0] == "up\n", "the first start")
        first = self.inspect("looper", "{{.State.StartedAt}}")
        self.assertEqual(self.docker_ok("restart", "-t", "1", "looper"), "looper\n")
        self.assertEqual(self.inspect("looper", "{{.State.Running}}"), "true")
        self.assertNotEqual(self.inspect("looper", "{{.State.StartedAt}}"), first)
        self.wait_for(lambda: self.logs("looper")[0] == "up\nup\n", "the second start")
        # `logs -f` ends when the container stops; stop's signal reaches the trap.
        import subprocess
        follow = subprocess.Popen([DOCKER, "logs", "-f", "looper"], env=self.d.env(), stdout=subprocess.PIPE)
        self.assertEqual(self.docker_ok("stop", "-s", "USR1", "-t", "5", "looper"), "looper\n")
        out, _ = follow.communicate(timeout=20)
        self.assertEqual(out, b"up\nup\ngot-usr1\n")
        self.assertEqual(self.inspect("looper", "{{.State.ExitCode}}"), "9")

    def test_container_prune(self):
        up = self.docker_ok("run", "-d", "bb:1", "sleep", "1000").strip()
        made = self.docker_ok("create", "bb:1", "true").strip()
        self.d.docker("run", "--name", "ended", "bb:1", "true")
        ended = self.inspect("ended", "{{.Id}}")
        out = self.docker_ok("container", "prune", "-f")
        self.assertTrue(out.startswith("Deleted Containers:\n"), out)
        self.assertEqual(sorted(out.split("\n\n")[0].splitlines()[1:]), sorted([made, ended]))
        self.assertEqual(self.docker_ok("ps", "-a", "-q", "--no-trunc"), up + "\n")

    def test_info_counts(self):
        self.docker_ok("run", "-d", "--name", "up", "bb:1", "sleep", "1000")
        self.docker_ok("create", "--name", "made", "bb:1", "true")
        out = self.docker_ok("info", "--format",
                             "{{.Containers}} {{.ContainersRunning}} {{.ContainersPaused}} {{.ContainersStopped}}")
        self.assertEqual(out, "2 1 0 1\n")


class CommitAndRemoveTest(ContainerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rm = fixture(cls.path_of("rm.tar"), "-n", "rmtest:1", "--busybox", "-f", "rm=1")
        cls.multi = fixture(cls.path_of("multi.tar"), "-n", "mbb:1", "-p", "linux/amd64", "-p", "linux/arm64",
                            "--busybox")
        cls.prune = [fixture(cls.path_of("p%d.tar" % i), "-n", "prune%d:1" % i, "--busybox", "-f", "p=%d" % i)
                     for i in range(5)]

    def setUp(self):
        super().setUp()
        self.rmi_all()
        self.docker_ok("load", "-i", self.path("bb.tar"))

    def commit(self, *args):
        out = self.docker_ok("commit", *args).strip()
        self.assertRegex(out, r"^sha256:[0-9a-f]{64}$")
        return out

    def test_commit_chain_and_prune_up_to_used(self):
        # Each commit re-points "chain", leaving its parent untagged.
        self.assertEqual(self.docker_ok("run", "--name", "c1", "bb:1", "sh", "-c", "echo a > /a.txt"), "")
        id1 = self.commit("-m", "first", "-a", "me", "c1", "chain")
        self.assertEqual(self.docker_ok("image", "inspect", "--format", "{{.Id}} {{.Comment}} {{.Author}}",
                                        "chain"), id1 + " first me\n")
        self.assertEqual(self.docker_ok("run", "--rm", "chain", "cat", "/a.txt"), "a\n")
        self.docker_ok("run", "--name", "c2", "chain", "sh", "-c", "echo b > /b.txt")
        id2 = self.commit("c2", "chain")
        self.docker_ok("run", "--name", "c3", "chain", "sh", "-c", "echo c > /c.txt")
        id3 = self.commit("--change", "CMD [\"cat\", \"/a.txt\", \"/b.txt\", \"/c.txt\"]", "c3", "chain")
        self.assertEqual(len({id1, id2, id3}), 3)
        self.assertEqual(self.docker_ok("run", "--rm", "chain"), "a\nb\nc\n")
        self.docker_ok("rm", "c1", "c2", "c3")
        # A container keeps the first image; removing the top prunes the
        # untagged parents up to the one in use.
        self.docker_ok("create", "--name", "user", id1, "true")
        out = self.docker_ok("rmi", "chain")
        self.assertIn("Untagged: chain:latest\n", out)
        self.assertIn("Deleted: " + id3 + "\n", out)
        self.assertIn("Deleted: " + id2 + "\n", out)
        self.assertNotIn(id1, out)
        ids = self.docker_ok("images", "-a", "-q", "--no-trunc").split()
        self.assertIn(id1, ids)
        self.assertNotIn(id2, ids)
        self.assertEqual(self.docker_ok("start", "-a", "user"), "")

    def test_commit_no_prune(self):
        self.docker_ok("run", "--name", "n1", "bb:1", "sh", "-c", "echo a > /a.txt")
        id1 = self.commit("n1", "np:1")
        self.docker_ok("run", "--name", "n2", "np:1", "true")
        id2 = self.commit("n2", "np:2")
        self.docker_ok("rm", "n1", "n2")
        self.docker_ok("rmi", "np:1")
        out = self.docker_ok("rmi", "--no-prune", "np:2")
        self.assertIn("Deleted: " + id2 + "\n", out)
        self.assertNotIn(id1, out)
        self.assertIn(id1, self.docker_ok("images", "-a", "-q", "--no-trunc").split())

    def test_rmi_with_containers(self):
        self.docker_ok("load", "-i", self.path("rm.tar"))
        img = self.rm["target"]
        short = img[7:19]
        cid = self.docker_ok("run", "-d", "--name", "r1", "rmtest:1", "sleep", "1000").strip()
        self.docker_fails("rmi", "rmtest:1",
                          err="Error response from daemon: conflict: unable to delete rmtest:1 (must be forced) - "
                              "container %s is using its referenced image %s\n" % (cid[:12], short))
        running = ("Error response from daemon: conflict: unable to delete %s (cannot be forced) - image is being "
                   "used by running container %s\n" % (short, cid[:12]))
        self.docker_fails("rmi", img, err=running)
        self.docker_fails("rmi", "-f", img, err=running)
        # Removing one tag while another tag and the container remain: untag only.
        self.docker_ok("tag", "rmtest:1", "rmtest:2")
        self.assertEqual(self.docker_ok("rmi", "rmtest:2"), "Untagged: rmtest:2\n")
        # Forced by name: untagged, the image stays (dangling) for the running container.
        self.assertEqual(self.docker_ok("rmi", "-f", "rmtest:1"), "Untagged: rmtest:1\n")
        self.assertIn(img, self.docker_ok("images", "-a", "-q", "--no-trunc").split())
        self.assertEqual(self.inspect("r1", "{{.State.Running}}"), "true")
        self.assertEqual(self.docker_ok("ps", "--format", "{{.Image}}"), short + "\n")
        # Stopped: by name and by ID must be forced.
        self.docker_ok("kill", "r1")
        self.assertEqual(self.docker_ok("wait", "r1"), "137\n")
        self.docker_ok("load", "-i", self.path("rm.tar"))
        self.docker_fails("rmi", "rmtest:1",
                          err="Error response from daemon: conflict: unable to delete rmtest:1 (must be forced) - "
                              "container %s is using its referenced image %s\n" % (cid[:12], short))
        self.docker_fails("rmi", img,
                          err="Error response from daemon: conflict: unable to delete %s (must be forced) - image is "
                              "being used by stopped container %s\n" % (short, cid[:12]))
        out = self.docker_ok("rmi", "-f", img)
        self.assertIn("Untagged: rmtest:1\n", out)
        self.assertIn("Deleted: " + img + "\n", out)

    def test_image_prune_keeps_images_in_use(self):
        for i in range(5):
            self.docker_ok("load", "-i", self.path("p%d.tar" % i))
        ids = [p["target"] for p in self.prune]
        self.docker_ok("run", "-d", "--name", "by-id", ids[0], "sleep", "1000")
        self.docker_ok("create", "--name", "by-short", ids[1][7:19], "true")
        self.docker_ok("run", "-d", "--name", "by-digest", "prune2@" + ids[2], "sleep", "1000")
        self.docker_ok("create", "--name", "by-name", "prune3:1", "true")
        out = self.docker_ok("image", "prune", "-a", "-f")
        self.assertIn("deleted: " + ids[4] + "\n", out)
        for used in ids[:4]:
            self.assertNotIn(used, out)
        left = self.docker_ok("images", "-a", "-q", "--no-trunc").split()
        for used in ids[:4]:
            self.assertIn(used, left)
        self.assertNotIn(ids[4], left)
        self.assertEqual(self.docker_ok("start", "-a", "by-name"), "")

    def test_platform_removal(self):
        self.docker_ok("load", "-i", self.path("multi.tar"))
        self.assertEqual(self.docker_ok("run", "--rm", "--platform", "linux/arm64", "mbb:1", "echo", "arm"), "arm\n")
        cid = self.docker_ok("create", "--platform", "linux/arm64", "--name", "armc", "mbb:1", "true").strip()
        self.assertEqual(self.inspect("armc", "{{.ImageManifestDescriptor.Platform.Architecture}}"), "arm64")
        img = self.multi["target"]
        # By name and by ID: the same check, the same message.
        for given in ("mbb:1", img, img[7:19]):
            self.docker_fails("rmi", "--platform", "linux/arm64", given,
                              err="Error response from daemon: conflict: unable to delete %s (must be forced) - "
                                  "platform linux/arm64 is being used by stopped container %s\n" % (img[7:19], cid[:12]))
        # A container mounting the image uses its host platform (amd64 here).
        mid = self.docker_ok("create", "--mount", "type=image,source=mbb:1,target=/m", "bb:1", "true").strip()
        self.docker_fails("rmi", "--platform", "linux/amd64", "mbb:1",
                          err="Error response from daemon: conflict: unable to delete %s (must be forced) - "
                              "platform linux/amd64 is being used by stopped container %s\n" % (img[7:19], mid[:12]))
        self.docker_ok("rm", mid)
        self.docker_ok("rmi", "--platform", "linux/amd64", "mbb:1")
        self.assertEqual(self.docker_ok("rmi", "-f", "--platform", "linux/arm64", "mbb:1"),
                         "Deleted: %s\n" % self.multi["manifests"]["linux/arm64"])
        # The image keeps its record with nothing available; the container
        # keeps its content and still runs.
        self.assertEqual(self.docker_ok("images", "--format", "{{.Repository}}:{{.Tag}} {{.Size}}", "mbb"),
                         "mbb:1 0B\n")
        self.assertEqual(self.docker_ok("start", "-a", "armc"), "")
        rc, _, err = self.d.docker("create", "--platform", "linux/s390x", "mbb:1", "true")
        self.assertNotEqual(rc, 0)


@unittest.skipUnless(can_run_containers(), "needs root and runc")
class RestartTest(ContainerTestCase):
    def restart_daemon(self):
        self.assertEqual(self.d.stop(), 0)
        type(self).d = Daemon(self.tmp).start()

    def test_daemon_restart_keeps_containers(self):
        img_ids = self.docker_ok("images", "-a", "-q", "--no-trunc").split()
        self.docker_ok("run", "-d", "--name", "alive", "bb:1", "sleep", "1000")
        self.assertEqual(self.d.docker("run", "--name", "done", "bb:1", "sh", "-c", "exit 7")[0], 7)
        self.docker_ok("run", "-d", "--name", "during", "bb:1", "sh", "-c", "sleep 2; echo late; exit 5")
        pid = self.inspect("alive", "{{.State.Pid}}")
        self.restart_daemon()
        time.sleep(2.5)  # "during" ends while the daemon is down or just up
        self.assertEqual(self.docker_ok("images", "-a", "-q", "--no-trunc").split(), img_ids)
        names = sorted(self.docker_ok("ps", "-a", "--format", "{{.Names}}").split())
        self.assertEqual(names, ["alive", "done", "during"])
        self.assertEqual(self.inspect("alive", "{{.State.Running}} {{.State.Pid}}"), "true " + pid)
        self.assertEqual(self.inspect("done", "{{.State.Status}} {{.State.ExitCode}}"), "exited 7")
        self.wait_for(lambda: self.inspect("during", "{{.State.Status}}") == "exited", "during to exit")
        self.assertEqual(self.inspect("during", "{{.State.ExitCode}}"), "5")
        self.assertEqual(self.logs("during"), ("late\n", ""))
        self.assertEqual(self.docker_ok("stop", "-t", "1", "alive"), "alive\n")
        self.assertEqual(self.inspect("alive", "{{.State.Status}} {{.State.ExitCode}}"), "exited 137")
        self.restart_daemon()
        self.assertEqual(self.inspect("alive", "{{.State.ExitCode}}"), "137")
        self.assertEqual(self.docker_ok("run", "--rm", "bb:1", "echo", "again"), "again\n")


class ContainerSizeTest(ContainerTestCase):
    """SizeRw / SizeRootFs: the listing and inspect with size, docker system
    df's Containers line, and what container prune reports reclaimed."""

    def test_sizes_in_ps_inspect_df_and_prune(self):
        self.docker_ok("run", "--name", "writer", "bb:1", "sh", "-c", "head -c 100000 /dev/zero > /blob")
        self.docker_ok("run", "-d", "--name", "idle", "bb:1", "sleep", "1000")
        rw = int(self.inspect_size("writer", "{{.SizeRw}}"))
        self.assertGreaterEqual(rw, 100000)
        self.assertLess(rw, 100000 + 4096)  # the blob, perhaps a shell history
        image_size = int(self.docker_ok("image", "inspect", "--format", "{{.Size}}", "bb:1").strip())
        self.assertEqual(int(self.inspect_size("writer", "{{.SizeRootFs}}")), rw + image_size)
        # Without --size inspect has no sizes, as Docker.
        self.assertEqual(self.inspect("writer", "{{json .SizeRw}}"), "null")
        ps = self.docker_ok("ps", "-a", "-s", "--filter", "name=writer", "--format", "{{.Size}}").strip()
        self.assertTrue(ps.startswith("100kB (virtual "), ps)
        df = self.docker_ok("system", "df", "--format", "{{.Type}} {{.TotalCount}} {{.Active}} {{.Size}}")
        self.assertIn("Containers 2 1 100kB", df)
        out = self.docker_ok("container", "prune", "-f")
        self.assertIn("Total reclaimed space: 100kB", out)
        self.assertEqual(self.docker_ok("ps", "-a", "-q").split(), [self.inspect("idle", "{{.Id}}")[:12]])

    def inspect_size(self, name, fmt):
        return self.docker_ok("inspect", "--size", "--format", fmt, name).strip()


if __name__ == "__main__":
    unittest.main()
