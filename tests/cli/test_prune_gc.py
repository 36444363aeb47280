"""berth image prune (prompt, report) and berth gc."""

import hashlib
import os
import re

import clitest

DANGLING_PROMPT = ("WARNING! This will remove all dangling images.\n"
                   "Are you sure you want to continue? [y/N] ")
ALL_PROMPT = ("WARNING! This will remove all images without at least one container associated to them.\n"
              "Are you sure you want to continue? [y/N] ")


class PruneTest(clitest.CliTestCase):
    def make_dangling(self):
        old = self.load("dup:1", "--file", "/v=1")
        new = self.load("dup:1", "--file", "/v=2")
        return old, new

    def check_report(self, out):
        """Returns the report's item lines after checking docker's layout."""
        lines = out.split("\n")
        self.assertEqual(lines[0], "Deleted Images:", out)
        self.assertEqual(lines[-1], "")
        self.assertRegex(lines[-2], r"^Total reclaimed space: \d+(\.\d+)?(B|kB|MB)$")
        self.assertEqual(lines[-3], "")
        items = lines[1:-3]
        for item in items:
            self.assertRegex(item, r"^(untagged|deleted): \S+$")
        return items

    def test_prune_nothing(self):
        r = self.berth("image", "prune", "-f")
        self.assertEqual((r.rc, r.out, r.err), (0, "Total reclaimed space: 0B\n", ""))

    def test_prune_dangling(self):
        old, new = self.make_dangling()
        r = self.berth("image", "prune", "--force")
        self.assertEqual((r.rc, r.err), (0, ""), repr(r))
        items = self.check_report(r.out)
        self.assertIn(f"deleted: {old}", items)
        self.assertEqual(self.ok("images", "-q", "--no-trunc"), new + "\n")
        # Nothing left to prune.
        self.assertEqual(self.ok("image", "prune", "-f"), "Total reclaimed space: 0B\n")

    def test_prune_all_removes_tagged_images(self):
        a = self.load("tagged:1")
        r = self.berth("image", "prune", "-a", "-f")
        self.assertEqual((r.rc, r.err), (0, ""), repr(r))
        items = self.check_report(r.out)
        self.assertIn("untagged: tagged:1", items)
        self.assertIn(f"deleted: {a}", items)
        self.assertEqual(self.ok("images", "-q"), "")

    def test_prompt_declined(self):
        old, new = self.make_dangling()
        for answer in (b"n\n", b"\n", b"", b"yes\n"):
            r = self.berth("image", "prune", stdin=answer)
            self.assertEqual((r.rc, r.out, r.err), (0, DANGLING_PROMPT, ""), answer)
        self.assertEqual(sorted(self.ok("images", "-q", "--no-trunc").split()), sorted([old, new]))

    def test_prompt_accepted(self):
        old, _ = self.make_dangling()
        r = self.berth("image", "prune", stdin=b"y\n")
        self.assertEqual(r.rc, 0, repr(r))
        self.assertTrue(r.out.startswith(DANGLING_PROMPT), r.out)
        self.assertIn(f"deleted: {old}", self.check_report(r.out[len(DANGLING_PROMPT):]))

    def test_prompt_for_all(self):
        self.load("tagged:1")
        r = self.berth("image", "prune", "-a", stdin=b"N\n")
        self.assertEqual((r.rc, r.out), (0, ALL_PROMPT))
        self.assertNotEqual(self.ok("images", "-q"), "")

    def test_prune_label_filters(self):
        keep = self.load("lab:1", "--label", "keep=yes", "--file", "/a=1")
        drop = self.load("lab:2", "--file", "/a=2")
        # Docker 28.x: label!=keep=yes needs the key, so it matches neither.
        self.assertEqual(self.ok("image", "prune", "-a", "-f", "--filter", "label!=keep=yes"),
                         "Total reclaimed space: 0B\n")
        r = self.berth("image", "prune", "-a", "-f", "--filter", "label!=keep")
        self.assertEqual(r.rc, 0, repr(r))
        items = self.check_report(r.out)
        self.assertIn(f"deleted: {drop}", items)
        self.assertEqual(self.ok("images", "-q", "--no-trunc"), keep + "\n")

    def test_prune_until_filter(self):
        self.load("recent:1")
        # Created a moment ago: an "until" of an hour ago keeps it.
        self.assertEqual(self.ok("image", "prune", "-a", "-f", "--filter", "until=1h"),
                         "Total reclaimed space: 0B\n")
        self.assertNotEqual(self.ok("images", "-q"), "")
        # Several until filters must all hold: the earliest wins.
        self.assertEqual(self.ok("image", "prune", "-a", "-f", "--filter", "until=1h", "--filter",
                                 "until=2100-01-01"), "Total reclaimed space: 0B\n")
        items = self.check_report(self.ok("image", "prune", "-a", "-f", "--filter", "until=2100-01-01",
                                          "--filter", "until=2099-01-01"))
        self.assertIn("untagged: recent:1", items)

    def test_prune_filter_errors(self):
        r = self.berth("image", "prune", "-f", "--filter", "reference=x")
        self.assertEqual((r.rc, r.out, r.err), (1, "", "Error: invalid filter 'reference'\n"))
        r = self.berth("image", "prune", "-f", "--filter", "until=1h", "--filter", "until=junk")
        self.assertEqual((r.rc, r.err), (1, 'Error: failed to parse value as time or duration: "junk"\n'))
        r = self.berth("image", "prune", "-a", "-f", "--filter", "dangling=true")
        self.assertEqual((r.rc, r.err), (1, "Error: invalid filter 'dangling=[false true]'\n"))
        r = self.berth("image", "prune", "-f", "--filter", "nonsense")
        self.assertEqual(r.rc, 125)
        self.assertTrue(r.err.endswith("See 'berth image prune --help'.\n"), r.err)


class GcTest(clitest.CliTestCase):
    def test_gc_removes_stray_blobs_only(self):
        a = self.load("kept:1")
        data = b"an unreferenced blob\n"
        digest = hashlib.sha256(data).hexdigest()
        blob = os.path.join(self.root, "content", "blobs", "sha256", digest)
        self.assertTrue(os.path.isdir(os.path.dirname(blob)))
        with open(blob, "wb") as f:
            f.write(data)
        r = self.berth("gc")
        self.assertEqual((r.rc, r.err), (0, ""), repr(r))
        self.assertEqual(r.out, f"Deleted blobs: 1\nDeleted snapshots: 0\nTotal reclaimed space: {len(data)}B\n")
        self.assertFalse(os.path.exists(blob))
        self.assertEqual(self.ok("gc"), "Deleted blobs: 0\nDeleted snapshots: 0\nTotal reclaimed space: 0B\n")
        # The image is intact and can still be saved.
        self.assertEqual(self.inspect("kept:1")["Id"], a)
        r = self.berth("save", "-o", os.path.join(self.tmp, "k.tar"), "kept:1")
        self.assertEqual(r.rc, 0, repr(r))

    def test_gc_removes_snapshots_no_image_needs(self):
        self.load("snap:1")
        diff_ids = self.inspect("snap:1")["RootFS"]["Layers"]
        # The chain ID of a first layer is its diff ID (OCI image spec).
        kept = os.path.join(self.root, "snapshots", diff_ids[0][len("sha256:"):])
        stray = os.path.join(self.root, "snapshots", hashlib.sha256(b"no such layer").hexdigest())
        for d in (kept, stray):
            os.makedirs(os.path.join(d, "fs"))
            open(os.path.join(d, "fs", "file"), "w").close()
            open(os.path.join(d, ".done"), "w").close()
        self.assertEqual(self.ok("gc"), "Deleted blobs: 0\nDeleted snapshots: 1\nTotal reclaimed space: 0B\n")
        self.assertTrue(os.path.exists(os.path.join(kept, "fs", "file")))
        self.assertFalse(os.path.exists(stray))
        # Once the image is gone, nothing needs its snapshot either.
        self.ok("rmi", "snap:1")
        self.assertEqual(self.ok("gc"), "Deleted blobs: 0\nDeleted snapshots: 1\nTotal reclaimed space: 0B\n")
        self.assertFalse(os.path.exists(kept))

    def test_gc_on_an_empty_store(self):
        self.assertEqual(self.ok("gc"), "Deleted blobs: 0\nDeleted snapshots: 0\nTotal reclaimed space: 0B\n")


if __name__ == "__main__":
    clitest.main()
