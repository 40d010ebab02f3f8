#include "core/routing/chunked_set.h"

#include <gtest/gtest.h>

#include <iterator>
#include <random>
#include <set>
#include <vector>

namespace switchboard::core::routing {
namespace {

using Small = ChunkedSet<int, std::less<int>, 4>;  // tiny chunks: every path is taken

std::vector<int> Keys(const Small& set) {
  return std::vector<int>(set.begin(), set.end());
}

TEST(ChunkedSetTest, Empty) {
  Small set;
  EXPECT_TRUE(set.empty());
  EXPECT_EQ(set.begin(), set.end());
  EXPECT_FALSE(set.erase(1));
  EXPECT_FALSE(set.contains(1));
  EXPECT_EQ(set.rank(5), 0u);
  EXPECT_TRUE(set.CheckShape());
}

TEST(ChunkedSetTest, AppendsAndFrontRemovalsKeepOrder) {
  Small set;
  for (int i = 1; i <= 10; ++i) {
    EXPECT_TRUE(set.insert(i));
  }
  EXPECT_FALSE(set.insert(5));  // already there
  EXPECT_EQ(Keys(set), (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_GT(set.chunk_count(), 1u);
  for (int i = 1; i <= 3; ++i) {
    EXPECT_TRUE(set.erase(i));
  }
  EXPECT_EQ(*set.begin(), 4);
  EXPECT_EQ(set.size(), 7u);
  EXPECT_EQ(set.rank(4), 0u);
  EXPECT_EQ(set.rank(8), 4u);
  EXPECT_EQ(set.rank(100), 7u);
  EXPECT_TRUE(set.CheckShape());
}

TEST(ChunkedSetTest, InsertsBeforeTheHeadAndInTheMiddle) {
  Small set;
  for (int i : {10, 20, 30, 40, 50, 60}) {
    set.insert(i);
  }
  set.erase(10);
  set.erase(20);
  EXPECT_TRUE(set.insert(5));   // before everything, into the freed front
  EXPECT_TRUE(set.insert(35));  // middle
  EXPECT_TRUE(set.insert(45));
  EXPECT_TRUE(set.insert(25));
  EXPECT_EQ(Keys(set), (std::vector<int>{5, 25, 30, 35, 40, 45, 50, 60}));
  EXPECT_TRUE(set.contains(35));
  EXPECT_FALSE(set.contains(36));
  EXPECT_TRUE(set.CheckShape());
}

// Random inserts and erases agree with std::set, including ranks and order.
TEST(ChunkedSetTest, AgreesWithStdSet) {
  std::mt19937_64 rng(11);
  Small set;
  std::set<int> model;
  for (int i = 0; i < 60000; ++i) {
    const int key = static_cast<int>(rng() % 500);
    switch (rng() % 4) {
      case 0:
      case 1:
        ASSERT_EQ(set.insert(key), model.insert(key).second);
        break;
      case 2:
        ASSERT_EQ(set.erase(key), model.erase(key) == 1);
        break;
      default:
        if (!model.empty()) {  // the front leaves, as offers take it
          const int front = *model.begin();
          ASSERT_EQ(*set.begin(), front);
          ASSERT_TRUE(set.erase(front));
          model.erase(front);
        }
        break;
    }
    ASSERT_EQ(set.size(), model.size());
    ASSERT_EQ(set.contains(key), model.contains(key));
    ASSERT_EQ(set.rank(key),
              static_cast<size_t>(std::distance(model.begin(), model.lower_bound(key))));
    if (i % 97 == 0) {
      ASSERT_TRUE(set.CheckShape());
      ASSERT_EQ(Keys(set), std::vector<int>(model.begin(), model.end()));
    }
  }
}

TEST(ChunkedSetTest, VisitStopsWhenAsked) {
  Small set;
  for (int i = 0; i < 20; ++i) {
    set.insert(i);
  }
  std::vector<int> seen;
  set.Visit([&](int k) {
    seen.push_back(k);
    return k < 6;
  });
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2, 3, 4, 5, 6}));
}

}  // namespace
}  // namespace switchboard::core::routing
