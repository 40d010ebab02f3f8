#include "store/counts.h"

#include <rocksdb/merge_operator.h>

namespace switchboard::store {
namespace {

class AddCounts final : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& /*key*/, const rocksdb::Slice* existing_value,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger* /*logger*/) const override {
    const uint64_t a =
        existing_value == nullptr
            ? 0
            : DecodeCount(std::string_view(existing_value->data(), existing_value->size()))
                  .value_or(0);
    const uint64_t b = DecodeCount(std::string_view(value.data(), value.size())).value_or(0);
    *new_value = EncodeCount(a > UINT64_MAX - b ? UINT64_MAX : a + b);
    return true;
  }

  const char* Name() const override { return "switchboard.AddCounts"; }
};

}  // namespace

std::string EncodeCount(uint64_t count) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(count & 0xff);
    count >>= 8;
  }
  return out;
}

std::optional<uint64_t> DecodeCount(std::string_view value) {
  if (value.size() != 8) {
    return std::nullopt;
  }
  uint64_t v = 0;
  for (char c : value) {
    v = (v << 8) | static_cast<uint8_t>(c);
  }
  return v;
}

std::shared_ptr<rocksdb::MergeOperator> NewCountMergeOperator() {
  return std::make_shared<AddCounts>();
}

}  // namespace switchboard::store
