#include "registry/client.h"

#include <arpa/inet.h>
#include <curl/curl.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

#include "berth/oci.h"

namespace berth::registry {

namespace json = boost::json;

namespace {

std::once_flag g_curl_once;


bool Retryable(long status) { return status >= 500 || status == 429; }

bool RetryableCurl(CURLcode c) {
  switch (c) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

const char* kAccept =
    "Accept: application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

}  // namespace

// ---- one transfer ----------------------------------------------------------

struct Client::Transfer {
  std::string method;
  std::string url;
  std::vector<std::string> headers;
  const std::string* body = nullptr;
  std::string upload_path;
  int64_t upload_size = 0;
  std::function<void(int64_t)> upload_progress;
  // Receives body data of 2xx responses (else the body is collected).
  std::function<Status(long, std::string_view)> sink;
  // The most of a 2xx body collected (a token's is smaller than a manifest's).
  size_t max_collected = 8 << 20;
  bool verify_tls = true;

  // Filled during the transfer.
  CURL* curl = nullptr;
  FILE* upload = nullptr;
  Response resp;
  Status sink_status;
  std::function<bool()> cancelled;
};

struct Client::Outcome {
  CURLcode code = CURLE_OK;
  std::string error;
};

namespace {

// Redirects followed for one request at the most.
constexpr long kMaxRedirects = 10;

// The most of a response body kept in memory: a manifest (Transfer's
// default max_collected), a token, an error (any non-2xx body).
constexpr size_t kMaxTokenBody = 1 << 20;
constexpr size_t kMaxErrorBody = 64 << 10;

std::string SizeText(size_t bytes) {
  return bytes >= (1 << 20) ? std::to_string(bytes >> 20) + " MiB" : std::to_string(bytes >> 10) + " KiB";
}

size_t OnHeader(char* data, size_t size, size_t n, void* p) {
  auto* t = static_cast<Client::Transfer*>(p);
  std::string_view line(data, size * n);
  if (line.substr(0, 5) == "HTTP/") {
    t->resp.headers.clear();
  } else if (size_t c = line.find(':'); c != std::string_view::npos) {
    t->resp.headers[Lower(std::string(line.substr(0, c)))] = Trim(line.substr(c + 1));
  }
  return size * n;
}

size_t OnData(char* data, size_t size, size_t n, void* p) {
  auto* t = static_cast<Client::Transfer*>(p);
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  std::string_view chunk(data, size * n);
  if (t->sink && status >= 200 && status < 300) {
    t->sink_status = t->sink(status, chunk);
    if (!t->sink_status.ok()) return 0;
  } else {
    // Error bodies, tokens and manifests are read into memory: a response
    // past its limit ends the transfer rather than growing without bound.
    const bool ok_status = status >= 200 && status < 300;
    const size_t cap = ok_status ? t->max_collected : kMaxErrorBody;
    if (t->resp.body.size() + chunk.size() > cap) {
      t->sink_status = InvalidArgument(std::string(ok_status ? "the response" : "the error response") + " to " +
                                       t->method + " " + t->url + " is larger than " + SizeText(cap));
      return 0;
    }
    t->resp.body.append(chunk);
  }
  return size * n;
}

size_t OnRead(char* buf, size_t size, size_t n, void* p) {
  auto* t = static_cast<Client::Transfer*>(p);
  return std::fread(buf, 1, size * n, t->upload);
}

int OnProgress(void* p, curl_off_t, curl_off_t, curl_off_t, curl_off_t ulnow) {
  auto* t = static_cast<Client::Transfer*>(p);
  if (t->cancelled && t->cancelled()) return 1;
  if (t->upload_progress && ulnow > 0) t->upload_progress(ulnow);
  return 0;
}

}  // namespace

Client::Client(const RegistryConfig& cfg, const AuthConfig& auth, const std::string& domain, const std::string& repo,
               bool push, std::function<bool()> cancelled)
    : cfg_(cfg), auth_(auth), host_(RegistryHost(domain)), repo_(repo), push_(push),
      insecure_(IsInsecureRegistry(cfg, RegistryHost(domain))), cancelled_(std::move(cancelled)) {
  std::call_once(g_curl_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (cfg_.max_attempts < 1) cfg_.max_attempts = 1;
  if (!auth_.registry_token.empty()) auth_header_ = "Authorization: Bearer " + auth_.registry_token;
}

Client::Outcome Client::Perform(Transfer& t) {
  Outcome out;
  CURL* c = curl_easy_init();
  if (c == nullptr) {
    out.code = CURLE_FAILED_INIT;
    out.error = "curl_easy_init failed";
    return out;
  }
  t.curl = c;
  t.resp = Response();
  t.sink_status = OkStatus();
  t.cancelled = cancelled_;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_slist* hdrs = nullptr;
  for (const std::string& h : t.headers) hdrs = curl_slist_append(hdrs, h.c_str());
  hdrs = curl_slist_append(hdrs, "Expect:");
  curl_easy_setopt(c, CURLOPT_URL, t.url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "berth/1.0");
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(cfg_.low_speed_time_s));
  // An overall deadline for everything but a blob's body (streamed to a
  // sink, or uploaded from a file), which may take as long as it makes
  // progress.
  if (!t.sink && t.upload_path.empty() && cfg_.request_timeout_ms > 0) {
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(cfg_.request_timeout_ms));
  }
  // Credentials go to the URL asked for only: the Authorization header is
  // dropped when a redirect leads to another origin (scheme, host or port).
  // libcurl's default, kept explicit; the e2e HostileRegistryTest checks it.
  curl_easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, 0L);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnData);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  // Only HTTP(S), for redirects too, and a bounded number of them (a
  // registry redirecting in a loop must not keep a pull going forever).
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  if (t.method == "GET") {
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, kMaxRedirects);
  }
  if (!t.verify_tls) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  } else if (!cfg_.ca_file.empty()) {
    curl_easy_setopt(c, CURLOPT_CAINFO, cfg_.ca_file.c_str());
  }
  if (t.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (!t.upload_path.empty()) {
    t.upload = std::fopen(t.upload_path.c_str(), "rb");
    if (t.upload == nullptr) {
      curl_slist_free_all(hdrs);
      curl_easy_cleanup(c);
      out.code = CURLE_READ_ERROR;
      out.error = "cannot open " + t.upload_path;
      return out;
    }
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, OnRead);
    curl_easy_setopt(c, CURLOPT_READDATA, &t);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(t.upload_size));
    if (t.method != "PUT") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, t.method.c_str());
  } else if (t.method != "GET") {
    static const std::string kEmpty;
    const std::string& b = t.body ? *t.body : kEmpty;
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(b.size()));
    curl_easy_setopt(c, CURLOPT_COPYPOSTFIELDS, b.c_str());
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, t.method.c_str());
  }
  out.code = curl_easy_perform(c);
  if (out.code != CURLE_OK) out.error = errbuf[0] ? std::string(errbuf) : curl_easy_strerror(out.code);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &t.resp.status);
  if (t.upload != nullptr) {
    std::fclose(t.upload);
    t.upload = nullptr;
  }
  curl_slist_free_all(hdrs);
  curl_easy_cleanup(c);
  t.curl = nullptr;
  return out;
}

Result<std::string> Client::BaseUrl() {
  {
    MutexLock lock(&mu_);
    if (!base_url_.empty()) return base_url_;
  }
  std::string url;
  if (!insecure_) {
    url = "https://" + host_;
  } else if (IsLoopbackHost(host_)) {
    url = "http://" + host_;
  } else {
    // Insecure: HTTPS without verification if it answers, else plain HTTP.
    Transfer t;
    t.method = "GET";
    t.url = "https://" + host_ + "/v2/";
    t.verify_tls = false;
    Outcome o = Perform(t);
    url = (o.code == CURLE_OK ? "https://" : "http://") + host_;
  }
  MutexLock lock(&mu_);
  base_url_ = url;
  return url;
}

std::string Client::AuthHeader() {
  MutexLock lock(&mu_);
  return auth_header_;
}

void Client::Backoff(int attempt) {
  int64_t ms = cfg_.backoff_initial_ms;
  for (int i = 1; i < attempt && ms < 5000; i++) ms *= 2;
  ms = std::min<int64_t>(ms, 5000);
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < end && !Cancelled()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(ms, 20)));
  }
}

Status CheckTokenRealm(std::string_view realm, bool registry_is_https) {
  const bool https = realm.rfind("https://", 0) == 0;
  if (!https && realm.rfind("http://", 0) != 0) {
    return InvalidArgument("token realm " + std::string(realm) + " is not an http(s) URL");
  }
  if (registry_is_https && !https) {
    return InvalidArgument("token realm " + std::string(realm) +
                           " is plain HTTP for an HTTPS registry: credentials would travel in clear");
  }
  return OkStatus();
}

Result<bool> Client::Authenticate(const Response& resp) {
  std::optional<Challenge> ch = ParseChallenge(resp.Header("www-authenticate"));
  if (!ch) return false;
  if (ch->scheme == "basic") {
    if (auth_.username.empty() && auth_.password.empty()) return false;
    MutexLock lock(&mu_);
    auth_header_ = "Authorization: Basic " + Base64Encode(auth_.username + ":" + auth_.password);
    return true;
  }
  if (ch->scheme != "bearer") return false;
  auto realm = ch->params.find("realm");
  if (realm == ch->params.end()) return false;
  std::string url = realm->second;
  BERTH_RETURN_IF_ERROR(CheckTokenRealm(url, !insecure_));
  std::vector<std::string> query;
  if (auto s = ch->params.find("service"); s != ch->params.end()) query.push_back("service=" + UrlEncode(s->second));
  // Without a repository (a login check of /v2/) only the challenge's scope.
  std::string own = repo_.empty() ? "" : "repository:" + repo_ + (push_ ? ":pull,push" : ":pull");
  std::string scope = ch->params.count("scope") ? ch->params["scope"] : own;
  if (!scope.empty()) query.push_back("scope=" + UrlEncode(scope));
  if (!own.empty() && scope != own) query.push_back("scope=" + UrlEncode(own));
  for (const std::string& extra : extra_scopes_) {
    if (extra != scope && extra != own) query.push_back("scope=" + UrlEncode(extra));
  }
  for (size_t i = 0; i < query.size(); i++) url += (i == 0 && url.find('?') == std::string::npos ? "?" : "&") + query[i];
  Transfer t;
  t.method = "GET";
  t.url = url;
  t.verify_tls = !insecure_;
  t.max_collected = kMaxTokenBody;
  if (!auth_.username.empty() || !auth_.password.empty()) {
    t.headers.push_back("Authorization: Basic " + Base64Encode(auth_.username + ":" + auth_.password));
  }
  Outcome o;
  for (int attempt = 1;; attempt++) {
    o = Perform(t);
    if (!t.sink_status.ok()) return t.sink_status;
    bool retry = o.code != CURLE_OK ? RetryableCurl(o.code) : Retryable(t.resp.status);
    if (!retry || attempt >= cfg_.max_attempts || Cancelled()) break;
    Backoff(attempt);
  }
  if (o.code != CURLE_OK) return Unavailable(o.error);
  if (t.resp.status == 401 || t.resp.status == 403) return false;
  if (t.resp.status != 200) {
    return Unavailable("token request to " + realm->second + " failed: HTTP " + std::to_string(t.resp.status));
  }
  boost::system::error_code ec;
  json::value v = json::parse(t.resp.body, ec);
  std::string token;
  if (!ec && v.is_object()) {
    for (const char* key : {"token", "access_token"}) {
      if (auto* tv = v.get_object().if_contains(key); tv && tv->is_string() && !tv->get_string().empty()) {
        token = std::string(tv->get_string());
        break;
      }
    }
  }
  if (token.empty()) return Unavailable("token response from " + realm->second + " holds no token");
  MutexLock lock(&mu_);
  auth_header_ = "Authorization: Bearer " + token;
  return true;
}

Result<Response> Client::Do(const Request& req) {
  BERTH_ASSIGN_OR_RETURN(std::string base, BaseUrl());
  bool auth_tried = false;
  for (int attempt = 1;; attempt++) {
    if (Cancelled()) return ::berth::Cancelled("context canceled");
    Transfer t;
    t.method = req.method;
    t.url = req.url_or_path.rfind("http", 0) == 0 ? req.url_or_path : base + req.url_or_path;
    t.headers = req.headers;
    if (std::string a = AuthHeader(); !a.empty()) t.headers.push_back(a);
    t.body = req.body;
    t.upload_path = req.upload_path;
    t.upload_size = req.upload_size;
    t.upload_progress = req.upload_progress;
    t.verify_tls = !insecure_;
    Outcome o = Perform(t);
    if (!t.sink_status.ok()) return t.sink_status;
    if (o.code == CURLE_ABORTED_BY_CALLBACK) return ::berth::Cancelled("context canceled");
    if (o.code != CURLE_OK) {
      if (!RetryableCurl(o.code) || attempt >= cfg_.max_attempts) return Unavailable(o.error);
      Backoff(attempt);
      continue;
    }
    if (t.resp.status == 401 && !auth_tried) {
      auth_tried = true;
      BERTH_ASSIGN_OR_RETURN(bool again, Authenticate(t.resp));
      if (again) {
        attempt--;
        continue;
      }
    }
    if (Retryable(t.resp.status) && attempt < cfg_.max_attempts) {
      Backoff(attempt);
      continue;
    }
    return std::move(t.resp);
  }
}

Result<Response> Client::GetManifest(const std::string& reference, bool head) {
  Request r;
  r.method = head ? "HEAD" : "GET";
  r.url_or_path = "/v2/" + repo_ + "/manifests/" + reference;
  r.headers.push_back(kAccept);
  return Do(r);
}

Result<Response> Client::PutManifest(const std::string& reference, const std::string& media_type,
                                     const std::string& body) {
  Request r;
  r.method = "PUT";
  r.url_or_path = "/v2/" + repo_ + "/manifests/" + reference;
  r.headers.push_back("Content-Type: " + media_type);
  r.body = &body;
  return Do(r);
}

Result<bool> Client::BlobExists(const Digest& d) {
  Request r;
  r.method = "HEAD";
  r.url_or_path = "/v2/" + repo_ + "/blobs/" + d.str();
  BERTH_ASSIGN_OR_RETURN(Response resp, Do(r));
  if (resp.status == 200) return true;
  if (resp.status == 404) return false;
  if (resp.status == 401 || resp.status == 403) return PermissionDenied("unauthorized: authentication required");
  return Unavailable("HEAD blob " + d.str() + ": HTTP " + std::to_string(resp.status));
}

Status Client::FetchBlob(const Digest& d, const std::function<Status(std::string_view)>& write,
                         const std::function<Status()>& restart, const std::function<void(int64_t)>& progress) {
  BERTH_ASSIGN_OR_RETURN(std::string base, BaseUrl());
  int64_t offset = 0;
  bool auth_tried = false;
  for (int attempt = 1;; attempt++) {
    if (Cancelled()) return ::berth::Cancelled("context canceled");
    Transfer t;
    t.method = "GET";
    t.url = base + "/v2/" + repo_ + "/blobs/" + d.str();
    if (std::string a = AuthHeader(); !a.empty()) t.headers.push_back(a);
    if (offset > 0) t.headers.push_back("Range: bytes=" + std::to_string(offset) + "-");
    t.verify_tls = !insecure_;
    bool first = true;
    int64_t start = offset;
    t.sink = [&](long status, std::string_view data) -> Status {
      if (first) {
        first = false;
        if (status != 206 && offset > 0) {  // the server ignored the range: start again
          BERTH_RETURN_IF_ERROR(restart());
          offset = 0;
        }
      }
      BERTH_RETURN_IF_ERROR(write(data));
      offset += static_cast<int64_t>(data.size());
      if (progress) progress(offset);
      return OkStatus();
    };
    Outcome o = Perform(t);
    if (!t.sink_status.ok()) return t.sink_status;
    if (o.code == CURLE_ABORTED_BY_CALLBACK) return ::berth::Cancelled("context canceled");
    if (o.code != CURLE_OK) {
      if (!RetryableCurl(o.code) || attempt >= cfg_.max_attempts) return Unavailable(o.error);
      if (offset <= start) Backoff(attempt);  // no progress: back off; else resume at once
      continue;
    }
    long st = t.resp.status;
    if (st == 401 && !auth_tried) {
      auth_tried = true;
      BERTH_ASSIGN_OR_RETURN(bool again, Authenticate(t.resp));
      if (again) {
        attempt--;
        continue;
      }
    }
    if (st == 416 && offset > 0) {
      BERTH_RETURN_IF_ERROR(restart());
      offset = 0;
      continue;
    }
    if (Retryable(st) && attempt < cfg_.max_attempts) {
      Backoff(attempt);
      continue;
    }
    if (st >= 200 && st < 300) return OkStatus();
    std::string text = RegistryErrorText(t.resp.body);
    if (st == 404) return NotFound(text.empty() ? "blob unknown: blob unknown to registry" : text);
    if (st == 401 || st == 403) return PermissionDenied(text.empty() ? "unauthorized: authentication required" : text);
    return Unavailable("GET blob " + d.str() + ": HTTP " + std::to_string(st) + (text.empty() ? "" : ": " + text));
  }
}

Result<bool> Client::MountBlob(const Digest& d, const std::string& from_repo) {
  Request post;
  post.method = "POST";
  post.url_or_path = "/v2/" + repo_ + "/blobs/uploads/?mount=" + UrlEncode(d.str()) + "&from=" + UrlEncode(from_repo);
  BERTH_ASSIGN_OR_RETURN(Response r, Do(post));
  if (r.status == 201) return true;
  if (r.status == 202) {
    std::string loc = r.Header("location");
    if (!loc.empty()) {
      Request del;
      del.method = "DELETE";
      del.url_or_path = loc;
      if (loc.rfind("http", 0) != 0) {
        BERTH_ASSIGN_OR_RETURN(std::string base, BaseUrl());
        del.url_or_path = base + (loc[0] == '/' ? "" : "/") + loc;
      }
      Do(del).status().IgnoreError();
    }
    return false;
  }
  if (r.status == 401 || r.status == 403) return PermissionDenied("unauthorized: authentication required");
  return false;  // a registry without mount support: upload instead
}

Status Client::UploadBlob(const Digest& d, const std::string& path, int64_t size,
                          const std::function<void(int64_t)>& progress) {
  auto fail = [&](const std::string& what, const Response& r) -> Status {
    std::string text = RegistryErrorText(r.body);
    if (r.status == 401 || r.status == 403) {
      return PermissionDenied(text.empty() ? "unauthorized: authentication required" : text);
    }
    return Unavailable(what + ": HTTP " + std::to_string(r.status) + (text.empty() ? "" : ": " + text));
  };
  Request post;
  post.method = "POST";
  post.url_or_path = "/v2/" + repo_ + "/blobs/uploads/";
  BERTH_ASSIGN_OR_RETURN(Response started, Do(post));
  if (started.status != 202) return fail("starting upload of " + d.str(), started);
  std::string loc = started.Header("location");
  if (loc.empty()) return Unavailable("upload of " + d.str() + ": no Location in the registry's answer");
  if (loc.rfind("http", 0) != 0) {
    BERTH_ASSIGN_OR_RETURN(std::string base, BaseUrl());
    loc = base + (loc[0] == '/' ? "" : "/") + loc;
  }
  loc += (loc.find('?') == std::string::npos ? "?" : "&") + std::string("digest=") + UrlEncode(d.str());
  Request put;
  put.method = "PUT";
  put.url_or_path = loc;
  put.headers.push_back("Content-Type: application/octet-stream");
  put.upload_path = path;
  put.upload_size = size;
  put.upload_progress = progress;
  BERTH_ASSIGN_OR_RETURN(Response done, Do(put));
  if (done.status != 201) return fail("uploading " + d.str(), done);
  return OkStatus();
}

}  // namespace berth::registry
