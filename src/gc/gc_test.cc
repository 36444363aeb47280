#include "berth/gc.h"

#include <gtest/gtest.h>

#include <map>

namespace berth::gc {
namespace {

Digest D(char c) { return Digest::Of(std::string(1, c)); }

class GraphTest : public ::testing::Test {
 protected:
  std::map<Digest, std::vector<Digest>> edges;
  ChildrenFn children() {
    return [this](const Digest& d) {
      auto it = edges.find(d);
      return it == edges.end() ? std::vector<Digest>{} : it->second;
    };
  }
};

TEST_F(GraphTest, MarksEverythingReachableAndSweepsTheRest) {
  // a -> b -> c, d -> c, e alone
  edges[D('a')] = {D('b')};
  edges[D('b')] = {D('c')};
  edges[D('d')] = {D('c')};
  auto marked = Mark({D('a')}, children());
  EXPECT_EQ(marked.size(), 3u);
  EXPECT_TRUE(marked.contains(D('c')));
  auto garbage = Sweep(marked, {D('a'), D('b'), D('c'), D('d'), D('e')});
  EXPECT_EQ(garbage, (std::vector<Digest>{D('d'), D('e')}));
}

TEST_F(GraphTest, SharedChildSurvivesWhileAnyParentIsRooted) {
  edges[D('a')] = {D('s')};
  edges[D('b')] = {D('s')};
  auto marked = Mark({D('b')}, children());
  EXPECT_TRUE(marked.contains(D('s')));
  EXPECT_FALSE(marked.contains(D('a')));
}

TEST_F(GraphTest, CyclesTerminate) {
  edges[D('a')] = {D('b')};
  edges[D('b')] = {D('a')};
  auto marked = Mark({D('a')}, children());
  EXPECT_EQ(marked.size(), 2u);
}

TEST_F(GraphTest, NoRootsMarksNothing) {
  edges[D('a')] = {D('b')};
  auto marked = Mark({}, children());
  EXPECT_TRUE(marked.empty());
  EXPECT_EQ(Sweep(marked, {D('a'), D('b')}).size(), 2u);
}

}  // namespace
}  // namespace berth::gc
