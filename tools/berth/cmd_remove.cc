// berth tag, berth rmi, berth image prune and berth gc.
#include <algorithm>
#include <cstdio>
#include <unistd.h>

#include "berth/container_service.h"
#include "berth/image_filters.h"
#include "berth/reference.h"
#include "berth/time.h"
#include "cli.h"
#include "format.h"

namespace berth::cli {

namespace {

// ---- tag ----

struct TagFlags {
  std::vector<std::string> args;
};

int RunTag(const CLI::App* cmd, TagFlags& o, Context* ctx) {
  if (!CheckArgs(cmd, ctx, o.args.size(), 2, 2, "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]")) return ctx->exit_code;
  const std::string& source = o.args[0];
  const std::string& target = o.args[1];
  // The docker client's own checks (client/image_tag.go).
  if (auto r = ParseAnyReference(source); !r.ok()) {
    return PrintError("Error parsing reference: \"" + source + "\" is not a valid repository/tag: " +
                      r.status().message());
  }
  auto ref = ParseNormalizedNamed(target);
  if (!ref.ok()) {
    return PrintError("Error parsing reference: \"" + target + "\" is not a valid repository/tag: " +
                      ref.status().message());
  }
  if (ref->has_digest()) return PrintError("refusing to create a tag with a digest reference");
  auto store = OpenStore(*ctx);
  if (!store.ok()) return PrintError(store.status());
  if (Status s = (*store)->images()->Tag(source, target); !s.ok()) return PrintError(s);
  return 0;
}

// ---- rmi ----

struct RemoveFlags {
  bool force = false;
  bool no_prune = false;
  std::vector<std::string> platforms;
  std::vector<std::string> args;
};

std::string FormatItems(const std::vector<DeleteResponseItem>& items, const char* untagged, const char* deleted) {
  std::string out;
  for (const DeleteResponseItem& item : items) {
    out += item.deleted.empty() ? std::string(untagged) + item.untagged + "\n"
                                : std::string(deleted) + item.deleted + "\n";
  }
  return out;
}

int RunRemove(const CLI::App* cmd, RemoveFlags& o, Context* ctx) {
  if (!CheckArgs(cmd, ctx, o.args.size(), 1, kUnlimited, "[OPTIONS] IMAGE [IMAGE...]")) return ctx->exit_code;
  RemoveOptions opts;
  opts.force = o.force;
  opts.prune = !o.no_prune;
  auto platforms = ParsePlatforms(o.platforms);
  if (!platforms.ok()) return PrintError(platforms.status());
  opts.platforms = std::move(*platforms);
  auto store = OpenStore(*ctx);
  if (!store.ok()) return PrintError(store.status());
  std::vector<std::string> errors;
  bool fatal = false;
  for (const std::string& ref : o.args) {
    auto items = (*store)->images()->Remove(ref, opts);
    if (!items.ok()) {
      if (items.status().code() != Code::kNotFound) fatal = true;
      errors.push_back(items.status().message());
      continue;
    }
    if (Status s = WriteStdout(FormatItems(*items, "Untagged: ", "Deleted: ")); !s.ok()) return PrintError(s);
  }
  for (const std::string& e : errors) PrintError(e);
  // docker rmi: with --force, "No such image" alone does not fail.
  if (!errors.empty() && (!o.force || fatal)) return 1;
  return 0;
}

// ---- image prune ----

struct PruneFlags {
  bool all = false;
  bool force = false;
  bool dry_run = false;
  std::vector<std::string> filters;
  std::vector<std::string> args;
};

// PromptForConfirmation: true only for an answer of "y" or "Y".
bool Confirm(const std::string& message) {
  WriteStdout(message + " [y/N] ").IgnoreError();
  std::string line;
  char c;
  while (::read(0, &c, 1) == 1 && c != '\n') line.push_back(c);
  size_t b = line.find_first_not_of(" \t\r");
  size_t e = line.find_last_not_of(" \t\r");
  std::string answer = b == std::string::npos ? "" : line.substr(b, e - b + 1);
  return answer == "y" || answer == "Y";
}

int RunPrune(const CLI::App* cmd, PruneFlags& o, Context* ctx) {
  if (!CheckArgs(cmd, ctx, o.args.size(), 0, 0, "[OPTIONS]")) return ctx->exit_code;
  auto filters = ParseFilterFlags(o.filters, "--filter");
  if (!filters.ok()) return FlagError(cmd, filters.status().message());
  // The docker CLI always sends dangling=<!all>.
  auto& dangling = filters->fields["dangling"];
  std::string value = o.all ? "false" : "true";
  if (std::find(dangling.begin(), dangling.end(), value) == dangling.end()) {
    dangling.push_back(value);
    std::sort(dangling.begin(), dangling.end());
  }
  if (!o.force && !o.dry_run) {  // a dry run removes nothing: no question
    const std::string warning =
        o.all ? "WARNING! This will remove all images without at least one container associated to them.\n"
                "Are you sure you want to continue?"
              : "WARNING! This will remove all dangling images.\nAre you sure you want to continue?";
    if (!Confirm(warning)) return 0;  // cancelled: docker exits 0 silently
  }
  auto opts = PruneOptionsFromFilters(
      filters->fields, [&] { return filters->GetBool("dangling", true); }, WallClockNanos());
  if (!opts.ok()) return PrintError(opts.status());
  opts->dry_run = o.dry_run;
  auto store = OpenStore(*ctx);
  if (!store.ok()) return PrintError(store.status());
  auto report = (*store)->images()->Prune(*opts);
  if (!report.ok()) return PrintError(report.status());
  std::string out;
  if (!report->deleted.empty()) {
    out = "Deleted Images:\n" + FormatItems(report->deleted, "untagged: ", "deleted: ") + "\n";
  }
  out += "Total reclaimed space: " + HumanSize(static_cast<double>(report->space_reclaimed)) + "\n";
  if (Status s = WriteStdout(out); !s.ok()) return PrintError(s);
  return 0;
}

// ---- gc ----

struct GcFlags {
  std::vector<std::string> args;
};

int RunGc(const CLI::App* cmd, GcFlags& o, Context* ctx) {
  if (!CheckArgs(cmd, ctx, o.args.size(), 0, 0, "")) return ctx->exit_code;
  auto store = OpenStore(*ctx);
  if (!store.ok()) return PrintError(store.status());
  auto report = (*store)->images()->CollectGarbage();
  if (!report.ok()) return PrintError(report.status());
  // Unpacked layers (snapshots) that no image and no container needs. The
  // container service reconciles container records with runc on open, so
  // the containers' needs are current; it is shut down again at once
  // (containers keep running).
  auto containers = ContainerService::Open(store->get(), ContainerServiceOptions{});
  if (!containers.ok()) return PrintError(containers.status());
  auto swept = (*containers)->SweepSnapshots();
  (*containers)->Shutdown();
  if (!swept.ok()) return PrintError(swept.status());
  std::string out = "Deleted blobs: " + std::to_string(report->blobs) + "\n" +
                    "Deleted snapshots: " + std::to_string(*swept) + "\n" +
                    "Total reclaimed space: " + HumanSize(static_cast<double>(report->bytes)) + "\n";
  if (Status s = WriteStdout(out); !s.ok()) return PrintError(s);
  return 0;
}

}  // namespace

void AddTagCommand(CLI::App* parent, const std::string& name, Context* ctx) {
  auto o = std::make_shared<TagFlags>();
  CLI::App* cmd = parent->add_subcommand(name, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE");
  cmd->fallthrough();
  cmd->add_option("args", o->args, "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]");
  cmd->callback([cmd, o, ctx] { ctx->exit_code = RunTag(cmd, *o, ctx); });
}

void AddRemoveCommand(CLI::App* parent, const std::string& name, Context* ctx) {
  auto o = std::make_shared<RemoveFlags>();
  CLI::App* cmd = parent->add_subcommand(name, "Remove one or more images");
  if (name == "rm") cmd->alias("remove");
  cmd->fallthrough();
  cmd->add_flag("-f,--force", o->force, "Force removal of the image");
  cmd->add_flag("--no-prune", o->no_prune, "Do not delete untagged parents");
  cmd->add_option("--platform", o->platforms,
                  "Remove only the given platform variant(s), comma-separated \"os[/arch[/variant]]\"")
      ->allow_extra_args(false);
  cmd->add_option("args", o->args, "IMAGE");
  cmd->callback([cmd, o, ctx] { ctx->exit_code = RunRemove(cmd, *o, ctx); });
}

void AddPruneCommand(CLI::App* parent, const std::string& name, Context* ctx) {
  auto o = std::make_shared<PruneFlags>();
  CLI::App* cmd = parent->add_subcommand(name, "Remove unused images");
  cmd->fallthrough();
  cmd->add_flag("-a,--all", o->all, "Remove all unused images, not just dangling ones");
  cmd->add_flag("-f,--force", o->force, "Do not prompt for confirmation");
  cmd->add_flag("--dry-run", o->dry_run, "Print the report the prune would give, and remove nothing");
  cmd->add_option("--filter", o->filters, "Provide filter values (e.g. \"until=<timestamp>\")")
      ->allow_extra_args(false);
  cmd->add_option("args", o->args);
  cmd->callback([cmd, o, ctx] { ctx->exit_code = RunPrune(cmd, *o, ctx); });
}

void AddGcCommand(CLI::App* parent, const std::string& name, Context* ctx) {
  auto o = std::make_shared<GcFlags>();
  CLI::App* cmd = parent->add_subcommand(name, "Delete every blob no image, container or lease references");
  cmd->fallthrough();
  cmd->add_option("args", o->args);
  cmd->callback([cmd, o, ctx] { ctx->exit_code = RunGc(cmd, *o, ctx); });
}

}  // namespace berth::cli
