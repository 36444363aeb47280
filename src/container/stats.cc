// docker stats: one reading of a running container's cgroup, v1 (one
// hierarchy per controller) or v2 (unified), in Docker's units (as moby's
// daemon/stats_unix.go reads them through containerd's cgroup metrics).
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "container/internal.h"

namespace berth {

Result<ContainerStatsSample> ContainerService::Stats(const std::string&) {
  return Unimplemented("docker stats is not supported by this container service");
}

namespace container {

namespace {

constexpr uint64_t kNanosPerTick = 1'000'000'000 / 100;  // USER_HZ is 100 on Linux

// The file's text, or "" when it cannot be read (a cgroup file this kernel
// lacks, a process gone).
std::string ReadAll(const std::string& path) { return Env::Default()->ReadFileToString(path).value_or(""); }

// A file holding one number ("max" and absent files read as 0).
uint64_t ReadNumber(const std::string& path) {
  std::ifstream in(path);
  uint64_t v = 0;
  in >> v;
  return in ? v : 0;
}

// "key value" lines.
std::map<std::string, uint64_t> ReadKeyValues(const std::string& path) {
  std::map<std::string, uint64_t> out;
  std::ifstream in(path);
  std::string key;
  uint64_t v;
  while (in >> key >> v) out[key] = v;
  return out;
}

// The host's CPU time (all CPUs, every state) from /proc/stat, in ns.
uint64_t SystemCpuNanos() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  in >> cpu;
  if (cpu != "cpu") return 0;
  uint64_t total = 0, v;
  for (int i = 0; i < 8 && in >> v; ++i) total += v;  // user..steal (guest is inside user)
  return total * kNanosPerTick;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// cgroup v1 blkio.throttle.* lines: "8:0 Read 1234" (a "Total" line skipped).
std::vector<ContainerStatsSample::BlkioEntry> ReadBlkioV1(const std::string& path) {
  std::vector<ContainerStatsSample::BlkioEntry> out;
  std::istringstream in(ReadAll(path));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string dev, op;
    uint64_t v = 0;
    if (!(f >> dev >> op >> v)) continue;
    size_t colon = dev.find(':');
    if (colon == std::string::npos) continue;
    ContainerStatsSample::BlkioEntry e;
    e.major = static_cast<uint32_t>(std::stoul(dev.substr(0, colon)));
    e.minor = static_cast<uint32_t>(std::stoul(dev.substr(colon + 1)));
    e.op = Lower(op);
    e.value = v;
    out.push_back(std::move(e));
  }
  return out;
}

// cgroup v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ...", as Docker
// reports it (read/write entries of bytes and of operations).
void ReadIoStatV2(const std::string& path, ContainerStatsSample* s) {
  std::istringstream in(ReadAll(path));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string dev, kv;
    if (!(f >> dev)) continue;
    size_t colon = dev.find(':');
    if (colon == std::string::npos) continue;
    uint32_t major = static_cast<uint32_t>(std::stoul(dev.substr(0, colon)));
    uint32_t minor = static_cast<uint32_t>(std::stoul(dev.substr(colon + 1)));
    while (f >> kv) {
      size_t eq = kv.find('=');
      if (eq == std::string::npos) continue;
      std::string key = kv.substr(0, eq);
      uint64_t v = std::stoull(kv.substr(eq + 1));
      if (key == "rbytes") s->io_service_bytes.push_back({major, minor, "read", v});
      if (key == "wbytes") s->io_service_bytes.push_back({major, minor, "write", v});
      if (key == "rios") s->io_serviced.push_back({major, minor, "read", v});
      if (key == "wios") s->io_serviced.push_back({major, minor, "write", v});
    }
  }
}

}  // namespace

std::map<std::string, ContainerStatsSample::NetworkEntry> ParseNetDev(std::string_view text) {
  std::map<std::string, ContainerStatsSample::NetworkEntry> out;
  std::istringstream lines{std::string(text)};
  for (std::string line; std::getline(lines, line);) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;  // the headings
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    name.erase(name.find_last_not_of(' ') + 1);
    if (name.empty() || name == "lo" || name.find('|') != std::string::npos) continue;
    std::istringstream fields(line.substr(colon + 1));
    uint64_t v[16];
    int n = 0;
    while (n < 16 && fields >> v[n]) ++n;
    if (n != 16) continue;
    // Receive: bytes packets errs drop fifo frame compressed multicast;
    // transmit: bytes packets errs drop fifo colls carrier compressed.
    out[name] = ContainerStatsSample::NetworkEntry{v[0], v[1], v[2], v[3], v[8], v[9], v[10], v[11]};
  }
  return out;
}

Result<ContainerStatsSample> ContainerServiceImpl::Stats(const std::string& ref) {
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  ContainerStatsSample s;
  s.read_unix_nanos = store_->env()->NowUnixNanos();
  int pid;
  bool own_network;  // not the host's, not another container's
  {
    MutexLock l(&mu_);
    if (!c->rec.running() || c->rec.pid <= 0) return s;
    pid = c->rec.pid;
    const std::string& mode = c->stored.config.network_mode;
    own_network = mode != "host" && !mode.starts_with("container:");
  }
  Result<std::map<std::string, std::string>> dirs = CgroupDirsOf(pid);
  if (!dirs.ok()) return s;  // ended meanwhile
  s.running = true;
  s.system_cpu_ns = SystemCpuNanos();
  long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  s.online_cpus = cpus > 0 ? static_cast<uint32_t>(cpus) : 1;
  auto dir = [&](const std::string& controller) { return dirs->contains(controller) ? dirs->at(controller) : ""; };
  if (!dir("memory").empty()) {
    const std::string mem = dir("memory"), cpuacct = dir("cpuacct"), cpu = dir("cpu");
    s.memory_usage = ReadNumber(mem + "/memory.usage_in_bytes");
    s.memory_max_usage = ReadNumber(mem + "/memory.max_usage_in_bytes");
    s.memory_limit = ReadNumber(mem + "/memory.limit_in_bytes");
    s.memory_stat = ReadKeyValues(mem + "/memory.stat");
    s.cpu_total_ns = ReadNumber(cpuacct + "/cpuacct.usage");
    std::istringstream percpu(ReadAll(cpuacct + "/cpuacct.usage_percpu"));
    for (uint64_t v; percpu >> v;) s.cpu_percpu_ns.push_back(v);
    auto ticks = ReadKeyValues(cpuacct + "/cpuacct.stat");
    s.cpu_user_ns = ticks["user"] * kNanosPerTick;
    s.cpu_kernel_ns = ticks["system"] * kNanosPerTick;
    auto throttling = ReadKeyValues(cpu + "/cpu.stat");
    s.throttle_periods = throttling["nr_periods"];
    s.throttled_periods = throttling["nr_throttled"];
    s.throttled_ns = throttling["throttled_time"];
    s.pids_current = ReadNumber(dir("pids") + "/pids.current");
    s.pids_limit = ReadNumber(dir("pids") + "/pids.max");
    s.io_service_bytes = ReadBlkioV1(dir("blkio") + "/blkio.throttle.io_service_bytes_recursive");
    s.io_serviced = ReadBlkioV1(dir("blkio") + "/blkio.throttle.io_serviced_recursive");
  } else if (!dir("").empty()) {
    const std::string unified = dir("");
    s.cgroup_v2 = true;
    s.memory_usage = ReadNumber(unified + "/memory.current");
    s.memory_limit = ReadNumber(unified + "/memory.max");
    s.memory_stat = ReadKeyValues(unified + "/memory.stat");
    auto cpu = ReadKeyValues(unified + "/cpu.stat");
    s.cpu_total_ns = cpu["usage_usec"] * 1000;
    s.cpu_user_ns = cpu["user_usec"] * 1000;
    s.cpu_kernel_ns = cpu["system_usec"] * 1000;
    s.throttle_periods = cpu["nr_periods"];
    s.throttled_periods = cpu["nr_throttled"];
    s.throttled_ns = cpu["throttled_usec"] * 1000;
    s.pids_current = ReadNumber(unified + "/pids.current");
    s.pids_limit = ReadNumber(unified + "/pids.max");
    ReadIoStatV2(unified + "/io.stat", &s);
  }
  // The process's view of /proc/net is its network namespace's.
  if (own_network) s.networks = ParseNetDev(ReadAll("/proc/" + std::to_string(pid) + "/net/dev"));
  return s;
}

}  // namespace container
}  // namespace berth
