// The metadata store against a real SQLite file: records, reference
// counting, schema versioning, rollback, concurrent readers.
#include "berth/metadata.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include "testing/await.h"
#include "metadata/schema.h"
#include "testing/temp_dir.h"

namespace berth {
namespace {

Digest D(const std::string& s) { return Digest::Of(s); }

// The label the tests' store indexes (the metadata layer gives it no meaning).
constexpr const char* kIndexedLabel = "test.indexed";

// The names of the records whose indexed label is `value`.
std::vector<std::string> NamesByIndexedLabel(MetadataStore* store, const std::string& value) {
  std::vector<std::string> names;
  EXPECT_TRUE(store->View([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(auto records, tx.ListImagesByIndexedLabel(value));
    for (const auto& r : records) names.push_back(r.name);
    return OkStatus();
  }).ok());
  return names;
}

class MetadataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.Create("berth-meta-test"));
    dir_ = tmp_.path();
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    tmp_.Remove();
  }
  void Reopen(const std::string& indexed_label = kIndexedLabel) {
    store_.reset();
    auto s = MetadataStore::Open(Env::Default(), dir_ + "/metadata.db", true, indexed_label);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  int64_t Refs(const Digest& d) {
    int64_t refs = -1;
    EXPECT_TRUE(store_->View([&](Tx& tx) -> Status {
      auto b = tx.GetBlob(d);
      refs = b.ok() ? b->refs : 0;
      return OkStatus();
    }).ok());
    return refs;
  }
  std::vector<Digest> Pending() {
    std::vector<Digest> out;
    EXPECT_TRUE(store_->View([&](Tx& tx) -> Status {
      BERTH_ASSIGN_OR_RETURN(out, tx.PendingGarbage());
      return OkStatus();
    }).ok());
    return out;
  }
  ImageRecord Record(const std::string& name, const Digest& target, std::map<std::string, std::string> labels = {}) {
    ImageRecord r;
    r.name = name;
    r.target.media_type = std::string(media_type::kOciManifest);
    r.target.digest = target;
    r.target.size = 100;
    r.labels = std::move(labels);
    r.created_unix_nanos = 1;
    r.updated_unix_nanos = 2;
    return r;
  }

  berth::testing::TempDir tmp_;
  std::string dir_;  // tmp_.path()
  std::unique_ptr<MetadataStore> store_;
};

TEST_F(MetadataTest, ImageRecordsRoundTripAndSurviveReopen) {
  ImageRecord r = Record("docker.io/library/a:1", D("t1"), {{"k", "v"}, {kIndexedLabel, D("p").str()}});
  r.target.annotations["x"] = "y";
  r.target.platform = Platform{"linux", "arm64", "", "", {}};
  ASSERT_TRUE(store_->Update([&](Tx& tx) { return tx.PutImage(r); }).ok());
  Reopen();
  ASSERT_TRUE(store_->View([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(auto got, tx.GetImage("docker.io/library/a:1"));
    EXPECT_EQ(got.target, r.target);
    EXPECT_EQ(got.labels, r.labels);
    BERTH_ASSIGN_OR_RETURN(auto by_label, tx.ListImagesByIndexedLabel(D("p").str()));
    EXPECT_EQ(by_label.size(), 1u);
    BERTH_ASSIGN_OR_RETURN(auto by_empty, tx.ListImagesByIndexedLabel(""));
    EXPECT_TRUE(by_empty.empty());
    BERTH_ASSIGN_OR_RETURN(auto by_prefix, tx.ListImagesByTargetPrefix(D("t1").hex().substr(0, 5)));
    EXPECT_EQ(by_prefix.size(), 1u);
    BERTH_ASSIGN_OR_RETURN(auto none, tx.ListImagesByTargetPrefix(D("t2").hex().substr(0, 5)));
    EXPECT_TRUE(none.empty());
    return OkStatus();
  }).ok());
  EXPECT_EQ(store_->schema_version(), schema::kSchemaVersion);
}

TEST_F(MetadataTest, AnotherIndexedLabelReindexesEveryRecord) {
  ASSERT_TRUE(store_->Update([&](Tx& tx) -> Status {
    BERTH_RETURN_IF_ERROR(tx.PutImage(Record("docker.io/library/a:1", D("a"), {{kIndexedLabel, "x"}, {"other", "y"}})));
    return tx.PutImage(Record("docker.io/library/b:1", D("b"), {{"other", "y"}}));
  }).ok());
  EXPECT_EQ(NamesByIndexedLabel(store_.get(), "x"), std::vector<std::string>{"docker.io/library/a:1"});
  Reopen("other");
  EXPECT_TRUE(NamesByIndexedLabel(store_.get(), "x").empty());
  EXPECT_EQ(NamesByIndexedLabel(store_.get(), "y"),
            (std::vector<std::string>{"docker.io/library/a:1", "docker.io/library/b:1"}));
  Reopen("");
  EXPECT_TRUE(NamesByIndexedLabel(store_.get(), "y").empty());
}

// A database of schema 1 (the column was "parent", filled from Docker's
// parent label) migrates with its rows, their lookups intact.
TEST_F(MetadataTest, SchemaOneMigratesWithItsIndexedParents) {
  store_.reset();
  std::filesystem::remove(dir_ + "/metadata.db");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/metadata.db").c_str(), &db), SQLITE_OK);
  std::string v1 = "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);" + std::string(schema::kMigrations[0]) +
                   "INSERT INTO meta VALUES('schema_version', '1');"
                   "INSERT INTO images(name, target_digest, target_media_type, target_size, target_json, labels, "
                   "parent, created_at, updated_at) VALUES('docker.io/library/child:1', '" +
                   D("c").str() + "', '" + std::string(media_type::kOciManifest) + "', 1, '', '{\"p\":\"" +
                   D("p").str() + "\"}', '" + D("p").str() + "', 1, 2);";
  ASSERT_EQ(sqlite3_exec(db, v1.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
  Reopen("p");
  EXPECT_EQ(store_->schema_version(), schema::kSchemaVersion);
  EXPECT_EQ(NamesByIndexedLabel(store_.get(), D("p").str()), std::vector<std::string>{"docker.io/library/child:1"});
}

// A database of schema 2 (blob rows keyed by digest) migrates with its
// blobs and their counts; rows named later are numbered in the order they
// come, so one load's blobs sit together.
TEST_F(MetadataTest, SchemaTwoMigratesItsBlobsAndNumbersNewOnesInOrder) {
  store_.reset();
  std::filesystem::remove(dir_ + "/metadata.db");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/metadata.db").c_str(), &db), SQLITE_OK);
  std::string v2 = "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);" + std::string(schema::kMigrations[0]) +
                   std::string(schema::kMigrations[1]) +
                   "INSERT INTO meta VALUES('schema_version', '2');"
                   "INSERT INTO blobs(digest, media_type, size, refs, children_known) VALUES('" +
                   D("old").str() + "', 'application/x-old', 7, 2, 1);";
  ASSERT_EQ(sqlite3_exec(db, v2.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
  Reopen();
  EXPECT_EQ(store_->schema_version(), schema::kSchemaVersion);
  ASSERT_TRUE(store_->View([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(BlobRecord b, tx.GetBlob(D("old")));
    EXPECT_EQ(b.media_type, "application/x-old");
    EXPECT_EQ(b.size, 7);
    EXPECT_EQ(b.refs, 2);
    return OkStatus();
  }).ok());
  // Digests in an order unlike their names' order.
  const std::vector<Digest> loaded = {D("z"), D("a"), D("m"), D("b")};
  ASSERT_TRUE(store_->Update([&](Tx& tx) -> Status {
    for (const Digest& d : loaded) {
      BERTH_RETURN_IF_ERROR(tx.AddRootRef(RootKind::kImage, "img", d));
    }
    return OkStatus();
  }).ok());
  store_.reset();
  ASSERT_EQ(sqlite3_open((dir_ + "/metadata.db").c_str(), &db), SQLITE_OK);
  std::vector<int64_t> ids;
  for (const Digest& d : loaded) {
    std::string q = "SELECT id FROM blobs WHERE digest = '" + d.str() + "'";
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, q.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW) << d.str();
    ids.push_back(sqlite3_column_int64(st, 0));
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  for (size_t i = 1; i < ids.size(); ++i) EXPECT_EQ(ids[i], ids[i - 1] + 1) << "blob " << i;
  EXPECT_GT(ids.front(), 1);  // after the migrated row
}

TEST_F(MetadataTest, FailedTransactionRollsBack) {
  Status s = store_->Update([&](Tx& tx) -> Status {
    BERTH_RETURN_IF_ERROR(tx.PutImage(Record("docker.io/library/a:1", D("t"))));
    BERTH_RETURN_IF_ERROR(tx.AddRootRef(RootKind::kImage, D("t").str(), D("t")));
    return Internal("boom");
  });
  EXPECT_EQ(s.message(), "boom");
  ASSERT_TRUE(store_->View([&](Tx& tx) -> Status {
    EXPECT_EQ(*tx.CountImages(), 0);
    EXPECT_TRUE(tx.AllRootRefs()->empty());
    return OkStatus();
  }).ok());
}

TEST_F(MetadataTest, ReferenceCountsFollowRootsAndLiveParents) {
  Digest m = D("manifest"), c = D("config"), l1 = D("layer1"), shared = D("shared");
  Digest m2 = D("manifest2");
  ASSERT_TRUE(store_->Update([&](Tx& tx) -> Status {
    BERTH_RETURN_IF_ERROR(tx.RegisterBlob(m, media_type::kOciManifest, 10, {c, l1, shared}));
    BERTH_RETURN_IF_ERROR(tx.RegisterBlob(m2, media_type::kOciManifest, 10, {shared}));
    return tx.AddRootRef(RootKind::kImage, "img1", m);
  }).ok());
  EXPECT_EQ(Refs(m), 1);
  EXPECT_EQ(Refs(c), 1);
  EXPECT_EQ(Refs(shared), 1) << "an edge from an unreferenced manifest does not count";
  ASSERT_TRUE(store_->Update([&](Tx& tx) { return tx.AddRootRef(RootKind::kContainer, "ctr", m2); }).ok());
  EXPECT_EQ(Refs(shared), 2);
  // Adding the same root ref twice counts once.
  ASSERT_TRUE(store_->Update([&](Tx& tx) { return tx.AddRootRef(RootKind::kImage, "img1", m); }).ok());
  EXPECT_EQ(Refs(m), 1);
  std::vector<Digest> died;
  ASSERT_TRUE(store_->Update([&](Tx& tx) -> Status {
    BERTH_RETURN_IF_ERROR(tx.RemoveRoot(RootKind::kImage, "img1"));
    died = tx.TakeDied();
    return OkStatus();
  }).ok());
  EXPECT_EQ(Refs(m), 0);
  EXPECT_EQ(Refs(shared), 1);
  std::sort(died.begin(), died.end());
  std::vector<Digest> expect{m, c, l1};
  std::sort(expect.begin(), expect.end());
  EXPECT_EQ(died, expect);
  auto pending = Pending();
  std::sort(pending.begin(), pending.end());
  EXPECT_EQ(pending, expect);
  // A blob that regains a reference leaves gc_pending.
  ASSERT_TRUE(store_->Update([&](Tx& tx) { return tx.AddRootRef(RootKind::kLease, "l", c); }).ok());
  EXPECT_EQ(Pending().size(), 2u);
  // Forgetting a referenced blob is refused; an unreferenced one goes.
  ASSERT_TRUE(store_->Update([&](Tx& tx) -> Status {
    EXPECT_EQ(tx.ForgetBlob(c).code(), Code::kFailedPrecondition);
    return tx.ForgetBlob(l1);
  }).ok());
  EXPECT_EQ(Pending().size(), 1u);
}

TEST_F(MetadataTest, ChildrenRegisteredAfterTheParentIsLiveAreCounted) {
  Digest m = D("m"), c = D("c");
  ASSERT_TRUE(store_->Update([&](Tx& tx) -> Status {
    BERTH_RETURN_IF_ERROR(tx.AddRootRef(RootKind::kImage, "i", m));
    return tx.RegisterBlob(m, media_type::kOciManifest, 1, {c});
  }).ok());
  EXPECT_EQ(Refs(c), 1);
}

TEST_F(MetadataTest, NewerSchemaIsRefused) {
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/metadata.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE meta SET value = '99' WHERE key = 'schema_version'", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto s = MetadataStore::Open(Env::Default(), dir_ + "/metadata.db");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("newer"), std::string::npos);
}

TEST_F(MetadataTest, ReadersSeeAConsistentSnapshotWhileAWriterRuns) {
  ASSERT_TRUE(store_->Update([&](Tx& tx) { return tx.PutImage(Record("docker.io/library/a:1", D("t"))); }).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::thread reader([&] {
    while (!stop) {
      Status s = store_->View([&](Tx& tx) -> Status {
        BERTH_ASSIGN_OR_RETURN(auto n1, tx.CountImages());
        BERTH_ASSIGN_OR_RETURN(auto all, tx.ListImages());
        if (static_cast<size_t>(n1) != all.size()) ++bad;
        return OkStatus();
      });
      if (!s.ok()) ++bad;
    }
  });
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(store_->Update([&](Tx& tx) {
      return tx.PutImage(Record("docker.io/library/b:" + std::to_string(i), D("t")));
    }).ok());
  }
  stop = true;
  reader.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST_F(MetadataTest, DatabaseFilesArePrivate) {
  // Written to, so the WAL and SHM files exist.
  ASSERT_TRUE(store_->Update([&](Tx& tx) { return tx.PutImage(Record("a:1", D("m"))); }).ok());
  for (const char* suffix : {"", "-wal", "-shm"}) {
    auto info = Env::Default()->Stat(dir_ + "/metadata.db" + suffix);
    ASSERT_TRUE(info.ok()) << suffix << ": " << info.status().ToString();
    EXPECT_EQ(info->mode, 0600u) << suffix;
  }
  // An older store's looser files are tightened on open.
  store_.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::string p = dir_ + "/metadata.db" + suffix;
    if (Env::Default()->FileExists(p)) ASSERT_EQ(::chmod(p.c_str(), 0644), 0);
  }
  Reopen();
  EXPECT_EQ(Env::Default()->Stat(dir_ + "/metadata.db")->mode, 0600u);
  auto recs = store_->View([&](Tx& tx) -> Status { return tx.GetImage("a:1").status(); });
  EXPECT_TRUE(recs.ok()) << recs.ToString();
}

TEST_F(MetadataTest, TheWalIsCheckpointedIntoTheDatabaseWhileTheStoreIsOpen) {
  // Commits no longer checkpoint inline: the checkpointer thread copies the
  // WAL into metadata.db once it holds 1000 frames. Write well over that in
  // single-page transactions (a 3 KiB label each) and wait for the database
  // file itself to grow.
  auto size = [&] { return Env::Default()->Stat(dir_ + "/metadata.db")->size; };
  const uint64_t before = size();
  const std::string filler(3000, 'x');
  for (int i = 0; i < 1500; ++i) {
    ASSERT_TRUE(store_->Update([&](Tx& tx) {
      return tx.PutImage(Record("r/img:" + std::to_string(i), D("t" + std::to_string(i)), {{"filler", filler}}));
    }).ok());
  }
  EXPECT_TRUE(testing::AwaitCondition([&] { return size() > before + 1000 * 1024; }))
      << "metadata.db stayed at " << size() << " bytes (from " << before << ")";
  // And nothing is lost: every record reads back, after a reopen too.
  Reopen();
  ASSERT_TRUE(store_->View([&](Tx& tx) -> Status {
    EXPECT_EQ(*tx.CountImages(), 1500);
    return OkStatus();
  }).ok());
}

// The WAL header's checkpoint sequence number (bytes 12..15, big-endian):
// SQLite adds one each time a writer starts the WAL again from its beginning.
uint32_t WalCheckpointSequence(const std::string& wal) {
  unsigned char b[16] = {};
  std::ifstream in(wal, std::ios::binary);
  if (!in.read(reinterpret_cast<char*>(b), sizeof b)) return 0;
  return (uint32_t{b[12]} << 24) | (uint32_t{b[13]} << 16) | (uint32_t{b[14]} << 8) | b[15];
}

TEST_F(MetadataTest, AStreamOfWritesWithoutPausesStartsTheWalAgain) {
  // A checkpoint that copies while writers go on never finds the whole WAL
  // copied, and then no writer starts the WAL again from its beginning: it
  // grows for as long as the stream lasts. The checkpointer copies the last
  // frames with the writers held off. Write back to back (about six frames
  // per transaction) until the WAL has been started again twice; a store
  // that never restarts it writes ~36000 frames and fails.
  const std::string wal = dir_ + "/metadata.db-wal";
  const std::string filler(3000, 'x');
  ASSERT_TRUE(store_->Update([&](Tx& tx) { return tx.PutImage(Record("r/img:first", D("t"), {{"filler", filler}})); }).ok());
  const uint32_t first = WalCheckpointSequence(wal);
  int restarts = 0;
  for (int i = 0; i < 6000 && restarts < 2; ++i) {
    ASSERT_TRUE(store_->Update([&](Tx& tx) {
      return tx.PutImage(Record("r/img:" + std::to_string(i), D("t" + std::to_string(i)), {{"filler", filler}}));
    }).ok());
    if (i % 50 == 0) restarts = static_cast<int>(WalCheckpointSequence(wal) - first);
  }
  EXPECT_GE(restarts, 2) << "the WAL was started again " << restarts << " times";
}

}  // namespace
}  // namespace berth
