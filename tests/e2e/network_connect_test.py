"""docker network connect / disconnect end to end, with the real docker CLI
and the Python SDK: a running container gets a second interface (eth1) in
its namespace and is reached by name from the new network, a stopped one
joins at its next start, what was joined or left survives a berthd restart,
Docker's refusals (host, none and container: modes, the host network, an
endpoint already there, a network the container is not on), --mac-address
(read back from inside), endpoint driver options (kept and shown),
--link-local-ip (on the interface), and
nothing left behind (bridges, veths,
namespaces, netfilter rules). Skips where network_test skips."""

import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from network_test import BRIDGE, SERVER, SKIP_REASON, UserNetworkTestCase, docker  # noqa: E402

MAC = "02:42:0a:d6:05:63"


def links():
    return subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout


def netfilter_rules():
    return subprocess.run(["iptables-save"], capture_output=True, text=True).stdout


@unittest.skipIf(SKIP_REASON is not None, SKIP_REASON or "")
class NetworkConnectTest(UserNetworkTestCase):
    daemon_args = ("--bridge", BRIDGE + "c", "--bip", "172.31.249.1/24")

    def networks_of(self, ctr):
        return json.loads(self.inspect(ctr, "{{json .NetworkSettings.Networks}}"))

    def sh(self, ctr, script):
        rc, out, err = self.d.docker("exec", ctr, "sh", "-c", script)
        return rc, out

    def network_events(self, since):
        return self.docker_ok("events", "--since", str(since), "--until", str(int(time.time()) + 1), "--filter",
                              "type=network", "--format",
                              "{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.container}}").splitlines()

    def test_a_running_container_joins_and_leaves_a_network(self):
        since = int(time.time()) - 1
        self.docker_ok("network", "create", "--subnet", "10.214.1.0/24", "front")
        back = self.docker_ok("network", "create", "--subnet", "10.214.2.0/24", "back").strip()
        srv = self.docker_ok("run", "-d", "--name", "db", "--network", "back", "bb:1", *SERVER).strip()
        app = self.docker_ok("run", "-d", "--name", "app", "--network", "front", "bb:1", "sleep", "1000").strip()
        rc, _ = self.sh(app, "nc -w 2 db 80 </dev/null")
        self.assertNotEqual(rc, 0, "app reached db before it joined db's network")

        self.docker_ok("network", "connect", "--ip", "10.214.2.77", "--alias", "cache", "back", "app")
        rc, out = self.sh(app, "ip -o -4 addr show dev eth1")
        self.assertEqual(rc, 0, out)
        self.assertIn("10.214.2.77/24", out)
        rc, out = self.sh(app, "nc -w 5 db 80 </dev/null")
        self.assertEqual((rc, out), (0, "hello\n"))
        # db resolves the newcomer by name and alias through the embedded DNS.
        for name in ("app", "cache", app[:12]):
            rc, out = self.sh(srv, "nslookup %s 127.0.0.11" % name)
            self.assertEqual(rc, 0, out)
            self.assertIn("10.214.2.77", out)
        # The default route stays on the first network.
        rc, out = self.sh(app, "ip route show default")
        self.assertIn("via 10.214.1.1 dev eth0", out)
        nets = self.networks_of(app)
        self.assertEqual(sorted(nets), ["back", "front"])
        self.assertEqual(nets["back"]["IPAddress"], "10.214.2.77")
        self.assertEqual(nets["back"]["NetworkID"], back)
        self.assertEqual(nets["back"]["IPAMConfig"], {"IPv4Address": "10.214.2.77"})
        self.assertEqual(nets["back"]["Aliases"], ["cache"])
        self.assertIn("cache", nets["back"]["DNSNames"])
        containers = json.loads(self.docker_ok("network", "inspect", "back"))[0]["Containers"]
        self.assertEqual({c["Name"] for c in containers.values()}, {"db", "app"})

        _, err = self.docker_fails("network", "connect", "back", "app")
        self.assertIn("endpoint with name app already exists in network back", err)

        self.docker_ok("network", "disconnect", "back", "app")
        rc, out = self.sh(app, "ls /sys/class/net")
        self.assertEqual(sorted(out.split()), ["eth0", "lo"])
        rc, out = self.sh(srv, "nslookup cache 127.0.0.11")
        self.assertNotEqual(rc, 0, out)
        self.assertEqual(sorted(self.networks_of(app)), ["front"])
        _, err = self.docker_fails("network", "disconnect", "back", "app")
        self.assertIn("container %s is not connected to network back" % app, err)
        events = self.network_events(since)
        self.assertIn("connect back " + app, events)
        self.assertIn("disconnect back " + app, events)

    def test_a_stopped_container_joins_at_start_and_keeps_it_across_restarts(self):
        self.docker_ok("network", "create", "--subnet", "10.214.3.0/24", "later")
        lazy = self.docker_ok("create", "--name", "lazy", "bb:1", "sleep", "1000").strip()
        self.docker_ok("network", "connect", "--alias", "sleepy", "later", "lazy")
        nets = self.networks_of(lazy)
        self.assertEqual(sorted(nets), ["bridge", "later"])
        self.assertEqual(nets["later"]["IPAddress"], "")
        self.assertEqual(nets["later"]["Aliases"], ["sleepy"])
        self.docker_ok("network", "connect", "later", "lazy")  # stopped and on it already: nothing to do (Docker's)

        self.docker_ok("start", "lazy")
        nets = self.networks_of(lazy)
        self.assertRegex(nets["later"]["IPAddress"], r"^10\.214\.3\.\d+$")
        self.assertRegex(nets["bridge"]["IPAddress"], r"^172\.31\.249\.\d+$")
        rc, out = self.sh(lazy, "ip -o -4 addr")
        self.assertIn(nets["later"]["IPAddress"] + "/24", out)
        self.assertIn(nets["bridge"]["IPAddress"] + "/24", out)

        # Leaving the network mode's network while it runs; then a daemon
        # restart keeps both the live endpoint and the config.
        self.docker_ok("network", "disconnect", "bridge", "lazy")
        self.assertEqual(sorted(self.networks_of(lazy)), ["later"])
        later_ip = self.networks_of(lazy)["later"]["IPAddress"]
        bridge_id = self.docker_ok("network", "inspect", "--format", "{{.Id}}", "bridge")
        self.d.stop()
        self.d.start()
        self.assertEqual(self.networks_of(lazy)["later"]["IPAddress"], later_ip)
        self.assertEqual(self.docker_ok("network", "inspect", "--format", "{{.Id}}", "bridge"), bridge_id)
        # Created without --network: shown as Docker 28 shows it.
        self.assertEqual(self.inspect(lazy, "{{.HostConfig.NetworkMode}}"), "bridge")
        containers = json.loads(self.docker_ok("network", "inspect", "later"))[0]["Containers"]
        self.assertEqual(list(containers), [lazy])
        probe = self.docker_ok("run", "--rm", "--network", "later", "bb:1", "sh", "-c",
                               "ping -c 1 -W 5 sleepy >/dev/null && echo reached")
        self.assertEqual(probe, "reached\n")

        self.docker_ok("stop", "-t", "0", "lazy")
        self.assertEqual(sorted(self.networks_of(lazy)), ["later"])
        self.docker_ok("start", "lazy")
        rc, out = self.sh(lazy, "ls /sys/class/net")
        self.assertEqual(sorted(out.split()), ["eth0", "lo"])
        self.assertEqual(sorted(self.networks_of(lazy)), ["later"])
        self.docker_ok("stop", "-t", "0", "lazy")
        self.docker_ok("network", "disconnect", "later", "lazy")
        self.assertEqual(self.networks_of(lazy), {})
        _, err = self.docker_fails("network", "disconnect", "later", "lazy")
        self.assertIn("container %s is not connected to the network later" % lazy, err)

    def test_dockers_refusals(self):
        self.docker_ok("network", "create", "--subnet", "10.214.4.0/24", "other")
        on_host = self.docker_ok("run", "-d", "--network", "host", "bb:1", "sleep", "1000").strip()
        on_none = self.docker_ok("run", "-d", "--network", "none", "bb:1", "sleep", "1000").strip()
        plain = self.docker_ok("run", "-d", "--name", "plain", "bb:1", "sleep", "1000").strip()
        shared = self.docker_ok("run", "-d", "--network", "container:plain", "bb:1", "sleep", "1000").strip()
        for ctr, net, text in (
                (on_host, "other",
                 "container sharing network namespace with another container or host cannot be connected to any "
                 "other network"),
                (shared, "other",
                 "container sharing network namespace with another container or host cannot be connected to any "
                 "other network"),
                (on_none, "other",
                 "container cannot be connected to multiple networks with one of the networks in private (none) mode"),
                (plain, "host", "cannot connect container to host network - container must be created in host "
                                "network mode"),
                (plain, "nosuchnet", "network nosuchnet not found")):
            _, err = self.docker_fails("network", "connect", net, ctr)
            self.assertIn(text, err)
        _, err = self.docker_fails("network", "disconnect", "host", on_host)
        self.assertIn("cannot disconnect container from host network - container was created in host network mode",
                      err)
        _, err = self.docker_fails("network", "connect", "--ip", "10.214.9.9", "bridge", "plain")
        self.assertIn("user specified IP address is supported on user defined networks only", err)
        _, err = self.docker_fails("network", "connect", "--link", "plain:p", "bridge", "plain")
        self.assertIn("berth supports --link on user-defined networks only, not on the default bridge network", err)
        _, err = self.docker_fails("network", "connect", "other", "nosuchcontainer")
        self.assertIn("No such container: nosuchcontainer", err)
        # Nothing changed.
        self.assertEqual(sorted(self.networks_of("plain")), ["bridge"])
        self.assertEqual(json.loads(self.docker_ok("network", "inspect", "other"))[0]["Containers"], {})

    def test_endpoint_driver_options_are_kept_and_shown(self):
        self.docker_ok("network", "create", "--subnet", "10.214.7.0/24", "opts")
        self.docker_ok("network", "create", "--subnet", "10.214.8.0/24", "opts2")
        ctr = self.docker_ok("run", "-d", "--network", "name=opts,driver-opt=com.example.tier=gold", "bb:1",
                             "sleep", "1000").strip()
        self.assertEqual(self.networks_of(ctr)["opts"]["DriverOpts"], {"com.example.tier": "gold"})
        self.docker_ok("network", "connect", "--driver-opt", "k=v", "opts2", ctr)
        self.assertEqual(self.networks_of(ctr)["opts2"]["DriverOpts"], {"k": "v"})
        # Kept with the container: across a restart and while it is stopped.
        self.docker_ok("restart", "-t", "0", ctr)
        self.docker_ok("stop", "-t", "0", ctr)
        nets = self.networks_of(ctr)
        self.assertEqual((nets["opts"]["DriverOpts"], nets["opts2"]["DriverOpts"]),
                         ({"com.example.tier": "gold"}, {"k": "v"}))
        # On the default bridge too; an option Docker acts on itself is
        # refused by name, and nothing is created.
        plain = self.docker_ok("run", "-d", "--network", "name=bridge,driver-opt=a=b", "bb:1", "sleep", "1000").strip()
        self.assertEqual(self.networks_of(plain)["bridge"]["DriverOpts"], {"a": "b"})
        before = self.docker_ok("ps", "-aq").split()
        rc, _, err = self.d.docker("run", "--rm", "--network",
                                   "name=opts,driver-opt=com.docker.network.endpoint.sysctls=net.ipv4.conf.IFNAME.forwarding=1",
                                   "bb:1", "true")
        self.assertEqual(rc, 125, err)
        self.assertIn("berth does not support the endpoint driver option com.docker.network.endpoint.sysctls", err)
        self.assertEqual(self.docker_ok("ps", "-aq").split(), before)
        _, err = self.docker_fails("network", "connect", "--driver-opt", "com.docker.network.endpoint.ifname=x",
                                   "opts", plain)
        self.assertIn("berth does not support the endpoint driver option com.docker.network.endpoint.ifname", err)

    def test_link_local_ips_are_on_the_interface_and_shown(self):
        ctr = self.docker_ok("run", "-d", "--network", "name=bridge,link-local-ip=169.254.8.8", "bb:1",
                             "sleep", "1000").strip()
        rc, out = self.sh(ctr, "ip -o -4 addr show dev eth0")
        self.assertEqual(rc, 0, out)
        self.assertIn("inet 169.254.8.8/16", out)
        self.assertEqual(self.networks_of(ctr)["bridge"]["IPAMConfig"], {"LinkLocalIPs": ["169.254.8.8"]})
        self.docker_ok("network", "create", "--subnet", "10.214.9.0/24", "ll")
        self.docker_ok("network", "connect", "--ip", "10.214.9.9", "--link-local-ip", "169.254.7.7", "ll", ctr)
        rc, out = self.sh(ctr, "ip -o -4 addr show dev eth1")
        self.assertIn("inet 10.214.9.9/24", out)
        self.assertIn("inet 169.254.7.7/16", out)
        self.assertEqual(self.networks_of(ctr)["ll"]["IPAMConfig"],
                         {"IPv4Address": "10.214.9.9", "LinkLocalIPs": ["169.254.7.7"]})
        # Again after a restart of the container (kept with it).
        self.docker_ok("restart", "-t", "0", ctr)
        rc, out = self.sh(ctr, "ip -o -4 addr show")
        self.assertIn("inet 169.254.8.8/16", out)
        self.assertIn("inet 169.254.7.7/16", out)
        rc, _, err = self.d.docker("run", "--rm", "--network", "name=bridge,link-local-ip=fe80::1", "bb:1", "true")
        self.assertEqual(rc, 125, err)
        self.assertIn("berth does not support IPv6 link-local addresses (fe80::1)", err)

    def test_mac_address_is_set_and_shown(self):
        self.docker_ok("network", "create", "--subnet", "10.214.5.0/24", "macs")
        ctr = self.docker_ok("run", "-d", "--mac-address", MAC, "--network", "macs", "bb:1", "sleep", "1000").strip()
        self.assertEqual(self.docker_ok("exec", ctr, "cat", "/sys/class/net/eth0/address").strip(), MAC)
        self.assertEqual(self.networks_of(ctr)["macs"]["MacAddress"], MAC)
        on_bridge = self.docker_ok("run", "--rm", "--mac-address", "02:42:ac:1f:f9:42", "bb:1",
                                   "cat", "/sys/class/net/eth0/address")
        self.assertEqual(on_bridge.strip(), "02:42:ac:1f:f9:42")

    @unittest.skipIf(docker is None, "the docker Python SDK is not installed")
    def test_the_container_wide_mac_address_goes_to_the_main_endpoint(self):
        # The SDK's create_container(mac_address=) sends Config.MacAddress,
        # which API 1.44 deprecated; Docker moves it to the main network.
        api = docker.APIClient(base_url=self.d.host, version="1.50")
        try:
            wide = "02:42:ac:11:00:0a"
            ctr = api.create_container("bb:1", ["sleep", "1000"], mac_address=wide)
            api.start(ctr)
            self.assertEqual(api.inspect_container(ctr)["NetworkSettings"]["MacAddress"], wide)
            self.assertEqual(self.docker_ok("exec", ctr["Id"], "cat", "/sys/class/net/eth0/address").strip(), wide)
            with self.assertRaises(docker.errors.APIError) as caught:
                api.create_container("bb:1", ["true"], mac_address=wide,
                                     host_config=api.create_host_config(network_mode="none"))
            self.assertIn("conflicting options: mac-address and the network mode", str(caught.exception))
        finally:
            api.close()

    @unittest.skipIf(docker is None, "the docker Python SDK is not installed")
    def test_the_python_sdk_connects_and_disconnects(self):
        client = docker.DockerClient(base_url=self.d.host, version="1.50")
        try:
            net = client.networks.create("sdknet", driver="bridge", ipam=docker.types.IPAMConfig(
                pool_configs=[docker.types.IPAMPool(subnet="10.214.6.0/24")]))
            ctr = client.containers.run("bb:1", ["sleep", "1000"], detach=True, name="sdkctr")
            # The CLI checks a MAC itself; the daemon's check, through the SDK.
            with self.assertRaises(docker.errors.APIError) as caught:
                net.connect(ctr, mac_address="02:42:zz:00:00:01")
            self.assertEqual(caught.exception.status_code, 400)
            self.assertIn("invalid MAC address 02:42:zz:00:00:01", str(caught.exception))
            net.connect(ctr, ipv4_address="10.214.6.40", aliases=["sdkalias"], mac_address=MAC)
            ctr.reload()
            ep = ctr.attrs["NetworkSettings"]["Networks"]["sdknet"]
            self.assertEqual(ep["IPAddress"], "10.214.6.40")
            self.assertEqual(ep["MacAddress"], MAC)
            self.assertEqual(ep["Aliases"], ["sdkalias"])
            code, out = ctr.exec_run(["cat", "/sys/class/net/eth1/address"])
            self.assertEqual((code, out.decode().strip()), (0, MAC))
            net.reload()
            self.assertEqual([c.id for c in net.containers], [ctr.id])
            with self.assertRaises(docker.errors.APIError) as caught:
                net.connect(ctr)
            self.assertEqual(caught.exception.status_code, 403)
            net.disconnect(ctr, force=True)
            net.reload()
            self.assertEqual(net.containers, [])
            ctr.reload()
            self.assertEqual(sorted(ctr.attrs["NetworkSettings"]["Networks"]), ["bridge"])
        finally:
            client.close()

    def test_nothing_is_left_after_connect_disconnect_and_removal(self):
        netns_dir = os.path.join(self.d.exec_root, "netns")
        a = self.docker_ok("network", "create", "--subnet", "10.214.7.0/24", "lefta").strip()
        b = self.docker_ok("network", "create", "--subnet", "10.214.8.0/24", "leftb").strip()
        one = self.docker_ok("run", "-d", "--network", "lefta", "-p", "80", "bb:1", *SERVER).strip()
        two = self.docker_ok("run", "-d", "bb:1", "sleep", "1000").strip()
        self.docker_ok("network", "connect", "leftb", one)
        self.docker_ok("network", "connect", "lefta", two)
        self.docker_ok("network", "connect", "leftb", two)
        self.docker_ok("network", "disconnect", "lefta", two)
        self.assertIn("berth-" + b[:9], links())
        self.docker_ok("rm", "-f", one, two)
        self.docker_ok("network", "rm", "lefta", "leftb")
        out = links()
        for bridge in ("berth-" + a[:9], "berth-" + b[:9]):
            self.assertNotIn(bridge, out)
        self.assertNotIn("veth", out)
        rules = netfilter_rules()
        for subnet in ("10.214.7.", "10.214.8.", "172.31.249."):
            self.assertNotIn(subnet, rules)
        self.assertNotIn("CNI-HOSTPORT-DNAT", rules)
        if os.path.isdir(netns_dir):
            left = [f for f in os.listdir(netns_dir) if f.startswith((one, two))]
            self.assertEqual(left, [])


if __name__ == "__main__":
    unittest.main()
