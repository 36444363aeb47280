// Docker's image removal semantics (reference: Docker 28.2's containerd image
// service), case by case: resolution, untag versus delete, conflicts,
// force, dangling records, parent pruning, events and metrics.
#include "image/image_test_util.h"

namespace berth::image_test {
namespace {

using V = std::vector<std::string>;

class RemoveTest : public StoreTestBase {};

// ---- resolution ----

TEST_F(RemoveTest, EveryIdFormRemovesTheImage) {
  auto img = Simple("ids");
  const std::string hex = img.target.digest.hex();
  for (const std::string& ref : {img.target.digest.str(), hex, hex.substr(0, 12), "sha256:" + hex.substr(0, 12),
                                 hex.substr(0, 4)}) {
    SCOPED_TRACE(ref);
    Add(img, {"busybox:latest"});
    auto r = images()->Remove(ref, {});
    ASSERT_OK(r);
    EXPECT_EQ(Lines(*r), (V{"Untagged: busybox:latest", "Deleted: " + img.target.digest.str()}));
    EXPECT_TRUE(RecordNames().empty());
    EXPECT_FALSE(Present(img.target.digest));
  }
}

TEST_F(RemoveTest, NotFoundMessagesAreDockers) {
  Add(Simple("x"), {"present:1"});
  struct Case {
    std::string ref, message;
  } cases[] = {
      {"nothingthere", "No such image: nothingthere:latest"},
      {"test:noexist", "No such image: test:noexist"},
      {"sha256:" + std::string(64, 'e'), "No such image: sha256:" + std::string(64, 'e')},
      {std::string(64, 'e'), "No such image: sha256:" + std::string(64, 'e')},
      {"abcdef12", "No such image: abcdef12:latest"},
      {"repo@sha256:" + std::string(64, 'e'), "No such image: repo@sha256:" + std::string(64, 'e')},
      {"present:2", "No such image: present:2"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.ref);
    auto r = images()->Remove(c.ref, {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kNotFound);
    EXPECT_EQ(r.status().message(), c.message);
  }
  EXPECT_EQ(RecordNames(), V{Full("present:1")});
}

TEST_F(RemoveTest, BadReferencesAreInvalidArgument) {
  struct Case {
    std::string ref, message;
  } cases[] = {
      {"UPPER", "invalid reference format: repository name (library/UPPER) must be lowercase"},
      {"a:b:c", "invalid reference format"},
      {"  ", "image name cannot be blank"},
      {"", "image name cannot be blank"},
      // Blank as Go's strings.TrimSpace sees it: Unicode white space too.
      {"\u00a0\u3000\u2003\t\u0085", "image name cannot be blank"},
      // U+200B (zero width space) is no white space: a bad reference.
      {"\u200b", "invalid reference format"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.ref);
    auto r = images()->Remove(c.ref, {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(r.status().message(), c.message);
  }
}

// A layerless image (config + manifest), cheap enough to search for ID
// prefix collisions.
testing::BuiltImage Layerless(int seed) {
  testing::BuiltImage img;
  std::string config = R"({"architecture":"amd64","os":"linux","config":{"Env":["SEED=)" + std::to_string(seed) +
                       R"("]},"rootfs":{"type":"layers","diff_ids":[]}})";
  Descriptor cd{std::string(media_type::kOciConfig), Digest::Of(config), static_cast<int64_t>(config.size())};
  std::string manifest = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
                         R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
                         cd.digest.str() + R"(","size":)" + std::to_string(config.size()) + R"(},"layers":[]})";
  img.target = Descriptor{std::string(media_type::kOciManifest), Digest::Of(manifest),
                          static_cast<int64_t>(manifest.size())};
  img.blobs = {{cd, config}, {img.target, manifest}};
  return img;
}

TEST_F(RemoveTest, AmbiguousPrefixIsNotFound) {
  auto a = Layerless(0);
  // Find a second image whose ID shares the first four hex digits.
  testing::BuiltImage b;
  for (int i = 1;; ++i) {
    auto cand = Layerless(i);
    if (cand.target.digest.hex().substr(0, 4) == a.target.digest.hex().substr(0, 4)) {
      b = cand;
      break;
    }
    ASSERT_LT(i, 5000000);
  }
  Add(a, {"a:1"});
  Add(b, {"b:1"});
  auto r = images()->Remove(a.target.digest.hex().substr(0, 4), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_EQ(r.status().message(), "ambiguous reference");
  EXPECT_EQ(RecordNames().size(), 2u);
}

TEST_F(RemoveTest, NameThatLooksLikeAnIdIsAName) {
  auto named = Simple("named");
  auto other = Simple("other");
  Add(named, {"abcd1234:latest"});
  Add(other, {"other:1"});
  auto r = images()->Remove("abcd1234", {});
  ASSERT_OK(r);
  EXPECT_EQ(Lines(*r), (V{"Untagged: abcd1234:latest", "Deleted: " + named.target.digest.str()}));
  EXPECT_EQ(RecordNames(), V{Full("other:1")});
}

TEST_F(RemoveTest, NameAndIdPrefixOfTwoImagesAreAmbiguousForRemovalOnly) {
  auto named = Simple("named");
  auto other = Simple("other");
  std::string prefix = other.target.digest.hex().substr(0, 8);
  Add(named, {prefix + ":latest"});
  Add(other, {"other:1"});
  // Inspect and tag resolve the exact name...
  auto resolved = images()->Resolve(prefix);
  ASSERT_OK(resolved);
  EXPECT_EQ(resolved->target.digest, named.target.digest);
  // ...while removal refuses to guess, as Docker's does.
  auto r = images()->Remove(prefix, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "ambiguous reference");
  EXPECT_EQ(RecordNames().size(), 2u);
}

// ---- untag versus delete ----

TEST_F(RemoveTest, TagWithAnotherTagOnlyUntags) {
  auto img = Simple("tags");
  Add(img, {"repo:1", "repo:2"});
  DrainEvents();
  auto r = images()->Remove("repo:1", {});
  ASSERT_OK(r);
  EXPECT_EQ(Lines(*r), V{"Untagged: repo:1"});
  EXPECT_EQ(RecordNames(), V{Full("repo:2")});
  EXPECT_TRUE(FullyPresent(img));
  EXPECT_EQ(DrainEvents(), V{"untag repo:1"});
}

TEST_F(RemoveTest, NameInAnotherRepositoryOnlyUntags) {
  auto img = Simple("repos");
  Add(img, {"a:1", "b:1"});
  auto r = images()->Remove("a:1", {});
  ASSERT_OK(r);
  EXPECT_EQ(Lines(*r), V{"Untagged: a:1"});
  EXPECT_EQ(RecordNames(), V{Full("b:1")});
}

TEST_F(RemoveTest, ByIdWithUnrelatedNamesNeedsForce) {
  auto img = Simple("multi");
  const std::string id = img.target.digest.str();
  for (V names : {V{"a:1", "b:1"}, V{"a:1", "a:2"}}) {
    Add(img, names);
    auto r = images()->Remove(id, {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kConflict);
    EXPECT_EQ(r.status().message(), "conflict: unable to delete " + Short(img.target.digest) +
                                        " (must be forced) - image is referenced in multiple repositories");
    EXPECT_EQ(RecordNames().size(), 2u);
    auto f = images()->Remove(id, {.force = true});
    ASSERT_OK(f);
    EXPECT_EQ(Lines(*f), (V{"Untagged: " + names[0], "Untagged: " + names[1], "Deleted: " + id}));
    EXPECT_TRUE(RecordNames().empty());
    EXPECT_FALSE(Present(img.target.digest));
  }
}

TEST_F(RemoveTest, TagAndDigestNameOfOneRepositoryAreOneReference) {
  auto img = Simple("digestname");
  const std::string id = img.target.digest.str();
  // By ID: no force needed.
  Add(img, {"repo:tag", "repo@" + id});
  auto r = images()->Remove(id, {});
  ASSERT_OK(r);
  EXPECT_EQ(Lines(*r), (V{"Untagged: repo:tag", "Untagged: repo@" + id, "Deleted: " + id}));
  // By tag: both names go and the image with them.
  Add(img, {"repo:tag", "repo@" + id});
  r = images()->Remove("repo:tag", {});
  ASSERT_OK(r);
  EXPECT_EQ(Lines(*r), (V{"Untagged: repo:tag", "Untagged: repo@" + id, "Deleted: " + id}));
  EXPECT_TRUE(RecordNames().empty());
}

TEST_F(RemoveTest, DigestNameUntagsEveryNameOfThatRepository) {
  auto img = Simple("bydigest");
  const std::string id = img.target.digest.str();
  Add(img, {"a:1", "a:2", "b:1"});
  auto r = images()->Remove("a@" + id, {});
  ASSERT_OK(r);
  EXPECT_EQ(Lines(*r), (V{"Untagged: a:1", "Untagged: a:2"}));
  EXPECT_EQ(RecordNames(), V{Full("b:1")});
  // A repository that does not name the image: not found.
  auto n = images()->Remove("zzz@" + id, {});
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().message(), "No such image: zzz@" + id);
  // The remaining repository by digest removes the image.
  r = images()->Remove("b@" + id, {});
  ASSERT_OK(r);
  EXPECT_EQ(Lines(*r), (V{"Untagged: b:1", "Deleted: " + id}));
}

TEST_F(RemoveTest, OtherTagCancelsDigestNames) {
  auto img = Simple("cancel");
  const std::string id = img.target.digest.str();
  Add(img, {"repo:1", "repo:2", "repo@" + id});
  auto r = images()->Remove("repo:1", {});
  ASSERT_OK(r);
  EXPECT_EQ(Lines(*r), V{"Untagged: repo:1"});
  EXPECT_EQ(RecordNames(), (V{Full("repo:2"), "docker.io/library/repo@" + id}));
}

TEST_F(RemoveTest, ExplicitDanglingNameDeletesLikeAnId) {
  auto img = Simple("dangling");
  Add(img, {});
  const std::string id = img.target.digest.str();
  EXPECT_EQ(RecordNames(), V{"moby-dangling@" + id});
  auto r = images()->Remove("moby-dangling@" + id, {});
  ASSERT_OK(r);
  EXPECT_EQ(Lines(*r), V{"Deleted: " + id});
  EXPECT_TRUE(RecordNames().empty());
  EXPECT_FALSE(Present(img.target.digest));
}

// ---- conflicts ----

TEST_F(RemoveTest, RunningContainerCannotBeForcedById) {
  auto img = Simple("running");
  Add(img, {"app:1"});
  std::string c = AddContainer(img.target.digest.str(), img.target.digest, /*running=*/true);
  for (bool force : {false, true}) {
    auto r = images()->Remove(img.target.digest.str(), {.force = force});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kConflict);
    EXPECT_EQ(r.status().message(), "conflict: unable to delete " + Short(img.target.digest) +
                                        " (cannot be forced) - image is being used by running container " +
                                        c.substr(0, 12));
  }
  EXPECT_EQ(RecordNames(), V{Full("app:1")});
  EXPECT_TRUE(FullyPresent(img));
}

TEST_F(RemoveTest, StoppedContainerMustBeForcedById) {
  auto img = Simple("stopped");
  Add(img, {"app:1"});
  std::string c = AddContainer("app:1", img.target.digest, /*running=*/false);
  auto r = images()->Remove(img.target.digest.hex().substr(0, 12), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "conflict: unable to delete " + Short(img.target.digest) +
                                      " (must be forced) - image is being used by stopped container " + c.substr(0, 12));
  auto f = images()->Remove(img.target.digest.hex().substr(0, 12), {.force = true});
  ASSERT_OK(f);
  EXPECT_EQ(Lines(*f), (V{"Untagged: app:1", "Deleted: " + img.target.digest.str()}));
}

TEST_F(RemoveTest, ContainerUsingTheNamedImageMustBeForced) {
  auto img = Simple("byname");
  Add(img, {"app:1"});
  for (bool running : {true, false}) {
    std::string c = AddContainer("app:1", img.target.digest, running);
    auto r = images()->Remove("app:1", {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kConflict);
    EXPECT_EQ(r.status().message(), "conflict: unable to delete app:1 (must be forced) - container " + c.substr(0, 12) +
                                        " is using its referenced image " + Short(img.target.digest));
    ASSERT_OK(images()->DeleteContainer(c));
  }
}

TEST_F(RemoveTest, ImageMountCountsOnTheByNamePath) {
  auto img = Simple("mounted");
  auto other = Simple("other");
  Add(img, {"data:1"});
  Add(other, {"app:1"});
  std::string c = AddContainer("app:1", other.target.digest, true, {}, std::nullopt, {img.target.digest});
  auto r = images()->Remove("data:1", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "conflict: unable to delete data:1 (must be forced) - container " + c.substr(0, 12) +
                                      " is using its referenced image " + Short(img.target.digest));
}

TEST_F(RemoveTest, ForceByNameWithContainerUntagsAndKeepsDangling) {
  auto img = Simple("softdelete");
  Add(img, {"app:1"});
  AddContainer("app:1", img.target.digest, /*running=*/true);
  DrainEvents();
  auto r = images()->Remove("app:1", {.force = true});
  ASSERT_OK(r);
  EXPECT_EQ(Lines(*r), V{"Untagged: app:1"});
  EXPECT_EQ(RecordNames(), V{"moby-dangling@" + img.target.digest.str()});
  EXPECT_TRUE(FullyPresent(img));
  EXPECT_EQ(DrainEvents(), V{"untag app:1"});
}

TEST_F(RemoveTest, UntagWhileAnotherTagAndAContainerRemain) {
  auto img = Simple("keep");
  Add(img, {"app:1", "app:2"});
  AddContainer("app:1", img.target.digest, true);
  auto r = images()->Remove("app:1", {});
  ASSERT_OK(r);
  EXPECT_EQ(Lines(*r), V{"Untagged: app:1"});
  EXPECT_EQ(RecordNames(), V{Full("app:2")});
}

// ---- parents ----

class ParentTest : public RemoveTest {
 protected:
  // grand <- parent <- child, by the parent label.
  void MakeChain(const V& grand_names, const V& parent_names, const V& child_names) {
    grand_ = Simple("grand");
    parent_ = Simple("parent");
    child_ = Simple("child");
    Add(grand_, grand_names);
    Add(parent_, parent_names, {{"org.mobyproject.image.parent", grand_.target.digest.str()}});
    Add(child_, child_names, {{"org.mobyproject.image.parent", parent_.target.digest.str()}});
  }
  testing::BuiltImage grand_, parent_, child_;
};

TEST_F(ParentTest, DanglingParentsArePrunedNearestFirst) {
  MakeChain({}, {}, {"child:1"});
  DrainEvents();
  auto r = images()->Remove("child:1", {});
  ASSERT_OK(r);
  EXPECT_EQ(Lines(*r), (V{"Untagged: child:1", "Deleted: " + child_.target.digest.str(),
                          "Deleted: " + parent_.target.digest.str(), "Deleted: " + grand_.target.digest.str()}));
  EXPECT_TRUE(RecordNames().empty());
  EXPECT_FALSE(Present(grand_.target.digest));
  EXPECT_EQ(DrainEvents(), (V{"untag child:1", "delete " + child_.target.digest.str(),
                              "delete " + parent_.target.digest.str(), "delete " + grand_.target.digest.str()}));
}

TEST_F(ParentTest, NoPruneKeepsParents) {
  MakeChain({}, {}, {"child:1"});
  auto r = images()->Remove("child:1", {.prune = false});
  ASSERT_OK(r);
  EXPECT_EQ(Lines(*r), (V{"Untagged: child:1", "Deleted: " + child_.target.digest.str()}));
  EXPECT_EQ(RecordNames().size(), 2u);
}

TEST_F(ParentTest, PruningStopsAtANamedParent) {
  MakeChain({}, {"parent:1"}, {"child:1"});
  auto r = images()->Remove("child:1", {});
  ASSERT_OK(r);
  EXPECT_EQ(Lines(*r), (V{"Untagged: child:1", "Deleted: " + child_.target.digest.str()}));
  EXPECT_EQ(RecordNames().size(), 2u);
}

TEST_F(ParentTest, PruningStopsSilentlyAtAParentAContainerUses) {
  MakeChain({}, {}, {"child:1"});
  AddContainer(parent_.target.digest.str(), parent_.target.digest, false);
  auto r = images()->Remove("child:1", {});
  ASSERT_OK(r);
  EXPECT_EQ(Lines(*r), (V{"Untagged: child:1", "Deleted: " + child_.target.digest.str()}));
  EXPECT_TRUE(FullyPresent(parent_));
  EXPECT_TRUE(FullyPresent(grand_));
}

TEST_F(ParentTest, LastNameOfAnImageWithChildrenKeepsItDangling) {
  grand_ = Simple("grand");
  parent_ = Simple("parent", {{"team", "p"}});
  child_ = Simple("child");
  Add(grand_, {"grand:1"});
  Add(parent_, {"parent:1"}, {{"org.mobyproject.image.parent", grand_.target.digest.str()}});
  Add(child_, {"child:1"}, {{"org.mobyproject.image.parent", parent_.target.digest.str()}});
  DrainEvents();
  auto r = images()->Remove("parent:1", {});
  ASSERT_OK(r);
  // Docker still reports the image as deleted.
  EXPECT_EQ(Lines(*r), (V{"Untagged: parent:1", "Deleted: " + parent_.target.digest.str()}));
  auto names = RecordNames();
  EXPECT_NE(std::find(names.begin(), names.end(), "moby-dangling@" + parent_.target.digest.str()), names.end());
  EXPECT_TRUE(FullyPresent(parent_));
  // The image still exists, so its delete event carries its config labels
  // (the untag event carries the name only).
  auto events = DrainEventObjects();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].action, "untag");
  EXPECT_EQ(events[0].attributes, (std::map<std::string, std::string>{{"name", "parent:1"}}));
  EXPECT_EQ(events[1].action, "delete");
  EXPECT_EQ(events[1].attributes, (std::map<std::string, std::string>{{"name", parent_.target.digest.str()},
                                                                      {"team", "p"}}));
  // Once really gone, the delete event has no labels left to carry.
  ASSERT_OK(images()->Remove("child:1", {}));
  for (const auto& e : DrainEventObjects()) {
    if (e.action == "delete") EXPECT_FALSE(e.attributes.contains("team")) << e.actor_id;
  }
}

// Docker's parents() fails when any ancestor cannot be resolved, and then
// nothing is pruned, not even the parents that were found.
TEST_F(ParentTest, UnresolvableAncestorPrunesNoParent) {
  for (const std::string& missing : {Digest::Of("no such image").str(), std::string("not-a-digest")}) {
    SCOPED_TRACE(missing);
    parent_ = Simple("parent-" + missing);
    child_ = Simple("child-" + missing);
    Add(parent_, {}, {{"org.mobyproject.image.parent", missing}});
    Add(child_, {"child:1"}, {{"org.mobyproject.image.parent", parent_.target.digest.str()}});
    auto r = images()->Remove("child:1", {});
    ASSERT_OK(r);
    EXPECT_EQ(Lines(*r), (V{"Untagged: child:1", "Deleted: " + child_.target.digest.str()}));
    EXPECT_EQ(RecordNames(), V{"moby-dangling@" + parent_.target.digest.str()});
    EXPECT_TRUE(FullyPresent(parent_));
    ASSERT_OK(images()->Remove(parent_.target.digest.str(), {}));
  }
}

// ---- garbage collection, events, metrics ----

TEST_F(RemoveTest, SharedContentSurvivesRemoval) {
  auto a = Multi("a", {kAmd64});
  auto b = Multi("b", {kAmd64});  // shares the base layer with a
  Add(a, {"a:1"});
  Add(b, {"b:1"});
  ASSERT_OK(images()->Remove("a:1", {}));
  EXPECT_FALSE(Present(a.target.digest));
  EXPECT_TRUE(FullyPresent(b));
  auto gc = images()->CollectGarbage();
  ASSERT_OK(gc);
  EXPECT_EQ(gc->blobs, 0u) << "reference counting left garbage behind";
}

TEST_F(RemoveTest, MetricAndEventsRecordTheDeletion) {
  auto img = Simple("metric");
  Add(img, {"m:1"});
  DrainEvents();
  double before = store_->metrics()->ImageActionCount("delete");
  ASSERT_OK(images()->Remove("m:1", {}));
  EXPECT_EQ(store_->metrics()->ImageActionCount("delete"), before + 1);
  EXPECT_EQ(DrainEvents(), (V{"untag m:1", "delete " + img.target.digest.str()}));
}

TEST_F(RemoveTest, FailedRemovalChangesNothing) {
  auto img = Simple("atomic");
  Add(img, {"a:1", "b:1"});
  AddContainer("x", img.target.digest, true);
  auto r = images()->Remove(img.target.digest.str(), {.force = true});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(RecordNames(), (V{Full("a:1"), Full("b:1")}));
  EXPECT_TRUE(FullyPresent(img));
}

}  // namespace
}  // namespace berth::image_test

namespace berth::image_test {
namespace {

// Beyond Docker: by ID, an image a container mounts (--mount type=image) is
// as used as the image it was created from, and the mount holds its content.
TEST_F(RemoveTest, ImageMountIsAConflictByIdAndHoldsContent) {
  auto img = Simple("mounted-by-id");
  auto other = Simple("mounting");
  Add(img, {"data:1"});
  Add(other, {"app:1"});
  const std::string id = img.target.digest.str();
  std::string running = AddContainer("app:1", other.target.digest, true, {}, std::nullopt, {img.target.digest});
  for (bool force : {false, true}) {
    auto r = images()->Remove(id, {.force = force});
    ASSERT_FALSE(r.ok()) << "force " << force;
    EXPECT_EQ(r.status().message(), "conflict: unable to delete " + Short(img.target.digest) +
                                        " (cannot be forced) - image is being used by running container " +
                                        running.substr(0, 12));
  }
  ASSERT_OK(images()->DeleteContainer(running));

  // Stopped: a soft conflict; forced, the record goes but the content stays
  // while the container exists.
  std::string stopped = AddContainer("app:1", other.target.digest, false, {}, std::nullopt, {img.target.digest});
  auto r = images()->Remove(id, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "conflict: unable to delete " + Short(img.target.digest) +
                                      " (must be forced) - image is being used by stopped container " +
                                      stopped.substr(0, 12));
  ASSERT_OK(images()->Remove(id, {.force = true}));
  EXPECT_TRUE(FullyPresent(img)) << "the mount's content went with the image record";
  // The container's record is written again (a start, a stop): it still holds.
  auto rows = images()->Containers();
  ASSERT_OK(rows);
  for (ContainerRecord c : *rows) {
    if (c.id != stopped) continue;
    c.state = ContainerState::kRunning;
    ASSERT_OK(images()->PutContainer(c));
  }
  EXPECT_TRUE(FullyPresent(img)) << "rewriting the container dropped the mount's hold";
  ASSERT_OK(images()->DeleteContainer(stopped));
  for (const auto& b : img.blobs) EXPECT_FALSE(Present(b.descriptor.digest)) << b.descriptor.digest.str();
}

}  // namespace
}  // namespace berth::image_test

namespace berth::image_test {
namespace {

// docker create resolves its image, then writes the container row; a
// removal that commits in between must not leave a container whose content
// is being deleted: the row is refused instead.
TEST_F(RemoveTest, ContainerOfAnImageRemovedSinceItWasResolvedIsRefused) {
  auto img = Simple("raced");
  Add(img, {"raced:1"});
  auto resolved = images()->Resolve("raced:1");
  ASSERT_OK(resolved);
  ASSERT_OK(images()->Remove("raced:1", {}));
  ContainerRecord c;
  c.id = Digest::Of("raced-container").hex();
  c.name = "raced";
  c.image_ref = "raced:1";
  c.image_id = resolved->id();
  c.image_manifest = resolved->id();
  Status s = images()->PutContainer(c);
  EXPECT_EQ(s.code(), Code::kNotFound) << s.ToString();
  EXPECT_EQ(s.message(), "No such image: " + resolved->id().str() + " (removed while in use)");
  auto rows = images()->Containers();
  ASSERT_OK(rows);
  EXPECT_TRUE(rows->empty());
  for (const auto& b : img.blobs) EXPECT_FALSE(Present(b.descriptor.digest));

  // A mounted image removed in between: the same.
  auto base = Simple("raced-base");
  auto mounted = Simple("raced-mounted");
  Add(base, {"base:1"});
  Add(mounted, {"mounted:1"});
  ASSERT_OK(images()->Remove("mounted:1", {}));
  c.image_id = base.target.digest;
  c.image_manifest = base.target.digest;
  c.image_mounts = {mounted.target.digest};
  EXPECT_EQ(images()->PutContainer(c).code(), Code::kNotFound);
  // Without the mount it is created, and written again later it is kept
  // even though nothing else names its image any more.
  c.image_mounts.clear();
  ASSERT_OK(images()->PutContainer(c));
  ASSERT_OK(images()->Remove("base:1", {.force = true}));
  c.state = ContainerState::kExited;
  ASSERT_OK(images()->PutContainer(c));
  EXPECT_TRUE(FullyPresent(base));
}

}  // namespace
}  // namespace berth::image_test
