// The shim's log format and ReadLog (tail, since/until, streams, follow).

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "berth/env.h"
#include "berth/runtime.h"
#include "gtest/gtest.h"
#include "runtime/log_format.h"
#include "testing/await.h"
#include "testing/temp_dir.h"

namespace berth {
namespace {

using runtime_internal::AppendLogLine;
using runtime_internal::CompleteUtf8Prefix;
using runtime_internal::ParseLogLine;
using runtime_internal::ReadFileRange;

constexpr int64_t kT0 = 1764410400LL * 1000000000LL;  // 2025-11-29T10:00:00Z

TEST(LogFormatTest, LineEscapesAndRoundTrips) {
  std::string line;
  AppendLogLine(&line, "stdout", "a\"b\\c\t<x>\n", kT0);
  EXPECT_EQ(line,
            "{\"log\":\"a\\\"b\\\\c\\t\\u003cx\\u003e\\n\",\"stream\":\"stdout\","
            "\"time\":\"2025-11-29T10:00:00.000000000Z\"}\n");
  auto e = ParseLogLine(std::string_view(line).substr(0, line.size() - 1));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->data, "a\"b\\c\t<x>\n");
  EXPECT_EQ(e->stream, "stdout");
  EXPECT_EQ(e->time_unix_nanos, kT0);

  line.clear();
  AppendLogLine(&line, "stderr", std::string("x\xff" "y\x01", 4), kT0);
  EXPECT_NE(line.find("\"x\\ufffdy\\u0001\""), std::string::npos) << line;
  EXPECT_FALSE(ParseLogLine("not json").ok());
  EXPECT_FALSE(ParseLogLine("{\"stream\":\"stdout\"}").ok());
}

TEST(LogFormatTest, LineTimesAreRfc3339WithAZone) {
  auto stamped = ParseLogLine(R"({"log":"x","stream":"stdout","time":"2025-11-29T12:00:00.5+02:00"})");
  ASSERT_TRUE(stamped.ok());
  EXPECT_EQ(stamped->time_unix_nanos, kT0 + 500000000);
  // A time without a zone (or otherwise malformed) is no time: the entry keeps 0.
  for (const char* t : {"2025-11-29T10:00:00", "2025-11-29 10:00:00Z", "2025-11-29T10:00:00.Z"}) {
    auto e = ParseLogLine(std::string(R"({"log":"x","stream":"stdout","time":")") + t + "\"}");
    ASSERT_TRUE(e.ok()) << t;
    EXPECT_EQ(e->time_unix_nanos, 0) << t;
  }
}

TEST(LogFormatTest, ReadFileRangeReadsOnlyTheRange) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.Create("berth-range"));
  const std::string path = dir.path() + "/log";
  std::string data;
  for (int i = 0; i < 100000; i++) data += static_cast<char>('a' + i % 26);
  {
    auto f = Env::Default()->NewWritableFile(path);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append(data).ok());
    ASSERT_TRUE((*f)->Close().ok());
  }
  auto r = ReadFileRange(path, 99990, 64);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, data.substr(99990));
  r = ReadFileRange(path, 10, 5);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, data.substr(10, 5));
  r = ReadFileRange(path, 200000, 5);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "");
  EXPECT_EQ(ReadFileRange(dir.path() + "/none", 0, 5).status().code(), Code::kNotFound);
}

TEST(LogFormatTest, CompleteUtf8Prefix) {
  const std::string euro = "\xe2\x82\xac";  // U+20AC, three bytes
  EXPECT_EQ(CompleteUtf8Prefix("abc"), 3u);
  EXPECT_EQ(CompleteUtf8Prefix("ab" + euro), 5u);
  EXPECT_EQ(CompleteUtf8Prefix("ab" + euro.substr(0, 2)), 2u);
  EXPECT_EQ(CompleteUtf8Prefix("ab" + euro.substr(0, 1)), 2u);
  EXPECT_EQ(CompleteUtf8Prefix("ab\xff"), 3u);  // invalid: nothing to wait for
  EXPECT_EQ(CompleteUtf8Prefix(""), 0u);
}

class ReadLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.Create("berth-log"));
    dir_ = tmp_.path();
    path_ = dir_ + "/container.log";
  }
  void TearDown() override { tmp_.Remove(); }

  void Append(const std::string& stream, const std::string& data, int64_t t) {
    std::string line;
    AppendLogLine(&line, stream, data, t);
    AppendRaw(line);
  }
  void AppendRaw(const std::string& bytes) { AppendTo(path_, bytes); }
  void AppendTo(const std::string& path, const std::string& bytes) {
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    ::close(fd);
  }

  // "stream:data" per entry.
  std::vector<std::string> Read(const LogReadOptions& opts) {
    std::vector<std::string> out;
    Status s = ReadLog(path_, opts, [&](const LogEntry& e) {
      out.push_back(e.stream + ":" + e.data);
      return OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  // Read with follow while `write` runs on another thread; the reader is
  // told the log is finished once `write` has returned.
  // Follows the log while `write` runs on another thread; `write` may call
  // AwaitNextPoll to write once the reader has reached the end and waits.
  std::vector<std::string> ReadFollowingWhile(const std::function<void()>& write) {
    std::atomic<bool> done{false};
    std::thread writer([&] {
      write();
      done = true;
    });
    LogReadOptions o;
    o.follow = true;
    o.finished = [&] {  // asked each time the reader is at the end
      ++polls_;
      return done.load();
    };
    auto got = Read(o);
    writer.join();
    return got;
  }

  // Returns once the following reader has been at the end of the log again.
  void AwaitNextPoll() {
    const int seen = polls_.load();
    ASSERT_TRUE(testing::AwaitCondition([&] { return polls_.load() > seen; }));
  }

  testing::TempDir tmp_;
  std::string dir_, path_;
  std::atomic<int> polls_{0};
};

using Lines = std::vector<std::string>;

TEST_F(ReadLogTest, AllStreamsAndFilters) {
  Append("stdout", "one\n", kT0 + 1);
  Append("stderr", "err\n", kT0 + 2);
  AppendRaw("garbage line\n");
  Append("stdout", "two\n", kT0 + 3);
  AppendRaw("{\"log\":\"partial write");  // a write in progress: not read
  LogReadOptions all;
  EXPECT_EQ(Read(all), (Lines{"stdout:one\n", "stderr:err\n", "stdout:two\n"}));
  LogReadOptions out_only;
  out_only.stderr_ = false;
  EXPECT_EQ(Read(out_only), (Lines{"stdout:one\n", "stdout:two\n"}));
  LogReadOptions err_only;
  err_only.stdout_ = false;
  EXPECT_EQ(Read(err_only), (Lines{"stderr:err\n"}));
  LogReadOptions since;
  since.since_unix_nanos = kT0 + 2;
  EXPECT_EQ(Read(since), (Lines{"stderr:err\n", "stdout:two\n"}));
  LogReadOptions until;
  until.until_unix_nanos = kT0 + 2;
  EXPECT_EQ(Read(until), (Lines{"stdout:one\n", "stderr:err\n"}));
}

TEST_F(ReadLogTest, MergedEntriesKeepStreamsApartAndFilterPerLine) {
  Append("stdout", "a\n", kT0 + 1);
  Append("stdout", "b\n", kT0 + 2);
  Append("stderr", "c\n", kT0 + 3);
  AppendRaw("garbage line\n");
  Append("stdout", "d\n", kT0 + 4);
  Append("stdout", "e", kT0 + 5);  // a partial line, then its end
  Append("stdout", "f\n", kT0 + 6);
  LogReadOptions all;
  all.merge_entries = true;
  EXPECT_EQ(Read(all), (Lines{"stdout:a\nb\n", "stderr:c\n", "stdout:d\nef\n"}));
  LogReadOptions out_only = all;
  out_only.stderr_ = false;
  EXPECT_EQ(Read(out_only), (Lines{"stdout:a\nb\nd\nef\n"}));
  LogReadOptions window = all;
  window.since_unix_nanos = kT0 + 2;
  window.until_unix_nanos = kT0 + 4;
  EXPECT_EQ(Read(window), (Lines{"stdout:b\n", "stderr:c\n", "stdout:d\n"}));
  LogReadOptions tail = all;
  tail.tail = 2;
  EXPECT_EQ(Read(tail), (Lines{"stdout:d\nef\n"}));
  // A merged entry carries the time of its first line.
  std::vector<int64_t> times;
  ASSERT_TRUE(ReadLog(path_, all, [&](const LogEntry& e) {
                times.push_back(e.time_unix_nanos);
                return OkStatus();
              }).ok());
  EXPECT_EQ(times, (std::vector<int64_t>{kT0 + 1, kT0 + 3, kT0 + 4}));
}

TEST_F(ReadLogTest, MergedEntriesOfABigLogAreTheSameBytesInFewerEntries) {
  std::string expected;
  for (int i = 0; i < 5000; ++i) {
    std::string line = "line " + std::to_string(i) + " of a log longer than one read\n";
    Append("stdout", line, kT0 + i);
    expected += line;
  }
  LogReadOptions o;
  o.merge_entries = true;
  Lines got = Read(o);
  std::string joined;
  for (const auto& e : got) {
    ASSERT_EQ(e.rfind("stdout:", 0), 0u);
    joined += e.substr(7);
  }
  EXPECT_EQ(joined, expected);
  EXPECT_GT(got.size(), 1u);  // one entry per 64 KB read at most
  EXPECT_LT(got.size(), 20u);
}

TEST_F(ReadLogTest, MergingFollowerHandsOverEachLineBeforeItWaits) {
  // What the reader has emitted, seen from the writer's thread.
  std::mutex mu;
  std::string seen;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 3; ++i) {
      std::string line = "line" + std::to_string(i) + "\n";
      Append("stdout", line, kT0 + i);
      AwaitNextPoll();  // the reader is at the end again: it holds nothing back
      std::lock_guard<std::mutex> l(mu);
      EXPECT_NE(seen.find(line), std::string::npos) << line;
    }
    done = true;
  });
  LogReadOptions o;
  o.follow = true;
  o.merge_entries = true;
  o.finished = [&] {
    ++polls_;
    return done.load();
  };
  Status s = ReadLog(path_, o, [&](const LogEntry& e) {
    std::lock_guard<std::mutex> l(mu);
    seen += e.data;
    return OkStatus();
  });
  writer.join();
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(seen, "line0\nline1\nline2\n");
}

TEST_F(ReadLogTest, OnceTheExitFileIsThereTheFollowerAwaitsTheDaemonsRecord) {
  Append("stdout", "before\n", kT0);
  AppendTo(dir_ + "/exit", "0 1\n");  // the shim: the output is complete
  std::mutex mu;
  std::condition_variable record_changed;
  bool recorded = false;
  std::atomic<int> awaits{0};
  std::thread daemon([&] {
    // (Recorded either way, so that a reader that never awaits still ends.)
    EXPECT_TRUE(testing::AwaitCondition([&] { return awaits.load() > 0; }));
    Append("stdout", "last\n", kT0 + 1);  // read by the pass after `finished`
    std::lock_guard<std::mutex> l(mu);
    recorded = true;
    record_changed.notify_all();
  });
  LogReadOptions o;
  o.follow = true;
  o.finished = [&] {
    std::lock_guard<std::mutex> l(mu);
    return recorded;
  };
  o.await_finished = [&](int timeout_ms) {
    ++awaits;
    std::unique_lock<std::mutex> l(mu);
    record_changed.wait_for(l, std::chrono::milliseconds(timeout_ms), [&] { return recorded; });
  };
  EXPECT_EQ(Read(o), (Lines{"stdout:before\n", "stdout:last\n"}));
  daemon.join();
  EXPECT_GE(awaits.load(), 1);
}

TEST_F(ReadLogTest, MissingFileIsEmpty) {
  EXPECT_TRUE(Read(LogReadOptions()).empty());
}

TEST_F(ReadLogTest, TailCountsCompleteLines) {
  Append("stdout", "a\n", kT0);
  Append("stdout", "b", kT0);  // partial: belongs to the next line
  Append("stderr", "e\n", kT0);
  Append("stdout", "c\n", kT0);
  Append("stdout", "d\n", kT0);
  struct Case {
    int tail;
    bool stderr_;
    Lines want;
  };
  const Case cases[] = {
      {0, true, {}},
      {1, true, {"stdout:d\n"}},
      {2, true, {"stdout:c\n", "stdout:d\n"}},
      // A partial entry belongs to the line its stream completes later.
      {3, true, {"stdout:b", "stderr:e\n", "stdout:c\n", "stdout:d\n"}},
      {4, true, {"stdout:a\n", "stdout:b", "stderr:e\n", "stdout:c\n", "stdout:d\n"}},
      {100, true, {"stdout:a\n", "stdout:b", "stderr:e\n", "stdout:c\n", "stdout:d\n"}},
      // Only selected streams count.
      {2, false, {"stdout:b", "stdout:c\n", "stdout:d\n"}},
      {3, false, {"stdout:a\n", "stdout:b", "stdout:c\n", "stdout:d\n"}},
  };
  for (const auto& c : cases) {
    LogReadOptions o;
    o.tail = c.tail;
    o.stderr_ = c.stderr_;
    EXPECT_EQ(Read(o), c.want) << "tail " << c.tail << " stderr " << c.stderr_;
  }
}

TEST_F(ReadLogTest, TailAcrossChunkBoundaries) {
  // Lines long enough that the backward scan needs several 64 KiB reads.
  const int kLines = 40;
  for (int i = 0; i < kLines; ++i) {
    Append("stdout", std::to_string(i) + ":" + std::string(10000, 'x') + "\n", kT0 + i);
  }
  LogReadOptions o;
  o.tail = 25;
  auto got = Read(o);
  ASSERT_EQ(got.size(), 25u);
  EXPECT_EQ(got.front().substr(0, 10), "stdout:15:");
  EXPECT_EQ(got.back().substr(0, 10), "stdout:39:");
}

TEST_F(ReadLogTest, FollowSeesNewLinesUntilFinished) {
  Append("stdout", "before\n", kT0);
  auto got = ReadFollowingWhile([&] {
    for (int i = 0; i < 5; ++i) {
      AwaitNextPoll();
      Append(i % 2 ? "stderr" : "stdout", "line" + std::to_string(i) + "\n", kT0 + i);
    }
    // Written after the last poll might have happened: must still be seen.
    Append("stdout", "last\n", kT0 + 9);
  });
  EXPECT_EQ(got, (Lines{"stdout:before\n", "stdout:line0\n", "stderr:line1\n", "stdout:line2\n",
                        "stderr:line3\n", "stdout:line4\n", "stdout:last\n"}));
}

TEST_F(ReadLogTest, FollowFromEndWithTailAndCancel) {
  Append("stdout", "old1\n", kT0);
  Append("stdout", "old2\n", kT0);
  std::atomic<bool> cancel{false};
  std::vector<std::string> got;
  std::atomic<int> count{0};
  std::thread reader([&] {
    LogReadOptions o;
    o.follow = true;
    o.from_end = true;
    o.cancelled = [&] {  // asked once the reader stands at the end
      ++polls_;
      return cancel.load();
    };
    Status s = ReadLog(path_, o, [&](const LogEntry& e) {
      got.push_back(e.data);
      ++count;
      return OkStatus();
    });
    EXPECT_TRUE(s.ok());
  });
  ASSERT_TRUE(testing::AwaitCondition([&] { return polls_.load() > 0; }));
  Append("stdout", "new\n", kT0 + 1);
  EXPECT_TRUE(testing::AwaitCondition([&] { return count.load() > 0; }, std::chrono::seconds(5)));
  cancel = true;
  reader.join();
  EXPECT_EQ(got, (Lines{"new\n"}));

  // Tail with follow: the last line, then what comes.
  LogReadOptions o;
  o.follow = true;
  o.tail = 1;
  o.finished = [] { return true; };
  EXPECT_EQ(Read(o), (Lines{"stdout:new\n"}));
}

TEST_F(ReadLogTest, FollowWaitsForTheFileToAppear) {
  auto got = ReadFollowingWhile([&] {
    AwaitNextPoll();  // following a log that is not there yet
    Append("stderr", "late\n", kT0);
  });
  EXPECT_EQ(got, (Lines{"stderr:late\n"}));
}

TEST_F(ReadLogTest, EmitErrorStopsReading) {
  Append("stdout", "a\n", kT0);
  Append("stdout", "b\n", kT0);
  int calls = 0;
  Status s = ReadLog(path_, LogReadOptions(), [&](const LogEntry&) {
    ++calls;
    return Cancelled("client went away");
  });
  EXPECT_EQ(s.code(), Code::kCancelled);
  EXPECT_EQ(calls, 1);
}

// The writer's rotation (berth-shim): container.log.1 ... are older.
TEST_F(ReadLogTest, ReadsRotatedFilesOldestFirstAndTailsAcrossThem) {
  auto line = [](const std::string& data, int64_t t) {
    std::string out;
    AppendLogLine(&out, "stdout", data, t);
    return out;
  };
  AppendTo(path_ + ".2", line("a1\n", kT0) + line("a2\n", kT0 + 1));
  AppendTo(path_ + ".1", line("b1\n", kT0 + 2));
  Append("stdout", "c1\n", kT0 + 3);
  Append("stdout", "c2\n", kT0 + 4);
  // A gap ends the rotated files: .4 without .3 is not one of them.
  AppendTo(path_ + ".4", line("stray\n", kT0));
  EXPECT_EQ(LogFilesOldestFirst(path_), (Lines{path_ + ".2", path_ + ".1", path_}));
  EXPECT_EQ(Read(LogReadOptions()),
            (Lines{"stdout:a1\n", "stdout:a2\n", "stdout:b1\n", "stdout:c1\n", "stdout:c2\n"}));
  LogReadOptions o;
  o.tail = 4;  // two from the current file, one from .1, one from .2
  EXPECT_EQ(Read(o), (Lines{"stdout:a2\n", "stdout:b1\n", "stdout:c1\n", "stdout:c2\n"}));
  o.tail = 2;
  EXPECT_EQ(Read(o), (Lines{"stdout:c1\n", "stdout:c2\n"}));
  o.tail = 100;
  EXPECT_EQ(Read(o).size(), 5u);
  o.tail = -1;
  o.until_unix_nanos = kT0 + 1;  // ends inside the oldest file
  EXPECT_EQ(Read(o), (Lines{"stdout:a1\n", "stdout:a2\n"}));
}

TEST_F(ReadLogTest, FollowGoesOnInTheNewFileAfterRotation) {
  Append("stdout", "first\n", kT0);
  auto got = ReadFollowingWhile([&] {
    for (int round = 0; round < 3; ++round) {
      AwaitNextPoll();
      Append("stdout", "before-rotation-" + std::to_string(round) + "\n", kT0 + round);
      // As the shim rotates: rename the full file away, start a new one.
      ASSERT_EQ(::rename(path_.c_str(), (path_ + ".1").c_str()), 0);
      Append("stdout", "after-rotation-" + std::to_string(round) + "\n", kT0 + round);
    }
  });
  EXPECT_EQ(got, (Lines{"stdout:first\n", "stdout:before-rotation-0\n", "stdout:after-rotation-0\n",
                        "stdout:before-rotation-1\n", "stdout:after-rotation-1\n", "stdout:before-rotation-2\n",
                        "stdout:after-rotation-2\n"}));
}

TEST(LogConfigTest, JsonFileOptionsAsDockerReadsThem) {
  using Opts = std::map<std::string, std::string>;
  auto ok = [](const std::string& driver, const Opts& o) {
    auto r = ParseLogConfig(driver, o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : LogRotation{-1, -1};
  };
  EXPECT_EQ(ok("", {}).max_size_bytes, 0);
  EXPECT_EQ(ok("json-file", {}).max_files, 1);
  LogRotation r = ok("", {{"max-size", "10k"}, {"max-file", "3"}});
  EXPECT_EQ(r.max_size_bytes, 10000);
  EXPECT_EQ(r.max_files, 3);
  EXPECT_EQ(ok("", {{"max-size", "2m"}}).max_size_bytes, 2000000);
  EXPECT_EQ(ok("", {{"max-size", "1.5KB"}}).max_size_bytes, 1500);
  EXPECT_EQ(ok("", {{"max-size", "1g"}}).max_size_bytes, 1000000000);
  EXPECT_EQ(ok("", {{"max-size", "100"}}).max_size_bytes, 100);
  EXPECT_EQ(ok("", {{"max-size", "3 mib"}}).max_size_bytes, 3000000);
  EXPECT_EQ(ok("", {{"max-size", "1m"}, {"compress", "false"}}).max_files, 1);
  EXPECT_EQ(ok("", {{"max-file", "1"}}).max_files, 1);
  // max-file alone is accepted as Docker does; without max-size nothing rotates.
  EXPECT_EQ(ok("", {{"max-file", "100"}}).max_size_bytes, 0);
  EXPECT_TRUE(ok("", {}).readable);
  // "none": output kept for attach only, bounded, not readable by docker logs.
  LogRotation none = ok("none", {});
  EXPECT_FALSE(none.readable);
  EXPECT_EQ(none.max_size_bytes, kAttachOnlyLogBytes);
  EXPECT_EQ(none.max_files, 1);

  struct Bad {
    std::string driver;
    Opts opts;
    std::string message;
  } bad[] = {
      {"syslog", {}, "berth does not support the log driver \"syslog\" (--log-driver); only json-file and none are supported"},
      {"nosuchdriver", {}, "logger: no log driver named 'nosuchdriver' is registered"},
      {"none", {{"max-size", "1m"}}, "berth does not support log options with the log driver \"none\" (max-size)"},
      {"", {{"max-size", "0"}}, "max-size must be a positive number"},
      {"", {{"max-size", "-1"}}, "invalid size: '-1'"},
      {"", {{"max-size", "ten"}}, "invalid size: 'ten'"},
      {"", {{"max-size", "10x"}}, "invalid suffix: 'x'"},
      {"", {{"max-size", "10kx"}}, "invalid suffix: 'kx'"},
      {"", {{"max-size", "1m"}, {"max-file", "0"}}, "max-file cannot be less than 1"},
      {"", {{"max-size", "1m"}, {"max-file", "x"}}, "strconv.Atoi: parsing \"x\": invalid syntax"},
      {"", {{"max-size", "1m"}, {"max-file", "2"}, {"compress", "true"}}, "compress=true"},
      {"", {{"tag", "{{.Name}}"}}, "berth does not support the json-file log option 'tag'"},
      {"", {{"mode", "non-blocking"}}, "unknown log opt 'mode' for json-file log driver"},
  };
  for (const auto& b : bad) {
    auto got = ParseLogConfig(b.driver, b.opts);
    ASSERT_FALSE(got.ok()) << b.message;
    EXPECT_EQ(got.status().code(), Code::kInvalidArgument);
    EXPECT_NE(got.status().message().find(b.message), std::string::npos) << got.status().message();
  }
}

}  // namespace
}  // namespace berth
