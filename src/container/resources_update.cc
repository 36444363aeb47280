// docker update of a container's resource fields (UpdateResources) and
// State.OOMKilled (OomKilledInCgroup).
#include <unistd.h>

#include <fstream>

#include "container/internal.h"

namespace berth {

Result<std::vector<std::string>> ContainerService::UpdateResources(const std::string& ref, const ContainerResources&) {
  return Unimplemented("the resources of container " + ref + " cannot be updated here");
}

namespace container {

bool OomKilledInCgroup(const std::string& id) {
  auto own = CgroupDirsOf(static_cast<int>(::getpid()));
  if (!own.ok()) return false;
  std::string file;
  if (own->contains("memory")) {
    file = own->at("memory") + "/" + id + "/memory.oom_control";
  } else if (own->contains("")) {
    file = own->at("") + "/" + id + "/memory.events";
  } else {
    return false;
  }
  std::ifstream in(file);
  std::string key;
  uint64_t value = 0;
  while (in >> key >> value) {
    if (key == "oom_kill") return value > 0;
  }
  return false;
}

Result<std::vector<std::string>> ContainerServiceImpl::UpdateResources(const std::string& ref,
                                                                       const ContainerResources& update) {
  ContainerResources u = update;
  std::vector<std::string> warnings;
  BERTH_RETURN_IF_ERROR(ValidateResources(&u, host_resources_, true, "", &warnings));
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  MutexLock op(c->op_mu.get());
  std::string id;
  ContainerResources merged;
  bool running = false;
  {
    MutexLock l(&mu_);
    if (c->removed) return NotFound("No such container: " + ref);
    id = c->rec.id;
    merged = c->stored.config.resources;
    running = c->rec.running() && c->rec.state != ContainerState::kRestarting;
  }
  auto cannot = [&](const Status& s) { return Status(s.code(), "Cannot update container " + id + ": " + s.message()); };
  if (Status s = MergeResourceUpdate(u, &merged); !s.ok()) return cannot(s);
  if (running) {
    // As Docker: the runtime gets the update's own values (absent ones
    // stay as they are in the cgroup).
    Status s = runtime_->Update(id, LinuxLimitsOf(u));
    if (!s.ok() && s.code() != Code::kFailedPrecondition) return cannot(Internal(s.message()));
  }
  MutexLock l(&mu_);
  if (c->removed) return NotFound("No such container: " + ref);
  BERTH_RETURN_IF_ERROR(PersistStoredChange(*c, [&](StoredConfig& s) { s.config.resources = merged; }));
  return warnings;
}

}  // namespace container
}  // namespace berth
