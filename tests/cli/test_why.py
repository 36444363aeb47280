"""berth why (what keeps an image or a blob, and what removing it frees) and
berth image prune --dry-run."""

import json
import os

import clitest


class WhyTest(clitest.CliTestCase):
    def blob_path(self, digest):
        return os.path.join(self.root, "content", "blobs", "sha256", digest[len("sha256:"):])

    def blob_json(self, digest):
        with open(self.blob_path(digest)) as f:
            return json.load(f)

    def state(self):
        """Records and blob files: what a removal changes."""
        blobs = sorted(os.listdir(os.path.dirname(self.blob_path("sha256:x"))))
        return self.ok("images", "-a", "--no-trunc", "--digests"), blobs

    def test_image_with_two_names(self):
        a = self.load("two:1")
        self.ok("tag", "two:1", "other:1")
        before = self.state()
        manifest = self.blob_json(a)
        blobs = [a, manifest["config"]["digest"]] + [l["digest"] for l in manifest["layers"]]
        size = sum(os.path.getsize(self.blob_path(d)) for d in blobs)

        out = self.ok("why", "two:1")
        self.assertEqual(out, (
            f"Image {a}\n"
            "Names: other:1, two:1\n"
            "Parent: none\n"
            "Children: none\n"
            "Containers created from it: none\n"
            "Containers mounting it: none\n"
            "Leases holding its blobs: none\n"
            f"Content: 3 blobs, {clitest.human_size(size, 4)}\n"
            "\n"
            "docker rmi two:1:\n"
            "  Untagged: two:1\n"
            "  frees nothing: every blob stays referenced\n"
            "docker rmi -f two:1:\n"
            "  Untagged: two:1\n"
            "  frees nothing: every blob stays referenced\n"))

        short = a[7:19]
        out = self.ok("why", short)
        self.assertIn(f"docker rmi {short}:\n  refused: conflict: unable to delete {short} (must be forced) - "
                      "image is referenced in multiple repositories\n", out)
        self.assertTrue(out.endswith(
            f"docker rmi -f {short}:\n  Untagged: other:1\n  Untagged: two:1\n  Deleted: {a}\n"
            f"  frees 3 blobs, {clitest.human_size(size, 4)}\n"), out)
        # Nothing was removed by either preview.
        self.assertEqual(self.state(), before)
        # The removal then does what the preview said.
        self.assertEqual(self.ok("rmi", "-f", short), f"Untagged: other:1\nUntagged: two:1\nDeleted: {a}\n")
        for d in blobs:
            self.assertFalse(os.path.exists(self.blob_path(d)), d)

    def test_json_format(self):
        a = self.load("js:1")
        r = json.loads(self.ok("why", "--format", "json", "js:1"))
        self.assertEqual(r["Kind"], "image")
        img = r["Image"]
        self.assertEqual((img["Id"], img["Names"], img["Dangling"], img["Blobs"]), (a, ["js:1"], False, 3))
        remove = img["Removal"]["Remove"]
        self.assertEqual(remove["Refused"], False)
        self.assertEqual(remove["Items"], [{"Untagged": "js:1"}, {"Deleted": a}])
        self.assertEqual([b["Digest"] for b in remove["Freed"]][0], a)
        self.assertEqual(remove["FreedBytes"], img["Size"])
        self.assertEqual(img["Removal"]["ForceRemove"]["Items"], remove["Items"])

    def test_blob(self):
        path, summary = self.fixture("multi:1", "-p", "linux/amd64", "-p", "linux/arm64")
        self.ok("load", "-i", path)
        index = summary["target"]
        amd64 = summary["manifests"]["linux/amd64"]
        arm64 = summary["manifests"]["linux/arm64"]
        config = self.blob_json(amd64)["config"]
        out = self.ok("why", config["digest"])
        self.assertEqual(out, (
            f"Blob {config['digest']}\n"
            f"Type: {config['mediaType']}, {clitest.human_size(config['size'], 4)}, 1 reference\n"
            "File: present\n"
            "Held by:\n"
            f"  image {index} (multi:1) via index {index} -> manifest {amd64} (linux/amd64)\n"))
        # The index itself is the image: why on its digest explains the image.
        self.assertTrue(self.ok("why", index).startswith(f"Image {index}\n"))
        r = json.loads(self.ok("why", "--format", "json", arm64))
        self.assertEqual(r["Kind"], "blob")
        self.assertEqual([(h["Kind"], h["Id"], [v["digest"] for v in h["Via"]]) for h in r["Blob"]["Holders"]],
                         [("image", index, [index])])

    def test_errors(self):
        r = self.berth("why", "nosuch")
        self.assertEqual((r.rc, r.out, r.err), (1, "", "Error: No such image: nosuch:latest\n"))
        missing = "sha256:" + "ab" * 32
        r = self.berth("why", missing)
        self.assertEqual((r.rc, r.out, r.err), (1, "", f"Error: No such image or blob: {missing}\n"))
        r = self.berth("why")
        self.assertEqual(r.rc, 1)
        self.assertIn("'berth why' requires 1 argument", r.err)
        r = self.berth("why", "--format", "table", "x")
        self.assertEqual(r.rc, 125)
        self.assertIn('only "json" is supported', r.err)


class PruneDryRunTest(clitest.CliTestCase):
    def test_dry_run_prints_the_prune_report_and_removes_nothing(self):
        self.load("dup:1", "--file", "/v=1")
        self.load("dup:1", "--file", "/v=2")
        self.load("kept:1", "--file", "/v=3")
        before = self.ok("images", "-a", "--no-trunc")
        # No prompt: nothing is removed.
        dry = self.ok("image", "prune", "--dry-run")
        self.assertEqual(self.ok("images", "-a", "--no-trunc"), before)
        self.assertTrue(dry.startswith("Deleted Images:\n"), dry)
        self.assertEqual(self.ok("image", "prune", "-f"), dry)
        self.assertNotEqual(self.ok("images", "-a", "--no-trunc"), before)
        # With --all: the tagged images too.
        dry_all = self.ok("image", "prune", "-a", "--dry-run")
        self.assertIn("untagged: kept:1\n", dry_all)
        self.assertEqual(self.ok("image", "prune", "-a", "-f"), dry_all)
        self.assertEqual(self.ok("image", "prune", "-a", "--dry-run"), "Total reclaimed space: 0B\n")


if __name__ == "__main__":
    clitest.main()
