"""Where berth follows Docker 28.2's containerd image store to the letter,
through the real docker CLI (28.2.2) and, where the CLI cannot send a
request, the raw API: the prune report, the dangling records load keeps,
record-level list filters, label and until filters, the JSON-only platform
parameters, filter JSON errors and the Containers count."""

import json
import os
import sys
import tarfile
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from berth_e2e import DaemonTestCase, archive_blobs, fixture, timestamp_now  # noqa: E402


def walk_order(path):
    """The blobs of an OCI archive's image as containerd walks them from its
    target (Docker's walkPresentChildren): each descriptor, then its children
    (an index's manifests; a manifest's config, then its layers).
    [(digest, size)]."""
    blobs = archive_blobs(path)
    with tarfile.open(path) as t:
        index = json.loads(t.extractfile("index.json").read())
    out = []

    def walk(desc):
        out.append((desc["digest"], desc["size"]))
        kind = desc["mediaType"]
        doc = json.loads(blobs[desc["digest"]]) if "manifest" in kind or "index" in kind else {}
        if "manifests" in doc:
            for m in doc["manifests"]:
                walk(m)
        elif "config" in doc:
            walk(doc["config"])
            for layer in doc["layers"]:
                walk(layer)

    walk(index["manifests"][0])
    return out


def human_size(n):
    """docker's units.HumanSize (4 significant digits, powers of 1000), as
    the CLI prints the prune total."""
    units = ["B", "kB", "MB", "GB"]
    i = 0
    size = float(n)
    while size >= 1000 and i < len(units) - 1:
        size /= 1000
        i += 1
    return "%.4g%s" % (size, units[i])


class ParityTest(DaemonTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        t = cls.tmp
        cls.a = fixture(os.path.join(t, "a.tar"), "-n", "feastest:1", "-f", "hello=world", "-l", "team=a")
        cls.a2 = fixture(os.path.join(t, "a2.tar"), "-n", "feastest:1", "-f", "hello=again", "-l", "team=a")
        cls.b = fixture(os.path.join(t, "b.tar"), "-n", "other:2", "-f", "b=2", "-l", "team=b")
        cls.multi = fixture(os.path.join(t, "multi.tar"), "-n", "multi:1", "-p", "linux/amd64", "-p",
                            "linux/arm64", "-f", "m=1")
        cls.unnamed = fixture(os.path.join(t, "unnamed.tar"), "-f", "u=1")

    def setUp(self):
        self.rmi_all()
        self.docker_ok("image", "prune", "-a", "-f")

    def load(self, name):
        return self.docker_ok("load", "-i", self.path(name))

    def dangling_ids(self):
        return sorted(self.docker_ok("images", "-a", "-q", "--no-trunc", "--filter", "dangling=true").split())

    def prune_lines(self, *args):
        out = self.docker_ok("image", "prune", "-f", *args)
        return out.splitlines()

    def api(self, method, target):
        status, _, body = self.d.request(method, target)
        return status, json.loads(body) if body else None

    # ---- 1. prune reports every blob it removed ----

    def test_prune_reports_every_removed_blob_in_walk_order(self):
        self.load("a.tar")
        self.load("unnamed.tar")
        walked = walk_order(self.path("unnamed.tar"))
        want = ["Deleted Images:", "untagged: " + self.unnamed["target"]]
        want += ["deleted: " + d for d, _ in walked]
        want += ["", "Total reclaimed space: " + human_size(sum(size for _, size in walked))]
        self.assertEqual(self.prune_lines(), want)
        # A multi-platform image: index, then each manifest, config, layers.
        self.load("multi.tar")
        walked = walk_order(self.path("multi.tar"))
        self.assertEqual(walked[0][0], self.multi["target"])
        self.assertEqual(len(walked), 1 + 2 * 3)
        status, report = self.api("POST", "/v1.50/images/prune?filters=" +
                                  urllib.parse.quote('{"dangling":["false"],"label":["team=x"]}'))
        self.assertEqual((status, report), (200, {"ImagesDeleted": None, "SpaceReclaimed": 0}))
        status, report = self.api("POST", "/v1.50/images/prune?filters=" +
                                  urllib.parse.quote('{"dangling":["false"],"until":["%s"]}' % timestamp_now()))
        self.assertEqual(status, 200, report)
        per_image = {}
        current = None
        for item in report["ImagesDeleted"]:
            if "Untagged" in item:
                current = item["Untagged"]
                per_image[current] = []
            else:
                per_image[current].append(item["Deleted"])
        self.assertEqual(per_image["multi:1"], [d for d, _ in walked])
        self.assertEqual(per_image["feastest:1"], [d for d, _ in walk_order(self.path("a.tar"))])
        total = sum(size for _, size in walked) + sum(size for _, size in walk_order(self.path("a.tar")))
        self.assertEqual(report["SpaceReclaimed"], total)

    def test_prune_of_a_record_that_frees_nothing_reports_no_blob(self):
        self.load("a.tar")
        self.docker_ok("tag", "feastest:1", "second:1")
        status, report = self.api("POST", "/v1.50/images/prune?filters=" +
                                  urllib.parse.quote('{"dangling":["false"],"label":["team=a"]}'))
        self.assertEqual(status, 200, report)
        items = report["ImagesDeleted"]
        self.assertEqual(items[:2], [{"Untagged": "feastest:1"}, {"Untagged": "second:1"}])
        self.assertEqual([i["Deleted"] for i in items[2:]], [d for d, _ in walk_order(self.path("a.tar"))])

    # ---- 2. load keeps Docker's dangling records ----

    def test_reload_of_the_same_image_keeps_a_dangling_record(self):
        self.load("a.tar")
        self.assertEqual(self.dangling_ids(), [])
        self.load("a.tar")
        # Docker copies the name's target to moby-dangling@ before every load.
        self.assertEqual(self.dangling_ids(), [self.a["target"]])
        rows = self.docker_ok("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}")
        self.assertEqual(rows, "feastest:1 %s\n" % self.a["target"][7:19])
        # The redundant record goes with the next prune; the content stays.
        self.assertEqual(self.prune_lines(), ["Deleted Images:", "untagged: " + self.a["target"], "",
                                              "Total reclaimed space: 0B"])
        self.assertEqual(self.image_ids(), [self.a["target"]])

    def test_load_over_a_name_keeps_old_target_and_creation_time(self):
        self.load("a.tar")
        self.docker_ok("tag", "feastest:1", "holder:1")
        between = timestamp_now()
        self.assertEqual(self.load("a2.tar"), "Loaded image: feastest:1\n")
        # The old target stays dangling though holder:1 still names it.
        self.assertEqual(self.dangling_ids(), [self.a["target"]])
        # The name's record keeps its creation time: it predates `between`.
        rows = self.docker_ok("images", "--filter", "until=" + between, "--format",
                              "{{.Repository}}:{{.Tag}} {{.ID}}", "feastest")
        self.assertEqual(rows, "feastest:1 %s\n" % self.a2["target"][7:19])

    def test_tag_keeps_its_own_rule(self):
        self.load("a.tar")
        self.load("b.tar")
        self.docker_ok("tag", "feastest:1", "holder:1")
        self.docker_ok("tag", "other:2", "feastest:1")
        # docker tag: dangling only when the moved name was the last one.
        self.assertEqual(self.dangling_ids(), [])
        self.docker_ok("tag", "feastest:1", "holder:1")
        self.assertEqual(self.dangling_ids(), [self.a["target"]])

    # ---- 3. RepoTags and RepoDigests from the records that pass ----

    def test_list_by_reference_shows_only_matching_names(self):
        self.load("a.tar")
        self.docker_ok("tag", "feastest:1", "myorg/feastest:1")
        rows = self.docker_ok("images", "--format", "{{.Repository}}:{{.Tag}}", "feastest")
        self.assertEqual(rows, "feastest:1\n")
        rows = self.docker_ok("images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "reference=myorg/*")
        self.assertEqual(rows, "myorg/feastest:1\n")
        status, listed = self.api("GET", "/v1.50/images/json?filters=" +
                                  urllib.parse.quote('{"reference":["feastest"]}'))
        self.assertEqual(status, 200)
        self.assertEqual(len(listed), 1)
        self.assertEqual((listed[0]["RepoTags"], listed[0]["RepoDigests"]),
                         (["feastest:1"], ["feastest@" + self.a["target"]]))
        # Unfiltered: every name; RepoDigests from the last name, as Docker.
        status, listed = self.api("GET", "/v1.50/images/json")
        self.assertEqual((listed[0]["RepoTags"], listed[0]["RepoDigests"]),
                         (["feastest:1", "myorg/feastest:1"], ["myorg/feastest@" + self.a["target"]]))

    def test_until_applies_to_each_record(self):
        self.load("a.tar")
        between = timestamp_now()
        self.docker_ok("tag", "feastest:1", "later:1")
        rows = self.docker_ok("images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "until=" + between)
        self.assertEqual(rows, "feastest:1\n")
        self.assertEqual(sorted(self.docker_ok("images", "--format", "{{.Repository}}:{{.Tag}}").split()),
                         ["feastest:1", "later:1"])

    # ---- 4. several until filters in prune: all must hold ----

    def test_prune_with_several_until_filters(self):
        self.load("a.tar")
        between = timestamp_now()
        self.load("b.tar")
        after = timestamp_now()
        # The earlier cut holds only for feastest:1.
        lines = self.prune_lines("-a", "--filter", "until=" + after, "--filter", "until=" + between)
        self.assertIn("untagged: feastest:1", lines)
        self.assertNotIn("untagged: other:2", lines)
        self.assertEqual(self.image_ids(), [self.b["target"]])

    # ---- 5. label=key!=value ----

    def test_negated_label_values(self):
        self.load("a.tar")
        self.load("b.tar")
        self.load("unnamed.tar")
        ids = lambda *f: sorted(self.docker_ok("images", "-q", "--no-trunc", *f).split())  # noqa: E731
        # key!=value: the key with another value; images without it never
        # match a value check in Docker 28.x, negated or not.
        self.assertEqual(ids("--filter", "label=team!=a"), [self.b["target"]])
        self.assertEqual(ids("--filter", "label!=team=a"), [self.b["target"]])
        self.assertEqual(ids("--filter", "label!=team!=a"), [self.a["target"]])
        self.assertEqual(ids("--filter", "label!=team"), [self.unnamed["target"]])
        self.assertEqual(ids("--filter", "label=team!"), [self.unnamed["target"]])
        lines = self.prune_lines("-a", "--filter", "label=team!=b")
        self.assertIn("untagged: feastest:1", lines)
        self.assertEqual(sorted(self.image_ids()), sorted([self.b["target"], self.unnamed["target"]]))

    # ---- 6. platform parameters are JSON only ----

    def test_platform_parameters_are_json_only(self):
        self.load("multi.tar")
        bad_char = "failed to parse platform: invalid character 'l' looking for beginning of value"
        empty = "failed to parse platform: unexpected end of JSON input"
        for target, message in [
            ("DELETE /v1.50/images/multi:1?force=1&platforms=linux%2Farm64", bad_char),
            ("DELETE /v1.50/images/multi:1?force=1&platforms=", empty),
            ("GET /v1.50/images/multi:1/json?platform=linux%2Farm64", bad_char),
            ("GET /v1.50/images/multi:1/history?platform=linux%2Farm64", bad_char),
            ("GET /v1.50/images/multi:1/get?platform=linux%2Farm64", bad_char),
            ("GET /v1.50/images/get?names=multi:1&platform=linux%2Farm64", bad_char),
        ]:
            method, path = target.split(" ", 1)
            status, body = self.api(method, path)
            self.assertEqual((status, body), (400, {"message": message}), target)
        with open(self.path("a.tar"), "rb") as f:
            status, _, body = self.d.request("POST", "/v1.50/images/load?platform=linux%2Farm64", body=f.read())
        self.assertEqual((status, json.loads(body)), (400, {"message": bad_char}))
        self.assertEqual(self.image_ids(), [self.multi["target"]])
        # The CLI sends JSON, which works.
        self.assertEqual(self.docker_ok("image", "inspect", "--platform", "linux/arm64", "-f", "{{.Architecture}}",
                                        "multi:1"), "arm64\n")

    # ---- 7. filter JSON errors; Containers ----

    def test_bad_filter_json_and_containers(self):
        self.load("a.tar")
        for method, path in [("GET", "/v1.50/images/json"), ("POST", "/v1.50/images/prune")]:
            for bad in ("{not json", '["a"]', '{"label":"x"}'):
                status, body = self.api(method, path + "?filters=" + urllib.parse.quote(bad))
                self.assertEqual((status, body), (400, {"message": "invalid filter"}), (path, bad))
        self.assertEqual(self.image_ids(), [self.a["target"]])
        status, listed = self.api("GET", "/v1.50/images/json")
        self.assertEqual([i["Containers"] for i in listed], [-1])
        row = json.loads(self.docker_ok("images", "--format", "json"))
        self.assertEqual(row["Containers"], "N/A")
        status, df = self.api("GET", "/v1.50/system/df")
        self.assertEqual([i["Containers"] for i in df["Images"]], [0])


if __name__ == "__main__":
    unittest.main(verbosity=2)
