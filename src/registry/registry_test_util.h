// Shared fixture for the registry tests: one docker-registry per test
// binary, a source store (the harness's) and a second store to pull into.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <set>

#include "berth/reference.h"
#include "berth/registry.h"
#include "image/image_test_util.h"
#include "registry/client.h"
#include "testing/registry_server.h"
#include "testing/temp_dir.h"
#include "image/store_internals.h"

namespace berth::registry_test {

using image_test::kAmd64;
using image_test::StatusOf;
using image_test::kArm64;
using image_test::kArmV7;

inline TestRegistry* g_registry = nullptr;

inline std::string Shell(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

// Deterministic incompressible bytes (so a gzip layer stays large).
inline std::string Noise(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  for (char& c : s) {
    seed = seed * 1664525u + 1013904223u;
    c = static_cast<char>(seed >> 24);
  }
  return s;
}

class RegistryTest : public image_test::StoreTestBase {
 protected:
  static void SetUpTestSuite() {
    g_registry = new TestRegistry();
    if (!g_registry->Start()) {
      std::string e = g_registry->error();
      delete g_registry;
      g_registry = nullptr;
      GTEST_LOG_(WARNING) << "no registry: " << e;
    }
  }
  static void TearDownTestSuite() {
    delete g_registry;
    g_registry = nullptr;
  }

  void SetUp() override {
    if (g_registry == nullptr) GTEST_SKIP() << "docker-registry unavailable";
    StoreTestBase::SetUp();
    ASSERT_TRUE(other_tmp_.Create("berth-pull-test"));
    other_root_ = other_tmp_.path();
    auto s = Store::Open(StoreOptions{other_root_, nullptr, true});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    other_ = std::move(*s);
    other_sub_ = other_->events()->Subscribe();
    cfg_.backoff_initial_ms = 5;
  }
  void TearDown() override {
    other_sub_.reset();
    other_.reset();
    other_tmp_.Remove();
    if (store_) StoreTestBase::TearDown();
  }

  std::string Host() const { return g_registry->host(); }

  // Puts `img` into the first store as `name` and pushes it.
  PushResult Seed(const testing::BuiltImage& img, const std::string& name) {
    Add(img, {name});
    PushOptions o;
    o.name = name;
    auto r = Push(store_.get(), cfg_, o, nullptr);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : PushResult();
  }

  Result<PullResult> PullInto(Store* s, const std::string& ref, std::optional<Platform> p = std::nullopt) {
    PullOptions o;
    o.reference = ref;
    o.platform = p;
    messages_.clear();
    return Pull(s, cfg_, o, [this](const ProgressMessage& m) {
      std::lock_guard<std::mutex> lock(mu_);
      messages_.push_back(m.id.empty() ? m.status : m.id + ": " + m.status);
    });
  }

  bool Said(const std::string& line) {
    std::lock_guard<std::mutex> lock(mu_);
    return std::find(messages_.begin(), messages_.end(), line) != messages_.end();
  }

  std::vector<Digest> Kept(Store* s, const Digest& target) {
    std::vector<Digest> refs;
    EXPECT_TRUE(image::MetadataOf(s)->View([&](Tx& tx) -> Status {
      BERTH_ASSIGN_OR_RETURN(refs, tx.RootRefs(RootKind::kImage, target.str()));
      return OkStatus();
    }).ok());
    return refs;
  }

  std::vector<std::string> Names(Store* s) {
    std::vector<std::string> names;
    EXPECT_TRUE(image::MetadataOf(s)->View([&](Tx& tx) -> Status {
      BERTH_ASSIGN_OR_RETURN(auto recs, tx.ListImages());
      for (const auto& r : recs) names.push_back(r.name);
      return OkStatus();
    }).ok());
    return names;
  }

  std::vector<LeaseRecord> Leases(Store* s) {
    std::vector<LeaseRecord> leases;
    EXPECT_TRUE(image::MetadataOf(s)->View([&](Tx& tx) -> Status {
      BERTH_ASSIGN_OR_RETURN(leases, tx.ListLeases());
      return OkStatus();
    }).ok());
    return leases;
  }

  std::string Blob(const testing::BuiltImage& img, const Digest& d) {
    for (const auto& b : img.blobs) {
      if (b.descriptor.digest == d) return b.data;
    }
    return "";
  }

  RegistryConfig cfg_;
  testing::TempDir other_tmp_;
  std::string other_root_;  // other_tmp_.path()
  std::unique_ptr<Store> other_;
  std::unique_ptr<EventBus::Subscription> other_sub_;
  std::mutex mu_;
  std::vector<std::string> messages_;
};

}  // namespace berth::registry_test
