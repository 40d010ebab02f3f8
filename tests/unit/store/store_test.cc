// Store tests on real RocksDB, one fresh temporary directory per test. Faults are injected
// by wrapping the real file system, never by mocking the store.
#include "store/store.h"

#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include "store/keys.h"
#include "support/fault_fs.h"

namespace switchboard::store {
namespace {

using core::ClientMark;
using core::Counters;
using core::Delivery;
using core::Mutations;
using core::Session;
using core::SessionState;
using core::TranscriptEntry;

// ---- Helpers ----

using switchboard::testing::FaultInjectionFs;

// A fresh directory under /tmp, removed with everything in it at destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "store_test.XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed for " << pattern;
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::unique_ptr<Store> OpenStore(const std::string& dir, Durability durability = Durability::kFast,
                                 rocksdb::Env* env = nullptr) {
  Options options;
  options.durability = durability;
  options.env = env;
  Result<std::unique_ptr<Store>> store = Store::Open(dir, options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

// A session with a non-default value in every field (the state aside: `state`).
Session MakeSession(core::SessionId id, SessionState state) {
  Session s;
  s.id = id;
  s.tenant = "tenant-" + std::to_string(id);
  s.channel = core::Channel::kSocial;
  s.customer_id = "customer-" + std::to_string(id);
  s.attributes.topic = "refund";
  s.attributes.product_category = "shoes";
  s.attributes.order_id = "order-77";
  s.attributes.order_state = "shipped";
  s.attributes.country = "DE";
  s.attributes.language = "de";
  s.attributes.intent = "where-is-my-parcel";
  s.attributes.vip_level = 3;
  s.state = state;
  s.queue = "post-sale";
  s.agent_id = "agent-9";
  s.adapter_id = "adapter-im-1";
  s.transcript_size = 2;
  s.queue_seq = 1000 + id;
  s.disposition = core::Disposition::kEscalated;
  s.created_at = 1'700'000'000'000'001;
  s.enqueued_at = 1'700'000'000'000'002;
  s.answered_at = 1'700'000'000'000'003;
  s.closed_at = state == SessionState::kClosed ? 1'700'000'000'000'004 : 0;
  return s;
}

TranscriptEntry MakeEntry(core::SessionId session_id, uint32_t index) {
  TranscriptEntry e;
  e.session_id = session_id;
  e.index = index;
  e.from = index % 2 == 0 ? core::Party::kAgent : core::Party::kSystem;
  e.agent_id = "agent-9";
  e.text = "message " + std::to_string(index) + std::string("\0 with a NUL", 12);
  e.at = 1'700'000'000'100'000 + index;
  return e;
}

Delivery MakeDelivery(core::DeliveryId id, core::SessionId session_id) {
  Delivery d;
  d.id = id;
  d.client_id = "worker-" + std::to_string(id);
  d.kind = Delivery::Kind::kClosed;
  d.session_id = session_id;
  d.tenant = "tenant-x";
  d.channel = core::Channel::kProactive;
  d.customer_id = "customer-x";
  d.entry = MakeEntry(session_id, 5);
  d.disposition = core::Disposition::kAbandoned;
  return d;
}

ClientMark MakeMark(const std::string& client_id) {
  return ClientMark{client_id, /*epoch=*/42, /*processed_seq=*/4242};
}

// Direct access to the RocksDB files of a closed Store, to plant bad records. `d` keys go to
// the outbox column family, like the store's, unless `legacy` (the default family, where a
// store from before the outbox family kept them).
class RawDb {
 public:
  explicit RawDb(const std::string& dir, bool legacy = false) : legacy_(legacy) {
    rocksdb::DBOptions options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {
        {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
        {std::string(kOutboxColumnFamily), rocksdb::ColumnFamilyOptions()}};
    rocksdb::DB* db = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(options, dir, families, &handles_, &db);
    EXPECT_TRUE(s.ok()) << s.ToString();
    db_.reset(db);
  }
  ~RawDb() {
    for (rocksdb::ColumnFamilyHandle* h : handles_) {
      EXPECT_TRUE(db_->DestroyColumnFamilyHandle(h).ok());
    }
  }
  void Put(const std::string& key, const std::string& value) {
    rocksdb::Status s = db_->Put(rocksdb::WriteOptions(), Family(key), key, value);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  void Delete(const std::string& key) {
    rocksdb::Status s = db_->Delete(rocksdb::WriteOptions(), Family(key), key);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  std::string Get(const std::string& key) {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), Family(key), key, &value);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return value;
  }

 private:
  rocksdb::ColumnFamilyHandle* Family(const std::string& key) const {
    return !legacy_ && !key.empty() && key[0] == keys::kDeliveryPrefix ? handles_[1]
                                                                        : handles_[0];
  }

  bool legacy_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<rocksdb::DB> db_;
};

// Everything of the fixture's writes that Recover should return, in order.
Mutations FullMutations() {
  Mutations m;
  m.sessions.push_back(MakeSession(7, SessionState::kActive));
  m.sessions.push_back(MakeSession(8, SessionState::kQueued));
  m.entries.push_back(MakeEntry(8, 0));
  m.entries.push_back(MakeEntry(8, 1));
  m.deliveries.push_back(MakeDelivery(31, 7));
  m.marks.push_back(MakeMark(std::string("adapter\0-1", 10)));
  m.counters = Counters{100, 200, 3000};  // above every id and queue_seq used
  return m;
}

// ---- Keys ----

TEST(StoreKeys, BytewiseOrderIsNumericOrder) {
  EXPECT_LT(keys::SessionKey(255), keys::SessionKey(256));
  EXPECT_LT(keys::SessionKey(1), keys::SessionKey(UINT64_MAX));
  EXPECT_LT(keys::TranscriptKey(1, UINT32_MAX), keys::TranscriptKey(2, 0));
  EXPECT_LT(keys::TranscriptKey(2, 255), keys::TranscriptKey(2, 256));
  EXPECT_LT(keys::DeliveryKey(0x00ff), keys::DeliveryKey(0x0100));
}

TEST(StoreKeys, DecodeAndDescribe) {
  EXPECT_EQ(keys::DecodeId(keys::SessionKey(0x0102030405060708), 's'), 0x0102030405060708u);
  EXPECT_FALSE(keys::DecodeId(keys::SessionKey(1), 'o').has_value());
  EXPECT_FALSE(keys::DecodeId("s123", 's').has_value());
  auto parts = keys::DecodeTranscriptKey(keys::TranscriptKey(9, 70000));
  ASSERT_TRUE(parts.has_value());
  EXPECT_EQ(parts->session_id, 9u);
  EXPECT_EQ(parts->index, 70000u);
  EXPECT_EQ(keys::DescribeKey(keys::SessionKey(42)), "s/42");
  EXPECT_EQ(keys::DescribeKey(keys::TranscriptKey(42, 3)), "t/42/3");
  EXPECT_EQ(keys::DescribeKey(keys::MarkKey("a\"b")), "c/\"a\\x22b\"");
  EXPECT_EQ(keys::DescribeKey(std::string(keys::kCountersKey)), "m/\"counters\"");
  EXPECT_EQ(keys::DescribeKey("s\x01"), "s/01");
}

TEST(StoreKeys, PrefixEnd) {
  EXPECT_EQ(keys::PrefixEnd("s"), "t");
  EXPECT_EQ(keys::PrefixEnd(std::string("a\xff", 2)), "b");
  EXPECT_FALSE(keys::PrefixEnd(std::string("\xff\xff", 2)).has_value());
  EXPECT_FALSE(keys::PrefixEnd("").has_value());
}

// ---- Commit and Recover ----

TEST(Store, EmptyStoreRecoversDefaults) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  auto state = store->Recover();
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state->counters, Counters{});
  EXPECT_TRUE(state->open_sessions.empty());
  EXPECT_TRUE(state->waiting_entries.empty());
  EXPECT_TRUE(state->outbox.empty());
  EXPECT_TRUE(state->marks.empty());
  auto missing = store->GetSession(1);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  auto transcript = store->Transcript(1);
  ASSERT_TRUE(transcript.ok());
  EXPECT_TRUE(transcript->empty());
}

TEST(Store, OpenCreatesMissingParentDirectories) {
  TempDir dir;
  const std::string nested = dir.path() + "/a/b/c";
  auto store = OpenStore(nested);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(std::filesystem::exists(nested + "/CURRENT"));
}

TEST(Store, CommitThenRecoverRoundTripsEveryField) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  const Mutations m = FullMutations();
  CommitStats stats;
  ASSERT_TRUE(store->Commit(m, &stats).ok());
  // s+o and an index key (A for the active one, C for the queued one) for two sessions,
  // two t, one d, one c, one m.
  EXPECT_EQ(stats.records, 11u);
  EXPECT_GT(stats.bytes, 0u);

  auto state = store->Recover();
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state->counters, (Counters{100, 200, 3000}));
  EXPECT_EQ(state->open_sessions, m.sessions);
  EXPECT_EQ(state->waiting_entries, m.entries);
  EXPECT_EQ(state->outbox, m.deliveries);
  EXPECT_EQ(state->marks, m.marks);

  auto session = store->GetSession(7);
  ASSERT_TRUE(session.ok());
  ASSERT_TRUE(session->has_value());
  EXPECT_EQ(**session, m.sessions[0]);
  auto transcript = store->Transcript(8);
  ASSERT_TRUE(transcript.ok());
  EXPECT_EQ(*transcript, m.entries);
}

TEST(Store, DefaultAndEmptyValuesRoundTrip) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  Mutations m;
  Session bare;  // every field default, empty strings omitted from the record
  bare.id = 1;
  m.sessions.push_back(bare);
  Delivery message;  // kMessage with a default entry
  message.id = 1;
  m.deliveries.push_back(message);
  m.marks.push_back(ClientMark{"", 0, 0});
  ASSERT_TRUE(store->Commit(m).ok());
  auto state = store->Recover();
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state->open_sessions, m.sessions);
  EXPECT_EQ(state->outbox, m.deliveries);
  EXPECT_EQ(state->marks, m.marks);
}

TEST(Store, EmptyCommitWritesNothingAndSucceeds) {
  TempDir dir;
  auto store = OpenStore(dir.path(), Durability::kSync);
  ASSERT_NE(store, nullptr);
  CommitStats stats{99, 99};
  ASSERT_TRUE(store->Commit(Mutations{}, &stats).ok());
  EXPECT_EQ(stats.bytes, 0u);
  EXPECT_EQ(stats.records, 0u);
}

TEST(Store, ClosedSessionLeavesOpenSetButKeepsRecordAndTranscript) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  Mutations m;
  m.sessions.push_back(MakeSession(1, SessionState::kActive));
  m.sessions.push_back(MakeSession(2, SessionState::kActive));
  m.entries = {MakeEntry(1, 0), MakeEntry(1, 1), MakeEntry(1, 2)};
  ASSERT_TRUE(store->Commit(m).ok());

  Mutations close;
  close.sessions.push_back(MakeSession(1, SessionState::kClosed));
  ASSERT_TRUE(store->Commit(close).ok());

  auto state = store->Recover();
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  ASSERT_EQ(state->open_sessions.size(), 1u);
  EXPECT_EQ(state->open_sessions[0].id, 2u);

  auto closed = store->GetSession(1);
  ASSERT_TRUE(closed.ok());
  ASSERT_TRUE(closed->has_value());
  EXPECT_EQ(**closed, close.sessions[0]);
  auto transcript = store->Transcript(1);
  ASSERT_TRUE(transcript.ok());
  EXPECT_EQ(*transcript, m.entries);
}

// The core writes an open session's record when its state changes, not on every message:
// its transcript size is read from the transcript keys, by recovery and by every lookup.
TEST(Store, OpenSessionTranscriptSizeComesFromItsEntries) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  Mutations m;
  Session active = MakeSession(1, SessionState::kActive);
  Session queued = MakeSession(2, SessionState::kQueued);
  Session neighbour = MakeSession(3, SessionState::kActive);  // entries of the next id
  active.transcript_size = queued.transcript_size = neighbour.transcript_size = 0;
  m.sessions = {active, queued, neighbour};
  m.entries = {MakeEntry(1, 0), MakeEntry(1, 1), MakeEntry(1, 2), MakeEntry(2, 0),
               MakeEntry(3, 0), MakeEntry(3, 1), MakeEntry(3, 2), MakeEntry(3, 3)};
  ASSERT_TRUE(store->Commit(m).ok());
  Mutations more;  // later messages, without a session record
  more.entries = {MakeEntry(2, 1), MakeEntry(1, 3)};
  ASSERT_TRUE(store->Commit(more).ok());

  auto state = store->Recover();
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  ASSERT_EQ(state->open_sessions.size(), 3u);
  EXPECT_EQ(state->open_sessions[0].transcript_size, 4u);
  EXPECT_EQ(state->open_sessions[1].transcript_size, 2u);
  EXPECT_EQ(state->open_sessions[2].transcript_size, 4u);
  auto got = store->GetSession(1);
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->transcript_size, 4u);
  auto page = store->SessionsOfCustomer(queued.tenant, queued.customer_id, 0, 0, "", 10);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->sessions.size(), 1u);
  EXPECT_EQ(page->sessions[0].transcript_size, 2u);

  // A session with no entries at all keeps size 0 (the previous id's entries don't count).
  Mutations empty;
  Session fresh = MakeSession(4, SessionState::kQueued);
  fresh.transcript_size = 0;
  empty.sessions = {fresh};
  ASSERT_TRUE(store->Commit(empty).ok());
  auto four = store->GetSession(4);
  ASSERT_TRUE(four.ok());
  ASSERT_TRUE(four->has_value());
  EXPECT_EQ((*four)->transcript_size, 0u);
}

TEST(Store, OfferedSessionRecoversQueuedAndOnlyQueuedTranscriptsWait) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  Mutations m;
  m.sessions.push_back(MakeSession(3, SessionState::kOffered));
  m.sessions.push_back(MakeSession(4, SessionState::kActive));
  m.sessions.push_back(MakeSession(5, SessionState::kQueued));
  m.sessions.push_back(MakeSession(6, SessionState::kClosed));
  // Appended out of order, with an index past 255 to check numeric ordering.
  m.entries = {MakeEntry(5, 256), MakeEntry(4, 0), MakeEntry(3, 1), MakeEntry(6, 0),
               MakeEntry(5, 0),   MakeEntry(3, 0), MakeEntry(5, 1)};
  ASSERT_TRUE(store->Commit(m).ok());

  auto offered = store->GetSession(3);
  ASSERT_TRUE(offered.ok());
  ASSERT_TRUE(offered->has_value());
  EXPECT_EQ((*offered)->state, SessionState::kQueued);

  auto state = store->Recover();
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  ASSERT_EQ(state->open_sessions.size(), 3u);
  EXPECT_EQ(state->open_sessions[0].id, 3u);
  EXPECT_EQ(state->open_sessions[0].state, SessionState::kQueued);
  EXPECT_EQ(state->open_sessions[1].id, 4u);
  EXPECT_EQ(state->open_sessions[1].state, SessionState::kActive);
  EXPECT_EQ(state->open_sessions[2].id, 5u);
  const std::vector<TranscriptEntry> expected = {MakeEntry(3, 0), MakeEntry(3, 1), MakeEntry(5, 0),
                                                 MakeEntry(5, 1), MakeEntry(5, 256)};
  EXPECT_EQ(state->waiting_entries, expected);
}

TEST(Store, DeliveredIdsLeaveOutboxWhichComesBackInIdOrder) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  Mutations m;
  for (core::DeliveryId id : {300u, 2u, 256u, 1u, 255u}) {
    m.deliveries.push_back(MakeDelivery(id, 1));
  }
  ASSERT_TRUE(store->Commit(m).ok());
  Mutations ack;
  ack.delivered = {255, 1, 999 /* unknown: a no-op */};
  ack.deliveries.push_back(MakeDelivery(400, 1));
  ack.delivered.push_back(400);  // created and acknowledged in one turn: removed
  ASSERT_TRUE(store->Commit(ack).ok());

  auto state = store->Recover();
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  std::vector<core::DeliveryId> ids;
  for (const Delivery& d : state->outbox) {
    ids.push_back(d.id);
  }
  EXPECT_EQ(ids, (std::vector<core::DeliveryId>{2, 256, 300}));
  EXPECT_EQ(state->outbox[1], MakeDelivery(256, 1));
}

// A message delivery names its transcript entry instead of copying the text: the text is
// written once, and recovery reads it back from the transcript.
TEST(Store, MessageDeliveryStoresItsTextOnceAndRecoversIt) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  Mutations m;
  TranscriptEntry entry = MakeEntry(4, 0);
  entry.text = std::string(4000, 'x');
  m.entries.push_back(entry);
  Delivery d = MakeDelivery(9, 4);
  d.kind = Delivery::Kind::kMessage;
  d.entry = entry;
  m.deliveries.push_back(d);
  CommitStats stats;
  ASSERT_TRUE(store->Commit(m, &stats).ok());
  EXPECT_LT(stats.bytes, 2 * entry.text.size());  // once, not twice
  auto state = store->Recover();
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  ASSERT_EQ(state->outbox.size(), 1u);
  EXPECT_EQ(state->outbox[0], d);
  EXPECT_EQ(state->deliveries_expired, 0u);
}

// Cumulative acknowledgements are marks, not deletes: recovery leaves out every delivery of a
// client at or below its mark, and other clients' deliveries are untouched.
TEST(Store, AckedDeliveryMarkHidesAcknowledgedDeliveriesAcrossReopen) {
  TempDir dir;
  Mutations m;
  for (core::DeliveryId id : {1u, 2u, 3u, 4u}) {
    Delivery d = MakeDelivery(id, 1);
    d.client_id = id == 2 ? "other" : "w1";
    m.deliveries.push_back(d);
  }
  Mutations ack;
  ack.marks.push_back(ClientMark{"w1", 1, 0, 3});
  auto ids = [](const core::RecoveredState& state) {
    std::vector<core::DeliveryId> out;
    for (const Delivery& d : state.outbox) out.push_back(d.id);
    return out;
  };
  {
    auto store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Commit(m).ok());
    ASSERT_TRUE(store->Commit(ack).ok());
    auto state = store->Recover();
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    EXPECT_EQ(ids(*state), (std::vector<core::DeliveryId>{2, 4}));
    EXPECT_EQ(state->counters.next_delivery_id, 5u);  // skipped records still raise it
  }
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  auto state = store->Recover();
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(ids(*state), (std::vector<core::DeliveryId>{2, 4}));
  ASSERT_EQ(state->marks.size(), 1u);
  EXPECT_EQ(state->marks[0].acked_delivery, 3u);
}

// Acknowledged delivery records are dropped when their memtable is flushed (and by
// compactions). Seen by writing the mark back to 0 afterwards: what was dropped stays gone,
// what was not acknowledged comes back.
TEST(Store, FlushDropsAcknowledgedDeliveryRecords) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  Mutations m;
  for (core::DeliveryId id : {1u, 2u, 3u}) {
    Delivery d = MakeDelivery(id, 1);
    d.client_id = "w1";
    m.deliveries.push_back(d);
  }
  m.marks.push_back(ClientMark{"w1", 1, 0, 2});
  ASSERT_TRUE(store->Commit(m).ok());
  ASSERT_TRUE(store->CompactAll().ok());  // flushes the memtable first
  Mutations lower;
  lower.marks.push_back(ClientMark{"w1", 1, 0, 0});
  ASSERT_TRUE(store->Commit(lower).ok());
  store.reset();
  store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  auto state = store->Recover();
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  ASSERT_EQ(state->outbox.size(), 1u);
  EXPECT_EQ(state->outbox[0].id, 3u);
}

// A store written before the outbox had its own column family kept its deliveries in the
// default one: they are still recovered, in id order with the new ones, and a drop removes
// them.
TEST(Store, DeliveriesFromBeforeTheOutboxFamilyAreRecovered) {
  TempDir dir;
  Mutations old_turn;
  old_turn.deliveries = {MakeDelivery(3, 1), MakeDelivery(5, 1)};
  std::string record3, record5;
  {
    auto store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Commit(old_turn).ok());
  }
  {
    RawDb outbox(dir.path());
    record3 = outbox.Get(keys::DeliveryKey(3));
    record5 = outbox.Get(keys::DeliveryKey(5));
    outbox.Delete(keys::DeliveryKey(3));
    outbox.Delete(keys::DeliveryKey(5));
  }
  {
    RawDb legacy(dir.path(), /*legacy=*/true);  // where an older broker wrote them
    legacy.Put(keys::DeliveryKey(3), record3);
    legacy.Put(keys::DeliveryKey(5), record5);
  }
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  Mutations now;
  now.deliveries = {MakeDelivery(4, 1)};
  now.delivered = {5};
  ASSERT_TRUE(store->Commit(now).ok());
  auto state = store->Recover();
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state->outbox, (std::vector<Delivery>{MakeDelivery(3, 1), MakeDelivery(4, 1)}));
}

TEST(Store, UpsertsReplaceMarksAndCounters) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  Mutations m;
  m.marks = {MakeMark("b"), MakeMark("a")};
  m.counters = Counters{5, 6, 7};
  ASSERT_TRUE(store->Commit(m).ok());
  Mutations later;
  later.marks = {ClientMark{"a", 43, 1}};
  later.counters = Counters{8, 9, 10};
  ASSERT_TRUE(store->Commit(later).ok());
  auto state = store->Recover();
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state->marks, (std::vector<ClientMark>{ClientMark{"a", 43, 1}, MakeMark("b")}));
  EXPECT_EQ(state->counters, (Counters{8, 9, 10}));
}

TEST(Store, RecoverRaisesCountersAboveLoadedIds) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  Mutations m;
  m.sessions.push_back(MakeSession(10, SessionState::kQueued));  // queue_seq 1010
  m.sessions.push_back(MakeSession(50, SessionState::kClosed));  // not loaded, highest id
  m.deliveries.push_back(MakeDelivery(30, 10));
  m.counters = Counters{2, 2, 2};  // behind: must not hand out used ids again
  ASSERT_TRUE(store->Commit(m).ok());
  auto state = store->Recover();
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state->counters, (Counters{51, 31, 1011}));
}

class StoreReopen : public ::testing::TestWithParam<Durability> {};

TEST_P(StoreReopen, KeepsEverythingAcrossReopen) {
  TempDir dir;
  const Mutations m = FullMutations();
  Mutations close;
  close.sessions.push_back(MakeSession(9, SessionState::kClosed));
  close.entries.push_back(MakeEntry(9, 0));
  {
    auto store = OpenStore(dir.path(), GetParam());
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Commit(m).ok());
    ASSERT_TRUE(store->Commit(close).ok());
    ASSERT_TRUE(store->SyncWal().ok());
  }
  auto store = OpenStore(dir.path(), GetParam());
  ASSERT_NE(store, nullptr);
  auto state = store->Recover();
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state->counters, (Counters{100, 200, 3000}));
  EXPECT_EQ(state->open_sessions, m.sessions);
  EXPECT_EQ(state->waiting_entries, m.entries);
  EXPECT_EQ(state->outbox, m.deliveries);
  EXPECT_EQ(state->marks, m.marks);
  auto closed = store->GetSession(9);
  ASSERT_TRUE(closed.ok());
  ASSERT_TRUE(closed->has_value());
  EXPECT_EQ(**closed, close.sessions[0]);
  auto transcript = store->Transcript(9);
  ASSERT_TRUE(transcript.ok());
  EXPECT_EQ(*transcript, close.entries);
}

INSTANTIATE_TEST_SUITE_P(BothDurabilities, StoreReopen,
                         ::testing::Values(Durability::kFast, Durability::kSync),
                         [](const ::testing::TestParamInfo<Durability>& param) {
                           return param.param == Durability::kFast ? "Fast" : "Sync";
                         });

TEST(Store, SecondOpenOfSameDirectoryFailsNamingIt) {
  TempDir dir;
  auto first = OpenStore(dir.path());
  ASSERT_NE(first, nullptr);
  Result<std::unique_ptr<Store>> second = Store::Open(dir.path(), Options{});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kStoreFailure);
  EXPECT_NE(second.status().message().find(dir.path()), std::string::npos)
      << second.status().message();
}

TEST(Store, SyncWalRunsConcurrentlyWithCommits) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  constexpr int kCommits = 200;
  std::atomic<bool> done{false};
  std::atomic<int> syncs{0};
  std::atomic<bool> sync_failed{false};
  std::thread syncer([&] {
    // At least one sync after the last commit, however the threads interleave.
    bool last = false;
    while (!last) {
      last = done.load();
      if (!store->SyncWal().ok()) {
        sync_failed = true;
      }
      ++syncs;
    }
  });
  for (int i = 1; i <= kCommits; ++i) {
    Mutations m;
    m.sessions.push_back(MakeSession(i, SessionState::kQueued));
    m.entries.push_back(MakeEntry(i, 0));
    EXPECT_TRUE(store->Commit(m).ok());
  }
  done = true;
  syncer.join();
  EXPECT_FALSE(sync_failed);
  EXPECT_GT(syncs.load(), 0);
  auto state = store->Recover();
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state->open_sessions.size(), static_cast<size_t>(kCommits));
  EXPECT_EQ(state->waiting_entries.size(), static_cast<size_t>(kCommits));
}

// ---- Faults ----

TEST(StoreFaults, FailedWalAppendFailsCommitStickilyAndLeavesNothingBehind) {
  TempDir dir;
  auto fs = std::make_shared<FaultInjectionFs>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  Mutations before;
  before.sessions.push_back(MakeSession(1, SessionState::kQueued));
  before.entries.push_back(MakeEntry(1, 0));
  {
    auto store = OpenStore(dir.path(), Durability::kSync, env.get());
    ASSERT_NE(store, nullptr);
    ASSERT_GT(fs->wal_files_opened(), 0);
    ASSERT_TRUE(store->Commit(before).ok());

    fs->set_fail_wal_appends(true);
    Mutations failing;
    failing.sessions.push_back(MakeSession(2, SessionState::kQueued));
    failing.entries.push_back(MakeEntry(2, 0));
    failing.deliveries.push_back(MakeDelivery(5, 2));
    failing.delivered.push_back(99);
    failing.counters = Counters{3, 6, 9};
    CommitStats stats;
    Status failed = store->Commit(failing, &stats);
    EXPECT_EQ(failed.code(), Code::kStoreFailure);
    EXPECT_NE(failed.message().find("injected WAL"), std::string::npos) << failed.message();
    EXPECT_GT(fs->faults_injected(), 0);
    EXPECT_TRUE(store->failed());
    EXPECT_EQ(stats.records, 0u);

    // Sticky: the file system is healthy again, the store is not.
    fs->set_fail_wal_appends(false);
    Mutations after;
    after.sessions.push_back(MakeSession(3, SessionState::kQueued));
    Status later = store->Commit(after);
    EXPECT_EQ(later.code(), Code::kStoreFailure);
    EXPECT_NE(later.message().find("injected WAL"), std::string::npos) << later.message();
    EXPECT_EQ(store->Commit(Mutations{}).code(), Code::kStoreFailure);
    EXPECT_EQ(store->SyncWal().code(), Code::kStoreFailure);
  }

  auto store = OpenStore(dir.path(), Durability::kSync);  // the default, healthy Env
  ASSERT_NE(store, nullptr);
  auto state = store->Recover();
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state->open_sessions, before.sessions);
  EXPECT_EQ(state->waiting_entries, before.entries);
  EXPECT_TRUE(state->outbox.empty());
  EXPECT_EQ(state->counters, (Counters{2, 1, 1002}));  // defaults raised above session 1
  for (core::SessionId id : {2, 3}) {
    auto session = store->GetSession(id);
    ASSERT_TRUE(session.ok());
    EXPECT_FALSE(session->has_value()) << "session " << id;
  }
  auto transcript = store->Transcript(2);
  ASSERT_TRUE(transcript.ok());
  EXPECT_TRUE(transcript->empty());
}

TEST(StoreFaults, FailedWalSyncIsSticky) {
  TempDir dir;
  auto fs = std::make_shared<FaultInjectionFs>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  auto store = OpenStore(dir.path(), Durability::kFast, env.get());
  ASSERT_NE(store, nullptr);
  Mutations m;
  m.sessions.push_back(MakeSession(1, SessionState::kQueued));
  ASSERT_TRUE(store->Commit(m).ok());  // fast: no sync here

  fs->set_fail_wal_syncs(true);
  Status sync = store->SyncWal();
  EXPECT_EQ(sync.code(), Code::kStoreFailure);
  EXPECT_GT(fs->faults_injected(), 0);
  EXPECT_TRUE(store->failed());

  fs->set_fail_wal_syncs(false);
  EXPECT_EQ(store->SyncWal().code(), Code::kStoreFailure);
  Status commit = store->Commit(m);
  EXPECT_EQ(commit.code(), Code::kStoreFailure);
  EXPECT_NE(commit.message().find("WAL sync failed"), std::string::npos) << commit.message();
}

// The broker's sync mode writes a turn without the fsync and syncs on its own thread before
// anything of the turn leaves: a deferred commit must not touch the WAL's sync, and the
// SyncWal after it must.
TEST(StoreFaults, DeferredSyncCommitLeavesTheFsyncToSyncWal) {
  TempDir dir;
  auto fs = std::make_shared<FaultInjectionFs>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  auto store = OpenStore(dir.path(), Durability::kSync, env.get());
  ASSERT_NE(store, nullptr);
  Mutations m;
  m.sessions.push_back(MakeSession(1, SessionState::kQueued));
  const int syncs_before = fs->wal_syncs();
  ASSERT_TRUE(store->Commit(m).ok());
  EXPECT_GT(fs->wal_syncs(), syncs_before);  // kSync: the commit fsyncs

  fs->set_fail_wal_syncs(true);
  Mutations deferred;
  deferred.sessions.push_back(MakeSession(2, SessionState::kQueued));
  ASSERT_TRUE(store->Commit(deferred, nullptr, /*defer_sync=*/true).ok());
  EXPECT_EQ(fs->faults_injected(), 0);  // no sync was tried
  EXPECT_FALSE(store->failed());
  Status sync = store->SyncWal();
  EXPECT_EQ(sync.code(), Code::kStoreFailure);
  EXPECT_GT(fs->faults_injected(), 0);
}

// ---- Corrupt records ----

TEST(StoreCorruption, GarbageSessionRecordFailsRecoverAndGetSession) {
  TempDir dir;
  {
    auto store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    Mutations m;
    m.sessions.push_back(MakeSession(7, SessionState::kActive));
    ASSERT_TRUE(store->Commit(m).ok());
  }
  RawDb(dir.path()).Put(keys::SessionKey(7), "this is not a flatbuffer");
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  auto state = store->Recover();
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.status().code(), Code::kStoreFailure);
  EXPECT_NE(state.status().message().find("corrupt record at key s/7"), std::string::npos)
      << state.status().message();
  auto session = store->GetSession(7);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), Code::kStoreFailure);
  EXPECT_FALSE(store->failed());  // a bad read does not stop commits
}

TEST(StoreCorruption, OpenIndexWithoutSessionRecordFailsRecover) {
  TempDir dir;
  {
    auto store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    Mutations m;
    m.sessions.push_back(MakeSession(7, SessionState::kActive));
    ASSERT_TRUE(store->Commit(m).ok());
  }
  RawDb(dir.path()).Delete(keys::SessionKey(7));
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  auto state = store->Recover();
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.status().code(), Code::kStoreFailure);
  EXPECT_NE(state.status().message().find("o/7"), std::string::npos) << state.status().message();
}

TEST(StoreCorruption, BadRecordOfEveryOtherTypeFailsRecover) {
  const std::vector<std::string> bad_keys = {keys::TranscriptKey(8, 1), keys::DeliveryKey(31),
                                             keys::MarkKey(std::string("adapter\0-1", 10)),
                                             std::string(keys::kCountersKey)};
  for (const std::string& key : bad_keys) {
    SCOPED_TRACE(keys::DescribeKey(key));
    TempDir dir;
    {
      auto store = OpenStore(dir.path());
      ASSERT_NE(store, nullptr);
      ASSERT_TRUE(store->Commit(FullMutations()).ok());
    }
    {
      RawDb raw(dir.path());
      std::string value = raw.Get(key);
      value.resize(value.size() / 2);  // truncated
      raw.Put(key, value);
    }
    auto store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    auto state = store->Recover();
    ASSERT_FALSE(state.ok());
    EXPECT_EQ(state.status().code(), Code::kStoreFailure);
    EXPECT_NE(state.status().message().find("corrupt record at key " + keys::DescribeKey(key)),
              std::string::npos)
        << state.status().message();
  }
}

TEST(StoreCorruption, RecordFromAnotherKeyIsRejected) {
  TempDir dir;
  {
    auto store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Commit(FullMutations()).ok());
  }
  {
    RawDb raw(dir.path());
    raw.Put(keys::SessionKey(8), raw.Get(keys::SessionKey(7)));  // valid, but for id 7
  }
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  auto session = store->GetSession(8);
  ASSERT_FALSE(session.ok());
  EXPECT_NE(session.status().message().find("s/8"), std::string::npos);
}

// Every truncation and every single-byte change of a session record: reads never crash,
// truncations are always rejected.
TEST(StoreCorruption, DamagedSessionRecordsNeverCrashReads) {
  TempDir dir;
  constexpr core::SessionId kFirstFlipped = 1000;
  constexpr core::SessionId kFirstTruncated = 5000;
  std::string sample;
  {
    auto store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    Mutations m;
    m.sessions.push_back(MakeSession(1, SessionState::kActive));
    ASSERT_TRUE(store->Commit(m).ok());
  }
  {
    RawDb raw(dir.path());
    sample = raw.Get(keys::SessionKey(1));
  }
  ASSERT_FALSE(sample.empty());
  {
    // Records for ids other than 1 that differ only in their id: built through the store.
    auto store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    Mutations m;
    for (size_t i = 0; i < sample.size(); ++i) {
      m.sessions.push_back(MakeSession(kFirstFlipped + i, SessionState::kClosed));
      m.sessions.push_back(MakeSession(kFirstTruncated + i, SessionState::kClosed));
    }
    ASSERT_TRUE(store->Commit(m).ok());
  }
  {
    RawDb raw(dir.path());
    for (size_t i = 0; i < sample.size(); ++i) {
      std::string flipped = raw.Get(keys::SessionKey(kFirstFlipped + i));
      flipped[i % flipped.size()] ^= static_cast<char>(0xa5);
      raw.Put(keys::SessionKey(kFirstFlipped + i), flipped);
      std::string truncated = raw.Get(keys::SessionKey(kFirstTruncated + i));
      truncated.resize(std::min(i, truncated.size() - 1));
      raw.Put(keys::SessionKey(kFirstTruncated + i), truncated);
    }
  }
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  for (size_t i = 0; i < sample.size(); ++i) {
    auto flipped = store->GetSession(kFirstFlipped + i);
    if (!flipped.ok()) {
      EXPECT_EQ(flipped.status().code(), Code::kStoreFailure);
    }
    auto truncated = store->GetSession(kFirstTruncated + i);
    EXPECT_FALSE(truncated.ok()) << "truncated to " << i << " bytes";
  }
}

}  // namespace
}  // namespace switchboard::store
