// berth inspect / berth image inspect (docker image inspect's JSON, API 1.50
// shape, indented by 4 spaces) and berth history (docker history's table).
#include <cstdio>
#include <functional>
#include <map>

#include <boost/json.hpp>

#include "berth/oci.h"
#include "berth/time.h"
#include "cli.h"
#include "format.h"

namespace berth::cli {

namespace {

namespace json = boost::json;

// Serialises a parsed JSON value compactly, strings escaped as Go's encoder
// with SetEscapeHTML(false) does.
std::string Compact(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      return JsonString(std::string_view(v.get_string().data(), v.get_string().size()), false);
    case json::kind::array: {
      std::string out = "[";
      for (const json::value& e : v.get_array()) {
        if (out.size() > 1) out += ",";
        out += Compact(e);
      }
      return out + "]";
    }
    case json::kind::object: {
      std::string out = "{";
      for (const auto& kv : v.get_object()) {
        if (out.size() > 1) out += ",";
        out += JsonString(std::string_view(kv.key().data(), kv.key().size()), false) + ":" + Compact(kv.value());
      }
      return out + "}";
    }
    default:
      return json::serialize(v);
  }
}

// Go's omitempty: false, 0, "", null, empty array or object.
bool IsEmpty(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return true;
    case json::kind::bool_:
      return !v.get_bool();
    case json::kind::int64:
      return v.get_int64() == 0;
    case json::kind::uint64:
      return v.get_uint64() == 0;
    case json::kind::double_:
      return v.get_double() == 0;
    case json::kind::string:
      return v.get_string().empty();
    case json::kind::array:
      return v.get_array().empty();
    case json::kind::object:
      return v.get_object().empty();
  }
  return false;
}

// Re-emits `obj` with the fields of `order` that are present and non-empty,
// in that order, as Go marshals a struct of omitempty fields.
std::string OrderedObject(const json::object& obj, const std::vector<std::string>& order,
                          const std::function<std::string(const std::string&, const json::value&)>& render) {
  std::string out = "{";
  for (const std::string& key : order) {
    auto it = obj.find(key);
    if (it == obj.end() || IsEmpty(it->value())) continue;
    if (out.size() > 1) out += ",";
    out += JsonString(key, false) + ":" + render(key, it->value());
  }
  return out + "}";
}

// The image config's "config" object as docker renders a
// DockerOCIImageConfig.
std::string ConfigJson(const std::string& raw) {
  boost::system::error_code ec;
  json::value v = json::parse(raw.empty() ? std::string("null") : raw, ec);
  if (ec || !v.is_object()) return "{}";
  static const std::vector<std::string> kOrder = {
      "User",       "ExposedPorts", "Env",         "Entrypoint",  "Cmd",     "Volumes", "WorkingDir",
      "Labels",     "StopSignal",   "ArgsEscaped", "Healthcheck", "OnBuild", "Shell"};
  return OrderedObject(v.get_object(), kOrder, [](const std::string& key, const json::value& val) {
    if ((key == "ExposedPorts" || key == "Volumes") && val.is_object()) {
      // map[string]struct{}: every value is {}.
      std::string out = "{";
      for (const auto& kv : val.get_object()) {
        if (out.size() > 1) out += ",";
        out += JsonString(std::string_view(kv.key().data(), kv.key().size()), false) + ":{}";
      }
      return out + "}";
    }
    if (key == "Healthcheck" && val.is_object()) {
      static const std::vector<std::string> kHealth = {"Test",        "Interval",      "Timeout",
                                                       "StartPeriod", "StartInterval", "Retries"};
      return OrderedObject(val.get_object(), kHealth,
                           [](const std::string&, const json::value& x) { return Compact(x); });
    }
    return Compact(val);
  });
}

std::string StringArray(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const std::string& s : items) {
    if (out.size() > 1) out += ",";
    out += JsonString(s, false);
  }
  return out + "]";
}

// docker's image.InspectResponse (API 1.50) as compact JSON.
std::string InspectJson(const ImageInspect& ii) {
  auto field = [](const char* name, const std::string& value) {
    return JsonString(name, false) + ":" + value + ",";
  };
  auto str = [](const std::string& s) { return JsonString(s, false); };
  std::string out = "{";
  out += field("Id", str(ii.id.str()));
  out += field("RepoTags", StringArray(ii.repo_tags));
  out += field("RepoDigests", StringArray(ii.repo_digests));
  out += field("Parent", str(ii.parent));
  out += field("Comment", str(ii.comment));
  if (!ii.created.empty()) out += field("Created", str(ii.created));
  out += field("DockerVersion", str(""));
  out += field("Author", str(ii.author));
  out += field("Config", ConfigJson(ii.config_json));
  out += field("Architecture", str(ii.platform.architecture));
  if (!ii.platform.variant.empty()) out += field("Variant", str(ii.platform.variant));
  out += field("Os", str(ii.platform.os));
  if (!ii.platform.os_version.empty()) out += field("OsVersion", str(ii.platform.os_version));
  out += field("Size", std::to_string(ii.size));
  out += field("GraphDriver", "{\"Data\":null,\"Name\":\"overlayfs\"}");
  std::vector<std::string> layers;
  for (const Digest& d : ii.diff_ids) layers.push_back(d.str());
  out += field("RootFS", layers.empty() ? "{\"Type\":\"layers\"}"
                                        : "{\"Type\":\"layers\",\"Layers\":" + StringArray(layers) + "}");
  out += field("Metadata", "{\"LastTagTime\":" + str(ii.last_tag_time) + "}");
  out += JsonString("Descriptor", false) + ":" + DescriptorToJson(ii.descriptor);
  return out + "}";
}

struct InspectFlags {
  std::string format;
  std::string platform;
  std::vector<std::string> args;
};

int RunInspect(const CLI::App* cmd, InspectFlags& o, Context* ctx) {
  if (!CheckArgs(cmd, ctx, o.args.size(), 1, kUnlimited, "[OPTIONS] IMAGE [IMAGE...]")) return ctx->exit_code;
  if (!o.format.empty() && o.format != "json") {
    PrintError("template parsing error: only the \"json\" format is supported");
    return 64;
  }
  Result<std::optional<Platform>> platform = ParsePlatformFlag(o.platform);
  if (!platform.ok()) return PrintError(platform.status());
  auto store = OpenStore(*ctx);
  if (!store.ok()) return PrintError(store.status());
  std::vector<std::string> elements, errors;
  for (const std::string& ref : o.args) {
    auto ii = (*store)->images()->Inspect(ref, *platform, false);
    if (!ii.ok()) {
      // The docker client reports a 404 as "Error: No such image: <ref>".
      errors.push_back(ii.status().code() == Code::kNotFound ? "Error: No such image: " + ref
                                                              : "Error: " + ii.status().message());
      continue;
    }
    elements.push_back(InspectJson(*ii));
  }
  std::string joined = "[";
  for (size_t i = 0; i < elements.size(); ++i) joined += (i ? "," : "") + elements[i];
  joined += "]";
  std::string out = elements.empty() ? "[]" : o.format == "json" ? joined : JsonIndent(joined, "    ");
  if (Status s = WriteStdout(out + "\n"); !s.ok()) return PrintError(s);
  if (errors.empty()) return 0;
  std::string msg;
  for (const std::string& e : errors) msg += e + "\n";
  std::fputs(msg.c_str(), stderr);
  return 1;
}

struct HistoryFlags {
  bool human = true;
  bool no_trunc = false;
  bool quiet = false;
  std::string format;
  std::string platform;
  std::vector<std::string> args;
};

std::string HistoryField(const HistoryItem& h, bool trunc, bool human, int64_t now, const std::string& f) {
  if (f == "ID") return trunc ? TruncateId(h.id) : h.id;
  if (f == "CreatedAt") return GoRfc3339(h.created);
  if (f == "CreatedSince") {
    if (!human) return GoRfc3339(h.created);
    if (h.created <= 946684800) return "";  // before 2000-01-01: not shown
    return HumanDuration(now - h.created * 1000000000) + " ago";
  }
  if (f == "CreatedBy") {
    std::string by = h.created_by;
    for (char& c : by) {
      if (c == '\t') c = ' ';
    }
    return trunc ? Ellipsis(by, 45) : by;
  }
  if (f == "Size") return human ? HumanSizeWithPrecision(static_cast<double>(h.size), 3) : std::to_string(h.size);
  if (f == "Comment") return h.comment;
  return "";
}

int RunHistory(const CLI::App* cmd, HistoryFlags& o, Context* ctx) {
  if (!CheckArgs(cmd, ctx, o.args.size(), 1, 1, "[OPTIONS] IMAGE")) return ctx->exit_code;
  std::string format = o.format;
  if (format.empty() || format == "table") {
    if (o.quiet) {
      format = "{{.ID}}";
    } else if (!o.human) {
      format = "table {{.ID}}\\t{{.CreatedAt}}\\t{{.CreatedBy}}\\t{{.Size}}\\t{{.Comment}}";
    } else {
      format = "table {{.ID}}\\t{{.CreatedSince}}\\t{{.CreatedBy}}\\t{{.Size}}\\t{{.Comment}}";
    }
  }
  static const std::map<std::string, std::string> kHeaders = {
      {"Comment", "COMMENT"},      {"CreatedAt", "CREATED AT"}, {"CreatedBy", "CREATED BY"},
      {"CreatedSince", "CREATED"}, {"ID", "IMAGE"},             {"Size", "SIZE"}};
  RowFormat rf(format, kHeaders);
  if (Status s = rf.Parse(); !s.ok()) return PrintError(s);
  Result<std::optional<Platform>> platform = ParsePlatformFlag(o.platform);
  if (!platform.ok()) return PrintError(platform.status());
  auto store = OpenStore(*ctx);
  if (!store.ok()) return PrintError(store.status());
  auto items = (*store)->images()->History(o.args[0], *platform);
  if (!items.ok()) return PrintError(items.status());
  const bool trunc = !o.no_trunc, human = o.human;
  const int64_t now = WallClockNanos();
  std::vector<std::function<std::string(const std::string&)>> rows;
  for (const HistoryItem& h : *items) {
    rows.push_back([&h, trunc, human, now](const std::string& f) { return HistoryField(h, trunc, human, now, f); });
  }
  auto text = rf.Render(rows);
  if (!text.ok()) return PrintError(text.status());
  if (Status s = WriteStdout(*text); !s.ok()) return PrintError(s);
  return 0;
}

}  // namespace

void AddInspectCommand(CLI::App* parent, const std::string& name, Context* ctx) {
  auto o = std::make_shared<InspectFlags>();
  CLI::App* cmd = parent->add_subcommand(name, "Display detailed information on one or more images");
  cmd->fallthrough();
  cmd->add_option("-f,--format", o->format, "Format output: \"json\" (compact) or indented by default");
  cmd->add_option("--platform", o->platform, "Inspect a specific platform of a multi-platform image");
  cmd->add_option("args", o->args, "IMAGE");
  cmd->callback([cmd, o, ctx] { ctx->exit_code = RunInspect(cmd, *o, ctx); });
}

void AddHistoryCommand(CLI::App* parent, const std::string& name, Context* ctx) {
  auto o = std::make_shared<HistoryFlags>();
  CLI::App* cmd = parent->add_subcommand(name, "Show the history of an image");
  cmd->fallthrough();
  cmd->add_flag("-H,--human", o->human, "Print sizes and dates in human readable format (default true)");
  cmd->add_flag("--no-trunc", o->no_trunc, "Don't truncate output");
  cmd->add_flag("-q,--quiet", o->quiet, "Only show image IDs");
  cmd->add_option("--format", o->format, "Format output using a template: 'table', 'json' or a template");
  cmd->add_option("--platform", o->platform, "Show history for the given platform (\"os[/arch[/variant]]\")");
  cmd->add_option("args", o->args, "IMAGE");
  cmd->callback([cmd, o, ctx] { ctx->exit_code = RunHistory(cmd, *o, ctx); });
}

}  // namespace berth::cli
