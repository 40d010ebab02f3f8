#include "core/routing/small_ids.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace switchboard::core::routing {
namespace {

std::vector<uint32_t> Ids(const SmallIds& ids) { return {ids.begin(), ids.end()}; }

TEST(SmallIdsTest, InlineThenSpillsAndComesBack) {
  SmallIds ids;
  EXPECT_TRUE(ids.empty());
  for (uint32_t i = 1; i <= 5; ++i) {
    ids.push_back(i * 10);
  }
  EXPECT_EQ(Ids(ids), (std::vector<uint32_t>{10, 20, 30, 40, 50}));
  ids.erase(std::find(ids.begin(), ids.end(), 20u));
  EXPECT_EQ(Ids(ids), (std::vector<uint32_t>{10, 30, 40, 50}));
  ids.erase(std::find(ids.begin(), ids.end(), 50u));  // back to SmallIds::kInline
  EXPECT_EQ(Ids(ids), (std::vector<uint32_t>{10, 30, 40}));
  ids.erase(ids.begin());
  EXPECT_EQ(Ids(ids), (std::vector<uint32_t>{30, 40}));
  ids.clear();
  EXPECT_TRUE(ids.empty());
  ids.assign(std::vector<uint32_t>{7});
  EXPECT_EQ(Ids(ids), (std::vector<uint32_t>{7}));
}

// Random pushes and erases agree with std::vector, across the inline limit both ways.
TEST(SmallIdsTest, AgreesWithVector) {
  std::mt19937_64 rng(3);
  SmallIds ids;
  std::vector<uint32_t> model;
  for (int i = 0; i < 20000; ++i) {
    if (model.size() < 8 && (model.empty() || rng() % 2 == 0)) {
      const auto id = static_cast<uint32_t>(rng() % 1000);
      ids.push_back(id);
      model.push_back(id);
    } else {
      const size_t at = rng() % model.size();
      const uint32_t* next = ids.erase(ids.begin() + at);
      model.erase(model.begin() + static_cast<std::ptrdiff_t>(at));
      ASSERT_EQ(static_cast<size_t>(next - ids.begin()), at);
    }
    ASSERT_EQ(Ids(ids), model);
    ASSERT_EQ(ids.size(), model.size());
  }
}

}  // namespace
}  // namespace switchboard::core::routing
