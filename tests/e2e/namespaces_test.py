"""Namespace modes end to end through the real docker CLI and the Python SDK:
--pid, --ipc, --uts and --cgroupns share the host's namespace, join another
container's, or make one of the container's own, as Docker does, and each
mode is read back from inside the container (/proc/self/ns/*)."""

import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from containers_test import ContainerTestCase, SdkContainerTestCase  # noqa: E402

try:
    import docker
except ImportError:  # pragma: no cover
    docker = None


def host_ns(kind):
    return os.readlink("/proc/self/ns/" + kind)


class NamespaceModesTest(ContainerTestCase):
    def run_rm(self, *args):
        return self.docker_ok("run", "--rm", *args).strip()

    def sh(self, *flags_and_script):
        """Runs the last argument with the image's sh (the fixture's PATH has
        few applets; its sh runs them all)."""
        *flags, script = flags_and_script
        return self.run_rm(*flags, "bb:1", "sh", "-c", script)

    def run_fails(self, *flags):
        """`docker run` refused by the daemon (the CLI exits 125): its stderr."""
        rc, _, err = self.d.docker("run", "--rm", *flags, "bb:1", "true", timeout=60)
        self.assertEqual(rc, 125, err)
        return err

    def exec_sh(self, cid, script):
        return self.docker_ok("exec", cid, "sh", "-c", script).strip()

    def ns_of(self, kind, *flags):
        return self.sh(*flags, "readlink /proc/self/ns/" + kind)

    def test_pid_host_and_private(self):
        self.assertEqual(self.ns_of("pid", "--pid", "host"), host_ns("pid"))
        self.assertNotEqual(self.ns_of("pid"), host_ns("pid"))
        # In a namespace of its own the process is pid 1.
        self.assertEqual(self.sh("echo $$"), "1")
        with open("/proc/1/comm") as f:
            host_init = f.read().strip()
        self.assertEqual(self.sh("--pid", "host", "cat /proc/1/comm"), host_init)
        self.assertEqual(self.inspect(self.docker_ok("create", "--pid", "host", "bb:1", "true").strip(),
                                      "{{.HostConfig.PidMode}}"), "host")

    def test_pid_container_joins_a_running_container(self):
        self.docker_ok("run", "-d", "--name", "donor", "bb:1", "sleep", "1000")
        donor_ns = self.exec_sh("donor", "readlink /proc/self/ns/pid")
        self.assertEqual(self.ns_of("pid", "--pid", "container:donor"), donor_ns)
        # The donor's process is visible (its pid 1 is sleep).
        out = self.sh("--pid", "container:donor", "cat /proc/1/cmdline")
        self.assertTrue(out.startswith("sleep"), out)
        self.docker_ok("stop", "-t", "0", "donor")
        err = self.run_fails("--pid", "container:donor")
        self.assertIn("failed to join PID namespace: container", err)
        self.assertIn("is not running", err)
        err = self.run_fails("--pid", "container:nosuch")
        self.assertIn("failed to join PID namespace", err)
        self.assertIn("nosuch", err)

    def test_uts_host(self):
        self.assertEqual(self.sh("--uts", "host", "hostname"), socket.gethostname())
        self.assertEqual(self.ns_of("uts", "--uts", "host"), host_ns("uts"))
        own = self.sh("--hostname", "box", "hostname")
        self.assertEqual(own, "box")
        _, err = self.docker_fails("create", "--uts", "host", "--hostname", "box", "bb:1", "true")
        self.assertIn("conflicting options: hostname and the UTS mode", err)

    def test_ipc_modes(self):
        self.assertEqual(self.ns_of("ipc", "--ipc", "host"), host_ns("ipc"))
        self.assertNotEqual(self.ns_of("ipc"), host_ns("ipc"))
        # none: a namespace of its own without /dev/shm.
        self.assertEqual(self.sh("--ipc", "none", "test -e /dev/shm && echo yes || echo no"),
                         "no")
        self.assertEqual(self.sh("test -d /dev/shm && echo yes || echo no"), "yes")
        cid = self.docker_ok("create", "bb:1", "true").strip()
        self.assertEqual(self.inspect(cid, "{{.HostConfig.IpcMode}}"), "private")

    def test_ipc_container_shares_namespace_and_dev_shm(self):
        self.docker_ok("run", "-d", "--name", "donor", "--ipc", "shareable", "bb:1", "sleep", "1000")
        self.exec_sh("donor", "echo shared > /dev/shm/note")
        donor_ns = self.exec_sh("donor", "readlink /proc/self/ns/ipc")
        self.assertEqual(self.ns_of("ipc", "--ipc", "container:donor"), donor_ns)
        self.assertEqual(self.sh("--ipc", "container:donor", "cat /dev/shm/note"), "shared")
        # A write by the joiner is seen by the donor.
        self.sh("--ipc", "container:donor", "echo back > /dev/shm/reply")
        self.assertEqual(self.exec_sh("donor", "cat /dev/shm/reply"), "back")
        self.docker_ok("run", "-d", "--name", "private", "bb:1", "sleep", "1000")
        err = self.run_fails("--ipc", "container:private")
        self.assertIn("non-shareable IPC (hint: use IpcMode:shareable for the donor container)", err)

    def test_cgroupns(self):
        self.assertEqual(self.ns_of("cgroup"), host_ns("cgroup"))
        self.assertEqual(self.ns_of("cgroup", "--cgroupns", "host"), host_ns("cgroup"))
        self.assertNotEqual(self.ns_of("cgroup", "--cgroupns", "private"), host_ns("cgroup"))
        cid = self.docker_ok("create", "--cgroupns", "private", "bb:1", "true").strip()
        self.assertEqual(self.inspect(cid, "{{.HostConfig.CgroupnsMode}}"), "private")


@unittest.skipIf(docker is None, "the Python docker SDK is not installed")
class NamespaceSdkTest(SdkContainerTestCase):

    def test_modes_round_trip_and_bad_ones_are_refused(self):
        api = self.client.api
        hc = api.create_host_config(pid_mode="host", uts_mode="host", cgroupns="private", isolation="default",
                                    ipc_mode="shareable", network_mode="none")
        c = api.create_container("bb:1", ["true"], host_config=hc, runtime="runc")
        h = api.inspect_container(c)["HostConfig"]
        self.assertEqual((h["PidMode"], h["UTSMode"], h["CgroupnsMode"], h["Isolation"], h["IpcMode"], h["Runtime"]),
                         ("host", "host", "private", "default", "shareable", "runc"))
        for bad, text in ((dict(isolation="hyperv"), "invalid isolation (hyperv): linux only supports 'default'"),
                          (dict(ipc_mode="bogus"), "invalid IPC mode: bogus"),
                          (dict(pid_mode="bogus"), "invalid PID mode: bogus")):
            with self.assertRaises(docker.errors.APIError) as cm:
                api.create_container("bb:1", ["true"], host_config=api.create_host_config(**bad))
            self.assertEqual(cm.exception.response.status_code, 400)
            self.assertIn(text, cm.exception.explanation)
        with self.assertRaises(docker.errors.APIError) as cm:
            api.create_container("bb:1", ["true"], runtime="crun")
        self.assertIn("unknown or invalid runtime name: crun", cm.exception.explanation)


if __name__ == "__main__":
    unittest.main()
