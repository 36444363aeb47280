// Container lifecycle against real runc and berth-shim: create, start,
// wait, logs, stop, kill, restart, remove, list filters, names, AutoRemove,
// image removal conflicts, and reopening the service.
#include <signal.h>

#include <atomic>
#include <chrono>

#include "container/container_test_util.h"
#include "testing/await.h"
#include "image/store_internals.h"

namespace berth::container_test {
namespace {

using ::testing::HasSubstr;

TEST_F(ContainerTest, EchoHiAndExitCodes) {
  Busybox("bb:1");
  std::string id = Run("hello", Cfg("bb:1", {"echo", "hi"}));
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(WaitExit(id), 0);
  EXPECT_EQ(Log(id), "hi\n");
  auto info = svc_->Get("hello");
  ASSERT_OK(info);
  EXPECT_EQ(info->record.id, id);
  EXPECT_EQ(info->record.state, ContainerState::kExited);
  EXPECT_EQ(info->path_and_args, (std::vector<std::string>{"echo", "hi"}));
  EXPECT_GT(info->record.finished_unix_nanos, 0);
  std::vector<std::string> actions;
  Event e;
  while (sub_->Next(&e, 0)) {
    if (e.type != "container") continue;
    actions.push_back(e.action);
    EXPECT_EQ(e.actor_id, id);
    EXPECT_EQ(e.attributes["name"], "hello");
    EXPECT_EQ(e.attributes["image"], "bb:1");
    if (e.action == "die") {
      EXPECT_EQ(e.attributes["exitCode"], "0");
    }
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"create", "start", "die"}));

  std::string id3 = Run("", Cfg("bb:1", {"sh", "-c", "echo oops >&2; exit 3"}));
  EXPECT_EQ(WaitExit(id3), 3);
  auto i3 = svc_->Get(id3.substr(0, 12));
  ASSERT_OK(i3);
  EXPECT_EQ(i3->record.exit_code, 3);
  EXPECT_NE(i3->record.name.find('_'), std::string::npos) << i3->record.name;  // generated
  std::string err;
  LogReadOptions o;
  o.stdout_ = false;
  ASSERT_OK(svc_->Logs(id3, o, [&](const LogEntry& e) {
    err += e.stream + ":" + e.data;
    return OkStatus();
  }));
  EXPECT_EQ(err, "stderr:oops\n");
  // Starting again reruns the process.
  ASSERT_OK(svc_->Start(id));
  EXPECT_EQ(WaitExit(id), 0);
  EXPECT_EQ(Log(id), "hi\nhi\n");
}

TEST_F(ContainerTest, ImageCmdEnvAndBadCommand) {
  Busybox("bb:1", {{"etc/motd", "welcome"}}, {"cat", "/etc/motd"});
  std::string id = Run("", Cfg("bb:1", {}));  // empty Cmd: the image's
  EXPECT_EQ(WaitExit(id), 0);
  EXPECT_EQ(Log(id), "welcome");
  ContainerConfig env = Cfg("bb:1", {"sh", "-c", "echo $FOO $HOSTNAME"});
  env.env = {"FOO=bar"};
  env.hostname = "hosty";
  std::string e = Run("", env);
  EXPECT_EQ(WaitExit(e), 0);
  EXPECT_EQ(Log(e), "bar hosty\n");
  // Entrypoint drops the image's Cmd.
  ContainerConfig ep;
  ep.image = "bb:1";
  ep.entrypoint = std::vector<std::string>{"echo", "ep"};
  std::string x = Run("", ep);
  EXPECT_EQ(WaitExit(x), 0);
  EXPECT_EQ(Log(x), "ep\n");
  // A missing executable: the start fails, the record stays created.
  auto bad = svc_->Create("bad", Cfg("bb:1", {"nosuchcmd"}));
  ASSERT_OK(bad);
  Status s = svc_->Start(bad->id);
  EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("nosuchcmd"));
  auto info = svc_->Get("bad");
  ASSERT_OK(info);
  EXPECT_EQ(info->record.state, ContainerState::kCreated);
  EXPECT_EQ(info->record.exit_code, 127);
  EXPECT_EQ(info->error, s.message());
  // Unknown image.
  auto missing = svc_->Create("", Cfg("nosuch:1", {"true"}));
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
}

TEST_F(ContainerTest, StopKillRestart) {
  Busybox("bb:1");
  std::string id = Run("sleeper", Cfg("bb:1", {"sleep", "1000"}));
  ContainerEvents();
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_OK(svc_->Stop(id, 1));
  int code = WaitExit(id);
  EXPECT_TRUE(code == 143 || code == 137) << code;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(8));
  auto ev = ContainerEvents();
  ASSERT_GE(ev.size(), 3u);
  EXPECT_EQ(ev.front(), "kill");
  EXPECT_EQ(ev.back(), "stop");
  // Stopping a stopped container is fine.
  EXPECT_OK(svc_->Stop(id, 1));

  // A shell that ignores SIGTERM is killed after the timeout. It says when
  // its trap is in place, so the signal cannot arrive before it.
  std::string ignores_term =
      Run("", Cfg("bb:1", {"sh", "-c", "trap '' TERM; echo ready; while true; do sleep 1; done"}));
  ASSERT_TRUE(WaitForLog(ignores_term, "ready\n"));
  t0 = std::chrono::steady_clock::now();
  ASSERT_OK(svc_->Stop(ignores_term, 1));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(900));
  EXPECT_EQ(WaitExit(ignores_term), 137);

  // Kill.
  std::string k = Run("", Cfg("bb:1", {"sleep", "1000"}));
  EXPECT_EQ(svc_->Kill(k, "BOGUS").code(), Code::kInvalidArgument);
  ASSERT_OK(svc_->Kill(k, "SIGKILL"));
  EXPECT_EQ(WaitExit(k), 137);
  Status again = svc_->Kill(k, "");
  EXPECT_EQ(again.code(), Code::kConflict);
  EXPECT_EQ(again.message(), "container " + k + " is not running");

  // Restart gives a new process.
  std::string r = Run("", Cfg("bb:1", {"sleep", "1000"}));
  auto before = svc_->Get(r);
  ASSERT_OK(before);
  ContainerEvents();
  ASSERT_OK(svc_->Restart(r, 0));
  auto after = svc_->Get(r);
  ASSERT_OK(after);
  EXPECT_EQ(after->record.state, ContainerState::kRunning);
  EXPECT_NE(after->record.pid, before->record.pid);
  auto rev = ContainerEvents();
  ASSERT_FALSE(rev.empty());
  EXPECT_EQ(rev.back(), "restart");
}

TEST_F(ContainerTest, FollowLogsAndCancelledWait) {
  Busybox("bb:1");
  std::string id = Run("", Cfg("bb:1", {"sh", "-c", "echo one; sleep 0.5; echo two; sleep 0.5; echo three"}));
  std::vector<std::string> lines;
  LogReadOptions o;
  o.follow = true;
  ASSERT_OK(svc_->Logs(id, o, [&](const LogEntry& e) {
    lines.push_back(e.data);
    return OkStatus();
  }));
  EXPECT_EQ(lines, (std::vector<std::string>{"one\n", "two\n", "three\n"}));
  EXPECT_EQ(svc_->Get(id)->record.state, ContainerState::kExited);
  LogReadOptions tail;
  tail.tail = 1;
  std::string last;
  ASSERT_OK(svc_->Logs(id, tail, [&](const LogEntry& e) {
    last += e.data;
    return OkStatus();
  }));
  EXPECT_EQ(last, "three\n");

  std::string s = Run("", Cfg("bb:1", {"sleep", "1000"}));
  int calls = 0;
  auto w = svc_->Wait(s, "not-running", [&] { return ++calls > 3; });
  EXPECT_EQ(w.status().code(), Code::kCancelled);
  EXPECT_EQ(svc_->Wait(s, "bogus", {}).status().code(), Code::kInvalidArgument);
  // next-exit on a running container returns once it exits. The killer
  // acts once the waiter has asked `cancelled` (it has taken its baseline
  // and waits). The kernel drops a TERM that PID 1 has no handler for when
  // it is sent, so the KILL right after it is what ends the container.
  std::atomic<bool> waiting{false};
  std::thread killer([&] {
    EXPECT_TRUE(testing::AwaitCondition([&] { return waiting.load(); }));
    EXPECT_OK(svc_->Kill(s, "TERM"));
    EXPECT_OK(svc_->Kill(s, "9"));
  });
  auto next = svc_->Wait(s, "next-exit", [&] {
    waiting = true;
    return false;
  });
  killer.join();
  ASSERT_OK(next);
  EXPECT_EQ(*next, 137);  // sleep as PID 1 ignores SIGTERM
}

TEST_F(ContainerTest, RemoveRunningNeedsForce) {
  Busybox("bb:1");
  std::string id = Run("busy", Cfg("bb:1", {"sleep", "1000"}));
  Status s = svc_->Remove("busy", false);
  EXPECT_EQ(s.code(), Code::kConflict);
  EXPECT_EQ(s.message(),
            "cannot remove container \"/busy\": container is running: stop the container before removing or "
            "force remove");
  ContainerEvents();
  ASSERT_OK(svc_->Remove("busy", true));
  EXPECT_EQ(svc_->Get(id).status().code(), Code::kNotFound);
  EXPECT_EQ(svc_->Get(id).status().message(), "No such container: " + id);
  EXPECT_FALSE(std::filesystem::exists(root_ + "/containers/" + id));
  auto ev = ContainerEvents();
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev.back(), "destroy");
  bool row = true;
  ASSERT_OK(image::MetadataOf(store_.get())->View([&](Tx& tx) -> Status {
    row = container_table::Get(tx, id).ok();
    return OkStatus();
  }));
  EXPECT_FALSE(row);
}

TEST_F(ContainerTest, ListFilters) {
  auto img = Busybox("bb:1");
  Busybox("other:1", {{"x", "y"}});
  ContainerConfig ca = Cfg("bb:1", {"sleep", "1000"});
  ca.labels = {{"x", "1"}};
  std::string a = Run("alpha", ca);
  std::string b = Run("beta", Cfg("bb:1", {"sh", "-c", "exit 3"}));
  EXPECT_EQ(WaitExit(b), 3);
  auto cr = svc_->Create("gamma", Cfg("bb:1", {"true"}));
  ASSERT_OK(cr);
  std::string c = cr->id;

  auto names = [&](ContainerListOptions o) {
    std::vector<std::string> out;
    auto r = svc_->List(o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok()) {
      for (const auto& i : *r) out.push_back(i.record.name);
    }
    return out;
  };
  using V = std::vector<std::string>;
  ContainerListOptions o;
  EXPECT_EQ(names(o), V{"alpha"});
  o.all = true;
  EXPECT_EQ(names(o), (V{"gamma", "beta", "alpha"}));
  struct Case {
    std::string key, value;
    bool all;
    V want;
  };
  std::vector<Case> cases = {
      {"status", "exited", false, {"beta"}},
      {"status", "created", false, {"gamma"}},
      {"status", "running", false, {"alpha"}},
      {"exited", "3", true, {"beta"}},
      {"exited", "0", true, {}},
      {"label", "x=1", true, {"alpha"}},
      {"label", "x=2", true, {}},
      {"name", "et", true, {"beta"}},
      {"name", "^/gam", true, {"gamma"}},
      {"id", a.substr(0, 10), true, {"alpha"}},
      {"ancestor", "bb:1", true, {"gamma", "beta", "alpha"}},
      {"ancestor", img.target.digest.str(), true, {"gamma", "beta", "alpha"}},
      {"ancestor", "other:1", true, {}},
      {"before", "gamma", true, {"beta", "alpha"}},
      {"since", "alpha", true, {"gamma", "beta"}},
  };
  for (const auto& tc : cases) {
    ContainerListOptions f;
    f.all = tc.all;
    f.filters[tc.key] = {tc.value};
    EXPECT_EQ(names(f), tc.want) << tc.key << "=" << tc.value;
  }
  ContainerListOptions lim;
  lim.all = true;
  lim.limit = 1;
  EXPECT_EQ(names(lim), V{"gamma"});
  ContainerListOptions bad;
  bad.filters["status"] = {"sleeping"};
  EXPECT_EQ(svc_->List(bad).status().code(), Code::kInvalidArgument);
  ContainerListOptions unknown_ref;
  unknown_ref.filters["before"] = {"nosuch"};
  EXPECT_EQ(svc_->List(unknown_ref).status().code(), Code::kNotFound);
}

TEST_F(ContainerTest, NamesAndConflicts) {
  Busybox("bb:1");
  auto first = svc_->Create("/dup", Cfg("bb:1", {"true"}));
  ASSERT_OK(first);
  EXPECT_EQ(svc_->Get("dup")->record.name, "dup");
  auto second = svc_->Create("dup", Cfg("bb:1", {"true"}));
  EXPECT_EQ(second.status().code(), Code::kAlreadyExists);
  EXPECT_EQ(second.status().message(),
            "Conflict. The container name \"/dup\" is already in use by container \"" + first->id +
                "\". You have to remove (or rename) that container to be able to reuse that name.");
  for (std::string bad : {"a", "-x", "has space", "x/y", "_lead"}) {
    auto r = svc_->Create(bad, Cfg("bb:1", {"true"}));
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << bad;
    EXPECT_EQ(r.status().message(),
              "Invalid container name (" + bad + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  }
  EXPECT_OK(svc_->Create("ok.name-1_x", Cfg("bb:1", {"true"})));
  EXPECT_EQ(svc_->Get("nosuch").status().code(), Code::kNotFound);
}

TEST_F(ContainerTest, AutoRemove) {
  Busybox("bb:1");
  ContainerConfig cfg = Cfg("bb:1", {"true"});
  cfg.auto_remove = true;
  auto cr = svc_->Create("auto", cfg);
  ASSERT_OK(cr);
  ASSERT_OK(svc_->Start(cr->id));
  auto w = svc_->Wait(cr->id, "removed", {});
  ASSERT_OK(w);
  EXPECT_EQ(*w, 0);
  EXPECT_EQ(svc_->Get(cr->id).status().code(), Code::kNotFound);
  auto ev = ContainerEvents();
  EXPECT_EQ(ev, (std::vector<std::string>{"create", "start", "die", "destroy"}));
}

TEST_F(ContainerTest, FailedStartOfAnAutoRemoveContainerRemovesIt) {
  Busybox("bb:1");
  ContainerConfig cfg = Cfg("bb:1", {"/nosuch"});
  cfg.auto_remove = true;
  auto cr = svc_->Create("auto-fail", cfg);
  ASSERT_OK(cr);
  Status s = svc_->Start(cr->id);
  EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
  EXPECT_EQ(svc_->Get(cr->id).status().code(), Code::kNotFound);
  // Without AutoRemove the failed container stays, with its exit code.
  auto kept = svc_->Create("kept", Cfg("bb:1", {"/nosuch"}));
  ASSERT_OK(kept);
  EXPECT_EQ(svc_->Start(kept->id).code(), Code::kInvalidArgument);
  auto info = svc_->Get(kept->id);
  ASSERT_OK(info);
  EXPECT_EQ(info->record.exit_code, 127);
}

TEST_F(ContainerTest, ImageRemovalConflicts) {
  auto img = Busybox("app:1");
  std::string id = Run("user", Cfg("app:1", {"sleep", "1000"}));
  auto by_name = store_->images()->Remove("app:1", {});
  EXPECT_EQ(by_name.status().code(), Code::kConflict);
  EXPECT_THAT(by_name.status().message(), HasSubstr("must be forced"));
  auto by_id = store_->images()->Remove(img.target.digest.hex(), RemoveOptions{true});
  EXPECT_EQ(by_id.status().code(), Code::kConflict);
  EXPECT_EQ(by_id.status().message(), "conflict: unable to delete " + img.target.digest.Short() +
                                          " (cannot be forced) - image is being used by running container " +
                                          id.substr(0, 12));
  ASSERT_OK(svc_->Remove(id, true));
  EXPECT_OK(store_->images()->Remove("app:1", {}));
}

TEST_F(ContainerTest, ReopenKeepsRunningAndExited) {
  Busybox("bb:1");
  std::string run = Run("runner", Cfg("bb:1", {"sleep", "1000"}));
  std::string done = Run("done", Cfg("bb:1", {"sh", "-c", "exit 3"}));
  EXPECT_EQ(WaitExit(done), 3);
  std::string later = Run("later", Cfg("bb:1", {"sh", "-c", "sleep 1; exit 5"}));
  CloseAll();
  // `later` exits unwatched: its shim writes the exit file.
  ASSERT_TRUE(testing::AwaitCondition(
      [&] { return std::filesystem::exists(root_ + "/containers/" + later + "/state/exit"); }));
  OpenAll();
  auto r = svc_->Get("runner");
  ASSERT_OK(r);
  EXPECT_EQ(r->record.state, ContainerState::kRunning);
  auto d = svc_->Get("done");
  ASSERT_OK(d);
  EXPECT_EQ(d->record.state, ContainerState::kExited);
  EXPECT_EQ(d->record.exit_code, 3);
  auto l = svc_->Get("later");
  ASSERT_OK(l);
  EXPECT_EQ(l->record.state, ContainerState::kExited);
  EXPECT_EQ(l->record.exit_code, 5);
  // The reopened service still watches the running one.
  ASSERT_OK(svc_->Kill("runner", "KILL"));
  EXPECT_EQ(WaitExit("runner"), 137);
}

TEST_F(ContainerTest, ReopenWithoutExitFileGives255) {
  Busybox("bb:1");
  std::string id = Run("orphan", Cfg("bb:1", {"sleep", "1000"}));
  CloseAll();
  // The shim dies without writing an exit file, then the process ends.
  auto pid = Env::Default()->ReadFileToString(root_ + "/containers/" + id + "/state/shim.pid");
  ASSERT_OK(pid);
  ASSERT_EQ(::kill(std::stoi(*pid), SIGKILL), 0);
  std::string kill = RuncPath() + " --root " + root_ + "/runc kill " + id + " KILL";
  ASSERT_EQ(std::system(kill.c_str()), 0);
  // The container's process is gone once runc no longer reports it running
  // (runc run, its parent, deletes the container when it exits).
  std::string state = "! " + RuncPath() + " --root " + root_ + "/runc state " + id +
                      " 2>/dev/null | grep -q '\"status\": \"running\"'";
  ASSERT_TRUE(testing::AwaitCondition([&] { return std::system(state.c_str()) == 0; }));
  ASSERT_FALSE(std::filesystem::exists(root_ + "/containers/" + id + "/state/exit"));
  OpenAll();
  auto info = svc_->Get("orphan");
  ASSERT_OK(info);
  EXPECT_EQ(info->record.state, ContainerState::kExited);
  EXPECT_EQ(info->record.exit_code, 255);
  ASSERT_OK(svc_->Remove("orphan", false));
}

}  // namespace
}  // namespace berth::container_test
