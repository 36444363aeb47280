"""Container lifecycle end to end: restart policies (after an exit, with
Docker's backoff, and at berthd's start), docker kill waiting for the end,
and --init, through the real docker CLI and the Python SDK."""

import json
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from berth_e2e import Daemon  # noqa: E402
from containers_test import ContainerTestCase, can_run_containers  # noqa: E402

try:
    import docker
except ImportError:  # pragma: no cover
    docker = None


def events_of(case, cid, since):
    """(action, timeNano) of container `cid`'s events since `since`."""
    until = str(int(time.time()) + 1)
    out = case.docker_ok("events", "--since", since, "--until", until, "--filter", "container=" + cid,
                         "--format", "{{.Action}} {{.TimeNano}}")
    return [(line.rsplit(" ", 1)[0], int(line.rsplit(" ", 1)[1])) for line in out.splitlines()]


@unittest.skipUnless(can_run_containers(), "needs root and runc")
class RestartPolicyTest(ContainerTestCase):
    def restart_count(self, name):
        return int(self.inspect(name, "{{.RestartCount}}"))

    def test_on_failure_restarts_up_to_its_maximum_then_stays_exited(self):
        since = str(int(time.time()) - 1)
        cid = self.docker_ok("run", "-d", "--restart", "on-failure:3", "bb:1", "sh", "-c", "echo ran; exit 3").strip()
        self.wait_for(lambda: self.inspect(cid, "{{.State.Status}} {{.RestartCount}}") == "exited 3",
                      "three restarts, then exited")
        self.assertEqual(self.inspect(cid, "{{.HostConfig.RestartPolicy.Name}} "
                                           "{{.HostConfig.RestartPolicy.MaximumRetryCount}} {{.State.ExitCode}} "
                                           "{{.State.Restarting}}"),
                         "on-failure 3 3 false")
        self.assertEqual(self.logs(cid)[0], "ran\n" * 4)
        actions = [a for a, _ in events_of(self, cid, since)]
        self.assertEqual(actions.count("start"), 4, actions)
        self.assertEqual(actions.count("die"), 4, actions)

    def test_on_failure_leaves_a_successful_exit_alone(self):
        cid = self.docker_ok("run", "-d", "--restart", "on-failure", "bb:1", "true").strip()
        self.assertEqual(self.docker_ok("wait", cid), "0\n")
        self.assertEqual(self.inspect(cid, "{{.State.Status}} {{.RestartCount}}"), "exited 0")

    def test_backoff_doubles_between_restarts(self):
        since = str(int(time.time()) - 1)
        cid = self.docker_ok("run", "-d", "--restart", "always", "bb:1", "true").strip()
        self.wait_for(lambda: self.restart_count(cid) >= 5, "five restarts")
        self.docker_ok("stop", cid)
        self.assertEqual(self.inspect(cid, "{{.State.Status}} {{.State.Restarting}}"), "exited false")
        events = events_of(self, cid, since)
        dies = [t for a, t in events if a == "die"]
        starts = [t for a, t in events if a == "start"]
        self.assertGreaterEqual(len(dies), 5, events)
        # Each restart comes after the delay: 100 ms, then doubled each time.
        for i, delay_ms in enumerate([100, 200, 400, 800]):
            following = [s for s in starts if s > dies[i]]
            self.assertTrue(following, events)
            self.assertGreaterEqual(following[0] - dies[i], delay_ms * 1_000_000, (i, events))
        count = self.restart_count(cid)
        # Stopped: no further restart (a scheduled one is cancelled).
        self.docker_ok("start", cid)
        self.wait_for(lambda: self.restart_count(cid) >= 1, "a restart after the new start")
        self.assertLess(self.restart_count(cid), count)  # a user start resets the count

    def test_restarting_state_and_stop_ends_it(self):
        cid = self.docker_ok("run", "-d", "--restart", "always", "bb:1", "sh", "-c", "exit 2").strip()
        # With the delay growing, the container is soon seen restarting.
        self.wait_for(lambda: self.inspect(cid, "{{.State.Status}}") == "restarting", "the restarting state")
        self.assertEqual(self.inspect(cid, "{{.State.Restarting}} {{.State.Running}} {{.State.ExitCode}}"),
                         "true true 2")
        ps = self.docker_ok("ps", "--filter", "id=" + cid, "--format", "{{.Status}}")
        self.assertTrue(ps.startswith("Restarting (2)"), ps)
        self.docker_ok("stop", cid)
        self.assertEqual(self.inspect(cid, "{{.State.Status}} {{.State.Restarting}}"), "exited false")

    def test_wait_returns_at_an_exit_into_restarting(self):
        # docker-py's test_create_with_restart_policy: wait, then rm refused.
        cid = self.docker_ok("run", "-d", "--restart", "always", "bb:1", "sh", "-c", "sleep 0.3; exit 4").strip()
        self.assertEqual(self.docker_ok("wait", cid), "4\n")
        rc, _, err = self.d.docker("rm", cid)
        self.assertEqual(rc, 1)
        self.assertIn("stop the container before removing or force remove", err)

    def test_unless_stopped_and_always_restart_after_a_zero_exit(self):
        for policy in ("always", "unless-stopped"):
            cid = self.docker_ok("run", "-d", "--restart", policy, "bb:1", "true").strip()
            self.wait_for(lambda: self.restart_count(cid) >= 2, policy + " restarts")
            self.docker_ok("rm", "-f", cid)

    def test_kill_waits_for_the_end_and_stops_restarting(self):
        cid = self.docker_ok("run", "-d", "--restart", "always", "bb:1", "sleep", "1000").strip()
        self.docker_ok("kill", cid)
        self.assertEqual(self.inspect(cid, "{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}"),
                         "exited 137 0")
        rc, _, err = self.d.docker("kill", cid)
        self.assertEqual(rc, 1)
        self.assertEqual(err, "Error response from daemon: Cannot kill container: %s: container %s is not running\n"
                         % (cid, cid))

    def test_policy_validation_texts(self):
        rc, _, err = self.d.docker("run", "-d", "--restart", "always:3", "bb:1", "true")
        self.assertEqual(rc, 125)
        self.assertIn("invalid restart policy: maximum retry count can only be used with 'on-failure'", err)
        rc, _, err = self.d.docker("create", "--restart", "sometimes", "bb:1", "true")
        self.assertNotEqual(rc, 0)
        self.assertIn("invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', "
                      "'on-failure', or 'unless-stopped'", err)
        body = {"Image": "bb:1", "Cmd": ["true"], "HostConfig": {"AutoRemove": True,
                                                                "RestartPolicy": {"Name": "always"}}}
        st, _, data = self.d.request("POST", "/v1.50/containers/create", json.dumps(body),
                                     {"Content-Type": "application/json"})
        self.assertEqual(st, 400, data)
        self.assertEqual(json.loads(data)["message"], "can't create 'AutoRemove' container with restart policy")
        self.assertEqual(self.docker_ok("ps", "-a", "-q"), "")

    def test_update_replaces_the_policy_and_refuses_limits(self):
        # It fails once /go exists (created by an exec below), and again after
        # each restart.
        cid = self.docker_ok("run", "-d", "bb:1", "sh", "-c",
                             "while [ ! -e /go ]; do sleep 0.1; done; exit 3").strip()
        self.assertEqual(self.docker_ok("update", "--restart", "on-failure:2", cid).strip(), cid)
        self.assertEqual(self.inspect(cid, "{{.HostConfig.RestartPolicy.Name}} "
                                           "{{.HostConfig.RestartPolicy.MaximumRetryCount}}"), "on-failure 2")
        # The new policy governs the next exit: a failure is restarted.
        self.docker_ok("exec", cid, "sh", "-c", "echo > /go")
        self.wait_for(lambda: self.restart_count(cid) >= 1, "a restart under the updated policy")
        rc, _, err = self.d.docker("update", "--restart", "always:3", cid)
        self.assertNotEqual(rc, 0)
        self.assertIn("maximum retry count can only be used with 'on-failure'", err)
        rc, _, err = self.d.docker("update", "--memory", "64m", cid)
        self.assertNotEqual(rc, 0)
        self.assertIn("Memory limit should be smaller than already set memoryswap limit", err)
        self.assertEqual(self.inspect(cid, "{{.HostConfig.RestartPolicy.Name}}"), "on-failure")
        self.docker_ok("rm", "-f", cid)
        rm = self.docker_ok("run", "-d", "--rm", "bb:1", "sleep", "1000").strip()
        rc, _, err = self.d.docker("update", "--restart", "always", rm)
        self.assertNotEqual(rc, 0)
        self.assertIn("Restart policy cannot be updated because AutoRemove is enabled for the container", err)
        self.docker_ok("rm", "-f", rm)


@unittest.skipUnless(can_run_containers(), "needs root and runc")
class RestartAtDaemonStartTest(ContainerTestCase):
    def restart_daemon_killing(self, names):
        """Stops berthd, kills the processes of `names` while it is down, starts it again."""
        pids = {n: int(self.inspect(n, "{{.State.Pid}}")) for n in names}
        self.assertEqual(self.d.stop(), 0)
        for pid in pids.values():
            os.kill(pid, signal.SIGKILL)
        type(self).d = Daemon(self.tmp).start()
        return pids

    def test_policies_at_daemon_start(self):
        for name, policy in (("always", "always"), ("unless", "unless-stopped"), ("stopped", "unless-stopped"),
                             ("stopped-always", "always"), ("never", "no"), ("failing", "on-failure")):
            self.docker_ok("run", "-d", "--name", name, "--restart", policy, "bb:1", "sleep", "1000")
        self.docker_ok("stop", "-t", "1", "stopped", "stopped-always")
        old = self.restart_daemon_killing(["always", "unless", "never", "failing"])
        for name in ("always", "unless", "failing", "stopped-always"):
            self.wait_for(lambda: self.inspect(name, "{{.State.Status}}") == "running", name + " to run again")
            self.assertNotEqual(int(self.inspect(name, "{{.State.Pid}}")), old.get(name, 0))
        self.assertEqual(self.inspect("never", "{{.State.Status}} {{.State.ExitCode}}"), "exited 137")
        self.assertEqual(self.inspect("stopped", "{{.State.Status}}"), "exited")


@unittest.skipUnless(can_run_containers(), "needs root and runc")
class InitTest(ContainerTestCase):
    def processes(self, cid):
        """(comm, state) of every process in the container but the reader. A
        process may end between the glob and the read: cat then fails on it
        alone, so its status is not the test's."""
        out = self.docker_ok("exec", cid, "sh", "-c", "cat /proc/[0-9]*/stat 2>/dev/null; true")
        procs = []
        for line in out.splitlines():
            comm, rest = line.split(" (", 1)[1].rsplit(") ", 1)
            if comm not in ("sh", "cat"):
                procs.append((comm, rest.split()[0]))
        return procs

    def zombies(self, cid):
        return [p for p in self.processes(cid) if p[1] == "Z"]

    def test_init_is_pid_one_and_reaps_orphans(self):
        # The subshell's child is orphaned and re-parented to pid 1.
        script = "(sleep 0.2 &); exec sleep 1000"
        cid = self.docker_ok("run", "-d", "--init", "bb:1", "sh", "-c", script).strip()
        self.assertEqual(self.docker_ok("exec", cid, "cat", "/proc/1/cmdline").split("\0")[:2],
                         ["/sbin/docker-init", "--"])
        self.assertEqual(self.inspect(cid, "{{.HostConfig.Init}} {{.Path}}"), "true sh")
        # The orphan ends and is reaped: docker-init and one sleep are left.
        self.wait_for(lambda: sorted(self.processes(cid)) == [("docker-init", "S"), ("sleep", "S")],
                      "the orphan to end and be reaped")
        # Without --init, pid 1 (sleep) leaves the orphan a zombie.
        plain = self.docker_ok("run", "-d", "bb:1", "sh", "-c", script).strip()
        self.wait_for(lambda: self.zombies(plain), "a zombie without --init")

    def test_init_forwards_sigterm(self):
        cid = self.docker_ok("run", "-d", "--init", "bb:1", "sleep", "1000").strip()
        started = time.time()
        self.docker_ok("stop", "-t", "20", cid)
        self.assertLess(time.time() - started, 10)
        # SIGTERM reached sleep (not pid 1, so not immune): 128 + 15.
        self.assertEqual(self.inspect(cid, "{{.State.ExitCode}}"), "143")


@unittest.skipUnless(can_run_containers(), "needs root and runc")
class HealthcheckTest(ContainerTestCase):
    def health(self, cid):
        return json.loads(self.inspect(cid, "{{json .State.Health}}"))

    def test_transitions_ps_filters_and_events(self):
        since = str(int(time.time()) - 1)
        cid = self.docker_ok("run", "-d", "--health-cmd", "cat /ok", "--health-interval", "200ms",
                             "--health-retries", "2", "bb:1", "sleep", "1000").strip()
        self.assertEqual(json.loads(self.inspect(cid, "{{json .Config.Healthcheck}}")),
                         {"Test": ["CMD-SHELL", "cat /ok"], "Interval": 200_000_000, "Retries": 2})
        self.wait_for(lambda: self.health(cid)["Status"] == "unhealthy", "unhealthy")
        h = self.health(cid)
        self.assertGreaterEqual(h["FailingStreak"], 2)
        self.assertIn("No such file or directory", h["Log"][-1]["Output"])
        self.assertEqual(h["Log"][-1]["ExitCode"], 1)
        self.assertEqual(self.docker_ok("ps", "-q", "--no-trunc", "--filter", "health=unhealthy").split(), [cid])
        self.docker_ok("exec", cid, "sh", "-c", "echo > /ok")
        self.wait_for(lambda: self.health(cid)["Status"] == "healthy", "healthy")
        h = self.health(cid)
        self.assertEqual((h["FailingStreak"], h["Log"][-1]["ExitCode"]), (0, 0))
        self.wait_for(lambda: len(self.health(cid)["Log"]) == 5, "five probes logged")
        self.wait_for(lambda: self.health(cid)["Log"][0]["ExitCode"] == 0, "the log to keep the last five")
        self.assertLessEqual(len(self.health(cid)["Log"]), 5)
        status = self.docker_ok("ps", "--filter", "id=" + cid, "--format", "{{.Status}}").strip()
        self.assertTrue(status.startswith("Up ") and status.endswith("(healthy)"), status)
        self.assertEqual(self.docker_ok("ps", "-q", "--no-trunc", "--filter", "health=healthy").split(), [cid])
        self.assertEqual(self.docker_ok("ps", "-q", "--filter", "health=unhealthy"), "")
        actions = [a for a, _ in events_of(self, cid, since)]
        self.assertIn("health_status: unhealthy", actions)
        self.assertIn("health_status: healthy", actions)
        rc, _, err = self.d.docker("ps", "--filter", "health=sick")
        self.assertNotEqual(rc, 0)
        self.assertIn("Unrecognised filter value for health: sick", err)

    def test_the_images_healthcheck_merged_and_disabled(self):
        self.docker_ok("build", "-t", "hc:1", "-",
                       input=b"FROM bb:1\nHEALTHCHECK --interval=100ms --retries=1 CMD true\n")
        cid = self.docker_ok("run", "-d", "hc:1", "sleep", "1000").strip()
        self.assertEqual(json.loads(self.inspect(cid, "{{json .Config.Healthcheck}}")),
                         {"Test": ["CMD-SHELL", "true"], "Interval": 100_000_000, "Retries": 1})
        self.wait_for(lambda: self.health(cid)["Status"] == "healthy", "the image's check to pass")
        merged = self.docker_ok("run", "-d", "--health-retries", "4", "hc:1", "sleep", "1000").strip()
        self.assertEqual(json.loads(self.inspect(merged, "{{json .Config.Healthcheck}}")),
                         {"Test": ["CMD-SHELL", "true"], "Interval": 100_000_000, "Retries": 4})
        off = self.docker_ok("run", "-d", "--no-healthcheck", "hc:1", "sleep", "1000").strip()
        self.assertEqual(self.inspect(off, "{{json .State.Health}}"), "null")
        self.assertEqual(json.loads(self.inspect(off, "{{json .Config.Healthcheck.Test}}")), ["NONE"])

    def test_starting_timeout_and_no_healthcheck(self):
        cid = self.docker_ok("run", "-d", "--health-cmd", "sleep 5", "--health-timeout", "300ms",
                             "--health-interval", "100ms", "--health-retries", "1", "bb:1", "sleep", "1000").strip()
        self.assertEqual(self.health(cid)["Status"], "starting")
        status = self.docker_ok("ps", "--filter", "id=" + cid, "--format", "{{.Status}}").strip()
        self.assertTrue(status.endswith("(health: starting)"), status)
        self.wait_for(lambda: self.health(cid)["Status"] == "unhealthy", "unhealthy after a timeout")
        last = self.health(cid)["Log"][-1]
        self.assertEqual((last["ExitCode"], last["Output"]), (-1, "Health check exceeded timeout (300ms)"))
        plain = self.docker_ok("run", "-d", "--no-healthcheck", "bb:1", "sleep", "1000").strip()
        self.assertEqual(self.inspect(plain, "{{json .State.Health}}"), "null")
        self.assertIn(plain, self.docker_ok("ps", "-q", "--no-trunc", "--filter", "health=none").split())
        body = {"Image": "bb:1", "Cmd": ["true"], "Healthcheck": {"Test": ["CMD", "true"], "Retries": -1}}
        st, _, data = self.d.request("POST", "/v1.50/containers/create", json.dumps(body),
                                     {"Content-Type": "application/json"})
        self.assertEqual((st, json.loads(data)["message"]), (400, "Retries in Healthcheck cannot be negative"))


@unittest.skipUnless(can_run_containers(), "needs root and runc")
class HealthAcrossDaemonRestartTest(ContainerTestCase):
    def health(self, cid):
        return json.loads(self.inspect(cid, "{{json .State.Health}}"))

    def test_health_log_is_kept_and_status_starts_again_across_a_berthd_restart(self):
        # Probes every 100ms while starting, then once an hour: after the
        # first success no probe runs again during the test.
        cid = self.docker_ok("run", "-d", "--health-cmd", "true", "--health-start-period", "1h",
                             "--health-start-interval", "100ms", "--health-interval", "1h", "bb:1",
                             "sleep", "1000").strip()
        self.wait_for(lambda: self.health(cid)["Status"] == "healthy", "healthy")
        failing = self.docker_ok("run", "-d", "--health-cmd", "exit 3", "--health-interval", "100ms",
                                 "--health-retries", "2", "bb:1", "sleep", "1000").strip()
        self.wait_for(lambda: self.health(failing)["Status"] == "unhealthy", "unhealthy")
        before = self.health(cid)
        self.assertEqual((before["FailingStreak"], len(before["Log"])), (0, 1))
        self.assertEqual(self.d.stop(), 0)
        type(self).d = Daemon(self.tmp).start()
        # As Docker restores a container: the probe log is kept, the status
        # starts again ("starting", streak 0) until the next probe decides.
        after_ok = self.health(cid)
        self.assertEqual(after_ok["Log"], before["Log"])
        self.assertIn(after_ok["Status"], ("starting", "healthy"))
        self.wait_for(lambda: self.health(cid)["Status"] == "healthy", "healthy again")
        self.wait_for(lambda: self.health(failing)["Status"] == "unhealthy", "unhealthy again")
        after = self.health(failing)
        self.assertTrue(1 <= len(after["Log"]) <= 5, after)
        self.assertEqual(after["Log"][-1]["ExitCode"], 3)


@unittest.skipUnless(can_run_containers(), "needs root and runc")
class LogDriverAndGroupsTest(ContainerTestCase):
    def test_log_driver_none(self):
        cid = self.docker_ok("create", "--log-driver", "none", "bb:1", "echo", "hi").strip()
        self.assertEqual(self.docker_ok("start", "-a", cid), "hi\n")  # attach still streams
        rc, _, err = self.d.docker("logs", cid)
        self.assertEqual((rc, err), (1, "Error response from daemon: configured logging driver does not support "
                                        "reading\n"))
        self.assertEqual(self.inspect(cid, "{{.HostConfig.LogConfig.Type}}"), "none")
        st, _, _ = self.d.request("GET", "/v1.50/containers/%s/logs?stdout=1" % cid)
        self.assertEqual(st, 501)
        rc, _, err = self.d.docker("create", "--log-driver", "nosuch", "bb:1", "true")
        self.assertNotEqual(rc, 0)
        self.assertIn("logger: no log driver named 'nosuch' is registered", err)

    def test_json_file_options_are_kept(self):
        cid = self.docker_ok("create", "--log-opt", "max-size=10k", "--log-opt", "max-file=2", "bb:1", "true").strip()
        self.assertEqual(json.loads(self.inspect(cid, "{{json .HostConfig.LogConfig}}")),
                         {"Type": "json-file", "Config": {"max-size": "10k", "max-file": "2"}})

    def test_group_add_numbers_and_names(self):
        # The name is looked up in the container's /etc/group.
        self.docker_ok("build", "-t", "grp:1", "-",
                       input=b"FROM bb:1\nRUN echo 'audio:x:29:' > /etc/group\n")
        out = self.docker_ok("run", "--rm", "--group-add", "audio", "--group-add", "4242", "grp:1",
                             "cat", "/proc/self/status")
        groups = [line.split(":", 1)[1].split() for line in out.splitlines() if line.startswith("Groups:")]
        self.assertEqual(groups, [["29", "4242"]])
        rc, _, err = self.d.docker("run", "--rm", "--group-add", "nosuchgroup", "grp:1", "true")
        self.assertNotEqual(rc, 0)
        self.assertIn("unable to find group nosuchgroup: no matching entries in group file", err)
        cid = self.docker_ok("create", "--group-add", "4242", "bb:1", "true").strip()
        self.assertEqual(self.inspect(cid, "{{json .HostConfig.GroupAdd}}"), '["4242"]')


@unittest.skipUnless(can_run_containers(), "needs root and runc")
@unittest.skipIf(docker is None, "the docker Python SDK is not installed")
class LifecycleSdkTest(ContainerTestCase):
    def client(self):
        return docker.DockerClient(base_url=self.d.host, version="1.50")

    def test_restart_policy_through_the_sdk(self):
        client = self.client()
        try:
            c = client.containers.run("bb:1", ["sh", "-c", "exit 1"], detach=True,
                                      restart_policy={"Name": "on-failure", "MaximumRetryCount": 2})
            self.wait_for(lambda: (c.reload(), c.attrs["State"]["Status"] == "exited" and
                                   c.attrs["RestartCount"] == 2)[1], "two restarts")
            self.assertEqual(c.attrs["HostConfig"]["RestartPolicy"], {"Name": "on-failure", "MaximumRetryCount": 2})
            with self.assertRaises(docker.errors.APIError) as ctx:
                client.containers.create("bb:1", "true", auto_remove=True, restart_policy={"Name": "always"})
            self.assertEqual(ctx.exception.status_code, 400)
            self.assertIn("can't create 'AutoRemove' container with restart policy", str(ctx.exception))
            s = client.containers.run("bb:1", ["sleep", "1000"], detach=True, init=True)
            s.kill()
            s.reload()
            self.assertEqual((s.attrs["State"]["Status"], s.attrs["State"]["ExitCode"]), ("exited", 137))
            self.assertTrue(s.attrs["HostConfig"]["Init"])
            # docker-py's healthcheck argument (seconds as nanoseconds).
            h = client.containers.run("bb:1", ["sleep", "1000"], detach=True,
                                      healthcheck={"test": ["CMD", "true"], "interval": 100_000_000})
            self.wait_for(lambda: (h.reload(), h.health == "healthy")[1], "healthy through the SDK")
            self.assertEqual(h.attrs["Config"]["Healthcheck"], {"Test": ["CMD", "true"], "Interval": 100_000_000})
            # Every HostConfig field dockerd returns.
            for key in ("CpuShares", "CpusetCpus", "Runtime", "VolumesFrom", "CgroupnsMode", "DeviceCgroupRules",
                        "PidMode", "Isolation", "Memory", "MemorySwappiness", "UTSMode", "VolumeDriver",
                        "CpuRealtimePeriod", "CpuRealtimeRuntime", "MaskedPaths", "ReadonlyPaths", "ShmSize"):
                self.assertIn(key, h.attrs["HostConfig"])
            self.assertEqual(h.attrs["HostConfig"]["Runtime"], "runc")
        finally:
            client.close()


if __name__ == "__main__":
    unittest.main()
