#include "core/broker_core.h"

#include <algorithm>

#include "common/check.h"

namespace switchboard::core {
namespace {

constexpr size_t kMaxOffersPerDispatch = 256;

uint32_t ToMillis(Micros d) { return d <= 0 ? 0 : static_cast<uint32_t>(d / kMillis); }

AgentProfile MakeProfile(const std::string& agent_id, const std::string& group,
                         const std::vector<Skill>& skills,
                         const std::vector<std::pair<Channel, uint16_t>>& capacity,
                         const AgentProfileIn& in) {
  AgentProfile p;
  p.agent_id = agent_id;
  p.group = group;
  for (const Skill& s : skills) {
    p.skills.emplace_back(s.name, s.level);
  }
  if (capacity.empty()) {
    p.capacity[static_cast<size_t>(Channel::kIm)] = 1;
  }
  for (const auto& [ch, n] : capacity) {
    p.capacity[static_cast<size_t>(ch)] = n;
  }
  p.tier = in.tier;
  p.outsourced = in.outsourced;
  p.budget = in.budget;
  for (const ChannelCost& c : in.costs) {
    p.costs[static_cast<size_t>(c.channel)] = c.cost;
  }
  p.attributes = in.attributes;
  return p;
}

}  // namespace

BrokerCore::BrokerCore(CoreConfig config) : config_(std::move(config)) {}
BrokerCore::~BrokerCore() = default;

std::string BrokerCore::Key(const std::string& tenant, Channel channel,
                            const std::string& customer) {
  // Length-prefixed, so no choice of tenant and customer id can collide with another.
  std::string key = std::to_string(tenant.size());
  key.reserve(key.size() + tenant.size() + customer.size() + 3);
  key += ':';
  key += tenant;
  key += static_cast<char>('0' + static_cast<int>(channel));
  key += customer;
  return key;
}

void BrokerCore::Restore(RecoveredState state, TimePoint now) {
  counters_ = state.counters;
  // Offer attempts are not stored: start above anything a previous run could have used.
  next_attempt_ = static_cast<uint64_t>(std::max<TimePoint>(now, 1));
  sessions_.reserve(state.open_sessions.size());
  open_by_key_.reserve(state.open_sessions.size());
  for (Session& s : state.open_sessions) {
    SB_CHECK(s.state != SessionState::kClosed);
    if (s.state == SessionState::kOffered) {
      s.state = SessionState::kQueued;
    }
    if (s.state == SessionState::kQueued) {
      Enqueue(s);
    } else {
      router_.AddLoad(s.agent_id, s.channel, now);
      clients_[s.agent_id].disconnected_at = now;  // its grace starts with the restart
    }
    open_by_key_[Key(s.tenant, s.channel, s.customer_id)] = s.id;
    // Their first customer message and unanswered messages are not known: observe no first
    // response, and responses only to customer messages from now on.
    SessionStats& stats = session_stats_[s.id];
    stats.seen_customer = true;
    stats.responded = true;
    const SessionId id = s.id;
    sessions_.emplace(id, std::move(s));
  }
  for (TranscriptEntry& e : state.waiting_entries) {
    waiting_entries_[e.session_id].push_back(std::move(e));
    ++waiting_count_;
  }
  for (ClientMark& m : state.marks) {
    Client& c = clients_[m.client_id];
    c.epoch = m.epoch;
    c.processed_seq = m.processed_seq;
  }
  for (Delivery& d : state.outbox) {
    clients_[d.client_id].outbox.emplace(d.id, std::move(d));
    ++outbox_size_;
  }
}

void BrokerCore::LoadBacklog(SessionId session, std::vector<TranscriptEntry> entries) {
  auto it = sessions_.find(session);
  if (it == sessions_.end() || it->second.state == SessionState::kActive) {
    return;
  }
  std::vector<TranscriptEntry>& waiting = waiting_entries_[session];
  std::map<uint32_t, TranscriptEntry> merged;
  for (TranscriptEntry& e : entries) {
    merged.emplace(e.index, std::move(e));
  }
  for (TranscriptEntry& e : waiting) {
    merged.emplace(e.index, std::move(e));
  }
  waiting_count_ -= waiting.size();
  waiting.clear();
  for (auto& [index, e] : merged) {
    waiting.push_back(std::move(e));
  }
  waiting_count_ += waiting.size();
}

void BrokerCore::StartDrain() {
  if (draining_) {
    return;
  }
  draining_ = true;
  for (const auto& [id, c] : clients_) {
    if (c.connected) {
      out_.outgoing.push_back({id, DrainNotice()});
    }
  }
}

ErrorOut BrokerCore::DrainNotice() {
  return ErrorOut{Code::kShuttingDown,
                  "the broker is stopping: new contacts are refused until it is back; "
                  "unacknowledged messages will be accepted by the next broker",
                  0};
}

uint32_t BrokerCore::ExpectedWaitMs(uint32_t position) const {
  const size_t agents = router_.signed_in();
  if (mean_handle_time_ <= 0 || agents == 0) {
    return 0;  // no basis for an estimate yet
  }
  const Micros wait = mean_handle_time_ * position / static_cast<Micros>(agents);
  return ToMillis(std::min<Micros>(wait, Micros{UINT32_MAX} * kMillis));
}

// --- Connections ---

Status BrokerCore::OnHello(const HelloIn& hello, TimePoint now) {
  if (hello.client_id.empty() || hello.client_id.size() > config_.max_id_bytes) {
    return Status(Code::kBadRequest, "a client_id of 1 to " +
                                         std::to_string(config_.max_id_bytes) +
                                         " bytes is required");
  }
  if (hello.role == Role::kAdapter && hello.channels.empty()) {
    return Status(Code::kBadRequest, "an adapter must name its channels");
  }
  if (clients_.count(hello.client_id) && clients_[hello.client_id].connected) {
    OnDisconnect(hello.client_id, now);  // a new socket of the same client: the old one is gone
  }
  // Anything queued for this client earlier in the turn was for an older connection
  // (deliveries stay in the outbox and follow the Welcome, in order).
  std::erase_if(out_.outgoing, [&](const Outgoing& o) { return o.client_id == hello.client_id; });
  Client& c = clients_[hello.client_id];
  if (c.epoch != hello.epoch) {
    c.epoch = hello.epoch;
    c.processed_seq = 0;
    dirty_marks_.insert(hello.client_id);
  }
  c.role = hello.role;
  c.connected = true;
  ++connected_;
  ++connected_by_role_[static_cast<size_t>(c.role)];
  c.last_seen = now;
  c.disconnected_at = 0;
  c.channels = hello.channels;
  out_.outgoing.push_back({hello.client_id, WelcomeOut{c.processed_seq, CreditFor(c)}});
  if (draining_) {
    out_.outgoing.push_back({hello.client_id, DrainNotice()});
  }
  ResendOutbox(hello.client_id, c, now);
  if (hello.role == Role::kWorker) {
    router_.SignIn(
        MakeProfile(hello.client_id, hello.group, hello.skills, hello.capacity, hello.profile),
        now);
    Dispatch(now);
  }
  return Status::Ok();
}

void BrokerCore::OnDisconnect(const std::string& client_id, TimePoint now) {
  auto it = clients_.find(client_id);
  if (it == clients_.end() || !it->second.connected) {
    return;
  }
  Client& c = it->second;
  c.connected = false;
  --connected_;
  --connected_by_role_[static_cast<size_t>(c.role)];
  c.disconnected_at = now;
  if (c.role != Role::kWorker) {
    return;
  }
  router_.SignOut(client_id);
  std::vector<SessionId> withdrawn;
  for (const auto& [sid, offer] : offers_) {
    if (offer.agent_id == client_id) {
      withdrawn.push_back(sid);
    }
  }
  for (SessionId sid : withdrawn) {
    Requeue(sessions_.at(sid), now);
  }
  Dispatch(now);
}

void BrokerCore::OnActivity(const std::string& client_id, TimePoint now) {
  auto it = clients_.find(client_id);
  if (it != clients_.end()) {
    it->second.last_seen = now;
  }
}

Admission BrokerCore::BeginEnvelope(const std::string& client_id, uint64_t seq) {
  Client& c = clients_.at(client_id);
  if (seq == 0) {
    out_.outgoing.push_back(
        {client_id, ErrorOut{Code::kBadRequest, "this message needs a seq above 0", 0}});
    return Admission::kRejected;
  }
  if (seq <= c.processed_seq) {
    to_ack_.insert(client_id);  // a re-send: acknowledge again, apply nothing
    return Admission::kDuplicate;
  }
  if (seq != c.processed_seq + 1) {
    out_.outgoing.push_back(
        {client_id, ErrorOut{Code::kBadRequest,
                             "seq " + std::to_string(seq) + " skips ahead; expected " +
                                 std::to_string(c.processed_seq + 1) + " (send Hello again)",
                             seq}});
    return Admission::kRejected;
  }
  c.processed_seq = seq;
  dirty_marks_.insert(client_id);
  to_ack_.insert(client_id);
  return Admission::kApply;
}

Status BrokerCore::Fail(const std::string& client_id, uint64_t seq, Code code,
                        std::string reason) {
  Status status(code, reason);
  out_.outgoing.push_back({client_id, ErrorOut{code, std::move(reason), seq}});
  return status;
}

void BrokerCore::Reject(const std::string& client_id, uint64_t seq, const Status& status) {
  out_.outgoing.push_back({client_id, ErrorOut{status.code(), status.message(), seq}});
}

BrokerCore::Client* BrokerCore::SignedIn(const std::string& client_id, Role role, uint64_t seq,
                                         Status* error) {
  Client& c = clients_.at(client_id);
  if (c.role != role) {
    *error = Fail(client_id, seq, Code::kWrongRole,
                  std::string("only a ") + std::string(RoleName(role)) +
                      " may send this; this client signed in as " +
                      std::string(RoleName(c.role)));
    return nullptr;
  }
  return &c;
}

// --- Customer side ---

Result<Session*> BrokerCore::OpenSession(const std::string& client_id,
                                         const CustomerMessageIn& msg, TimePoint now) {
  const std::string key = Key(msg.tenant, msg.channel, msg.customer_id);
  if (auto it = open_by_key_.find(key); it != open_by_key_.end()) {
    return &sessions_.at(it->second);
  }
  if (draining_) {
    return Status(Code::kShuttingDown, "the broker is stopping and takes no new contacts");
  }
  if (router_.waiting(config_.default_queue) >= config_.max_queue_size) {
    return Status(Code::kBusy, "queue '" + config_.default_queue + "' is full (" +
                                   std::to_string(config_.max_queue_size) + " waiting)");
  }
  if (config_.max_tenant_waiting > 0) {
    auto it = waiting_by_tenant_.find(msg.tenant);
    if (it != waiting_by_tenant_.end() && it->second >= config_.max_tenant_waiting) {
      return Status(Code::kBusy, "tenant '" + msg.tenant + "' has " +
                                     std::to_string(it->second) +
                                     " contacts waiting, its limit");
    }
  }
  Session s;
  s.id = counters_.next_session_id++;
  s.tenant = msg.tenant;
  s.channel = msg.channel;
  s.customer_id = msg.customer_id;
  s.attributes = msg.attributes;
  s.state = SessionState::kQueued;
  s.queue = config_.default_queue;
  s.adapter_id = client_id;
  s.queue_seq = counters_.next_queue_seq++;
  s.created_at = now;
  s.enqueued_at = now;
  counters_dirty_ = true;
  open_by_key_.emplace(key, s.id);
  MarkDirty(s);
  Enqueue(s);
  auto [it, inserted] = sessions_.emplace(s.id, std::move(s));
  SB_CHECK(inserted);
  OnContactOpened(it->second, now);
  return &it->second;
}

TranscriptEntry& BrokerCore::Append(Session& s, Party from, const std::string& agent_id,
                                    const std::string& text, TimePoint now) {
  TranscriptEntry e;
  e.session_id = s.id;
  e.index = s.transcript_size++;
  e.from = from;
  e.agent_id = agent_id;
  e.text = text;
  e.at = now;
  // No session rewrite: the store derives an open session's transcript size from its
  // transcript keys (the record is written when the session's state changes).
  out_.mutations.entries.push_back(std::move(e));
  return out_.mutations.entries.back();
}

Delivery BrokerCore::MakeDelivery(const Session& s, Delivery::Kind kind) {
  Delivery d;
  d.id = counters_.next_delivery_id++;
  counters_dirty_ = true;
  d.kind = kind;
  d.session_id = s.id;
  d.tenant = s.tenant;
  d.channel = s.channel;
  d.customer_id = s.customer_id;
  return d;
}

void BrokerCore::Deliver(const std::string& client_id, Delivery d, TimePoint now) {
  d.client_id = client_id;
  out_.mutations.deliveries.push_back(d);
  Client& c = clients_[client_id];
  if (c.connected) {
    out_.outgoing.push_back({client_id, d});
  }
  if (c.outbox.empty()) {
    c.outbox_progress = now;
  }
  c.outbox.emplace(d.id, std::move(d));
  ++outbox_size_;
}

Status BrokerCore::OnCustomerMessage(const std::string& client_id, uint64_t seq,
                                     const CustomerMessageIn& msg, TimePoint now) {
  Status error;
  Client* c = SignedIn(client_id, Role::kAdapter, seq, &error);
  if (c == nullptr) {
    return error;
  }
  if (msg.tenant.empty() || msg.customer_id.empty()) {
    return Fail(client_id, seq, Code::kBadRequest, "tenant and customer_id are required");
  }
  const ContactAttributes& at = msg.attributes;
  for (const std::string* field : {&msg.tenant, &msg.customer_id, &at.topic,
                                   &at.product_category, &at.order_id, &at.order_state,
                                   &at.country, &at.language, &at.intent}) {
    if (field->size() > config_.max_id_bytes) {
      return Fail(client_id, seq, Code::kBadRequest,
                  "tenant, customer_id and each contact attribute may have at most " +
                      std::to_string(config_.max_id_bytes) + " bytes");
    }
  }
  if (std::find(c->channels.begin(), c->channels.end(), msg.channel) == c->channels.end()) {
    return Fail(client_id, seq, Code::kBadRequest,
                "this adapter did not sign in for channel '" +
                    std::string(ChannelName(msg.channel)) + "'");
  }
  if (msg.text.size() > config_.max_text_bytes) {
    return Fail(client_id, seq, Code::kPayloadTooLarge,
                "text of " + std::to_string(msg.text.size()) + " bytes is over the limit of " +
                    std::to_string(config_.max_text_bytes));
  }
  auto opened = OpenSession(client_id, msg, now);
  if (!opened.ok()) {
    ErrorOut busy{opened.status().code(), opened.status().message(), seq};
    if (busy.code == Code::kBusy) {
      // The place the contact would have had: behind everyone waiting in its queue.
      busy.position = static_cast<uint32_t>(router_.waiting(config_.default_queue) + 1);
      busy.expected_wait_ms = ExpectedWaitMs(busy.position);
    }
    out_.outgoing.push_back({client_id, std::move(busy)});
    return opened.status();
  }
  Session& s = **opened;
  if (s.adapter_id != client_id) {
    s.adapter_id = client_id;  // replies go to the adapter that last carried the customer
    MarkDirty(s);
  }
  Emit(ContactEvent::Kind::kCustomerMessage, s);
  SessionStats& stats = session_stats_[s.id];
  if (!stats.seen_customer) {
    stats.seen_customer = true;
    stats.first_customer_at = now;
  }
  if (!stats.pending) {
    stats.pending = true;
    stats.unanswered_since = now;
  }
  const TranscriptEntry& e = Append(s, Party::kCustomer, "", msg.text, now);
  if (s.state == SessionState::kActive) {
    Delivery d = MakeDelivery(s, Delivery::Kind::kMessage);
    d.entry = e;
    Deliver(s.agent_id, std::move(d), now);
  } else {
    waiting_entries_[s.id].push_back(e);
    ++waiting_count_;
    Dispatch(now);
  }
  return Status::Ok();
}

// --- Agent side ---

Status BrokerCore::OnAccept(const std::string& client_id, uint64_t seq, SessionId session,
                            uint64_t attempt, TimePoint now) {
  Status error;
  if (SignedIn(client_id, Role::kWorker, seq, &error) == nullptr) {
    return error;
  }
  auto offer = offers_.find(session);
  if (offer == offers_.end() || offer->second.attempt != attempt ||
      offer->second.agent_id != client_id) {
    return Fail(client_id, seq, Code::kStaleOffer,
                "offer " + std::to_string(attempt) + " of session " + std::to_string(session) +
                    " is not open for this agent (expired, withdrawn or answered)");
  }
  offers_.erase(offer);
  declined_by_.erase(session);
  Session& s = sessions_.at(session);
  s.state = SessionState::kActive;
  s.agent_id = client_id;
  s.answered_at = now;
  MarkDirty(s);
  Emit(ContactEvent::Kind::kAnswered, s).wait = std::max<Micros>(now - s.enqueued_at, 0);
  // The agent receives the whole conversation so far.
  auto waiting = waiting_entries_.find(session);
  if (waiting != waiting_entries_.end()) {
    for (TranscriptEntry& e : waiting->second) {
      Delivery d = MakeDelivery(s, Delivery::Kind::kMessage);
      d.entry = std::move(e);
      Deliver(client_id, std::move(d), now);
    }
    waiting_count_ -= waiting->second.size();
    waiting_entries_.erase(waiting);
  }
  return Status::Ok();
}

Status BrokerCore::OnReject(const std::string& client_id, uint64_t seq, SessionId session,
                            uint64_t attempt, TimePoint now) {
  Status error;
  if (SignedIn(client_id, Role::kWorker, seq, &error) == nullptr) {
    return error;
  }
  auto offer = offers_.find(session);
  if (offer == offers_.end() || offer->second.attempt != attempt ||
      offer->second.agent_id != client_id) {
    return Fail(client_id, seq, Code::kStaleOffer,
                "offer " + std::to_string(attempt) + " of session " + std::to_string(session) +
                    " is not open for this agent (expired, withdrawn or answered)");
  }
  declined_by_[session].insert(client_id);
  Emit(ContactEvent::Kind::kOfferMissed, sessions_.at(session), client_id);
  Requeue(sessions_.at(session), now);
  Dispatch(now);
  return Status::Ok();
}

// Looks up an open session held by this worker, or queues the error.
static Status OwnedSession(std::unordered_map<SessionId, Session>& sessions,
                           const std::string& client_id, SessionId id, Session** out) {
  auto it = sessions.find(id);
  if (it == sessions.end()) {
    return Status(Code::kUnknownSession, "session " + std::to_string(id) + " is not open");
  }
  if (it->second.state != SessionState::kActive || it->second.agent_id != client_id) {
    return Status(Code::kNotSessionOwner,
                  "session " + std::to_string(id) + " is not held by agent '" + client_id + "'");
  }
  *out = &it->second;
  return Status::Ok();
}

Status BrokerCore::OnAgentMessage(const std::string& client_id, uint64_t seq, SessionId session,
                                  const std::string& text, TimePoint now) {
  Status error;
  if (SignedIn(client_id, Role::kWorker, seq, &error) == nullptr) {
    return error;
  }
  if (text.size() > config_.max_text_bytes) {
    return Fail(client_id, seq, Code::kPayloadTooLarge,
                "text of " + std::to_string(text.size()) + " bytes is over the limit of " +
                    std::to_string(config_.max_text_bytes));
  }
  Session* s = nullptr;
  if (Status st = OwnedSession(sessions_, client_id, session, &s); !st.ok()) {
    return Fail(client_id, seq, st.code(), st.message());
  }
  Emit(ContactEvent::Kind::kAgentMessage, *s);
  SessionStats& stats = session_stats_[s->id];
  if (stats.seen_customer && !stats.responded) {
    stats.responded = true;
    Emit(ContactEvent::Kind::kFirstResponse, *s).wait =
        std::max<Micros>(now - stats.first_customer_at, 0);
  }
  if (stats.pending) {
    stats.pending = false;
    Emit(ContactEvent::Kind::kResponse, *s).wait =
        std::max<Micros>(now - stats.unanswered_since, 0);
  }
  const TranscriptEntry& e = Append(*s, Party::kAgent, client_id, text, now);
  Delivery d = MakeDelivery(*s, Delivery::Kind::kMessage);
  d.entry = e;
  Deliver(s->adapter_id, std::move(d), now);
  return Status::Ok();
}

Status BrokerCore::OnClose(const std::string& client_id, uint64_t seq, SessionId session,
                           Disposition disposition, TimePoint now) {
  Status error;
  if (SignedIn(client_id, Role::kWorker, seq, &error) == nullptr) {
    return error;
  }
  Session* s = nullptr;
  if (Status st = OwnedSession(sessions_, client_id, session, &s); !st.ok()) {
    return Fail(client_id, seq, st.code(), st.message());
  }
  CloseSession(*s, disposition, now);
  Dispatch(now);
  return Status::Ok();
}

void BrokerCore::CloseSession(Session& s, Disposition disposition, TimePoint now) {
  SB_CHECK(s.state == SessionState::kActive || s.state == SessionState::kQueued);
  Micros handled = 0;  // accept -> close; 0 for a session never answered
  if (s.state == SessionState::kActive) {
    handled = std::max<Micros>(now - s.answered_at, 0);
    mean_handle_time_ = mean_handle_time_ == 0 ? handled : (mean_handle_time_ * 9 + handled) / 10;
    router_.RemoveLoad(s.agent_id, s.channel);
  } else {
    Dequeue(s);
    declined_by_.erase(s.id);
    if (auto waiting = waiting_entries_.find(s.id); waiting != waiting_entries_.end()) {
      waiting_count_ -= waiting->second.size();
      waiting_entries_.erase(waiting);
    }
  }
  s.state = SessionState::kClosed;
  s.disposition = disposition;
  s.closed_at = now;
  // Every close counts; only an answered session has an agent and a handle time.
  ContactEvent& closed = Emit(ContactEvent::Kind::kClosed, s);
  closed.handle = handled;
  closed.disposition = disposition;
  RememberClose(s, now);
  Delivery d = MakeDelivery(s, Delivery::Kind::kClosed);
  d.disposition = disposition;
  Deliver(s.adapter_id, std::move(d), now);
  dirty_sessions_.erase(s.id);
  open_by_key_.erase(Key(s.tenant, s.channel, s.customer_id));
  const SessionId id = s.id;
  out_.mutations.sessions.push_back(std::move(s));
  sessions_.erase(id);
}

// --- Routing ---

Status BrokerCore::Unsupported(const std::string& client_id, uint64_t seq, const char* what) {
  return Fail(client_id, seq, Code::kBadRequest,
              std::string(what) + " is not supported by this broker yet");
}

Status BrokerCore::OnAgentUpdate(const std::string& client_id, uint64_t seq,
                                 const AgentUpdateIn& update, TimePoint now) {
  Status error;
  if (SignedIn(client_id, Role::kWorker, seq, &error) == nullptr) {
    return error;
  }
  // SignIn of a signed-in agent replaces its profile and keeps its load and idle time.
  router_.SignIn(
      MakeProfile(client_id, update.group, update.skills, update.capacity, update.profile), now);
  Dispatch(now);
  return Status::Ok();
}

Status BrokerCore::OnCustomerLeft(const std::string& client_id, uint64_t seq,
                                  const CustomerLeftIn& left, TimePoint now) {
  Status error;
  if (SignedIn(client_id, Role::kAdapter, seq, &error) == nullptr) {
    return error;
  }
  auto id = FindOpenSession(left.tenant, left.channel, left.customer_id);
  if (!id) {
    return Fail(client_id, seq, Code::kUnknownSession,
                "customer '" + left.customer_id + "' of tenant '" + left.tenant +
                    "' has no open session on channel '" + std::string(ChannelName(left.channel)) +
                    "'");
  }
  Session& s = sessions_.at(*id);
  if (s.state == SessionState::kOffered) {
    // Take the offer back from its agent; the contact is then a waiting one.
    const Offer offer = offers_.at(s.id);
    if (IsConnected(offer.agent_id)) {
      out_.outgoing.push_back(
          {offer.agent_id, OfferWithdrawnOut{s.id, offer.attempt, WithdrawReason::kContactLeft}});
    }
    Requeue(s, now);
  }
  if (s.state == SessionState::kQueued) {
    // Left before an answer: an abandon of the queue (short under config.short_abandon).
    ContactEvent& e = Emit(ContactEvent::Kind::kAbandoned, s);
    e.wait = std::max<Micros>(now - s.enqueued_at, 0);
    e.short_abandon = e.wait < config_.short_abandon;
  } else {
    // The agent is told; the Closed delivery to the adapter follows in CloseSession.
    Delivery d = MakeDelivery(s, Delivery::Kind::kClosed);
    d.disposition = Disposition::kAbandoned;
    Deliver(s.agent_id, std::move(d), now);
  }
  s.adapter_id = client_id;
  CloseSession(s, Disposition::kAbandoned, now);
  Dispatch(now);
  return Status::Ok();
}

Status BrokerCore::OnPositionRequest(const std::string& client_id, uint64_t seq,
                                     const PositionRequestIn& request, TimePoint now) {
  (void)now;
  Status error;
  if (SignedIn(client_id, Role::kAdapter, seq, &error) == nullptr) {
    return error;
  }
  auto id = FindOpenSession(request.tenant, request.channel, request.customer_id);
  if (!id) {
    return Fail(client_id, seq, Code::kUnknownSession,
                "customer '" + request.customer_id + "' of tenant '" + request.tenant +
                    "' has no open session on channel '" +
                    std::string(ChannelName(request.channel)) + "'");
  }
  const Session& s = sessions_.at(*id);
  PositionOut p;
  p.session_id = s.id;
  p.tenant = s.tenant;
  p.channel = s.channel;
  p.customer_id = s.customer_id;
  if (s.state == SessionState::kQueued) {
    p.position = router_.Position(s.queue, s.queue_seq, s.id);
    p.expected_wait_ms = ExpectedWaitMs(p.position);
  }
  out_.outgoing.push_back({client_id, std::move(p)});
  return Status::Ok();
}

Status BrokerCore::OnPresence(const std::string& client_id, uint64_t seq, const PresenceIn&,
                              TimePoint) {
  Status error;
  if (SignedIn(client_id, Role::kWorker, seq, &error) == nullptr) {
    return error;
  }
  return Unsupported(client_id, seq, "Presence");
}

Status BrokerCore::OnReady(const std::string& client_id, uint64_t seq, const ReadyIn&, TimePoint) {
  Status error;
  if (SignedIn(client_id, Role::kWorker, seq, &error) == nullptr) {
    return error;
  }
  return Unsupported(client_id, seq, "Ready");
}

Status BrokerCore::OnTransfer(const std::string& client_id, uint64_t seq, const TransferIn&,
                              TimePoint) {
  Status error;
  if (SignedIn(client_id, Role::kWorker, seq, &error) == nullptr) {
    return error;
  }
  return Unsupported(client_id, seq, "Transfer");
}

Status BrokerCore::OnEscalate(const std::string& client_id, uint64_t seq, const EscalateIn&,
                              TimePoint) {
  Status error;
  if (SignedIn(client_id, Role::kWorker, seq, &error) == nullptr) {
    return error;
  }
  return Unsupported(client_id, seq, "Escalate");
}

Status BrokerCore::OnHandoff(const std::string& client_id, uint64_t seq, const HandoffIn&,
                             TimePoint) {
  Status error;
  if (SignedIn(client_id, Role::kWorker, seq, &error) == nullptr) {
    return error;
  }
  return Unsupported(client_id, seq, "Handoff");
}

void BrokerCore::OnDeliveryAck(const std::string& client_id, DeliveryId up_to) {
  auto it = clients_.find(client_id);
  if (it == clients_.end()) {
    return;
  }
  auto& outbox = it->second.outbox;
  auto end = outbox.upper_bound(up_to);
  if (end != outbox.begin()) {
    it->second.outbox_progress = it->second.last_seen;  // the time of this ack's frame
  }
  for (auto d = outbox.begin(); d != end; ++d) {
    out_.mutations.delivered.push_back(d->first);
    --outbox_size_;
  }
  outbox.erase(outbox.begin(), end);
}

// --- Queue and offers ---

void BrokerCore::Enqueue(const Session& s) {
  router_.AddContact(s.queue, s.queue_seq, s.id);
  ++waiting_by_tenant_[s.tenant];
}

void BrokerCore::Dequeue(const Session& s) {
  router_.RemoveContact(s.queue, s.queue_seq, s.id);
  auto it = waiting_by_tenant_.find(s.tenant);
  if (it != waiting_by_tenant_.end() && --it->second == 0) {
    waiting_by_tenant_.erase(it);
  }
}

void BrokerCore::Requeue(Session& s, TimePoint now) {
  (void)now;
  auto offer = offers_.find(s.id);
  SB_CHECK(offer != offers_.end());
  router_.RemoveLoad(offer->second.agent_id, s.channel);
  offers_.erase(offer);
  s.state = SessionState::kQueued;
  Enqueue(s);  // back in its old place
}

void BrokerCore::Dispatch(TimePoint now) {
  auto channel_of = [this](SessionId id) { return sessions_.at(id).channel; };
  auto excluded = [this](SessionId id, const std::string& agent) {
    auto it = declined_by_.find(id);
    return it != declined_by_.end() && it->second.count(agent) > 0;
  };
  for (size_t n = 0; n < kMaxOffersPerDispatch; ++n) {
    std::optional<Router::Match> match = router_.FindMatch(channel_of, excluded);
    if (!match) {
      return;
    }
    const Router::Match& m = *match;
    Session& s = sessions_.at(m.session_id);
    Dequeue(s);
    router_.AddLoad(m.agent_id, s.channel, now);
    s.state = SessionState::kOffered;
    Offer& offer = offers_[s.id];
    offer.attempt = next_attempt_++;
    offer.agent_id = m.agent_id;
    offer.expires_at = now + config_.offer_timeout;
    OfferOut o;
    o.session_id = s.id;
    o.attempt = offer.attempt;
    o.tenant = s.tenant;
    o.channel = s.channel;
    o.customer_id = s.customer_id;
    o.queue = s.queue;
    o.attributes = s.attributes;
    o.timeout_ms = ToMillis(config_.offer_timeout);
    o.waited_ms = ToMillis(now - s.enqueued_at);
    out_.outgoing.push_back({m.agent_id, std::move(o)});
  }
}

void BrokerCore::OnTick(TimePoint now) {
  std::vector<std::string> silent;
  for (const auto& [id, c] : clients_) {
    if (c.connected && now - c.last_seen > 3 * config_.heartbeat_interval) {
      silent.push_back(id);
    }
  }
  for (const std::string& id : silent) {
    OnDisconnect(id, now);
  }
  std::vector<std::string> gone;
  for (auto& [id, c] : clients_) {
    if (!c.connected && c.disconnected_at != 0 &&
        now - c.disconnected_at >= config_.worker_grace) {
      gone.push_back(id);
      c.disconnected_at = 0;
    } else if (c.connected && !c.outbox.empty() &&
               now - c.outbox_progress >= config_.redelivery_timeout) {
      ResendOutbox(id, c, now);
    }
  }
  for (const std::string& id : gone) {
    ReleaseSessions(id, now);
  }
  std::vector<SessionId> expired;
  for (const auto& [sid, offer] : offers_) {
    if (offer.expires_at <= now) {
      expired.push_back(sid);
    }
  }
  for (SessionId sid : expired) {
    const Offer& offer = offers_.at(sid);
    declined_by_[sid].insert(offer.agent_id);
    Emit(ContactEvent::Kind::kOfferMissed, sessions_.at(sid), offer.agent_id);
    if (IsConnected(offer.agent_id)) {
      out_.outgoing.push_back(
          {offer.agent_id, OfferWithdrawnOut{sid, offer.attempt, WithdrawReason::kExpired}});
    }
    Requeue(sessions_.at(sid), now);
  }
  Dispatch(now);
}

uint32_t BrokerCore::CreditFor(const Client& c) const {
  // Workers' messages (accepts, replies, closes) drain work: they always get credit.
  return c.role == Role::kAdapter && credit_withheld_ ? 0 : config_.window;
}

// Withholds adapters' credit while the messages held in memory (the outbox and the messages
// of waiting contacts) are over their bound, and grants it again (an Ack with credit to
// every connected adapter) once they are back under 90% of it.
void BrokerCore::UpdateCredit() {
  const size_t held = held_messages();
  if (!credit_withheld_ && held >= config_.max_outbox) {
    credit_withheld_ = true;  // the acks of this turn carry credit 0
  } else if (credit_withheld_ && held < config_.max_outbox / 10 * 9) {
    credit_withheld_ = false;
    for (const auto& [id, c] : clients_) {
      if (c.connected && c.role == Role::kAdapter) {
        to_ack_.insert(id);
      }
    }
  }
}

void BrokerCore::ResendOutbox(const std::string& client_id, Client& c, TimePoint now) {
  for (const auto& [id, d] : c.outbox) {
    out_.outgoing.push_back({client_id, d});
  }
  redeliveries_ += c.outbox.size();
  c.outbox_progress = now;
}

// The agent is gone past its grace: each session it held goes back to the queue, in its old
// place, and the next agent gets the whole transcript (read back from the store).
void BrokerCore::ReleaseSessions(const std::string& agent_id, TimePoint now) {
  std::vector<SessionId> held;
  for (const auto& [id, s] : sessions_) {
    if (s.state == SessionState::kActive && s.agent_id == agent_id) {
      held.push_back(id);
    }
  }
  if (held.empty()) {
    return;
  }
  std::sort(held.begin(), held.end());
  Client& c = clients_[agent_id];
  for (SessionId id : held) {
    Session& s = sessions_.at(id);
    router_.RemoveLoad(agent_id, s.channel);
    // What the old agent was owed of this session is moot now.
    for (auto d = c.outbox.begin(); d != c.outbox.end();) {
      if (d->second.session_id == id) {
        out_.mutations.delivered.push_back(d->first);
        --outbox_size_;
        d = c.outbox.erase(d);
      } else {
        ++d;
      }
    }
    s.state = SessionState::kQueued;
    s.agent_id.clear();
    s.answered_at = 0;
    s.enqueued_at = now;
    MarkDirty(s);
    Enqueue(s);
    Emit(ContactEvent::Kind::kQueued, s);  // a new contact: back in a queue
    out_.load_transcripts.push_back(id);
  }
  Dispatch(now);
}

TimePoint BrokerCore::NextDeadline() const {
  TimePoint next = INT64_MAX;
  for (const auto& [sid, offer] : offers_) {
    next = std::min(next, offer.expires_at);
  }
  for (const auto& [id, c] : clients_) {
    if (c.connected) {
      next = std::min(next, c.last_seen + 3 * config_.heartbeat_interval + 1);
      if (!c.outbox.empty()) {
        next = std::min(next, c.outbox_progress + config_.redelivery_timeout);
      }
    } else if (c.disconnected_at != 0) {
      next = std::min(next, c.disconnected_at + config_.worker_grace);
    }
  }
  return next;
}

TurnOutput& BrokerCore::FinishTurn() {
  for (SessionId id : dirty_sessions_) {
    auto it = sessions_.find(id);
    SB_CHECK(it != sessions_.end());
    out_.mutations.sessions.push_back(it->second);
  }
  dirty_sessions_.clear();
  for (const std::string& id : dirty_marks_) {
    const Client& c = clients_.at(id);
    out_.mutations.marks.push_back(ClientMark{id, c.epoch, c.processed_seq});
  }
  dirty_marks_.clear();
  if (counters_dirty_) {
    out_.mutations.counters = counters_;
    counters_dirty_ = false;
  }
  UpdateCredit();
  for (const std::string& id : to_ack_) {
    const Client& c = clients_.at(id);
    if (c.connected) {
      out_.outgoing.push_back({id, AckOut{c.processed_seq, CreditFor(c)}});
    }
  }
  to_ack_.clear();
  return out_;
}

// --- Ratings and orders ---

Status BrokerCore::OnRating(const std::string& client_id, uint64_t seq, SessionId session,
                            int rating, TimePoint now) {
  (void)now;
  Status error;
  if (SignedIn(client_id, Role::kAdapter, seq, &error) == nullptr) {
    return error;
  }
  if (rating < 1 || rating > 5) {
    return Fail(client_id, seq, Code::kBadRequest,
                "a rating is 1 to 5; got " + std::to_string(rating));
  }
  const std::string already = "session " + std::to_string(session) + " is already rated";
  if (auto open = sessions_.find(session); open != sessions_.end()) {
    SessionStats& stats = session_stats_[session];
    if (stats.rated) {
      return Fail(client_id, seq, Code::kBadRequest, already);
    }
    stats.rated = true;
    Emit(ContactEvent::Kind::kRating, open->second).rating = static_cast<uint8_t>(rating);
    return Status::Ok();
  }
  auto closed = rateable_.find(session);
  if (closed == rateable_.end()) {
    return Fail(client_id, seq, Code::kUnknownSession,
                "session " + std::to_string(session) +
                    " is not open and not among the recently closed sessions the broker "
                    "remembers for ratings");
  }
  if (closed->second.rated) {
    return Fail(client_id, seq, Code::kBadRequest, already);
  }
  closed->second.rated = true;
  ContactEvent e = closed->second.base;
  e.kind = ContactEvent::Kind::kRating;
  e.rating = static_cast<uint8_t>(rating);
  out_.events.push_back(std::move(e));
  return Status::Ok();
}

Status BrokerCore::OnOrder(const std::string& client_id, uint64_t seq, const std::string& tenant,
                           const std::string& order_id, uint32_t count, TimePoint now) {
  (void)now;
  Status error;
  if (SignedIn(client_id, Role::kService, seq, &error) == nullptr) {
    return error;
  }
  if (tenant.empty() || tenant.size() > config_.max_id_bytes ||
      order_id.size() > config_.max_id_bytes) {
    return Fail(client_id, seq, Code::kBadRequest,
                "an order needs a tenant of 1 to " + std::to_string(config_.max_id_bytes) +
                    " bytes, and an order_id of at most as many");
  }
  if (count == 0 || count > kMaxOrderCount) {
    return Fail(client_id, seq, Code::kBadRequest,
                "count must be 1 to " + std::to_string(kMaxOrderCount) + "; got " +
                    std::to_string(count));
  }
  ContactEvent e;
  e.kind = ContactEvent::Kind::kOrder;
  e.labels.tenant = tenant;
  e.count = count;
  out_.events.push_back(std::move(e));
  return Status::Ok();
}

// --- Contact events ---

ContactEvent& BrokerCore::Emit(ContactEvent::Kind kind, const Session& s) {
  switch (kind) {
    case ContactEvent::Kind::kAnswered:
    case ContactEvent::Kind::kOfferMissed:
    case ContactEvent::Kind::kClosed:
    case ContactEvent::Kind::kRating:
      return Emit(kind, s, s.agent_id);
    default: {
      static const std::string kNoAgent;
      return Emit(kind, s, kNoAgent);  // per-message events: no agent lookup
    }
  }
}

ContactEvent& BrokerCore::Emit(ContactEvent::Kind kind, const Session& s,
                               const std::string& agent) {
  ContactEvent& e = out_.events.emplace_back();
  e.kind = kind;
  e.labels.queue = s.queue;
  e.labels.channel = s.channel;
  e.labels.tenant = s.tenant;
  e.labels.topic = s.attributes.topic;
  if (!agent.empty()) {
    e.agent = agent;
    e.group = router_.GroupOf(agent);
  }
  return e;
}

std::string BrokerCore::TopicKey(const std::string& tenant, const std::string& customer,
                                 const std::string& topic) {
  // Length-prefixed, like Key.
  return std::to_string(tenant.size()) + ':' + tenant + std::to_string(customer.size()) + ':' +
         customer + topic;
}

// A new session: it was opened and entered its queue; a re-contact if the customer's last
// session on the topic closed within the FCR window.
void BrokerCore::OnContactOpened(const Session& s, TimePoint now) {
  Emit(ContactEvent::Kind::kOpened, s);
  Emit(ContactEvent::Kind::kQueued, s);
  if (recent_closes_.empty()) {
    return;
  }
  auto it = recent_closes_.find(TopicKey(s.tenant, s.customer_id, s.attributes.topic));
  if (it == recent_closes_.end()) {
    return;
  }
  if (now - it->second.closed_at <= config_.fcr_window) {
    Emit(ContactEvent::Kind::kRecontact, s).disposition = it->second.disposition;
  }
  recent_closes_.erase(it);  // a close is spoiled at most once
}

// Remembers a close for re-contacts and ratings, and forgets the oldest past the bounds.
void BrokerCore::RememberClose(const Session& s, TimePoint now) {
  bool rated = false;
  if (auto stats = session_stats_.find(s.id); stats != session_stats_.end()) {
    rated = stats->second.rated;
    session_stats_.erase(stats);
  }
  if (config_.rating_memory > 0) {
    RateableClose& r = rateable_[s.id];
    r.base.labels = {s.queue, s.channel, s.tenant, s.attributes.topic};
    r.base.agent = s.agent_id;
    r.base.group = router_.GroupOf(s.agent_id);
    r.rated = rated;
    rateable_order_.push_back(s.id);
    while (rateable_order_.size() > config_.rating_memory) {
      rateable_.erase(rateable_order_.front());
      rateable_order_.pop_front();
    }
  }
  if (config_.fcr_memory > 0) {
    std::string key = TopicKey(s.tenant, s.customer_id, s.attributes.topic);
    const uint64_t generation = next_close_generation_++;
    recent_closes_[key] = RecentClose{now, s.disposition, generation};
    recent_close_order_.push_back(CloseOrder{generation, now, std::move(key)});
    while (!recent_close_order_.empty() &&
           (recent_close_order_.size() > config_.fcr_memory ||
            now - recent_close_order_.front().closed_at > config_.fcr_window)) {
      const CloseOrder& oldest = recent_close_order_.front();
      auto it = recent_closes_.find(oldest.key);
      if (it != recent_closes_.end() && it->second.generation == oldest.generation) {
        recent_closes_.erase(it);
      }
      recent_close_order_.pop_front();
    }
  }
}

// --- Views ---

size_t BrokerCore::queue_depth() const { return router_.waiting(); }
size_t BrokerCore::agents_signed_in() const { return router_.signed_in(); }

std::vector<BrokerCore::QueueView> BrokerCore::Queues(TimePoint now, bool oldest) const {
  std::vector<QueueView> views;
  bool seen_default = false;
  router_.ForEachQueue([&](const std::string& queue, const auto& contacts) {
    QueueView v;
    v.queue = queue;
    v.waiting = contacts.size();
    if (oldest) {
      for (const auto& [seq, id] : contacts) {
        v.oldest_wait = std::max(v.oldest_wait, now - sessions_.at(id).enqueued_at);
      }
    }
    seen_default = seen_default || queue == config_.default_queue;
    views.push_back(std::move(v));
  });
  if (!seen_default) {
    views.push_back(QueueView{config_.default_queue, 0, 0});
  }
  return views;
}

std::map<std::string, BrokerCore::AgentCounts> BrokerCore::AgentsByGroup() const {
  std::map<std::string, AgentCounts> groups;
  router_.ForEachAgent([&](const std::string& group, bool signed_in, bool has_room,
                           bool has_load) {
    AgentCounts& c = groups[group];
    if (!signed_in) {
      ++c.offline;
      return;
    }
    ++(has_room ? c.available : c.busy);
    if (has_load) {
      ++c.handling;
    }
  });
  return groups;
}

const Session* BrokerCore::FindSession(SessionId id) const {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : &it->second;
}

std::optional<SessionId> BrokerCore::FindOpenSession(const std::string& tenant, Channel channel,
                                                     const std::string& customer_id) const {
  auto it = open_by_key_.find(Key(tenant, channel, customer_id));
  if (it == open_by_key_.end()) {
    return std::nullopt;
  }
  return it->second;
}

bool BrokerCore::IsConnected(const std::string& client_id) const {
  auto it = clients_.find(client_id);
  return it != clients_.end() && it->second.connected;
}

}  // namespace switchboard::core
