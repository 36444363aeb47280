"""docker cp and docker export end to end: the real docker CLI and the
Python SDK copy files in and out of running and stopped berth containers
(GET/HEAD/PUT /containers/{id}/archive, GET /containers/{id}/export), and
hostile archives are refused without a byte written outside the container."""

import base64
import io
import json
import os
import sys
import tarfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from berth_e2e import Daemon  # noqa: E402
from containers_test import ContainerTestCase  # noqa: E402

try:
    import docker
except ImportError:  # pragma: no cover
    docker = None


def tar_of(*members):
    """A tar built from (TarInfo fields dict, data bytes or None) pairs."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for fields, data in members:
            info = tarfile.TarInfo(fields.pop("name"))
            for k, v in fields.items():
                setattr(info, k, v)
            if data is not None:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
            else:
                t.addfile(info)
    return buf.getvalue()


class CpCliTest(ContainerTestCase):
    """The fixture's busybox image has few commands on its PATH; its sh runs
    every busybox applet."""

    def run_sleeper(self, *flags):
        cid = self.docker_ok("run", "-d", *flags, "bb:1", "sleep", "1000").strip()
        if "--read-only" not in flags:
            self.sh(cid, "mkdir -p /tmp")
        return cid

    def sh(self, cid, script):
        return self.docker_ok("exec", "-u", "0", cid, "sh", "-c", script)

    def cat(self, cid, path):
        return self.docker_ok("exec", cid, "cat", path)

    def test_copy_a_file_and_a_directory_out_of_a_running_container(self):
        cid = self.run_sleeper("--name", "src")
        self.docker_ok("exec", cid, "sh", "-c", "mkdir -p /data/sub && echo one > /data/a && echo two > /data/sub/b")
        dest = self.path("out")
        os.makedirs(dest, exist_ok=True)
        self.docker_ok("cp", "src:/data/a", dest + "/a.txt")
        with open(dest + "/a.txt") as f:
            self.assertEqual(f.read(), "one\n")
        # A directory onto a missing path becomes that path; "/." copies the
        # contents into an existing directory.
        self.docker_ok("cp", "src:/data", dest + "/copy")
        with open(dest + "/copy/sub/b") as f:
            self.assertEqual(f.read(), "two\n")
        os.makedirs(dest + "/contents", exist_ok=True)
        self.docker_ok("cp", "src:/data/.", dest + "/contents")
        self.assertEqual(sorted(os.listdir(dest + "/contents")), ["a", "sub"])
        # Out to stdout: a tar.
        rc, out, err = self.d.docker_bytes("cp", "src:/data/a", "-")
        self.assertEqual(rc, 0, err)
        with tarfile.open(fileobj=io.BytesIO(out)) as t:
            self.assertEqual(t.getnames(), ["a"])
            self.assertEqual(t.extractfile("a").read(), b"one\n")

    def test_copy_into_a_running_container(self):
        cid = self.run_sleeper()
        src = self.path("in")
        os.makedirs(src + "/dir/nested", exist_ok=True)
        with open(src + "/file", "w") as f:
            f.write("hello\n")
        with open(src + "/dir/nested/deep", "w") as f:
            f.write("deep\n")
        self.docker_ok("cp", src + "/file", cid + ":/tmp/")
        self.assertEqual(self.cat(cid, "/tmp/file"), "hello\n")
        self.docker_ok("cp", src + "/file", cid + ":/tmp/renamed")
        self.assertEqual(self.cat(cid, "/tmp/renamed"), "hello\n")
        # A directory into an existing one, and onto a new name.
        self.docker_ok("cp", src + "/dir", cid + ":/tmp")
        self.assertEqual(self.cat(cid, "/tmp/dir/nested/deep"), "deep\n")
        self.docker_ok("cp", src + "/dir", cid + ":/opt")
        self.assertEqual(self.cat(cid, "/opt/nested/deep"), "deep\n")

    def test_a_stopped_container_is_copied_to_and_from(self):
        cid = self.docker_ok("create", "bb:1", "cat", "/etc/berth-cp").strip()
        src = self.path("stopped-in")
        with open(src, "w") as f:
            f.write("before start\n")
        self.docker_ok("cp", src, cid + ":/etc/berth-cp")
        self.docker_ok("start", "-a", cid)
        out, _ = self.logs(cid)
        self.assertEqual(out, "before start\n")
        self.assertEqual(self.inspect(cid, "{{.State.Status}}"), "exited")
        dest = self.path("stopped-out")
        self.docker_ok("cp", cid + ":/etc/berth-cp", dest)
        with open(dest) as f:
            self.assertEqual(f.read(), "before start\n")
        # The container's rootfs is not left mounted by the copy.
        self.docker_ok("start", "-a", cid)

    def test_links_resolve_inside_the_container(self):
        cid = self.run_sleeper()
        # An absolute link in the container names the container's /etc.
        self.docker_ok("exec", cid, "sh", "-c", "ln -s /etc /etclink && echo mine > /etc/mine")
        dest = self.path("via-link")
        self.docker_ok("cp", cid + ":/etclink/mine", dest)
        with open(dest) as f:
            self.assertEqual(f.read(), "mine\n")
        # -L follows a link given as the last element.
        self.sh(cid, "ln -s /etc/mine /minelink")
        dest2 = self.path("followed")
        self.docker_ok("cp", "-L", cid + ":/minelink", dest2)
        with open(dest2) as f:
            self.assertEqual(f.read(), "mine\n")
        dest3 = self.path("as-link")
        self.docker_ok("cp", cid + ":/minelink", dest3)
        self.assertEqual(os.readlink(dest3), "/etc/mine")

    def test_errors_as_docker_words_them(self):
        cid = self.run_sleeper("--name", "errs")
        rc, _, err = self.d.docker("cp", "errs:/nonexistent", self.path("x"))
        self.assertNotEqual(rc, 0)
        self.assertIn("Could not find the file /nonexistent in container errs", err)
        rc, _, err = self.d.docker("cp", "nosuchcontainer:/etc", self.path("x"))
        self.assertNotEqual(rc, 0)
        self.assertIn("No such container", err)
        src = self.path("dir-onto-file")
        os.makedirs(src, exist_ok=True)
        self.sh(cid, "echo > /etc/afile")
        rc, _, err = self.d.docker("cp", src, cid + ":/etc/afile")
        self.assertNotEqual(rc, 0)
        self.assertIn("cannot copy directory", err)

    def test_copy_uid_gid_gives_the_containers_user(self):
        cid = self.run_sleeper("--user", "1234:4321")
        src = self.path("owned")
        with open(src, "w") as f:
            f.write("x")
        self.docker_ok("cp", "-a", src, cid + ":/tmp/owned")
        self.assertEqual(self.sh(cid, "stat -c %u:%g /tmp/owned"), "1234:4321\n")
        self.docker_ok("cp", src, cid + ":/tmp/plain")
        self.assertEqual(self.sh(cid, "stat -c %u:%g /tmp/plain"),
                         "%d:%d\n" % (os.getuid(), os.getgid()))

    def test_read_only_rootfs_refuses_a_copy_in(self):
        cid = self.run_sleeper("--read-only")
        src = self.path("ro")
        with open(src, "w") as f:
            f.write("x")
        rc, _, err = self.d.docker("cp", src, cid + ":/ro")
        self.assertNotEqual(rc, 0)
        self.assertIn("container rootfs is marked read-only", err)

    def test_export_is_a_tar_of_the_root_filesystem(self):
        cid = self.run_sleeper()
        self.docker_ok("exec", cid, "sh", "-c", "echo exported > /exported")
        out = self.path("export.tar")
        self.docker_ok("export", "-o", out, cid)
        with tarfile.open(out) as t:
            names = t.getnames()
            self.assertIn("exported", names)
            self.assertIn("bin/busybox", names)
            self.assertEqual(t.extractfile("exported").read(), b"exported\n")


@unittest.skipIf(docker is None, "needs the docker SDK")
class CpSdkTest(ContainerTestCase):
    def setUp(self):
        super().setUp()
        self.client = docker.DockerClient(base_url=self.d.host)
        self.api = self.client.api
        self.ctr = self.client.containers.run("bb:1", ["sleep", "1000"], detach=True)
        self.sh("mkdir -p /tmp")

    def sh(self, script):
        return self.ctr.exec_run(["sh", "-c", script])

    def tearDown(self):
        self.client.close()

    def test_get_archive_and_its_stat(self):
        self.sh("printf 12345 > /f && ln -s /f /l")
        stream, stat = self.api.get_archive(self.ctr.id, "/f")
        data = b"".join(stream)
        with tarfile.open(fileobj=io.BytesIO(data)) as t:
            self.assertEqual(t.extractfile("f").read(), b"12345")
        self.assertEqual((stat["name"], stat["size"], stat["mode"] & 0o777, stat["linkTarget"]),
                         ("f", 5, 0o644, ""))
        self.assertRegex(stat["mtime"], r"^\d{4}-\d\d-\d\dT")
        stat = self.api.get_archive(self.ctr.id, "/l")[1]
        self.assertEqual((stat["name"], stat["mode"] >> 27 & 1, stat["linkTarget"]), ("l", 1, "/f"))
        stat = self.api.get_archive(self.ctr.id, "/etc/")[1]
        self.assertEqual((stat["name"], stat["mode"] >> 31), ("etc", 1))
        with self.assertRaises(docker.errors.NotFound) as e:
            self.api.get_archive(self.ctr.id, "/nope")
        self.assertIn("Could not find the file /nope", str(e.exception))

    def test_head_gives_the_stat_header_only(self):
        status, headers, body = self.d.request("HEAD", "/v1.50/containers/%s/archive?path=/bin/sh" % self.ctr.id)
        self.assertEqual((status, body), (200, b""))
        stat = json.loads(base64.b64decode(headers["X-Docker-Container-Path-Stat"]))
        self.assertEqual((stat["name"], stat["linkTarget"]), ("sh", "/bin/busybox"))
        status, _, body = self.d.request("HEAD", "/v1.50/containers/%s/archive?path=/nope" % self.ctr.id)
        self.assertEqual(status, 404)

    def test_put_archive_extracts_into_a_directory(self):
        data = tar_of(({"name": "put/", "type": tarfile.DIRTYPE, "mode": 0o750}, None),
                      ({"name": "put/file", "mode": 0o600, "uid": 7, "gid": 8}, b"payload"))
        self.assertTrue(self.ctr.put_archive("/tmp", data))
        out = self.sh("stat -c '%a %u:%g' /tmp/put /tmp/put/file").output.decode()
        self.assertEqual(out, "750 0:0\n600 7:8\n")
        self.assertEqual(self.ctr.exec_run(["cat", "/tmp/put/file"]).output, b"payload")
        with self.assertRaises(docker.errors.APIError) as e:
            self.ctr.put_archive("/bin/busybox", data)
        self.assertIn("extraction point is not a directory", str(e.exception))
        with self.assertRaises(docker.errors.NotFound):
            self.ctr.put_archive("/nonexistent", data)

    def test_no_overwrite_dir_non_dir(self):
        self.sh("mkdir /tmp/adir")
        data = tar_of(({"name": "adir"}, b"file over a dir"))
        status, _, body = self.d.request(
            "PUT", "/v1.50/containers/%s/archive?path=/tmp&noOverwriteDirNonDir=1" % self.ctr.id, body=data)
        self.assertEqual(status, 400, body)
        self.assertIn(b"cannot overwrite directory", body)
        self.assertEqual(self.sh("test -d /tmp/adir").exit_code, 0)

    def test_hostile_archives_are_refused_and_nothing_leaves_the_container(self):
        outside = self.path("outside")
        os.makedirs(outside, exist_ok=True)
        attacks = [
            ("path leaves the archive", tar_of(({"name": "../../../../../../" + outside.lstrip("/") + "/esc"}, b"x"))),
            ("absolute path", tar_of(({"name": outside + "/abs"}, b"x"))),
            ("a parent is a symbolic link of the archive",
             tar_of(({"name": "link", "type": tarfile.SYMTYPE, "linkname": outside}, None),
                    ({"name": "link/through"}, b"x"))),
            ("a parent is a symbolic link of the archive",
             tar_of(({"name": "up", "type": tarfile.SYMTYPE, "linkname": "../../../../../../.."}, None),
                    ({"name": "up" + outside + "/through-rel"}, b"x"))),
            ("devices, FIFOs and sockets are not allowed",
             tar_of(({"name": "null", "type": tarfile.CHRTYPE, "devmajor": 1, "devminor": 3}, None))),
            ("not a file of the archive",
             tar_of(({"name": "hard", "type": tarfile.LNKTYPE, "linkname": "etc/shadow"}, None))),
        ]
        for why, data in attacks:
            status, _, body = self.d.request("PUT", "/v1.50/containers/%s/archive?path=/tmp" % self.ctr.id,
                                             body=data)
            self.assertEqual(status, 400, body)
            self.assertIn(why, json.loads(body)["message"])
        self.assertEqual(os.listdir(outside), [])
        # The daemon is still serving and the container untouched elsewhere.
        self.assertEqual(self.ctr.exec_run(["cat", "/bin/busybox"]).exit_code, 0)

    def test_export(self):
        self.sh("echo sdk > /sdk")
        data = b"".join(self.ctr.export())
        with tarfile.open(fileobj=io.BytesIO(data)) as t:
            self.assertEqual(t.extractfile("sdk").read(), b"sdk\n")



class CpMountsTest(ContainerTestCase):
    """docker cp sees a container's volumes and bind mounts as its processes
    do, whether it runs or not."""

    def test_copy_into_and_out_of_a_volume_of_a_stopped_container(self):
        cid = self.docker_ok("create", "-v", "/vol1", "bb:1", "cat", "/vol1/data.txt").strip()
        src = self.path("data.txt")
        with open(src, "w") as f:
            f.write("in the volume\n")
        self.docker_ok("cp", src, cid + ":/vol1/data.txt")
        self.docker_ok("start", "-a", cid)
        self.assertEqual(self.docker_ok("logs", cid), "in the volume\n")
        # The file is in the volume, not in the container's own layer.
        self.assertNotIn("data.txt", self.docker_ok("diff", cid))
        out = self.path("back")
        os.makedirs(out, exist_ok=True)
        self.docker_ok("cp", cid + ":/vol1/data.txt", out)
        with open(os.path.join(out, "data.txt")) as f:
            self.assertEqual(f.read(), "in the volume\n")

    def test_links_planted_in_a_stopped_containers_volume_do_not_reach_the_host(self):
        # By attack: the container leaves symbolic links in its volume that
        # point at / (absolute and by ".."), then stops; docker cp through
        # them must resolve inside the container, never on the host.
        mark = "berth-cp-attack-%d" % os.getpid()
        cid = self.docker_ok("run", "-d", "-v", "attackvol:/vol1", "bb:1", "sh", "-c",
                             "ln -s / /vol1/abs && ln -s ../../../../../../.. /vol1/up && "
                             "mkdir /vol1/d && ln -s /etc /vol1/d/etc").strip()
        self.docker_ok("wait", cid)
        src = self.path(mark)
        with open(src, "w") as f:
            f.write("payload\n")
        for target in ("/vol1/abs/", "/vol1/up/", "/vol1/d/etc/"):
            self.d.docker("cp", src, cid + ":" + target)  # may succeed (inside the container) or fail
            self.assertFalse(os.path.exists("/" + mark), target)
            self.assertFalse(os.path.exists("/etc/" + mark), target)
        # Reading through the links gives the container's files, not the host's.
        out = self.path("out")
        os.makedirs(out, exist_ok=True)
        rc, _, err = self.d.docker("cp", cid + ":/vol1/abs/etc/hostname", out)
        if rc == 0:
            with open(os.path.join(out, "hostname")) as f:
                self.assertEqual(f.read().strip(), cid[:12])
        self.assertFalse(os.path.exists("/" + mark))
        self.docker_ok("rm", cid)
        self.docker_ok("volume", "rm", "attackvol")

    def test_copy_out_of_a_bind_mount_and_refused_into_a_read_only_one(self):
        host = self.path("hostdir")
        os.makedirs(host, exist_ok=True)
        with open(os.path.join(host, "f"), "w") as f:
            f.write("from the host\n")
        running = self.docker_ok("run", "-d", "-v", host + ":/mnt/h", "bb:1", "sleep", "1000").strip()
        stopped = self.docker_ok("create", "-v", host + ":/mnt/h:ro", "bb:1", "true").strip()
        for cid in (running, stopped):
            out = self.path("out-" + cid[:6])
            os.makedirs(out, exist_ok=True)
            self.docker_ok("cp", cid + ":/mnt/h/f", out)
            with open(os.path.join(out, "f")) as f:
                self.assertEqual(f.read(), "from the host\n")
        src = self.path("new.txt")
        with open(src, "w") as f:
            f.write("x")
        _, err = self.docker_fails("cp", src, stopped + ":/mnt/h/new.txt")
        self.assertIn("mounted volume is marked read-only", err)
        self.assertFalse(os.path.exists(os.path.join(host, "new.txt")))
        # A running container's tmpfs is reached through its own root.
        tmp = self.docker_ok("run", "-d", "--tmpfs", "/scratch", "bb:1", "sleep", "1000").strip()
        self.docker_ok("cp", src, tmp + ":/scratch/new.txt")
        self.assertEqual(self.docker_ok("exec", tmp, "cat", "/scratch/new.txt"), "x")


class OpsCliTest(ContainerTestCase):
    """rename, pause/unpause, top, diff and update with the docker CLI."""

    def run_sleeper(self, *flags):
        return self.docker_ok("run", "-d", *flags, "bb:1", "sleep", "1000").strip()

    def events(self, since, action, fmt):
        return self.docker_ok("events", "--since", since, "--until", str(int(self.now()) + 1),
                              "--filter", "event=" + action, "--format", fmt).split()

    @staticmethod
    def now():
        import time
        return time.time()

    @staticmethod
    def frozen(pid):
        """Whether the cgroup of process pid is frozen (cgroup v1 or v2)."""
        with open("/proc/%s/cgroup" % pid) as f:
            lines = [line.rstrip("\n").split(":", 2) for line in f]
        for _, controllers, path in lines:
            if "freezer" in controllers.split(","):
                with open("/sys/fs/cgroup/freezer%s/freezer.state" % path) as f:
                    return f.read().strip() == "FROZEN"
        for _, controllers, path in lines:
            if controllers == "":
                with open("/sys/fs/cgroup%s/cgroup.freeze" % path) as f:
                    return f.read().strip() == "1"
        raise AssertionError("no freezer cgroup for %s" % pid)

    def test_rename(self):
        since = str(int(self.now()) - 1)
        cid = self.run_sleeper("--name", "first")
        self.run_sleeper("--name", "taken")
        self.docker_ok("rename", "first", "second")
        self.assertEqual(self.inspect(cid, "{{.Name}}"), "/second")
        self.assertEqual(self.events(since, "rename", "{{.Actor.Attributes.oldName}}"), ["/first"])
        rc, _, err = self.d.docker("rename", "second", "taken")
        self.assertNotEqual(rc, 0)
        self.assertIn('Conflict. The container name "/taken" is already in use by container', err)
        rc, _, err = self.d.docker("rename", "second", "second")
        self.assertIn("Renaming a container with the same name as its current name", err)
        rc, _, err = self.d.docker("rename", "second", "bad/name")
        self.assertIn("Invalid container name (bad/name)", err)
        self.assertEqual(self.inspect(cid, "{{.Name}}"), "/second")

    def test_pause_and_unpause(self):
        since = str(int(self.now()) - 1)
        cid = self.run_sleeper()
        self.docker_ok("pause", cid)
        self.assertEqual(self.inspect(cid, "{{.State.Status}} {{.State.Paused}} {{.State.Running}}"),
                         "paused true true")
        self.assertIn("(Paused)", self.docker_ok("ps", "--filter", "id=" + cid, "--format", "{{.Status}}"))
        # The processes are frozen (cgroup freezer).
        self.assertTrue(self.frozen(self.inspect(cid, "{{.State.Pid}}")))
        rc, _, err = self.d.docker("exec", cid, "true")
        self.assertNotEqual(rc, 0)
        self.assertIn("is paused, unpause the container before exec", err)
        rc, _, err = self.d.docker("pause", cid)
        self.assertIn("is already paused", err)
        self.docker_ok("unpause", cid)
        self.assertEqual(self.inspect(cid, "{{.State.Status}} {{.State.Paused}}"), "running false")
        rc, _, err = self.d.docker("unpause", cid)
        self.assertIn("is not paused", err)
        self.docker_ok("exec", cid, "true")
        self.assertFalse(self.frozen(self.inspect(cid, "{{.State.Pid}}")))
        self.assertEqual(self.events(since, "pause", "{{.Actor.ID}}"), [cid])
        self.assertEqual(self.events(since, "unpause", "{{.Actor.ID}}"), [cid])
        # A paused container stops (signalled, then thawed).
        self.docker_ok("pause", cid)
        self.docker_ok("stop", "-t", "1", cid)
        self.assertEqual(self.inspect(cid, "{{.State.Status}}"), "exited")
        rc, _, err = self.d.docker("pause", cid)
        self.assertIn("container %s is not running" % cid, err)

    def test_top(self):
        cid = self.run_sleeper()
        out = self.docker_ok("top", cid).splitlines()
        self.assertEqual(out[0].split(), ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"])
        self.assertEqual(len(out), 2, out)
        self.assertTrue(out[1].endswith("sleep 1000"), out)
        self.assertEqual(out[1].split()[1], self.inspect(cid, "{{.State.Pid}}"))
        out = self.docker_ok("top", cid, "-o", "pid,args").splitlines()
        self.assertEqual(out[0].split(), ["PID", "COMMAND"])
        self.assertEqual(out[1].split()[1:], ["sleep", "1000"])
        rc, _, err = self.d.docker("top", cid, "-o", "comm")
        self.assertIn("Couldn't find PID field in ps output", err)
        stopped = self.docker_ok("create", "bb:1", "true").strip()
        rc, _, err = self.d.docker("top", stopped)
        self.assertIn("container %s is not running" % stopped, err)

    def test_diff(self):
        cid = self.run_sleeper()
        self.docker_ok("exec", cid, "sh", "-c", "mkdir -p /new/dir && echo x > /new/dir/f && rm /bin/ls && ln -sf busybox /bin/cat")
        lines = self.docker_ok("diff", cid).splitlines()
        for want in ["A /new", "A /new/dir", "A /new/dir/f", "C /bin", "D /bin/ls", "C /bin/cat"]:
            self.assertIn(want, lines)
        self.assertEqual(lines, sorted(lines, key=lambda l: l[2:]))
        # The mount points runc made because bb:1 lacks them are in Docker's
        # init layer, never in a diff.
        for hidden in ["A /dev", "A /proc", "A /sys", "A /etc/hosts", "A /etc/resolv.conf", "A /etc/hostname"]:
            self.assertNotIn(hidden, lines)
        fresh = self.docker_ok("create", "bb:1", "true").strip()
        self.assertEqual(self.docker_ok("diff", fresh), "")

    def test_update_refuses_what_berth_does_not_do(self):
        cid = self.run_sleeper()
        # A memory limit above the (unset) swap limit without --memory-swap:
        # Docker's refusal (resources_test covers updates that apply).
        rc, _, err = self.d.docker("update", "--memory", "64m", cid)
        self.assertNotEqual(rc, 0)
        self.assertIn("Memory limit should be smaller than already set memoryswap limit", err)
        self.assertEqual(self.inspect(cid, "{{.HostConfig.Memory}}"), "0")
        # --restart is applied (lifecycle_test covers it); limits never half-apply.
        self.assertEqual(self.inspect(cid, "{{.HostConfig.RestartPolicy.Name}}"), "no")
        rc, _, err = self.d.docker("update", "--cpus", "1", "nosuch")
        self.assertIn("No such container: nosuch", err)


@unittest.skipIf(docker is None, "needs the docker SDK")
class OpsSdkTest(ContainerTestCase):
    """As docker-py's PauseTest, RenameContainerTest and ContainerTopTest."""

    def setUp(self):
        super().setUp()
        self.api = docker.APIClient(base_url=self.d.host)
        self.cid = self.api.create_container("bb:1", ["sleep", "1000"])["Id"]
        self.api.start(self.cid)

    def tearDown(self):
        self.api.close()

    def test_pause_unpause(self):
        self.api.pause(self.cid)
        state = self.api.inspect_container(self.cid)["State"]
        self.assertEqual((state["Running"], state["Paused"]), (True, True))
        self.api.unpause(self.cid)
        state = self.api.inspect_container(self.cid)["State"]
        self.assertEqual((state["Running"], state["Paused"]), (True, False))
        with self.assertRaises(docker.errors.APIError) as e:
            self.api.unpause(self.cid)
        self.assertEqual(e.exception.response.status_code, 409)

    def test_rename(self):
        self.api.rename(self.cid, "sdk_renamed")
        self.assertEqual(self.api.inspect_container(self.cid)["Name"], "/sdk_renamed")

    def test_top_and_ps_args(self):
        res = self.api.top(self.cid)
        self.assertEqual(res["Titles"], ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"])
        self.assertEqual(len(res["Processes"]), 1)
        self.assertEqual(res["Processes"][0][7], "sleep 1000")
        res = self.api.top(self.cid, "waux")
        self.assertEqual(res["Titles"], ["USER", "PID", "%CPU", "%MEM", "VSZ", "RSS", "TTY", "STAT", "START", "TIME",
                                         "COMMAND"])
        self.assertEqual(res["Processes"][0][10], "sleep 1000")

    def test_diff(self):
        self.api.exec_start(self.api.exec_create(self.cid, ["sh", "-c", "echo x > /added"])["Id"])
        self.assertIn({"Path": "/added", "Kind": 1}, self.api.diff(self.cid))




class PausedRestartTest(ContainerTestCase):
    def test_a_paused_container_stays_paused_across_a_daemon_restart(self):
        cid = self.docker_ok("run", "-d", "bb:1", "sleep", "1000").strip()
        self.docker_ok("pause", cid)
        self.assertEqual(self.d.stop(), 0)
        type(self).d = Daemon(self.tmp).start()
        self.assertEqual(self.inspect(cid, "{{.State.Status}} {{.State.Paused}}"), "paused true")
        self.docker_ok("unpause", cid)
        self.assertEqual(self.docker_ok("exec", cid, "echo", "thawed"), "thawed\n")

@unittest.skipIf(docker is None, "needs the docker SDK")
class StatsTest(ContainerTestCase):
    """docker stats from the container's cgroup (docker-py's
    GetContainerStatsTest), with the CLI and the SDK."""

    def setUp(self):
        super().setUp()
        self.api = docker.APIClient(base_url=self.d.host)

    def tearDown(self):
        self.api.close()

    def run_worker(self):
        # A shell loop that uses CPU and memory, with a child process.
        cid = self.api.create_container("bb:1", ["sh", "-c", "x=$(cat /bin/busybox); while :; do :; done"])["Id"]
        self.api.start(cid)
        return cid

    def test_no_stream_sample_has_dockers_shape_and_real_figures(self):
        cid = self.run_worker()
        s = self.api.stats(cid, stream=False)
        for key in ["read", "preread", "pids_stats", "blkio_stats", "num_procs", "storage_stats", "cpu_stats",
                    "precpu_stats", "memory_stats", "name", "id"]:
            self.assertIn(key, s)
        self.assertEqual((s["id"], s["name"]), (cid, self.api.inspect_container(cid)["Name"]))
        self.assertGreaterEqual(s["pids_stats"]["current"], 1)
        self.assertGreater(s["memory_stats"]["usage"], 1 << 20)  # busybox read into the shell
        self.assertGreater(s["memory_stats"]["limit"], 0)
        # Two samples a second apart: the loop used CPU between them.
        self.assertGreater(s["cpu_stats"]["cpu_usage"]["total_usage"], s["precpu_stats"]["cpu_usage"]["total_usage"])
        self.assertGreater(s["precpu_stats"]["cpu_usage"]["total_usage"], 0)
        self.assertGreater(s["cpu_stats"]["system_cpu_usage"], s["precpu_stats"]["system_cpu_usage"])
        self.assertGreater(s["cpu_stats"]["online_cpus"], 0)
        # This daemon has no bridge (--bridge none): the container has only
        # a loopback, and the sample no "networks" key, as Docker's for
        # --network none.
        self.assertNotIn("networks", s)

    def test_stream_and_one_shot(self):
        cid = self.run_worker()
        gen = self.api.stats(cid, decode=True, stream=True)
        first, second = next(gen), next(gen)
        self.assertEqual(first["preread"], "0001-01-01T00:00:00Z")
        self.assertEqual(second["preread"], first["read"])
        self.assertEqual(second["precpu_stats"]["cpu_usage"]["total_usage"],
                         first["cpu_stats"]["cpu_usage"]["total_usage"])
        gen.close()
        s = self.api.stats(cid, stream=False, one_shot=True)
        self.assertEqual(s["preread"], "0001-01-01T00:00:00Z")
        self.assertGreater(s["cpu_stats"]["cpu_usage"]["total_usage"], 0)
        status, _, body = self.d.request("GET", "/v1.50/containers/%s/stats?stream=1&one-shot=1" % cid)
        self.assertEqual(status, 400)
        self.assertIn(b"cannot have stream=true and one-shot=true", body)

    def test_stopped_container_reads_zero_and_the_cli_prints_a_line(self):
        stopped = self.api.create_container("bb:1", ["true"])["Id"]
        s = self.api.stats(stopped, stream=False)
        self.assertEqual((s["read"], s["memory_stats"], s["pids_stats"]), ("0001-01-01T00:00:00Z", {}, {}))
        cid = self.run_worker()
        out = self.docker_ok("stats", "--no-stream", "--format", "{{.ID}} {{.MemUsage}} {{.PIDs}}", cid)
        short, mem, pids = out.split()[0], out.split()[1], out.split()[-1]
        self.assertEqual(short, cid[:12])
        self.assertTrue(mem.endswith("MiB") or mem.endswith("KiB"), out)
        self.assertGreaterEqual(int(pids), 1)


if __name__ == "__main__":
    unittest.main()
