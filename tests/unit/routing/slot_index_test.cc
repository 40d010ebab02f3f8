#include "core/routing/slot_index.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace switchboard::core::routing {
namespace {

constexpr uint32_t kNotFound = SlotIndex::kNotFound;

TEST(SlotIndexTest, EmptyFindsNothing) {
  SlotIndex index;
  EXPECT_EQ(index.Find(MixId(1), [](uint32_t) { return true; }), kNotFound);
  EXPECT_FALSE(index.Erase(MixId(1), [](uint32_t) { return true; }));
  EXPECT_TRUE(index.empty());
}

TEST(SlotIndexTest, InsertFindErase) {
  SlotIndex index;
  index.Insert(MixId(7), 3);
  index.Insert(MixId(8), 4);
  EXPECT_EQ(index.size(), 2u);
  EXPECT_EQ(index.Find(MixId(7), [](uint32_t) { return true; }), 3u);
  EXPECT_EQ(index.Find(MixId(8), [](uint32_t) { return true; }), 4u);
  EXPECT_EQ(index.Find(MixId(9), [](uint32_t) { return true; }), kNotFound);
  EXPECT_TRUE(index.Erase(MixId(7), [](uint32_t) { return true; }));
  EXPECT_EQ(index.Find(MixId(7), [](uint32_t) { return true; }), kNotFound);
  EXPECT_EQ(index.Find(MixId(8), [](uint32_t) { return true; }), 4u);
  EXPECT_EQ(index.size(), 1u);
}

// Keys with the same hash are told apart by `eq` (string ids whose hashes collide).
TEST(SlotIndexTest, EqualHashesAreToldApartByEq) {
  std::vector<std::string> keys = {"a", "b", "c", "d"};
  SlotIndex index;
  for (uint32_t slot = 0; slot < keys.size(); ++slot) {
    index.Insert(42, slot);  // all in one run
  }
  auto find = [&](const std::string& key) {
    return index.Find(42, [&](uint32_t slot) { return keys[slot] == key; });
  };
  EXPECT_EQ(find("c"), 2u);
  EXPECT_EQ(find("zz"), kNotFound);
  EXPECT_TRUE(index.Erase(42, [&](uint32_t slot) { return keys[slot] == "b"; }));
  EXPECT_EQ(find("b"), kNotFound);
  EXPECT_EQ(find("a"), 0u);
  EXPECT_EQ(find("c"), 2u);
  EXPECT_EQ(find("d"), 3u);
}

// Runs that wrap around the end of the table survive erases in the middle (backward shift).
TEST(SlotIndexTest, WrappingRunsSurviveErase) {
  SlotIndex index;
  // The first table has 16 entries: hashes 14, 15 and 30 (home 14) wrap to 0 and 1.
  const std::vector<uint64_t> hashes = {14, 15, 30, 31, 46};
  for (uint32_t slot = 0; slot < hashes.size(); ++slot) {
    index.Insert(hashes[slot], slot);
  }
  auto find = [&](uint64_t h) {
    return index.Find(h, [](uint32_t) { return true; });
  };
  ASSERT_TRUE(index.Erase(15, [](uint32_t) { return true; }));
  EXPECT_EQ(find(14), 0u);
  EXPECT_EQ(find(15), kNotFound);
  EXPECT_EQ(find(30), 2u);
  EXPECT_EQ(find(31), 3u);
  EXPECT_EQ(find(46), 4u);
  ASSERT_TRUE(index.Erase(14, [](uint32_t) { return true; }));
  EXPECT_EQ(find(30), 2u);
  EXPECT_EQ(find(31), 3u);
  EXPECT_EQ(find(46), 4u);
}

// Random inserts and erases agree with std::unordered_map, through growth.
TEST(SlotIndexTest, AgreesWithUnorderedMap) {
  std::mt19937_64 rng(7);
  SlotIndex index;
  std::unordered_map<uint64_t, uint32_t> model;
  std::vector<uint64_t> key_of;  // by slot
  for (int i = 0; i < 200000; ++i) {
    const uint64_t id = 1 + rng() % 5000;
    const uint64_t h = SequentialIdHash(id);
    auto is_id = [&](uint32_t slot) { return key_of[slot] == id; };
    const bool present = model.contains(id);
    ASSERT_EQ(index.Find(h, is_id) != kNotFound, present) << "id " << id;
    if (rng() % 3 == 0) {
      ASSERT_EQ(index.Erase(h, is_id), present);
      model.erase(id);
    } else if (!present) {
      const auto slot = static_cast<uint32_t>(key_of.size());
      key_of.push_back(id);
      index.Insert(h, slot);
      model[id] = slot;
    } else {
      ASSERT_EQ(index.Find(h, is_id), model[id]);
    }
    ASSERT_EQ(index.size(), model.size());
  }
  size_t seen = 0;
  index.ForEach([&](uint32_t) { ++seen; });
  EXPECT_EQ(seen, model.size());
}

// Hashes equal in their low 32 bits share a run and are told apart by `eq`.
TEST(SlotIndexTest, HashesEqualInTheLowBitsAreToldApart) {
  SlotIndex index;
  const uint64_t a = 0x0000000100000005ULL;
  const uint64_t b = 0x0000000200000005ULL;
  index.Insert(a, 0);
  index.Insert(b, 1);
  EXPECT_EQ(index.Find(b, [](uint32_t slot) { return slot == 1; }), 1u);
  EXPECT_EQ(index.Find(a, [](uint32_t slot) { return slot == 0; }), 0u);
  EXPECT_TRUE(index.Erase(a, [](uint32_t slot) { return slot == 0; }));
  EXPECT_EQ(index.Find(b, [](uint32_t slot) { return slot == 1; }), 1u);
}

TEST(SlotIndexTest, MixIdIsABijectionOnASample) {
  std::unordered_map<uint64_t, uint64_t> seen;
  for (uint64_t x = 0; x < 100000; ++x) {
    ASSERT_TRUE(seen.emplace(MixId(x), x).second);
  }
  EXPECT_NE(HashString("agent-1"), HashString("agent-2"));
  EXPECT_EQ(HashString("agent-1"), HashString(std::string("agent-") + "1"));
  // Counter ids: four in a row side by side, the next four elsewhere.
  EXPECT_EQ(SequentialIdHash(8) + 1, SequentialIdHash(9));
  EXPECT_EQ(SequentialIdHash(8) + 3, SequentialIdHash(11));
  EXPECT_NE(SequentialIdHash(12) & ~uint64_t{3}, SequentialIdHash(8) & ~uint64_t{3});
}

}  // namespace
}  // namespace switchboard::core::routing
