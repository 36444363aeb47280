// ImageService::Why: what keeps an image (names, containers, mounts,
// children, leases, removal previews) or a blob (the roots reaching it and
// the manifests it is reached through).
#include "image/image_test_util.h"
#include "image/store_internals.h"

namespace berth::image_test {
namespace {

using V = std::vector<std::string>;

class WhyTest : public StoreTestBase {
 protected:
  void AddLease(const std::string& id, const std::vector<Digest>& blobs) {
    ASSERT_OK(image::MetadataOf(store_.get())->Update([&](Tx& tx) -> Status {
      LeaseRecord l;
      l.id = id;
      l.expires_unix_nanos = 42;
      BERTH_RETURN_IF_ERROR(tx.PutLease(l));
      for (const auto& d : blobs) BERTH_RETURN_IF_ERROR(tx.AddRootRef(RootKind::kLease, id, d));
      return OkStatus();
    }));
  }

  ImageWhy ImageOf(const std::string& ref) {
    auto r = images()->Why(ref);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || !r->image) {
      ADD_FAILURE() << ref << " is not reported as an image";
      return {};
    }
    EXPECT_FALSE(r->blob);
    return *r->image;
  }

  BlobWhy BlobOf(const Digest& d) {
    auto r = images()->Why(d.str());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || !r->blob) {
      ADD_FAILURE() << d.str() << " is not reported as a blob";
      return {};
    }
    return *r->blob;
  }

  // "kind id [names;] via d1 d2" per holder, sorted.
  static V Holders(const BlobWhy& w) {
    V out;
    for (const auto& h : w.holders) {
      std::string line = std::string(RootKindName(h.kind)) + " " + h.id + " [";
      for (const auto& n : h.names) line += n + ";";
      line += "] via";
      for (const auto& d : h.via) line += " " + d.digest.str();
      out.push_back(line);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // The `nth` blob of `img` whose media type contains `media_type_part`.
  static Digest BlobNamed(const testing::BuiltImage& img, std::string_view media_type_part, size_t nth = 0) {
    for (const auto& b : img.blobs) {
      if (b.descriptor.media_type.find(media_type_part) != std::string::npos && nth-- == 0) return b.descriptor.digest;
    }
    return {};
  }
};

TEST_F(WhyTest, NamesChildrenContainersMountsAndLeases) {
  auto base = Multi("base", {kAmd64, kArm64});
  auto child = Simple("child");
  auto other = Simple("other");
  const Digest amd64 = base.ManifestFor(kAmd64);
  Add(base, {"base:1", "base:2"});
  Add(child, {"child:1"}, {{std::string(kParentLabel), base.target.digest.str()}});
  Add(other, {"other:1"});
  std::string runner = AddContainer("base:1", base.target.digest, true, amd64, kAmd64);
  std::string mounter = AddContainer("other:1", other.target.digest, false, other.target.digest, kAmd64,
                                     {base.target.digest});
  AddLease("pull-1", {amd64});
  DrainEvents();

  ImageWhy w = ImageOf("base:1");
  EXPECT_EQ(w.id, base.target.digest);
  EXPECT_EQ(w.names, (V{"base:1", "base:2"}));
  EXPECT_FALSE(w.dangling);
  EXPECT_EQ(w.parent, "");
  ASSERT_EQ(w.children.size(), 1u);
  EXPECT_EQ(w.children[0].id, child.target.digest);
  EXPECT_EQ(w.children[0].names, V{"child:1"});
  ASSERT_EQ(w.containers.size(), 1u);
  EXPECT_EQ(w.containers[0].id, runner);
  EXPECT_EQ(w.containers[0].state, "running");
  EXPECT_EQ(w.containers[0].platform, kAmd64);
  EXPECT_EQ(w.containers[0].manifest, amd64);
  ASSERT_EQ(w.mounted_by.size(), 1u);
  EXPECT_EQ(w.mounted_by[0].id, mounter);
  EXPECT_FALSE(w.mounted_by[0].platform);
  // The lease names the amd64 manifest: it holds it, its config and layers.
  ASSERT_EQ(w.leases.size(), 1u);
  EXPECT_EQ(w.leases[0].id, "pull-1");
  EXPECT_EQ(w.leases[0].expires_unix_nanos, 42);
  EXPECT_EQ(w.leases[0].blobs.size(), 4u);
  EXPECT_EQ(w.leases[0].blobs.front(), amd64);
  EXPECT_EQ(w.blobs, 8);  // index, 2 manifests, 2 configs, 3 layers (one shared)
  EXPECT_TRUE(w.ingest_held.empty());

  // base:1 is one of two names: rmi untags it, with or without force.
  EXPECT_FALSE(w.remove.refused);
  EXPECT_EQ(Lines(w.remove.items), V{"Untagged: base:1"});
  EXPECT_TRUE(w.remove.freed.empty());
  EXPECT_EQ(Lines(w.force_remove.items), V{"Untagged: base:1"});

  // By ID the running container refuses even a forced removal.
  ImageWhy by_id = ImageOf(base.target.digest.hex().substr(0, 12));
  EXPECT_EQ(by_id.id, base.target.digest);
  EXPECT_TRUE(by_id.remove.refused);
  EXPECT_TRUE(by_id.force_remove.refused);
  EXPECT_EQ(by_id.force_remove.error, "conflict: unable to delete " + Short(base.target.digest) +
                                          " (cannot be forced) - image is being used by running container " +
                                          runner.substr(0, 12));

  // The child knows its parent; nothing changed and no one was told.
  EXPECT_EQ(ImageOf("child:1").parent, base.target.digest.str());
  EXPECT_EQ(DrainEvents(), V{});
  EXPECT_EQ(RecordNames(), (V{Full("base:1"), Full("base:2"), Full("child:1"), Full("other:1")}));
  EXPECT_TRUE(FullyPresent(base));
}

TEST_F(WhyTest, ContainerByNameAndTheLastName) {
  auto img = Simple("one");
  Add(img, {"one:1"});
  std::string c = AddContainer("one:1", img.target.digest, false, img.target.digest, kAmd64);
  ImageWhy w = ImageOf("one:1");
  EXPECT_TRUE(w.remove.refused);
  EXPECT_EQ(w.remove.error, "conflict: unable to delete one:1 (must be forced) - container " + c.substr(0, 12) +
                                " is using its referenced image " + Short(img.target.digest));
  // Forced, the name goes and the image stays, dangling: nothing is freed.
  EXPECT_EQ(Lines(w.force_remove.items), V{"Untagged: one:1"});
  EXPECT_TRUE(w.force_remove.freed.empty());
  EXPECT_EQ(w.force_remove.freed_bytes, 0u);
}

TEST_F(WhyTest, UnusedImageFreesAllItsBlobs) {
  auto img = Simple("alone");
  Add(img, {"alone:1"});
  auto ingest = images()->NewIngestLease();
  ingest->Add(BlobNamed(img, "layer"));
  ImageWhy w = ImageOf("alone:1");
  EXPECT_EQ(w.ingest_held, std::vector<Digest>{BlobNamed(img, "layer")});
  EXPECT_EQ(Lines(w.remove.items), (V{"Untagged: alone:1", "Deleted: " + img.target.digest.str()}));
  // Everything but the blob the ingest holds.
  EXPECT_EQ(w.remove.freed.size(), img.blobs.size() - 1);
  uint64_t bytes = 0;
  for (const auto& b : img.blobs) {
    if (b.descriptor.digest != BlobNamed(img, "layer")) bytes += b.data.size();
  }
  EXPECT_EQ(w.remove.freed_bytes, bytes);
  EXPECT_EQ(w.remove.freed.front().digest, img.target.digest);
  EXPECT_EQ(w.remove.freed.front().media_type, img.target.media_type);
  EXPECT_EQ(w.remove.freed.front().size, img.target.size);
  EXPECT_TRUE(FullyPresent(img));
}

TEST_F(WhyTest, BlobHoldersAndRoutes) {
  auto m = Multi("m", {kAmd64, kArm64});
  const Digest amd64 = m.ManifestFor(kAmd64);
  const Digest arm64 = m.ManifestFor(kArm64);
  Add(m, {"m:1"});
  std::string c = AddContainer("m:1", m.target.digest, false, amd64, kAmd64);
  AddLease("pull-2", {arm64});
  const std::string id = m.target.digest.str();
  // The base layer: every platform manifest has it first.
  const Digest base = BlobNamed(m, "layer");
  BlobWhy w = BlobOf(base);
  EXPECT_TRUE(w.registered);
  EXPECT_TRUE(w.present);
  EXPECT_GT(w.refs, 0);
  V expected{"image " + id + " [m:1;] via " + id + " " + amd64.str(),
             "image " + id + " [m:1;] via " + id + " " + arm64.str(),
             "container " + c + " [c2;] via " + amd64.str(),
             "lease pull-2 [] via " + arm64.str()};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(Holders(w), expected);
  // The route through the index names the platform.
  for (const auto& h : w.holders) {
    if (h.kind != RootKind::kImage) continue;
    ASSERT_EQ(h.via.size(), 2u);
    EXPECT_EQ(h.via[0].digest, m.target.digest);
    EXPECT_EQ(h.via[1].platform, h.via[1].digest == amd64 ? kAmd64 : kArm64);
  }
  // A manifest the lease names directly.
  expected = {"image " + id + " [m:1;] via " + id, "lease pull-2 [] via"};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(Holders(BlobOf(arm64)), expected);
  // An image ID is an image.
  auto as_image = images()->Why(id);
  ASSERT_OK(as_image);
  EXPECT_TRUE(as_image->image);
  EXPECT_FALSE(as_image->blob);
}

TEST_F(WhyTest, UnknownAndUnheldBlobs) {
  auto none = images()->Why(Digest::Of("nothing").str());
  EXPECT_EQ(none.status().code(), Code::kNotFound);
  EXPECT_EQ(none.status().message(), "No such image or blob: " + Digest::Of("nothing").str());
  EXPECT_EQ(images()->Why("nosuch:1").status().message(), "No such image: nosuch:1");
  EXPECT_EQ(images()->Why(" ").status().code(), Code::kInvalidArgument);
  // A file nothing registered (an ingest that died): present, unheld.
  auto put = image::ContentOf(store_.get())->Put("stray");
  ASSERT_OK(put);
  BlobWhy stray = BlobOf(*put);
  EXPECT_FALSE(stray.registered);
  EXPECT_TRUE(stray.present);
  EXPECT_EQ(stray.size, 5);
  EXPECT_TRUE(stray.holders.empty());
}

}  // namespace
}  // namespace berth::image_test
