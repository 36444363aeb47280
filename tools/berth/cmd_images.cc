// berth images / berth image ls: docker's image table (cli/command/formatter
// image.go semantics: one row per repository:tag, digest-only names as
// <none> tags, dangling images as <none> <none>).
#include <algorithm>
#include <map>

#include "berth/image_filters.h"
#include "berth/reference.h"
#include "berth/time.h"
#include "cli.h"
#include "format.h"

namespace berth::cli {

namespace {

struct ImagesOptions {
  bool quiet = false;
  bool all = false;
  bool no_trunc = false;
  bool digests = false;
  std::string format;
  std::vector<std::string> filters;
  std::vector<std::string> args;
};

const char kUse[] = "[OPTIONS] [REPOSITORY[:TAG]]";

const std::map<std::string, std::string>& ImageHeaders() {
  static const std::map<std::string, std::string> kHeaders = {
      {"Containers", "CONTAINERS"}, {"CreatedAt", "CREATED AT"}, {"CreatedSince", "CREATED"},
      {"Digest", "DIGEST"},         {"ID", "IMAGE ID"},          {"Repository", "REPOSITORY"},
      {"SharedSize", "SHARED SIZE"}, {"Size", "SIZE"},           {"Tag", "TAG"},
      {"UniqueSize", "UNIQUE SIZE"}, {"VirtualSize", "SIZE"},
  };
  return kHeaders;
}

// One table row: an image with the repository, tag and digest it is shown as.
struct ImageRow {
  const ImageSummary* image;
  std::string repo, tag, digest;
};

bool IsDangling(const ImageSummary& img) {
  if (img.repo_tags.empty() && img.repo_digests.empty()) return true;
  return img.repo_tags.size() == 1 && img.repo_tags[0] == "<none>:<none>" && img.repo_digests.size() == 1 &&
         img.repo_digests[0] == "<none>@<none>";
}

// docker's imageFormatTaggedAndDigest; repositories in sorted order (docker
// iterates a Go map, so its order is unspecified).
void AddTaggedRows(const ImageSummary& img, bool need_digest, bool show_digests, std::vector<ImageRow>* rows) {
  std::map<std::string, std::vector<std::string>> repo_tags, repo_digests;
  for (const std::string& s : img.repo_tags) {
    auto ref = ParseNormalizedNamed(s);
    if (ref.ok() && ref->has_tag()) repo_tags[ref->FamiliarName()].push_back(ref->tag);
  }
  for (const std::string& s : img.repo_digests) {
    auto ref = ParseNormalizedNamed(s);
    if (ref.ok() && ref->has_digest()) repo_digests[ref->FamiliarName()].push_back(ref->digest->str());
  }
  for (const auto& [repo, tags] : repo_tags) {
    std::vector<std::string> digests;
    if (auto it = repo_digests.find(repo); it != repo_digests.end()) {
      digests = it->second;
      repo_digests.erase(it);
    }
    if (!need_digest) digests.clear();
    for (const std::string& tag : tags) {
      if (digests.empty()) {
        rows->push_back({&img, repo, tag, "<none>"});
        continue;
      }
      for (const std::string& d : digests) rows->push_back({&img, repo, tag, d});
    }
  }
  for (const auto& [repo, digests] : repo_digests) {
    if (show_digests) {
      for (const std::string& d : digests) rows->push_back({&img, repo, "<none>", d});
    } else {
      rows->push_back({&img, repo, "<none>", ""});
    }
  }
}

std::string RowField(const ImageRow& row, bool trunc, int64_t now_nanos, const std::string& field) {
  const ImageSummary& img = *row.image;
  if (field == "ID") return trunc ? TruncateId(img.id.str()) : img.id.str();
  if (field == "Repository") return row.repo;
  if (field == "Tag") return row.tag;
  if (field == "Digest") return row.digest;
  if (field == "CreatedSince") return HumanDuration(now_nanos - img.created * 1000000000) + " ago";
  if (field == "CreatedAt") return GoTimeString(img.created);
  if (field == "Size") return HumanSizeWithPrecision(static_cast<double>(img.size), 3);
  if (field == "VirtualSize") return HumanSize(static_cast<double>(img.size));
  if (field == "Containers") return img.containers == -1 ? "N/A" : std::to_string(img.containers);
  if (field == "SharedSize") {
    return img.shared_size == -1 ? "N/A" : HumanSize(static_cast<double>(img.shared_size));
  }
  if (field == "UniqueSize") {
    if (img.size == -1 || img.shared_size == -1) return "N/A";
    return HumanSize(static_cast<double>(img.size - img.shared_size));
  }
  return "";
}

// Builds ListOptions from --filter terms with the daemon's validation
// (c8d image_list.go: accepted filters, boolean dangling, label terms,
// timestamps for until).
Result<ListOptions> ListOptionsFromFilters(const FilterArgs& f, bool all) {
  static const std::vector<std::string> kAccepted = {"before", "dangling", "label", "label!",
                                                     "reference", "since", "until"};
  if (auto bad = f.FirstInvalid(kAccepted)) return InvalidArgument("invalid filter '" + *bad + "'");
  ListOptions opts;
  opts.all = all;
  opts.container_count = true;  // berth's own listing counts, as API 1.51 does
  if (f.Contains("dangling")) {
    BERTH_ASSIGN_OR_RETURN(bool dangling, f.GetBool("dangling", false));
    opts.dangling = dangling;
  }
  auto values = [&](const char* k) {
    auto it = f.fields.find(k);
    return it == f.fields.end() ? std::vector<std::string>{} : it->second;
  };
  BERTH_ASSIGN_OR_RETURN(opts.labels, LabelFiltersFrom(f.fields));
  opts.before = values("before");
  opts.since = values("since");
  opts.reference = values("reference");
  BERTH_ASSIGN_OR_RETURN(opts.until_unix_nanos, EarliestUntil(f.fields, WallClockNanos()));
  return opts;
}

int RunImages(const CLI::App* cmd, ImagesOptions& o, Context* ctx) {
  if (!CheckArgs(cmd, ctx, o.args.size(), 0, 1, kUse)) return ctx->exit_code;
  auto filters = ParseFilterFlags(o.filters, "-f, --filter");
  if (!filters.ok()) {
    return FlagError(cmd, filters.status().message());
  }
  if (!o.args.empty()) {
    auto& refs = filters->fields["reference"];
    if (std::find(refs.begin(), refs.end(), o.args[0]) == refs.end()) refs.push_back(o.args[0]);
  }
  auto list_opts = ListOptionsFromFilters(*filters, o.all);
  if (!list_opts.ok()) return PrintError(list_opts.status());

  std::string format = o.format;
  if (format.empty() || format == "table") {
    if (o.quiet) {
      format = "{{.ID}}";
    } else if (o.digests) {
      format = "table {{.Repository}}\\t{{.Tag}}\\t{{.Digest}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}";
    } else {
      format = "table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}";
    }
  } else if (format.rfind("table", 0) == 0 && o.digests && format.find("{{.Digest}}") == std::string::npos) {
    format += "\\t{{.Digest}}";
  }
  RowFormat rf(format, ImageHeaders());
  if (Status s = rf.Parse(); !s.ok()) return PrintError(s);
  const bool need_digest = o.digests || format.find("{{.Digest}}") != std::string::npos;

  auto store = OpenStore(*ctx);
  if (!store.ok()) return PrintError(store.status());
  auto images = (*store)->images()->List(*list_opts);
  if (!images.ok()) return PrintError(images.status());

  std::vector<ImageRow> rows;
  for (const ImageSummary& img : *images) {
    if (IsDangling(img)) {
      rows.push_back({&img, "<none>", "<none>", "<none>"});
    } else {
      AddTaggedRows(img, need_digest, o.digests, &rows);
    }
  }
  const bool trunc = !o.no_trunc;
  const int64_t now = WallClockNanos();
  std::vector<std::function<std::string(const std::string&)>> getters;
  for (const ImageRow& row : rows) {
    getters.push_back([&row, trunc, now](const std::string& f) { return RowField(row, trunc, now, f); });
  }
  auto text = rf.Render(getters);
  if (!text.ok()) return PrintError(text.status());
  if (Status s = WriteStdout(*text); !s.ok()) return PrintError(s);
  return 0;
}

}  // namespace

void AddImagesCommand(CLI::App* parent, const std::string& name, Context* ctx) {
  auto o = std::make_shared<ImagesOptions>();
  CLI::App* cmd = parent->add_subcommand(name, "List images");
  if (name == "ls") cmd->alias("list");
  cmd->fallthrough();
  cmd->add_flag("-q,--quiet", o->quiet, "Only show image IDs");
  cmd->add_flag("-a,--all", o->all, "Show all images (default hides intermediate images)");
  cmd->add_flag("--no-trunc", o->no_trunc, "Don't truncate output");
  cmd->add_flag("--digests", o->digests, "Show digests");
  cmd->add_option("--format", o->format, "Format output using a template: 'table', 'json' or a template");
  cmd->add_option("-f,--filter", o->filters, "Filter output based on conditions provided")
      ->allow_extra_args(false);
  cmd->add_option("args", o->args, "REPOSITORY[:TAG]");
  cmd->callback([cmd, o, ctx] { ctx->exit_code = RunImages(cmd, *o, ctx); });
}

}  // namespace berth::cli
