// Health checks: validation, merge, the probe state machine, and the
// monitor the service runs for each started container with a check.
#include "container/health.h"

#include <signal.h>

#include <boost/json.hpp>
#include <chrono>

#include "berth/log.h"
#include "container/internal.h"

namespace berth {

namespace json = boost::json;

std::string HealthConfigJson(const HealthConfig& h) {
  json::object o;
  json::array test;
  for (const auto& t : h.test) test.emplace_back(json::string(t));
  o["Test"] = std::move(test);
  if (h.interval_nanos) o["Interval"] = h.interval_nanos;
  if (h.timeout_nanos) o["Timeout"] = h.timeout_nanos;
  if (h.start_period_nanos) o["StartPeriod"] = h.start_period_nanos;
  if (h.start_interval_nanos) o["StartInterval"] = h.start_interval_nanos;
  if (h.retries) o["Retries"] = h.retries;
  return json::serialize(o);
}

Result<HealthConfig> ParseHealthConfig(std::string_view json_text) {
  boost::system::error_code ec;
  json::value v = json::parse(json_text, ec);
  if (ec || !v.is_object()) return InvalidArgument("invalid JSON: Healthcheck must be an object");
  HealthConfig h;
  const json::object& o = v.as_object();
  if (const json::value* t = o.if_contains("Test"); t && !t->is_null()) {
    if (!t->is_array()) return InvalidArgument("invalid JSON: Healthcheck.Test must be a list of strings");
    for (const auto& e : t->as_array()) {
      if (!e.is_string()) return InvalidArgument("invalid JSON: Healthcheck.Test must be a list of strings");
      h.test.emplace_back(e.as_string());
    }
  }
  auto number = [&o](const char* key, int64_t* out) -> Status {
    const json::value* n = o.if_contains(key);
    if (n == nullptr || n->is_null()) return OkStatus();
    if (!n->is_int64() && !n->is_uint64()) {
      return InvalidArgument(std::string("invalid JSON: Healthcheck.") + key + " must be an integer");
    }
    *out = n->to_number<int64_t>();
    return OkStatus();
  };
  BERTH_RETURN_IF_ERROR(number("Interval", &h.interval_nanos));
  BERTH_RETURN_IF_ERROR(number("Timeout", &h.timeout_nanos));
  BERTH_RETURN_IF_ERROR(number("StartPeriod", &h.start_period_nanos));
  BERTH_RETURN_IF_ERROR(number("StartInterval", &h.start_interval_nanos));
  int64_t retries = 0;
  BERTH_RETURN_IF_ERROR(number("Retries", &retries));
  h.retries = static_cast<int>(retries);
  for (const auto& [key, value] : o) {
    if (key != "Test" && key != "Interval" && key != "Timeout" && key != "StartPeriod" && key != "StartInterval" &&
        key != "Retries") {
      return InvalidArgument("berth does not support Healthcheck." + std::string(key));
    }
  }
  return h;
}

namespace container {

namespace {
constexpr int64_t kMinimumDurationNanos = 1'000'000;  // Docker's MinimumDuration, 1ms

int64_t OrDefault(int64_t value, int64_t fallback) { return value > 0 ? value : fallback; }
}  // namespace

Status ValidateHealthConfig(const HealthConfig& h) {
  const std::pair<const char*, int64_t> durations[] = {{"Interval", h.interval_nanos},
                                                       {"Timeout", h.timeout_nanos},
                                                       {"StartPeriod", h.start_period_nanos},
                                                       {"StartInterval", h.start_interval_nanos}};
  for (const auto& [name, value] : durations) {
    if (std::string_view(name) == "StartPeriod" && h.retries < 0) {
      return InvalidArgument("Retries in Healthcheck cannot be negative");
    }
    if (value != 0 && value < kMinimumDurationNanos) {
      return InvalidArgument(std::string(name) + " in Healthcheck cannot be less than 1ms");
    }
  }
  return OkStatus();
}

std::optional<HealthConfig> MergeHealthConfig(const std::optional<HealthConfig>& container,
                                              const std::optional<HealthConfig>& image) {
  if (!container) return image;
  HealthConfig h = *container;
  if (image) {
    if (h.test.empty()) h.test = image->test;
    if (h.interval_nanos == 0) h.interval_nanos = image->interval_nanos;
    if (h.timeout_nanos == 0) h.timeout_nanos = image->timeout_nanos;
    if (h.start_period_nanos == 0) h.start_period_nanos = image->start_period_nanos;
    if (h.start_interval_nanos == 0) h.start_interval_nanos = image->start_interval_nanos;
    if (h.retries == 0) h.retries = image->retries;
  }
  return h;
}

std::optional<std::vector<std::string>> ProbeCommand(const HealthConfig& h) {
  if (h.test.size() < 2) return std::nullopt;
  std::vector<std::string> rest(h.test.begin() + 1, h.test.end());
  if (h.test[0] == "CMD") return rest;
  if (h.test[0] == "CMD-SHELL") {
    rest.insert(rest.begin(), {"/bin/sh", "-c"});
    return rest;
  }
  return std::nullopt;
}

int64_t NextProbeDelay(const HealthConfig& h, const HealthState& state, int64_t since_start_nanos) {
  const int64_t interval = OrDefault(h.interval_nanos, kDefaultProbeIntervalNanos);
  if (since_start_nanos >= h.start_period_nanos) return interval;
  if (state.status == "starting") return OrDefault(h.start_interval_nanos, kDefaultStartIntervalNanos);
  return interval;
}

bool ApplyProbeResult(const HealthConfig& h, int64_t started_unix_nanos, HealthLogEntry result, HealthState* state) {
  const std::string before = state->status;
  const int retries = h.retries > 0 ? h.retries : kDefaultProbeRetries;
  const bool healthy = result.exit_code == 0;
  const int64_t probe_start = result.start_unix_nanos;
  state->log.push_back(std::move(result));
  if (state->log.size() > kMaxHealthLogEntries) {
    state->log.erase(state->log.begin(), state->log.end() - kMaxHealthLogEntries);
  }
  if (healthy) {
    state->failing_streak = 0;
    state->status = "healthy";
  } else {
    // Failures while starting, within the start period, do not count.
    const bool in_start_period = state->status == "starting" && probe_start - started_unix_nanos < h.start_period_nanos;
    if (!in_start_period) {
      state->failing_streak++;
      if (state->failing_streak >= retries) state->status = "unhealthy";
    }
  }
  return state->status != before;
}

namespace {

// Go's time.Duration text for the durations a health check takes: "30s",
// "1.5s", "500ms", "2m0s".
std::string GoDurationText(int64_t nanos) {
  if (nanos % 1'000'000'000 == 0) {
    int64_t s = nanos / 1'000'000'000;
    if (s < 60) return std::to_string(s) + "s";
    return std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
  }
  if (nanos < 1'000'000'000 && nanos % 1'000'000 == 0) return std::to_string(nanos / 1'000'000) + "ms";
  std::string text = std::to_string(static_cast<double>(nanos) / 1e9);
  while (!text.empty() && text.back() == '0') text.pop_back();
  return text + "s";
}

}  // namespace

HealthLogEntry ContainerServiceImpl::RunProbe(const std::string& id, const ExecConfig& exec, int64_t timeout_nanos) {
  HealthLogEntry entry;
  Env* env = store_->env();
  entry.start_unix_nanos = env->NowUnixNanos();
  auto finish = [&](int exit_code, std::string output) {
    entry.exit_code = exit_code;
    entry.output = std::move(output);
    entry.end_unix_nanos = env->NowUnixNanos();
    return entry;
  };
  auto exec_id = CreateExec(id, exec);
  if (!exec_id.ok()) return finish(-1, exec_id.status().message());
  // The probe's output and end, shared with the thread that runs it.
  struct Run {
    Mutex mu;
    CondVar cv;
    std::string output GUARDED_BY(mu);
    bool ended GUARDED_BY(mu) = false;
    Status status GUARDED_BY(mu);
  };
  auto run = std::make_shared<Run>();
  StartTracked([this, run, exec_id = *exec_id] {
    Status s = StartExec(
        exec_id, false,
        [run](int, std::string_view data) {
          MutexLock l(&run->mu);
          size_t room = kMaxProbeOutputBytes - std::min(kMaxProbeOutputBytes, run->output.size());
          run->output.append(data.substr(0, room));
        },
        StdinSource{});
    MutexLock l(&run->mu);
    run->status = s;
    run->ended = true;
    run->cv.NotifyAll();
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(timeout_nanos);
  bool ended;
  Status status;
  std::string output;
  {
    MutexLock l(&run->mu);
    while (!run->ended && !stopping_ && std::chrono::steady_clock::now() < deadline) {
      run->cv.WaitUntil(&run->mu,
                        std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(100)));
    }
    ended = run->ended;
    status = run->status;
    output = run->output;
  }
  if (!ended) {
    // Docker's timeout result; the probe's process is killed.
    if (auto info = InspectExec(*exec_id); info.ok() && info->running && info->pid > 0) ::kill(info->pid, SIGKILL);
    std::string msg = "Health check exceeded timeout (" + GoDurationText(timeout_nanos) + ")";
    if (!output.empty()) msg += ": " + output;
    return finish(-1, msg);
  }
  if (!status.ok()) return finish(-1, status.message());
  auto info = InspectExec(*exec_id);
  if (!info.ok() || !info->exit_code) return finish(-1, "healthcheck for container " + id + " has no exit code");
  return finish(*info->exit_code, output);
}

Ctr* ContainerServiceImpl::HealthMonitoredLocked(const std::string& id, uint64_t generation) {
  auto it = ctrs_.find(id);
  if (stopping_ || it == ctrs_.end() || it->second->removed || it->second->health_generation != generation ||
      it->second->rec.state != ContainerState::kRunning) {
    return nullptr;
  }
  return it->second.get();
}

void ContainerServiceImpl::StartHealthMonitor(const std::string& id, bool resume) {
  HealthConfig check;
  uint64_t generation;
  int64_t started;
  ExecConfig exec;
  {
    MutexLock l(&mu_);
    auto it = ctrs_.find(id);
    if (it == ctrs_.end()) return;
    Ctr& c = *it->second;
    auto proc = ImageProcessOf(c.rec.image_manifest);
    auto merged = MergeHealthConfig(c.stored.config.healthcheck, proc.ok() ? proc->healthcheck : std::nullopt);
    if (!merged) return;
    auto cmd = ProbeCommand(*merged);
    if (!cmd) return;
    check = *merged;
    exec.cmd = *cmd;
    exec.attach_stdout = exec.attach_stderr = true;
    generation = ++c.health_generation;
    started = c.rec.started_unix_nanos;
    // As Docker's initHealthMonitor, at a start and when berthd restarts
    // under the running container (resume) alike: the status starts again
    // and the streak is cleared; the stored probe log is kept.
    (void)resume;
    if (!c.health) c.health = HealthState{};
    c.health->status = "starting";
    c.health->failing_streak = 0;
  }
  StartTracked([this, id, check, generation, started, exec] {
    while (true) {
      {
        MutexLock l(&mu_);
        Ctr* c = HealthMonitoredLocked(id, generation);
        if (c == nullptr) return;
        const auto deadline =
            std::chrono::steady_clock::now() +
            std::chrono::nanoseconds(NextProbeDelay(check, *c->health, store_->env()->NowUnixNanos() - started));
        while (std::chrono::steady_clock::now() < deadline) {
          cv_.WaitUntil(&mu_, std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(200)));
          if (HealthMonitoredLocked(id, generation) == nullptr) return;
        }
      }
      HealthLogEntry result = RunProbe(id, exec, OrDefault(check.timeout_nanos, kDefaultProbeTimeoutNanos));
      MutexLock l(&mu_);
      Ctr* c = HealthMonitoredLocked(id, generation);
      if (c == nullptr) return;
      const bool changed = ApplyProbeResult(check, started, std::move(result), &*c->health);
      LogIfError(Persist(*c), "persist the health of container " + id);
      if (changed) Emit(*c, "health_status: " + c->health->status);
    }
  });
}

}  // namespace container
}  // namespace berth
