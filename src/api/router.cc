// Route matching.

#include "api/router.h"

namespace berth::api {

namespace {

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  size_t pos = 0;
  while (true) {
    size_t slash = path.find('/', pos);
    out.emplace_back(path.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos));
    if (slash == std::string_view::npos) break;
    pos = slash + 1;
  }
  return out;
}

bool IsVar(const std::string& seg) { return seg.size() > 2 && seg.front() == '{' && seg.back() == '}'; }

// "{name:.*}" -> ("name", true); "{name}" -> ("name", false).
std::pair<std::string, bool> VarName(const std::string& seg) {
  std::string inner = seg.substr(1, seg.size() - 2);
  size_t colon = inner.find(':');
  if (colon == std::string::npos) return {inner, false};
  return {inner.substr(0, colon), inner.substr(colon + 1) == ".*"};
}

bool MatchFrom(const std::vector<std::string>& pat, size_t pi, const std::vector<std::string>& segs, size_t si,
               std::map<std::string, std::string>* vars) {
  if (pi == pat.size()) return si == segs.size();
  if (si >= segs.size()) return false;
  const std::string& p = pat[pi];
  if (!IsVar(p)) {
    return p == segs[si] && MatchFrom(pat, pi + 1, segs, si + 1, vars);
  }
  auto [name, greedy] = VarName(p);
  if (!greedy) {
    if (!MatchFrom(pat, pi + 1, segs, si + 1, vars)) return false;
    (*vars)[name] = segs[si];
    return true;
  }
  // Longest run first.
  for (size_t end = segs.size(); end > si; end--) {
    if (MatchFrom(pat, pi + 1, segs, end, vars)) {
      std::string joined;
      for (size_t i = si; i < end; i++) {
        if (i > si) joined += '/';
        joined += segs[i];
      }
      (*vars)[name] = joined;
      return true;
    }
  }
  return false;
}

}  // namespace

Result<ImageService*> RouteContext::Images() const {
  if (store == nullptr || store->images() == nullptr) return Internal("no image store attached");
  return store->images();
}

Result<ContainerService*> RouteContext::Containers() const {
  if (opts == nullptr || opts->containers == nullptr) return Internal("no container service attached");
  return opts->containers;
}

void Router::Add(std::string method, std::string pattern, Handler handler, bool streams_body) {
  Route r;
  r.method = std::move(method);
  r.segments = SplitPath(pattern);
  r.pattern = std::move(pattern);
  r.handler = std::move(handler);
  r.streams_body = streams_body;
  routes_.push_back(std::move(r));
}

Router::Match Router::Find(std::string_view method, std::string_view path) const {
  Match m;
  std::vector<std::string> segs = SplitPath(path);
  for (const Route& r : routes_) {
    if (r.method != method) continue;
    std::map<std::string, std::string> vars;
    if (MatchFrom(r.segments, 0, segs, 0, &vars)) {
      m.route = &r;
      m.vars = std::move(vars);
      return m;
    }
  }
  return m;
}

Response JsonResponse(int status, std::string json_text) {
  Response r;
  r.status = status;
  r.body = std::move(json_text);
  r.body += "\n";
  r.SetHeader("Content-Type", "application/json");
  return r;
}

}  // namespace berth::api
