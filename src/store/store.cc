#include "store/store.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <utility>

#include <flatbuffers/flatbuffers.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/snapshot.h>
#include <rocksdb/statistics.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/table_properties_collectors.h>
#include <rocksdb/write_batch.h>

#include "store/counts.h"
#include "store/keys.h"
#include "store/retention.h"
#include "store_generated.h"

namespace switchboard::store {
namespace {

// The stored enums are numbered as the model's; a change to either must fail the build.
static_assert(static_cast<int>(fb::Channel::Im) == static_cast<int>(core::Channel::kIm));
static_assert(static_cast<int>(fb::Channel::Phone) == static_cast<int>(core::Channel::kPhone));
static_assert(static_cast<int>(fb::Channel::Social) == static_cast<int>(core::Channel::kSocial));
static_assert(static_cast<int>(fb::Channel::Merchant) ==
              static_cast<int>(core::Channel::kMerchant));
static_assert(static_cast<int>(fb::Channel::Proactive) ==
              static_cast<int>(core::Channel::kProactive));
static_assert(static_cast<int>(fb::Channel::MAX) + 1 == core::kChannelCount);
static_assert(static_cast<int>(fb::SessionState::Queued) ==
              static_cast<int>(core::SessionState::kQueued));
static_assert(static_cast<int>(fb::SessionState::Offered) ==
              static_cast<int>(core::SessionState::kOffered));
static_assert(static_cast<int>(fb::SessionState::Active) ==
              static_cast<int>(core::SessionState::kActive));
static_assert(static_cast<int>(fb::SessionState::Closed) ==
              static_cast<int>(core::SessionState::kClosed));
static_assert(static_cast<int>(fb::Party::Customer) == static_cast<int>(core::Party::kCustomer));
static_assert(static_cast<int>(fb::Party::Agent) == static_cast<int>(core::Party::kAgent));
static_assert(static_cast<int>(fb::Party::System) == static_cast<int>(core::Party::kSystem));
static_assert(static_cast<int>(fb::Disposition::Resolved) ==
              static_cast<int>(core::Disposition::kResolved));
static_assert(static_cast<int>(fb::Disposition::Unresolved) ==
              static_cast<int>(core::Disposition::kUnresolved));
static_assert(static_cast<int>(fb::Disposition::Escalated) ==
              static_cast<int>(core::Disposition::kEscalated));
static_assert(static_cast<int>(fb::Disposition::Abandoned) ==
              static_cast<int>(core::Disposition::kAbandoned));
static_assert(static_cast<int>(fb::DeliveryKind::Message) ==
              static_cast<int>(core::Delivery::Kind::kMessage));
static_assert(static_cast<int>(fb::DeliveryKind::Closed) ==
              static_cast<int>(core::Delivery::Kind::kClosed));

// RocksDB tuning for this workload: small values, one batch per loop turn, ids increasing.
constexpr size_t kWriteBufferBytes = 64 << 20;
constexpr int kMaxWriteBuffers = 3;
// The outbox column family: ~80 bytes per delivery, nearly all acknowledged within
// milliseconds. Small (vector) memtables: its flushes drop what was acknowledged and write
// little.
constexpr size_t kOutboxWriteBufferBytes = 8 << 20;
constexpr size_t kBlockCacheBytes = 32 << 20;
constexpr int kBackgroundJobs = 2;
// `o` keys (and the `d` keys of dropped deliveries) are put and deleted in id order (a queue
// pattern): their tombstones would pile up in front of the live keys that Recover scans.
// Compact SST files where at least half of a window of entries are deletions.
constexpr size_t kDeletionWindow = 1024;
constexpr size_t kDeletionTrigger = 512;
// With retention, every file is compacted (so filtered) at least this often: the retention
// period, but at least hourly and at most daily.
constexpr Micros kMinPeriodicCompaction = int64_t{3600} * kSeconds;
constexpr Micros kMaxPeriodicCompaction = int64_t{24} * 3600 * kSeconds;
// An index page reads at most this many index keys per item asked for (keys whose session
// record expired first are skipped), so one lookup stays short in the loop.
constexpr size_t kIndexKeysPerItem = 4;
constexpr size_t kIndexKeysSlack = 64;

// ---- Encoding ----

using StringOffset = flatbuffers::Offset<flatbuffers::String>;

// Empty strings are not written: an absent string reads as "".
StringOffset Str(flatbuffers::FlatBufferBuilder& fbb, const std::string& s) {
  return s.empty() ? StringOffset() : fbb.CreateString(s);
}

flatbuffers::Offset<fb::TranscriptEntry> BuildEntry(flatbuffers::FlatBufferBuilder& fbb,
                                                    const core::TranscriptEntry& e) {
  StringOffset agent_id = Str(fbb, e.agent_id);
  StringOffset text = Str(fbb, e.text);
  return fb::CreateTranscriptEntry(fbb, e.session_id, e.index, static_cast<fb::Party>(e.from),
                                   agent_id, text, e.at);
}

void BuildSession(flatbuffers::FlatBufferBuilder& fbb, const core::Session& s) {
  flatbuffers::Offset<fb::ContactAttributes> attributes;
  const core::ContactAttributes& a = s.attributes;
  if (!(a == core::ContactAttributes{})) {
    StringOffset topic = Str(fbb, a.topic);
    StringOffset product_category = Str(fbb, a.product_category);
    StringOffset order_id = Str(fbb, a.order_id);
    StringOffset order_state = Str(fbb, a.order_state);
    StringOffset country = Str(fbb, a.country);
    StringOffset language = Str(fbb, a.language);
    StringOffset intent = Str(fbb, a.intent);
    attributes = fb::CreateContactAttributes(fbb, topic, product_category, order_id, order_state,
                                             country, language, intent, a.vip_level);
  }
  StringOffset tenant = Str(fbb, s.tenant);
  StringOffset customer_id = Str(fbb, s.customer_id);
  StringOffset queue = Str(fbb, s.queue);
  StringOffset agent_id = Str(fbb, s.agent_id);
  StringOffset adapter_id = Str(fbb, s.adapter_id);
  // An offer never survives a restart: store it as queued.
  const core::SessionState state =
      s.state == core::SessionState::kOffered ? core::SessionState::kQueued : s.state;
  fbb.Finish(fb::CreateSession(fbb, s.id, tenant, static_cast<fb::Channel>(s.channel), customer_id,
                               attributes, static_cast<fb::SessionState>(state), queue, agent_id,
                               adapter_id, s.transcript_size, s.queue_seq,
                               static_cast<fb::Disposition>(s.disposition), s.created_at,
                               s.enqueued_at, s.answered_at, s.closed_at));
}

// A message's entry is always in the session's transcript (appended in the same batch or
// before): the record names it instead of copying its text.
void BuildDelivery(flatbuffers::FlatBufferBuilder& fbb, const core::Delivery& d) {
  const bool by_ref = d.kind == core::Delivery::Kind::kMessage &&
                      d.entry.session_id == d.session_id && !(d.entry == core::TranscriptEntry{});
  flatbuffers::Offset<fb::TranscriptEntry> entry;
  if (!by_ref && !(d.entry == core::TranscriptEntry{})) {
    entry = BuildEntry(fbb, d.entry);
  }
  StringOffset client_id = Str(fbb, d.client_id);
  StringOffset tenant = Str(fbb, d.tenant);
  StringOffset customer_id = Str(fbb, d.customer_id);
  fbb.Finish(fb::CreateDelivery(fbb, d.id, client_id, static_cast<fb::DeliveryKind>(d.kind),
                                d.session_id, tenant, static_cast<fb::Channel>(d.channel),
                                customer_id, entry, static_cast<fb::Disposition>(d.disposition),
                                by_ref, by_ref ? d.entry.index : 0));
}

void BuildMark(flatbuffers::FlatBufferBuilder& fbb, const core::ClientMark& m) {
  StringOffset client_id = Str(fbb, m.client_id);
  fbb.Finish(fb::CreateClientMark(fbb, client_id, m.epoch, m.processed_seq, m.acked_delivery));
}

void BuildCounters(flatbuffers::FlatBufferBuilder& fbb, const core::Counters& c) {
  fbb.Finish(fb::CreateCounters(fbb, c.next_session_id, c.next_delivery_id, c.next_queue_seq));
}

// ---- Decoding ----
//
// Decoders return nullptr on success, otherwise what is wrong with the record (the caller
// names the key). They never trust a value before the Verifier has accepted it.

// The root of `value` if it verifies as a T. `value` must be our own copy of the record:
// std::string storage is suitably aligned for FlatBuffers' scalar reads, RocksDB's slices
// are not necessarily.
template <typename T>
const T* VerifiedRoot(const std::string& value) {
  if (value.size() >= FLATBUFFERS_MAX_BUFFER_SIZE) {
    return nullptr;  // the Verifier asserts on this rather than failing
  }
  flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(value.data()), value.size());
  if (!verifier.VerifyBuffer<T>(nullptr)) {
    return nullptr;
  }
  return flatbuffers::GetRoot<T>(value.data());
}

std::string Str(const flatbuffers::String* s) { return s == nullptr ? std::string() : s->str(); }

template <typename E>
bool Known(E value) {
  return static_cast<uint8_t>(value) <= static_cast<uint8_t>(E::MAX);
}

const char* DecodeEntry(const fb::TranscriptEntry& in, core::TranscriptEntry* out) {
  if (!Known(in.from())) {
    return "unknown party";
  }
  out->session_id = in.session_id();
  out->index = in.index();
  out->from = static_cast<core::Party>(in.from());
  out->agent_id = Str(in.agent_id());
  out->text = Str(in.text());
  out->at = in.at();
  return nullptr;
}

const char* DecodeTranscriptRecord(const std::string& value, const keys::TranscriptKeyParts& key,
                                   core::TranscriptEntry* out) {
  const auto* in = VerifiedRoot<fb::TranscriptEntry>(value);
  if (in == nullptr) {
    return "not a valid TranscriptEntry record";
  }
  if (const char* error = DecodeEntry(*in, out)) {
    return error;
  }
  if (out->session_id != key.session_id || out->index != key.index) {
    return "session id or index differs from the key";
  }
  return nullptr;
}

const char* DecodeSession(const std::string& value, core::SessionId key_id, core::Session* out) {
  const auto* in = VerifiedRoot<fb::Session>(value);
  if (in == nullptr) {
    return "not a valid Session record";
  }
  if (in->id() != key_id) {
    return "session id differs from the key";
  }
  if (!Known(in->channel()) || !Known(in->state()) || !Known(in->disposition())) {
    return "unknown channel, state or disposition";
  }
  out->id = in->id();
  out->tenant = Str(in->tenant());
  out->channel = static_cast<core::Channel>(in->channel());
  out->customer_id = Str(in->customer_id());
  out->attributes = core::ContactAttributes{};
  if (const fb::ContactAttributes* a = in->attributes()) {
    out->attributes.topic = Str(a->topic());
    out->attributes.product_category = Str(a->product_category());
    out->attributes.order_id = Str(a->order_id());
    out->attributes.order_state = Str(a->order_state());
    out->attributes.country = Str(a->country());
    out->attributes.language = Str(a->language());
    out->attributes.intent = Str(a->intent());
    out->attributes.vip_level = a->vip_level();
  }
  out->state = static_cast<core::SessionState>(in->state());
  if (out->state == core::SessionState::kOffered) {
    out->state = core::SessionState::kQueued;  // never written as such; be safe
  }
  out->queue = Str(in->queue());
  out->agent_id = Str(in->agent_id());
  out->adapter_id = Str(in->adapter_id());
  out->transcript_size = in->transcript_size();
  out->queue_seq = in->queue_seq();
  out->disposition = static_cast<core::Disposition>(in->disposition());
  out->created_at = in->created_at();
  out->enqueued_at = in->enqueued_at();
  out->answered_at = in->answered_at();
  out->closed_at = in->closed_at();
  return nullptr;
}

// `*entry_ref` tells whether the entry is to be read from the transcript (out->entry then has
// only its session id and index).
const char* DecodeDelivery(const std::string& value, core::DeliveryId key_id, core::Delivery* out,
                           bool* entry_ref) {
  const auto* in = VerifiedRoot<fb::Delivery>(value);
  if (in == nullptr) {
    return "not a valid Delivery record";
  }
  if (in->id() != key_id) {
    return "delivery id differs from the key";
  }
  if (!Known(in->kind()) || !Known(in->channel()) || !Known(in->disposition())) {
    return "unknown kind, channel or disposition";
  }
  out->id = in->id();
  out->client_id = Str(in->client_id());
  out->kind = static_cast<core::Delivery::Kind>(in->kind());
  out->session_id = in->session_id();
  out->tenant = Str(in->tenant());
  out->channel = static_cast<core::Channel>(in->channel());
  out->customer_id = Str(in->customer_id());
  out->entry = core::TranscriptEntry{};
  *entry_ref = in->entry_ref();
  if (*entry_ref) {
    if (out->kind != core::Delivery::Kind::kMessage) {
      return "a transcript reference in a delivery that is not a message";
    }
    out->entry.session_id = out->session_id;
    out->entry.index = in->entry_index();
  } else if (const fb::TranscriptEntry* entry = in->entry()) {
    if (const char* error = DecodeEntry(*entry, &out->entry)) {
      return error;
    }
  }
  out->disposition = static_cast<core::Disposition>(in->disposition());
  return nullptr;
}

const char* DecodeMark(const std::string& value, std::string_view key_client_id,
                       core::ClientMark* out) {
  const auto* in = VerifiedRoot<fb::ClientMark>(value);
  if (in == nullptr) {
    return "not a valid ClientMark record";
  }
  out->client_id = Str(in->client_id());
  if (out->client_id != key_client_id) {
    return "client id differs from the key";
  }
  out->epoch = in->epoch();
  out->processed_seq = in->processed_seq();
  out->acked_delivery = in->acked_delivery();
  return nullptr;
}

const char* DecodeCounters(const std::string& value, core::Counters* out) {
  const auto* in = VerifiedRoot<fb::Counters>(value);
  if (in == nullptr) {
    return "not a valid Counters record";
  }
  out->next_session_id = in->next_session_id();
  out->next_delivery_id = in->next_delivery_id();
  out->next_queue_seq = in->next_queue_seq();
  return nullptr;
}

// ---- Reading ----

Status Corrupt(std::string_view key, std::string_view what) {
  std::string message = "corrupt record at key ";
  message += keys::DescribeKey(key);
  message += ": ";
  message += what;
  return Status(Code::kStoreFailure, std::move(message));
}

Status ReadError(std::string_view key, const rocksdb::Status& s) {
  return Status(Code::kStoreFailure,
                "store read failed at key " + keys::DescribeKey(key) + ": " + s.ToString());
}

// Reads `key` into `*value`. Ok with *found = false if the key is absent.
Status GetValue(rocksdb::DB* db, const rocksdb::ReadOptions& ro, const std::string& key,
                std::string* value, bool* found) {
  rocksdb::Status s = db->Get(ro, key, value);
  *found = s.ok();
  if (s.ok() || s.IsNotFound()) {
    return Status::Ok();
  }
  return ReadError(key, s);
}

// Calls `fn(key, value)` for every key starting with `prefix`, in key order, until `fn`
// returns an error. `value` is a reused, aligned copy of the record, valid during the call.
template <typename Fn>
Status ScanPrefix(rocksdb::DB* db, rocksdb::ReadOptions ro, const std::string& prefix, Fn&& fn,
                  rocksdb::ColumnFamilyHandle* family = nullptr) {
  const std::optional<std::string> end = keys::PrefixEnd(prefix);
  rocksdb::Slice upper_bound;
  if (end.has_value()) {
    upper_bound = *end;
    ro.iterate_upper_bound = &upper_bound;
  }
  std::unique_ptr<rocksdb::Iterator> it(family != nullptr ? db->NewIterator(ro, family)
                                                          : db->NewIterator(ro));
  std::string value;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    const rocksdb::Slice key = it->key();
    if (!key.starts_with(prefix)) {
      break;
    }
    value.assign(it->value().data(), it->value().size());
    Status st = fn(std::string_view(key.data(), key.size()), value);
    if (!st.ok()) {
      return st;
    }
  }
  if (!it->status().ok()) {
    return ReadError(prefix, it->status());
  }
  return Status::Ok();
}

// The highest id under the one-byte `prefix` (keys prefix + id(8)), or 0 if there is none.
Status HighestId(rocksdb::DB* db, rocksdb::ReadOptions ro, char prefix, uint64_t* highest) {
  const std::string lower(1, prefix);
  const std::string upper(1, static_cast<char>(prefix + 1));
  rocksdb::Slice lower_bound(lower);
  rocksdb::Slice upper_bound(upper);
  ro.iterate_lower_bound = &lower_bound;
  ro.iterate_upper_bound = &upper_bound;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro));
  it->SeekToLast();
  *highest = 0;
  if (it->Valid()) {
    const std::string_view key(it->key().data(), it->key().size());
    std::optional<uint64_t> id = keys::DecodeId(key, prefix);
    if (!id.has_value()) {
      return Corrupt(key, "malformed key");
    }
    *highest = *id;
  }
  if (!it->status().ok()) {
    return ReadError(lower, it->status());
  }
  return Status::Ok();
}

Status ReadTranscript(rocksdb::DB* db, const rocksdb::ReadOptions& ro, core::SessionId id,
                      std::vector<core::TranscriptEntry>* out) {
  return ScanPrefix(db, ro, keys::TranscriptPrefix(id),
                    [&](std::string_view key, const std::string& value) -> Status {
                      std::optional<keys::TranscriptKeyParts> parts =
                          keys::DecodeTranscriptKey(key);
                      if (!parts.has_value()) {
                        return Corrupt(key, "malformed key");
                      }
                      core::TranscriptEntry entry;
                      if (const char* error = DecodeTranscriptRecord(value, *parts, &entry)) {
                        return Corrupt(key, error);
                      }
                      out->push_back(std::move(entry));
                      return Status::Ok();
                    });
}

// The stored record of an open session is written when its state changes, not on every
// message, so its transcript_size may be behind: the transcript keys are the truth. One
// SeekForPrev finds the last entry of the session (or none).
// `it` is an iterator with no upper bound (reused across calls).
Status CountTranscript(rocksdb::Iterator* it, core::Session* session) {
  if (session->state == core::SessionState::kClosed) {
    return Status::Ok();  // written at the close, with its final size
  }
  const std::string last = keys::TranscriptKey(session->id, UINT32_MAX);
  it->SeekForPrev(last);
  if (!it->status().ok()) {
    return ReadError(last, it->status());
  }
  if (it->Valid()) {
    std::optional<keys::TranscriptKeyParts> parts =
        keys::DecodeTranscriptKey(std::string_view(it->key().data(), it->key().size()));
    if (parts.has_value() && parts->session_id == session->id) {
      session->transcript_size = std::max(session->transcript_size, parts->index + 1);
    }
  }
  return Status::Ok();
}

// Cursors of index pages: the 16-byte suffix (time, session id) of the first key of the next
// page, in lower-case hex.
std::string EncodeCursor(std::string_view suffix) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(suffix.size() * 2);
  for (char c : suffix) {
    const auto u = static_cast<uint8_t>(c);
    out += kHex[u >> 4];
    out += kHex[u & 0xf];
  }
  return out;
}

// Lower-case hex (as EncodeCursor writes) back to bytes; nullopt if it is not.
std::optional<std::string> DecodeHex(std::string_view cursor) {
  if (cursor.size() % 2 != 0) {
    return std::nullopt;
  }
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    return -1;
  };
  std::string out;
  out.reserve(keys::kIndexSuffixBytes);
  for (size_t i = 0; i < cursor.size(); i += 2) {
    const int hi = nibble(cursor[i]);
    const int lo = nibble(cursor[i + 1]);
    if (hi < 0 || lo < 0) {
      return std::nullopt;
    }
    out += static_cast<char>((hi << 4) | lo);
  }
  return out;
}

std::optional<std::string> DecodeCursor(std::string_view cursor) {
  if (cursor.size() != 2 * keys::kIndexSuffixBytes) {
    return std::nullopt;
  }
  return DecodeHex(cursor);
}

// Memtable insert hints: RocksDB remembers where the last key of each "prefix" went and
// starts the next insert with that prefix from there instead of from the skiplist's top.
// Delivery ids only grow, and a transcript's entries of one session arrive in index order, so
// the hint is nearly always right; a client mark or the counters are the same key again.
// (A hint costs ~250 bytes per prefix seen by one memtable: per session with a message in
// it, bounded by the memtable's size.)
class InsertHintExtractor final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "switchboard.InsertHint"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    switch (key[0]) {
      case keys::kDeliveryPrefix:
        return rocksdb::Slice(key.data(), 1);
      case keys::kTranscriptPrefix:
        return rocksdb::Slice(key.data(), 9);  // 't' + session id
      default:
        return key;  // 'c', 'm': updates of the same key
    }
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    if (key.empty()) {
      return false;
    }
    switch (key[0]) {
      case keys::kDeliveryPrefix:
      case keys::kMarkPrefix:
      case keys::kMetaPrefix:
        return true;
      case keys::kTranscriptPrefix:
        return key.size() >= 9;
      default:
        return false;
    }
  }
};

std::shared_ptr<const rocksdb::SliceTransform> NewInsertHintExtractor() {
  return std::make_shared<InsertHintExtractor>();
}

// Upper bounds of the bytes an item adds to an encoded answer (a FlatBuffers table, its
// vtable and strings), to keep a page within a frame.
size_t EstimateBytes(const core::Session& s) {
  return 256 + s.tenant.size() + s.customer_id.size() + s.agent_id.size() + s.queue.size() +
         s.attributes.topic.size();
}

size_t EstimateBytes(const core::TranscriptEntry& e) {
  return 96 + e.agent_id.size() + e.text.size();
}

// The quality-inspection keys and hourly arrival counts of a turn, into its batch. Keeps the
// first failure in `*s`.
void PutTurnRecords(const core::Mutations& m, rocksdb::WriteBatch& batch, rocksdb::Status* s) {
  for (const core::QaFlag& flag : m.qa_flags) {
    if (s->ok()) {
      *s = batch.Put(keys::QaKey(keys::kQaPrefix, flag.closed_at, flag.session_id),
                     rocksdb::Slice());
    }
    if (s->ok() && flag.recheck) {
      *s = batch.Put(keys::QaKey(keys::kRecheckPrefix, flag.closed_at, flag.session_id),
                     rocksdb::Slice());
    }
  }
  for (const core::ArrivalCount& a : m.arrivals) {
    if (s->ok() && a.count > 0) {
      *s = batch.Merge(keys::ArrivalsKey(a.hour, a.queue), EncodeCount(a.count));
    }
  }
}

// Raises `*counter` to at least seen + 1 (saturating).
void AtLeastAbove(uint64_t* counter, uint64_t seen) {
  if (seen == UINT64_MAX) {
    *counter = UINT64_MAX;
  } else {
    *counter = std::max(*counter, seen + 1);
  }
}

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const std::string& dir, const Options& options) {
  const std::string where = "cannot open store in '" + dir + "': ";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Status(Code::kStoreFailure, where + "cannot create the directory: " + ec.message());
  }

  rocksdb::Options db_options;
  if (options.env != nullptr) {
    db_options.env = options.env;  // before IncreaseParallelism, which sizes its thread pools
  }
  db_options.create_if_missing = true;
  db_options.IncreaseParallelism(kBackgroundJobs);
  db_options.write_buffer_size = kWriteBufferBytes;
  db_options.max_write_buffer_number = kMaxWriteBuffers;
  db_options.level_compaction_dynamic_level_bytes = true;
  // Fresh data (L0, and the level L0 compacts into) is mostly short-lived: deliveries
  // deleted within milliseconds, transcripts of open sessions. Compressing it cost the second
  // core ~10% of the loop's throughput for little space; levels below use LZ4.
  db_options.compression_per_level = {rocksdb::kNoCompression,  rocksdb::kNoCompression,
                                      rocksdb::kLZ4Compression, rocksdb::kLZ4Compression,
                                      rocksdb::kLZ4Compression, rocksdb::kLZ4Compression,
                                      rocksdb::kLZ4Compression};
  db_options.memtable_insert_with_hint_prefix_extractor = NewInsertHintExtractor();
  db_options.keep_log_file_num = 10;  // RocksDB's info LOG files, not the WAL
  // Tickers only (for STALL_MICROS in Stats): per-core counters, no timers or histograms.
  db_options.statistics = rocksdb::CreateDBStatistics();
  db_options.statistics->set_stats_level(rocksdb::StatsLevel::kExceptHistogramOrTimers);
  db_options.table_properties_collector_factories.push_back(
      rocksdb::NewCompactOnDeletionCollectorFactory(kDeletionWindow, kDeletionTrigger));
  rocksdb::BlockBasedTableOptions table_options;
  table_options.block_cache = rocksdb::NewLRUCache(kBlockCacheBytes);
  table_options.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));  // for GetSession
  db_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options));
  db_options.merge_operator = NewCountMergeOperator();  // hourly arrival counts
  std::function<TimePoint()> now_us = options.now_us;
  if (!now_us) {
    now_us = [] {
      return std::chrono::duration_cast<std::chrono::microseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  auto acked = std::make_shared<AckedDeliveries>();
  db_options.compaction_filter_factory =
      NewStoreFilterFactory(options.retention, std::move(now_us), acked);
  if (options.retention > 0) {
    db_options.periodic_compaction_seconds = static_cast<uint64_t>(
        std::clamp(options.retention, kMinPeriodicCompaction, kMaxPeriodicCompaction) / kSeconds);
  }

  rocksdb::ColumnFamilyOptions outbox_options(db_options);
  outbox_options.write_buffer_size = kOutboxWriteBufferBytes;
  // The outbox is written in id order and read only by Recover (from files and the WAL, at
  // open): a vector memtable appends each record instead of searching a skiplist for its
  // place, and sorts once, on the flush thread. It takes no concurrent inserts, which the
  // one writer (the loop) never makes.
  outbox_options.memtable_factory = std::make_shared<rocksdb::VectorRepFactory>();
  db_options.allow_concurrent_memtable_write = false;
  db_options.create_missing_column_families = true;  // a store from before the outbox family
  const std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions(db_options)},
      {std::string(kOutboxColumnFamily), outbox_options}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s =
      rocksdb::DB::Open(rocksdb::DBOptions(db_options), dir, families, &handles, &db);
  if (!s.ok()) {
    delete db;
    return Status(Code::kStoreFailure, where + s.ToString());
  }
  std::unique_ptr<Store> store(new Store());
  store->db_.reset(db);
  store->outbox_ = handles[1];
  db->DestroyColumnFamilyHandle(handles[0]).PermitUncheckedError();  // the DB keeps its own
  store->statistics_ = db_options.statistics;
  store->options_ = options;
  store->acked_ = std::move(acked);
  return store;
}

DbStats Store::Stats() const {
  auto get = [this](const std::string& property) {
    uint64_t value = 0;
    if (!db_->GetIntProperty(property, &value)) {
      value = 0;
    }
    return value;
  };
  DbStats stats;
  stats.delayed_write_rate = get(rocksdb::DB::Properties::kActualDelayedWriteRate);
  stats.write_stopped = get(rocksdb::DB::Properties::kIsWriteStopped) != 0;
  stats.running_compactions = get(rocksdb::DB::Properties::kNumRunningCompactions);
  stats.running_flushes = get(rocksdb::DB::Properties::kNumRunningFlushes);
  stats.compaction_pending = get(rocksdb::DB::Properties::kCompactionPending) != 0;
  auto sum = [this](const std::string& property) {  // over both column families
    uint64_t value = 0;
    if (!db_->GetAggregatedIntProperty(property, &value)) {
      value = 0;
    }
    return value;
  };
  stats.pending_compaction_bytes = sum(rocksdb::DB::Properties::kEstimatePendingCompactionBytes);
  stats.memtable_bytes = sum(rocksdb::DB::Properties::kCurSizeAllMemTables);
  if (statistics_ != nullptr) {
    stats.stall_micros = statistics_->getTickerCount(rocksdb::STALL_MICROS);
  }
  return stats;
}

Store::~Store() {
  if (db_ != nullptr) {
    if (outbox_ != nullptr) {
      db_->DestroyColumnFamilyHandle(outbox_).PermitUncheckedError();
    }
    // Nothing to report to: a failed close loses nothing the WAL does not hold.
    db_->Close().PermitUncheckedError();
  }
}

Status Store::Fail(const std::string& what, const std::string& detail) {
  std::string message = what + ": " + detail;
  {
    std::lock_guard<std::mutex> lock(failure_mu_);
    if (first_failure_.empty()) {
      first_failure_ = message;
    }
  }
  failed_.store(true, std::memory_order_release);
  return Status(Code::kStoreFailure, std::move(message));
}

Status Store::FailedEarlier() const {
  std::lock_guard<std::mutex> lock(failure_mu_);
  return Status(Code::kStoreFailure,
                "store failed earlier: " + (first_failure_.empty() ? "see log" : first_failure_));
}

Status Store::Commit(const core::Mutations& m, CommitStats* stats, bool defer_sync) {
  if (stats != nullptr) {
    *stats = CommitStats{};
  }
  if (failed()) {
    return FailedEarlier();
  }
  if (m.empty()) {
    return Status::Ok();
  }

  rocksdb::WriteBatch batch;
  flatbuffers::FlatBufferBuilder fbb(1024);
  rocksdb::Status s;
  // Puts the finished FlatBuffer under `key` and resets the builder for the next record.
  auto put_record = [&](const std::string& key) {
    if (s.ok()) {
      s = batch.Put(key, rocksdb::Slice(reinterpret_cast<const char*>(fbb.GetBufferPointer()),
                                        fbb.GetSize()));
    }
    fbb.Clear();
  };
  auto update = [&](rocksdb::Status batch_status) {
    if (s.ok()) {
      s = std::move(batch_status);
    }
  };

  for (const core::Session& session : m.sessions) {
    BuildSession(fbb, session);
    put_record(keys::SessionKey(session.id));
    const bool closed = session.state == core::SessionState::kClosed;
    if (closed) {
      update(batch.Delete(keys::OpenKey(session.id)));
    } else {
      update(batch.Put(keys::OpenKey(session.id), rocksdb::Slice()));
    }
    // Index keys, one put per upsert (the same key and value again until the session moves
    // on): the customer's while it waits, the agent's while one holds it, and both with
    // closed_at (what retention reads) when it closes. Every session is stored queued at
    // least once (offers go out after the commit), so its customer key always exists.
    const std::string value = keys::IndexValue(closed ? session.closed_at : 0);
    if (session.state != core::SessionState::kActive) {
      update(batch.Put(keys::CustomerIndexPrefix(session.tenant, session.customer_id) +
                           keys::IndexSuffix(session.created_at, session.id),
                       value));
    }
    if (session.state != core::SessionState::kQueued &&
        session.state != core::SessionState::kOffered && !session.agent_id.empty() &&
        session.answered_at != 0) {
      update(batch.Put(keys::AgentIndexPrefix(session.agent_id) +
                           keys::IndexSuffix(session.answered_at, session.id),
                       value));
    }
  }
  for (const core::TranscriptEntry& entry : m.entries) {
    fbb.Finish(BuildEntry(fbb, entry));
    put_record(keys::TranscriptKey(entry.session_id, entry.index));
  }
  for (const core::Delivery& delivery : m.deliveries) {
    BuildDelivery(fbb, delivery);
    if (s.ok()) {
      s = batch.Put(
          outbox_, keys::DeliveryKey(delivery.id),
          rocksdb::Slice(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize()));
    }
    fbb.Clear();
  }
  for (core::DeliveryId id : m.delivered) {  // after the puts: an id in both is removed
    const std::string key = keys::DeliveryKey(id);
    update(batch.Delete(outbox_, key));
    update(batch.Delete(key));  // a record from before the outbox family (rare: a drop)
  }
  for (const core::ClientMark& mark : m.marks) {
    BuildMark(fbb, mark);
    put_record(keys::MarkKey(mark.client_id));
  }
  if (m.counters.has_value()) {
    BuildCounters(fbb, *m.counters);
    put_record(std::string(keys::kCountersKey));
  }
  PutTurnRecords(m, batch, &s);
  if (!s.ok()) {
    return Fail("commit failed building the write batch", s.ToString());
  }

  rocksdb::WriteOptions write_options;
  write_options.sync = options_.durability == Durability::kSync && !defer_sync;
  s = db_->Write(write_options, &batch);
  if (!s.ok()) {
    return Fail("commit failed", s.ToString());
  }
  if (stats != nullptr) {
    stats->bytes = batch.GetDataSize();
    stats->records = batch.Count();
  }
  for (const core::ClientMark& mark : m.marks) {  // committed: flushes may drop below them
    acked_->Raise(mark.client_id, mark.acked_delivery);
  }
  return Status::Ok();
}

Status Store::SyncWal() {
  if (failed()) {
    return FailedEarlier();
  }
  rocksdb::Status s = db_->SyncWAL();
  if (!s.ok()) {
    return Fail("WAL sync failed", s.ToString());
  }
  return Status::Ok();
}

Result<core::RecoveredState> Store::Recover() {
  rocksdb::ManagedSnapshot snapshot(db_.get());
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  ro.fill_cache = false;  // read once at start-up
  rocksdb::DB* db = db_.get();

  core::RecoveredState state;
  std::string value;
  bool found = false;

  const std::string counters_key(keys::kCountersKey);
  Status st = GetValue(db, ro, counters_key, &value, &found);
  if (!st.ok()) {
    return st;
  }
  if (found) {
    if (const char* error = DecodeCounters(value, &state.counters)) {
      return Corrupt(counters_key, error);
    }
  }

  // Open sessions via the `o` index; for queued ones, their transcript. Both indexes are in
  // session-id order, so the `s` records are read with one forward iterator (each block read
  // and decompressed once) rather than a point lookup per session.
  std::string sessions_end(1, static_cast<char>(keys::kSessionPrefix + 1));
  rocksdb::Slice sessions_bound(sessions_end);
  rocksdb::ReadOptions session_ro = ro;
  session_ro.iterate_upper_bound = &sessions_bound;
  std::unique_ptr<rocksdb::Iterator> records(db->NewIterator(session_ro));
  std::unique_ptr<rocksdb::Iterator> transcripts(db->NewIterator(ro));
  constexpr int kMaxSteps = 16;  // past this many records, Seek instead of stepping
  st = ScanPrefix(
      db, ro, std::string(1, keys::kOpenPrefix),
      [&](std::string_view key, const std::string&) -> Status {
        std::optional<uint64_t> id = keys::DecodeId(key, keys::kOpenPrefix);
        if (!id.has_value()) {
          return Corrupt(key, "malformed key");
        }
        const std::string session_key = keys::SessionKey(*id);
        int steps = 0;
        while (records->Valid() && records->key().compare(session_key) < 0 && steps++ < kMaxSteps) {
          records->Next();
        }
        if (!records->Valid() || records->key().compare(session_key) < 0) {
          records->Seek(session_key);
        }
        if (!records->status().ok()) {
          return ReadError(session_key, records->status());
        }
        if (!records->Valid() || records->key().compare(session_key) != 0) {
          return Corrupt(key, "open session without a session record (" +
                                  keys::DescribeKey(session_key) + ")");
        }
        value.assign(records->value().data(), records->value().size());
        core::Session session;
        if (const char* error = DecodeSession(value, *id, &session)) {
          return Corrupt(session_key, error);
        }
        if (session.state == core::SessionState::kClosed) {
          return Corrupt(session_key, "closed session listed as open");
        }
        if (session.state == core::SessionState::kQueued) {
          const size_t before = state.waiting_entries.size();
          Status read = ReadTranscript(db, ro, session.id, &state.waiting_entries);
          if (!read.ok()) {
            return read;
          }
          if (state.waiting_entries.size() > before) {
            session.transcript_size =
                std::max(session.transcript_size, state.waiting_entries.back().index + 1);
          }
        } else if (Status count = CountTranscript(transcripts.get(), &session); !count.ok()) {
          return count;
        }
        AtLeastAbove(&state.counters.next_queue_seq, session.queue_seq);
        state.open_sessions.push_back(std::move(session));
        return Status::Ok();
      });
  if (!st.ok()) {
    return st;
  }

  st = ScanPrefix(db, ro, std::string(1, keys::kMarkPrefix),
                  [&](std::string_view key, const std::string& record) -> Status {
                    core::ClientMark mark;
                    if (const char* error = DecodeMark(record, key.substr(1), &mark)) {
                      return Corrupt(key, error);
                    }
                    acked_->Raise(mark.client_id, mark.acked_delivery);
                    state.marks.push_back(std::move(mark));
                    return Status::Ok();
                  });
  if (!st.ok()) {
    return st;
  }

  // The outbox: deliveries at or below their client's acknowledged mark are done (their
  // records wait for a flush or compaction to drop them). A message's entry is read back from
  // its transcript.
  const AckedDeliveries::Map acked = acked_->Snapshot();
  auto load_delivery = [&](std::string_view key, const std::string& record) -> Status {
    std::optional<uint64_t> id = keys::DecodeId(key, keys::kDeliveryPrefix);
    if (!id.has_value()) {
      return Corrupt(key, "malformed key");
    }
    core::Delivery delivery;
    bool entry_ref = false;
    if (const char* error = DecodeDelivery(record, *id, &delivery, &entry_ref)) {
      return Corrupt(key, error);
    }
    AtLeastAbove(&state.counters.next_delivery_id, delivery.id);
    if (auto mark = acked.find(delivery.client_id);
        mark != acked.end() && delivery.id <= mark->second) {
      return Status::Ok();
    }
    if (entry_ref) {
      const std::string entry_key = keys::TranscriptKey(delivery.session_id, delivery.entry.index);
      std::string entry_value;
      bool entry_found = false;
      if (Status got = GetValue(db, ro, entry_key, &entry_value, &entry_found); !got.ok()) {
        return got;
      }
      if (!entry_found) {
        // Only retention removes transcript entries: this delivery waited
        // longer than the retention period for its client.
        ++state.deliveries_expired;
        return Status::Ok();
      }
      const keys::TranscriptKeyParts parts{delivery.session_id, delivery.entry.index};
      if (const char* error = DecodeTranscriptRecord(entry_value, parts, &delivery.entry)) {
        return Corrupt(entry_key, error);
      }
    }
    state.outbox.push_back(std::move(delivery));
    return Status::Ok();
  };
  st = ScanPrefix(db, ro, std::string(1, keys::kDeliveryPrefix), load_delivery, outbox_);
  if (!st.ok()) {
    return st;
  }
  // Deliveries a store wrote before it had the outbox family are in the default one.
  const size_t in_family = state.outbox.size();
  st = ScanPrefix(db, ro, std::string(1, keys::kDeliveryPrefix), load_delivery);
  if (!st.ok()) {
    return st;
  }
  if (state.outbox.size() > in_family) {
    std::sort(state.outbox.begin(), state.outbox.end(),
              [](const core::Delivery& a, const core::Delivery& b) { return a.id < b.id; });
  }

  // Session ids are never reused, closed sessions included: one seek finds the highest.
  uint64_t highest_session = 0;
  st = HighestId(db, ro, keys::kSessionPrefix, &highest_session);
  if (!st.ok()) {
    return st;
  }
  if (highest_session != 0) {
    AtLeastAbove(&state.counters.next_session_id, highest_session);
  }
  return state;
}

Result<std::optional<core::Session>> Store::GetSession(core::SessionId id) {
  const std::string key = keys::SessionKey(id);
  std::string value;
  bool found = false;
  Status st = GetValue(db_.get(), rocksdb::ReadOptions(), key, &value, &found);
  if (!st.ok()) {
    return st;
  }
  if (!found) {
    return std::optional<core::Session>();
  }
  core::Session session;
  if (const char* error = DecodeSession(value, id, &session)) {
    return Corrupt(key, error);
  }
  std::unique_ptr<rocksdb::Iterator> transcript(db_->NewIterator(rocksdb::ReadOptions()));
  if (Status count = CountTranscript(transcript.get(), &session); !count.ok()) {
    return count;
  }
  return std::optional<core::Session>(std::move(session));
}

Result<std::vector<core::TranscriptEntry>> Store::Transcript(core::SessionId id) {
  std::vector<core::TranscriptEntry> entries;
  Status st = ReadTranscript(db_.get(), rocksdb::ReadOptions(), id, &entries);
  if (!st.ok()) {
    return st;
  }
  return entries;
}

}  // namespace switchboard::store

namespace switchboard::store {

Result<SessionPage> Store::SessionsOfCustomer(std::string_view tenant, std::string_view customer_id,
                                              TimePoint from_us, TimePoint to_us,
                                              std::string_view cursor, uint32_t limit,
                                              size_t max_bytes) {
  return ReadIndexPage(keys::CustomerIndexPrefix(tenant, customer_id), from_us, to_us, cursor,
                       limit, max_bytes);
}

Result<SessionPage> Store::SessionsOfAgent(std::string_view agent_id, TimePoint from_us,
                                           TimePoint to_us, std::string_view cursor, uint32_t limit,
                                           size_t max_bytes) {
  return ReadIndexPage(keys::AgentIndexPrefix(agent_id), from_us, to_us, cursor, limit, max_bytes);
}

Result<SessionPage> Store::ReadIndexPage(const std::string& prefix, TimePoint from_us,
                                         TimePoint to_us, std::string_view cursor, uint32_t limit,
                                         size_t max_bytes) {
  if (limit == 0) {
    return Status(Code::kBadRequest, "a page needs a limit of at least 1");
  }
  if (to_us > 0 && to_us < from_us) {
    return Status(Code::kBadRequest, "the time range ends (to " + std::to_string(to_us) +
                                         ") before it starts (from " + std::to_string(from_us) +
                                         ")");
  }
  std::string start = prefix + keys::IndexSuffix(from_us, 0);
  if (!cursor.empty()) {
    std::optional<std::string> suffix = DecodeCursor(cursor);
    if (!suffix.has_value()) {
      return Status(Code::kBadRequest, "malformed cursor of " + std::to_string(cursor.size()) +
                                           " bytes (pass back a next_cursor as it came)");
    }
    start = std::max(start, prefix + *suffix);
  }
  const std::string end = to_us > 0 ? prefix + keys::IndexSuffix(to_us, 0)
                                    : keys::PrefixEnd(prefix).value();  // prefix[0] != 0xff

  rocksdb::ManagedSnapshot snapshot(db_.get());
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  rocksdb::Slice upper_bound(end);
  ro.iterate_upper_bound = &upper_bound;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  std::unique_ptr<rocksdb::Iterator> transcript;  // opened for the first open session
  const size_t max_keys = size_t{limit} * kIndexKeysPerItem + kIndexKeysSlack;
  SessionPage page;
  size_t bytes = 0;
  size_t keys_read = 0;
  std::string value;
  for (it->Seek(start); it->Valid(); it->Next()) {
    const std::string_view key(it->key().data(), it->key().size());
    if (key.size() != prefix.size() + keys::kIndexSuffixBytes || !key.starts_with(prefix)) {
      return Corrupt(key, "malformed index key");
    }
    const std::string_view suffix = key.substr(prefix.size());
    if (page.sessions.size() >= limit || keys_read >= max_keys) {
      page.more = true;
      page.next_cursor = EncodeCursor(suffix);
      break;
    }
    ++keys_read;
    const std::optional<keys::IndexKeyParts> parts = keys::DecodeIndexKey(key);
    if (!parts.has_value()) {
      return Corrupt(key, "malformed index key");
    }
    const std::string session_key = keys::SessionKey(parts->session_id);
    bool found = false;
    Status st = GetValue(db_.get(), ro, session_key, &value, &found);
    if (!st.ok()) {
      return st;
    }
    if (!found) {
      continue;  // the session record expired before its index key
    }
    core::Session session;
    if (const char* error = DecodeSession(value, parts->session_id, &session)) {
      return Corrupt(session_key, error);
    }
    if (!transcript) {
      rocksdb::ReadOptions unbounded;
      unbounded.snapshot = ro.snapshot;
      transcript.reset(db_->NewIterator(unbounded));
    }
    if (Status count = CountTranscript(transcript.get(), &session); !count.ok()) {
      return count;
    }
    const size_t size = EstimateBytes(session);
    if (!page.sessions.empty() && bytes + size > max_bytes) {
      page.more = true;
      page.next_cursor = EncodeCursor(suffix);
      break;
    }
    bytes += size;
    page.sessions.push_back(std::move(session));
  }
  if (!it->status().ok()) {
    return ReadError(start, it->status());
  }
  return page;
}

Result<TranscriptPage> Store::GetTranscriptPage(core::SessionId id, uint32_t after_index,
                                                uint32_t limit, size_t max_bytes) {
  if (limit == 0) {
    return Status(Code::kBadRequest, "a page needs a limit of at least 1");
  }
  rocksdb::ManagedSnapshot snapshot(db_.get());
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  std::string value;
  bool found = false;
  Status st = GetValue(db_.get(), ro, keys::SessionKey(id), &value, &found);
  if (!st.ok()) {
    return st;
  }
  if (!found) {
    return Status(Code::kUnknownSession,
                  "session " + std::to_string(id) + " does not exist (or has expired)");
  }
  const std::string prefix = keys::TranscriptPrefix(id);
  const std::string end = keys::PrefixEnd(prefix).value();  // prefix[0] is 't'
  rocksdb::Slice upper_bound(end);
  ro.iterate_upper_bound = &upper_bound;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  TranscriptPage page;
  page.next_index = after_index;
  size_t bytes = 0;
  for (it->Seek(keys::TranscriptKey(id, after_index)); it->Valid(); it->Next()) {
    const std::string_view key(it->key().data(), it->key().size());
    std::optional<keys::TranscriptKeyParts> parts = keys::DecodeTranscriptKey(key);
    if (!parts.has_value() || parts->session_id != id) {
      return Corrupt(key, "malformed key");
    }
    if (page.entries.size() >= limit) {
      page.more = true;
      break;
    }
    value.assign(it->value().data(), it->value().size());
    core::TranscriptEntry entry;
    if (const char* error = DecodeTranscriptRecord(value, *parts, &entry)) {
      return Corrupt(key, error);
    }
    const size_t size = EstimateBytes(entry);
    if (!page.entries.empty() && bytes + size > max_bytes) {
      page.more = true;
      break;
    }
    bytes += size;
    page.next_index = entry.index + 1;
    page.entries.push_back(std::move(entry));
  }
  if (!it->status().ok()) {
    return ReadError(prefix, it->status());
  }
  return page;
}

Status Store::CompactAll() {
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  rocksdb::Status s = db_->CompactRange(options, nullptr, nullptr);
  if (s.ok()) {
    s = db_->CompactRange(options, outbox_, nullptr, nullptr);
  }
  if (!s.ok()) {
    return Status(Code::kStoreFailure, "compaction failed: " + s.ToString());
  }
  return Status::Ok();
}

}  // namespace switchboard::store

namespace switchboard::store {

Result<SessionPage> Store::QaSessions(bool recheck, TimePoint from_us, TimePoint to_us,
                                      std::string_view cursor, uint32_t limit, size_t max_bytes) {
  return ReadIndexPage(std::string(1, recheck ? keys::kRecheckPrefix : keys::kQaPrefix), from_us,
                       to_us, cursor, limit, max_bytes);
}

Result<ArrivalsPage> Store::ArrivalCounts(std::string_view queue, TimePoint from_us,
                                          TimePoint to_us, std::string_view cursor, uint32_t limit,
                                          size_t max_bytes) {
  if (limit == 0) {
    return Status(Code::kBadRequest, "a page needs a limit of at least 1");
  }
  if (to_us > 0 && to_us < from_us) {
    return Status(Code::kBadRequest, "the time range ends (to " + std::to_string(to_us) +
                                         ") before it starts (from " + std::to_string(from_us) +
                                         ")");
  }
  const std::string prefix(1, keys::kArrivalsPrefix);
  std::string start = keys::ArrivalsKey(keys::HourOf(from_us), "");
  if (!cursor.empty()) {
    // The cursor is the hex of the next key after its prefix: hour(8) + queue.
    std::optional<std::string> suffix = DecodeHex(cursor);
    if (!suffix.has_value() || suffix->size() < 8) {
      return Status(Code::kBadRequest, "malformed cursor of " + std::to_string(cursor.size()) +
                                           " bytes (pass back a next_cursor as it came)");
    }
    start = std::max(start, prefix + *suffix);
  }
  const std::string end =
      to_us > 0 ? keys::ArrivalsKey(to_us, "") : keys::PrefixEnd(prefix).value();

  rocksdb::ManagedSnapshot snapshot(db_.get());
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  rocksdb::Slice upper_bound(end);
  ro.iterate_upper_bound = &upper_bound;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  // Keys of other queues are skipped; a page reads a bounded number of them.
  const size_t max_keys = size_t{limit} * kIndexKeysPerItem + kIndexKeysSlack;
  ArrivalsPage page;
  size_t keys_read = 0;
  size_t bytes = 0;
  for (it->Seek(start); it->Valid(); it->Next()) {
    const std::string_view key(it->key().data(), it->key().size());
    const std::optional<keys::ArrivalsKeyParts> parts = keys::DecodeArrivalsKey(key);
    if (!parts.has_value()) {
      return Corrupt(key, "malformed key");
    }
    if (page.hours.size() >= limit || keys_read >= max_keys) {
      page.more = true;
      page.next_cursor = EncodeCursor(key.substr(1));
      break;
    }
    ++keys_read;
    if (!queue.empty() && parts->queue != queue) {
      continue;
    }
    const std::optional<uint64_t> count =
        DecodeCount(std::string_view(it->value().data(), it->value().size()));
    if (!count.has_value()) {
      return Corrupt(key, "not an 8-byte count");
    }
    const size_t size = 64 + parts->queue.size();  // an upper bound of its encoded size
    if (!page.hours.empty() && bytes + size > max_bytes) {
      page.more = true;
      page.next_cursor = EncodeCursor(key.substr(1));
      break;
    }
    bytes += size;
    page.hours.push_back(ArrivalsHour{std::string(parts->queue), parts->hour, *count});
  }
  if (!it->status().ok()) {
    return ReadError(start, it->status());
  }
  return page;
}

}  // namespace switchboard::store
