// SlotIndex: an open-addressing hash index from a key's 64-bit hash to a dense slot number
// (a uint32 index into the caller's vector of records). The routing engine finds contacts by
// session id and agents by id string through it: one probe into a flat array instead of a
// node-based hash map's bucket list and node.
//
// The index stores the hash's low 32 bits (they also pick the home entry) and the slot in 8
// bytes per entry, never the key. A lookup passes `eq(slot)`, which
// says whether the record at `slot` has the key looked for (it is asked only when the stored
// hash equals the one looked for).
// Linear probing; erase shifts the following entries back (no tombstones), so lookups stay
// short after any number of erases. Grows at 1/2 load.
//
// Thread rules: not thread-safe (plain data).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/routing/huge_page_allocator.h"

namespace switchboard::core::routing {

// A bijection on 64-bit integers that scatters nearby ids (the finaliser of MurmurHash3).
inline uint64_t MixId(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// For ids handed out by a counter (session ids): runs of four consecutive ids stay side by
// side in the table (one cache line), the runs themselves are scattered. Not a bijection on
// all 64 bits: look-ups check the key (`eq`).
inline uint64_t SequentialIdHash(uint64_t id) { return (MixId(id >> 2) << 2) | (id & 3); }

// FNV-1a over the bytes, then mixed (ids such as "agent-1234" differ in their last bytes).
inline uint64_t HashString(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return MixId(h);
}

class SlotIndex {
 public:
  static constexpr uint32_t kNotFound = UINT32_MAX;

  // The slot whose record `eq` accepts among those stored with `hash`; kNotFound if none.
  template <class Eq>
  uint32_t Find(uint64_t hash, Eq&& eq) const {
    if (size_ == 0) {
      return kNotFound;
    }
    const auto tag = static_cast<uint32_t>(hash);
    for (size_t i = tag & mask_;; i = (i + 1) & mask_) {
      const Entry& e = table_[i];
      if (e.slot == kNotFound) {
        return kNotFound;
      }
      if (e.tag == tag && eq(e.slot)) {
        return e.slot;
      }
    }
  }
  // Adds (hash, slot). The caller makes sure the key is not in the index yet.
  void Insert(uint64_t hash, uint32_t slot) {
    if ((size_ + 1) * 2 > table_.size()) {
      Grow();
    }
    Place(static_cast<uint32_t>(hash), slot);
    ++size_;
  }
  // Removes the entry of `hash` whose slot `eq` accepts; false if there is none.
  template <class Eq>
  bool Erase(uint64_t hash, Eq&& eq) {
    if (size_ == 0) {
      return false;
    }
    const auto tag = static_cast<uint32_t>(hash);
    size_t i = tag & mask_;
    for (;; i = (i + 1) & mask_) {
      const Entry& e = table_[i];
      if (e.slot == kNotFound) {
        return false;
      }
      if (e.tag == tag && eq(e.slot)) {
        break;
      }
    }
    // Backward shift: move later entries of the run into the hole when their home allows.
    size_t hole = i;
    for (size_t j = (hole + 1) & mask_;; j = (j + 1) & mask_) {
      const Entry& e = table_[j];
      if (e.slot == kNotFound) {
        break;
      }
      const size_t home = e.tag & mask_;
      // The entry at j may move to the hole when its home is not in (hole, j] (cyclically).
      const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
      if (!stays) {
        table_[hole] = e;
        hole = j;
      }
    }
    table_[hole] = Entry{};
    --size_;
    return true;
  }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void Clear() {
    table_.clear();
    mask_ = 0;
    size_ = 0;
  }
  // Every stored slot, in table order (for checks).
  template <class F>
  void ForEach(F&& f) const {
    for (const Entry& e : table_) {
      if (e.slot != kNotFound) {
        f(e.slot);
      }
    }
  }

 private:
  struct Entry {
    uint32_t tag = 0;  // the hash's low 32 bits
    uint32_t slot = kNotFound;
  };

  void Place(uint32_t tag, uint32_t slot) {
    size_t i = tag & mask_;
    while (table_[i].slot != kNotFound) {
      i = (i + 1) & mask_;
    }
    table_[i] = Entry{tag, slot};
  }
  void Grow() {
    std::vector<Entry, HugePageAllocator<Entry>> old;
    old.swap(table_);
    const size_t capacity = old.empty() ? 16 : old.size() * 2;
    table_.assign(capacity, Entry{});
    mask_ = capacity - 1;
    for (const Entry& e : old) {
      if (e.slot != kNotFound) {
        Place(e.tag, e.slot);
      }
    }
  }

  std::vector<Entry, HugePageAllocator<Entry>> table_;  // read at random
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace switchboard::core::routing
