"""berth tag and berth rmi: outputs, errors and exit codes."""

import clitest


class TagTest(clitest.CliTestCase):
    def test_tag_adds_a_name(self):
        a = self.load("src:1")
        r = self.berth("tag", "src:1", "dst")
        self.assertEqual((r.rc, r.out, r.err), (0, "", ""))
        self.assertEqual(self.inspect("dst:latest")["Id"], a)
        self.assertEqual(sorted(self.inspect(a)["RepoTags"]), ["dst:latest", "src:1"])
        # By short ID too.
        self.ok("tag", a[7:19], "other/repo:2")
        self.assertEqual(self.inspect("other/repo:2")["Id"], a)

    def test_tag_missing_source(self):
        r = self.berth("tag", "missing", "dst")
        self.assertEqual((r.rc, r.out), (1, ""))
        self.assertEqual(r.err, "Error: No such image: missing:latest\n")

    def test_tag_refuses_digest_and_bad_names(self):
        self.load("src:1")
        r = self.berth("tag", "src:1", "dst@sha256:" + "a" * 64)
        self.assertEqual((r.rc, r.err), (1, "Error: refusing to create a tag with a digest reference\n"))
        r = self.berth("tag", "src:1", "UPPER")
        self.assertEqual(r.rc, 1)
        self.assertEqual(r.err, 'Error: Error parsing reference: "UPPER" is not a valid repository/tag: '
                                'invalid reference format: repository name (library/UPPER) must be lowercase\n')


class RmiTest(clitest.CliTestCase):
    def test_rmi_by_name_untags_then_deletes(self):
        a = self.load("one:1")
        self.ok("tag", "one:1", "one:2")
        r = self.berth("rmi", "one:1")
        self.assertEqual((r.rc, r.out, r.err), (0, "Untagged: one:1\n", ""))
        r = self.berth("rmi", "one:2")
        self.assertEqual((r.rc, r.out, r.err), (0, f"Untagged: one:2\nDeleted: {a}\n", ""))
        self.assertEqual(self.ok("images", "-q"), "")

    def test_rmi_name_defaults_to_latest(self):
        a = self.load("plain")
        self.assertEqual(self.ok("rmi", "plain"), f"Untagged: plain:latest\nDeleted: {a}\n")

    def test_rmi_by_full_and_short_id(self):
        a = self.load("byid:1", "--file", "/x=1")
        self.assertEqual(self.ok("rmi", a), f"Untagged: byid:1\nDeleted: {a}\n")
        b = self.load("byid:2", "--file", "/x=2")
        self.assertEqual(self.ok("rmi", b[7:19]), f"Untagged: byid:2\nDeleted: {b}\n")
        c = self.load("byid:3", "--file", "/x=3")
        self.assertEqual(self.ok("rmi", c[7:13]), f"Untagged: byid:3\nDeleted: {c}\n")

    def test_rmi_by_id_with_several_repositories_needs_force(self):
        a = self.load("multi:1")
        self.ok("tag", "multi:1", "other:1")
        r = self.berth("rmi", a[7:19])
        self.assertEqual((r.rc, r.out), (1, ""))
        self.assertEqual(r.err, f"Error: conflict: unable to delete {a[7:19]} (must be forced) - "
                                "image is referenced in multiple repositories\n")
        r = self.berth("rmi", "-f", a[7:19])
        self.assertEqual((r.rc, r.err), (0, ""), repr(r))
        self.assertEqual(r.out, f"Untagged: multi:1\nUntagged: other:1\nDeleted: {a}\n")

    def test_rmi_by_digest_name(self):
        path, summary = self.fixture(None)
        target = summary["target"]
        path, _ = self.fixture(["dig:1", f"dig@{target}", "other:1"], path=path)
        self.ok("load", "-i", path)
        # A digest reference untags every name of that repository and digest.
        r = self.berth("rmi", f"dig@{target}")
        self.assertEqual((r.rc, r.err), (0, ""), repr(r))
        self.assertEqual(r.out, f"Untagged: dig:1\nUntagged: dig@{target}\n")
        self.assertEqual(self.ok("rmi", "other:1"), f"Untagged: other:1\nDeleted: {target}\n")

    def test_rmi_missing(self):
        r = self.berth("rmi", "missing")
        self.assertEqual((r.rc, r.out, r.err), (1, "", "Error: No such image: missing:latest\n"))

    def test_rmi_force_missing_exits_zero(self):
        r = self.berth("rmi", "-f", "missing")
        self.assertEqual((r.rc, r.out, r.err), (0, "", "Error: No such image: missing:latest\n"))

    def test_rmi_several_with_one_missing(self):
        a = self.load("keep:1")
        r = self.berth("rmi", "gone:1", "keep:1", "gone:2")
        self.assertEqual(r.rc, 1)
        self.assertEqual(r.out, f"Untagged: keep:1\nDeleted: {a}\n")
        self.assertEqual(r.err, "Error: No such image: gone:1\nError: No such image: gone:2\n")

    def test_rmi_force_with_a_non_notfound_error_fails(self):
        r = self.berth("rmi", "-f", "missing", "BAD")
        self.assertEqual(r.rc, 1, repr(r))
        lines = r.err.splitlines()
        self.assertEqual(lines[0], "Error: No such image: missing:latest")
        self.assertTrue(lines[1].startswith("Error: invalid reference format"), r.err)

    def test_rmi_platform_needs_no_force_and_keeps_other_platforms(self):
        # berth differs from Docker here on purpose: removing a platform only
        # drops it from this image, so no --force is needed.
        path, summary = self.fixture("plat:1", "--platform", "linux/amd64", "--platform", "linux/arm64")
        self.ok("load", "-i", path)
        arm = summary["manifests"]["linux/arm64"]
        r = self.berth("rmi", "--platform", "linux/arm64", "plat:1", "missing")
        self.assertEqual((r.rc, r.out, r.err),
                         (1, f"Deleted: {arm}\n", "Error: No such image: missing:latest\n"), repr(r))
        self.assertEqual(self.inspect("plat:1")["Id"], summary["target"])
        # A platform the image does not have: not found, exit 1 without -f.
        r = self.berth("rmi", "--platform", "linux/s390x", "plat:1")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn("does not provide any platform", r.err)

    def test_rmi_platform_with_force_removes_one_platform(self):
        path, summary = self.fixture("plat:1", "--platform", "linux/amd64", "--platform", "linux/arm64")
        self.ok("load", "-i", path)
        arm = summary["manifests"]["linux/arm64"]
        r = self.berth("rmi", "-f", "--platform", "linux/arm64", "plat:1")
        self.assertEqual((r.rc, r.out, r.err), (0, f"Deleted: {arm}\n", ""), repr(r))
        # The image itself stays.
        self.assertEqual(self.inspect("plat:1")["Id"], summary["target"])

    def test_rmi_platform_flag_is_repeatable_and_comma_separated(self):
        platforms = ["linux/amd64", "linux/arm64", "linux/s390x", "linux/ppc64le"]
        args = [a for p in platforms for a in ("--platform", p)]
        path, summary = self.fixture("plat:1", *args)
        self.ok("load", "-i", path)
        m = summary["manifests"]
        r = self.berth("rmi", "-f", "--platform", "linux/arm64,linux/s390x", "--platform", "linux/ppc64le",
                       "plat:1")
        self.assertEqual((r.rc, r.err), (0, ""), repr(r))
        self.assertEqual(sorted(r.out.splitlines()),
                         sorted(f"Deleted: {m[p]}" for p in ("linux/arm64", "linux/s390x", "linux/ppc64le")))
        self.assertEqual(self.inspect("plat:1")["Id"], summary["target"])
        r = self.berth("rmi", "-f", "--platform", "a/b/c/d", "plat:1")
        self.assertEqual((r.rc, r.out), (1, ""), repr(r))
        self.assertTrue(r.err.startswith("Error: "), r.err)

    def test_rmi_no_prune_keeps_the_record_loop_going(self):
        a = self.load("np:1")
        r = self.berth("rmi", "--no-prune", "np:1")
        self.assertEqual((r.rc, r.out, r.err), (0, f"Untagged: np:1\nDeleted: {a}\n", ""))


if __name__ == "__main__":
    clitest.main()
