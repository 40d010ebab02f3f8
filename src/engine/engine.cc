#include "engine/engine.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "engine/admin.h"
#include "protocol/convert.h"

namespace switchboard::engine {
namespace {

using protocol::Str;

constexpr Micros kMaxPollWait = 100 * kMillis;
// How often the metrics walk every waiting contact and every agent, and read RocksDB.
constexpr Micros kSampleInterval = 1 * kSeconds;
// Room for everything of an envelope but its text: ids (bounded by max_id_bytes), numbers,
// the FlatBuffers tables, with margin.
constexpr size_t kEnvelopeRoom = 4096;
// How far fast mode moves id counters at start-up: more than one WAL sync interval could
// issue (about 1,000,000 deliveries a second at the most on today's hardware).
constexpr uint64_t kSessionIdGap = uint64_t{1} << 20;
constexpr uint64_t kDeliveryIdGap = uint64_t{1} << 24;

std::string PeerString(const zmq::message_t& m) {
  return std::string(static_cast<const char*>(m.data()), m.size());
}

std::span<const std::byte> Bytes(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

Engine::Engine(EngineConfig config, store::Store& store, metrics::BrokerMetrics* metrics,
               const Clock& clock)
    : config_(std::move(config)),
      store_(store),
      metrics_(metrics),
      clock_(clock),
      core_(config_.core) {
  limits_.max_id_bytes = config_.core.max_id_bytes;
  limits_.max_text_bytes = config_.core.max_text_bytes;
  stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  synced_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

Engine::~Engine() {
  {
    std::lock_guard<std::mutex> lock(sync_mu_);
    sync_stop_ = true;
  }
  sync_cv_.notify_all();
  if (sync_thread_.joinable()) {
    sync_thread_.join();
  }
  if (stop_fd_ >= 0) {
    close(stop_fd_);
  }
  if (synced_fd_ >= 0) {
    close(synced_fd_);
  }
}

Result<std::string> Engine::Start() {
  if (stop_fd_ < 0 || synced_fd_ < 0) {
    return Status(Code::kInternal, "cannot create the loop's eventfds");
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto recovered = store_.Recover();
  if (!recovered.ok()) {
    return recovered.status();
  }
  if (config_.background_wal_sync && recovered->counters != core::Counters{}) {
    // Fast mode: an OS crash can lose the last second of the WAL, counters included, while
    // ids issued in it were already sent. Move the counters past anything that second could
    // have issued, and make that durable before serving, so no id is ever issued twice.
    recovered->counters.next_session_id += kSessionIdGap;
    recovered->counters.next_delivery_id += kDeliveryIdGap;
    core::Mutations bump;
    bump.counters = recovered->counters;
    if (Status st = store_.Commit(bump); !st.ok()) {
      return st;
    }
    if (Status st = store_.SyncWal(); !st.ok()) {
      return st;
    }
  }
  counted_queue_seq_ = recovered->counters.next_queue_seq;
  const size_t sessions = recovered->open_sessions.size();
  const size_t outbox = recovered->outbox.size();
  if (recovered->deliveries_expired > 0) {
    std::fprintf(stderr,
                 "switchboard-broker: %llu undelivered messages are gone: their clients stayed "
                 "away longer than the retention period, which removed the transcript entries\n",
                 static_cast<unsigned long long>(recovered->deliveries_expired));
  }
  core_.Restore(std::move(recovered).value(), clock_.Now());
  const double took = Seconds(std::chrono::steady_clock::now() - t0);
  std::fprintf(stderr,
               "switchboard-broker: recovered %zu open sessions, %zu queued contacts and %zu "
               "undelivered messages in %.3f s\n",
               sessions, core_.queue_depth(), outbox, took);
  if (metrics_ != nullptr) {
    metrics_->recovery_seconds.Set(took);
  }
  transport::RouterOptions router_options;
  router_options.max_message_bytes = 2 * static_cast<int64_t>(config_.info.max_frame_bytes);
  router_ = std::make_unique<transport::RouterSocket>(context_, router_options);
  auto bound = router_->Bind(config_.bind);
  if (!bound.ok()) {
    return bound.status();
  }
  if (config_.background_wal_sync) {
    sync_thread_ = std::thread([this] { SyncLoop(); });
  } else {
    sync_thread_ = std::thread([this] { SyncOnDemand(); });
  }
  UpdateGauges();
  return bound;
}

void Engine::Stop() {
  stop_requested_.store(true);
  const uint64_t one = 1;
  ssize_t n = write(stop_fd_, &one, sizeof one);
  (void)n;
}

void Engine::RequestRoutingReload() {
  reload_requested_.store(true);
  const uint64_t one = 1;
  ssize_t n = write(stop_fd_, &one, sizeof one);
  (void)n;
}

Status Engine::ReloadRouting(TimePoint now) {
  if (!config_.load_routing) {
    return Status(Code::kBadRequest, "this broker has no routing file");
  }
  Result<core::routing::RoutingConfig> loaded = config_.load_routing();
  if (!loaded.ok()) {
    return loaded.status();
  }
  return core_.Reconfigure(std::move(loaded).value(), now);
}

// The sync thread's fsync, with sync_mu_ released around it; on failure records the error
// for the loop (sync_failed_) and returns false.
bool Engine::SyncOnce(std::unique_lock<std::mutex>& lock) {
  lock.unlock();
  Status st = store_.SyncWal();
  lock.lock();
  if (!st.ok()) {
    NoteSyncFailure(st);
  }
  return st.ok();
}

// Under sync_mu_: the loop returns StoreFailure at the end of its turn.
void Engine::NoteSyncFailure(const Status& st) {
  sync_error_ = st.ToString();
  sync_failed_.store(true);
}

void Engine::SyncLoop() {
  std::unique_lock<std::mutex> lock(sync_mu_);
  while (!sync_stop_) {
    sync_cv_.wait_for(lock, std::chrono::microseconds(config_.wal_sync_interval));
    if (sync_stop_ || !SyncOnce(lock)) {
      return;
    }
  }
}

void Engine::SyncOnDemand() {
  std::unique_lock<std::mutex> lock(sync_mu_);
  uint64_t done = 0;
  const uint64_t one = 1;
  for (;;) {
    sync_cv_.wait(lock, [&] { return sync_stop_ || sync_wanted_ > done; });
    if (sync_stop_) {
      break;
    }
    // Every turn up to `target` returned from its write before this point, so the fsync
    // below covers it.
    const uint64_t target = sync_wanted_;
    const bool ok = SyncOnce(lock);
    if (ok) {
      done = target;
      MarkSynced(target);
    }
    ssize_t n = write(synced_fd_, &one, sizeof one);  // wakes the loop, to send or to stop
    (void)n;
    if (!ok) {
      return;
    }
  }
}

// Under sync_mu_: the loop's own fsync may have gone further than the thread's.
void Engine::MarkSynced(uint64_t gen) {
  if (gen > synced_gen_.load(std::memory_order_relaxed)) {
    synced_gen_.store(gen, std::memory_order_release);
  }
}

void Engine::RequestSync() {
  {
    std::lock_guard<std::mutex> lock(sync_mu_);
    if (written_gen_ <= sync_wanted_) {
      return;
    }
    sync_wanted_ = written_gen_;
  }
  sync_cv_.notify_one();
}

void Engine::ReleaseSynced(bool all, TimePoint now) {
  const uint64_t synced = all ? written_gen_ : synced_gen_.load(std::memory_order_acquire);
  std::vector<std::string> failed;
  while (!held_.empty() && held_.front().gen <= synced) {
    for (const HeldFrame& f : held_.front().frames) {
      if (!f.client.empty() && link_of_client_[f.client] != f.link) {
        // Its link failed since (no gaps: nothing after a frame that could not be sent, in
        // this turn or a later one), or it signed in again (its outbox follows its Welcome).
        continue;
      }
      if (SendFrame(f.peer, Bytes(f.bytes), f.envelopes) != transport::SendResult::kSent &&
          !f.client.empty()) {
        ++link_of_client_[f.client];
        failed.push_back(f.client);
      }
    }
    held_.pop_front();
  }
  Disconnect(failed, now);
}

void Engine::Disconnect(const std::vector<std::string>& clients, TimePoint now) {
  for (const std::string& client : clients) {
    core_.OnDisconnect(client, now);
  }
  if (!clients.empty()) {
    output_pending_ = true;  // what the disconnects changed goes at the next turn, not in 100 ms
  }
}

Status Engine::Run() {
  zmq::message_t peer;
  zmq::message_t payload;
  TimePoint next_tick = clock_.Now();
  TimePoint drain_until = 0;  // set once a stop is asked for
  for (;;) {
    TimePoint now = clock_.Now();
    TimePoint deadline = std::min(next_tick, core_.NextDeadline());
    if (drain_until != 0) {
      deadline = std::min(deadline, drain_until);
    }
    const Micros wait =
        output_pending_ ? 0 : std::clamp<Micros>(deadline - now, 0, kMaxPollWait);
    output_pending_ = false;
    zmq::pollitem_t items[] = {
        {router_->socket().handle(), 0, ZMQ_POLLIN, 0},
        {nullptr, stop_fd_, ZMQ_POLLIN, 0},
        {nullptr, synced_fd_, ZMQ_POLLIN, 0},
    };
    try {
      zmq::poll(items, holding() ? 3 : 2,
                std::chrono::milliseconds((wait + kMillis - 1) / kMillis));
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) {
        return Status(Code::kInternal, std::string("poll failed: ") + e.what());
      }
    }
    if ((items[1].revents & ZMQ_POLLIN) != 0) {
      uint64_t signals = 0;
      ssize_t n = read(stop_fd_, &signals, sizeof signals);  // consume it, or poll spins
      (void)n;
      if (reload_requested_.exchange(false)) {
        Status reloaded = ReloadRouting(clock_.Now());
        if (reloaded.ok()) {
          std::fprintf(stderr, "switchboard-broker: routing reloaded\n");
        } else {
          std::fprintf(stderr, "switchboard-broker: routing not reloaded: %s\n",
                       reloaded.message().c_str());
        }
      }
      if (stop_requested_.load() && drain_until == 0) {
        // Drain: refuse new contacts and tell every client, then keep serving open sessions
        // (and taking acks) for the drain time, or until every client has gone.
        core_.StartDrain();
        drain_until = clock_.Now() + config_.drain_time;
      }
    }
    if (holding() && (items[2].revents & ZMQ_POLLIN) != 0) {
      uint64_t signals = 0;
      ssize_t n = read(synced_fd_, &signals, sizeof signals);
      (void)n;
    }
    const auto turn_start = std::chrono::steady_clock::now();
    now = clock_.Now();
    // Before this turn's input: a send that fails disconnects its client in the core, and
    // that change is this turn's to commit.
    ReleaseSynced(false, now);
    // Transcripts the core asked for last turn: committed by now, so the store has them all.
    for (core::SessionId id : pending_loads_) {
      auto entries = store_.Transcript(id);
      if (!entries.ok()) {
        return entries.status();
      }
      core_.LoadBacklog(id, std::move(entries).value());
    }
    pending_loads_.clear();
    int frames = 0;
    bool malformed = false;
    while (frames < config_.max_frames_per_turn && router_->TryReceive(peer, payload, malformed)) {
      ++frames;
      if (malformed) {
        const std::string p = PeerString(peer);
        DirectError(p, Code::kBadFrame, "a switchboard message is exactly one ZeroMQ frame", 0);
        EndConnection(p, now);
        continue;
      }
      HandleFrame(peer, payload, now);
    }
    if (now >= next_tick || now >= core_.NextDeadline()) {
      core_.OnTick(now);
      next_tick = now + kMaxPollWait;
    }
    core_.FinishTurn();
    if (Status st = Commit(); !st.ok()) {
      return st;
    }
    if (metrics_ != nullptr) {
      metrics_->Record(core_.output().events);  // committed: count them (cleared below)
    }
    pending_loads_.swap(core_.output().load_transcripts);
    SendOutput();
    if (frames > 0 && metrics_ != nullptr) {
      metrics_->frames_received.Increment(frames);
      metrics_->loop_turn_seconds.Observe(Seconds(std::chrono::steady_clock::now() - turn_start));
    }
    UpdateGauges();
    if (sync_failed_.load()) {
      std::lock_guard<std::mutex> lock(sync_mu_);
      return Status(Code::kStoreFailure, "background WAL sync failed: " + sync_error_);
    }
    if (drain_until != 0 && (now >= drain_until || core_.clients_connected() == 0)) {
      // Let the last frames leave before the socket closes.
      router_->socket().set(zmq::sockopt::linger, 1000);
      // A final WAL sync so that a clean stop loses nothing, even in fast mode; then what
      // waited for it can leave.
      Status synced = store_.SyncWal();
      if (synced.ok()) {
        ReleaseSynced(true, clock_.Now());
      }
      return synced;
    }
  }
}

void Engine::HandleFrame(const zmq::message_t& peer_msg, const zmq::message_t& payload,
                         TimePoint now) {
  const std::string peer = PeerString(peer_msg);
  auto frame = protocol::VerifyFrame(
      protocol::Aligned({static_cast<const std::byte*>(payload.data()), payload.size()},
                        align_scratch_),
      config_.info.max_frame_bytes);
  if (!frame.ok()) {
    DirectError(peer, frame.status().code(), frame.status().message(), 0);
    EndConnection(peer, now);
    return;
  }
  for (const wire::Envelope* env : *(*frame)->envelopes()) {
    HandleEnvelope(peer, *env, now);
  }
}

// A frame refused whole: the seqs inside it were not processed, so a signed-in client must
// say Hello again and re-send from its last acknowledged seq. Its connection ends here.
void Engine::EndConnection(const std::string& peer, TimePoint now) {
  if (auto bound = client_of_peer_.find(peer); bound != client_of_peer_.end()) {
    core_.OnDisconnect(bound->second, now);
  }
}

void Engine::HandleEnvelope(const std::string& peer, const wire::Envelope& env, TimePoint now) {
  if (metrics_ != nullptr) {
    metrics_->messages_received.Increment();
  }
  const wire::Body type = env.body_type();
  if (type == wire::Body::Hello) {
    HandleHello(peer, *env.body_as_Hello(), now);
    return;
  }
  auto bound = client_of_peer_.find(peer);
  if (bound == client_of_peer_.end() || !core_.IsConnected(bound->second)) {
    DirectError(peer, Code::kNotSignedIn, "send Hello first (or again: the broker restarted)",
                env.seq());
    return;
  }
  const std::string& client = bound->second;
  core_.OnActivity(client, now);
  const uint64_t seq = env.seq();
  switch (type) {
    case wire::Body::Heartbeat: {
      protocol::FrameBuilder b(64);
      protocol::EncodeHeartbeat(b, now);
      Direct(peer, b);
      return;
    }
    case wire::Body::Ack:
      core_.OnDeliveryAck(client, env.body_as_Ack()->up_to());
      return;
    case wire::Body::TranscriptRequest:
    case wire::Body::SessionsRequest:
    case wire::Body::QaSessionsRequest:
    case wire::Body::ArrivalsRequest: {
      // Reads committed data only: this turn's changes are not in the answer (admin.h).
      protocol::FrameBuilder b(16 * 1024);
      Status st =
          AnswerAdminRequest(env, role_of_client_[client], store_, config_.info.max_frame_bytes, b);
      if (!st.ok() && metrics_ != nullptr) {
        metrics_->CountRejection(st.code());
      }
      Direct(peer, b);
      return;
    }
    case wire::Body::ReloadRouting:
      HandleReloadRouting(peer, client, env);
      return;
    default:
      break;
  }
  if ((type == wire::Body::NONE || type > wire::Body::MAX) && seq == 0) {
    // A body this broker does not know, that wants no ack: answer it, record nothing.
    DirectError(peer, Code::kUnknownBody,
                "unknown body type " + std::to_string(static_cast<int>(type)), 0);
    return;
  }
  switch (core_.BeginEnvelope(client, seq)) {
    case core::Admission::kApply:
      break;
    case core::Admission::kDuplicate:
      if (metrics_ != nullptr) {
        metrics_->duplicates_dropped.Increment();
      }
      return;
    case core::Admission::kRejected:
      if (metrics_ != nullptr) {
        metrics_->CountRejection(Code::kBadRequest);
      }
      return;
  }
  Status st;
  switch (type) {
    case wire::Body::CustomerMessage: {
      auto msg = protocol::Decode(*env.body_as_CustomerMessage());
      if (!msg.ok()) {
        core_.Reject(client, seq, msg.status());
        st = msg.status();
        break;
      }
      st = core_.OnCustomerMessage(client, seq, std::move(*msg), now);
      break;
    }
    case wire::Body::Accept: {
      const auto* a = env.body_as_Accept();
      st = core_.OnAccept(client, seq, a->session_id(), a->attempt(), now);
      break;
    }
    case wire::Body::Reject: {
      const auto* r = env.body_as_Reject();
      st = core_.OnReject(client, seq, r->session_id(), r->attempt(), now);
      break;
    }
    case wire::Body::AgentMessage: {
      const auto* m = env.body_as_AgentMessage();
      st = core_.OnAgentMessage(client, seq, m->session_id(), Str(m->text()), now);
      break;
    }
    case wire::Body::Close: {
      const auto* c = env.body_as_Close();
      auto disposition = protocol::FromWire(c->disposition());
      if (!disposition.ok()) {
        core_.Reject(client, seq, disposition.status());
        st = disposition.status();
        break;
      }
      st = core_.OnClose(client, seq, c->session_id(), *disposition, now);
      break;
    }
    case wire::Body::Rating: {
      const auto* r = env.body_as_Rating();
      st = core_.OnRating(client, seq, r->session_id(), r->rating(), now);
      break;
    }
    case wire::Body::OrderReported: {
      const auto* o = env.body_as_OrderReported();
      st = core_.OnOrder(client, seq, Str(o->tenant()), Str(o->order_id()), o->count(), now);
      break;
    }
    case wire::Body::AgentUpdate:
      st = Apply<core::AgentUpdateIn>(client, seq, env.body_as_AgentUpdate(),
                                      &core::BrokerCore::OnAgentUpdate, now);
      break;
    case wire::Body::Presence:
      st = Apply<core::PresenceIn>(client, seq, env.body_as_Presence(),
                                   &core::BrokerCore::OnPresence, now);
      break;
    case wire::Body::Ready:
      st = Apply<core::ReadyIn>(client, seq, env.body_as_Ready(), &core::BrokerCore::OnReady, now);
      break;
    case wire::Body::Transfer:
      st = Apply<core::TransferIn>(client, seq, env.body_as_Transfer(),
                                   &core::BrokerCore::OnTransfer, now);
      break;
    case wire::Body::Escalate:
      st = Apply<core::EscalateIn>(client, seq, env.body_as_Escalate(),
                                   &core::BrokerCore::OnEscalate, now);
      break;
    case wire::Body::Handoff:
      st = Apply<core::HandoffIn>(client, seq, env.body_as_Handoff(), &core::BrokerCore::OnHandoff,
                                  now);
      break;
    case wire::Body::CustomerLeft:
      st = Apply<core::CustomerLeftIn>(client, seq, env.body_as_CustomerLeft(),
                                       &core::BrokerCore::OnCustomerLeft, now);
      break;
    case wire::Body::PositionRequest:
      st = Apply<core::PositionRequestIn>(client, seq, env.body_as_PositionRequest(),
                                          &core::BrokerCore::OnPositionRequest, now);
      break;
    case wire::Body::Welcome:
    case wire::Body::Error:
    case wire::Body::Offer:
    case wire::Body::Deliver:
    case wire::Body::TranscriptPage:
    case wire::Body::SessionsPage:
    case wire::Body::ArrivalsPage:
    case wire::Body::OfferWithdrawn:
    case wire::Body::PresenceChanged:
    case wire::Body::Position:
    case wire::Body::Overflowed:
    case wire::Body::RoutingReloaded:
      st = Status(Code::kWrongRole, "only the broker sends " +
                                        std::string(protocol::BodyName(type)));
      core_.Reject(client, seq, st);
      break;
    default:
      st = Status(Code::kUnknownBody,
                  "unknown body type " + std::to_string(static_cast<int>(type)));
      core_.Reject(client, seq, st);
      break;
  }
  if (!st.ok() && metrics_ != nullptr) {
    metrics_->CountRejection(st.code());
  }
}

template <typename In, typename Body, typename Handler>
Status Engine::Apply(const std::string& client, uint64_t seq, const Body* body, Handler handler,
                     TimePoint now) {
  Result<In> decoded = protocol::Decode(*body, limits_);
  if (!decoded.ok()) {
    core_.Reject(client, seq, decoded.status());
    return decoded.status();
  }
  return (core_.*handler)(client, seq, *decoded, now);
}

// An admin asks the broker to re-read its routing file: answered directly (seq 0, by
// request id), like the lookups of admin.h.
void Engine::HandleReloadRouting(const std::string& peer, const std::string& client,
                                 const wire::Envelope& env) {
  const uint64_t request_id = env.body_as_ReloadRouting()->request_id();
  Status st;
  if (role_of_client_[client] != core::Role::kAdmin) {
    st = Status(Code::kWrongRole,
                "only an admin client may reload the routing; this client "
                "signed in as " +
                    std::string(core::RoleName(role_of_client_[client])));
  } else if (env.seq() != 0) {
    st = Status(Code::kBadRequest,
                "admin requests are sent with seq 0, not " + std::to_string(env.seq()));
  } else {
    st = ReloadRouting(clock_.Now());  // the load error names the file, line and field
    if (st.ok()) {
      std::fprintf(stderr, "switchboard-broker: routing reloaded (admin '%s')\n", client.c_str());
    } else {
      std::fprintf(stderr, "switchboard-broker: routing not reloaded (admin '%s'): %s\n",
                   client.c_str(), st.message().c_str());
    }
  }
  protocol::FrameBuilder b(256 + st.message().size());
  if (st.ok()) {
    protocol::EncodeRoutingReloaded(b, request_id);
  } else {
    protocol::EncodeRequestError(b, request_id, st);
    if (metrics_ != nullptr) {
      metrics_->CountRejection(st.code());
    }
  }
  Direct(peer, b);
}

void Engine::HandleHello(const std::string& peer, const wire::Hello& hello, TimePoint now) {
  auto decoded = protocol::Decode(hello, limits_);
  Status st = decoded.ok() ? core_.OnHello(*decoded, now) : decoded.status();
  if (!st.ok()) {
    DirectError(peer, st.code(), st.message(), 0);
    return;
  }
  const std::string& client = decoded->client_id;
  if (auto old = peer_of_client_.find(client); old != peer_of_client_.end()) {
    client_of_peer_.erase(old->second);
  }
  if (auto old = client_of_peer_.find(peer); old != client_of_peer_.end() && old->second != client) {
    // The same socket signs in as another client: the first one is gone.
    core_.OnDisconnect(old->second, now);
    peer_of_client_.erase(old->second);
  }
  client_of_peer_[peer] = client;
  peer_of_client_[client] = peer;
  role_of_client_[client] = decoded->role;
  ++link_of_client_[client];  // sync mode: frames held for an earlier link are not sent
}

void Engine::DirectError(const std::string& peer, Code code, const std::string& reason,
                         uint64_t ref_seq) {
  if (metrics_ != nullptr) {
    metrics_->CountRejection(code);
  }
  protocol::FrameBuilder b(256 + reason.size());
  protocol::EncodeError(b, code, reason, ref_seq);
  Direct(peer, b);
}

void Engine::Direct(const std::string& peer, protocol::FrameBuilder& b) {
  auto bytes = b.Finish();
  direct_.emplace_back(peer, std::string(reinterpret_cast<const char*>(bytes.data()),
                                         bytes.size()));
}

Status Engine::Commit() {
  core::TurnOutput& out = core_.output();
  if (out.mutations.empty()) {
    return Status::Ok();
  }
  AddTurnRecords(&out.mutations, counted_queue_seq_, config_.qa);
  const auto t0 = std::chrono::steady_clock::now();
  store::CommitStats stats;
  Status st = store_.Commit(out.mutations, &stats, /*defer_sync=*/holding());
  if (!st.ok()) {
    return st;
  }
  ++written_gen_;
  if (out.mutations.counters.has_value()) {
    counted_queue_seq_ = out.mutations.counters->next_queue_seq;
  }
  if (metrics_ != nullptr) {
    metrics_->store_commit_seconds.Observe(Seconds(std::chrono::steady_clock::now() - t0));
    metrics_->store_batch_records.Observe(stats.records);
  }
  return Status::Ok();
}

transport::SendResult Engine::SendFrame(const std::string& peer,
                                        std::span<const std::byte> bytes, size_t envelopes) {
  const auto result = router_->Send(Bytes(peer), bytes);
  if (metrics_ == nullptr) {
    return result;
  }
  switch (result) {
    case transport::SendResult::kSent:
      metrics_->frames_sent.Increment();
      metrics_->messages_sent.Increment(static_cast<double>(envelopes));
      break;
    case transport::SendResult::kWouldBlock:
      metrics_->sends_would_block.Increment();
      break;
    case transport::SendResult::kUnreachable:
      metrics_->sends_unreachable.Increment();
      break;
  }
  return result;
}

bool Engine::Emit(const std::string& peer, const std::string& client,
                  std::span<const std::byte> bytes, size_t envelopes) {
  if (!holding()) {
    return SendFrame(peer, bytes, envelopes) == transport::SendResult::kSent;
  }
  turn_frames_.push_back(HeldFrame{
      peer, client, client.empty() ? 0 : link_of_client_[client],
      std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()), envelopes});
  return true;
}

void Engine::SendOutput() {
  for (const auto& [peer, bytes] : direct_) {
    Emit(peer, std::string(), Bytes(bytes), 1);
  }
  direct_.clear();
  core::TurnOutput& out = core_.output();
  // Group by client, keeping each client's order; one frame per client (or several, if
  // one would pass the frame size limit). Indices are grouped, the bodies stay in place.
  group_of_client_.clear();
  size_t groups = 0;
  for (uint32_t k = 0; k < out.outgoing.size(); ++k) {
    auto [g, added] = group_of_client_.try_emplace(out.outgoing[k].client_id, groups);
    if (added) {
      if (groups == send_groups_.size()) {
        send_groups_.emplace_back();
      }
      send_groups_[groups++].clear();
    }
    send_groups_[g->second].push_back(k);
  }
  // Start a new frame once this one is so full that the next envelope (at most a text and
  // its bounded ids) might not fit under the limit clients enforce.
  const size_t limit = config_.info.max_frame_bytes > config_.info.max_text_bytes + kEnvelopeRoom
                           ? config_.info.max_frame_bytes - config_.info.max_text_bytes -
                                 kEnvelopeRoom
                           : 0;
  // Clients a frame could not be sent to. Nothing more goes to them: a client must never see
  // a gap in its deliveries (its acks are cumulative). They are disconnected below; their
  // deliveries stay in the outbox and are re-sent in order after their next Hello.
  std::vector<std::string> failed;
  for (size_t g = 0; g < groups; ++g) {
    const std::vector<uint32_t>& members = send_groups_[g];
    const std::string& client = out.outgoing[members.front()].client_id;
    auto peer = peer_of_client_.find(client);
    if (peer == peer_of_client_.end()) {
      continue;
    }
    for (size_t m = 0; m < members.size(); ++m) {
      protocol::Encode(out_frame_, config_.info, out.outgoing[members[m]].body);
      if (m + 1 == members.size() || out_frame_.size() > limit) {
        const size_t n = out_frame_.count();
        const bool ok = Emit(peer->second, client, out_frame_.Finish(), n);
        out_frame_.Reset();
        if (!ok) {
          failed.push_back(client);
          break;
        }
      }
    }
    out_frame_.Reset();
  }
  group_of_client_.clear();  // its keys view this turn's outgoing, cleared next
  out.Clear();
  const TimePoint now = clock_.Now();
  Disconnect(failed, now);
  if (holding()) {
    HoldTurn(now);
  }
}

// Sync mode: the turn's frames wait for the fsync of its write (or of the last write before
// it, if it wrote nothing: no frame overtakes an earlier one).
void Engine::HoldTurn(TimePoint now) {
  if (!turn_frames_.empty()) {
    held_.push_back(HeldTurn{written_gen_, std::move(turn_frames_)});
    turn_frames_.clear();
  }
  const bool behind = written_gen_ > synced_gen_.load(std::memory_order_acquire);
  if (behind && (router_->socket().get(zmq::sockopt::events) & ZMQ_POLLIN) == 0) {
    // Nothing waits to be read, so there is no input to overlap the fsync with: do it here
    // and save the hand-over to the sync thread and back (paced loads).
    Status st = store_.SyncWal();
    std::lock_guard<std::mutex> lock(sync_mu_);
    if (st.ok()) {
      MarkSynced(written_gen_);
    } else {
      NoteSyncFailure(st);
    }
  } else if (behind) {
    RequestSync();
  }
  ReleaseSynced(false, now);
}

void Engine::UpdateGauges() {
  if (metrics_ == nullptr) {
    return;
  }
  const TimePoint now = clock_.Now();
  const Micros elapsed = gauges_at_ == 0 ? 0 : std::max<Micros>(now - gauges_at_, 0);
  gauges_at_ = now;
  // Walks of every waiting contact, every agent and RocksDB's properties: once a second.
  const bool sample = now - sampled_at_ >= kSampleInterval;
  metrics_->SetQueues(core_.Queues(now, sample), sample);
  metrics_->sessions_open.Set(static_cast<double>(core_.sessions_open()));
  metrics_->agents_signed_in.Set(static_cast<double>(core_.agents_signed_in()));
  metrics_->outbox_deliveries.Set(static_cast<double>(core_.outbox_size()));
  metrics_->SetClients({core_.clients_connected(core::Role::kAdapter),
                        core_.clients_connected(core::Role::kWorker),
                        core_.clients_connected(core::Role::kService),
                        core_.clients_connected(core::Role::kAdmin)});
  metrics_->credit_withheld.Set(core_.credit_withheld() ? 1 : 0);
  if (core_.credit_withheld()) {
    metrics_->credit_withheld_seconds.Increment(static_cast<double>(elapsed) / kSeconds);
  }
  metrics_->held_messages.Set(static_cast<double>(core_.held_messages()));
  if (const uint64_t r = core_.routing().repairs(); r > repairs_counted_) {
    metrics_->routing_repairs.Increment(static_cast<double>(r - repairs_counted_));
    repairs_counted_ = r;
  }
  if (const uint64_t r = core_.redeliveries(); r > redeliveries_counted_) {
    metrics_->redeliveries.Increment(static_cast<double>(r - redeliveries_counted_));
    redeliveries_counted_ = r;
  }
  if (!sample) {
    return;
  }
  metrics_->SetAgents(core_.AgentsByGroup(), sampled_at_ == 0 ? 0 : now - sampled_at_);
  sampled_at_ = now;
  const store::DbStats db = store_.Stats();
  metrics_->rocksdb_delayed_write_rate.Set(static_cast<double>(db.delayed_write_rate));
  metrics_->rocksdb_write_stopped.Set(db.write_stopped ? 1 : 0);
  metrics_->rocksdb_running_compactions.Set(static_cast<double>(db.running_compactions));
  metrics_->rocksdb_running_flushes.Set(static_cast<double>(db.running_flushes));
  metrics_->rocksdb_compaction_pending.Set(db.compaction_pending ? 1 : 0);
  metrics_->rocksdb_pending_compaction_bytes.Set(static_cast<double>(db.pending_compaction_bytes));
  metrics_->rocksdb_memtable_bytes.Set(static_cast<double>(db.memtable_bytes));
  if (db.stall_micros > stall_micros_counted_) {
    metrics_->rocksdb_stall_seconds.Increment(
        static_cast<double>(db.stall_micros - stall_micros_counted_) / kSeconds);
    stall_micros_counted_ = db.stall_micros;
  }
}

}  // namespace switchboard::engine
