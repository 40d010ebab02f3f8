// SmallIds: a short list of uint32 ids (the agents a contact is offered to): up to kInline
// in the object itself, more in a vector. Almost every offer goes to one agent, so the list
// lives in the contact's record instead of a block of its own (which, reused by the slot's
// next contact, is cold memory by then).
//
// Invariant: with size() <= kInline the ids are inline and the vector is empty; above, all
// of them are in the vector.
//
// Thread rules: not thread-safe (plain data).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace switchboard::core::routing {

class SmallIds {
 public:
  static constexpr size_t kInline = 3;

  const uint32_t* begin() const { return data(); }
  const uint32_t* end() const { return data() + size_; }
  uint32_t* begin() { return data(); }
  uint32_t* end() { return data() + size_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  void clear() {
    size_ = 0;
    heap_.clear();
  }
  void push_back(uint32_t id) {
    if (size_ < kInline) {
      inline_[size_++] = id;
      return;
    }
    if (size_ == kInline) {
      heap_.assign(inline_, inline_ + kInline);
    }
    heap_.push_back(id);
    ++size_;
  }
  // Removes the id at `it` (order kept); returns the position after it.
  uint32_t* erase(uint32_t* it) {
    const auto index = static_cast<size_t>(it - data());
    if (size_ <= kInline) {
      std::copy(inline_ + index + 1, inline_ + size_, inline_ + index);
      --size_;
      return inline_ + index;
    }
    heap_.erase(heap_.begin() + static_cast<std::ptrdiff_t>(index));
    --size_;
    if (size_ == kInline) {  // back inline
      std::copy(heap_.begin(), heap_.end(), inline_);
      heap_.clear();
      return inline_ + index;
    }
    return heap_.data() + index;
  }
  template <class Ids>
  void assign(const Ids& ids) {
    clear();
    for (const uint32_t id : ids) {
      push_back(id);
    }
  }

 private:
  uint32_t* data() { return size_ <= kInline ? inline_ : heap_.data(); }
  const uint32_t* data() const { return size_ <= kInline ? inline_ : heap_.data(); }

  uint32_t size_ = 0;
  uint32_t inline_[kInline] = {};
  std::vector<uint32_t> heap_;
};

}  // namespace switchboard::core::routing
