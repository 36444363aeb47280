// Docker's -v / --mount / --tmpfs parsing rules, and the volume service on a
// real SQLite file in a temporary data root.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "berth/volume_service.h"
#include "testing/temp_dir.h"

namespace berth {
namespace {

using Type = MountRequest::Type;

TEST(ParseBindSpec, BindWithModes) {
  auto m = ParseBindSpec("/src/../data/:/ctr/:ro,Z,rshared");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->type, Type::kBind);
  EXPECT_EQ(m->source, "/data");
  EXPECT_EQ(m->target, "/ctr");
  EXPECT_TRUE(m->read_only);
  EXPECT_EQ(m->mode, "ro,Z,rshared");
  EXPECT_EQ(m->propagation, "rshared");
}

TEST(ParseBindSpec, BindDefaultsToReadWriteRprivate) {
  auto m = ParseBindSpec("/src:/src");
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->read_only);
  EXPECT_EQ(m->propagation, "rprivate");
  EXPECT_EQ(m->mode, "");
}

TEST(ParseBindSpec, NamedAndAnonymousVolumes) {
  auto named = ParseBindSpec("cache:/cache:nocopy");
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->type, Type::kVolume);
  EXPECT_EQ(named->source, "cache");
  EXPECT_TRUE(named->no_copy);
  auto anon = ParseBindSpec("/data");
  ASSERT_TRUE(anon.ok());
  EXPECT_EQ(anon->type, Type::kVolume);
  EXPECT_EQ(anon->source, "");
  EXPECT_EQ(anon->target, "/data");
}

TEST(ParseBindSpec, DockerErrors) {
  EXPECT_EQ(ParseBindSpec("").status().message(), "invalid volume specification: ''");
  EXPECT_EQ(ParseBindSpec("/data:rw").status().message(), "invalid volume specification: '/data:rw'");
  EXPECT_EQ(ParseBindSpec("/a:/b:c:d").status().message(), "invalid volume specification: '/a:/b:c:d'");
  EXPECT_EQ(ParseBindSpec("/a:/b:ro,rw").status().message(), "invalid mode: ro,rw");
  EXPECT_EQ(ParseBindSpec("/a:/b:bogus").status().message(), "invalid mode: bogus");
  EXPECT_EQ(ParseBindSpec("/src:relative").status().message(),
            "invalid volume specification: '/src:relative': invalid mount config for type \"bind\": "
            "invalid mount path: 'relative' mount path must be absolute");
  EXPECT_EQ(ParseBindSpec("vol:/").status().message(),
            "invalid volume specification: 'vol:/': invalid mount config for type \"volume\": "
            "invalid specification: destination can't be '/'");
  EXPECT_EQ(ParseBindSpec("/x:ro").status().message(), "invalid volume specification: '/x:ro'");
}

TEST(ParseVolumesFrom, ContainerAndModeWithDockersErrors) {
  auto plain = ParseVolumesFrom("data");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->container, "data");
  EXPECT_EQ(plain->mode, "rw");
  EXPECT_FALSE(plain->read_only);
  auto ro = ParseVolumesFrom("data:ro,z");
  ASSERT_TRUE(ro.ok());
  EXPECT_EQ(ro->container, "data");
  EXPECT_EQ(ro->mode, "ro,z");
  EXPECT_TRUE(ro->read_only);
  EXPECT_EQ(ParseVolumesFrom("data:")->mode, "rw");
  EXPECT_FALSE(ParseVolumesFrom("data:rw")->read_only);
  EXPECT_EQ(ParseVolumesFrom("").status().message(), "volumes-from specification cannot be an empty string");
  for (const char* bad : {"data:rx", "data:ro,rw", "data:rshared", "data:ro,nocopy", "data:ro:z"}) {
    auto r = ParseVolumesFrom(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().message(), "invalid mode: " + std::string(bad).substr(5)) << bad;
  }
}

TEST(ValidateMount, MountsRules) {
  MountRequest bind;
  bind.type = Type::kBind;
  bind.source = "/definitely/not/here";
  bind.target = "/x";
  EXPECT_EQ(ValidateMount(&bind, Env::Default(), true).message(),
            "invalid mount config for type \"bind\": bind source path does not exist: /definitely/not/here");
  bind.source = "/";
  bind.propagation = "sideways";
  EXPECT_EQ(ValidateMount(&bind, Env::Default(), true).message(),
            "invalid mount config for type \"bind\": invalid propagation mode: sideways");
  MountRequest anon;
  anon.type = Type::kVolume;
  anon.target = "/v";
  anon.read_only = true;
  EXPECT_EQ(ValidateMount(&anon, Env::Default(), true).message(),
            "invalid mount config for type \"volume\": must not set ReadOnly mode when using anonymous volumes");
  MountRequest tmpfs;
  tmpfs.type = Type::kTmpfs;
  tmpfs.target = "";
  EXPECT_EQ(ValidateMount(&tmpfs, Env::Default(), true).message(),
            "invalid mount config for type \"tmpfs\": field Target must not be empty");
  tmpfs.target = "/t";
  tmpfs.source = "x";
  EXPECT_EQ(ValidateMount(&tmpfs, Env::Default(), true).message(),
            "invalid mount config for type \"tmpfs\": field Source must not be specified");
}

TEST(ParseTmpfsEntry, OptionsAndErrors) {
  auto m = ParseTmpfsEntry("/run", "rw,noexec,size=64m");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->tmpfs_options, (std::vector<std::string>{"rw", "noexec", "size=64m"}));
  EXPECT_EQ(ParseTmpfsEntry("run", "").status().message(),
            "invalid mount config for type \"tmpfs\": invalid mount path: 'run' mount path must be absolute");
  EXPECT_EQ(ParseTmpfsEntry("/run", "huge=always").status().message(),
            "berth does not support the tmpfs option \"huge=always\"");
}

TEST(TmpfsMountOptions, DockerSuffixes) {
  EXPECT_EQ(TmpfsMountOptions(64 << 20, 01777, true), (std::vector<std::string>{"ro", "mode=1777", "size=64m"}));
  EXPECT_EQ(TmpfsMountOptions(1000, 0, false), (std::vector<std::string>{"size=1000"}));
  EXPECT_EQ(TmpfsMountOptions(3 << 10, 0, false), (std::vector<std::string>{"size=3k"}));
}

class VolumeServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.Create("berth-volume-test"));
    Reopen();
  }
  void TearDown() override {
    vs_.reset();
    tmp_.Remove();
  }
  void Reopen() {
    vs_.reset();
    auto v = VolumeService::Open(Env::Default(), tmp_.path(), &events_);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    vs_ = std::move(*v);
  }
  std::vector<std::string> Names(const VolumeFilters& f) {
    auto l = vs_->List(f);
    EXPECT_TRUE(l.ok()) << l.status().ToString();
    std::vector<std::string> out;
    if (l.ok()) {
      for (const auto& v : *l) out.push_back(v.name);
    }
    return out;
  }

  testing::TempDir tmp_;
  EventBus events_;
  std::unique_ptr<VolumeService> vs_;
};

TEST_F(VolumeServiceTest, CreatePersistsAcrossReopen) {
  VolumeCreateOptions o;
  o.name = "data";
  o.labels = {{"team", "a"}};
  auto v = vs_->Create(o);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->mountpoint, tmp_.path() + "/volumes/data/_data");
  EXPECT_TRUE(std::filesystem::is_directory(v->mountpoint));
  Reopen();
  auto got = vs_->Get("data");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->labels.at("team"), "a");
  EXPECT_EQ(got->created_unix_nanos, v->created_unix_nanos);
  // Idempotent: the existing volume, unchanged.
  o.labels = {{"team", "b"}};
  auto again = vs_->Create(o);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->labels.at("team"), "a");
}

TEST_F(VolumeServiceTest, HostileNamesCreateNothing) {
  for (const char* name : {"a/b", "..", "../x", "x/../../etc", "-x"}) {
    VolumeCreateOptions o;
    o.name = name;
    auto v = vs_->Create(o);
    ASSERT_FALSE(v.ok()) << name;
    EXPECT_EQ(v.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(v.status().message(), "create " + std::string(name) + ": \"" + name +
                                        "\" includes invalid characters for a local volume name, only "
                                        "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a "
                                        "host directory, use absolute path");
  }
  EXPECT_TRUE(Names({}).empty());
  EXPECT_FALSE(std::filesystem::exists(tmp_.path() + "/x"));
  EXPECT_FALSE(std::filesystem::exists(tmp_.path() + "/volumes/a"));
}

TEST_F(VolumeServiceTest, DriverAndOptionsRefused) {
  VolumeCreateOptions o;
  o.name = "v1";
  o.driver = "nfs-plugin";
  EXPECT_EQ(vs_->Create(o).status().message(),
            "error looking up volume plugin nfs-plugin: plugin \"nfs-plugin\" not found");
  o.driver = "local";
  o.driver_opts = {{"type", "nfs"}, {"device", ":/export"}};
  EXPECT_EQ(vs_->Create(o).status().message(), "create v1: berth does not support local volumes of type \"nfs\"");
  o.driver_opts = {{"colour", "blue"}};
  EXPECT_EQ(vs_->Create(o).status().message(), "create v1: invalid option: \"colour\"");
  EXPECT_TRUE(Names({}).empty());
  o.driver_opts = {{"type", "none"}, {"o", "bind"}, {"device", tmp_.path()}};
  EXPECT_TRUE(vs_->Create(o).ok());
}

TEST_F(VolumeServiceTest, InUseIsAConflictUntilReleased) {
  VolumeCreateOptions o;
  o.name = "busy";
  ASSERT_TRUE(vs_->Create(o).ok());
  ASSERT_TRUE(vs_->AddReference("busy", "c1").ok());
  Status s = vs_->Remove("busy", true);
  EXPECT_EQ(s.code(), Code::kConflict);
  EXPECT_EQ(s.message(), "remove busy: volume is in use - [c1]");
  EXPECT_EQ(Names({{"dangling", {"true"}}}), std::vector<std::string>{});
  EXPECT_EQ(Names({{"dangling", {"false"}}}), std::vector<std::string>{"busy"});
  ASSERT_TRUE(vs_->Release("c1", true).ok());  // named: kept
  EXPECT_EQ(Names({{"dangling", {"true"}}}), std::vector<std::string>{"busy"});
  EXPECT_TRUE(vs_->Remove("busy", false).ok());
  EXPECT_FALSE(std::filesystem::exists(tmp_.path() + "/volumes/busy"));
  EXPECT_EQ(vs_->Remove("busy", false).message(), "get busy: no such volume");
  EXPECT_TRUE(vs_->Remove("busy", true).ok());
}

TEST_F(VolumeServiceTest, ReleaseRemovesAnonymousVolumes) {
  VolumeCreateOptions anon;
  anon.anonymous = true;
  auto a = vs_->Create(anon);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->name.size(), 64u);
  EXPECT_EQ(a->labels.count(std::string(kAnonymousVolumeLabel)), 1u);
  ASSERT_TRUE(vs_->AddReference(a->name, "c1").ok());
  ASSERT_TRUE(vs_->AddReference(a->name, "c2").ok());
  ASSERT_TRUE(vs_->Release("c1", true).ok());
  EXPECT_TRUE(vs_->Get(a->name).ok());  // c2 still uses it
  ASSERT_TRUE(vs_->Release("c2", true).ok());
  EXPECT_EQ(vs_->Get(a->name).status().code(), Code::kNotFound);
}

TEST_F(VolumeServiceTest, ListFilters) {
  for (const char* n : {"alpha", "beta", "alphabet"}) {
    VolumeCreateOptions o;
    o.name = n;
    if (std::string(n) != "beta") o.labels = {{"kind", n}};
    ASSERT_TRUE(vs_->Create(o).ok());
  }
  EXPECT_EQ(Names({{"name", {"alpha"}}}), (std::vector<std::string>{"alpha", "alphabet"}));
  EXPECT_EQ(Names({{"label", {"kind"}}}), (std::vector<std::string>{"alpha", "alphabet"}));
  EXPECT_EQ(Names({{"label", {"kind=alpha"}}}), std::vector<std::string>{"alpha"});
  EXPECT_EQ(Names({{"driver", {"local"}}}).size(), 3u);
  EXPECT_EQ(vs_->List({{"colour", {"x"}}}).status().message(), "invalid filter 'colour'");
}

TEST_F(VolumeServiceTest, PruneTakesAnonymousUnlessAll) {
  VolumeCreateOptions named;
  named.name = "keepme";
  ASSERT_TRUE(vs_->Create(named).ok());
  VolumeCreateOptions anon;
  anon.anonymous = true;
  auto a = vs_->Create(anon);
  ASSERT_TRUE(a.ok());
  auto b = vs_->Create(anon);
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE(vs_->AddReference(b->name, "c1").ok());
  {
    std::FILE* f = std::fopen((a->mountpoint + "/file").c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("12345", f);
    std::fclose(f);
  }
  auto r = vs_->Prune({});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->deleted, std::vector<std::string>{a->name});
  EXPECT_EQ(r->space_reclaimed, 5u);
  r = vs_->Prune({{"all", {"true"}}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->deleted, std::vector<std::string>{"keepme"});
  EXPECT_EQ(Names({}), std::vector<std::string>{b->name});
}

// Docker 28: a volume created without a name (docker volume create, the
// API's POST /volumes/create) carries the anonymous label, so a default
// prune takes it; rm -v of a container that used it by name keeps it.
TEST_F(VolumeServiceTest, AVolumeCreatedWithoutANameIsPrunedByDefaultButOutlivesRmV) {
  auto v = vs_->Create(VolumeCreateOptions{});
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->labels.count(std::string(kAnonymousVolumeLabel)), 1u);
  ASSERT_TRUE(vs_->AddReference(v->name, "c1").ok());
  ASSERT_TRUE(vs_->Release("c1", /*remove_anonymous=*/true).ok());
  EXPECT_EQ(Names({}), std::vector<std::string>{v->name});
  auto r = vs_->Prune({});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->deleted, std::vector<std::string>{v->name});
  EXPECT_TRUE(Names({}).empty());
}

TEST_F(VolumeServiceTest, NewerSchemaIsRefused) {
  vs_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((tmp_.path() + "/volumes/metadata.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE meta SET value = '99' WHERE key = 'schema_version'", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto v = VolumeService::Open(Env::Default(), tmp_.path(), nullptr);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), Code::kFailedPrecondition);
}

}  // namespace
}  // namespace berth
