"""berth's why route and prune dry run through a real berthd: raw API
requests on the unix socket (GET /berth/v1/images/{name}/why,
POST /images/prune?dryrun=1), checked against what the docker CLI then
really does; `docker image prune` itself is unaffected."""

import json
import os
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from berth_e2e import DaemonTestCase, fixture  # noqa: E402


def human_size(size):
    """go-units HumanSize (4 significant digits, decimal units)."""
    units = ["B", "kB", "MB", "GB", "TB"]
    i = 0
    size = float(size)
    while size >= 1000 and i < len(units) - 1:
        size /= 1000
        i += 1
    return ("%.4g" % size) + units[i]


class WhyE2ETest(DaemonTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.multi = fixture(os.path.join(cls.tmp, "multi.tar"), "-n", "why:1", "-p", "linux/amd64",
                            "-p", "linux/arm64", "--cmd", "true")
        cls.old = fixture(os.path.join(cls.tmp, "old.tar"), "-n", "dup:1", "-f", "/v=1")
        cls.new = fixture(os.path.join(cls.tmp, "new.tar"), "-n", "dup:1", "-f", "/v=2")

    def setUp(self):
        ids = self.docker_ok("ps", "-a", "-q", "--no-trunc").split()
        if ids:
            self.d.docker("rm", "-f", *ids)
        self.rmi_all()

    def get_json(self, target, status=200):
        code, headers, body = self.d.request("GET", target)
        self.assertEqual(code, status, body)
        self.assertEqual(headers.get("Content-Type"), "application/json")
        return json.loads(body)

    def why(self, name, status=200):
        return self.get_json("/berth/v1/images/%s/why" % urllib.parse.quote(name, safe=":@/"), status)

    def image_events(self, since, until):
        code, _, body = self.d.request("GET", "/events?since=%.3f&until=%.3f" % (since, until))
        self.assertEqual(code, 200, body)
        return [json.loads(l) for l in body.decode().splitlines() if l.strip()]

    def test_why_explains_and_previews_removal(self):
        self.docker_ok("load", "-i", self.path("multi.tar"))
        self.docker_ok("tag", "why:1", "why:2")
        image = self.multi["target"]
        amd64 = self.multi["manifests"]["linux/amd64"]
        arm64 = self.multi["manifests"]["linux/arm64"]
        container = self.docker_ok("create", "--name", "holder", "why:1").strip()
        before = self.docker_ok("images", "-a", "--no-trunc", "--digests")
        since = time.time()

        w = self.why("why:1")
        self.assertEqual(w["Kind"], "image")
        img = w["Image"]
        self.assertEqual((img["Id"], img["Names"]), (image, ["why:1", "why:2"]))
        self.assertEqual([(c["Id"], c["Name"], c["Platform"], c["Manifest"]) for c in img["Containers"]],
                         [(container, "holder", {"architecture": "amd64", "os": "linux"}, amd64)])
        self.assertEqual(img["Removal"]["Remove"]["Items"], [{"Untagged": "why:1"}])
        self.assertEqual(img["Removal"]["Remove"]["Freed"], [])

        by_id = self.why(image)["Image"]
        self.assertTrue(by_id["Removal"]["Remove"]["Refused"])
        self.assertTrue(by_id["Removal"]["Remove"]["Error"].startswith(
            "conflict: unable to delete %s (must be forced) - " % image[7:19]), by_id["Removal"]["Remove"])
        forced = by_id["Removal"]["ForceRemove"]
        self.assertFalse(forced["Refused"])
        freed = [b["Digest"] for b in forced["Freed"]]
        self.assertIn(image, freed)
        self.assertIn(arm64, freed)
        self.assertNotIn(amd64, freed)  # the container keeps its platform

        # The manifest the container runs: held by the image and the container.
        blob = self.why(amd64)
        self.assertEqual(blob["Kind"], "blob")
        self.assertEqual(sorted((h["Kind"], h["Id"]) for h in blob["Blob"]["Holders"]),
                         [("container", container), ("image", image)])

        # The previews changed nothing and told no one.
        self.assertEqual(self.docker_ok("images", "-a", "--no-trunc", "--digests"), before)
        self.assertEqual(self.image_events(since, time.time()), [])

        # The real removal does what the forced preview said.
        out = self.docker_ok("rmi", "-f", image)
        expected = "".join("Untagged: %s\n" % i["Untagged"] if "Untagged" in i else "Deleted: %s\n" % i["Deleted"]
                           for i in forced["Items"])
        self.assertEqual(out, expected)
        # The arm64 manifest's row stays (a blob coming back needs no new
        # registration) but nothing holds it and its file is gone.
        gone = self.why(arm64)["Blob"]
        self.assertEqual((gone["Refs"], gone["Present"], gone["Holders"]), (0, False, []))
        holders = self.why(amd64)["Blob"]["Holders"]
        self.assertEqual([(h["Kind"], h["Id"]) for h in holders], [("container", container)])

    def test_errors(self):
        self.assertEqual(self.why("nosuch:1", status=404), {"message": "No such image: nosuch:1"})
        missing = "sha256:" + "cd" * 32
        self.assertEqual(self.why(missing, status=404), {"message": "No such image or blob: " + missing})

    def test_prune_dry_run_then_docker_prune(self):
        self.docker_ok("load", "-i", self.path("old.tar"))
        self.docker_ok("load", "-i", self.path("new.tar"))
        before = sorted(self.image_ids())
        self.assertEqual(before, sorted([self.old["target"], self.new["target"]]))
        filters = urllib.parse.quote(json.dumps({"dangling": {"true": True}}))
        code, _, body = self.d.request("POST", "/v1.50/images/prune?dryrun=1&filters=" + filters)
        self.assertEqual(code, 200, body)
        report = json.loads(body)
        self.assertEqual(report["ImagesDeleted"][0], {"Untagged": self.old["target"]})
        self.assertIn({"Deleted": self.old["target"]}, report["ImagesDeleted"])
        self.assertGreater(report["SpaceReclaimed"], 0)
        self.assertEqual(sorted(self.image_ids()), before)

        # docker image prune (which never sends dryrun) prunes, with the
        # report the dry run gave.
        out = self.docker_ok("image", "prune", "-f")
        items = "".join("untagged: %s\n" % i["Untagged"] if "Untagged" in i else "deleted: %s\n" % i["Deleted"]
                        for i in report["ImagesDeleted"])
        self.assertEqual(out, "Deleted Images:\n" + items + "\nTotal reclaimed space: %s\n"
                         % human_size(report["SpaceReclaimed"]))
        self.assertEqual(self.image_ids(), [self.new["target"]])
        code, _, body = self.d.request("POST", "/v1.50/images/prune?dryrun=1")
        self.assertEqual(json.loads(body), {"ImagesDeleted": None, "SpaceReclaimed": 0})


if __name__ == "__main__":
    unittest.main(verbosity=2)
