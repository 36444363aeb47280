// Test setup for src/container tests: a real store in a temporary
// directory, a ContainerService over real runc and berth-shim, and busybox
// images from tests/testing/fixture.h.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "berth/container_service.h"
#include "berth/image_service.h"
#include "berth/reference.h"
#include "testing/fixture.h"
#include "testing/temp_dir.h"

namespace berth::container_test {

#define ASSERT_OK(expr)                                                   \
  do {                                                                    \
    auto&& assert_ok_v_ = (expr);                                         \
    ASSERT_TRUE(assert_ok_v_.ok()) << StatusOf(assert_ok_v_).ToString(); \
  } while (0)
#define EXPECT_OK(expr)                                                   \
  do {                                                                    \
    auto&& expect_ok_v_ = (expr);                                         \
    EXPECT_TRUE(expect_ok_v_.ok()) << StatusOf(expect_ok_v_).ToString(); \
  } while (0)

inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) { return r.status(); }

inline std::string ShimPath() {
  if (const char* b = std::getenv("BERTH_BINARY_DIR")) return std::string(b) + "/bin/berth-shim";
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : (self.parent_path() / "berth-shim").string();
}

inline std::string RuncPath() {
  for (const char* p : {"/usr/sbin/runc", "/usr/bin/runc", "/usr/local/sbin/runc", "/usr/local/bin/runc"}) {
    if (::access(p, X_OK) == 0) return p;
  }
  return {};
}

class ContainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    if (RuncPath().empty()) GTEST_SKIP() << "runc not found";
    ASSERT_TRUE(tmp_.Create("berth-container-test"));
    root_ = tmp_.path();
    OpenAll();
  }

  void OpenAll() {
    auto s = Store::Open(StoreOptions{root_, nullptr, true});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    sub_ = store_->events()->Subscribe();
    ContainerServiceOptions opts;
    opts.runtime.runc = RuncPath();
    opts.runtime.shim = ShimPath();
    auto c = ContainerService::Open(store_.get(), opts);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    svc_ = std::move(*c);
  }

  // Closes the service (containers keep running) and the store.
  void CloseAll() {
    if (svc_) svc_->Shutdown();
    svc_.reset();
    sub_.reset();
    store_.reset();
  }

  void TearDown() override {
    if (root_.empty()) return;
    if (svc_) {
      ContainerListOptions all;
      all.all = true;
      auto list = svc_->List(all);
      if (list.ok()) {
        for (const auto& c : *list) svc_->Remove(c.record.id, true).IgnoreError();
      }
    }
    CloseAll();
    tmp_.Remove();
  }

  // A busybox image named `name`, with extra files in a second layer (when
  // given) and `cmd` as its Cmd.
  testing::BuiltImage Busybox(const std::string& name, std::map<std::string, std::string> files = {},
                              std::vector<std::string> cmd = {"sh"},
                              std::map<std::string, std::string> labels = {}) {
    testing::FixtureImage spec;
    testing::FixturePlatform p;
    p.layers.push_back(testing::FixtureLayer{{}, true});
    if (!files.empty()) p.layers.push_back(testing::FixtureLayer{std::move(files)});
    p.cmd = std::move(cmd);
    p.labels = std::move(labels);
    spec.platforms.push_back(p);
    auto img = testing::BuildImage(spec);
    EXPECT_TRUE(img.ok()) << img.status().ToString();
    Status s = testing::AddToStore(store_.get(), *img, name.empty() ? std::vector<std::string>{}
                                                                    : std::vector<std::string>{name});
    EXPECT_TRUE(s.ok()) << s.ToString();
    return *img;
  }

  ContainerConfig Cfg(const std::string& image, std::vector<std::string> cmd) {
    ContainerConfig c;
    c.image = image;
    c.cmd = std::move(cmd);
    return c;
  }

  // Creates and starts; returns the ID ("" on failure, with a test failure).
  std::string Run(const std::string& name, const ContainerConfig& cfg) {
    auto r = svc_->Create(name, cfg);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return {};
    Status s = svc_->Start(r->id);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return r->id;
  }

  int WaitExit(const std::string& ref) {
    auto r = svc_->Wait(ref, "not-running", {});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : -1;
  }

  std::string Log(const std::string& ref) {
    std::string out;
    Status s = svc_->Logs(ref, LogReadOptions{}, [&](const LogEntry& e) {
      out += e.data;
      return OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  // Waits (up to 10 s) until the container's log contains `text`; false
  // with a test failure if it never does.
  bool WaitForLog(const std::string& ref, const std::string& text) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (Log(ref).find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "log of " << ref << " never showed " << text;
    return false;
  }

  // Container events seen so far, as "action name".
  std::vector<std::string> ContainerEvents() {
    std::vector<std::string> out;
    Event e;
    while (sub_->Next(&e, 0)) {
      if (e.type == "container") out.push_back(e.action);
    }
    return out;
  }

  std::vector<std::string> SnapshotDirs() {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(root_ + "/snapshots", ec)) {
      std::string n = e.path().filename().string();
      if (n.size() == 64) out.push_back(n);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  testing::TempDir tmp_;
  std::string root_;  // tmp_.path()
  std::unique_ptr<Store> store_;
  std::unique_ptr<EventBus::Subscription> sub_;
  std::unique_ptr<ContainerService> svc_;
};

// Chain IDs of every layer prefix of a one-platform image.
inline std::vector<Digest> Chains(const testing::BuiltImage& img) {
  std::vector<Digest> out;
  for (const auto& b : img.blobs) {
    if (!IsConfigType(b.descriptor.media_type)) continue;
    auto cfg = ParseImageConfig(b.data);
    if (!cfg.ok()) continue;
    std::vector<Digest> prefix;
    for (const auto& d : cfg->diff_ids) {
      prefix.push_back(d);
      out.push_back(ChainId(prefix));
    }
  }
  return out;
}

}  // namespace berth::container_test
