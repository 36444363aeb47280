// A small stand-in for libFuzzer's main, so that the fuzz targets run in the
// normal (gcc) build as regression tests without a second, instrumented
// build of the library:
//
//   <name>_fuzz [-mutations=N] [-seed=S] [-max_len=L] FILE_OR_DIR...
//
// Runs LLVMFuzzerTestOneInput once on every file given (directories: every
// regular file in them, sorted by name), then N times on inputs made by
// mutating those files at random (byte flips, insertions, deletions,
// duplicated runs, splices of two inputs, "interesting" bytes), from a fixed
// seed so a failure reproduces. A target that finds a broken invariant
// aborts (see fuzz_util.h), which fails the test. When the process dies of
// a signal (abort, segfault, ...), a signal handler writes the input that
// was running to ./standalone-crash-input (in the working directory).
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

namespace fs = std::filesystem;

constexpr const char* kCrashInput = "standalone-crash-input";

// The input being run, for the signal handler.
const uint8_t* volatile g_current = nullptr;
volatile size_t g_current_size = 0;

void SaveInputAndDie(int sig) {
  int fd = ::open(kCrashInput, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) {
    size_t done = 0;
    while (done < g_current_size) {
      ssize_t n = ::write(fd, g_current + done, g_current_size - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    ::close(fd);
    static const char kMsg[] = "standalone driver: input written to standalone-crash-input\n";
    (void)!::write(2, kMsg, sizeof(kMsg) - 1);
  }
  ::raise(sig);  // the handler was reset (SA_RESETHAND): dies as it would have
}

void InstallCrashHandler() {
  struct sigaction sa = {};
  sa.sa_handler = SaveInputAndDie;
  sa.sa_flags = SA_RESETHAND | SA_NODEFER;
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) ::sigaction(sig, &sa, nullptr);
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void Run(const std::string& input) {
  // A copy in its own allocation, so ASan (when present) sees overreads.
  std::vector<uint8_t> copy(input.begin(), input.end());
  g_current = copy.data();
  g_current_size = copy.size();
  LLVMFuzzerTestOneInput(copy.empty() ? nullptr : copy.data(), copy.size());
  g_current_size = 0;
}

class Mutator {
 public:
  Mutator(uint64_t seed, size_t max_len) : rng_(seed), max_len_(max_len) {}

  std::string Mutate(const std::vector<std::string>& corpus) {
    std::string s = corpus.empty() ? std::string() : corpus[Below(corpus.size())];
    int rounds = 1 + static_cast<int>(Below(4));
    for (int i = 0; i < rounds; ++i) Once(&s, corpus);
    if (s.size() > max_len_) s.resize(max_len_);
    return s;
  }

 private:
  size_t Below(size_t n) { return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  char RandomByte() {
    static constexpr char kInteresting[] = {'\0', '\xff', '\x7f', '\x80', '/', ':',  '@', '"', '{',  '}',
                                            '[',  ']',    ',',    '%',    '.', '\\', '*', '?', '\n', '0'};
    if (Below(2) == 0) return kInteresting[Below(sizeof(kInteresting))];
    return static_cast<char>(Below(256));
  }

  void Once(std::string* s, const std::vector<std::string>& corpus) {
    switch (Below(6)) {
      case 0:  // flip one bit
        if (!s->empty()) (*s)[Below(s->size())] ^= static_cast<char>(1u << Below(8));
        break;
      case 1:  // replace a byte
        if (!s->empty()) (*s)[Below(s->size())] = RandomByte();
        break;
      case 2:  // insert bytes
        s->insert(Below(s->size() + 1), std::string(1 + Below(4), RandomByte()));
        break;
      case 3:  // erase a run
        if (!s->empty()) {
          size_t at = Below(s->size());
          s->erase(at, 1 + Below(std::min<size_t>(16, s->size() - at)));
        }
        break;
      case 4:  // duplicate a run
        if (!s->empty()) {
          size_t at = Below(s->size());
          std::string run = s->substr(at, 1 + Below(32));
          s->insert(Below(s->size() + 1), run);
        }
        break;
      default:  // splice with another input
        if (!corpus.empty()) {
          const std::string& other = corpus[Below(corpus.size())];
          size_t cut = Below(s->size() + 1);
          size_t from = Below(other.size() + 1);
          *s = s->substr(0, cut) + other.substr(from);
        }
        break;
    }
  }

  std::mt19937_64 rng_;
  size_t max_len_;
};

bool Flag(const char* arg, const char* name, uint64_t* value) {
  size_t n = std::strlen(name);
  if (std::strncmp(arg, name, n) != 0 || arg[n] != '=') return false;
  *value = std::strtoull(arg + n + 1, nullptr, 10);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  InstallCrashHandler();
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  uint64_t mutations = 0, seed = 1, max_len = 64 * 1024;
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    if (Flag(a, "-mutations", &mutations) || Flag(a, "-seed", &seed) || Flag(a, "-max_len", &max_len)) continue;
    if (a[0] == '-') {
      std::cerr << "unknown flag " << a << "\n";
      return 2;
    }
    fs::path p(a);
    if (fs::is_directory(p)) {
      std::vector<fs::path> in_dir;
      for (const auto& e : fs::directory_iterator(p)) {
        if (e.is_regular_file()) in_dir.push_back(e.path());
      }
      std::sort(in_dir.begin(), in_dir.end());
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    } else if (fs::is_regular_file(p)) {
      files.push_back(p);
    } else {
      std::cerr << "no such file or directory: " << a << "\n";
      return 2;
    }
  }
  std::vector<std::string> corpus;
  for (const fs::path& p : files) {
    corpus.push_back(ReadFile(p));
    Run(corpus.back());
  }
  Mutator mutator(seed, max_len);
  for (uint64_t i = 0; i < mutations; ++i) {
    Run(mutator.Mutate(corpus));
  }
  std::cout << "ran " << corpus.size() << " corpus inputs and " << mutations << " mutations (seed " << seed << ")\n";
  return 0;
}
