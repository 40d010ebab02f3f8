// Store: switchboard's durable state in RocksDB (sessions, transcripts, outbox, client
// marks, counters). Key layout and record format: docs/architecture.md, "Store".
//
// Thread rules: Commit and the readers are called from the broker's loop thread only,
// except SyncWal, which a background thread may call concurrently (RocksDB allows it).
// After any failed Commit or SyncWal the store is failed for good (sticky): every later
// Commit returns kStoreFailure; the broker stops acknowledging and exits for a restart.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "core/model.h"

namespace rocksdb {
class DB;
class Env;
}  // namespace rocksdb

namespace switchboard::store {

enum class Durability {
  // Acknowledged once in the WAL (in the OS page cache); the WAL is fsynced by SyncWal,
  // which the broker calls in the background at least once a second.
  kFast,
  // Commit fsyncs the WAL before it returns (one fsync per commit: group commit by turn).
  kSync,
};

struct Options {
  Durability durability = Durability::kFast;
  // For tests: a RocksDB Env to run on (e.g. one wrapping a FileSystemWrapper that injects
  // faults). Not owned; must outlive the Store. nullptr: the default Env.
  rocksdb::Env* env = nullptr;
};

// Size of one Commit's write batch, for metrics.
struct CommitStats {
  uint64_t bytes = 0;    // the batch's data size (keys, values and RocksDB's framing)
  uint32_t records = 0;  // puts and deletes in the batch
};

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
  // written).
  Status Commit(const core::Mutations& m, CommitStats* stats = nullptr);

  // fsyncs the WAL (fast mode's background sync). Safe to call from another thread, also
  // concurrently with Commit. Fails with kStoreFailure if the sync fails (then the store turns
  // failed) or if the store has already failed.
  Status SyncWal();

  // Loads what the broker needs to resume; cost is proportional to open sessions, their
  // waiting transcripts and the outbox, not to history. Reads one consistent snapshot.
  // Counters are raised, if needed, above every id and queue_seq it loads (and above the
  // highest stored session id). Fails with kStoreFailure on a read error or a corrupt or
  // inconsistent record (e.g. an open-session key without its session record); the message
  // names the key. Read failures do not turn the store failed.
  Result<core::RecoveredState> Recover();

  // Reads for lookups and tests; kStoreFailure as Recover on a read error or corrupt record.
  // GetSession: nullopt if the session was never stored. Transcript: every entry of the
  // session in index order, empty if none.
  Result<std::optional<core::Session>> GetSession(core::SessionId id);
  Result<std::vector<core::TranscriptEntry>> Transcript(core::SessionId id);

  bool failed() const { return failed_.load(std::memory_order_relaxed); }

 private:
  Store() = default;
  // Turns the store failed (keeping the first reason) and returns kStoreFailure "what: detail".
  Status Fail(const std::string& what, const std::string& detail);
  // kStoreFailure for a call on a store that has already failed, naming the first reason.
  Status FailedEarlier() const;

  std::unique_ptr<rocksdb::DB> db_;
  Options options_;
  std::atomic<bool> failed_{false};
  // Only touched on the failure path: Commit and SyncWal may fail on different threads.
  mutable std::mutex failure_mu_;
  std::string first_failure_;  // guarded by failure_mu_
};

}  // namespace switchboard::store
