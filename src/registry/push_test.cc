// Push, remote platform removal and registry authentication against a real
// docker-registry.
#include "berth/base64.h"
#include "registry/registry_test_util.h"

namespace berth::registry_test {
namespace {

TEST_F(RegistryTest, PushProgressAndLayerAlreadyExists) {
  auto img = Simple("progress");
  std::string name = Host() + "/t8/p:v1";
  Add(img, {name});
  PushOptions o;
  o.name = name;
  std::vector<ProgressMessage> msgs;
  auto collect = [&](const ProgressMessage& m) { msgs.push_back(m); };
  auto r = Push(store_.get(), cfg_, o, collect);
  ASSERT_OK(r);
  auto m = ParseManifest(Blob(img, img.target.digest));
  ASSERT_OK(m);
  std::string id = m->layers[0].digest.Short();
  ASSERT_GE(msgs.size(), 4u);
  EXPECT_EQ(msgs[0].status, "The push refers to repository [" + Host() + "/t8/p]");
  auto has = [&](const std::string& id, const std::string& st) {
    for (const auto& x : msgs) {
      if (x.id == id && x.status == st) return true;
    }
    return false;
  };
  EXPECT_TRUE(has(id, "Preparing"));
  EXPECT_TRUE(has(id, "Pushed"));
  EXPECT_TRUE(has("", "v1: digest: " + img.target.digest.str() + " size: " +
                          std::to_string(Blob(img, img.target.digest).size())));
  EXPECT_EQ(msgs.back().aux_tag, "v1");
  EXPECT_EQ(msgs.back().aux_digest, img.target.digest);
  msgs.clear();
  o.tag = "v2";
  ASSERT_OK(images()->Tag(name, Host() + "/t8/p:v2"));
  msgs.clear();
  ASSERT_OK(Push(store_.get(), cfg_, o, collect));
  EXPECT_TRUE(has(id, "Layer already exists"));
  EXPECT_FALSE(has(id, "Pushed"));
  Event e;
  bool pushed = false;
  while (sub_->Next(&e, 0)) pushed |= e.action == "push" && e.actor_id == Host() + "/t8/p:v2";
  EXPECT_TRUE(pushed);

  o.name = Host() + "/t8/absent:1";
  o.tag.clear();
  auto missing = Push(store_.get(), cfg_, o, nullptr);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "An image does not exist locally with the tag: " + Host() + "/t8/absent");
}

TEST_F(RegistryTest, PushMountsBlobsFromAnotherRepository) {
  auto img = Simple("mount");
  std::string first = Host() + "/t16/src:1";
  Seed(img, first);
  auto m = ParseManifest(Blob(img, img.target.digest));
  ASSERT_OK(m);
  std::string second = Host() + "/t16/dst:1";
  ASSERT_OK(images()->Tag(first, second));
  PushOptions o;
  o.name = second;
  std::vector<std::string> msgs;
  ASSERT_OK(Push(store_.get(), cfg_, o, [&](const ProgressMessage& p) { msgs.push_back(p.id + ": " + p.status); }));
  EXPECT_NE(std::find(msgs.begin(), msgs.end(), m->layers[0].digest.Short() + ": Mounted from t16/src"), msgs.end());
  std::string raw = Shell("skopeo inspect --tls-verify=false --raw docker://" + second + " 2>/dev/null");
  EXPECT_EQ(raw, Blob(img, img.target.digest));
  // The blob is really there: a pull of the new repository works.
  ASSERT_OK(PullInto(other_.get(), second));
}

TEST_F(RegistryTest, PushOfPartialImagePushesPresentPlatforms) {
  auto img = Multi("partial", {kAmd64, kArm64});
  // Only amd64's blobs (and the index) locally.
  auto mm = ParseManifest(Blob(img, img.ManifestFor(kAmd64)));
  ASSERT_OK(mm);
  std::set<Digest> want{img.target.digest, img.ManifestFor(kAmd64), mm->config.digest};
  for (const auto& l : mm->layers) want.insert(l.digest);
  for (const auto& b : img.blobs) {
    if (want.count(b.descriptor.digest)) ASSERT_OK(image::ContentOf(store_.get())->Put(b.data, b.descriptor.digest));
  }
  std::string name = Host() + "/t9/partial:1";
  ASSERT_OK(images()->CreateImages({NewImage{name, img.target, {img.ManifestFor(kAmd64)}, {}}}, ReplaceRule::kTag, ""));
  PushOptions o;
  o.name = name;
  messages_.clear();
  auto r = Push(store_.get(), cfg_, o, [this](const ProgressMessage& m) { messages_.push_back(m.status); });
  ASSERT_OK(r);
  EXPECT_NE(r->digest, img.target.digest);
  ASSERT_EQ(r->skipped_platforms.size(), 1u);
  EXPECT_EQ(r->skipped_platforms[0].architecture, "arm64");
  EXPECT_TRUE(Said("Skipping platforms not present locally: linux/arm64"));
  std::string raw = Shell("skopeo inspect --tls-verify=false --raw docker://" + name + " 2>/dev/null");
  EXPECT_EQ(Digest::Of(raw), r->digest);
  auto idx = ParseIndex(raw);
  ASSERT_OK(idx);
  ASSERT_EQ(idx->manifests.size(), 1u);
  EXPECT_EQ(idx->manifests[0].digest, img.ManifestFor(kAmd64));
}

TEST_F(RegistryTest, RemoveRemotePlatforms) {
  auto img = Multi("remove", {kAmd64, kArm64, kArmV7});
  std::string name = Host() + "/t10/rm:1";
  Seed(img, name);
  auto r = RemoveRemotePlatforms(cfg_, name, {kArm64}, {});
  ASSERT_OK(r);
  EXPECT_EQ(r->old_digest, img.target.digest);
  EXPECT_NE(r->new_digest, img.target.digest);
  EXPECT_EQ(r->removed_manifests, std::vector<Digest>{img.ManifestFor(kArm64)});
  std::string raw = Shell("skopeo inspect --tls-verify=false --raw docker://" + name + " 2>/dev/null");
  EXPECT_EQ(Digest::Of(raw), r->new_digest);
  auto idx = ParseIndex(raw);
  ASSERT_OK(idx);
  ASSERT_EQ(idx->manifests.size(), 2u);
  for (const auto& d : idx->manifests) EXPECT_NE(d.digest, img.ManifestFor(kArm64));

  auto digest_ref = RemoveRemotePlatforms(cfg_, Host() + "/t10/rm@" + r->new_digest.str(), {kAmd64}, {});
  ASSERT_FALSE(digest_ref.ok());
  EXPECT_EQ(digest_ref.status().code(), Code::kInvalidArgument);
  auto absent = RemoveRemotePlatforms(cfg_, name, {kArm64}, {});
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.status().code(), Code::kNotFound);
  auto all = RemoveRemotePlatforms(cfg_, name, {kAmd64, kArmV7}, {});
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.status().code(), Code::kInvalidArgument);
}


TEST_F(RegistryTest, BasicAuthWithHtpasswd) {
  if (::access("/usr/bin/htpasswd", X_OK) != 0) GTEST_SKIP() << "htpasswd (apache2-utils) not installed";
  std::string file = root_ + "/htpasswd";
  ASSERT_EQ(std::system(("htpasswd -Bbn alice s3cret > " + file + " 2>/dev/null").c_str()), 0);
  TestRegistry reg;
  ASSERT_TRUE(reg.Start(file)) << reg.error();
  std::string name = reg.host() + "/t12/auth:1";
  auto img = Simple("auth");
  Add(img, {name});
  PushOptions o;
  o.name = name;
  auto denied = Push(store_.get(), cfg_, o, nullptr);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().code(), Code::kPermissionDenied);
  EXPECT_EQ(denied.status().message(), "unauthorized: authentication required");
  o.auth.username = "alice";
  o.auth.password = "s3cret";
  ASSERT_OK(Push(store_.get(), cfg_, o, nullptr));

  auto r = PullInto(other_.get(), name);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_EQ(r.status().message(), "pull access denied for " + reg.host() +
                                      "/t12/auth, repository does not exist or may require 'docker login'");
  PullOptions po;
  po.reference = name;
  po.auth.username = "alice";
  po.auth.password = "wrong";
  EXPECT_EQ(Pull(other_.get(), cfg_, po, nullptr).status().code(), Code::kNotFound);
  po.auth.password = "s3cret";
  auto ok = Pull(other_.get(), cfg_, po, nullptr);
  ASSERT_OK(ok);
  EXPECT_EQ(ok->target, img.target.digest);
}

TEST_F(RegistryTest, BearerTokenAuth) {
  std::string repo = "/t13/tok:1";
  auto img = Multi("bearer", {kAmd64});
  Seed(img, Host() + repo);
  FaultProxy proxy(g_registry->port());
  proxy.RequireBearer("tok123", "Basic " + Base64Encode("bob:pw"));
  PullOptions po;
  po.reference = proxy.host() + repo;
  auto denied = Pull(other_.get(), cfg_, po, nullptr);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().code(), Code::kNotFound);
  po.auth.username = "bob";
  po.auth.password = "pw";
  ASSERT_OK(Pull(other_.get(), cfg_, po, nullptr));
  int token_requests = 0;
  for (const auto& h : proxy.requests()) {
    if (h.rfind("GET /token?service=berth-test&scope=repository%3At13%2Ftok%3Apull ", 0) == 0) token_requests++;
  }
  // One token for the pull without credentials (refused), one for the pull with them.
  EXPECT_EQ(token_requests, 2);

  // A token given as is (registrytoken) needs no token request.
  auto before = proxy.requests().size();
  PushOptions o;
  o.name = proxy.host() + "/t13/tok:2";
  ASSERT_OK(images()->Tag(Host() + repo, o.name));
  o.auth.registry_token = "tok123";
  ASSERT_OK(Push(store_.get(), cfg_, o, nullptr));
  auto reqs = proxy.requests();
  for (size_t i = before; i < reqs.size(); i++) EXPECT_EQ(reqs[i].rfind("GET /token", 0), std::string::npos);
}

}  // namespace
}  // namespace berth::registry_test
