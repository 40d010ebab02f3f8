// HugePageAllocator: a std::allocator that asks Linux for transparent huge pages (2 MiB)
// for blocks of 2 MiB or more. The routing engine's records and its contact index are read
// at random (a busy centre closes any of 100,000 contacts); with 4 KiB pages nearly every
// such read also misses the TLB. Smaller blocks, and systems without madvise, get plain
// operator new. The kernel may still refuse huge pages (transparent_hugepage=never): the
// memory is then ordinary.
//
// Thread rules: stateless, like std::allocator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace switchboard::core::routing {

constexpr size_t kHugePageSize = size_t{2} << 20;

template <class T>
class HugePageAllocator {
 public:
  using value_type = T;

  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) {}  // NOLINT(google-explicit-constructor)

  T* allocate(size_t n) {
    if (n > SIZE_MAX / sizeof(T)) {
      throw std::bad_array_new_length();
    }
    const size_t bytes = n * sizeof(T);
    if (!Huge(bytes)) {
      return static_cast<T*>(::operator new(bytes, std::align_val_t{alignof(T)}));
    }
    void* p = std::aligned_alloc(kHugePageSize, Rounded(bytes));
    if (p == nullptr) {
      throw std::bad_alloc();
    }
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    ::madvise(p, Rounded(bytes), MADV_HUGEPAGE);  // advice only: failure changes nothing
#endif
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) {
    if (!Huge(n * sizeof(T))) {
      ::operator delete(p, std::align_val_t{alignof(T)});
      return;
    }
    std::free(p);
  }

  template <class U>
  bool operator==(const HugePageAllocator<U>&) const {
    return true;
  }

  // Whether a block of `bytes` gets huge pages (for tests).
  static bool Huge(size_t bytes) { return bytes >= kHugePageSize; }

 private:
  static size_t Rounded(size_t bytes) {
    return (bytes + kHugePageSize - 1) / kHugePageSize * kHugePageSize;
  }
};

}  // namespace switchboard::core::routing
