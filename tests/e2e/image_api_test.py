"""The image API as clients use it beyond `docker load`: request bodies of
every framing (Python SDK, curl, a raw socket), load errors inside the JSON
stream, and docker import (CLI and SDK) of filesystem tarballs that then run."""

import bz2
import gzip
import io
import json
import lzma
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from berth_e2e import DaemonTestCase, fixture, read_http_response  # noqa: E402

try:
    import docker
except ImportError:  # pragma: no cover
    docker = None

CURL = shutil.which("curl")
ZSTD = shutil.which("zstd")
OCI_TAR = "application/vnd.oci.image.layer.v1.tar"


def can_run_containers():
    return os.geteuid() == 0 and any(os.access(os.path.join(d, "runc"), os.X_OK)
                                     for d in os.environ.get("PATH", "/usr/sbin").split(":") + ["/usr/sbin"])


def rootfs_tar(extra=None, busybox=True):
    """A filesystem tarball: /bin/busybox with sh, cat and echo links, /hello,
    and `extra` entries (TarInfo, data) as given."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as t:
        def add_dir(name):
            info = tarfile.TarInfo(name)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            t.addfile(info)
        for d in ("bin", "etc", "tmp"):
            add_dir(d)
        if busybox:
            with open("/bin/busybox", "rb") as f:
                data = f.read()
            info = tarfile.TarInfo("bin/busybox")
            info.size = len(data)
            info.mode = 0o755
            t.addfile(info, io.BytesIO(data))
            for applet in ("sh", "cat", "echo", "ls"):
                link = tarfile.TarInfo("bin/" + applet)
                link.type = tarfile.SYMTYPE
                link.linkname = "busybox"
                t.addfile(link)
        hello = b"imported hello\n"
        info = tarfile.TarInfo("hello")
        info.size = len(hello)
        info.mode = 0o644
        t.addfile(info, io.BytesIO(hello))
        for info, data in extra or ():
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


class ImageApiTestCase(DaemonTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Over 1 MiB: an uncompressed busybox layer.
        cls.big = fixture(cls.path_of("big.tar"), "-n", "big:1", "--busybox", "--layer-media-type", OCI_TAR)
        with open(cls.path_of("big.tar"), "rb") as f:
            cls.big_data = f.read()
        assert len(cls.big_data) > (1 << 20)

    @classmethod
    def path_of(cls, name):
        return os.path.join(cls.tmp, name)

    def setUp(self):
        self.rmi_all()

    def names(self):
        return sorted(self.docker_ok("images", "--format", "{{.Repository}}:{{.Tag}}").split())

class BodyFramingTest(ImageApiTestCase):
    @unittest.skipIf(docker is None, "the docker Python SDK is not installed")
    def test_sdk_loads_a_large_archive_from_bytes(self):
        client = docker.DockerClient(base_url=self.d.host)
        try:
            images = client.images.load(self.big_data)
            self.assertEqual([i.id for i in images], [self.big["target"]])
            self.assertEqual(client.images.get("big:1").id, self.big["target"])
            # The same client (same pooled connection) goes on working.
            self.assertTrue(client.ping())
        finally:
            client.close()

    @unittest.skipIf(CURL is None, "curl is not installed")
    def test_curl_content_length_with_and_without_expect(self):
        for expect in (False, True):
            self.rmi_all()
            args = [CURL, "-sS", "--unix-socket", self.d.sock, "-X", "POST",
                    "-H", "Content-Type: application/x-tar", "--data-binary", "@" + self.path("big.tar")]
            args += ["-H", "Expect: 100-continue"] if expect else ["-H", "Expect:"]
            args += ["-w", "\n%{http_code}", "http://docker/v1.50/images/load",
                     # a second request on the same connection
                     "--next", "--unix-socket", self.d.sock, "http://docker/_ping"]
            p = subprocess.run(args, capture_output=True, timeout=120)
            self.assertEqual(p.returncode, 0, p.stderr)
            out = p.stdout.decode()
            self.assertIn('{"stream":"Loaded image: big:1\\n"}', out)
            self.assertIn("\n200", out)
            self.assertTrue(out.endswith("OK"), out)
            self.assertEqual(self.names(), ["big:1"])

    def test_raw_socket_content_length_then_next_request(self):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(60)
        s.connect(self.d.sock)
        try:
            s.sendall(b"POST /v1.50/images/load?quiet=1 HTTP/1.1\r\nHost: docker\r\n"
                      b"Content-Type: application/x-tar\r\nContent-Length: %d\r\n\r\n" % len(self.big_data))
            s.sendall(self.big_data)
            head, body = read_http_response(s)
            self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
            self.assertIn(b"Loaded image: big:1", body)
            # Expect: 100-continue: the interim reply, then the body.
            s.sendall(b"POST /v1.50/images/big:1/tag?repo=again&tag=2 HTTP/1.1\r\nHost: docker\r\n"
                      b"Expect: 100-continue\r\nContent-Length: 2\r\n\r\n")
            interim = b""
            while not interim.endswith(b"\r\n\r\n"):
                interim += s.recv(1)
            self.assertEqual(interim, b"HTTP/1.1 100 Continue\r\n\r\n")
            s.sendall(b"{}")
            head, _ = read_http_response(s)
            self.assertTrue(head.startswith(b"HTTP/1.1 201"), head)
            s.sendall(b"GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n")
            head, body = read_http_response(s)
            self.assertEqual((head.split(b"\r\n")[0], body), (b"HTTP/1.1 200 OK", b"OK"))
        finally:
            s.close()
        self.assertEqual(self.names(), ["again:2", "big:1"])


class LoadErrorTest(ImageApiTestCase):
    @unittest.skipIf(docker is None, "the docker Python SDK is not installed")
    def test_sdk_raises_image_load_error_and_store_is_unchanged(self):
        self.docker_ok("load", "-i", self.path("big.tar"))
        before = self.docker_ok("images", "-a", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}")
        client = docker.DockerClient(base_url=self.d.host)
        try:
            with self.assertRaises(docker.errors.ImageLoadError) as cm:
                client.images.load(self.big_data[: len(self.big_data) // 2])
            self.assertTrue(str(cm.exception))
            with self.assertRaises(docker.errors.ImageLoadError):
                client.images.load(b"not an archive at all\n" * 50)
            self.assertTrue(client.ping())
        finally:
            client.close()
        self.assertEqual(self.docker_ok("images", "-a", "--no-trunc", "--format",
                                        "{{.ID}} {{.Repository}}:{{.Tag}}"), before)

    def test_cli_prints_the_error_and_exits_1(self):
        rc, out, err = self.d.docker("load", "-i", self.path("big.tar"), input=None)
        self.assertEqual(rc, 0, err)
        rc, out, err = self.d.docker("load", input=self.big_data[:5000])
        self.assertEqual(rc, 1)
        self.assertNotIn("Error response from daemon", err)
        self.assertTrue(err.strip(), err)
        self.assertEqual(self.names(), ["big:1"])


class ImportTest(ImageApiTestCase):
    def write(self, name, data):
        with open(self.path(name), "wb") as f:
            f.write(data)
        return self.path(name)

    def config(self, ref):
        manifest = json.loads(self.docker_ok("image", "inspect", ref))[0]
        return manifest

    def test_import_file_and_stdin_with_changes_and_message(self):
        tar = self.write("root.tar", rootfs_tar())
        out = self.docker_ok("import", tar, "imp:file")
        image_id = out.strip()
        self.assertRegex(image_id, r"^sha256:[0-9a-f]{64}$")
        self.assertEqual(self.docker_ok("images", "--no-trunc", "-q", "imp:file").strip(), image_id)
        info = self.config("imp:file")
        self.assertEqual(info["RootFS"]["Type"], "layers")
        self.assertEqual(len(info["RootFS"]["Layers"]), 1)
        self.assertEqual((info["Os"], info["Architecture"]), ("linux", "amd64"))
        history = json.loads("[" + ",".join(self.docker_ok(
            "history", "--no-trunc", "--format", "{{json .}}", "imp:file").splitlines()) + "]")
        self.assertEqual(len(history), 1)
        # The CLI sends a file as the body too (fromSrc=-).
        self.assertEqual(history[0]["Comment"], "Imported from -")
        self.assertEqual(history[0]["CreatedBy"], "")

        # From stdin, with --change and --message.
        with open(tar, "rb") as f:
            data = f.read()
        out = self.docker_ok("import", "--change", "CMD [\"cat\", \"/hello\"]", "--change", "ENV GREETING=hi",
                             "--change", "WORKDIR /tmp", "--change", "LABEL stage=imported",
                             "--message", "from stdin", "-", "imp:stdin", input=data)
        info = self.config("imp:stdin")
        self.assertEqual(info["Config"]["Cmd"], ["cat", "/hello"])
        self.assertIn("GREETING=hi", info["Config"]["Env"])
        self.assertEqual(info["Config"]["WorkingDir"], "/tmp")
        self.assertEqual(info["Config"]["Labels"], {"stage": "imported"})
        self.assertEqual(info["Comment"], "from stdin")
        # The same layer content: the same diff ID as the file import.
        self.assertEqual(info["RootFS"]["Layers"], self.config("imp:file")["RootFS"]["Layers"])
        self.assertNotEqual(out.strip(), image_id)

    def test_default_message_and_event(self):
        tar = self.write("root.tar", rootfs_tar(busybox=False))
        since = str(int(time.time()) - 1)
        status, _, body = self.d.request("POST", "/v1.50/images/create?fromSrc=-&repo=ev&tag=1",
                                         body=open(tar, "rb").read(),
                                         headers={"Content-Type": "application/x-tar"})
        self.assertEqual(status, 200, body)
        line = json.loads(body)
        self.assertEqual(list(line), ["status"])
        image_id = line["status"]
        self.assertEqual(self.config("ev:1")["Id"], image_id)
        self.assertEqual(self.config("ev:1")["Comment"], "Imported from -")
        out = self.docker_ok("events", "--since", since, "--until", str(int(time.time()) + 1),
                             "--filter", "type=image", "--filter", "event=import", "--format", "{{json .}}")
        events = [json.loads(l) for l in out.splitlines()]
        mine = [e for e in events if e["Actor"]["ID"] == image_id]
        self.assertEqual([(e["Action"], e["Actor"]["Attributes"]["name"]) for e in mine], [("import", image_id)])
        # No repo: a dangling image.
        status, _, body = self.d.request("POST", "/v1.50/images/create?fromSrc=-", body=open(tar, "rb").read())
        self.assertEqual(status, 200, body)

    def test_compressed_tarballs(self):
        raw = rootfs_tar(busybox=False)
        forms = {"gz": gzip.compress(raw), "bz2": bz2.compress(raw), "xz": lzma.compress(raw)}
        if ZSTD:
            forms["zst"] = subprocess.run([ZSTD, "-q", "-c"], input=raw, capture_output=True, check=True).stdout
        layers = set()
        for ext, data in forms.items():
            self.docker_ok("import", self.write("root." + ext, data), "comp:" + ext)
            info = self.config("comp:" + ext)
            layers.add(tuple(info["RootFS"]["Layers"]))
        self.docker_ok("import", self.write("root.tar", raw), "comp:plain")
        layers.add(tuple(self.config("comp:plain")["RootFS"]["Layers"]))
        # Every form has the same uncompressed tar: one diff ID.
        self.assertEqual(len(layers), 1, layers)

    def test_refusals_leave_the_store_unchanged(self):
        self.docker_ok("import", self.write("ok.tar", rootfs_tar(busybox=False)), "keep:1")
        before = self.docker_ok("images", "-a", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}")
        escape = tarfile.TarInfo("../escape")
        escape.size = 3
        hostile = self.write("hostile.tar", rootfs_tar([(escape, b"bad")], busybox=False))
        rc, out, err = self.d.docker("import", hostile, "bad:1")
        self.assertEqual(rc, 1)
        self.assertIn("path escapes the layer: ../escape", err)
        link = tarfile.TarInfo("hard")
        link.type = tarfile.LNKTYPE
        link.linkname = "../../etc/passwd"
        rc, out, err = self.d.docker("import", self.write("hl.tar", rootfs_tar([(link, None)], busybox=False)),
                                     "bad:2")
        self.assertEqual(rc, 1)
        self.assertIn("path escapes the layer", err)
        rc, out, err = self.d.docker("import", self.write("junk.tar", b"this is no tar\n" * 100), "bad:3")
        self.assertEqual(rc, 1)
        self.assertIn("invalid archive to import", err)
        rc, out, err = self.d.docker("import", "--change", "RUN rm -rf /", self.path("ok.tar"), "bad:4")
        self.assertEqual(rc, 1)
        self.assertIn("RUN is not a valid change command", err)
        status, _, body = self.d.request("POST", "/v1.50/images/create?fromSrc=http%3A%2F%2F127.0.0.1%3A1%2Fx.tar")
        self.assertEqual(status, 501)
        self.assertIn("importing from a URL is not supported by berth", json.loads(body)["message"])
        self.assertEqual(self.docker_ok("images", "-a", "--no-trunc", "--format",
                                        "{{.ID}} {{.Repository}}:{{.Tag}}"), before)
        self.assertEqual(self.d.request("GET", "/_ping")[0], 200)

    def test_platform(self):
        tar = self.write("root.tar", rootfs_tar(busybox=False))
        self.docker_ok("import", "--platform", "linux/arm64", tar, "plat:arm")
        info = self.config("plat:arm")
        self.assertEqual((info["Os"], info["Architecture"]), ("linux", "arm64"))
        rc, out, err = self.d.docker("import", "--platform", "a/b/c/d", tar, "plat:bad")
        self.assertEqual(rc, 1)
        self.assertIn("cannot parse platform specifier", err)

    @unittest.skipUnless(can_run_containers(), "needs root and runc")
    def test_imported_busybox_runs(self):
        tar = self.write("root.tar", rootfs_tar())
        self.docker_ok("import", "--change", "CMD [\"cat\", \"/hello\"]", tar, "bbimp:1")
        try:
            self.assertEqual(self.docker_ok("run", "--rm", "bbimp:1"), "imported hello\n")
            self.assertEqual(self.docker_ok("run", "--rm", "bbimp:1", "sh", "-c", "echo $((6*7))"), "42\n")
        finally:
            ids = self.docker_ok("ps", "-a", "-q").split()
            if ids:
                self.d.docker("rm", "-f", *ids)

    @unittest.skipIf(docker is None, "the docker Python SDK is not installed")
    def test_sdk_import(self):
        path = self.write("root.tar", rootfs_tar(busybox=False))
        client = docker.DockerClient(base_url=self.d.host)
        try:
            client.images.client.api.import_image(src=path, repository="sdk", tag="file")
            self.assertEqual(client.images.get("sdk:file").attrs["RootFS"]["Type"], "layers")
            with open(path, "rb") as f:
                data = f.read()
            out = client.api.import_image_from_data(data, repository="sdk", tag="data",
                                                    changes=["ENV X=1"])
            self.assertIn("sha256:", out)
            img = client.images.get("sdk:data")
            self.assertIn("X=1", img.attrs["Config"]["Env"])
            self.assertEqual(img.id, json.loads(out.strip().splitlines()[-1])["status"])
        finally:
            client.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
