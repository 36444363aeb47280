"""Platform removal through the real docker CLI (28.2.2) against berthd:
berth's one rule set. It acts on content only (no record or name changes),
answers the same by name and by ID, replies one `Deleted:` per removed
manifest, and emits `remove-platform` events."""

import json
import os
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from berth_e2e import DaemonTestCase, fixture  # noqa: E402


class PlatformRemovalTest(DaemonTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        t = cls.tmp
        cls.att = fixture(os.path.join(t, "att.tar"), "-n", "att:1", "-p", "linux/amd64", "-p", "linux/arm64",
                          "--attestations", "-f", "att=1", "-l", "team=att")
        cls.two = fixture(os.path.join(t, "two.tar"), "-n", "two:1", "-p", "linux/amd64", "-p", "linux/arm64",
                          "-f", "two=1")
        cls.single = fixture(os.path.join(t, "single.tar"), "-n", "single:1", "-f", "single=1")

    def setUp(self):
        self.rmi_all()

    def load(self, name):
        self.docker_ok("load", "-q", "-i", self.path(name))

    def manifests(self, ref):
        status, _, body = self.d.request("GET", "/v1.50/images/%s/json?manifests=1" % ref)
        self.assertEqual(status, 200, body)
        return json.loads(body)["Manifests"]

    def listed(self, ref):
        """`docker images REF` rows as 'repo:tag size'."""
        return self.docker_ok("images", "--format", "{{.Repository}}:{{.Tag}} {{.Size}}", ref).splitlines()

    def test_reply_names_each_removed_manifest_and_its_attestation(self):
        self.load("att.tar")
        arm = self.att["manifests"]["linux/arm64"]
        attestation = [m["ID"] for m in self.manifests("att:1")
                       if m["Kind"] == "attestation" and m["AttestationData"]["For"] == arm]
        self.assertEqual(len(attestation), 1)
        before = self.docker_ok("image", "inspect", "-f", "{{.Id}} {{.RepoTags}}", "att:1")
        self.assertEqual(self.docker_ok("rmi", "--platform", "linux/arm64", "att:1"),
                         "Deleted: %s\nDeleted: %s\n" % (arm, attestation[0]))
        # Content only: the record, its name and its ID are unchanged.
        self.assertEqual(self.docker_ok("image", "inspect", "-f", "{{.Id}} {{.RepoTags}}", "att:1"), before)
        by_id = {m["ID"]: m["Available"] for m in self.manifests("att:1")}
        self.assertEqual(by_id[arm], False)
        self.assertEqual(by_id[attestation[0]], False)
        self.assertEqual(by_id[self.att["manifests"]["linux/amd64"]], True)
        # The same platform again, in two spellings: nothing is left to remove.
        _, err = self.docker_fails("rmi", "--platform", "linux/arm64", "att:1")
        self.assertIn("does not provide any platform", err)

    def test_same_platform_twice_is_one_line(self):
        self.load("two.tar")
        arm = self.two["manifests"]["linux/arm64"]
        # The CLI sends each distinct spelling; the server normalises them.
        q = "&".join("platforms=" + urllib.parse.quote(p) for p in
                     ('{"os":"linux","architecture":"arm64"}', '{"os":"linux","architecture":"aarch64"}'))
        status, _, body = self.d.request("DELETE", "/v1.50/images/two:1?" + q)
        self.assertEqual((status, json.loads(body)), (200, [{"Deleted": arm}]))

    def test_last_platform_leaves_the_image_listed(self):
        self.load("two.tar")
        target = self.two["target"]
        out = self.docker_ok("rmi", "--platform", "linux/amd64", "--platform", "linux/arm64", target[7:19])
        self.assertEqual(out, "Deleted: %s\nDeleted: %s\n" % (self.two["manifests"]["linux/amd64"],
                                                              self.two["manifests"]["linux/arm64"]))
        self.assertEqual(self.listed("two"), ["two:1 0B"])
        status, _, body = self.d.request("GET", "/v1.50/images/json")
        row = [i for i in json.loads(body) if i["Id"] == target][0]
        self.assertEqual((row["RepoTags"], row["RepoDigests"], row["Size"], row["Created"], row["Labels"]),
                         (["two:1"], [target], 0, 0, None))
        # A name can be removed as usual afterwards.
        self.assertEqual(self.docker_ok("rmi", "two:1"), "Untagged: two:1\nDeleted: %s\n" % target)
        self.assertEqual(self.listed("two"), [])

    def test_single_platform_image_keeps_its_record(self):
        self.load("single.tar")
        target = self.single["target"]
        self.assertEqual(self.docker_ok("rmi", "--platform", "linux/amd64", "single:1"), "Deleted: %s\n" % target)
        self.assertEqual(self.listed("single"), ["single:1 0B"])
        # Nothing to run (the CLI would turn this 404 into a pull).
        status, _, body = self.d.request("POST", "/v1.50/containers/create",
                                         body=json.dumps({"Image": "single:1", "Cmd": ["true"]}).encode(),
                                         headers={"Content-Type": "application/json"})
        self.assertEqual(status, 404, body)
        self.assertIn("does not provide any platform", json.loads(body)["message"])
        # Loading it again makes it whole.
        self.load("single.tar")
        [row] = self.listed("single")
        self.assertNotEqual(row, "single:1 0B")
        self.assertEqual(self.docker_ok("rmi", "single:1"), "Untagged: single:1\nDeleted: %s\n" % target)

    def test_absent_platform_names_the_reference_given(self):
        self.load("two.tar")
        target = self.two["target"]
        msg = ("Error response from daemon: failed to delete platform linux/s390x for image %s: image with "
               "reference %%s was found but does not provide any platform\n" % target)
        self.docker_fails("rmi", "--platform", "linux/s390x", "two", err="Error response from daemon: No such "
                                                                          "image: two:latest\n")
        self.docker_fails("rmi", "--platform", "linux/s390x", "docker.io/library/two:1", err=msg % "two:1")
        for given in (target, target[7:], target[7:19]):
            self.docker_fails("rmi", "--platform", "linux/s390x", given, err=msg % target)
        # With -f: a no-op, exit 0, the 404 on stderr as the CLI prints it.
        rc, out, err = self.d.docker("rmi", "-f", "--platform", "linux/s390x", target[7:19])
        self.assertEqual((rc, out), (0, ""))
        self.assertEqual(len(self.manifests("two:1")), 2)
        self.assertTrue(all(m["Available"] for m in self.manifests("two:1")))

    def test_remove_platform_events(self):
        self.load("att.tar")
        self.docker_ok("tag", "att:1", "att:2")
        since = "%.6f" % time.time()
        target = self.att["target"]
        self.docker_ok("rmi", "--platform", "linux/arm64", "att:2")
        self.docker_ok("rmi", "--platform", "linux/amd64", target[7:19])
        until = "%.3f" % (time.time() + 1)
        out = self.docker_ok("events", "--since", since, "--until", until, "--filter", "image=" + target,
                             "--filter", "event=remove-platform", "--format", "{{json .}}")
        events = [json.loads(line) for line in out.splitlines()]
        self.assertEqual([(e["Action"], e["Actor"]["ID"], e["Actor"]["Attributes"]["name"],
                           e["Actor"]["Attributes"]["platform"]) for e in events],
                         [("remove-platform", target, "att:2", "linux/arm64"),
                          ("remove-platform", target, target, "linux/amd64")])
        # Labels of the image, which still exists, come along as in Docker's image events.
        self.assertEqual(events[0]["Actor"]["Attributes"]["team"], "att")
        # No delete event: the image ID is not gone.
        out = self.docker_ok("events", "--since", since, "--until", until, "--filter", "image=" + target,
                             "--filter", "event=delete")
        self.assertEqual(out, "")
        self.assertEqual(sorted(self.docker_ok("images", "--format", "{{.Tag}}", "att").split()), ["1", "2"])

    def test_failed_request_changes_nothing(self):
        self.load("two.tar")
        q = "&".join("platforms=" + urllib.parse.quote(p) for p in
                     ('{"os":"linux","architecture":"arm64"}', '{"os":"linux","architecture":"s390x"}'))
        status, _, body = self.d.request("DELETE", "/v1.50/images/two:1?" + q)
        self.assertEqual(status, 404, body)
        self.assertTrue(all(m["Available"] for m in self.manifests("two:1")))


if __name__ == "__main__":
    unittest.main()
