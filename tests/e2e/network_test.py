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

    def test_published_port_answers_containers_through_the_host(self):
        # Hairpin: a connection from the bridge's subnet to the host's
        # address comes back onto the bridge (DNAT) and is masqueraded, so
        # that the answer goes back through the host; a port bound to one
        # host address answers there only; UDP ports are forwarded too.
        port, udp_port, bound_port = free_port(), free_port(), free_port()
        gateway = BIP.split("/")[0]
        srv = self.run_server("-p", "%d:80" % port, "-p", "127.0.0.1:%d:80" % bound_port)
        self.assertEqual(read_from(port), b"hello\n")
        out = self.docker_ok("run", "--rm", "bb:1", "sh", "-c", "nc -w 5 %s %d </dev/null" % (gateway, port))
        self.assertEqual(out, "hello\n")
        out = self.docker_ok("exec", srv, "sh", "-c", "nc -w 5 %s %d </dev/null" % (gateway, port))
        self.assertEqual(out, "hello\n")
        self.assertEqual(read_from(bound_port), b"hello\n")
        out = self.docker_ok("run", "--rm", "bb:1", "sh", "-c", "nc -w 2 %s %d </dev/null; echo rc=$?" %
                             (gateway, bound_port))
        self.assertNotIn("hello", out)
        # The image has no UDP server: the datagram sent to the host's
        # loopback is counted by the DNAT rule of the port (nothing else).
        udp = self.docker_ok("run", "-d", "-p", "%d:53/udp" % udp_port, "bb:1", "sleep", "1000").strip()
        ip = self.inspect(udp, "{{.NetworkSettings.IPAddress}}")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(b"ping\n", ("127.0.0.1", udp_port))
        dnat = [line for line in subprocess.run(["iptables-save", "-c", "-t", "nat"], capture_output=True,
                                                 text=True).stdout.splitlines()
                if "-p udp" in line and "--dport %d " % udp_port in line and "--to-destination %s:53" % ip in line]
        self.assertEqual(len(dnat), 1, dnat)
        self.assertFalse(dnat[0].startswith("[0:"), dnat)
        self.docker_ok("rm", "-f", srv, udp)
        rules = subprocess.run(["iptables-save"], capture_output=True, text=True).stdout
        for p in (port, udp_port, bound_port):
            self.assertNotIn("--dport %d " % p, rules)

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

    def test_a_host_ip_carrying_iptables_rules_is_refused_and_adds_none(self):
        # By attack: berthd writes published ports as iptables-restore input,
        # so a HostIp with a newline could smuggle rules in as root. It is
        # refused before any rule is written, and the tables stay as they were.
        before = subprocess.run(["iptables-save"], capture_output=True, text=True).stdout
        port = free_port()
        body = {"Image": "bb:1", "Cmd": list(SERVER), "ExposedPorts": {"80/tcp": {}},
                "HostConfig": {"PortBindings": {"80/tcp": [
                    {"HostIp": "127.0.0.1/32 -j ACCEPT\n-A INPUT -p tcp --dport 1 -j ACCEPT\n#",
                     "HostPort": str(port)}]}}}
        status, _, out = self.d.request("POST", "/v1.50/containers/create?name=smuggler", body=json.dumps(body),
                                        headers={"Content-Type": "application/json"})
        if status == 201:  # accepted at create: then refused at start
            status, _, out = self.d.request("POST", "/v1.50/containers/smuggler/start")
        self.assertIn(status, (400, 500), out)
        self.assertIn(b"invalid host IP", out)
        after = subprocess.run(["iptables-save"], capture_output=True, text=True).stdout
        self.assertNotIn("--dport 1 -j ACCEPT", after)
        strip = lambda t: [l for l in t.splitlines() if not l.startswith("#") and not l.startswith(":")]
        self.assertEqual(strip(after), strip(before))

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

    def test_legacy_links_give_the_environment_hosts_and_names_docker_gives(self):
        # Docker's legacy links on the default bridge: the child's variables,
        # ports and address in the parent's environment, an /etc/hosts entry,
        # the link's name on the child, rm --link.
        child = self.docker_ok("run", "-d", "--name", "db-1", "-e", "FOO=1", "--expose", "5432",
                               "--expose", "8000-8001/udp", "bb:1", "sleep", "1000").strip()
        ip = self.inspect(child, "{{.NetworkSettings.IPAddress}}")
        rc, _, err = self.d.docker("create", "--link", "nosuch:x", "bb:1", "true")
        self.assertNotEqual(rc, 0)
        self.assertIn("could not get container for nosuch: No such container: nosuch", err)
        app = self.docker_ok("run", "-d", "--name", "app", "--link", "db-1:my-db", "bb:1", "sleep", "1000").strip()
        env = self.docker_ok("exec", app, "sh", "-c", "busybox tr '\\0' '\\n' < /proc/1/environ").splitlines()
        self.assertEqual(self.docker_ok("exec", app, "sh", "-c", "echo $MY_DB_NAME"), "/app/my-db\n")  # exec too
        for want in ("MY_DB_NAME=/app/my-db", "MY_DB_ENV_FOO=1", "MY_DB_PORT=tcp://%s:5432" % ip,
                     "MY_DB_PORT_5432_TCP=tcp://%s:5432" % ip, "MY_DB_PORT_5432_TCP_ADDR=" + ip,
                     "MY_DB_PORT_5432_TCP_PORT=5432", "MY_DB_PORT_5432_TCP_PROTO=tcp",
                     "MY_DB_PORT_8001_UDP=udp://%s:8001" % ip,
                     "MY_DB_PORT_8000_UDP_START=udp://%s:8000" % ip, "MY_DB_PORT_8000_UDP_END=udp://%s:8001" % ip):
            self.assertIn(want, env)
        self.assertFalse([kv for kv in env if kv.startswith("MY_DB_ENV_PATH=")], env)
        hosts = self.docker_ok("exec", app, "cat", "/etc/hosts")
        self.assertIn("%s\tmy-db %s db-1\n" % (ip, child[:12]), hosts)
        self.docker_ok("exec", app, "busybox", "ping", "-c1", "-W5", "my-db")
        self.assertEqual(self.inspect(app, "{{json .HostConfig.Links}}"), '["/db-1:/app/my-db"]')
        # The CLI shows link names with --no-trunc only.
        names = self.docker_ok("ps", "--no-trunc", "--filter", "id=" + child, "--format", "{{.Names}}").strip()
        self.assertEqual(sorted(names.split(",")), ["app/my-db", "db-1"])
        # A stopped child stops the parent's start.
        self.docker_ok("stop", "-t", "0", child)
        self.docker_ok("stop", "-t", "0", app)
        rc, _, err = self.d.docker("start", app)
        self.assertNotEqual(rc, 0)
        self.assertIn("Cannot link to a non running container: /db-1 AS /app/my-db", err)
        # rm --link removes the link, not the container.
        _, err = self.docker_fails("rm", "--link", "db-1")
        self.assertIn("Conflict, cannot remove the default link name of the container", err)
        self.docker_ok("rm", "--link", "app/my-db")
        self.assertEqual(self.inspect(app, "{{json .HostConfig.Links}}"), "null")
        self.assertEqual(
            self.docker_ok("ps", "-a", "--no-trunc", "--filter", "id=" + child, "--format", "{{.Names}}").strip(), "db-1")
        self.docker_ok("start", app)  # no link left to need its child
        # Links on the host's network are Docker's conflict.
        _, err = self.docker_fails("create", "--network", "host", "--link", "db-1:x", "bb:1", "true")
        self.assertIn("conflicting options: host type networking can't be used with links", err)

    def test_network_none_has_only_loopback(self):
        out = self.docker_ok("run", "--rm", "--network", "none", "bb:1", "cat", "/proc/net/dev")
        self.assertNotIn("eth0", out)
        self.assertIn("lo:", out)

    def stats(self, cid):
        st, _, body = self.d.request("GET", "/v1.50/containers/%s/stats?stream=0&one-shot=1" % cid)
        self.assertEqual(st, 200, body)
        return json.loads(body)

    def test_stats_count_the_containers_interface_traffic(self):
        port = free_port()
        cid = self.run_server("-p", "%d:80" % port)
        for _ in range(3):
            self.assertEqual(read_from(port), b"hello\n")
        nets = self.stats(cid)["networks"]
        self.assertEqual(sorted(nets), ["eth0"])  # the loopback is left out, as Docker
        eth0 = nets["eth0"]
        self.assertEqual(sorted(eth0), ["rx_bytes", "rx_dropped", "rx_errors", "rx_packets",
                                        "tx_bytes", "tx_dropped", "tx_errors", "tx_packets"])
        # The kernel's counters as the container itself reads them.
        dev = self.docker_ok("exec", cid, "cat", "/proc/net/dev")
        fields = [line.split(":", 1)[1].split() for line in dev.splitlines() if line.strip().startswith("eth0:")][0]
        self.assertGreater(eth0["tx_packets"], 3)  # three answers at least
        self.assertGreater(eth0["rx_bytes"], 0)
        self.assertLessEqual(eth0["rx_bytes"], int(fields[0]))
        self.assertLessEqual(eth0["tx_bytes"], int(fields[8]))
        out = self.docker_ok("stats", "--no-stream", "--format", "{{.NetIO}}", cid).strip()
        self.assertNotEqual(out.split(" / ")[0], "0B", out)
        # No interface of its own, or the host's: no "networks" key.
        none = self.docker_ok("run", "-d", "--network", "none", "bb:1", "sleep", "1000").strip()
        host = self.docker_ok("run", "-d", "--network", "host", "bb:1", "sleep", "1000").strip()
        for other in (none, host):
            self.assertNotIn("networks", self.stats(other))
        self.docker_ok("rm", "-f", none, host)

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
        # No namespace or attachment record left; the bridge network's ID
        # is kept in the data root, beside networks.db.
        self.assertEqual(os.listdir(os.path.join(self.d.exec_root, "netns")), [])
        self.assertTrue(os.path.exists(os.path.join(self.d.data_root, "networks", "bridge.id")))
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


@unittest.skipIf(SKIP_REASON is not None, SKIP_REASON or "")
class UserNetworkTest(ContainerTestCase):
    """docker network create/ls/inspect/rm/prune, containers on a user
    network reaching each other by name and alias, and cleanup."""
    daemon_args = ("--bridge", BRIDGE + "u", "--bip", "172.31.253.1/24")

    def setUp(self):
        super().setUp()
        for nid in self.docker_ok("network", "ls", "-q", "--filter", "type=custom").split():
            self.docker_ok("network", "rm", nid)

    def net_inspect(self, name):
        return json.loads(self.docker_ok("network", "inspect", name))[0]

    def test_create_ls_inspect_filters_and_rm(self):
        nid = self.docker_ok("network", "create", "--subnet", "10.213.1.0/24", "--gateway", "10.213.1.254",
                             "--ip-range", "10.213.1.128/25", "--label", "team=blue", "--attachable",
                             "blue").strip()
        self.assertRegex(nid, r"^[0-9a-f]{64}$")
        net = self.net_inspect("blue")
        self.assertEqual(net["Id"], nid)
        self.assertEqual(net["Driver"], "bridge")
        self.assertEqual(net["Scope"], "local")
        self.assertEqual(net["IPAM"]["Config"],
                         [{"Subnet": "10.213.1.0/24", "Gateway": "10.213.1.254", "IPRange": "10.213.1.128/25"}])
        self.assertEqual(net["Labels"], {"team": "blue"})
        self.assertIsNone(net["IPAM"]["Options"])
        self.assertEqual(net["IPAM"]["Driver"], "default")
        self.assertTrue(net["Attachable"])
        self.assertEqual(net["Containers"], {})
        self.assertEqual(self.net_inspect(nid[:12])["Name"], "blue")
        self.docker_ok("network", "create", "--subnet", "10.213.9.0/24", "green")
        names = lambda *f: self.docker_ok("network", "ls", "--format", "{{.Name}}", *f).split()  # noqa: E731
        self.assertEqual(names(), ["blue", "bridge", "green", "host", "none"])
        self.assertEqual(names("--filter", "type=custom"), ["blue", "green"])
        self.assertEqual(names("--filter", "type=builtin"), ["bridge", "host", "none"])
        self.assertEqual(names("--filter", "label=team=blue"), ["blue"])
        self.assertEqual(names("--filter", "name=gre"), ["green"])
        self.assertEqual(names("--filter", "id=" + nid[:10]), ["blue"])
        self.assertEqual(names("--filter", "dangling=true"), ["blue", "green"])
        self.assertEqual(names("--filter", "driver=null"), ["none"])
        # A name in use, a built-in name, and what berth does not do.
        _, err = self.docker_fails("network", "create", "blue")
        self.assertIn("network with name blue already exists", err)
        _, err = self.docker_fails("network", "create", "--subnet", "10.213.1.0/25", "other")
        self.assertIn("Pool overlaps with other one on this address space", err)
        for flags, text in ((["--driver", "overlay"], 'berth supports only the bridge network driver, not "overlay"'),
                            (["--ipv6"], "berth does not support IPv6 networks"),
                            (["-o", "com.docker.network.bridge.enable_icc=false"],
                             "berth does not support the bridge driver option com.docker.network.bridge.enable_icc")):
            _, err = self.docker_fails("network", "create", *flags, "refused")
            self.assertIn(text, err)
        self.assertEqual(names("--filter", "name=refused"), [])
        _, err = self.docker_fails("network", "rm", "bridge")
        self.assertIn("bridge is a pre-defined network and cannot be removed", err)
        self.docker_ok("network", "rm", "blue", "green")
        _, err = self.docker_fails("network", "inspect", "blue")
        self.assertIn("network blue not found", err)
        events = self.docker_ok("events", "--since", "0", "--until", str(int(time.time()) + 1), "--filter", "type=network",
                                "--format", "{{.Action}} {{.Actor.Attributes.name}}").splitlines()
        self.assertIn("create blue", events)
        self.assertIn("destroy blue", events)

    def test_auxiliary_addresses_are_shown_and_never_given_to_a_container(self):
        self.docker_ok("network", "create", "--subnet", "10.213.6.0/29", "--aux-address", "router=10.213.6.2",
                       "--aux-address", "printer=10.213.6.4", "aux")
        self.assertEqual(self.net_inspect("aux")["IPAM"]["Config"],
                         [{"Subnet": "10.213.6.0/29", "Gateway": "10.213.6.1",
                           "AuxiliaryAddresses": {"printer": "10.213.6.4", "router": "10.213.6.2"}}])
        ips = []
        for _ in range(3):
            ctr = self.docker_ok("run", "-d", "--network", "aux", "bb:1", "sleep", "1000").strip()
            ips.append(self.docker_ok("inspect", "-f", "{{.NetworkSettings.Networks.aux.IPAddress}}", ctr).strip())
        self.assertEqual(ips, ["10.213.6.3", "10.213.6.5", "10.213.6.6"])
        rc, _, err = self.d.docker("run", "--rm", "--network", "aux", "--ip", "10.213.6.2", "bb:1", "true")
        self.assertNotEqual(rc, 0)
        self.assertIn("Address already in use: 10.213.6.2", err)
        # The CLI checks this itself; the daemon does too, for other clients.
        body = json.dumps({"Name": "far", "IPAM": {"Config": [{"Subnet": "10.213.7.0/24",
                                                               "AuxiliaryAddresses": {"far": "10.9.9.9"}}]}})
        st, _, out = self.d.request("POST", "/v1.50/networks/create", body, {"Content-Type": "application/json"})
        self.assertEqual(st, 400, out)
        self.assertIn(b"invalid auxiliary address far: parent subnet 10.213.7.0/24 doesn't contain this address", out)
        self.assertNotIn("far", self.docker_ok("network", "ls", "--format", "{{.Name}}").split())

    def test_a_subnet_is_chosen_from_the_free_pools(self):
        self.docker_ok("network", "create", "auto1")
        self.docker_ok("network", "create", "auto2")
        subnets = [self.net_inspect(n)["IPAM"]["Config"][0]["Subnet"] for n in ("auto1", "auto2")]
        self.assertNotEqual(subnets[0], subnets[1])
        for subnet in subnets:
            self.assertRegex(subnet, r"^(172\.(1[7-9]|2[0-9]|3[01])\.0\.0/16|192\.168\.\d+\.0/20)$")
            self.assertNotEqual(subnet, "172.31.0.0/16")  # holds the bridge network's 172.31.253.0/24

    def test_containers_reach_each_other_by_name_and_alias(self):
        self.docker_ok("network", "create", "--subnet", "10.213.2.0/24", "apps")
        srv = self.docker_ok("run", "-d", "--name", "srv", "--network", "apps", "--network-alias", "db",
                             "--ip", "10.213.2.50", "bb:1", *SERVER).strip()
        for target in ("srv", "db", srv[:12]):
            out = self.docker_ok("run", "--rm", "--network", "apps", "bb:1", "sh", "-c",
                                 "nc -w 5 %s 80 </dev/null" % target)
            self.assertEqual(out, "hello\n", target)
        client = self.docker_ok("run", "-d", "--name", "client", "--network", "apps", "bb:1",
                                "sleep", "1000").strip()
        client_ip = self.inspect(client, "{{.NetworkSettings.Networks.apps.IPAddress}}")
        # Names come from the embedded DNS server (dns_test.py): /etc/hosts
        # lists only the container itself, as Docker's.
        self.assertNotIn(client_ip, self.docker_ok("exec", srv, "cat", "/etc/hosts"))
        self.assertIn("10.213.2.50\t", self.docker_ok("exec", srv, "cat", "/etc/hosts"))
        # Inspect: the endpoint on "apps", and the network lists both.
        ep = json.loads(self.inspect(srv, "{{json .NetworkSettings.Networks}}"))["apps"]
        net = self.net_inspect("apps")
        self.assertEqual(ep["IPAddress"], "10.213.2.50")
        self.assertEqual(ep["Gateway"], "10.213.2.1")
        self.assertEqual(ep["NetworkID"], net["Id"])
        self.assertEqual(ep["Aliases"], ["db"])
        self.assertEqual(ep["IPAMConfig"], {"IPv4Address": "10.213.2.50"})
        self.assertRegex(ep["MacAddress"], r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")
        self.assertEqual(len(ep["EndpointID"]), 64)
        self.assertEqual({c["Name"]: c["IPv4Address"] for c in net["Containers"].values()},
                         {"srv": "10.213.2.50/24", "client": client_ip + "/24"})
        self.docker_ok("stop", "-t", "0", client)
        events = self.docker_ok("events", "--since", "0", "--until", str(int(time.time()) + 1), "--filter",
                                "type=network", "--filter", "network=" + net["Id"],
                                "--format", "{{.Action}} {{.Actor.Attributes.container}}").splitlines()
        self.assertIn("connect " + client, events)
        self.assertIn("disconnect " + client, events)
        # Not on the network: the name is unknown.
        rc, _, _ = self.d.docker("run", "--rm", "bb:1", "sh", "-c", "nc -w 2 srv 80 </dev/null")
        self.assertNotEqual(rc, 0)
        rc, _, err = self.d.docker("run", "--rm", "--network", "apps", "--ip", "10.213.2.50", "bb:1", "true")
        self.assertEqual(rc, 125)
        self.assertIn("Address already in use: 10.213.2.50", err)
        rc, _, err = self.d.docker("run", "--rm", "--network", "nosuchnet", "bb:1", "true")
        self.assertEqual(rc, 125)
        self.assertIn("network nosuchnet not found", err)
        # Stopped and on "apps" already: nothing to do, as Docker
        # (network_connect_test covers connect and disconnect).
        self.docker_ok("network", "connect", "apps", client)

    def test_in_use_conflict_prune_and_cleanup(self):
        nid = self.docker_ok("network", "create", "--subnet", "10.213.3.0/24", "busy").strip()
        self.docker_ok("network", "create", "--subnet", "10.213.4.0/24", "--label", "tmp", "idle1")
        self.docker_ok("network", "create", "--subnet", "10.213.5.0/24", "idle2")
        cid = self.docker_ok("run", "-d", "--network", "busy", "bb:1", "sleep", "1000").strip()
        bridge = "berth-" + nid[:9]
        self.assertIn(bridge, subprocess.run(["ip", "link"], capture_output=True, text=True).stdout)
        _, err = self.docker_fails("network", "rm", "busy")
        self.assertIn("error while removing network: network busy id %s has active endpoints" % nid, err)
        out = self.docker_ok("network", "prune", "-f", "--filter", "label=tmp")
        self.assertIn("idle1", out)
        self.assertNotIn("idle2", out)
        out = self.docker_ok("network", "prune", "-f")
        self.assertIn("idle2", out)
        self.assertNotIn("busy", out)
        self.assertEqual(self.docker_ok("network", "ls", "--filter", "type=custom", "--format", "{{.Name}}"),
                         "busy\n")
        ip = self.inspect(cid, "{{.NetworkSettings.Networks.busy.IPAddress}}")
        self.docker_ok("rm", "-f", cid)
        self.docker_ok("network", "rm", "busy")
        self.assertNotIn(bridge, subprocess.run(["ip", "link"], capture_output=True, text=True).stdout)
        rules = subprocess.run(["iptables-save"], capture_output=True, text=True).stdout
        self.assertNotIn(ip + "/", rules)
        self.assertNotIn("10.213.3.", rules)


@unittest.skipIf(SKIP_REASON is not None, SKIP_REASON or "")
class UserNetworkRestartTest(ContainerTestCase):
    daemon_args = ("--bridge", BRIDGE + "v", "--bip", "172.31.254.1/24")

    def test_networks_and_their_containers_survive_a_daemon_restart(self):
        nid = self.docker_ok("network", "create", "--subnet", "10.213.6.0/24", "--label", "k=v", "kept").strip()
        srv = self.docker_ok("run", "-d", "--name", "keptsrv", "--network", "kept", "bb:1", *SERVER).strip()
        self.d.stop()
        self.d.start()
        net = json.loads(self.docker_ok("network", "inspect", "kept"))[0]
        self.assertEqual(net["Id"], nid)
        self.assertEqual(net["Labels"], {"k": "v"})
        self.assertEqual(list(net["Containers"]), [srv])
        out = self.docker_ok("run", "--rm", "--network", "kept", "bb:1", "sh", "-c", "nc -w 5 keptsrv 80 </dev/null")
        self.assertEqual(out, "hello\n")
        self.docker_ok("rm", "-f", srv)
        self.docker_ok("network", "rm", "kept")
        self.assertNotIn("berth-" + nid[:9], subprocess.run(["ip", "link"], capture_output=True, text=True).stdout)



class UserNetworkTestCase(ContainerTestCase):
    """A container suite that makes user-defined networks: none is left
    before or after a test (containers first: a network with endpoints
    cannot go)."""

    def setUp(self):
        super().setUp()
        self.rm_networks()

    def tearDown(self):
        self.rm_all()
        self.rm_networks()

    def rm_networks(self):
        for nid in self.docker_ok("network", "ls", "-q", "--filter", "type=custom").split():
            self.d.docker("network", "rm", nid)

if __name__ == "__main__":
    unittest.main()
