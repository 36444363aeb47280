// Overlay mounts (real mounts: the tests run as root) and DiffUpperDir.

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <cerrno>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>

#include "berth/snapshot.h"
#include "snapshot/snapshot_test_util.h"
#include "testing/fixture.h"

namespace berth {
namespace {

using testing::TarEntry;
using Type = testing::TarEntry::Type;

struct ReadEntry {
  std::string path;
  mode_t type = 0;
  std::string data;
  std::string symlink;
  std::string hardlink;
  mode_t perm = 0;
};

std::vector<ReadEntry> ReadTar(const std::string& tar) {
  std::vector<ReadEntry> out;
  struct archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  EXPECT_EQ(archive_read_open_memory(a, tar.data(), tar.size()), ARCHIVE_OK);
  struct archive_entry* e = nullptr;
  int r;
  while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
    ReadEntry re;
    re.path = archive_entry_pathname(e);
    re.type = archive_entry_filetype(e);
    re.perm = archive_entry_perm(e);
    if (archive_entry_symlink(e)) re.symlink = archive_entry_symlink(e);
    if (archive_entry_hardlink(e)) re.hardlink = archive_entry_hardlink(e);
    char buf[4096];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) re.data.append(buf, static_cast<size_t>(n));
    out.push_back(std::move(re));
  }
  EXPECT_EQ(r, ARCHIVE_EOF) << archive_error_string(a);
  archive_read_free(a);
  return out;
}

bool IsMountPoint(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(" " + path + " ") != std::string::npos) return true;
  }
  return false;
}

class OverlayTest : public SnapshotTestBase {
 protected:
  void TearDown() override {
    for (const std::string& m : mounts_) UnmountOverlay(m).IgnoreError();
    SnapshotTestBase::TearDown();
  }

  // Mounts `lowers` (lowest first) with an upper/work under dir_/<name>.
  std::string Mount(const std::vector<std::string>& lowers, const std::string& name) {
    std::string base = dir_ + "/" + name;
    std::string target = base + "/merged";
    Status s = MountOverlay(lowers, base + "/upper", base + "/work", target);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (s.ok()) mounts_.push_back(target);
    return target;
  }

  PreparedLayers Prepare(const std::vector<LayerSpec>& layers) {
    auto r = snapshots_->Prepare(layers);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : PreparedLayers();
  }

  std::vector<std::string> mounts_;
};

TEST_F(OverlayTest, WhiteoutsAndOpaqueDirsHideLowerFiles) {
  LayerSpec lower = AddLayer({{"a/keep", Type::kFile, "keep"},
                              {"a/gone", Type::kFile, "gone"},
                              {"d/old", Type::kFile, "old"},
                              {"d/sub/deep", Type::kFile, "deep"}},
                             Compression::kGzip);
  LayerSpec upper = AddLayer({{"a", Type::kDir},
                              {"a/.wh.gone", Type::kFile},
                              {"d", Type::kDir},
                              {"d/.wh..wh..opq", Type::kFile},
                              {"d/new", Type::kFile, "new"}},
                             Compression::kGzip);
  PreparedLayers p = Prepare({lower, upper});
  ASSERT_EQ(p.dirs.size(), 2u);
  std::string merged = Mount(p.dirs, "c1");
  EXPECT_TRUE(IsMountPoint(merged));
  EXPECT_EQ(ReadFile(merged + "/a/keep"), "keep");
  EXPECT_FALSE(Exists(merged + "/a/gone"));
  EXPECT_EQ(ListDir(merged + "/a"), std::vector<std::string>{"keep"});
  EXPECT_EQ(ListDir(merged + "/d"), std::vector<std::string>{"new"});
  EXPECT_FALSE(Exists(merged + "/d/sub/deep"));
  // The top layer wins: lowerdir order is topmost first.
  ASSERT_TRUE(UnmountOverlay(merged).ok());
  EXPECT_FALSE(IsMountPoint(merged));
  EXPECT_FALSE(Exists(merged + "/a/keep"));
}

TEST_F(OverlayTest, TopLayerWins) {
  LayerSpec l0 = AddLayer({{"f", Type::kFile, "bottom"}, {"only0", Type::kFile, "0"}}, Compression::kNone);
  LayerSpec l1 = AddLayer({{"f", Type::kFile, "top"}}, Compression::kZstd);
  PreparedLayers p = Prepare({l0, l1});
  std::string merged = Mount(p.dirs, "c1");
  EXPECT_EQ(ReadFile(merged + "/f"), "top");
  EXPECT_EQ(ReadFile(merged + "/only0"), "0");
  // Writes go to the upper directory only.
  WriteFile(merged + "/f", "written");
  EXPECT_EQ(ReadFile(dir_ + "/c1/upper/f"), "written");
  EXPECT_EQ(ReadFile(p.dirs[1] + "/f"), "top");
}

// An image mount: lower layers only, read-only, the top layer winning.
TEST_F(OverlayTest, ReadOnlyOverlayOfLayersAlone) {
  LayerSpec l0 = AddLayer({{"f", Type::kFile, "bottom"}, {"only0", Type::kFile, "0"}}, Compression::kNone);
  LayerSpec l1 = AddLayer({{"f", Type::kFile, "top"}}, Compression::kGzip);
  PreparedLayers p = Prepare({l0, l1});
  const std::string target = dir_ + "/ro/merged";
  ASSERT_TRUE(MountReadOnlyOverlay(p.dirs, target).ok());
  mounts_.push_back(target);
  EXPECT_TRUE(IsMountPoint(target));
  EXPECT_EQ(ReadFile(target + "/f"), "top");
  EXPECT_EQ(ReadFile(target + "/only0"), "0");
  int fd = ::open((target + "/new").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  EXPECT_LT(fd, 0);
  EXPECT_EQ(errno, EROFS);
  if (fd >= 0) ::close(fd);
  EXPECT_FALSE(MountReadOnlyOverlay({p.dirs[0]}, dir_ + "/ro/one").ok());
  EXPECT_FALSE(MountReadOnlyOverlay({p.dirs[0], "/bad:path"}, dir_ + "/ro/bad").ok());
}

TEST_F(OverlayTest, EmptyImageMountsWithEmptyLower) {
  std::string merged = Mount({}, "empty");
  EXPECT_TRUE(IsMountPoint(merged));
  EXPECT_TRUE(ListDir(merged).empty());
  WriteFile(merged + "/x", "y");
  EXPECT_EQ(ReadFile(dir_ + "/empty/upper/x"), "y");
}

TEST_F(OverlayTest, UnmountOfPlainDirOrMissingPathIsOk) {
  EXPECT_TRUE(UnmountOverlay(dir_).ok());
  EXPECT_TRUE(UnmountOverlay(dir_ + "/nope").ok());
}

TEST_F(OverlayTest, ManyLayersBeyondOnePageOfOptions) {
  // 40 lower directories with long paths: well past mount(2)'s page limit.
  std::vector<std::string> lowers;
  std::string padding(100, 'p');
  size_t total = 0;
  for (int i = 0; i < 40; ++i) {
    std::string d = dir_ + "/lower-" + padding + "-" + std::to_string(i);
    ASSERT_TRUE(Env::Default()->CreateDirs(d).ok());
    WriteFile(d + "/layer", std::to_string(i));
    WriteFile(d + "/only" + std::to_string(i), "x");
    lowers.push_back(d);
    total += d.size() + 1;
  }
  ASSERT_GT(total, 4096u);
  std::string merged = Mount(lowers, "many");
  EXPECT_EQ(ReadFile(merged + "/layer"), "39");
  EXPECT_EQ(ReadFile(merged + "/only0"), "x");
  EXPECT_EQ(ListDir(merged).size(), 41u);
}

TEST_F(OverlayTest, BadPathsAreRefused) {
  Status s = MountOverlay({dir_ + "/a:b"}, dir_ + "/u", dir_ + "/w", dir_ + "/m");
  EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
}

// A real image from the fixture (busybox + a file): unpacked, mounted and
// used as a root filesystem.
TEST_F(OverlayTest, BusyboxImageRunsInMountedRootfs) {
  testing::FixturePlatform plat;
  testing::FixtureLayer bb;
  bb.busybox = true;
  testing::FixtureLayer files;
  files.files["etc/msg"] = "hello from the layer";
  files.media_type = std::string(media_type::kOciLayerZstd);
  plat.layers = {bb, files};
  testing::FixtureImage spec;
  spec.platforms = {plat};
  auto image = testing::BuildImage(spec);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  for (const auto& blob : image->blobs) ASSERT_TRUE(content_->Put(blob.data, blob.descriptor.digest).ok());
  auto manifest = ParseManifest(*content_->ReadAll(image->target.digest, kMaxManifestBytes));
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  auto config = ParseImageConfig(*content_->ReadAll(manifest->config.digest, kMaxConfigBytes));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_EQ(config->diff_ids.size(), 2u);
  std::vector<LayerSpec> specs;
  for (size_t i = 0; i < 2; ++i) specs.push_back(LayerSpec{manifest->layers[i], config->diff_ids[i]});
  PreparedLayers p = Prepare(specs);
  ASSERT_EQ(p.dirs.size(), 2u);
  std::string merged = Mount(p.dirs, "bb");
  FILE* f = ::popen(("chroot " + merged + " /bin/sh -c 'cat /etc/msg; echo made > /new'").c_str(), "r");
  ASSERT_NE(f, nullptr);
  char buf[256] = {};
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  EXPECT_EQ(::pclose(f), 0);
  EXPECT_EQ(std::string(buf, n), "hello from the layer");
  EXPECT_EQ(ReadFile(dir_ + "/bb/upper/new"), "made\n");
}

// A container can nest directories deeper than any path berth can store:
// the diff refuses it with a clear error instead of walking (and holding
// memory and a descriptor for) every level.
TEST_F(OverlayTest, DiffUpperDirRefusesPathsLongerThanPathMax) {
  std::string upper = dir_ + "/deep/upper";
  ASSERT_TRUE(Env::Default()->CreateDirs(upper, 0755).ok());
  int fd = ::open(upper.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  for (int i = 0; i < 3000; ++i) {  // "d/d/d/...": 6000 bytes
    ASSERT_EQ(::mkdirat(fd, "d", 0755), 0) << i;
    int next = ::openat(fd, "d", O_RDONLY | O_DIRECTORY);
    ASSERT_GE(next, 0);
    ::close(fd);
    fd = next;
  }
  ::close(fd);
  auto diff = DiffUpperDir(upper, [](std::string_view) { return OkStatus(); });
  ASSERT_FALSE(diff.ok());
  EXPECT_EQ(diff.status().code(), Code::kInvalidArgument);
  EXPECT_NE(diff.status().message().find("a path longer than 4095 bytes"), std::string::npos)
      << diff.status().message();
  EXPECT_TRUE(Env::Default()->RemoveAll(dir_ + "/deep").ok());
}

// Writes, changes and deletes in a mounted overlay, then diffs the upper dir.
TEST_F(OverlayTest, DiffUpperDirRecordsChanges) {
  LayerSpec base = AddLayer({{"etc/a", Type::kFile, "1"},
                             {"etc/b", Type::kFile, "2"},
                             {"dir/x", Type::kFile, "x"},
                             {"keep", Type::kFile, "k"}},
                            Compression::kGzip);
  PreparedLayers p = Prepare({base});
  std::string merged = Mount(p.dirs, "c1");
  WriteFile(merged + "/etc/a", "changed");
  WriteFile(merged + "/etc/new", "hello");
  ASSERT_EQ(::chmod((merged + "/etc/new").c_str(), 0600), 0);
  ASSERT_EQ(::unlink((merged + "/etc/b").c_str()), 0);
  ASSERT_TRUE(Env::Default()->RemoveAll(merged + "/dir").ok());
  ASSERT_EQ(::mkdir((merged + "/dir").c_str(), 0755), 0);  // over a deleted lower dir: opaque
  WriteFile(merged + "/dir/y", "y");
  ASSERT_EQ(::symlink("etc/new", (merged + "/link").c_str()), 0);
  ASSERT_EQ(::link((merged + "/etc/new").c_str(), (merged + "/hard").c_str()), 0);
  ASSERT_TRUE(UnmountOverlay(merged).ok());

  std::string tar;
  auto diff = DiffUpperDir(dir_ + "/c1/upper", [&](std::string_view d) {
    tar.append(d);
    return OkStatus();
  });
  ASSERT_TRUE(diff.ok()) << diff.status().ToString();
  EXPECT_EQ(diff->diff_id, Digest::Of(tar));
  EXPECT_EQ(diff->size, static_cast<int64_t>(tar.size()));

  std::vector<ReadEntry> entries = ReadTar(tar);
  std::vector<std::string> paths;
  for (const ReadEntry& e : entries) paths.push_back(e.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"dir/", "dir/.wh..wh..opq", "dir/y", "etc/", "etc/a", "etc/.wh.b",
                                             "etc/new", "hard", "link"}));
  auto find = [&](const std::string& path) -> const ReadEntry* {
    for (const ReadEntry& e : entries) {
      if (e.path == path) return &e;
    }
    return nullptr;
  };
  ASSERT_NE(find("etc/a"), nullptr);
  EXPECT_EQ(find("etc/a")->data, "changed");
  ASSERT_NE(find("etc/new"), nullptr);
  EXPECT_EQ(find("etc/new")->data, "hello");
  EXPECT_EQ(find("etc/new")->perm, 0600u);
  ASSERT_NE(find("etc/.wh.b"), nullptr);
  EXPECT_EQ(find("etc/.wh.b")->type, static_cast<mode_t>(AE_IFREG));
  EXPECT_EQ(find("etc/.wh.b")->data, "");
  EXPECT_EQ(find("dir/")->type, static_cast<mode_t>(AE_IFDIR));
  EXPECT_EQ(find("link")->symlink, "etc/new");
  EXPECT_EQ(find("hard")->hardlink, "etc/new");

  // Round trip: the diff, unpacked as a layer on top, gives the same view.
  LayerSpec top = PutBlob(tar, media_type::kOciLayer, diff->diff_id);
  PreparedLayers p2 = Prepare({base, top});
  EXPECT_EQ(p2.unpacked, 1);
  std::string merged2 = Mount(p2.dirs, "c2");
  EXPECT_EQ(ReadFile(merged2 + "/etc/a"), "changed");
  EXPECT_EQ(ReadFile(merged2 + "/etc/new"), "hello");
  EXPECT_FALSE(Exists(merged2 + "/etc/b"));
  EXPECT_EQ(ListDir(merged2 + "/dir"), std::vector<std::string>{"y"});
  EXPECT_EQ(ReadFile(merged2 + "/keep"), "k");
  EXPECT_EQ(ReadLink(merged2 + "/link"), "etc/new");
}

TEST_F(OverlayTest, DiffOfEmptyUpperIsAnEmptyTar) {
  ASSERT_TRUE(Env::Default()->CreateDirs(dir_ + "/upper").ok());
  std::string tar;
  auto diff = DiffUpperDir(dir_ + "/upper", [&](std::string_view d) {
    tar.append(d);
    return OkStatus();
  });
  ASSERT_TRUE(diff.ok()) << diff.status().ToString();
  EXPECT_EQ(tar, std::string(1024, '\0'));  // just the end-of-archive blocks
  EXPECT_EQ(diff->diff_id, Digest::Of(tar));
}

TEST_F(OverlayTest, DiffWriteErrorIsReturned) {
  ASSERT_TRUE(Env::Default()->CreateDirs(dir_ + "/upper").ok());
  WriteFile(dir_ + "/upper/f", std::string(100000, 'z'));
  auto diff = DiffUpperDir(dir_ + "/upper", [](std::string_view) { return Unavailable("disk gone"); });
  ASSERT_FALSE(diff.ok());
  EXPECT_EQ(diff.status(), Unavailable("disk gone"));
  EXPECT_EQ(DiffUpperDir(dir_ + "/missing", [](std::string_view) { return OkStatus(); }).status().code(),
            Code::kNotFound);
}

// A directory in the upper dir that is (or becomes, while the diff runs) a
// symlink to a host directory: the walk never follows it.
TEST_F(OverlayTest, DiffNeverFollowsADirectorySymlink) {
  const std::string upper = dir_ + "/upper";
  ASSERT_TRUE(Env::Default()->CreateDirs(upper + "/d/sub").ok());
  ASSERT_TRUE(Env::Default()->CreateDirs(dir_ + "/host/sub").ok());
  WriteFile(dir_ + "/host/sub/marker", "HOST-SECRET");
  WriteFile(dir_ + "/host/marker", "HOST-SECRET");
  // Sorted before "sub", and large enough that its data reaches the writer
  // while the walk is inside "d".
  WriteFile(upper + "/d/big", std::string(256 << 10, 'b'));
  WriteFile(upper + "/d/sub/inner", "inner");
  ASSERT_EQ(::symlink((dir_ + "/host").c_str(), (upper + "/static").c_str()), 0);

  std::string tar;
  bool swapped = false;
  auto diff = DiffUpperDir(upper, [&](std::string_view data) {
    tar.append(data);
    if (!swapped && tar.size() > (64 << 10)) {
      // The container swaps "d" for a symlink to the host while "d/big" is
      // being written.
      swapped = true;
      EXPECT_EQ(::rename((upper + "/d").c_str(), (upper + "/d.old").c_str()), 0);
      EXPECT_EQ(::symlink((dir_ + "/host").c_str(), (upper + "/d").c_str()), 0);
    }
    return OkStatus();
  });
  ASSERT_TRUE(diff.ok()) << diff.status().ToString();
  ASSERT_TRUE(swapped);
  EXPECT_EQ(tar.find("HOST-SECRET"), std::string::npos);
  std::map<std::string, ReadEntry> by_path;
  for (auto& e : ReadTar(tar)) by_path[e.path] = e;
  ASSERT_TRUE(by_path.count("static"));
  EXPECT_EQ(by_path["static"].type, AE_IFLNK);
  EXPECT_EQ(by_path["static"].symlink, dir_ + "/host");
  EXPECT_FALSE(by_path.count("static/marker"));
  // The walk went on in the directory it had opened.
  ASSERT_TRUE(by_path.count("d/sub/inner"));
  EXPECT_EQ(by_path["d/sub/inner"].data, "inner");
  EXPECT_FALSE(by_path.count("d/sub/marker"));
}

}  // namespace
}  // namespace berth
