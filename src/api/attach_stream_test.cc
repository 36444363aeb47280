// Detach keys and the copy of a client's input (attach_stream.h).

#include "api/attach_stream.h"

#include <gtest/gtest.h>

#include <vector>

namespace berth::api {
namespace {

TEST(DetachKeys, DockersSyntax) {
  EXPECT_EQ(*ParseDetachKeys(""), "\x10\x11");
  EXPECT_EQ(*ParseDetachKeys("ctrl-p,ctrl-q"), "\x10\x11");
  EXPECT_EQ(*ParseDetachKeys("ctrl-A,x"), std::string("\x01x"));
  EXPECT_EQ(*ParseDetachKeys("ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_"), std::string("\0\x1b\x1c\x1d\x1e\x1f", 6));
  for (const char* bad : {"ctrl-1", "ctrl-", "ab", "x,", ",", "alt-a", "ctrl-pp"}) {
    auto r = ParseDetachKeys(bad);
    EXPECT_EQ(r.status().message(), std::string("Invalid detach keys (") + bad + ") provided") << bad;
  }
}

TEST(DetachKeyScanner, HoldsAPrefixAndPassesItOnWhenItIsNotTheSequence) {
  DetachKeyScanner s("\x10\x11");
  std::string out;
  EXPECT_FALSE(s.Feed("ab\x10", &out));
  EXPECT_EQ(out, "ab");  // ctrl-p held back
  EXPECT_FALSE(s.Feed("c", &out));
  EXPECT_EQ(out,
            "ab\x10"
            "c");
  EXPECT_FALSE(s.Feed("\x10\x10", &out));  // a second ctrl-p may start the sequence again
  EXPECT_EQ(out,
            "ab\x10"
            "c\x10");
  EXPECT_TRUE(s.Feed("\x11tail", &out));
  EXPECT_EQ(out,
            "ab\x10"
            "c\x10");  // the sequence and what follows are dropped
}

TEST(DetachKeyScanner, NoKeysPassesEverything) {
  DetachKeyScanner s("");
  std::string out;
  EXPECT_FALSE(s.Feed("\x10\x11", &out));
  EXPECT_EQ(out, "\x10\x11");
}

// A source that hands out the given pieces, then the end.
StdinSource Pieces(std::vector<std::string>* pieces) {
  return StdinSource{[pieces](char* buf, size_t n) -> Result<size_t> {
                       if (pieces->empty()) return size_t{0};
                       std::string p = pieces->front();
                       pieces->erase(pieces->begin());
                       size_t k = std::min(n, p.size());
                       std::copy(p.data(), p.data() + k, buf);
                       return k;
                     },
                     [] {}};
}

TEST(CopyInput, EndsAtTheEndOfInputOrTheDetachKeysOrAFailedWrite) {
  std::vector<std::string> pieces = {"hello ", "world\n"};
  std::string got;
  auto collect = [&](std::string_view d) {
    got.append(d);
    return OkStatus();
  };
  EXPECT_EQ(CopyInput(Pieces(&pieces), "\x10\x11", collect), InputEnd::kEndOfInput);
  EXPECT_EQ(got, "hello world\n");

  pieces = {"ls\n\x10", "\x11", "never"};
  got.clear();
  EXPECT_EQ(CopyInput(Pieces(&pieces), "\x10\x11", collect), InputEnd::kDetached);
  EXPECT_EQ(got, "ls\n");
  EXPECT_EQ(pieces, std::vector<std::string>{"never"});

  pieces = {"x"};
  EXPECT_EQ(CopyInput(Pieces(&pieces), "", [](std::string_view) { return FailedPrecondition("closed"); }),
            InputEnd::kWriteFailed);
}

// Reads `input` to its end in reads of up to `n` bytes.
std::string ReadAll(const StdinSource& input, size_t n) {
  std::string out;
  std::vector<char> buf(n);
  while (true) {
    Result<size_t> got = input.read(buf.data(), n);
    if (!got.ok() || *got == 0) return out;
    out.append(buf.data(), *got);
  }
}

TEST(DetachableInput, EndsAtTheSequenceAndSaysSo) {
  std::vector<std::string> pieces = {"echo a\r\x10", "b\x10", "\x11", "never"};
  StdinSource input = DetachableInput(Pieces(&pieces), "\x10\x11");
  EXPECT_FALSE(input.detached());
  // A held ctrl-p that was not the sequence is passed on.
  EXPECT_EQ(ReadAll(input, 64),
            "echo a\r\x10"
            "b");
  EXPECT_TRUE(input.detached());
  EXPECT_EQ(pieces, std::vector<std::string>{"never"});
  Result<size_t> again = input.read(nullptr, 0);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0u);
}

TEST(DetachableInput, HandsOutWhatIsPendingInSmallReads) {
  std::vector<std::string> pieces = {"\x10", "xy"};
  StdinSource input = DetachableInput(Pieces(&pieces), "\x10\x11");
  char buf[2];
  Result<size_t> got = input.read(buf, 2);  // the held ctrl-p and "xy" are 3 bytes
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(std::string(buf, *got), "\x10x");
  got = input.read(buf, 2);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(std::string(buf, *got), "y");
  EXPECT_EQ(ReadAll(input, 2), "");
  EXPECT_FALSE(input.detached());
}

TEST(DetachableInput, AnEndWithoutTheSequenceIsNotADetach) {
  std::vector<std::string> pieces = {"hi\n", "\x10"};
  StdinSource input = DetachableInput(Pieces(&pieces), "\x10\x11");
  // The held ctrl-p is the client's last byte: it never reaches the process.
  EXPECT_EQ(ReadAll(input, 64), "hi\n");
  EXPECT_FALSE(input.detached());
}

}  // namespace
}  // namespace berth::api
