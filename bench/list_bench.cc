// Listing a store of 10,000 images in process (docker images), cold (first
// listing after open) and warm (the daemon's steady state). Target: warm
// listing under 50 ms.
//
//   build/bin/list_bench [images=10000] [rounds=20]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "bench/bench_util.h"

using namespace berth;

int main(int argc, char** argv) {
  int count = argc > 1 ? std::atoi(argv[1]) : 10000;
  int rounds = argc > 2 ? std::atoi(argv[2]) : 20;
  std::string root = bench::TempDir("list");
  auto t0 = std::chrono::steady_clock::now();
  bench::Populate(root, count);
  double populate = bench::Seconds(std::chrono::steady_clock::now() - t0);
  auto store = Store::Open(StoreOptions{root});
  bench::Die(store.status(), "open");
  auto start = std::chrono::steady_clock::now();
  auto cold = (*store)->images()->List({});
  bench::Die(cold.status(), "list");
  double cold_s = bench::Seconds(std::chrono::steady_clock::now() - start);
  std::vector<double> warm;
  for (int i = 0; i < rounds; ++i) {
    start = std::chrono::steady_clock::now();
    auto r = (*store)->images()->List({});
    bench::Die(r.status(), "list");
    if (static_cast<int>(r->size()) != count) {
      std::fprintf(stderr, "listed %zu images, expected %d\n", r->size(), count);
      return 1;
    }
    warm.push_back(bench::Seconds(std::chrono::steady_clock::now() - start));
  }
  std::sort(warm.begin(), warm.end());
  std::printf("populated %d images in %.1f s\n", count, populate);
  std::printf("list %d images: cold %.1f ms, warm median %.1f ms, warm min %.1f ms (target < 50 ms)\n", count,
              cold_s * 1e3, warm[warm.size() / 2] * 1e3, warm.front() * 1e3);
  store->reset();
  std::filesystem::remove_all(root);
  return 0;
}
