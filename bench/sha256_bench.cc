// Content-store ingest and SHA-256 throughput, compared with sha256sum(1).
//
// Creates one file (1 GiB; BERTH_BENCH_BYTES overrides, BERTH_BENCH_DIR picks
// the directory, default $TMPDIR or /tmp), then measures:
//   BM_Sha256sum       `sha256sum FILE`, the reference
//   BM_ContentIngest   FILE -> SequentialFile -> ContentWriter -> Commit
//                      (hash, write, fsync, rename, directory fsync)
//   BM_Sha256File      FILE -> SequentialFile -> Sha256 (read + hash)
//   BM_Sha256Memory    Sha256 over an in-memory buffer (hash alone)
// Each reports MBps (its own throughput), sha256sum_MBps and
// ratio = MBps / sha256sum_MBps. The target is ratio >= 0.9 for ingest.
// To stay fair on a machine whose load varies, every timed round is paired
// with one sha256sum run right after it (untimed), and the ratio compares
// the paired totals. The file is read from the page cache by every
// contender alike.

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "berth/content_store.h"
#include "berth/digest.h"
#include "berth/env.h"

namespace berth {
namespace {

constexpr size_t kChunk = 1 << 20;

struct BenchFile {
  std::string dir;
  std::string path;
  uint64_t bytes = 0;
  Digest digest;
};

BenchFile g_file;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "sha256_bench: %s\n", what.c_str());
  std::exit(1);
}

void Check(const Status& s, const char* what) {
  if (!s.ok()) Die(std::string(what) + ": " + s.ToString());
}

double Seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Fills the file with xorshift output: incompressible, cheap to generate.
void CreateFile() {
  const char* bytes_env = std::getenv("BERTH_BENCH_BYTES");
  g_file.bytes = bytes_env ? std::strtoull(bytes_env, nullptr, 10) : (uint64_t{1} << 30);
  if (g_file.bytes == 0) Die("BERTH_BENCH_BYTES must be > 0");
  const char* dir_env = std::getenv("BERTH_BENCH_DIR");
  const char* tmp = std::getenv("TMPDIR");
  std::string base = dir_env ? dir_env : (tmp && *tmp ? tmp : "/tmp");
  std::string tmpl = base + "/berth-sha256-bench-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) Die("mkdtemp " + tmpl + ": " + std::strerror(errno));
  g_file.dir = tmpl;
  g_file.path = g_file.dir + "/input";

  Env* env = Env::Default();
  auto f = env->NewWritableFile(g_file.path);
  Check(f.status(), "create input");
  std::string buf(kChunk, '\0');
  uint64_t x = 0x9e3779b97f4a7c15ull;
  Sha256 h;
  for (uint64_t left = g_file.bytes; left > 0;) {
    size_t n = left < kChunk ? static_cast<size_t>(left) : kChunk;
    for (size_t i = 0; i + 8 <= kChunk; i += 8) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      std::memcpy(&buf[i], &x, 8);
    }
    h.Update(buf.data(), n);
    Check((*f)->Append(std::string_view(buf.data(), n)), "write input");
    left -= n;
  }
  Check((*f)->Sync(), "sync input");  // so later fsyncs measure only their own data
  Check((*f)->Close(), "close input");
  g_file.digest = h.Finish();
}

// Runs sha256sum once; returns its wall time in seconds.
double RunSha256sum() {
  std::string cmd = "sha256sum '" + g_file.path + "'";
  auto t0 = std::chrono::steady_clock::now();
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) Die("popen sha256sum");
  char out[256] = {0};
  size_t n = std::fread(out, 1, sizeof(out) - 1, p);
  int rc = ::pclose(p);
  auto t1 = std::chrono::steady_clock::now();
  if (rc != 0 || n < 64 || std::string(out, 64) != g_file.digest.hex()) {
    Die("sha256sum failed or disagrees: " + std::string(out, n));
  }
  return Seconds(t0, t1);
}

// Records one round of `seconds` and runs the paired sha256sum.
struct Pairing {
  double own = 0;
  double ref = 0;
  void Round(benchmark::State& state, double seconds) {
    state.SetIterationTime(seconds);
    own += seconds;
    ref += RunSha256sum();
  }
  void Report(benchmark::State& state) const {
    double total = static_cast<double>(g_file.bytes) * static_cast<double>(state.iterations());
    state.counters["MBps"] = total / own / 1e6;
    state.counters["sha256sum_MBps"] = total / ref / 1e6;
    state.counters["ratio"] = ref / own;
    state.SetBytesProcessed(static_cast<int64_t>(total));
  }
};

void BM_Sha256sum(benchmark::State& state) {
  double total = 0;
  for (auto _ : state) {
    double t = RunSha256sum();
    state.SetIterationTime(t);
    total += t;
  }
  double bytes = static_cast<double>(g_file.bytes) * static_cast<double>(state.iterations());
  state.counters["MBps"] = bytes / total / 1e6;
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

void BM_ContentIngest(benchmark::State& state) {
  Env* env = Env::Default();
  std::string root = g_file.dir + "/store";
  auto store = ContentStore::Open(env, root);
  Check(store.status(), "open store");
  std::string buf(kChunk, '\0');
  Pairing pairing;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    auto in = env->NewSequentialFile(g_file.path);
    Check(in.status(), "open input");
    auto w = (*store)->NewWriter();
    Check(w.status(), "new writer");
    while (true) {
      auto n = (*in)->Read(buf.data(), buf.size());
      Check(n.status(), "read");
      if (*n == 0) break;
      Check((*w)->Write(std::string_view(buf.data(), *n)), "write");
    }
    auto d = (*w)->Commit(static_cast<int64_t>(g_file.bytes), g_file.digest);
    Check(d.status(), "commit");
    auto t1 = std::chrono::steady_clock::now();
    Check((*store)->Delete(*d), "delete");  // so the next round writes again
    pairing.Round(state, Seconds(t0, t1));
  }
  pairing.Report(state);
}

void BM_Sha256File(benchmark::State& state) {
  Env* env = Env::Default();
  std::string buf(kChunk, '\0');
  Pairing pairing;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    auto in = env->NewSequentialFile(g_file.path);
    Check(in.status(), "open input");
    Sha256 h;
    while (true) {
      auto n = (*in)->Read(buf.data(), buf.size());
      Check(n.status(), "read");
      if (*n == 0) break;
      h.Update(buf.data(), *n);
    }
    if (h.Finish() != g_file.digest) Die("Sha256File digest mismatch");
    pairing.Round(state, Seconds(t0, std::chrono::steady_clock::now()));
  }
  pairing.Report(state);
}

void BM_Sha256Memory(benchmark::State& state) {
  // Hash g_file.bytes bytes by cycling over a 64 MiB buffer (out of cache).
  const size_t kBuf = 64 << 20;
  std::string buf(kBuf, '\x5a');
  Pairing pairing;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    Sha256 h;
    for (uint64_t left = g_file.bytes; left > 0;) {
      size_t n = left < kBuf ? static_cast<size_t>(left) : kBuf;
      h.Update(buf.data(), n);
      left -= n;
    }
    benchmark::DoNotOptimize(h.Finish());
    pairing.Round(state, Seconds(t0, std::chrono::steady_clock::now()));
  }
  pairing.Report(state);
}

int Iterations() {
  // About 3 GiB of work per benchmark, between 3 and 50 rounds.
  uint64_t n = (uint64_t{3} << 30) / g_file.bytes;
  return static_cast<int>(n < 3 ? 3 : n > 50 ? 50 : n);
}

}  // namespace
}  // namespace berth

int main(int argc, char** argv) {
  using namespace berth;
  benchmark::Initialize(&argc, argv);
  CreateFile();
  RunSha256sum();  // warms the page cache and checks sha256sum agrees

  int iters = Iterations();
  for (auto* b : {benchmark::RegisterBenchmark("BM_Sha256sum", BM_Sha256sum),
                  benchmark::RegisterBenchmark("BM_ContentIngest", BM_ContentIngest),
                  benchmark::RegisterBenchmark("BM_Sha256File", BM_Sha256File),
                  benchmark::RegisterBenchmark("BM_Sha256Memory", BM_Sha256Memory)}) {
    b->Iterations(iters)->UseManualTime()->Unit(benchmark::kMillisecond);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  Check(Env::Default()->RemoveAll(g_file.dir), "cleanup");
  return 0;
}
