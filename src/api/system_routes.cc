// System routes: /_ping, /version, /info, /system/df, /events, and the
// container list (empty until containers exist).

#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "api/container_sizes.h"
#include "api/build_cache.h"
#include "api/query.h"
#include "api/render.h"
#include "api/router.h"
#include "berth/events.h"
#include "berth/io.h"
#include "berth/time.h"

namespace berth::api {

namespace json = boost::json;

namespace {

struct HostInfo {
  std::string kernel;   // uname -r
  std::string machine;  // uname -m
  std::string hostname;
  std::string os_name;  // PRETTY_NAME
  std::string os_version;
  int ncpu = 1;
  int64_t mem_total = 0;
};

std::string Unquote(std::string v) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    v = v.substr(1, v.size() - 2);
  }
  return v;
}

HostInfo ReadHostInfo() {
  HostInfo h;
  struct utsname u;
  if (uname(&u) == 0) {
    h.kernel = u.release;
    h.machine = u.machine;
    h.hostname = u.nodename;
  }
  char host[256];
  if (gethostname(host, sizeof(host)) == 0) {
    host[sizeof(host) - 1] = '\0';
    h.hostname = host;
  }
  std::ifstream in("/etc/os-release");
  std::string line;
  while (std::getline(in, line)) {
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string k = line.substr(0, eq);
    std::string v = Unquote(line.substr(eq + 1));
    if (k == "PRETTY_NAME") h.os_name = v;
    if (k == "VERSION_ID") h.os_version = v;
  }
  if (h.os_name.empty()) h.os_name = "Linux";
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  h.ncpu = n > 0 ? static_cast<int>(n) : 1;
  struct sysinfo si;
  if (sysinfo(&si) == 0) h.mem_total = static_cast<int64_t>(si.totalram) * si.mem_unit;
  return h;
}

// When this file was compiled, as Docker's BuildTime ("2025-05-30T12:07:14.000000000+00:00").
std::string BuildTime() {
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::string date = __DATE__;  // "Nov 29 2026"
  std::string time = __TIME__;  // "08:27:26"
  int month = 1;
  for (int i = 0; i < 12; i++) {
    if (date.compare(0, 3, kMonths[i]) == 0) month = i + 1;
  }
  int day = std::atoi(date.c_str() + 4);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s-%02d-%02dT%s.000000000+00:00", date.substr(7).c_str(), month, day,
                time.c_str());
  return buf;
}

std::string GoArch() {
  Platform p = HostPlatform();
  return p.architecture.empty() ? "amd64" : p.architecture;
}

// GET|HEAD /_ping
Result<Response> Ping(RouteContext& ctx) {
  Response r;
  r.SetHeader("Cache-Control", "no-cache, no-store, must-revalidate");
  r.SetHeader("Pragma", "no-cache");
  r.SetHeader("Swarm", "inactive");
  r.SetHeader("Content-Type", "text/plain; charset=utf-8");
  // HEAD: headers only (Content-Length 0); a body confuses the docker CLI.
  if (ctx.req->method != "HEAD") r.body = "OK";
  return r;
}

// GET /version
Result<Response> Version(RouteContext& ctx) {
  HostInfo h = ReadHostInfo();
  std::string go_version = "none (berth is C++20, g++ " __VERSION__ ")";
  json::object details;
  details["ApiVersion"] = kApiVersion;
  details["Arch"] = GoArch();
  details["Experimental"] = "false";
  details["GitCommit"] = "berth";
  details["GoVersion"] = go_version;
  details["KernelVersion"] = h.kernel;
  details["MinAPIVersion"] = kMinApiVersion;
  details["Os"] = "linux";
  details["BuildTime"] = BuildTime();
  json::array components;
  components.emplace_back(json::object{{"Name", "Engine"}, {"Version", kEngineVersion}, {"Details", details}});
  components.emplace_back(json::object{{"Name", "berth"}, {"Version", kBerthVersion}});
  json::object o;
  o["Platform"] = json::object{{"Name", "berth " + std::string(kBerthVersion)}};
  o["Components"] = std::move(components);
  o["Version"] = kEngineVersion;
  o["ApiVersion"] = kApiVersion;
  o["MinAPIVersion"] = kMinApiVersion;
  o["GitCommit"] = "berth";
  o["GoVersion"] = go_version;
  o["Os"] = "linux";
  o["Arch"] = GoArch();
  o["KernelVersion"] = h.kernel;
  o["BuildTime"] = BuildTime();
  return JsonResponse(200, json::serialize(o));
}

Result<std::vector<ContainerRecord>> AllContainers(Store* store) {
  if (store == nullptr || store->images() == nullptr) return std::vector<ContainerRecord>{};
  return store->images()->Containers();
}

// GET /info
Result<Response> Info(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ImageService * images, ctx.Images());
  HostInfo h = ReadHostInfo();
  ListOptions lo;
  lo.all = true;
  BERTH_ASSIGN_OR_RETURN(std::vector<ImageSummary> list, images->List(lo));
  BERTH_ASSIGN_OR_RETURN(std::vector<ContainerRecord> containers, AllContainers(ctx.store));
  if (ctx.opts->containers != nullptr) {
    // The service's view is the live one (records it has reconciled).
    ContainerListOptions lo_all;
    lo_all.all = true;
    BERTH_ASSIGN_OR_RETURN(std::vector<ContainerInfo> live, ctx.opts->containers->List(lo_all));
    containers.clear();
    for (auto& c : live) containers.push_back(std::move(c.record));
  }
  int64_t running = 0, paused = 0, stopped = 0;
  for (const auto& c : containers) {
    if (c.state == ContainerState::kPaused) {
      paused++;
    } else if (c.running()) {
      running++;
    } else {
      stopped++;
    }
  }
  json::object o;
  o["ID"] = ctx.opts->daemon_id;
  o["Containers"] = static_cast<int64_t>(containers.size());
  o["ContainersRunning"] = running;
  o["ContainersPaused"] = paused;
  o["ContainersStopped"] = stopped;
  o["Images"] = static_cast<int64_t>(list.size());
  o["Driver"] = "overlayfs";
  o["DriverStatus"] = json::array{json::array{"driver-type", "io.containerd.snapshotter.v1"}};
  o["Plugins"] = json::object{{"Volume", json::array{}},
                              {"Network", json::array{}},
                              {"Authorization", nullptr},
                              {"Log", json::array{}}};
  o["MemoryLimit"] = true;
  o["SwapLimit"] = true;
  o["CpuCfsPeriod"] = true;
  o["CpuCfsQuota"] = true;
  o["CPUShares"] = true;
  o["CPUSet"] = true;
  o["PidsLimit"] = true;
  o["IPv4Forwarding"] = true;
  o["Debug"] = ctx.opts->debug;
  o["NFd"] = 0;
  o["OomKillDisable"] = false;
  o["NGoroutines"] = 0;
  o["SystemTime"] = FormatRfc3339Nanos(WallClockNanos());
  o["LoggingDriver"] = "";
  o["CgroupDriver"] = "systemd";
  o["CgroupVersion"] = "2";
  o["NEventsListener"] = 0;
  o["KernelVersion"] = h.kernel;
  o["OperatingSystem"] = h.os_name;
  o["OSVersion"] = h.os_version;
  o["OSType"] = "linux";
  o["Architecture"] = h.machine;
  o["IndexServerAddress"] = "https://index.docker.io/v1/";
  o["RegistryConfig"] = json::object{{"InsecureRegistryCIDRs", json::array{"::1/128", "127.0.0.0/8"}},
                                     {"IndexConfigs", json::object{}},
                                     {"Mirrors", json::array{}}};
  o["NCPU"] = h.ncpu;
  o["MemTotal"] = h.mem_total;
  o["GenericResources"] = nullptr;
  o["DockerRootDir"] = ctx.opts->data_root;
  o["HttpProxy"] = "";
  o["HttpsProxy"] = "";
  o["NoProxy"] = "";
  o["Name"] = h.hostname;
  o["Labels"] = json::array{};
  o["ExperimentalBuild"] = false;
  o["ServerVersion"] = kEngineVersion;
  o["Runtimes"] = json::object{};
  o["DefaultRuntime"] = "runc";
  o["Swarm"] = json::object{{"NodeID", ""},
                            {"NodeAddr", ""},
                            {"LocalNodeState", "inactive"},
                            {"ControlAvailable", false},
                            {"Error", ""},
                            {"RemoteManagers", nullptr}};
  o["LiveRestoreEnabled"] = false;
  o["Isolation"] = "";
  o["InitBinary"] = "";
  o["ContainerdCommit"] = json::object{{"ID", ""}};
  o["RuncCommit"] = json::object{{"ID", ""}};
  o["InitCommit"] = json::object{{"ID", ""}};
  // Containers get Docker's default seccomp profile unless told otherwise.
  o["SecurityOptions"] = json::array{"name=seccomp,profile=builtin"};
  o["CDISpecDirs"] = json::array{};
  o["Containerd"] = nullptr;
  o["Warnings"] = nullptr;
  return JsonResponse(200, json::serialize(o));
}

// GET /system/df
Result<Response> DiskUsage(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ImageService * images, ctx.Images());
  std::set<std::string> types;
  for (const auto& t : ctx.query.GetAll("type")) {
    if (t != "container" && t != "image" && t != "volume" && t != "build-cache") {
      return InvalidArgument("unknown object type: " + t);
    }
    types.insert(t);
  }
  auto want = [&](const char* t) { return types.empty() || types.count(t) > 0; };
  json::object o;
  std::vector<ImageSummary> list;
  if (want("image") || want("build-cache")) {
    ListOptions lo;
    lo.all = true;
    lo.shared_size = true;
    lo.container_count = true;
    BERTH_ASSIGN_OR_RETURN(list, images->List(lo));
  }
  if (want("image")) {
    BERTH_ASSIGN_OR_RETURN(int64_t layers, images->StoredBytes());
    json::array arr;
    for (const auto& s : list) arr.emplace_back(ImageSummaryValue(s, ctx.version, false));
    o["LayersSize"] = layers;
    o["Images"] = std::move(arr);
  } else {
    o["Images"] = nullptr;
  }
  if (ContainerService* cs = ctx.opts ? ctx.opts->containers : nullptr; cs && want("container")) {
    ContainerListOptions all;
    all.all = true;
    BERTH_ASSIGN_OR_RETURN(json::array containers, ContainerSummaries(ctx, cs, all, /*sizes=*/true));
    o["Containers"] = std::move(containers);
  } else {
    o["Containers"] = want("container") ? json::value(json::array{}) : json::value(nullptr);
  }
  if (want("volume")) {
    json::array volumes;
    if (ContainerService* cs = ctx.opts ? ctx.opts->containers : nullptr; cs && cs->volumes()) {
      BERTH_ASSIGN_OR_RETURN(std::vector<VolumeInfo> all, cs->volumes()->List({}));
      for (const auto& v : all) volumes.emplace_back(VolumeValue(v, cs->volumes()));
    }
    o["Volumes"] = std::move(volumes);
  } else {
    o["Volumes"] = nullptr;
  }
  if (want("build-cache")) {
    BERTH_ASSIGN_OR_RETURN(std::vector<ImageRecord> records, images->Records());
    o["BuildCache"] = BuildCacheValue(BuildCacheItems(records, list));
  } else {
    o["BuildCache"] = nullptr;
  }
  return JsonResponse(200, json::serialize(o));
}

// GET /events: replay (when since or until is given), then live events until
// `until` passes, the client leaves or falls behind by more than the bus's
// subscriber queue (the stream is then cut). Headers go out at once.
Result<Response> Events(RouteContext& ctx) {
  if (ctx.store == nullptr || ctx.store->events() == nullptr) return Internal("no event bus attached");
  int64_t now = WallClockNanos();
  std::string since_s = ctx.query.Get("since");
  std::string until_s = ctx.query.Get("until");
  std::optional<int64_t> since, until;
  if (!since_s.empty()) {
    BERTH_ASSIGN_OR_RETURN(since, ParseTimeValue(since_s, now));
  }
  if (!until_s.empty()) {
    BERTH_ASSIGN_OR_RETURN(until, ParseTimeValue(until_s, now));
  }
  if (since && until && *until < *since) {
    return InvalidArgument("`since` time (" + since_s + ") cannot be after `until` time (" + until_s + ")");
  }
  BERTH_ASSIGN_OR_RETURN(Filters f, Filters::FromJson(ctx.query.Get("filters")));
  auto filters = f.ToMap();
  EventBus* bus = ctx.store->events();
  // The producer may outlive `ctx` (it runs after Handle returns): copy what
  // it needs.
  std::function<bool()> cancelled = ctx.req->cancelled;
  Response r;
  r.SetHeader("Content-Type", "application/json");
  r.stream = [bus, cancelled, since, until, filters](const WriteFn& write) -> Status {
    std::unique_ptr<EventBus::Subscription> sub = bus->Subscribe();
    BERTH_RETURN_IF_ERROR(write(""));  // headers now: `docker events` waits for them
    int64_t last_replayed = INT64_MIN;
    if (since || until) {
      int64_t until_bound = until ? *until + 1 : 0;  // until is inclusive, Replay's bound is not
      for (const Event& e : bus->Replay(since.value_or(0), until_bound)) {
        last_replayed = std::max(last_replayed, e.time_unix_nanos);
        if (!EventMatches(e, filters)) continue;
        BERTH_RETURN_IF_ERROR(write(EventToJson(e) + "\n"));
      }
    }
    while (!(cancelled && cancelled())) {
      int64_t now = WallClockNanos();
      if (until && now > *until) break;
      int wait_ms = 250;
      if (until) wait_ms = static_cast<int>(std::clamp<int64_t>((*until - now) / 1000000 + 1, 1, 250));
      Event e;
      auto started = std::chrono::steady_clock::now();
      if (!sub->Next(&e, wait_ms)) {
        if (sub->overflowed()) {
          // The client fell more than a queue's worth of events behind: the
          // stream is cut (no last chunk), so the client sees it broken.
          return Unavailable("the events subscriber fell behind and was dropped");
        }
        // A closed bus returns at once: do not spin.
        auto spent = std::chrono::steady_clock::now() - started;
        if (spent < std::chrono::milliseconds(wait_ms / 2)) {
          std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms) - spent);
        }
        continue;
      }
      if (e.time_unix_nanos <= last_replayed) continue;  // already sent by the replay
      if (until && e.time_unix_nanos > *until) break;
      if (!EventMatches(e, filters)) continue;
      BERTH_RETURN_IF_ERROR(write(EventToJson(e) + "\n"));
    }
    return OkStatus();
  };
  return r;
}

}  // namespace

void AddSystemRoutes(Router* r) {
  r->Add("GET", "/_ping", Ping);
  r->Add("HEAD", "/_ping", Ping);
  r->Add("GET", "/version", Version);
  r->Add("GET", "/info", Info);
  r->Add("GET", "/system/df", DiskUsage);
  r->Add("GET", "/events", Events);
}

}  // namespace berth::api
