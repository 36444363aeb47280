// docker rename, pause, unpause, the processes of docker top and docker
// diff (Docker's daemon/rename.go, pause.go, unpause.go, top_unix.go,
// changes.go).
#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "berth/log.h"
#include "berth/tree_size.h"
#include "container/internal.h"
#include "runtime/subprocess.h"

namespace berth {

Status ContainerService::Rename(const std::string&, const std::string&) {
  return Unimplemented("docker rename is not supported by this container service");
}
Status ContainerService::Pause(const std::string&) {
  return Unimplemented("docker pause is not supported by this container service");
}
Status ContainerService::Unpause(const std::string&) {
  return Unimplemented("docker unpause is not supported by this container service");
}
Result<std::vector<int>> ContainerService::Pids(const std::string&) {
  return Unimplemented("docker top is not supported by this container service");
}
Result<ContainerTop> ContainerService::Top(const std::string&, const std::string&) {
  return Unimplemented("docker top is not supported by this container service");
}
Result<std::vector<ContainerChange>> ContainerService::Changes(const std::string&) {
  return Unimplemented("docker diff is not supported by this container service");
}
Result<int64_t> ContainerService::WritableLayerSize(const std::string&) {
  return Unimplemented("container sizes are not supported by this container service");
}

namespace container {

namespace {

Status NotRunning(const std::string& id) { return Conflict("container " + id + " is not running"); }

// Walks the overlay upper directory `dir` (path `rel` in the container)
// and appends its changes.
void WalkUpper(const std::string& dir, const std::string& rel, const std::vector<std::string>& lower,
               std::vector<std::string>* comps, std::vector<ContainerChange>* out) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    std::string path = dir + "/" + n;
    std::string in_ctr = rel + "/" + n;
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) continue;
    comps->push_back(n);
    if (S_ISCHR(st.st_mode) && major(st.st_rdev) == 0 && minor(st.st_rdev) == 0) {
      out->push_back({in_ctr, 2});
    } else {
      bool in_image = !lower.empty() && PathInLayers(lower, *comps).kind != ImagePathKind::kAbsent;
      out->push_back({in_ctr, in_image ? 0 : 1});
      if (S_ISDIR(st.st_mode)) WalkUpper(path, in_ctr, lower, comps, out);
    }
    comps->pop_back();
  }
}

// Go's strings.Fields for ASCII whitespace.
std::vector<std::string> Fields(std::string_view line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) i++;
    size_t start = i;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) i++;
    if (i > start) out.emplace_back(line.substr(start, i - start));
  }
  return out;
}

}  // namespace

Result<std::map<std::string, std::string>> CgroupDirsOf(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  if (!in) return NotFound("process " + std::to_string(pid) + " is gone");
  std::map<std::string, std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    size_t a = line.find(':');
    size_t b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string controllers = line.substr(a + 1, b - a - 1);
    std::string path = line.substr(b + 1);
    if (controllers.empty()) out[""] = "/sys/fs/cgroup" + path;
    std::stringstream list(controllers);
    for (std::string c; std::getline(list, c, ',');) out[c] = "/sys/fs/cgroup/" + c + path;
  }
  return out;
}

void DropRuntimeMountPoints(const std::string& upper, std::vector<ContainerChange>* changes) {
  static const std::set<std::string> kMountPoints = {
      "/dev", "/dev/pts",   "/dev/shm",      "/dev/mqueue",      "/dev/console", "/proc",
      "/sys", "/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/etc/mtab",    "/.dockerenv"};
  auto is_bare_mount_point = [&](const std::string& path) {
    struct stat st;
    const std::string at = upper + path;
    if (::lstat(at.c_str(), &st) != 0) return false;
    if (S_ISREG(st.st_mode)) return st.st_size == 0;
    return S_ISDIR(st.st_mode) && EmptyDirectory(at);
  };
  std::vector<ContainerChange>& all = *changes;
  std::vector<bool> drop(all.size(), false);
  for (size_t i = 0; i < all.size(); ++i) {
    drop[i] = all[i].kind == 1 && kMountPoints.count(all[i].path) != 0 && is_bare_mount_point(all[i].path);
  }
  // Changed directories whose reported descendants all went: from the
  // deepest up (a descendant follows its directory in depth-first order).
  for (size_t i = all.size(); i-- > 0;) {
    if (all[i].kind != 0 || drop[i]) continue;
    const std::string prefix = all[i].path + "/";
    size_t end = i + 1;
    bool any_dropped = false, any_kept = false;
    for (; end < all.size() && all[end].path.compare(0, prefix.size(), prefix) == 0; ++end) {
      (drop[end] ? any_dropped : any_kept) = true;
    }
    if (any_dropped && !any_kept) drop[i] = true;
  }
  size_t kept = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    if (drop[i]) continue;
    if (kept != i) all[kept] = std::move(all[i]);  // (a self-move would empty it)
    ++kept;
  }
  all.resize(kept);
}

Result<ContainerTop> ParsePsOutput(std::string_view output, const std::vector<int>& pids) {
  ContainerTop top;
  std::vector<std::string_view> lines;
  for (size_t pos = 0; pos < output.size();) {
    size_t nl = output.find('\n', pos);
    if (nl == std::string_view::npos) nl = output.size();
    lines.push_back(output.substr(pos, nl - pos));
    pos = nl + 1;
  }
  if (lines.empty()) return Internal("Couldn't find PID field in ps output");
  top.titles = Fields(lines[0]);
  auto pid_col = std::find(top.titles.begin(), top.titles.end(), "PID");
  if (pid_col == top.titles.end()) return Internal("Couldn't find PID field in ps output");
  size_t pid_index = static_cast<size_t>(pid_col - top.titles.begin());
  std::set<int> wanted(pids.begin(), pids.end());
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> f = Fields(lines[i]);
    if (f.empty()) continue;
    if (pid_index >= f.size()) return Internal("Unexpected pid '': no such column");
    const std::string& p = f[pid_index];
    bool digits = !p.empty() && std::all_of(p.begin(), p.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    if (!digits || p.size() > 9) return Internal("Unexpected pid '" + p + "': not a number");
    if (!wanted.contains(std::stoi(p))) continue;
    size_t keep = top.titles.size() - 1;
    std::vector<std::string> row(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(std::min(keep, f.size())));
    std::string last;
    for (size_t k = keep; k < f.size(); ++k) last += (k > keep ? " " : "") + f[k];
    if (f.size() > keep) row.push_back(last);
    top.processes.push_back(std::move(row));
  }
  return top;
}

Status ContainerServiceImpl::Rename(const std::string& ref, const std::string& new_name_in) {
  if (new_name_in.empty() || ref.empty()) return InvalidArgument("Neither old nor new names may be empty");
  if (!ValidContainerName(new_name_in)) return InvalidName(new_name_in);
  std::string new_name = new_name_in.starts_with("/") ? new_name_in.substr(1) : new_name_in;
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  MutexLock op(c->op_mu.get());
  MutexLock l(&mu_);
  if (c->removed) return NotFound("No such container: " + ref);
  std::string old_name = c->rec.name;
  if (old_name == new_name) {
    return InvalidArgument("Renaming a container with the same name as its current name");
  }
  if (const Ctr* other = ByNameLocked(new_name)) return NameInUse(new_name, other->rec.id);
  c->rec.name = new_name;
  Status s = Persist(*c);
  if (!s.ok()) {
    c->rec.name = old_name;
    return s;
  }
  Emit(*c, "rename", {{"oldName", "/" + old_name}});
  return OkStatus();
}

Status ContainerServiceImpl::Pause(const std::string& ref) {
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  MutexLock op(c->op_mu.get());
  std::string id;
  {
    MutexLock l(&mu_);
    id = c->rec.id;
    if (c->rec.state == ContainerState::kPaused) return Conflict("container " + id + " is already paused");
    if (c->rec.state == ContainerState::kRestarting) {
      return Conflict("container " + id + " is restarting, wait until the container is running");
    }
    if (c->rec.state != ContainerState::kRunning) return NotRunning(id);
  }
  Status s = runtime_->Pause(id);
  if (s.code() == Code::kFailedPrecondition) return NotRunning(id);
  if (!s.ok()) return Status(s.code(), "cannot pause container " + id + ": " + s.message());
  MutexLock l(&mu_);
  if (c->rec.state == ContainerState::kRunning) c->rec.state = ContainerState::kPaused;
  BERTH_RETURN_IF_ERROR(Persist(*c));
  Emit(*c, "pause");
  return OkStatus();
}

Status ContainerServiceImpl::Unpause(const std::string& ref) {
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  MutexLock op(c->op_mu.get());
  std::string id;
  {
    MutexLock l(&mu_);
    id = c->rec.id;
    if (c->rec.state != ContainerState::kPaused) return Conflict("container " + id + " is not paused");
  }
  Status s = runtime_->Resume(id);
  if (!s.ok() && s.code() != Code::kFailedPrecondition) {
    return Status(s.code(), "cannot unpause container " + id + ": " + s.message());
  }
  MutexLock l(&mu_);
  if (c->rec.state == ContainerState::kPaused) c->rec.state = ContainerState::kRunning;
  BERTH_RETURN_IF_ERROR(Persist(*c));
  Emit(*c, "unpause");
  return OkStatus();
}

Result<std::vector<int>> ContainerServiceImpl::Pids(const std::string& ref) {
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  int pid;
  std::string id;
  {
    MutexLock l(&mu_);
    id = c->rec.id;
    if (!c->rec.running() || c->rec.pid <= 0) return NotRunning(id);
    pid = c->rec.pid;
  }
  Result<std::map<std::string, std::string>> dirs = CgroupDirsOf(pid);
  if (!dirs.ok()) return NotRunning(id);
  // The pids controller on cgroup v1 (else memory), or the unified one.
  std::string dir = dirs->contains("pids") ? dirs->at("pids") : dirs->contains("memory") ? dirs->at("memory") : "";
  if (dir.empty() && dirs->contains("")) dir = dirs->at("");
  std::ifstream procs(dir + "/cgroup.procs");
  if (dir.empty() || !procs) return Internal("read the cgroup.procs of container " + id + ": cannot open");
  std::vector<int> out;
  for (int p; procs >> p;) out.push_back(p);
  return out;
}

Result<ContainerTop> ContainerServiceImpl::Top(const std::string& ref, const std::string& ps_args) {
  BERTH_ASSIGN_OR_RETURN(std::vector<int> pids, Pids(ref));
  std::vector<std::string> argv = {"ps"};
  std::string args = ps_args.empty() ? "-ef" : ps_args;
  for (size_t pos = 0; pos <= args.size();) {
    size_t sp = args.find(' ', pos);
    if (sp == std::string::npos) sp = args.size();
    argv.push_back(args.substr(pos, sp - pos));  // as Go's strings.Split: empty parts kept
    pos = sp + 1;
  }
  BERTH_ASSIGN_OR_RETURN(runtime_internal::CommandResult r, runtime_internal::RunCommand(argv));
  if (r.exit_code != 0) {
    std::string first = r.err.substr(0, r.err.find('\n'));
    return Internal("ps: " + (first.empty() ? "exit status " + std::to_string(r.exit_code) : first));
  }
  return ParsePsOutput(r.out, pids);
}

Result<std::vector<ContainerChange>> ContainerServiceImpl::Changes(const std::string& ref) {
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  MutexLock op(c->op_mu.get());
  Digest manifest;
  std::string id;
  {
    MutexLock l(&mu_);
    manifest = c->rec.image_manifest;
    id = c->rec.id;
  }
  std::vector<ContainerChange> out;
  const std::string upper = Dir(id) + "/upper";
  if (!store_->env()->FileExists(upper)) return out;
  BERTH_ASSIGN_OR_RETURN(PreparedLayers layers, PrepareImage(manifest));
  std::vector<std::string> comps;
  WalkUpper(upper, "", layers.dirs, &comps, &out);
  DropRuntimeMountPoints(upper, &out);
  return out;
}

Result<int64_t> ContainerServiceImpl::WritableLayerSize(const std::string& ref) {
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  std::string id;
  {
    MutexLock l(&mu_);
    id = c->rec.id;
  }
  Result<int64_t> size = ApparentTreeSize(Dir(id) + "/upper");
  if (!size.ok() && size.status().code() == Code::kNotFound) return int64_t{0};  // never started
  return size;
}

}  // namespace container
}  // namespace berth
