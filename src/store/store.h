// Store: switchboard's durable state in RocksDB (sessions, transcripts, outbox, client
// marks, counters, the indexes of sessions by customer, by agent and of those sampled for
// quality inspection, and hourly arrival counts per queue). Key layout and
// record format: docs/architecture.md, "Store". The outbox has its own column family
// (kOutboxColumnFamily, small vector memtables); one write batch spans both, so a turn's commit
// stays atomic.
//
// Retention: transcript entries and closed sessions older than Options::retention are
// dropped by a compaction filter (retention.h), in RocksDB's background compactions, never
// in the loop.
//
// Thread rules: Commit and the readers are called from the broker's loop thread only,
// except SyncWal, which a background thread may call concurrently (RocksDB allows it).
// After any failed Commit or SyncWal the store is failed for good (sticky): every later
// Commit returns kStoreFailure; the broker stops acknowledging and exits for a restart.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "core/model.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class Env;
class Statistics;
}  // namespace rocksdb

namespace switchboard::store {

class AckedDeliveries;  // store/retention.h

enum class Durability {
  // Acknowledged once in the WAL (in the OS page cache); the WAL is fsynced by SyncWal,
  // which the broker calls in the background at least once a second.
  kFast,
  // Commit fsyncs the WAL before it returns (one fsync per commit), unless the caller defers
  // the fsync to its own SyncWal (Commit's `defer_sync`).
  kSync,
};

constexpr Micros kDefaultRetention = int64_t{30} * 24 * 3600 * kSeconds;

struct Options {
  Durability durability = Durability::kFast;
  // For tests: a RocksDB Env to run on (e.g. one wrapping a FileSystemWrapper that injects
  // faults). Not owned; must outlive the Store. nullptr: the default Env.
  rocksdb::Env* env = nullptr;
  // How long history is kept, in microseconds; 0 keeps everything forever. Default 30 days.
  // Compaction drops transcript entries whose `at` is older than now - retention, closed
  // sessions whose closed_at is, index keys of either, and hourly arrival counts of hours that
  // ended before then. Never the open set, the outbox,
  // client marks, counters, nor the record of an open session. A transcript entry cannot tell
  // whether its session is still open: a session open for longer than the retention (rare:
  // sessions close in minutes to days) loses its oldest entries. Expired data goes with the
  // compactions that reach it; every file is compacted at least daily (or every `retention`,
  // if shorter, but not more often than hourly), so it is gone within about a day of expiry.
  Micros retention = kDefaultRetention;
  // The wall clock retention measures against, in microseconds since the Unix epoch. Called
  // on RocksDB's compaction threads: must be thread-safe. Empty: the system clock. For tests.
  std::function<TimePoint()> now_us;
};

// A page of sessions from an index, oldest first.
struct SessionPage {
  std::vector<core::Session> sessions;
  // With more: where the next page starts (opaque; pass it back as `cursor`). Else empty.
  std::string next_cursor;
  bool more = false;
};

// A page of a session's transcript, in index order.
struct TranscriptPage {
  std::vector<core::TranscriptEntry> entries;
  uint32_t next_index = 0;  // the after_index of the next page: last index + 1
  bool more = false;        // more entries exist after this page
};

// One hour's count of contacts that entered a queue.
struct ArrivalsHour {
  std::string queue;
  TimePoint hour = 0;  // the hour's start, microseconds since the Unix epoch
  uint64_t count = 0;

  bool operator==(const ArrivalsHour&) const = default;
};

// A page of hourly arrival counts, by hour then queue.
struct ArrivalsPage {
  std::vector<ArrivalsHour> hours;
  std::string next_cursor;  // as SessionPage
  bool more = false;
};

// Size of one Commit's write batch, for metrics.
struct CommitStats {
  uint64_t bytes = 0;    // the batch's data size (keys, values and RocksDB's framing)
  uint32_t records = 0;  // puts and deletes in the batch
};

// RocksDB's own figures of write stalls and compactions, for metrics (DbStats).
struct DbStats {
  uint64_t delayed_write_rate = 0;  // rocksdb.actual-delayed-write-rate, bytes/s; 0: no delay
  bool write_stopped = false;       // rocksdb.is-write-stopped
  uint64_t running_compactions = 0;       // rocksdb.num-running-compactions
  uint64_t running_flushes = 0;           // rocksdb.num-running-flushes
  bool compaction_pending = false;        // rocksdb.compaction-pending
  uint64_t pending_compaction_bytes = 0;  // rocksdb.estimate-pending-compaction-bytes
  uint64_t memtable_bytes = 0;            // rocksdb.cur-size-all-mem-tables
  uint64_t stall_micros = 0;  // the STALL_MICROS statistic since the store opened
};

// The RocksDB column family that holds the outbox (`d` records); everything else is in the
// default one. Deliveries written before it existed stay readable in the default family.
inline constexpr std::string_view kOutboxColumnFamily = "outbox";

class Store {
 public:
  // Opens (creating it and its parents if needed) the store in `dir`. Fails with
  // kStoreFailure and a message naming the directory and the reason if it cannot be opened,
  // e.g. because another broker (or another Store in this process) holds its lock.
  static Result<std::unique_ptr<Store>> Open(const std::string& dir, const Options& options);

  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Writes all of `m` in one atomic RocksDB write batch; with kSync, fsynced before it
  // returns. An empty `m` writes nothing and succeeds. Sessions in state kOffered are stored
  // as kQueued. Within the batch, `delivered` is applied after `deliveries`, so an id in both
  // ends up removed. Fails with kStoreFailure (RocksDB's reason) if the write fails, and then
  // the store turns failed; on a failed store it writes nothing and fails. `stats`, if given,
  // receives the batch's data size and its number of puts and deletes (zeros if nothing was
  // written). With each session it puts one index key, or two: the customer's while the
  // session is not active, the agent's while one holds it, both (with closed_at) once closed.
  // Each of m.qa_flags puts a `Q` key (and an `R` key for a re-check); each of m.arrivals adds
  // its count to the hour's stored count. A message delivery names its transcript entry
  // instead of copying it (the entry must be in the session's transcript: appended in this
  // batch or before). Once committed, each mark's acked_delivery lets flushes and compactions
  // drop that client's delivery records at or below it (retention.h).
  // `defer_sync`: in kSync, write without the fsync; the caller calls SyncWal before
  // anything that depends on this commit leaves the process (the broker's sync mode does,
  // and so group-commits across loop turns).
  Status Commit(const core::Mutations& m, CommitStats* stats = nullptr, bool defer_sync = false);

  // fsyncs the WAL (fast mode's background sync). Safe to call from another thread, also
  // concurrently with Commit. Fails with kStoreFailure if the sync fails (then the store turns
  // failed) or if the store has already failed.
  Status SyncWal();

  // Loads what the broker needs to resume; cost is proportional to open sessions, their
  // waiting transcripts and the outbox, not to history. Reads one consistent snapshot.
  // Counters are raised, if needed, above every id and queue_seq it loads (and above the
  // highest stored session id). Fails with kStoreFailure on a read error or a corrupt or
  // inconsistent record (e.g. an open-session key without its session record); the message
  // names the key. Read failures do not turn the store failed. The outbox leaves out
  // deliveries at or below their client's acked_delivery mark, and counts in
  // deliveries_expired those whose transcript entry retention removed.
  Result<core::RecoveredState> Recover();

  // Reads for lookups and tests; kStoreFailure as Recover on a read error or corrupt record.
  // GetSession: nullopt if the session was never stored. Transcript: every entry of the
  // session in index order, empty if none.
  Result<std::optional<core::Session>> GetSession(core::SessionId id);
  Result<std::vector<core::TranscriptEntry>> Transcript(core::SessionId id);

  // Admin lookups; each reads one consistent snapshot of what was committed. A page holds at
  // most `limit` items, and stops before its items' estimated encoded size passes `max_bytes`
  // (it always holds at least one item, if any is left). Fail with kBadRequest for limit 0,
  // a malformed cursor or to_us in (0, from_us), and kStoreFailure as Recover on a read error
  // or corrupt record.
  //
  // Sessions of a customer of a tenant with created_at in [from_us, to_us), or that an agent
  // accepted with answered_at in [from_us, to_us) (also sessions later moved to another agent,
  // which then show that agent), ordered by that time then session id. to_us <= 0: no end.
  // `cursor`: empty, or a previous page's next_cursor (for the same query).
  Result<SessionPage> SessionsOfCustomer(std::string_view tenant, std::string_view customer_id,
                                         TimePoint from_us, TimePoint to_us,
                                         std::string_view cursor, uint32_t limit,
                                         size_t max_bytes = SIZE_MAX);
  Result<SessionPage> SessionsOfAgent(std::string_view agent_id, TimePoint from_us, TimePoint to_us,
                                      std::string_view cursor, uint32_t limit,
                                      size_t max_bytes = SIZE_MAX);
  // The entries of session `id` with index >= after_index. Fails with kUnknownSession if the
  // session has no record (never stored, or expired).
  Result<TranscriptPage> GetTranscriptPage(core::SessionId id, uint32_t after_index, uint32_t limit,
                                           size_t max_bytes = SIZE_MAX);

  // The closed sessions sampled for quality inspection (with `recheck`: only those picked for
  // a re-check) whose closed_at is in [from_us, to_us), by close time then session id; as
  // SessionsOfCustomer otherwise (cursor, limits, failures). Sessions whose record expired are
  // skipped.
  Result<SessionPage> QaSessions(bool recheck, TimePoint from_us, TimePoint to_us,
                                 std::string_view cursor, uint32_t limit,
                                 size_t max_bytes = SIZE_MAX);
  // The hourly arrival counts of `queue` (empty: every queue) for the hours that overlap
  // [from_us, to_us) (to_us <= 0: no end), by hour then queue; hours without arrivals are
  // absent. `cursor`, `limit` and `max_bytes` as SessionsOfCustomer; fails as it does.
  Result<ArrivalsPage> ArrivalCounts(std::string_view queue, TimePoint from_us, TimePoint to_us,
                                     std::string_view cursor, uint32_t limit,
                                     size_t max_bytes = SIZE_MAX);

  // For tests: flushes and compacts the whole key range down to the last level, so that the
  // retention filter sees every record. Fails with kStoreFailure (RocksDB's reason).
  Status CompactAll();

  bool failed() const { return failed_.load(std::memory_order_relaxed); }

  // RocksDB's stall and compaction figures. Reads in-memory properties only (a few
  // microseconds); safe from any thread. A property RocksDB cannot give reads 0.
  DbStats Stats() const;

 private:
  Store() = default;
  // Turns the store failed (keeping the first reason) and returns kStoreFailure "what: detail".
  Status Fail(const std::string& what, const std::string& detail);
  // kStoreFailure for a call on a store that has already failed, naming the first reason.
  Status FailedEarlier() const;
  Result<SessionPage> ReadIndexPage(const std::string& prefix, TimePoint from_us, TimePoint to_us,
                                    std::string_view cursor, uint32_t limit, size_t max_bytes);

  std::unique_ptr<rocksdb::DB> db_;
  std::shared_ptr<AckedDeliveries> acked_;  // shared with the flush and compaction filter
  rocksdb::ColumnFamilyHandle* outbox_ = nullptr;  // the `d` records (kOutboxColumnFamily)
  std::shared_ptr<rocksdb::Statistics> statistics_;  // tickers, for Stats()
  Options options_;
  std::atomic<bool> failed_{false};
  // Only touched on the failure path: Commit and SyncWal may fail on different threads.
  mutable std::mutex failure_mu_;
  std::string first_failure_;  // guarded by failure_mu_
};

}  // namespace switchboard::store
