#include "server/strand_bridge.h"

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <chrono>

#include "berth/mutex.h"

namespace berth::server {
namespace {

// Shared by the waiting worker and the completion on the strand: the worker
// may give up (I/O stopped) before the completion runs.
struct AwaitState {
  Mutex mu;
  CondVar cv;
  bool done GUARDED_BY(mu) = false;
  StrandResult result GUARDED_BY(mu);
};

}  // namespace

StrandResult AwaitOnStrand(const boost::asio::any_io_executor& strand, std::shared_ptr<void> keep_alive,
                           std::function<void(StrandDone done)> start, const std::function<bool()>& io_stopped) {
  auto state = std::make_shared<AwaitState>();
  boost::asio::post(strand, [state, keep_alive = std::move(keep_alive), start = std::move(start)] {
    start([state](boost::system::error_code ec, size_t bytes) {
      MutexLock l(&state->mu);
      state->result = StrandResult{ec, bytes};
      state->done = true;
      state->cv.NotifyAll();
    });
  });
  MutexLock l(&state->mu);
  while (!state->done) {
    if (!state->cv.WaitFor(&state->mu, std::chrono::milliseconds(200)) && !state->done && io_stopped()) {
      return StrandResult{boost::asio::error::operation_aborted, 0};
    }
  }
  return state->result;
}

}  // namespace berth::server
