#include "metrics/broker_metrics.h"

#include <algorithm>
#include <cmath>

namespace switchboard::metrics {
namespace {

using core::ContactEvent;
using Kind = core::ContactEvent::Kind;

prometheus::Counter& MakeCounter(prometheus::Registry& r, const std::string& name,
                                 const std::string& help, const prometheus::Labels& labels = {}) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r).Add(labels);
}

prometheus::Gauge& MakeGauge(prometheus::Registry& r, const std::string& name,
                             const std::string& help, const prometheus::Labels& labels = {}) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add(labels);
}

prometheus::Histogram& MakeHistogram(prometheus::Registry& r, const std::string& name,
                                     const std::string& help,
                                     prometheus::Histogram::BucketBoundaries buckets) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(r).Add({}, buckets);
}

prometheus::Family<prometheus::Counter>& CounterFamily(prometheus::Registry& r,
                                                       const std::string& name,
                                                       const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}

prometheus::Family<prometheus::Gauge>& GaugeFamily(prometheus::Registry& r, const std::string& name,
                                                   const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r);
}

prometheus::Family<prometheus::Histogram>& HistogramFamily(prometheus::Registry& r,
                                                           const std::string& name,
                                                           const std::string& help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(r);
}

const prometheus::Histogram::BucketBoundaries kLatencyBuckets = {
    0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
    0.005,   0.01,     0.025,   0.05,   0.1,     0.25,   1.0};
const prometheus::Histogram::BucketBoundaries kResponseBuckets = {
    5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1800, 3600};
const prometheus::Histogram::BucketBoundaries kHandleBuckets = {
    30, 60, 120, 180, 300, 450, 600, 900, 1200, 1800, 2700, 3600, 7200, 14400};

double ToSeconds(Micros d) { return static_cast<double>(std::max<Micros>(d, 0)) / kSeconds; }

std::string ChannelLabel(core::Channel c) { return std::string(core::ChannelName(c)); }

// Gets the child in `slot`, adding it to `family` with `labels` on first use.
template <typename T>
T& Child(T*& slot, prometheus::Family<T>& family, const prometheus::Labels& labels) {
  if (slot == nullptr) {
    slot = &family.Add(labels);
  }
  return *slot;
}

prometheus::Histogram& Child(prometheus::Histogram*& slot,
                             prometheus::Family<prometheus::Histogram>& family,
                             const prometheus::Labels& labels,
                             const prometheus::Histogram::BucketBoundaries& buckets) {
  if (slot == nullptr) {
    slot = &family.Add(labels, buckets);
  }
  return *slot;
}

prometheus::Labels With(prometheus::Labels labels, const std::string& name,
                        const std::string& value) {
  labels[name] = value;
  return labels;
}

}  // namespace

const std::string LabelCap::kOther = "other";
const std::string LabelCap::kUnknown = "unknown";

const std::string& LabelCap::Bound(std::string_view value) {
  if (value.empty()) {
    return kUnknown;
  }
  if (auto it = admitted_.find(value); it != admitted_.end()) {
    return *it;
  }
  if (admitted_.size() >= max_) {
    return kOther;
  }
  return *admitted_.emplace(value).first;
}

prometheus::Histogram::BucketBoundaries WaitBuckets(const std::vector<double>& sl_seconds) {
  prometheus::Histogram::BucketBoundaries b = {1,  2,   5,   10,  15,  20,   30,   45,  60,
                                               90, 120, 180, 300, 600, 1200, 1800, 3600};
  for (double t : sl_seconds) {
    if (std::isfinite(t) && t > 0 && std::find(b.begin(), b.end(), t) == b.end()) {
      b.push_back(t);
    }
  }
  std::sort(b.begin(), b.end());
  return b;
}

size_t BrokerMetrics::RawHash::operator()(const RawKeyView& k) const {
  std::hash<std::string_view> h;
  size_t x = h(k.queue);
  x = x * 31 + static_cast<size_t>(k.channel);
  x ^= h(k.tenant) + 0x9e3779b97f4a7c15ULL + (x << 6) + (x >> 2);
  x ^= h(k.topic) + 0x9e3779b97f4a7c15ULL + (x << 6) + (x >> 2);
  return x;
}

BrokerMetrics::BrokerMetrics(prometheus::Registry& r, MetricsConfig config)
    : frames_received(MakeCounter(r, "switchboard_frames_received_total",
                                  "ZeroMQ frames received from clients")),
      frames_sent(MakeCounter(r, "switchboard_frames_sent_total", "ZeroMQ frames sent to clients")),
      messages_received(MakeCounter(r, "switchboard_messages_received_total",
                                    "Envelopes received from clients, all body types")),
      messages_sent(MakeCounter(r, "switchboard_messages_sent_total",
                                "Envelopes sent to clients, all body types")),
      sends_would_block(MakeCounter(
          r, "switchboard_sends_would_block_total",
          "Frames not sent because the client was at its high-water mark (deliveries stay in "
          "the outbox)")),
      sends_unreachable(MakeCounter(r, "switchboard_sends_unreachable_total",
                                    "Frames not sent because the client had disconnected")),
      duplicates_dropped(MakeCounter(r, "switchboard_duplicates_dropped_total",
                                     "Re-sent envelopes dropped as already processed")),
      redeliveries(MakeCounter(r, "switchboard_redeliveries_total",
                               "Deliveries sent again: after a client's Hello, or after the "
                               "redelivery timeout without an ack")),
      routing_repairs(MakeCounter(r, "switchboard_routing_repairs_total",
                                  "Stuck routing states the periodic reconciliation found and "
                                  "repaired (an offer with no timer, a reservation with no "
                                  "contact, ...); should stay 0")),
      credit_withheld_seconds(MakeCounter(r, "switchboard_credit_withheld_seconds_total",
                                          "Time adapters' credit was withheld")),
      sessions_open(MakeGauge(r, "switchboard_sessions_open", "Sessions not closed")),
      agents_signed_in(MakeGauge(r, "switchboard_agents_signed_in", "Agents signed in")),
      outbox_deliveries(MakeGauge(r, "switchboard_outbox_deliveries",
                                  "Deliveries stored and not yet acknowledged by their client")),
      credit_withheld(MakeGauge(r, "switchboard_credit_withheld",
                                "1 while adapters get no credit because the messages held "
                                "are over --max-outbox, else 0")),
      held_messages(MakeGauge(r, "switchboard_held_messages",
                              "Messages held in memory for delivery: the outbox and the "
                              "messages of contacts waiting for an agent (bounded by "
                              "--max-outbox)")),
      store_commit_seconds(MakeHistogram(r, "switchboard_store_commit_seconds",
                                         "Time to commit one loop turn's write batch",
                                         kLatencyBuckets)),
      store_batch_records(MakeHistogram(r, "switchboard_store_batch_records",
                                        "Records (puts and deletes) per committed write batch",
                                        {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096})),
      loop_turn_seconds(MakeHistogram(r, "switchboard_loop_turn_seconds",
                                      "Time of one loop turn that did work", kLatencyBuckets)),
      recovery_seconds(MakeGauge(r, "switchboard_recovery_seconds",
                                 "Time the last start-up took to recover state from the store")),
      rocksdb_delayed_write_rate(
          MakeGauge(r, "switchboard_rocksdb_delayed_write_rate_bytes_per_second",
                    "RocksDB rocksdb.actual-delayed-write-rate: the rate writes are slowed to "
                    "in a write stall, 0 when not slowed")),
      rocksdb_write_stopped(MakeGauge(r, "switchboard_rocksdb_write_stopped",
                                      "RocksDB rocksdb.is-write-stopped: 1 while writes stop")),
      rocksdb_running_compactions(MakeGauge(r, "switchboard_rocksdb_running_compactions",
                                            "RocksDB rocksdb.num-running-compactions")),
      rocksdb_running_flushes(MakeGauge(r, "switchboard_rocksdb_running_flushes",
                                        "RocksDB rocksdb.num-running-flushes")),
      rocksdb_compaction_pending(MakeGauge(r, "switchboard_rocksdb_compaction_pending",
                                           "RocksDB rocksdb.compaction-pending: 1 when a "
                                           "compaction is needed")),
      rocksdb_pending_compaction_bytes(
          MakeGauge(r, "switchboard_rocksdb_pending_compaction_bytes",
                    "RocksDB rocksdb.estimate-pending-compaction-bytes")),
      rocksdb_memtable_bytes(MakeGauge(r, "switchboard_rocksdb_memtable_bytes",
                                       "RocksDB rocksdb.cur-size-all-mem-tables")),
      rocksdb_stall_seconds(MakeCounter(r, "switchboard_rocksdb_stall_seconds_total",
                                        "RocksDB STALL_MICROS: time writes were delayed or "
                                        "stopped")),
      config_(std::move(config)),
      tenants_(config_.max_tenants),
      topics_(config_.max_topics),
      groups_(config_.max_groups),
      agent_ids_(config_.max_agents),
      offered_(CounterFamily(r, "switchboard_contacts_offered_total",
                             "Contacts that entered a human queue")),
      answered_(
          CounterFamily(r, "switchboard_contacts_answered_total", "Contacts an agent accepted")),
      abandoned_(CounterFamily(r, "switchboard_contacts_abandoned_total",
                               "Contacts the customer left before an answer (not short)")),
      short_abandoned_(CounterFamily(r, "switchboard_contacts_short_abandoned_total",
                                     "Contacts the customer left within the short-abandon "
                                     "time")),
      overflowed_(CounterFamily(r, "switchboard_contacts_overflowed_total",
                                "Contacts that left their queue for a fallback")),
      transferred_(CounterFamily(r, "switchboard_contacts_transferred_total",
                                 "Sessions moved to another queue or agent")),
      offers_missed_(CounterFamily(r, "switchboard_offers_missed_total",
                                   "Offers an agent rejected or let expire")),
      answer_wait_(HistogramFamily(r, "switchboard_answer_wait_seconds",
                                   "Speed of answer: queue entry to accept")),
      abandon_wait_(
          HistogramFamily(r, "switchboard_abandon_wait_seconds", "Queue entry to abandon")),
      first_response_(HistogramFamily(r, "switchboard_first_response_seconds",
                                      "Customer's first message to the first agent message")),
      response_(HistogramFamily(r, "switchboard_response_seconds",
                                "Oldest unanswered customer message to the agent's reply")),
      handle_(HistogramFamily(r, "switchboard_handle_seconds", "Handle time: accept to close")),
      customer_messages_(CounterFamily(r, "switchboard_customer_messages_total",
                                       "Customer messages stored in transcripts")),
      agent_messages_(CounterFamily(r, "switchboard_agent_messages_total",
                                    "Agent messages stored in transcripts")),
      sessions_opened_(CounterFamily(r, "switchboard_sessions_opened_total", "Sessions opened")),
      sessions_closed_(
          CounterFamily(r, "switchboard_sessions_closed_total", "Sessions closed, by disposition")),
      recontacts_(CounterFamily(r, "switchboard_recontacts_total",
                                "New contacts on the same topic within the FCR window of a "
                                "close, by that close's disposition")),
      ratings_(CounterFamily(r, "switchboard_ratings_total", "CSAT ratings reported, 1 to 5")),
      orders_(CounterFamily(r, "switchboard_orders_total", "Orders reported by services")),
      receptions_(CounterFamily(r, "switchboard_receptions_total",
                                "Contacts accepted by agents of the group")),
      agents_(GaugeFamily(r, "switchboard_agents", "Agents by group and state")),
      agent_signed_in_seconds_(
          CounterFamily(r, "switchboard_agent_signed_in_seconds_total", "Agent-seconds signed in")),
      agent_handling_seconds_(CounterFamily(r, "switchboard_agent_handling_seconds_total",
                                            "Agent-seconds signed in with a session offered "
                                            "or held")),
      queue_depth_(GaugeFamily(r, "switchboard_queue_depth", "Contacts waiting for an agent")),
      queue_oldest_(GaugeFamily(r, "switchboard_queue_oldest_wait_seconds",
                                "Wait of the queue's longest-waiting contact")),
      clients_connected_(
          GaugeFamily(r, "switchboard_clients_connected", "Clients signed in, by role")),
      wait_buckets_(WaitBuckets(config_.service_level_seconds)) {
  if (config_.per_agent) {
    agent_receptions_ =
        &CounterFamily(r, "switchboard_agent_receptions_total", "Contacts the agent accepted");
    agent_handle_ = &CounterFamily(r, "switchboard_agent_handle_seconds_total",
                                   "Handle times of the sessions the agent closed, summed");
  }
  auto& family = CounterFamily(r, "switchboard_rejections_total",
                               "Envelopes or frames rejected with an error, by error code");
  for (int i = 1; i < kCodeCount; ++i) {
    rejections_[i] = &family.Add({{"code", std::string(CodeName(static_cast<Code>(i)))}});
  }
  rejections_[0] = rejections_[static_cast<int>(Code::kInternal)];
  for (size_t role = 0; role < clients_.size(); ++role) {
    clients_[role] = &clients_connected_.Add(
        {{"role", std::string(core::RoleName(static_cast<core::Role>(role)))}});
  }
}

BrokerMetrics::~BrokerMetrics() = default;

BrokerMetrics::Resolved BrokerMetrics::Resolve(const core::ContactLabels& l) {
  const RawKeyView view{l.queue, l.channel, l.tenant, l.topic};
  if (auto it = raw_.find(view); it != raw_.end()) {
    return it->second;
  }
  Resolved r;
  r.tenant = &tenants_.Bound(l.tenant);
  r.topic = &topics_.Bound(l.topic);
  const std::string channel = ChannelLabel(l.channel);
  auto& contact = contact_series_[{l.queue, l.channel, *r.tenant, *r.topic}];
  if (!contact) {
    contact = std::make_unique<ContactSeries>();
    contact->labels = {
        {"queue", l.queue}, {"channel", channel}, {"tenant", *r.tenant}, {"topic", *r.topic}};
  }
  r.contact = contact.get();
  auto& wait = wait_series_[{l.queue, l.channel, *r.tenant}];
  if (!wait) {
    wait = std::make_unique<WaitSeries>();
    wait->labels = {{"queue", l.queue}, {"channel", channel}, {"tenant", *r.tenant}};
  }
  r.wait = wait.get();
  if (raw_.size() < kMaxRawKeys) {
    raw_.emplace(RawKey{l.queue, l.channel, l.tenant, l.topic}, r);
  }
  return r;
}

BrokerMetrics::GroupSeries& BrokerMetrics::Group(const core::ContactLabels& l,
                                                 const std::string& group) {
  const std::string& g = groups_.Bound(group);
  auto [it, created] = group_series_.try_emplace({l.queue, l.channel, g});
  if (created) {
    it->second.labels = {{"queue", l.queue}, {"channel", ChannelLabel(l.channel)}, {"group", g}};
  }
  return it->second;
}

BrokerMetrics::AgentSeries& BrokerMetrics::Agent(const std::string& agent) {
  const std::string& a = agent_ids_.Bound(agent);
  AgentSeries& s = agent_series_[a];
  if (s.receptions == nullptr) {
    s.receptions = &agent_receptions_->Add({{"agent", a}});
    s.handle_seconds = &agent_handle_->Add({{"agent", a}});
  }
  return s;
}

void BrokerMetrics::Record(const std::vector<core::ContactEvent>& events) {
  for (const ContactEvent& e : events) {
    RecordOne(e);
  }
}

void BrokerMetrics::RecordOne(const ContactEvent& e) {
  switch (e.kind) {
    case Kind::kOrder: {
      const std::string& tenant = tenants_.Bound(e.labels.tenant);
      prometheus::Counter*& c = order_series_[tenant];
      Child(c, orders_, {{"tenant", tenant}}).Increment(e.count);
      return;
    }
    case Kind::kOfferMissed: {
      GroupSeries& g = Group(e.labels, e.group);
      Child(g.offers_missed, offers_missed_, g.labels).Increment();
      return;
    }
    default:
      break;
  }
  const Resolved r = Resolve(e.labels);
  ContactSeries& c = *r.contact;
  WaitSeries& w = *r.wait;
  const auto disposition = static_cast<size_t>(e.disposition) & 3;
  switch (e.kind) {
    case Kind::kCustomerMessage:
      Child(w.customer_messages, customer_messages_, w.labels).Increment();
      break;
    case Kind::kAgentMessage:
      Child(w.agent_messages, agent_messages_, w.labels).Increment();
      break;
    case Kind::kResponse:
      Child(w.response, response_, w.labels, kResponseBuckets).Observe(ToSeconds(e.wait));
      break;
    case Kind::kFirstResponse:
      Child(w.first_response, first_response_, w.labels, kResponseBuckets)
          .Observe(ToSeconds(e.wait));
      break;
    case Kind::kQueued:
      Child(c.offered, offered_, c.labels).Increment();
      break;
    case Kind::kAnswered: {
      Child(c.answered, answered_, c.labels).Increment();
      Child(w.answer_wait, answer_wait_, w.labels, wait_buckets_).Observe(ToSeconds(e.wait));
      GroupSeries& g = Group(e.labels, e.group);
      Child(g.receptions, receptions_, g.labels).Increment();
      if (config_.per_agent && !e.agent.empty()) {
        Agent(e.agent).receptions->Increment();
      }
      break;
    }
    case Kind::kAbandoned:
      if (e.short_abandon) {
        Child(c.short_abandoned, short_abandoned_, c.labels).Increment();
      } else {
        Child(c.abandoned, abandoned_, c.labels).Increment();
      }
      Child(w.abandon_wait, abandon_wait_, w.labels, wait_buckets_).Observe(ToSeconds(e.wait));
      break;
    case Kind::kOverflowed:
      Child(c.overflowed, overflowed_, c.labels).Increment();
      break;
    case Kind::kTransferred:
      Child(c.transferred, transferred_, c.labels).Increment();
      break;
    case Kind::kClosed: {
      const std::string name(core::DispositionName(e.disposition));
      Child(c.closed[disposition], sessions_closed_, With(c.labels, "disposition", name))
          .Increment();
      if (e.agent.empty() && e.group.empty()) {
        break;  // no agent: never answered (the customer left the queue), no handle time
      }
      GroupSeries& g = Group(e.labels, e.group);
      Child(g.handle, handle_, g.labels, kHandleBuckets).Observe(ToSeconds(e.handle));
      if (config_.per_agent && !e.agent.empty()) {
        Agent(e.agent).handle_seconds->Increment(ToSeconds(e.handle));
      }
      break;
    }
    case Kind::kRecontact: {
      const std::string name(core::DispositionName(e.disposition));
      Child(c.recontacts[disposition], recontacts_, With(c.labels, "disposition", name))
          .Increment();
      break;
    }
    case Kind::kRating: {
      if (e.rating < 1 || e.rating > 5) {
        break;  // the core checks; never count a value outside the label's set
      }
      const std::string& g = groups_.Bound(e.group);
      auto [it, created] =
          rating_series_.try_emplace({e.labels.queue, e.labels.channel, *r.tenant, g});
      prometheus::Counter*& counter = it->second[e.rating - 1];
      prometheus::Labels labels = w.labels;
      labels["group"] = g;
      labels["rating"] = std::to_string(e.rating);
      Child(counter, ratings_, labels).Increment();
      break;
    }
    case Kind::kOpened: {
      prometheus::Counter*& counter = opened_series_[{e.labels.channel, *r.tenant, *r.topic}];
      Child(
          counter, sessions_opened_,
          {{"channel", ChannelLabel(e.labels.channel)}, {"tenant", *r.tenant}, {"topic", *r.topic}})
          .Increment();
      break;
    }
    case Kind::kOrder:
    case Kind::kOfferMissed:
      break;  // handled above
  }
}

void BrokerMetrics::SetQueues(const std::vector<core::BrokerCore::QueueView>& queues, bool oldest) {
  for (const auto& q : queues) {
    QueueGauges& g = queue_gauges_[q.queue];
    Child(g.depth, queue_depth_, {{"queue", q.queue}}).Set(static_cast<double>(q.waiting));
    if (oldest || g.oldest == nullptr) {
      Child(g.oldest, queue_oldest_, {{"queue", q.queue}}).Set(ToSeconds(q.oldest_wait));
    }
  }
}

void BrokerMetrics::SetAgents(const std::map<std::string, core::BrokerCore::AgentCounts>& groups,
                              Micros elapsed) {
  std::map<std::string, core::BrokerCore::AgentCounts> bounded;
  for (const auto& [group, counts] : groups) {
    auto& b = bounded[groups_.Bound(group)];
    b.available += counts.available;
    b.busy += counts.busy;
    b.offline += counts.offline;
    b.away += counts.away;
    b.handling += counts.handling;
  }
  // Groups seen before and absent now read 0.
  for (auto& [group, g] : group_gauges_) {
    bounded.try_emplace(group);
  }
  const double seconds = ToSeconds(elapsed);
  for (const auto& [group, counts] : bounded) {
    GroupGauges& g = group_gauges_[group];
    if (g.available == nullptr) {
      g.available = &agents_.Add({{"group", group}, {"state", "available"}});
      g.busy = &agents_.Add({{"group", group}, {"state", "busy"}});
      g.away = &agents_.Add({{"group", group}, {"state", "away"}});
      g.offline = &agents_.Add({{"group", group}, {"state", "offline"}});
      g.signed_in_seconds = &agent_signed_in_seconds_.Add({{"group", group}});
      g.handling_seconds = &agent_handling_seconds_.Add({{"group", group}});
    }
    g.available->Set(static_cast<double>(counts.available));
    g.busy->Set(static_cast<double>(counts.busy));
    g.away->Set(static_cast<double>(counts.away));
    g.offline->Set(static_cast<double>(counts.offline));
    if (seconds > 0) {
      g.signed_in_seconds->Increment(
          seconds * static_cast<double>(counts.available + counts.busy + counts.away));
      g.handling_seconds->Increment(seconds * static_cast<double>(counts.handling));
    }
  }
}

void BrokerMetrics::SetClients(const std::array<size_t, 4>& by_role) {
  for (size_t i = 0; i < by_role.size(); ++i) {
    clients_[i]->Set(static_cast<double>(by_role[i]));
  }
}

}  // namespace switchboard::metrics
