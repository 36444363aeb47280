"""Pull, push, login and berth's remote platform removal against a real
registry (docker-registry, distribution 2.8) on 127.0.0.1, driven by the
real docker CLI through berthd. Registries are seeded with skopeo from
berth-fixture OCI archives; tests/testing/fault_proxy.py injects broken
and corrupted blob downloads."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "testing"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
from berth_e2e import BINARY_DIR, Daemon, DaemonTestCase, archive_blobs, fixture, free_port, timestamp_now  # noqa: E402
from fault_proxy import FaultProxy  # noqa: E402
from pull_bench import build_layout  # noqa: E402

REGISTRY = shutil.which("docker-registry") or "/usr/bin/docker-registry"
SKOPEO = shutil.which("skopeo") or "/usr/bin/skopeo"
BERTH = os.path.join(BINARY_DIR, "bin", "berth")
USER, PASSWORD = "berth", "s3cret-pw"


def bcrypt_htpasswd(user, password):
    """An htpasswd line with a bcrypt hash (htpasswd -Bbn, else libcrypt)."""
    htpasswd = shutil.which("htpasswd")
    if htpasswd:
        out = subprocess.run([htpasswd, "-Bbn", user, password], capture_output=True, check=True)
        return out.stdout.decode().strip()
    try:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import crypt
        h = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH))
    except Exception:  # noqa: BLE001
        return None
    return "%s:%s" % (user, h) if h and h.startswith("$2") else None


class Registry:
    """docker-registry with filesystem storage in a temp dir, delete enabled."""

    def __init__(self, tmp, name="registry", auth=False):
        self.port = free_port()
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir)
        self.auth = auth
        lines = ["version: 0.1", "log:", "  level: warn", "storage:", "  filesystem:",
                 "    rootdirectory: %s/data" % self.dir, "  delete:", "    enabled: true",
                 "http:", "  addr: 127.0.0.1:%d" % self.port]
        if auth:
            entry = bcrypt_htpasswd(USER, PASSWORD)
            if entry is None:
                raise unittest.SkipTest("no htpasswd and no bcrypt in libcrypt")
            with open(os.path.join(self.dir, "htpasswd"), "w") as f:
                f.write(entry + "\n")
            lines += ["auth:", "  htpasswd:", "    realm: berth-test",
                      "    path: %s/htpasswd" % self.dir]
        self.config = os.path.join(self.dir, "config.yml")
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.proc = None

    @property
    def host(self):
        return "127.0.0.1:%d" % self.port

    def start(self):
        self.log = open(os.path.join(self.dir, "log"), "ab")
        self.proc = subprocess.Popen([REGISTRY, "serve", self.config], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                urllib.request.urlopen("http://%s/v2/" % self.host, timeout=2)
                return self
            except urllib.error.HTTPError:
                return self  # 401 with auth: up
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("docker-registry did not come up")

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(20)
            self.log.close()

    def creds(self):
        return "%s:%s" % (USER, PASSWORD) if self.auth else None

    def seed(self, archive, repo_tag):
        args = [SKOPEO, "copy", "--all", "--dest-tls-verify=false"]
        if self.auth:
            args += ["--dest-creds", self.creds()]
        subprocess.run(args + ["oci-archive:" + archive, "docker://%s/%s" % (self.host, repo_tag)],
                       capture_output=True, check=True, timeout=120)

    def raw(self, repo_ref):
        """The manifest bytes the registry serves for name:tag or name@digest."""
        args = [SKOPEO, "inspect", "--raw", "--tls-verify=false"]
        if self.auth:
            args += ["--creds", self.creds()]
        p = subprocess.run(args + ["docker://%s/%s" % (self.host, repo_ref)], capture_output=True, timeout=60)
        if p.returncode != 0:
            raise AssertionError("skopeo inspect %s: %s" % (repo_ref, p.stderr.decode()))
        return p.stdout

    def blob(self, repo, digest):
        with urllib.request.urlopen("http://%s/v2/%s/blobs/%s" % (self.host, repo, digest), timeout=30) as r:
            return r.read()


def layers_of(blobs, manifest_digest):
    return [l["digest"] for l in json.loads(blobs[manifest_digest])["layers"]]


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def platforms_of(index_bytes):
    out = []
    for m in json.loads(index_bytes)["manifests"]:
        p = m.get("platform", {})
        out.append("/".join(x for x in (p.get("os"), p.get("architecture"), p.get("variant")) if x))
    return out


class RegistryTestCase(DaemonTestCase):
    """A daemon and a registry per class."""

    auth = False

    @classmethod
    def setUpClass(cls):
        for path in (REGISTRY, SKOPEO):
            if not os.path.exists(path):
                raise unittest.SkipTest("missing " + path)
        super().setUpClass()
        try:
            cls.reg = Registry(cls.tmp, auth=cls.auth).start()
        except BaseException:
            super().tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.reg.stop()
        super().tearDownClass()

    def ref(self, repo_ref, host=None):
        return "%s/%s" % (host or self.reg.host, repo_ref)

    def image_id(self, ref):
        return self.docker_ok("image", "inspect", "--format", "{{.Id}}", ref).strip()

    def manifests(self, ref):
        """{platform: Available} of GET /images/{ref}/json?manifests=1 (as in Docker,
        every platform of the index; only the pulled ones are available)."""
        status, _, body = self.d.request("GET", "/v1.50/images/%s/json?manifests=1" % ref)
        self.assertEqual(status, 200, body)
        out = {}
        for m in json.loads(body)["Manifests"]:
            if m["Kind"] == "image":
                p = m["ImageData"]["Platform"]
                out["/".join(x for x in (p["os"], p["architecture"], p.get("variant")) if x)] = m["Available"]
        return out


class PullTest(RegistryTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        t = cls.tmp
        cls.x1_path = os.path.join(t, "x1.tar")
        cls.x1 = fixture(cls.x1_path, "-n", "x:1", "-p", "linux/amd64", "-p", "linux/arm64", "-f", "m=1",
                         "-f", "big=" + os.urandom(20000).hex())
        cls.x1_blobs = archive_blobs(cls.x1_path)
        cls.x2_path = os.path.join(t, "x2.tar")
        cls.x2 = fixture(cls.x2_path, "-n", "x:2", "-p", "linux/amd64", "-p", "linux/arm64", "-f", "m=2")
        cls.reg.seed(cls.x1_path, "x:1")

    def setUp(self):
        self.rmi_all()

    def test_pull_by_tag(self):
        ref = self.ref("x:1")
        out = self.docker_ok("pull", ref)
        self.assertTrue(out.startswith("1: Pulling from x\n"), out)
        for layer in layers_of(self.x1_blobs, self.x1["manifests"]["linux/amd64"]):
            self.assertIn("%s: Pull complete\n" % layer[7:19], out)
        self.assertIn("Digest: %s\n" % self.x1["target"], out)
        self.assertIn("Status: Downloaded newer image for %s\n" % ref, out)
        self.assertTrue(out.endswith("\n" + ref + "\n"), out)
        self.assertEqual(self.image_id(ref), self.x1["target"])
        self.assertEqual(self.docker_ok("images", "-q", "--no-trunc"), self.x1["target"] + "\n")
        row = self.docker_ok("images", "--format", "{{.Repository}} {{.Tag}} {{.ID}}")
        self.assertEqual(row, "%s/x 1 %s\n" % (self.reg.host, self.x1["target"][7:19]))
        self.assertEqual(self.manifests(ref), {"linux/amd64": True, "linux/arm64": False})

    def test_raw_progress_stream(self):
        status, headers, body = self.d.request(
            "POST", "/v1.50/images/create?fromImage=%s&tag=1" % urllib.parse.quote(self.ref("x"), safe=""),
            headers={"X-Registry-Auth": "e30="})
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "application/json")
        msgs = [json.loads(l) for l in body.decode().splitlines()]
        self.assertEqual(msgs[0], {"status": "Pulling from x", "id": "1"})
        fs = [m for m in msgs if m.get("status") == "Pulling fs layer"]
        self.assertTrue(fs, msgs)
        self.assertEqual(fs[0]["progressDetail"], {})
        for m in msgs:
            if m.get("status") == "Downloading":
                self.assertIn("total", m["progressDetail"])
                self.assertTrue(m["progress"].startswith("["), m)
        self.assertEqual(msgs[-1], {"status": "Status: Downloaded newer image for %s" % self.ref("x:1")})
        self.assertFalse(any("error" in m for m in msgs), msgs)

    def test_python_sdk_pull(self):
        try:
            import docker
        except ImportError:
            self.skipTest("no docker SDK")
        client = docker.DockerClient(base_url=self.d.host)
        try:
            img = client.images.pull(self.ref("x"), tag="1", platform="linux/arm64")
            self.assertEqual(img.id, self.x1["target"])
            self.assertIn(self.ref("x:1"), img.tags)
            events = list(client.api.pull(self.ref("x"), tag="1", stream=True, decode=True))
            self.assertEqual(events[-1], {"status": "Status: Image is up to date for %s" % self.ref("x:1")})
            with self.assertRaises(docker.errors.NotFound):
                client.images.pull(self.ref("nothere"), tag="1")
        finally:
            client.close()

    def test_pull_when_up_to_date(self):
        ref = self.ref("x:1")
        self.docker_ok("pull", ref)
        out = self.docker_ok("pull", ref)
        self.assertIn("Status: Image is up to date for %s\n" % ref, out)
        self.assertNotIn("Pull complete", out)
        self.assertEqual(self.image_id(ref), self.x1["target"])

    def test_pull_by_digest(self):
        ref = self.ref("x@" + self.x1["target"])
        out = self.docker_ok("pull", ref)
        self.assertIn("Digest: %s\n" % self.x1["target"], out)
        self.assertEqual(self.image_id(ref), self.x1["target"])
        digests = self.docker_ok("image", "inspect", "--format", "{{json .RepoDigests}}", ref)
        self.assertIn(ref, json.loads(digests))

    def test_platforms_one_then_another(self):
        ref = self.ref("x:1")
        self.docker_ok("pull", "--platform", "linux/arm64", ref)
        self.assertEqual(self.image_id(ref), self.x1["target"])
        self.assertEqual(self.manifests(ref), {"linux/amd64": False, "linux/arm64": True})
        self.assertEqual(
            self.docker_ok("image", "inspect", "--platform", "linux/arm64", "--format", "{{.Architecture}}", ref),
            "arm64\n")
        out = self.docker_ok("pull", "--platform", "linux/amd64", ref)
        amd64_layers = layers_of(self.x1_blobs, self.x1["manifests"]["linux/amd64"])
        self.assertIn("%s: Pull complete\n" % amd64_layers[-1][7:19], out)
        self.assertIn("Digest: %s\n" % self.x1["target"], out)
        self.assertEqual(self.image_id(ref), self.x1["target"])
        self.assertEqual(self.manifests(ref), {"linux/amd64": True, "linux/arm64": True})
        self.assertEqual(self.docker_ok("images", "-q", "--no-trunc"), self.x1["target"] + "\n")
        out = self.docker_ok("pull", "--platform", "linux/arm64", ref)
        self.assertIn("Status: Image is up to date for %s\n" % ref, out)

    def test_moved_tag_leaves_old_image_dangling(self):
        ref = self.ref("mv:1")
        self.reg.seed(self.x1_path, "mv:1")
        self.docker_ok("pull", ref)
        self.reg.seed(self.x2_path, "mv:1")
        out = self.docker_ok("pull", ref)
        self.assertIn("Status: Downloaded newer image for %s\n" % ref, out)
        self.assertEqual(self.image_id(ref), self.x2["target"])
        self.assertEqual(self.docker_ok("images", "-q", "--no-trunc", "--filter", "dangling=true"),
                         self.x1["target"] + "\n")

    def test_moved_tag_keeps_old_target_dangling_and_record_creation_time(self):
        # Docker's pull keeps the old target dangling whenever the tag moves,
        # even when another name still holds it, and the record keeps the
        # time it was first created (containerd updates it in place).
        ref = self.ref("mv2:1")
        self.reg.seed(self.x1_path, "mv2:1")
        self.docker_ok("pull", ref)
        self.docker_ok("tag", ref, "holder:1")
        between = timestamp_now()
        self.reg.seed(self.x2_path, "mv2:1")
        self.docker_ok("pull", ref)
        self.assertEqual(self.image_id(ref), self.x2["target"])
        self.assertEqual(self.docker_ok("images", "-q", "--no-trunc", "--filter", "dangling=true"),
                         self.x1["target"] + "\n")
        self.assertEqual(self.docker_ok("images", "--filter", "until=" + between, "--format",
                                        "{{.Repository}}:{{.Tag}} {{.ID}}", self.ref("mv2")),
                         "%s %s\n" % (ref, self.x2["target"][7:19]))
        # Pulling the same target again adds no dangling record.
        self.docker_ok("rmi", "holder:1")
        self.docker_ok("image", "prune", "-f")
        self.docker_ok("pull", ref)
        self.assertEqual(self.docker_ok("images", "-q", "--filter", "dangling=true"), "")

    def test_pull_errors(self):
        before = self.image_ids()
        rc, out, err = self.d.docker("pull", self.ref("nothere:1"))
        self.assertEqual(rc, 1)
        self.assertEqual(err, "Error response from daemon: manifest for %s not found: manifest unknown: "
                              "manifest unknown\n" % self.ref("nothere:1"))
        # As with dockerd, this error comes after "Pulling from": the CLI
        # prints the stream's error line as is.
        rc, out, err = self.d.docker("pull", "--platform", "linux/s390x", self.ref("x:1"))
        self.assertEqual(rc, 1, out + err)
        self.assertEqual(out, "1: Pulling from x\n")
        self.assertTrue(err.startswith("no matching manifest for linux/s390x in the manifest list entries"), err)
        self.assertEqual(self.image_ids(), before)


def _tiny_image():
    """(manifest bytes, {digest: blob}) of a one-layer OCI image."""
    import gzip
    import io
    import tarfile

    layer_tar = io.BytesIO()
    with tarfile.open(fileobj=layer_tar, mode="w") as t:
        info = tarfile.TarInfo("hello")
        info.size = 5
        t.addfile(info, io.BytesIO(b"hello"))
    plain = layer_tar.getvalue()
    layer = gzip.compress(plain, mtime=0)
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/hello"]},
                         "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(plain).hexdigest()]}}
                        ).encode()

    def desc(media_type, data):
        return {"mediaType": media_type, "digest": "sha256:" + hashlib.sha256(data).hexdigest(), "size": len(data)}

    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": desc("application/vnd.oci.image.config.v1+json", config),
                           "layers": [desc("application/vnd.oci.image.layer.v1.tar+gzip", layer)]}).encode()
    return manifest, {desc("", b)["digest"]: b for b in (config, layer)}, desc("", config)["digest"]


class HostileRegistryTest(DaemonTestCase):
    """A registry that redirects in a loop, to other schemes, or sends an
    endless or a never-ending slow body: each pull fails with an error, soon,
    and berthd answers. One that redirects a blob to another origin never
    gets the credentials sent there."""

    # Lowered for the slow-manifest test (default 300 s).
    daemon_args = ("--registry-request-timeout", "3")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        import base64
        import http.server
        import threading

        hits = cls.hits = {"loop": 0}
        # Authorization headers seen per place ("same-origin", "elsewhere"),
        # None for a request without one.
        seen = cls.seen_auth = {"same-origin": [], "elsewhere": []}
        manifest, blobs, config_digest = _tiny_image()
        cls.credentials = "Basic " + base64.b64encode(b"user:secret").decode()

        class Elsewhere(http.server.BaseHTTPRequestHandler):
            """Another origin (another port), where a blob is redirected."""
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                seen["elsewhere"].append(self.headers.get("Authorization"))
                blob = blobs.get(self.path.rsplit("/", 1)[-1], b"")
                self.send_response(200 if blob else 404)
                self.send_header("Content-Length", str(len(blob)))
                self.end_headers()
                self.wfile.write(blob)

        cls.elsewhere = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Elsewhere)
        cls.elsewhere.daemon_threads = True
        threading.Thread(target=cls.elsewhere.serve_forever, daemon=True).start()
        elsewhere_url = "http://127.0.0.1:%d" % cls.elsewhere.server_address[1]

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def redirect(self, to):
                self.send_response(302)
                self.send_header("Location", to)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def send_blob(self, data, content_type="application/octet-stream"):
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def creds(self):
                """/v2/creds/: Basic auth, the config blob redirected within
                this origin, the layer to another one."""
                if self.path.startswith("/same-origin/"):
                    seen["same-origin"].append(self.headers.get("Authorization"))
                    return self.send_blob(blobs[self.path.rsplit("/", 1)[-1]])
                if self.headers.get("Authorization") != cls.credentials:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="hostile"')
                    self.send_header("Content-Length", "0")
                    return self.end_headers()
                if "/manifests/" in self.path:
                    return self.send_blob(manifest, "application/vnd.oci.image.manifest.v1+json")
                digest = self.path.rsplit("/", 1)[-1]
                if digest == config_digest:
                    return self.redirect("/same-origin/" + digest)
                return self.redirect(elsewhere_url + "/elsewhere/" + digest)

            def do_GET(self):
                if self.path == "/v2/":
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"{}")
                elif self.path.startswith("/v2/creds/") or self.path.startswith("/same-origin/"):
                    self.creds()
                elif self.path.startswith("/v2/bigerror/manifests/"):
                    body = b"x" * (1 << 20)
                    self.send_response(404)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                elif self.path.startswith("/v2/bigtoken/manifests/"):
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Bearer realm="http://%s/bigtoken-realm",service="x"'
                                     % self.headers.get("Host"))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif self.path.startswith("/bigtoken-realm"):
                    self.send_blob(b'{"token":"' + b"t" * (2 << 20) + b'"}', "application/json")
                elif self.path.startswith("/v2/slow/manifests/"):
                    # Headers at once, then a byte every 0.3 s: never slow
                    # enough for the low-speed limit, never done.
                    self.send_response(200)
                    self.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    try:
                        for _ in range(1000):
                            self.wfile.write(b" ")
                            self.wfile.flush()
                            time.sleep(0.3)
                    except OSError:
                        pass
                    self.close_connection = True
                elif self.path.startswith("/v2/loop/manifests/"):
                    hits["loop"] += 1
                    self.redirect(self.path)
                elif self.path.startswith("/v2/file/manifests/"):
                    self.redirect("file:///etc/passwd")
                elif self.path.startswith("/v2/ftp/manifests/"):
                    self.redirect("ftp://127.0.0.1:1/x")
                elif self.path.startswith("/v2/endless/manifests/"):
                    self.send_response(200)
                    self.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                    self.end_headers()  # no length: the body runs until the connection ends
                    try:
                        chunk = b" " * 65536
                        for _ in range(16 * 1024):  # 1 GiB at the most
                            self.wfile.write(chunk)
                    except OSError:
                        pass
                    self.close_connection = True
                else:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            do_HEAD = do_GET

        cls.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        cls.server.daemon_threads = True
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.host = "127.0.0.1:%d" % cls.server.server_address[1]

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.elsewhere.shutdown()
        super().tearDownClass()

    def pull_fails(self, repo, message):
        t0 = time.time()
        rc, out, err = self.d.docker("pull", "%s/%s:1" % (self.host, repo), timeout=120)
        self.assertNotEqual(rc, 0, out)
        self.assertIn(message, err)
        self.assertLess(time.time() - t0, 60)
        self.assertEqual(self.d.request("GET", "/_ping")[0], 200)

    def test_redirect_loop_stops_after_ten(self):
        self.pull_fails("loop", "Maximum (10) redirects followed")
        self.assertLessEqual(self.hits["loop"], 11 * 5)  # ten redirects per attempt, a few attempts

    def test_redirects_to_other_schemes_are_refused(self):
        self.pull_fails("file", "Protocol \"file\" not supported")
        self.pull_fails("ftp", "Protocol \"ftp\" not supported")

    def test_endless_manifest_is_cut_off(self):
        self.pull_fails("endless", "is larger than 8 MiB")
        self.assertEqual(self.d.docker("images", "-q")[1], "")

    def test_large_error_and_token_bodies_are_cut_off(self):
        self.pull_fails("bigerror", "the error response to GET")
        self.pull_fails("bigerror", "is larger than 64 KiB")
        self.pull_fails("bigtoken", "is larger than 1 MiB")

    def test_slow_manifest_meets_the_request_deadline(self):
        # Retried a few times, each ended after 3 s (pull_fails: within 60 s).
        self.pull_fails("slow", "Operation timed out after 3")

    def test_credentials_never_follow_a_redirect_to_another_origin(self):
        import base64

        self.addCleanup(self.rmi_all)
        auth = base64.urlsafe_b64encode(json.dumps({"username": "user", "password": "secret"}).encode()).decode()
        status, _, body = self.d.request("POST", "/images/create?fromImage=%s/creds&tag=1" % self.host,
                                         headers={"X-Registry-Auth": auth})
        self.assertEqual(status, 200, body)
        self.assertNotIn(b"errorDetail", body)
        self.assertIn(b"Downloaded newer image", body)
        # The same origin gets them (the recording works), the other never.
        self.assertIn(self.credentials, self.seen_auth["same-origin"])
        self.assertTrue(self.seen_auth["elsewhere"])
        self.assertEqual(set(self.seen_auth["elsewhere"]), {None})


class DistributionTest(RegistryTestCase):
    """GET /distribution/{name}/json (docker-py's inspect_distribution)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        t = cls.tmp
        cls.multi = fixture(os.path.join(t, "multi.tar"), "-n", "d:multi", "-p", "linux/amd64",
                            "-p", "linux/arm64/v8", "-f", "d=multi")
        cls.reg.seed(os.path.join(t, "multi.tar"), "d:multi")
        cls.docker_single = fixture(os.path.join(t, "dsingle.tar"), "-n", "d:docker", "-p", "linux/arm64",
                                    "--docker-media-types", "-f", "d=docker")
        cls.reg.seed(os.path.join(t, "dsingle.tar"), "d:docker")
        cls.oci_single = fixture(os.path.join(t, "osingle.tar"), "-n", "d:oci", "-f", "d=oci")
        cls.reg.seed(os.path.join(t, "osingle.tar"), "d:oci")

    def inspect(self, ref):
        status, _, body = self.d.request("GET", "/v1.50/distribution/%s/json" % ref)
        return status, json.loads(body)

    def test_index_lists_its_platforms(self):
        raw = self.reg.raw("d:multi")
        status, info = self.inspect(self.ref("d:multi"))
        self.assertEqual(status, 200, info)
        self.assertEqual(info["Descriptor"], {"mediaType": json.loads(raw)["mediaType"],
                                              "digest": sha(raw), "size": len(raw)})
        self.assertEqual(info["Descriptor"]["digest"], self.multi["target"])
        self.assertEqual(info["Platforms"], [{"architecture": "amd64", "os": "linux"},
                                             {"architecture": "arm64", "os": "linux", "variant": "v8"}])
        # By digest: the same answer.
        status, by_digest = self.inspect(self.ref("d@" + self.multi["target"]))
        self.assertEqual((status, by_digest), (200, info))

    def test_single_manifests(self):
        raw = self.reg.raw("d:docker")
        status, info = self.inspect(self.ref("d:docker"))
        self.assertEqual(status, 200, info)
        self.assertEqual(info["Descriptor"], {"mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                                              "digest": sha(raw), "size": len(raw)})
        # A Docker schema-2 manifest: the platform of its config.
        self.assertEqual(info["Platforms"], [{"architecture": "arm64", "os": "linux"}])
        # An OCI manifest: dockerd 28.2 lists no platform (null).
        raw = self.reg.raw("d:oci")
        status, info = self.inspect(self.ref("d:oci"))
        self.assertEqual(status, 200, info)
        self.assertEqual(info, {"Descriptor": {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                               "digest": sha(raw), "size": len(raw)}, "Platforms": None})

    def test_errors(self):
        status, info = self.inspect(self.ref("d:nope"))
        self.assertEqual((status, info["message"]), (404, "manifest unknown: manifest unknown"))
        # An unknown repository: whatever error the registry gives, passed on.
        try:
            urllib.request.urlopen("http://%s/v2/nothere/manifests/1" % self.reg.host, timeout=10)
            self.fail("the registry knows nothere:1")
        except urllib.error.HTTPError as e:
            err = json.loads(e.read())["errors"][0]
        status, info = self.inspect(self.ref("nothere:1"))
        self.assertEqual((status, info["message"]),
                         (404, "%s: %s" % (err["code"].lower().replace("_", " "), err["message"])))
        status, info = self.inspect("Bad:Name")
        self.assertEqual(status, 400, info)
        status, info = self.inspect("a" * 64)
        self.assertEqual((status, info["message"]), (500, "no manifest found for full image ID"))

    def test_python_sdk(self):
        try:
            import docker
        except ImportError:
            self.skipTest("no docker SDK")
        client = docker.DockerClient(base_url=self.d.host)
        try:
            info = client.api.inspect_distribution(self.ref("d:multi"))
            self.assertEqual(info["Descriptor"]["digest"], self.multi["target"])
            data = client.images.get_registry_data(self.ref("d:multi"))
            self.assertEqual(data.id, self.multi["target"])
            self.assertTrue(data.has_platform("linux/arm64/v8"))
            self.assertFalse(data.has_platform("linux/s390x"))
            with self.assertRaises(docker.errors.NotFound):
                client.api.inspect_distribution(self.ref("d:nope"))
        finally:
            client.close()


class ConfigTest(RegistryTestCase):
    """Registry settings from daemon.json reach the pull: with
    max-concurrent-downloads 1, layers download one at a time (seen at a
    proxy that holds every blob response back)."""

    @classmethod
    def setUpClass(cls):
        cls.cfg_dir = tempfile.mkdtemp(prefix="berth-e2e-cfg-")
        cfg = os.path.join(cls.cfg_dir, "daemon.json")
        with open(cfg, "w") as f:
            json.dump({"max-concurrent-downloads": 1, "max-concurrent-uploads": 1,
                       "insecure-registries": ["10.0.0.0/8"]}, f)
        cls.daemon_args = ("--config-file", cfg)
        super().setUpClass()
        layout = os.path.join(cls.tmp, "layout")
        build_layout(layout, 1, 5)  # 5 layers of 200 kB
        subprocess.run([SKOPEO, "copy", "--dest-tls-verify=false", "oci:%s:1" % layout,
                        "docker://%s/five:1" % cls.reg.host], capture_output=True, check=True, timeout=120)
        # skopeo compresses the layers on the way: the registry's manifest.
        cls.manifest = sha(cls.reg.raw("five:1"))

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.cfg_dir, ignore_errors=True)

    def test_one_download_at_a_time(self):
        p = FaultProxy(self.reg.port, blob_delay=0.3).start()
        self.addCleanup(p.stop)
        ref = self.ref("five:1", host="127.0.0.1:%d" % p.port)
        out = self.docker_ok("pull", ref)
        self.assertEqual(out.count(": Pull complete\n"), 5, out)
        self.assertEqual(self.image_id(ref), self.manifest)
        self.assertGreaterEqual(len(p.blob_gets), 6)  # config and 5 layers
        self.assertEqual(p.max_inflight, 1)


class FaultTest(RegistryTestCase):
    """Broken and corrupted blob downloads through fault_proxy."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.f_path = os.path.join(cls.tmp, "f.tar")
        cls.f = fixture(cls.f_path, "-n", "f:1", "-f", "big=" + os.urandom(50000).hex())
        cls.f_blobs = archive_blobs(cls.f_path)
        cls.reg.seed(cls.f_path, "f:1")
        layers = layers_of(cls.f_blobs, cls.f["target"])
        cls.big = max(layers, key=lambda d: len(cls.f_blobs[d]))
        # Another image (no shared layer) for the corruption test, so that no
        # layer of it can be in the store already.
        cls.g_path = os.path.join(cls.tmp, "g.tar")
        cls.g = fixture(cls.g_path, "-n", "g:1", "-f", "big=" + os.urandom(50000).hex())
        cls.g_blobs = archive_blobs(cls.g_path)
        cls.reg.seed(cls.g_path, "g:1")
        cls.g_big = max(layers_of(cls.g_blobs, cls.g["target"]), key=lambda d: len(cls.g_blobs[d]))

    def setUp(self):
        self.rmi_all()
        self.docker_ok("image", "prune", "-a", "-f")

    def proxy(self, **kw):
        p = FaultProxy(self.reg.port, **kw).start()
        self.addCleanup(p.stop)
        return p

    def test_dropped_connection_mid_blob_is_resumed(self):
        p = self.proxy(drop_digest=self.big)
        ref = self.ref("f:1", host="127.0.0.1:%d" % p.port)
        out = self.docker_ok("pull", ref)
        self.assertIn("Status: Downloaded newer image for %s\n" % ref, out)
        self.assertEqual(p.dropped, 1)
        gets = [g for g in p.blob_gets if g[0] == self.big]
        self.assertGreaterEqual(len(gets), 2, p.blob_gets)
        self.assertEqual(self.image_id(ref), self.f["target"])
        # The layer is complete: a save of the image holds the exact blob.
        rc, data, err = self.d.docker_bytes("save", ref)
        self.assertEqual(rc, 0, err)
        path = self.path("saved.tar")
        with open(path, "wb") as f:
            f.write(data)
        self.assertEqual(archive_blobs(path)[self.big], self.f_blobs[self.big])

    def test_default_parallel_downloads(self):
        layout = self.path("layout5")
        build_layout(layout, 1, 5)
        subprocess.run([SKOPEO, "copy", "--dest-tls-verify=false", "oci:%s:1" % layout,
                        "docker://%s/five:1" % self.reg.host], capture_output=True, check=True, timeout=120)
        manifest = sha(self.reg.raw("five:1"))
        p = self.proxy(blob_delay=0.3)
        ref = self.ref("five:1", host="127.0.0.1:%d" % p.port)
        self.docker_ok("pull", ref)
        self.assertEqual(self.image_id(ref), manifest)
        self.assertEqual(p.max_inflight, 3)  # max-concurrent-downloads' default

    def test_corrupted_blob_fails_the_pull(self):
        p = self.proxy(corrupt_digest=self.g_big)
        ref = self.ref("g:1", host="127.0.0.1:%d" % p.port)
        before = self.docker_ok("images", "-a")
        rc, out, err = self.d.docker("pull", ref)
        self.assertEqual(rc, 1, out + err)
        self.assertGreaterEqual(p.corrupted, 1)
        self.assertIn(self.g_big, out + err)
        self.assertEqual(self.docker_ok("images", "-a"), before)


class PushTest(RegistryTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        t = cls.tmp
        cls.p_path = os.path.join(t, "p.tar")
        cls.p = fixture(cls.p_path, "-n", "p:1", "-p", "linux/amd64", "-p", "linux/arm64", "-f", "push=1")
        cls.p_blobs = archive_blobs(cls.p_path)
        cls.q_path = os.path.join(t, "q.tar")
        cls.q = fixture(cls.q_path, "-n", "q:1", "-p", "linux/amd64", "-p", "linux/arm64", "-f", "push=2")

    def setUp(self):
        self.rmi_all()

    def test_push_round_trip(self):
        self.docker_ok("load", "-i", self.p_path)
        ref = self.ref("pushed:1")
        self.docker_ok("tag", "p:1", ref)
        out = self.docker_ok("push", ref)
        self.assertTrue(out.startswith("The push refers to repository [%s/pushed]\n" % self.reg.host), out)
        self.assertIn("1: digest: %s size: %d\n" % (self.p["target"], len(self.p_blobs[self.p["target"]])), out)
        self.assertEqual(self.reg.raw("pushed:1"), self.p_blobs[self.p["target"]])
        for plat, m in self.p["manifests"].items():
            self.assertEqual(self.reg.raw("pushed@" + m), self.p_blobs[m], plat)
            manifest = json.loads(self.p_blobs[m])
            for d in [manifest["config"]["digest"]] + [l["digest"] for l in manifest["layers"]]:
                self.assertEqual(self.reg.blob("pushed", d), self.p_blobs[d])
        # Pushing again: everything is there already.
        out = self.docker_ok("push", ref)
        self.assertIn("1: digest: %s" % self.p["target"], out)
        self.assertNotIn(": Pushed\n", out)
        # Pulled back into a second daemon: the same image.
        d2 = Daemon(self.tmp, name="berth2", data_root=self.path("data2")).start()
        try:
            rc, out, err = d2.docker("pull", ref)
            self.assertEqual(rc, 0, out + err)
            rc, out, err = d2.docker("image", "inspect", "--format", "{{.Id}}", ref)
            self.assertEqual(out, self.p["target"] + "\n")
        finally:
            try:
                # Generous: on the shared 2-core machine a shutdown has taken
                # over 20 s under heavy load.
                d2.stop(timeout=90)
            except subprocess.TimeoutExpired:
                d2.proc.kill()
                raise AssertionError("second berthd did not stop within 90 s:\n" + d2.read_log()[-3000:])

    def test_push_with_absent_platform(self):
        self.docker_ok("load", "-i", self.q_path)
        ref = self.ref("partial:1")
        self.docker_ok("tag", "q:1", ref)
        self.docker_ok("rmi", "--platform", "linux/arm64", ref)
        out = self.docker_ok("push", ref)
        index = self.reg.raw("partial:1")
        self.assertEqual(platforms_of(index), ["linux/amd64"])
        self.assertNotEqual(sha(index), self.q["target"])
        self.assertIn("1: digest: %s size: %d\n" % (sha(index), len(index)), out)
        self.assertEqual(self.reg.raw("partial@" + self.q["manifests"]["linux/amd64"]),
                         archive_blobs(self.q_path)[self.q["manifests"]["linux/amd64"]])

    def test_push_of_absent_image(self):
        ref = self.ref("none:1")
        self.docker_fails("push", ref, err="Error response from daemon: No such image: %s\n" % ref)


class AuthTest(RegistryTestCase):
    auth = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.a_path = os.path.join(cls.tmp, "a.tar")
        cls.a = fixture(cls.a_path, "-n", "a:1", "-f", "auth=1")
        cls.reg.seed(cls.a_path, "a:1")

    def test_login_pull_push(self):
        self.rmi_all()
        self.d.docker("logout", self.reg.host)
        ref = self.ref("a:1")
        rc, out, err = self.d.docker("pull", ref)
        self.assertEqual(rc, 1)
        self.assertTrue(err.startswith("Error response from daemon: pull access denied for %s, repository does "
                                       "not exist or may require 'docker login'" % self.ref("a")), err)
        self.assertEqual(self.image_ids(), [])
        rc, out, err = self.d.docker("login", self.reg.host, "-u", USER, "--password-stdin", input=b"wrong")
        self.assertEqual(rc, 1, out + err)
        self.assertEqual(err, "Error response from daemon: login attempt to http://%s/v2/ failed with status: "
                              "401 Unauthorized\n" % self.reg.host)
        out = self.docker_ok("login", self.reg.host, "-u", USER, "--password-stdin", input=PASSWORD.encode())
        self.assertIn("Login Succeeded", out)
        out = self.docker_ok("pull", ref)
        self.assertIn("Status: Downloaded newer image for %s\n" % ref, out)
        self.assertEqual(self.image_id(ref), self.a["target"])
        ref2 = self.ref("a:copy")
        self.docker_ok("tag", ref, ref2)
        out = self.docker_ok("push", ref2)
        self.assertIn("copy: digest: %s" % self.a["target"], out)
        self.assertEqual(sha(self.reg.raw("a:copy")), self.a["target"])


class RemovePlatformTest(RegistryTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.r_path = os.path.join(cls.tmp, "r.tar")
        cls.r = fixture(cls.r_path, "-n", "r:1", "-p", "linux/amd64", "-p", "linux/arm64", "-p", "linux/arm/v7",
                        "-f", "rm=1")

    def test_api_then_cli(self):
        if not os.path.exists(BERTH):
            self.skipTest("missing " + BERTH)
        self.reg.seed(self.r_path, "rp:1")
        ref = self.ref("rp:1")
        status, _, body = self.d.request(
            "POST", "/berth/v1/registry/rm-platform?reference=%s&platform=linux%%2Farm64" %
            urllib.parse.quote(ref, safe=""))
        self.assertEqual(status, 200, body)
        res = json.loads(body)
        index = self.reg.raw("rp:1")
        self.assertEqual(res["OldDigest"], self.r["target"])
        self.assertEqual(res["NewDigest"], sha(index))
        self.assertEqual(res["RemovedManifests"], [self.r["manifests"]["linux/arm64"]])
        self.assertEqual(platforms_of(index), ["linux/amd64", "linux/arm/v7"])
        # The CLI needs no data root: point it at one that does not exist.
        p = subprocess.run([BERTH, "--data-root", self.path("no-such-root"), "registry", "rm-platform", ref,
                            "--platform", "linux/arm/v7"], capture_output=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        index2 = self.reg.raw("rp:1")
        self.assertEqual(p.stdout.decode(), "Removed: %s\nOld digest: %s\nNew digest: %s\n" % (
            self.r["manifests"]["linux/arm/v7"], sha(index), sha(index2)))
        self.assertEqual(platforms_of(index2), ["linux/amd64"])
        self.assertFalse(os.path.exists(self.path("no-such-root")))
        # Errors: the last platform, a platform not there, a digest reference.
        p = subprocess.run([BERTH, "registry", "rm-platform", ref, "--platform", "linux/amd64"],
                           capture_output=True, timeout=120)
        self.assertEqual(p.returncode, 1)
        self.assertTrue(p.stderr.decode().startswith("Error: "), p.stderr)
        status, _, body = self.d.request(
            "POST", "/berth/v1/registry/rm-platform?reference=%s&platform=linux%%2Fppc64le" %
            urllib.parse.quote(ref, safe=""))
        self.assertEqual(status, 404, body)
        status, _, body = self.d.request(
            "POST", "/berth/v1/registry/rm-platform?reference=%s&platform=linux%%2Famd64" %
            urllib.parse.quote(self.ref("rp@" + sha(index2)), safe=""))
        self.assertEqual(status, 400, body)
        self.assertEqual(platforms_of(self.reg.raw("rp:1")), ["linux/amd64"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
