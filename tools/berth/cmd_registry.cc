// berth registry rm-platform: removes platforms from an image index in a
// registry (RemoveRemotePlatforms). Touches no local store, so it needs
// neither the data root nor a stopped daemon.
//
//   berth registry rm-platform [--insecure-registry H]... [--username U
//         --password P] REFERENCE --platform P[,P...] [--platform P...]
//
// Prints "Removed: <manifest digest>" per removed manifest, then the old and
// new index digests. Credentials come from the flags only (no docker config
// is read); without them the registry is used anonymously.

#include "berth/reference.h"
#include "berth/registry.h"
#include "cli.h"

namespace berth::cli {

namespace {

struct RmPlatformFlags {
  std::vector<std::string> platforms;
  std::vector<std::string> insecure;
  std::string username;
  std::string password;
  std::vector<std::string> args;
};

int RunRmPlatform(const CLI::App* cmd, RmPlatformFlags& o, Context* ctx) {
  if (!CheckArgs(cmd, ctx, o.args.size(), 1, 1, "[OPTIONS] REFERENCE --platform PLATFORM")) return ctx->exit_code;
  auto platforms = ParsePlatforms(o.platforms);
  if (!platforms.ok()) return PrintError(platforms.status());
  if (platforms->empty()) return FlagError(cmd, "at least one --platform is required");
  if (o.username.empty() != o.password.empty()) {
    return FlagError(cmd, "--username and --password must be given together");
  }
  auto ref = ParseNormalizedNamed(o.args[0]);
  if (!ref.ok()) {
    return PrintError("invalid reference \"" + o.args[0] + "\": " + ref.status().message());
  }
  RegistryConfig cfg;
  cfg.insecure_registries = o.insecure;
  AuthConfig auth;
  auth.username = o.username;
  auth.password = o.password;
  Result<RemovePlatformsResult> res = RemoveRemotePlatforms(cfg, TagNameOnly(*ref).String(), *platforms, auth);
  if (!res.ok()) return PrintError(res.status());
  std::string out;
  for (const Digest& d : res->removed_manifests) out += "Removed: " + d.str() + "\n";
  out += "Old digest: " + res->old_digest.str() + "\n";
  out += "New digest: " + res->new_digest.str() + "\n";
  if (Status s = WriteStdout(out); !s.ok()) return PrintError(s);
  return 0;
}

}  // namespace

void AddRegistryCommand(CLI::App* parent, const std::string& name, Context* ctx) {
  CLI::App* reg = parent->add_subcommand(name, "Operate on images in a registry");
  reg->require_subcommand(1);
  reg->fallthrough();
  auto o = std::make_shared<RmPlatformFlags>();
  CLI::App* cmd = reg->add_subcommand("rm-platform", "Remove platforms from an image index in a registry");
  cmd->fallthrough();
  cmd->add_option("--platform", o->platforms, "Platform(s) to remove, comma-separated \"os/arch[/variant]\"");
  cmd->add_option("--insecure-registry", o->insecure,
                  "Reach this registry over plain HTTP (host[:port] or CIDR; 127.0.0.0/8 always is)");
  cmd->add_option("-u,--username", o->username, "Username");
  cmd->add_option("-p,--password", o->password, "Password");
  cmd->add_option("args", o->args, "REFERENCE");
  cmd->callback([cmd, o, ctx] { ctx->exit_code = RunRmPlatform(cmd, *o, ctx); });
}

}  // namespace berth::cli
