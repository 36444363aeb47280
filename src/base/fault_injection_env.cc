// FaultInjectionEnv: forwards to a base Env, failing chosen operations.
//
// The plan lives in a State shared with every file the Env opened, so files
// may outlive the Env object and still consult (the last) plan safely.

#include <array>

#include "berth/env.h"
#include "berth/mutex.h"

namespace berth {

namespace {
constexpr int kNumOps = static_cast<int>(FaultInjectionEnv::Op::kRead) + 1;
}  // namespace

struct FaultInjectionEnv::State {
  struct Plan {
    int skip = 0;
    int count = 0;
  };
  mutable Mutex mu;
  std::array<Plan, kNumOps> plans GUARDED_BY(mu);
  int injected GUARDED_BY(mu) = 0;
  int64_t fixed_now GUARDED_BY(mu) = -1;

  Status MaybeFail(Op op) {
    MutexLock lock(&mu);
    Plan& p = plans[static_cast<int>(op)];
    if (p.count <= 0) return OkStatus();
    if (p.skip > 0) {
      --p.skip;
      return OkStatus();
    }
    --p.count;
    ++injected;
    return Internal("injected fault");
  }
};

namespace {

class FaultWritableFile final : public WritableFile {
 public:
  FaultWritableFile(std::unique_ptr<WritableFile> base, std::shared_ptr<FaultInjectionEnv::State> state)
      : base_(std::move(base)), state_(std::move(state)) {}

  Status Append(std::string_view data) override {
    BERTH_RETURN_IF_ERROR(state_->MaybeFail(FaultInjectionEnv::Op::kAppend));
    return base_->Append(data);
  }
  Status Sync() override {
    BERTH_RETURN_IF_ERROR(state_->MaybeFail(FaultInjectionEnv::Op::kSync));
    return base_->Sync();
  }
  Status Close() override { return base_->Close(); }

 private:
  std::unique_ptr<WritableFile> base_;
  std::shared_ptr<FaultInjectionEnv::State> state_;
};

class FaultSequentialFile final : public SequentialFile {
 public:
  FaultSequentialFile(std::unique_ptr<SequentialFile> base, std::shared_ptr<FaultInjectionEnv::State> state)
      : base_(std::move(base)), state_(std::move(state)) {}

  Result<size_t> Read(char* scratch, size_t n) override {
    BERTH_RETURN_IF_ERROR(state_->MaybeFail(FaultInjectionEnv::Op::kRead));
    return base_->Read(scratch, n);
  }
  Status Skip(uint64_t n) override { return base_->Skip(n); }

 private:
  std::unique_ptr<SequentialFile> base_;
  std::shared_ptr<FaultInjectionEnv::State> state_;
};

}  // namespace

FaultInjectionEnv::FaultInjectionEnv(Env* base) : base_(base), state_(std::make_shared<State>()) {}

void FaultInjectionEnv::FailAfter(Op op, int skip, int count) {
  MutexLock lock(&state_->mu);
  State::Plan& p = state_->plans[static_cast<int>(op)];
  p.skip = skip < 0 ? 0 : skip;
  p.count = count;
}

void FaultInjectionEnv::ClearFaults() {
  MutexLock lock(&state_->mu);
  state_->plans.fill(State::Plan{});
}

int FaultInjectionEnv::injected() const {
  MutexLock lock(&state_->mu);
  return state_->injected;
}

void FaultInjectionEnv::SetNowUnixNanos(int64_t now) {
  MutexLock lock(&state_->mu);
  state_->fixed_now = now < 0 ? -1 : now;
}

void FaultInjectionEnv::AdvanceNanos(int64_t delta) {
  int64_t base_now = base_->NowUnixNanos();  // outside the lock: base may be slow
  MutexLock lock(&state_->mu);
  if (state_->fixed_now < 0) state_->fixed_now = base_now;
  state_->fixed_now += delta;
}

Status FaultInjectionEnv::MaybeFail(Op op) { return state_->MaybeFail(op); }

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewWritableFile(const std::string& path) {
  BERTH_RETURN_IF_ERROR(MaybeFail(Op::kCreate));
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, base_->NewWritableFile(path));
  return std::unique_ptr<WritableFile>(new FaultWritableFile(std::move(f), state_));
}

Result<std::unique_ptr<SequentialFile>> FaultInjectionEnv::NewSequentialFile(const std::string& path) {
  BERTH_RETURN_IF_ERROR(MaybeFail(Op::kRead));
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<SequentialFile> f, base_->NewSequentialFile(path));
  return std::unique_ptr<SequentialFile>(new FaultSequentialFile(std::move(f), state_));
}

Result<std::string> FaultInjectionEnv::ReadFileToString(const std::string& path) {
  BERTH_RETURN_IF_ERROR(MaybeFail(Op::kRead));
  return base_->ReadFileToString(path);
}

Result<std::string> FaultInjectionEnv::ReadFileInRoot(const std::string& root, const std::string& path,
                                                      uint64_t max_bytes) {
  BERTH_RETURN_IF_ERROR(MaybeFail(Op::kRead));
  return base_->ReadFileInRoot(root, path, max_bytes);
}

Result<FileInfo> FaultInjectionEnv::Stat(const std::string& path) { return base_->Stat(path); }

bool FaultInjectionEnv::FileExists(const std::string& path) { return base_->FileExists(path); }

Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  BERTH_RETURN_IF_ERROR(MaybeFail(Op::kRename));
  return base_->RenameFile(from, to);
}

Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  BERTH_RETURN_IF_ERROR(MaybeFail(Op::kRemove));
  return base_->RemoveFile(path);
}

Status FaultInjectionEnv::Chmod(const std::string& path, uint32_t mode) { return base_->Chmod(path, mode); }

Status FaultInjectionEnv::CreateDirs(const std::string& path, uint32_t mode) {
  BERTH_RETURN_IF_ERROR(MaybeFail(Op::kCreate));
  return base_->CreateDirs(path, mode);
}

Status FaultInjectionEnv::RemoveAll(const std::string& path) {
  BERTH_RETURN_IF_ERROR(MaybeFail(Op::kRemove));
  return base_->RemoveAll(path);
}

Status FaultInjectionEnv::SyncDir(const std::string& path) {
  BERTH_RETURN_IF_ERROR(MaybeFail(Op::kSyncDir));
  return base_->SyncDir(path);
}

Result<std::vector<std::string>> FaultInjectionEnv::ListDir(const std::string& path) { return base_->ListDir(path); }

Result<std::unique_ptr<FileLock>> FaultInjectionEnv::LockFile(const std::string& path) { return base_->LockFile(path); }
Result<std::unique_ptr<DirWatch>> FaultInjectionEnv::WatchDir(const std::string& path, bool with_writes) {
  return base_->WatchDir(path, with_writes);
}

int64_t FaultInjectionEnv::NowUnixNanos() {
  {
    MutexLock lock(&state_->mu);
    if (state_->fixed_now >= 0) return state_->fixed_now;
  }
  return base_->NowUnixNanos();
}

}  // namespace berth
