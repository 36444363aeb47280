// Randomised sequences of load, tag, remove, platform removal, prune and
// container changes. After every step:
//   - every platform an image retains is fully present;
//   - every blob's reference count equals what its roots and live parents
//     give it;
//   - a full mark-and-sweep finds nothing that reference counting missed,
//     and nothing reachable from a root is missing.
// BERTH_RANDOM_SEED and BERTH_RANDOM_STEPS change the run.
#include <cstdlib>
#include <map>
#include <set>

#include "berth/gc.h"
#include "image/image_test_util.h"
#include "image/store_internals.h"

namespace berth::image_test {
namespace {

class RandomGcTest : public StoreTestBase {
 protected:
  void SetUp() override {
    StoreTestBase::SetUp();
    // A pool with overlaps: shared base layers, a single-platform image equal
    // to one platform of a multi-platform image, attestations.
    pool_.push_back(Multi("p0", {kAmd64, kArm64, kArmV7}));
    pool_.push_back(Multi("p1", {kAmd64, kArm64}, /*attestations=*/true));
    pool_.push_back(Multi("p0", {kArm64}));  // same arm64 manifest as p0
    pool_.push_back(Multi("p2", {kAmd64}));
    pool_.push_back(Simple("s0"));
    pool_.push_back(Simple("s1", {{"color", "blue"}}));
    testing::FixtureImage spec;  // single manifest target == p0's arm64 manifest
    testing::FixturePlatform fp;
    fp.platform = kArm64;
    fp.layers.push_back(testing::FixtureLayer{{{"base/file", "shared base"}}});
    fp.layers.push_back(testing::FixtureLayer{{{"own/file", "p0/arm64"}}});
    spec.platforms.push_back(fp);
    auto single = testing::BuildImage(spec);
    ASSERT_OK(single);
    pool_.push_back(*single);
  }

  uint64_t Next() {
    rng_ = rng_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return rng_ >> 33;
  }
  size_t Pick(size_t n) { return static_cast<size_t>(Next() % n); }

  std::string RandomName() {
    static const char* repos[] = {"a", "b", "c", "example.com/d"};
    static const char* tags[] = {"1", "2", "latest"};
    return std::string(repos[Pick(4)]) + ":" + tags[Pick(3)];
  }

  struct Snapshot {
    std::vector<ImageRecord> records;
    std::vector<Tx::RootRef> roots;
    std::vector<std::pair<Digest, Digest>> edges;
    std::vector<BlobRecord> blobs;
  };
  Snapshot Take() {
    Snapshot s;
    Status st = image::MetadataOf(store_.get())->View([&](Tx& tx) -> Status {
      BERTH_ASSIGN_OR_RETURN(s.records, tx.ListImages());
      BERTH_ASSIGN_OR_RETURN(s.roots, tx.AllRootRefs());
      BERTH_ASSIGN_OR_RETURN(s.edges, tx.AllEdges());
      BERTH_ASSIGN_OR_RETURN(s.blobs, tx.AllBlobs());
      return OkStatus();
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return s;
  }

  void CheckInvariants(const std::string& step) {
    SCOPED_TRACE(step);
    Snapshot s = Take();
    std::map<Digest, std::vector<Digest>> children;
    for (const auto& [p, c] : s.edges) children[p].push_back(c);
    std::vector<Digest> roots;
    std::set<std::string> image_roots;
    for (const auto& r : s.roots) {
      roots.push_back(r.digest);
      if (r.kind == RootKind::kImage) image_roots.insert(r.id);
    }
    auto marked = gc::Mark(roots, [&](const Digest& d) {
      auto it = children.find(d);
      return it == children.end() ? std::vector<Digest>{} : it->second;
    });
    // 1. Everything reachable is present: every retained platform is whole.
    for (const auto& d : marked) EXPECT_TRUE(Present(d)) << "reachable blob missing: " << d.str();
    // Every image root has a record, and every record has a root, except a
    // single-platform image whose platform was removed: it retains nothing.
    std::set<std::string> targets;
    for (const auto& r : s.records) {
      if (image_roots.contains(r.target.digest.str()) || !IsManifestType(r.target.media_type)) {
        targets.insert(r.target.digest.str());
      }
    }
    EXPECT_EQ(targets, image_roots);
    // 2. Reference counts are exact.
    std::map<Digest, int64_t> expected;
    for (const auto& r : s.roots) ++expected[r.digest];
    for (const auto& [p, c] : s.edges) {
      if (marked.contains(p)) ++expected[c];
    }
    for (const auto& b : s.blobs) {
      EXPECT_EQ(b.refs, expected[b.digest]) << "refcount of " << b.digest.str();
      EXPECT_EQ(b.refs > 0, marked.contains(b.digest)) << b.digest.str();
    }
    // 3. The sweep agrees: nothing unreachable is left on disk.
    std::vector<Digest> on_disk;
    images()->WaitForCollection();
    ASSERT_OK(image::ContentOf(store_.get())->Walk([&](const BlobInfo& b) -> Status {
      on_disk.push_back(b.digest);
      return OkStatus();
    }));
    auto garbage = gc::Sweep(marked, on_disk);
    EXPECT_TRUE(garbage.empty()) << garbage.size() << " unreachable blobs left, first " << garbage[0].str();
    auto gc = images()->CollectGarbage();
    ASSERT_OK(gc);
    EXPECT_EQ(gc->blobs, 0u);
  }

  std::vector<testing::BuiltImage> pool_;
  uint64_t rng_ = 1;
};

TEST_F(RandomGcTest, InvariantsHoldAfterEveryStep) {
  const char* seed_env = std::getenv("BERTH_RANDOM_SEED");
  const char* steps_env = std::getenv("BERTH_RANDOM_STEPS");
  rng_ = seed_env ? std::strtoull(seed_env, nullptr, 10) : 20261129;
  int steps = steps_env ? std::atoi(steps_env) : 250;
  std::vector<std::string> containers;
  std::map<std::string, int> outcomes;
  for (int i = 0; i < steps; ++i) {
    std::string what;
    Snapshot s = Take();
    size_t op = Pick(10);
    if (op <= 2 || s.records.empty()) {
      const auto& img = pool_[Pick(pool_.size())];
      std::vector<std::string> names;
      if (Pick(4) != 0) names.push_back(RandomName());
      what = "load " + img.target.digest.Short() + (names.empty() ? "" : " as " + names[0]);
      ASSERT_OK(testing::AddToStore(store_.get(), img, names));
    } else if (op == 3) {
      const auto& r = s.records[Pick(s.records.size())];
      std::string dst = RandomName();
      what = "tag " + r.name + " " + dst;
      ASSERT_OK(images()->Tag(r.target.digest.str(), dst));
    } else if (op <= 5) {
      const auto& r = s.records[Pick(s.records.size())];
      std::string ref;
      switch (Pick(4)) {
        case 0: ref = IsDangling(r) ? r.name : FamiliarString(r.name); break;
        case 1: ref = r.target.digest.str(); break;
        case 2: ref = r.target.digest.hex().substr(0, 8); break;
        default: ref = r.target.digest.hex(); break;
      }
      RemoveOptions opts{.force = Pick(2) == 0, .prune = Pick(3) != 0};
      what = "rmi " + ref + (opts.force ? " -f" : "");
      auto res = images()->Remove(ref, opts);
      outcomes[res.ok() ? "rmi ok" : std::string(CodeName(res.status().code()))]++;
    } else if (op == 6) {
      const auto& r = s.records[Pick(s.records.size())];
      static const Platform plats[] = {kAmd64, kArm64, kArmV7, kS390x};
      RemoveOptions opts{.force = Pick(2) == 0, .platforms = {plats[Pick(4)]}};
      what = "rmi --platform " + FormatPlatform(opts.platforms[0]) + " " + r.target.digest.str();
      auto res = images()->Remove(r.target.digest.str(), opts);
      outcomes[res.ok() ? "platform ok" : "platform " + std::string(CodeName(res.status().code()))]++;
    } else if (op == 7) {
      PruneOptions opts{.dangling_only = Pick(2) == 0};
      what = std::string("prune") + (opts.dangling_only ? "" : " -a");
      ASSERT_OK(images()->Prune(opts));
    } else if (op == 8) {
      const auto& r = s.records[Pick(s.records.size())];
      auto list = images()->Inspect(r.target.digest.str(), std::nullopt, true);
      ASSERT_OK(list);
      Digest manifest;
      std::optional<Platform> platform;
      for (const auto& m : list->manifests) {
        if (m.kind == "image" && m.available) {
          manifest = m.id;
          platform = m.platform;
          break;
        }
      }
      what = "container from " + r.name;
      containers.push_back(AddContainer(Pick(2) ? FamiliarString(r.name) : r.target.digest.str(), r.target.digest,
                                        Pick(2) == 0, manifest, platform));
    } else if (!containers.empty()) {
      size_t k = Pick(containers.size());
      what = "rm container " + containers[k].substr(0, 12);
      std::string id = containers[k];
      containers.erase(containers.begin() + static_cast<long>(k));
      ASSERT_OK(images()->DeleteContainer(id));
    } else {
      continue;
    }
    CheckInvariants("step " + std::to_string(i) + ": " + what);
    if (HasFatalFailure() || HasFailure()) return;
  }
  // The sequence must have exercised both successes and refusals.
  EXPECT_GT(outcomes["rmi ok"], 0);
  EXPECT_GT(outcomes["platform ok"], 0);
}

}  // namespace
}  // namespace berth::image_test
