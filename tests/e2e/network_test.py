"""Networking end to end: the default bridge network (a namespace per
container, a veth on berthd's bridge, an address, outbound NAT), published
ports reached from the host's loopback, /etc/hosts and /etc/resolv.conf, the
container: network mode, and cleanup of links and netfilter rules. The
daemon gets its own bridge device and subnet so that it cannot meet another
suite's daemon. Skips (with the reason) on a machine that cannot create
network namespaces or lacks the CNI plugins or iptables."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from containers_test import ContainerTestCase  # noqa: E402

try:
    import docker
except ImportError:  # pragma: no cover
    docker = None

BRIDGE = "berthe2e%d" % (os.getpid() % 10000)
BIP = "172.31.251.1/24"
CNI = "/usr/lib/cni"


def networking_unavailable():
    """Why this machine cannot run the suite, or None (checked once)."""
    if os.geteuid() != 0:
        return "containers and network namespaces need root"
    for plugin in ("bridge", "portmap", "static"):
        if not os.path.exists(os.path.join(CNI, plugin)):
            return "the CNI plugin %s/%s is missing (Debian containernetworking-plugins)" % (CNI, plugin)
    for tool in ("iptables", "iptables-save", "ip", "unshare"):
        if shutil.which(tool) is None:
            return "%s is missing" % tool
    if subprocess.run(["unshare", "--net", "true"], capture_output=True).returncode != 0:
        return "this machine cannot create network namespaces"
    return None


SKIP_REASON = networking_unavailable()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_from(port, attempts=100):
    """What a TCP server on 127.0.0.1:port sends, retrying a bounded number
    of connects while the container's server comes up; None if it never
    answers."""
    for _ in range(attempts):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                data = s.recv(100)
                if data:
                    return data
        except OSError:
            pass
        time.sleep(0.1)
    return None


SERVER = ["sh", "-c", "while true; do echo hello | nc -l -p 80; done"]


@unittest.skipIf(SKIP_REASON is not None, SKIP_REASON or "")
class BridgeNetworkTest(ContainerTestCase):
    daemon_args = ("--bridge", BRIDGE, "--bip", BIP)

    def run_server(self, *flags):
        return self.docker_ok("run", "-d", *flags, "bb:1", *SERVER).strip()

    def test_published_port_answers_on_the_hosts_loopback(self):
        port = free_port()
        cid = self.run_server("-p", "%d:80" % port)
        self.assertEqual(read_from(port), b"hello\n")
        self.assertEqual(self.docker_ok("port", cid), "80/tcp -> 0.0.0.0:%d\n" % port)
        self.assertEqual(self.docker_ok("ps", "--format", "{{.Ports}}").strip(), "0.0.0.0:%d->80/tcp" % port)

    def test_ephemeral_port_and_publish_all(self):
        cid = self.run_server("-p", "80", "--expose", "81", "-P")
        out = self.docker_ok("port", cid, "80/tcp").strip()
        host, port = out.rsplit(":", 1)
        self.assertEqual(host, "0.0.0.0")
        self.assertGreater(int(port), 1024)
        self.assertEqual(read_from(int(port)), b"hello\n")
        ports = json.loads(self.inspect(cid, "{{json .NetworkSettings.Ports}}"))
        self.assertEqual(sorted(ports), ["80/tcp", "81/tcp"])
        self.assertEqual(len(ports["81/tcp"]), 1)  # -P publishes the exposed port too
        self.assertNotEqual(ports["81/tcp"][0]["HostPort"], port)

    def test_a_port_in_use_is_refused_with_dockers_text(self):
        port = free_port()
        self.run_server("-p", "%d:80" % port, "--name", "first")
        rc, _, err = self.d.docker("run", "-d", "-p", "%d:80" % port, "--name", "second", "bb:1", "true")
        self.assertNotEqual(rc, 0)
        self.assertIn("driver failed programming external connectivity on endpoint second", err)
        self.assertIn("Bind for 0.0.0.0:%d failed: port is already allocated" % port, err)
        self.assertEqual(self.inspect("second", "{{.State.Status}}"), "created")
        self.assertEqual(read_from(port), b"hello\n")  # the first keeps its port

    def test_inspect_shows_the_bridge_endpoint(self):
        cid = self.run_server()
        ns = json.loads(self.inspect(cid, "{{json .NetworkSettings}}"))
        bridge = ns["Networks"]["bridge"]
        self.assertTrue(bridge["IPAddress"].startswith("172.31.251."))
        self.assertEqual(bridge["Gateway"], "172.31.251.1")
        self.assertEqual(bridge["IPPrefixLen"], 24)
        self.assertRegex(bridge["MacAddress"], r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")
        self.assertEqual(len(bridge["NetworkID"]), 64)
        self.assertEqual(len(bridge["EndpointID"]), 64)
        for key in ("IPAddress", "Gateway", "MacAddress", "EndpointID", "IPPrefixLen"):
            self.assertEqual(ns[key], bridge[key], key)

    def test_containers_reach_each_other_and_the_gateway(self):
        server = self.run_server()
        ip = self.inspect(server, "{{.NetworkSettings.IPAddress}}")
        out = self.docker_ok("run", "--rm", "bb:1", "sh", "-c", "nc -w 5 %s 80 </dev/null" % ip)
        self.assertEqual(out, "hello\n")
        # The same namespace: --network container:ID sees the server on lo.
        out = self.docker_ok("run", "--rm", "--network", "container:" + server, "bb:1", "sh", "-c",
                             "nc -w 5 127.0.0.1 80 </dev/null")
        self.assertEqual(out, "hello\n")

    def test_hosts_hostname_and_resolv_conf(self):
        cid = self.docker_ok("run", "-d", "--hostname", "web", "--add-host", "db:10.9.8.7", "--dns", "9.9.9.9",
                             "--dns-search", "example.com", "--dns-option", "ndots:2", "bb:1",
                             "sleep", "1000").strip()
        ip = self.inspect(cid, "{{.NetworkSettings.IPAddress}}")
        hosts = self.docker_ok("exec", cid, "cat", "/etc/hosts").splitlines()
        self.assertEqual(hosts[0], "127.0.0.1\tlocalhost")
        self.assertEqual(hosts[-2:], ["10.9.8.7\tdb", ip + "\tweb"])
        self.assertEqual(self.docker_ok("exec", cid, "cat", "/etc/hostname"), "web\n")
        self.assertEqual(self.docker_ok("exec", cid, "cat", "/etc/resolv.conf"),
                         "nameserver 9.9.9.9\nsearch example.com\noptions ndots:2\n")
        self.assertTrue(self.inspect(cid, "{{.HostsPath}}").endswith("/hosts"))

    @unittest.skipIf(docker is None, "the docker SDK is missing")
    def test_bad_add_host_and_dns_are_refused_by_the_daemon(self):
        # The CLI checks these itself; the SDK sends them as they are.
        api = docker.APIClient(base_url="unix://" + self.d.sock)
        for host_config, text in (({"extra_hosts": {"db": "notanip"}}, 'invalid IP address in add-host: "notanip"'),
                                  ({"dns": ["resolver"]}, "resolver is not an ip address")):
            with self.assertRaises(docker.errors.APIError) as ctx:
                api.create_container("bb:1", "true", host_config=api.create_host_config(**host_config))
            self.assertEqual(ctx.exception.status_code, 400)
            self.assertIn(text, str(ctx.exception))
        self.assertEqual(self.docker_ok("ps", "-a", "-q"), "")

    def test_network_ls_and_inspect_show_the_bridge(self):
        out = self.docker_ok("network", "ls", "--format", "{{.Name}} {{.Driver}} {{.Scope}}")
        self.assertEqual(out.splitlines(), ["bridge bridge local", "host host local", "none null local"])
        cid = self.run_server("--name", "listed")
        net = json.loads(self.docker_ok("network", "inspect", "bridge"))[0]
        self.assertEqual(net["IPAM"]["Config"], [{"Subnet": "172.31.251.0/24", "Gateway": "172.31.251.1"}])
        self.assertEqual(net["Options"]["com.docker.network.bridge.name"], BRIDGE)
        self.assertEqual(net["Id"], self.inspect(cid, "{{.NetworkSettings.Networks.bridge.NetworkID}}"))
        self.assertEqual(net["Containers"][cid]["Name"], "listed")
        self.assertEqual(net["Containers"][cid]["IPv4Address"],
                         self.inspect(cid, "{{.NetworkSettings.IPAddress}}") + "/24")
        _, err = self.docker_fails("network", "inspect", "nosuchnet")
        self.assertIn("network nosuchnet not found", err)

    def test_network_none_has_only_loopback(self):
        out = self.docker_ok("run", "--rm", "--network", "none", "bb:1", "cat", "/proc/net/dev")
        self.assertNotIn("eth0", out)
        self.assertIn("lo:", out)

    def test_removal_leaves_no_link_or_rule(self):
        port = free_port()
        cid = self.run_server("-p", "%d:80" % port)
        self.assertEqual(read_from(port), b"hello\n")
        ip = self.inspect(cid, "{{.NetworkSettings.IPAddress}}")
        rules = subprocess.run(["iptables-save"], capture_output=True, text=True).stdout
        self.assertIn(str(port), rules)
        self.assertIn(BRIDGE, subprocess.run(["ip", "link"], capture_output=True, text=True).stdout)
        self.docker_ok("rm", "-f", cid)
        rules = subprocess.run(["iptables-save"], capture_output=True, text=True).stdout
        self.assertNotIn("--dport %d" % port, rules)
        self.assertNotIn(ip, rules)
        self.assertNotIn("CNI-HOSTPORT", rules)
        links = subprocess.run(["ip", "link"], capture_output=True, text=True).stdout
        self.assertNotIn(BRIDGE, links)
        self.assertEqual(os.listdir(os.path.join(self.d.exec_root, "netns")), ["bridge.id"])
        self.assertIsNone(read_from(port, attempts=3))

    def test_a_stopped_container_releases_its_address_and_port(self):
        port = free_port()
        cid = self.run_server("-p", "%d:80" % port)
        self.assertEqual(read_from(port), b"hello\n")
        self.docker_ok("stop", "-t", "0", cid)
        self.assertEqual(self.inspect(cid, "{{.NetworkSettings.IPAddress}}"), "")
        self.run_server("-p", "%d:80" % port)  # the port is free again
        self.assertEqual(read_from(port), b"hello\n")
        rc, _, err = self.d.docker("start", cid)  # now the other holds it
        self.assertNotEqual(rc, 0)
        self.assertIn("port is already allocated", err)
        self.assertEqual(self.inspect(cid, "{{.State.Status}}"), "exited")


@unittest.skipIf(SKIP_REASON is not None, SKIP_REASON or "")
class BridgeRestartTest(ContainerTestCase):
    daemon_args = ("--bridge", BRIDGE + "r", "--bip", "172.31.252.1/24")

    def test_published_ports_survive_a_daemon_restart(self):
        port = free_port()
        cid = self.docker_ok("run", "-d", "-p", "%d:80" % port, "bb:1", *SERVER).strip()
        self.assertEqual(read_from(port), b"hello\n")
        ip = self.inspect(cid, "{{.NetworkSettings.IPAddress}}")
        self.d.stop()
        self.d.start()
        self.assertEqual(read_from(port), b"hello\n")
        self.assertEqual(self.inspect(cid, "{{.NetworkSettings.IPAddress}}"), ip)
        self.assertEqual(self.docker_ok("port", cid), "80/tcp -> 0.0.0.0:%d\n" % port)
        # The new daemon knows the address is taken.
        other = self.docker_ok("run", "-d", "bb:1", "sleep", "1000").strip()
        self.assertNotEqual(self.inspect(other, "{{.NetworkSettings.IPAddress}}"), ip)


if __name__ == "__main__":
    unittest.main()
