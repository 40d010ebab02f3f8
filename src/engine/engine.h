// Engine: one broker loop. Each turn polls the ROUTER socket, drains a bounded number of
// frames without blocking, verifies and applies them to the core, commits the turn's
// mutations to the store in one write batch, and only then sends acks, deliveries and
// offers (durable before acknowledged). In sync mode a turn's frames wait until the WAL is
// fsynced past its write; the fsync runs on a second thread while the loop takes the next
// turns' input, so one fsync covers every turn written while the one before ran.
//
// Thread rules: Run() owns the socket, the core and the store's write path on the calling
// thread. A background thread fsyncs the WAL (fast mode: every wal_sync_interval; sync mode:
// as soon as a turn waits for it). Stop() may be called from any thread (it only writes to an
// eventfd the loop polls).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <zmq.hpp>

#include "common/clock.h"
#include "common/status.h"
#include "core/broker_core.h"
#include "engine/turn_records.h"
#include "metrics/broker_metrics.h"
#include "protocol/codec.h"
#include "protocol/frame.h"
#include "store/store.h"
#include "transport/router_socket.h"

namespace switchboard::engine {

struct EngineConfig {
  std::string bind = "tcp://127.0.0.1:5570";
  core::CoreConfig core;
  protocol::BrokerInfo info;           // version and limits told to clients in Welcome
  int max_frames_per_turn = 1024;      // frames drained before the turn commits
  Micros wal_sync_interval = 1 * kSeconds;  // fast mode: the WAL is fsynced this often
  bool background_wal_sync = true;     // false in sync mode (every commit fsyncs)
  Micros drain_time = 1 * kSeconds;    // after a stop: serve open sessions this long, then exit
  // Reads the routing file again (SIGHUP, or an admin's ReloadRouting), on the loop thread;
  // absent: the broker has no routing file.
  std::function<Result<core::routing::RoutingConfig>()> load_routing;
  QaRates qa;                          // quality-inspection sampling of closed sessions
};

class Engine {
 public:
  // `store` and `metrics` (may be null) must outlive the Engine.
  Engine(EngineConfig config, store::Store& store, metrics::BrokerMetrics* metrics,
         const Clock& clock);
  ~Engine();

  // Recovers the state from the store and binds the socket. Returns the bound endpoint.
  Result<std::string> Start();
  // Runs until Stop() and the drain after it (returns Ok), or a store failure (returns
  // kStoreFailure: the broker must exit without acknowledging anything more). The drain
  // refuses new contacts with ShuttingDown, tells every client, and keeps serving open
  // sessions for drain_time or until no client is connected.
  Status Run();
  // Asks Run to drain and return. Async-signal-safe.
  void Stop();
  // Asks Run to re-read the routing file (load_routing) at its next turn and apply it; a file
  // with an error is reported on stderr and the routing in force stays. Async-signal-safe.
  void RequestRoutingReload();

  const core::BrokerCore& core() const { return core_; }

 private:
  void HandleFrame(const zmq::message_t& peer, const zmq::message_t& payload, TimePoint now);
  void HandleEnvelope(const std::string& peer, const wire::Envelope& env, TimePoint now);
  void EndConnection(const std::string& peer, TimePoint now);
  void HandleHello(const std::string& peer, const wire::Hello& hello, TimePoint now);
  void HandleReloadRouting(const std::string& peer, const std::string& client,
                           const wire::Envelope& env);
  // Decodes a routing body and hands it to its core handler (a decoding failure is rejected).
  template <typename In, typename Body, typename Handler>
  Status Apply(const std::string& client, uint64_t seq, const Body* body, Handler handler,
               TimePoint now);
  void DirectError(const std::string& peer, Code code, const std::string& reason,
                   uint64_t ref_seq);
  Status Commit();
  void SendOutput();
  transport::SendResult SendFrame(const std::string& peer, std::span<const std::byte> bytes,
                                  size_t envelopes);
  void Direct(const std::string& peer, protocol::FrameBuilder& b);
  void UpdateGauges();
  // Loads the routing file and applies it to the core; the error (line and field) if either
  // fails, and the routing in force stays.
  Status ReloadRouting(TimePoint now);
  void SyncLoop();
  bool SyncOnce(std::unique_lock<std::mutex>& lock);
  // Sync mode: the sync thread's loop, and the loop's side of it.
  void SyncOnDemand();
  void RequestSync();
  void MarkSynced(uint64_t gen);
  void NoteSyncFailure(const Status& st);
  // Holds this turn's frames (sync mode) and fsyncs inline or asks the sync thread.
  void HoldTurn(TimePoint now);
  // Disconnects, in the core, clients a frame could not be sent to.
  void Disconnect(const std::vector<std::string>& clients, TimePoint now);
  // Sends the held turns the last fsync covered (all of them with `all`, after a final sync).
  void ReleaseSynced(bool all, TimePoint now);
  // A frame of this turn's output: sent now (fast mode) or held until its fsync (sync mode).
  // False if it could not be sent.
  bool Emit(const std::string& peer, const std::string& client, std::span<const std::byte> bytes,
            size_t envelopes);
  bool holding() const { return !config_.background_wal_sync; }

  EngineConfig config_;
  store::Store& store_;
  metrics::BrokerMetrics* metrics_;
  const Clock& clock_;
  // The core's next_queue_seq as of the last commit: contact numbers at or above it are new.
  uint64_t counted_queue_seq_ = 1;
  core::BrokerCore core_;
  protocol::DecodeLimits limits_;

  zmq::context_t context_{1};
  std::unique_ptr<transport::RouterSocket> router_;
  int stop_fd_ = -1;  // wakes the loop for Stop and RequestRoutingReload
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> reload_requested_{false};

  std::unordered_map<std::string, std::string> client_of_peer_;  // routing id -> client id
  std::unordered_map<std::string, std::string> peer_of_client_;  // client id -> routing id
  std::unordered_map<std::string, core::Role> role_of_client_;   // from its last Hello
  // Sync mode: a client's link number, moved on at each Hello and at each failed send. A held
  // frame goes only over the link it was built for: after a failed send nothing more of that
  // link may go (a client must never see a gap in its delivery ids), and a new sign-in gets
  // its outbox after its Welcome instead.
  std::unordered_map<std::string, uint64_t> link_of_client_;
  // The core has output the loop must not leave waiting in poll (a send failed after the
  // turn, and the core disconnected the client): the next poll does not block.
  bool output_pending_ = false;
  // Replies that bypass the core (errors to unbound peers, heartbeats), sent after commit.
  std::vector<std::pair<std::string, std::string>> direct_;  // (routing id, frame bytes)
  protocol::FrameBuilder out_frame_;
  // SendOutput's grouping of a turn's outgoing by client (reused, to spare allocations).
  std::unordered_map<std::string_view, size_t> group_of_client_;
  std::vector<std::vector<uint32_t>> send_groups_;
  std::vector<uint64_t> align_scratch_;  // for frames ZeroMQ hands over misaligned
  std::vector<core::SessionId> pending_loads_;  // transcripts to read at the next turn
  // Metrics bookkeeping (loop thread): when gauges were last set and sampled, and what of
  // the core's and RocksDB's running totals was already counted.
  TimePoint gauges_at_ = 0;
  TimePoint sampled_at_ = 0;
  uint64_t redeliveries_counted_ = 0;
  uint64_t repairs_counted_ = 0;  // routing repairs already counted
  uint64_t stall_micros_counted_ = 0;

  std::thread sync_thread_;
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  bool sync_stop_ = false;                 // guarded by sync_mu_
  std::atomic<bool> sync_failed_{false};
  std::string sync_error_;                 // guarded by sync_mu_

  // Sync mode. A turn that wrote gets the next generation; its frames (and those of later
  // turns, which must not overtake them) wait in held_ until synced_gen_ reaches theirs.
  struct HeldFrame {
    std::string peer;    // routing id at the end of the turn
    std::string client;  // empty: a reply to the peer itself (errors, heartbeats)
    uint64_t link = 0;   // the client's link_of_client_ at the end of the turn
    std::string bytes;
    size_t envelopes = 0;
  };
  struct HeldTurn {
    uint64_t gen = 0;
    std::vector<HeldFrame> frames;
  };
  std::deque<HeldTurn> held_;
  std::vector<HeldFrame> turn_frames_;  // the turn being built
  uint64_t written_gen_ = 0;            // loop thread: turns written to the WAL
  uint64_t sync_wanted_ = 0;            // guarded by sync_mu_: fsync up to this generation
  std::atomic<uint64_t> synced_gen_{0};
  int synced_fd_ = -1;  // the sync thread wakes the loop through it after each fsync
};

}  // namespace switchboard::engine
