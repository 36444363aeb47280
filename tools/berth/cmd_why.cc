// berth why IMAGE|DIGEST: what keeps an image or a blob (ImageService::Why),
// as readable text or, with --format json, the JSON of
// GET /berth/v1/images/{name}/why (see src/api/why_routes.cc).
#include <boost/json.hpp>

#include "api/render.h"
#include "berth/oci.h"
#include "berth/platform.h"
#include "cli.h"
#include "format.h"

namespace berth::cli {

namespace {

std::string Plural(size_t n, const std::string& one) { return std::to_string(n) + " " + one + (n == 1 ? "" : "s"); }

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// "index sha256:…", "manifest sha256:… (linux/amd64)", "layer sha256:…".
std::string Kind(const std::string& media_type) {
  if (IsIndexType(media_type)) return "index";
  if (IsManifestType(media_type)) return "manifest";
  if (media_type.find("config") != std::string::npos) return "config";
  if (media_type.find("layer") != std::string::npos) return "layer";
  return "blob";
}

std::string DescribeBlob(const Descriptor& d) {
  std::string out = Kind(d.media_type) + " " + d.digest.str();
  if (d.platform) out += " (" + FormatPlatform(*d.platform) + ")";
  return out;
}

std::string ContainerLine(const WhyContainer& c) {
  std::string line = "  " + TruncateId(c.id) + " " + c.name + " (" + c.state + ", created from " + c.image_ref;
  if (c.platform) line += ", runs " + FormatPlatform(*c.platform);
  if (!c.manifest.empty()) line += ", keeps manifest " + c.manifest.str();
  return line + ")\n";
}

// A section: "Title: none" or "Title:" followed by its lines.
std::string Section(const std::string& title, const std::vector<std::string>& lines) {
  if (lines.empty()) return title + ": none\n";
  std::string out = title + ":\n";
  for (const auto& l : lines) out += l;
  return out;
}

std::string PreviewText(const std::string& command, const RemovalPreview& p) {
  std::string out = command + ":\n";
  if (p.refused) return out + "  refused: " + p.error + "\n";
  for (const auto& item : p.items) {
    out += item.deleted.empty() ? "  Untagged: " + item.untagged + "\n" : "  Deleted: " + item.deleted + "\n";
  }
  if (p.freed.empty()) return out + "  frees nothing: every blob stays referenced\n";
  return out + "  frees " + Plural(p.freed.size(), "blob") + ", " + HumanSize(static_cast<double>(p.freed_bytes)) +
         "\n";
}

std::string ImageText(const ImageWhy& w) {
  std::string out = "Image " + w.id.str() + "\n";
  out += "Names: " + (w.names.empty() ? std::string("none") : Joined(w.names)) + "\n";
  if (w.dangling) out += "Kept as a dangling image (moby-dangling@" + w.id.str() + ")\n";
  out += "Parent: " + (w.parent.empty() ? std::string("none") : w.parent) + "\n";
  std::vector<std::string> children, containers, mounts, leases;
  for (const auto& c : w.children) {
    children.push_back("  " + c.id.str() + (c.names.empty() ? "" : " (" + Joined(c.names) + ")") + "\n");
  }
  for (const auto& c : w.containers) containers.push_back(ContainerLine(c));
  for (const auto& c : w.mounted_by) mounts.push_back(ContainerLine(c));
  for (const auto& l : w.leases) {
    std::string expires = l.expires_unix_nanos == 0 ? "never expires"
                                                    : "expires " + GoRfc3339(l.expires_unix_nanos / 1000000000);
    leases.push_back("  " + l.id + " (" + expires + "): " + Plural(l.blobs.size(), "blob") + "\n");
  }
  out += Section("Children", children);
  out += Section("Containers created from it", containers);
  out += Section("Containers mounting it", mounts);
  out += Section("Leases holding its blobs", leases);
  if (!w.ingest_held.empty()) out += "Held by an ingest in progress: " + Plural(w.ingest_held.size(), "blob") + "\n";
  out += "Content: " + Plural(static_cast<size_t>(w.blobs), "blob") + ", " +
         HumanSize(static_cast<double>(w.size)) + "\n\n";
  out += PreviewText("docker rmi " + w.reference, w.remove);
  out += PreviewText("docker rmi -f " + w.reference, w.force_remove);
  return out;
}

std::string BlobText(const BlobWhy& w) {
  std::string out = "Blob " + w.digest.str() + "\n";
  if (w.registered) {
    out += "Type: " + w.media_type + ", " + HumanSize(static_cast<double>(w.size)) + ", " +
           Plural(static_cast<size_t>(w.refs), "reference") + "\n";
  } else {
    out += "Not registered: a file no ingest finished (berth gc deletes it)\n";
  }
  out += std::string("File: ") + (w.present ? "present" : "absent") + "\n";
  if (w.ingest_held) out += "Held by an ingest in progress\n";
  std::vector<std::string> lines;
  for (const auto& h : w.holders) {
    std::string line = "  " + std::string(RootKindName(h.kind)) + " " + h.id;
    if (!h.names.empty()) line += " (" + Joined(h.names) + ")";
    if (h.via.empty()) {
      line += ": names it directly";
    } else {
      line += " via ";
      for (size_t i = 0; i < h.via.size(); ++i) line += (i ? " -> " : "") + DescribeBlob(h.via[i]);
    }
    lines.push_back(line + "\n");
  }
  if (lines.empty() && w.registered) {
    return out + (w.present ? "Held by: nothing (the next removal or berth gc deletes it)\n"
                            : "Held by: nothing (its file is deleted; the record stays for a blob that comes back)\n");
  }
  return out + Section("Held by", lines);
}

struct WhyFlags {
  std::string format;
  std::vector<std::string> args;
};

int RunWhy(const CLI::App* cmd, WhyFlags& o, Context* ctx) {
  if (!CheckArgs(cmd, ctx, o.args.size(), 1, 1, "[OPTIONS] IMAGE|DIGEST")) return ctx->exit_code;
  if (!o.format.empty() && o.format != "json") {
    return FlagError(cmd, "invalid argument \"" + o.format + "\" for \"--format\" flag: only \"json\" is supported");
  }
  auto store = OpenStore(*ctx);
  if (!store.ok()) return PrintError(store.status());
  auto report = (*store)->images()->Why(o.args[0]);
  if (!report.ok()) return PrintError(report.status());
  std::string out;
  if (o.format == "json") {
    out = boost::json::serialize(api::WhyReportValue(*report)) + "\n";
  } else {
    out = report->image ? ImageText(*report->image) : BlobText(*report->blob);
  }
  if (Status s = WriteStdout(out); !s.ok()) return PrintError(s);
  return 0;
}

}  // namespace

void AddWhyCommand(CLI::App* parent, const std::string& name, Context* ctx) {
  auto o = std::make_shared<WhyFlags>();
  CLI::App* cmd = parent->add_subcommand(name, "Explain what keeps an image or a blob, and what removing it frees");
  cmd->fallthrough();
  cmd->add_option("--format", o->format, "\"json\": the daemon's /berth/v1/images/{name}/why answer");
  cmd->add_option("args", o->args, "IMAGE|DIGEST");
  cmd->callback([cmd, o, ctx] { ctx->exit_code = RunWhy(cmd, *o, ctx); });
}

}  // namespace berth::cli
