// Retention: old transcripts and closed sessions are dropped by compaction, everything the
// broker needs to resume is kept. Real RocksDB, a fake clock, forced compaction.
#include "store/retention.h"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <flatbuffers/flatbuffers.h>
#include <gtest/gtest.h>

#include "store/keys.h"
#include "store/store.h"
#include "store_generated.h"
#include "support/temp_dir.h"

namespace switchboard::store {
namespace {

using core::Mutations;
using core::Session;
using core::SessionState;
using core::TranscriptEntry;

constexpr Micros kDay = int64_t{24} * 3600 * kSeconds;
constexpr Micros kHour = int64_t{3600} * kSeconds;
constexpr TimePoint kT0 = 1'700'000'000'000'000;
constexpr Micros kRetention = 30 * kDay;

Session MakeSession(core::SessionId id, SessionState state, TimePoint created_at,
                    const std::string& agent, TimePoint closed_at = 0) {
  Session s;
  s.id = id;
  s.tenant = "acme";
  s.customer_id = "customer-" + std::to_string(id);
  s.queue = "default";
  s.state = state;
  s.created_at = created_at;
  s.enqueued_at = created_at;
  if (!agent.empty()) {
    s.agent_id = agent;
    s.answered_at = created_at + 60 * kSeconds;
  }
  s.closed_at = closed_at;
  s.queue_seq = id;
  return s;
}

TranscriptEntry MakeEntry(core::SessionId session_id, uint32_t index, TimePoint at) {
  TranscriptEntry e;
  e.session_id = session_id;
  e.index = index;
  e.text = "entry " + std::to_string(index);
  e.at = at;
  return e;
}

class RetentionTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> Open(Micros retention) {
    Options options;
    options.retention = retention;
    options.now_us = [this] { return now_.load(); };
    auto store = Store::Open(dir_.Sub("db"), options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // History written over a month, then a clock 31 days after kT0:
  //   1: closed 30+ days ago (created kT0)            -> expired, with its transcript
  //   2: open since kT0 (active), an old and a recent entry -> kept; its old entry goes
  //   3: closed 2 days ago                             -> kept, with its transcript
  //   4: queued, created an hour ago                   -> kept
  // plus an outbox delivery (kept while its transcript entry is), client marks and counters,
  // which are never dropped.
  Mutations History() {
    const TimePoint now = kT0 + 31 * kDay;
    Mutations m;
    m.sessions.push_back(MakeSession(1, SessionState::kClosed, kT0, "alice", kT0 + kHour));
    m.sessions.push_back(MakeSession(2, SessionState::kActive, kT0, "bob"));
    m.sessions.push_back(
        MakeSession(3, SessionState::kClosed, now - 2 * kDay - kHour, "alice", now - 2 * kDay));
    m.sessions.push_back(MakeSession(4, SessionState::kQueued, now - kHour, ""));
    for (Session& s : m.sessions) {
      s.transcript_size = s.id == 4 ? 1 : 2;  // as the entries below
    }
    m.entries = {MakeEntry(1, 0, kT0),
                 MakeEntry(1, 1, kT0 + kHour / 2),
                 MakeEntry(2, 0, kT0),
                 MakeEntry(2, 1, now - kDay),
                 MakeEntry(3, 0, now - 3 * kDay),
                 MakeEntry(3, 1, now - 2 * kDay),
                 MakeEntry(4, 0, now - kHour)};
    core::Delivery d;
    d.id = 5;
    d.client_id = "bob";
    d.session_id = 2;
    d.tenant = "acme";
    d.customer_id = "customer-2";
    d.entry = MakeEntry(2, 1, now - kDay);
    m.deliveries.push_back(d);
    m.marks.push_back(core::ClientMark{"im-adapter", 7, 70});
    m.counters = core::Counters{5, 6, 5};
    return m;
  }

  testing::TempDir dir_;
  std::atomic<TimePoint> now_{kT0};
};

TEST_F(RetentionTest, CompactionDropsOldHistoryAndKeepsWhatRecoveryNeeds) {
  auto store = Open(kRetention);
  ASSERT_NE(store, nullptr);
  const Mutations m = History();
  ASSERT_TRUE(store->Commit(m).ok());
  now_ = kT0 + 31 * kDay;
  // Nothing expires outside compaction.
  auto before = store->GetSession(1);
  ASSERT_TRUE(before.ok());
  EXPECT_TRUE(before->has_value());

  ASSERT_TRUE(store->CompactAll().ok());

  // Session 1: record, transcript and index keys gone.
  auto s1 = store->GetSession(1);
  ASSERT_TRUE(s1.ok());
  EXPECT_FALSE(s1->has_value());
  auto t1 = store->Transcript(1);
  ASSERT_TRUE(t1.ok());
  EXPECT_TRUE(t1->empty());
  EXPECT_EQ(store->GetTranscriptPage(1, 0, 10).status().code(), Code::kUnknownSession);
  auto c1 = store->SessionsOfCustomer("acme", "customer-1", 0, 0, "", 10);
  ASSERT_TRUE(c1.ok());
  EXPECT_TRUE(c1->sessions.empty());
  EXPECT_FALSE(c1->more);  // its index key went too, not only the record

  // Session 2 is open: its record stays, but its entries older than the retention go (the
  // documented cost of sessions open longer than the retention period).
  auto s2 = store->GetSession(2);
  ASSERT_TRUE(s2.ok());
  ASSERT_TRUE(s2->has_value());
  EXPECT_EQ(**s2, m.sessions[1]);
  auto t2 = store->Transcript(2);
  ASSERT_TRUE(t2.ok());
  EXPECT_EQ(*t2, (std::vector<TranscriptEntry>{m.entries[3]}));

  // Session 3, closed recently: all kept, and found by customer and by agent.
  auto t3 = store->Transcript(3);
  ASSERT_TRUE(t3.ok());
  EXPECT_EQ(t3->size(), 2u);
  auto c3 = store->SessionsOfCustomer("acme", "customer-3", 0, 0, "", 10);
  ASSERT_TRUE(c3.ok());
  ASSERT_EQ(c3->sessions.size(), 1u);
  EXPECT_EQ(c3->sessions[0], m.sessions[2]);
  auto alice = store->SessionsOfAgent("alice", 0, 0, "", 10);
  ASSERT_TRUE(alice.ok());
  ASSERT_EQ(alice->sessions.size(), 1u);
  EXPECT_EQ(alice->sessions[0].id, 3u);

  // Recovery: open sessions, their waiting transcripts, outbox, marks and counters intact.
  auto state = store->Recover();
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state->open_sessions, (std::vector<Session>{m.sessions[1], m.sessions[3]}));
  EXPECT_EQ(state->waiting_entries, (std::vector<TranscriptEntry>{m.entries[6]}));
  EXPECT_EQ(state->outbox, m.deliveries);
  EXPECT_EQ(state->marks, m.marks);
  EXPECT_EQ(state->counters, *m.counters);

  // Session 2's customer index key was older than the retention while open, so it went; its
  // close writes it again (with closed_at), and from then on it lives as long as the record.
  Mutations close;
  Session closed = m.sessions[1];
  closed.state = SessionState::kClosed;
  closed.closed_at = now_.load();
  close.sessions.push_back(closed);
  ASSERT_TRUE(store->Commit(close).ok());
  now_ = now_.load() + 29 * kDay;
  ASSERT_TRUE(store->CompactAll().ok());
  auto c2 = store->SessionsOfCustomer("acme", "customer-2", 0, 0, "", 10);
  ASSERT_TRUE(c2.ok());
  ASSERT_EQ(c2->sessions.size(), 1u);
  EXPECT_EQ(c2->sessions[0], closed);
  auto bob = store->SessionsOfAgent("bob", 0, 0, "", 10);
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ(bob->sessions.size(), 1u);
  now_ = now_.load() + 2 * kDay;  // now 31 days after the close
  ASSERT_TRUE(store->CompactAll().ok());
  auto gone = store->GetSession(2);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  c2 = store->SessionsOfCustomer("acme", "customer-2", 0, 0, "", 10);
  ASSERT_TRUE(c2.ok());
  EXPECT_TRUE(c2->sessions.empty());
  state = store->Recover();
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state->open_sessions.size(), 1u);  // session 4 only now
  // The undelivered message to bob names transcript entry (2, 1), which retention removed
  // (a day old then, 31 days now): it expired with the transcript and recovery says so.
  EXPECT_TRUE(state->outbox.empty());
  EXPECT_EQ(state->deliveries_expired, 1u);
  EXPECT_EQ(state->counters.next_session_id, 5u);
}

TEST_F(RetentionTest, ZeroKeepsEverythingForever) {
  auto store = Open(0);
  ASSERT_NE(store, nullptr);
  const Mutations m = History();
  ASSERT_TRUE(store->Commit(m).ok());
  now_ = kT0 + 3650 * kDay;
  ASSERT_TRUE(store->CompactAll().ok());
  for (core::SessionId id = 1; id <= 4; ++id) {
    auto s = store->GetSession(id);
    ASSERT_TRUE(s.ok());
    EXPECT_TRUE(s->has_value()) << id;
  }
  auto t1 = store->Transcript(1);
  ASSERT_TRUE(t1.ok());
  EXPECT_EQ(t1->size(), 2u);
}

TEST_F(RetentionTest, SurvivesReopenAndCompactsWithTheReopenedStore) {
  {
    auto store = Open(kRetention);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Commit(History()).ok());
  }
  now_ = kT0 + 31 * kDay;
  auto store = Open(kRetention);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CompactAll().ok());
  auto s1 = store->GetSession(1);
  ASSERT_TRUE(s1.ok());
  EXPECT_FALSE(s1->has_value());
  auto s3 = store->GetSession(3);
  ASSERT_TRUE(s3.ok());
  EXPECT_TRUE(s3->has_value());
}

// ---- The decision itself ----

TEST(RetentionExpired, NeverDropsTheKeysRecoveryNeedsNorWhatItCannotRead) {
  const TimePoint cutoff = kT0;
  EXPECT_FALSE(Expired(keys::OpenKey(1), "", cutoff));
  EXPECT_FALSE(Expired(keys::DeliveryKey(1), "garbage", cutoff));
  EXPECT_FALSE(Expired(keys::MarkKey("x"), "garbage", cutoff));
  EXPECT_FALSE(Expired(std::string(keys::kCountersKey), "garbage", cutoff));
  EXPECT_FALSE(Expired("", "", cutoff));
  // Unreadable records and malformed keys are kept for Recover and the readers to report.
  EXPECT_FALSE(Expired(keys::TranscriptKey(1, 0), "not a flatbuffer", cutoff));
  EXPECT_FALSE(Expired(keys::SessionKey(1), "not a flatbuffer", cutoff));
  EXPECT_FALSE(Expired("t123", "", cutoff));
  const std::string index = keys::AgentIndexPrefix("a") + keys::IndexSuffix(kT0 - 1, 1);
  EXPECT_FALSE(Expired(index, "bad", cutoff));
  EXPECT_FALSE(Expired(index.substr(0, index.size() - 1), "", cutoff));
}

TEST(RetentionExpired, IndexKeysFollowClosedAtOnceClosedElseTheirOwnTime) {
  const std::string old_key = keys::AgentIndexPrefix("a") + keys::IndexSuffix(kT0 - 1, 1);
  const std::string new_key = keys::CustomerIndexPrefix("t", "c") + keys::IndexSuffix(kT0 + 1, 1);
  EXPECT_TRUE(Expired(old_key, keys::IndexValue(0), kT0));         // open, old
  EXPECT_FALSE(Expired(old_key, keys::IndexValue(kT0 + 5), kT0));  // closed recently
  EXPECT_TRUE(Expired(new_key, keys::IndexValue(kT0 - 5), kT0));   // closed long ago
  EXPECT_FALSE(Expired(new_key, keys::IndexValue(0), kT0));        // open, recent
}

TEST(AcknowledgedDelivery, DropsOnlyDeliveriesAtOrBelowTheirClientsMark) {
  flatbuffers::FlatBufferBuilder fbb;
  auto record = [&fbb](uint64_t id, const std::string& client) {
    fbb.Clear();
    fbb.Finish(fb::CreateDelivery(fbb, id, fbb.CreateString(client)));
    return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
  };
  const AckedDeliveries::Map acked{{"w1", 10}};
  EXPECT_TRUE(Acknowledged(keys::DeliveryKey(9), record(9, "w1"), acked));
  EXPECT_TRUE(Acknowledged(keys::DeliveryKey(10), record(10, "w1"), acked));
  EXPECT_FALSE(Acknowledged(keys::DeliveryKey(11), record(11, "w1"), acked));
  EXPECT_FALSE(Acknowledged(keys::DeliveryKey(5), record(5, "w2"), acked));  // no mark
  EXPECT_FALSE(Acknowledged(keys::DeliveryKey(5), record(5, "w1"), {}));
  // Not a delivery, or unreadable: kept for Recover to report.
  EXPECT_FALSE(Acknowledged(keys::DeliveryKey(5), "garbage", acked));
  EXPECT_FALSE(Acknowledged(keys::MarkKey("w1"), record(5, "w1"), acked));
}

TEST(AcknowledgedDelivery, MarksOnlyRise) {
  AckedDeliveries marks;
  marks.Raise("w1", 5);
  marks.Raise("w1", 3);
  marks.Raise("w2", 0);  // no mark yet: nothing recorded
  EXPECT_EQ(marks.Snapshot(), (AckedDeliveries::Map{{"w1", 5}}));
}

}  // namespace
}  // namespace switchboard::store
