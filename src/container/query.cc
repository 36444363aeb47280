// Reading containers: Get (inspect), List with Docker's filters, Logs.
#include <algorithm>
#include <regex>

#include "container/internal.h"

namespace berth::container {

namespace {

// Docker's filters match names and IDs as regular expressions (unanchored).
bool RegexMatch(const std::string& pattern, const std::string& s) {
  try {
    return std::regex_search(s, std::regex(pattern));
  } catch (const std::exception&) {
    return s.find(pattern) != std::string::npos;
  }
}

Status InvalidFilter(const std::string& key, const std::string& value) {
  return InvalidArgument("invalid filter '" + key + "=" + value + "'");
}

}  // namespace

ContainerInfo ContainerServiceImpl::InfoLocked(const Ctr& c, const LinkNames* link_names) {
  ContainerInfo info;
  info.record = c.rec;
  info.record.config_json = StoredConfigToJson(c.stored);
  info.config = c.stored.config;
  ImageProcess proc;
  if (auto p = ImageProcessOf(c.rec.image_manifest); p.ok()) proc = *p;
  Effective e = Merge(c.stored.config, proc);
  info.path_and_args = e.args;
  info.effective_env = e.env;
  info.effective_working_dir = e.working_dir;
  info.effective_user = e.user;
  info.effective_cmd = e.cmd;
  info.effective_entrypoint = e.entrypoint;
  info.image_labels = proc.labels;
  info.rootfs = Dir(c.rec.id) + "/rootfs";
  info.log_path = Dir(c.rec.id) + "/state/container.log";
  info.restart_count = c.stored.restart_count;
  info.effective_healthcheck = MergeHealthConfig(c.stored.config.healthcheck, proc.healthcheck);
  info.health = c.health;
  info.error = c.stored.error;
  info.oom_killed = c.stored.oom_killed;
  if (opts_.network != nullptr && c.rec.running()) {
    info.networks = opts_.network->AttachmentsOf(c.rec.id);
    if (!info.networks.empty()) info.network = info.networks.front();
  }
  info.legacy_links_shown = LegacyLinksShownLocked(c);
  const LinkNames own = link_names == nullptr ? LinkNamesLocked() : LinkNames();
  const LinkNames& names = link_names == nullptr ? own : *link_names;
  if (auto it = names.find(c.rec.id); it != names.end()) info.link_names = it->second;
  return info;
}

Result<ContainerInfo> ContainerServiceImpl::Get(const std::string& ref) {
  MutexLock l(&mu_);
  BERTH_ASSIGN_OR_RETURN(std::string id, ResolveLocked(ref));
  return InfoLocked(*ctrs_[id]);
}

Result<std::vector<ContainerInfo>> ContainerServiceImpl::List(const ContainerListOptions& opts) {
  bool all = opts.all;
  std::vector<int> exited;
  std::vector<LabelFilter> labels;
  std::vector<Digest> ancestors;
  std::vector<std::string> ancestor_refs;
  for (const auto& [key, values] : opts.filters) {
    if (key == "status") {
      for (const auto& v : values) {
        if (!ParseContainerState(v).ok() && v != "paused" && v != "restarting" && v != "removing" && v != "dead") {
          return InvalidFilter(key, v);
        }
        all = true;  // Docker: a status filter implies all
      }
    } else if (key == "exited") {
      for (const auto& v : values) {
        try {
          size_t pos = 0;
          int n = std::stoi(v, &pos);
          if (pos != v.size()) return InvalidFilter(key, v);
          exited.push_back(n);
        } catch (const std::exception&) {
          return InvalidFilter(key, v);
        }
      }
    } else if (key == "label") {
      for (const auto& v : values) {
        BERTH_ASSIGN_OR_RETURN(LabelFilter f, LabelFilter::Parse(v));
        labels.push_back(f);
      }
    } else if (key == "ancestor") {
      for (const auto& v : values) {
        auto img = store_->images()->Resolve(v);
        if (img.ok()) ancestors.push_back(img->id());
        ancestor_refs.push_back(v);
      }
    } else if (key == "health") {
      for (const auto& v : values) {
        if (v != "starting" && v != "healthy" && v != "unhealthy" && v != "none") {
          return InvalidArgument("Unrecognised filter value for health: " + v);
        }
      }
    } else if (key != "id" && key != "name" && key != "before" && key != "since") {
      return InvalidArgument("invalid filter '" + key + "'");
    }
  }
  auto values = [&](const char* key) -> const std::vector<std::string>* {
    auto it = opts.filters.find(key);
    return it == opts.filters.end() || it->second.empty() ? nullptr : &it->second;
  };

  MutexLock l(&mu_);
  const LinkNames link_names = LinkNamesLocked();  // once, not per container
  std::vector<const Ctr*> sorted;
  for (const auto& [id, c] : ctrs_) sorted.push_back(c.get());
  std::sort(sorted.begin(), sorted.end(), [](const Ctr* a, const Ctr* b) {
    if (a->rec.created_unix_nanos != b->rec.created_unix_nanos) {
      return a->rec.created_unix_nanos > b->rec.created_unix_nanos;  // newest first
    }
    return a->rec.id < b->rec.id;
  });
  // before/since: bounds by creation time of the named containers.
  std::optional<int64_t> before_t, since_t;
  if (auto* v = values("before")) {
    for (const auto& ref : *v) {
      BERTH_ASSIGN_OR_RETURN(std::string id, ResolveLocked(ref));
      int64_t t = ctrs_[id]->rec.created_unix_nanos;
      before_t = before_t ? std::min(*before_t, t) : t;
    }
  }
  if (auto* v = values("since")) {
    for (const auto& ref : *v) {
      BERTH_ASSIGN_OR_RETURN(std::string id, ResolveLocked(ref));
      int64_t t = ctrs_[id]->rec.created_unix_nanos;
      since_t = since_t ? std::max(*since_t, t) : t;
    }
  }
  std::vector<ContainerInfo> out;
  std::map<Digest, Digest> parents;  // image ID -> parent image ID (ancestor filter)
  for (const Ctr* c : sorted) {
    const ContainerRecord& r = c->rec;
    if (!all && !r.running()) continue;
    if (before_t && r.created_unix_nanos >= *before_t) continue;
    if (since_t && r.created_unix_nanos <= *since_t) continue;
    if (auto* v = values("id")) {
      if (std::none_of(v->begin(), v->end(), [&](const std::string& p) { return RegexMatch(p, r.id); })) continue;
    }
    if (auto* v = values("name")) {
      if (std::none_of(v->begin(), v->end(), [&](const std::string& p) { return RegexMatch(p, "/" + r.name); })) {
        continue;
      }
    }
    if (auto* v = values("status")) {
      std::string state(ContainerStateName(r.state));
      if (std::find(v->begin(), v->end(), state) == v->end()) continue;
    }
    if (auto* v = values("health")) {
      const std::string status = c->health ? c->health->status : "none";
      if (std::find(v->begin(), v->end(), status) == v->end()) continue;
    }
    if (!exited.empty()) {
      bool ok = r.state == ContainerState::kExited && r.started_unix_nanos != 0 &&
                std::find(exited.begin(), exited.end(), r.exit_code) != exited.end();
      if (!ok) continue;
    }
    if (values("ancestor")) {
      bool ok = std::find(ancestor_refs.begin(), ancestor_refs.end(), r.image_ref) != ancestor_refs.end();
      // The image or any of its parents (parent labels, as commit sets).
      Digest img = r.image_id;
      for (int depth = 0; !ok && !img.empty() && depth < 64; ++depth) {
        ok = std::find(ancestors.begin(), ancestors.end(), img) != ancestors.end();
        auto it = parents.find(img);
        if (it == parents.end()) {
          auto rec = store_->images()->Resolve(img.str());
          Digest parent;
          if (rec.ok()) parent = Digest::Parse(ParentOf(*rec)).value_or(Digest());
          it = parents.emplace(img, parent).first;
        }
        img = it->second;
      }
      if (!ok) continue;
    }
    ContainerInfo info = InfoLocked(*c, &link_names);
    if (!labels.empty()) {
      std::map<std::string, std::string> merged = info.image_labels;
      for (const auto& [k, v] : c->stored.config.labels) merged[k] = v;
      if (!std::all_of(labels.begin(), labels.end(), [&](const LabelFilter& f) { return f.Matches(merged); })) {
        continue;
      }
    }
    out.push_back(std::move(info));
    if (opts.limit > 0 && static_cast<int>(out.size()) >= opts.limit) break;
  }
  return out;
}

std::shared_ptr<void> ContainerServiceImpl::HoldOutput(const std::string& ref) {
  auto c = Find(ref);
  if (!c.ok()) return nullptr;
  {
    MutexLock l(&mu_);
    (*c)->output_holds++;
  }
  return std::shared_ptr<void>(nullptr, [this, ctr = *c](void*) {
    MutexLock l(&mu_);
    ctr->output_holds--;
    cv_.NotifyAll();
  });
}

Status ContainerServiceImpl::Logs(const std::string& ref, LogReadOptions opts,
                                  const std::function<Status(const LogEntry&)>& emit) {
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  std::string path = Dir(c->rec.id) + "/state/container.log";
  if (!opts.finished) {
    opts.finished = [this, c] {
      MutexLock l(&mu_);
      return !c->rec.running() || c->removed;
    };
    // OnExit and removal notify cv_ once the record says so.
    opts.await_finished = [this, c](int timeout_ms) {
      MutexLock l(&mu_);
      if (c->rec.running() && !c->removed && !stopping_) cv_.WaitFor(&mu_, std::chrono::milliseconds(timeout_ms));
    };
  }
  if (!store_->env()->FileExists(path)) {
    bool running;
    {
      MutexLock l(&mu_);
      running = c->rec.running();
    }
    if (!opts.follow || !running) return OkStatus();  // never started: no log yet
  }
  return ReadLog(path, opts, emit);
}

}  // namespace berth::container
