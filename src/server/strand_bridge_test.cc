// AwaitOnStrand: a worker thread runs an operation on a strand served by an
// I/O thread and gets the operation's result; with the I/O stopped it gives
// up instead of waiting forever.

#include "server/strand_bridge.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio.hpp>
#include <memory>
#include <thread>

namespace berth::server {
namespace {

namespace asio = boost::asio;

TEST(StrandBridge, RunsTheOperationOnTheStrandAndReturnsItsResult) {
  asio::io_context ioc;
  auto work = asio::make_work_guard(ioc);
  std::thread io_thread([&] { ioc.run(); });
  const std::thread::id io_thread_id = io_thread.get_id();
  auto strand = asio::make_strand(ioc);
  std::thread::id ran_on;
  bool was_in_strand = false;
  StrandResult r = AwaitOnStrand(
      strand, nullptr,
      [&](StrandDone done) {
        ran_on = std::this_thread::get_id();
        was_in_strand = strand.running_in_this_thread();
        // Completes later, from another handler on the strand, as an
        // asynchronous socket operation does.
        asio::post(strand, [done] { done(asio::error::eof, 7); });
      },
      [] { return false; });
  work.reset();
  io_thread.join();
  EXPECT_EQ(r.ec, asio::error::eof);
  EXPECT_EQ(r.bytes, 7u);
  EXPECT_EQ(ran_on, io_thread_id);
  EXPECT_TRUE(was_in_strand);
}

TEST(StrandBridge, HoldsTheKeepAliveUntilTheOperationRan) {
  asio::io_context ioc;
  auto strand = asio::make_strand(ioc);
  auto connection = std::make_shared<int>(1);
  std::weak_ptr<int> watch = connection;
  std::atomic<bool> started{false};
  // No thread runs the I/O: the operation stays queued and the wait ends
  // once io_stopped() says so.
  StrandResult r = AwaitOnStrand(
      strand, std::move(connection),
      [&](StrandDone done) {
        started = true;
        done({}, 0);
      },
      [] { return true; });
  EXPECT_EQ(r.ec, asio::error::operation_aborted);
  EXPECT_FALSE(started);
  EXPECT_FALSE(watch.expired()) << "the queued operation holds the connection";
  ioc.run();  // the operation runs now; nobody waits for it any more
  EXPECT_TRUE(started);
  EXPECT_TRUE(watch.expired());
}

}  // namespace
}  // namespace berth::server
