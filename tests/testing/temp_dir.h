// A temporary directory for tests, removed with everything under it when
// the owner is done. Header-only, so any test can use it through the
// include path `testing/...` whether or not it links berth_testing.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace berth::testing {

class TempDir {
 public:
  TempDir() = default;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() { Remove(); }

  // Makes a fresh directory <parent>/<prefix>-XXXXXX (mkdtemp; parent /tmp
  // by default), removing the one this object held before. Returns false,
  // and holds none, when mkdtemp fails.
  bool Create(std::string_view prefix, std::string_view parent = "/tmp") {
    Remove();
    std::string tmpl = std::string(parent) + "/" + std::string(prefix) + "-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) return false;
    path_ = std::move(tmpl);
    return true;
  }

  // Removes the directory and everything below it (errors ignored); after
  // it path() is empty. Does nothing when no directory is held.
  void Remove() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
    path_.clear();
  }

  // The directory, without a trailing slash; empty when none is held.
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace berth::testing
