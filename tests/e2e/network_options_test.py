"""User networks' create options end to end with the real docker CLI:
--internal (containers reach each other but not the host's address on
another interface; netfilter rules gone with the network), the bridge
driver options berth applies (bridge name, MTU, IP masquerade; any other
refused by name), and berthd's --default-address-pool (subnets taken in
order, Docker's error once the pools are used up). Skips where network_test
skips."""

import json
import os
import socket
import subprocess
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from network_test import BRIDGE, SERVER, SKIP_REASON, UserNetworkTestCase  # noqa: E402
from berth_e2e import Daemon  # noqa: E402

OPTS_BRIDGE = "brberth%d" % (os.getpid() % 10000)


def host_address():
    """An IPv4 address of this host on an interface berth does not manage,
    or None."""
    out = subprocess.run(["ip", "-4", "-o", "addr", "show", "scope", "global"], capture_output=True,
                         text=True).stdout
    for line in out.splitlines():
        fields = line.split()
        name, cidr = fields[1], fields[3]
        if name.startswith(("berth", "br", "docker", "veth")):
            continue
        return cidr.split("/")[0]
    return None


def netfilter_rules():
    return subprocess.run(["iptables-save"], capture_output=True, text=True).stdout


class Listener:
    """A TCP server on all the host's addresses that answers "host\\n"."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("0.0.0.0", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"host\n")

    def close(self):
        self.sock.close()


@unittest.skipIf(SKIP_REASON is not None, SKIP_REASON or "")
class NetworkOptionsTest(UserNetworkTestCase):
    daemon_args = ("--bridge", BRIDGE + "o", "--bip", "172.31.248.1/24",
                   "--default-address-pool", "base=10.215.0.0/23,size=24")

    def net_inspect(self, name):
        return json.loads(self.docker_ok("network", "inspect", name))[0]

    def test_internal_network_is_isolated_but_its_containers_meet(self):
        addr = host_address()
        if addr is None:
            self.skipTest("this host has no IPv4 address outside berth's bridges")
        listener = Listener()
        self.addCleanup(listener.close)
        nid = self.docker_ok("network", "create", "--internal", "--subnet", "10.215.8.0/24", "inner").strip()
        self.docker_ok("network", "create", "--subnet", "10.215.7.0/24", "outer")
        self.assertTrue(self.net_inspect("inner")["Internal"])
        self.assertFalse(self.net_inspect("outer")["Internal"])
        self.docker_ok("run", "-d", "--name", "ia", "--network", "inner", "bb:1", *SERVER)
        out = self.docker_ok("run", "--rm", "--network", "inner", "bb:1", "sh", "-c", "nc -w 5 ia 80 </dev/null")
        self.assertEqual(out, "hello\n")
        probe = "nc -w 3 %s %d </dev/null" % (addr, listener.port)
        # The same probe from an ordinary network reaches the host: the
        # internal network's failure below is its isolation.
        self.assertEqual(self.docker_ok("run", "--rm", "--network", "outer", "bb:1", "sh", "-c", probe), "host\n")
        rc, out, _ = self.d.docker("run", "--rm", "--network", "inner", "bb:1", "sh", "-c", probe)
        self.assertNotEqual(rc, 0)
        self.assertNotIn("host", out)
        routes = self.docker_ok("run", "--rm", "--network", "inner", "bb:1", "sh", "-c", "ip route")
        self.assertNotIn("default", routes)
        bridge = "berth-" + nid[:9]
        rules = netfilter_rules()
        self.assertIn("-A FORWARD -i %s ! -o %s" % (bridge, bridge), rules)
        self.assertNotIn("10.215.8.0/24 -j", rules.split("*filter")[0])  # no NAT for it
        self.rm_all()
        self.docker_ok("network", "rm", "inner", "outer")
        rules = netfilter_rules()
        self.assertNotIn(bridge, rules)
        self.assertNotIn("berth internal network", rules)

    def test_bridge_driver_options_are_applied_and_shown(self):
        opts = {"com.docker.network.bridge.name": OPTS_BRIDGE, "com.docker.network.driver.mtu": "1400",
                "com.docker.network.bridge.enable_ip_masquerade": "false"}
        flags = [arg for k, v in opts.items() for arg in ("-o", "%s=%s" % (k, v))]
        self.docker_ok("network", "create", "--subnet", "10.215.9.0/24", *flags, "opts")
        self.assertEqual(self.net_inspect("opts")["Options"], opts)
        ctr = self.docker_ok("run", "-d", "--network", "opts", "bb:1", "sleep", "1000").strip()
        self.assertEqual(self.docker_ok("exec", ctr, "cat", "/sys/class/net/eth0/mtu").strip(), "1400")
        links = subprocess.run(["ip", "-o", "link", "show", OPTS_BRIDGE], capture_output=True, text=True)
        self.assertEqual(links.returncode, 0, links.stderr)
        self.assertNotIn("10.215.9.", netfilter_rules())  # no masquerade
        _, err = self.docker_fails("network", "create", "-o", "com.docker.network.bridge.name=" + OPTS_BRIDGE, "twin")
        self.assertIn("networks have same bridge name", err)
        for flag, text in (("com.docker.network.bridge.enable_icc=false",
                            "berth does not support the bridge driver option com.docker.network.bridge.enable_icc"),
                           ("com.docker.network.driver.mtu=big",
                            "failed to parse com.docker.network.driver.mtu value: big"),
                           ("com.docker.network.bridge.enable_ip_masquerade=perhaps",
                            "failed to parse com.docker.network.bridge.enable_ip_masquerade value: perhaps")):
            _, err = self.docker_fails("network", "create", "-o", flag, "refused")
            self.assertIn(text, err)
        self.assertEqual(self.docker_ok("network", "ls", "-q", "--filter", "name=refused"), "")
        self.docker_ok("rm", "-f", ctr)
        self.docker_ok("network", "rm", "opts")
        self.assertNotEqual(subprocess.run(["ip", "link", "show", OPTS_BRIDGE], capture_output=True).returncode, 0)

    def test_subnets_come_from_the_default_address_pool(self):
        self.docker_ok("network", "create", "p1")
        self.docker_ok("network", "create", "p2")
        self.assertEqual(self.net_inspect("p1")["IPAM"]["Config"][0]["Subnet"], "10.215.0.0/24")
        self.assertEqual(self.net_inspect("p2")["IPAM"]["Config"][0]["Subnet"], "10.215.1.0/24")
        _, err = self.docker_fails("network", "create", "p3")
        self.assertIn("all predefined address pools have been fully subnetted", err)
        # A given subnet needs no pool; a removed network's subnet is free.
        self.docker_ok("network", "create", "--subnet", "10.215.20.0/24", "given")
        self.docker_ok("network", "rm", "p1")
        self.docker_ok("network", "create", "p4")
        self.assertEqual(self.net_inspect("p4")["IPAM"]["Config"][0]["Subnet"], "10.215.0.0/24")

    def test_daemon_json_default_address_pools(self):
        config = self.path("pools.json")
        with open(config, "w") as f:
            json.dump({"default-address-pools": [{"base": "10.216.0.0/16", "size": 24}]}, f)
        d = Daemon(self.tmp, ("--config-file", config), data_root=self.path("pools-data"), name="pools").start()
        try:
            rc, _, err = d.docker("network", "create", "fromjson")
            self.assertEqual(rc, 0, err)
            rc, out, err = d.docker("network", "inspect", "--format", "{{(index .IPAM.Config 0).Subnet}}", "fromjson")
            self.assertEqual((rc, out.strip()), (0, "10.216.0.0/24"), err)
            d.docker("network", "rm", "fromjson")
        finally:
            d.stop()
        with open(config, "w") as f:
            json.dump({"default-address-pools": [{"base": "10.216.0.0/16", "size": 8}]}, f)
        bad = subprocess.run(Daemon(self.tmp, ("--config-file", config), data_root=self.path("bad-data"), name="bad").args,
                             capture_output=True, text=True, timeout=30)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("size 8 is shorter than the prefix of base 10.216.0.0/16", bad.stderr)


if __name__ == "__main__":
    unittest.main()
