// Helpers shared by the archive module's tests (header only).
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <gtest/gtest.h>
#include <stdlib.h>

#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "berth/archive.h"
#include "berth/image_service.h"
#include "berth/metadata.h"
#include "berth/status.h"
#include "testing/fixture.h"
#include "testing/temp_dir.h"
#include "image/store_internals.h"

namespace berth::archive_test {

struct ReadEntry {
  std::string path;
  char type = 'f';  // 'f' file, 'd' dir, 'l' symlink, 'h' hardlink
  std::string data;
  std::string link;
  int mode = 0;
};

// Every entry of a (possibly compressed) tar held in memory, in order.
inline Result<std::vector<ReadEntry>> ReadTar(const std::string& tar) {
  struct archive* a = archive_read_new();
  archive_read_support_filter_all(a);
  archive_read_support_format_tar(a);
  std::vector<ReadEntry> out;
  Status st;
  if (archive_read_open_memory(a, tar.data(), tar.size()) != ARCHIVE_OK) {
    st = InvalidArgument(archive_error_string(a));
  }
  struct archive_entry* e = nullptr;
  while (st.ok()) {
    int r = archive_read_next_header(a, &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {
      st = InvalidArgument(archive_error_string(a));
      break;
    }
    ReadEntry re;
    re.path = archive_entry_pathname(e);
    re.mode = archive_entry_perm(e);
    if (archive_entry_hardlink(e) != nullptr) {
      re.type = 'h';
      re.link = archive_entry_hardlink(e);
    } else if (archive_entry_filetype(e) == AE_IFDIR) {
      re.type = 'd';
    } else if (archive_entry_filetype(e) == AE_IFLNK) {
      re.type = 'l';
      re.link = archive_entry_symlink(e);
    }
    char buf[65536];
    for (;;) {
      la_ssize_t n = archive_read_data(a, buf, sizeof buf);
      if (n < 0) {
        st = InvalidArgument(archive_error_string(a));
        break;
      }
      if (n == 0) break;
      re.data.append(buf, static_cast<size_t>(n));
    }
    out.push_back(std::move(re));
  }
  archive_read_free(a);
  if (!st.ok()) return st;
  return out;
}

inline const ReadEntry* FindEntry(const std::vector<ReadEntry>& entries, const std::string& path) {
  for (const auto& e : entries) {
    if (e.path == path) return &e;
  }
  return nullptr;
}

// The entries of a tar as fixture entries, to modify and write again.
inline std::vector<testing::TarEntry> ToTarEntries(const std::vector<ReadEntry>& entries) {
  std::vector<testing::TarEntry> out;
  for (const auto& e : entries) {
    testing::TarEntry t;
    t.path = e.path;
    t.data = e.data;
    t.link = e.link;
    t.mode = e.mode;
    t.type = e.type == 'd'   ? testing::TarEntry::Type::kDir
             : e.type == 'l' ? testing::TarEntry::Type::kSymlink
             : e.type == 'h' ? testing::TarEntry::Type::kHardlink
                             : testing::TarEntry::Type::kFile;
    out.push_back(std::move(t));
  }
  return out;
}

inline testing::TarEntry* FindTarEntry(std::vector<testing::TarEntry>& entries, const std::string& path) {
  for (auto& e : entries) {
    if (e.path == path) return &e;
  }
  return nullptr;
}

inline std::string BlobPath(const Digest& d) { return "blobs/sha256/" + d.hex(); }

inline const testing::BuiltBlob* FindBlob(const testing::BuiltImage& img, const Digest& d) {
  for (const auto& b : img.blobs) {
    if (b.descriptor.digest == d) return &b;
  }
  return nullptr;
}

inline const Platform kAmd64{"linux", "amd64", "", "", {}};
inline const Platform kArm64{"linux", "arm64", "", "", {}};

// A one-platform image whose single layer holds `seed`.
inline testing::BuiltImage Simple(const std::string& seed) {
  auto img = testing::SimpleImage({{"etc/seed", seed}});
  EXPECT_TRUE(img.ok()) << img.status().ToString();
  return *img;
}

// An image with linux/amd64 and linux/arm64, one layer each naming `seed`
// and the architecture.
inline testing::BuiltImage TwoPlatforms(const std::string& seed, bool attestations = false) {
  testing::FixtureImage spec;
  spec.attestations = attestations;
  for (const Platform& p : {kAmd64, kArm64}) {
    testing::FixturePlatform fp;
    fp.platform = p;
    fp.layers.push_back(testing::FixtureLayer{{{"own", seed + p.architecture}}});
    spec.platforms.push_back(fp);
  }
  auto img = testing::BuildImage(spec);
  EXPECT_TRUE(img.ok()) << img.status().ToString();
  return *img;
}

// A real store in a temporary directory.
class ArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = OpenStore(&root_); }
  void TearDown() override {
    store_.reset();
    extra_.clear();
    roots_.clear();
  }

  std::unique_ptr<Store> OpenStore(std::string* root_out) {
    testing::TempDir& dir = roots_.emplace_back();
    EXPECT_TRUE(dir.Create("berth-archive-test"));
    if (root_out) *root_out = dir.path();
    auto s = Store::Open(StoreOptions{dir.path(), nullptr, true});
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  // A second, independent store (for round trips).
  Store* OtherStore() {
    extra_.push_back(OpenStore(nullptr));
    return extra_.back().get();
  }

  Result<std::vector<LoadedImage>> Load(const std::string& data, std::optional<Platform> platform = {},
                                        Store* store = nullptr) {
    LoadOptions opts;
    opts.platform = platform;
    return LoadArchive(store ? store : store_.get(), testing::StringReader(data, 100000), opts);
  }

  Result<std::string> Save(const std::vector<std::string>& refs, std::optional<Platform> platform = {},
                           Store* store = nullptr) {
    std::string out;
    SaveOptions opts;
    opts.platform = platform;
    Status s = SaveArchive(store ? store : store_.get(), refs, opts, [&](std::string_view d) {
      out.append(d);
      return OkStatus();
    });
    if (!s.ok()) return s;
    return out;
  }

  // name -> target digest of every record.
  std::map<std::string, std::string> Records(Store* store = nullptr) {
    std::map<std::string, std::string> out;
    Status s = image::MetadataOf(store ? store : store_.get())->View([&](Tx& tx) -> Status {
      auto list = tx.ListImages();
      if (!list.ok()) return list.status();
      for (const auto& r : *list) out[r.name] = r.target.digest.str();
      return OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  Result<ImageRecord> Record(const std::string& name) {
    Result<ImageRecord> out = NotFound(name);
    Status s = image::MetadataOf(store_.get())->View([&](Tx& tx) -> Status {
      out = tx.GetImage(name);
      return OkStatus();
    });
    if (!s.ok()) return s;
    return out;
  }

  std::set<Digest> RootRefs(const Digest& target) {
    std::set<Digest> out;
    Status s = image::MetadataOf(store_.get())->View([&](Tx& tx) -> Status {
      auto refs = tx.RootRefs(RootKind::kImage, target.str());
      if (!refs.ok()) return refs.status();
      out.insert(refs->begin(), refs->end());
      return OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  std::set<Digest> Blobs(Store* store = nullptr) {
    std::set<Digest> out;
    Status s = image::ContentOf(store ? store : store_.get())->Walk([&](const BlobInfo& b) {
      out.insert(b.digest);
      return OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  std::string root_;
  std::unique_ptr<Store> store_;
  std::vector<std::unique_ptr<Store>> extra_;
  std::deque<testing::TempDir> roots_;  // removed in TearDown
};

}  // namespace berth::archive_test
