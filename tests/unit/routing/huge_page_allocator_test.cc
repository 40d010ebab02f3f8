#include "core/routing/huge_page_allocator.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace switchboard::core::routing {
namespace {

TEST(HugePageAllocatorTest, OnlyLargeBlocksAreHuge) {
  EXPECT_FALSE(HugePageAllocator<char>::Huge(kHugePageSize - 1));
  EXPECT_TRUE(HugePageAllocator<char>::Huge(kHugePageSize));
}

TEST(HugePageAllocatorTest, LargeBlocksAreAlignedToTheHugePage) {
  HugePageAllocator<uint64_t> alloc;
  const size_t n = kHugePageSize / sizeof(uint64_t) + 1;  // just over one huge page
  uint64_t* p = alloc.allocate(n);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % kHugePageSize, 0u);
  p[0] = 1;
  p[n - 1] = 2;  // the whole block is usable
  EXPECT_EQ(p[0] + p[n - 1], 3u);
  alloc.deallocate(p, n);
}

// A vector growing from small to huge blocks keeps its elements (and frees each block the
// way it was allocated; a mismatch would show under the sanitizers and in the allocator).
TEST(HugePageAllocatorTest, VectorGrowsThroughBothKindsOfBlock) {
  std::vector<std::string, HugePageAllocator<std::string>> v;
  const size_t n = 3 * kHugePageSize / sizeof(std::string);
  for (size_t i = 0; i < n; ++i) {
    v.push_back(std::to_string(i));
  }
  ASSERT_EQ(v.size(), n);
  EXPECT_EQ(v[0], "0");
  EXPECT_EQ(v[n / 2], std::to_string(n / 2));
  EXPECT_EQ(v.back(), std::to_string(n - 1));
  v.clear();
  v.shrink_to_fit();
  EXPECT_TRUE(v.empty());
}

}  // namespace
}  // namespace switchboard::core::routing
