"""The Python docker SDK (7.1.0) against berthd."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from berth_e2e import DaemonTestCase, await_condition, fixture  # noqa: E402

try:
    import docker
except ImportError:  # pragma: no cover
    docker = None


@unittest.skipIf(docker is None, "the docker Python SDK is not installed")
class PythonSdkTest(DaemonTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.a = fixture(os.path.join(cls.tmp, "a.tar"), "-n", "feastest:1", "-f", "hello=world")
        cls.multi = fixture(os.path.join(cls.tmp, "multi.tar"), "-n", "multi:1", "-p", "linux/amd64",
                            "-p", "linux/arm64", "-f", "m=1")
        cls.client = docker.DockerClient(base_url=cls.d.host)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        super().tearDownClass()

    def setUp(self):
        for img in self.client.images.list(all=True):
            self.client.images.remove(img.id, force=True)

    def load(self, name):
        with open(self.path(name), "rb") as f:
            return self.client.images.load(f.read())

    def test_swarm_requests_answer_as_a_node_in_no_swarm(self):
        # The SDK's own teardown helper leaves with force, which takes this
        # 503 as done; without force it is the error.
        self.assertTrue(self.client.swarm.leave(force=True))
        with self.assertRaises(docker.errors.APIError) as cm:
            self.client.swarm.leave()
        self.assertEqual(cm.exception.response.status_code, 503)
        self.assertEqual(cm.exception.explanation, "This node is not part of a swarm")
        with self.assertRaises(docker.errors.APIError) as cm:
            self.client.nodes.list()
        self.assertEqual(cm.exception.response.status_code, 503)
        self.assertIn("This node is not a swarm manager", cm.exception.explanation)
        with self.assertRaises(docker.errors.APIError) as cm:
            self.client.swarm.init(advertise_addr="127.0.0.1")
        self.assertEqual(cm.exception.response.status_code, 501)
        self.assertIn("does not support swarm mode", cm.exception.explanation)

    def test_version_and_ping(self):
        self.assertEqual(self.client.api.api_version, "1.50")
        self.assertTrue(self.client.ping())
        v = self.client.api.version()
        self.assertEqual((v["ApiVersion"], v["MinAPIVersion"], v["Version"]), ("1.50", "1.24", "28.2.2"))
        self.assertEqual(v["Components"][0]["Name"], "Engine")

    def test_load_list_get(self):
        loaded = self.load("a.tar")
        self.assertEqual([i.tags for i in loaded], [["feastest:1"]])
        self.assertEqual(loaded[0].id, self.a["target"])
        images = self.client.images.list()
        self.assertEqual([(i.id, i.tags) for i in images], [(self.a["target"], ["feastest:1"])])
        img = self.client.images.get("feastest:1")
        self.assertEqual(img.attrs["Os"], "linux")
        self.assertEqual(img.attrs["RootFS"]["Type"], "layers")
        with self.assertRaises(docker.errors.ImageNotFound):
            self.client.images.get("nothere")
        # A file object streams the body.
        with open(self.path("multi.tar"), "rb") as f:
            self.assertEqual([i.tags for i in self.client.images.load(f)], [["multi:1"]])
        self.assertEqual(self.client.info()["Images"], 2)

    def test_tag_and_remove(self):
        self.load("a.tar")
        self.assertTrue(self.client.api.tag("feastest:1", "pyrepo", "t"))
        self.assertEqual(sorted(self.client.images.get("feastest:1").tags), ["feastest:1", "pyrepo:t"])
        self.assertTrue(self.client.images.get("feastest:1").tag("pyrepo2"))
        self.assertEqual(self.client.api.remove_image("pyrepo:t"), [{"Untagged": "pyrepo:t"}])
        self.client.images.remove(self.a["target"], force=True)
        self.assertEqual(self.client.images.list(), [])
        with self.assertRaises(docker.errors.ImageNotFound):
            self.client.images.remove("nothere")
        with self.assertRaises(docker.errors.APIError) as ctx:
            self.client.images.remove(" ")
        self.assertEqual(ctx.exception.status_code, 400)

    def test_prune(self):
        self.load("a.tar")
        self.assertEqual(self.client.images.prune(), {"ImagesDeleted": None, "SpaceReclaimed": 0})
        report = self.client.images.prune(filters={"dangling": False})
        self.assertIn({"Untagged": "feastest:1"}, report["ImagesDeleted"])
        self.assertIn({"Deleted": self.a["target"]}, report["ImagesDeleted"])
        self.assertGreater(report["SpaceReclaimed"], 0)
        self.assertEqual(self.client.images.list(), [])
        with self.assertRaises(docker.errors.APIError) as ctx:
            self.client.images.prune(filters={"bogus": 1})
        self.assertEqual(ctx.exception.status_code, 400)

    def test_save_and_events(self):
        time.sleep(1.1)  # keep earlier tests' events out of the replay
        started = int(time.time())
        self.load("a.tar")
        data = b"".join(self.client.images.get("feastest:1").save(named=True))
        self.assertGreater(len(data), 1024)
        self.client.images.remove("feastest:1")
        self.assertEqual([i.tags for i in self.client.images.load(data)], [["feastest:1"]])
        until = int(time.time()) + 1
        time.sleep(1.1)
        actions = [e["Action"] for e in self.client.events(since=started, until=until, decode=True,
                                                            filters={"image": self.a["target"]})]
        self.assertEqual(actions, ["load", "save", "untag", "delete", "load"])

    def test_df(self):
        self.load("multi.tar")
        df = self.client.df()
        self.assertEqual([i["RepoTags"] for i in df["Images"]], [["multi:1"]])
        self.assertEqual(df["Images"][0]["Containers"], 0)
        self.assertGreater(df["LayersSize"], 0)
        self.assertEqual((df["Containers"], df["Volumes"], df["BuildCache"]), ([], [], []))

    def load_busybox(self):
        path = self.path("sdkbb.tar")
        if not os.path.exists(path):
            fixture(path, "-n", "sdkbb:1", "--busybox")
        return self.load("sdkbb.tar")[0]

    @unittest.skipUnless(os.geteuid() == 0, "containers need root")
    def test_containers_run_remove(self):
        self.load_busybox()
        self.assertEqual(self.client.containers.run("sdkbb:1", "echo hi", remove=True), b"hi\n")
        with self.assertRaises(docker.errors.ContainerError) as ctx:
            self.client.containers.run("sdkbb:1", ["sh", "-c", "echo bad >&2; exit 3"], remove=True)
        self.assertEqual(ctx.exception.exit_status, 3)
        self.assertEqual(self.client.containers.list(all=True), [])
        with self.assertRaises(docker.errors.NotFound):
            self.client.containers.get("nothere")

    @unittest.skipUnless(os.geteuid() == 0, "containers need root")
    def test_streamed_logs_come_one_line_a_chunk(self):
        # As dockerd: docker logs sends a frame per log line, and the SDK's
        # run(stream=True) yields them one by one.
        self.load_busybox()
        out = self.client.containers.run("sdkbb:1", ["sh", "-c", "echo hello; echo world"], stream=True, remove=True)
        self.assertEqual(list(out), [b"hello\n", b"world\n"])

    @unittest.skipUnless(os.geteuid() == 0, "containers need root")
    def test_attach_without_stream_after_the_exit_has_the_output(self):
        # The SDK reads the 101 header through a buffered reader and then the
        # raw socket: output sent along with the header was lost (docker-py's
        # own test_attach_no_stream failed most runs). Repeated, as it was a race.
        self.load_busybox()
        api = self.client.api
        for i in range(15):
            ct = api.create_container("sdkbb:1", "echo hello%d" % i)
            try:
                api.start(ct)
                api.wait(ct, condition="not-running")
                self.assertEqual(api.attach(ct, stream=False, logs=True), b"hello%d\n" % i)
            finally:
                api.remove_container(ct, force=True)

    def test_containers_detach_logs_stop(self):
        self.load_busybox()
        c = self.client.containers.run("sdkbb:1", ["sh", "-c", "echo ready; sleep 1000"], detach=True,
                                       name="sdk-detached")
        try:
            self.assertEqual(c.name, "sdk-detached")
            await_condition(lambda: c.logs() == b"ready\n", timeout=20)
            self.assertEqual(c.logs(), b"ready\n")
            c.reload()
            self.assertEqual(c.status, "running")
            self.assertEqual([x.id for x in self.client.containers.list()], [c.id])
            c.stop(timeout=1)
            self.assertEqual(c.wait(), {"StatusCode": 137, "Error": None})
            c.reload()
            self.assertEqual((c.status, c.attrs["State"]["ExitCode"]), ("exited", 137))
        finally:
            c.remove(force=True)
        with self.assertRaises(docker.errors.NotFound):
            c.reload()


if __name__ == "__main__":
    unittest.main(verbosity=2)
