// Removal cost against store size: removes images from a store of 100 and
// from one of 10,000 (2 platforms, 3 layers each, a shared base layer) and
// reports the mean time per removal, and the ratio (target: at most 1.5).
//
//   build/bin/remove_bench [small=100] [large=10000] [removals=50]
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "bench/bench_util.h"

using namespace berth;

static double MeasureRemovals(int store_size, int removals, double* platform_per_op) {
  std::string root = bench::TempDir("remove" + std::to_string(store_size));
  bench::Populate(root, store_size);
  auto store = Store::Open(StoreOptions{root});
  bench::Die(store.status(), "open");
  ImageService* images = (*store)->images();
  // Warm the caches the way a running daemon has them.
  bench::Die(images->List({}).status(), "list");
  int step = store_size / removals;
  auto start = std::chrono::steady_clock::now();
  for (int k = 0; k < removals; ++k) {
    auto r = images->Remove("bench/img" + std::to_string(k * step), {});
    bench::Die(r.status(), "remove");
  }
  double per_op = bench::Seconds(std::chrono::steady_clock::now() - start) / removals;
  // Platform removal from other images.
  start = std::chrono::steady_clock::now();
  for (int k = 0; k < removals; ++k) {
    RemoveOptions opts;
    opts.platforms = {Platform{"linux", "arm64", "", "", {}}};
    auto r = images->Remove("bench/img" + std::to_string(k * step + 1), opts);
    bench::Die(r.status(), "remove platform");
  }
  *platform_per_op = bench::Seconds(std::chrono::steady_clock::now() - start) / removals;
  store->reset();
  std::filesystem::remove_all(root);
  return per_op;
}

int main(int argc, char** argv) {
  int small = argc > 1 ? std::atoi(argv[1]) : 100;
  int large = argc > 2 ? std::atoi(argv[2]) : 10000;
  int removals = argc > 3 ? std::atoi(argv[3]) : 50;
  double small_platform = 0, large_platform = 0;
  double small_op = MeasureRemovals(small, removals, &small_platform);
  double large_op = MeasureRemovals(large, removals, &large_platform);
  std::printf("image removal, store of %6d images: %8.3f ms per removal\n", small, small_op * 1e3);
  std::printf("image removal, store of %6d images: %8.3f ms per removal\n", large, large_op * 1e3);
  std::printf("growth %d -> %d images: %.2fx (target <= 1.5x)\n", small, large, large_op / small_op);
  std::printf("platform removal, store of %6d images: %8.3f ms per removal\n", small, small_platform * 1e3);
  std::printf("platform removal, store of %6d images: %8.3f ms per removal\n", large, large_platform * 1e3);
  std::printf("platform growth: %.2fx\n", large_platform / small_platform);
  return 0;
}
