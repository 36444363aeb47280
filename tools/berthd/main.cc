// berthd: the berth daemon. Serves the Docker Engine API (1.50) for images
// on a unix socket, like dockerd:
//
//   berthd [-H unix:///run/berth/berth.sock] [--data-root DIR]
//          [--exec-root DIR] [--pidfile FILE] [--log-level LEVEL]
//          [--config-file daemon.json] [--metrics-addr HOST:PORT]
//          [--tlsverify --tlscacert CA --tlscert CERT --tlskey KEY]
//          [--insecure-registry HOST[:PORT]|CIDR ...]
//          [--max-concurrent-downloads N] [--max-concurrent-uploads N]
//          [--runtime runc] [-G|--group docker]
//          [--layer-max-bytes N] [--layer-max-ratio R] [--layer-ratio-after-bytes N]
//          [-b|--bridge berth0|none] [--bip CIDR]
//          [--default-address-pool base=CIDR,size=N ...]
//
// Containers' default network is the bridge network: berthd manages the
// bridge device --bridge (default "berth0"; "none": no bridge network, the
// default network mode is then "none") with the address --bip (e.g.
// 172.30.0.1/16; default: the first free /16 of 172.17-31.0.0). daemon.json
// keys "bridge" and "bip". New networks' subnets (and the bridge's without
// --bip) come from --default-address-pool (repeatable; daemon.json
// "default-address-pools": [{"base": CIDR, "size": N}]), else Docker's
// default pools. The CNI reference plugins are run from
// /usr/lib/cni (see berth/network_service.h).
//
// A layer is unpacked only while its uncompressed tar stays within
// --layer-max-bytes (default 32 GiB) and, once past
// --layer-ratio-after-bytes (64 MiB), within R:1 of its compressed size
// (--layer-max-ratio, 100); 0 turns a bound off (see DecompressionLimits).
// A gzip or zstd docker load archive is held to the same ratio bound and to
// 256 GiB.
//
// Containers run under berth-shim (found next to berthd) with runc
// (--runtime, looked up on PATH); runc's state is <data-root>/runc.
// Containers keep running when berthd exits and are found again at start.
//
// Unix sockets are 0660, group --group (default "docker", as dockerd; a name
// or a number; "" keeps berthd's own group). The default group may be
// missing (the socket then keeps berthd's group); a named one must exist.
// The data root is 0710 and the exec root 0700 (tightened when they exist
// with looser bits and berthd runs as root).
//
// --config-file defaults to /etc/berth/daemon.json when that file exists;
// its registry keys are "insecure-registries", "max-concurrent-downloads"
// and "max-concurrent-uploads". "log-driver" (json-file only) and
// "log-opts" (also --log-driver, --log-opt KEY=VALUE) are the defaults of
// containers' log configuration; berthd refuses to start with one that a
// container would be refused (see berth::ParseLogConfig).
//
// Exit status: 0 after SIGTERM/SIGINT, 1 when it cannot start (another
// daemon holds the data root, bad flags, socket in use, ...).

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <string>
#include <vector>

#include "berth/api.h"
#include "berth/builder.h"
#include "berth/container_service.h"
#include "berth/env.h"
#include "berth/image_service.h"
#include "berth/log.h"
#include "berth/runtime.h"
#include "berth/server.h"

namespace {

constexpr const char* kDefaultSocketGroup = "docker";

struct Config {
  std::vector<std::string> hosts;
  std::string data_root;
  std::string exec_root;
  std::string pidfile;
  std::string log_level;
  std::string metrics_addr;
  std::string runtime = "runc";  // --runtime: the OCI runtime binary
  std::string init_path = berth::ContainerServiceOptions().init_path;  // --init-path: the --init binary
  std::string socket_group = kDefaultSocketGroup;  // -G/--group
  // Registry settings (flags or daemon.json, as in dockerd).
  std::vector<std::string> insecure_registries;
  int max_concurrent_downloads = 3;
  int max_concurrent_uploads = 5;
  bool tls_verify = false;
  std::string tls_ca, tls_cert, tls_key;
  // Containers' default log configuration.
  std::string log_driver = "json-file";
  std::map<std::string, std::string> log_options;
  // The bridge network (-b/--bridge, --bip).
  std::string bridge = "berth0";
  std::string bip;
  // --default-address-pool "base=CIDR,size=N" (daemon.json
  // "default-address-pools" in that form).
  std::vector<std::string> address_pools;
};

int Fail(const std::string& msg) {
  std::fprintf(stderr, "berthd: %s\n", msg.c_str());
  return 1;
}

std::string ReadFile(const std::string& path, bool* ok) {
  std::ifstream in(path, std::ios::binary);
  *ok = static_cast<bool>(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Merges daemon.json (a subset of dockerd's keys) into `c`. A key given both
// as a flag and in the file is an error, as with dockerd.
berth::Status MergeConfigFile(const std::string& path, const CLI::App& app, Config* c) {
  bool ok = false;
  std::string text = ReadFile(path, &ok);
  if (!ok) return berth::NotFound("unable to read config file " + path);
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) {
    return berth::InvalidArgument("unable to configure the daemon with file " + path + ": invalid JSON");
  }
  std::vector<std::string> conflicts;
  auto take_string = [&](const char* key, const char* flag, std::string* out) -> berth::Status {
    auto* val = v.as_object().if_contains(key);
    if (val == nullptr) return berth::OkStatus();
    if (!val->is_string()) return berth::InvalidArgument(std::string(key) + " must be a string in " + path);
    if (app.count(flag) > 0) {
      conflicts.push_back(std::string(key) + ": (from flag: " + *out + ", from file: " +
                          std::string(val->as_string()) + ")");
      return berth::OkStatus();
    }
    *out = std::string(val->as_string());
    return berth::OkStatus();
  };
  BERTH_RETURN_IF_ERROR(take_string("data-root", "--data-root", &c->data_root));
  BERTH_RETURN_IF_ERROR(take_string("exec-root", "--exec-root", &c->exec_root));
  BERTH_RETURN_IF_ERROR(take_string("pidfile", "--pidfile", &c->pidfile));
  BERTH_RETURN_IF_ERROR(take_string("group", "--group", &c->socket_group));
  BERTH_RETURN_IF_ERROR(take_string("log-level", "--log-level", &c->log_level));
  BERTH_RETURN_IF_ERROR(take_string("metrics-addr", "--metrics-addr", &c->metrics_addr));
  BERTH_RETURN_IF_ERROR(take_string("tlscacert", "--tlscacert", &c->tls_ca));
  BERTH_RETURN_IF_ERROR(take_string("tlscert", "--tlscert", &c->tls_cert));
  BERTH_RETURN_IF_ERROR(take_string("tlskey", "--tlskey", &c->tls_key));
  BERTH_RETURN_IF_ERROR(take_string("log-driver", "--log-driver", &c->log_driver));
  BERTH_RETURN_IF_ERROR(take_string("bridge", "--bridge", &c->bridge));
  BERTH_RETURN_IF_ERROR(take_string("bip", "--bip", &c->bip));
  if (auto* opts = v.as_object().if_contains("log-opts")) {
    if (!opts->is_object()) return berth::InvalidArgument("log-opts must be an object in " + path);
    if (app.count("--log-opt") > 0) {
      conflicts.push_back("log-opts: (from flag: [...], from file: {...})");
    } else {
      for (const auto& kv : opts->as_object()) {
        if (!kv.value().is_string()) return berth::InvalidArgument("log-opts values must be strings in " + path);
        c->log_options[std::string(kv.key())] = std::string(kv.value().as_string());
      }
    }
  }
  if (auto* pools = v.as_object().if_contains("default-address-pools")) {
    if (!pools->is_array()) return berth::InvalidArgument("default-address-pools must be a list in " + path);
    if (app.count("--default-address-pool") > 0) {
      conflicts.push_back("default-address-pools: (from flag: [...], from file: [...])");
    } else {
      for (const auto& p : pools->as_array()) {
        const boost::json::object* po = p.if_object();
        const boost::json::value* base = po ? po->if_contains("base") : nullptr;
        const boost::json::value* size = po ? po->if_contains("size") : nullptr;
        if (po == nullptr || po->size() != 2 || base == nullptr || !base->is_string() || size == nullptr ||
            !size->is_int64()) {
          return berth::InvalidArgument("default-address-pools entries must be {\"base\": CIDR, \"size\": N} in " +
                                        path);
        }
        c->address_pools.push_back("base=" + std::string(base->as_string()) +
                                   ",size=" + std::to_string(size->as_int64()));
      }
    }
  }
  if (auto* regs = v.as_object().if_contains("insecure-registries")) {
    if (!regs->is_array()) return berth::InvalidArgument("insecure-registries must be a list in " + path);
    if (app.count("--insecure-registry") > 0) {
      conflicts.push_back("insecure-registries: (from flag: [...], from file: [...])");
    } else {
      for (const auto& r : regs->as_array()) {
        if (!r.is_string()) return berth::InvalidArgument("insecure-registries must be strings in " + path);
        c->insecure_registries.emplace_back(r.as_string());
      }
    }
  }
  auto take_int = [&](const char* key, const char* flag, int* out) -> berth::Status {
    auto* val = v.as_object().if_contains(key);
    if (val == nullptr) return berth::OkStatus();
    if (!val->is_int64() && !val->is_uint64()) {
      return berth::InvalidArgument(std::string(key) + " must be an integer in " + path);
    }
    if (app.count(flag) > 0) {
      conflicts.push_back(std::string(key) + ": (from flag: " + std::to_string(*out) + ", from file: " +
                          boost::json::serialize(*val) + ")");
      return berth::OkStatus();
    }
    *out = static_cast<int>(val->to_number<int64_t>());
    return berth::OkStatus();
  };
  BERTH_RETURN_IF_ERROR(take_int("max-concurrent-downloads", "--max-concurrent-downloads",
                                 &c->max_concurrent_downloads));
  BERTH_RETURN_IF_ERROR(take_int("max-concurrent-uploads", "--max-concurrent-uploads", &c->max_concurrent_uploads));
  if (auto* tv = v.as_object().if_contains("tlsverify")) {
    if (!tv->is_bool()) return berth::InvalidArgument("tlsverify must be a boolean in " + path);
    if (app.count("--tlsverify") == 0) c->tls_verify = tv->as_bool();
  }
  if (auto* hosts = v.as_object().if_contains("hosts")) {
    if (!hosts->is_array()) return berth::InvalidArgument("hosts must be a list in " + path);
    if (app.count("--host") > 0) {
      conflicts.push_back("hosts: (from flag: [...], from file: [...])");
    } else {
      for (const auto& h : hosts->as_array()) {
        if (!h.is_string()) return berth::InvalidArgument("hosts must be strings in " + path);
        c->hosts.emplace_back(h.as_string());
      }
    }
  }
  if (!conflicts.empty()) {
    std::string msg = "unable to configure the daemon with file " + path +
                      ": the following directives are specified both as a flag and in the configuration file: ";
    for (size_t i = 0; i < conflicts.size(); i++) msg += (i ? ", " : "") + conflicts[i];
    return berth::InvalidArgument(msg);
  }
  return berth::OkStatus();
}

std::string NewEngineId() {
  std::random_device rd;
  std::uniform_int_distribution<int> d(0, 15);
  const char* hex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 32; i++) {
    if (i == 8 || i == 12 || i == 16 || i == 20) s += '-';
    int v = d(rd);
    if (i == 12) v = 4;                    // UUID version 4
    if (i == 16) v = 8 | (v & 3);          // variant 10xx
    s += hex[v];
  }
  return s;
}

// <data-root>/engine-id, created on first start (dockerd keeps one too).
std::string EngineId(const std::string& data_root) {
  std::string path = data_root + "/engine-id";
  bool ok = false;
  std::string id = ReadFile(path, &ok);
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  if (ok && !id.empty()) return id;
  id = NewEngineId();
  berth::LogIfError(berth::WriteFileAtomic(berth::Env::Default(), path, id + "\n"), "write the engine ID to " + path);
  return id;
}

berth::Status WritePidfile(const std::string& path) {
  bool ok = false;
  std::string old = ReadFile(path, &ok);
  if (ok) {
    long pid = std::strtol(old.c_str(), nullptr, 10);
    if (pid > 0 && pid != ::getpid() && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM)) {
      return berth::FailedPrecondition("pid file found, ensure berthd is not running or delete " + path +
                                       " (pid " + std::to_string(pid) + ")");
    }
  }
  size_t slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    BERTH_RETURN_IF_ERROR(berth::Env::Default()->CreateDirs(path.substr(0, slash), 0755));
  }
  return berth::WriteFileAtomic(berth::Env::Default(), path, std::to_string(::getpid()) + "\n");
}

// The directory of the running executable.
std::string SelfDir() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return ".";
  std::string p(buf, static_cast<size_t>(n));
  size_t slash = p.rfind('/');
  return slash == std::string::npos ? "." : p.substr(0, slash);
}

// A program name looked up on PATH as exec would; a name with '/' or one not
// found is returned as given.
std::string ResolveOnPath(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* env = std::getenv("PATH");
  std::string dirs = env != nullptr && *env != '\0' ? env : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    std::string cand = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (::access(cand.c_str(), X_OK) == 0) return cand;
    start = end + 1;
  }
  return name;
}

// The group ID unix sockets get for `name` (a group name or number), as
// dockerd decides it: -1 (keep berthd's group) for ""; the default group
// may be missing (-1 too, with *default_missing set so the caller can warn
// once it serves); any other unknown name is an error.
berth::Result<int> SocketGroupId(const std::string& name, bool* default_missing) {
  *default_missing = false;
  if (name.empty()) return -1;
  std::vector<char> buf(16384);
  struct group gr;
  struct group* found = nullptr;
  int err = ::getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found);
  if (err == 0 && found != nullptr) return static_cast<int>(found->gr_gid);
  char* end = nullptr;
  errno = 0;
  long gid = std::strtol(name.c_str(), &end, 10);
  if (errno == 0 && end != name.c_str() && *end == '\0' && gid >= 0 && gid <= INT32_MAX) return static_cast<int>(gid);
  if (name == kDefaultSocketGroup) {
    *default_missing = true;
    return -1;
  }
  return berth::InvalidArgument("group " + name + " not found");
}

// A default directory of a non-root berthd (under $HOME, $XDG_*, /tmp) that
// is already there must be a directory of berthd's own user that no one else
// can write: another user could have made it, beforehand, to read or swap
// what berthd keeps there. Missing: OK (berthd creates it, then checks again).
berth::Status CheckOwnDefaultDirectory(const std::string& path, const std::string& what, const char* flag) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return berth::OkStatus();
    return berth::ErrnoStatus("stat " + path, errno);
  }
  std::string refusal = "refusing the default " + what + " " + path + ": ";
  std::string hint = " (fix it, or choose another directory with " + std::string(flag) + ")";
  if (S_ISLNK(st.st_mode)) return berth::FailedPrecondition(refusal + "it is a symbolic link" + hint);
  if (!S_ISDIR(st.st_mode)) return berth::FailedPrecondition(refusal + "it is not a directory" + hint);
  if (st.st_uid != ::geteuid()) {
    return berth::FailedPrecondition(refusal + "it is owned by uid " + std::to_string(st.st_uid) +
                                     ", not by berthd's uid " + std::to_string(::geteuid()) + hint);
  }
  if ((st.st_mode & 022) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", st.st_mode & 07777);
    return berth::FailedPrecondition(refusal + "it is writable by group or others (mode " + mode + ")" + hint);
  }
  return berth::OkStatus();
}

std::string DefaultExecRoot() {
  if (::geteuid() == 0) return "/run/berth";
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  if (xdg != nullptr && *xdg != '\0') return std::string(xdg) + "/berth";
  return "/tmp/berth-" + std::to_string(::geteuid());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"berthd: a container image engine serving the Docker Engine API (1.50)"};
  app.set_version_flag("-v,--version", std::string("berthd version ") + std::string(berth::api::kBerthVersion) +
                                           " (Docker API " + std::string(berth::api::kApiVersion) + ", engine " +
                                           std::string(berth::api::kEngineVersion) + ")");
  Config c;
  std::string config_file;
  bool debug = false;
  app.add_option("-H,--host", c.hosts, "Daemon socket(s) to listen on: unix:///path or tcp://host:port (TLS only)");
  app.add_option("--data-root", c.data_root, "Root directory of persistent state");
  app.add_option("--exec-root", c.exec_root, "Root directory for execution state (default socket, pidfile)");
  app.add_option("-p,--pidfile", c.pidfile, "Path of the daemon's PID file");
  app.add_option("-l,--log-level", c.log_level, "Log level: debug, info, warn, error, fatal")
      ->check(CLI::IsMember({"debug", "info", "warn", "error", "fatal"}));
  app.add_flag("-D,--debug", debug, "Debug logging");
  app.add_option("--config-file", config_file, "Daemon configuration file (daemon.json subset)");
  app.add_option("--metrics-addr", c.metrics_addr, "Serve Prometheus metrics on HOST:PORT at /metrics");
  app.add_option("--runtime", c.runtime, "OCI runtime binary running containers (name on PATH, or a path)");
  app.add_option("--init-path", c.init_path, "Static init binary `docker run --init` runs as pid 1 (tini-static)");
  app.add_option("-G,--group", c.socket_group, "Group for the unix socket (default \"docker\"; \"\": keep berthd's)");
  app.add_flag("--tlsverify", c.tls_verify, "Require TLS with client certificates (needed for tcp:// hosts)");
  app.add_option("--tlscacert", c.tls_ca, "CA that client certificates must be signed by");
  app.add_option("--tlscert", c.tls_cert, "Server TLS certificate");
  app.add_option("--tlskey", c.tls_key, "Server TLS key");
  app.add_option("--insecure-registry", c.insecure_registries,
                 "Registry reached over plain HTTP (host[:port] or CIDR); repeatable");
  app.add_option("--max-concurrent-downloads", c.max_concurrent_downloads,
                 "Maximum concurrent layer downloads per pull (default 3)");
  app.add_option("--max-concurrent-uploads", c.max_concurrent_uploads,
                 "Maximum concurrent layer uploads per push (default 5)");
  int64_t registry_request_timeout_s = 300;
  app.add_option("--registry-request-timeout", registry_request_timeout_s,
                 "Seconds a registry request may take, blob bodies excepted (default 300; 0: no limit)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("-b,--bridge", c.bridge, "Bridge device of the default network (\"none\": no bridge network)");
  app.add_option("--bip", c.bip, "Address and prefix of the bridge (e.g. 172.30.0.1/16)");
  app.add_option("--default-address-pool", c.address_pools,
                 "Pool of subnets for new networks (base=CIDR,size=N); repeatable");
  app.add_option("--log-driver", c.log_driver, "Default log driver of containers (json-file)");
  std::vector<std::string> log_opt_flags;
  berth::DecompressionLimits unpack_limits;
  app.add_option("--layer-max-bytes", unpack_limits.max_bytes,
                 "Largest uncompressed layer unpacked, in bytes (default 32 GiB; 0: no limit)");
  app.add_option("--layer-max-ratio", unpack_limits.max_ratio,
                 "Largest uncompressed:compressed ratio of a layer (default 100; 0: no limit)");
  app.add_option("--layer-ratio-after-bytes", unpack_limits.ratio_after_bytes,
                 "Uncompressed size from which --layer-max-ratio applies (default 64 MiB)");
  app.add_option("--log-opt", log_opt_flags, "Default log driver option of containers (KEY=VALUE); repeatable");
  CLI11_PARSE(app, argc, argv);
  for (const std::string& kv : log_opt_flags) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos) return Fail("invalid log opt " + kv + ": expected KEY=VALUE");
    c.log_options[kv.substr(0, eq)] = kv.substr(eq + 1);
  }

  bool explicit_config = !config_file.empty();
  if (!explicit_config && ::access("/etc/berth/daemon.json", R_OK) == 0) config_file = "/etc/berth/daemon.json";
  if (!config_file.empty()) {
    berth::Status s = MergeConfigFile(config_file, app, &c);
    if (!s.ok()) return Fail(s.message());
  }
  if (debug) c.log_level = "debug";
  if (c.log_level.empty()) c.log_level = "info";
  if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warn" && c.log_level != "error" &&
      c.log_level != "fatal") {
    return Fail("invalid log level: " + c.log_level);
  }
  // A non-root berthd's default directories are checked (see
  // CheckOwnDefaultDirectory); root's are tightened instead, below.
  const bool check_data_root = c.data_root.empty() && ::geteuid() != 0;
  const bool check_exec_root = c.exec_root.empty() && ::geteuid() != 0;
  if (c.data_root.empty()) c.data_root = berth::DefaultDataRoot();
  if (c.exec_root.empty()) c.exec_root = DefaultExecRoot();
  if (check_data_root) {
    berth::Status s = CheckOwnDefaultDirectory(c.data_root, "data root", "--data-root");
    if (!s.ok()) return Fail(s.message());
  }
  if (check_exec_root) {
    berth::Status s = CheckOwnDefaultDirectory(c.exec_root, "exec root", "--exec-root");
    if (!s.ok()) return Fail(s.message());
  }
  if (c.pidfile.empty()) c.pidfile = c.exec_root + "/berthd.pid";
  if (c.hosts.empty()) c.hosts.push_back("unix://" + c.exec_root + "/berth.sock");
  if (c.max_concurrent_downloads < 1) {
    return Fail("invalid max concurrent downloads: " + std::to_string(c.max_concurrent_downloads));
  }
  if (c.max_concurrent_uploads < 1) {
    return Fail("invalid max concurrent uploads: " + std::to_string(c.max_concurrent_uploads));
  }
  if (auto log = berth::ParseLogConfig(c.log_driver, c.log_options); !log.ok()) {
    return Fail("invalid default log configuration: " + log.status().message());
  }

  auto logger = spdlog::stderr_color_mt("berthd");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%f%z %^%l%$ %v");
  spdlog::set_level(c.log_level == "debug" ? spdlog::level::debug
                    : c.log_level == "info" ? spdlog::level::info
                    : c.log_level == "warn" ? spdlog::level::warn
                    : c.log_level == "error" ? spdlog::level::err
                                             : spdlog::level::critical);

  // Signals go to sigwait() below, not to the server's threads.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  berth::Status s = berth::Env::Default()->CreateDirs(c.exec_root, 0700);
  if (s.ok() && ::geteuid() == 0) s = berth::RestrictPermissions(berth::Env::Default(), c.exec_root, 0700);
  // Made by us or found: checked again now that it is there.
  if (s.ok() && check_exec_root) s = CheckOwnDefaultDirectory(c.exec_root, "exec root", "--exec-root");
  if (!s.ok()) return Fail(s.message());
  bool default_group_missing = false;
  berth::Result<int> socket_gid = SocketGroupId(c.socket_group, &default_group_missing);
  if (!socket_gid.ok()) return Fail(socket_gid.status().message());

  berth::StoreOptions so;
  so.root = c.data_root;
  berth::Result<std::unique_ptr<berth::Store>> store = berth::Store::Open(so);
  if (!store.ok()) return Fail(store.status().message());
  if (check_data_root) {
    s = CheckOwnDefaultDirectory(c.data_root, "data root", "--data-root");
    if (!s.ok()) return Fail(s.message());
  }
  // A load or pull that berthd did not finish (a crash, a kill) may have
  // committed blobs that no record took up and no persisted lease holds:
  // collect them now rather than waiting for a `berth gc`.
  {
    auto gc = (*store)->images()->CollectGarbage();
    if (!gc.ok()) {
      spdlog::warn("collecting what an interrupted run left: {}", gc.status().ToString());
    } else if (gc->blobs > 0) {
      spdlog::info("reclaimed {} blobs ({} bytes) that an interrupted load or pull left", gc->blobs, gc->bytes);
    }
  }

  s = WritePidfile(c.pidfile);
  if (!s.ok()) return Fail(s.message());

  // Containers: runc under berth-shim (next to this binary); they keep
  // running when the daemon exits.
  berth::NetworkServiceOptions no;
  no.exec_root = c.exec_root;
  no.bridge_name = c.bridge;
  no.bip = c.bip;
  no.state_dir = c.data_root + "/networks";
  for (const auto& text : c.address_pools) {
    berth::Result<berth::AddressPool> pool = berth::ParseAddressPool(text);
    if (!pool.ok()) {
      ::unlink(c.pidfile.c_str());
      return Fail("network: " + pool.status().message());
    }
    no.default_address_pools.push_back(*pool);
  }
  berth::Result<std::unique_ptr<berth::NetworkService>> network = berth::NetworkService::Open(no);
  if (!network.ok()) {
    ::unlink(c.pidfile.c_str());
    return Fail("network: " + network.status().message());
  }
  berth::ContainerServiceOptions co;
  co.network = network->get();
  co.runtime.shim = SelfDir() + "/berth-shim";
  // docker exec: berth-exec (next to this binary) when it is there, else runc exec.
  if (::access((SelfDir() + "/berth-exec").c_str(), X_OK) == 0) co.runtime.exec_helper = SelfDir() + "/berth-exec";
  co.runtime.runc = ResolveOnPath(c.runtime);
  co.runtime.runc_root = c.data_root + "/runc";
  co.init_path = c.init_path;
  co.default_log_driver = c.log_driver;
  co.default_log_options = c.log_options;
  co.unpack_limits = unpack_limits;
  berth::Result<std::unique_ptr<berth::ContainerService>> containers =
      berth::ContainerService::Open(store->get(), co);
  if (!containers.ok()) {
    ::unlink(c.pidfile.c_str());
    return Fail(containers.status().message());
  }

  // Builds of an earlier run that a crash interrupted left their context.
  s = berth::builder::RemoveLeftoverBuilds(store->get()->env(), c.data_root);
  if (!s.ok()) spdlog::warn("removing what interrupted builds left: {}", s.ToString());

  berth::api::ApiOptions ao;
  ao.containers = containers->get();
  ao.network = network->get();
  ao.daemon_id = EngineId(c.data_root);
  ao.data_root = c.data_root;
  ao.debug = c.log_level == "debug";
  ao.start_unix_nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  ao.registry.insecure_registries = c.insecure_registries;
  ao.registry.max_concurrent_downloads = c.max_concurrent_downloads;
  ao.registry.max_concurrent_uploads = c.max_concurrent_uploads;
  ao.registry.request_timeout_ms = registry_request_timeout_s * 1000;
  // A compressed docker load archive: the layers' ratio bound, its own size.
  ao.load_limits.max_ratio = unpack_limits.max_ratio;
  ao.load_limits.ratio_after_bytes = unpack_limits.ratio_after_bytes;
  berth::api::Api api(store->get(), ao);

  berth::ServerOptions sopts;
  sopts.hosts = c.hosts;
  sopts.default_unix_path = c.exec_root + "/berth.sock";
  sopts.socket_gid = *socket_gid;
  sopts.tls_verify = c.tls_verify;
  sopts.tls_ca_file = c.tls_ca;
  sopts.tls_cert_file = c.tls_cert;
  sopts.tls_key_file = c.tls_key;
  sopts.metrics_addr = c.metrics_addr;
  sopts.metrics = (*store)->metrics();
  berth::Result<std::unique_ptr<berth::Server>> server = berth::Server::Start(&api, sopts);
  if (!server.ok()) {
    ::unlink(c.pidfile.c_str());
    return Fail(server.status().message());
  }
  spdlog::info("berthd {} (Docker API {}) data-root={} pid={}", berth::api::kBerthVersion, berth::api::kApiVersion,
               c.data_root, ::getpid());
  for (const auto& e : (*server)->Endpoints()) spdlog::info("API listen on {}", e);
  if (default_group_missing) {
    spdlog::warn("could not change group of the unix sockets to {}: group {} not found", kDefaultSocketGroup,
                 kDefaultSocketGroup);
  }

  while (true) {
    int sig = 0;
    if (sigwait(&sigs, &sig) != 0) continue;
    if (sig == SIGHUP) {
      spdlog::info("SIGHUP: configuration reload is not supported; ignoring");
      continue;
    }
    spdlog::info("Processing signal '{}'", strsignal(sig));
    break;
  }
  (*server)->Shutdown();
  server->reset();
  (*containers)->Shutdown();
  containers->reset();
  store->reset();
  ::unlink(c.pidfile.c_str());
  spdlog::info("Daemon shutdown complete");
  return 0;
}
