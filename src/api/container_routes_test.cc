// Container routes over a scripted ContainerService (the real one is tested
// in src/container and end to end in tests/e2e/containers_test.py): request
// parsing, status codes, JSON shapes, the multiplexed log stream and the
// attach hijack.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "api/container_render.h"
#include "api/api_test_util.h"
#include "berth/api.h"

namespace berth::api {
namespace {

namespace json = boost::json;

// Records every call; answers from a map of containers.
class FakeContainers : public ContainerService {
 public:
  std::map<std::string, ContainerInfo> ctrs;  // by ID
  std::vector<std::string> calls;
  ContainerConfig last_config;
  std::string last_name;
  ContainerListOptions last_list;
  LogReadOptions last_logs;
  CommitOptions last_commit;
  ImportOptions last_import;
  std::string imported;
  std::vector<LogEntry> log;
  int wait_code = 0;
  std::string wait_condition;
  Status next_error;  // returned once by the next mutating call

  ContainerInfo& Add(const std::string& id, const std::string& name, ContainerState st) {
    ContainerInfo c;
    c.record.id = id;
    c.record.name = name;
    c.record.state = st;
    c.record.image_ref = "busybox";
    c.record.image_id = Digest::Of("image");
    c.config.image = "busybox";
    ctrs[id] = c;
    return ctrs[id];
  }

  Result<ContainerInfo> Get(const std::string& ref) override {
    for (auto& [id, c] : ctrs) {
      if (id == ref || c.record.name == ref || (ref.size() >= 3 && id.rfind(ref, 0) == 0)) return c;
    }
    return NotFound("No such container: " + ref);
  }
  Result<ContainerCreateResult> Create(const std::string& name, const ContainerConfig& cfg) override {
    calls.push_back("create");
    last_name = name;
    last_config = cfg;
    BERTH_RETURN_IF_ERROR(TakeError());
    return ContainerCreateResult{"f00d", {}};
  }
  Status Start(const std::string& ref) override { return Op("start " + ref); }
  Status Stop(const std::string& ref, int timeout_s) override {
    return Op("stop " + ref + " " + std::to_string(timeout_s));
  }
  Status Kill(const std::string& ref, const std::string& signal) override { return Op("kill " + ref + " " + signal); }
  Status Restart(const std::string& ref, int timeout_s) override {
    return Op("restart " + ref + " " + std::to_string(timeout_s));
  }
  Result<int> Wait(const std::string& ref, const std::string& condition,
                   const std::function<bool()>& cancelled) override {
    calls.push_back("wait " + ref + " " + condition);
    BERTH_RETURN_IF_ERROR(TakeError());
    return wait_code;
  }
  Status Remove(const std::string& ref, bool force) override {
    return Op("remove " + ref + (force ? " force" : ""));
  }
  Status RemoveWithVolumes(const std::string& ref, bool force) override {
    return Op("remove " + ref + (force ? " force" : "") + " volumes");
  }
  Result<std::vector<ContainerInfo>> List(const ContainerListOptions& opts) override {
    last_list = opts;
    std::vector<ContainerInfo> out;
    for (auto& [id, c] : ctrs) out.push_back(c);
    return out;
  }
  Status Logs(const std::string& ref, LogReadOptions opts,
              const std::function<Status(const LogEntry&)>& emit) override {
    calls.push_back("logs " + ref);
    last_logs = opts;
    for (const auto& e : log) {
      if ((e.stream == "stdout" && !opts.stdout_) || (e.stream == "stderr" && !opts.stderr_)) continue;
      BERTH_RETURN_IF_ERROR(emit(e));
    }
    return OkStatus();
  }
  Result<Digest> Commit(const CommitOptions& opts) override {
    calls.push_back("commit " + opts.container);
    last_commit = opts;
    BERTH_RETURN_IF_ERROR(TakeError());
    return Digest::Of("committed");
  }
  // Records the options and the whole body.
  Result<Digest> Import(const ReadFn& tar, const ImportOptions& opts) override {
    calls.push_back("import");
    last_import = opts;
    imported.clear();
    char buf[4096];
    for (;;) {
      BERTH_ASSIGN_OR_RETURN(size_t n, tar(buf, sizeof buf));
      if (n == 0) break;
      imported.append(buf, n);
    }
    BERTH_RETURN_IF_ERROR(TakeError());
    return Digest::Of("imported");
  }
  Result<std::vector<std::string>> UpdateResources(const std::string& ref, const ContainerResources& u) override {
    calls.push_back("update " + ref);
    last_update = u;
    BERTH_RETURN_IF_ERROR(TakeError());
    return std::vector<std::string>{"a warning"};
  }
  ContainerResources last_update;
  Result<int> SweepSnapshots() override { return 0; }
  void Shutdown() override {}

 private:
  Status TakeError() {
    Status s = next_error;
    next_error = OkStatus();
    return s;
  }
  Status Op(std::string what) {
    calls.push_back(std::move(what));
    return TakeError();
  }
};

const std::string kId = std::string(64, 'a');

class ContainerRoutesTest : public RouteTestBase {
 protected:
  void SetUp() override {
    RouteTestBase::SetUp();
    ApiOptions o{"engine-id", "/var/lib/berth", false, 0};
    o.containers = &fake_;
    api_ = std::make_unique<Api>(store_.get(), o);
  }
  std::string LastCall() const { return fake_.calls.empty() ? "" : fake_.calls.back(); }

  FakeContainers fake_;
};

TEST_F(ContainerRoutesTest, CreateParsesTheCliBody) {
  // The body `docker create --name y -e A=B -l k=v -w /tmp -u 1 --entrypoint sh
  // --network none --mount type=image,source=img,target=/m busybox -c true`
  // sends (trimmed of fields berth ignores).
  std::string body = R"({"Hostname":"","User":"1","AttachStdout":true,"Tty":false,"OpenStdin":false,
    "Env":["A=B"],"Cmd":["-c","true"],"Image":"busybox","Volumes":{},"WorkingDir":"/tmp",
    "Entrypoint":["sh"],"OnBuild":null,"Labels":{"k":"v"},"StopTimeout":5,
    "HostConfig":{"Binds":null,"NetworkMode":"none","AutoRemove":true,
      "Mounts":[{"Type":"image","Source":"img","Target":"/m"}]}})";
  Response r = Do("POST", "/v1.50/containers/create?name=y&platform=linux%2Farm64", body);
  ASSERT_EQ(r.status, 201) << r.body;
  json::value v = Body(r);
  EXPECT_EQ(S(v.at("Id")), "f00d");
  EXPECT_TRUE(v.at("Warnings").as_array().empty());
  const ContainerConfig& c = fake_.last_config;
  EXPECT_EQ(fake_.last_name, "y");
  EXPECT_EQ(c.image, "busybox");
  EXPECT_EQ(c.cmd, (std::vector<std::string>{"-c", "true"}));
  EXPECT_EQ(c.entrypoint, (std::vector<std::string>{"sh"}));
  EXPECT_EQ(c.env, (std::vector<std::string>{"A=B"}));
  EXPECT_EQ(c.working_dir, "/tmp");
  EXPECT_EQ(c.user, "1");
  EXPECT_EQ(c.labels, (std::map<std::string, std::string>{{"k", "v"}}));
  EXPECT_EQ(c.network_mode, "none");
  EXPECT_TRUE(c.auto_remove);
  EXPECT_EQ(c.stop_timeout, 5);
  ASSERT_EQ(c.image_mounts.size(), 1u);
  EXPECT_EQ(c.image_mounts[0].source, "img");
  EXPECT_EQ(c.image_mounts[0].target, "/m");
  EXPECT_TRUE(c.image_mounts[0].read_only);
  ASSERT_TRUE(c.platform.has_value());
  EXPECT_EQ(c.platform->architecture, "arm64");
}

TEST_F(ContainerRoutesTest, CreateAcceptsEveryFieldClientsSendUnset) {
  // What `docker run --rm busybox:1 true` (CLI 28.2.2) and the SDK's
  // containers.create send: every field at its default.
  const std::string cli = R"({"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":true,
    "AttachStderr":true,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":["true"],
    "Image":"busybox:1","Volumes":{},"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{},
    "HostConfig":{"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"","Config":{}},"NetworkMode":"default",
    "PortBindings":{},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":true,"VolumeDriver":"",
    "VolumesFrom":null,"ConsoleSize":[0,0],"CapAdd":null,"CapDrop":null,"CgroupnsMode":"","Dns":[],"DnsOptions":[],
    "DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,"IpcMode":"","Cgroup":"","Links":null,"OomScoreAdj":0,
    "PidMode":"","Privileged":false,"PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"",
    "UsernsMode":"","ShmSize":0,"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"",
    "BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":[],"BlkioDeviceWriteBps":[],
    "BlkioDeviceReadIOps":[],"BlkioDeviceWriteIOps":[],"CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,
    "CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[],"DeviceCgroupRules":null,
    "DeviceRequests":null,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":-1,"OomKillDisable":false,
    "PidsLimit":0,"Ulimits":[],"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,
    "MaskedPaths":null,"ReadonlyPaths":null},
    "NetworkingConfig":{"EndpointsConfig":{"default":{"IPAMConfig":null,"Links":null,"Aliases":null,
    "MacAddress":"","DriverOpts":null,"GwPriority":0,"NetworkID":"","EndpointID":"","Gateway":"","IPAddress":"",
    "IPPrefixLen":0,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"DNSNames":null}}}})";
  Response r = Do("POST", "/containers/create", cli);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(fake_.last_config.auto_remove);
  const std::string sdk = R"({"Tty": false, "OpenStdin": false, "StdinOnce": false, "AttachStdin": false,
    "AttachStdout": true, "AttachStderr": true, "Cmd": ["true"], "Image": "busybox:1", "NetworkDisabled": false,
    "HostConfig": {"NetworkMode": "default"}})";
  r = Do("POST", "/containers/create", sdk);
  ASSERT_EQ(r.status, 201) << r.body;
}

TEST_F(ContainerRoutesTest, CreateTakesReadOnlyRootfsAndNoNewPrivileges) {
  Response r = Do("POST", "/containers/create",
                  R"({"Image":"b","HostConfig":{"ReadonlyRootfs":true,"SecurityOpt":["no-new-privileges"]}})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(fake_.last_config.read_only_rootfs);
  EXPECT_TRUE(fake_.last_config.no_new_privileges);
  r = Do("POST", "/containers/create",
         R"({"Image":"b","HostConfig":{"SecurityOpt":["no-new-privileges=false","seccomp=unconfined"]}})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_FALSE(fake_.last_config.read_only_rootfs);
  EXPECT_FALSE(fake_.last_config.no_new_privileges);
  EXPECT_EQ(fake_.last_config.seccomp_profile, "unconfined");
}

TEST_F(ContainerRoutesTest, CreateTakesRestartPolicyAndInit) {
  Response r = Do("POST", "/containers/create",
                  R"({"Image":"b","HostConfig":{"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":3},)"
                  R"("Init":true}})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(fake_.last_config.restart_policy, (RestartPolicy{"on-failure", 3}));
  EXPECT_TRUE(fake_.last_config.init);
  r = Do("POST", "/containers/create", R"({"Image":"b","HostConfig":{"RestartPolicy":{"Name":""},"Init":null}})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(fake_.last_config.restart_policy, (RestartPolicy{"", 0}));
  EXPECT_FALSE(fake_.last_config.init);
}

TEST_F(ContainerRoutesTest, CreateTakesSeccompProfilesAndCapabilities) {
  Response r = Do("POST", "/containers/create",
                  R"({"Image":"b","HostConfig":{"SecurityOpt":["seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}",)"
                  R"("no-new-privileges:true"],"CapAdd":["net_admin"],"CapDrop":["ALL"]}})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(fake_.last_config.seccomp_profile, R"({"defaultAction":"SCMP_ACT_ALLOW"})");
  EXPECT_TRUE(fake_.last_config.no_new_privileges);
  EXPECT_EQ(fake_.last_config.security_opt,
            (std::vector<std::string>{R"(seccomp={"defaultAction":"SCMP_ACT_ALLOW"})", "no-new-privileges:true"}));
  EXPECT_EQ(fake_.last_config.cap_add, std::vector<std::string>{"net_admin"});
  EXPECT_EQ(fake_.last_config.cap_drop, std::vector<std::string>{"ALL"});
  EXPECT_FALSE(fake_.last_config.privileged);
  // "builtin" is the default profile.
  r = Do("POST", "/containers/create", R"({"Image":"b","HostConfig":{"SecurityOpt":["seccomp=builtin"]}})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(fake_.last_config.seccomp_profile, "");
  r = Do("POST", "/containers/create", R"({"Image":"b","HostConfig":{"Privileged":true}})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(fake_.last_config.privileged);
}

TEST_F(ContainerRoutesTest, CreateNullCmdAndEntrypointStayAbsent) {
  Response r = Do("POST", "/containers/create", R"({"Image":"busybox","Cmd":null,"Entrypoint":null,"Env":null})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_FALSE(fake_.last_config.cmd.has_value());
  EXPECT_FALSE(fake_.last_config.entrypoint.has_value());
  EXPECT_FALSE(fake_.last_config.platform.has_value());
  // A string Cmd is a one-element list (Docker's StrSlice).
  r = Do("POST", "/containers/create", R"({"Image":"busybox","Cmd":"ls"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(fake_.last_config.cmd, (std::vector<std::string>{"ls"}));
}

TEST_F(ContainerRoutesTest, CreateRefusals) {
  struct Case {
    std::string body;
    int status;
    std::string message_part;
  } cases[] = {
      {"", 400, "config cannot be empty in order to create a container"},
      {"{not json", 400, "invalid JSON"},
      {R"({"Image":"b","HostConfig":{"ConsoleSize":[1]}})", 400, "ConsoleSize must be an array of two integers"},
      {R"({"Image":"b","HostConfig":{"Binds":["/a:rel"]}})", 400,
       "invalid volume specification: '/a:rel': invalid mount config for type \"bind\": invalid mount path: 'rel' "
       "mount path must be absolute"},
      {R"({"Image":"b","HostConfig":{"Binds":["/a:/b:rw,ro"]}})", 400, "invalid mode: rw,ro"},
      {R"({"Image":"b","HostConfig":{"Mounts":[{"Type":"npipe","Source":"v","Target":"/v"}]}})", 400,
       "berth does not support mounts of type \"npipe\""},
      {R"({"Image":"b","HostConfig":{"Mounts":[{"Type":"bind","Source":"/no/such/dir/here","Target":"/v"}]}})", 400,
       "invalid mount config for type \"bind\": bind source path does not exist: /no/such/dir/here"},
      {R"({"Image":"b","HostConfig":{"Mounts":[{"Type":"volume","Target":"/v","BindOptions":{"Propagation":"shared"}}]}})",
       400, "invalid mount config for type \"volume\": field BindOptions must not be specified"},
      {R"({"Image":"b","HostConfig":{"Mounts":[{"Type":"volume","Target":"/v","VolumeOptions":{"Subpath":"x"}}]}})", 400,
       "invalid mount config for type \"volume\": must not set Subpath when using anonymous volumes"},
      {R"({"Image":"b","HostConfig":{"Mounts":[{"Type":"volume","Source":"v","Target":"/v",)"
       R"("VolumeOptions":{"Subpath":"a/../../etc"}}]}})",
       400, "invalid mount config for type \"volume\": subpath must be a relative path within the volume"},
      {R"({"Image":"b","HostConfig":{"Mounts":[{"Type":"volume","Source":"v","Target":"/v",)"
       R"("VolumeOptions":{"Subpath":"/etc"}}]}})",
       400, "invalid mount config for type \"volume\": subpath must be a relative path within the volume"},
      {R"({"Image":"b","HostConfig":{"Tmpfs":{"run":""}}})", 400,
       "invalid mount config for type \"tmpfs\": invalid mount path: 'run' mount path must be absolute"},
      {R"({"Image":"b","HostConfig":{"Mounts":[{"Type":"image","Source":"i","Target":"rel"}]}})", 400,
       "must be absolute"},
      {R"({"Image":"b","Cmd":[1]})", 400, "Cmd"},
      {R"({"Image":"b","HostConfig":{"Privileged":"yes"}})", 400, "Privileged must be a boolean"},
      {R"({"Image":"b","HostConfig":{"SecurityOpt":["seccomp={\"defaultAction\":\"SCMP_ACT_NOPE\"}"]}})", 400,
       "Decoding seccomp profile failed: unknown action \"SCMP_ACT_NOPE\" in defaultAction"},
      {R"({"Image":"b","HostConfig":{"SecurityOpt":["seccomp={"]}})", 400, "Decoding seccomp profile failed: invalid JSON"},
      {R"({"Image":"b","HostConfig":{"SecurityOpt":["seccomp"]}})", 400, "invalid --security-opt 1: \"seccomp\""},
      {R"({"Image":"b","HostConfig":{"CapAdd":["NOPE"]}})", 400, "invalid CapAdd: unknown capability: \"CAP_NOPE\""},
      {R"({"Image":"b","HostConfig":{"CapDrop":"x"}})", 400, "invalid CapDrop: unknown capability: \"CAP_X\""},
      {R"({"Image":"b","HostConfig":{"CapAdd":[1]}})", 400, "CapAdd must hold strings"},
      {R"({"Image":"b","HostConfig":{"SecurityOpt":["apparmor=x"]}})", 400,
       "berth does not support --security-opt \"apparmor\""},
      {R"({"Image":"b","HostConfig":{"SecurityOpt":["no-new-privileges:maybe"]}})", 400, "invalid --security-opt"},
      {R"({"Image":"b","HostConfig":{"RestartPolicy":{"Name":"always","MaximumRetryCount":"3"}}})", 400,
       "HostConfig.RestartPolicy.MaximumRetryCount must be an integer"},
      {R"({"Image":"b","HostConfig":{"RestartPolicy":"always"}})", 400, "HostConfig.RestartPolicy must be an object"},
      {R"({"Image":"b","HostConfig":{"Memory":"64m"}})", 400, "invalid JSON: HostConfig.Memory must be an integer"},
      {R"({"Image":"b","HostConfig":{"PidsLimit":1.5}})", 400, "HostConfig.PidsLimit must be an integer"},
      {R"({"Image":"b","HostConfig":{"Ulimits":[{"Name":"nofile","Soft":"1"}]}})", 400,
       "HostConfig.Ulimits.Soft must be an integer"},
      {R"({"Image":"b","HostConfig":{"CpuRealtimeRuntime":950}})", 400, "HostConfig.CpuRealtimeRuntime"},
      {R"({"Image":"b","HostConfig":{"DeviceCgroupRules":["c 1:3 rwx"]}})", 400,
       "invalid device cgroup rule format: 'c 1:3 rwx'"},
      {R"({"Image":"b","HostConfig":{"DeviceCgroupRules":"c 1:3 rwm"}})", 400,
       "HostConfig.DeviceCgroupRules must be an array"},
      {R"({"Image":"b","HostConfig":{"LogConfig":{"Type":"syslog","Config":{"syslog-address":"udp://x:514"}}}})", 400,
       "berth does not support the log driver \"syslog\" (--log-driver); only json-file and none are supported"},
      {R"({"Image":"b","HostConfig":{"LogConfig":{"Type":"nosuch"}}})", 400,
       "logger: no log driver named 'nosuch' is registered"},
      {R"({"Image":"b","HostConfig":{"Sysctls":{"net.ipv4.ip_forward":1}}})", 400,
       "HostConfig.Sysctls must be an object of strings"},
      {R"({"Image":"b","NetworkingConfig":{"EndpointsConfig":{"n":{"Aliases":["a"]}}}})", 400,
       "NetworkingConfig names \"n\""},
      {R"({"Image":"b","Healthcheck":{"Test":"true"}})", 400, "Healthcheck.Test must be a list of strings"},
      {R"({"Image":"b","Healthcheck":{"Test":["CMD","true"],"Interval":"1s"}})", 400,
       "Healthcheck.Interval must be an integer"},
  };
  for (const auto& c : cases) {
    Response r = Do("POST", "/containers/create", c.body);
    EXPECT_EQ(r.status, c.status) << c.body << ": " << r.body;
    EXPECT_NE(Message(r).find(c.message_part), std::string::npos) << c.body << ": " << r.body;
  }
  EXPECT_TRUE(fake_.calls.empty());
  // Service errors map through the one status table.
  fake_.next_error = NotFound("No such image: nosuch:latest");
  Response r = Do("POST", "/containers/create", R"({"Image":"nosuch"})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Message(r), "No such image: nosuch:latest");
  fake_.next_error = AlreadyExists("Conflict. The container name \"/x\" is already in use");
  EXPECT_EQ(Do("POST", "/containers/create?name=x", R"({"Image":"b"})").status, 409);
}

TEST_F(ContainerRoutesTest, CreateKeepsEndpointDriverOpts) {
  // On the bridge network and on a user network alike; the options Docker
  // acts on itself are refused by name.
  Response r = Do("POST", "/containers/create",
                  R"({"Image":"b","HostConfig":{"NetworkMode":"bridge"},)"
                  R"("NetworkingConfig":{"EndpointsConfig":{"bridge":{"DriverOpts":{"com.docker-py.setting":"on"}}}}})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(fake_.last_config.network.driver_opts, (std::map<std::string, std::string>{{"com.docker-py.setting", "on"}}));
  r = Do("POST", "/containers/create",
         R"({"Image":"b","HostConfig":{"NetworkMode":"n"},)"
         R"("NetworkingConfig":{"EndpointsConfig":{"n":{"DriverOpts":{"key1":"a"},"Aliases":["x"]}}}})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(fake_.last_config.network.driver_opts.at("key1"), "a");
  r = Do("POST", "/containers/create",
         R"({"Image":"b","NetworkingConfig":{"EndpointsConfig":{"bridge":{"DriverOpts":{"k":1}}}}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Message(r), "invalid JSON: DriverOpts must map strings to strings");
  r = Do("POST", "/containers/create",
         R"({"Image":"b","NetworkingConfig":{"EndpointsConfig":{"bridge":{"DriverOpts":)"
         R"({"com.docker.network.endpoint.sysctls":"net.ipv4.conf.IFNAME.log_martians=1"}}}}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Message(r), "berth does not support the endpoint driver option com.docker.network.endpoint.sysctls");
}

TEST_F(ContainerRoutesTest, CreateTakesLinkLocalIpsOnAnyNetwork) {
  Response r = Do("POST", "/containers/create",
                  R"({"Image":"b","HostConfig":{"NetworkMode":"bridge"},"NetworkingConfig":{"EndpointsConfig":)"
                  R"({"bridge":{"IPAMConfig":{"LinkLocalIPs":["169.254.8.8"]}}}}})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(fake_.last_config.network.link_local_ips, std::vector<std::string>{"169.254.8.8"});
  r = Do("POST", "/containers/create",
         R"({"Image":"b","NetworkingConfig":{"EndpointsConfig":{"bridge":{"IPAMConfig":{"IPv4Address":"172.17.0.9"}}}}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Message(r), "user specified IP address is supported on user defined networks only");
  r = Do("POST", "/containers/create",
         R"({"Image":"b","NetworkingConfig":{"EndpointsConfig":{"bridge":{"IPAMConfig":{"LinkLocalIPs":["x"]}}}}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Message(r), "invalid link-local IP address: [x]");
}

TEST_F(ContainerRoutesTest, CreateReadsMountFields) {
  Response r = Do("POST", "/containers/create",
                  R"({"Image":"b","Volumes":{"/anon":{}},"HostConfig":{"Binds":["/tmp/../srv:/host:ro,rshared","data:/data"],
                  "Mounts":[{"Type":"tmpfs","Target":"/t","TmpfsOptions":{"SizeBytes":1048576,"Mode":448}}],
                  "Tmpfs":{"/run":"size=1m,exec"}}})");
  ASSERT_EQ(r.status, 201) << r.body;
  const auto& m = fake_.last_config.mounts;
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[0].type, MountRequest::Type::kBind);
  EXPECT_EQ(m[0].source, "/srv");
  EXPECT_TRUE(m[0].read_only);
  EXPECT_EQ(m[0].propagation, "rshared");
  EXPECT_EQ(m[1].type, MountRequest::Type::kVolume);
  EXPECT_EQ(m[1].source, "data");
  EXPECT_EQ(m[2].type, MountRequest::Type::kTmpfs);
  EXPECT_EQ(m[2].tmpfs_options, (std::vector<std::string>{"mode=700", "size=1m"}));
  EXPECT_EQ(m[3].tmpfs_options, (std::vector<std::string>{"size=1m", "exec"}));
  EXPECT_EQ(m[4].target, "/anon");
  EXPECT_EQ(m[4].origin, MountRequest::Origin::kImage);
  EXPECT_EQ(fake_.last_config.binds, (std::vector<std::string>{"/tmp/../srv:/host:ro,rshared", "data:/data"}));
}

TEST_F(ContainerRoutesTest, StartStopAnswer304WhenNothingChanges) {
  fake_.Add(kId, "web", ContainerState::kRunning);
  EXPECT_EQ(Do("POST", "/v1.50/containers/web/start").status, 304);
  EXPECT_TRUE(fake_.calls.empty());
  Response r = Do("POST", "/v1.50/containers/web/stop?t=3");
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(LastCall(), "stop " + kId + " 3");
  EXPECT_EQ(Do("POST", "/v1.50/containers/web/stop").status, 204);
  EXPECT_EQ(LastCall(), "stop " + kId + " -1");
  EXPECT_EQ(Do("POST", "/v1.50/containers/web/stop?t=x").status, 400);

  fake_.ctrs[kId].record.state = ContainerState::kExited;
  EXPECT_EQ(Do("POST", "/v1.50/containers/web/stop").status, 304);
  size_t n = fake_.calls.size();
  EXPECT_EQ(Do("POST", "/v1.50/containers/web/start").status, 204);
  EXPECT_EQ(fake_.calls.size(), n + 1);
  EXPECT_EQ(LastCall(), "start " + kId);
  Response missing = Do("POST", "/v1.50/containers/nosuch/start");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(Message(missing), "No such container: nosuch");
}

TEST_F(ContainerRoutesTest, FailedStartIsTheServicesError) {
  fake_.Add(kId, "web", ContainerState::kCreated);
  fake_.next_error = Internal("boom");
  Response r = Do("POST", "/containers/web/start");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(Message(r), "boom");
  EXPECT_EQ(LastCall(), "start " + kId);
}

TEST_F(ContainerRoutesTest, StopWithSignalKillsFirst) {
  fake_.Add(kId, "web", ContainerState::kRunning);
  Response r = Do("POST", "/v1.50/containers/web/stop?signal=USR1&t=3");
  EXPECT_EQ(r.status, 204) << r.body;
  ASSERT_EQ(fake_.calls.size(), 3u);
  EXPECT_EQ(fake_.calls[0], "kill " + kId + " USR1");
  EXPECT_EQ(fake_.calls[1], "wait " + kId + " not-running");
  EXPECT_EQ(fake_.calls[2], "stop " + kId + " 0");
}

TEST_F(ContainerRoutesTest, KillRestartRemove) {
  fake_.Add(kId, "web", ContainerState::kRunning);
  EXPECT_EQ(Do("POST", "/containers/web/kill?signal=HUP").status, 204);
  EXPECT_EQ(LastCall(), "kill web HUP");
  fake_.next_error = Conflict("container " + kId + " is not running");
  Response stopped = Do("POST", "/containers/web/kill");
  EXPECT_EQ(stopped.status, 409);
  EXPECT_NE(stopped.body.find("Cannot kill container: web: container " + kId + " is not running"), std::string::npos)
      << stopped.body;
  EXPECT_EQ(Do("POST", "/containers/web/restart?t=2").status, 204);
  EXPECT_EQ(LastCall(), "restart web 2");
  EXPECT_EQ(Do("DELETE", "/containers/web?force=1&v=1").status, 204);
  EXPECT_EQ(LastCall(), "remove web force volumes");
  // The SDK's Python-style booleans.
  EXPECT_EQ(Do("DELETE", "/containers/web?v=False&link=False&force=False").status, 204);
  EXPECT_EQ(LastCall(), "remove web");
  fake_.next_error = Conflict("cannot remove container \"/web\": container is running");
  EXPECT_EQ(Do("DELETE", "/containers/web").status, 409);
}

TEST_F(ContainerRoutesTest, WaitCommitsHeadersThenSendsTheCode) {
  fake_.Add(kId, "web", ContainerState::kRunning);
  fake_.wait_code = 3;
  Response r = Do("POST", "/v1.50/containers/web/wait?condition=removed");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  std::vector<std::string> pieces;
  Status s = r.stream([&](std::string_view d) {
    pieces.emplace_back(d);
    return OkStatus();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(pieces[0], "");  // headers first
  json::value v = json::parse(pieces[1]);
  EXPECT_EQ(v.at("StatusCode").to_number<int64_t>(), 3);
  EXPECT_TRUE(v.at("Error").is_null());
  EXPECT_EQ(LastCall(), "wait " + kId + " removed");

  EXPECT_EQ(Do("POST", "/containers/web/wait?condition=bogus").status, 400);
  EXPECT_EQ(Do("POST", "/containers/nosuch/wait").status, 404);
  // An error after the headers goes into the body.
  r = Do("POST", "/containers/web/wait");
  fake_.next_error = Internal("boom");
  Streamed out = Run(r);
  ASSERT_TRUE(out.status.ok());
  v = json::parse(out.body);
  EXPECT_EQ(v.at("StatusCode").to_number<int64_t>(), -1);
  EXPECT_EQ(S(v.at("Error").at("Message")), "boom");
}

TEST_F(ContainerRoutesTest, ListShapesAndFilters) {
  auto& c = fake_.Add(kId, "web", ContainerState::kExited);
  c.record.exit_code = 3;
  c.record.created_unix_nanos = 1700000000LL * 1000000000;
  c.record.started_unix_nanos = 1;
  c.record.finished_unix_nanos = 2;
  c.path_and_args = {"sh", "-c", "exit 3"};
  c.config.labels = {{"k", "v"}};
  c.image_labels = {{"k", "img"}, {"from", "image"}};
  Response r = Do("GET", "/v1.50/containers/json?all=1&limit=3&filters=" +
                             Q(R"({"name":{"web":true},"status":{"exited":true}})"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(fake_.last_list.all);
  EXPECT_EQ(fake_.last_list.limit, 3);
  EXPECT_EQ(fake_.last_list.filters["name"], (std::vector<std::string>{"web"}));
  EXPECT_EQ(fake_.last_list.filters["status"], (std::vector<std::string>{"exited"}));
  json::value v = Body(r);
  ASSERT_EQ(v.as_array().size(), 1u);
  const json::object& o = v.as_array()[0].as_object();
  EXPECT_EQ(S(o.at("Id")), kId);
  EXPECT_EQ(o.at("Names"), (json::array{"/web"}));
  EXPECT_EQ(S(o.at("Command")), "sh -c exit 3");
  EXPECT_EQ(o.at("Created").to_number<int64_t>(), 1700000000);
  EXPECT_EQ(S(o.at("State")), "exited");
  EXPECT_EQ(S(o.at("Status")).rfind("Exited (3) ", 0), 0u) << S(o.at("Status"));
  EXPECT_EQ(o.at("Labels"), (json::object{{"k", "v"}, {"from", "image"}}));
  // busybox does not resolve in this store: the image ID is shown.
  EXPECT_EQ(S(o.at("Image")), Digest::Of("image").str());
  // Docker 28 shows the default network's name for "" and "default".
  EXPECT_EQ(S(o.at("HostConfig").at("NetworkMode")), "bridge");

  EXPECT_EQ(Do("GET", "/containers/json?filters=" + Q(R"({"bogus":{"x":true}})")).status, 400);
  EXPECT_EQ(Do("GET", "/containers/json?filters=" + Q(R"({"status":{"sleeping":true}})")).status, 400);
  EXPECT_EQ(Do("GET", "/containers/json?filters=" + Q(R"({"publish":{"80":true}})")).status, 400);
  // No limit by default.
  ASSERT_EQ(Do("GET", "/containers/json").status, 200);
  EXPECT_EQ(fake_.last_list.limit, -1);
  EXPECT_FALSE(fake_.last_list.all);
}

TEST_F(ContainerRoutesTest, InspectShape) {
  auto& c = fake_.Add(kId, "web", ContainerState::kRunning);
  c.record.pid = 42;
  c.record.created_unix_nanos = 1700000000LL * 1000000000 + 5;
  c.record.started_unix_nanos = 1700000001LL * 1000000000;
  c.path_and_args = {"sleep", "1000"};
  c.effective_cmd = {"sleep", "1000"};
  c.effective_env = {"PATH=/bin"};
  c.config.image = "busybox:latest";
  c.config.auto_remove = true;
  c.config.network_mode = "none";
  c.config.image_mounts = {{"img", "/m", true}};
  c.config.restart_policy = {"on-failure", 2};
  c.restart_count = 1;
  c.rootfs = "/data/containers/" + kId + "/rootfs";
  Response r = Do("GET", "/v1.50/containers/web/json");
  ASSERT_EQ(r.status, 200) << r.body;
  json::object o = Body(r).as_object();
  EXPECT_EQ(S(o.at("Id")), kId);
  EXPECT_EQ(S(o.at("Name")), "/web");
  EXPECT_EQ(S(o.at("Path")), "sleep");
  EXPECT_EQ(o.at("Args"), (json::array{"1000"}));
  EXPECT_EQ(S(o.at("Created")), "2023-11-14T22:13:20.000000005Z");
  EXPECT_EQ(S(o.at("Image")), Digest::Of("image").str());
  EXPECT_EQ(S(o.at("Platform")), "linux");
  const json::object& st = o.at("State").as_object();
  EXPECT_EQ(S(st.at("Status")), "running");
  EXPECT_TRUE(st.at("Running").as_bool());
  EXPECT_EQ(st.at("Pid").to_number<int64_t>(), 42);
  EXPECT_EQ(S(st.at("StartedAt")), "2023-11-14T22:13:21Z");
  EXPECT_EQ(S(st.at("FinishedAt")), "0001-01-01T00:00:00Z");
  EXPECT_EQ(S(o.at("Config").at("Image")), "busybox:latest");
  EXPECT_EQ(S(o.at("Config").at("Hostname")), kId.substr(0, 12));
  EXPECT_EQ(o.at("Config").at("Cmd"), (json::array{"sleep", "1000"}));
  EXPECT_TRUE(o.at("Config").at("Entrypoint").is_null());
  EXPECT_FALSE(o.at("Config").at("Tty").as_bool());
  EXPECT_TRUE(o.at("HostConfig").at("AutoRemove").as_bool());
  EXPECT_EQ(o.at("HostConfig").at("RestartPolicy"), (json::object{{"Name", "on-failure"}, {"MaximumRetryCount", 2}}));
  EXPECT_EQ(o.at("RestartCount").to_number<int64_t>(), 1);
  EXPECT_EQ(S(o.at("HostConfig").at("NetworkMode")), "none");
  EXPECT_EQ(S(o.at("HostConfig").at("LogConfig").at("Type")), "json-file");  // the SDK reads it
  EXPECT_EQ(S(o.at("HostConfig").at("Mounts").as_array()[0].at("Type")), "image");
  EXPECT_EQ(S(o.at("Mounts").as_array()[0].at("Destination")), "/m");
  EXPECT_EQ(S(o.at("GraphDriver").at("Name")), "overlayfs");
  EXPECT_EQ(S(o.at("GraphDriver").at("Data").at("UpperDir")), "/data/containers/" + kId + "/upper");
  // Not running: the network mode's entry, with no address.
  EXPECT_EQ(o.at("NetworkSettings").at("Networks").as_object().size(), 1u);
  for (const auto& [name, endpoint] : o.at("NetworkSettings").at("Networks").as_object()) {
    EXPECT_EQ(name, S(o.at("HostConfig").at("NetworkMode")) == "none" ? "none" : "bridge");
    EXPECT_EQ(S(endpoint.at("IPAddress")), "");
  }
  EXPECT_EQ(Do("GET", "/containers/nosuch/json").status, 404);
}

// dockerd 28.2's HostConfig at API 1.50 (api/types/container HostConfig and
// Resources, without the omitempty fields left unset).
TEST_F(ContainerRoutesTest, InspectHostConfigHasDockersKeys) {
  auto& c = fake_.Add(kId, "web", ContainerState::kRunning);
  Response r = Do("GET", "/v1.50/containers/web/json");
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value body = Body(r);
  const json::object& hc = body.at("HostConfig").as_object();
  std::set<std::string> keys;
  for (const auto& kv : hc) keys.insert(std::string(kv.key()));
  const std::set<std::string> want = {
      "Binds", "ContainerIDFile", "LogConfig", "NetworkMode", "PortBindings", "RestartPolicy", "AutoRemove",
      "VolumeDriver", "VolumesFrom", "ConsoleSize", "CapAdd", "CapDrop", "CgroupnsMode", "Dns", "DnsOptions",
      "DnsSearch", "ExtraHosts", "GroupAdd", "IpcMode", "Cgroup", "Links", "OomScoreAdj", "PidMode", "Privileged",
      "PublishAllPorts", "ReadonlyRootfs", "SecurityOpt", "UTSMode", "UsernsMode", "ShmSize", "Runtime",
      "Isolation", "CpuShares", "Memory", "NanoCpus", "CgroupParent", "BlkioWeight", "BlkioWeightDevice",
      "BlkioDeviceReadBps", "BlkioDeviceWriteBps", "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps", "CpuPeriod",
      "CpuQuota", "CpuRealtimePeriod", "CpuRealtimeRuntime", "CpusetCpus", "CpusetMems", "Devices",
      "DeviceCgroupRules", "DeviceRequests", "MemoryReservation", "MemorySwap", "MemorySwappiness",
      "OomKillDisable", "PidsLimit", "Ulimits", "CpuCount", "CpuPercent", "IOMaximumIOps", "IOMaximumBandwidth",
      "Mounts", "MaskedPaths", "ReadonlyPaths"};
  EXPECT_EQ(keys, want);
  EXPECT_EQ(S(hc.at("Runtime")), "runc");
  EXPECT_EQ(hc.at("ShmSize").to_number<int64_t>(), 64 << 20);
  EXPECT_TRUE(hc.at("MemorySwappiness").is_null());
  EXPECT_TRUE(hc.at("GroupAdd").is_null());
  EXPECT_NE(hc.at("MaskedPaths").as_array().size(), 0u);
  // Set values: Init (absent unless set), GroupAdd, privileged paths.
  c.config.init = true;
  c.config.group_add = {"audio", "4000"};
  c.config.privileged = true;
  r = Do("GET", "/v1.50/containers/web/json");
  const json::value body_set = Body(r);
  const json::object& set = body_set.at("HostConfig").as_object();
  EXPECT_TRUE(set.at("Init").as_bool());
  EXPECT_EQ(set.at("GroupAdd"), (json::array{"audio", "4000"}));
  EXPECT_TRUE(set.at("MaskedPaths").is_null());
  EXPECT_TRUE(set.at("ReadonlyPaths").is_null());
}

TEST_F(ContainerRoutesTest, ResourceFieldsReachTheConfigAndInspectShowsThem) {
  Response r = Do("POST", "/containers/create", R"({"Image":"b","HostConfig":{"Memory":33554432,"MemorySwap":-1,
    "MemorySwappiness":-1,"NanoCpus":500000000,"CpuShares":512,"CpusetCpus":"0","PidsLimit":10,
    "Ulimits":[{"Name":"nofile","Soft":100,"Hard":200}],"ShmSize":8388608,"OomScoreAdj":-5,"OomKillDisable":true,
    "Sysctls":{"net.ipv4.ip_forward":"1"},"Devices":[{"PathOnHost":"/dev/null","PathInContainer":"/dev/n",
    "CgroupPermissions":"rw"}]}})");
  ASSERT_EQ(r.status, 201) << r.body;
  const ContainerResources& got = fake_.last_config.resources;
  EXPECT_EQ(got.memory, 32 << 20);
  EXPECT_EQ(got.memory_swap, -1);
  EXPECT_EQ(got.memory_swappiness, -1);  // the service drops it (Docker's "unset")
  EXPECT_EQ(got.nano_cpus, 500000000);
  EXPECT_EQ(got.cpu_shares, 512);
  EXPECT_EQ(got.cpuset_cpus, "0");
  EXPECT_EQ(got.pids_limit, 10);
  EXPECT_EQ(got.ulimits, (std::vector<UlimitSetting>{{"nofile", 100, 200}}));
  EXPECT_EQ(got.shm_size, 8 << 20);
  EXPECT_EQ(got.oom_score_adj, -5);
  EXPECT_EQ(got.oom_kill_disable, true);
  EXPECT_EQ(got.sysctls.at("net.ipv4.ip_forward"), "1");
  EXPECT_EQ(got.devices, (std::vector<DeviceMapping>{{"/dev/null", "/dev/n", "rw"}}));

  auto& c = fake_.Add(kId, "web", ContainerState::kExited);
  c.config.resources = got;
  c.oom_killed = true;
  r = Do("GET", "/v1.50/containers/web/json");
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value body = Body(r);
  const json::object& hc = body.at("HostConfig").as_object();
  EXPECT_EQ(hc.at("Memory").to_number<int64_t>(), 32 << 20);
  EXPECT_EQ(hc.at("MemorySwap").to_number<int64_t>(), -1);
  EXPECT_EQ(hc.at("NanoCpus").to_number<int64_t>(), 500000000);
  EXPECT_EQ(hc.at("PidsLimit").to_number<int64_t>(), 10);
  EXPECT_EQ(hc.at("ShmSize").to_number<int64_t>(), 8 << 20);
  EXPECT_EQ(hc.at("OomScoreAdj").to_number<int64_t>(), -5);
  EXPECT_TRUE(hc.at("OomKillDisable").as_bool());
  EXPECT_EQ(hc.at("Ulimits"), (json::array{json::object{{"Name", "nofile"}, {"Hard", 200}, {"Soft", 100}}}));
  EXPECT_EQ(hc.at("Sysctls"), (json::object{{"net.ipv4.ip_forward", "1"}}));
  EXPECT_EQ(hc.at("Devices"), (json::array{json::object{
                                  {"PathOnHost", "/dev/null"}, {"PathInContainer", "/dev/n"}, {"CgroupPermissions", "rw"}}}));
  EXPECT_TRUE(body.at("State").at("OOMKilled").as_bool());
}

TEST_F(ContainerRoutesTest, UpdateHandsResourceFieldsToTheServiceAndRefusesOthers) {
  fake_.Add(kId, "web", ContainerState::kRunning);
  // What `docker update --memory 48m --pids-limit 20 web` sends (CLI 28.2.2).
  Response r = Do("POST", "/v1.50/containers/web/update", R"({"BlkioWeight":0,"CpuShares":0,"Memory":50331648,
    "NanoCpus":0,"CgroupParent":"","BlkioWeightDevice":null,"CpuPeriod":0,"CpuQuota":0,"CpusetCpus":"",
    "Devices":null,"DeviceCgroupRules":null,"DeviceRequests":null,"MemoryReservation":0,"MemorySwap":0,
    "MemorySwappiness":null,"OomKillDisable":null,"PidsLimit":20,"Ulimits":null,"RestartPolicy":{"Name":"",
    "MaximumRetryCount":0}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"Warnings":["a warning"]})" "\n");
  EXPECT_EQ(LastCall(), "update " + kId);
  EXPECT_EQ(fake_.last_update.memory, 48 << 20);
  EXPECT_EQ(fake_.last_update.pids_limit, 20);
  fake_.calls.clear();
  r = Do("POST", "/v1.50/containers/web/update", R"({"Ulimits":[{"Name":"nofile","Soft":1,"Hard":1}]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("berth does not support updating Ulimits"), std::string::npos) << r.body;
  EXPECT_TRUE(fake_.calls.empty());
  // Nothing set: nothing to do, Docker's answer.
  r = Do("POST", "/v1.50/containers/web/update", R"({"Memory":0,"PidsLimit":null})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"Warnings":[]})" "\n");
  EXPECT_TRUE(fake_.calls.empty());
}

TEST_F(ContainerRoutesTest, LogsOfTheNoneDriverAre501) {
  auto& c = fake_.Add(kId, "web", ContainerState::kRunning);
  c.config.log_driver = "none";
  Response r = Do("GET", "/containers/web/logs?stdout=1");
  EXPECT_EQ(r.status, 501);
  EXPECT_NE(r.body.find("configured logging driver does not support reading"), std::string::npos) << r.body;
}

TEST_F(ContainerRoutesTest, LogsAreMultiplexed) {
  fake_.Add(kId, "web", ContainerState::kExited);
  fake_.log = {{"stdout", "hi\n", 1700000000LL * 1000000000 + 120},
               {"stderr", "oops\n", 1700000001LL * 1000000000}};
  Response r = Do("GET", "/v1.50/containers/web/logs?stdout=1&stderr=1&tail=all");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("Content-Type"), "application/vnd.docker.multiplexed-stream");
  Streamed s = Run(r);
  ASSERT_TRUE(s.status.ok()) << s.status.ToString();
  EXPECT_EQ(s.body, std::string("\x01\0\0\0\0\0\0\x03hi\n", 11) + std::string("\x02\0\0\0\0\0\0\x05oops\n", 13));
  EXPECT_EQ(fake_.last_logs.tail, -1);
  EXPECT_FALSE(fake_.last_logs.follow);

  r = Do("GET", "/v1.41/containers/web/logs?stdout=1&tail=2&timestamps=1&follow=1&since=1700000000.5&until=0");
  EXPECT_EQ(r.Header("Content-Type"), "application/vnd.docker.raw-stream");
  s = Run(r);
  EXPECT_EQ(s.body, MuxFrame(1, "2023-11-14T22:13:20.000000120Z hi\n"));
  EXPECT_EQ(fake_.last_logs.tail, 2);
  EXPECT_TRUE(fake_.last_logs.follow);
  EXPECT_FALSE(fake_.last_logs.stderr_);
  EXPECT_EQ(fake_.last_logs.since_unix_nanos, 1700000000LL * 1000000000 + 500000000);
  EXPECT_EQ(fake_.last_logs.until_unix_nanos, 0);

  Response bad = Do("GET", "/containers/web/logs");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Message(bad), "Bad parameters: you must choose at least one stream");
  EXPECT_EQ(Do("GET", "/containers/nosuch/logs?stdout=1").status, 404);
}

TEST_F(ContainerRoutesTest, AttachHijacks) {
  fake_.Add(kId, "web", ContainerState::kRunning);
  fake_.log = {{"stdout", "hi\n", 1}};
  Request req;
  req.method = "POST";
  req.target = "/v1.50/containers/web/attach?stderr=1&stdout=1&stream=1";
  req.headers = {{"Connection", "Upgrade"}, {"Upgrade", "tcp"}};
  Response r = api_->Handle(req);
  EXPECT_EQ(r.status, 101);
  EXPECT_TRUE(r.upgrade_raw);
  EXPECT_EQ(r.Header("Upgrade"), "tcp");
  EXPECT_EQ(r.Header("Connection"), "Upgrade");
  EXPECT_EQ(r.Header("Content-Type"), "application/vnd.docker.multiplexed-stream");
  Streamed s = Run(r);
  ASSERT_TRUE(s.status.ok());
  EXPECT_EQ(s.body, MuxFrame(1, "hi\n"));
  EXPECT_TRUE(fake_.last_logs.follow);
  EXPECT_TRUE(fake_.last_logs.from_end);  // running: only what comes next

  // Without an Upgrade header: 200; logs=1 reads from the start.
  r = Do("POST", "/containers/web/attach?stdout=1&stream=1&logs=1");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.upgrade_raw);
  Run(r);
  EXPECT_FALSE(fake_.last_logs.from_end);
  EXPECT_EQ(Do("POST", "/containers/nosuch/attach?stream=1").status, 404);
}

TEST_F(ContainerRoutesTest, CommitOptions) {
  fake_.Add(kId, "web", ContainerState::kRunning);
  Response r = Do("POST",
                  "/v1.50/commit?author=me&changes=CMD+%5B%22sh%22%5D&changes=ENV+A%3DB&comment=msg&container=web"
                  "&pause=0&repo=docker.io%2Flibrary%2Frepo&tag=tag");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(S(Body(r).at("Id")), Digest::Of("committed").str());
  const CommitOptions& o = fake_.last_commit;
  EXPECT_EQ(o.container, "web");
  EXPECT_EQ(o.repo, "docker.io/library/repo");
  EXPECT_EQ(o.tag, "tag");
  EXPECT_EQ(o.author, "me");
  EXPECT_EQ(o.comment, "msg");
  EXPECT_FALSE(o.pause);
  EXPECT_EQ(o.changes, (std::vector<std::string>{"CMD [\"sh\"]", "ENV A=B"}));
  // The CLI's empty values; pause defaults to true; a Config body becomes changes first.
  r = Do("POST", "/commit?author=&comment=&container=web&repo=&tag=&changes=USER+1",
         R"({"Cmd":["ls"],"Env":["X=1"],"WorkingDir":"/w"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(fake_.last_commit.pause);
  EXPECT_EQ(fake_.last_commit.repo, "");
  EXPECT_EQ(fake_.last_commit.changes,
            (std::vector<std::string>{"CMD [\"ls\"]", "ENV X=1", "WORKDIR /w", "USER 1"}));
  fake_.next_error = NotFound("No such container: x");
  EXPECT_EQ(Do("POST", "/commit?container=x").status, 404);
}

TEST_F(ContainerRoutesTest, ImportOptionsAndReply) {
  Response r = Do("POST",
                  "/v1.50/images/create?fromSrc=-&repo=Example.com%2Frepo&tag=v1&message=hello"
                  "&changes=CMD+%5B%22sh%22%5D&changes=ENV+A%3DB&platform=linux%2Farm64",
                  "the tarball");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  Streamed s = Run(r);
  ASSERT_TRUE(s.status.ok()) << s.status.ToString();
  EXPECT_EQ(s.body, "{\"status\":\"" + Digest::Of("imported").str() + "\"}\n");
  const ImportOptions& o = fake_.last_import;
  EXPECT_EQ(fake_.imported, "the tarball");
  EXPECT_EQ(o.reference, "Example.com/repo:v1");
  EXPECT_EQ(o.message, "hello");
  EXPECT_EQ(o.changes, (std::vector<std::string>{"CMD [\"sh\"]", "ENV A=B"}));
  ASSERT_TRUE(o.platform.has_value());
  EXPECT_EQ(FormatPlatform(*o.platform), "linux/arm64");

  // No repo: dangling; no message: "Imported from -"; before API 1.32 the
  // platform is not read; a repo without tag gets latest.
  Run(Do("POST", "/v1.31/images/create?fromSrc=-&platform=bad", "x"));
  EXPECT_EQ(fake_.last_import.reference, "");
  EXPECT_EQ(fake_.last_import.message, "Imported from -");
  EXPECT_FALSE(fake_.last_import.platform.has_value());
  Run(Do("POST", "/images/create?fromSrc=-&repo=r", "x"));
  EXPECT_EQ(fake_.last_import.reference, "docker.io/library/r:latest");

  // The service's error before any output is a plain HTTP error.
  fake_.next_error = InvalidArgument("invalid archive to import: nope");
  Streamed bad = Run(Do("POST", "/images/create?fromSrc=-", "x"));
  EXPECT_EQ(bad.writes, 0);
  EXPECT_EQ(bad.status.message(), "invalid archive to import: nope");
  EXPECT_EQ(Do("POST", "/images/create?fromSrc=-&platform=a%2Fb%2Fc%2Fd", "x").status, 400);
  EXPECT_EQ(Do("POST", "/images/create?fromSrc=-&repo=UP", "x").status, 400);
}

TEST_F(ContainerRoutesTest, PruneRemovesStoppedOnly) {
  fake_.Add(kId, "up", ContainerState::kRunning);
  fake_.Add(std::string(64, 'b'), "done", ContainerState::kExited);
  fake_.Add(std::string(64, 'c'), "made", ContainerState::kCreated);
  Response r = Do("POST", "/v1.50/containers/prune?filters=" + Q(R"({"label":{"k=v":true}})"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(fake_.last_list.all);
  EXPECT_EQ(fake_.last_list.filters["label"], (std::vector<std::string>{"k=v"}));
  json::value v = Body(r);
  EXPECT_EQ(v.at("ContainersDeleted"), (json::array{json::string(std::string(64, 'b')), json::string(std::string(64, 'c'))}));
  EXPECT_EQ(v.at("SpaceReclaimed").to_number<int64_t>(), 0);
  EXPECT_EQ(fake_.calls, (std::vector<std::string>{"remove " + std::string(64, 'b'), "remove " + std::string(64, 'c')}));
  // until: only containers created before the time.
  fake_.calls.clear();
  fake_.ctrs[std::string(64, 'b')].record.created_unix_nanos = 5LL * 1000000000;
  r = Do("POST", "/containers/prune?filters=" + Q(R"({"until":{"2":true}})"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r).at("ContainersDeleted"), (json::array{json::string(std::string(64, 'c'))}));
  fake_.calls.clear();
  r = Do("POST", "/containers/prune?filters=" + Q(R"({"until":{"0":true}})"));
  EXPECT_TRUE(Body(r).at("ContainersDeleted").is_null());
  EXPECT_TRUE(fake_.calls.empty());
  EXPECT_EQ(Do("POST", "/containers/prune?filters=" + Q(R"({"status":{"x":true}})")).status, 400);
}

TEST_F(ContainerRoutesTest, StatusTexts) {
  const int64_t s = 1000000000;
  struct Case {
    ContainerState st;
    int64_t started, finished;
    int code;
    std::string want;
  } cases[] = {
      {ContainerState::kCreated, 0, 0, 0, "Created"},
      {ContainerState::kRunning, 100 * s - s / 2, 0, 0, "Up Less than a second"},
      {ContainerState::kRunning, 99 * s, 0, 0, "Up 1 second"},
      {ContainerState::kRunning, 50 * s, 0, 0, "Up 50 seconds"},
      {ContainerState::kPaused, 30 * s, 0, 0, "Up About a minute (Paused)"},
      {ContainerState::kExited, 1, 100 * s - 3 * 60 * s, 137, "Exited (137) 3 minutes ago"},
      {ContainerState::kExited, 0, 0, 0, "Created"},
      {ContainerState::kDead, 1, 1, 0, "Dead"},
  };
  for (const auto& c : cases) {
    ContainerRecord r;
    r.state = c.st;
    r.started_unix_nanos = c.started;
    r.finished_unix_nanos = c.finished;
    r.exit_code = c.code;
    EXPECT_EQ(ContainerStatusText(r, 100 * s), c.want);
  }
  EXPECT_EQ(HumanDuration(3600 * s), "About an hour");
  EXPECT_EQ(HumanDuration(5 * 3600 * s), "5 hours");
  EXPECT_EQ(HumanDuration(3 * 24 * 3600 * s), "3 days");
}

TEST(ContainerRoutesNoService, Answer500) {
  Api api(nullptr, ApiOptions{});
  Request req;
  req.method = "GET";
  req.target = "/containers/json";
  Response r = api.Handle(req);
  EXPECT_EQ(r.status, 500);
}

}  // namespace
}  // namespace berth::api
