// Snapshotter tests: real layer tars in a real content store, unpacked into
// a temporary directory.

#include <gtest/gtest.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <thread>

#include "berth/snapshot.h"
#include "snapshot/snapshot_test_util.h"
#include "snapshot/unpack.h"
#include "testing/fixture.h"

namespace berth {
namespace {

using testing::TarEntry;
using Type = testing::TarEntry::Type;

TEST(ChainIdTest, MatchesOciFormula) {
  // Expected values computed with sha256sum from the formula in the OCI
  // image spec: chain(L0..Ln) = sha256(chain(L0..Ln-1) + " " + diff(Ln)).
  Digest a = Digest::Of("a"), b = Digest::Of("b"), c = Digest::Of("c");
  ASSERT_EQ(a.hex(), "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb");
  EXPECT_EQ(ChainId({}), Digest());
  EXPECT_EQ(ChainId({a}), a);
  EXPECT_EQ(ChainId({a, b}).hex(), "51c0c8ace48498d6f5fee6b0592cc06f2da0f3cbe09c5a34a97dce85c3889676");
  EXPECT_EQ(ChainId({a, b, c}).hex(), "2fce7f8ce91bcf0a1428b36e1024639fdbd9469eea762dba98aa749631885106");
}

TEST(CleanLayerPathTest, Table) {
  struct Case {
    const char* in;
    std::optional<std::string> want;
  } cases[] = {
      {"etc/x", "etc/x"},   {"/etc/x", "etc/x"}, {"./etc//x/", "etc/x"}, {".", ""},
      {"/", ""},            {"a/./b", "a/b"},    {"../x", std::nullopt}, {"a/../../x", std::nullopt},
      {"a/..", std::nullopt}, {"..foo", "..foo"},
  };
  for (const Case& c : cases) EXPECT_EQ(snapshot::CleanLayerPath(c.in), c.want) << c.in;
}

class SnapshotTest : public SnapshotTestBase {};

TEST_F(SnapshotTest, UnpacksEachCompression) {
  for (Compression c : {Compression::kNone, Compression::kGzip, Compression::kZstd}) {
    SCOPED_TRACE(static_cast<int>(c));
    std::string content = "content " + std::to_string(static_cast<int>(c));
    LayerSpec layer = AddLayer({{"etc", Type::kDir, "", "", 0750},
                                {"etc/hostname", Type::kFile, content, "", 0600},
                                {"etc/copy", Type::kHardlink, "", "etc/hostname", 0600},
                                {"bin/sh", Type::kSymlink, "", "busybox"},
                                {"/abs/file", Type::kFile, "abs"}},
                               c);
    auto prepared = snapshots_->Prepare({layer});
    ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
    ASSERT_EQ(prepared->dirs.size(), 1u);
    EXPECT_EQ(prepared->unpacked, 1);
    EXPECT_EQ(prepared->chain_ids, std::vector<Digest>{layer.diff_id});
    const std::string fs = prepared->dirs[0];
    EXPECT_EQ(fs, snapshot_root_ + "/" + layer.diff_id.hex() + "/fs");
    EXPECT_TRUE(Exists(snapshot_root_ + "/" + layer.diff_id.hex() + "/.done"));
    EXPECT_EQ(ReadFile(fs + "/etc/hostname"), content);
    EXPECT_EQ(ReadFile(fs + "/abs/file"), "abs");
    struct stat st, st2;
    ASSERT_EQ(::lstat((fs + "/etc/hostname").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    EXPECT_EQ(st.st_mtime, 1704067200);  // the fixture's fixed mtime
    ASSERT_EQ(::lstat((fs + "/etc/copy").c_str(), &st2), 0);
    EXPECT_EQ(st.st_ino, st2.st_ino);
    ASSERT_EQ(::lstat((fs + "/etc").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0750u);
    EXPECT_EQ(st.st_mtime, 1704067200);  // restored after its children were written
    EXPECT_EQ(ReadLink(fs + "/bin/sh"), "busybox");
  }
}

TEST_F(SnapshotTest, ChainedLayersGetChainIdDirs) {
  LayerSpec l0 = AddLayer({{"a", Type::kFile, "0"}}, Compression::kGzip);
  LayerSpec l1 = AddLayer({{"a", Type::kFile, "1"}}, Compression::kGzip);
  auto prepared = snapshots_->Prepare({l0, l1});
  ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
  ASSERT_EQ(prepared->chain_ids.size(), 2u);
  EXPECT_EQ(prepared->chain_ids[0], l0.diff_id);
  EXPECT_EQ(prepared->chain_ids[1], ChainId({l0.diff_id, l1.diff_id}));
  EXPECT_EQ(prepared->unpacked, 2);
  // Each directory holds its own layer only.
  EXPECT_EQ(ReadFile(prepared->dirs[0] + "/a"), "0");
  EXPECT_EQ(ReadFile(prepared->dirs[1] + "/a"), "1");
}

TEST_F(SnapshotTest, WrongDiffIdIsDataLossAndLeavesNothing) {
  LayerSpec layer = AddLayer({{"a", Type::kFile, "x"}}, Compression::kGzip);
  layer.diff_id = Digest::Of("not the tar");
  auto prepared = snapshots_->Prepare({layer});
  ASSERT_FALSE(prepared.ok());
  EXPECT_EQ(prepared.status().code(), Code::kDataLoss) << prepared.status().ToString();
  EXPECT_NE(prepared.status().message().find(layer.blob.digest.str()), std::string::npos);
  ExpectNoSnapshots();
}

TEST_F(SnapshotTest, DecompressionBombsAreStoppedAndLeaveNothing) {
  // 16 MiB of zeros, which gzip makes about 1000 times smaller.
  LayerSpec bomb = AddLayer({{"zeros", Type::kFile, std::string(16 << 20, '\0')}}, Compression::kGzip);
  LayerSpec plain = AddLayer({{"zeros", Type::kFile, std::string(3 << 20, '\0')}}, Compression::kNone);
  auto reopen = [&](const DecompressionLimits& limits) {
    snapshots_.reset();
    auto s = Snapshotter::Open(snapshot_root_, content_.get(), limits);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    snapshots_ = std::move(*s);
  };
  reopen({.max_bytes = 0, .max_ratio = 100, .ratio_after_bytes = 1 << 20});
  auto got = snapshots_->Prepare({bomb});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Code::kInvalidArgument);
  EXPECT_NE(got.status().message().find("layer " + bomb.blob.digest.str() + " decompresses more than 100:1"),
            std::string::npos)
      << got.status().message();
  ExpectNoSnapshots();

  reopen({.max_bytes = 2 << 20, .max_ratio = 0});
  got = snapshots_->Prepare({plain});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().message(),
            "layer " + plain.blob.digest.str() + " is larger than the limit of 2097152 bytes when decompressed");
  ExpectNoSnapshots();

  // Within the defaults both are ordinary layers.
  reopen({});
  got = snapshots_->Prepare({bomb});
  EXPECT_TRUE(got.ok()) << got.status().ToString();
  got = snapshots_->Prepare({plain});
  EXPECT_TRUE(got.ok()) << got.status().ToString();
}

TEST_F(SnapshotTest, RemoveDeletesAVeryDeepTree) {
  LayerSpec layer = AddLayer({{"etc/hostname", Type::kFile, "deep", "", 0644}}, Compression::kGzip);
  auto prepared = snapshots_->Prepare({layer});
  ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
  // 5000 levels under the snapshot, with fewer descriptors allowed than
  // levels (a walk holding one per level fails).
  int fd = ::open(prepared->dirs[0].c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  for (int i = 0; i < 5000; ++i) {
    ASSERT_EQ(::mkdirat(fd, "d", 0755), 0);
    int next = ::openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(next, 0);
    ::close(fd);
    fd = next;
  }
  ::close(fd);
  struct rlimit old_limit;
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &old_limit), 0);
  struct rlimit low = old_limit;
  low.rlim_cur = 256;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  Status s = snapshots_->Remove(prepared->chain_ids[0]);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &old_limit), 0);
  EXPECT_TRUE(s.ok()) << s.ToString();
  ExpectNoSnapshots();
}

TEST_F(SnapshotTest, CorruptBlobIsDataLoss) {
  std::string tar = *testing::WriteTar({{"a", Type::kFile, std::string(4096, 'x')}});
  std::string gz = *testing::CompressStream(tar, Compression::kGzip);
  gz.resize(gz.size() / 2);  // truncated gzip stream
  LayerSpec layer = PutBlob(gz, media_type::kOciLayerGzip, Digest::Of(tar));
  auto prepared = snapshots_->Prepare({layer});
  ASSERT_FALSE(prepared.ok());
  EXPECT_EQ(prepared.status().code(), Code::kDataLoss) << prepared.status().ToString();
  ExpectNoSnapshots();
}

TEST_F(SnapshotTest, MissingBlobIsNotFound) {
  LayerSpec layer;
  layer.blob.media_type = media_type::kOciLayerGzip;
  layer.blob.digest = Digest::Of("absent");
  layer.diff_id = Digest::Of("absent tar");
  auto prepared = snapshots_->Prepare({layer});
  ASSERT_FALSE(prepared.ok());
  EXPECT_EQ(prepared.status().code(), Code::kNotFound) << prepared.status().ToString();
  ExpectNoSnapshots();
}

TEST_F(SnapshotTest, HostilePathsAreRefused) {
  const std::string outside = dir_ + "/outside";
  ASSERT_EQ(::mkdir(outside.c_str(), 0755), 0);
  WriteFile(outside + "/secret", "secret");
  const std::string host_probe = "etc/berth-snapshot-test-" + std::to_string(::getpid());
  struct Case {
    std::string name;
    std::vector<TarEntry> entries;
    std::string bad_path;  // named in the error
  } cases[] = {
      {"dotdot", {{"ok", Type::kFile, "1"}, {"../escape", Type::kFile, "x"}}, "../escape"},
      {"deep dotdot", {{"a/b/../../../escape", Type::kFile, "x"}}, "a/b/../../../escape"},
      {"symlink to root", {{"link", Type::kSymlink, "", "/"}, {"link/" + host_probe, Type::kFile, "x"}},
       "link/" + host_probe},
      {"symlink outside", {{"link", Type::kSymlink, "", outside}, {"link/new", Type::kFile, "x"}}, "link/new"},
      {"symlink dir then dir", {{"d", Type::kSymlink, "", outside}, {"d/", Type::kDir}}, ""},
      {"hardlink dotdot", {{"h", Type::kHardlink, "", "../../x"}}, "../../x"},
      {"hardlink through symlink",
       {{"link", Type::kSymlink, "", outside}, {"h", Type::kHardlink, "", "link/secret"}},
       "link/secret"},
      {"whiteout through symlink", {{"link", Type::kSymlink, "", outside}, {"link/.wh.secret", Type::kFile}},
       "link/.wh.secret"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    LayerSpec layer = AddLayer(c.entries, Compression::kGzip);
    auto prepared = snapshots_->Prepare({layer});
    if (c.bad_path.empty()) {
      // A directory entry "d/" where "d" is a symlink: the symlink is
      // replaced by a directory, nothing is written outside.
      ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
      struct stat st;
      ASSERT_EQ(::lstat((prepared->dirs[0] + "/d").c_str(), &st), 0);
      EXPECT_TRUE(S_ISDIR(st.st_mode));
      ASSERT_TRUE(snapshots_->Remove(prepared->chain_ids[0]).ok());
    } else {
      ASSERT_FALSE(prepared.ok());
      EXPECT_EQ(prepared.status().code(), Code::kInvalidArgument) << prepared.status().ToString();
      EXPECT_EQ(prepared.status().message(),
                "layer " + layer.blob.digest.str() + ": path escapes the layer: " + c.bad_path);
    }
    ExpectNoSnapshots();
    EXPECT_EQ(ListDir(outside), std::vector<std::string>{"secret"});
    EXPECT_EQ(ReadFile(outside + "/secret"), "secret");
    EXPECT_FALSE(Exists(dir_ + "/escape"));
    EXPECT_FALSE(Exists("/" + host_probe));
  }
}

TEST_F(SnapshotTest, HardlinkToSymlinkLinksTheSymlink) {
  const std::string outside = dir_ + "/outside";
  ASSERT_EQ(::mkdir(outside.c_str(), 0755), 0);
  WriteFile(outside + "/secret", "secret");
  LayerSpec layer = AddLayer({{"link", Type::kSymlink, "", outside + "/secret"},
                              {"h", Type::kHardlink, "", "/link"},
                              {"h", Type::kFile, "overwritten"}},  // replaces the link, not the target
                             Compression::kGzip);
  auto prepared = snapshots_->Prepare({layer});
  ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
  const std::string fs = prepared->dirs[0];
  EXPECT_EQ(ReadLink(fs + "/link"), outside + "/secret");
  EXPECT_EQ(ReadFile(fs + "/h"), "overwritten");
  EXPECT_EQ(ReadFile(outside + "/secret"), "secret");
  // A hard link to the symlink alone.
  LayerSpec layer2 = AddLayer({{"link", Type::kSymlink, "", outside + "/secret"}, {"h", Type::kHardlink, "", "link"}},
                              Compression::kGzip);
  prepared = snapshots_->Prepare({layer2});
  ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
  EXPECT_EQ(ReadLink(prepared->dirs[0] + "/h"), outside + "/secret");
  struct stat a, b;
  ASSERT_EQ(::lstat((prepared->dirs[0] + "/h").c_str(), &a), 0);
  ASSERT_EQ(::lstat((prepared->dirs[0] + "/link").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(ReadFile(outside + "/secret"), "secret");
}

TEST_F(SnapshotTest, WhiteoutsBecomeOverlayWhiteouts) {
  LayerSpec layer = AddLayer({{"a", Type::kDir},
                              {"a/.wh.gone", Type::kFile},
                              {"d", Type::kDir},
                              {"d/.wh..wh..opq", Type::kFile},
                              {"d/new", Type::kFile, "new"},
                              {"x/y/.wh.z", Type::kFile},  // parents created on the fly
                              {".wh..wh.plnk", Type::kDir}},  // aufs bookkeeping: skipped
                             Compression::kNone);
  auto prepared = snapshots_->Prepare({layer});
  ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
  const std::string fs = prepared->dirs[0];
  for (const char* wh : {"/a/gone", "/x/y/z"}) {
    struct stat st;
    ASSERT_EQ(::lstat((fs + wh).c_str(), &st), 0) << wh;
    EXPECT_TRUE(S_ISCHR(st.st_mode)) << wh;
    EXPECT_EQ(st.st_rdev, makedev(0, 0)) << wh;
  }
  char value[8] = {};
  ASSERT_EQ(::lgetxattr((fs + "/d").c_str(), "trusted.overlay.opaque", value, sizeof value), 1);
  EXPECT_EQ(value[0], 'y');
  EXPECT_EQ(::lgetxattr((fs + "/a").c_str(), "trusted.overlay.opaque", value, sizeof value), -1);
  EXPECT_EQ(ListDir(fs), (std::vector<std::string>{"a", "d", "x"}));
  EXPECT_EQ(ListDir(fs + "/d"), std::vector<std::string>{"new"});
}

TEST_F(SnapshotTest, SecondPrepareReuses) {
  LayerSpec l0 = AddLayer({{"a", Type::kFile, "0"}}, Compression::kGzip);
  LayerSpec l1 = AddLayer({{"b", Type::kFile, "1"}}, Compression::kZstd);
  auto first = snapshots_->Prepare({l0});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->unpacked, 1);
  auto second = snapshots_->Prepare({l0, l1});
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->unpacked, 1);
  auto third = snapshots_->Prepare({l0, l1});
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->unpacked, 0);
  EXPECT_EQ(third->dirs, second->dirs);
  // A new snapshotter on the same root reuses them too.
  snapshots_.reset();
  auto reopened = Snapshotter::Open(snapshot_root_, content_.get());
  ASSERT_TRUE(reopened.ok());
  auto fourth = (*reopened)->Prepare({l0, l1});
  ASSERT_TRUE(fourth.ok());
  EXPECT_EQ(fourth->unpacked, 0);
}

TEST_F(SnapshotTest, ConcurrentPreparesUnpackOnce) {
  std::vector<LayerSpec> layers;
  for (int i = 0; i < 4; ++i) {
    layers.push_back(AddLayer({{"f" + std::to_string(i), Type::kFile, std::string(100000, 'a' + i)}},
                              Compression::kGzip));
  }
  constexpr int kThreads = 4;
  int unpacked[kThreads] = {};
  bool ok[kThreads] = {};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto r = snapshots_->Prepare(layers);
      ok[t] = r.ok();
      if (r.ok()) unpacked[t] = r->unpacked;
    });
  }
  for (auto& th : threads) th.join();
  int total = 0;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_TRUE(ok[t]);
    total += unpacked[t];
  }
  EXPECT_EQ(total, 4);
  auto list = snapshots_->List();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 4u);
}

TEST_F(SnapshotTest, SweepKeepsOnlyKeep) {
  LayerSpec l0 = AddLayer({{"a", Type::kFile, "0"}}, Compression::kGzip);
  LayerSpec l1 = AddLayer({{"b", Type::kFile, "1"}}, Compression::kGzip);
  LayerSpec other = AddLayer({{"c", Type::kFile, "2"}}, Compression::kGzip);
  auto image = snapshots_->Prepare({l0, l1});
  auto unrelated = snapshots_->Prepare({other});
  ASSERT_TRUE(image.ok() && unrelated.ok());
  auto list = snapshots_->List();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 3u);
  std::set<Digest> keep(image->chain_ids.begin(), image->chain_ids.end());
  auto removed = snapshots_->Sweep(keep);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 1);
  list = snapshots_->List();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(std::set<Digest>(list->begin(), list->end()), keep);
  EXPECT_FALSE(Exists(snapshot_root_ + "/" + other.diff_id.hex()));
  EXPECT_TRUE(ListDir(snapshot_root_ + "/tmp").empty());
  // Sweeping with nothing kept empties the root; removing twice is fine.
  removed = snapshots_->Sweep({});
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 2);
  EXPECT_TRUE(snapshots_->Remove(l0.diff_id).ok());
  ExpectNoSnapshots();
}

TEST_F(SnapshotTest, OpenCleansLeftovers) {
  LayerSpec kept = AddLayer({{"a", Type::kFile, "0"}}, Compression::kGzip);
  ASSERT_TRUE(snapshots_->Prepare({kept}).ok());
  snapshots_.reset();
  // A crash mid-unpack and a snapshot directory that never got its .done.
  const std::string stale_tmp = snapshot_root_ + "/tmp/unpack-crashed/fs/etc";
  ASSERT_TRUE(Env::Default()->CreateDirs(stale_tmp).ok());
  WriteFile(stale_tmp + "/f", "partial");
  const std::string unfinished = snapshot_root_ + "/" + Digest::Of("unfinished").hex();
  ASSERT_TRUE(Env::Default()->CreateDirs(unfinished + "/fs").ok());
  WriteFile(unfinished + "/fs/f", "partial");
  auto reopened = Snapshotter::Open(snapshot_root_, content_.get());
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_TRUE(ListDir(snapshot_root_ + "/tmp").empty());
  EXPECT_FALSE(Exists(unfinished));
  auto list = (*reopened)->List();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(*list, std::vector<Digest>{kept.diff_id});
}

TEST_F(SnapshotTest, KeepsXattrsAndDevices) {
  // A tar made here (the fixture writer has no xattrs or devices).
  std::string tar = MakeTarWithXattrAndDevice();
  LayerSpec layer = PutBlob(tar, media_type::kOciLayer, Digest::Of(tar));
  auto prepared = snapshots_->Prepare({layer});
  ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
  const std::string fs = prepared->dirs[0];
  char value[16] = {};
  ASSERT_EQ(::lgetxattr((fs + "/file").c_str(), "user.berth", value, sizeof value), 5);
  EXPECT_EQ(std::string(value, 5), "hello");
  EXPECT_EQ(::lgetxattr((fs + "/file").c_str(), "trusted.overlay.redirect", value, sizeof value), -1);
  struct stat st;
  ASSERT_EQ(::lstat((fs + "/file").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 5678u);
  ASSERT_EQ(::lstat((fs + "/null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
}

}  // namespace
}  // namespace berth
