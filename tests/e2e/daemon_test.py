"""berthd as a process: start-up errors, shutdown, config file, metrics,
TLS, and the streaming paths (big loads in flat memory, /_ping during a
slow load)."""

import gzip
import hashlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from berth_e2e import (BERTHD, DOCKER, FIXTURE, Daemon, RandomReader, await_condition, fixture, free_port,  # noqa: E402
                       read_http_response)


def vm_hwm_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def write_config_bomb(path, config_bytes):
    """A gzip'd OCI layout whose image config is `config_bytes` of valid JSON
    (a label padded with spaces): a few hundred KiB on disk. Streams the
    config twice (digest, then archive) so the test itself stays small."""
    head = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{"Labels":{"p":"'
    tail = b'"}}}'
    pad = config_bytes - len(head) - len(tail)
    chunk = b" " * (1 << 20)

    def pieces():
        yield head
        left = pad
        while left > 0:
            yield chunk[:min(left, len(chunk))]
            left -= len(chunk)
        yield tail

    h = hashlib.sha256()
    for p in pieces():
        h.update(p)
    config_digest = "sha256:" + h.hexdigest()

    class Stream(io.RawIOBase):
        def __init__(self):
            self.it, self.buf = pieces(), b""

        def readable(self):
            return True

        def readinto(self, b):
            while not self.buf:
                try:
                    self.buf = next(self.it)
                except StopIteration:
                    return 0
            n = min(len(b), len(self.buf))
            b[:n], self.buf = self.buf[:n], self.buf[n:]
            return n

    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": config_digest, "size": config_bytes},
                           "layers": []}).encode()
    manifest_digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
    index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                       "digest": manifest_digest, "size": len(manifest),
                                       "annotations": {"io.containerd.image.name": "docker.io/library/bomb:1"}}]}).encode()
    with gzip.open(path, "wb", compresslevel=1) as gz, tarfile.open(fileobj=gz, mode="w|") as t:
        for name, data in (("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'), ("index.json", index),
                           ("blobs/sha256/" + manifest_digest[7:], manifest)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo("blobs/sha256/" + config_digest[7:])
        info.size = config_bytes
        t.addfile(info, io.BufferedReader(Stream(), 1 << 20))
    return config_digest


def write_big_oci_archive(path, name, layer_bytes):
    """An OCI layout tar whose single uncompressed layer holds `layer_bytes`
    random bytes. Returns the manifest digest (the image ID)."""
    work = path + ".work"
    os.makedirs(work, exist_ok=True)
    layer_path = os.path.join(work, "layer.tar")
    with tarfile.open(layer_path, "w", format=tarfile.PAX_FORMAT) as t:
        info = tarfile.TarInfo("big.bin")
        info.size = layer_bytes
        info.mtime = 0
        t.addfile(info, io.BufferedReader(RandomReader(layer_bytes)))
    h = hashlib.sha256()
    with open(layer_path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    layer_digest = "sha256:" + h.hexdigest()
    layer_size = os.path.getsize(layer_path)
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                         "created": "2024-01-01T00:00:00Z",
                         "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
                         "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "big"}]}).encode()
    config_digest = "sha256:" + hashlib.sha256(config).hexdigest()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": config_digest, "size": len(config)},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                       "digest": layer_digest, "size": layer_size}]}).encode()
    manifest_digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
    index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                       "digest": manifest_digest, "size": len(manifest),
                                       "annotations": {"io.containerd.image.name": "docker.io/library/" + name,
                                                       "org.opencontainers.image.ref.name": name.split(":")[1]}}]
                        }).encode()

    def add_bytes(t, arcname, data):
        info = tarfile.TarInfo(arcname)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))

    with tarfile.open(path, "w") as t:
        add_bytes(t, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add_bytes(t, "index.json", index)
        add_bytes(t, "blobs/sha256/" + config_digest[7:], config)
        add_bytes(t, "blobs/sha256/" + manifest_digest[7:], manifest)
        t.add(layer_path, arcname="blobs/sha256/" + layer_digest[7:])
    shutil.rmtree(work)
    return manifest_digest


class DaemonTest(unittest.TestCase):
    def setUp(self):
        for p in (BERTHD, FIXTURE, DOCKER):
            if not os.path.exists(p):
                self.skipTest("missing " + p)
        self.tmp = tempfile.mkdtemp(prefix="berth-daemon-")
        self.daemons = []

    def tearDown(self):
        for d in self.daemons:
            d.stop(signal.SIGKILL)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def daemon(self, *args, **kw):
        d = Daemon(self.tmp, args, **kw)
        self.daemons.append(d)
        return d

    def run_berthd(self, *args):
        p = subprocess.run([BERTHD] + list(args), capture_output=True, timeout=30)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def test_sigterm_removes_socket_and_pidfile(self):
        d = self.daemon().start()
        with open(d.pidfile) as f:
            self.assertEqual(int(f.read()), d.proc.pid)
        self.assertEqual(os.stat(d.sock).st_mode & 0o777, 0o660)
        self.assertEqual(d.docker("version", "--format", "{{.Server.Version}}")[1], "28.2.2\n")
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        self.assertFalse(os.path.exists(d.sock))
        self.assertFalse(os.path.exists(d.pidfile))
        self.assertIn("Daemon shutdown complete", d.read_log())
        # SIGINT too; a stale socket file from a killed daemon is replaced.
        d2 = self.daemon(name="again").start()
        d2.proc.kill()
        d2.proc.wait()
        self.assertTrue(os.path.exists(d2.sock))
        d3 = self.daemon(name="again", data_root=os.path.join(self.tmp, "data3")).start()
        self.assertEqual(d3.docker("version", "--format", "{{.Server.APIVersion}}")[1], "1.50\n")
        self.assertEqual(d3.stop(signal.SIGINT), 0)

    def test_second_daemon_on_same_data_root_fails(self):
        d = self.daemon().start()
        second = self.daemon(name="second")
        second.start(wait=False)
        rc = second.proc.wait(20)
        self.assertEqual(rc, 1)
        log = second.read_log()
        self.assertIn("berthd: ", log)
        self.assertIn("pid %d" % d.proc.pid, log)
        self.assertFalse(os.path.exists(second.sock))
        # The first one is unharmed.
        self.assertEqual(d.docker("version", "--format", "{{.Server.APIVersion}}")[1], "1.50\n")
        # Another daemon on the first one's socket (different data root) is
        # refused instead of stealing the socket.
        rc, _, err = self.run_berthd("--data-root", os.path.join(self.tmp, "other"), "--exec-root",
                                     os.path.join(self.tmp, "run-other"), "-H", "unix://" + d.sock,
                                     "--pidfile", os.path.join(self.tmp, "other.pid"))
        self.assertEqual(rc, 1)
        self.assertEqual(err, "berthd: another daemon is already listening on %s\n" % d.sock)

    def test_plain_tcp_and_bad_flags_refused(self):
        common = ["--data-root", os.path.join(self.tmp, "d"), "--exec-root", os.path.join(self.tmp, "r"),
                  "--pidfile", os.path.join(self.tmp, "p.pid")]
        rc, _, err = self.run_berthd(*common, "-H", "tcp://127.0.0.1:%d" % free_port())
        self.assertEqual(rc, 1)
        self.assertTrue(err.startswith("berthd: refusing to listen on tcp://127.0.0.1:"), err)
        self.assertIn("--tlsverify", err)
        rc, _, err = self.run_berthd(*common, "-H", "fd://")
        self.assertEqual((rc, err), (1, "berthd: invalid bind address (fd://): unsupported proto 'fd'\n"))
        rc, _, err = self.run_berthd(*common, "--log-level", "loud")
        self.assertNotEqual(rc, 0)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "p.pid")))

    def test_config_file(self):
        cfg = os.path.join(self.tmp, "daemon.json")
        sock = os.path.join(self.tmp, "cfg.sock")
        with open(cfg, "w") as f:
            json.dump({"data-root": os.path.join(self.tmp, "cfgdata"), "hosts": ["unix://" + sock],
                       "log-level": "debug", "exec-root": os.path.join(self.tmp, "cfgrun"),
                       "pidfile": os.path.join(self.tmp, "cfg.pid")}, f)
        p = subprocess.Popen([BERTHD, "--config-file", cfg], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            self.assertTrue(await_condition(lambda: os.path.exists(sock), timeout=10))
            env = dict(os.environ, DOCKER_HOST="unix://" + sock)
            out = subprocess.run([DOCKER, "info", "--format", "{{.DockerRootDir}}"], env=env, capture_output=True)
            self.assertEqual(out.stdout.decode(), os.path.join(self.tmp, "cfgdata") + "\n")
            self.assertTrue(os.path.exists(os.path.join(self.tmp, "cfg.pid")))
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait(20)
        self.assertEqual(p.returncode, 0)
        rc, _, err = self.run_berthd("--config-file", cfg, "--data-root", "/tmp/elsewhere")
        self.assertEqual(rc, 1)
        self.assertIn("the following directives are specified both as a flag and in the configuration file: "
                      "data-root: (from flag: /tmp/elsewhere, from file: ", err)
        rc, _, err = self.run_berthd("--config-file", os.path.join(self.tmp, "missing.json"))
        self.assertEqual(rc, 1)

    def test_metrics_addr(self):
        port = free_port()
        d = self.daemon("--metrics-addr", "127.0.0.1:%d" % port).start()
        d.docker("images")
        scraped = {}

        def counted():
            scraped["body"] = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read().decode()
            return 'endpoint="GET /images/json"' in scraped["body"]

        await_condition(counted, timeout=3)
        body = scraped["body"]
        self.assertIn('berth_http_requests_total{endpoint="GET /images/json",status="200"} 1', body)
        self.assertIn("berth_http_request_seconds", body)

    def test_tls(self):
        if shutil.which("openssl") is None:
            self.skipTest("no openssl")
        certs = os.path.join(self.tmp, "certs")
        os.makedirs(certs)

        def ossl(*args):
            subprocess.run(["openssl"] + list(args), cwd=certs, check=True, capture_output=True)

        ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem",
             "-days", "2", "-subj", "/CN=berth-test-ca")
        with open(os.path.join(certs, "ext.cnf"), "w") as f:
            f.write("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
        with open(os.path.join(certs, "client.cnf"), "w") as f:
            f.write("extendedKeyUsage=clientAuth\n")
        for who, ext in (("server", "ext.cnf"), ("client", "client.cnf")):
            ossl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", who + "-key.pem", "-out", who + ".csr",
                 "-subj", "/CN=" + who)
            ossl("x509", "-req", "-in", who + ".csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
                 "-out", who + "-cert.pem", "-days", "2", "-extfile", ext)
        port = free_port()
        d = self.daemon("-H", "tcp://127.0.0.1:%d" % port, "--tlsverify", "--tlscacert",
                        os.path.join(certs, "ca.pem"), "--tlscert", os.path.join(certs, "server-cert.pem"),
                        "--tlskey", os.path.join(certs, "server-key.pem"))
        d.start()  # the unix socket comes up together with the TLS port
        client_dir = os.path.join(self.tmp, "client")
        os.makedirs(client_dir)
        shutil.copy(os.path.join(certs, "ca.pem"), os.path.join(client_dir, "ca.pem"))
        shutil.copy(os.path.join(certs, "client-cert.pem"), os.path.join(client_dir, "cert.pem"))
        shutil.copy(os.path.join(certs, "client-key.pem"), os.path.join(client_dir, "key.pem"))
        env = dict(os.environ, DOCKER_HOST="tcp://127.0.0.1:%d" % port, DOCKER_TLS_VERIFY="1",
                   DOCKER_CERT_PATH=client_dir, DOCKER_CONFIG=os.path.join(self.tmp, "cfg"))
        p = subprocess.run([DOCKER, "version", "--format", "{{.Server.APIVersion}}"], env=env, capture_output=True,
                           timeout=30)
        self.assertEqual((p.returncode, p.stdout.decode()), (0, "1.50\n"), p.stderr.decode())
        fixture(os.path.join(self.tmp, "t.tar"), "-n", "tls:1", "-f", "t=1")
        p = subprocess.run([DOCKER, "load", "-i", os.path.join(self.tmp, "t.tar")], env=env, capture_output=True,
                           timeout=60)
        self.assertEqual(p.stdout.decode(), "Loaded image: tls:1\n", p.stderr.decode())
        # Without a client certificate the handshake fails.
        os.remove(os.path.join(client_dir, "cert.pem"))
        os.remove(os.path.join(client_dir, "key.pem"))
        p = subprocess.run([DOCKER, "version"], env=env, capture_output=True, timeout=30)
        self.assertNotEqual(p.returncode, 0)

    def test_config_bomb_is_refused_in_flat_memory(self):
        # A 600 MB config compressed to a few hundred KiB. By default the
        # archive's compression ratio stops it once 64 MiB are decompressed.
        bomb = os.path.join(self.tmp, "bomb.tar.gz")
        config_digest = write_config_bomb(bomb, 600 << 20)
        self.assertLess(os.path.getsize(bomb), 4 << 20)
        d = self.daemon().start()
        rc, out, err = d.docker("load", "-i", bomb, timeout=300)
        self.assertNotEqual(rc, 0, out)
        self.assertIn("the archive decompresses more than 100:1", err)
        self.assertEqual(d.docker("images", "-q")[1], "")
        self.assertEqual(d.stop(), 0)
        # Without the ratio bound: refused by its declared size before it is
        # read; the daemon never holds it.
        d = self.daemon("--layer-max-ratio", "0").start()
        rc, out, err = d.docker("load", "-i", bomb, timeout=300)
        self.assertNotEqual(rc, 0, out)
        self.assertIn("config %s is %d bytes, more than the limit of 8 MiB" % (config_digest, 600 << 20), err)
        peak_mib = vm_hwm_kb(d.proc.pid) >> 10
        self.assertLess(peak_mib, 256, "berthd's peak RSS reached %d MiB" % peak_mib)
        print("config bomb: berthd peak RSS %d MiB" % peak_mib, file=sys.stderr)
        self.assertEqual(d.docker("images", "-q")[1], "")
        self.assertEqual(d.request("GET", "/_ping")[:3:2], (200, b"OK"))

    def test_big_load_streams_in_flat_memory(self):
        d = self.daemon().start()
        big = os.path.join(self.tmp, "big.tar")
        size = 256 << 20
        image_id = write_big_oci_archive(big, "big:1", size)
        before = vm_hwm_kb(d.proc.pid)
        rc, out, err = d.docker("load", "-i", big, timeout=300)
        self.assertEqual((rc, out), (0, "Loaded image: big:1\n"), err)
        peak = vm_hwm_kb(d.proc.pid)
        self.assertLess(peak - before, 96 * 1024, "peak RSS grew by %d KiB loading a %d MiB archive" %
                        (peak - before, size >> 20))
        self.assertEqual(d.docker("image", "inspect", "-f", "{{.Id}}", "big:1")[1], image_id + "\n")
        # And back out through save, streamed too.
        rc, out, err = d.docker("save", "-o", os.path.join(self.tmp, "big-saved.tar"), "big:1", timeout=300)
        self.assertEqual(rc, 0, err)
        self.assertGreater(os.path.getsize(os.path.join(self.tmp, "big-saved.tar")), size)
        self.assertLess(vm_hwm_kb(d.proc.pid) - before, 96 * 1024)

    def test_blobs_of_a_load_killed_midway_are_reclaimed_on_start(self):
        d = self.daemon().start()
        archive = os.path.join(self.tmp, "k.tar")
        write_big_oci_archive(archive, "killed:1", 4 << 20)
        with open(archive, "rb") as f:
            data = f.read()
        s = socket.socket(socket.AF_UNIX)
        s.connect(d.sock)
        s.sendall(b"POST /v1.50/images/load?quiet=1 HTTP/1.1\r\nHost: docker\r\n"
                  b"Content-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n")
        half = len(data) // 2  # the config and manifest, part of the layer
        s.sendall(b"%x\r\n" % half + data[:half] + b"\r\n")
        blobs = os.path.join(d.data_root, "content", "blobs", "sha256")

        def blob_files():
            return sorted(os.listdir(blobs)) if os.path.isdir(blobs) else []

        await_condition(lambda: len(blob_files()) >= 2)
        left = blob_files()
        self.assertGreaterEqual(len(left), 2, "the half load committed nothing")
        d.stop(signal.SIGKILL)
        s.close()
        self.assertEqual(blob_files(), left)  # the crash left them behind
        d.start()
        self.assertEqual(blob_files(), [], d.read_log())
        self.assertIn("that an interrupted load or pull left", d.read_log())
        self.assertEqual(d.docker("images", "-q")[1], "")

    def test_ping_answers_during_a_slow_load(self):
        d = self.daemon().start()
        fixture(os.path.join(self.tmp, "s.tar"), "-n", "slow:1", "-f", "s=1")
        with open(os.path.join(self.tmp, "s.tar"), "rb") as f:
            data = f.read()
        s = socket.socket(socket.AF_UNIX)
        s.connect(d.sock)
        s.sendall(b"POST /v1.50/images/load?quiet=1 HTTP/1.1\r\nHost: docker\r\n"
                  b"Content-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n")
        half = len(data) // 2
        s.sendall(b"%x\r\n" % half + data[:half] + b"\r\n")
        # The load handler is now blocked reading the body; other requests
        # still get answers.
        t0 = time.time()
        for _ in range(5):
            status, _, body = d.request("GET", "/_ping")
            self.assertEqual((status, body), (200, b"OK"))
            status, _, body = d.request("GET", "/v1.50/images/json")
            self.assertEqual(status, 200)
        self.assertLess(time.time() - t0, 5)
        rest = data[half:]
        s.sendall(b"%x\r\n" % len(rest) + rest + b"\r\n0\r\n\r\n")
        s.settimeout(30)
        resp = b""
        while not resp.endswith(b"0\r\n\r\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            resp += chunk
        s.close()
        self.assertTrue(resp.startswith(b"HTTP/1.1 200 OK\r\n"), resp[:200])
        self.assertIn(b'{"stream":"Loaded image: slow:1\\n"}', resp)
        # A client that gives up half-way does not leave the daemon stuck.
        s = socket.socket(socket.AF_UNIX)
        s.connect(d.sock)
        s.sendall(b"POST /v1.50/images/load HTTP/1.1\r\nHost: docker\r\nContent-Length: %d\r\n\r\n" % len(data))
        s.sendall(data[:1000])
        s.close()
        time.sleep(0.5)
        self.assertEqual(d.request("GET", "/_ping")[0], 200)
        self.assertEqual(d.stop(), 0)

    def test_connection_goes_on_after_chunked_bodies(self):
        d = self.daemon().start()
        fixture(os.path.join(self.tmp, "k.tar"), "-n", "keep:1", "-f", "k=1")
        with open(os.path.join(self.tmp, "k.tar"), "rb") as f:
            data = f.read()

        s = socket.socket(socket.AF_UNIX)
        s.settimeout(30)
        s.connect(d.sock)
        # A streamed load whose body comes in chunks, then more requests on
        # the same connection.
        s.sendall(b"POST /v1.50/images/load?quiet=1 HTTP/1.1\r\nHost: docker\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % len(data) + data + b"\r\n0\r\n\r\n")
        head, body = read_http_response(s)
        self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
        self.assertIn(b"Loaded image: keep:1", body)
        # A chunked body on a route that reads it whole.
        s.sendall(b"POST /v1.50/images/keep:1/tag?repo=kept&tag=2 HTTP/1.1\r\nHost: docker\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
        head, _ = read_http_response(s)
        self.assertTrue(head.startswith(b"HTTP/1.1 201"), head)
        s.sendall(b"GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n")
        head, body = read_http_response(s)
        self.assertEqual((head.split(b"\r\n")[0], body), (b"HTTP/1.1 200 OK", b"OK"))
        s.close()
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
