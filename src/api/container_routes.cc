// /containers/... and /commit routes (Docker's api/server/router/container)
// over the ContainerService. JSON shapes are in container_render.cc.
//
// What the docker CLI 28.2.2 sends (logged against a fake server): `docker
// run` posts create, then attach?stderr=1&stdout=1&stream=1 (Connection:
// Upgrade, Upgrade: tcp), then wait?condition=next-exit (removed with --rm),
// then start; it needs the attach answer before it sends wait, and the wait
// response's headers before it sends start. `docker run -d` skips attach.

#include <atomic>
#include <chrono>
#include <thread>

#include "api/attach_stream.h"
#include "api/container_render.h"
#include "api/container_sizes.h"
#include "api/query.h"
#include "api/render.h"
#include "api/router.h"
#include "berth/go_strconv.h"
#include "berth/io.h"
#include "berth/log.h"
#include "berth/runtime.h"
#include "berth/time.h"

namespace berth::api {

namespace json = boost::json;

namespace {

Response NoContent(int status) {
  Response r;
  r.status = status;
  return r;
}

// Go's strconv.Atoi for a query value; `def` when absent or empty. Beyond an
// int's 32 bits, Go's range error (Docker's int has 64; no count or size
// berth takes comes near).
Result<int> IntParam(const Query& q, std::string_view key, int def) {
  std::string v = q.Get(key);
  if (v.empty()) return def;
  BERTH_ASSIGN_OR_RETURN(const int64_t n, GoAtoi(v));
  if (n > INT32_MAX || n < INT32_MIN) {
    return Status(Code::kOutOfRange, "strconv.Atoi: parsing " + GoQuote(v) + ": value out of range");
  }
  return static_cast<int>(n);
}

// The stop timeout of stop/restart: "t" (or "timeout", as some clients
// send); -1 when absent (the container's own).
Result<int> StopTimeoutParam(const Query& q) {
  if (q.Has("t")) return IntParam(q, "t", -1);
  return IntParam(q, "timeout", -1);
}

// The platform manifest descriptor a container uses, when the store knows
// the blob.
std::optional<Descriptor> ManifestOf(Store* store, const ContainerRecord& r) {
  if (store == nullptr || store->images() == nullptr || r.image_manifest.empty()) return std::nullopt;
  Result<Descriptor> d = store->images()->DescriptorOf(r.image_manifest);
  if (!d.ok()) return std::nullopt;
  d->platform = r.image_platform;
  return *d;
}

// Docker's list shows the reference as given while it still names the
// container's image, else the image ID.
std::string ImageShown(Store* store, const ContainerRecord& r) {
  if (store == nullptr || store->images() == nullptr) return r.image_ref;
  Result<ImageRecord> img = store->images()->Resolve(r.image_ref);
  if (img.ok() && img->target.digest == r.image_id) return r.image_ref;
  return r.image_id.str();
}

}  // namespace

Result<json::array> ContainerSummaries(RouteContext& ctx, ContainerService* cs, const ContainerListOptions& opts,
                                       bool sizes) {
  BERTH_ASSIGN_OR_RETURN(std::vector<ContainerInfo> list, cs->List(opts));
  int64_t now = WallClockNanos();
  ContainerSizer sizer(cs, ctx.store);
  json::array out;
  for (const auto& c : list) {
    json::object o = ContainerSummaryValue(c, ImageShown(ctx.store, c.record), ManifestOf(ctx.store, c.record),
                                           ctx.version, now);
    if (sizes) sizer.AddTo(c.record, &o);
    out.emplace_back(std::move(o));
  }
  return out;
}

namespace {

// POST /containers/create?name=&platform=
Result<Response> CreateContainer(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ContainerService * cs, ctx.Containers());
  BERTH_ASSIGN_OR_RETURN(ContainerConfig cfg, ParseCreateBody(ctx.req->body));
  if (ctx.AtLeast("1.41")) {
    BERTH_ASSIGN_OR_RETURN(cfg.platform, SinglePlatformParam(ctx.query, PlatformSyntax::kJsonOrSpecifier));
  }
  BERTH_ASSIGN_OR_RETURN(ContainerCreateResult res, cs->Create(ctx.query.Get("name"), cfg));
  json::object o;
  o["Id"] = res.id;
  json::array w;
  for (const auto& s : res.warnings) w.emplace_back(json::string(s));
  o["Warnings"] = std::move(w);
  return JsonResponse(201, json::serialize(o));
}

// POST /containers/{id}/start: 204, or 304 when already running.
Result<Response> StartContainer(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ContainerService * cs, ctx.Containers());
  BERTH_ASSIGN_OR_RETURN(ContainerInfo info, cs->Get(ctx.Var("id")));
  if (info.record.running()) return NoContent(304);
  BERTH_RETURN_IF_ERROR(cs->Start(info.record.id));
  return NoContent(204);
}

// POST /containers/{id}/stop?t=&signal=: 204, or 304 when not running. With
// a signal, it is sent first and SIGKILL follows after the timeout.
Result<Response> StopContainer(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ContainerService * cs, ctx.Containers());
  BERTH_ASSIGN_OR_RETURN(int timeout, StopTimeoutParam(ctx.query));
  std::string signal = ctx.AtLeast("1.42") ? ctx.query.Get("signal") : "";
  BERTH_ASSIGN_OR_RETURN(ContainerInfo info, cs->Get(ctx.Var("id")));
  if (!info.record.running()) return NoContent(304);
  const std::string& id = info.record.id;
  if (!signal.empty()) {
    BERTH_RETURN_IF_ERROR(cs->Kill(id, signal));
    int secs = timeout >= 0 ? timeout : (info.config.stop_timeout ? *info.config.stop_timeout : 10);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(secs);
    std::function<bool()> cancelled = ctx.req->cancelled;
    // The container may end from the signal; otherwise Stop finishes it.
    Result<int> ignored = cs->Wait(id, "not-running", [deadline, cancelled] {
      return std::chrono::steady_clock::now() >= deadline || (cancelled && cancelled());
    });
    (void)ignored;
    timeout = 0;
  }
  BERTH_RETURN_IF_ERROR(cs->Stop(id, timeout));
  return NoContent(204);
}

// POST /containers/{id}/kill?signal=: 204 (with SIGKILL once the container
// has stopped); errors as Docker words them: "Cannot kill container: ID: ...".
Result<Response> KillContainer(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ContainerService * cs, ctx.Containers());
  if (Status s = cs->Kill(ctx.Var("id"), ctx.query.Get("signal")); !s.ok()) {
    return Status(s.code(), "Cannot kill container: " + ctx.Var("id") + ": " + s.message());
  }
  return NoContent(204);
}

// POST /containers/{id}/restart?t=
Result<Response> RestartContainer(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ContainerService * cs, ctx.Containers());
  BERTH_ASSIGN_OR_RETURN(int timeout, StopTimeoutParam(ctx.query));
  BERTH_RETURN_IF_ERROR(cs->Restart(ctx.Var("id"), timeout));
  return NoContent(204);
}

// POST /containers/{id}/wait?condition=: the headers go out at once (the
// CLI starts the container only after it has them); the body
// {"StatusCode":N,"Error":null} follows when the condition is met.
Result<Response> WaitContainer(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ContainerService * cs, ctx.Containers());
  std::string cond = ctx.query.Get("condition");
  if (cond.empty()) cond = "not-running";
  if (cond != "not-running" && cond != "next-exit" && cond != "removed") {
    return InvalidArgument("invalid condition: \"" + cond + "\"");
  }
  BERTH_ASSIGN_OR_RETURN(ContainerInfo info, cs->Get(ctx.Var("id")));
  std::string id = info.record.id;
  std::function<bool()> cancelled = ctx.req->cancelled;
  Response r;
  r.SetHeader("Content-Type", "application/json");
  r.stream = [cs, id, cond, cancelled](const WriteFn& write) -> Status {
    BERTH_RETURN_IF_ERROR(write(""));
    Result<int> code = cs->Wait(id, cond, cancelled ? cancelled : [] { return false; });
    json::object o;
    if (code.ok()) {
      o["StatusCode"] = *code;
      o["Error"] = nullptr;
    } else {
      if (cancelled && cancelled()) return code.status();
      o["StatusCode"] = -1;
      o["Error"] = json::object{{"Message", code.status().message()}};
    }
    return write(json::serialize(o) + "\n");
  };
  return r;
}

// DELETE /containers/{id}?force=&v=&link=
Result<Response> RemoveContainer(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ContainerService * cs, ctx.Containers());
  if (ctx.query.Bool("link")) {
    BERTH_RETURN_IF_ERROR(cs->RemoveLink(ctx.Var("id")));
    return NoContent(204);
  }
  if (ctx.query.Bool("v")) {
    BERTH_RETURN_IF_ERROR(cs->RemoveWithVolumes(ctx.Var("id"), ctx.query.Bool("force")));
  } else {
    BERTH_RETURN_IF_ERROR(cs->Remove(ctx.Var("id"), ctx.query.Bool("force")));
  }
  return NoContent(204);
}

// GET /containers/json?all=&limit=&size=&filters=
Result<Response> ListContainers(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ContainerService * cs, ctx.Containers());
  BERTH_ASSIGN_OR_RETURN(Filters f, Filters::FromJson(ctx.query.Get("filters")));
  BERTH_RETURN_IF_ERROR(f.Validate({"ancestor", "before", "exited", "expose", "health", "id", "isolation", "is-task",
                                    "label", "name", "network", "publish", "since", "status", "volume"}));
  for (const char* unsupported : {"expose", "isolation", "is-task", "network", "publish", "volume"}) {
    if (f.Contains(unsupported)) {
      return InvalidArgument(std::string("berth does not support the '") + unsupported + "' filter");
    }
  }
  for (const auto& s : f.Get("status")) {
    if (s != "created" && s != "restarting" && s != "running" && s != "removing" && s != "paused" && s != "exited" &&
        s != "dead") {
      return InvalidArgument("invalid filter 'status=" + s + "'");
    }
  }
  ContainerListOptions o;
  o.all = ctx.query.Bool("all");
  BERTH_ASSIGN_OR_RETURN(o.limit, IntParam(ctx.query, "limit", -1));
  if (o.limit == 0) o.limit = -1;
  o.filters = f.ToMap();
  BERTH_ASSIGN_OR_RETURN(json::array out, ContainerSummaries(ctx, cs, o, ctx.query.Bool("size")));
  return JsonResponse(200, json::serialize(out));
}

// POST /containers/prune?filters=: removes every container that is not
// running (filters: label, until).
Result<Response> PruneContainers(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ContainerService * cs, ctx.Containers());
  BERTH_ASSIGN_OR_RETURN(Filters f, Filters::FromJson(ctx.query.Get("filters")));
  BERTH_RETURN_IF_ERROR(f.Validate({"label", "until"}));
  std::optional<int64_t> until;
  std::vector<std::string> untils = f.Get("until");
  if (untils.size() > 1) return InvalidArgument("more than one until filter specified");
  if (!untils.empty()) {
    BERTH_ASSIGN_OR_RETURN(int64_t t, ParseTimeValue(untils[0], WallClockNanos()));
    until = t;
  }
  ContainerListOptions o;
  o.all = true;
  if (f.Contains("label")) o.filters["label"] = f.Get("label");
  BERTH_ASSIGN_OR_RETURN(std::vector<ContainerInfo> list, cs->List(o));
  json::array deleted;
  ContainerSizer sizer(cs, ctx.store);
  int64_t reclaimed = 0;
  for (const auto& c : list) {
    if (c.record.running()) continue;
    if (until && c.record.created_unix_nanos >= *until) continue;
    // Docker counts each removed container's writable layer as reclaimed.
    int64_t rw = sizer.Rw(c.record.id);
    Status s = cs->Remove(c.record.id, false);
    if (s.code() == Code::kNotFound) continue;  // removed meanwhile
    BERTH_RETURN_IF_ERROR(s);
    deleted.emplace_back(json::string(c.record.id));
    reclaimed += rw;
  }
  json::object out;
  out["ContainersDeleted"] = deleted.empty() ? json::value(nullptr) : json::value(std::move(deleted));
  out["SpaceReclaimed"] = reclaimed;
  return JsonResponse(200, json::serialize(out));
}

// GET /containers/{id}/json
Result<Response> InspectContainer(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ContainerService * cs, ctx.Containers());
  BERTH_ASSIGN_OR_RETURN(ContainerInfo info, cs->Get(ctx.Var("id")));
  json::object o = ContainerInspectValue(info, ManifestOf(ctx.store, info.record), ctx.version);
  if (ctx.query.Bool("size")) ContainerSizer(cs, ctx.store).AddTo(info.record, &o);
  return JsonResponse(200, json::serialize(o));
}

// A log entry as a frame of the multiplexed stream, or as it is for a TTY
// container (one raw stream, as Docker sends it).
Status WriteEntry(const WriteFn& write, const LogEntry& e, bool timestamps, bool raw) {
  int stream = e.stream == "stderr" ? 2 : 1;
  std::string data = timestamps ? FormatRfc3339NanosFixed(e.time_unix_nanos) + " " + e.data : e.data;
  return write(raw ? data : MuxFrame(stream, data));
}

// GET /containers/{id}/logs?stdout=&stderr=&follow=&tail=&since=&until=&timestamps=
Result<Response> ContainerLogs(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ContainerService * cs, ctx.Containers());
  const Query& q = ctx.query;
  LogReadOptions o;
  o.stdout_ = q.Bool("stdout");
  o.stderr_ = q.Bool("stderr");
  if (!o.stdout_ && !o.stderr_) return InvalidArgument("Bad parameters: you must choose at least one stream");
  o.follow = q.Bool("follow");
  std::string tail = q.Get("tail");
  if (!tail.empty() && tail != "all") {
    Result<int> n = IntParam(q, "tail", -1);
    o.tail = n.ok() && *n >= 0 ? *n : -1;  // Docker treats an invalid tail as "all"
  }
  int64_t now = WallClockNanos();
  if (std::string s = q.Get("since"); !s.empty() && s != "0") {
    BERTH_ASSIGN_OR_RETURN(o.since_unix_nanos, ParseTimeValue(s, now));
  }
  if (std::string s = q.Get("until"); !s.empty() && s != "0") {
    BERTH_ASSIGN_OR_RETURN(o.until_unix_nanos, ParseTimeValue(s, now));
  }
  bool timestamps = q.Bool("timestamps");
  BERTH_ASSIGN_OR_RETURN(ContainerInfo info, cs->Get(ctx.Var("id")));
  // The driver "none" keeps output for attach only (Docker's 501 and text).
  if (info.config.log_driver == "none") return Unimplemented("configured logging driver does not support reading");
  std::string id = info.record.id;
  const bool tty = info.config.tty;
  o.cancelled = ctx.req->cancelled;
  // One frame per log entry, as dockerd sends logs (clients iterate them
  // line by line); attach, which streams bytes as they come, merges.
  o.merge_entries = false;
  Response r;
  r.SetHeader("Content-Type", tty ? "application/vnd.docker.raw-stream" : StreamContentType(ctx));
  r.stream = [cs, id, o, timestamps, tty](const WriteFn& write) -> Status {
    BERTH_RETURN_IF_ERROR(write(""));
    return cs->Logs(id, o, [&](const LogEntry& e) { return WriteEntry(write, e, timestamps, tty); });
  };
  return r;
}

// POST /containers/{id}/attach?stream=&logs=&stdout=&stderr=&stdin=&detachKeys=:
// hijacks the connection (101 UPGRADED when the client asked for an
// upgrade, else 200) and sends the container's output: what was logged
// before (logs=1), then what it prints until it exits (stream=1), as
// multiplexed frames, or raw for a TTY container. A container not started
// yet is waited for first (`docker run` attaches before it starts). With
// stdin=1 and OpenStdin, what the client sends goes to the container's
// stdin; its end (half-close) closes that stdin with StdinOnce (no TTY),
// else ends the attach, as dockerd does. The detach keys (a TTY's input only) end the attach,
// the container going on.
Result<Response> AttachContainer(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ContainerService * cs, ctx.Containers());
  const Query& q = ctx.query;
  bool logs = q.Bool("logs");
  bool stream = q.Bool("stream");
  LogReadOptions o;
  o.stdout_ = q.Bool("stdout");
  o.stderr_ = q.Bool("stderr");
  o.merge_entries = true;  // a run of lines goes out in one frame
  o.exact_bytes = true;    // what the container wrote, byte for byte
  BERTH_ASSIGN_OR_RETURN(ContainerInfo info, cs->Get(ctx.Var("id")));
  BERTH_ASSIGN_OR_RETURN(std::string detach_keys, ParseDetachKeys(q.Get("detachKeys")));
  std::string id = info.record.id;
  const bool tty = info.config.tty;
  const bool with_stdin = q.Bool("stdin") && info.config.open_stdin && stream;
  const bool stdin_once = info.config.stdin_once;
  std::function<bool()> cancelled = ctx.req->cancelled;
  StdinSource input{ctx.req->read_hijacked, ctx.req->interrupt_hijacked_read};
  Response r;
  bool upgrade = !ctx.req->Header("Upgrade").empty();
  r.status = upgrade ? 101 : 200;
  r.upgrade_raw = true;
  r.SetHeader("Content-Type", tty ? "application/vnd.docker.raw-stream" : StreamContentType(ctx));
  if (upgrade) {
    r.SetHeader("Connection", "Upgrade");
    r.SetHeader("Upgrade", "tcp");
  }
  // Taken now, before the container can start, exit and be auto-removed:
  // its removal then waits until this attach has read the output.
  std::shared_ptr<void> output_hold = stream ? cs->HoldOutput(id) : nullptr;
  r.stream = [cs, id, o, logs, stream, cancelled, tty, with_stdin, stdin_once, input, detach_keys,
              output_hold](const WriteFn& write) mutable -> Status {
    std::shared_ptr<void> held = std::move(output_hold);  // released when the stream ends
    BERTH_RETURN_IF_ERROR(write(""));
    auto emit = [&](const LogEntry& e) { return WriteEntry(write, e, false, tty); };
    auto is_cancelled = [&] { return cancelled && cancelled(); };
    if (!stream) {
      if (!logs || (!o.stdout_ && !o.stderr_)) return OkStatus();
      o.follow = false;
      Status s = cs->Logs(id, o, emit);
      return s.code() == Code::kNotFound ? OkStatus() : s;
    }
    // Wait for a created container to start; its log then begins with
    // this run's output, so it is read from the start.
    bool from_start = logs;
    if (Result<ContainerInfo> cur = cs->Get(id); !cur.ok()) {
      return OkStatus();  // removed: nothing more to send
    } else if (cur->record.state == ContainerState::kCreated) {
      from_start = true;
      if (!cs->AwaitStarted(id, is_cancelled).ok()) return OkStatus();  // removed or cancelled
    }
    std::atomic<bool> input_ended{false};
    std::thread copier;
    if (with_stdin && input.read) {
      copier = std::thread([&] {
        // As dockerd: only a TTY's input is watched for the detach keys;
        // other input may be binary and passes through whole.
        InputEnd end = CopyInput(input, tty ? detach_keys : std::string(),
                                 [&](std::string_view data) { return cs->WriteStdin(id, data); });
        if (end != InputEnd::kWriteFailed && stdin_once && !tty) {
          LogIfError(cs->CloseStdin(id), "close the stdin of container " + id);
          if (end == InputEnd::kEndOfInput) return;  // the output goes on to the end
        }
        input_ended = true;
      });
    }
    Status s = OkStatus();
    if (o.stdout_ || o.stderr_) {
      o.follow = true;
      o.from_end = !from_start;
      o.cancelled = [&] { return input_ended.load() || is_cancelled(); };
      s = cs->Logs(id, o, emit);
    } else {
      Result<int> waited = cs->Wait(id, "not-running", [&] { return input_ended.load() || is_cancelled(); });
      (void)waited;
    }
    if (copier.joinable()) {
      if (input.interrupt) input.interrupt();
      copier.join();
    }
    return s.code() == Code::kNotFound ? OkStatus() : s;
  };
  return r;
}

// POST /containers/{id}/resize?h=&w=: the TTY's window size.
Result<Response> ResizeContainer(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ContainerService * cs, ctx.Containers());
  BERTH_ASSIGN_OR_RETURN(int rows, ResizeDimension(ctx.query, "h"));
  BERTH_ASSIGN_OR_RETURN(int cols, ResizeDimension(ctx.query, "w"));
  BERTH_RETURN_IF_ERROR(cs->ResizeTty(ctx.Var("id"), rows, cols));
  return NoContent(200);
}

// Turns a Config body of POST /commit into --change instructions (applied
// before the query's changes).
Result<std::vector<std::string>> CommitBodyChanges(std::string_view body) {
  std::vector<std::string> out;
  bool blank = true;
  for (char ch : body) {
    if (!std::isspace(static_cast<unsigned char>(ch))) blank = false;
  }
  if (blank) return out;
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return InvalidArgument("invalid JSON: " + ec.message());
  if (v.is_null()) return out;
  if (!v.is_object()) return InvalidArgument("invalid JSON: the body must be an object");
  const json::object& o = v.as_object();
  auto array_of_strings = [](const json::value& a) {
    if (a.is_string()) return json::array{a};
    return a.is_array() ? a.as_array() : json::array{};
  };
  if (const auto* e = o.if_contains("Entrypoint"); e && !e->is_null()) {
    out.push_back("ENTRYPOINT " + json::serialize(array_of_strings(*e)));
  }
  if (const auto* c = o.if_contains("Cmd"); c && !c->is_null()) {
    out.push_back("CMD " + json::serialize(array_of_strings(*c)));
  }
  if (const auto* env = o.if_contains("Env"); env && env->is_array()) {
    for (const auto& e : env->as_array()) {
      if (e.is_string()) out.push_back("ENV " + std::string(e.as_string()));
    }
  }
  if (const auto* l = o.if_contains("Labels"); l && l->is_object()) {
    for (const auto& [k, val] : l->as_object()) {
      if (val.is_string()) out.push_back("LABEL " + std::string(k) + "=" + std::string(val.as_string()));
    }
  }
  if (const auto* u = o.if_contains("User"); u && u->is_string() && !u->as_string().empty()) {
    out.push_back("USER " + std::string(u->as_string()));
  }
  if (const auto* w = o.if_contains("WorkingDir"); w && w->is_string() && !w->as_string().empty()) {
    out.push_back("WORKDIR " + std::string(w->as_string()));
  }
  if (const auto* p = o.if_contains("ExposedPorts"); p && p->is_object()) {
    for (const auto& [k, val] : p->as_object()) out.push_back("EXPOSE " + std::string(k));
  }
  if (const auto* vol = o.if_contains("Volumes"); vol && vol->is_object()) {
    for (const auto& [k, val] : vol->as_object()) out.push_back("VOLUME " + std::string(k));
  }
  if (const auto* s = o.if_contains("StopSignal"); s && s->is_string() && !s->as_string().empty()) {
    out.push_back("STOPSIGNAL " + std::string(s->as_string()));
  }
  return out;
}

// POST /commit?container=&repo=&tag=&comment=&author=&pause=&changes=…
Result<Response> Commit(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ContainerService * cs, ctx.Containers());
  const Query& q = ctx.query;
  CommitOptions o;
  o.container = q.Get("container");
  if (o.container.empty()) return InvalidArgument("No such container: ");
  o.repo = q.Get("repo");
  o.tag = q.Get("tag");
  if (o.repo.empty() && !o.tag.empty()) return InvalidArgument("invalid reference: tag given without a repository");
  o.comment = q.Get("comment");
  o.author = q.Get("author");
  o.pause = q.BoolOr("pause", true);
  BERTH_ASSIGN_OR_RETURN(o.changes, CommitBodyChanges(ctx.req->body));
  for (auto& c : q.GetAll("changes")) {
    if (!c.empty()) o.changes.push_back(std::move(c));
  }
  BERTH_ASSIGN_OR_RETURN(Digest id, cs->Commit(o));
  return JsonResponse(201, json::serialize(json::object{{"Id", id.str()}}));
}

}  // namespace

std::string StreamContentType(const RouteContext& ctx) {
  return ctx.AtLeast("1.42") ? "application/vnd.docker.multiplexed-stream" : "application/vnd.docker.raw-stream";
}

void AddContainerRoutes(Router* r) {
  r->Add("GET", "/containers/json", ListContainers);
  r->Add("POST", "/containers/create", CreateContainer);
  r->Add("POST", "/containers/prune", PruneContainers);
  r->Add("GET", "/containers/{id}/json", InspectContainer);
  r->Add("GET", "/containers/{id}/logs", ContainerLogs);
  r->Add("POST", "/containers/{id}/start", StartContainer);
  r->Add("POST", "/containers/{id}/stop", StopContainer);
  r->Add("POST", "/containers/{id}/kill", KillContainer);
  r->Add("POST", "/containers/{id}/restart", RestartContainer);
  r->Add("POST", "/containers/{id}/wait", WaitContainer);
  r->Add("POST", "/containers/{id}/attach", AttachContainer);
  r->Add("POST", "/containers/{id}/resize", ResizeContainer);
  r->Add("DELETE", "/containers/{id:.*}", RemoveContainer);  // "PARENT/ALIAS" with link=1
  r->Add("POST", "/commit", Commit);
}

}  // namespace berth::api
