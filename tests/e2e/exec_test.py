"""docker exec end to end: the real docker CLI and the Python SDK run
processes in running berth containers through runc exec (POST
/containers/{id}/exec, /exec/{id}/start, /exec/{id}/json)."""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from containers_test import ContainerTestCase  # noqa: E402

try:
    import docker
except ImportError:  # pragma: no cover
    docker = None


class ExecCliTest(ContainerTestCase):
    def run_sleeper(self, *flags):
        return self.docker_ok("run", "-d", *flags, "bb:1", "sleep", "1000").strip()

    def test_echo_prints_and_exit_code_is_the_process(self):
        cid = self.run_sleeper()
        rc, out, err = self.d.docker("exec", cid, "echo", "hi")
        self.assertEqual((rc, out), (0, "hi\n"), err)
        rc, out, err = self.d.docker("exec", cid, "sh", "-c", "echo out; echo err >&2; exit 3")
        self.assertEqual((rc, out, err), (3, "out\n", "err\n"))

    def test_env_user_and_workdir(self):
        cid = self.run_sleeper("-e", "FROM_RUN=run", "-e", "SHARED=run", "-w", "/tmp")
        out = self.docker_ok("exec", "-e", "SHARED=exec", "-e", "ADDED=1", cid, "sh", "-c",
                             "echo $FROM_RUN $SHARED $ADDED $HOSTNAME; pwd; id -u")
        self.assertEqual(out.split("\n")[:3], ["run exec 1 " + cid[:12], "/tmp", "0"])
        out = self.docker_ok("exec", "-u", "1000:1001", "-w", "/etc", cid, "sh", "-c", "id -u; id -g; pwd")
        self.assertEqual(out, "1000\n1001\n/etc\n")
        rc, _, err = self.d.docker("exec", "-u", "nosuchuser", cid, "true")
        self.assertEqual(rc, 126, err)
        self.assertIn("unable to find user nosuchuser", err)

    def test_exec_keeps_the_containers_confinement(self):
        cid = self.run_sleeper("--cap-drop", "CHOWN", "--security-opt", "no-new-privileges")
        status = self.docker_ok("exec", cid, "cat", "/proc/self/status")
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        self.assertEqual(int(fields["CapBnd"].strip(), 16) & 1, 0)  # CAP_CHOWN dropped
        self.assertEqual(fields["NoNewPrivs"].strip(), "1")
        self.assertEqual(fields["Seccomp"].strip(), "2")
        status = self.docker_ok("exec", "--privileged", cid, "cat", "/proc/self/status")
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        self.assertEqual(int(fields["CapBnd"].strip(), 16) & (1 << 21), 1 << 21)  # CAP_SYS_ADMIN

    def test_detached_exec_runs_in_the_background(self):
        cid = self.run_sleeper()
        rc, out, err = self.d.docker("exec", "-d", cid, "sh", "-c", "echo done > /marker")
        self.assertEqual((rc, out), (0, ""), err)
        self.wait_for(lambda: self.d.docker("exec", cid, "cat", "/marker")[1] == "done\n", "the detached exec")

    def test_missing_command_is_127(self):
        cid = self.run_sleeper()
        rc, _, err = self.d.docker("exec", cid, "nosuchcommand")
        self.assertEqual(rc, 127, err)
        self.assertIn("executable file not found", err)

    def test_stopped_and_missing_containers_are_refused(self):
        cid = self.docker_ok("create", "bb:1", "sleep", "1000").strip()
        rc, _, err = self.d.docker("exec", cid, "true")
        self.assertNotEqual(rc, 0)
        self.assertIn("container %s is not running" % cid, err)
        rc, _, err = self.d.docker("exec", "nosuchcontainer", "true")
        self.assertNotEqual(rc, 0)
        self.assertIn("No such container: nosuchcontainer", err)

    def test_stdin_reaches_the_process_and_its_end_closes_it(self):
        cid = self.run_sleeper()
        rc, out, err = self.d.docker("exec", "-i", cid, "sh", "-c", "cat; echo end", input=b"hi\nthere\n")
        self.assertEqual((rc, out), (0, "hi\nthere\nend\n"), err)
        # Without -i the process reads nothing.
        rc, out, err = self.d.docker("exec", cid, "cat", input=b"ignored\n")
        self.assertEqual((rc, out), (0, ""), err)

    def test_api_inspect_events_and_forgetting(self):
        cid = self.run_sleeper()
        since = str(int(time.time()) - 1)
        st, _, body = self.d.request("POST", "/containers/%s/exec" % cid,
                                  json.dumps({"Cmd": ["sh", "-c", "exit 5"], "User": "1000",
                                              "AttachStdout": True}), {"Content-Type": "application/json"})
        self.assertEqual(st, 201, body)
        eid = json.loads(body)["Id"]
        st, _, body = self.d.request("GET", "/exec/%s/json" % eid)
        self.assertEqual(st, 200, body)
        info = json.loads(body)
        self.assertEqual((info["ID"], info["ContainerID"], info["Running"], info["ExitCode"], info["Pid"]),
                         (eid, cid, False, None, 0))
        self.assertEqual(info["ProcessConfig"], {"tty": False, "entrypoint": "sh", "arguments": ["-c", "exit 5"],
                                                 "privileged": False, "user": "1000"})
        self.assertEqual((info["OpenStdout"], info["OpenStderr"], info["OpenStdin"]), (True, False, False))
        st, _, body = self.d.request("POST", "/exec/%s/resize?h=10&w=10" % eid)
        self.assertEqual(st, 400, body)
        st, _, body = self.d.request("POST", "/exec/%s/start" % eid, json.dumps({"Detach": True}),
                                  {"Content-Type": "application/json"})
        self.assertEqual(st, 200, body)

        def ended():
            inspected = json.loads(self.d.request("GET", "/exec/%s/json" % eid)[2])
            return inspected if inspected["ExitCode"] is not None else None
        info = self.wait_for(ended, "the exec to end")
        self.assertEqual((info["ExitCode"], info["Running"]), (5, False))
        self.assertGreater(info["Pid"], 0)
        st, _, body = self.d.request("POST", "/exec/%s/start" % eid, json.dumps({"Detach": True}),
                                  {"Content-Type": "application/json"})
        self.assertEqual(st, 409, body)
        self.assertIn(b"has already run", body)
        until = str(int(time.time()) + 1)
        events = self.docker_ok("events", "--since", since, "--until", until, "--filter", "container=" + cid,
                                "--format", "{{.Action}} {{index .Actor.Attributes \"execID\"}}")
        self.assertIn("exec_create: sh -c exit 5 " + eid, events)
        self.assertIn("exec_start: sh -c exit 5 " + eid, events)
        self.assertIn("exec_die " + eid, events)
        self.docker_ok("rm", "-f", cid)
        st, _, body = self.d.request("GET", "/exec/%s/json" % eid)
        self.assertEqual(st, 404, body)


class ExecShutdownTest(ContainerTestCase):
    def test_daemon_stops_with_a_detached_exec_running(self):
        cid = self.docker_ok("run", "-d", "bb:1", "sleep", "1000").strip()
        self.docker_ok("exec", "-d", cid, "sleep", "1000")
        # Fails with TimeoutExpired if berthd waits for the exec to end.
        self.assertEqual(self.d.stop(timeout=15), 0)
        self.d.start()
        self.assertEqual(self.inspect(cid, "{{.State.Running}}"), "true")


@unittest.skipIf(docker is None, "the docker Python SDK is not installed")
class ExecSdkTest(ContainerTestCase):
    def test_exec_run(self):
        client = docker.DockerClient(base_url=self.d.host)
        try:
            c = client.containers.run("bb:1", ["sleep", "1000"], detach=True)
            self.assertEqual(tuple(c.exec_run("echo hello")), (0, b"hello\n"))
            code, out = c.exec_run(["sh", "-c", "echo $X; exit 2"], environment={"X": "y"})
            self.assertEqual((code, out), (2, b"y\n"))
            code, out = c.exec_run(["sh", "-c", "pwd; id -u"], workdir="/etc", user="1000")
            self.assertEqual((code, out), (0, b"/etc\n1000\n"))
            code, out = c.exec_run(["sh", "-c", "echo o; echo e >&2"], demux=True)
            self.assertEqual((code, out), (0, (b"o\n", b"e\n")))
            self.assertEqual(c.exec_run("sleep 0", detach=True).output, "")
        finally:
            client.close()

    def test_low_level_api_as_docker_py_uses_it(self):
        api = docker.APIClient(base_url=self.d.host)
        try:
            cid = api.create_container("bb:1", ["sleep", "1000"])["Id"]
            api.start(cid)
            # Each stream's output comes in frames of its own (the two pipes
            # are read as they fill: their relative order is not kept, as
            # with dockerd).
            eid = api.exec_create(cid, 'sh -c "echo hello out; echo hello err >&2"')
            self.assertEqual(sorted(api.exec_start(eid, stream=True)), [b"hello err\n", b"hello out\n"])
            eid = api.exec_create(cid, ["sh", "-c", "echo X=$X"], environment=["X=Y"])
            self.assertEqual(api.exec_start(eid), b"X=Y\n")
            eid = api.exec_create(cid, ["sh", "-c", "exit 7"])
            self.assertEqual(api.exec_start(eid), b"")
            self.assertEqual(api.exec_inspect(eid)["ExitCode"], 7)
            # A TTY exec's output is one raw stream (read as such: tty=True,
            # as with dockerd), newlines as a terminal writes them.
            eid = api.exec_create(cid, ["sh", "-c", "test -t 1 && echo tty; echo err >&2"], tty=True)
            self.assertEqual(api.exec_start(eid, tty=True), b"tty\r\nerr\r\n")
            # Started without Tty, the same output comes in stdout frames.
            eid = api.exec_create(cid, ["sh", "-c", "test -t 1 && echo tty; echo err >&2"], tty=True)
            self.assertEqual(api.exec_start(eid), b"tty\r\nerr\r\n")
            self.assertTrue(api.exec_inspect(eid)["ProcessConfig"]["tty"])
        finally:
            api.close()


if __name__ == "__main__":
    unittest.main()
