// The bridge between a connection's strand and the worker threads that run
// its handler. A handler blocks (it may stream for as long as a client
// listens), so it runs on a WorkerPool thread; the socket belongs to the
// connection's strand, and only code running on that strand may touch it.
// A worker reaches the socket through AwaitOnStrand: it posts an operation to
// the strand and sleeps until the operation's completion handler has run.
//
// Thread rules: AwaitOnStrand is called from a worker thread, never from an
// I/O thread (it would block the strand it waits for). `start` and the
// completion it is given run on the strand.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <functional>
#include <memory>

namespace berth::server {

// What a strand operation reports: its error, and how many bytes it moved.
struct StrandResult {
  boost::system::error_code ec;
  size_t bytes = 0;
};

// The completion handler of a strand operation (call it once).
using StrandDone = std::function<void(boost::system::error_code ec, size_t bytes)>;

// Runs start(done) on `strand` and blocks until `done` is called, then
// returns what it was given. `keep_alive` is held by the posted operation
// (the connection the operation works on). When the I/O threads have
// stopped (io_stopped() turns true) the operation may never run: the wait
// then ends within about 200 ms with operation_aborted.
[[nodiscard]] StrandResult AwaitOnStrand(const boost::asio::any_io_executor& strand, std::shared_ptr<void> keep_alive,
                                         std::function<void(StrandDone done)> start,
                                         const std::function<bool()>& io_stopped);

}  // namespace berth::server
