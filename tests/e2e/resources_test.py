"""Resource limits end to end (issue 14): the real docker CLI (28.2.2) and the
Python SDK (7.1.0) give containers memory, CPU, pids, ulimit, /dev/shm,
sysctl, device and OOM settings, which the containers see in their own
cgroup (v1 here: /sys/fs/cgroup/<controller>) and /proc; docker update
changes them on running and stopped containers; bad values get Docker's
errors and create nothing; a container that allocates past its memory
limit is OOM-killed instead of exhausting the host."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from containers_test import ContainerTestCase, SdkContainerTestCase, can_run_containers  # noqa: E402

try:
    import docker
except ImportError:  # pragma: no cover
    docker = None

MiB = 1024 * 1024
CGROUP_V1 = os.path.isdir("/sys/fs/cgroup/memory")


def host_cpus():
    return len(os.sched_getaffinity(0))


@unittest.skipUnless(can_run_containers(), "needs root and runc")
@unittest.skipUnless(CGROUP_V1, "the checks read cgroup v1 files")
class ResourcesCliTest(ContainerTestCase):
    def run_out(self, *args):
        return self.docker_ok("run", "--rm", *args).strip()

    def test_memory_limit_is_the_containers_own(self):
        out = self.run_out("--memory", "32m", "bb:1", "sh", "-c",
                           "cat /sys/fs/cgroup/memory/memory.limit_in_bytes "
                           "/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes")
        self.assertEqual(out.split(), [str(32 * MiB), str(64 * MiB)])  # swap: twice the memory, as Docker
        cid = self.docker_ok("create", "--memory", "32m", "--memory-reservation", "16m", "bb:1", "true").strip()
        self.assertEqual(self.inspect(cid, "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} "
                                           "{{.HostConfig.MemoryReservation}}"),
                         "%d %d %d" % (32 * MiB, 64 * MiB, 16 * MiB))
        # No limit: the container's cgroup has none of its own.
        plain = self.docker_ok("create", "bb:1", "true").strip()
        self.assertEqual(self.inspect(plain, "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} "
                                             "{{.HostConfig.ShmSize}} {{.HostConfig.PidsLimit}}"),
                         "0 0 67108864 <nil>")

    def test_cpus_shares_and_cpuset(self):
        out = self.run_out("--cpus", "0.5", "--cpu-shares", "512", "--cpuset-cpus", "0", "bb:1", "sh", "-c",
                           "cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us "
                           "/sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/cpuset/cpuset.cpus")
        self.assertEqual(out.split(), ["50000", "100000", "512", "0"])
        out = self.run_out("--cpu-period", "50000", "--cpu-quota", "25000", "bb:1", "sh", "-c",
                           "cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us")
        self.assertEqual(out.split(), ["25000", "50000"])

    def test_pids_limit_stops_a_fork_bomb_lite(self):
        # 20 sleeps asked for, 10 pids allowed (the shell is one of them).
        rc, out, err = self.d.docker(
            "run", "--rm", "--pids-limit", "10", "bb:1", "sh", "-c",
            "cat /sys/fs/cgroup/pids/pids.max; for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do "
            "sleep 30 & done; cat /sys/fs/cgroup/pids/pids.current; kill $(jobs -p) 2>/dev/null; true")
        lines = out.split()
        self.assertEqual(lines[0], "10", (out, err))
        self.assertIn("fork", err.lower(), (rc, out, err))
        if len(lines) > 1:
            self.assertLessEqual(int(lines[1]), 10)
        # Without the limit the same script starts all 20.
        out = self.run_out("bb:1", "sh", "-c",
                           "for i in $(seq 20); do sleep 30 & done; ls /proc | grep -c '^[0-9]'; kill $(jobs -p)")
        self.assertGreaterEqual(int(out.split()[-1]), 21)

    def test_ulimit_shm_size_oom_score_and_sysctls(self):
        self.assertEqual(self.run_out("--ulimit", "nofile=100:100", "bb:1", "sh", "-c", "ulimit -n"), "100")
        out = self.run_out("--ulimit", "nproc=50:60", "bb:1", "sh", "-c", "ulimit -u; ulimit -Hu")
        self.assertEqual(out.split(), ["50", "60"])
        out = self.run_out("--shm-size", "8m", "bb:1", "sh", "-c", "df -k /dev/shm")
        self.assertEqual(out.splitlines()[-1].split()[1], "8192", out)
        out = self.run_out("bb:1", "sh", "-c", "df -k /dev/shm")
        self.assertEqual(out.splitlines()[-1].split()[1], "65536", out)
        self.assertEqual(self.run_out("--oom-score-adj", "300", "bb:1", "cat", "/proc/self/oom_score_adj"), "300")
        out = self.run_out("--sysctl", "kernel.shmmax=1000000", "--sysctl", "net.ipv4.ip_forward=1", "bb:1",
                           "cat", "/proc/sys/kernel/shmmax", "/proc/sys/net/ipv4/ip_forward")
        self.assertEqual(out.split(), ["1000000", "1"])
        cid = self.docker_ok("create", "--sysctl", "kernel.msgmax=4096", "--ulimit", "nofile=100:200",
                             "--shm-size", "8m", "--oom-score-adj", "300", "bb:1", "true").strip()
        self.assertEqual(self.inspect(cid, "{{json .HostConfig.Sysctls}} {{json .HostConfig.Ulimits}} "
                                           "{{.HostConfig.ShmSize}} {{.HostConfig.OomScoreAdj}}"),
                         '{"kernel.msgmax":"4096"} [{"Name":"nofile","Hard":200,"Soft":100}] 8388608 300')

    def test_devices(self):
        if not os.path.exists("/dev/fuse"):
            self.skipTest("no /dev/fuse on this host")
        st = os.stat("/dev/fuse")
        out = self.run_out("--device", "/dev/fuse", "bb:1", "sh", "-c",
                           "stat -c '%t:%T %F' /dev/fuse; cat /sys/fs/cgroup/devices/devices.list")
        lines = out.splitlines()
        self.assertEqual(lines[0], "%x:%x character special file" % (os.major(st.st_rdev), os.minor(st.st_rdev)))
        self.assertIn("c %d:%d rwm" % (os.major(st.st_rdev), os.minor(st.st_rdev)), lines[1:])
        # Host path:container path:permissions.
        out = self.run_out("--device", "/dev/fuse:/dev/myfuse:r", "bb:1", "sh", "-c",
                           "test -c /dev/myfuse && echo made; cat /sys/fs/cgroup/devices/devices.list")
        self.assertEqual(out.splitlines()[0], "made")
        self.assertIn("c %d:%d r" % (os.major(st.st_rdev), os.minor(st.st_rdev)), out.splitlines()[1:])
        # Without --device the node is not there.
        self.assertEqual(self.run_out("bb:1", "sh", "-c", "test -e /dev/fuse && echo there || echo absent"),
                         "absent")

    def test_device_cgroup_rules_open_exactly_the_devices_they_name(self):
        # A node of /dev/fuse's numbers (10:229, not among Docker's default
        # rules) made in the container opens only when a rule allows it.
        if not os.path.exists("/dev/fuse"):
            self.skipTest("no /dev/fuse on this host")
        opener = "exec 2>&1; mknod /dev/n c 10 229 && (exec 3</dev/n) && echo opened"
        self.assertIn("Operation not permitted", self.run_out("bb:1", "sh", "-c", opener + "; true"))
        allowed = self.run_out("--device-cgroup-rule", "c 10:229 r", "bb:1", "sh", "-c",
                               opener + "; grep -c '^c 10:229 r$' /sys/fs/cgroup/devices/devices.list")
        self.assertEqual(allowed.splitlines(), ["opened", "1"])
        # Wildcards, and the rules kept as given in inspect (null when none).
        cid = self.docker_ok("create", "--device-cgroup-rule", "b *:* rm", "--device-cgroup-rule", "c 7:128 rwm",
                             "bb:1", "true").strip()
        self.assertEqual(self.inspect(cid, "{{json .HostConfig.DeviceCgroupRules}}"), '["b *:* rm","c 7:128 rwm"]')
        plain = self.docker_ok("create", "bb:1", "true").strip()
        self.assertEqual(self.inspect(plain, "{{json .HostConfig.DeviceCgroupRules}}"), "null")

    def test_bad_values_get_dockers_errors_and_create_nothing(self):
        n = host_cpus()
        cases = [
            (["--memory", "4m"], "Minimum memory limit allowed is 6MB"),
            (["--memory", "64m", "--memory-swap", "32m"],
             "Minimum memoryswap limit should be larger than memory limit, see usage"),
            (["--memory-reservation", "1m"], "Minimum memory reservation allowed is 6MB"),
            (["--memory", "16m", "--memory-reservation", "32m"],
             "Minimum memory limit can not be less than memory reservation limit, see usage"),
            (["--cpus", str(n + 1)],
             "Range of CPUs is from 0.01 to %d.00, as there are only %d CPUs available" % (n, n)),
            (["--cpus", "0.5", "--cpu-period", "50000"],
             "Conflicting options: Nano CPUs and CPU Period cannot both be set"),
            (["--cpu-quota", "500"], "CPU cfs quota can not be less than 1ms (i.e. 1000)"),
            (["--cpuset-cpus", "99"], "Requested CPUs are not available - requested 99, available: "),
            (["--oom-score-adj", "1001"], "Invalid value 1001, range for oom score adj is [-1000, 1000]"),
            (["--network", "host", "--sysctl", "net.ipv4.ip_forward=1"],
             'sysctl "net.ipv4.ip_forward" is not allowed in the hosts network namespace'),
            (["--device", "/dev/berth-nosuch"],
             'error gathering device information while adding custom device "/dev/berth-nosuch": '
             "no such file or directory"),
            # What berth does not do stays refused by name.
            (["--device-read-bps", "/dev/null:1mb"], "HostConfig.BlkioDeviceReadBps"),
            (["--cpu-rt-runtime", "950"], "HostConfig.CpuRealtimeRuntime"),
        ]
        for flags, message in cases:
            rc, out, err = self.d.docker("create", *flags, "bb:1", "true")
            self.assertEqual(rc, 1, (flags, out, err))
            self.assertIn(message, err, flags)
        self.assertEqual(self.docker_ok("ps", "-a", "-q"), "")

    def test_a_container_cannot_exhaust_the_hosts_memory(self):
        # The attack: a shell doubling a string forever. Its cgroup's OOM
        # killer ends it at 8 MiB; the host and berthd go on.
        rc, _, err = self.d.docker("run", "--name", "hog", "--memory", "8m", "bb:1", "sh", "-c",
                                   "x=aaaaaaaaaaaaaaaa; while true; do x=$x$x; done", timeout=120)
        self.assertEqual(rc, 137, err)
        self.assertEqual(self.inspect("hog", "{{.State.OOMKilled}} {{.State.ExitCode}}"), "true 137")
        # A start afterwards clears it (Docker's State.OOMKilled is per run).
        self.docker_ok("rm", "hog")
        rc, _, _ = self.d.docker("run", "--name", "fine", "--memory", "8m", "bb:1", "true")
        self.assertEqual(rc, 0)
        self.assertEqual(self.inspect("fine", "{{.State.OOMKilled}}"), "false")
        self.assertEqual(self.docker_ok("version", "--format", "{{.Server.APIVersion}}").strip(), "1.50")

    def test_oom_kill_disable_and_swappiness_reach_the_cgroup(self):
        out = self.run_out("--memory", "32m", "--oom-kill-disable", "--memory-swappiness", "0", "bb:1", "sh", "-c",
                           "grep oom_kill_disable /sys/fs/cgroup/memory/memory.oom_control; "
                           "cat /sys/fs/cgroup/memory/memory.swappiness")
        self.assertEqual(out.split(), ["oom_kill_disable", "1", "0"])

    def test_update_a_running_container(self):
        cid = self.docker_ok("run", "-d", "--memory", "32m", "--pids-limit", "10", "bb:1", "sleep", "1000").strip()

        def cg(path):
            return self.docker_ok("exec", cid, "cat", "/sys/fs/cgroup/" + path).strip()

        self.assertEqual(cg("memory/memory.limit_in_bytes"), str(32 * MiB))
        self.docker_ok("update", "--memory", "48m", "--pids-limit", "20", "--cpus", "1", "--cpu-shares", "256", cid)
        self.assertEqual(cg("memory/memory.limit_in_bytes"), str(48 * MiB))
        self.assertEqual(cg("pids/pids.max"), "20")
        self.assertEqual(cg("cpu/cpu.cfs_quota_us"), "100000")
        self.assertEqual(cg("cpu/cpu.shares"), "256")
        self.assertEqual(self.inspect(cid, "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} "
                                           "{{.HostConfig.PidsLimit}} {{.HostConfig.NanoCpus}}"),
                         "%d %d 20 1000000000" % (48 * MiB, 64 * MiB))
        # Above the swap limit set at create, without a new one: Docker's
        # refusal, nothing changes.
        rc, _, err = self.d.docker("update", "--memory", "128m", cid)
        self.assertEqual(rc, 1)
        self.assertIn("Cannot update container %s: Memory limit should be smaller than already set memoryswap "
                      "limit, update the memoryswap at the same time" % cid, err)
        self.assertEqual(cg("memory/memory.limit_in_bytes"), str(48 * MiB))
        self.docker_ok("update", "--memory", "128m", "--memory-swap", "256m", cid)
        self.assertEqual(cg("memory/memory.limit_in_bytes"), str(128 * MiB))
        self.assertEqual(cg("memory/memory.memsw.limit_in_bytes"), str(256 * MiB))
        rc, _, err = self.d.docker("update", "--cpu-period", "50000", cid)
        self.assertEqual(rc, 1)
        self.assertIn("Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set", err)
        rc, _, err = self.d.docker("update", "--memory", "4m", cid)
        self.assertIn("Minimum memory limit allowed is 6MB", err)
        # Unlimited pids again (0 means unlimited in an update).
        self.docker_ok("update", "--pids-limit", "-1", cid)
        self.assertEqual(cg("pids/pids.max"), "max")

    def test_update_below_the_current_usage_is_the_kernels_refusal(self):
        cid = self.docker_ok("run", "-d", "--memory", "64m", "bb:1", "sh", "-c",
                             "head -c 20971520 /dev/zero > /dev/shm/fill; sleep 1000").strip()
        self.wait_for(lambda: self.docker_ok("exec", cid, "sh", "-c", "ls -l /dev/shm/fill 2>/dev/null | "
                                             "grep -c 20971520 || true").strip() == "1", "the shm file")
        rc, _, err = self.d.docker("update", "--memory", "10m", "--memory-swap", "10m", cid)
        self.assertEqual(rc, 1)
        self.assertIn("Cannot update container " + cid, err)
        self.assertEqual(self.inspect(cid, "{{.HostConfig.Memory}}"), str(64 * MiB))
        self.assertEqual(self.docker_ok("exec", cid, "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes").strip(),
                         str(64 * MiB))

    def test_update_a_stopped_container_applies_at_its_next_start(self):
        cid = self.docker_ok("create", "--memory", "32m", "bb:1", "sh", "-c",
                             "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max").strip()
        self.docker_ok("update", "--memory", "40m", "--pids-limit", "30", cid)
        self.assertEqual(self.inspect(cid, "{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}"),
                         "%d 30" % (40 * MiB))
        self.docker_ok("start", "-a", cid)
        out, _ = self.logs(cid)
        self.assertEqual(out.split(), [str(40 * MiB), "30"])

    def test_stats_memory_limit_is_the_containers(self):
        cid = self.docker_ok("run", "-d", "--memory", "32m", "--pids-limit", "10", "bb:1", "sleep", "1000").strip()
        out = self.docker_ok("stats", "--no-stream", "--format", "{{.MemUsage}} {{.PIDs}}", cid).strip()
        self.assertRegex(out, r"/ 32MiB 1$")


@unittest.skipUnless(can_run_containers(), "needs root and runc")
@unittest.skipUnless(CGROUP_V1, "the checks read cgroup v1 files")
@unittest.skipIf(docker is None, "the Python docker SDK is missing")
class ResourcesSdkTest(SdkContainerTestCase):

    def test_run_with_limits_and_update(self):
        c = self.client.containers.run("bb:1", ["sleep", "1000"], detach=True, mem_limit="32m", cpu_shares=512,
                                       pids_limit=10, ulimits=[docker.types.Ulimit(name="nofile", soft=64, hard=64)])
        try:
            c.reload()
            hc = c.attrs["HostConfig"]
            self.assertEqual((hc["Memory"], hc["MemorySwap"], hc["CpuShares"], hc["PidsLimit"]),
                             (32 * MiB, 64 * MiB, 512, 10))
            self.assertEqual(hc["Ulimits"], [{"Name": "nofile", "Soft": 64, "Hard": 64}])
            code, out = c.exec_run(["sh", "-c", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes "
                                                "/sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/pids/pids.max; "
                                                "ulimit -n"])
            self.assertEqual((code, out.decode().split()), (0, [str(32 * MiB), "512", "10", "64"]))
            self.assertEqual(c.update(mem_limit="48m", cpu_shares=256), {"Warnings": []})
            code, out = c.exec_run(["cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                    "/sys/fs/cgroup/cpu/cpu.shares"])
            self.assertEqual(out.decode().split(), [str(48 * MiB), "256"])
            c.reload()
            self.assertEqual(c.attrs["HostConfig"]["Memory"], 48 * MiB)
            stats = c.stats(stream=False)
            self.assertEqual(stats["memory_stats"]["limit"], 48 * MiB)
            self.assertEqual(stats["pids_stats"]["limit"], 10)
            with self.assertRaises(docker.errors.APIError) as e:
                c.update(mem_limit="256m")
            self.assertIn("Memory limit should be smaller than already set memoryswap limit", str(e.exception))
        finally:
            c.remove(force=True)

    def test_docker_py_create_tests(self):
        api = self.client.api
        # test_create_with_memory_constraints_with_str / _with_int
        ctr = api.create_container("bb:1", "true", host_config=api.create_host_config(memswap_limit="1G",
                                                                                      mem_limit="700M"))
        api.start(ctr)
        hc = api.inspect_container(ctr)["HostConfig"]
        self.assertEqual((hc["Memory"], hc["MemorySwap"]), (700 * MiB, 1024 * MiB))
        ctr = api.create_container("bb:1", "true", host_config=api.create_host_config(mem_swappiness=40))
        api.start(ctr)
        self.assertEqual(api.inspect_container(ctr)["HostConfig"]["MemorySwappiness"], 40)
        # ContainerUpdateTest.test_update_container
        ctr = api.create_container("bb:1", ["sleep", "1000"],
                                   host_config=api.create_host_config(mem_limit=400 * MiB))
        api.start(ctr)
        api.update_container(ctr, mem_limit=300 * MiB)
        self.assertEqual(api.inspect_container(ctr)["HostConfig"]["Memory"], 300 * MiB)
        # ContainerCPUTest: cpu_shares, cpuset_cpus
        ctr = api.create_container("bb:1", "true", host_config=api.create_host_config(cpu_shares=512,
                                                                                     cpuset_cpus="0"))
        api.start(ctr)
        hc = api.inspect_container(ctr)["HostConfig"]
        self.assertEqual((hc["CpuShares"], hc["CpusetCpus"]), (512, "0"))
        # shm_size, sysctls, devices, oom_score_adj
        ctr = api.create_container("bb:1", "true", host_config=api.create_host_config(
            shm_size="16m", sysctls={"net.core.somaxconn": "1024"}, devices=["/dev/null:/dev/mynull:rw"],
            oom_score_adj=100))
        hc = api.inspect_container(ctr)["HostConfig"]
        self.assertEqual(hc["ShmSize"], 16 * MiB)
        self.assertEqual(hc["Sysctls"], {"net.core.somaxconn": "1024"})
        self.assertEqual(hc["Devices"], [{"PathOnHost": "/dev/null", "PathInContainer": "/dev/mynull",
                                          "CgroupPermissions": "rw"}])
        self.assertEqual(hc["OomScoreAdj"], 100)
        # What the CLI checks itself, the daemon checks too.
        for host_config, message in [
            (api.create_host_config(mem_swappiness=101), "Invalid value: 101, valid memory swappiness range is 0-100"),
            (api.create_host_config(ulimits=[docker.types.Ulimit(name="nofile", soft=2, hard=1)]),
             "ulimit soft limit must be less than or equal to hard limit: 2 > 1"),
            (api.create_host_config(sysctls={"kernel.panic": "1"}),
             'sysctl "kernel.panic" is not in a separate kernel namespace'),
        ]:
            with self.assertRaises(docker.errors.APIError) as e:
                api.create_container("bb:1", "true", host_config=host_config)
            self.assertEqual(e.exception.status_code, 400)
            self.assertIn(message, str(e.exception))


if __name__ == "__main__":
    unittest.main()
