"""Bind mounts, volumes and tmpfs end to end: the real docker CLI and the
Python SDK against berthd (-v, --mount, --tmpfs, docker volume, docker rm -v,
copy-up of an image's VOLUME, volume subpaths (and a symlink planted to
escape through one), the in-use conflict, prune, events, system df,
a berthd restart in the middle, and hostile input refused with Docker's
texts)."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from berth_e2e import Daemon, timestamp_now  # noqa: E402
from containers_test import ContainerTestCase  # noqa: E402

try:
    import docker
except ImportError:  # pragma: no cover
    docker = None


class VolumeTestCase(ContainerTestCase):
    def setUp(self):
        super().setUp()
        self.d.docker("volume", "prune", "-af")

    def volumes(self):
        return self.docker_ok("volume", "ls", "-q").split()

    def mounts(self, name):
        return json.loads(self.inspect(name, "{{json .Mounts}}"))

    def fails(self, *args, message):
        rc, out, err = self.d.docker(*args)
        self.assertNotEqual(rc, 0, "docker %s should fail: %s" % (" ".join(args), out))
        self.assertIn(message, err, args)

    def host_dir(self, name):
        path = self.path(name)
        os.makedirs(path, exist_ok=True)
        return path


class BindMountTest(VolumeTestCase):
    def test_writes_through_a_bind_are_on_the_host_and_ro_is_enforced(self):
        src = self.host_dir("bind-rw")
        self.docker_ok("run", "--rm", "-v", src + ":/mnt", "bb:1", "sh", "-c", "echo hello > /mnt/f")
        with open(os.path.join(src, "f")) as f:
            self.assertEqual(f.read(), "hello\n")
        rc, _, err = self.d.docker("run", "--rm", "-v", src + ":/mnt:ro", "bb:1", "sh", "-c", "echo x > /mnt/g")
        self.assertNotEqual(rc, 0)
        self.assertIn("Read-only file system", err)
        self.assertFalse(os.path.exists(os.path.join(src, "g")))
        out = self.docker_ok("run", "--rm", "--mount", "type=bind,source=%s,target=/m,readonly" % src, "bb:1",
                             "cat", "/m/f")
        self.assertEqual(out, "hello\n")

    def test_a_missing_v_source_is_created_as_a_directory(self):
        src = os.path.join(self.path("bind-new"), "sub")
        self.assertFalse(os.path.exists(src))
        self.docker_ok("run", "--rm", "-v", src + ":/new", "bb:1", "sh", "-c", ": > /new/x")
        self.assertTrue(os.path.isfile(os.path.join(src, "x")))

    def test_mount_with_a_missing_source_is_refused_and_creates_nothing(self):
        rc, _, err = self.d.docker("run", "--mount", "type=bind,source=/no/such/berth/dir,target=/x", "bb:1", "true")
        self.assertNotEqual(rc, 0)
        self.assertIn('invalid mount config for type "bind": bind source path does not exist: /no/such/berth/dir',
                      err)
        self.assertEqual(self.docker_ok("ps", "-aq"), "")
        self.assertFalse(os.path.exists("/no/such/berth/dir"))

    def test_inspect_shows_mounts_as_docker(self):
        src = self.host_dir("bind-inspect")
        cid = self.docker_ok("create", "-v", src + ":/h:ro", "-v", "named:/n", "--tmpfs", "/run/t:size=1m",
                             "bb:1", "true").strip()
        mounts = {m["Destination"]: m for m in self.mounts(cid)}
        self.assertEqual(set(mounts), {"/h", "/n"})
        self.assertEqual(mounts["/h"], {"Type": "bind", "Source": src, "Destination": "/h", "Mode": "ro",
                                        "RW": False, "Propagation": "rprivate"})
        mountpoint = self.docker_ok("volume", "inspect", "--format", "{{.Mountpoint}}", "named").strip()
        self.assertEqual(mounts["/n"], {"Type": "volume", "Name": "named", "Source": mountpoint,
                                        "Destination": "/n", "Driver": "local", "Mode": "z", "RW": True,
                                        "Propagation": ""})
        self.assertEqual(sorted(json.loads(self.inspect(cid, "{{json .HostConfig.Binds}}"))),
                         sorted([src + ":/h:ro", "named:/n"]))
        self.assertEqual(json.loads(self.inspect(cid, "{{json .HostConfig.Tmpfs}}")), {"/run/t": "size=1m"})

    def test_commit_leaves_out_bind_and_volume_content(self):
        src = self.host_dir("bind-commit")
        self.docker_ok("run", "--name", "committer", "-v", src + ":/h", "-v", "cvol:/v", "bb:1", "sh", "-c",
                       "echo a > /h/a; echo b > /v/b; echo c > /c")
        self.docker_ok("commit", "committer", "committed:1")
        out = self.docker_ok("run", "--rm", "committed:1", "sh", "-c", "cat /c; ls /h /v")
        self.assertEqual(out, "c\n/h:\n\n/v:\n")

    def test_bad_specs_are_refused_with_dockers_texts(self):
        src = self.host_dir("bind-bad")
        cases = [
            (["-v", src + ":relative"], "invalid volume specification: '%s:relative': invalid mount config for type "
                                        "\"bind\": invalid mount path: 'relative' mount path must be absolute" % src),
            (["-v", src + ":/x:rw,ro"], "invalid mode: rw,ro"),
            (["-v", "a/b:/x"], "create a/b: \"a/b\" includes invalid characters for a local volume name, only "
                               "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host "
                               "directory, use absolute path"),
            (["--tmpfs", "/t:huge=always"], "berth does not support the tmpfs option \"huge=always\""),
        ]
        for flags, message in cases:
            rc, _, err = self.d.docker("create", *flags, "bb:1", "true")
            self.assertNotEqual(rc, 0, flags)
            self.assertIn(message, err, flags)
        self.assertEqual(self.docker_ok("ps", "-aq"), "")
        self.assertEqual(self.volumes(), [])


class TmpfsTest(VolumeTestCase):
    def test_tmpfs_flag_and_mount(self):
        out = self.docker_ok("run", "--rm", "--tmpfs", "/run/t:size=1m", "--mount",
                             "type=tmpfs,destination=/t2,tmpfs-size=2m,tmpfs-mode=0700", "bb:1", "sh", "-c",
                             "grep -E ' /run/t | /t2 ' /proc/mounts; stat -c %a /t2")
        lines = out.splitlines()
        run_t = [line for line in lines if " /run/t " in line]
        t2 = [line for line in lines if " /t2 " in line]
        self.assertEqual(len(run_t), 1, out)
        self.assertTrue(run_t[0].startswith("tmpfs /run/t tmpfs "), out)
        self.assertIn("size=1024k", run_t[0])
        self.assertIn("noexec", run_t[0])
        self.assertIn("size=2048k", t2[0])
        self.assertEqual(lines[-1], "700")


class VolumeCliTest(VolumeTestCase):
    def test_create_inspect_ls_rm(self):
        self.assertEqual(self.docker_ok("volume", "create", "--label", "team=a", "vol1"), "vol1\n")
        info = json.loads(self.docker_ok("volume", "inspect", "vol1"))[0]
        self.assertEqual((info["Name"], info["Driver"], info["Scope"], info["Labels"]),
                         ("vol1", "local", "local", {"team": "a"}))
        self.assertTrue(info["Mountpoint"].endswith("/volumes/vol1/_data"), info)
        self.assertTrue(os.path.isdir(info["Mountpoint"]))
        self.assertRegex(info["CreatedAt"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.docker_ok("volume", "create", "vol2")
        self.assertEqual(self.volumes(), ["vol1", "vol2"])
        self.assertEqual(self.docker_ok("volume", "ls", "-q", "--filter", "label=team=a").split(), ["vol1"])
        self.assertEqual(self.docker_ok("volume", "ls", "-q", "--filter", "name=2").split(), ["vol2"])
        self.assertEqual(self.docker_ok("volume", "rm", "vol1", "vol2"), "vol1\nvol2\n")
        self.assertFalse(os.path.exists(info["Mountpoint"]))
        self.fails("volume", "inspect", "vol1", message="get vol1: no such volume")
        self.fails("volume", "rm", "vol1", message="get vol1: no such volume")
        self.docker_ok("volume", "rm", "-f", "vol1")

    def test_hostile_names_and_options_create_nothing(self):
        for name in ["a/b", "..", "../../etc", "x/../../y"]:
            rc, _, err = self.d.docker("volume", "create", name)
            self.assertNotEqual(rc, 0, name)
            self.assertIn('"%s" includes invalid characters for a local volume name' % name, err)
        self.fails("volume", "create", "-d", "nfsplugin", "vv", message='plugin "nfsplugin" not found')
        self.fails("volume", "create", "-o", "type=nfs", "-o", "device=:/x", "vv",
                   message='berth does not support local volumes of type "nfs"')
        self.assertEqual(self.volumes(), [])
        data_root = self.d.data_root
        self.assertEqual(sorted(os.listdir(os.path.join(data_root, "volumes"))),
                         ["metadata.db", "metadata.db-shm", "metadata.db-wal"])

    def test_named_volume_persists_across_containers_and_a_restart(self):
        self.docker_ok("run", "--rm", "-v", "keep:/data", "bb:1", "sh", "-c", "echo kept > /data/k")
        self.assertEqual(self.docker_ok("run", "--rm", "-v", "keep:/data", "bb:1", "cat", "/data/k"), "kept\n")
        self.assertEqual(self.d.stop(), 0)
        type(self).d = Daemon(self.tmp).start()
        self.assertEqual(self.volumes(), ["keep"])
        self.assertEqual(self.docker_ok("run", "--rm", "-v", "keep:/data", "bb:1", "cat", "/data/k"), "kept\n")

    def test_a_volume_subpath_is_mounted_and_a_symlink_never_followed(self):
        self.docker_ok("run", "--rm", "-v", "sub:/v", "bb:1", "sh", "-c",
                       "mkdir -p /v/dir/in && echo inside > /v/dir/in/f && echo top > /v/top && "
                       "ln -s / /v/escape && ln -s dir /v/alias && echo file > /v/one")
        out = self.docker_ok("run", "--rm", "--mount", "type=volume,src=sub,dst=/m,volume-subpath=dir", "bb:1",
                             "sh", "-c", "cat /m/in/f; ls /m")
        self.assertEqual(out, "inside\nin\n")
        # Writes land in the subpath; read-only holds.
        self.docker_ok("run", "--rm", "--mount", "type=volume,src=sub,dst=/m,volume-subpath=dir/in", "bb:1",
                       "sh", "-c", "echo new > /m/g")
        self.assertEqual(self.docker_ok("run", "--rm", "-v", "sub:/v", "bb:1", "cat", "/v/dir/in/g"), "new\n")
        rc, _, err = self.d.docker("run", "--rm", "--mount", "type=volume,src=sub,dst=/m,volume-subpath=dir,ro",
                                   "bb:1", "sh", "-c", "echo x > /m/x")
        self.assertNotEqual(rc, 0)
        self.assertIn("Read-only file system", err)
        # docker cp into a stopped container reaches the same directory.
        cid = self.docker_ok("create", "--mount", "type=volume,src=sub,dst=/m,volume-subpath=dir", "bb:1",
                             "true").strip()
        src = os.path.join(self.tmp, "copied")
        with open(src, "w") as f:
            f.write("via cp\n")
        self.docker_ok("cp", src, cid + ":/m/copied")
        self.assertEqual(self.docker_ok("run", "--rm", "-v", "sub:/v", "bb:1", "cat", "/v/dir/copied"), "via cp\n")
        self.docker_ok("rm", cid)
        # A file as the subpath.
        self.assertEqual(self.docker_ok("run", "--rm", "--mount", "type=volume,src=sub,dst=/etc/one,volume-subpath=one",
                                        "bb:1", "cat", "/etc/one"), "file\n")
        # The attack: a container made /v/escape a symlink to the host's /.
        # Mounting it must not hand the host's root to the next container.
        for sub in ("escape", "escape/etc", "alias", "alias/in"):
            rc, _, err = self.d.docker("run", "--rm", "--mount",
                                       "type=volume,src=sub,dst=/m,volume-subpath=%s" % sub, "bb:1", "ls", "/m")
            self.assertNotEqual(rc, 0, sub)
            self.assertIn("cannot access path", err, sub)
            self.assertIn("too many levels of symbolic links", err, sub)
        rc, _, err = self.d.docker("run", "--rm", "--mount", "type=volume,src=sub,dst=/m,volume-subpath=nothere",
                                   "bb:1", "true")
        self.assertNotEqual(rc, 0)
        self.assertIn("no such file or directory", err)
        for sub in ("../x", "/etc", "dir/../../x"):
            rc, _, err = self.d.docker("create", "--mount", "type=volume,src=sub,dst=/m,volume-subpath=%s" % sub, "bb:1")
            self.assertNotEqual(rc, 0, sub)
            self.assertIn("subpath must be a relative path within the volume", err, sub)
        # Nothing is left mounted once the containers are gone.
        with open("/proc/self/mountinfo") as f:
            self.assertNotIn("/subpaths/", f.read())

    def test_in_use_is_a_conflict(self):
        self.docker_ok("volume", "create", "busy")
        cid = self.docker_ok("create", "-v", "busy:/b", "bb:1", "true").strip()
        self.fails("volume", "rm", "busy", message="remove busy: volume is in use - [%s]" % cid)
        self.fails("volume", "rm", "-f", "busy", message="volume is in use")
        self.assertEqual(self.docker_ok("volume", "ls", "-q", "--filter", "dangling=false").split(), ["busy"])
        self.docker_ok("rm", cid)
        self.assertEqual(self.docker_ok("volume", "ls", "-q", "--filter", "dangling=true").split(), ["busy"])
        self.docker_ok("volume", "rm", "busy")

    def test_prune_takes_anonymous_volumes_unless_all(self):
        self.docker_ok("volume", "create", "named-unused")
        cid = self.docker_ok("create", "-v", "/anon", "bb:1", "true").strip()
        anon = self.mounts(cid)[0]["Name"]
        self.assertRegex(anon, "^[0-9a-f]{64}$")
        self.docker_ok("rm", cid)  # without -v: the anonymous volume stays
        self.assertEqual(sorted(self.volumes()), sorted([anon, "named-unused"]))
        out = self.docker_ok("volume", "prune", "-f")
        self.assertIn(anon, out)
        self.assertNotIn("named-unused", out)
        self.assertEqual(self.volumes(), ["named-unused"])
        out = self.docker_ok("volume", "prune", "-af")
        self.assertIn("named-unused", out)
        self.assertEqual(self.volumes(), [])
        # As Docker 28: `volume create` without a name makes an anonymous
        # volume (labelled so), which a default prune takes.
        unnamed = self.docker_ok("volume", "create").strip()
        self.assertEqual(self.docker_ok("volume", "inspect", "-f", "{{json .Labels}}", unnamed).strip(),
                         '{"com.docker.volume.anonymous":""}')
        self.assertIn(unnamed, self.docker_ok("volume", "prune", "-f"))
        self.assertEqual(self.volumes(), [])

    def test_image_volume_is_copied_up_and_rm_v_removes_it(self):
        self.docker_ok("run", "--name", "seeder", "bb:1", "sh", "-c", "mkdir /data && echo seed > /data/seed")
        self.docker_ok("commit", "--change", "VOLUME /data", "seeder", "withvol:1")
        self.docker_ok("run", "--name", "user", "withvol:1", "sh", "-c", "cat /data/seed; echo more > /data/more")
        self.assertEqual(self.logs("user")[0], "seed\n")
        mounts = self.mounts("user")
        self.assertEqual(len(mounts), 1, mounts)
        self.assertEqual((mounts[0]["Type"], mounts[0]["Destination"], mounts[0]["RW"]), ("volume", "/data", True))
        name = mounts[0]["Name"]
        with open(os.path.join(mounts[0]["Source"], "more")) as f:
            self.assertEqual(f.read(), "more\n")
        self.assertEqual(json.loads(self.inspect("user", "{{json .Config.Volumes}}")), {"/data": {}})
        labels = json.loads(self.docker_ok("volume", "inspect", "--format", "{{json .Labels}}", name))
        self.assertEqual(labels, {"com.docker.volume.anonymous": ""})
        self.docker_ok("rm", "-v", "user")
        self.assertNotIn(name, self.volumes())
        # A named volume at the VOLUME's path gets the image's content while
        # it is empty; what it holds then is never overwritten.
        self.assertEqual(self.docker_ok("run", "--rm", "-v", "seeded:/data", "withvol:1", "cat", "/data/seed"),
                         "seed\n")
        self.docker_ok("run", "--rm", "-v", "seeded:/data", "withvol:1", "sh", "-c", "echo changed > /data/seed")
        self.assertEqual(self.docker_ok("run", "--rm", "-v", "seeded:/data", "withvol:1", "cat", "/data/seed"),
                         "changed\n")
        # nocopy: nothing is copied in.
        self.assertEqual(self.docker_ok("run", "--rm", "-v", "bare:/data:nocopy", "withvol:1", "ls", "/data"), "")
        self.assertIn("seeded", self.volumes())  # --rm keeps named volumes

    def test_volumes_from_takes_binds_and_volumes_but_not_tmpfs(self):
        host = self.host_dir("vf-bind")
        self.docker_ok("create", "--name", "source", "-v", "shared:/shared", "-v", host + ":/hostdir",
                       "-v", "/anon", "--tmpfs", "/scratch", "--mount", "type=tmpfs,target=/tmpmount",
                       "bb:1", "true")
        source_mounts = {m["Destination"]: m for m in self.mounts("source")}
        cid = self.docker_ok("run", "-d", "--name", "copier", "--volumes-from", "source", "bb:1",
                             "sleep", "1000").strip()
        self.assertEqual(json.loads(self.inspect(cid, "{{json .HostConfig.VolumesFrom}}")), ["source"])
        mounts = {m["Destination"]: m for m in self.mounts(cid)}
        self.assertEqual(sorted(mounts), ["/anon", "/hostdir", "/shared"])  # no tmpfs
        for dest in ("/anon", "/shared"):
            m = mounts[dest]
            self.assertEqual((m["Type"], m["Name"], m["Source"], m["Driver"], m["Mode"], m["RW"]),
                             ("volume", source_mounts[dest]["Name"], source_mounts[dest]["Source"], "local", "",
                              True))
        self.assertEqual((mounts["/hostdir"]["Type"], mounts["/hostdir"]["Source"], mounts["/hostdir"]["RW"],
                          mounts["/hostdir"]["Propagation"]), ("bind", host, True, "rprivate"))
        # The same data: written here, seen on the host and by another user.
        self.docker_ok("exec", cid, "sh", "-c", "echo v > /shared/f; echo b > /hostdir/f")
        with open(os.path.join(host, "f")) as f:
            self.assertEqual(f.read(), "b\n")
        self.assertEqual(self.docker_ok("run", "--rm", "-v", "shared:/s", "bb:1", "cat", "/s/f"), "v\n")
        proc_mounts = self.docker_ok("exec", cid, "cat", "/proc/mounts")
        self.assertNotIn(" /scratch ", proc_mounts)
        self.assertNotIn(" /tmpmount ", proc_mounts)
        # Both use the volume: in use until both are gone.
        anon = mounts["/anon"]["Name"]
        self.fails("volume", "rm", "shared", message="volume is in use")
        self.docker_ok("rm", "-v", "source")  # the copier still uses the anonymous volume
        self.assertIn(anon, self.volumes())
        self.fails("volume", "rm", "shared", message="volume is in use - [%s]" % cid)
        self.docker_ok("rm", "-f", cid)
        self.docker_ok("volume", "rm", "shared")

    def test_volumes_from_read_only_and_errors(self):
        self.docker_ok("create", "--name", "data", "-v", "vfro:/data", "bb:1", "true")
        rc, out, err = self.d.docker("run", "--rm", "--volumes-from", "data:ro", "bb:1", "sh", "-c",
                                     "touch /data/x")
        self.assertNotEqual(rc, 0)
        self.assertIn("Read-only file system", err + out)
        self.assertEqual(self.mounts_of_run("--volumes-from", "data:ro")["/data"]["RW"], False)
        self.assertEqual(self.mounts_of_run("--volumes-from", "data:rw")["/data"]["RW"], True)
        # A -v at the same destination wins over the copied mount.
        over = self.mounts_of_run("--volumes-from", "data", "-v", "other:/data")
        self.assertEqual(over["/data"]["Name"], "other")
        for spec, message in (("nosuch", "No such container: nosuch"),
                              ("data:rshared", "invalid mode: rshared"),
                              ("data:nocopy", "invalid mode: nocopy"),
                              ("data:ro,rw", "invalid mode: ro,rw")):
            self.fails("create", "--volumes-from", spec, "bb:1", "true", message=message)
        self.assertEqual(self.docker_ok("ps", "-a", "-q", "--filter", "status=created").split(),
                         [self.inspect("data", "{{.Id}}")[:12]])

    def mounts_of_run(self, *flags):
        cid = self.docker_ok("create", *flags, "bb:1", "true").strip()
        try:
            return {m["Destination"]: m for m in self.mounts(cid)}
        finally:
            self.docker_ok("rm", cid)

    def test_local_driver_tmpfs_and_bind_volumes(self):
        self.docker_ok("volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=1m", "tv")
        out = self.docker_ok("run", "--rm", "-v", "tv:/t", "bb:1", "sh", "-c",
                             "echo shared > /t/f; grep ' /t ' /proc/mounts")
        self.assertTrue(out.startswith("tmpfs /t tmpfs "), out)
        self.assertIn("size=1024k", out)
        # The tmpfs stays with the volume until it is removed.
        self.assertEqual(self.docker_ok("run", "--rm", "-v", "tv:/t", "bb:1", "cat", "/t/f"), "shared\n")
        mountpoint = self.docker_ok("volume", "inspect", "--format", "{{.Mountpoint}}", "tv").strip()
        self.docker_ok("volume", "rm", "tv")
        self.assertFalse(os.path.exists(mountpoint))
        src = self.host_dir("local-bind")
        self.docker_ok("volume", "create", "-o", "type=none", "-o", "o=bind", "-o", "device=" + src, "bv")
        self.docker_ok("run", "--rm", "-v", "bv:/b", "bb:1", "sh", "-c", "echo via-volume > /b/f")
        with open(os.path.join(src, "f")) as f:
            self.assertEqual(f.read(), "via-volume\n")
        self.docker_ok("volume", "rm", "bv")
        self.assertTrue(os.path.isfile(os.path.join(src, "f")))  # the device is the user's: kept
        self.fails("volume", "create", "-o", "type=tmpfs", "-o", "o=huge=always", "tv2",
                   message='berth does not support the tmpfs option "huge=always"')

    def test_events_and_system_df(self):
        since = timestamp_now()
        self.docker_ok("volume", "create", "ev")
        cid = self.docker_ok("run", "-d", "-v", "ev:/e", "bb:1", "sh", "-c", "head -c 3000 /dev/zero > /e/z").strip()
        self.docker_ok("wait", cid)
        df = json.loads(self.d.request("GET", "/system/df?type=volume")[2])
        ev = [v for v in df["Volumes"] if v["Name"] == "ev"][0]
        self.assertEqual(ev["UsageData"], {"Size": 3000, "RefCount": 1})
        self.docker_ok("rm", cid)
        self.docker_ok("volume", "rm", "ev")
        out = self.docker_ok("events", "--since", since, "--until", timestamp_now(), "--filter", "type=volume",
                             "--format", "{{.Action}} {{.Actor.ID}}")
        self.assertEqual(out.splitlines(), ["create ev", "mount ev", "unmount ev", "destroy ev"])


@unittest.skipIf(docker is None, "the docker SDK is not installed")
class VolumeSdkTest(VolumeTestCase):
    def test_models_and_low_level_api(self):
        client = docker.DockerClient(base_url=self.d.host)
        api = client.api
        try:
            v = client.volumes.create(name="sdkvol", driver="local", labels={"k": "v"})
            self.assertEqual((v.name, v.attrs["Labels"]), ("sdkvol", {"k": "v"}))
            self.assertEqual([x.name for x in client.volumes.list(filters={"label": "k=v"})], ["sdkvol"])
            self.assertEqual(api.inspect_volume("sdkvol")["Driver"], "local")
            self.assertEqual([x["Name"] for x in api.volumes()["Volumes"]], ["sdkvol"])
            out = client.containers.run("bb:1", ["sh", "-c", "echo sdk > /x/f; cat /x/f"],
                                        volumes={"sdkvol": {"bind": "/x", "mode": "rw"}}, remove=True)
            self.assertEqual(out, b"sdk\n")
            with self.assertRaises(docker.errors.NotFound):
                client.volumes.get("nosuchvolume")
            with self.assertRaises(docker.errors.APIError) as bad:
                client.volumes.create(name="bad/name")
            self.assertEqual(bad.exception.status_code, 400)
            src = self.host_dir("sdk-bind")
            cid = api.create_container("bb:1", ["sh", "-c", "echo x > /mnt/y"], volumes=["/mnt"],
                                       host_config=api.create_host_config(binds={src: {"bind": "/mnt",
                                                                                       "mode": "ro"}}))["Id"]
            api.start(cid)
            self.assertEqual(api.wait(cid)["StatusCode"], 1)
            self.assertEqual(api.inspect_container(cid)["Mounts"][0]["RW"], False)
            self.assertFalse(os.path.exists(os.path.join(src, "y")))
            api.remove_container(cid, v=True)
            v.remove()
            anon = api.create_volume()["Name"]
            self.assertRegex(anon, "^[0-9a-f]{64}$")
            pruned = api.prune_volumes(filters={"all": "true"})
            self.assertEqual(pruned["VolumesDeleted"], [anon])
            self.assertEqual(client.volumes.list(), [])
        finally:
            client.close()


if __name__ == "__main__":
    unittest.main()
