// Helpers for benchmarks: fast population of large stores.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "berth/env.h"
#include "berth/image_service.h"
#include "berth/platform.h"
#include "image/store_internals.h"
#include "testing/fixture.h"

namespace berth::bench {

// An Env whose fsyncs do nothing: for populating a store quickly before the
// measured part runs on a normal (durable) store.
class NoSyncEnv : public Env {
 public:
  class File : public WritableFile {
   public:
    explicit File(std::unique_ptr<WritableFile> f) : f_(std::move(f)) {}
    Status Append(std::string_view d) override { return f_->Append(d); }
    Status Sync() override { return OkStatus(); }
    Status Close() override { return f_->Close(); }

   private:
    std::unique_ptr<WritableFile> f_;
  };
  Env* b = Env::Default();
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& p) override {
    BERTH_ASSIGN_OR_RETURN(auto f, b->NewWritableFile(p));
    return std::unique_ptr<WritableFile>(new File(std::move(f)));
  }
  Result<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& p) override {
    return b->NewSequentialFile(p);
  }
  Result<std::string> ReadFileToString(const std::string& p) override { return b->ReadFileToString(p); }
  Result<std::string> ReadFileInRoot(const std::string& root, const std::string& p, uint64_t max) override {
    return b->ReadFileInRoot(root, p, max);
  }
  Status Chmod(const std::string& p, uint32_t mode) override { return b->Chmod(p, mode); }
  Result<FileInfo> Stat(const std::string& p) override { return b->Stat(p); }
  bool FileExists(const std::string& p) override { return b->FileExists(p); }
  Status RenameFile(const std::string& f, const std::string& t) override { return b->RenameFile(f, t); }
  Status RemoveFile(const std::string& p) override { return b->RemoveFile(p); }
  Status CreateDirs(const std::string& p, uint32_t m) override { return b->CreateDirs(p, m); }
  Status RemoveAll(const std::string& p) override { return b->RemoveAll(p); }
  Status SyncDir(const std::string&) override { return OkStatus(); }
  Result<std::vector<std::string>> ListDir(const std::string& p) override { return b->ListDir(p); }
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& p) override { return b->LockFile(p); }
  Result<std::unique_ptr<DirWatch>> WatchDir(const std::string& p, bool w) override { return b->WatchDir(p, w); }
  int64_t NowUnixNanos() override { return b->NowUnixNanos(); }
};

inline std::string TempDir(const std::string& tag) {
  std::string t = "/tmp/berth-bench-" + tag + "-XXXXXX";
  if (!::mkdtemp(t.data())) std::abort();
  return t;
}

inline void Die(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

// Image i: two platforms (amd64, arm64), three layers each: a base layer
// shared by every image, one layer of the image, one of the platform.
inline testing::BuiltImage BenchImage(int i) {
  testing::FixtureImage spec;
  for (const char* arch : {"amd64", "arm64"}) {
    testing::FixturePlatform fp;
    fp.platform = Platform{"linux", arch, "", "", {}};
    fp.labels = {{"bench.index", std::to_string(i)}};
    fp.layers.push_back(testing::FixtureLayer{{{"base", "shared base layer"}}});
    fp.layers.push_back(testing::FixtureLayer{{{"app", "image " + std::to_string(i)}}});
    fp.layers.push_back(testing::FixtureLayer{{{"arch", std::string(arch) + " " + std::to_string(i)}}});
    spec.platforms.push_back(fp);
  }
  auto img = testing::BuildImage(spec);
  Die(img.status(), "build image");
  return *img;
}

// Fills `root` with `count` bench images named bench/img<i>:latest, quickly
// (no fsync), then closes the store.
inline void Populate(const std::string& root, int count) {
  static NoSyncEnv env;
  auto store = Store::Open(StoreOptions{root, &env, true, false});
  Die(store.status(), "open");
  std::vector<NewImage> batch;
  for (int i = 0; i < count; ++i) {
    auto img = BenchImage(i);
    for (const auto& b : img.blobs) Die(image::ContentOf((*store).get())->Put(b.data, b.descriptor.digest).status(), "put");
    NewImage ni;
    ni.name = "docker.io/bench/img" + std::to_string(i) + ":latest";
    ni.target = img.target;
    ni.manifests = img.manifests;
    batch.push_back(ni);
    if (batch.size() == 500 || i + 1 == count) {
      Die((*store)->images()->CreateImages(batch, ReplaceRule::kTag, ""), "create");
      batch.clear();
    }
  }
}

inline double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace berth::bench
