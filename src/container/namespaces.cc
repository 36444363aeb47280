// The pid, ipc, uts and cgroup namespaces a starting container gets, from
// Docker's PidMode, IpcMode, UTSMode and CgroupnsMode (checked for syntax
// at create by the API; here the targets of "container:NAME" are looked up).
#include <string>

#include "container/internal.h"

namespace berth::container {

namespace {

constexpr std::string_view kContainerPrefix = "container:";

}  // namespace

Status ContainerServiceImpl::PrepareNamespaces(const std::string& id, const ContainerConfig& cfg, ProcessSpec* p) {
  // The running container `ref` names, as Docker's getPIDContainer and
  // getIPCContainer check it; `what` is "PID" or "IPC".
  auto running_target = [&](const std::string& ref, const std::string& what,
                            bool must_share) -> Result<std::pair<int, std::string>> {
    auto other = Find(ref);
    if (!other.ok()) {
      return InvalidArgument("failed to join " + what + " namespace: " + std::string(other.status().message()));
    }
    MutexLock l(&mu_);
    const Ctr& c = **other;
    if (!c.rec.running() || c.rec.pid <= 0) {
      return Conflict("failed to join " + what + " namespace: container " + c.rec.id + " is not running");
    }
    if (must_share && c.stored.config.ipc_mode != "shareable") {
      return InvalidArgument("failed to join IPC namespace: container " + c.rec.id +
                             ": non-shareable IPC (hint: use IpcMode:shareable for the donor container)");
    }
    return std::make_pair(c.rec.pid, c.rec.id);
  };

  if (cfg.pid_mode == "host") {
    p->pid_namespace = "host";
  } else if (cfg.pid_mode.starts_with(kContainerPrefix)) {
    BERTH_ASSIGN_OR_RETURN(auto target, running_target(cfg.pid_mode.substr(kContainerPrefix.size()), "PID", false));
    p->pid_namespace = "/proc/" + std::to_string(target.first) + "/ns/pid";
  }

  if (cfg.ipc_mode == "shareable") {
    // Its /dev/shm lives in berthd's mount namespace, so that a container
    // joining its ipc namespace can be given the same one (unmounted with
    // the container's other mounts when it stops).
    const std::string shm = Dir(id) + "/shm";
    UnmountOverlay(shm).IgnoreError();  // a stale one from an unclean stop
    const int64_t size = cfg.resources.shm_size > 0 ? cfg.resources.shm_size : int64_t{64} << 20;  // ShmSize
    BERTH_RETURN_IF_ERROR(MountTmpfs(shm, "mode=1777,size=" + std::to_string(size)));
    p->dev_shm_source = shm;
  } else if (cfg.ipc_mode == "host") {
    p->ipc_namespace = "host";
    p->dev_shm_source = "/dev/shm";
  } else if (cfg.ipc_mode == "none") {
    p->no_dev_shm = true;
  } else if (cfg.ipc_mode.starts_with(kContainerPrefix)) {
    BERTH_ASSIGN_OR_RETURN(auto target, running_target(cfg.ipc_mode.substr(kContainerPrefix.size()), "IPC", true));
    p->ipc_namespace = "/proc/" + std::to_string(target.first) + "/ns/ipc";
    p->dev_shm_source = Dir(target.second) + "/shm";  // the donor's, shareable
  }

  p->host_uts = cfg.uts_mode == "host";
  p->cgroup_namespace = cfg.cgroupns_mode == "private";
  return OkStatus();
}

}  // namespace berth::container
