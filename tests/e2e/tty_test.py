"""stdin and TTYs end to end: `docker run -i`/`-t`/`-it`, `docker attach`,
`docker start -ai`, `docker exec -i`/`-it` (the CLI driven through a real
pseudo-terminal), detach keys, resize, raw logs of TTY containers, and the
Python SDK's attach and exec sockets."""

import json
import os
import pty
import select
import signal
import socket
import struct
import sys
import termios
import time
import fcntl
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from berth_e2e import DOCKER  # noqa: E402
from containers_test import ContainerTestCase  # noqa: E402

try:
    import docker
except ImportError:  # pragma: no cover
    docker = None


class PtyCli:
    """The docker CLI on a pseudo-terminal of ours (ROWS x COLS)."""

    def __init__(self, env, args, rows=24, cols=80):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the terminal side is its stdio
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
                os.execve(DOCKER, [DOCKER] + list(args), env)
            finally:
                os._exit(127)
        self.out = b""

    def expect(self, needle, timeout=20):
        """Reads until `needle` (bytes) has been printed; returns all output."""
        deadline = time.time() + timeout
        while needle not in self.out:
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError("%r not printed; got %r" % (needle, self.out))
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # EIO: the CLI has gone
                    chunk = b""
                if not chunk:
                    raise AssertionError("%r not printed before the end; got %r" % (needle, self.out))
                self.out += chunk
        return self.out

    def send(self, data):
        os.write(self.fd, data)

    def wait(self, timeout=20):
        """The CLI's exit code, draining its output meanwhile."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                # What the CLI printed just before it exited may still wait in
                # the terminal: read it all before closing (it was lost under load).
                while select.select([self.fd], [], [], 0.2)[0]:
                    try:
                        chunk = os.read(self.fd, 4096)
                    except OSError:  # EIO: nothing more
                        break
                    if not chunk:
                        break
                    self.out += chunk
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
            r, _, _ = select.select([self.fd], [], [], 0.1)
            if r:
                try:
                    self.out += os.read(self.fd, 4096)
                except OSError:
                    pass
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        raise AssertionError("the docker CLI did not exit; output %r" % self.out)


class TtyCliTest(ContainerTestCase):
    def pty_cli(self, *args, rows=24, cols=80):
        return PtyCli(self.d.env(), args, rows, cols)

    def test_run_i_feeds_stdin_and_ends_with_it(self):
        rc, out, err = self.d.docker("run", "-i", "--rm", "bb:1", "cat", input=b"hi\n")
        self.assertEqual((rc, out, err), (0, "hi\n", ""))
        # Without -i the container reads nothing.
        rc, out, err = self.d.docker("run", "--rm", "bb:1", "cat", input=b"hi\n")
        self.assertEqual((rc, out), (0, ""), err)

    def test_run_i_relays_bytes_that_are_not_utf8_unchanged(self):
        # Attach passes the container's output on byte for byte, as dockerd's
        # does; docker logs shows Docker's json-file text (U+FFFD), as dockerd.
        data = bytes(range(256)) * 64 + os.urandom(200000)
        rc, out, err = self.d.docker_bytes("run", "-i", "--name", "binary", "bb:1", "cat", input=data)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, data)
        rc, out, err = self.d.docker_bytes("run", "-i", "--rm", "bb:1", "cat", input=b"a\xffb\n")
        self.assertEqual((rc, out), (0, b"a\xffb\n"), err)
        rc, out, _ = self.d.docker_bytes("logs", "binary")
        self.assertEqual(rc, 0)
        self.assertEqual(out[:128], data[:128])  # ASCII stays as it is
        self.assertIn(b"\xef\xbf\xbd", out)  # the rest is text with U+FFFD
        self.assertNotEqual(out, data)

    def test_start_ai_attaches_stdin(self):
        cid = self.docker_ok("create", "-i", "bb:1", "sh", "-c", "read line; echo got $line").strip()
        self.assertEqual(self.inspect(cid, "{{.Config.OpenStdin}} {{.Config.StdinOnce}}"), "true true")
        rc, out, err = self.d.docker("start", "-ai", cid, input=b"word\n")
        self.assertEqual((rc, out), (0, "got word\n"), err)

    def test_run_t_gives_a_terminal_and_raw_logs(self):
        rc, out, err = self.d.docker("run", "-t", "--rm", "bb:1", "sh", "-c", "test -t 1 && echo tty")
        self.assertEqual((rc, out), (0, "tty\r\n"), err)
        cid = self.docker_ok("run", "-d", "-t", "bb:1", "sh", "-c", "echo out; echo err >&2").strip()
        self.docker_ok("wait", cid)
        self.assertEqual(self.inspect(cid, "{{.Config.Tty}}"), "true")
        rc, out, err = self.d.docker("logs", cid)
        self.assertEqual((rc, out, err), (0, "out\r\nerr\r\n", ""))
        # The stream is raw: no multiplexing header.
        st, headers, body = self.d.request("GET", "/containers/%s/logs?stdout=1&stderr=1" % cid)
        self.assertEqual((st, body), (200, b"out\r\nerr\r\n"))
        self.assertEqual(headers["Content-Type"], "application/vnd.docker.raw-stream")
        log = os.path.join(self.d.data_root, "containers", cid, "state", "container.log")
        with open(log) as f:
            entries = [json.loads(line) for line in f]
        self.assertEqual([(e["log"], e["stream"]) for e in entries], [("out\r\n", "stdout"), ("err\r\n", "stdout")])

    def test_run_it_is_an_interactive_shell_with_the_terminal_size(self):
        cli = self.pty_cli("run", "-it", "--rm", "bb:1", "sh", rows=33, cols=101)
        cli.expect(b"# ")
        cli.send(b"busybox stty size; echo $((6*7))\r")
        cli.expect(b"33 101\r\n")
        cli.expect(b"42\r\n")
        cli.send(b"exit 3\r")
        self.assertEqual(cli.wait(), 3)

    def test_detach_keys_leave_the_container_running(self):
        cid = self.docker_ok("run", "-dit", "bb:1", "sh").strip()
        cli = self.pty_cli("attach", cid)
        cli.send(b"echo $((5*5))\r")
        cli.expect(b"25\r\n")
        cli.send(b"\x10\x11")  # ctrl-p ctrl-q
        # As with dockerd, the CLI says so and exits 1.
        self.assertEqual(cli.wait(), 1, cli.out)
        self.assertIn(b"read escape sequence", cli.out)
        self.assertEqual(self.inspect(cid, "{{.State.Running}}"), "true")
        # Chosen keys, and the shell still answers.
        cli = self.pty_cli("attach", "--detach-keys", "ctrl-x,x", cid)
        cli.send(b"echo $((2*3))\r")
        cli.expect(b"6\r\n")
        cli.send(b"\x18x")
        self.assertEqual(cli.wait(), 1, cli.out)
        self.assertEqual(self.inspect(cid, "{{.State.Running}}"), "true")
        st, _, body = self.d.request("POST", "/containers/%s/attach?stream=1&stdin=1&detachKeys=ctrl-1" % cid)
        self.assertEqual(st, 400, body)
        self.assertEqual(json.loads(body)["message"], "Invalid detach keys (ctrl-1) provided")

    def test_resize_sets_the_containers_window(self):
        cid = self.docker_ok("run", "-dit", "bb:1", "sh").strip()
        st, _, body = self.d.request("POST", "/containers/%s/resize?h=41&w=120" % cid)
        self.assertEqual(st, 200, body)
        out = self.docker_ok("exec", cid, "busybox", "stty", "-F", "/dev/console", "size")
        self.assertEqual(out, "41 120\n")
        plain = self.docker_ok("run", "-d", "bb:1", "sleep", "1000").strip()
        st, _, body = self.d.request("POST", "/containers/%s/resize?h=41&w=120" % plain)
        self.assertEqual(st, 400, body)
        self.assertIn(b"has no TTY", body)
        st, _, body = self.d.request("POST", "/containers/%s/resize?h=x&w=1" % cid)
        self.assertEqual(st, 400, body)

    def test_exec_i_and_it(self):
        cid = self.docker_ok("run", "-d", "bb:1", "sleep", "1000").strip()
        rc, out, err = self.d.docker("exec", "-i", cid, "cat", input=b"hi\n")
        self.assertEqual((rc, out), (0, "hi\n"), err)
        cli = self.pty_cli("exec", "-it", cid, "sh", rows=20, cols=70)
        cli.expect(b"# ")
        cli.send(b"busybox stty size; echo $((7*8))\r")
        cli.expect(b"20 70\r\n")
        cli.expect(b"56\r\n")
        cli.send(b"exit 4\r")
        self.assertEqual(cli.wait(), 4)

    def shells(self, cid):
        """The PIDs of the `sh` processes in container `cid`."""
        out = self.docker_ok("exec", cid, "busybox", "ps", "-o", "pid,args")
        return [line.split()[0] for line in out.splitlines()[1:] if line.split()[1:] == ["sh"]]

    def test_exec_it_detach_keys_leave_the_exec_running(self):
        cid = self.docker_ok("run", "-d", "bb:1", "sleep", "1000").strip()
        cli = self.pty_cli("exec", "-it", cid, "sh")
        cli.expect(b"# ")
        cli.send(b"echo $((6*6))\r")
        cli.expect(b"36\r\n")
        # ctrl-p ctrl-q: the client leaves, the shell stays. (The docker CLI
        # watches a TTY's input for the keys itself and closes its input;
        # the end of a TTY exec's input ends the attach, as with dockerd.)
        cli.send(b"\x10\x11")
        cli.wait()
        self.assertEqual(len(self.shells(cid)), 1, cli.out)
        # The exec's own keys; a ctrl-p alone is passed on to the shell.
        cli = self.pty_cli("exec", "-it", "--detach-keys", "ctrl-x,x", cid, "sh")
        cli.expect(b"# ")
        cli.send(b"echo $((7*7))\r")
        cli.expect(b"49\r\n")
        cli.send(b"\x18x")
        cli.wait()
        self.assertEqual(len(self.shells(cid)), 2, cli.out)
        # The container goes on, and a bad key is refused with dockerd's text.
        self.assertEqual(self.inspect(cid, "{{.State.Running}}"), "true")
        rc, _, err = self.d.docker("exec", "-i", "--detach-keys", "ctrl-1", cid, "true", input=b"")
        self.assertNotEqual(rc, 0)
        self.assertIn("Invalid escape keys (ctrl-1) provided", err)


@unittest.skipIf(docker is None, "docker SDK not installed")
class TtySdkTest(ContainerTestCase):
    def client(self):
        return docker.APIClient(base_url=self.d.host, version="1.50", timeout=60)

    @staticmethod
    def read_to_end(sock, timeout=20):
        sock.settimeout(timeout)
        data = b""
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return data
            data += chunk

    @staticmethod
    def frames(data):
        out = []
        while data:
            stream, size = struct.unpack(">BxxxL", data[:8])
            out.append((stream, data[8:8 + size]))
            data = data[8 + size:]
        return out

    def test_attach_socket_with_stdin_once(self):
        api = self.client()
        try:
            # Not detached, the SDK asks for StdinOnce with OpenStdin.
            cid = api.create_container("bb:1", ["cat"], stdin_open=True)["Id"]
            self.assertTrue(api.inspect_container(cid)["Config"]["StdinOnce"])
            sock = api.attach_socket(cid, params={"stdin": 1, "stdout": 1, "stream": 1})
            api.start(cid)
            raw = sock._sock
            raw.sendall(b"hello\n")
            raw.shutdown(socket.SHUT_WR)  # the end of input closes the container's stdin
            self.assertEqual(self.frames(self.read_to_end(raw)), [(1, b"hello\n")])
            raw.close()
            self.assertEqual(api.wait(cid, timeout=20)["StatusCode"], 0)
        finally:
            api.close()

    def test_attach_without_stdin_once_ends_with_the_input_and_keeps_the_container(self):
        api = self.client()
        try:
            cid = api.create_container("bb:1", ["cat"], stdin_open=True, detach=True)["Id"]
            self.assertFalse(api.inspect_container(cid)["Config"]["StdinOnce"])
            api.start(cid)
            for word in (b"one\n", b"two\n"):  # each client's input reaches the same process
                sock = api.attach_socket(cid, params={"stdin": 1, "stdout": 1, "stream": 1})
                raw = sock._sock
                raw.settimeout(20)
                raw.sendall(word)
                got = b""
                while len(got) < 8 + len(word):
                    chunk = raw.recv(4096)
                    self.assertTrue(chunk, got)
                    got += chunk
                self.assertEqual(self.frames(got), [(1, word)])
                raw.shutdown(socket.SHUT_WR)  # ends this attach, not the container's stdin
                self.assertEqual(self.read_to_end(raw), b"")
                raw.close()
                self.assertTrue(api.inspect_container(cid)["State"]["Running"])
        finally:
            api.close()

    def test_attach_without_a_tty_passes_the_detach_keys_through(self):
        # As dockerd: only a TTY's input is watched for detach keys; other
        # input may be binary and reaches the process whole.
        api = self.client()
        try:
            cid = api.create_container("bb:1", ["cat"], stdin_open=True, detach=True)["Id"]
            api.start(cid)
            sock = api.attach_socket(cid, params={"stdin": 1, "stdout": 1, "stream": 1, "detachKeys": "ctrl-a"})
            raw = sock._sock
            raw.settimeout(20)
            sent = b"kept\n\x01\x10\x11still\n"
            raw.sendall(sent)
            got = b""
            while len(b"".join(d for _, d in self.frames_prefix(got))) < len(sent):
                chunk = raw.recv(4096)
                self.assertTrue(chunk, got)
                got += chunk
            self.assertEqual(b"".join(d for _, d in self.frames_prefix(got)), sent)
            raw.close()
            self.assertTrue(api.inspect_container(cid)["State"]["Running"])
        finally:
            api.close()

    @staticmethod
    def frames_prefix(data):
        """The complete multiplexed frames at the start of `data`."""
        out, i = [], 0
        while i + 8 <= len(data):
            size = int.from_bytes(data[i + 4:i + 8], "big")
            if i + 8 + size > len(data):
                break
            out.append((data[i], data[i + 8:i + 8 + size]))
            i += 8 + size
        return out

    def test_exec_socket_with_stdin(self):
        api = self.client()
        try:
            cid = api.create_container("bb:1", ["sleep", "1000"])["Id"]
            api.start(cid)
            eid = api.exec_create(cid, ["sh", "-c", "cat; echo done"], stdin=True)["Id"]
            self.assertTrue(api.exec_inspect(eid)["OpenStdin"])
            sock = api.exec_start(eid, socket=True)
            raw = sock._sock
            raw.sendall(b"abc\n")
            raw.shutdown(socket.SHUT_WR)
            self.assertEqual(b"".join(d for _, d in self.frames(self.read_to_end(raw))), b"abc\ndone\n")
            raw.close()
            self.assertEqual(api.exec_inspect(eid)["ExitCode"], 0)
            # A TTY exec's socket is raw; resize reaches its terminal.
            eid = api.exec_create(cid, ["sh"], stdin=True, tty=True)["Id"]
            sock = api.exec_start(eid, socket=True, tty=True)
            raw = sock._sock
            deadline = time.time() + 20
            while not api.exec_inspect(eid)["Running"] and time.time() < deadline:
                time.sleep(0.05)
            api.exec_resize(eid, height=12, width=34)
            raw.sendall(b"busybox stty size; exit\n")
            out = self.read_to_end(raw)
            self.assertIn(b"12 34\r\n", out)
            raw.close()
            # docker-py sends detachKeys (lower-case d): taken as DetachKeys,
            # and berthd finds them in the input.
            since = str(int(time.time()) - 1)
            eid = api.exec_create(cid, ["sh"], stdin=True, tty=True, detach_keys="ctrl-x,x")["Id"]
            self.assertEqual(api.exec_inspect(eid)["DetachKeys"], "ctrl-x,x")
            raw = api.exec_start(eid, socket=True, tty=True)._sock
            raw.sendall(b"echo $((8*8))\n")
            got = b""
            raw.settimeout(20)
            while b"64" not in got:
                chunk = raw.recv(4096)
                self.assertTrue(chunk, got)
                got += chunk
            raw.sendall(b"\x18x")  # the stream ends; the shell goes on
            self.read_to_end(raw)
            raw.close()
            info = api.exec_inspect(eid)
            self.assertTrue(info["Running"], info)
            self.assertIsNone(info["ExitCode"])
            events = api.events(since=since, until=int(time.time()) + 1, decode=True,
                                filters={"container": cid, "event": "exec_detach"})
            self.assertEqual([e["Actor"]["Attributes"]["execID"] for e in events], [eid])
        finally:
            api.close()


if __name__ == "__main__":
    unittest.main()
