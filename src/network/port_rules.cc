// Published ports as berthd's own nat rules, one iptables-restore to add
// them and one to remove them (see cni.h).
#include <fstream>

#include "berth/log.h"
#include "network/cni.h"
#include "runtime/subprocess.h"

namespace berth::network_internal {

namespace {

// The bit portmap marks connections with that need masquerading (the CNI
// plugin's default), so that both mark the same way.
constexpr char kMasqueradeMark[] = "0x2000/0x2000";

std::string ChainOf(const NetworkAttachment& a) { return "BERTH-PORTS-" + a.container_id.substr(0, 12); }

// The jumps into the container's chain and its masquerade rule, as
// iptables-restore lines without the leading "-A "/"-D ".
std::vector<std::string> SharedChainRules(const NetworkAttachment& a) {
  const std::string chain = ChainOf(a);
  return {"PREROUTING -m addrtype --dst-type LOCAL -j " + chain, "OUTPUT -m addrtype --dst-type LOCAL -j " + chain,
          "POSTROUTING -d " + a.ip_address + "/32 -m mark --mark " + kMasqueradeMark + " -j MASQUERADE"};
}

Status Restore(const std::string& rules) {
  runtime_internal::CommandInput input;
  input.stdin_data = rules;
  BERTH_ASSIGN_OR_RETURN(auto r, runtime_internal::RunCommandWithInput({"iptables-restore", "-w", "--noflush"}, input));
  if (r.exit_code != 0) return Internal("iptables-restore failed: " + r.err);
  return OkStatus();
}

}  // namespace

Status AddPortRules(const NetworkAttachment& a) {
  if (a.ports.empty()) return OkStatus();
  auto subnet = ParseIpv4Cidr(a.ip_address + "/" + std::to_string(a.ip_prefix_len));
  if (!subnet.ok()) return subnet.status();
  // 127.0.0.1 may be DNATed out of the loopback onto the bridge (as
  // portmap does it).
  {
    std::ofstream localnet("/proc/sys/net/ipv4/conf/" + a.bridge + "/route_localnet");
    localnet << "1";
    if (!localnet.flush()) return Internal("cannot set route_localnet on " + a.bridge);
  }
  const std::string chain = ChainOf(a);
  std::string rules = "*nat\n:" + chain + " - [0:0]\n";
  for (const auto& p : a.ports) {
    std::string match =
        "-A " + chain + " -p " + p.protocol + " -m " + p.protocol + " --dport " + std::to_string(p.host_port);
    if (!p.host_ip.empty() && p.host_ip != "0.0.0.0") match += " -d " + p.host_ip + "/32";
    // From the container's own subnet (hairpin) or the host's loopback:
    // answers must come back through the host, so masqueraded.
    rules += match + " -s " + FormatIpv4Cidr(*subnet) + " -j MARK --set-xmark " + kMasqueradeMark + "\n";
    rules += match + " -s 127.0.0.1/32 -j MARK --set-xmark " + kMasqueradeMark + "\n";
    rules += match + " -j DNAT --to-destination " + a.ip_address + ":" + std::to_string(p.container_port) + "\n";
  }
  for (const auto& rule : SharedChainRules(a)) rules += "-A " + rule + "\n";
  rules += "COMMIT\n";
  return Restore(rules);
}

void RemovePortRules(const NetworkAttachment& a) {
  if (a.ports.empty()) return;
  const std::string chain = ChainOf(a);
  std::string rules = "*nat\n";
  for (const auto& rule : SharedChainRules(a)) rules += "-D " + rule + "\n";
  rules += "-F " + chain + "\n-X " + chain + "\nCOMMIT\n";
  if (Restore(rules).ok()) return;
  // Some of it is gone already (a half-made ADD, a removal that ran
  // before): each part on its own, what is absent skipped.
  for (const auto& rule : SharedChainRules(a)) {
    Restore("*nat\n-D " + rule + "\nCOMMIT\n").IgnoreError();
  }
  Restore("*nat\n-F " + chain + "\n-X " + chain + "\nCOMMIT\n").IgnoreError();
}

}  // namespace berth::network_internal
