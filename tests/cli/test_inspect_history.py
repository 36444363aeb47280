"""berth inspect (docker image inspect JSON) and berth history."""

import json
import re

import clitest


INSPECT_KEYS = ["Id", "RepoTags", "RepoDigests", "Parent", "Comment", "Created", "DockerVersion", "Author",
                "Config", "Architecture", "Os", "Size", "GraphDriver", "RootFS", "Metadata", "Descriptor"]


class InspectTest(clitest.CliTestCase):
    def test_inspect_shape_and_indentation(self):
        a = self.load("insp:1", "--label", "k=v<&>", "--cmd", "sh", "--file", "/f=1")
        r = self.berth("inspect", "insp:1")
        self.assertEqual((r.rc, r.err), (0, ""), repr(r))
        doc = json.loads(r.out)
        self.assertEqual(len(doc), 1)
        # Go's json.Indent with four spaces, strings not HTML-escaped.
        self.assertEqual(r.out, json.dumps(doc, indent=4, ensure_ascii=False) + "\n")
        self.assertTrue(r.out.startswith('[\n    {\n        "Id": "sha256:'), r.out)
        img = doc[0]
        self.assertEqual(list(img.keys()), INSPECT_KEYS)
        self.assertEqual(img["Id"], a)
        self.assertEqual(img["RepoTags"], ["insp:1"])
        self.assertEqual(img["Created"], "2024-01-01T00:00:00Z")
        self.assertEqual((img["Architecture"], img["Os"]), ("amd64", "linux"))
        self.assertEqual(img["Config"]["Labels"], {"k": "v<&>"})
        self.assertIn('"k": "v<&>"', r.out)
        self.assertEqual(img["Config"]["Cmd"], ["sh"])
        self.assertEqual(list(img["Config"].keys()), ["Env", "Cmd", "Labels"])
        self.assertEqual(img["RootFS"]["Type"], "layers")
        self.assertEqual(len(img["RootFS"]["Layers"]), 1)
        self.assertRegex(img["RootFS"]["Layers"][0], r"^sha256:[0-9a-f]{64}$")
        self.assertEqual(img["GraphDriver"], {"Data": None, "Name": "overlayfs"})
        self.assertEqual(img["Descriptor"]["digest"], a)
        self.assertIsInstance(img["Size"], int)
        self.assertIn("LastTagTime", img["Metadata"])

    def test_inspect_by_id_and_several(self):
        a = self.load("x:1", "--file", "/a=1")
        b = self.load("y:1", "--file", "/b=1")
        doc = json.loads(self.ok("inspect", a[7:19], "y:1"))
        self.assertEqual([d["Id"] for d in doc], [a, b])

    def test_inspect_compact_json(self):
        self.load("x:1")
        out = self.ok("inspect", "--format", "json", "x:1")
        self.assertEqual(out.count("\n"), 1)
        self.assertEqual(json.loads(out)[0]["RepoTags"], ["x:1"])

    def test_inspect_missing(self):
        r = self.berth("inspect", "missing")
        self.assertEqual((r.rc, r.out, r.err), (1, "[]\n", "Error: No such image: missing\n"))

    def test_inspect_found_and_missing(self):
        a = self.load("x:1")
        r = self.berth("inspect", "x:1", "nope:2")
        self.assertEqual(r.rc, 1)
        self.assertEqual([d["Id"] for d in json.loads(r.out)], [a])
        self.assertEqual(r.err, "Error: No such image: nope:2\n")


class HistoryTest(clitest.CliTestCase):
    def test_history_table(self):
        self.load("hist:1")
        r = self.berth("history", "hist:1")
        self.assertEqual((r.rc, r.err), (0, ""), repr(r))
        lines = r.out.splitlines()
        self.assertRegex(lines[0], r"^IMAGE {6,}CREATED {3,}CREATED BY {3,}SIZE {3,}COMMENT$")
        self.assertGreaterEqual(len(lines), 2)
        for line in lines[1:]:
            self.assertRegex(line, r"^(<missing>|[0-9a-f]{12}) ")

    def test_history_quiet_and_json(self):
        a = self.load("hist:1")
        out = self.ok("history", "-q", "hist:1")
        for line in out.splitlines():
            self.assertTrue(line == "<missing>" or line == a[7:19], out)
        rows = [json.loads(l) for l in self.ok("history", "--format", "json", "hist:1").splitlines()]
        self.assertTrue(rows)
        self.assertEqual(list(rows[0].keys()), ["Comment", "CreatedAt", "CreatedBy", "CreatedSince", "ID", "Size"])

    def test_history_not_human(self):
        self.load("hist:1")
        out = self.ok("history", "--human=false", "hist:1")
        self.assertRegex(out.splitlines()[0], r"^IMAGE {6,}CREATED AT {3,}CREATED BY")
        for line in out.splitlines()[1:]:
            self.assertRegex(line, r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")

    def test_history_missing(self):
        r = self.berth("history", "missing")
        self.assertEqual((r.rc, r.out, r.err), (1, "", "Error: No such image: missing:latest\n"))


if __name__ == "__main__":
    clitest.main()
