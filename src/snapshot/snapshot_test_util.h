// Shared setup of the snapshot tests: a temporary directory with a real
// content store and snapshotter, and small filesystem helpers.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "berth/content_store.h"
#include "berth/env.h"
#include "berth/snapshot.h"
#include "testing/fixture.h"
#include "testing/temp_dir.h"

namespace berth {

class SnapshotTestBase : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.Create("berth-snapshot-test"));
    dir_ = tmp_.path();
    auto cs = ContentStore::Open(Env::Default(), dir_ + "/content");
    ASSERT_TRUE(cs.ok()) << cs.status().ToString();
    content_ = std::move(*cs);
    snapshot_root_ = dir_ + "/snapshots";
    auto s = Snapshotter::Open(snapshot_root_, content_.get());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    snapshots_ = std::move(*s);
  }
  void TearDown() override {
    snapshots_.reset();
    content_.reset();
    tmp_.Remove();
  }

  // Stores `blob` and describes it as a layer whose uncompressed tar has
  // digest `diff_id`.
  LayerSpec PutBlob(const std::string& blob, std::string_view media_type, const Digest& diff_id) {
    auto d = content_->Put(blob);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    LayerSpec spec;
    spec.blob.media_type = std::string(media_type);
    spec.blob.digest = d.ok() ? *d : Digest();
    spec.blob.size = static_cast<int64_t>(blob.size());
    spec.diff_id = diff_id;
    return spec;
  }

  LayerSpec AddLayer(const std::vector<testing::TarEntry>& entries, Compression c) {
    auto tar = testing::WriteTar(entries);
    EXPECT_TRUE(tar.ok()) << tar.status().ToString();
    auto blob = testing::CompressStream(*tar, c);
    EXPECT_TRUE(blob.ok());
    std::string_view mt = c == Compression::kGzip   ? media_type::kOciLayerGzip
                          : c == Compression::kZstd ? media_type::kOciLayerZstd
                                                    : media_type::kOciLayer;
    return PutBlob(*blob, mt, Digest::Of(*tar));
  }

  // Nothing finished, nothing half-done under the snapshot root.
  void ExpectNoSnapshots() {
    auto list = snapshots_->List();
    ASSERT_TRUE(list.ok());
    EXPECT_TRUE(list->empty());
    EXPECT_EQ(ListDir(snapshot_root_), std::vector<std::string>{"tmp"});
    EXPECT_TRUE(ListDir(snapshot_root_ + "/tmp").empty());
  }

  // A tar with a file carrying xattrs and odd owners, and /dev/null.
  static std::string MakeTarWithXattrAndDevice() {
    std::string out;
    struct archive* a = archive_write_new();
    archive_write_set_format_pax(a);
    archive_write_open(a, &out, nullptr,
                       [](struct archive*, void* client, const void* buf, size_t n) -> la_ssize_t {
                         static_cast<std::string*>(client)->append(static_cast<const char*>(buf), n);
                         return static_cast<la_ssize_t>(n);
                       },
                       nullptr);
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, "file");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_uid(e, 1234);
    archive_entry_set_gid(e, 5678);
    archive_entry_set_size(e, 2);
    archive_entry_xattr_add_entry(e, "user.berth", "hello", 5);
    archive_entry_xattr_add_entry(e, "trusted.overlay.redirect", "/x", 2);  // must be dropped
    archive_write_header(a, e);
    archive_write_data(a, "hi", 2);
    archive_entry_clear(e);
    archive_entry_set_pathname(e, "null");
    archive_entry_set_filetype(e, AE_IFCHR);
    archive_entry_set_perm(e, 0666);
    archive_entry_set_rdev(e, makedev(1, 3));
    archive_write_header(a, e);
    archive_entry_free(e);
    archive_write_close(a);
    archive_write_free(a);
    return out;
  }

  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  static void WriteFile(const std::string& path, const std::string& data) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << data;
  }
  static std::string ReadLink(const std::string& path) {
    char buf[4096];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    return n < 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
  }
  static bool Exists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
  }
  // Sorted names in a directory (empty when it does not exist).
  static std::vector<std::string> ListDir(const std::string& path) {
    auto names = Env::Default()->ListDir(path);
    if (!names.ok()) return {};
    std::sort(names->begin(), names->end());
    return *names;
  }

  testing::TempDir tmp_;
  std::string dir_;  // tmp_.path()
  std::string snapshot_root_;
  std::unique_ptr<ContentStore> content_;
  std::unique_ptr<Snapshotter> snapshots_;
};

}  // namespace berth
