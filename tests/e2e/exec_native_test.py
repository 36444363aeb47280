"""docker exec through berth-exec (src/runtime/nsexec.h), attacked end to
end with the real docker CLI: the exec'd process must have exactly what the
container's init has (capabilities, no_new_privs, seccomp, cgroups,
namespaces) and nothing of berthd's (descriptors, ignored signals,
environment), with Docker's exit codes and texts."""

import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from containers_test import ContainerTestCase  # noqa: E402
from tty_test import PtyCli  # noqa: E402

STATUS_FIELDS = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", "Seccomp_filters")


def status_fields(text):
    fields = {}
    for line in text.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            fields[k.strip()] = v.strip()
    return fields


class ExecNativeTest(ContainerTestCase):
    def run_sleeper(self, *flags):
        return self.docker_ok("run", "-d", *flags, "bb:1", "sleep", "1000").strip()

    def init_pid(self, cid):
        return int(self.docker_ok("inspect", "-f", "{{.State.Pid}}", cid).strip())

    def init_file(self, cid, name):
        with open("/proc/%d/%s" % (self.init_pid(cid), name)) as f:
            return f.read()

    def exec_status(self, cid, *flags):
        return status_fields(self.docker_ok("exec", *flags, cid, "cat", "/proc/self/status"))

    def test_the_helper_runs_the_process(self):
        cid = self.run_sleeper()
        self.docker_ok("exec", "-d", cid, "sleep", "30")
        # The detached process's parent on the host is berth-exec, not runc.

        def parent_comm():
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    with open("/proc/%s/cmdline" % pid, "rb") as f:
                        if f.read() != b"sleep\x0030\x00":
                            continue
                    with open("/proc/%s/stat" % pid) as f:
                        ppid = f.read().rsplit(")", 1)[1].split()[1]
                    with open("/proc/%s/comm" % ppid) as f:
                        return f.read().strip()
                except OSError:
                    continue
            return None
        self.assertEqual(self.wait_for(parent_comm, "the exec'd sleep"), "berth-exec")

    def test_capabilities_nnp_and_seccomp_equal_the_inits(self):
        for flags in [(), ("--cap-drop", "ALL"), ("--cap-add", "SYS_ADMIN"), ("--cap-drop", "ALL", "--cap-add", "NET_RAW"),
                      ("--privileged",), ("--security-opt", "no-new-privileges"),
                      ("--security-opt", "seccomp=unconfined")]:
            with self.subTest(flags=flags):
                cid = self.run_sleeper(*flags)
                init = status_fields(self.init_file(cid, "status"))
                got = self.exec_status(cid)
                self.assertEqual({k: got.get(k) for k in STATUS_FIELDS}, {k: init.get(k) for k in STATUS_FIELDS})
                self.docker_ok("rm", "-f", cid)

    def test_privileged_exec_gets_every_capability_and_keeps_the_filter(self):
        cid = self.run_sleeper()
        priv = self.run_sleeper("--privileged")
        got = self.exec_status(cid, "--privileged")
        full = status_fields(self.init_file(priv, "status"))
        init = status_fields(self.init_file(cid, "status"))
        self.assertEqual((got["CapBnd"], got["CapEff"]), (full["CapBnd"], full["CapEff"]))
        self.assertEqual((got["Seccomp"], got["NoNewPrivs"]), (init["Seccomp"], init["NoNewPrivs"]))
        self.assertEqual(init["Seccomp"], "2")

    def test_seccomp_filter_is_enforced(self):
        cid = self.run_sleeper()
        # Docker's default profile refuses unshare without CAP_SYS_ADMIN...
        rc, out, err = self.d.docker("exec", cid, "busybox", "unshare", "-u", "true")
        self.assertNotEqual(rc, 0, out + err)
        # ...and allows it with it.
        cid2 = self.run_sleeper("--cap-add", "SYS_ADMIN")
        rc, out, err = self.d.docker("exec", cid2, "busybox", "unshare", "-u", "true")
        self.assertEqual(rc, 0, out + err)

    def test_cgroups_equal_the_inits_and_limits_hold(self):
        cid = self.run_sleeper("--pids-limit", "20")
        self.assertEqual(self.docker_ok("exec", cid, "cat", "/proc/self/cgroup"), self.init_file(cid, "cgroup"))
        # A fork bomb loop is bounded by the container's pids limit.
        self.docker_ok("exec", "-d", cid, "sh", "-c", "for i in $(busybox seq 60); do sleep 30 & done")
        current = self.cgroup_file(cid, "pids", "pids.current")
        counts = []

        def settled():
            with open(current) as f:
                counts.append(int(f.read()))
            return len(counts) > 20 and counts[-1] == counts[-20] and counts[-1] >= 15
        self.wait_for(settled, "the loop to fill the pids limit")
        self.assertLessEqual(max(counts), 20, counts)
        # Memory beyond the container's limit kills the exec'd process.
        mem = self.run_sleeper("--memory", "32m", "--memory-swap", "32m")
        rc, _, err = self.d.docker("exec", mem, "sh", "-c", "busybox head -c 200m /dev/zero | busybox tail")
        self.assertEqual(rc, 137, err)

    def cgroup_file(self, cid, controller, name):
        for line in self.init_file(cid, "cgroup").splitlines():
            _, controllers, path = line.split(":", 2)
            if controller in controllers.split(","):
                return "/sys/fs/cgroup/%s%s/%s" % (controller, path, name)
            if controllers == "" and os.path.exists("/sys/fs/cgroup%s/%s" % (path, name)):
                return "/sys/fs/cgroup%s/%s" % (path, name)
        self.fail("no %s cgroup for %s" % (controller, cid))

    def test_descriptors_signals_and_environment_are_clean(self):
        cid = self.run_sleeper("-e", "FROM_RUN=1")
        self.assertEqual(self.docker_ok("exec", cid, "ls", "/proc/self/fd").split(), ["0", "1", "2", "3"])
        fields = self.exec_status(cid)
        self.assertEqual((fields["SigIgn"], fields["SigBlk"]), ("0" * 16, "0" * 16))
        start = time.time()
        self.assertEqual(self.docker_ok("exec", cid, "sh", "-c", "busybox yes | busybox head -1"), "y\n")
        self.assertLess(time.time() - start, 30)
        env = self.docker_ok("exec", "-e", "ADDED=2", cid, "busybox", "env").split("\n")
        self.assertEqual(sorted(e for e in env if e),
                         sorted(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                 "HOSTNAME=" + cid[:12], "FROM_RUN=1", "ADDED=2",
                                 "HOME=/"]))  # runc adds it: the image has no /etc/passwd

    def test_user_groups_and_workdir(self):
        cid = self.run_sleeper("--group-add", "1234")
        out = self.docker_ok("exec", "-u", "1000:1000", "-w", "/etc", cid, "sh", "-c",
                             "busybox id -u; busybox id -g; pwd; busybox grep -E '^(Groups|CapEff|CapPrm)' /proc/self/status")
        lines = out.split("\n")
        self.assertEqual(lines[:3], ["1000", "1000", "/etc"])
        fields = status_fields("\n".join(lines[3:]))
        self.assertEqual(fields["Groups"].split(), ["1234"])
        self.assertEqual((fields["CapEff"], fields["CapPrm"]), ("0" * 16, "0" * 16))
        rc, _, err = self.d.docker("exec", "-w", "/nonexistent", cid, "true")
        self.assertNotEqual(rc, 0)
        self.assertIn("chdir to cwd (\"/nonexistent\") set in config.json failed", err)

    def test_rlimits_and_oom_score_adj_are_the_containers(self):
        cid = self.run_sleeper("--ulimit", "nofile=20:30", "--ulimit", "nproc=500:600", "--oom-score-adj", "321")
        out = self.docker_ok("exec", cid, "cat", "/proc/self/limits", "/proc/self/oom_score_adj")
        limits = {line[:26].strip(): line[26:].split()[:2] for line in out.splitlines() if line.startswith("Max ")}
        self.assertEqual(limits["Max open files"], ["20", "30"])
        self.assertEqual(limits["Max processes"], ["500", "600"])
        self.assertEqual(out.splitlines()[-1], "321")
        self.assertEqual(out.splitlines()[-1], self.init_file(cid, "oom_score_adj").strip())

    def test_exit_codes_and_texts(self):
        cid = self.run_sleeper()
        self.docker_ok("exec", cid, "sh", "-c", "echo '#!/bin/sh' > /noexec; busybox chmod 644 /noexec; busybox mkdir /adir")
        cases = [(["true"], 0, None), (["sh", "-c", "exit 3"], 3, None),
                 (["nosuchcommand"], 127, 'exec: "nosuchcommand": executable file not found in $PATH'),
                 (["/nosuch/cmd"], 127, "no such file or directory"),
                 (["/noexec"], 126, 'exec: "/noexec": permission denied'),
                 (["/adir"], 126, "is a directory"),
                 (["sh", "-c", "kill -9 $$"], 137, None)]
        for argv, code, text in cases:
            with self.subTest(argv=argv):
                rc, _, err = self.d.docker("exec", cid, *argv)
                self.assertEqual(rc, code, err)
                if text:
                    self.assertIn(text, err)
                    self.assertIn("OCI runtime exec failed", err)

    def test_tty_and_stdin(self):
        cid = self.run_sleeper()
        rc, out, err = self.d.docker("exec", "-t", cid, "sh", "-c", "busybox tty; echo hi")
        self.assertEqual((rc, out), (0, "/dev/pts/0\r\nhi\r\n"), err)
        rc, out, err = self.d.docker("exec", "-i", cid, "cat", input=b"hi\n")
        self.assertEqual((rc, out), (0, "hi\n"), err)

    def test_tty_input_reaches_the_process_behind_a_flood_of_output(self):
        cid = self.run_sleeper()
        cli = PtyCli(self.d.env(), ["exec", "-it", cid, "sh", "-c", "busybox yes"])
        cli.expect(b"y\r\ny\r\ny\r\n")
        cli.send(b"\x03")  # ^C: the container's terminal makes it SIGINT
        self.assertEqual(cli.wait(), 130)

    def test_host_namespaces_are_not_joined(self):
        host_pid = os.readlink("/proc/self/ns/pid")
        host_net = os.readlink("/proc/self/ns/net")
        cid = self.run_sleeper("--pid", "host", "--network", "host")
        out = self.readlinks(cid, "pid", "net", "mnt")
        self.assertEqual(out.split()[:2], [host_pid, host_net])
        self.assertEqual(out.split()[2], os.readlink("/proc/%d/ns/mnt" % self.init_pid(cid)))
        self.assertNotEqual(out.split()[2], os.readlink("/proc/self/ns/mnt"))
        # A container with its own: the init's.
        own = self.run_sleeper()
        pid = self.init_pid(own)
        out = self.readlinks(own, "pid", "net", "ipc", "uts", "mnt")
        self.assertEqual(out.split(), [os.readlink("/proc/%d/ns/%s" % (pid, n)) for n in ("pid", "net", "ipc", "uts", "mnt")])
        # Its pid 1 is the container's init.
        self.assertEqual(self.docker_ok("exec", own, "cat", "/proc/1/cmdline"), "sleep\x001000\x00")

    def test_the_helper_never_joins_a_recycled_or_dead_pid(self):
        helper = os.path.join(os.environ.get("BERTH_BINARY_DIR", "build"), "bin", "berth-exec")
        cid = self.run_sleeper()
        bundle = os.path.join(self.d.data_root, "containers", cid, "bundle")
        process = self.path("process.json")
        with open(process, "w") as f:
            f.write('{"args":["true"],"env":["PATH=/bin"],"cwd":"/","user":{"uid":0,"gid":0}}')
        child = subprocess.Popen(["sleep", "0"])
        child.wait()
        cases = [
            # A live process that is not the init runc started (another start time).
            {"init_process_pid": os.getpid(), "init_process_start": 1},
            # The init's pid with a start time of another process.
            {"init_process_pid": self.init_pid(cid), "init_process_start": 1},
            # A process that has gone.
            {"init_process_pid": child.pid, "init_process_start": 1},
        ]
        # A paused container: refused at once (the helper would freeze in its cgroup).
        self.docker_ok("pause", cid)
        r = subprocess.run([helper, "--id", cid, "--runc-state",
                            os.path.join(self.d.data_root, "runc", cid, "state.json"), "--bundle", bundle,
                            "--process", process, "--pid-file", self.path("paused.pid")],
                           capture_output=True, text=True, timeout=20)
        self.assertEqual((r.returncode, r.stderr),
                         (126, "container %s is paused, unpause the container before exec\n" % cid))
        self.docker_ok("unpause", cid)
        for state in cases:
            with self.subTest(state=state):
                path = self.path("state.json")
                with open(path, "w") as f:
                    json.dump(state, f)
                pid_file = self.path("exec.pid")
                r = subprocess.run([helper, "--id", cid, "--runc-state", path, "--bundle", bundle,
                                    "--process", process, "--pid-file", pid_file], capture_output=True, text=True)
                self.assertEqual((r.returncode, r.stderr), (126, "container %s is not running\n" % cid))
                self.assertFalse(os.path.exists(pid_file))

    def readlinks(self, cid, *names):
        return self.docker_ok("exec", cid, "sh", "-c",
                              "for n in %s; do busybox readlink /proc/self/ns/$n; done" % " ".join(names))

    def test_exec_after_the_container_stopped_is_refused(self):
        cid = self.run_sleeper()
        self.docker_ok("kill", cid)
        self.wait_for(lambda: self.docker_ok("inspect", "-f", "{{.State.Running}}", cid).strip() == "false",
                      "the container to stop")
        rc, _, err = self.d.docker("exec", cid, "true")
        self.assertNotEqual(rc, 0)
        self.assertIn("container %s is not running" % cid, err)

    def wait_for(self, fn, what, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            v = fn()
            if v:
                return v
            time.sleep(0.05)
        self.fail("timed out waiting for " + what)


class ExecAbandonTest(ContainerTestCase):
    def test_stopping_berthd_kills_the_helper_and_the_process_goes_on(self):
        cid = self.docker_ok("run", "-d", "bb:1", "sleep", "1000").strip()
        self.docker_ok("exec", "-d", cid, "sh", "-c", "sleep 2; echo done > /marker")

        def helpers():
            found = []
            for pid in os.listdir("/proc"):
                try:
                    with open("/proc/%s/cmdline" % pid, "rb") as f:
                        argv = f.read().split(b"\0")
                except OSError:
                    continue
                if argv[0].endswith(b"/berth-exec") and cid.encode() in argv:
                    found.append(pid)
            return found
        self.assertEqual(len(helpers()), 1)
        self.assertEqual(self.d.stop(), 0)
        self.assertEqual(helpers(), [])  # killed with berthd's stop
        marker = os.path.join(self.d.data_root, "containers", cid, "rootfs", "marker")
        deadline = time.time() + 20
        while not os.path.exists(marker) and time.time() < deadline:
            time.sleep(0.1)
        self.d.start()
        with open(marker) as f:
            self.assertEqual(f.read(), "done\n")  # the process went on in the container


if __name__ == "__main__":
    unittest.main()
