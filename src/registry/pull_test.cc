// Pull against a real docker-registry (through a fault proxy where needed).
#include "registry/registry_test_util.h"

namespace berth::registry_test {
namespace {

TEST_F(RegistryTest, PushMatchesSkopeoAndPullByTagThenSecondPlatform) {
  auto img = Multi("tag", {kAmd64, kArm64});
  std::string name = Host() + "/t1/multi:1";
  PushResult pushed = Seed(img, name);
  EXPECT_EQ(pushed.digest, img.target.digest);
  EXPECT_TRUE(pushed.skipped_platforms.empty());
  std::string raw = Shell("skopeo inspect --tls-verify=false --raw docker://" + name + " 2>/dev/null");
  EXPECT_EQ(raw, Blob(img, img.target.digest));

  auto r = PullInto(other_.get(), name, kAmd64);
  ASSERT_OK(r);
  EXPECT_EQ(r->target, img.target.digest);
  EXPECT_EQ(r->platform_manifest, img.ManifestFor(kAmd64));
  EXPECT_TRUE(r->updated);
  EXPECT_EQ(r->name, name);
  EXPECT_TRUE(Said("1: Pulling from t1/multi"));
  EXPECT_TRUE(Said("Digest: " + img.target.digest.str()));
  EXPECT_TRUE(Said("Status: Downloaded newer image for " + name));
  EXPECT_EQ(Kept(other_.get(), img.target.digest),
            (std::vector<Digest>{std::min(img.target.digest, img.ManifestFor(kAmd64)),
                                 std::max(img.target.digest, img.ManifestFor(kAmd64))}));
  Event e;
  ASSERT_TRUE(other_sub_->Next(&e, 0));
  EXPECT_EQ(e.action, "pull");
  EXPECT_EQ(e.actor_id, name);
  EXPECT_EQ(e.attributes["name"], Host() + "/t1/multi");

  // The same pull again: nothing new.
  r = PullInto(other_.get(), name, kAmd64);
  ASSERT_OK(r);
  EXPECT_FALSE(r->updated);
  EXPECT_TRUE(Said("Status: Image is up to date for " + name));

  // Another platform joins the same record; the shared base layer is reused.
  // dockerd calls this "up to date" too: the name's target did not change.
  r = PullInto(other_.get(), name, kArm64);
  ASSERT_OK(r);
  EXPECT_FALSE(r->updated);
  EXPECT_EQ(r->platform_manifest, img.ManifestFor(kArm64));
  auto kept = Kept(other_.get(), img.target.digest);
  EXPECT_EQ(kept.size(), 3u);
  EXPECT_TRUE(std::find(kept.begin(), kept.end(), img.ManifestFor(kAmd64)) != kept.end());
  int already = 0;
  for (const auto& m : messages_) already += m.find("Already exists") != std::string::npos;
  EXPECT_EQ(already, 1);
  EXPECT_EQ(Names(other_.get()), std::vector<std::string>{name});
  for (const auto& b : img.blobs) EXPECT_TRUE(other_->blobs()->Exists(b.descriptor.digest));
}

TEST_F(RegistryTest, PullByDigestAndPlatformMismatch) {
  auto img = Simple("bydigest");
  std::string name = Host() + "/t2/one:1";
  Seed(img, name);
  std::string by_digest = Host() + "/t2/one@" + img.target.digest.str();
  auto r = PullInto(other_.get(), by_digest);
  ASSERT_OK(r);
  EXPECT_EQ(r->name, by_digest);
  EXPECT_EQ(r->target, img.target.digest);
  EXPECT_TRUE(Said(by_digest + ": Pulling from t2/one"));
  EXPECT_TRUE(other_->images()->Resolve(by_digest).ok());

  auto bad = PullInto(other_.get(), name, kArm64);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kNotFound);
  EXPECT_NE(bad.status().message().find("does not match the specified platform"), std::string::npos);

  // A multi-platform index without the platform.
  auto multi = Multi("nomatch", {kAmd64});
  Seed(multi, Host() + "/t2/multi:1");
  bad = PullInto(other_.get(), Host() + "/t2/multi:1", kArmV7);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "no matching manifest for linux/arm/v7 in the manifest list entries: no match for platform in manifest: "
            "not found");
}

TEST_F(RegistryTest, MissingManifestAndUnreachableRegistry) {
  Seed(Simple("missing"), Host() + "/t3/x:1");
  auto r = PullInto(other_.get(), Host() + "/t3/x:nope");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_EQ(r.status().message(),
            "manifest for " + Host() + "/t3/x:nope not found: manifest unknown: manifest unknown");

  cfg_.max_attempts = 2;
  r = PullInto(other_.get(), "127.0.0.1:" + std::to_string(registry_test::FreePort()) + "/x:1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_TRUE(Names(other_.get()).empty());
}

TEST_F(RegistryTest, MovingTagLeavesOldImageDangling) {
  std::string name = Host() + "/t4/moving:1";
  auto a = Simple("first");
  Seed(a, name);
  ASSERT_OK(PullInto(other_.get(), name));
  auto b = Simple("second");
  Add(b, {name});
  PushOptions o;
  o.name = name;
  ASSERT_OK(Push(store_.get(), cfg_, o, nullptr));
  auto r = PullInto(other_.get(), name);
  ASSERT_OK(r);
  EXPECT_EQ(r->target, b.target.digest);
  auto names = Names(other_.get());
  std::set<std::string> got(names.begin(), names.end());
  EXPECT_EQ(got, (std::set<std::string>{name, DanglingName(a.target.digest)}));
}

TEST_F(RegistryTest, CorruptBlobRefusedThenRepeatedPullReusesContent) {
  auto img = Simple("corrupt");
  std::string repo = "/t5/bad:1";
  Seed(img, Host() + repo);
  auto m = ParseManifest(Blob(img, img.target.digest));
  ASSERT_OK(m);
  const Digest layer = m->layers[0].digest;
  FaultProxy proxy(g_registry->port());
  FaultProxy::Fault f;
  f.path_contains = "/blobs/" + layer.str();
  f.kind = FaultProxy::Kind::kCorrupt;
  proxy.AddFault(f);
  std::string name = proxy.host() + repo;
  auto r = PullInto(other_.get(), name);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << r.status().ToString();
  EXPECT_FALSE(other_->blobs()->Exists(layer));
  EXPECT_TRUE(Names(other_.get()).empty());
  // What was verified is kept under an expiring lease.
  std::vector<LeaseRecord> leases = Leases(other_.get());
  ASSERT_EQ(leases.size(), 1u);
  int64_t now = other_->env()->NowUnixNanos();
  EXPECT_GT(leases[0].expires_unix_nanos, now + (cfg_.lease_expiry_seconds - 60) * 1000000000LL);
  EXPECT_TRUE(other_->blobs()->Exists(m->config.digest));

  // Again, without the fault: the config is not fetched a second time, the
  // lease is gone once the image exists.
  size_t before = proxy.requests().size();
  r = PullInto(other_.get(), name);
  ASSERT_OK(r);
  auto reqs = proxy.requests();
  for (size_t i = before; i < reqs.size(); i++) {
    EXPECT_EQ(reqs[i].find("/blobs/" + m->config.digest.str()), std::string::npos) << reqs[i];
  }
  EXPECT_TRUE(Leases(other_.get()).empty());
  EXPECT_TRUE(other_->blobs()->Exists(layer));
}

TEST_F(RegistryTest, ExpiredPullLeaseIsDropped) {
  auto img = Simple("expiry");
  std::string repo = "/t15/exp:1";
  Seed(img, Host() + repo);
  auto m = ParseManifest(Blob(img, img.target.digest));
  ASSERT_OK(m);
  FaultProxy proxy(g_registry->port());
  FaultProxy::Fault f;
  f.path_contains = "/blobs/" + m->layers[0].digest.str();
  proxy.AddFault(f);
  cfg_.lease_expiry_seconds = 0;
  ASSERT_FALSE(PullInto(other_.get(), proxy.host() + repo).ok());
  ASSERT_EQ(Leases(other_.get()).size(), 1u);
  // Any later pull (here one that fails early) drops the expired lease.
  EXPECT_FALSE(PullInto(other_.get(), Host() + "/t15/none:1").ok());
  EXPECT_TRUE(Leases(other_.get()).empty());
}

TEST_F(RegistryTest, BrokenConnectionResumesWithRange) {
  testing::FixtureImage spec;
  testing::FixturePlatform p;
  p.layers.push_back(testing::FixtureLayer{{{"big", Noise(300000, 7)}}});
  spec.platforms.push_back(p);
  auto img = testing::BuildImage(spec);
  ASSERT_OK(img);
  std::string repo = "/t6/big:1";
  Seed(*img, Host() + repo);
  auto m = ParseManifest(Blob(*img, img->target.digest));
  ASSERT_OK(m);
  const Digest layer = m->layers[0].digest;
  ASSERT_GT(m->layers[0].size, 200000);
  FaultProxy proxy(g_registry->port());
  FaultProxy::Fault f;
  f.path_contains = "/blobs/" + layer.str();
  f.kind = FaultProxy::Kind::kCut;
  f.cut_after = 100000;
  proxy.AddFault(f);
  auto r = PullInto(other_.get(), proxy.host() + repo);
  ASSERT_OK(r);
  EXPECT_TRUE(other_->blobs()->Exists(layer));
  int ranged = 0;
  for (const auto& h : proxy.requests()) {
    if (h.find("/blobs/" + layer.str()) != std::string::npos && h.find("Range: bytes=100000-") != std::string::npos) {
      ranged++;
    }
  }
  EXPECT_EQ(ranged, 1);
  EXPECT_TRUE(Said(layer.Short() + ": Download complete"));
  EXPECT_TRUE(Said(layer.Short() + ": Pull complete"));
}

TEST_F(RegistryTest, ServerErrorsRetriedButNotForever) {
  std::string repo = "/t7/retry:1";
  Seed(Simple("retry"), Host() + repo);
  FaultProxy proxy(g_registry->port());
  FaultProxy::Fault f;
  f.path_contains = "/manifests/1";
  f.kind = FaultProxy::Kind::kStatus;
  f.status = 503;
  f.times = 2;
  proxy.AddFault(f);
  ASSERT_OK(PullInto(other_.get(), proxy.host() + repo));
  int gets = 0;
  for (const auto& h : proxy.requests()) gets += h.rfind("GET /v2/t7/retry/manifests/1 ", 0) == 0;
  EXPECT_EQ(gets, 3);

  // A 4xx is final; too many 5xx give up.
  f.status = 400;
  f.times = 1;
  proxy.AddFault(f);
  auto r = PullInto(other_.get(), proxy.host() + repo);
  EXPECT_FALSE(r.ok());
  f.status = 500;
  f.times = 100;
  cfg_.max_attempts = 3;
  proxy.AddFault(f);
  size_t before = proxy.requests().size();
  r = PullInto(other_.get(), proxy.host() + repo);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(proxy.requests().size() - before, 3u);
}


TEST_F(RegistryTest, CancelledPull) {
  Seed(Simple("cancel"), Host() + "/t11/c:1");
  PullOptions o;
  o.reference = Host() + "/t11/c:1";
  o.cancelled = [] { return true; };
  auto r = Pull(other_.get(), cfg_, o, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCancelled);
  EXPECT_TRUE(Names(other_.get()).empty());
}


TEST_F(RegistryTest, ParallelLayersAndPullProgress) {
  testing::FixtureImage spec;
  testing::FixturePlatform p;
  for (int i = 0; i < 5; i++) p.layers.push_back(testing::FixtureLayer{{{"l" + std::to_string(i), Noise(20000, i)}}});
  spec.platforms.push_back(p);
  auto img = testing::BuildImage(spec);
  ASSERT_OK(img);
  std::string name = Host() + "/t14/layers:1";
  Seed(*img, name);
  cfg_.max_concurrent_downloads = 2;
  ASSERT_OK(PullInto(other_.get(), name));
  EXPECT_EQ(messages_.front(), "1: Pulling from t14/layers");
  EXPECT_EQ(messages_.back(), "Status: Downloaded newer image for " + name);
  auto m = ParseManifest(Blob(*img, img->target.digest));
  ASSERT_OK(m);
  for (const auto& l : m->layers) {
    std::string id = l.digest.Short();
    EXPECT_TRUE(Said(id + ": Pulling fs layer"));
    EXPECT_TRUE(Said(id + ": Downloading"));
    EXPECT_TRUE(Said(id + ": Download complete"));
    EXPECT_TRUE(Said(id + ": Pull complete"));
    EXPECT_TRUE(other_->blobs()->Exists(l.digest));
  }
  // A repeated pull says nothing about layers.
  ASSERT_OK(PullInto(other_.get(), name));
  EXPECT_EQ(messages_, (std::vector<std::string>{"1: Pulling from t14/layers", "Digest: " + img->target.digest.str(),
                                                 "Status: Image is up to date for " + name}));
}

}  // namespace
}  // namespace berth::registry_test

namespace berth::registry_test {
namespace {

TEST_F(RegistryTest, OversizedConfigIsRefusedBeforeItIsFetched) {
  // An honest image whose config (a 9 MiB label) is over berth's 8 MiB limit.
  auto img = testing::SimpleImage({{"etc/seed", "bigconfig"}}, {{"padding", std::string(9 << 20, 'p')}});
  ASSERT_OK(img);
  std::string repo = "/t20/bigconfig:1";
  Seed(*img, Host() + repo);
  auto m = ParseManifest(Blob(*img, img->target.digest));
  ASSERT_OK(m);
  ASSERT_GT(m->config.size, kMaxConfigBytes);
  FaultProxy proxy(g_registry->port());
  auto r = PullInto(other_.get(), proxy.host() + repo);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "config " + m->config.digest.str() + " is " + std::to_string(m->config.size) +
                                      " bytes, more than the limit of 8 MiB");
  for (const std::string& req : proxy.requests()) {
    EXPECT_EQ(req.find("/blobs/" + m->config.digest.str()), std::string::npos) << "fetched anyway: " << req;
  }
  EXPECT_FALSE(other_->blobs()->Exists(m->config.digest));
  EXPECT_TRUE(Names(other_.get()).empty());
}

}  // namespace
}  // namespace berth::registry_test
