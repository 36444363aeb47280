// Restart policies: validation, the backoff, the restart after an exit and
// at berthd's start, and UpdateRestartPolicy.
#include "container/restart.h"

#include <algorithm>
#include <chrono>

#include "berth/log.h"
#include "container/internal.h"

namespace berth {

Status ContainerService::UpdateRestartPolicy(const std::string& ref, const RestartPolicy&) {
  return Unimplemented("restart policies cannot be updated here: " + ref);
}

namespace container {

Status ValidateRestartPolicy(const RestartPolicy& policy) {
  const std::string& name = policy.name;
  if (name == "always" || name == "unless-stopped" || name == "no") {
    if (policy.maximum_retry_count != 0) {
      std::string msg = "invalid restart policy: maximum retry count can only be used with 'on-failure'";
      if (policy.maximum_retry_count < 0) msg += " and cannot be negative";
      return InvalidArgument(msg);
    }
    return OkStatus();
  }
  if (name == "on-failure") {
    if (policy.maximum_retry_count < 0) {
      return InvalidArgument("invalid restart policy: maximum retry count cannot be negative");
    }
    return OkStatus();
  }
  if (name.empty()) return OkStatus();
  return InvalidArgument("invalid restart policy: unknown policy '" + name +
                         "'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
}

bool HasRestartPolicy(const RestartPolicy& policy) { return !policy.name.empty() && policy.name != "no"; }

std::optional<int64_t> RestartBackoff::NextDelay(const RestartPolicy& policy, int exit_code, bool manually_stopped,
                                                 int64_t ran_nanos, int restart_count) {
  if (!HasRestartPolicy(policy)) return std::nullopt;
  if (ran_nanos >= kResetAfterRunNanos) delay_nanos_ = 0;
  delay_nanos_ = delay_nanos_ == 0 ? kInitialDelayNanos : std::min(delay_nanos_ * 2, kMaxDelayNanos);
  bool restart = false;
  if (policy.name == "always") {
    restart = true;
  } else if (policy.name == "unless-stopped") {
    restart = !manually_stopped;
  } else if (policy.name == "on-failure") {
    const int max = policy.maximum_retry_count;
    restart = exit_code != 0 && (max == 0 || restart_count < max);
  }
  if (!restart) return std::nullopt;
  return delay_nanos_;
}

bool RestartsAtDaemonStart(const RestartPolicy& policy, bool started_before, int exit_code, bool manually_stopped,
                           int restart_count) {
  if (!started_before) return false;
  RestartBackoff fresh;
  return fresh.NextDelay(policy, exit_code, manually_stopped, 0, restart_count).has_value();
}

bool ContainerServiceImpl::CancelRestartLocked(Ctr& c) {
  c.exit_on_next = true;
  if (c.rec.state != ContainerState::kRestarting) return false;
  c.restart_generation++;
  c.rec.state = ContainerState::kExited;
  LogIfError(Persist(c), "persist container " + c.rec.id);
  cv_.NotifyAll();
  return true;
}

void ContainerServiceImpl::ScheduleRestart(const std::string& id, uint64_t generation, int64_t delay_nanos) {
  StartTracked([this, id, generation, delay_nanos] {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(delay_nanos);
    {
      MutexLock l(&mu_);
      while (true) {
        auto it = ctrs_.find(id);
        if (it == ctrs_.end() || it->second->removed || it->second->restart_generation != generation ||
            it->second->rec.state != ContainerState::kRestarting) {
          return;  // cancelled, removed or superseded
        }
        // berthd stopping: the record stays restarting, so the next start
        // of berthd restarts it (RestartAtDaemonStart).
        if (stopping_) return;
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) break;
        cv_.WaitFor(&mu_, std::min<std::chrono::nanoseconds>(deadline - now, std::chrono::milliseconds(100)));
      }
    }
    std::string started_id;
    bool auto_remove = false;
    Status s = StartOnce(id, &started_id, &auto_remove, StartCause::kRestartPolicy, generation);
    if (s.ok()) return;
    LogIfError(s, "restart container " + id);
    MutexLock l(&mu_);
    auto it = ctrs_.find(id);
    if (it != ctrs_.end() && it->second->restart_generation == generation &&
        it->second->rec.state == ContainerState::kRestarting) {
      CancelRestartLocked(*it->second);
    }
  });
}

void ContainerServiceImpl::RestartAtDaemonStart() {
  std::vector<std::string> ids;
  {
    MutexLock l(&mu_);
    for (const auto& [id, c] : ctrs_) {
      if (c->rec.running()) continue;
      if (RestartsAtDaemonStart(c->stored.config.restart_policy, c->rec.started_unix_nanos != 0, c->rec.exit_code,
                                c->stored.manually_stopped, c->stored.restart_count)) {
        ids.push_back(id);
      }
    }
  }
  for (const auto& id : ids) {
    StartTracked([this, id] {
      std::string started_id;
      bool auto_remove = false;
      LogIfError(StartOnce(id, &started_id, &auto_remove, StartCause::kDaemonStart),
                 "restart container " + id + " at berthd's start");
    });
  }
}

Status ContainerServiceImpl::UpdateRestartPolicy(const std::string& ref, const RestartPolicy& policy) {
  BERTH_RETURN_IF_ERROR(ValidateRestartPolicy(policy));
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  MutexLock op(c->op_mu.get());
  MutexLock l(&mu_);
  if (c->removed) return NotFound("No such container: " + ref);
  if (c->stored.config.auto_remove && HasRestartPolicy(policy)) {
    return InvalidArgument("Restart policy cannot be updated because AutoRemove is enabled for the container");
  }
  return PersistStoredChange(*c, [&](StoredConfig& s) { s.config.restart_policy = policy; });
}

}  // namespace container
}  // namespace berth
