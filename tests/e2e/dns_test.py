"""The embedded DNS server end to end: containers on a user-defined network
resolve each other at 127.0.0.11 (name, --network-alias, short ID,
NAME.NETWORK, PTR) from busybox's nslookup and ping; a container on another
network does not; a stopped container's name stops resolving; Docker's
resolv.conf; port 53 stays free in the container (DNAT); the listeners come
back after a daemon restart; and garbage, truncated and slow clients do not
stop the resolver or berthd. Skips like network_test.py when the machine
cannot run networked containers."""

import inspect
import json
import os
import socket
import struct
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from containers_test import ContainerTestCase  # noqa: E402
from network_test import BRIDGE, SKIP_REASON  # noqa: E402

if SKIP_REASON is None and subprocess.run(["which", "nsenter"], capture_output=True).returncode != 0:
    SKIP_REASON = "nsenter is missing (util-linux)"


def dns_query(qid, name, qtype=1):
    """A DNS query message for `name` (test client side)."""
    qname = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".") if label) + b"\x00"
    return struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qname + struct.pack(">HH", qtype, 1)


def a_records(reply):
    """The IPv4 addresses of the A records in `reply`, parsed loosely (the
    answers follow the one question; names are compressed pointers)."""
    count = struct.unpack(">H", reply[6:8])[0]
    pos = 12
    while reply[pos] != 0:
        pos += 1 + reply[pos]
    pos += 5
    out = []
    for _ in range(count):
        pos += 2  # pointer to the question's name
        rtype, _, _, rdlen = struct.unpack(">HHIH", reply[pos:pos + 10])
        pos += 10
        if rtype == 1:
            out.append(socket.inet_ntoa(reply[pos:pos + rdlen]))
        pos += rdlen
    return out


# Run inside the container's network namespace (nsenter) by the attack test:
# argv[1] is the expected address of "srv".
ATTACK = r'''
random.seed(7)
want = sys.argv[1]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(300):
    u.sendto(bytes(random.getrandbits(8) for _ in range(random.randint(0, 600))), ("127.0.0.11", 53))
q = dns_query(4242, "srv")
for cut in range(len(q)):
    u.sendto(q[:cut], ("127.0.0.11", 53))
u.sendto(b"\xff" * 4000, ("127.0.0.11", 53))
# Slow TCP clients: one byte of a length and nothing more, more than the cap.
slow = []
for i in range(24):
    t = socket.create_connection(("127.0.0.11", 53), timeout=5)
    t.sendall(b"\x00")
    slow.append(t)
big = socket.create_connection(("127.0.0.11", 53), timeout=5)
big.sendall(b"\xff\xff" + b"\x00" * 100)  # a message over the size limit
u.settimeout(5)
u.sendto(q, ("127.0.0.11", 53))
reply, _ = u.recvfrom(4096)
assert reply[:2] == q[:2], reply
assert a_records(reply) == [want], reply
print("udp ok", flush=True)
start = time.time()
for t in slow:
    t.settimeout(20)
    try:
        data = t.recv(10)
    except ConnectionResetError:
        data = b""
    assert data == b"", data
print("slow clients closed after %.1f s" % (time.time() - start), flush=True)
t = socket.create_connection(("127.0.0.11", 53), timeout=5)
t.sendall(struct.pack(">H", len(q)) + q)
size = struct.unpack(">H", t.recv(2))[0]
reply = b""
while len(reply) < size:
    reply += t.recv(size - len(reply))
assert a_records(reply) == [want], reply
print("tcp ok", flush=True)
'''


@unittest.skipIf(SKIP_REASON is not None, SKIP_REASON or "")
class EmbeddedDnsTest(ContainerTestCase):
    daemon_args = ("--bridge", BRIDGE + "d", "--bip", "172.31.249.1/24")

    def setUp(self):
        super().setUp()
        for nid in self.docker_ok("network", "ls", "-q", "--filter", "type=custom").split():
            self.docker_ok("network", "rm", nid)

    def tearDown(self):
        self.rm_all()
        for nid in self.docker_ok("network", "ls", "-q", "--filter", "type=custom").split():
            self.d.docker("network", "rm", nid)
        super().tearDown()

    def nslookup(self, container, name):
        rc, out, err = self.d.docker("exec", container, "busybox", "nslookup", name, "127.0.0.11")
        return rc, out + err

    def start_pair(self):
        self.docker_ok("network", "create", "--subnet", "10.214.1.0/24", "dnsnet")
        srv = self.docker_ok("run", "-d", "--name", "srv", "--network", "dnsnet", "--network-alias", "db",
                             "--ip", "10.214.1.50", "bb:1", "sleep", "1000").strip()
        client = self.docker_ok("run", "-d", "--name", "client", "--network", "dnsnet", "bb:1",
                                "sleep", "1000").strip()
        return srv, client

    def test_names_aliases_short_id_and_network_suffix_resolve(self):
        srv, client = self.start_pair()
        for name in ("srv", "db", srv[:12], "srv.dnsnet", "DB.dnsnet"):
            rc, out = self.nslookup(client, name)
            self.assertIn("Address: 10.214.1.50", out, name)
        # The C library of the container goes through resolv.conf too.
        self.docker_ok("exec", client, "busybox", "ping", "-c1", "-W5", "srv")
        self.docker_ok("exec", client, "busybox", "ping", "-c1", "-W5", "db")
        # PTR: the address gives NAME.NETWORK.
        rc, out = self.nslookup(client, "10.214.1.50")
        self.assertIn("srv.dnsnet", out)
        # Docker's resolv.conf; /etc/hosts lists only the container itself.
        resolv = self.docker_ok("exec", client, "cat", "/etc/resolv.conf")
        self.assertTrue(resolv.startswith("# Generated by Docker Engine.\n"), resolv)
        self.assertIn("\n\nnameserver 127.0.0.11\n", resolv)
        self.assertNotIn("nameserver 10.", resolv)
        self.assertRegex(resolv, r"\noptions (.* )?ndots:0\n")
        self.assertIn("\n# Based on host file: '/etc/resolv.conf' (internal resolver)\n", resolv)
        self.assertIn("\n# Overrides: []\n", resolv)
        hosts = self.docker_ok("exec", client, "cat", "/etc/hosts")
        self.assertNotIn("10.214.1.50", hosts)
        self.assertIn(self.inspect(client, "{{.NetworkSettings.Networks.dnsnet.IPAddress}}"), hosts)
        # Port 53 of the container stays its own: 127.0.0.11:53 is DNATed.
        self.docker_ok("exec", "-d", srv, "busybox", "nc", "-u", "-l", "-p", "53")
        time.sleep(0.3)
        rc, out = self.nslookup(srv, "client")
        self.assertIn("Address: " + self.inspect(client, "{{.NetworkSettings.Networks.dnsnet.IPAddress}}"), out)

    def test_other_networks_and_stopped_containers_do_not_resolve(self):
        srv, client = self.start_pair()
        self.docker_ok("network", "create", "--subnet", "10.214.2.0/24", "othernet")
        stranger = self.docker_ok("run", "-d", "--network", "othernet", "bb:1", "sleep", "1000").strip()
        for name in ("srv", "db", "srv.dnsnet"):
            rc, out = self.nslookup(stranger, name)
            self.assertNotIn("10.214.1.50", out, name)
            self.assertNotEqual(rc, 0, out)
        self.docker_ok("stop", "-t", "0", srv)
        rc, out = self.nslookup(client, "srv")
        self.assertNotIn("10.214.1.50", out)
        self.assertNotEqual(rc, 0, out)
        # It comes back with the container.
        self.docker_ok("start", srv)
        rc, out = self.nslookup(client, "srv")
        self.assertIn("Address: 10.214.1.50", out)

    def test_a_link_on_a_user_network_is_an_alias_for_the_linking_container_only(self):
        self.docker_ok("network", "create", "--subnet", "10.214.3.0/24", "linknet")
        # Linked before the target exists, as docker-py's test does: the
        # alias resolves whenever the target is on the network.
        app = self.docker_ok("run", "-d", "--name", "app", "--network", "linknet", "--link", "upstream:bar", "bb:1",
                             "sleep", "1000").strip()
        nets = json.loads(self.inspect(app, "{{json .NetworkSettings.Networks}}"))
        self.assertEqual(nets["linknet"]["Links"], ["upstream:bar"])
        self.assertEqual(self.inspect(app, "{{json .HostConfig.Links}}"), "null")
        rc, out = self.nslookup(app, "bar")
        self.assertNotEqual(rc, 0, out)
        self.docker_ok("run", "-d", "--name", "upstream", "--network", "linknet", "--ip", "10.214.3.40", "bb:1",
                       "sleep", "1000")
        rc, out = self.nslookup(app, "bar")
        self.assertIn("Address: 10.214.3.40", out)
        rc, out = self.nslookup("upstream", "bar")  # the alias is app's alone
        self.assertNotEqual(rc, 0, out)
        # By connect too, kept across a restart of the container.
        other = self.docker_ok("run", "-d", "--network", "linknet", "bb:1", "sleep", "1000").strip()
        self.docker_ok("network", "disconnect", "linknet", other)
        self.docker_ok("network", "connect", "--link", "upstream:store", "linknet", other)
        rc, out = self.nslookup(other, "store")
        self.assertIn("Address: 10.214.3.40", out)
        self.docker_ok("restart", "-t", "0", app)
        rc, out = self.nslookup(app, "bar")
        self.assertIn("Address: 10.214.3.40", out)
        # A link given in HostConfig.Links alone, on a user network, is not
        # what the CLI sends: refused, naming where such links go.
        body = json.dumps({"Image": "bb:1", "HostConfig": {"NetworkMode": "linknet", "Links": ["upstream:u"]}})
        st, _, out = self.d.request("POST", "/v1.50/containers/create", body, {"Content-Type": "application/json"})
        self.assertEqual(st, 400, out)
        self.assertIn(b"NetworkingConfig.EndpointsConfig.linknet.Links", out)

    def test_garbage_truncated_and_slow_clients_do_not_stop_the_resolver(self):
        srv, client = self.start_pair()
        pid = self.inspect(client, "{{.State.Pid}}")
        script = ("import random, socket, struct, sys, time\n" + inspect.getsource(dns_query) +
                  inspect.getsource(a_records) + ATTACK)
        attack = subprocess.Popen(["nsenter", "--net=/proc/%s/ns/net" % pid, sys.executable, "-c", script,
                                   "10.214.1.50"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # berthd answers the API meanwhile.
        t0 = time.time()
        self.docker_ok("ps")
        self.assertLess(time.time() - t0, 5)
        out, err = attack.communicate(timeout=60)
        self.assertEqual(attack.returncode, 0, out + err)
        self.assertIn("udp ok", out)
        self.assertIn("tcp ok", out)
        # Other containers are still served.
        rc, out = self.nslookup(srv, "client")
        self.assertEqual(rc, 0, out)


@unittest.skipIf(SKIP_REASON is not None, SKIP_REASON or "")
class EmbeddedDnsRestartTest(ContainerTestCase):
    daemon_args = ("--bridge", BRIDGE + "e", "--bip", "172.31.248.1/24")

    def test_listeners_come_back_after_a_daemon_restart(self):
        self.docker_ok("network", "create", "--subnet", "10.214.3.0/24", "kept")
        try:
            self.docker_ok("run", "-d", "--name", "ksrv", "--network", "kept", "--ip", "10.214.3.9", "bb:1",
                           "sleep", "1000")
            client = self.docker_ok("run", "-d", "--network", "kept", "bb:1", "sleep", "1000").strip()
            self.d.stop()
            self.d.start()
            rc, out, err = self.d.docker("exec", client, "busybox", "nslookup", "ksrv", "127.0.0.11")
            self.assertIn("Address: 10.214.3.9", out + err)
            # The rules point at the new listeners only (the chain was replaced).
            pid = self.inspect(client, "{{.State.Pid}}")
            rules = subprocess.run(["nsenter", "--net=/proc/%s/ns/net" % pid, "iptables-save", "-t", "nat"],
                                   capture_output=True, text=True).stdout
            self.assertEqual(rules.count("-j DNAT"), 2, rules)
            self.assertEqual(rules.count("-j BERTH_DNS_OUTPUT"), 1, rules)
        finally:
            self.rm_all()
            self.d.docker("network", "rm", "kept")


if __name__ == "__main__":
    unittest.main()
