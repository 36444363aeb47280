"""docker build end to end: the real docker CLI (28.2.2, classic builder
without buildx: POST /build) and the Python SDK build images from busybox
(berth-fixture --busybox) in berthd: RUN output and failures, COPY/ADD and
.dockerignore, the result's config, multi-stage with a target, the build
cache, intermediate images and their pruning, hostile contexts and refused
parameters."""

import base64
import io
import json
import os
import re
import sys
import tarfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from berth_e2e import Daemon, DaemonTestCase, UnixConnection, await_condition, fixture, free_port  # noqa: E402
from containers_test import can_run_containers  # noqa: E402
from registry_test import PASSWORD, REGISTRY, SKOPEO, USER, Registry  # noqa: E402

HEX12 = re.compile(r"^[0-9a-f]{12}$")


def write_context(root, files):
    os.makedirs(root, exist_ok=True)
    for name, data in files.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
    return root


def tar_bytes(entries):
    """A tar of (TarInfo fields, data) pairs."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for info, data in entries:
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def file_info(name, data):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mode = 0o644
    return ti, data


@unittest.skipUnless(can_run_containers(), "needs root and runc")
class BuildTestCase(DaemonTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        fixture(os.path.join(cls.tmp, "bb.tar"), "-n", "bb:1", "--busybox")

    @classmethod
    def tearDownClass(cls):
        try:
            rc, out, _ = cls.d.docker("ps", "-a", "-q", "--no-trunc")
            if rc == 0 and out.split():
                cls.d.docker("rm", "-f", *out.split())
        finally:
            super().tearDownClass()

    def setUp(self):
        ids = self.docker_ok("ps", "-a", "-q", "--no-trunc").split()
        if ids:
            self.d.docker("rm", "-f", *ids)
        self.rmi_all()
        self.docker_ok("load", "-i", self.path("bb.tar"))
        self.ctx_n = getattr(self, "ctx_n", 0)

    def context(self, name, files):
        return write_context(self.path("ctx-" + self._testMethodName + "-" + name), files)

    def build(self, ctx, *args):
        rc, out, err = self.d.docker("build", *args, ctx, timeout=300)
        return rc, out, err

    def build_ok(self, ctx, *args):
        rc, out, err = self.build(ctx, *args)
        self.assertEqual(rc, 0, out + err)
        return out

    def all_image_ids(self):
        return sorted(set(self.docker_ok("images", "-a", "-q", "--no-trunc").split()))

    CACHED_APP = {
        "Dockerfile": "FROM bb:1\nENV A=1\nRUN echo ran > /ran\nCOPY f /f\nCMD [\"cat\", \"/f\"]\n",
        "f": "content\n",
    }

    def saved_app(self, name):
        """Builds CACHED_APP as app:1 and saves it (with bb:1) to an archive."""
        ctx = self.context(name, dict(self.CACHED_APP))
        self.build_ok(ctx, "-t", "app:1")
        archive = self.path(name + "-app.tar")
        self.docker_ok("save", "-o", archive, "app:1")
        return ctx, archive, self.docker_ok("image", "inspect", "-f", "{{.Id}}", "app:1").strip()

    def fresh_daemon(self, name, archive):
        """A new berthd on an empty data root with bb:1 and `archive` loaded."""
        root = self.path("fresh-" + name)
        os.makedirs(root)
        d = Daemon(root, name="fresh").start()
        self.addCleanup(d.stop)
        for a in (self.path("bb.tar"), archive):
            rc, out, err = d.docker("load", "-i", a)
            self.assertEqual(rc, 0, out + err)
        return d


class CliBuildTest(BuildTestCase):
    def test_run_copy_add_env_cmd_workdir_and_dockerignore(self):
        inner = tar_bytes([file_info("extracted/inside.txt", b"from the archive\n")])
        ctx = self.context("main", {
            "Dockerfile": "FROM bb:1\n"
                          "ENV GREETING=hello\n"
                          "RUN echo \"$GREETING from run\" && mkdir /made\n"
                          "COPY file.txt dir /app/\n"
                          "COPY . /ctx\n"
                          "ADD inner.tar /unpacked/\n"
                          "WORKDIR /app/sub\n"
                          "LABEL purpose=test\n"
                          "CMD [\"sh\", \"-c\", \"pwd; echo $GREETING; cat /app/file.txt /app/nested.txt "
                          "/unpacked/extracted/inside.txt; ls /made /ctx\"]\n",
            "file.txt": "a file\n",
            "dir/nested.txt": "nested\n",
            "secret.txt": "never sent\n",
            ".dockerignore": "secret.txt\n",
            "inner.tar": inner,
        })
        out = self.build_ok(ctx, "-t", "built:1")
        lines = out.splitlines()
        self.assertIn("Step 1/9 : FROM bb:1", lines)
        self.assertIn("Step 3/9 : RUN echo \"$GREETING from run\" && mkdir /made", lines)
        self.assertIn("hello from run", lines)
        # Every step but COPY/ADD runs in (RUN) or commits (the others) a step
        # container, removed after it; Docker's order of lines.
        running = [l.split()[-1] for l in lines if l.startswith(" ---> Running in ")]
        self.assertEqual(len(running), 5, out)
        for cid in running:
            i = lines.index(" ---> Running in " + cid)
            self.assertIn(" ---> Removed intermediate container " + cid, lines[i + 1:i + 3])
        i = lines.index(" ---> Running in " + running[1])
        self.assertEqual(lines[i + 1], "hello from run")
        built = [l for l in lines if l.startswith("Successfully built ")]
        self.assertEqual(len(built), 1, out)
        self.assertIn("Successfully tagged built:1", lines)
        image_id = self.docker_ok("image", "inspect", "-f", "{{.Id}}", "built:1").strip()
        self.assertEqual(built[0].split()[-1], image_id[len("sha256:"):][:12])
        run = self.docker_ok("run", "--rm", "built:1").splitlines()
        self.assertEqual(run[0], "/app/sub")
        self.assertEqual(run[1:5], ["hello", "a file", "nested", "from the archive"])
        self.assertNotIn("secret.txt", run)
        self.assertIn("file.txt", run)
        self.assertIn("Dockerfile", run)
        self.assertEqual(self.docker_ok("image", "inspect", "-f", "{{index .Config.Labels \"purpose\"}}",
                                        "built:1").strip(), "test")
        # The step container is gone; docker history shows each instruction.
        self.assertEqual(self.docker_ok("ps", "-a", "-q").split(), [])
        history = self.docker_ok("history", "--no-trunc", "--format", "{{.CreatedBy}}", "built:1").splitlines()
        self.assertEqual(history[:3], [
            "/bin/sh -c #(nop)  CMD [\"sh\" \"-c\" \"pwd; echo $GREETING; cat /app/file.txt /app/nested.txt "
            "/unpacked/extracted/inside.txt; ls /made /ctx\"]",
            "/bin/sh -c #(nop)  LABEL purpose=test",
            "/bin/sh -c #(nop) WORKDIR /app/sub",
        ])
        self.assertIn("/bin/sh -c echo \"$GREETING from run\" && mkdir /made", history)
        self.assertIn("/bin/sh -c #(nop)  ENV GREETING=hello", history)
        self.assertTrue(any(re.fullmatch(r"/bin/sh -c #\(nop\) COPY multi:[0-9a-f]{64} in /app/ ", h)
                            for h in history), history)

    def test_run_failure_is_dockers_error_and_keeps_the_container(self):
        ctx = self.context("fail", {"Dockerfile": "FROM bb:1\nRUN echo before\nRUN false\n"})
        before = self.all_image_ids()
        rc, out, err = self.build(ctx, "-t", "never:1")
        self.assertEqual(rc, 1, out + err)
        self.assertIn("before", out)
        self.assertIn("The command '/bin/sh -c false' returned a non-zero code: 1", err)
        self.docker_fails("image", "inspect", "never:1")
        # The step that succeeded was committed; the failed step's container stays (rm applies on success).
        self.assertEqual(len(self.all_image_ids()), len(before) + 1)
        self.assertEqual(len(self.docker_ok("ps", "-a", "-q").split()), 1)
        # --force-rm removes it too.
        self.d.docker("rm", "-f", *self.docker_ok("ps", "-a", "-q").split())
        rc, out, err = self.build(ctx, "--force-rm")
        self.assertEqual(rc, 1)
        self.assertEqual(self.docker_ok("ps", "-a", "-q").split(), [])

    def test_multi_stage_and_target(self):
        ctx = self.context("stages", {
            "Dockerfile": "ARG BASE=bb:1\n"
                          "FROM $BASE AS first\n"
                          "RUN echo one > /one\n"
                          "FROM first AS second\n"
                          "RUN echo two > /two\n"
                          "CMD cat /one /two\n"
                          "FROM bb:1\n"
                          "CMD echo third\n",
        })
        out = self.build_ok(ctx, "--target", "second", "-t", "stage:2")
        self.assertIn("Step 6/6 : CMD cat /one /two", out.splitlines())
        self.assertNotIn("third", out)
        self.assertEqual(self.docker_ok("run", "--rm", "stage:2").split(), ["one", "two"])
        out = self.build_ok(ctx, "-t", "stage:3")
        self.assertIn("Step 8/8 : CMD echo third", out.splitlines())
        self.assertEqual(self.docker_ok("run", "--rm", "stage:3").strip(), "third")
        rc, out, err = self.build(ctx, "--target", "nope")
        self.assertEqual(rc, 1)
        self.assertIn("failed to reach build target nope in Dockerfile", err)

    def test_cache_intermediates_and_rmi_pruning(self):
        ctx = self.context("cache", {
            "Dockerfile": "FROM bb:1\nENV A=1\nRUN echo ran > /ran\nCOPY f /f\nWORKDIR /w\n",
            "f": "content\n",
        })
        base = self.all_image_ids()
        first = self.build_ok(ctx, "-t", "cached:1")
        self.assertNotIn("Using cache", first)
        built = self.all_image_ids()
        self.assertEqual(len(built), len(base) + 4, built)  # one image per step after FROM
        listed = self.docker_ok("images", "-a", "--format", "{{.Repository}}:{{.Tag}}").split()
        self.assertEqual(listed.count("<none>:<none>"), 3, listed)
        second = self.build_ok(ctx, "-t", "cached:1")
        self.assertEqual(second.count(" ---> Using cache"), 4, second)
        self.assertNotIn("Running in", second)
        self.assertEqual(self.all_image_ids(), built)
        # docker rmi of the tag prunes its untagged intermediates.
        self.docker_ok("rmi", "cached:1")
        self.assertEqual(self.all_image_ids(), base)
        # Built again: no cache left; then a changed source misses the cache from that step on.
        self.assertNotIn("Using cache", self.build_ok(ctx, "-t", "cached:1"))
        with open(os.path.join(ctx, "f"), "w") as f:
            f.write("changed\n")
        third = self.build_ok(ctx, "-t", "cached:2")
        self.assertEqual(third.count(" ---> Using cache"), 2, third)
        self.assertEqual(self.docker_ok("run", "--rm", "cached:2", "cat", "/f"), "changed\n")
        nocache = self.build_ok(ctx, "--no-cache", "-t", "cached:3")
        self.assertNotIn("Using cache", nocache)
        self.assertIn(" ---> Running in ", nocache)

    def test_cache_from_a_loaded_image_uses_its_layers(self):
        ctx, archive, app_id = self.saved_app("cf")
        d = self.fresh_daemon("cf", archive)
        rc, out, err = d.docker("build", "-t", "plain:1", ctx, timeout=300)
        self.assertEqual(rc, 0, out + err)
        self.assertNotIn("Using cache", out)  # loaded images have no build cache of their own
        rc, out, _ = d.docker("images", "-a", "-q", "--no-trunc")
        before_cache_from = sorted(out.split())
        rc, out, err = d.docker("build", "--cache-from", "app:1", "-t", "app:2", ctx, timeout=300)
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(out.count(" ---> Using cache"), 4, out)
        self.assertNotIn("Running in", out)
        rc, out, _ = d.docker("image", "inspect", "-f", "{{.Id}} {{.Parent}}", "app:2")
        built_id, parent = out.split()
        self.assertEqual(built_id, app_id)
        # As Docker: the cache-from image is now the child of the re-created COPY step.
        rc, out, _ = d.docker("image", "inspect", "-f", "{{index .Config.Cmd 2}}", parent)
        self.assertRegex(out, r"^#\(nop\) COPY file:[0-9a-f]{64} in /f \n$")
        # The re-created steps are the image's untagged parents: docker rmi prunes them.
        rc, out, err = d.docker("rmi", "app:1", "app:2")
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(out.count("Deleted: "), 4, out)  # the image, COPY, RUN and ENV
        rc, out, _ = d.docker("images", "-a", "-q", "--no-trunc")
        self.assertEqual(sorted(out.split()), [i for i in before_cache_from if i != app_id])
        rc, out, err = d.docker("load", "-i", archive)
        self.assertEqual(rc, 0, out + err)
        # A changed file: the steps before it come from app:1's layers, the COPY runs again.
        with open(os.path.join(ctx, "f"), "w") as f:
            f.write("changed\n")
        rc, out, err = d.docker("build", "--cache-from", "app:1", "-t", "app:3", ctx, timeout=300)
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(out.count(" ---> Using cache"), 2, out)
        rc, out, err = d.docker("run", "--rm", "app:3", "cat", "/ran", "/f")
        self.assertEqual((rc, out), (0, "ran\nchanged\n"), err)
        layers = {}
        for ref in ("app:1", "app:3"):
            rc, out, _ = d.docker("image", "inspect", "-f", "{{json .RootFS.Layers}}", ref)
            layers[ref] = json.loads(out)
        self.assertEqual(layers["app:3"][:-1], layers["app:1"][:-1])  # busybox and RUN's layer reused
        self.assertNotEqual(layers["app:3"][-1], layers["app:1"][-1])

    def test_cache_from_a_missing_image_is_skipped_and_local_hits_do_not_count(self):
        ctx = self.context("cfmissing", dict(self.CACHED_APP))
        self.build_ok(ctx, "-t", "app:1")
        self.assertEqual(self.build_ok(ctx, "-t", "app:1").count(" ---> Using cache"), 4)
        # As Docker: a cache-from image that cannot be found is skipped (a warning
        # in the daemon's log), and a local hit counts only as an ancestor of a
        # cache-from image: none here, so every step runs again.
        out = self.build_ok(ctx, "--cache-from", "nosuch:1", "-t", "app:2")
        self.assertNotIn("Using cache", out)
        self.assertIn("Could not look up nosuch:1 for cache resolution", self.d.read_log())
        # Naming the image built here: its own chain counts.
        out = self.build_ok(ctx, "--cache-from", "app:1", "-t", "app:3")
        self.assertEqual(out.count(" ---> Using cache"), 4, out)
        self.assertEqual(self.docker_ok("image", "inspect", "-f", "{{.Id}}", "app:1", "app:3").split()[0],
                         self.docker_ok("image", "inspect", "-f", "{{.Id}}", "app:3").strip())

    def test_cache_follows_the_sources_and_extracts_the_context_only_on_a_miss(self):
        ctx = self.context("lazy", {
            "Dockerfile": "FROM bb:1\nCOPY d /d\nCOPY f /f\nRUN cat /d/sub/x /f > /both\n",
            "d/sub/x": "x1\n",
            "d/y": "y\n",
            "f": "f1\n",
        })
        self.build_ok(ctx, "-t", "lazy:1")
        self.assertEqual(self.build_ok(ctx, "-t", "lazy:1").count(" ---> Using cache"), 3)
        # A changed file after a hit: the context is written then, mid-build.
        with open(os.path.join(ctx, "f"), "w") as f:
            f.write("f2\n")
        out = self.build_ok(ctx, "-t", "lazy:2")
        self.assertEqual(out.count(" ---> Using cache"), 1, out)
        self.assertEqual(self.docker_ok("run", "--rm", "lazy:2", "cat", "/both"), "x1\nf2\n")
        # A file deep in a copied directory, or its mode, misses that step.
        with open(os.path.join(ctx, "d", "sub", "x"), "w") as f:
            f.write("x2\n")
        out = self.build_ok(ctx, "-t", "lazy:3")
        self.assertNotIn("Using cache", out)
        self.assertEqual(self.docker_ok("run", "--rm", "lazy:3", "cat", "/both"), "x2\nf2\n")
        os.chmod(os.path.join(ctx, "d", "y"), 0o600)
        out = self.build_ok(ctx, "-t", "lazy:4")
        self.assertNotIn("Using cache", out)
        self.assertEqual(self.docker_ok("run", "--rm", "lazy:4", "busybox", "stat", "-c", "%a", "/d/y").strip(), "600")

    def test_add_archive_keeps_absolute_links_and_never_writes_through_one(self):
        def link(name, target):
            ti = tarfile.TarInfo(name)
            ti.type = tarfile.SYMTYPE
            ti.linkname = target
            return ti, None
        links = tar_bytes([link("abs", "/etc/passwd"), link("etc", "/etc"), link("up", "../../../bin/sh"),
                           file_info("plain", b"plain\n")])
        ctx = self.context("links", {
            "Dockerfile": "FROM bb:1\nRUN mkdir -p /etc && echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd\n"
                          "ADD links.tar /dst/\n",
            "links.tar": links,
        })
        self.build_ok(ctx, "-t", "links:1")
        out = self.docker_ok("run", "--rm", "links:1", "sh", "-c",
                             "for l in abs etc up; do busybox readlink /dst/$l; done; cat /dst/abs /dst/plain")
        self.assertEqual(out.splitlines(), ["/etc/passwd", "/etc", "../../../bin/sh",
                                            "root:x:0:0:root:/root:/bin/sh", "plain"])
        # An entry through a link (to a host directory here) is refused.
        outside = self.path("outside-" + self._testMethodName)
        os.makedirs(outside, exist_ok=True)
        hostile = tar_bytes([link("esc", outside), file_info("esc/pwned", b"pwned\n")])
        ctx = self.context("hostile", {
            "Dockerfile": "FROM bb:1\nADD evil.tar /dst/\n",
            "evil.tar": hostile,
        })
        ids = self.all_image_ids()
        rc, out, err = self.build(ctx, "-t", "evil:1")
        self.assertNotEqual(rc, 0, out)
        self.assertIn("is a symbolic link", out + err)
        self.assertEqual(os.listdir(outside), [])
        self.assertEqual(self.all_image_ids(), ids)
        self.docker_ok("version")

    def test_run_in_a_scratch_stage(self):
        # No shell: the step's container starts on an empty root filesystem
        # and the exec fails as Docker's does.
        ctx = self.context("noshell", {"Dockerfile": "FROM scratch\nRUN echo hi\n"})
        ids = self.all_image_ids()
        rc, out, err = self.build(ctx, "-t", "noshell:1")
        self.assertNotEqual(rc, 0, out)
        self.assertIn('exec: "/bin/sh": stat /bin/sh: no such file or directory', out + err)
        self.assertIn(" ---> Running in ", out)
        self.assertEqual(self.all_image_ids(), ids)  # the failed step's container is kept, no image left
        kept = self.docker_ok("ps", "-a", "-q").split()
        self.assertEqual(len(kept), 1, kept)
        self.docker_ok("rm", kept[0])
        # The JSON form runs a binary copied in first.
        with open("/bin/busybox", "rb") as f:
            busybox = f.read()
        ctx = self.context("static", {
            "Dockerfile": "FROM scratch\nCOPY busybox /bin/busybox\n"
                          "RUN [\"/bin/busybox\", \"sh\", \"-c\", \"echo from scratch > /made\"]\n",
            "busybox": busybox,
        })
        os.chmod(os.path.join(ctx, "busybox"), 0o755)
        out = self.build_ok(ctx, "-t", "static:1")
        self.assertIn(" ---> Running in ", out)
        self.assertEqual(self.docker_ok("run", "--rm", "static:1", "/bin/busybox", "cat", "/made"), "from scratch\n")
        # Two layers, no parent before the COPY, and no helper image left behind.
        layers = json.loads(self.docker_ok("image", "inspect", "-f", "{{json .RootFS.Layers}}", "static:1"))
        self.assertEqual(len(layers), 2)
        self.assertEqual(len(self.all_image_ids()), len(ids) + 2)

    def test_metadata_instructions_and_onbuild(self):
        ctx = self.context("meta", {
            "Dockerfile": "FROM bb:1\n"
                          "MAINTAINER someone\n"
                          "USER 1000:1000\n"
                          "EXPOSE 80 53/udp 8000-8001\n"
                          "VOLUME /data\n"
                          "STOPSIGNAL SIGUSR1\n"
                          "HEALTHCHECK --interval=5s --retries=3 CMD true\n"
                          "SHELL [\"/bin/sh\", \"-ec\"]\n"
                          "ENTRYPOINT [\"echo\", \"entry\"]\n"
                          "ONBUILD ENV TRIGGERED=yes\n"
                          "ONBUILD RUN echo triggered-run\n",
        })
        self.build_ok(ctx, "-t", "meta:1")
        cfg = json.loads(self.docker_ok("image", "inspect", "-f", "{{json .Config}}", "meta:1"))
        self.assertEqual(cfg["User"], "1000:1000")
        self.assertEqual(sorted(cfg["ExposedPorts"]), ["53/udp", "80/tcp", "8000/tcp", "8001/tcp"])
        self.assertEqual(list(cfg["Volumes"]), ["/data"])
        self.assertEqual(cfg["StopSignal"], "SIGUSR1")
        self.assertEqual(cfg["Healthcheck"]["Test"], ["CMD-SHELL", "true"])
        self.assertEqual(cfg["Healthcheck"]["Interval"], 5 * 10**9)
        self.assertEqual(cfg["Healthcheck"]["Retries"], 3)
        self.assertEqual(cfg["Shell"], ["/bin/sh", "-ec"])
        self.assertEqual(cfg["Entrypoint"], ["echo", "entry"])
        self.assertEqual(cfg["OnBuild"], ["ENV TRIGGERED=yes", "RUN echo triggered-run"])
        self.assertEqual(self.docker_ok("image", "inspect", "-f", "{{.Author}}", "meta:1").strip(), "someone")
        self.assertEqual(self.docker_ok("run", "--rm", "meta:1", "x").strip(), "entry x")
        child = self.context("child", {"Dockerfile": "FROM meta:1\nUSER 0\nENTRYPOINT []\nCMD echo $TRIGGERED\n"})
        out = self.build_ok(child, "-t", "child:1")
        self.assertIn("# Executing 2 build triggers", out.splitlines())
        self.assertIn("triggered-run", out.splitlines())
        self.assertEqual(self.docker_ok("run", "--rm", "child:1").strip(), "yes")
        self.assertIsNone(json.loads(self.docker_ok("image", "inspect", "-f", "{{json .Config}}",
                                                    "child:1")).get("OnBuild"))

    def test_dockerfile_sources(self):
        ctx = self.context("sources", {
            "sub/Other": "FROM bb:1\nCOPY . /ctx\nCMD ls -a /ctx\n",
            "Dockerfile": "FROM bb:1\nCOPY . /ctx\nCMD ls -a /ctx\n",
            ".dockerignore": "Dockerfile\n.dockerignore\n",
            "kept": "x",
        })
        # -f in the context; the Dockerfile and .dockerignore that .dockerignore
        # names are not part of the context the steps see.
        self.build_ok(ctx, "-f", os.path.join(ctx, "sub", "Other"), "-t", "src:1")
        self.assertEqual(self.docker_ok("run", "--rm", "src:1").split(), [".", "..", "kept", "sub"])
        self.build_ok(ctx, "-t", "src:2")
        self.assertEqual(self.docker_ok("run", "--rm", "src:2").split(), [".", "..", "kept", "sub"])
        # The Dockerfile from standard input, with and without a context.
        rc, out, err = self.d.docker("build", "-t", "src:3", "-f", "-", ctx,
                                     input=b"FROM bb:1\nCOPY kept /kept\nCMD cat /kept\n")
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(self.docker_ok("run", "--rm", "src:3"), "x")
        rc, out, err = self.d.docker("build", "-t", "src:4", "-", input=b"FROM bb:1\nCMD echo stdin\n")
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(self.docker_ok("run", "--rm", "src:4").strip(), "stdin")

    def test_rm_false_keeps_step_containers(self):
        ctx = self.context("keep", {"Dockerfile": "FROM bb:1\nRUN echo kept\n"})
        out = self.build_ok(ctx, "--rm=false")
        self.assertNotIn("Removed intermediate container", out)
        cid = [l for l in out.splitlines() if l.startswith(" ---> Running in ")][0].split()[-1]
        self.assertEqual(self.docker_ok("ps", "-a", "-q"), cid + "\n")

    def test_chown_names_from_the_image(self):
        ctx = self.context("chown", {
            "Dockerfile": "FROM bb:1\n"
                          "RUN mkdir -p /etc && echo 'app:x:1001:1001::/:/bin/sh' >> /etc/passwd && "
                          "echo 'app:x:1002:' >> /etc/group\n"
                          "COPY --chown=app f /f\n"
                          "COPY --chown=app:0 f /g\n"
                          "CMD stat -c %u:%g /f /g\n",
            "f": "x",
        })
        self.build_ok(ctx, "-t", "chown:1")
        self.assertEqual(self.docker_ok("run", "--rm", "chown:1").split(), ["1001:1002", "1001:0"])
        bad = self.context("chownbad", {"Dockerfile": "FROM bb:1\nCOPY --chown=nobody f /f\n", "f": "x"})
        rc, out, err = self.build(bad)
        self.assertEqual(rc, 1)
        self.assertIn("can't find uid for user nobody", err)

    def test_existing_directories_keep_their_mode_and_owner(self):
        ctx = self.context("modes", {
            "Dockerfile": "FROM bb:1\n"
                          "RUN mkdir -m 1777 /shared && chown 5:6 /shared\n"
                          "COPY f /shared/\n"
                          "WORKDIR /shared/w\n"
                          "CMD stat -c '%a %u:%g' /shared /shared/f /shared/w\n",
            "f": "x",
        })
        self.build_ok(ctx, "-t", "modes:1")
        self.assertEqual(self.docker_ok("run", "--rm", "modes:1").splitlines(),
                         ["1777 5:6", "644 0:0", "755 0:0"])

    def test_quiet_prints_only_the_id(self):
        ctx = self.context("quiet", {"Dockerfile": "FROM bb:1\nRUN echo noisy\n"})
        out = self.build_ok(ctx, "-q", "-t", "quiet:1")
        image_id = self.docker_ok("image", "inspect", "-f", "{{.Id}}", "quiet:1").strip()
        self.assertEqual(out.strip(), image_id)

    def test_copy_from_stage_and_image(self):
        ctx = self.context("from", {
            "Dockerfile": "FROM bb:1 AS builder\n"
                          "RUN mkdir -p /out/sub && echo built > /out/sub/artifact && "
                          "chown 1234:5678 /out/sub/artifact && rm /bin/true\n"
                          "FROM scratch\n"
                          "COPY --from=builder /out /result\n"
                          "COPY --from=0 /bin/busybox /bin/\n"
                          "COPY --from=bb:1 /bin/true /bin/true\n"
                          "COPY --from=builder --chown=7:8 /out/sub/artifact /owned\n"
                          "COPY --from=builder /out/s*/art* /out/sub/* /globbed/\n"
                          "CMD [\"/bin/busybox\", \"sh\", \"-c\", \"cat /result/sub/artifact; "
                          "/bin/busybox stat -c %u:%g /result/sub/artifact /owned; /bin/true && echo true-ran; "
                          "/bin/busybox ls /globbed\"]\n",
        })
        self.build_ok(ctx, "-t", "from:1")
        self.assertEqual(self.docker_ok("run", "--rm", "from:1").split(),
                         ["built", "1234:5678", "7:8", "true-ran", "artifact"])
        # A removed file is absent in the stage (whiteouts apply).
        bad = self.context("fromgone", {"Dockerfile": "FROM bb:1 AS b\nRUN rm /bin/true\n"
                                                    "FROM bb:1\nCOPY --from=b /bin/true /x\n"})
        rc, out, err = self.build(bad)
        self.assertEqual(rc, 1)
        self.assertIn("COPY failed: stat /bin/true: file does not exist", err)

    def test_unknown_base_image(self):
        ctx = self.context("nobase", {"Dockerfile": "FROM nothere:1\n"})
        rc, out, err = self.build(ctx)
        self.assertEqual(rc, 1)
        self.assertIn("No such image: nothere:1", err)


class BuildCacheTest(BuildTestCase):
    """docker builder prune, POST /build/prune and system df's Build Cache:
    the cache is the unnamed step images builds leave."""

    def disk_usage_cache(self):
        status, _, data = self.d.request("GET", "/v1.50/system/df?type=build-cache")
        self.assertEqual(status, 200, data)
        return json.loads(data)["BuildCache"]

    def build_two(self):
        kept = self.context("kept", {"Dockerfile": "FROM bb:1\nENV A=1\nLABEL x=y\nCOPY f /f\n",
                                     "f": "kept\n" * 1000})
        self.build_ok(kept, "-t", "kept:1")
        orphan = self.context("orphan", {"Dockerfile": "FROM bb:1\nENV B=2\nCOPY g /g\n", "g": "orphan\n"})
        orphan_id = self.build_ok(orphan, "-q").strip()
        return kept, orphan_id

    def test_df_lists_the_cache_and_builder_prune_removes_it(self):
        base = self.all_image_ids()
        kept, orphan_id = self.build_two()
        kept_id = self.docker_ok("image", "inspect", "-f", "{{.Id}}", "kept:1").strip()
        built = self.all_image_ids()
        cache = self.disk_usage_cache()
        # kept:1's two intermediates, and both images of the untagged build.
        self.assertEqual(len(cache), 4, cache)
        self.assertEqual(sorted(c["ID"] for c in cache), sorted(set(built) - set(base) - {kept_id}))
        self.assertIn(orphan_id, [c["ID"] for c in cache])
        for c in cache:
            self.assertEqual(c["Type"], "regular")
            self.assertFalse(c["Shared"])
            self.assertFalse(c["InUse"])
            self.assertTrue(c["CreatedAt"] and c["LastUsedAt"], c)
        descriptions = sorted(c["Description"] for c in cache)
        self.assertTrue(any("COPY file:" in d for d in descriptions), descriptions)
        self.assertTrue(any("ENV B=2" in d for d in descriptions), descriptions)
        # A metadata step adds a config, a COPY a layer as well.
        env_size = max(c["Size"] for c in cache if "ENV " in c["Description"])
        copy_size = min(c["Size"] for c in cache if "COPY " in c["Description"])
        self.assertGreater(env_size, 0, cache)
        self.assertGreater(copy_size, env_size + 1024, cache)
        # The Build Cache line of docker system df.
        out = self.docker_ok("system", "df", "--format", "{{.Type}} {{.TotalCount}} {{.Active}}")
        self.assertIn("Build Cache 4 0", out)

        # Without -a: only the cache no named image is built on (the untagged build's).
        out = self.docker_ok("builder", "prune", "-f")
        self.assertIn(orphan_id, out)
        self.assertIn("Total reclaimed space", out)
        remaining = self.all_image_ids()
        self.assertNotIn(orphan_id, remaining)
        self.assertEqual(len(remaining), len(built) - 2, remaining)
        self.assertEqual(len(self.disk_usage_cache()), 2)
        again = self.build_ok(kept, "-t", "kept:1")
        self.assertEqual(again.count(" ---> Using cache"), 3, again)

        # A cache image a container uses is kept by -a; the rest goes, the tag stays.
        in_use = sorted(c["ID"] for c in self.disk_usage_cache())[0]
        self.docker_ok("create", "--name", "user", in_use, "true")
        used = [c for c in self.disk_usage_cache() if c["ID"] == in_use]
        self.assertTrue(used[0]["InUse"], used)
        self.docker_ok("builder", "prune", "-a", "-f")
        self.assertEqual(self.all_image_ids(), sorted(set(base) | {kept_id, in_use}))
        self.docker_ok("rm", "user")
        self.docker_ok("builder", "prune", "-a", "-f")
        self.assertEqual(self.all_image_ids(), sorted(set(base) | {kept_id}))
        self.assertEqual(self.disk_usage_cache(), [])
        self.assertEqual(self.docker_ok("run", "--rm", "kept:1", "cat", "/f"), "kept\n" * 1000)

    def test_until_filter_and_refusals(self):
        base = self.all_image_ids()
        self.build_two()
        built = self.all_image_ids()
        # until: only what was created before the time; everything is newer than an hour ago.
        out = self.docker_ok("builder", "prune", "-a", "-f", "--filter", "until=1h")
        self.assertEqual(self.all_image_ids(), built, out)
        for args, name in [(["--filter", "id=x"], "id"), (["--filter", "type=regular"], "type"),
                           (["--filter", "unused-for=1h"], "unused-for"), (["--keep-storage", "1MB"], "keep-storage")]:
            rc, out, err = self.d.docker("builder", "prune", "-f", *args)
            self.assertNotEqual(rc, 0, args)
            self.assertIn('"%s"' % name, out + err, args)
        rc, out, err = self.d.docker("builder", "prune", "-f", "--filter", "nonsense=1")
        self.assertNotEqual(rc, 0)
        self.assertIn("invalid filter 'nonsense'", out + err)
        self.assertEqual(self.all_image_ids(), built)
        self.docker_ok("builder", "prune", "-a", "-f", "--filter", "until=2000-01-01T00:00:00Z")
        self.assertEqual(self.all_image_ids(), built)
        self.docker_ok("rmi", "kept:1")
        self.docker_ok("builder", "prune", "-a", "-f")
        self.assertEqual(self.all_image_ids(), base)

    def test_sdk_prune_builds(self):
        try:
            import docker
        except ImportError:
            self.skipTest("docker SDK missing")
        _, orphan_id = self.build_two()
        c = docker.APIClient(base_url=self.d.host, version="1.50")
        report = c.prune_builds()
        self.assertEqual(len(report["CachesDeleted"]), 2, report)
        self.assertIn(orphan_id, report["CachesDeleted"])
        self.assertGreater(report["SpaceReclaimed"], 0)
        report = c.prune_builds(all=True)
        self.assertEqual(len(report["CachesDeleted"]), 2, report)
        self.assertEqual(c.prune_builds(all=True), {"CachesDeleted": None, "SpaceReclaimed": 0})
        self.assertEqual(c.df()["BuildCache"], [])
        c.close()


@unittest.skipUnless(os.path.exists(REGISTRY) and os.path.exists(SKOPEO), "needs docker-registry and skopeo")
class BuildPullTest(BuildTestCase):
    """docker build --pull against a local docker-registry."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.reg = Registry(cls.tmp).start()
            cls.reg.seed(os.path.join(cls.tmp, "bb.tar"), "base/bb:remote")
        except BaseException:
            super().tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.reg.stop()
        super().tearDownClass()

    def test_pull_fetches_the_from_image_with_progress(self):
        base = "%s/base/bb:remote" % self.reg.host
        ctx = self.context("pull", {
            "Dockerfile": "FROM %s AS first\nRUN echo pulled > /p\nFROM first\nRUN cat /p\n" % base,
        })
        rc, _, _ = self.d.docker("image", "inspect", base)
        self.assertNotEqual(rc, 0)
        # Without --pull a missing base image stays an error naming --pull.
        rc, out, err = self.build(ctx, "-t", "pulled:1")
        self.assertNotEqual(rc, 0)
        self.assertIn("No such image: " + base, out + err)
        out = self.build_ok(ctx, "--pull", "-t", "pulled:1")
        lines = out.splitlines()
        step = lines.index("Step 1/4 : FROM %s AS first" % base)
        self.assertIn("Status: Downloaded newer image for " + base, lines[step:])
        self.assertLess(lines.index("Status: Downloaded newer image for " + base), lines.index("Step 2/4 : RUN echo pulled > /p"))
        self.assertEqual(out.count("Status: "), 1, out)  # the stage "first" is not pulled
        self.assertTrue(any(l.startswith("Digest: sha256:") for l in lines), out)
        self.assertIn("pulled", lines)
        self.docker_ok("image", "inspect", base)
        # Again: up to date, and the steps come from the cache.
        out = self.build_ok(ctx, "--pull", "-t", "pulled:1")
        self.assertIn("Status: Image is up to date for " + base, out.splitlines())
        self.assertEqual(out.count(" ---> Using cache"), 2, out)

    def test_pull_uses_the_credentials_of_x_registry_config(self):
        reg = Registry(self.tmp, name="auth-registry-" + self._testMethodName, auth=True).start()
        try:
            reg.seed(self.path("bb.tar"), "private/bb:1")
            base = "%s/private/bb:1" % reg.host
            body = tar_bytes([file_info("Dockerfile", ("FROM %s\nRUN true\n" % base).encode())])

            def post(config):
                headers = {"Content-Type": "application/x-tar"}
                if config is not None:
                    headers["X-Registry-Config"] = config
                status, _, data = self.d.request("POST", "/v1.50/build?pull=1&t=private:1", body=body,
                                                 headers=headers)
                return status, data.decode()

            def encode(obj):
                return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode()

            status, data = post(None)
            self.assertIn("pull access denied", data)
            wrong = encode({"other.example:5000": {"username": USER, "password": PASSWORD}})
            status, data = post(wrong)
            self.assertIn("pull access denied", data)
            status, data = post("!!not base64!!")
            self.assertIn("invalid X-Registry-Config header", data)
            status, data = post(encode({"http://" + reg.host: {"username": USER, "password": PASSWORD}}))
            self.assertEqual(status, 200, data)
            self.assertNotIn('"errorDetail"', data)
            self.assertIn("Status: Downloaded newer image for " + base, data)
            self.docker_ok("image", "inspect", "private:1")
        finally:
            reg.stop()

    def test_pull_from_an_unreachable_registry_fails_the_build(self):
        port = free_port()
        base = "127.0.0.1:%d/nowhere/bb:1" % port
        ctx = self.context("unreachable", {"Dockerfile": "FROM %s\nRUN true\n" % base})
        ids = self.all_image_ids()
        rc, out, err = self.build(ctx, "--pull", "-t", "nowhere:1")
        self.assertNotEqual(rc, 0, out)
        # The message docker pull gives for that registry.
        prc, pout, perr = self.d.docker("pull", base)
        self.assertNotEqual(prc, 0)
        message = perr.strip().splitlines()[-1].split("Error response from daemon: ", 1)[-1]
        self.assertIn("127.0.0.1", message)
        self.assertIn(message, out + err)
        self.assertEqual(self.all_image_ids(), ids)
        self.docker_ok("version")


class ApiBuildTest(BuildTestCase):
    def post_build(self, query, body):
        status, _, data = self.d.request("POST", "/v1.50/build" + query, body=body,
                                         headers={"Content-Type": "application/x-tar"})
        return status, data

    def assert_store_unchanged(self, ids):
        self.assertEqual(self.all_image_ids(), ids)
        builds = os.path.join(self.d.data_root, "builds")
        self.assertEqual(os.listdir(builds) if os.path.isdir(builds) else [], [])

    def test_hostile_contexts_are_refused(self):
        df = b"FROM bb:1\nCOPY . /\n"
        ids = self.all_image_ids()
        dotdot = tar_bytes([file_info("Dockerfile", df), file_info("../x", b"escape")])
        status, data = self.post_build("?t=evil:1", dotdot)
        self.assertEqual(status, 400, data)
        self.assertIn("path leaves the context", json.loads(data)["message"])
        self.assertFalse(os.path.exists(os.path.join(self.d.data_root, "x")))
        link = tarfile.TarInfo("link")
        link.type = tarfile.SYMTYPE
        link.linkname = "../../../etc"
        status, data = self.post_build("?t=evil:1", tar_bytes([file_info("Dockerfile", df), (link, None)]))
        self.assertEqual(status, 400, data)
        self.assertIn("symbolic link leaving the context", json.loads(data)["message"])
        inside = tarfile.TarInfo("ok")
        inside.type = tarfile.SYMTYPE
        inside.linkname = "sub"
        through = tar_bytes([file_info("Dockerfile", df), (inside, None), file_info("ok/f", b"x")])
        status, data = self.post_build("?t=evil:1", through)
        self.assertEqual(status, 400, data)
        dev = tarfile.TarInfo("dev")
        dev.type = tarfile.CHRTYPE
        status, data = self.post_build("?t=evil:1", tar_bytes([file_info("Dockerfile", df), (dev, None)]))
        self.assertEqual(status, 400, data)
        self.assert_store_unchanged(ids)
        self.docker_ok("version")

    def test_a_restart_removes_what_interrupted_builds_left(self):
        stale = os.path.join(self.d.data_root, "builds", "0123456789abcdef", "context")
        os.makedirs(stale)
        with open(os.path.join(stale, "Dockerfile"), "w") as f:
            f.write("FROM bb:1\n")
        self.assertEqual(self.d.stop(), 0)
        self.d.start()
        self.assertFalse(os.path.exists(os.path.join(self.d.data_root, "builds")))

    def test_unsupported_parameters_are_refused_by_name(self):
        body = tar_bytes([file_info("Dockerfile", b"FROM bb:1\n")])
        ids = self.all_image_ids()
        for query, name in [("?squash=1", "squash"), ("?version=2", "version"), ("?remote=https://example.com/x.git", "remote"),
                            ("?memory=1000000", "memory"), ("?cpusetcpus=0", "cpusetcpus")]:
            status, data = self.post_build(query, body)
            self.assertEqual(status, 400, query)
            self.assertIn('"%s"' % name, json.loads(data)["message"], query)
        for query in ["?cachefrom=x", "?cachefrom=%7B%7D", "?cachefrom=%5B1%5D"]:
            status, data = self.post_build(query, body)
            self.assertEqual(status, 400, query)
            self.assertIn("cachefrom", json.loads(data)["message"], query)
        self.assertEqual(self.all_image_ids(), ids)
        status, data = self.post_build("?platform=linux/s390x", body)
        self.assertEqual(status, 400)
        self.assertIn("host's platform only", json.loads(data)["message"])
        self.assert_store_unchanged(ids)

    def test_run_steps_get_the_shm_size_and_extra_hosts_asked_for(self):
        body = tar_bytes([file_info("Dockerfile", b"FROM bb:1\nRUN cat /proc/mounts /etc/hosts\n")])
        status, data = self.post_build("?nocache=1&shmsize=134217728&extrahosts=extrahost.local.test%3A127.0.0.1"
                                       "&extrahosts=hello.world.test%3A10.1.2.3", body)
        self.assertEqual(status, 200, data)
        out = "".join(json.loads(l).get("stream", "") for l in data.decode().splitlines())
        shm = [l for l in out.splitlines() if " /dev/shm " in l]
        self.assertEqual(len(shm), 1, out)
        self.assertIn("size=131072k", shm[0])
        self.assertIn("127.0.0.1\textrahost.local.test\n", out)
        self.assertIn("10.1.2.3\thello.world.test\n", out)
        # Bad values: Docker's texts, nothing built.
        ids = self.all_image_ids()
        for query, message in [("?shmsize=abc", 'strconv.ParseInt: parsing "abc": invalid syntax'),
                               ("?shmsize=-1", "SHM size can not be less than 0"),
                               ("?extrahosts=nocolon", 'bad format for add-host: "nocolon"'),
                               ("?extrahosts=h%3A1.2.3", 'invalid IP address in add-host: "1.2.3"'),
                               ("?networkmode=container%3Aabc", "networkmode")]:
            status, data = self.post_build(query, body)
            self.assertEqual(status, 400, query)
            self.assertIn(message, json.loads(data)["message"], query)
        status, data = self.post_build("?networkmode=no-such-network", body)
        self.assertEqual(status, 404, data)
        self.assertIn("no-such-network", json.loads(data)["message"])
        self.assert_store_unchanged(ids)

    def test_stream_shape(self):
        body = tar_bytes([file_info("Dockerfile", b"FROM bb:1\nRUN echo out\n")])
        status, data = self.post_build("?t=shape:1&labels=%7B%22k%22%3A%22v%22%7D", body)
        self.assertEqual(status, 200, data)
        msgs = [json.loads(l) for l in data.decode().splitlines()]
        self.assertEqual(msgs[0], {"stream": "Step 1/3 : FROM bb:1\n"})
        aux = [m["aux"]["ID"] for m in msgs if "aux" in m]
        image_id = self.docker_ok("image", "inspect", "-f", "{{.Id}}", "shape:1").strip()
        self.assertEqual(aux, [image_id])
        self.assertIn({"stream": "Step 3/3 : LABEL k=v\n"}, msgs)
        self.assertIn({"stream": "out\n"}, msgs)
        self.assertEqual(msgs[-1], {"stream": "Successfully tagged shape:1\n"})
        self.assertEqual(self.docker_ok("image", "inspect", "-f", "{{index .Config.Labels \"k\"}}",
                                        "shape:1").strip(), "v")
        status, data = self.post_build("", tar_bytes([file_info("Dockerfile", b"FROM bb:1\nRUN exit 3\n")]))
        self.assertEqual(status, 200)
        last = json.loads(data.decode().splitlines()[-1])
        msg = "The command '/bin/sh -c exit 3' returned a non-zero code: 3"
        # As dockerd: the step's exit code beside the text, and first.
        self.assertEqual(last, {"errorDetail": {"code": 3, "message": msg}, "error": msg})
        self.assertTrue(data.decode().splitlines()[-1].startswith('{"errorDetail":{"code":3,"message":'))


    def test_client_going_away_cancels_the_build(self):
        import socket

        ids = self.all_image_ids()
        body = tar_bytes([file_info("Dockerfile", b"FROM bb:1\nRUN echo started; sleep 600\n")])
        c = UnixConnection(self.d.sock)
        c.request("POST", "/v1.50/build?t=cancelled:1", body=body, headers={"Content-Type": "application/x-tar"})
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        seen = b""
        while b"started" not in seen:
            line = r.fp.readline()
            self.assertTrue(line, seen)
            seen += line
        self.assertEqual(len(self.docker_ok("ps", "-a", "-q").split()), 1)
        c.sock.shutdown(socket.SHUT_RDWR)
        c.close()
        await_condition(lambda: not self.docker_ok("ps", "-a", "-q").split())
        self.assertEqual(self.docker_ok("ps", "-a", "-q").split(), [])
        self.assertEqual(self.all_image_ids(), ids)


class SdkBuildTest(BuildTestCase):
    def client(self):
        import docker
        return docker.DockerClient(base_url=self.d.host, version="1.50")

    def test_images_build(self):
        try:
            import docker  # noqa: F401
        except ImportError:
            self.skipTest("docker SDK missing")
        ctx = self.context("sdk", {"Dockerfile": "FROM bb:1\nARG WHO\nENV WHO=$WHO\nCOPY msg /msg\n"
                                                 "CMD [\"sh\", \"-c\", \"cat /msg; echo $WHO\"]\n",
                                   "msg": "from the sdk\n"})
        c = self.client()
        image, logs = c.images.build(path=ctx, tag="sdk:1", buildargs={"WHO": "python"})
        logs = list(logs)
        self.assertIn({"stream": "Successfully tagged sdk:1\n"}, logs)
        self.assertEqual(image.id, self.docker_ok("image", "inspect", "-f", "{{.Id}}", "sdk:1").strip())
        self.assertEqual(image.attrs["Config"]["Cmd"], ["sh", "-c", "cat /msg; echo $WHO"])
        out = c.containers.run("sdk:1", remove=True)
        self.assertEqual(out.decode().split("\n")[:2], ["from the sdk", "python"])
        import docker.errors
        bad = self.context("sdkbad", {"Dockerfile": "FROM bb:1\nRUN exit 2\n"})
        with self.assertRaises(docker.errors.BuildError) as cm:
            c.images.build(path=bad)
        self.assertIn("returned a non-zero code: 2", str(cm.exception))
        c.close()

    def test_step_stderr_is_shown_in_red_as_dockers_classic_builder_does(self):
        try:
            import docker  # noqa: F401
        except ImportError:
            self.skipTest("docker SDK missing")
        ctx = self.context("sdkerr", {"Dockerfile": "FROM bb:1\nRUN sh -c 'echo to-out; >&2 echo to-err'\n"})
        c = self.client()
        self.addCleanup(c.close)
        chunks = [e.get("stream") for e in c.api.build(path=ctx, decode=True, nocache=True)]
        self.assertIn("\x1b[91mto-err\n\x1b[0m", chunks)
        self.assertIn("to-out\n", chunks)

    def test_images_build_cache_from(self):
        try:
            import docker
        except ImportError:
            self.skipTest("docker SDK missing")
        ctx, archive, app_id = self.saved_app("sdkcf")
        d = self.fresh_daemon("sdkcf", archive)
        c = docker.DockerClient(base_url=d.host, version="1.50")
        self.addCleanup(c.close)
        image, logs = c.images.build(path=ctx, tag="app:2", cache_from=["app:1"])
        self.assertEqual(sum(1 for e in logs if e.get("stream") == " ---> Using cache\n"), 4)
        self.assertEqual(image.id, app_id)
        image, logs = c.images.build(path=ctx, tag="app:3")
        self.assertFalse([e for e in logs if "Using cache" in e.get("stream", "")])


if __name__ == "__main__":
    unittest.main()
