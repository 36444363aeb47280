"""The real docker CLI (28.2.2) against berthd: every image command, the
exact output and exit codes."""

import json
import os
import re
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from berth_e2e import DOCKER, DaemonTestCase, await_condition, fixture, timestamp_now  # noqa: E402

ARM64_JSON = '{"architecture":"arm64","os":"linux"}'


class SystemTest(DaemonTestCase):
    def test_version(self):
        out = self.docker_ok("version")
        self.assertIn("Server: berth 0.1.0\n", out)
        self.assertIn(" Engine:\n  Version:          28.2.2\n", out)
        self.assertIn("  API version:      1.50 (minimum version 1.24)\n", out)
        self.assertIn("  OS/Arch:          linux/amd64\n", out)
        self.assertEqual(self.docker_ok("version", "--format", "{{.Server.APIVersion}}"), "1.50\n")

    def test_info(self):
        out = self.docker_ok("info")
        self.assertIn(" Storage Driver: overlayfs\n", out)
        self.assertIn(" Docker Root Dir: %s\n" % self.d.data_root, out)
        self.assertIn(" Swarm: inactive\n", out)
        self.assertRegex(out, r"\n Images: \d+\n")
        with open(os.path.join(self.d.data_root, "engine-id")) as f:
            engine_id = f.read().strip()
        self.assertEqual(self.docker_ok("info", "--format", "{{.ID}}"), engine_id + "\n")

    def test_swarm_commands_answer_as_a_node_in_no_swarm(self):
        not_manager = ('Error response from daemon: This node is not a swarm manager. Use "docker swarm init" or '
                       '"docker swarm join" to connect this node to swarm and try again.\n')
        self.docker_fails("node", "ls", err=not_manager)
        self.docker_fails("service", "ls", err=not_manager)
        self.docker_fails("swarm", "leave", "--force", err="Error response from daemon: This node is not part of a swarm\n")
        _, err = self.docker_fails("swarm", "init")
        self.assertIn("does not support swarm mode", err)

    def test_ps_and_system_df(self):
        self.assertEqual(self.docker_ok("ps"), "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n")
        out = self.docker_ok("system", "df")
        self.assertTrue(out.startswith("TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE\nImages   "), out)
        self.assertIn("\nContainers      0         0         0B        0B\n", out)

    def test_unknown_endpoint_and_pull(self):
        status, _, body = self.d.request("GET", "/v1.50/nothing/here")
        self.assertEqual(status, 404)
        self.assertEqual(json.loads(body), {"message": "page not found"})
        # Pull is served (tests/e2e/registry_test.py); nothing listens here.
        _, err = self.docker_fails("pull", "127.0.0.1:5055/test:1")
        self.assertTrue(err.startswith("Error response from daemon: "), err)
        self.assertNotIn("page not found", err)

    def test_version_limits(self):
        status, headers, body = self.d.request("GET", "/v1.51/version")
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(body)["message"],
                         "client version 1.51 is too new. Maximum supported API version is 1.50")
        self.assertEqual(headers["Api-Version"], "1.50")
        status, _, body = self.d.request("GET", "/v1.12/_ping")
        self.assertEqual(status, 400)
        self.assertIn("is too old. Minimum supported API version is 1.24", json.loads(body)["message"])
        status, headers, body = self.d.request("HEAD", "/_ping")
        self.assertEqual((status, body, headers["Content-Length"]), (200, b"", "0"))
        self.assertEqual(headers["Swarm"], "inactive")

    def test_head_error_has_no_body(self):
        # docker cp stats its source with HEAD first; the error's body sent
        # after a HEAD would reach the CLI as "Unsolicited response received
        # on idle HTTP channel" instead of the error.
        status, headers, body = self.d.request("HEAD", "/containers/nosuch/archive?path=/x")
        self.assertEqual((status, body), (404, b""))
        self.assertGreater(int(headers["Content-Length"]), 0)
        rc, out, err = self.d.docker("cp", "nosuch:/x", os.path.join(self.tmp, "copied"))
        self.assertNotEqual(rc, 0)
        # The CLI shows the HEAD reply's error, not an HTTP-level complaint.
        self.assertEqual(err, "Error response from daemon: No such container: nosuch\n")


class ImageTest(DaemonTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        t = cls.tmp
        cls.a = fixture(os.path.join(t, "a.tar"), "-n", "feastest:1", "-f", "hello=world", "-l", "team=a")
        cls.b = fixture(os.path.join(t, "b.tar"), "-n", "other:2", "-f", "b=2", "-l", "team=b")
        cls.multi = fixture(os.path.join(t, "multi.tar"), "-n", "multi:1", "-p", "linux/amd64", "-p", "linux/arm64",
                            "-f", "m=1")
        cls.unnamed = fixture(os.path.join(t, "unnamed.tar"), "-f", "u=1")
        cls.dock = fixture(os.path.join(t, "dock.tar"), "--docker-archive", "-n", "dock:1", "-f", "d=1")
        cls.gz = fixture(os.path.join(t, "gz.tar.gz"), "--gzip", "-n", "gz:1", "-f", "g=1")
        cls.zst = fixture(os.path.join(t, "z.tar.zst"), "--zstd", "-n", "zst:1", "-f", "z=1")

    def setUp(self):
        self.rmi_all()

    def load(self, name):
        return self.docker_ok("load", "-i", self.path(name))

    def test_load_forms(self):
        self.assertEqual(self.load("a.tar"), "Loaded image: feastest:1\n")
        self.assertEqual(self.load("dock.tar"), "Loaded image: dock:1\n")
        self.assertEqual(self.load("gz.tar.gz"), "Loaded image: gz:1\n")
        self.assertEqual(self.load("z.tar.zst"), "Loaded image: zst:1\n")
        self.assertEqual(self.load("unnamed.tar"), "Loaded image ID: %s\n" % self.unnamed["target"])
        with open(self.path("b.tar"), "rb") as f:
            rc, out, err = self.d.docker("load", input=f.read())
        self.assertEqual((rc, out, err), (0, "Loaded image: other:2\n", ""))
        ids = self.image_ids()
        self.assertIn(self.a["target"], ids)
        self.assertIn(self.unnamed["target"], ids)
        self.assertEqual(self.docker_ok("image", "inspect", "--format", "{{.Id}}", "feastest:1"),
                         self.a["target"] + "\n")

    def test_load_errors(self):
        with open(self.path("a.tar"), "rb") as f:
            data = f.read()
        # As with dockerd 28.2, the error comes in the 200 JSON stream: the
        # CLI prints its message (no "Error response from daemon") and fails.
        status, _, body = self.d.request("POST", "/v1.50/images/load", body=data[:3000])
        self.assertEqual(status, 200)
        line = json.loads(body)
        self.assertEqual(line["errorDetail"]["message"], line["error"])
        rc, out, err = self.d.docker("load", input=data[:3000])
        self.assertEqual(rc, 1)
        self.assertEqual(err, line["error"] + "\n")
        rc, out, err = self.d.docker("load", input=b"this is not a tar archive\n" * 100)
        self.assertEqual(rc, 1)
        self.assertNotIn("Error response from daemon", err)
        self.assertGreater(len(err), 1)
        self.assertEqual(self.image_ids(), [])
        status, _, body = self.d.request(
            "POST", "/v1.50/images/load?platform=%7B%7D&platform=x", body=data)
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(body)["message"], "multiple platform parameters not supported")

    def test_multi_platform_load_inspect(self):
        self.assertEqual(self.load("multi.tar"), "Loaded image: multi:1\n")
        self.assertEqual(self.docker_ok("image", "inspect", "--format", "{{.Id}} {{.Architecture}}", "multi:1"),
                         "%s amd64\n" % self.multi["target"])
        self.assertEqual(
            self.docker_ok("image", "inspect", "--platform", "linux/arm64", "--format", "{{.Id}} {{.Architecture}}",
                           "multi:1"),
            "%s arm64\n" % self.multi["manifests"]["linux/arm64"])
        self.rmi_all()
        self.assertEqual(self.docker_ok("load", "--platform", "linux/arm64", "-i", self.path("multi.tar")),
                         "Loaded image: multi:1\n")
        out, err = self.docker_fails("image", "inspect", "--platform", "linux/amd64", "multi:1")
        self.assertEqual(out, "[]\n")
        self.assertIn("does not provide the specified platform", err)

    def test_images_listing(self):
        self.load("a.tar")
        self.load("b.tar")
        self.load("unnamed.tar")
        out = self.docker_ok("images")
        lines = out.splitlines()
        self.assertEqual(lines[0].split(), ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"])
        rows = sorted(tuple(l.split()[:3]) for l in lines[1:])
        self.assertEqual(rows, sorted([("<none>", "<none>", self.unnamed["target"][7:19]),
                                       ("feastest", "1", self.a["target"][7:19]),
                                       ("other", "2", self.b["target"][7:19])]))
        self.assertEqual(sorted(self.docker_ok("images", "-q").split()),
                         sorted(x["target"][7:19] for x in (self.a, self.b, self.unnamed)))
        self.assertEqual(self.docker_ok("images", "-q", "--filter", "reference=feas*"), self.a["target"][7:19] + "\n")
        self.assertEqual(self.docker_ok("images", "-q", "--filter", "dangling=true"),
                         self.unnamed["target"][7:19] + "\n")
        self.assertEqual(sorted(self.docker_ok("images", "-q", "--filter", "dangling=false").split()),
                         sorted([self.a["target"][7:19], self.b["target"][7:19]]))
        self.assertEqual(self.docker_ok("images", "-q", "--filter", "label=team=b"), self.b["target"][7:19] + "\n")
        out = self.docker_ok("images", "--digests", "feastest")
        self.assertIn("feastest     1         %s   %s" % (self.a["target"], self.a["target"][7:19]), out)
        rows = [json.loads(l) for l in self.docker_ok("images", "--format", "json", "feastest").splitlines()]
        self.assertEqual(len(rows), 1)
        self.assertEqual((rows[0]["Repository"], rows[0]["Tag"], rows[0]["ID"], rows[0]["Containers"]),
                         ("feastest", "1", self.a["target"][7:19], "N/A"))
        self.docker_fails("images", "--filter", "bogus=1", err="Error response from daemon: invalid filter 'bogus'\n")
        self.docker_fails("images", "--filter", "dangling=maybe",
                          err="Error response from daemon: invalid filter 'dangling=[maybe]'\n")

    def test_inspect(self):
        self.load("a.tar")
        info = json.loads(self.docker_ok("image", "inspect", "feastest:1"))[0]
        self.assertEqual(info["Id"], self.a["target"])
        self.assertEqual(info["RepoTags"], ["feastest:1"])
        self.assertEqual(info["RepoDigests"], ["feastest@" + self.a["target"]])
        self.assertEqual(info["Config"]["Labels"], {"team": "a"})
        self.assertEqual(info["GraphDriver"], {"Data": None, "Name": "overlayfs"})
        self.assertEqual(info["RootFS"]["Type"], "layers")
        self.assertEqual(len(info["RootFS"]["Layers"]), 1)
        self.assertEqual(info["Descriptor"]["digest"], self.a["target"])
        self.assertEqual((info["Os"], info["Architecture"]), ("linux", "amd64"))
        # By ID, short ID and digest name.
        for ref in (self.a["target"], self.a["target"][7:19], "feastest@" + self.a["target"]):
            self.assertEqual(self.docker_ok("image", "inspect", "-f", "{{.Id}}", ref), self.a["target"] + "\n")
        out, err = self.docker_fails("image", "inspect", "nothere")
        self.assertEqual(out, "[]\n")
        self.assertEqual(err, "Error response from daemon: No such image: nothere:latest\n")
        status, _, body = self.d.request(
            "GET", "/v1.50/images/feastest:1/json?manifests=1&platform=" + ARM64_JSON.replace('"', "%22"))
        self.assertEqual((status, json.loads(body)["message"]),
                         (400, "conflicting options: manifests and platform options cannot both be set"))
        status, _, body = self.d.request("GET", "/v1.50/images/feastest:1/json?platform=%7Bbad")
        self.assertEqual(status, 400)
        self.assertTrue(json.loads(body)["message"].startswith("failed to parse platform: "))

    def test_tag(self):
        self.load("a.tar")
        self.docker_ok("tag", "feastest:1", "feastest:2")
        self.docker_ok("tag", self.a["target"][7:19], "127.0.0.1:5055/b:2")
        self.assertEqual(self.docker_ok("image", "inspect", "-f", "{{json .RepoTags}}", "feastest:1"),
                         '["127.0.0.1:5055/b:2","feastest:1","feastest:2"]\n')
        self.docker_fails("tag", "nothere", "x:1", err="Error response from daemon: No such image: nothere:latest\n")
        self.docker_fails("tag", "feastest:1", "sha256:latest",
                          err="Error response from daemon: refusing to create an ambiguous tag using digest "
                              "algorithm as name\n")
        status, _, body = self.d.request("POST", "/v1.50/images/feastest:1/tag?repo=x%40" + self.a["target"])
        self.assertEqual((status, json.loads(body)["message"]), (400, "cannot import digest reference"))

    def test_rmi_forms(self):
        self.load("a.tar")
        self.docker_ok("tag", "feastest:1", "feastest:2")
        self.docker_ok("tag", "feastest:1", "other:9")
        # A tag of an image with other names: untag only.
        self.assertEqual(self.docker_ok("rmi", "feastest:2"), "Untagged: feastest:2\n")
        # By ID with names in two repositories: conflict unless forced.
        short = self.a["target"][7:19]
        self.docker_fails(
            "rmi", short,
            err="Error response from daemon: conflict: unable to delete %s (must be forced) - image is referenced in "
                "multiple repositories\n" % short)
        self.assertEqual(self.docker_ok("rmi", "-f", short),
                         "Untagged: feastest:1\nUntagged: other:9\nDeleted: %s\n" % self.a["target"])
        self.assertEqual(self.image_ids(), [])

    def test_rmi_by_digest_name_and_id(self):
        self.load("a.tar")
        out = self.docker_ok("rmi", "feastest@" + self.a["target"])
        self.assertIn("Untagged: feastest:1\n", out)
        self.assertTrue(out.endswith("Deleted: %s\n" % self.a["target"]), out)
        self.load("b.tar")
        self.assertEqual(self.docker_ok("rmi", "--no-prune", self.b["target"]),
                         "Untagged: other:2\nDeleted: %s\n" % self.b["target"])
        self.assertEqual(self.image_ids(), [])

    def test_rmi_errors(self):
        self.docker_fails("rmi", "nothere", err="Error response from daemon: No such image: nothere:latest\n")
        rc, out, err = self.d.docker("rmi", "-f", "nothere")
        self.assertEqual((rc, out, err), (0, "", "Error response from daemon: No such image: nothere:latest\n"))
        self.docker_fails("rmi", " ", err="Error response from daemon: image name cannot be blank\n")
        self.docker_fails("rmi", "UPPER", err="Error response from daemon: invalid reference format: repository "
                                              "name (library/UPPER) must be lowercase\n")
        status, _, body = self.d.request("DELETE", "/v1.50/images/x?force=1&platforms=%7Bbad")
        self.assertEqual(status, 400)
        self.assertTrue(json.loads(body)["message"].startswith("failed to parse platform: "))
        status, _, body = self.d.request("DELETE", "/v1.50/images/x?force=1&platforms=%7B%22os%22%3A%22linux%22%7D")
        self.assertEqual((status, json.loads(body)["message"]), (400, "both OS and Architecture must be provided"))

    def test_rmi_platforms(self):
        self.load("multi.tar")
        # berth needs no -f for a platform: it only drops it from this image.
        arm = self.multi["manifests"]["linux/arm64"]
        self.assertEqual(self.docker_ok("rmi", "--platform", "linux/arm64", "multi:1"), "Deleted: %s\n" % arm)
        # As in Docker, manifests=1 still lists the removed platform, unavailable.
        amd = self.multi["manifests"]["linux/amd64"]
        status, _, body = self.d.request("GET", "/v1.50/images/multi:1/json?manifests=1")
        self.assertEqual(status, 200, body)
        listed = [json.loads(body)["Manifests"]]
        status, _, body = self.d.request("GET", "/v1.50/images/json?manifests=1")
        self.assertEqual(status, 200, body)
        listed += [i["Manifests"] for i in json.loads(body) if i["Id"] == self.multi["target"]]
        self.assertEqual(len(listed), 2)
        for ms in listed:
            images = {m["ID"]: m for m in ms if m["Kind"] == "image"}
            self.assertEqual(sorted(images), sorted([amd, arm]))
            self.assertTrue(images[amd]["Available"])
            self.assertFalse(images[arm]["Available"])
            self.assertEqual(images[arm]["ImageData"]["Platform"]["architecture"], "arm64")
            self.assertEqual(images[arm]["Size"], {"Content": 0, "Total": 0})
        self.docker_fails("rmi", "--platform", "linux/s390x", "multi:1",
                          err="Error response from daemon: failed to delete platform linux/s390x for image %s: image "
                              "with reference multi:1 was found but does not provide any platform\n"
                              % self.multi["target"])
        self.assertEqual(self.docker_ok("image", "inspect", "-f", "{{.Id}}", "multi:1"), self.multi["target"] + "\n")
        # Absent platform with -f: exit 0 (Docker answers 404, which -f
        # ignores), and the image stays.
        rc, out, err = self.d.docker("rmi", "-f", "--platform", "linux/s390x", "multi:1")
        self.assertEqual((rc, out), (0, ""))
        self.assertEqual(self.docker_ok("image", "inspect", "-f", "{{.Id}}", "multi:1"), self.multi["target"] + "\n")
        # --platform repeated: one Deleted per platform manifest, in order.
        self.rmi_all()
        self.load("multi.tar")
        amd = self.multi["manifests"]["linux/amd64"]
        out = self.docker_ok("rmi", "-f", "--platform", "linux/arm64", "--platform", "linux/amd64", "multi:1")
        self.assertTrue(out.startswith("Deleted: %s\nDeleted: %s\n" % (arm, amd)), out)

    def test_prune(self):
        self.load("a.tar")
        self.load("unnamed.tar")
        out = self.docker_ok("image", "prune", "-f")
        self.assertTrue(out.startswith("Deleted Images:\nuntagged: %s\n" % self.unnamed["target"]), out)
        self.assertIn("Total reclaimed space: ", out)
        self.assertEqual(self.image_ids(), [self.a["target"]])
        self.assertEqual(self.docker_ok("image", "prune", "-f"), "Total reclaimed space: 0B\n")
        self.assertEqual(self.docker_ok("image", "prune", "-a", "-f", "--filter", "until=24h"),
                         "Total reclaimed space: 0B\n")
        self.assertEqual(self.docker_ok("image", "prune", "-a", "-f", "--filter", "label=team=b"),
                         "Total reclaimed space: 0B\n")
        out = self.docker_ok("image", "prune", "-a", "-f", "--filter", "label=team=a")
        self.assertIn("untagged: feastest:1\n", out)
        self.assertEqual(self.image_ids(), [])
        self.docker_fails("image", "prune", "-f", "--filter", "bogus=1",
                          err="Error response from daemon: invalid filter 'bogus'\n")
        self.docker_fails("image", "prune", "-f", "--filter", "until=junk",
                          err='Error response from daemon: failed to parse value as time or duration: "junk"\n')

    def test_save_load_round_trip(self):
        self.load("a.tar")
        self.load("multi.tar")
        self.docker_ok("save", "-o", self.path("saved.tar"), "feastest:1", "multi:1")
        rc, data, err = self.d.docker_bytes("save", "feastest:1")
        self.assertEqual(rc, 0, err)
        self.assertGreater(len(data), 1024)
        members = subprocess.run(["tar", "tf", self.path("saved.tar")], capture_output=True, check=True).stdout
        self.assertIn(b"index.json", members)
        self.assertIn(b"manifest.json", members)
        self.rmi_all()
        self.assertEqual(self.load("saved.tar"), "Loaded image: feastest:1\nLoaded image: multi:1\n")
        self.assertEqual(sorted(self.image_ids()), sorted([self.a["target"], self.multi["target"]]))
        self.rmi_all()
        rc, out, err = self.d.docker("load", input=data)
        self.assertEqual((rc, out), (0, "Loaded image: feastest:1\n"), err)
        rc, _, err = self.d.docker_bytes("save", "nothere")
        self.assertEqual((rc, err), (1, "Error response from daemon: No such image: nothere:latest\n"))
        rc, data, err = self.d.docker_bytes("save", "--platform", "linux/arm64", "feastest:1")
        self.assertEqual(rc, 1)
        self.assertIn("Error response from daemon: ", err)

    def test_history(self):
        self.load("a.tar")
        out = self.docker_ok("history", "feastest:1")
        lines = out.splitlines()
        self.assertEqual(lines[0].split(), ["IMAGE", "CREATED", "CREATED", "BY", "SIZE", "COMMENT"])
        self.assertTrue(lines[1].startswith(self.a["target"][7:19] + "   "), out)
        rows = [json.loads(l) for l in self.docker_ok("history", "--format", "json", "--no-trunc",
                                                      "feastest:1").splitlines()]
        self.assertEqual(rows[0]["ID"], self.a["target"])
        self.assertEqual(rows[0]["CreatedBy"], "berth-fixture layer 0")
        status, _, body = self.d.request("GET", "/v1.50/images/feastest:1/history")
        self.assertEqual(json.loads(body)[0]["Tags"], ["feastest:1"])
        self.docker_fails("history", "nothere", err="Error response from daemon: No such image: nothere:latest\n")

    def test_events(self):
        # --since: what happens before the stream is up is replayed, so no
        # wait for the subscription is needed.
        proc = subprocess.Popen([DOCKER, "events", "--since", timestamp_now(), "--format",
                                 "{{.Type}} {{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}}"],
                                env=self.d.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        lines = []

        def read_lines():
            for line in proc.stdout:
                lines.append(line.decode().rstrip("\n"))
        reader = threading.Thread(target=read_lines)
        reader.start()
        started = time.time()
        self.load("a.tar")
        self.docker_ok("tag", "feastest:1", "evt:1")
        self.docker_ok("rmi", "evt:1")
        self.d.docker_bytes("save", "feastest:1")
        self.docker_ok("rmi", "feastest:1")
        a = self.a["target"]
        want = ["image load %s %s" % (a, a), "image tag %s evt:1" % a, "image untag %s evt:1" % a,
                "image save %s %s" % (a, a), "image untag %s feastest:1" % a, "image delete %s %s" % (a, a)]
        await_condition(lambda: len(lines) >= len(want), timeout=10)
        proc.terminate()
        proc.communicate(timeout=10)
        reader.join(timeout=10)
        self.assertEqual(lines, want)
        # Replay with --since/--until and filters.
        until = str(int(time.time()) + 1)
        time.sleep(1.1)
        out = self.docker_ok("events", "--since", str(int(started) - 1), "--until", until, "--filter", "event=untag",
                             "--format", "{{.Action}} {{.Actor.Attributes.name}}")
        self.assertEqual(out, "untag evt:1\nuntag feastest:1\n")
        out = self.docker_ok("events", "--since", "0", "--until", until, "--filter", "image=evt:1",
                             "--format", "{{.Action}}")
        self.assertEqual(out, "tag\nuntag\n")
        self.assertEqual(self.docker_ok("events", "--since", "0", "--until", "1"), "")


if __name__ == "__main__":
    unittest.main(verbosity=2)
