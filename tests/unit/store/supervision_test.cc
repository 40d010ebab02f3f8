// The store's records for supervisors: the quality-inspection index (`Q`, `R`) and the hourly
// arrival counts (`H`), written with a commit, read page by page, kept across a reopen, and
// dropped by retention with the sessions. Real RocksDB in a fresh temporary directory.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include "store/counts.h"
#include "store/keys.h"
#include "store/retention.h"
#include "store/store.h"
#include "support/temp_dir.h"

namespace switchboard::store {
namespace {

using core::ArrivalCount;
using core::Mutations;
using core::QaFlag;
using core::Session;
using core::SessionState;

constexpr Micros kHour = int64_t{3600} * kSeconds;
constexpr Micros kDay = 24 * kHour;
constexpr TimePoint kT0 = 1'700'002'800'000'000;  // an hour's start (UTC)

Session ClosedSession(core::SessionId id, TimePoint closed_at) {
  Session s;
  s.id = id;
  s.tenant = "shop";
  s.customer_id = "c" + std::to_string(id);
  s.queue = "default";
  s.agent_id = "alice";
  s.state = SessionState::kClosed;
  s.created_at = closed_at - 10 * 60 * kSeconds;
  s.enqueued_at = s.created_at;
  s.answered_at = s.created_at + kSeconds;
  s.closed_at = closed_at;
  s.queue_seq = id;
  return s;
}

std::vector<core::SessionId> Ids(const SessionPage& page) {
  std::vector<core::SessionId> ids;
  for (const Session& s : page.sessions) {
    ids.push_back(s.id);
  }
  return ids;
}

class SupervisionTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    store_.reset();
    Options options;
    options.retention = retention_;
    options.now_us = [this] { return now_.load(); };
    auto store = Store::Open(dir_.Sub("db"), options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }

  // Closes sessions 1..8 an hour apart from kT0; flags 2, 4, 5, 7 (5 and 7 for a re-check).
  void CommitClosedSessions() {
    Mutations m;
    for (core::SessionId id = 1; id <= 8; ++id) {
      m.sessions.push_back(ClosedSession(id, kT0 + static_cast<int64_t>(id) * kHour));
    }
    for (core::SessionId id : {2, 4, 5, 7}) {
      m.qa_flags.push_back(
          QaFlag{id, kT0 + static_cast<int64_t>(id) * kHour, /*recheck=*/id == 5 || id == 7});
    }
    ASSERT_TRUE(store_->Commit(m).ok());
  }

  testing::TempDir dir_;
  Micros retention_ = 0;
  std::atomic<TimePoint> now_{kT0};
  std::unique_ptr<Store> store_;
};

TEST_F(SupervisionTest, QaIndexListsFlaggedSessionsByCloseTime) {
  CommitClosedSessions();
  Reopen();  // durable with the close

  auto all = store_->QaSessions(false, 0, 0, "", 100);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(Ids(*all), (std::vector<core::SessionId>{2, 4, 5, 7}));
  EXPECT_FALSE(all->more);
  EXPECT_EQ(all->sessions[0].closed_at, kT0 + 2 * kHour);
  EXPECT_EQ(all->sessions[0].agent_id, "alice");

  auto rechecks = store_->QaSessions(true, 0, 0, "", 100);
  ASSERT_TRUE(rechecks.ok());
  EXPECT_EQ(Ids(*rechecks), (std::vector<core::SessionId>{5, 7}));

  // By close time: [closed 4, closed 7) holds 4 and 5.
  auto range = store_->QaSessions(false, kT0 + 4 * kHour, kT0 + 7 * kHour, "", 100);
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(Ids(*range), (std::vector<core::SessionId>{4, 5}));

  // One a page, following the cursor.
  std::vector<core::SessionId> paged;
  std::string cursor;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = store_->QaSessions(false, 0, 0, cursor, 1);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (core::SessionId id : Ids(*page)) {
      paged.push_back(id);
    }
    if (!page->more) {
      break;
    }
    cursor = page->next_cursor;
  }
  EXPECT_EQ(paged, (std::vector<core::SessionId>{2, 4, 5, 7}));

  EXPECT_EQ(store_->QaSessions(false, 0, 0, "zz", 10).status().code(), Code::kBadRequest);
  EXPECT_EQ(store_->QaSessions(false, 2000, 1000, "", 10).status().code(), Code::kBadRequest);
  EXPECT_EQ(store_->QaSessions(false, 0, 0, "", 0).status().code(), Code::kBadRequest);
}

TEST_F(SupervisionTest, ArrivalCountsAddUpAcrossCommitsAndRestarts) {
  auto commit = [&](std::vector<ArrivalCount> arrivals) {
    Mutations m;
    m.arrivals = std::move(arrivals);
    ASSERT_TRUE(store_->Commit(m).ok());
  };
  commit({{"pre-sale", kT0, 3}, {"post-sale", kT0, 1}});
  commit({{"pre-sale", kT0, 2}, {"pre-sale", kT0 + kHour, 7}});
  Reopen();
  commit({{"pre-sale", kT0, 1}, {"post-sale", kT0 + 2 * kHour, 4}});
  Reopen();

  auto all = store_->ArrivalCounts("", 0, 0, "", 100);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->hours, (std::vector<ArrivalsHour>{{"post-sale", kT0, 1},
                                                   {"pre-sale", kT0, 6},
                                                   {"pre-sale", kT0 + kHour, 7},
                                                   {"post-sale", kT0 + 2 * kHour, 4}}));
  EXPECT_FALSE(all->more);

  auto pre = store_->ArrivalCounts("pre-sale", 0, 0, "", 100);
  ASSERT_TRUE(pre.ok());
  EXPECT_EQ(pre->hours,
            (std::vector<ArrivalsHour>{{"pre-sale", kT0, 6}, {"pre-sale", kT0 + kHour, 7}}));

  // The hours that overlap [kT0 + 30 min, kT0 + 2h): the first two.
  auto range = store_->ArrivalCounts("", kT0 + kHour / 2, kT0 + 2 * kHour, "", 100);
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(range->hours.size(), 3u);
  EXPECT_EQ(range->hours.back(), (ArrivalsHour{"pre-sale", kT0 + kHour, 7}));

  // One a page.
  std::vector<ArrivalsHour> paged;
  std::string cursor;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = store_->ArrivalCounts("", 0, 0, cursor, 1);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    paged.insert(paged.end(), page->hours.begin(), page->hours.end());
    if (!page->more) {
      EXPECT_EQ(page->next_cursor, "");
      break;
    }
    cursor = page->next_cursor;
  }
  EXPECT_EQ(paged, all->hours);

  EXPECT_EQ(store_->ArrivalCounts("", 0, 0, "xyz", 10).status().code(), Code::kBadRequest);
  EXPECT_EQ(store_->ArrivalCounts("", 0, 0, "0011", 10).status().code(), Code::kBadRequest);
  EXPECT_EQ(store_->ArrivalCounts("", 5000, 10, "", 10).status().code(), Code::kBadRequest);
  auto none = store_->ArrivalCounts("billing", 0, 0, "", 10);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->hours.empty());
}

TEST(SupervisionKeys, RetentionExpiresQaKeysByCloseTimeAndCountsByHourEnd) {
  const TimePoint cutoff = kT0 + 10 * kHour;
  EXPECT_TRUE(Expired(keys::QaKey(keys::kQaPrefix, cutoff - 1, 7), "", cutoff));
  EXPECT_FALSE(Expired(keys::QaKey(keys::kQaPrefix, cutoff, 7), "", cutoff));
  EXPECT_TRUE(Expired(keys::QaKey(keys::kRecheckPrefix, cutoff - 1, 7), "", cutoff));
  EXPECT_FALSE(Expired(keys::QaKey(keys::kRecheckPrefix, cutoff + 1, 7), "", cutoff));
  // An hour goes once it has wholly ended before the cutoff.
  EXPECT_TRUE(Expired(keys::ArrivalsKey(cutoff - kHour, "q"), EncodeCount(3), cutoff));
  EXPECT_FALSE(Expired(keys::ArrivalsKey(cutoff - kHour + 1, "q"), EncodeCount(3), cutoff));
  EXPECT_FALSE(Expired(keys::ArrivalsKey(cutoff, "q"), EncodeCount(3), cutoff));
  // Malformed keys are kept (the readers report them).
  EXPECT_FALSE(Expired(std::string("Q") + "short", "", cutoff));
  EXPECT_FALSE(Expired("H1234", "", cutoff));
  EXPECT_EQ(keys::DescribeKey(keys::QaKey(keys::kQaPrefix, 5, 7)), "Q/5/7");
  EXPECT_EQ(keys::DescribeKey(keys::ArrivalsKey(kHour, "pre")), "H/3600000000/\"pre\"");
}

TEST_F(SupervisionTest, RetentionDropsQaKeysAndHourlyCountsWithTheSessions) {
  retention_ = 30 * kDay;
  Reopen();
  CommitClosedSessions();  // closed kT0 + 1h .. kT0 + 8h
  {
    Mutations m;  // merge operands in several batches and files
    m.arrivals = {{"default", kT0 + kHour, 2}, {"default", kT0 + 6 * kHour, 5}};
    ASSERT_TRUE(store_->Commit(m).ok());
  }
  ASSERT_TRUE(store_->CompactAll().ok());
  {
    Mutations m;
    m.arrivals = {{"default", kT0 + kHour, 1}, {"default", kT0 + 6 * kHour, 1}};
    ASSERT_TRUE(store_->Commit(m).ok());
  }
  // 30 days after the close of session 5: sessions 1..4 and hours before kT0 + 5h are gone.
  now_ = kT0 + 30 * kDay + 5 * kHour;
  ASSERT_TRUE(store_->CompactAll().ok());

  auto flagged = store_->QaSessions(false, 0, 0, "", 100);
  ASSERT_TRUE(flagged.ok());
  EXPECT_EQ(Ids(*flagged), (std::vector<core::SessionId>{5, 7}));
  auto counts = store_->ArrivalCounts("", 0, 0, "", 100);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->hours, (std::vector<ArrivalsHour>{{"default", kT0 + 6 * kHour, 6}}));
  store_.reset();

  // The keys themselves are gone, not only skipped by the readers.
  rocksdb::Options options;
  options.merge_operator = NewCountMergeOperator();
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::OpenForReadOnly(options, dir_.Sub("db"), &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::vector<std::string> left;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string key = it->key().ToString();
    if (key[0] == keys::kQaPrefix || key[0] == keys::kRecheckPrefix ||
        key[0] == keys::kArrivalsPrefix) {
      left.push_back(keys::DescribeKey(key));
    }
  }
  ASSERT_TRUE(it->status().ok()) << it->status().ToString();
  EXPECT_EQ(left, (std::vector<std::string>{"H/" + std::to_string(kT0 + 6 * kHour) + "/\"default\"",
                                            "Q/" + std::to_string(kT0 + 5 * kHour) + "/5",
                                            "Q/" + std::to_string(kT0 + 7 * kHour) + "/7",
                                            "R/" + std::to_string(kT0 + 5 * kHour) + "/5",
                                            "R/" + std::to_string(kT0 + 7 * kHour) + "/7"}));
}

}  // namespace
}  // namespace switchboard::store
