// Test helpers: a real docker-registry (distribution 2.8) on 127.0.0.1 with
// a free port and filesystem storage in a temporary directory, and a fault
// proxy in front of it that can corrupt, cut or fail chosen responses.
// Header-only, for tests of any module.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "testing/temp_dir.h"

namespace berth::registry_test {

inline int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

inline bool CanConnect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// A docker-registry process. Start() returns false (with a reason in
// error()) when the binary is missing or does not come up.
class TestRegistry {
 public:
  static constexpr const char* kBinary = "/usr/bin/docker-registry";

  ~TestRegistry() { Stop(); }

  // `htpasswd_file`: enables basic auth with that bcrypt htpasswd file.
  bool Start(const std::string& htpasswd_file = "") {
    if (::access(kBinary, X_OK) != 0) {
      error_ = std::string(kBinary) + " not found";
      return false;
    }
    if (!tmp_.Create("berth-registry")) return false;
    dir_ = tmp_.path();
    port_ = FreePort();
    std::ofstream cfg(dir_ + "/config.yml");
    cfg << "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
        << "storage:\n  filesystem:\n    rootdirectory: " << dir_ << "/data\n  delete:\n    enabled: true\n"
        << "http:\n  addr: 127.0.0.1:" << port_ << "\n";
    if (!htpasswd_file.empty()) {
      cfg << "auth:\n  htpasswd:\n    realm: berth-test\n    path: " << htpasswd_file << "\n";
    }
    cfg.close();
    pid_ = ::fork();
    if (pid_ == 0) {
      std::string log = dir_ + "/registry.log";
      FILE* f = std::freopen(log.c_str(), "w", stdout);
      (void)f;
      ::dup2(::fileno(stdout), 2);
      ::execl(kBinary, kBinary, "serve", (dir_ + "/config.yml").c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 200; i++) {
      if (CanConnect(port_)) return true;
      int st;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        error_ = "docker-registry exited";
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    error_ = "docker-registry did not listen";
    return false;
  }

  void Stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int st;
      ::waitpid(pid_, &st, 0);
      pid_ = -1;
    }
    tmp_.Remove();
    dir_.clear();
  }

  int port() const { return port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::string& dir() const { return dir_; }
  const std::string& error() const { return error_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  testing::TempDir tmp_;
  std::string dir_;  // tmp_.path()
  std::string error_;
};

// A one-request-per-connection HTTP proxy to 127.0.0.1:<upstream>. Faults
// apply to requests whose method and path match (path substring).
class FaultProxy {
 public:
  enum class Kind { kCorrupt, kCut, kStatus };
  struct Fault {
    std::string method = "GET";
    std::string path_contains;
    Kind kind = Kind::kCorrupt;
    int times = 1;             // how many matching requests it applies to
    size_t cut_after = 0;      // kCut: body bytes sent before closing
    int status = 503;          // kStatus: answer this instead of forwarding
  };

  explicit FaultProxy(int upstream) : upstream_(upstream) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(listen_fd_, 64);
    thread_ = std::thread([this] { Loop(); });
  }
  ~FaultProxy() {
    stop_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    thread_.join();
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& t : workers_) t.join();
  }

  void AddFault(const Fault& f) {
    std::lock_guard<std::mutex> lock(mu_);
    faults_.push_back(f);
  }
  // Token auth in front of the registry: every request needs
  // "Authorization: Bearer <token>" (else 401 with a Bearer challenge whose
  // realm is this proxy's /token); GET /token answers {"access_token":token}
  // when its Authorization header equals `token_auth` (any, when empty).
  // `token` must be lower case.
  void RequireBearer(const std::string& token, const std::string& token_auth) {
    std::lock_guard<std::mutex> lock(mu_);
    bearer_ = token;
    token_auth_ = token_auth;
  }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  // Request heads seen ("GET /v2/… HTTP/1.1\r\nHeader: …").
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  static bool SendAll(int fd, const char* p, size_t n) {
    while (n > 0) {
      ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
      if (w <= 0) return false;
      p += w;
      n -= static_cast<size_t>(w);
    }
    return true;
  }

  void Loop() {
    while (!stop_) {
      int c = ::accept(listen_fd_, nullptr, nullptr);
      if (c < 0) {
        if (stop_) return;
        continue;
      }
      std::lock_guard<std::mutex> lock(mu_);
      workers_.emplace_back([this, c] { Serve(c); });
    }
  }

  void Serve(int c) {
    std::string in;
    char buf[65536];
    size_t head_end;
    while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) {
        ::close(c);
        return;
      }
      in.append(buf, static_cast<size_t>(n));
    }
    std::string head = in.substr(0, head_end);
    std::string lower = head;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    size_t body_len = 0;
    if (size_t p = lower.find("\r\ncontent-length:"); p != std::string::npos) {
      body_len = std::strtoul(lower.c_str() + p + 17, nullptr, 10);
    }
    while (in.size() < head_end + 4 + body_len) {
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      in.append(buf, static_cast<size_t>(n));
    }
    std::string method = head.substr(0, head.find(' '));
    std::string path = head.substr(method.size() + 1, head.find(' ', method.size() + 1) - method.size() - 1);
    std::optional<Fault> fault;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(head);
      for (Fault& f : faults_) {
        if (f.times > 0 && f.method == method && path.find(f.path_contains) != std::string::npos) {
          f.times--;
          fault = f;
          break;
        }
      }
    }
    std::string bearer, token_auth;
    {
      std::lock_guard<std::mutex> lock(mu_);
      bearer = bearer_;
      token_auth = token_auth_;
    }
    if (!bearer.empty()) {
      std::string r;
      if (path.rfind("/token", 0) == 0) {
        if (token_auth.empty() || (head + "\r\n").find("\r\nAuthorization: " + token_auth + "\r\n") != std::string::npos) {
          std::string body = "{\"access_token\":\"" + bearer + "\"}";
          r = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
              "\r\nConnection: close\r\n\r\n" + body;
        } else {
          r = "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        }
      } else if (lower.find("\r\nauthorization: bearer " + bearer) == std::string::npos) {
        std::string body = "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}";
        r = "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"http://" + host() +
            "/token\",service=\"berth-test\"\r\nContent-Type: application/json\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
      }
      if (!r.empty()) {
        SendAll(c, r.data(), r.size());
        ::close(c);
        return;
      }
    }
    if (fault && fault->kind == Kind::kStatus) {
      std::string r = "HTTP/1.1 " + std::to_string(fault->status) + " Injected\r\nContent-Length: 0\r\n"
                      "Connection: close\r\n\r\n";
      SendAll(c, r.data(), r.size());
      ::close(c);
      return;
    }
    // Forward with "Connection: close" and read the whole answer.
    std::string out_head;
    size_t pos = 0;
    while (pos < head.size()) {
      size_t e = head.find("\r\n", pos);
      if (e == std::string::npos) e = head.size();
      std::string line = head.substr(pos, e - pos);
      pos = e + 2;
      std::string l = line;
      for (char& ch : l) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (l.rfind("connection:", 0) == 0) continue;
      out_head += line + "\r\n";
    }
    out_head += "Connection: close\r\n\r\n";
    int u = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(upstream_));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(u, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(u);
      ::close(c);
      return;
    }
    SendAll(u, out_head.data(), out_head.size());
    if (in.size() > head_end + 4) SendAll(u, in.data() + head_end + 4, in.size() - head_end - 4);
    std::string resp;
    for (;;) {
      ssize_t n = ::recv(u, buf, sizeof buf, 0);
      if (n <= 0) break;
      resp.append(buf, static_cast<size_t>(n));
    }
    ::close(u);
    size_t rh = resp.find("\r\n\r\n");
    if (fault && rh != std::string::npos && resp.size() > rh + 4) {
      if (fault->kind == Kind::kCorrupt) {
        resp.back() = static_cast<char>(resp.back() ^ 0x5a);
      } else if (fault->kind == Kind::kCut) {
        resp.resize(std::min(resp.size(), rh + 4 + fault->cut_after));
      }
    }
    SendAll(c, resp.data(), resp.size());
    ::shutdown(c, SHUT_RDWR);
    ::close(c);
  }

  int upstream_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::thread> workers_;
  std::vector<Fault> faults_;
  std::vector<std::string> requests_;
  std::string bearer_;
  std::string token_auth_;
};

}  // namespace berth::registry_test
