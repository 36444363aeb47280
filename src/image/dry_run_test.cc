// Dry runs (DryRunScope): a prune or a removal run on a rolled-back
// transaction reports exactly what the real one then does on the same store
// state, and changes nothing: no record, root, count or file, no event, no
// metric.
#include <set>

#include "image/image_test_util.h"
#include "image/store_internals.h"

namespace berth::image_test {
namespace {

using V = std::vector<std::string>;

// Everything a write could change, as comparable text.
struct StoreState {
  V records;
  V roots;  // kind id digest
  V blobs;  // digest refs
  V files;  // present blobs
  V pending;
  bool operator==(const StoreState&) const = default;
};

std::ostream& operator<<(std::ostream& os, const StoreState& s) {
  for (const auto* part : {&s.records, &s.roots, &s.blobs, &s.files, &s.pending}) {
    os << "[";
    for (const auto& x : *part) os << x << " ";
    os << "] ";
  }
  return os;
}

class DryRunTest : public StoreTestBase {
 protected:
  // The store once the reaper has finished what earlier steps queued.
  StoreState State() {
    images()->WaitForCollection();
    StoreState s;
    s.records = RecordNames();
    EXPECT_TRUE(image::MetadataOf(store_.get())
                    ->View([&](Tx& tx) -> Status {
                      BERTH_ASSIGN_OR_RETURN(auto roots, tx.AllRootRefs());
                      for (const auto& r : roots) {
                        s.roots.push_back(std::string(RootKindName(r.kind)) + " " + r.id + " " + r.digest.str());
                      }
                      BERTH_ASSIGN_OR_RETURN(auto blobs, tx.AllBlobs());
                      for (const auto& b : blobs) s.blobs.push_back(b.digest.str() + " " + std::to_string(b.refs));
                      BERTH_ASSIGN_OR_RETURN(auto pending, tx.PendingGarbage());
                      for (const auto& d : pending) s.pending.push_back(d.str());
                      return OkStatus();
                    })
                    .ok());
    EXPECT_TRUE(image::ContentOf(store_.get())
                    ->Walk([&](const BlobInfo& b) -> Status {
                      s.files.push_back(b.digest.str());
                      return OkStatus();
                    })
                    .ok());
    std::sort(s.roots.begin(), s.roots.end());
    std::sort(s.blobs.begin(), s.blobs.end());
    std::sort(s.files.begin(), s.files.end());
    std::sort(s.pending.begin(), s.pending.end());
    return s;
  }

  // Runs the prune as a dry run (checking that it changed nothing and told
  // no one), then for real; expects both reports to be the same.
  PruneReport DryThenReal(PruneOptions opts) {
    DrainEvents();
    StoreState before = State();
    const std::string metrics = store_->metrics()->Serialize();
    opts.dry_run = true;
    auto dry = images()->Prune(opts);
    EXPECT_TRUE(dry.ok()) << dry.status().ToString();
    EXPECT_EQ(State(), before);
    EXPECT_EQ(DrainEvents(), V{});
    EXPECT_EQ(store_->metrics()->Serialize(), metrics);  // no prune, no gc counted
    opts.dry_run = false;
    auto real = images()->Prune(opts);
    EXPECT_TRUE(real.ok()) << real.status().ToString();
    if (!dry.ok() || !real.ok()) return {};
    EXPECT_EQ(Lines(dry->deleted), Lines(real->deleted));
    EXPECT_EQ(dry->space_reclaimed, real->space_reclaimed);
    if (!real->deleted.empty()) EXPECT_NE(DrainEvents(), V{});  // the real one did publish
    return *real;
  }

  uint64_t SizeOf(const testing::BuiltImage& img, const Digest& d) {
    for (const auto& b : img.blobs) {
      if (b.descriptor.digest == d) return b.data.size();
    }
    ADD_FAILURE() << "no blob " << d.str();
    return 0;
  }

  // Puts a metadata lease (as a failed pull leaves) holding `blobs`.
  void AddLease(const std::string& id, const std::vector<Digest>& blobs) {
    ASSERT_OK(image::MetadataOf(store_.get())->Update([&](Tx& tx) -> Status {
      LeaseRecord l;
      l.id = id;
      l.labels["purpose"] = "test";
      BERTH_RETURN_IF_ERROR(tx.PutLease(l));
      for (const auto& d : blobs) BERTH_RETURN_IF_ERROR(tx.AddRootRef(RootKind::kLease, id, d));
      return OkStatus();
    }));
  }
};

TEST_F(DryRunTest, PruneWithSharedLayersReportsWhatThePruneDoes) {
  // a and b share their base layer; c shares nothing.
  auto a = Multi("a", {kAmd64, kArm64});
  auto b = Multi("b", {kAmd64});
  auto c = Simple("c");
  Add(a, {});
  Add(b, {"b:1"});
  Add(c, {});
  PruneReport r = DryThenReal({});
  // Every blob of a and c that b does not share is reported (Docker 28.2
  // lists index, manifests, configs and layers).
  V lines = Lines(r.deleted);
  std::sort(lines.begin(), lines.end());
  std::set<Digest> kept;
  for (const auto& blob : b.blobs) kept.insert(blob.descriptor.digest);
  std::set<std::string> freed;
  for (const auto* img : {&a, &c}) {
    for (const auto& blob : img->blobs) {
      if (!kept.contains(blob.descriptor.digest)) freed.insert("Deleted: " + blob.descriptor.digest.str());
    }
  }
  V expected(freed.begin(), freed.end());
  expected.push_back("Untagged: " + a.target.digest.str());
  expected.push_back("Untagged: " + c.target.digest.str());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(lines, expected);
  EXPECT_GT(r.space_reclaimed, 0u);
  EXPECT_TRUE(FullyPresent(b));
  EXPECT_FALSE(Present(a.target.digest));
  EXPECT_FALSE(Present(c.target.digest));
}

TEST_F(DryRunTest, PruneAllWithNothingToDoAndWithEverything) {
  PruneReport empty = DryThenReal({.dangling_only = false});
  EXPECT_TRUE(empty.deleted.empty());
  auto a = Simple("a");
  Add(a, {"a:1", "a:2"});
  PruneReport all = DryThenReal({.dangling_only = false});
  V lines = Lines(all.deleted);
  ASSERT_EQ(lines.size(), 2 + a.blobs.size());
  EXPECT_EQ(V(lines.begin(), lines.begin() + 2), (V{"Untagged: a:1", "Untagged: a:2"}));
  EXPECT_EQ(lines[2], "Deleted: " + a.target.digest.str());  // the walk starts at the target
  V rest(lines.begin() + 2, lines.end()), blobs;
  for (const auto& b : a.blobs) blobs.push_back("Deleted: " + b.descriptor.digest.str());
  std::sort(rest.begin(), rest.end());
  std::sort(blobs.begin(), blobs.end());
  EXPECT_EQ(rest, blobs);
}

TEST_F(DryRunTest, PruneLeavesWhatAContainersPlatformHolds) {
  // x's container keeps x's amd64 manifest after x itself is removed; y is
  // an index naming that same manifest and nothing else.
  auto x = Multi("s", {kAmd64, kArm64});
  auto y = Multi("s", {kAmd64});
  const Digest amd64 = x.ManifestFor(kAmd64);
  ASSERT_EQ(y.ManifestFor(kAmd64), amd64);
  Add(x, {"x:1"});
  AddContainer(x.target.digest.str(), x.target.digest, false, amd64, kAmd64);
  ASSERT_OK(images()->Remove(x.target.digest.str(), {.force = true}));
  Add(y, {"y:1"});
  PruneReport r = DryThenReal({.dangling_only = false});
  EXPECT_EQ(Lines(r.deleted), (V{"Untagged: y:1", "Deleted: " + y.target.digest.str()}));
  // Only y's index was y's alone.
  EXPECT_EQ(r.space_reclaimed, SizeOf(y, y.target.digest));
  EXPECT_TRUE(Present(amd64));
}

TEST_F(DryRunTest, PruneLeavesWhatLeasesHold) {
  auto leased = Simple("leased");
  auto held = Simple("held");
  Add(leased, {});
  Add(held, {});
  // A failed pull's lease keeps one image's manifest (and so its config and
  // layer); an ingest in progress holds the other's target.
  AddLease("pull-test", {leased.target.digest});
  auto ingest = images()->NewIngestLease();
  ingest->Add(held.target.digest);
  PruneReport r = DryThenReal({});
  // Both records go; of the blobs, only held's config and layer.
  V deleted;
  for (const auto& line : Lines(r.deleted)) {
    if (line.starts_with("Deleted: ")) deleted.push_back(line);
  }
  V expected_deleted;
  for (const auto& b : held.blobs) {
    if (b.descriptor.digest != held.target.digest) expected_deleted.push_back("Deleted: " + b.descriptor.digest.str());
  }
  std::sort(deleted.begin(), deleted.end());
  std::sort(expected_deleted.begin(), expected_deleted.end());
  EXPECT_EQ(deleted, expected_deleted);
  EXPECT_EQ(r.deleted.size(), 2u + expected_deleted.size());
  uint64_t expected = 0;
  for (const auto& b : held.blobs) {
    if (b.descriptor.digest != held.target.digest) expected += b.data.size();
  }
  EXPECT_EQ(r.space_reclaimed, expected);
  EXPECT_TRUE(FullyPresent(leased));
  EXPECT_TRUE(Present(held.target.digest));
}

TEST_F(DryRunTest, RemovalPreviewIsWhatRemoveDoes) {
  // A stopped container runs m's amd64 platform: `rmi -f ID` deletes m but
  // frees only what the container does not keep.
  auto m = Multi("m", {kAmd64, kArm64});
  const Digest amd64 = m.ManifestFor(kAmd64);
  const Digest arm64 = m.ManifestFor(kArm64);
  Add(m, {"m:1"});
  AddContainer("m:1", m.target.digest, false, amd64, kAmd64);
  DrainEvents();
  StoreState before = State();
  const double deletes = store_->metrics()->ImageActionCount("delete");
  auto why = images()->Why(m.target.digest.str());
  ASSERT_OK(why);
  EXPECT_EQ(State(), before);
  EXPECT_EQ(DrainEvents(), V{});
  EXPECT_EQ(store_->metrics()->ImageActionCount("delete"), deletes);
  ASSERT_TRUE(why->image);
  const ImageWhy& w = *why->image;
  EXPECT_TRUE(w.remove.refused);
  EXPECT_EQ(w.remove.error, "conflict: unable to delete " + Short(m.target.digest) +
                                " (must be forced) - image is being used by stopped container " +
                                w.containers.at(0).id.substr(0, 12));
  ASSERT_FALSE(w.force_remove.refused);

  auto real = images()->Remove(m.target.digest.str(), {.force = true});
  ASSERT_OK(real);
  EXPECT_EQ(Lines(w.force_remove.items), Lines(*real));
  uint64_t bytes = 0;
  std::set<Digest> freed;
  for (const auto& b : w.force_remove.freed) {
    freed.insert(b.digest);
    EXPECT_FALSE(Present(b.digest)) << b.digest.str();
    bytes += SizeOf(m, b.digest);
  }
  EXPECT_EQ(w.force_remove.freed_bytes, bytes);
  for (const auto& b : m.blobs) {
    if (!freed.contains(b.descriptor.digest)) {
      EXPECT_TRUE(Present(b.descriptor.digest)) << b.descriptor.digest.str();
    }
  }
  // The index and the arm64 platform went; the amd64 platform stayed.
  EXPECT_TRUE(freed.contains(m.target.digest));
  EXPECT_TRUE(freed.contains(arm64));
  EXPECT_FALSE(freed.contains(amd64));
}

}  // namespace
}  // namespace berth::image_test
