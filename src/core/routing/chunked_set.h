// ChunkedSet: an ordered set of small, trivially copyable keys kept in sorted chunks of at
// most kChunk keys each (a flat B-tree of one level). The routing engine keeps each lane's
// waiting contacts in one: contacts mostly join at the back (arrival order) and leave at the
// front (the best is offered first), which here are an append to the last chunk and a step
// of the first chunk's head, with no allocation per key and neighbours in the same cache
// lines. A key in the middle costs a binary search over the chunks' last keys and a move of
// at most kChunk keys.
//
// rank(key) walks the chunks before the key's (for position requests, not the hot path).
//
// Thread rules: not thread-safe (plain data).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <vector>

namespace switchboard::core::routing {

template <class Key, class Less = std::less<Key>, size_t kChunk = 128>
class ChunkedSet {
  static_assert(kChunk >= 4, "chunks hold at least four keys");

 public:
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }

  // Adds `key`; false (nothing changes) when an equal key is in the set.
  bool insert(const Key& key) {
    if (chunks_.empty()) {
      chunks_.emplace_back();
      chunks_.back().keys.push_back(key);
      last_.push_back(key);
      ++size_;
      return true;
    }
    // At the back (the common case) without a search.
    size_t c = less_(last_.back(), key) ? chunks_.size() - 1 : ChunkOf(key);
    Chunk& chunk = chunks_[c];
    auto it = std::lower_bound(chunk.keys.begin() + chunk.head, chunk.keys.end(), key, less_);
    if (it != chunk.keys.end() && !less_(key, *it)) {
      return false;
    }
    if (it == chunk.keys.begin() + chunk.head && chunk.head > 0) {
      *--it = key;  // room before the head
      --chunk.head;
    } else {
      chunk.keys.insert(it, key);
    }
    last_[c] = chunk.keys.back();
    ++size_;
    if (chunk.keys.size() - chunk.head > kChunk) {
      Split(c);
    }
    return true;
  }
  // Removes `key`; false when it is not in the set.
  bool erase(const Key& key) {
    if (size_ == 0) {
      return false;
    }
    const size_t c = ChunkOf(key);
    if (c == chunks_.size()) {
      return false;
    }
    Chunk& chunk = chunks_[c];
    auto begin = chunk.keys.begin() + chunk.head;
    auto it = std::lower_bound(begin, chunk.keys.end(), key, less_);
    if (it == chunk.keys.end() || less_(key, *it)) {
      return false;
    }
    if (it == begin) {
      ++chunk.head;  // the front leaves: no move
    } else {
      chunk.keys.erase(it);
    }
    --size_;
    if (chunk.head == chunk.keys.size()) {
      chunks_.erase(chunks_.begin() + static_cast<std::ptrdiff_t>(c));
      last_.erase(last_.begin() + static_cast<std::ptrdiff_t>(c));
    } else {
      last_[c] = chunk.keys.back();
      if (chunk.head >= kChunk / 2) {  // give the dead front back
        chunk.keys.erase(chunk.keys.begin(),
                         chunk.keys.begin() + static_cast<std::ptrdiff_t>(chunk.head));
        chunk.head = 0;
      }
    }
    return true;
  }
  bool contains(const Key& key) const {
    const size_t c = ChunkOf(key);
    if (c == chunks_.size()) {
      return false;
    }
    const Chunk& chunk = chunks_[c];
    auto it = std::lower_bound(chunk.keys.begin() + chunk.head, chunk.keys.end(), key, less_);
    return it != chunk.keys.end() && !less_(key, *it);
  }
  // How many keys are less than `key`.
  size_t rank(const Key& key) const {
    const size_t c = ChunkOf(key);
    size_t n = 0;
    for (size_t i = 0; i < c; ++i) {
      n += chunks_[i].keys.size() - chunks_[i].head;
    }
    if (c < chunks_.size()) {
      const Chunk& chunk = chunks_[c];
      auto begin = chunk.keys.begin() + chunk.head;
      n += static_cast<size_t>(std::lower_bound(begin, chunk.keys.end(), key, less_) - begin);
    }
    return n;
  }
  void clear() {
    chunks_.clear();
    last_.clear();
    size_ = 0;
  }
  // In order. Any insert or erase invalidates iterators.
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Key;
    using difference_type = std::ptrdiff_t;
    using pointer = const Key*;
    using reference = const Key&;

    const_iterator() = default;
    const Key& operator*() const { return set_->chunks_[chunk_].keys[pos_]; }
    const Key* operator->() const { return &**this; }
    const_iterator operator++(int) {
      const_iterator old = *this;
      ++*this;
      return old;
    }
    const_iterator& operator++() {
      if (++pos_ == set_->chunks_[chunk_].keys.size()) {
        ++chunk_;
        pos_ = chunk_ < set_->chunks_.size() ? set_->chunks_[chunk_].head : 0;
      }
      return *this;
    }
    bool operator==(const const_iterator& o) const {
      return chunk_ == o.chunk_ && pos_ == o.pos_;
    }

   private:
    friend class ChunkedSet;
    const_iterator(const ChunkedSet* set, size_t chunk, size_t pos)
        : set_(set), chunk_(chunk), pos_(pos) {}
    const ChunkedSet* set_ = nullptr;
    size_t chunk_ = 0;
    size_t pos_ = 0;
  };
  const_iterator begin() const {
    return const_iterator(this, 0, chunks_.empty() ? 0 : chunks_.front().head);
  }
  const_iterator end() const { return const_iterator(this, chunks_.size(), 0); }

  // Calls f(key) for each key in order until f returns false.
  template <class F>
  void Visit(F&& f) const {
    for (const Chunk& chunk : chunks_) {
      for (size_t i = chunk.head; i < chunk.keys.size(); ++i) {
        if (!f(chunk.keys[i])) {
          return;
        }
      }
    }
  }
  // The chunks, for tests: each sorted, non-empty, none above kChunk keys.
  bool CheckShape() const {
    size_t n = 0;
    for (size_t c = 0; c < chunks_.size(); ++c) {
      const Chunk& chunk = chunks_[c];
      const size_t live = chunk.keys.size() - chunk.head;
      if (live == 0 || live > kChunk || less_(last_[c], chunk.keys.back()) ||
          less_(chunk.keys.back(), last_[c])) {
        return false;
      }
      if (!std::is_sorted(chunk.keys.begin() + chunk.head, chunk.keys.end(), less_)) {
        return false;
      }
      if (c > 0 && !less_(last_[c - 1], chunk.keys[chunk.head])) {
        return false;
      }
      n += live;
    }
    return n == size_ && last_.size() == chunks_.size();
  }
  size_t chunk_count() const { return chunks_.size(); }

 private:
  struct Chunk {
    std::vector<Key> keys;  // live keys are keys[head, end)
    size_t head = 0;
  };

  // The first chunk whose last key is not less than `key`; chunks_.size() if none.
  size_t ChunkOf(const Key& key) const {
    if (!last_.empty() && !less_(last_.front(), key)) {
      return 0;  // the front (the common case for a removal)
    }
    return static_cast<size_t>(std::lower_bound(last_.begin(), last_.end(), key, less_) -
                               last_.begin());
  }
  void Split(size_t c) {
    Chunk& chunk = chunks_[c];
    const size_t mid = chunk.head + (chunk.keys.size() - chunk.head) / 2;
    Chunk upper;
    upper.keys.assign(chunk.keys.begin() + static_cast<std::ptrdiff_t>(mid), chunk.keys.end());
    chunk.keys.erase(chunk.keys.begin() + static_cast<std::ptrdiff_t>(mid), chunk.keys.end());
    const Key upper_last = upper.keys.back();
    last_[c] = chunk.keys.back();
    chunks_.insert(chunks_.begin() + static_cast<std::ptrdiff_t>(c) + 1, std::move(upper));
    last_.insert(last_.begin() + static_cast<std::ptrdiff_t>(c) + 1, upper_last);
  }

  std::vector<Chunk> chunks_;
  std::vector<Key> last_;  // per chunk: its last key (for the search)
  size_t size_ = 0;
  [[no_unique_address]] Less less_{};
};

}  // namespace switchboard::core::routing
