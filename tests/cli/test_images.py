"""berth images: docker's table, -q, --digests, --no-trunc, filters, json."""

import json

import clitest
from clitest import created_since, human_size, table

HEADER = ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]


class ImagesTest(clitest.CliTestCase):
    def summary(self, ref):
        """The image's JSON row from --format json (one per repo:tag)."""
        for line in self.ok("images", "--format", "json", "--no-trunc").splitlines():
            obj = json.loads(line)
            if obj["ID"] == ref:
                return obj
        self.fail(f"{ref} not listed")

    def test_empty_store_prints_the_header(self):
        self.assertEqual(self.ok("images"), "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n")
        self.assertEqual(self.ok("images", "--digests"),
                         "REPOSITORY   TAG       DIGEST    IMAGE ID   CREATED   SIZE\n")
        self.assertEqual(self.ok("images", "-q"), "")
        self.assertEqual(self.ok("images", "--format", "json"), "")

    def test_table_rows_per_repository_tag(self):
        a = self.load("alpha:1", "--file", "/a=1")
        b = self.load("beta:2", "--file", "/b=2")
        self.ok("tag", "alpha:1", "alpha:latest")
        self.ok("tag", "alpha:1", "registry.example:5000/team/alpha:3")
        sa, sb = self.summary(a), self.summary(b)
        # All fixture images are created at 2024-01-01T00:00:00Z.
        self.assertEqual(sa["CreatedSince"], created_since(1704067200))
        rows_a = [["alpha", t, a[7:19], sa["CreatedSince"], sa["Size"]] for t in ("1", "latest")]
        rows_a.append(["registry.example:5000/team/alpha", "3", a[7:19], sa["CreatedSince"], sa["Size"]])
        rows_b = [["beta", "2", b[7:19], sb["CreatedSince"], sb["Size"]]]
        out = self.ok("images")
        lines = out.splitlines()
        self.assertEqual(lines[0].split("   ")[0], "REPOSITORY")
        # Same creation time: any order of the two images, rows of one image together.
        expected_ab = table([HEADER] + rows_a + rows_b)
        expected_ba = table([HEADER] + rows_b + rows_a)
        self.assertIn(out, (expected_ab, expected_ba))
        # Layout: at least three spaces between columns, left aligned.
        width = len("registry.example:5000/team/alpha") + 3
        self.assertTrue(any(l.startswith("alpha".ljust(width) + "1 ") for l in lines), out)

    def test_quiet_and_no_trunc(self):
        a = self.load("alpha:1")
        self.ok("tag", "alpha:1", "alpha:2")
        # docker prints one ID per row (per repository:tag).
        self.assertEqual(self.ok("images", "-q"), f"{a[7:19]}\n{a[7:19]}\n")
        self.assertEqual(self.ok("images", "-q", "--no-trunc"), f"{a}\n{a}\n")
        out = self.ok("images", "--no-trunc")
        self.assertIn(f"   {a}   ", out)

    def test_sizes_and_ids_match_inspect(self):
        a = self.load("sized:1", "--file", "/big=" + "x" * 5000)
        info = self.inspect("sized:1")
        s = self.summary(a)
        self.assertEqual(s["Size"], human_size(info["Size"]))
        self.assertEqual(s["VirtualSize"], human_size(info["Size"], 4))
        self.assertRegex(s["Size"], r"^\d+(\.\d+)?(B|kB|MB)$")

    def test_dangling_rows(self):
        old = self.load("dup:1", "--file", "/v=1")
        new = self.load("dup:1", "--file", "/v=2")
        self.assertNotEqual(old, new)
        s_old = self.summary(old)
        self.assertEqual((s_old["Repository"], s_old["Tag"], s_old["Digest"]), ("<none>", "<none>", "<none>"))
        out = self.ok("images", "--filter", "dangling=true")
        self.assertEqual(out.splitlines()[1:],
                         table([HEADER, ["<none>", "<none>", old[7:19], s_old["CreatedSince"], s_old["Size"]]])
                         .splitlines()[1:])
        self.assertEqual(self.ok("images", "-q", "-f", "dangling=false"), new[7:19] + "\n")
        self.assertEqual(sorted(self.ok("images", "-q").split()), sorted([old[7:19], new[7:19]]))

    def test_digest_names(self):
        path, summary = self.fixture(None)
        target = summary["target"]
        path, _ = self.fixture(f"dg@{target}", path=path)
        r = self.berth("load", "-i", path)
        self.assertEqual(r.rc, 0, repr(r))
        s = self.summary(target)
        self.assertEqual((s["Repository"], s["Tag"], s["Digest"]), ("dg", "<none>", ""))
        out = self.ok("images", "--digests")
        self.assertEqual(out, table([["REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE"],
                                     ["dg", "<none>", target, target[7:19], s["CreatedSince"], s["Size"]]]))
        out = self.ok("images")
        self.assertEqual(out, table([HEADER, ["dg", "<none>", target[7:19], s["CreatedSince"], s["Size"]]]))
        # A tag of the same repository absorbs the digest row.
        self.ok("tag", f"dg@{target}", "dg:7")
        self.assertEqual(self.ok("images", "--format", "{{.Repository}}|{{.Tag}}|{{.Digest}}", "--digests"),
                         f"dg|7|{target}\n")
        self.assertEqual(self.ok("images", "--format", "{{.Repository}}|{{.Tag}}|{{.Digest}}"),
                         f"dg|7|{target}\n")
        self.assertEqual(self.ok("images", "--format", "{{.Repository}}|{{.Tag}}"), "dg|7\n")

    def test_json_format(self):
        a = self.load("js:1")
        out = self.ok("images", "--format", "json")
        self.assertEqual(len(out.splitlines()), 1)
        obj = json.loads(out)
        self.assertEqual(list(obj.keys()), ["Containers", "CreatedAt", "CreatedSince", "Digest", "ID",
                                            "Repository", "SharedSize", "Size", "Tag", "UniqueSize",
                                            "VirtualSize"])
        # berth's List counts containers (as API 1.51 does); -1 would print "N/A".
        self.assertEqual(obj["Containers"], "0")
        self.assertEqual(obj["CreatedAt"], "2024-01-01 00:00:00 +0000 UTC")
        self.assertEqual(obj["CreatedSince"], created_since(1704067200))
        self.assertEqual(obj["ID"], a[7:19])
        self.assertEqual((obj["Repository"], obj["Tag"]), ("js", "1"))
        self.assertEqual(obj["SharedSize"], "N/A")
        self.assertEqual(obj["UniqueSize"], "N/A")
        # Go's json.Marshal escapes < and >.
        self.assertIn('"Digest":"\\u003cnone\\u003e"', out)
        self.assertTrue(out.startswith('{"Containers":"0","CreatedAt":'), out)

    def test_custom_template(self):
        a = self.load("tpl:1")
        self.assertEqual(self.ok("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"), f"tpl:1 {a[7:19]}\n")
        self.assertEqual(self.ok("images", "--format", "table {{.Repository}}\\t{{.Tag}}"),
                         "REPOSITORY   TAG\ntpl          1\n")
        r = self.berth("images", "--format", "{{.Nope}}")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertTrue(r.err.startswith("Error: template parsing error: "), r.err)

    def test_reference_filter_and_argument(self):
        a = self.load("web:1", "--file", "/w=1")
        b = self.load("db:1", "--file", "/d=1")
        self.assertEqual(self.ok("images", "-q", "--filter", "reference=web"), a[7:19] + "\n")
        self.assertEqual(self.ok("images", "-q", "db"), b[7:19] + "\n")
        self.assertEqual(self.ok("images", "-q", "--filter", "reference=w*:1"), a[7:19] + "\n")
        self.assertEqual(self.ok("images", "-q", "nothing"), "")

    def test_label_filters(self):
        a = self.load("lab:1", "--label", "tier=web", "--file", "/l=1")
        b = self.load("lab:2", "--label", "tier=db", "--file", "/l=2")
        self.assertEqual(self.ok("images", "-q", "--filter", "label=tier=web"), a[7:19] + "\n")
        self.assertEqual(self.ok("images", "-q", "--filter", "label!=tier=web"), b[7:19] + "\n")
        self.assertEqual(sorted(self.ok("images", "-q", "--filter", "label=tier").split()),
                         sorted([a[7:19], b[7:19]]))

    def test_until_filter(self):
        self.load("until:1")
        # Loaded just now: an "until" an hour ago excludes it, one in the future keeps it.
        self.assertEqual(self.ok("images", "-q", "--filter", "until=1h"), "")
        self.assertNotEqual(self.ok("images", "-q", "--filter", "until=2100-01-01T00:00:00Z"), "")
        r = self.berth("images", "--filter", "until=soon")
        self.assertEqual(r.rc, 1)
        self.assertEqual(r.err, "Error: failed to parse value as time or duration: \"soon\"\n")

    def test_filter_errors(self):
        r = self.berth("images", "--filter", "bogus=1")
        self.assertEqual((r.rc, r.out, r.err), (1, "", "Error: invalid filter 'bogus'\n"))
        r = self.berth("images", "--filter", "dangling=maybe")
        self.assertEqual((r.rc, r.err), (1, "Error: invalid filter 'dangling=[maybe]'\n"))
        r = self.berth("images", "--filter", "novalue")
        self.assertEqual(r.rc, 125)
        self.assertEqual(r.err, 'invalid argument "novalue" for "-f, --filter" flag: '
                                'bad format of filter (expected name=value)\n'
                                "See 'berth images --help'.\n")


if __name__ == "__main__":
    clitest.main()
