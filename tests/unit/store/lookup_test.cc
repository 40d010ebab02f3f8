// The store's secondary indexes (sessions by customer, by agent) and the paged admin reads,
// on real RocksDB in a fresh temporary directory per test.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "store/keys.h"
#include "store/store.h"
#include "support/temp_dir.h"

namespace switchboard::store {
namespace {

using core::Mutations;
using core::Session;
using core::SessionState;
using core::TranscriptEntry;

constexpr TimePoint kT0 = 1'700'000'000'000'000;

std::unique_ptr<Store> OpenStore(const std::string& dir) {
  Options options;
  options.retention = 0;  // these tests use fixed old times
  auto store = Store::Open(dir, options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

Session Open(core::SessionId id, const std::string& tenant, const std::string& customer,
             TimePoint created_at) {
  Session s;
  s.id = id;
  s.tenant = tenant;
  s.customer_id = customer;
  s.queue = "default";
  s.created_at = created_at;
  s.enqueued_at = created_at;
  s.transcript_size = 1;
  s.attributes.topic = "refund";
  return s;
}

Session Answered(Session s, const std::string& agent, TimePoint at) {
  s.state = SessionState::kActive;
  s.agent_id = agent;
  s.answered_at = at;
  return s;
}

Session Closed(Session s, TimePoint at) {
  s.state = SessionState::kClosed;
  s.closed_at = at;
  s.disposition = core::Disposition::kResolved;
  return s;
}

Status CommitSessions(Store& store, const std::vector<Session>& sessions,
                      uint32_t* records = nullptr) {
  Mutations m;
  m.sessions = sessions;
  CommitStats stats;
  Status st = store.Commit(m, &stats);
  if (records != nullptr) {
    *records = stats.records;
  }
  return st;
}

std::vector<core::SessionId> Ids(const SessionPage& page) {
  std::vector<core::SessionId> ids;
  for (const Session& s : page.sessions) {
    ids.push_back(s.id);
  }
  return ids;
}

using Ids_ = std::vector<core::SessionId>;

// ---- Keys ----

TEST(StoreIndexKeys, LengthPrefixesKeepCustomersApart) {
  const std::string a = keys::CustomerIndexPrefix("ab", "c");
  const std::string b = keys::CustomerIndexPrefix("a", "bc");
  const std::string c = keys::CustomerIndexPrefix("acme", "c1");
  const std::string d = keys::CustomerIndexPrefix("acme", "c12");
  EXPECT_NE(a, b);
  EXPECT_FALSE(d.starts_with(c));
  EXPECT_FALSE((c + keys::IndexSuffix(kT0, 1)).starts_with(d));
  EXPECT_FALSE((d + keys::IndexSuffix(kT0, 1)).starts_with(c));
  EXPECT_FALSE(keys::AgentIndexPrefix("al").starts_with(keys::AgentIndexPrefix("a")));
}

TEST(StoreIndexKeys, DecodeAndDescribe) {
  const std::string key =
      keys::CustomerIndexPrefix("acme", std::string("c\0\"1", 4)) + keys::IndexSuffix(kT0, 42);
  auto parts = keys::DecodeIndexKey(key);
  ASSERT_TRUE(parts.has_value());
  EXPECT_EQ(parts->kind, 'C');
  EXPECT_EQ(parts->first, "acme");
  EXPECT_EQ(parts->second, std::string("c\0\"1", 4));
  EXPECT_EQ(parts->time, kT0);
  EXPECT_EQ(parts->session_id, 42u);
  EXPECT_EQ(keys::DescribeKey(key), "C/\"acme\"/\"c\\x00\\x221\"/1700000000000000/42");

  const std::string agent = keys::AgentIndexPrefix("agent-7") + keys::IndexSuffix(-5, 3);
  parts = keys::DecodeIndexKey(agent);
  ASSERT_TRUE(parts.has_value());
  EXPECT_EQ(parts->first, "agent-7");
  EXPECT_EQ(parts->time, 0);  // negative times are stored as 0
  EXPECT_EQ(keys::DescribeKey(agent), "A/\"agent-7\"/0/3");

  EXPECT_FALSE(keys::DecodeIndexKey(agent.substr(0, agent.size() - 1)).has_value());
  EXPECT_FALSE(keys::DecodeIndexKey(agent + "x").has_value());
  EXPECT_FALSE(keys::DecodeIndexKey(std::string("A\0\0\0\xff", 5)).has_value());
  EXPECT_FALSE(keys::DecodeIndexKey(keys::SessionKey(1)).has_value());

  EXPECT_EQ(keys::DecodeIndexValue(keys::IndexValue(0)), 0);
  EXPECT_EQ(keys::DecodeIndexValue(keys::IndexValue(kT0)), kT0);
  EXPECT_FALSE(keys::DecodeIndexValue("abc").has_value());
}

// ---- Sessions of a customer ----

class LookupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenStore(dir_.Sub("db"));
    ASSERT_NE(store_, nullptr);
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(LookupTest, SessionsOfACustomerComePageByPageInCreationOrder) {
  // Ids out of time order: the index orders by created_at, then id.
  ASSERT_TRUE(CommitSessions(*store_,
                             {Open(9, "acme", "c1", kT0 + 4000), Open(3, "acme", "c1", kT0 + 1000),
                              Open(5, "acme", "c1", kT0 + 2000), Open(4, "acme", "c1", kT0 + 2000),
                              Open(1, "acme", "c1", kT0),
                              // Other customers whose keys would collide naively.
                              Open(6, "acme", "c12", kT0 + 1500), Open(7, "acm", "ec1", kT0 + 1500),
                              Open(8, "other", "c1", kT0 + 1500)})
                  .ok());
  std::vector<core::SessionId> all;
  std::string cursor;
  int pages = 0;
  for (;;) {
    auto page = store_->SessionsOfCustomer("acme", "c1", 0, 0, cursor, 2);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    ++pages;
    EXPECT_LE(page->sessions.size(), 2u);
    for (const Session& s : page->sessions) {
      all.push_back(s.id);
      EXPECT_EQ(s.customer_id, "c1");
      EXPECT_EQ(s.attributes.topic, "refund");
    }
    if (!page->more) {
      EXPECT_EQ(page->next_cursor, "");
      break;
    }
    EXPECT_EQ(page->next_cursor.size(), 32u);
    cursor = page->next_cursor;
  }
  EXPECT_EQ(all, (Ids_{1, 3, 4, 5, 9}));
  EXPECT_EQ(pages, 3);

  auto other = store_->SessionsOfCustomer("acme", "c12", 0, 0, "", 10);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(Ids(*other), (Ids_{6}));
  auto none = store_->SessionsOfCustomer("acme", "c", 0, 0, "", 10);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->sessions.empty());
  EXPECT_FALSE(none->more);
}

TEST_F(LookupTest, TimeRangeIsFromInclusiveToExclusive) {
  std::vector<Session> sessions;
  for (core::SessionId id = 1; id <= 5; ++id) {
    sessions.push_back(Open(id, "acme", "c1", kT0 + static_cast<TimePoint>(id) * 1000));
  }
  ASSERT_TRUE(CommitSessions(*store_, sessions).ok());
  auto page = store_->SessionsOfCustomer("acme", "c1", kT0 + 2000, kT0 + 4000, "", 10);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Ids(*page), (Ids_{2, 3}));
  page = store_->SessionsOfCustomer("acme", "c1", kT0 + 2001, 0, "", 10);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Ids(*page), (Ids_{3, 4, 5}));
  // Paging within a range stays within it.
  page = store_->SessionsOfCustomer("acme", "c1", kT0 + 2000, kT0 + 5000, "", 2);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Ids(*page), (Ids_{2, 3}));
  ASSERT_TRUE(page->more);
  page = store_->SessionsOfCustomer("acme", "c1", kT0 + 2000, kT0 + 5000, page->next_cursor, 2);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Ids(*page), (Ids_{4}));
  EXPECT_FALSE(page->more);
}

TEST_F(LookupTest, BadArgumentsAreBadRequests) {
  EXPECT_EQ(store_->SessionsOfCustomer("acme", "c1", 0, 0, "", 0).status().code(),
            Code::kBadRequest);
  EXPECT_EQ(store_->SessionsOfCustomer("acme", "c1", 0, 0, "zz", 10).status().code(),
            Code::kBadRequest);
  EXPECT_EQ(store_->SessionsOfAgent("a", 0, 0, std::string(32, 'G'), 10).status().code(),
            Code::kBadRequest);
  EXPECT_EQ(store_->SessionsOfAgent("a", kT0, kT0 - 1, "", 10).status().code(), Code::kBadRequest);
  EXPECT_EQ(store_->GetTranscriptPage(1, 0, 0).status().code(), Code::kBadRequest);
}

TEST_F(LookupTest, PagesStopBeforeTheirByteBudget) {
  std::vector<Session> sessions;
  for (core::SessionId id = 1; id <= 3; ++id) {
    sessions.push_back(Open(id, "acme", "c1", kT0 + static_cast<TimePoint>(id)));
  }
  ASSERT_TRUE(CommitSessions(*store_, sessions).ok());
  // Every page holds at least one item, however small the budget.
  auto page = store_->SessionsOfCustomer("acme", "c1", 0, 0, "", 100, 1);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Ids(*page), (Ids_{1}));
  EXPECT_TRUE(page->more);
  page = store_->SessionsOfCustomer("acme", "c1", 0, 0, "", 100, 700);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Ids(*page), (Ids_{1, 2}));
  EXPECT_TRUE(page->more);
}

// ---- Sessions of an agent ----

TEST_F(LookupTest, SessionsOfAnAgentByAnswerTimeIncludingOnesMovedOn) {
  Session s1 = Open(1, "acme", "c1", kT0);
  Session s2 = Open(2, "acme", "c2", kT0 + 10);
  Session s3 = Open(3, "acme", "c3", kT0 + 20);
  ASSERT_TRUE(CommitSessions(*store_, {s1, s2, s3}).ok());
  ASSERT_TRUE(
      CommitSessions(*store_, {Answered(s2, "alice", kT0 + 100), Answered(s1, "alice", kT0 + 200),
                               Answered(s3, "bob", kT0 + 150)})
          .ok());
  // alice goes away: s1 goes back to the queue and bob takes it.
  Session requeued = s1;
  requeued.transcript_size = 3;
  ASSERT_TRUE(CommitSessions(*store_, {requeued}).ok());
  ASSERT_TRUE(CommitSessions(*store_, {Answered(requeued, "bob", kT0 + 300)}).ok());

  auto alice = store_->SessionsOfAgent("alice", 0, 0, "", 10);
  ASSERT_TRUE(alice.ok());
  EXPECT_EQ(Ids(*alice), (Ids_{2, 1}));
  EXPECT_EQ(alice->sessions[1].agent_id, "bob");  // the session as it is now
  auto bob = store_->SessionsOfAgent("bob", 0, 0, "", 10);
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ(Ids(*bob), (Ids_{3, 1}));
  auto range = store_->SessionsOfAgent("bob", kT0 + 200, kT0 + 400, "", 10);
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(Ids(*range), (Ids_{1}));
  auto nobody = store_->SessionsOfAgent("al", 0, 0, "", 10);
  ASSERT_TRUE(nobody.ok());
  EXPECT_TRUE(nobody->sessions.empty());
}

// ---- What Commit writes ----

TEST_F(LookupTest, EachUpsertWritesTheIndexKeyOfItsState) {
  Session s = Open(1, "acme", "c1", kT0);
  uint32_t records = 0;
  ASSERT_TRUE(CommitSessions(*store_, {s}, &records).ok());
  EXPECT_EQ(records, 3u);  // s, o, C
  s.transcript_size = 2;
  ASSERT_TRUE(CommitSessions(*store_, {s}, &records).ok());
  EXPECT_EQ(records, 3u);  // s, o, C (the same again)
  s = Answered(s, "alice", kT0 + 5);
  ASSERT_TRUE(CommitSessions(*store_, {s}, &records).ok());
  EXPECT_EQ(records, 3u);  // s, o, A
  ASSERT_TRUE(CommitSessions(*store_, {Closed(s, kT0 + 9)}, &records).ok());
  EXPECT_EQ(records, 4u);  // s, o deleted, C and A with closed_at

  auto alice = store_->SessionsOfAgent("alice", 0, 0, "", 10);
  ASSERT_TRUE(alice.ok());
  EXPECT_EQ(Ids(*alice), (Ids_{1}));
  auto closed = store_->SessionsOfCustomer("acme", "c1", 0, 0, "", 10);
  ASSERT_TRUE(closed.ok());
  ASSERT_EQ(closed->sessions.size(), 1u);
  EXPECT_EQ(closed->sessions[0].state, SessionState::kClosed);
  EXPECT_EQ(closed->sessions[0].closed_at, kT0 + 9);

  // Written in the commit's batch: there after a reopen.
  store_.reset();
  store_ = OpenStore(dir_.Sub("db"));
  ASSERT_NE(store_, nullptr);
  alice = store_->SessionsOfAgent("alice", 0, 0, "", 10);
  ASSERT_TRUE(alice.ok());
  EXPECT_EQ(Ids(*alice), (Ids_{1}));
}

TEST_F(LookupTest, IndexKeysWhoseSessionRecordIsGoneAreSkipped) {
  ASSERT_TRUE(CommitSessions(*store_, {Open(1, "acme", "c1", kT0), Open(2, "acme", "c1", kT0 + 1),
                                       Open(3, "acme", "c1", kT0 + 2)})
                  .ok());
  store_.reset();
  {
    const std::vector<rocksdb::ColumnFamilyDescriptor> families = {
        {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
        {std::string(kOutboxColumnFamily), rocksdb::ColumnFamilyOptions()}};
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(
        rocksdb::DB::Open(rocksdb::DBOptions(), dir_.Sub("db"), families, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), keys::SessionKey(2)).ok());
    for (rocksdb::ColumnFamilyHandle* h : handles) {
      ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    }
  }
  store_ = OpenStore(dir_.Sub("db"));
  ASSERT_NE(store_, nullptr);
  auto page = store_->SessionsOfCustomer("acme", "c1", 0, 0, "", 10);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Ids(*page), (Ids_{1, 3}));
}

// ---- Transcript pages ----

TEST_F(LookupTest, TranscriptPagesFollowNextIndex) {
  Mutations m;
  m.sessions.push_back(Open(7, "acme", "c1", kT0));
  for (uint32_t i = 0; i < 5; ++i) {
    TranscriptEntry e;
    e.session_id = 7;
    e.index = i;
    e.from = i % 2 == 0 ? core::Party::kCustomer : core::Party::kAgent;
    e.agent_id = i % 2 == 0 ? "" : "alice";
    e.text = "message " + std::to_string(i);
    e.at = kT0 + i;
    m.entries.push_back(e);
  }
  ASSERT_TRUE(store_->Commit(m).ok());

  std::vector<TranscriptEntry> got;
  uint32_t next = 0;
  int pages = 0;
  for (;;) {
    auto page = store_->GetTranscriptPage(7, next, 2);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    ++pages;
    got.insert(got.end(), page->entries.begin(), page->entries.end());
    next = page->next_index;
    if (!page->more) {
      break;
    }
  }
  EXPECT_EQ(got, m.entries);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(next, 5u);

  auto past_end = store_->GetTranscriptPage(7, 5, 10);
  ASSERT_TRUE(past_end.ok());
  EXPECT_TRUE(past_end->entries.empty());
  EXPECT_FALSE(past_end->more);
  EXPECT_EQ(past_end->next_index, 5u);

  auto tight = store_->GetTranscriptPage(7, 1, 10, /*max_bytes=*/1);
  ASSERT_TRUE(tight.ok());
  ASSERT_EQ(tight->entries.size(), 1u);
  EXPECT_EQ(tight->entries[0].index, 1u);
  EXPECT_TRUE(tight->more);
  EXPECT_EQ(tight->next_index, 2u);

  auto unknown = store_->GetTranscriptPage(8, 0, 10);
  EXPECT_EQ(unknown.status().code(), Code::kUnknownSession);
}

}  // namespace
}  // namespace switchboard::store
