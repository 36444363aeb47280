// Docker's legacy links (--link on the default bridge network): resolved to
// container IDs at create, turned into environment variables and /etc/hosts
// entries at start, shown by inspect and ps, and removed by rm --link.
#include <algorithm>
#include <cctype>

#include "container/internal.h"

namespace berth::container {

namespace {

// Splits a stored link "ID:ALIAS".
std::pair<std::string, std::string> SplitStoredLink(const std::string& link) {
  const size_t colon = link.find(':');
  if (colon == std::string::npos) return {link, link};
  return {link.substr(0, colon), link.substr(colon + 1)};
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// The alias as the variables' prefix: upper case, '-' as '_'.
std::string EnvAlias(const std::string& alias) {
  std::string out = Upper(alias);
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

constexpr std::string_view kHostNetworkLinks =
    "conflicting options: host type networking can't be used with links. This would result in undefined behavior";

}  // namespace

std::vector<std::string> LegacyLinkEnv(const LinkedChild& child) {
  const std::string alias = EnvAlias(child.alias);
  std::vector<std::pair<int, std::string>> ports = child.ports;
  // TCP first, then the other protocols by name; by number within one.
  std::sort(ports.begin(), ports.end(), [](const auto& a, const auto& b) {
    if (a.second != b.second) {
      if (a.second == "tcp" || b.second == "tcp") return a.second == "tcp";
      return a.second < b.second;
    }
    return a.first < b.first;
  });
  std::vector<std::string> env;
  auto url = [&](const std::pair<int, std::string>& p) {
    return p.second + "://" + child.ip + ":" + std::to_string(p.first);
  };
  if (!ports.empty()) env.push_back(alias + "_PORT=" + url(ports.front()));
  // Each port's four variables. A run of consecutive ports of one protocol
  // also gets _START and _END variables under its first port's prefix,
  // written (as Docker writes them) once the port after the run has its
  // four, or after the last port.
  size_t start = 0, end = 0;
  for (size_t i = 0; i < ports.size(); ++i) {
    const auto& p = ports[i];
    const std::string prefix = alias + "_PORT_" + std::to_string(p.first) + "_" + Upper(p.second);
    env.push_back(prefix + "=" + url(p));
    env.push_back(prefix + "_ADDR=" + child.ip);
    env.push_back(prefix + "_PORT=" + std::to_string(p.first));
    env.push_back(prefix + "_PROTO=" + p.second);
    if (i > 0 && p.first == ports[end].first + 1 && p.second == ports[start].second) {
      end = i;
      if (i + 1 < ports.size()) continue;
    }
    if (end != start) {
      const auto& first = ports[start];
      const auto& last = ports[end];
      const std::string run = alias + "_PORT_" + std::to_string(first.first) + "_" + Upper(first.second);
      env.push_back(run + "_START=" + url(first));
      env.push_back(run + "_PORT_START=" + std::to_string(first.first));
      env.push_back(run + "_END=" + url(last));
      env.push_back(run + "_PORT_END=" + std::to_string(last.first));
    }
    start = end = i;
  }
  env.push_back(alias + "_NAME=" + child.link_name);
  for (const std::string& kv : child.env) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = kv.substr(0, eq);
    if (key == "HOME" || key == "PATH") continue;  // Docker leaves out what builds add
    env.push_back(alias + "_ENV_" + key + "=" + kv.substr(eq + 1));
  }
  return env;
}

std::vector<std::string> WithLegacyLinkEnv(const std::vector<LinkedChild>& linked,
                                           const std::vector<std::string>& env) {
  std::vector<std::string> out;
  for (const LinkedChild& child : linked) {
    for (std::string& kv : LegacyLinkEnv(child)) out.push_back(std::move(kv));
  }
  out.insert(out.end(), env.begin(), env.end());
  return out;
}

std::string LegacyLinkHostsEntry(const LinkedChild& child) {
  std::string names = child.alias + " " + child.hostname;
  if (child.alias != child.name) names += " " + child.name;
  return names + ":" + child.ip;
}

Status ContainerServiceImpl::ResolveLegacyLinksLocked(ContainerNetworkConfig* net) {
  for (std::string& link : net->legacy_links) {
    BERTH_ASSIGN_OR_RETURN(auto parsed, ParseEndpointLink(link));
    const auto& [name, alias] = parsed;
    Result<std::string> id = ResolveLocked(name);
    if (!id.ok()) return InvalidArgument("could not get container for " + name + ": " + id.status().message());
    // A container on another's network links to that one (Docker follows
    // container: modes).
    for (int hops = 0; ctrs_[*id]->stored.config.network_mode.starts_with("container:"); ++hops) {
      const std::string target = ctrs_[*id]->stored.config.network_mode.substr(10);
      Result<std::string> next = ResolveLocked(target);
      if (!next.ok() || hops > 16) {
        return InvalidArgument("could not get container for " + target + ": No such container: " + target);
      }
      id = next;
    }
    if (ctrs_[*id]->stored.config.network_mode == "host") return InvalidArgument(std::string(kHostNetworkLinks));
    link = *id + ":" + alias;
  }
  return OkStatus();
}

Result<std::vector<LinkedChild>> ContainerServiceImpl::LinkedChildrenLocked(const std::string& parent,
                                                                            const ContainerNetworkConfig& net) {
  std::vector<LinkedChild> out;
  for (const std::string& link : net.legacy_links) {
    const auto [child_id, alias] = SplitStoredLink(link);
    auto it = ctrs_.find(child_id);
    if (it == ctrs_.end() || it->second->removed) continue;
    const Ctr& child = *it->second;
    LinkedChild l;
    l.link_name = "/" + parent + "/" + alias;
    l.alias = alias;
    l.name = child.rec.name;
    if (!child.rec.running()) {
      return FailedPrecondition("Cannot link to a non running container: /" + child.rec.name + " AS " + l.link_name);
    }
    l.hostname = child.stored.config.hostname.empty() ? child.rec.id.substr(0, 12) : child.stored.config.hostname;
    std::vector<NetworkAttachment> endpoints;
    if (opts_.network != nullptr) endpoints = opts_.network->AttachmentsOf(child.rec.id);
    const NetworkAttachment* bridge = nullptr;
    for (const auto& a : endpoints) {
      if (a.network_name == "bridge") bridge = &a;
    }
    if (bridge == nullptr) {
      return FailedPrecondition("Cannot link to /" + child.rec.name + ", as it does not belong to the default network");
    }
    l.ip = bridge->ip_address;
    ImageProcess proc;
    if (auto p = ImageProcessOf(child.rec.image_manifest); p.ok()) proc = *p;
    l.env = Merge(child.stored.config, proc).env;
    for (const auto& p : bridge->ports) l.ports.emplace_back(p.container_port, p.protocol);
    for (const std::string& exposed : bridge->exposed) {
      if (auto port = ParsePortProto(exposed); port.ok()) l.ports.push_back(*port);
    }
    std::sort(l.ports.begin(), l.ports.end());
    l.ports.erase(std::unique(l.ports.begin(), l.ports.end()), l.ports.end());
    out.push_back(std::move(l));
  }
  return out;
}

Result<std::vector<LinkedChild>> ContainerServiceImpl::LinkedChildren(const std::string& parent,
                                                                      const ContainerNetworkConfig& net) {
  if (net.legacy_links.empty()) return std::vector<LinkedChild>{};
  MutexLock l(&mu_);
  return LinkedChildrenLocked(parent, net);
}

std::vector<std::string> ContainerServiceImpl::LegacyLinksShownLocked(const Ctr& c) {
  std::vector<std::string> out;
  for (const std::string& link : c.stored.config.network.legacy_links) {
    const auto [child_id, alias] = SplitStoredLink(link);
    auto it = ctrs_.find(child_id);
    if (it == ctrs_.end() || it->second->removed) continue;
    out.push_back("/" + it->second->rec.name + ":/" + c.rec.name + "/" + alias);
  }
  return out;
}

ContainerServiceImpl::LinkNames ContainerServiceImpl::LinkNamesLocked() {
  LinkNames out;
  for (const auto& [parent_id, parent] : ctrs_) {
    if (parent->removed) continue;
    for (const std::string& link : parent->stored.config.network.legacy_links) {
      const auto [child_id, alias] = SplitStoredLink(link);
      out[child_id].push_back("/" + parent->rec.name + "/" + alias);
    }
  }
  for (auto& [child_id, names] : out) std::sort(names.begin(), names.end());
  return out;
}

Status ContainerServiceImpl::RemoveLink(const std::string& link_name) {
  std::string name = link_name.starts_with("/") ? link_name : "/" + link_name;
  const size_t slash = name.rfind('/');
  if (slash == 0) return InvalidArgument("Conflict, cannot remove the default link name of the container");
  const std::string parent_name = name.substr(1, slash - 1), alias = name.substr(slash + 1);
  MutexLock l(&mu_);
  Result<std::string> parent_id = ResolveLocked(parent_name);
  if (!parent_id.ok()) return InvalidArgument("Cannot get parent /" + parent_name + " for link name " + name);
  Ctr& parent = *ctrs_[*parent_id];
  std::string removed;  // the stored link, "CHILD_ID:ALIAS"
  for (const std::string& link : parent.stored.config.network.legacy_links) {
    const auto [child_id, link_alias] = SplitStoredLink(link);
    if (link_alias == alias && ctrs_.contains(child_id)) removed = link;
  }
  if (removed.empty()) return NotFound("No such container: " + name.substr(1));
  return PersistStoredChange(parent, [&](StoredConfig& s) {
    auto& stored = s.config.network.legacy_links;
    stored.erase(std::remove(stored.begin(), stored.end(), removed), stored.end());
  });
}

}  // namespace berth::container

namespace berth {

Status ContainerService::RemoveLink(const std::string&) {
  return Unimplemented("removing a container link is not supported by this container service");
}

}  // namespace berth
