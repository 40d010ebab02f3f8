#include "core/broker_core.h"

#include <algorithm>

#include "common/check.h"

namespace switchboard::core {
namespace {

uint32_t ToMillis(Micros d) { return d <= 0 ? 0 : static_cast<uint32_t>(d / kMillis); }

}  // namespace

routing::RoutingConfig BrokerCore::RoutingOf(const CoreConfig& config) {
  if (config.routing.has_value()) {
    return *config.routing;
  }
  routing::RoutingConfig r = routing::RoutingConfig::Default();
  r.default_queue = config.default_queue;
  r.short_abandon = config.short_abandon;
  // Without a routing file, an agent is never set away for missed offers: it is offered the
  // contact again after the offer timeout, as the built-in routing always did.
  r.max_missed_offers = 0;
  for (routing::QueueConfig& q : r.queues) {
    q.name = config.default_queue;
    q.offer_timeout = config.offer_timeout;
    q.max_size = config.max_queue_size;
  }
  return r;
}

BrokerCore::BrokerCore(CoreConfig config)
    : config_(std::move(config)), routing_(RoutingOf(config_)) {}

// Capacity: with no budget and no costs in the profile (the walking skeleton's Hello), the
// capacity is sessions per channel: each session costs 1 of a budget that is the sum of the
// channels' counts, capped per channel; a channel not named is not served (its cost is over
// the budget), and no capacity at all is one IM session. With a budget or costs, the budget
// (0: the routing file's default) is shared by the channels at their costs (the routing
// file's channel_cost, overridden per agent), and `capacity` is a hard cap per channel.
routing::AgentInfo BrokerCore::AgentOf(const std::string& agent_id, const std::string& group,
                                       const std::vector<Skill>& skills,
                                       const std::vector<std::pair<Channel, uint16_t>>& capacity,
                                       const AgentProfileIn& profile) {
  routing::AgentInfo a;
  a.id = agent_id;
  a.group = group;
  a.tier = profile.tier == 0 ? 1 : profile.tier;
  a.outsourced = profile.outsourced;
  for (const auto& [key, value] : profile.attributes) {
    if (key == "bot") {
      a.bot = value == "1" || value == "true";
    } else {
      a.attributes.emplace_back(key, value);  // agent.<key> in pools
    }
  }
  for (const Skill& skill : skills) {
    a.skills.emplace_back(skill.name, skill.level);
  }
  if (profile.budget == 0 && profile.costs.empty()) {
    std::array<uint32_t, kChannelCount> sessions{};
    if (capacity.empty()) {
      sessions[static_cast<size_t>(Channel::kIm)] = 1;
    }
    for (const auto& [ch, n] : capacity) {
      sessions[static_cast<size_t>(ch)] = n;
    }
    uint32_t total = 0;
    for (uint32_t n : sessions) {
      total += n;
    }
    a.budget = std::max<uint32_t>(total, 1);
    for (size_t ch = 0; ch < kChannelCount; ++ch) {
      a.cap[ch] = sessions[ch];
      a.cost[ch] = sessions[ch] > 0 ? 1 : a.budget + 1;
    }
    return a;
  }
  a.budget = profile.budget;
  for (const ChannelCost& c : profile.costs) {
    a.cost[static_cast<size_t>(c.channel)] = c.cost;
  }
  for (const auto& [ch, n] : capacity) {
    a.cap[static_cast<size_t>(ch)] = n;
  }
  return a;
}

routing::ContactInfo BrokerCore::ContactOf(const Session& s) const {
  routing::ContactInfo c;
  c.id = s.id;
  c.tenant = s.tenant;
  c.channel = s.channel;
  c.customer_id = s.customer_id;
  const ContactAttributes& a = s.attributes;
  auto set = [&c](const char* name, const std::string& value) {
    if (!value.empty()) {
      c.attributes.Set(name, value);
    }
  };
  set("topic", a.topic);
  set("product_category", a.product_category);
  set("order_state", a.order_state);
  set("country", a.country);
  set("language", a.language);
  set("intent", a.intent);
  c.attributes.Set("vip_level", static_cast<int64_t>(a.vip_level));
  return c;
}

std::string BrokerCore::GroupOf(const std::string& agent) const {
  return std::string(routing_.GroupOf(agent));
}
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
  routing_.StartAttemptsAt(static_cast<uint64_t>(std::max<TimePoint>(now, 1)));
  sessions_.reserve(state.open_sessions.size());
  open_by_key_.reserve(state.open_sessions.size());
  // Every contact that waited before comes back, even into a queue now over its maximum
  // size: queues are unbounded during the restore.
  routing::RoutingConfig unbounded = RoutingOf(config_);
  for (routing::QueueConfig& q : unbounded.queues) {
    q.max_size = UINT32_MAX;
  }
  SB_CHECK(routing_.Reconfigure(unbounded, now).ok());
  // Waiting contacts go back in their old order: by contact number.
  std::sort(state.open_sessions.begin(), state.open_sessions.end(),
            [](const Session& a, const Session& b) { return a.queue_seq < b.queue_seq; });
  for (Session& s : state.open_sessions) {
    SB_CHECK(s.state != SessionState::kClosed);
    if (s.state == SessionState::kOffered) {
      s.state = SessionState::kQueued;
    }
    if (s.state == SessionState::kQueued) {
      // Routed again by today's rules, then back to the queue it waited in if that still
      // exists (a reload may have changed the rules since).
      Result<routing::Placement> placed = routing_.Arrive(ContactOf(s), now);
      SB_CHECK(placed.ok());
      if (placed->queue != s.queue && routing_.config().FindQueue(s.queue) != nullptr) {
        (void)routing_.TransferToQueue(s.id, s.queue, now);
      } else {
        s.queue = placed->queue;
      }
      Enqueue(s);
    } else {
      SB_CHECK(routing_.Adopt(ContactOf(s), s.queue, s.agent_id, s.answered_at, now).ok());
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
  SB_CHECK(routing_.Reconfigure(RoutingOf(config_), now).ok());
  // Nothing of this is new: no offers can have been made (no agent is signed in yet), and
  // the contacts were counted when they first arrived.
  (void)routing_.TakeActions();
  (void)routing_.TakeEvents();
  for (TranscriptEntry& e : state.waiting_entries) {
    waiting_entries_[e.session_id].push_back(std::move(e));
    ++waiting_count_;
  }
  for (ClientMark& m : state.marks) {
    Client& c = clients_[m.client_id];
    c.epoch = m.epoch;
    c.processed_seq = m.processed_seq;
    c.acked_delivery = m.acked_delivery;
  }
  for (Delivery& d : state.outbox) {  // in id order (RecoveredState::outbox)
    Client& c = clients_[d.client_id];
    if (d.id <= c.acked_delivery || (!c.outbox.empty() && d.id <= c.outbox.back()->id)) {
      continue;  // acknowledged (garbage the store has not dropped yet), or a second copy
    }
    c.outbox.push_back(std::make_shared<const Delivery>(std::move(d)));
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

Status BrokerCore::Reconfigure(routing::RoutingConfig routing, TimePoint now) {
  if (Status st = routing.Validate(); !st.ok()) {
    return st;
  }
  if (Status st = routing_.Reconfigure(routing, now); !st.ok()) {
    return st;
  }
  config_.routing = std::move(routing);
  // Contacts of a removed queue now wait in the default queue: the stored sessions say so.
  for (auto& [id, s] : sessions_) {
    if (s.state != SessionState::kQueued) {
      continue;
    }
    if (std::optional<routing::ContactView> view = routing_.Contact(id);
        view.has_value() && view->queue != s.queue) {  // a reload: rare, a copy is fine
      s.queue = view->queue;
      MarkDirty(s);
    }
  }
  ApplyRouting(now);  // contacts of a removed queue may now find an agent
  return Status::Ok();
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
  const size_t agents = routing_.signed_in();
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
    SB_CHECK(routing_
                 .SignIn(AgentOf(hello.client_id, hello.group, hello.skills, hello.capacity,
                                 hello.profile),
                         now)
                 .ok());
    ApplyRouting(now);
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
  // Its pending offers are withdrawn; the sessions it holds stay with it (grace).
  (void)routing_.SignOut(client_id, now);
  ApplyRouting(now);
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
  if (config_.max_tenant_waiting > 0) {
    auto it = waiting_by_tenant_.find(msg.tenant);
    if (it != waiting_by_tenant_.end() && it->second >= config_.max_tenant_waiting) {
      return Status(Code::kBusy, "tenant '" + msg.tenant + "' has " +
                                     std::to_string(it->second) +
                                     " contacts waiting, its limit");
    }
  }
  Session s;
  s.id = counters_.next_session_id;
  s.tenant = msg.tenant;
  s.channel = msg.channel;
  s.customer_id = msg.customer_id;
  s.attributes = msg.attributes;
  s.state = SessionState::kQueued;
  // The routing rules choose the queue; a full queue refuses the contact (nothing recorded).
  Result<routing::Placement> placed = routing_.Arrive(ContactOf(s), now);
  if (!placed.ok()) {
    return placed.status();
  }
  ++counters_.next_session_id;
  s.queue = placed->queue;
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
  for (ContactEvent& e : routing_.TakeEvents()) {  // its kQueued, after kOpened
    out_.events.push_back(std::move(e));
  }
  return &it->second;
}

TranscriptEntry& BrokerCore::Append(Session& s, Party from, const std::string& agent_id,
                                    std::string text, TimePoint now) {
  TranscriptEntry e;
  e.session_id = s.id;
  e.index = s.transcript_size++;
  e.from = from;
  e.agent_id = agent_id;
  e.text = std::move(text);
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
  if (d.kind == Delivery::Kind::kMessage && d.entry.session_id == d.session_id) {
    // The store names the transcript entry instead of copying it (Mutations::deliveries):
    // the record needs no text.
    Delivery& stored = out_.mutations.deliveries.emplace_back();
    stored.id = d.id;
    stored.client_id = client_id;
    stored.kind = d.kind;
    stored.session_id = d.session_id;
    stored.tenant = d.tenant;
    stored.channel = d.channel;
    stored.customer_id = d.customer_id;
    stored.entry.session_id = d.entry.session_id;
    stored.entry.index = d.entry.index;
    stored.entry.from = d.entry.from;
    stored.entry.at = d.entry.at;
  } else {
    out_.mutations.deliveries.push_back(d);
  }
  Client& c = clients_[client_id];
  SharedDelivery shared = std::make_shared<const Delivery>(std::move(d));
  if (c.connected) {
    out_.outgoing.push_back({client_id, shared});
  }
  if (c.outbox.empty()) {
    c.outbox_progress = now;
  }
  c.outbox.push_back(std::move(shared));
  ++outbox_size_;
}

Status BrokerCore::OnCustomerMessage(const std::string& client_id, uint64_t seq,
                                     CustomerMessageIn msg, TimePoint now) {
  Status error;
  Client* c = SignedIn(client_id, Role::kAdapter, seq, &error);
  if (c == nullptr) {
    return error;
  }
  if (msg.tenant.empty() || msg.customer_id.empty()) {
    return Fail(client_id, seq, Code::kBadRequest, "tenant and customer_id are required");
  }
  const ContactAttributes& at = msg.attributes;
  for (const std::string* field :
       std::initializer_list<const std::string*>{&msg.tenant, &msg.customer_id, &at.topic,
                                                 &at.product_category, &at.order_id,
                                                 &at.order_state, &at.country, &at.language,
                                                 &at.intent}) {
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
      busy.position = static_cast<uint32_t>(routing_.waiting() + 1);
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
  const TranscriptEntry& e = Append(s, Party::kCustomer, "", std::move(msg.text), now);
  if (s.state == SessionState::kActive) {
    Delivery d = MakeDelivery(s, Delivery::Kind::kMessage);
    d.entry = e;
    Deliver(s.agent_id, std::move(d), now);
  } else {
    waiting_entries_[s.id].push_back(e);
    ++waiting_count_;
    ApplyRouting(now);
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
  auto found = sessions_.find(session);
  if (found == sessions_.end() || found->second.state != SessionState::kQueued ||
      !routing_.Accept(session, client_id, attempt, now).ok()) {
    return Fail(client_id, seq, Code::kStaleOffer,
                "offer " + std::to_string(attempt) + " of session " + std::to_string(session) +
                    " is not open for this agent (expired, withdrawn or answered)");
  }
  Session& s = found->second;
  Dequeue(s);
  handovers_.erase(s.id);
  s.state = SessionState::kActive;
  s.agent_id = client_id;
  s.answered_at = now;
  MarkDirty(s);  // kAnswered comes from the routing engine (ApplyRouting)
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
  ApplyRouting(now);  // other agents offered the same contact are told it is taken
  return Status::Ok();
}

Status BrokerCore::OnReject(const std::string& client_id, uint64_t seq, SessionId session,
                            uint64_t attempt, TimePoint now) {
  Status error;
  if (SignedIn(client_id, Role::kWorker, seq, &error) == nullptr) {
    return error;
  }
  auto found = sessions_.find(session);
  if (found == sessions_.end() || found->second.state != SessionState::kQueued ||
      !routing_.Reject(session, client_id, attempt, now).ok()) {
    return Fail(client_id, seq, Code::kStaleOffer,
                "offer " + std::to_string(attempt) + " of session " + std::to_string(session) +
                    " is not open for this agent (expired, withdrawn or answered)");
  }
  ApplyRouting(now);  // the next candidate, if any (kOfferMissed comes from the engine)
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
  ApplyRouting(now);
  return Status::Ok();
}

void BrokerCore::CloseSession(Session& s, Disposition disposition, TimePoint now) {
  SB_CHECK(s.state == SessionState::kActive || s.state == SessionState::kQueued);
  Micros handled = 0;  // accept -> close; 0 for a session never answered
  if (s.state == SessionState::kActive) {
    handled = std::max<Micros>(now - s.answered_at, 0);
    mean_handle_time_ = mean_handle_time_ == 0 ? handled : (mean_handle_time_ * 9 + handled) / 10;
  } else {
    Dequeue(s);
    if (auto waiting = waiting_entries_.find(s.id); waiting != waiting_entries_.end()) {
      waiting_count_ -= waiting->second.size();
      waiting_entries_.erase(waiting);
    }
  }
  handovers_.erase(s.id);
  s.state = SessionState::kClosed;
  s.disposition = disposition;
  s.closed_at = now;
  // Every close counts; only an answered session has an agent and a handle time.
  ContactEvent& closed = Emit(ContactEvent::Kind::kClosed, s);
  closed.handle = handled;
  closed.disposition = disposition;
  RememberClose(s, now);
  if (!s.agent_id.empty()) {
    SB_CHECK(routing_.Close(s.id, now).ok());  // capacity frees; the wrap-up starts
  }
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

Session* BrokerCore::Held(const std::string& client_id, uint64_t seq, SessionId id,
                          Status* error) {
  if (SignedIn(client_id, Role::kWorker, seq, error) == nullptr) {
    return nullptr;
  }
  auto it = sessions_.find(id);
  if (it == sessions_.end()) {
    *error = Fail(client_id, seq, Code::kUnknownSession,
                  "session " + std::to_string(id) + " is not open");
    return nullptr;
  }
  if (it->second.state != SessionState::kActive || it->second.agent_id != client_id) {
    *error = Fail(client_id, seq, Code::kNotSessionOwner,
                  "session " + std::to_string(id) + " is not held by agent '" + client_id + "'");
    return nullptr;
  }
  return &it->second;
}

void BrokerCore::MovedOn(Session& s, Handover handover, TimePoint now) {
  handovers_[s.id] = std::move(handover);
  BackToWaiting(s, now);  // the next agent gets the whole transcript
  ApplyRouting(now);
}

void BrokerCore::BackToWaiting(Session& s, TimePoint now) {
  SB_CHECK(s.state == SessionState::kActive);
  if (auto holder = clients_.find(s.agent_id); holder != clients_.end()) {
    auto& outbox = holder->second.outbox;
    const auto kept = std::remove_if(outbox.begin(), outbox.end(), [&](const SharedDelivery& d) {
      if (d->session_id != s.id) {
        return false;
      }
      out_.mutations.delivered.push_back(d->id);
      --outbox_size_;
      return true;
    });
    outbox.erase(kept, outbox.end());
  }
  s.state = SessionState::kQueued;
  s.agent_id.clear();
  s.answered_at = 0;
  s.enqueued_at = now;
  MarkDirty(s);
  Enqueue(s);
  out_.load_transcripts.push_back(s.id);
}

Status BrokerCore::OnAgentUpdate(const std::string& client_id, uint64_t seq,
                                 const AgentUpdateIn& update, TimePoint now) {
  Status error;
  if (SignedIn(client_id, Role::kWorker, seq, &error) == nullptr) {
    return error;
  }
  // Sessions held stay, even above a lowered capacity (no offers until back under).
  Status st = routing_.UpdateAgent(
      AgentOf(client_id, update.group, update.skills, update.capacity, update.profile), now);
  if (!st.ok()) {
    return Fail(client_id, seq, st.code(), st.message());
  }
  ApplyRouting(now);
  return Status::Ok();
}

Session* BrokerCore::CustomerSession(const std::string& client_id, uint64_t seq,
                                     const std::string& tenant, Channel channel,
                                     const std::string& customer_id, Status* error) {
  if (SignedIn(client_id, Role::kAdapter, seq, error) == nullptr) {
    return nullptr;
  }
  auto id = FindOpenSession(tenant, channel, customer_id);
  if (!id) {
    *error = Fail(client_id, seq, Code::kUnknownSession,
                  "customer '" + customer_id + "' of tenant '" + tenant +
                      "' has no open session on channel '" + std::string(ChannelName(channel)) +
                      "'");
    return nullptr;
  }
  return &sessions_.at(*id);
}

Status BrokerCore::OnCustomerLeft(const std::string& client_id, uint64_t seq,
                                  const CustomerLeftIn& left, TimePoint now) {
  Status error;
  Session* found = CustomerSession(client_id, seq, left.tenant, left.channel, left.customer_id,
                                   &error);
  if (found == nullptr) {
    return error;
  }
  Session& s = *found;
  if (s.state == SessionState::kQueued) {
    // Left before an answer: an abandon (short under the routing's short_abandon); an agent
    // it was offered to is told the offer is withdrawn.
    SB_CHECK(routing_.Abandon(s.id, now).ok());
    ApplyRouting(now);  // kAbandoned before kClosed; a pending offer is withdrawn
  } else {
    // The agent is told; the Closed delivery to the adapter follows in CloseSession.
    Delivery d = MakeDelivery(s, Delivery::Kind::kClosed);
    d.disposition = Disposition::kAbandoned;
    Deliver(s.agent_id, std::move(d), now);
  }
  s.adapter_id = client_id;
  CloseSession(s, Disposition::kAbandoned, now);
  ApplyRouting(now);
  return Status::Ok();
}

Status BrokerCore::OnPositionRequest(const std::string& client_id, uint64_t seq,
                                     const PositionRequestIn& request, TimePoint now) {
  Status error;
  const Session* found = CustomerSession(client_id, seq, request.tenant, request.channel,
                                         request.customer_id, &error);
  if (found == nullptr) {
    return error;
  }
  const Session& s = *found;
  position_asked_by_[s.id] = client_id;
  if (s.state == SessionState::kQueued && routing_.PositionRequest(s.id, now).ok()) {
    ApplyRouting(now);  // the engine's PositionUpdate becomes the answer
    return Status::Ok();
  }
  position_asked_by_.erase(s.id);
  PositionOut p;  // answered: position 0
  p.session_id = s.id;
  p.tenant = s.tenant;
  p.channel = s.channel;
  p.customer_id = s.customer_id;
  out_.outgoing.push_back({client_id, std::move(p)});
  return Status::Ok();
}

Status BrokerCore::OnPresence(const std::string& client_id, uint64_t seq, const PresenceIn& in,
                              TimePoint now) {
  Status error;
  if (SignedIn(client_id, Role::kWorker, seq, &error) == nullptr) {
    return error;
  }
  const routing::Presence presence = in.state == PresenceState::kAway
                                         ? routing::Presence::kAway
                                         : routing::Presence::kAvailable;
  if (Status st = routing_.SetPresence(client_id, presence, now); !st.ok()) {
    return Fail(client_id, seq, st.code(), st.message());
  }
  ApplyRouting(now);
  return Status::Ok();
}

Status BrokerCore::OnReady(const std::string& client_id, uint64_t seq, const ReadyIn&,
                           TimePoint now) {
  Status error;
  if (SignedIn(client_id, Role::kWorker, seq, &error) == nullptr) {
    return error;
  }
  if (Status st = routing_.Ready(client_id, now); !st.ok()) {
    return Fail(client_id, seq, st.code(), st.message());
  }
  ApplyRouting(now);
  return Status::Ok();
}

Status BrokerCore::OnTransfer(const std::string& client_id, uint64_t seq, const TransferIn& in,
                              TimePoint now) {
  Status error;
  Session* s = Held(client_id, seq, in.session_id, &error);
  if (s == nullptr) {
    return error;
  }
  Status st = in.to_agent.empty() ? routing_.TransferToQueue(s->id, in.to_queue, now)
                                  : routing_.TransferToAgent(s->id, in.to_agent, now);
  if (!st.ok()) {
    return Fail(client_id, seq, st.code(), st.message());
  }
  if (in.to_agent.empty()) {
    s->queue = in.to_queue;  // a direct transfer waits for that agent; its queue stays
  }
  MovedOn(*s, Handover{client_id, in.note}, now);
  return Status::Ok();
}

Status BrokerCore::OnEscalate(const std::string& client_id, uint64_t seq, const EscalateIn& in,
                              TimePoint now) {
  Status error;
  Session* s = Held(client_id, seq, in.session_id, &error);
  if (s == nullptr) {
    return error;
  }
  if (Status st = routing_.Escalate(s->id, now); !st.ok()) {
    return Fail(client_id, seq, st.code(), st.message());
  }
  MovedOn(*s, Handover{client_id, in.note}, now);  // a follow-up task for tier 2
  return Status::Ok();
}

Status BrokerCore::OnHandoff(const std::string& client_id, uint64_t seq, const HandoffIn& in,
                             TimePoint now) {
  Status error;
  Session* s = Held(client_id, seq, in.session_id, &error);
  if (s == nullptr) {
    return error;
  }
  const std::optional<routing::AgentView> agent = routing_.Agent(client_id);
  const routing::Value* bot = agent.has_value() ? agent->attributes.Find("bot") : nullptr;
  if (bot == nullptr || *bot != routing::Value(int64_t{1})) {
    return Fail(client_id, seq, Code::kWrongRole,
                "only a bot worker hands a contact off (its Hello attribute bot = 1); '" +
                    client_id + "' is not one: a human agent transfers or escalates instead");
  }
  if (Status st = routing_.Handoff(s->id, in.to_queue, in.intent, in.summary, now); !st.ok()) {
    return Fail(client_id, seq, st.code(), st.message());
  }
  if (!in.intent.empty()) {
    s->attributes.intent = in.intent;
  }
  if (!in.to_queue.empty()) {
    s->queue = in.to_queue;
  }
  MovedOn(*s, Handover{client_id, ""}, now);  // the engine keeps the bot's summary
  return Status::Ok();
}

void BrokerCore::OnDeliveryAck(const std::string& client_id, DeliveryId up_to) {
  auto it = clients_.find(client_id);
  if (it == clients_.end()) {
    return;
  }
  auto& outbox = it->second.outbox;
  auto end = std::upper_bound(outbox.begin(), outbox.end(), up_to,
                              [](DeliveryId id, const SharedDelivery& d) { return id < d->id; });
  if (end == outbox.begin()) {
    return;
  }
  it->second.outbox_progress = it->second.last_seen;  // the time of this ack's frame
  // Recorded as the client's watermark (written with its mark this turn), not a delete per
  // delivery. Never past what was sent: a bogus up_to must not swallow later deliveries.
  it->second.acked_delivery = std::max(it->second.acked_delivery, (*std::prev(end))->id);
  if (acked_marks_.empty()) {
    acked_marks_since_ = it->second.last_seen;
  }
  acked_marks_.insert(client_id);
  outbox_size_ -= static_cast<size_t>(std::distance(outbox.begin(), end));
  outbox.erase(outbox.begin(), end);
}

// --- Queue and offers ---

void BrokerCore::Enqueue(const Session& s) { ++waiting_by_tenant_[s.tenant]; }

void BrokerCore::Dequeue(const Session& s) {
  auto it = waiting_by_tenant_.find(s.tenant);
  if (it != waiting_by_tenant_.end() && --it->second == 0) {
    waiting_by_tenant_.erase(it);
  }
}

void BrokerCore::ApplyRouting(TimePoint now) {
  for (routing::Action& action : routing_.TakeActions()) {
    if (auto* offer = std::get_if<routing::OfferAction>(&action)) {
      auto it = sessions_.find(offer->contact);
      if (it == sessions_.end()) {
        continue;  // cannot happen: every routed contact is an open session
      }
      Session& s = it->second;
      if (s.queue != offer->queue) {
        s.queue = offer->queue;  // it moved on (an overflow to another queue)
        MarkDirty(s);
      }
      OfferOut o;
      o.session_id = s.id;
      o.attempt = offer->attempt;
      o.tenant = s.tenant;
      o.channel = s.channel;
      o.customer_id = s.customer_id;
      o.queue = offer->queue;
      o.attributes = s.attributes;
      o.timeout_ms = ToMillis(offer->timeout);
      o.waited_ms = ToMillis(offer->waited);
      o.intent = s.attributes.intent;
      if (std::optional<routing::RoutingEngine::OfferFacts> facts = routing_.Facts(s.id)) {
        o.priority = facts->priority;
        o.follow_up = facts->follow_up;
        o.summary = facts->summary;
      }
      if (auto h = handovers_.find(s.id); h != handovers_.end()) {
        o.transferred_from = h->second.from;
        if (o.summary.empty()) {
          o.summary = h->second.note;
        }
      }
      out_.outgoing.push_back({offer->agent, std::move(o)});
    } else if (auto* gone = std::get_if<routing::OfferWithdrawn>(&action)) {
      if (IsConnected(gone->agent)) {
        // Gone from the engine: the customer left; answered: another agent took it.
        std::optional<routing::RoutingEngine::OfferFacts> facts = routing_.Facts(gone->contact);
        const WithdrawReason reason = !facts.has_value() ? WithdrawReason::kContactLeft
                                      : facts->state == routing::ContactState::kActive
                                          ? WithdrawReason::kTakenByAnother
                                          : WithdrawReason::kExpired;
        out_.outgoing.push_back(
            {gone->agent, OfferWithdrawnOut{gone->contact, gone->attempt, reason}});
      }
    } else if (auto* over = std::get_if<routing::Overflowed>(&action)) {
      auto it = sessions_.find(over->contact);
      if (it == sessions_.end()) {
        continue;
      }
      Session& s = it->second;
      OverflowedOut o;
      o.session_id = s.id;
      o.tenant = s.tenant;
      o.channel = s.channel;
      o.customer_id = s.customer_id;
      o.to_queue = over->queue;
      o.leave_message = over->leave_message;
      o.reason = "waited past the maximum wait of queue '" + over->from_queue + "'";
      out_.outgoing.push_back({s.adapter_id, std::move(o)});
      if (over->leave_message) {
        // No agent in time and no fallback queue: the contact ends unanswered; the adapter
        // offers the customer to leave a message.
        CloseSession(s, Disposition::kUnresolved, now);
      } else if (s.queue != over->queue) {
        s.queue = over->queue;
        MarkDirty(s);
      }
    } else if (auto* pos = std::get_if<routing::PositionUpdate>(&action)) {
      auto it = sessions_.find(pos->contact);
      if (it == sessions_.end()) {
        continue;
      }
      const Session& s = it->second;
      PositionOut p;
      p.session_id = s.id;
      p.tenant = s.tenant;
      p.channel = s.channel;
      p.customer_id = s.customer_id;
      p.position = pos->position;
      p.expected_wait_ms = ToMillis(pos->expected_wait);
      // The answer to a request goes to the adapter that asked; an update unasked to the one
      // that last carried the customer.
      std::string to = s.adapter_id;
      if (auto asked = position_asked_by_.find(s.id); asked != position_asked_by_.end()) {
        to = std::move(asked->second);
        position_asked_by_.erase(asked);
      }
      out_.outgoing.push_back({std::move(to), std::move(p)});
    } else if (auto* presence = std::get_if<routing::AgentPresence>(&action)) {
      if (IsConnected(presence->agent)) {
        PresenceChangedOut p;
        p.state = presence->state == routing::AgentState::kAway ? PresenceState::kAway
                                                                : PresenceState::kAvailable;
        p.reason = presence->reason.empty()
                       ? std::string(routing::AgentStateName(presence->state))
                       : presence->reason;
        out_.outgoing.push_back({presence->agent, std::move(p)});
      }
    }
  }
  for (ContactEvent& e : routing_.TakeEvents()) {
    out_.events.push_back(std::move(e));
  }
}

void BrokerCore::OnTick(TimePoint now) {
  if (!acked_marks_.empty() && now - acked_marks_since_ >= config_.ack_mark_delay) {
    FlushAckedMarks();
  }
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
  routing_.Tick(now);  // offers expire, steps move on, overflows, wrap-ups end
  ApplyRouting(now);
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
  for (const SharedDelivery& d : c.outbox) {
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
  for (SessionId id : held) {
    Session& s = sessions_.at(id);
    SB_CHECK(routing_.Requeue(id, now).ok());
    BackToWaiting(s, now);
    Emit(ContactEvent::Kind::kQueued, s);  // a new contact: back in a queue
  }
  ApplyRouting(now);
}

TimePoint BrokerCore::NextDeadline() {
  TimePoint next = routing_.NextDeadline().value_or(INT64_MAX);
  if (!acked_marks_.empty()) {
    next = std::min(next, acked_marks_since_ + config_.ack_mark_delay);
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

void BrokerCore::FlushAckedMarks() {
  dirty_marks_.merge(acked_marks_);  // what is in both stays in acked_marks_: cleared next
  acked_marks_.clear();
}

TurnOutput& BrokerCore::FinishTurn() {
  // Acknowledgement marks ride along with a turn that writes anyway (or go when they are
  // due, at a tick, or at once with no delay or while draining).
  if (!acked_marks_.empty() &&
      (config_.ack_mark_delay <= 0 || draining_ || !dirty_sessions_.empty() ||
       !dirty_marks_.empty() || counters_dirty_ || !out_.mutations.empty())) {
    FlushAckedMarks();
  }
  for (SessionId id : dirty_sessions_) {
    auto it = sessions_.find(id);
    SB_CHECK(it != sessions_.end());
    out_.mutations.sessions.push_back(it->second);
  }
  dirty_sessions_.clear();
  for (const std::string& id : dirty_marks_) {
    const Client& c = clients_.at(id);
    out_.mutations.marks.push_back(ClientMark{id, c.epoch, c.processed_seq, c.acked_delivery});
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
    e.group = GroupOf(agent);
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
  Emit(ContactEvent::Kind::kOpened, s);  // kQueued comes from the routing engine
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
    r.base.group = GroupOf(s.agent_id);
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

size_t BrokerCore::queue_depth() const { return routing_.waiting(); }
size_t BrokerCore::agents_signed_in() const { return routing_.signed_in(); }

std::vector<BrokerCore::QueueView> BrokerCore::Queues(TimePoint now, bool oldest) const {
  std::vector<QueueView> views;
  for (const routing::QueueConfig& q : routing_.config().queues) {
    views.push_back(QueueView{q.name, routing_.waiting(q.name), 0});
  }
  if (oldest) {  // about once a second
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < views.size(); ++i) {
      index[views[i].queue] = i;
    }
    for (const auto& [id, s] : sessions_) {
      if (s.state != SessionState::kQueued) {
        continue;
      }
      auto it = index.find(s.queue);
      if (it != index.end()) {
        QueueView& v = views[it->second];
        v.oldest_wait = std::max(v.oldest_wait, now - s.enqueued_at);
      }
    }
  }
  return views;
}

std::map<std::string, BrokerCore::AgentCounts> BrokerCore::AgentsByGroup() const {
  std::map<std::string, AgentCounts> groups;
  for (const routing::AgentView& a : routing_.Agents()) {
    AgentCounts& c = groups[a.group];
    if (!a.signed_in || a.presence == routing::Presence::kOffline) {
      ++c.offline;
      continue;
    }
    if (a.presence == routing::Presence::kAway) {
      ++c.away;
    } else {
      ++(a.has_room ? c.available : c.busy);
    }
    if (a.used > 0) {
      ++c.handling;
    }
  }
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
