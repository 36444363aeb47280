// docker exec (Docker's api/server/router/container/exec.go) over the
// ContainerService: create, start (a hijacked multiplexed stream, or
// detached), inspect and resize (refused: no TTY).

#include <boost/json.hpp>

#include "api/attach_stream.h"
#include "api/container_render.h"
#include "api/create_fields.h"
#include "api/exec_fields.h"
#include "api/field_names.h"
#include "api/router.h"
#include "berth/io.h"

namespace berth::api {

namespace json = boost::json;

namespace {

Result<json::object> ParseObject(std::string_view body) {
  bool blank = true;
  for (char ch : body) {
    if (!std::isspace(static_cast<unsigned char>(ch))) blank = false;
  }
  if (blank) return json::object{};
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return InvalidArgument("invalid JSON: " + ec.message());
  if (v.is_null()) return json::object{};
  if (!v.is_object()) return InvalidArgument("invalid JSON: the body must be an object");
  return std::move(v.as_object());
}

Result<std::vector<std::string>> StringList(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return out;
  if (!v->is_array()) return InvalidArgument(std::string(key) + " must be an array of strings");
  for (const auto& item : v->as_array()) {
    if (!item.is_string()) return InvalidArgument(std::string(key) + " must be an array of strings");
    out.emplace_back(item.as_string());
  }
  return out;
}

Result<std::string> StringField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return std::string();
  if (!v->is_string()) return InvalidArgument(std::string(key) + " must be a string");
  return std::string(v->as_string());
}

Result<bool> BoolField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return false;
  if (!v->is_bool()) return InvalidArgument(std::string(key) + " must be a boolean");
  return v->as_bool();
}

// POST /containers/{id}/exec → 201 {"Id"}.
Result<Response> CreateExec(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ContainerService * cs, ctx.Containers());
  BERTH_ASSIGN_OR_RETURN(ExecConfig cfg, ParseExecCreateBody(ctx.req->body));
  BERTH_ASSIGN_OR_RETURN(std::string id, cs->CreateExec(ctx.Var("id"), cfg));
  return JsonResponse(201, json::serialize(json::object{{"Id", id}}));
}

// POST /exec/{id}/start: Detach false hijacks the connection (101 when the
// client asked for an upgrade, else 200) and sends the process's attached
// output as multiplexed frames until it exits; Detach true answers 200 once
// the process runs. What can be refused (unknown instance, already run, the
// container stopped) is refused before the hijack; a failure after it is
// written to the stream, as dockerd does.
Result<Response> StartExec(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ContainerService * cs, ctx.Containers());
  BERTH_ASSIGN_OR_RETURN(ExecStartOptions start, ParseExecStartBody(ctx.req->body));
  const bool detach = start.detach;
  const std::string exec_id = ctx.Var("id");
  BERTH_ASSIGN_OR_RETURN(ExecInfo info, cs->InspectExec(exec_id));
  if (info.running) return Conflict("Error: Exec command " + exec_id + " is already running");
  if (info.exit_code) return Conflict("exec command " + exec_id + " has already run");
  BERTH_ASSIGN_OR_RETURN(ContainerInfo container, cs->Get(info.container_id));
  if (container.record.state != ContainerState::kRunning) {
    return Conflict("container " + info.container_id + " is not running");
  }
  if (detach) {
    BERTH_RETURN_IF_ERROR(cs->StartExec(exec_id, true, {}));
    Response r;
    r.status = 200;
    return r;
  }
  Response r;
  bool upgrade = !ctx.req->Header("Upgrade").empty();
  r.status = upgrade ? 101 : 200;
  r.upgrade_raw = true;
  // As with dockerd, the start's Tty decides the framing (raw, or frames of
  // the process's output even when it has a terminal); the exec's own Tty
  // decides whether it gets one.
  const bool tty = start.tty;
  r.SetHeader("Content-Type", tty ? "application/vnd.docker.raw-stream" : StreamContentType(ctx));
  if (upgrade) {
    r.SetHeader("Connection", "Upgrade");
    r.SetHeader("Upgrade", "tcp");
  }
  const bool send_stdout = info.config.attach_stdout;
  const bool send_stderr = info.config.attach_stderr;
  StdinSource input{ctx.req->read_hijacked, ctx.req->interrupt_hijacked_read};
  // As dockerd, the detach keys (the exec's, else ctrl-p,ctrl-q) are looked
  // for in the input of a process with a terminal; other input is passed on
  // as it is (it may be binary).
  if (info.config.tty && info.config.attach_stdin) {
    BERTH_ASSIGN_OR_RETURN(std::string keys, ParseDetachKeys(info.config.detach_keys));
    input = DetachableInput(std::move(input), std::move(keys));
  }
  if (start.console_rows > 0 && start.console_cols > 0) {
    BERTH_RETURN_IF_ERROR(cs->SetExecConsoleSize(exec_id, start.console_rows, start.console_cols));
  }
  r.stream = [cs, exec_id, send_stdout, send_stderr, tty, input](const WriteFn& write) -> Status {
    BERTH_RETURN_IF_ERROR(write(""));
    Status written = OkStatus();  // the first failed write; later output is dropped
    auto on_output = [&](int stream, std::string_view data) {
      if (!written.ok() || (stream == 1 && !send_stdout) || (stream == 2 && !send_stderr)) return;
      written = write(tty ? std::string(data) : MuxFrame(stream, data));
    };
    Status started = cs->StartExec(exec_id, false, on_output, input);
    if (!started.ok()) on_output(2, started.message() + "\r\n");
    return written;
  };
  return r;
}

// GET /exec/{id}/json
Result<Response> InspectExec(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ContainerService * cs, ctx.Containers());
  BERTH_ASSIGN_OR_RETURN(ExecInfo info, cs->InspectExec(ctx.Var("id")));
  return JsonResponse(200, json::serialize(ExecInspectValue(info)));
}

// POST /exec/{id}/resize?h=&w=: the TTY's window size.
Result<Response> ResizeExec(RouteContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(ContainerService * cs, ctx.Containers());
  BERTH_ASSIGN_OR_RETURN(int rows, ResizeDimension(ctx.query, "h"));
  BERTH_ASSIGN_OR_RETURN(int cols, ResizeDimension(ctx.query, "w"));
  BERTH_RETURN_IF_ERROR(cs->ResizeExec(ctx.Var("id"), rows, cols));
  Response r;
  r.status = 200;
  return r;
}

}  // namespace

Result<ExecConfig> ParseExecCreateBody(std::string_view body) {
  BERTH_ASSIGN_OR_RETURN(json::object o, ParseObject(body));
  MatchFieldNames(&o, kExecCreateRequest);
  BERTH_RETURN_IF_ERROR(RefuseUnsupportedFields(o,
                                                {"AttachStderr", "AttachStdin", "AttachStdout", "Cmd", "ConsoleSize",
                                                 "DetachKeys", "Env", "Privileged", "Tty", "User", "WorkingDir",
                                                 // Sent by clients, ignored by dockerd at create: Detach is decided at
                                                 // start, Container by the path.
                                                 "Container", "Detach"},
                                                ""));
  ExecConfig cfg;
  BERTH_ASSIGN_OR_RETURN(cfg.cmd, StringList(o, "Cmd"));
  if (cfg.cmd.empty()) return InvalidArgument("No exec command specified");
  BERTH_ASSIGN_OR_RETURN(cfg.env, StringList(o, "Env"));
  BERTH_ASSIGN_OR_RETURN(cfg.user, StringField(o, "User"));
  BERTH_ASSIGN_OR_RETURN(cfg.working_dir, StringField(o, "WorkingDir"));
  BERTH_ASSIGN_OR_RETURN(cfg.detach_keys, StringField(o, "DetachKeys"));
  if (!ParseDetachKeys(cfg.detach_keys).ok()) {
    return InvalidArgument("Invalid escape keys (" + cfg.detach_keys + ") provided");  // dockerd's text for an exec
  }
  BERTH_ASSIGN_OR_RETURN(cfg.attach_stdin, BoolField(o, "AttachStdin"));
  BERTH_ASSIGN_OR_RETURN(cfg.tty, BoolField(o, "Tty"));
  BERTH_RETURN_IF_ERROR(ParseConsoleSize(o, &cfg.console_rows, &cfg.console_cols));
  BERTH_ASSIGN_OR_RETURN(cfg.attach_stdout, BoolField(o, "AttachStdout"));
  BERTH_ASSIGN_OR_RETURN(cfg.attach_stderr, BoolField(o, "AttachStderr"));
  BERTH_ASSIGN_OR_RETURN(cfg.privileged, BoolField(o, "Privileged"));
  return cfg;
}

Result<ExecStartOptions> ParseExecStartBody(std::string_view body) {
  BERTH_ASSIGN_OR_RETURN(json::object o, ParseObject(body));
  MatchFieldNames(&o, kExecStartRequest);
  BERTH_RETURN_IF_ERROR(RefuseUnsupportedFields(o, {"Detach", "Tty", "ConsoleSize"}, ""));
  ExecStartOptions out;
  BERTH_ASSIGN_OR_RETURN(out.detach, BoolField(o, "Detach"));
  BERTH_ASSIGN_OR_RETURN(out.tty, BoolField(o, "Tty"));
  BERTH_RETURN_IF_ERROR(ParseConsoleSize(o, &out.console_rows, &out.console_cols));
  return out;
}

json::object ExecInspectValue(const ExecInfo& info) {
  json::array arguments;
  for (size_t i = 1; i < info.config.cmd.size(); ++i) arguments.emplace_back(json::string(info.config.cmd[i]));
  json::object process;
  process["tty"] = info.config.tty;
  process["entrypoint"] = info.config.cmd.empty() ? std::string() : info.config.cmd[0];
  process["arguments"] = std::move(arguments);
  process["privileged"] = info.config.privileged;
  process["user"] = info.config.user;
  json::object o;
  o["CanRemove"] = false;
  o["ContainerID"] = info.container_id;
  o["DetachKeys"] = info.config.detach_keys;
  o["ExitCode"] = info.exit_code ? json::value(*info.exit_code) : json::value(nullptr);
  o["ID"] = info.id;
  o["OpenStderr"] = info.config.attach_stderr;
  o["OpenStdin"] = info.config.attach_stdin;
  o["OpenStdout"] = info.config.attach_stdout;
  o["ProcessConfig"] = std::move(process);
  o["Running"] = info.running;
  o["Pid"] = info.pid;
  return o;
}

void AddExecRoutes(Router* r) {
  r->Add("POST", "/containers/{id}/exec", CreateExec);
  r->Add("POST", "/exec/{id}/start", StartExec);
  r->Add("GET", "/exec/{id}/json", InspectExec);
  r->Add("POST", "/exec/{id}/resize", ResizeExec);
}

}  // namespace berth::api
