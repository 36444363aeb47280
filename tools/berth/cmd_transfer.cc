// berth load / berth save: archives in and out of the store
// (LoadArchive / SaveArchive), with docker load/save's messages.
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth/archive.h"
#include "cli.h"

namespace berth::cli {

namespace {

// Go's os.PathError text: "open <path>: no such file or directory".
std::string PathError(const std::string& op, const std::string& path, int err) {
  std::string msg = std::strerror(err);
  if (!msg.empty()) msg[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(msg[0])));
  return op + " " + path + ": " + msg;
}

ReadFn FdReader(int fd) {
  return [fd](char* buf, size_t n) -> Result<size_t> {
    for (;;) {
      ssize_t got = ::read(fd, buf, n);
      if (got >= 0) return static_cast<size_t>(got);
      if (errno != EINTR) return ErrnoStatus("read", errno);
    }
  };
}

WriteFn FdWriter(int fd, const std::string& name) {
  return [fd, name](std::string_view data) -> Status {
    while (!data.empty()) {
      ssize_t n = ::write(fd, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return Internal(PathError("write", name, errno));
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return OkStatus();
  };
}

struct LoadFlags {
  std::string input;
  bool quiet = false;
  std::string platform;
  std::vector<std::string> args;
};

int RunLoad(const CLI::App* cmd, LoadFlags& o, Context* ctx) {
  if (!CheckArgs(cmd, ctx, o.args.size(), 0, 0, "[OPTIONS]")) return ctx->exit_code;
  LoadOptions opts;
  Result<std::optional<Platform>> platform = ParsePlatformFlag(o.platform);
  if (!platform.ok()) return PrintError(platform.status());
  opts.platform = *platform;
  const bool from_stdin = o.input.empty() || o.input == "-";
  if (o.input.empty() && ::isatty(0)) return PrintError("requested load from stdin, but stdin is empty");
  if (!from_stdin) {
    // Checked before the store is opened; opening (which may block on a
    // FIFO) happens after, so the store's lock is held while reading.
    struct stat st {};
    if (::stat(o.input.c_str(), &st) != 0) return PrintError(PathError("open", o.input, errno));
  }
  auto store = OpenStore(*ctx);
  if (!store.ok()) return PrintError(store.status());
  int fd = 0;
  if (!from_stdin) {
    fd = ::open(o.input.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return PrintError(PathError("open", o.input, errno));
  }
  auto loaded = LoadArchive(store->get(), FdReader(fd), opts);
  if (fd != 0) ::close(fd);
  if (!loaded.ok()) return PrintError(loaded.status());
  std::string out;
  for (const LoadedImage& img : *loaded) {
    out += img.name.empty() ? "Loaded image ID: " + img.id.str() + "\n" : "Loaded image: " + img.name + "\n";
  }
  if (Status s = WriteStdout(out); !s.ok()) return PrintError(s);
  return 0;
}

struct SaveFlags {
  std::string output;
  std::string platform;
  std::vector<std::string> args;
};

// A file written under a temporary name in the destination directory and
// renamed into place only when complete (docker's atomicwriter).
class AtomicFile {
 public:
  ~AtomicFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!tmp_.empty()) ::unlink(tmp_.c_str());
  }
  Status Create(const std::string& path) {
    path_ = path;
    size_t slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
    std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    struct stat st {};
    if (dir != "." && ::stat(dir.c_str(), &st) != 0 && errno == ENOENT) {
      return InvalidArgument("failed to save image: invalid output path: directory \"" + dir +
                             "\" does not exist");
    }
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      return InvalidArgument("failed to save image: invalid output path: \"" + path + "\" is a directory");
    }
    std::string tmpl = dir + "/." + base + ".tmp-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    fd_ = ::mkstemp(buf.data());
    if (fd_ < 0) return Internal("failed to save image: " + PathError("open", path, errno));
    tmp_ = buf.data();
    return OkStatus();
  }
  int fd() const { return fd_; }
  Status Commit() {
    if (::fsync(fd_) != 0 || ::fchmod(fd_, 0600) != 0) return Internal(PathError("sync", path_, errno));
    ::close(fd_);
    fd_ = -1;
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) return Internal(PathError("rename", path_, errno));
    tmp_.clear();
    return OkStatus();
  }

 private:
  std::string path_, tmp_;
  int fd_ = -1;
};

int RunSave(const CLI::App* cmd, SaveFlags& o, Context* ctx) {
  if (!CheckArgs(cmd, ctx, o.args.size(), 1, kUnlimited, "[OPTIONS] IMAGE [IMAGE...]")) return ctx->exit_code;
  SaveOptions opts;
  Result<std::optional<Platform>> platform = ParsePlatformFlag(o.platform);
  if (!platform.ok()) return PrintError(platform.status());
  opts.platform = *platform;
  AtomicFile file;
  if (o.output.empty()) {
    if (::isatty(1)) return PrintError("cowardly refusing to save to a terminal. Use the -o flag or redirect");
  } else if (Status s = file.Create(o.output); !s.ok()) {
    return PrintError(s);
  }
  auto store = OpenStore(*ctx);
  if (!store.ok()) return PrintError(store.status());
  WriteFn write = o.output.empty() ? FdWriter(1, "/dev/stdout") : FdWriter(file.fd(), o.output);
  if (Status s = SaveArchive(store->get(), o.args, opts, write); !s.ok()) return PrintError(s);
  if (!o.output.empty()) {
    if (Status s = file.Commit(); !s.ok()) return PrintError(s);
  }
  return 0;
}

}  // namespace

void AddLoadCommand(CLI::App* parent, const std::string& name, Context* ctx) {
  auto o = std::make_shared<LoadFlags>();
  CLI::App* cmd = parent->add_subcommand(name, "Load an image from a tar archive or STDIN");
  cmd->fallthrough();
  cmd->add_option("-i,--input", o->input, "Read from tar archive file, instead of STDIN");
  cmd->add_flag("-q,--quiet", o->quiet, "Suppress the load output");
  cmd->add_option("--platform", o->platform, "Load only the given platform variant (\"os[/arch[/variant]]\")");
  cmd->add_option("args", o->args);
  cmd->callback([cmd, o, ctx] { ctx->exit_code = RunLoad(cmd, *o, ctx); });
}

void AddSaveCommand(CLI::App* parent, const std::string& name, Context* ctx) {
  auto o = std::make_shared<SaveFlags>();
  CLI::App* cmd =
      parent->add_subcommand(name, "Save one or more images to a tar archive (streamed to STDOUT by default)");
  cmd->fallthrough();
  cmd->add_option("-o,--output", o->output, "Write to a file, instead of STDOUT");
  cmd->add_option("--platform", o->platform, "Save only the given platform variant (\"os[/arch[/variant]]\")");
  cmd->add_option("args", o->args, "IMAGE");
  cmd->callback([cmd, o, ctx] { ctx->exit_code = RunSave(cmd, *o, ctx); });
}

}  // namespace berth::cli
