// berth: the offline admin CLI of a berth data root. Commands and output
// follow the docker CLI 28.2 (see docs/cli.md).
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>
#include <set>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "cli.h"
#include "format.h"

namespace berth::cli {

Result<std::unique_ptr<Store>> OpenStore(const Context& ctx) {
  StoreOptions opts;
  opts.root = ctx.data_root.empty() ? DefaultDataRoot() : ctx.data_root;
  opts.take_lock = true;
  return Store::Open(opts);
}

namespace {

Status WriteFd(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(fd == 1 ? "write /dev/stdout" : "write", errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return OkStatus();
}

}  // namespace

Status WriteStdout(std::string_view data) { return WriteFd(1, data); }

int PrintError(const std::string& message) {
  WriteFd(2, "Error: " + message + "\n").IgnoreError();
  return 1;
}

int FlagError(const CLI::App* cmd, const std::string& message) {
  WriteFd(2, message + "\nSee '" + CommandPath(cmd) + " --help'.\n").IgnoreError();
  return 125;
}

std::string CommandPath(const CLI::App* cmd) {
  std::vector<std::string> names;
  for (const CLI::App* c = cmd; c != nullptr; c = c->get_parent()) names.push_back(c->get_name());
  std::string path;
  for (auto it = names.rbegin(); it != names.rend(); ++it) {
    if (!path.empty()) path += " ";
    path += *it;
  }
  return path;
}

bool CheckArgs(const CLI::App* cmd, Context* ctx, size_t n, size_t min, size_t max, const std::string& use) {
  if (n >= min && n <= max) return true;
  const std::string path = CommandPath(cmd);
  auto plural = [](size_t k) { return k == 1 ? std::string("argument") : std::string("arguments"); };
  std::string what;
  std::string tail = "Run '" + path + " --help' for more information";
  if (max == 0) {
    what = "accepts no arguments";
  } else if (min == max) {
    what = "requires " + std::to_string(min) + " " + plural(min);
  } else if (max == kUnlimited) {
    what = "requires at least " + std::to_string(min) + " " + plural(min);
    tail = "See '" + path + " --help' for more information";
  } else if (min == 0) {
    what = "requires at most " + std::to_string(max) + " " + plural(max);
  } else {
    what = "requires at least " + std::to_string(min) + " and at most " + std::to_string(max) + " " +
           plural(max);
  }
  std::string root = path.substr(0, path.find(' '));
  WriteFd(2, root + ": '" + path + "' " + what + "\n\nUsage:  " + path + " " + use + "\n\n" + tail + "\n")
      .IgnoreError();
  ctx->exit_code = 1;
  return false;
}

Result<std::vector<Platform>> ParsePlatforms(const std::vector<std::string>& values) {
  std::vector<Platform> out;
  for (const std::string& v : values) {
    size_t start = 0;
    while (start <= v.size()) {
      size_t comma = v.find(',', start);
      std::string one = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!one.empty()) {
        BERTH_ASSIGN_OR_RETURN(Platform p, ParsePlatform(one));
        if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(std::move(p));
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

Result<std::optional<Platform>> ParsePlatformFlag(const std::string& value) {
  if (value.empty()) return std::optional<Platform>();
  Result<Platform> p = ParsePlatform(value);
  if (!p.ok()) return InvalidArgument("invalid platform: " + p.status().message());
  return std::optional<Platform>(std::move(*p));
}

namespace {

std::string TrimSpace(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace

Result<FilterArgs> ParseFilterFlags(const std::vector<std::string>& terms, const std::string& flag) {
  FilterArgs args;
  std::map<std::string, std::set<std::string>> sets;
  for (const std::string& term : terms) {
    if (term.empty()) continue;
    size_t eq = term.find('=');
    if (eq == std::string::npos) {
      return InvalidArgument("invalid argument \"" + term + "\" for \"" + flag +
                             "\" flag: bad format of filter (expected name=value)");
    }
    std::string name = TrimSpace(term.substr(0, eq));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    sets[name].insert(TrimSpace(term.substr(eq + 1)));
  }
  for (auto& [k, v] : sets) args.fields[k] = std::vector<std::string>(v.begin(), v.end());
  return args;
}

std::optional<std::string> FilterArgs::FirstInvalid(const std::vector<std::string>& accepted) const {
  for (const auto& [k, v] : fields) {
    if (std::find(accepted.begin(), accepted.end(), k) == accepted.end()) return k;
  }
  return std::nullopt;
}

Result<bool> FilterArgs::GetBool(const std::string& k, bool def) const {
  auto it = fields.find(k);
  if (it == fields.end()) return def;
  const auto& vals = it->second;
  auto has = [&](const char* v) { return std::find(vals.begin(), vals.end(), v) != vals.end(); };
  bool is_false = has("0") || has("false");
  bool is_true = has("1") || has("true");
  if (is_false == is_true) {
    std::string joined;
    for (const auto& v : vals) joined += (joined.empty() ? "" : " ") + v;
    return InvalidArgument("invalid filter '" + k + "=[" + joined + "]'");
  }
  return is_true;
}

}  // namespace berth::cli

namespace {

bool SetLogLevel(const std::string& level) {
  static const std::map<std::string, spdlog::level::level_enum> kLevels = {
      {"debug", spdlog::level::debug}, {"info", spdlog::level::info},  {"warn", spdlog::level::warn},
      {"error", spdlog::level::err},   {"fatal", spdlog::level::critical},
  };
  auto it = kLevels.find(level);
  if (it == kLevels.end()) return false;
  spdlog::set_level(it->second);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace berth::cli;
  // A closed pipe is reported as a write error instead of killing us.
  std::signal(SIGPIPE, SIG_IGN);

  Context ctx;
  CLI::App app{"berth: offline administration of a berth image store", "berth"};
  app.fallthrough();
  // Repeated global flags: the last one wins, as with pflag.
  app.add_option("--data-root", ctx.data_root,
                 "Root directory of the berth store (default " + berth::DefaultDataRoot() + ")")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("-l,--log-level", ctx.log_level,
                 "Set the logging level (\"debug\"|\"info\"|\"warn\"|\"error\"|\"fatal\")")
      ->check([](const std::string& v) {
        return SetLogLevel(v) ? std::string() : "Unable to parse logging level: " + v;
      })
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);

  AddImagesCommand(&app, "images", &ctx);
  AddLoadCommand(&app, "load", &ctx);
  AddSaveCommand(&app, "save", &ctx);
  AddTagCommand(&app, "tag", &ctx);
  AddRemoveCommand(&app, "rmi", &ctx);
  AddInspectCommand(&app, "inspect", &ctx);
  AddHistoryCommand(&app, "history", &ctx);
  AddGcCommand(&app, "gc", &ctx);
  AddWhyCommand(&app, "why", &ctx);
  AddRegistryCommand(&app, "registry", &ctx);

  CLI::App* image = app.add_subcommand("image", "Manage images");
  image->require_subcommand(1);
  image->fallthrough();
  AddImagesCommand(image, "ls", &ctx);
  AddLoadCommand(image, "load", &ctx);
  AddSaveCommand(image, "save", &ctx);
  AddTagCommand(image, "tag", &ctx);
  AddRemoveCommand(image, "rm", &ctx);
  AddPruneCommand(image, "prune", &ctx);
  AddInspectCommand(image, "inspect", &ctx);
  AddHistoryCommand(image, "history", &ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ValidationError& e) {
    std::string what = e.what();
    if (what.find("Unable to parse logging level") != std::string::npos) {
      std::cerr << what.substr(what.find("Unable")) << "\n";
      return 1;
    }
    std::cerr << what << "\nSee 'berth --help'.\n";
    return 125;
  } catch (const CLI::ExtrasError& e) {
    if (app.get_subcommands().empty() && argc > 1) {
      std::vector<std::string> extras = app.remaining();
      std::string first = extras.empty() ? std::string(argv[1]) : extras.front();
      std::cerr << "berth: '" << first << "' is not a berth command.\nSee 'berth --help'\n";
      return 1;
    }
    std::cerr << e.what() << "\nSee 'berth --help'.\n";
    return 125;
  } catch (const CLI::ParseError& e) {
    std::cerr << e.what() << "\nSee 'berth --help'.\n";
    return 125;
  }
  if (app.get_subcommands().empty()) {
    std::cout << app.help();
    return 0;
  }
  return ctx.exit_code;
}
