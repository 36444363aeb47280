// Shared test harness for src/image tests: a real store in a temporary
// directory, fixture images, and real container rows in the metadata store.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "berth/image_service.h"
#include "berth/reference.h"
#include "testing/fixture.h"
#include "testing/temp_dir.h"
#include "image/store_internals.h"

namespace berth::image_test {

#define ASSERT_OK(expr)                                  \
  do {                                                   \
    auto&& assert_ok_v_ = (expr);                        \
    ASSERT_TRUE(assert_ok_v_.ok()) << StatusOf(assert_ok_v_).ToString(); \
  } while (0)

inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) { return r.status(); }

class StoreTestBase : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.Create("berth-image-test"));
    root_ = tmp_.path();
    auto s = Store::Open(StoreOptions{root_, &clock_, true});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    sub_ = store_->events()->Subscribe();
  }
  void TearDown() override {
    sub_.reset();
    store_.reset();
    tmp_.Remove();
  }

  ImageService* images() { return store_->images(); }

  // A one-platform image with a layer holding `tag` (distinct per tag).
  testing::BuiltImage Simple(const std::string& seed, std::map<std::string, std::string> labels = {}) {
    auto img = testing::SimpleImage({{"etc/seed", seed}}, std::move(labels));
    EXPECT_TRUE(img.ok()) << img.status().ToString();
    return *img;
  }

  // A multi-platform image; every platform has a shared base layer and one
  // of its own.
  testing::BuiltImage Multi(const std::string& seed, const std::vector<Platform>& platforms,
                            bool attestations = false) {
    auto img = testing::MultiPlatformImage(seed, platforms, attestations);
    EXPECT_TRUE(img.ok()) << img.status().ToString();
    return *img;
  }

  void Add(const testing::BuiltImage& img, const std::vector<std::string>& names,
           std::map<std::string, std::string> labels = {}) {
    ASSERT_OK(testing::AddToStore(store_.get(), img, names, std::move(labels)));
  }

  // A real container row (and its GC root), as the containers module makes.
  std::string AddContainer(const std::string& image_ref, const Digest& image_id, bool running,
                           const Digest& manifest = {}, std::optional<Platform> platform = std::nullopt,
                           std::vector<Digest> mounts = {}) {
    ContainerRecord c;
    c.id = Digest::Of("container" + std::to_string(next_container_++)).hex();
    c.name = "c" + std::to_string(next_container_);
    c.image_ref = image_ref;
    c.image_id = image_id;
    c.image_manifest = manifest;
    c.image_platform = platform;
    c.state = running ? ContainerState::kRunning : ContainerState::kExited;
    c.created_unix_nanos = next_container_;
    c.image_mounts = std::move(mounts);
    Status s = images()->PutContainer(c);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return c.id;
  }

  std::vector<std::string> RecordNames() {
    std::vector<std::string> names;
    Status s = image::MetadataOf(store_.get())->View([&](Tx& tx) -> Status {
      BERTH_ASSIGN_OR_RETURN(auto recs, tx.ListImages());
      for (const auto& r : recs) names.push_back(r.name);
      return OkStatus();
    });
    EXPECT_TRUE(s.ok());
    return names;
  }

  // Whether a blob's file exists once the reaper has finished what is due.
  bool Present(const Digest& d) {
    images()->WaitForCollection();
    return store_->blobs()->Exists(d);
  }

  // Every blob of `img` is present.
  bool FullyPresent(const testing::BuiltImage& img) {
    for (const auto& b : img.blobs) {
      if (!Present(b.descriptor.digest)) return false;
    }
    return true;
  }

  std::vector<Event> DrainEventObjects() {
    std::vector<Event> out;
    Event e;
    while (sub_->Next(&e, 0)) out.push_back(e);
    return out;
  }
  std::vector<std::string> DrainEvents() {
    std::vector<std::string> out;
    for (auto& e : DrainEventObjects()) out.push_back(e.action + " " + e.attributes["name"]);
    return out;
  }

  testing::TempDir tmp_;
  // The store's Env: the real one, with a clock tests can fix and move.
  FaultInjectionEnv clock_{Env::Default()};
  std::string root_;  // tmp_.path()
  std::unique_ptr<Store> store_;
  std::unique_ptr<EventBus::Subscription> sub_;
  int next_container_ = 1;
};

inline std::string Full(const std::string& familiar) {
  auto r = ParseNormalizedNamed(familiar);
  return r.ok() ? TagNameOnly(*r).String() : familiar;
}

inline std::vector<std::string> Lines(const std::vector<DeleteResponseItem>& items) {
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(i.untagged.empty() ? "Deleted: " + i.deleted : "Untagged: " + i.untagged);
  return out;
}

inline std::string Short(const Digest& d) { return d.hex().substr(0, 12); }

inline const Platform kAmd64{"linux", "amd64", "", "", {}};
inline const Platform kArm64{"linux", "arm64", "", "", {}};
inline const Platform kArmV7{"linux", "arm", "v7", "", {}};
inline const Platform kS390x{"linux", "s390x", "", "", {}};

}  // namespace berth::image_test
