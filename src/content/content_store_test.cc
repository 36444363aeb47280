#include "berth/content_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <random>
#include <thread>

namespace berth {
namespace {

// Larger than any blob these tests write.
constexpr int64_t kAnySize = int64_t{1} << 40;

using Op = FaultInjectionEnv::Op;

std::string RandomData(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

class ContentStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/berth-cs-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    EXPECT_TRUE(Env::Default()->RemoveAll(root_).ok());
  }

  void Reopen() {
    store_.reset();
    auto s = ContentStore::Open(&fenv_, root_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }

  std::vector<std::string> List(const std::string& sub) {
    auto r = Env::Default()->ListDir(root_ + "/" + sub);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<std::string> v = r.ok() ? *r : std::vector<std::string>{};
    std::sort(v.begin(), v.end());
    return v;
  }
  std::vector<std::string> Blobs() { return List("blobs/sha256"); }
  std::vector<std::string> Ingest() { return List("ingest"); }

  FaultInjectionEnv fenv_{Env::Default()};
  std::string root_;
  std::unique_ptr<ContentStore> store_;
};

TEST_F(ContentStoreTest, ReadAllRefusesABlobOverItsLimit) {
  const std::string data(4096, 'x');
  auto d = store_->Put(data);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  auto exact = store_->ReadAll(*d, 4096);
  ASSERT_TRUE(exact.ok()) << exact.status().ToString();
  EXPECT_EQ(*exact, data);
  auto over = store_->ReadAll(*d, 4095);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(over.status().message(), "content " + d->str() + " is 4096 bytes, more than the limit of 4095 bytes");
  auto big = store_->Put(std::string((5 << 20) + 1, 'y'));
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(store_->ReadAll(*big, 5 << 20).status().message(),
            "content " + big->str() + " is 5242881 bytes, more than the limit of 5 MiB");
}

TEST_F(ContentStoreTest, PutReadInfoDelete) {
  const std::string data = "hello, content";
  const Digest d = Digest::Of(data);
  EXPECT_FALSE(store_->Exists(d));
  EXPECT_EQ(store_->Info(d).status().code(), Code::kNotFound);
  EXPECT_EQ(store_->ReadAll(d, kAnySize).status().code(), Code::kNotFound);
  EXPECT_EQ(store_->OpenRead(d).status().code(), Code::kNotFound);

  auto put = store_->Put(data);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(*put, d);
  EXPECT_TRUE(store_->Exists(d));
  EXPECT_EQ(store_->BlobPath(d), root_ + "/blobs/sha256/" + d.hex());
  EXPECT_EQ(*Env::Default()->ReadFileToString(store_->BlobPath(d)), data);

  auto all = store_->ReadAll(d, kAnySize);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, data);

  auto info = store_->Info(d);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->digest, d);
  EXPECT_EQ(info->size, static_cast<int64_t>(data.size()));
  EXPECT_GT(info->committed_unix_nanos, 0);

  auto rf = store_->OpenRead(d);
  ASSERT_TRUE(rf.ok());
  ASSERT_TRUE((*rf)->Skip(7).ok());
  char buf[64];
  auto n = (*rf)->Read(buf, sizeof(buf));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "content");

  ASSERT_TRUE(store_->Delete(d).ok());
  EXPECT_FALSE(store_->Exists(d));
  Status again = store_->Delete(d);
  EXPECT_EQ(again.code(), Code::kNotFound);
  EXPECT_EQ(again.message(), "content digest " + d.str() + ": not found");
  EXPECT_EQ(Ingest(), std::vector<std::string>{});
}

TEST_F(ContentStoreTest, WriterStreamsManySizes) {
  const std::string data = RandomData(3 * (1 << 20) + 777, 1);
  // Small writes (buffered), writes that straddle the buffer, and writes
  // larger than the buffer.
  for (size_t chunk : {1u, 4095u, (1u << 20) - 1, 1u << 20, (1u << 20) + 1, 5u << 20}) {
    SCOPED_TRACE(chunk);
    size_t len = chunk == 1 ? 100000 : data.size();
    std::string_view want(data.data(), len);
    auto w = store_->NewWriter();
    ASSERT_TRUE(w.ok());
    for (size_t off = 0; off < len; off += chunk) {
      ASSERT_TRUE((*w)->Write(want.substr(off, chunk)).ok());
    }
    EXPECT_EQ((*w)->written(), static_cast<int64_t>(len));
    auto d = (*w)->Commit(static_cast<int64_t>(len), Digest::Of(want));
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_EQ(*store_->ReadAll(*d, kAnySize), want);
    EXPECT_FALSE((*w)->Write("more").ok());  // committed writers are closed
    EXPECT_FALSE((*w)->Commit(-1, {}).ok());
    ASSERT_TRUE(store_->Delete(*d).ok());
  }
  EXPECT_EQ(Ingest(), std::vector<std::string>{});
}

TEST_F(ContentStoreTest, EmptyBlob) {
  auto w = store_->NewWriter();
  ASSERT_TRUE(w.ok());
  auto d = (*w)->Commit(0, {});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(*store_->ReadAll(*d, kAnySize), "");
}

TEST_F(ContentStoreTest, WrongDigestOrSizeRefused) {
  const std::string data = "some bytes";
  const Digest other = Digest::Of("other bytes");
  auto r = store_->Put(data, other);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "unexpected commit digest " + Digest::Of(data).str() + ", expected " + other.str());

  auto w = store_->NewWriter();
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write(data).ok());
  auto c = (*w)->Commit(static_cast<int64_t>(data.size()) + 1, Digest::Of(data));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(c.status().message(), "unexpected commit size 10, expected 11");
  EXPECT_FALSE((*w)->Commit(-1, {}).ok());  // the writer stays failed

  EXPECT_EQ(Blobs(), std::vector<std::string>{});
  EXPECT_EQ(Ingest(), std::vector<std::string>{});
  EXPECT_FALSE(store_->Exists(Digest::Of(data)));
}

TEST_F(ContentStoreTest, PutExistingRequiresMatchingData) {
  const Digest d = *store_->Put("abc");
  // Same digest claimed for different data: refused even though the blob exists.
  EXPECT_EQ(store_->Put("abd", d).status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(store_->Put("abc", d).ok());
  EXPECT_EQ(*store_->ReadAll(d, kAnySize), "abc");
  EXPECT_EQ(Ingest(), std::vector<std::string>{});
}

TEST_F(ContentStoreTest, ExistingBlobCommitIsIdempotent) {
  const std::string data = RandomData(5000, 2);
  const Digest d = *store_->Put(data);
  auto before = store_->Info(d);
  ASSERT_TRUE(before.ok());
  for (int i = 0; i < 3; ++i) {
    auto w = store_->NewWriter();
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Write(data).ok());
    auto c = (*w)->Commit(static_cast<int64_t>(data.size()), d);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_EQ(*c, d);
  }
  EXPECT_EQ(store_->Info(d)->committed_unix_nanos, before->committed_unix_nanos);  // not rewritten
  EXPECT_EQ(Blobs(), std::vector<std::string>{d.hex()});
  EXPECT_EQ(Ingest(), std::vector<std::string>{});
}

TEST_F(ContentStoreTest, AbandonedWriterLeavesNothing) {
  {
    auto w = store_->NewWriter();
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Write(RandomData(3 << 20, 3)).ok());
    EXPECT_EQ(Ingest().size(), 1u);
  }
  EXPECT_EQ(Ingest(), std::vector<std::string>{});
  EXPECT_EQ(Blobs(), std::vector<std::string>{});
}

struct FaultCase {
  Op op;
  int skip;
  size_t size;  // data size; > 1 MiB makes Append happen during Write()
};

TEST_F(ContentStoreTest, InjectedFailuresLeaveNoBlobAndNoIngest) {
  const std::vector<FaultCase> cases = {
      {Op::kAppend, 0, 100},            // the flush at Commit
      {Op::kAppend, 0, 3 << 20},        // a direct Append during Write
      {Op::kAppend, 1, 3 << 20},
      {Op::kSync, 0, 100},
      {Op::kRename, 0, 100},
      {Op::kSyncDir, 0, 100},
      {Op::kSyncDir, 0, 3 << 20},
      {Op::kCreate, 0, 100},  // the ingest file cannot be created
  };
  uint32_t seed = 10;
  for (const FaultCase& c : cases) {
    SCOPED_TRACE(::testing::Message() << "op=" << static_cast<int>(c.op) << " skip=" << c.skip
                                      << " size=" << c.size);
    const std::string data = RandomData(c.size, seed++);
    const Digest d = Digest::Of(data);
    const int before = fenv_.injected();
    fenv_.FailAfter(c.op, c.skip);
    Status failed;
    auto w = store_->NewWriter();
    if (!w.ok()) {
      failed = w.status();
    } else {
      for (size_t off = 0; off < data.size() && failed.ok(); off += 1 << 20) {
        failed = (*w)->Write(std::string_view(data).substr(off, 1 << 20));
      }
      if (failed.ok()) {
        auto r = (*w)->Commit(static_cast<int64_t>(data.size()), d);
        ASSERT_FALSE(r.ok());
        failed = r.status();
      } else {
        EXPECT_EQ((*w)->Commit(-1, {}).status(), failed);  // stays failed
      }
    }
    EXPECT_EQ(failed.message(), "injected fault");
    EXPECT_EQ(fenv_.injected(), before + 1);
    EXPECT_EQ(Blobs(), std::vector<std::string>{});
    EXPECT_EQ(Ingest(), std::vector<std::string>{});  // before the writer is destroyed
    EXPECT_FALSE(store_->Exists(d));
    fenv_.ClearFaults();
    // The store still works.
    ASSERT_TRUE(store_->Put(data, d).ok());
    ASSERT_TRUE(store_->Delete(d).ok());
  }
}

TEST_F(ContentStoreTest, StaleIngestClearedOnOpen) {
  // What a crash leaves behind: a partly written ingest file (named as the
  // store names them), other debris, and committed blobs that must survive.
  {
    auto w = store_->NewWriter();
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Write(RandomData(2 << 20, 4)).ok());
    std::vector<std::string> live = Ingest();
    ASSERT_EQ(live.size(), 1u);
    EXPECT_EQ(live[0].size(), 32u);
    ASSERT_EQ(::link((root_ + "/ingest/" + live[0]).c_str(),
                     (root_ + "/ingest/0123456789abcdef0123456789abcdef").c_str()),
              0);
  }
  ASSERT_TRUE(WriteFileAtomic(Env::Default(), root_ + "/ingest/leftover", "partial").ok());
  ASSERT_TRUE(Env::Default()->CreateDirs(root_ + "/ingest/dir/sub").ok());
  const Digest kept = *store_->Put("kept");
  EXPECT_EQ(Ingest().size(), 3u);
  Reopen();
  EXPECT_EQ(Ingest(), std::vector<std::string>{});
  EXPECT_EQ(Blobs(), std::vector<std::string>{kept.hex()});
  EXPECT_EQ(*store_->ReadAll(kept, kAnySize), "kept");
}

TEST_F(ContentStoreTest, WalkSkipsNonHexNames) {
  std::vector<Digest> want;
  for (int i = 0; i < 5; ++i) want.push_back(*store_->Put("blob " + std::to_string(i)));
  Env* env = Env::Default();
  ASSERT_TRUE(WriteFileAtomic(env, root_ + "/blobs/sha256/README", "x").ok());
  ASSERT_TRUE(WriteFileAtomic(env, root_ + "/blobs/sha256/" + std::string(64, 'A'), "x").ok());
  ASSERT_TRUE(WriteFileAtomic(env, root_ + "/blobs/sha256/" + want[0].hex() + ".tmp", "x").ok());
  ASSERT_TRUE(env->CreateDirs(root_ + "/blobs/sha256/" + std::string(64, 'e')).ok());

  std::vector<Digest> got;
  ASSERT_TRUE(store_->Walk([&](const BlobInfo& info) {
                      EXPECT_EQ(info.size, static_cast<int64_t>(store_->ReadAll(info.digest, kAnySize)->size()));
                      got.push_back(info.digest);
                      return OkStatus();
                    }).ok());
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);

  int visits = 0;
  Status s = store_->Walk([&](const BlobInfo&) {
    ++visits;
    return Cancelled("stop");
  });
  EXPECT_EQ(s.code(), Code::kCancelled);
  EXPECT_EQ(visits, 1);
}

TEST_F(ContentStoreTest, PathEscapingDigestsRefused) {
  for (const char* bad : {"sha256:../../x", "sha256:../../../etc/passwd", "sha256:/etc/passwd",
                          "../sha256:abc", "sha256:..",
                          "sha256:....................................................../x"}) {
    SCOPED_TRACE(bad);
    auto d = Digest::Parse(bad);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(d.status().message().rfind(std::string("invalid digest \"") + bad + "\": ", 0), 0u);
  }
  // The empty Digest is never a path.
  EXPECT_EQ(store_->Info(Digest()).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(store_->ReadAll(Digest(), kAnySize).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(store_->OpenRead(Digest()).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(store_->Delete(Digest()).code(), Code::kInvalidArgument);
  EXPECT_FALSE(store_->Exists(Digest()));
  EXPECT_EQ(store_->BlobPath(Digest()), "");
}

TEST_F(ContentStoreTest, ConcurrentWritersOfSameBlob) {
  const std::string data = RandomData((2 << 20) + 99, 5);
  const Digest d = Digest::Of(data);
  for (int round = 0; round < 5; ++round) {
    std::vector<std::thread> threads;
    std::vector<Status> results(4);
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        auto w = store_->NewWriter();
        if (!w.ok()) {
          results[t] = w.status();
          return;
        }
        for (size_t off = 0; off < data.size(); off += 65536) {
          Status s = (*w)->Write(std::string_view(data).substr(off, 65536));
          if (!s.ok()) {
            results[t] = s;
            return;
          }
        }
        auto c = (*w)->Commit(static_cast<int64_t>(data.size()), d);
        results[t] = c.ok() ? (*c == d ? OkStatus() : Internal("wrong digest")) : c.status();
      });
    }
    for (auto& th : threads) th.join();
    for (const Status& s : results) EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(Blobs(), std::vector<std::string>{d.hex()});
    EXPECT_EQ(Ingest(), std::vector<std::string>{});
    EXPECT_EQ(*store_->ReadAll(d, kAnySize), data);
    ASSERT_TRUE(store_->Delete(d).ok());
  }
}

TEST_F(ContentStoreTest, ConcurrentWritersOfDistinctBlobs) {
  std::vector<std::thread> threads;
  std::vector<Digest> got(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        auto r = store_->Put("thread " + std::to_string(t) + " blob " + std::to_string(i));
        if (r.ok()) got[t] = *r;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(Blobs().size(), 40u);
  EXPECT_EQ(Ingest(), std::vector<std::string>{});
}

TEST_F(ContentStoreTest, DirectoriesArePrivate) {
  EXPECT_EQ(Env::Default()->Stat(root_)->mode, 0700u);
  EXPECT_EQ(Env::Default()->Stat(root_ + "/blobs/sha256")->mode, 0700u);
  EXPECT_EQ(Env::Default()->Stat(root_ + "/ingest")->mode, 0700u);
  store_.reset();
  ASSERT_EQ(::chmod(root_.c_str(), 0755), 0);
  Reopen();
  EXPECT_EQ(Env::Default()->Stat(root_)->mode, 0700u);
}

}  // namespace
}  // namespace berth
