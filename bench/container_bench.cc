// Container lifecycle cost with real runc and berth-shim (needs root):
//   1. median (and p90) of `cycles` create + start + wait + remove cycles of
//      a busybox container running `true`;
//   2. median (and p90) of `cycles` create + start + stop + remove cycles of
//      a container running `sleep 1000`, stopped with timeout 0 (SIGTERM,
//      which PID 1 ignores, then SIGKILL at once: `docker stop -t 0`);
//   3. first start of an image with a ~20 MB layer (unpacks the layers)
//      against later starts of new containers from it (snapshots reused).
//
//   build/bin/container_bench [cycles=100] [later_starts=10]
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>

#include "bench/bench_util.h"
#include "berth/container_service.h"

using namespace berth;

namespace {

std::string ShimPath() {
  if (const char* b = std::getenv("BERTH_BINARY_DIR")) return std::string(b) + "/bin/berth-shim";
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("berth-shim") : (self.parent_path() / "berth-shim").string();
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  return v[i];
}

testing::BuiltImage MakeImage(const std::map<std::string, std::string>& files) {
  testing::FixtureImage spec;
  testing::FixturePlatform p;
  p.layers.push_back(testing::FixtureLayer{{}, true});
  if (!files.empty()) p.layers.push_back(testing::FixtureLayer{files});
  spec.platforms.push_back(p);
  auto img = testing::BuildImage(spec);
  bench::Die(img.status(), "build image");
  return *img;
}

// Create + start + wait; returns the seconds Start took. Leaves the
// container for the caller to remove.
double RunOnce(ContainerService* svc, const std::string& image, std::string* id) {
  ContainerConfig cfg;
  cfg.image = image;
  cfg.cmd = std::vector<std::string>{"true"};
  auto c = svc->Create("", cfg);
  bench::Die(c.status(), "create");
  *id = c->id;
  auto t0 = std::chrono::steady_clock::now();
  bench::Die(svc->Start(c->id), "start");
  double start = bench::Seconds(std::chrono::steady_clock::now() - t0);
  auto w = svc->Wait(c->id, "not-running", {});
  bench::Die(w.status(), "wait");
  if (*w != 0) {
    std::fprintf(stderr, "container exited with %d\n", *w);
    std::exit(1);
  }
  return start;
}

}  // namespace

int main(int argc, char** argv) {
  int cycles = argc > 1 ? std::atoi(argv[1]) : 100;
  int later = argc > 2 ? std::atoi(argv[2]) : 10;
  if (::geteuid() != 0) {
    std::fprintf(stderr, "container_bench needs root (runc)\n");
    return 1;
  }
  std::string root = bench::TempDir("container");
  auto store = Store::Open(StoreOptions{root});
  bench::Die(store.status(), "open store");
  ContainerServiceOptions opts;
  opts.runtime.runc = ::access("/usr/sbin/runc", X_OK) == 0 ? "/usr/sbin/runc" : "runc";
  opts.runtime.shim = ShimPath();
  auto svc = ContainerService::Open(store->get(), opts);
  bench::Die(svc.status(), "open container service");

  bench::Die(testing::AddToStore(store->get(), MakeImage({}), {"bench/busybox:1"}), "add busybox");
  std::string id;
  RunOnce(svc->get(), "bench/busybox:1", &id);  // warm-up (unpacks busybox)
  bench::Die((*svc)->Remove(id, false), "remove");
  std::vector<double> cycle;
  for (int i = 0; i < cycles; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    RunOnce(svc->get(), "bench/busybox:1", &id);
    bench::Die((*svc)->Remove(id, false), "remove");
    cycle.push_back(bench::Seconds(std::chrono::steady_clock::now() - t0));
  }
  std::printf("create+start+wait+remove of `true`, %d cycles: median %8.2f ms, p90 %8.2f ms\n", cycles,
              Percentile(cycle, 0.5) * 1e3, Percentile(cycle, 0.9) * 1e3);

  std::vector<double> stop_cycle;
  for (int i = 0; i < cycles; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    ContainerConfig cfg;
    cfg.image = "bench/busybox:1";
    cfg.cmd = std::vector<std::string>{"sleep", "1000"};
    auto c = (*svc)->Create("", cfg);
    bench::Die(c.status(), "create");
    bench::Die((*svc)->Start(c->id), "start");
    bench::Die((*svc)->Stop(c->id, 0), "stop");
    bench::Die((*svc)->Remove(c->id, false), "remove");
    stop_cycle.push_back(bench::Seconds(std::chrono::steady_clock::now() - t0));
  }
  std::printf("create+start+stop+remove of `sleep 1000` (stop -t 0), %d cycles: median %8.2f ms, p90 %8.2f ms\n",
              cycles, Percentile(stop_cycle, 0.5) * 1e3, Percentile(stop_cycle, 0.9) * 1e3);

  // ~20 MB of incompressible data in one layer.
  std::string big(20 << 20, '\0');
  std::mt19937_64 rng(42);
  for (size_t i = 0; i + 8 <= big.size(); i += 8) {
    uint64_t v = rng();
    std::memcpy(&big[i], &v, 8);
  }
  bench::Die(testing::AddToStore(store->get(), MakeImage({{"data/big.bin", big}}), {"bench/big:1"}), "add big");
  big.clear();
  std::vector<std::string> ids;
  double first = RunOnce(svc->get(), "bench/big:1", &id);
  ids.push_back(id);
  std::vector<double> starts;
  for (int i = 0; i < later; ++i) {
    starts.push_back(RunOnce(svc->get(), "bench/big:1", &id));
    ids.push_back(id);
  }
  std::printf("start of a 20 MB-layer image: first (unpack) %8.2f ms, later median %8.2f ms (%d starts)\n",
              first * 1e3, Percentile(starts, 0.5) * 1e3, later);
  for (const auto& c : ids) bench::Die((*svc)->Remove(c, false), "remove");
  (*svc)->Shutdown();
  svc->reset();
  store->reset();
  std::filesystem::remove_all(root);
  return 0;
}
