"""Seccomp and capabilities end to end: the real docker CLI creates
containers in berthd and runc applies what berthd writes. Docker's default
seccomp profile is on every container unless seccomp=unconfined (the kernel
reports the filter, and a syscall the profile refuses without CAP_SYS_ADMIN
fails with EPERM); a profile file given with --security-opt seccomp=FILE is
applied (a profile that refuses mkdir makes mkdir fail) and a bad one is
refused with 400 before anything is created; --cap-add / --cap-drop change
the process's capability sets as Docker does."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from containers_test import ContainerTestCase  # noqa: E402

# Bits of /proc/self/status capability masks.
CAP_CHOWN = 0
CAP_NET_ADMIN = 12
CAP_SYS_ADMIN = 21
DOCKER_DEFAULT_CAPS_MASK = 0x00000000a80425fb


def status_field(text, name):
    """The value of `name:` in a /proc/PID/status text."""
    for line in text.splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError("no %s in %r" % (name, text))


class SecurityTestCase(ContainerTestCase):
    def run_sh(self, *flags_and_script):
        """docker run --rm FLAGS bb:1 sh -c SCRIPT: (rc, stdout, stderr)."""
        *flags, script = flags_and_script
        return self.d.docker("run", "--rm", *flags, "bb:1", "sh", "-c", script)

    def status(self, *flags):
        rc, out, err = self.run_sh(*flags, "cat /proc/self/status")
        self.assertEqual(rc, 0, err)
        return out

    def write_profile(self, name, profile):
        path = self.path(name)
        with open(path, "w") as f:
            f.write(profile if isinstance(profile, str) else json.dumps(profile))
        return path

    def assert_refused_and_nothing_created(self, args, message):
        before = self.docker_ok("ps", "-a", "-q").split()
        rc, out, err = self.d.docker("create", *args, "bb:1", "true")
        self.assertEqual(rc, 1, out + err)
        self.assertIn(message, err)
        self.assertEqual(self.docker_ok("ps", "-a", "-q").split(), before)


class SeccompTest(SecurityTestCase):
    def test_default_profile_is_applied(self):
        st = self.status()
        self.assertEqual(status_field(st, "Seccomp"), "2")
        # unshare is allowed only with CAP_SYS_ADMIN by Docker's profile; the
        # container's capabilities alone would let it make a user namespace.
        rc, out, err = self.run_sh("busybox unshare -U true 2>&1; echo rc=$?")
        self.assertEqual(rc, 0, err)
        self.assertIn("Operation not permitted", out)
        self.assertIn("rc=1", out)

    def test_unconfined_has_no_filter(self):
        st = self.status("--security-opt", "seccomp=unconfined")
        self.assertEqual(status_field(st, "Seccomp"), "0")
        out = self.docker_ok("run", "--rm", "--security-opt", "seccomp=unconfined", "bb:1", "sh", "-c",
                             "busybox unshare -U true && echo made-userns")
        self.assertEqual(out, "made-userns\n")

    def test_builtin_is_the_default(self):
        rc, out, err = self.run_sh("--security-opt", "seccomp=builtin", "busybox unshare -U true 2>&1; echo rc=$?")
        self.assertEqual(rc, 0, err)
        self.assertIn("rc=1", out)

    def test_cap_sys_admin_opens_the_admin_group(self):
        # With CAP_SYS_ADMIN the profile allows unshare and namespace flags.
        out = self.docker_ok("run", "--rm", "--cap-add", "SYS_ADMIN", "bb:1", "sh", "-c",
                             "grep Seccomp: /proc/self/status; busybox unshare -U true && echo made-userns")
        self.assertEqual(out, "Seccomp:\t2\nmade-userns\n")

    def test_inspect_shows_security_opt_as_sent(self):
        path = self.write_profile("allow.json", {"defaultAction": "SCMP_ACT_ALLOW"})
        cid = self.docker_ok("create", "--security-opt", "seccomp=" + path, "--security-opt", "no-new-privileges",
                             "bb:1", "true").strip()
        opts = json.loads(self.inspect(cid, "{{json .HostConfig.SecurityOpt}}"))
        self.assertEqual(len(opts), 2, opts)
        self.assertTrue(opts[0].startswith("seccomp="), opts)
        self.assertEqual(json.loads(opts[0][len("seccomp="):]), {"defaultAction": "SCMP_ACT_ALLOW"})
        self.assertEqual(opts[1], "no-new-privileges")
        self.docker_ok("rm", cid)

    def test_profile_denying_mkdir(self):
        deny = self.write_profile("deny-mkdir.json", {
            "defaultAction": "SCMP_ACT_ALLOW",
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}],
        })
        rc, out, err = self.run_sh("--security-opt", "seccomp=" + deny,
                                   "mkdir /x 2>&1; echo rc=$?; grep Seccomp: /proc/self/status")
        self.assertEqual(rc, 0, err)
        self.assertIn("Operation not permitted", out)
        self.assertIn("rc=1", out)
        self.assertIn("Seccomp:\t2", out)
        allow = self.write_profile("allow-all.json", {"defaultAction": "SCMP_ACT_ALLOW"})
        out = self.docker_ok("run", "--rm", "--security-opt", "seccomp=" + allow, "bb:1", "sh", "-c",
                             "mkdir /x && echo made; busybox unshare -U true && echo made-userns")
        self.assertEqual(out, "made\nmade-userns\n")

    def test_profile_conditions_follow_capabilities(self):
        # chown refused unless the container holds CAP_NET_ADMIN: the
        # condition is resolved against the final capability set.
        path = self.write_profile("cond.json", {
            "defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": ["chown", "fchownat", "lchown"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
                          "excludes": {"caps": ["CAP_NET_ADMIN"]}}],
        })
        script = "touch /f && chown 1 /f 2>&1; echo rc=$?"
        rc, out, err = self.run_sh("--security-opt", "seccomp=" + path, script)
        self.assertEqual(rc, 0, err)
        self.assertIn("Permission denied", out)
        self.assertIn("rc=1", out)
        out = self.docker_ok("run", "--rm", "--security-opt", "seccomp=" + path, "--cap-add", "NET_ADMIN", "bb:1",
                             "sh", "-c", script)
        self.assertEqual(out, "rc=0\n")

    def test_bad_profiles_are_refused(self):
        cases = [
            ({"defaultAction": "SCMP_ACT_BOGUS"}, 'unknown action "SCMP_ACT_BOGUS" in defaultAction'),
            ({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOPE"}]},
             'unknown action "SCMP_ACT_NOPE" in syscalls[0]'),
            ({"defaultAction": 5}, "defaultAction must be a string"),
            ({"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/agent.sock"}, "listenerPath is not supported"),
            ({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
              "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]},
             "both 'architectures' and 'archMap' are specified"),
            ({"defaultAction": "SCMP_ACT_ALLOW",
              "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4"}}]},
             'invalid kernel version: "4"'),
            ({"defaultAction": "SCMP_ACT_ALLOW", "syscall": []}, 'unknown field "syscall"'),
        ]
        for i, (profile, message) in enumerate(cases):
            with self.subTest(profile=profile):
                path = self.write_profile("bad%d.json" % i, profile)
                self.assert_refused_and_nothing_created(
                    ["--security-opt", "seccomp=" + path],
                    "Error response from daemon: Decoding seccomp profile failed: " + message)

    def test_malformed_profile_json_is_a_400(self):
        # The docker CLI checks a profile file's JSON itself; an API client
        # can send anything.
        try:
            import docker
        except ImportError:
            self.skipTest("needs the docker SDK")
        client = docker.DockerClient(base_url=self.d.host)
        for opt, message in [("seccomp={", "Decoding seccomp profile failed: invalid JSON"),
                             ('seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":{}}',
                              "Decoding seccomp profile failed: syscalls must be a list")]:
            with self.subTest(opt=opt):
                with self.assertRaises(docker.errors.APIError) as cm:
                    client.containers.create("bb:1", "true", security_opt=[opt])
                self.assertEqual(cm.exception.status_code, 400)
                self.assertIn(message, str(cm.exception))
        self.assertEqual(client.containers.list(all=True), [])

    def test_oversized_profile_is_refused(self):
        names = ["syscall_number_%d" % i for i in range(60000)]
        path = self.write_profile("big.json", {"defaultAction": "SCMP_ACT_ALLOW",
                                               "syscalls": [{"names": names, "action": "SCMP_ACT_ERRNO"}]})
        self.assertGreater(os.path.getsize(path), 1 << 20)
        self.assert_refused_and_nothing_created(["--security-opt", "seccomp=" + path],
                                                "profile is larger than 1048576 bytes")
        rc, out, err = self.d.docker("version", "--format", "{{.Server.Os}}")
        self.assertEqual((rc, out), (0, "linux\n"), err)

    def test_info_names_the_default_profile(self):
        self.assertEqual(self.docker_ok("info", "--format", "{{json .SecurityOptions}}").strip(),
                         '["name=seccomp,profile=builtin"]')

    def test_other_security_options_stay_refused(self):
        self.assert_refused_and_nothing_created(["--security-opt", "apparmor=unconfined"],
                                                'berth does not support --security-opt "apparmor"')


class CapabilitiesTest(SecurityTestCase):
    def test_default_set(self):
        st = self.status()
        self.assertEqual(int(status_field(st, "CapEff"), 16), DOCKER_DEFAULT_CAPS_MASK)
        self.assertEqual(int(status_field(st, "CapBnd"), 16), DOCKER_DEFAULT_CAPS_MASK)

    def test_drop_all(self):
        st = self.status("--cap-drop", "ALL")
        for field in ("CapEff", "CapPrm", "CapBnd"):
            self.assertEqual(int(status_field(st, field), 16), 0, field)

    def test_drop_chown_makes_chown_fail(self):
        rc, out, err = self.run_sh("--cap-drop", "chown", "touch /f && chown 1 /f 2>&1; echo rc=$?")
        self.assertEqual(rc, 0, err)
        self.assertIn("Operation not permitted", out)
        self.assertIn("rc=1", out)
        out = self.docker_ok("run", "--rm", "bb:1", "sh", "-c", "touch /f && chown 1 /f; echo rc=$?")
        self.assertEqual(out, "rc=0\n")

    def test_add_net_admin(self):
        eff = int(status_field(self.status("--cap-add", "NET_ADMIN"), "CapEff"), 16)
        self.assertEqual(eff, DOCKER_DEFAULT_CAPS_MASK | (1 << CAP_NET_ADMIN))
        # Drop ALL then add: only what is added.
        eff = int(status_field(self.status("--cap-drop", "ALL", "--cap-add", "cap_chown"), "CapEff"), 16)
        self.assertEqual(eff, 1 << CAP_CHOWN)

    def test_inspect_shows_caps(self):
        cid = self.docker_ok("create", "--cap-add", "net_admin", "--cap-drop", "CHOWN", "bb:1", "true").strip()
        self.assertEqual(self.inspect(cid, "{{json .HostConfig.CapAdd}} {{json .HostConfig.CapDrop}}"),
                         '["CAP_NET_ADMIN"] ["CAP_CHOWN"]')
        self.docker_ok("rm", cid)

    def test_unknown_capability_is_refused(self):
        self.assert_refused_and_nothing_created(["--cap-add", "BOGUS"],
                                                'Error response from daemon: invalid CapAdd: unknown capability: '
                                                '"CAP_BOGUS"')
        self.assert_refused_and_nothing_created(["--cap-drop", "cap_nope"],
                                                'Error response from daemon: invalid CapDrop: unknown capability: '
                                                '"CAP_NOPE"')


class PrivilegedTest(SecurityTestCase):
    def test_privileged_container(self):
        with open("/proc/self/status") as f:
            own_caps = int(status_field(f.read(), "CapEff"), 16)
        script = ("cat /proc/self/status; echo ---; mkdir -p /m && busybox mount -t tmpfs none /m && echo mounted; "
                  "ls /dev; echo ---; grep ' /sys ' /proc/mounts; wc -c < /proc/timer_list")
        out = self.docker_ok("run", "--rm", "--privileged", "bb:1", "sh", "-c", script)
        st, devs, rest = out.split("---\n")
        # Every capability berthd has (root's set here), no seccomp filter.
        self.assertEqual(int(status_field(st, "CapEff"), 16), own_caps)
        self.assertEqual(status_field(st, "Seccomp"), "0")
        self.assertIn("mounted", devs)
        # The host's device nodes: /dev/kmsg is one Docker does not give an
        # unprivileged container.
        self.assertTrue(os.path.exists("/dev/kmsg"))
        self.assertIn("kmsg", devs.split())
        # /sys writable, /proc/timer_list not masked (it has content).
        sys_line, size = rest.strip().split("\n")
        self.assertIn(" rw,", sys_line)
        self.assertGreater(int(size), 0)
        # The same checks fail without --privileged.
        out = self.docker_ok("run", "--rm", "bb:1", "sh", "-c", script.replace("&& echo mounted", "|| echo refused"))
        st, devs, rest = out.split("---\n")
        self.assertEqual(status_field(st, "Seccomp"), "2")
        self.assertIn("refused", devs)
        self.assertNotIn("kmsg", devs.split())
        sys_line, size = rest.strip().split("\n")
        self.assertIn(" ro,", sys_line)
        self.assertEqual(int(size), 0)

    def test_inspect_shows_privileged(self):
        cid = self.docker_ok("create", "--privileged", "bb:1", "true").strip()
        self.assertEqual(self.inspect(cid, "{{.HostConfig.Privileged}}"), "true")
        self.docker_ok("rm", cid)


if __name__ == "__main__":
    unittest.main()
