// GET /containers/{id}/stats?stream=&one-shot= (docker stats): Docker's
// StatsResponse JSON from ContainerService::Stats, one sample a second.

#include <chrono>
#include <fstream>
#include <thread>

#include <boost/json.hpp>

#include "api/router.h"
#include "berth/time.h"

namespace berth::api {

namespace json = boost::json;

namespace {

// What Docker's stats collector waits between two samples.
constexpr auto kSampleInterval = std::chrono::seconds(1);

// Bytes of memory of this host (MemTotal), 0 when unknown.
uint64_t HostMemoryBytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t kib = 0;
  while (in >> key >> kib) {
    if (key == "MemTotal:") return kib * 1024;
    in.ignore(64, '\n');
  }
  return 0;
}

json::value BlkioEntries(const std::vector<ContainerStatsSample::BlkioEntry>& entries) {
  if (entries.empty()) return nullptr;
  json::array a;
  for (const auto& e : entries) {
    a.emplace_back(json::object{{"major", e.major}, {"minor", e.minor}, {"op", e.op}, {"value", e.value}});
  }
  return a;
}

json::object CpuStats(const ContainerStatsSample& s) {
  json::object usage{
      {"total_usage", s.cpu_total_ns}, {"usage_in_kernelmode", s.cpu_kernel_ns}, {"usage_in_usermode", s.cpu_user_ns}};
  if (!s.cpu_percpu_ns.empty()) {
    json::array per;
    for (uint64_t v : s.cpu_percpu_ns) per.emplace_back(v);
    usage["percpu_usage"] = std::move(per);
  }
  json::object o{{"cpu_usage", std::move(usage)},
                 {"throttling_data", json::object{{"periods", s.throttle_periods},
                                                  {"throttled_periods", s.throttled_periods},
                                                  {"throttled_time", s.throttled_ns}}}};
  if (s.system_cpu_ns) o["system_cpu_usage"] = s.system_cpu_ns;
  if (s.online_cpus) o["online_cpus"] = s.online_cpus;
  return o;
}

// Go's zero time, as Docker shows a read that did not happen.
constexpr std::string_view kZeroTime = "0001-01-01T00:00:00Z";

json::object StatsJson(const std::string& name, const std::string& id, const ContainerStatsSample& s,
                       const ContainerStatsSample* pre) {
  json::object o;
  o["name"] = "/" + name;
  o["id"] = id;
  o["read"] = s.running ? json::value(FormatRfc3339Nanos(s.read_unix_nanos)) : json::value(kZeroTime);
  o["preread"] = pre && pre->running ? json::value(FormatRfc3339Nanos(pre->read_unix_nanos)) : json::value(kZeroTime);
  json::object pids;
  if (s.pids_current) pids["current"] = s.pids_current;
  if (s.pids_limit) pids["limit"] = s.pids_limit;
  o["pids_stats"] = std::move(pids);
  o["blkio_stats"] = json::object{{"io_service_bytes_recursive", BlkioEntries(s.io_service_bytes)},
                                  {"io_serviced_recursive", BlkioEntries(s.io_serviced)},
                                  {"io_queue_recursive", nullptr},
                                  {"io_service_time_recursive", nullptr},
                                  {"io_wait_time_recursive", nullptr},
                                  {"io_merged_recursive", nullptr},
                                  {"io_time_recursive", nullptr},
                                  {"sectors_recursive", nullptr}};
  o["num_procs"] = 0;
  o["storage_stats"] = json::object{};
  o["cpu_stats"] = CpuStats(s);
  o["precpu_stats"] = pre ? CpuStats(*pre) : CpuStats(ContainerStatsSample{});
  json::object mem;
  if (s.running) {
    if (s.memory_usage) mem["usage"] = s.memory_usage;
    if (s.memory_max_usage) mem["max_usage"] = s.memory_max_usage;
    json::object stat;
    for (const auto& [k, v] : s.memory_stat) stat[k] = v;
    if (!stat.empty()) mem["stats"] = std::move(stat);
    // No limit (or one above the host's memory): the host's memory, as Docker.
    uint64_t host = HostMemoryBytes();
    uint64_t limit = s.memory_limit == 0 || (host && s.memory_limit > host) ? host : s.memory_limit;
    if (limit) mem["limit"] = limit;
  }
  o["memory_stats"] = std::move(mem);
  if (!s.networks.empty()) {
    json::object nets;
    for (const auto& [name, n] : s.networks) {
      nets[name] =
          json::object{{"rx_bytes", n.rx_bytes},     {"rx_packets", n.rx_packets}, {"rx_errors", n.rx_errors},
                       {"rx_dropped", n.rx_dropped}, {"tx_bytes", n.tx_bytes},     {"tx_packets", n.tx_packets},
                       {"tx_errors", n.tx_errors},   {"tx_dropped", n.tx_dropped}};
    }
    o["networks"] = std::move(nets);
  }
  return o;
}

// Waits one sample interval; false when the request was cancelled meanwhile.
bool AwaitNextSample(const std::function<bool()>& cancelled) {
  auto until = std::chrono::steady_clock::now() + kSampleInterval;
  while (std::chrono::steady_clock::now() < until) {
    if (cancelled && cancelled()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return !(cancelled && cancelled());
}

Result<Response> ContainerStats(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ContainerService * cs, ctx.Containers());
  bool stream = ctx.query.BoolOr("stream", true);
  bool one_shot = ctx.query.Bool("one-shot");
  if (stream && one_shot) return InvalidArgument("cannot have stream=true and one-shot=true");
  BERTH_ASSIGN_OR_RETURN(ContainerInfo info, cs->Get(ctx.Var("id")));
  std::string id = info.record.id, name = info.record.name;
  bool running = info.record.running();
  std::function<bool()> cancelled = ctx.req->cancelled;
  Response r;
  r.SetHeader("Content-Type", "application/json");
  r.stream = [cs, id, name, stream, one_shot, running, cancelled](const WriteFn& write) -> Status {
    auto emit = [&](const ContainerStatsSample& s, const ContainerStatsSample* pre) {
      return write(json::serialize(StatsJson(name, id, s, pre)) + "\n");
    };
    if (!stream && (!running || one_shot)) {
      // Not running: Docker's empty reading; one-shot: no previous sample.
      ContainerStatsSample s;
      if (running) {
        BERTH_ASSIGN_OR_RETURN(s, cs->Stats(id));
      }
      return emit(s, nullptr);
    }
    BERTH_ASSIGN_OR_RETURN(ContainerStatsSample pre, cs->Stats(id));
    if (stream) BERTH_RETURN_IF_ERROR(emit(pre, nullptr));
    while (AwaitNextSample(cancelled)) {
      Result<ContainerStatsSample> s = cs->Stats(id);
      if (!s.ok()) return s.status().code() == Code::kNotFound ? OkStatus() : s.status();  // removed: the end
      BERTH_RETURN_IF_ERROR(emit(*s, &pre));
      if (!stream) return OkStatus();
      if (!s->running) return OkStatus();  // it stopped: Docker's stream ends
      pre = std::move(*s);
    }
    return OkStatus();
  };
  return r;
}

}  // namespace

void AddContainerStatsRoutes(Router* r) { r->Add("GET", "/containers/{id}/stats", ContainerStats); }

}  // namespace berth::api
