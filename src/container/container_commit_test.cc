// Commit of a container's changes into new images, and the snapshot sweep.
#include "container/container_test_util.h"

namespace berth::container_test {
namespace {

using ::testing::HasSubstr;

TEST_F(ContainerTest, CommitChainsAndDangling) {
  auto base = Busybox("bb:1");
  std::string w = Run("writer", Cfg("bb:1", {"sh", "-c", "echo data > /newfile"}));
  ASSERT_EQ(WaitExit(w), 0);
  CommitOptions co;
  co.container = "writer";
  co.repo = "committed";
  co.tag = "v1";
  co.comment = "first";
  co.author = "tester";
  co.changes = {"ENV FOO=bar", "CMD [\"cat\", \"/newfile\"]", "LABEL stage=one", "EXPOSE 80"};
  ContainerEvents();
  auto d1 = svc_->Commit(co);
  ASSERT_OK(d1);
  auto ev = ContainerEvents();
  EXPECT_EQ(ev, std::vector<std::string>{"commit"});

  auto rec = store_->images()->Resolve("committed:v1");
  ASSERT_OK(rec);
  EXPECT_EQ(rec->id(), *d1);
  EXPECT_EQ(ParentOf(*rec), base.target.digest.str());
  auto inspect = store_->images()->Inspect("committed:v1", std::nullopt, false);
  ASSERT_OK(inspect);
  EXPECT_EQ(inspect->comment, "first");
  EXPECT_EQ(inspect->author, "tester");
  EXPECT_EQ(inspect->diff_ids.size(), 2u);
  EXPECT_THAT(inspect->config_json, HasSubstr("\"FOO=bar\""));
  EXPECT_THAT(inspect->config_json, HasSubstr("\"80/tcp\""));
  EXPECT_THAT(inspect->config_json, HasSubstr("\"stage\":\"one\""));

  // The new image runs its new Cmd and has the file.
  std::string r1 = Run("", Cfg("committed:v1", {}));
  EXPECT_EQ(WaitExit(r1), 0);
  EXPECT_EQ(Log(r1), "data\n");
  ContainerConfig envc = Cfg("committed:v1", {"sh", "-c", "echo $FOO"});
  std::string r1e = Run("", envc);
  EXPECT_EQ(WaitExit(r1e), 0);
  EXPECT_EQ(Log(r1e), "bar\n");

  // A second commit on top of the first.
  std::string w2 = Run("writer2", Cfg("committed:v1", {"sh", "-c", "echo more > /second; rm /newfile"}));
  ASSERT_EQ(WaitExit(w2), 0);
  CommitOptions co2;
  co2.container = w2;
  co2.repo = "committed";
  co2.tag = "v2";
  co2.changes = {"CMD ls /"};
  auto d2 = svc_->Commit(co2);
  ASSERT_OK(d2);
  EXPECT_EQ(ParentOf(*store_->images()->Resolve("committed:v2")), d1->str());
  std::string r2 = Run("", Cfg("committed:v2", {"sh", "-c", "cat /second; ls /newfile"}));
  EXPECT_EQ(WaitExit(r2), 1);  // /newfile was deleted (whiteout)
  EXPECT_THAT(Log(r2), HasSubstr("more\n"));
  auto i2 = store_->images()->Inspect("committed:v2", std::nullopt, false);
  ASSERT_OK(i2);
  EXPECT_EQ(i2->diff_ids.size(), 3u);
  EXPECT_THAT(i2->config_json, HasSubstr("[\"/bin/sh\",\"-c\",\"ls /\"]"));

  // The ancestor filter follows parents: r2 runs an image built on bb:1.
  ContainerListOptions anc;
  anc.all = true;
  anc.filters["ancestor"] = {"bb:1"};
  auto desc = svc_->List(anc);
  ASSERT_OK(desc);
  EXPECT_EQ(desc->size(), 5u);  // writer, r1, r1e, writer2, r2
  anc.filters["ancestor"] = {"committed:v2"};
  desc = svc_->List(anc);
  ASSERT_OK(desc);
  ASSERT_EQ(desc->size(), 1u);
  EXPECT_EQ(desc->front().record.id, r2);

  // Re-committing to v1 leaves the old v1 image dangling.
  co.changes = {};
  co.container = "writer";
  auto d3 = svc_->Commit(co);
  ASSERT_OK(d3);
  EXPECT_NE(*d3, *d1);  // new created time
  auto old = store_->images()->Resolve(d1->str());
  ASSERT_OK(old);
  EXPECT_TRUE(IsDangling(*old)) << old->name;
  EXPECT_EQ(store_->images()->Resolve("committed:v1")->id(), *d3);

  // Unnamed commit: a dangling image.
  CommitOptions anon;
  anon.container = "writer";
  auto d4 = svc_->Commit(anon);
  ASSERT_OK(d4);
  EXPECT_TRUE(IsDangling(*store_->images()->Resolve(d4->str())));

  CommitOptions bad;
  bad.container = "writer";
  bad.changes = {"RUN echo"};
  EXPECT_EQ(svc_->Commit(bad).status().code(), Code::kInvalidArgument);
  bad.changes = {};
  bad.container = "nosuch";
  EXPECT_EQ(svc_->Commit(bad).status().code(), Code::kNotFound);
}

TEST_F(ContainerTest, SweepSnapshots) {
  auto a = Busybox("a:1", {{"a", "1"}});
  auto b = Busybox("b:1", {{"b", "2"}});
  auto ca = Chains(a);
  auto cb = Chains(b);
  ASSERT_EQ(ca.size(), 2u);
  ASSERT_EQ(cb.size(), 2u);
  EXPECT_EQ(ca[0], cb[0]);  // shared busybox layer
  std::string keep = Run("", Cfg("a:1", {"true"}));
  EXPECT_EQ(WaitExit(keep), 0);
  std::string gone = Run("", Cfg("b:1", {"true"}));
  EXPECT_EQ(WaitExit(gone), 0);
  auto dirs = SnapshotDirs();
  EXPECT_EQ(dirs.size(), 3u);
  ASSERT_OK(svc_->Remove(gone, false));
  // b is still an image: its snapshots stay.
  EXPECT_EQ(SnapshotDirs().size(), 3u);
  ASSERT_OK(store_->images()->Remove("b:1", {}));
  // The image service's reaper sweeps once it has deleted b's content.
  store_->images()->WaitForCollection();
  EXPECT_EQ(SnapshotDirs().size(), 2u);
  auto n = svc_->SweepSnapshots();
  ASSERT_OK(n);
  EXPECT_EQ(*n, 0);  // nothing was left for a second sweep
  auto after = SnapshotDirs();
  EXPECT_EQ(after, (std::vector<std::string>{std::min(ca[0].hex(), ca[1].hex()), std::max(ca[0].hex(), ca[1].hex())}));
  // Image a is used by a container: removing its record (forced) keeps the
  // snapshots the container needs.
  ASSERT_OK(store_->images()->Remove("a:1", RemoveOptions{true}));
  ASSERT_OK(svc_->SweepSnapshots());
  EXPECT_EQ(SnapshotDirs().size(), 2u);
  ASSERT_OK(svc_->Start(keep));
  EXPECT_EQ(WaitExit(keep), 0);
}

TEST_F(ContainerTest, ImageMounts) {
  Busybox("bb:1");
  auto one = testing::SimpleImage({{"data/one", "single layer"}});
  ASSERT_OK(one);
  ASSERT_OK(testing::AddToStore(store_.get(), *one, {"one:1"}));
  testing::FixtureImage spec;
  testing::FixturePlatform fp;
  fp.layers.push_back(testing::FixtureLayer{{{"data/low", "lower"}, {"data/over", "old"}}});
  fp.layers.push_back(testing::FixtureLayer{{{"data/over", "new"}}});
  spec.platforms.push_back(fp);
  auto two = testing::BuildImage(spec);
  ASSERT_OK(two);
  ASSERT_OK(testing::AddToStore(store_.get(), *two, {"two:1"}));
  ContainerConfig cfg = Cfg("bb:1", {"sh", "-c", "cat /m1/data/one /m2/data/low /m2/data/over; touch /m2/x"});
  cfg.image_mounts = {{"one:1", "/m1", true}, {"two:1", "/m2", true}};
  std::string id = Run("", cfg);
  EXPECT_EQ(WaitExit(id), 1);  // read-only: touch fails
  std::string out, err;
  ASSERT_OK(svc_->Logs(id, LogReadOptions{}, [&](const LogEntry& e) {
    (e.stream == "stdout" ? out : err) += e.data;
    return OkStatus();
  }));
  EXPECT_EQ(out, "single layerlowernew");
  EXPECT_THAT(err, HasSubstr("Read-only file system"));
  auto info = svc_->Get(id);
  ASSERT_OK(info);
  EXPECT_EQ(info->record.image_mounts, (std::vector<Digest>{one->target.digest, two->target.digest}));
  // The mounted image is in use.
  EXPECT_EQ(store_->images()->Remove("two:1", {}).status().code(), Code::kConflict);
  ContainerConfig rel = cfg;
  rel.image_mounts = {{"one:1", "relative", true}};
  EXPECT_EQ(svc_->Create("", rel).status().code(), Code::kInvalidArgument);
}

TEST_F(ContainerTest, PlatformSelection) {
  Busybox("bb:1");
  testing::FixtureImage spec;
  spec.force_index = true;
  for (std::string arch : {"amd64", "arm64"}) {
    testing::FixturePlatform fp;
    fp.platform = Platform{"linux", arch, "", "", {}};
    fp.layers.push_back(testing::FixtureLayer{{{"arch", arch}}, true});
    fp.cmd = {"cat", "/arch"};
    spec.platforms.push_back(fp);
  }
  auto multi = testing::BuildImage(spec);
  ASSERT_OK(multi);
  ASSERT_OK(testing::AddToStore(store_.get(), *multi, {"multi:1"}));
  std::string id = Run("", Cfg("multi:1", {}));
  EXPECT_EQ(WaitExit(id), 0);
  EXPECT_EQ(Log(id), "amd64");
  auto info = svc_->Get(id);
  ASSERT_OK(info);
  EXPECT_EQ(info->record.image_id, multi->target.digest);
  EXPECT_EQ(info->record.image_manifest, multi->ManifestFor(Platform{"linux", "amd64", "", "", {}}));
  ContainerConfig arm = Cfg("multi:1", {});
  arm.platform = Platform{"linux", "arm64", "", "", {}};
  auto c = svc_->Create("", arm);
  ASSERT_OK(c);
  EXPECT_EQ(svc_->Get(c->id)->record.image_manifest, multi->ManifestFor(*arm.platform));
  ContainerConfig s390 = Cfg("multi:1", {});
  s390.platform = Platform{"linux", "s390x", "", "", {}};
  auto missing = svc_->Create("", s390);
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_EQ(missing.status().message(),
            "image with reference multi:1 was found but does not provide the specified platform (linux/s390x)");
  ContainerConfig none = Cfg("bb:1", {});
  none.cmd = std::vector<std::string>{};
  Busybox("nocmd:1", {}, {});
  none.image = "nocmd:1";
  auto nc = svc_->Create("", none);
  EXPECT_EQ(nc.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(nc.status().message(), "no command specified");
}

}  // namespace
}  // namespace berth::container_test
